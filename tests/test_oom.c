/*
 * Failure injection: fail the backing allocator's k-th call, for every k
 * until the workload completes.  Every call must fail cleanly (NULL and
 * ENOMEM), the pool must stay usable, and nothing may leak.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

/* Runs a workload on a pool whose allocator fails call `k`; returns how
 * many operations failed. */
static int workload(test_alloc_t *t, long k) {
  ta_init(t);
  t->fail_at = k;
  int failed = 0;
  mp_pool_t *p = ta_pool(t, 1024);
  if (p == NULL) {
    assert_int_equal(errno, ENOMEM);
    return 1;
  }
  void *keep[64];
  int nkeep = 0;
  for (int i = 0; i < 200; i++) {
    size_t n = (size_t)(i * 53) % 900;
    void *a;
    switch (i % 6) {
    case 0: a = mp_alloc(p, n); break;
    case 1: a = mp_nalloc(p, n); break;
    case 2: a = mp_calloc(p, n); break;
    case 3: a = mp_memalign(p, n, 128); break;
    case 4: a = mp_alloc(p, 2000 + n); break; /* large */
    default: a = mp_memalign(p, 3000, 2048); break;
    }
    if (a == NULL) {
      assert_int_equal(errno, ENOMEM);
      failed++;
      continue;
    }
    memset(a, 0x3c, n);
    if (i % 6 >= 4 && nkeep < 64)
      keep[nkeep++] = a;
    if (i == 100)
      mp_reset_pool(p), nkeep = 0;
  }
  for (int i = 0; i < nkeep; i += 2)
    assert_int_equal(mp_free(p, keep[i]), 0);
  /* Still usable after failures. */
  t->fail_at = -1;
  void *after = mp_alloc(p, 100);
  assert_non_null(after);
  memset(after, 1, 100);
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
  return failed;
}

static void fail_every_call(void **state) {
  (void)state;
  static test_alloc_t t;
  long k = 0;
  for (;; k++) {
    int failed = workload(&t, k);
    if (t.fails == 0) {
      assert_int_equal(failed, 0);
      break; /* the workload needed fewer than k + 1 calls */
    }
    /* A failed call either fails an operation, or was the ownership
     * index's table, whose absence lookups survive by walking the lists. */
    assert_true(failed >= 1 || t.live_blocks == 0);
  }
  assert_true(k > 10);
}

/* The same on the newer paths: a budgeted parent with a child, and a
 * buffer pool that overflows to the failing allocator. */
static int workload_budget_buffer(test_alloc_t *t, long k) {
  static unsigned char buf[8192];
  ta_init(t);
  t->fail_at = k;
  int failed = 0;
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 1024;
  o.flags |= MP_POOL_EXACT_NODES;
  o.large_threshold = 0;
  o.allocator = &t->a;
  o.budget = 256 * 1024;
  mp_pool_t *p = mp_create_pool_ex(&o);
  if (p == NULL) {
    assert_int_equal(errno, ENOMEM);
    return 1;
  }
  mp_pool_t *c = mp_create_child(p, 1024);
  mp_options_init(&o);
  o.node_size = 0;
  o.allocator = &t->a;
  o.buffer = buf;
  o.buffer_size = sizeof buf;
  o.flags = MP_POOL_BUFFER_OVERFLOW;
  mp_pool_t *b = mp_create_pool_ex(&o); /* its first node: the buffer */
  assert_non_null(b);
  if (c == NULL) {
    assert_int_equal(errno, ENOMEM);
    failed++;
  }
  for (int i = 0; i < 120; i++) {
    mp_pool_t *q = i % 3 == 0 ? p : i % 3 == 1 ? b : c;
    if (q == NULL)
      continue;
    size_t n = (size_t)(i * 97) % 3000;
    void *a = i % 4 == 0 ? mp_memalign(q, n, 512) : mp_alloc(q, n);
    if (a == NULL) {
      assert_int_equal(errno, ENOMEM);
      failed++;
      continue;
    }
    memset(a, 0x3c, n);
    if (i % 5 == 0)
      assert_int_equal(mp_free(q, a), 0);
  }
  t->fail_at = -1;
  assert_non_null(mp_alloc(b, 100));
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.budget_used, st.bytes_reserved);
  mp_destroy_pool(b);
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
  return failed;
}

static void fail_every_call_budget_buffer(void **state) {
  (void)state;
  static test_alloc_t t;
  long k = 0;
  for (;; k++) {
    int failed = workload_budget_buffer(&t, k);
    if (t.fails == 0) {
      assert_int_equal(failed, 0);
      break;
    }
  }
  assert_true(k > 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fail_every_call),
      cmocka_unit_test(fail_every_call_budget_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
