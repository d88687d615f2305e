/*
 * Helpers shared by the adapter tests: pool statistics and a pool whose
 * backing allocator fails, on top of adapter_work.h (the deterministic
 * generator, the checksum, the documents and the SQL workload).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_ADAPTER_UTIL_H
#define MPOOL_ADAPTER_UTIL_H

#include "../test_util.h"

#include <stdio.h>

/* The generators, the checksum and the workloads (shared with
 * bench/clients/); a failed check there fails the test. */
#define AW_CHECK(c) assert_true(c)
#include "adapter_work.h"

/* A workload size: full, or a sixteenth of it under Valgrind (the
 * valgrind configurations set MPOOL_TEST_UNDER_VALGRIND) and in debug
 * builds (a block per object), where the full documents take minutes. */
static inline size_t test_size(size_t full) {
  int small = getenv("MPOOL_TEST_UNDER_VALGRIND") != NULL ||
              (mpool_build_flags() & MPOOL_BUILD_DEBUG) != 0;
  return small ? full / 16 : full;
}

static inline mp_stats_t pool_stats(const mp_pool_t *pool) {
  mp_stats_t st;
  memset(&st, 0, sizeof st);
  st.size = sizeof st;
  assert_int_equal(mp_stats(pool, &st, 0), 0);
  return st;
}

/* What a fault run's hooks saw: the adapter's NULL returns, and how many
 * objects the library holds (allocated and not yet freed). */
typedef struct {
  long nulls;
  long live;
} hook_count_t;
static hook_count_t hc;

static inline void hc_alloc(const void *r) {
  if (r == NULL)
    hc.nulls++;
  else
    hc.live++;
}
static inline void hc_free(const void *p) { hc.live -= p != NULL; }
/* A realloc of p that returned r. */
static inline void hc_realloc(const void *p, const void *r) {
  if (r == NULL)
    hc.nulls++;
  else if (p == NULL)
    hc.live++;
}

/* A pool with `flags` and small nodes on the test allocator, which fails
 * its alloc call number t->fail_at (0 is the pool's creation). */
static inline mp_pool_t *fault_pool(test_alloc_t *t, unsigned flags,
                                    long fail_at) {
  mp_options_t o;
  ta_init(t);
  mp_options_init(&o);
  o.node_size = 4096;
  o.large_threshold = 0;
  o.allocator = &t->a;
  o.flags = flags;
  mp_pool_t *pool = mp_create_pool_ex(&o);
  assert_non_null(pool);
  t->fail_at = t->calls + fail_at;
  memset(&hc, 0, sizeof hc);
  return pool;
}

/* How a fault run went: the library got NULL (and must report an error),
 * the pool absorbed the failure of one of its own allocations (the run
 * must succeed), or nothing failed (k is past the last call). */
enum fault_kind { FAULT_NONE, FAULT_REPORTED, FAULT_ABSORBED };

static inline enum fault_kind fault_kind(const test_alloc_t *t) {
  if (t->fails == 0)
    return FAULT_NONE;
  return hc.nulls > 0 ? FAULT_REPORTED : FAULT_ABSORBED;
}

/* After a fault run: the library freed every object it allocated; unless
 * the pool absorbed the failure (it then keeps the bytes of an object it
 * could not put on its free lists until reset), the pool's bytes_used is
 * back where it was; and destroying the pool returns every block to the
 * backing allocator. */
static inline void fault_finish(test_alloc_t *t, mp_pool_t *pool,
                                size_t used_before) {
  mp_stats_t st = pool_stats(pool);
  assert_int_equal(hc.live, 0);
  if (fault_kind(t) != FAULT_ABSORBED)
    assert_int_equal(st.bytes_used, used_before);
  assert_int_equal(st.large_blocks, 0);
  mp_destroy_pool(pool);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
  memset(&hc, 0, sizeof hc);
}

/* Per-test tally of fault runs. */
typedef struct {
  int reported, absorbed;
} fault_tally_t;

static inline void fault_report(const char *what, const fault_tally_t *f,
                                long k) {
  print_message("%s: %d runs where the library got NULL and reported it, "
                "%d where the pool absorbed the failure, clean at k=%ld\n",
                what, f->reported, f->absorbed, k);
}

/* Pool rounds: reserved bytes after each round's work, before its reset. */
#define ROUNDS 4

/* Debug builds keep released blocks in a quarantine for a few resets, so
 * their reserved bytes grow for a while: the checks below only print. */
static inline int reserved_grows(void) {
  return (mpool_build_flags() & MPOOL_BUILD_DEBUG) != 0;
}

static inline void check_flat(const char *what, const size_t *reserved,
                              int rounds) {
  for (int i = 0; i < rounds; i++)
    print_message("%s: round %d: %zu bytes reserved\n", what, i, reserved[i]);
  if (reserved_grows())
    return;
  for (int i = 1; i < rounds; i++)
    assert_true(reserved[i] <= reserved[0]);
  for (int i = 2; i < rounds; i++)
    assert_int_equal(reserved[i], reserved[1]);
}

/* For work whose allocation order varies from run to run (threads): the
 * reserved bytes of a round depend on the interleaving, so every round
 * must stay within `pct` percent above the larger of the first two (a
 * pool that kept what a reset should free would climb past it). */
static inline void check_bounded(const char *what, const size_t *reserved,
                                 int rounds, unsigned pct) {
  for (int i = 0; i < rounds; i++)
    print_message("%s: round %d: %zu bytes reserved\n", what, i, reserved[i]);
  if (reserved_grows() || rounds < 2)
    return;
  size_t base = reserved[0] > reserved[1] ? reserved[0] : reserved[1];
  for (int i = 2; i < rounds; i++)
    assert_true(reserved[i] <= base + base / 100 * pct);
}

#endif
