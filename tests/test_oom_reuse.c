/*
 * Failure injection for the reuse paths: mp_free_sized(), mp_realloc(),
 * mp_realloc_unsized(), object pools and pools with size headers.  Fails
 * the backing allocator's k-th call for every k until the workload
 * completes.  Every call must fail cleanly (NULL, or -1, with ENOMEM and
 * one call of the out-of-memory hook, and the object given to a failing
 * realloc left intact), the pool must stay usable and account for what it
 * holds, and nothing may leak.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "oom_util.h"

#define NOBJ 48

typedef struct {
  unsigned char *p;
  size_t size;
  unsigned char fill;
} obj_t;

static void check_obj(const obj_t *o) {
  for (size_t i = 0; i < o->size; i++)
    assert_int_equal(o->p[i], o->fill);
}

/* Runs the workload on a pool whose allocator fails from the start (the
 * pool's creation included); r->arg points to the pool's flags. */
static void workload(oom_run_t *r) {
  test_alloc_t *t = r->t;
  unsigned flags = *(const unsigned *)r->arg;
  mp_options_t o = oom_options(t, 1024, flags);
  mp_options_t d;
  mp_options_init(&d);
  o.large_threshold = d.large_threshold; /* lowered to what fits a node */
  mp_pool_t *p;
  oom_begin(r);
  OOM_TRY_HOOKS(r, p, mp_create_pool_ex(&o), 0L); /* a root: no hook */
  if (p == NULL)
    return;
  obj_t objs[NOBJ] = {{0}};
  mp_objpool_t *op = NULL;
  void *taken[8] = {0};
  for (int i = 0; i < 240; i++) {
    obj_t *ob = &objs[(i * 7) % NOBJ];
    size_t n = (size_t)(i * 37) % 700 + (i % 9 == 0 ? 1500 : 0);
    if (ob->p != NULL) {
      check_obj(ob);
      switch (i % 4) {
      case 0: { /* grow or shrink */
        unsigned char *q;
        if ((flags & MP_POOL_SIZE_HEADERS) && i % 8 == 0)
          OOM_TRY(r, q, mp_realloc_unsized(p, ob->p, n));
        else
          OOM_TRY(r, q, mp_realloc(p, ob->p, ob->size, n));
        if (q == NULL) {
          assert_true(n > ob->size); /* shrinking never fails */
          check_obj(ob);             /* left intact */
          continue;
        }
        for (size_t j = 0; j < (n < ob->size ? n : ob->size); j++)
          assert_int_equal(q[j], ob->fill);
        ob->p = q;
        ob->size = n;
        memset(q, ob->fill, n);
        continue;
      }
      case 1:
        if (flags & MP_POOL_SIZE_HEADERS)
          assert_int_equal(mp_free(p, ob->p), 0);
        else
          assert_int_equal(mp_free_sized(p, ob->p, ob->size), 0);
        ob->p = NULL;
        continue;
      default:
        assert_int_equal(mp_free_sized(p, ob->p, ob->size), 0);
        ob->p = NULL;
        continue;
      }
    }
    unsigned char *q;
    switch (i % 5) {
    case 0:
      OOM_TRY(r, q, mp_alloc(p, n));
      break;
    case 1:
      OOM_TRY(r, q, mp_nalloc(p, n));
      break;
    case 2:
      OOM_TRY(r, q, mp_calloc_array(p, n, 1));
      break;
    case 3:
      OOM_TRY(r, q, mp_memalign(p, n, 64));
      break;
    default:
      OOM_TRY(r, q, mp_realloc(p, NULL, 0, n));
      break;
    }
    if (q != NULL) {
      ob->p = q;
      ob->size = n;
      ob->fill = (unsigned char)(i + 1);
      memset(q, ob->fill, n);
    }
    /* Object pool: create once, then take and give back. */
    if (op == NULL) {
      OOM_TRY(r, op, mp_objpool_create(p, 40, (i & 1) ? 64 : 0));
    } else if (taken[i % 8] == NULL) {
      OOM_TRY(r, taken[i % 8], mp_objpool_get(op));
      if (taken[i % 8] != NULL)
        memset(taken[i % 8], 0x5a, 40);
    } else {
      assert_int_equal(mp_objpool_put(op, taken[i % 8]), 0);
      taken[i % 8] = NULL;
    }
    if (i == 120) { /* a reset in the middle forgets everything */
      mp_reset_pool(p);
      memset(objs, 0, sizeof objs);
      memset(taken, 0, sizeof taken);
      op = NULL;
    }
  }
  /* Still usable after failures, and every byte accounted for. */
  oom_end(r);
  for (int i = 0; i < NOBJ; i++)
    if (objs[i].p != NULL)
      check_obj(&objs[i]);
  void *after = mp_alloc(p, 3000);
  assert_non_null(after);
  memset(after, 1, 3000);
  after = mp_realloc(p, after, 3000, 5000);
  assert_non_null(after);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_reserved, t->live_bytes);
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
}

static void run(unsigned flags) {
  oom_result_t res = oom_every_k(workload, &flags, OOM_TRANSIENT);
  /* A failure either made a call fail, or was absorbed: a shrinking
   * mp_realloc() of a large block that cannot move to a node keeps the
   * block instead (shrinking never fails). */
  assert_true(res.last_k > 20);
  assert_true(res.absorbed < res.last_k / 2);
}

static void fail_every_call_sized(void **state) {
  (void)state;
  run(0);
}

static void fail_every_call_headers(void **state) {
  (void)state;
  run(MP_POOL_SIZE_HEADERS);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fail_every_call_sized),
      cmocka_unit_test(fail_every_call_headers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
