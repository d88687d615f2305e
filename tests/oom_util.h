/*
 * Failure injection shared by the out-of-memory tests: runs a workload once
 * for every k, with the test allocator (test_util.h) failing its k-th call
 * (transient) or every call from the k-th on (persistent), until a run
 * needs no failure; counts the calls of the out-of-memory hook and checks
 * every call that may fail.
 *
 * A workload gets an oom_run_t, makes its set-up (whose allocator calls
 * never fail), calls oom_begin() where the failures start and oom_end()
 * where they stop, and checks the calls in between with OOM_TRY() (no
 * call that returns int fails for want of memory): a failed call must say
 * ENOMEM and have called the hook
 * exactly the expected number of times (once, unless it was a root pool's
 * creation), a call that succeeded must have called it never.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_OOM_UTIL_H
#define MPOOL_OOM_UTIL_H

#include "test_util.h"

#include <stdio.h>

typedef enum {
  OOM_TRANSIENT, /* only the k-th call fails */
  OOM_PERSISTENT /* every call from the k-th on fails */
} oom_mode_t;

/* One run of a workload. */
typedef struct {
  test_alloc_t *t;
  oom_mode_t mode;
  long k;
  void *arg;  /* the workload's own, from oom_every_k() */
  int failed; /* checked calls that failed while the allocator did */
  int over;   /* checked calls that failed with no allocator failure (a
               * budget or a buffer said no) */
} oom_run_t;

/* What the out-of-memory hook heard. */
typedef struct {
  long calls;
  mp_pool_t *pool; /* of the last call */
  size_t size;
} oom_log_t;

static oom_log_t oom_log;

static void oom_hook(mp_pool_t *pool, size_t size, void *ud) {
  assert_non_null(pool);
  assert_true(size > 0);
  assert_ptr_equal(ud, &oom_log);
  oom_log.calls++;
  oom_log.pool = pool;
  oom_log.size = size;
}

/* Options of a pool on t with nodes of exactly `node` bytes, a quarter of
 * a node as the large threshold, `flags` and the hook above. */
static inline mp_options_t oom_options(test_alloc_t *t, size_t node,
                                       unsigned flags) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = node;
  o.large_threshold = 0;
  o.allocator = &t->a;
  o.flags = flags | MP_POOL_EXACT_NODES;
  o.on_oom = oom_hook;
  o.oom_ud = &oom_log;
  return o;
}

/* A pool with oom_options(), made while the allocator works. */
static inline mp_pool_t *oom_pool(test_alloc_t *t, size_t node,
                                  unsigned flags) {
  mp_options_t o = oom_options(t, node, flags);
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  return p;
}

/* The failures start: the k-th allocator call from now fails (transient),
 * or every call from it on (persistent). */
static inline void oom_begin(oom_run_t *r) {
  long at = r->t->calls + r->k;
  if (r->mode == OOM_TRANSIENT)
    r->t->fail_at = at;
  else
    r->t->fail_from = at;
}

/* The failures stop: the allocator works again. */
static inline void oom_end(oom_run_t *r) {
  r->t->fail_at = -1;
  r->t->fail_from = -1;
  r->t->fail_all = 0;
}

/* The check behind OOM_TRY(): `fail` says the call failed; h0 and f0 are
 * the hook's and the allocator's failure counts before it; a failure must
 * have called the hook `hooks` times. */
static inline void oom_check_(oom_run_t *r, int fail, long h0, long f0,
                              long hooks, const char *what) {
  long heard = oom_log.calls - h0;
  if (!fail) {
    if (heard != 0)
      fail_msg("k %ld: %s succeeded, yet the hook was called %ld times", r->k,
               what, heard);
    return;
  }
  if (errno != ENOMEM)
    fail_msg("k %ld: %s failed with errno %d, not ENOMEM", r->k, what, errno);
  if (heard != hooks)
    fail_msg("k %ld: %s failed and called the hook %ld times, not %ld", r->k,
             what, heard, hooks);
  if (r->t->fails > f0)
    r->failed++;
  else
    r->over++;
}

/* dst = expr, a call that returns NULL when it fails; `hooks`: the hook
 * calls a failure makes. */
#define OOM_TRY_HOOKS(r, dst, expr, hooks)                                     \
  do {                                                                         \
    long h0_ = oom_log.calls, f0_ = (r)->t->fails;                             \
    errno = 0;                                                                 \
    (dst) = (expr);                                                            \
    oom_check_((r), (dst) == NULL, h0_, f0_, (hooks), #expr);                  \
  } while (0)

#define OOM_TRY(r, dst, expr) OOM_TRY_HOOKS(r, dst, expr, 1L)

/* Whether the tests run under Valgrind (its configurations set
 * MPOOL_TEST_UNDER_VALGRIND), where every run costs some fifty times
 * more. */
static inline int oom_under_valgrind(void) {
  return getenv("MPOOL_TEST_UNDER_VALGRIND") != NULL;
}

/* The k after k: every one, except under Valgrind past the first 64,
 * where the steps grow by a sixteenth (so a workload of thousands of calls
 * still ends in seconds; the last k, which fails nothing, is always
 * reached). */
static inline long oom_next_k(long k) {
  return oom_under_valgrind() && k >= 64 ? k + k / 16 : k + 1;
}

typedef void (*oom_workload_fn)(oom_run_t *r);

typedef struct {
  long runs;     /* runs made, the last one (no failure) included */
  long last_k;   /* the k of the last run: the workload needs fewer calls */
  long failing;  /* runs in which a checked call failed */
  long absorbed; /* runs whose allocator failure no checked call saw */
} oom_result_t;

/* Runs fn with a fresh allocator for k = 0, 1, 2, ... in `mode`, until a
 * run in which no allocator call failed: the workload needed fewer than
 * k + 1 calls after oom_begin().  Every run must give back every block it
 * took.  A run may have failed calls only if the allocator failed. */
static inline oom_result_t oom_every_k(oom_workload_fn fn, void *arg,
                                       oom_mode_t mode) {
  static test_alloc_t t;
  oom_result_t res = {0, 0, 0, 0};
  for (long k = 0;; k = oom_next_k(k)) {
    ta_init(&t);
    memset(&oom_log, 0, sizeof oom_log);
    oom_run_t r = {&t, mode, k, arg, 0, 0};
    fn(&r);
    if (t.live_blocks != 0 || t.live_bytes != 0)
      fail_msg("k %ld (%s): %zu blocks, %zu bytes not given back", k,
               mode == OOM_TRANSIENT ? "transient" : "persistent",
               t.live_blocks, t.live_bytes);
    res.runs++;
    if (t.fails == 0) {
      assert_int_equal(r.failed, 0);
      res.last_k = k;
      break;
    }
    res.failing += r.failed > 0;
    res.absorbed += r.failed == 0;
  }
  return res;
}

/* Runs fn transient and persistent (oom_every_k()), and checks that each
 * mode went past k = min_k: the workload made more allocator calls. */
static inline void oom_every_k_both(oom_workload_fn fn, void *arg, long min_k) {
  assert_true(oom_every_k(fn, arg, OOM_TRANSIENT).last_k > min_k);
  assert_true(oom_every_k(fn, arg, OOM_PERSISTENT).last_k > min_k);
}

#endif
