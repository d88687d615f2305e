/*
 * mp_owns(): node object areas and large-block pointers, in O(1) from the
 * index; the same test mp_free() makes.  Also the alignment padding that
 * mp_stats() reports as bytes_align_waste.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

static void nodes_and_large_blocks(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(4096);
  mp_pool_t *other = mp_create_exact(4096);
  assert_non_null(p);
  assert_non_null(other);
  char *small = mp_alloc(p, 40);
  char *packed = mp_nalloc(p, 7);
  assert_int_equal(mp_owns(p, small), 1);
  assert_int_equal(mp_owns(p, small + 39), 1); /* any byte of the area */
  assert_int_equal(mp_owns(p, packed), 1);
  assert_int_equal(mp_owns(other, small), 0);
  /* Many nodes: all answered. */
  void *last = NULL;
  for (int i = 0; i < 2000; i++)
    last = mp_alloc(p, 200);
  assert_int_equal(mp_owns(p, last), 1);
  assert_int_equal(mp_owns(p, small), 1);
  /* The pool's own struct is not an object. */
  assert_int_equal(mp_owns(p, p), 0);
  /* Large blocks: the pointer, not its interior. */
  char *big = mp_alloc(p, 50000);
  assert_non_null(big);
  assert_int_equal(mp_owns(p, big), 1);
  assert_int_equal(mp_owns(p, big + 16), 0);
  assert_int_equal(mp_owns(other, big), 0);
  /* Foreign memory. */
  int local;
  char *heap = malloc(64);
  assert_int_equal(mp_owns(p, &local), 0);
  assert_int_equal(mp_owns(p, heap), 0);
  free(heap);
  assert_int_equal(mp_owns(p, NULL), 0);
  errno = 0;
  assert_int_equal(mp_owns(NULL, small), -1);
  assert_int_equal(errno, EINVAL);
  /* After a free of a large block, and after a reset. */
  assert_int_equal(mp_free(p, big), 0);
  assert_int_equal(mp_owns(p, big), 0);
  char *big2 = mp_alloc(p, 50000);
  assert_int_equal(mp_owns(p, big2), 1);
  mp_reset_pool(p);
  assert_int_equal(mp_owns(p, big2), 0);
  if (!(mpool_build_flags() & MPOOL_BUILD_DEBUG)) /* objects are blocks */
    assert_int_equal(mp_owns(p, small), 1);       /* the node is kept */
  mp_destroy_pool(other);
  mp_destroy_pool(p);
}

/* A child's memory is the child's, not its parent's. */
static void children_are_separate(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_pool_t *c = mp_create_child(p, 0);
  void *q = mp_alloc(c, 10);
  assert_int_equal(mp_owns(c, q), 1);
  assert_int_equal(mp_owns(p, q), 0);
  mp_destroy_pool(p);
}

/* mp_free() rejects what mp_owns() rejects. */
static void free_agrees(void **state) {
  (void)state;
  SKIP_IF_HARDENED();
  mp_pool_t *p = mp_create_pool(0);
  char *big = mp_alloc(p, 60000);
  int x;
  errno = 0;
  assert_int_equal(mp_free(p, &x), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_free(p, big + 32), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_free(p, p), -1); /* the pool struct, in a node */
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mp_free(p, big), 0);
  mp_destroy_pool(p);
}

static void shared_forwards(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_SHARED);
  void *q = mp_alloc(p, 10);
  void *big = mp_alloc(p, 100000);
  assert_int_equal(mp_owns(p, q), 1);
  assert_int_equal(mp_owns(p, big), 1);
  int x;
  assert_int_equal(mp_owns(p, &x), 0);
  mp_destroy_pool(p);
}

/* Padding skipped to align objects in a node is reported. */
static void align_waste_counted(void **state) {
  (void)state;
  SKIP_UNLESS_EXACT_LAYOUT();
  mp_pool_t *p = mp_create_pool(0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_align_waste, 0);
  char *a = mp_alloc(p, 16);
  char *b = mp_memalign(p, 256, 256); /* in the node, after padding */
  assert_true(is_aligned(b, 256));
  assert_int_equal(mp_owns(p, b), 1);
  size_t pad = (size_t)(b - (a + 16));
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_align_waste, pad);
  /* Already aligned: nothing more. */
  char *c = mp_memalign(p, 256, 256);
  assert_ptr_equal(c, b + 256);
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_align_waste, pad);
  /* Summed over children; kept across a reset (since creation). */
  mp_pool_t *ch = mp_create_child(p, 0);
  (void)mp_alloc(ch, 16);
  char *d = mp_memalign(ch, 8, 1024);
  assert_non_null(d);
  mp_stats_t one = {.size = sizeof one};
  assert_int_equal(mp_stats(ch, &one, 0), 0);
  assert_true(one.bytes_align_waste > 0);
  assert_int_equal(mp_stats(p, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.bytes_align_waste, pad + one.bytes_align_waste);
  mp_reset_pool(p);
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_align_waste, pad);
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(nodes_and_large_blocks),
      cmocka_unit_test(children_are_separate),
      cmocka_unit_test(free_agrees),
      cmocka_unit_test(shared_forwards),
      cmocka_unit_test(align_waste_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
