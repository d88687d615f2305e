/*
 * Failure injection: fail the backing allocator's k-th call (or every call
 * from the k-th on), for every k until the workload completes.  Every call
 * must fail cleanly (NULL and ENOMEM, the out-of-memory hook called once),
 * the pool must stay usable, and nothing may leak.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "oom_util.h"

/* Runs a workload on a pool whose allocator fails from the start (the
 * pool's creation included). */
static void workload(oom_run_t *r) {
  test_alloc_t *t = r->t;
  mp_options_t o = oom_options(t, 1024, 0);
  mp_pool_t *p;
  oom_begin(r);
  OOM_TRY_HOOKS(r, p, mp_create_pool_ex(&o), 0L); /* a root: no hook */
  if (p == NULL)
    return;
  void *keep[64];
  int nkeep = 0;
  for (int i = 0; i < 200; i++) {
    size_t n = (size_t)(i * 53) % 900;
    void *a;
    switch (i % 6) {
    case 0:
      OOM_TRY(r, a, mp_alloc(p, n));
      break;
    case 1:
      OOM_TRY(r, a, mp_nalloc(p, n));
      break;
    case 2:
      OOM_TRY(r, a, mp_calloc(p, n));
      break;
    case 3:
      OOM_TRY(r, a, mp_memalign(p, n, 128));
      break;
    case 4:
      OOM_TRY(r, a, mp_alloc(p, 2000 + n));
      break; /* large */
    default:
      OOM_TRY(r, a, mp_memalign(p, 3000, 2048));
      break;
    }
    if (a == NULL)
      continue;
    memset(a, 0x3c, n);
    if (i % 6 >= 4 && nkeep < 64)
      keep[nkeep++] = a;
    if (i == 100)
      mp_reset_pool(p), nkeep = 0;
  }
  for (int i = 0; i < nkeep; i += 2)
    assert_int_equal(mp_free(p, keep[i]), 0);
  /* Still usable after failures. */
  oom_end(r);
  void *after = mp_alloc(p, 100);
  assert_non_null(after);
  memset(after, 1, 100);
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
}

static void fail_every_call(void **state) {
  (void)state;
  oom_every_k_both(workload, NULL, 10);
}

/* The same on the newer paths: a budgeted parent with a child, and a
 * buffer pool that overflows to the failing allocator. */
static void workload_budget_buffer(oom_run_t *r) {
  static unsigned char buf[8192];
  test_alloc_t *t = r->t;
  mp_options_t o = oom_options(t, 1024, 0);
  o.budget = 256 * 1024;
  mp_pool_t *p, *c = NULL, *b;
  oom_begin(r);
  OOM_TRY_HOOKS(r, p, mp_create_pool_ex(&o), 0L);
  if (p == NULL)
    return;
  OOM_TRY(r, c, mp_create_child(p, 1024));
  o = oom_options(t, 0, MP_POOL_BUFFER_OVERFLOW);
  mp_options_t d;
  mp_options_init(&d);
  o.large_threshold = d.large_threshold; /* lowered to what fits a node */
  o.buffer = buf;
  o.buffer_size = sizeof buf;
  OOM_TRY_HOOKS(r, b, mp_create_pool_ex(&o), 0L);
  assert_non_null(b); /* its first node: the buffer */
  for (int i = 0; i < 120; i++) {
    mp_pool_t *q = i % 3 == 0 ? p : i % 3 == 1 ? b : c;
    if (q == NULL)
      continue;
    size_t n = (size_t)(i * 97) % 3000;
    void *a;
    if (i % 4 == 0)
      OOM_TRY(r, a, mp_memalign(q, n, 512));
    else
      OOM_TRY(r, a, mp_alloc(q, n));
    if (a == NULL)
      continue;
    memset(a, 0x3c, n);
    if (i % 5 == 0)
      assert_int_equal(mp_free(q, a), 0);
  }
  oom_end(r);
  assert_non_null(mp_alloc(b, 100));
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.budget_used, st.bytes_reserved);
  mp_destroy_pool(b);
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
}

static void fail_every_call_budget_buffer(void **state) {
  (void)state;
  oom_every_k_both(workload_budget_buffer, NULL, 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fail_every_call),
      cmocka_unit_test(fail_every_call_budget_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
