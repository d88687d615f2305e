/*
 * Large blocks and mp_free (src/large.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <string.h>

static void free_large_returns_block(void **state) {
  (void)state;
  SKIP_IF_QUARANTINE();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  size_t base = t.live_blocks;
  void *l[6]; /* few enough that the index stays inside the pool */
  for (int i = 0; i < 6; i++) {
    l[i] = mp_alloc(p, 5000 + (size_t)i * 1000);
    assert_non_null(l[i]);
    memset(l[i], i, 5000 + (size_t)i * 1000);
  }
  assert_int_equal(t.live_blocks, base + 6);
  /* Free in an order that exercises head, middle and tail of the list. */
  int order[] = {3, 5, 0, 1, 4, 2};
  for (int i = 0; i < 6; i++) {
    assert_int_equal(mp_free(p, l[order[i]]), 0);
    assert_int_equal(t.live_blocks, base + 5 - (size_t)i);
  }
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Defect 6: allocating and freeing large blocks in a loop keeps memory
 * flat: no node is spent on bookkeeping, no record is left behind. */
static void large_loop_is_flat(void **state) {
  (void)state;
  SKIP_IF_QUARANTINE();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  for (int i = 0; i < 100; i++)
    assert_int_equal(mp_free(p, mp_alloc(p, 8192)), 0);
  size_t blocks = t.live_blocks, bytes = t.live_bytes;
  for (int i = 0; i < 100000; i++) {
    void *a = mp_alloc(p, 8192 + (size_t)(i % 5) * 100);
    assert_non_null(a);
    void *b = mp_memalign(p, 9000, 4096);
    assert_non_null(b);
    assert_int_equal(mp_free(p, a), 0);
    assert_int_equal(mp_free(p, b), 0);
  }
  assert_int_equal(t.live_blocks, blocks);
  assert_int_equal(t.live_bytes, bytes);
  mp_destroy_pool(p);
}

/* Defect 6: a pointer the pool does not own is reported, not ignored. */
static void free_foreign(void **state) {
  (void)state;
  SKIP_IF_HARDENED();
  mp_pool_t *p = mp_create_exact(4096);
  mp_pool_t *q = mp_create_exact(4096);
  int on_stack;
  char *heap = malloc(64);
  char *large = mp_alloc(p, 10000);
  char *other_large = mp_alloc(q, 10000);
  char *other_small = mp_alloc(q, 10);
  void *foreign[] = {&on_stack, heap,        large + 16, large + 1,
                     large - 1, other_large, other_small};
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
    errno = 0;
    assert_int_equal(mp_free(p, foreign[i]), -1);
    assert_int_equal(errno, EINVAL);
  }
  /* The pool is intact: its own large block still frees. */
  assert_int_equal(mp_free(p, large), 0);
  /* A second free of the same block is reported too. */
  errno = 0;
  assert_int_equal(mp_free(p, large), -1);
  assert_int_equal(errno, EINVAL);
  free(heap);
  mp_destroy_pool(p);
  mp_destroy_pool(q);
}

static void free_small_is_noop(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(4096);
  char *s = mp_alloc(p, 10);
  memcpy(s, "123456789", 10);
  assert_int_equal(mp_free(p, s), 0);
  assert_int_equal(mp_free(p, mp_nalloc(p, 3)), 0);
  assert_string_equal(s, "123456789");
  mp_destroy_pool(p);
}

static void free_null(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(4096);
  assert_int_equal(mp_free(p, NULL), 0);
  errno = 0;
  assert_int_equal(mp_free(NULL, p), -1);
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

/* Many large blocks alive at once: the ownership index grows. */
static void many_large(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  static void *l[2000];
  for (int i = 0; i < 2000; i++) {
    l[i] = mp_alloc(p, 2000 + (size_t)i);
    assert_non_null(l[i]);
    ((char *)l[i])[0] = (char)i;
  }
  for (int i = 0; i < 2000; i += 2)
    assert_int_equal(mp_free(p, l[i]), 0);
  for (int i = 1; i < 2000; i += 2)
    assert_int_equal(((char *)l[i])[0], (char)i);
  for (int i = 0; i < 2000 && !bad_frees_abort(); i += 2) {
    errno = 0;
    assert_int_equal(mp_free(p, l[i]), -1);
  }
  mp_reset_pool(p);
  if (!bad_frees_abort())
    assert_int_equal(mp_free(p, l[1]), -1);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Large blocks on the default allocator go through the block cache. */
static void large_default_allocator(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  size_t sizes[] = {5000, 20000, 100000, 1 << 20, (1 << 20) + 1, 3 << 20};
  for (int r = 0; r < 3; r++)
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
      unsigned char *a = mp_alloc(p, sizes[i]);
      assert_non_null(a);
      a[0] = 1;
      a[sizes[i] - 1] = 2;
      unsigned char *b = mp_memalign(p, sizes[i], 8192);
      assert_true(is_aligned(b, 8192));
      b[sizes[i] - 1] = 3;
      if (i % 2)
        assert_int_equal(mp_free(p, a), 0);
    }
  mp_destroy_pool(p);
}

static void check_counts(mp_pool_t *p, size_t blocks) {
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.large_blocks, blocks);
  assert_true(st.large_reserved >= st.large_bytes);
  /* Nothing but nodes and large blocks: no free lists, and an index
   * small enough for the slots inside the pool struct. */
  assert_int_equal(st.bytes_reserved, st.node_bytes + st.large_reserved);
}

/* Large blocks are counted, owned, freed and released alike before the
 * pool has an index (the short path of a pool on the block cache) and
 * after (the general one), from a cold cache and a warm one. */
static void large_counts_on_every_path(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  mpool_cache_flush();
  for (int r = 0; r < 3; r++) {
    mp_pool_t *p = mp_create_pool(0);
    assert_non_null(p);
    void *a[6];
    for (int i = 0; i < 6; i++) { /* above the threshold, a quarter node */
      size_t n = MP_DEFAULT_NODE_SIZE / 4 + 100 + (size_t)i * 1500;
      a[i] = mp_alloc(p, n);
      assert_non_null(a[i]);
      memset(a[i], i, n);
      check_counts(p, (size_t)i + 1);
    }
    for (int i = 0; i < 6; i++) /* builds the index */
      assert_int_equal(mp_owns(p, a[i]), 1);
    for (int i = 0; i < 6; i += 2)
      assert_int_equal(mp_free(p, a[i]), 0);
    check_counts(p, 3);
    for (int i = 0; i < 6; i += 2) {
      a[i] = mp_alloc(p, MP_DEFAULT_NODE_SIZE / 2);
      assert_non_null(a[i]);
      assert_int_equal(mp_owns(p, a[i]), 1);
    }
    check_counts(p, 6);
    mp_reset_pool(p);
    check_counts(p, 0);
    for (int i = 0; i < 6; i++)
      assert_int_equal(mp_owns(p, a[i]), 0);
    assert_non_null(mp_alloc(p, MP_DEFAULT_NODE_SIZE / 4 + 1000));
    check_counts(p, 1);
    mp_destroy_pool(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(free_large_returns_block),
      cmocka_unit_test(large_loop_is_flat),
      cmocka_unit_test(free_foreign),
      cmocka_unit_test(free_small_is_noop),
      cmocka_unit_test(free_null),
      cmocka_unit_test(many_large),
      cmocka_unit_test(large_default_allocator),
      cmocka_unit_test(large_counts_on_every_path),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
