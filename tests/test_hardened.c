/*
 * Hardened builds (MPOOL_HARDENED): each deliberate bug must abort the
 * process with SIGABRT and one line on stderr naming the mpool function
 * and the pointer.  The bugs run in forked children; the pools are set up
 * before the fork, so the parent knows the addresses the line must name.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_fork.h"
#include "test_util.h"

#include <stdio.h>

struct bug {
  mp_pool_t *pool;
  unsigned char *p;
  unsigned char *q;
};

/* Runs fn in a child and expects SIGABRT with `line` as its stderr. */
static void expect_abort(void (*fn)(void *), struct bug *b, const char *line) {
  child_result_t r;
  assert_int_equal(run_child(fn, b, &r), 0);
  if (!child_aborted(&r) || strcmp(r.err, line) != 0)
    fail_msg("expected SIGABRT and \"%s\"; status %d, stderr \"%s\"", line,
             r.status, r.err);
}

static void free_sized_twice(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 64);
}

static void double_free_sized_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  b.p = mp_alloc(b.pool, 64);
  b.q = mp_alloc(b.pool, 64); /* keeps p off the bump pointer */
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0);
  char line[200];
  snprintf(line, sizeof line, "mpool: mp_free_sized: double free of %p (pool %p)\n",
           (void *)b.p, (void *)b.pool);
  expect_abort(free_sized_twice, &b, line);
  /* Freed again inside a larger merged chunk: the same. */
  assert_int_equal(mp_free_sized(b.pool, b.q, 64), 0);
  expect_abort(free_sized_twice, &b, line);
  mp_destroy_pool(b.pool);
}

static void double_free_into_bump_space_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  b.p = mp_alloc(b.pool, 64); /* the newest: freed back to the bump pointer */
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0);
  char line[200];
  snprintf(line, sizeof line, "mpool: mp_free_sized: double free of %p (pool %p)\n",
           (void *)b.p, (void *)b.pool);
  expect_abort(free_sized_twice, &b, line);
  mp_destroy_pool(b.pool);
}

static void free_sized_foreign(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 4);
}

static void foreign_free_sized_aborts(void **state) {
  (void)state;
  struct bug b;
  int local;
  b.pool = mp_create_pool(0);
  b.p = (unsigned char *)&local;
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free_sized: free of a pointer the pool does not own: %p "
           "(pool %p)\n",
           (void *)b.p, (void *)b.pool);
  expect_abort(free_sized_foreign, &b, line);
  mp_destroy_pool(b.pool);
}

static void free_large(void *arg) {
  struct bug *b = arg;
  (void)mp_free(b->pool, b->p);
}

static void double_free_large_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(4096);
  b.p = mp_alloc(b.pool, 10000);
  assert_int_equal(mp_free(b.pool, b.p), 0);
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free: free of a pointer the pool does not own: %p "
           "(pool %p)\n",
           (void *)b.p, (void *)b.pool);
  expect_abort(free_large, &b, line);
  mp_destroy_pool(b.pool);
}

static void corrupt_link_then_free(void *arg) {
  struct bug *b = arg;
  memset(b->p, 0x41, 16); /* a write after free over the list links */
  (void)mp_free_sized(b->pool, b->q, 64); /* merges with p's chunk */
}

static void corrupted_free_list_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  b.p = mp_alloc(b.pool, 64);
  b.q = mp_alloc(b.pool, 64);
  assert_non_null(mp_alloc(b.pool, 64)); /* keeps q off the bump pointer */
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0);
  char line[200];
  snprintf(line, sizeof line,
           "mpool: free list: corrupted links in free chunk %p (pool %p)\n",
           (void *)b.p, (void *)b.pool);
  expect_abort(corrupt_link_then_free, &b, line);
  mp_destroy_pool(b.pool);
}

static void corrupt_node_then_free(void *arg) {
  struct bug *b = arg;
  memset(b->q, 0x5a, 64); /* the node header */
  (void)mp_free_sized(b->pool, b->p, 32);
}

static void corrupted_node_header_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(1024);
  /* Fill the first node so that p lands in a second one. */
  unsigned char *first = mp_alloc(b.pool, 32);
  do
    b.p = mp_alloc(b.pool, 32);
  while (((uintptr_t)b.p ^ (uintptr_t)first) < 1024);
  b.q = (unsigned char *)((uintptr_t)b.p & ~(uintptr_t)1023);
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free_sized: corrupted node header at %p (pool %p)\n",
           (void *)b.q, (void *)b.pool);
  expect_abort(corrupt_node_then_free, &b, line);
  mp_destroy_pool(b.pool);
}

static void corrupt_large_then_free(void *arg) {
  struct bug *b = arg;
  memset(b->p - 32, 0x5a, 32); /* the end of the large-block header */
  (void)mp_free(b->pool, b->p);
}

static void corrupted_large_header_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(4096);
  b.p = mp_alloc(b.pool, 10000);
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free: corrupted large block header of %p (pool %p)\n",
           (void *)b.p, (void *)b.pool);
  expect_abort(corrupt_large_then_free, &b, line);
  mp_destroy_pool(b.pool);
}

/* Correct frees of every kind still work. */
static void good_frees_pass(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(1024);
  void *v[200];
  for (int i = 0; i < 200; i++)
    v[i] = mp_alloc(p, (size_t)(i % 9) * 20 + 1);
  for (int i = 0; i < 200; i += 3)
    assert_int_equal(mp_free_sized(p, v[i], (size_t)(i % 9) * 20 + 1), 0);
  for (int i = 1; i < 200; i += 3)
    assert_int_equal(mp_free_sized(p, v[i], (size_t)(i % 9) * 20 + 1), 0);
  char *s = mp_nalloc(p, 5);
  char *t = mp_nalloc(p, 7);
  assert_int_equal(mp_free_sized(p, s, 5), 0);
  assert_int_equal(mp_free_sized(p, t, 7), 0);
  void *l = mp_alloc(p, 5000);
  assert_int_equal(mp_free(p, l), 0);
  mp_destroy_pool(p);
}

int main(void) {
  assert_true(mpool_build_flags() & MPOOL_BUILD_HARDENED);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(double_free_sized_aborts),
      cmocka_unit_test(double_free_into_bump_space_aborts),
      cmocka_unit_test(foreign_free_sized_aborts),
      cmocka_unit_test(double_free_large_aborts),
      cmocka_unit_test(corrupted_free_list_aborts),
      cmocka_unit_test(corrupted_node_header_aborts),
      cmocka_unit_test(corrupted_large_header_aborts),
      cmocka_unit_test(good_frees_pass),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
