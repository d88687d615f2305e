/*
 * Small objects: mp_alloc, mp_nalloc, mp_calloc, mp_calloc_array and
 * mp_memalign served from nodes: the allocation paths of src/alloc.c.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

/* A simple xorshift so runs are repeatable. */
static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

struct obj {
  unsigned char *p;
  size_t n;
  unsigned char tag;
};

/* Every object keeps its own bytes: no two overlap. */
static void check_objs(const struct obj *o, size_t count) {
  for (size_t i = 0; i < count; i++)
    for (size_t j = 0; j < o[i].n; j++)
      assert_int_equal(o[i].p[j], o[i].tag);
}

static void alloc_aligned_no_overlap(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  static struct obj o[3000];
  for (size_t i = 0; i < 3000; i++) {
    size_t n = next_rand() % 700;
    int kind = (int)(next_rand() % 3);
    o[i].p = kind == 0   ? mp_alloc(p, n)
             : kind == 1 ? mp_nalloc(p, n)
                         : mp_calloc(p, n);
    assert_non_null(o[i].p);
    o[i].n = n;
    o[i].tag = (unsigned char)(i * 7 + 1);
    if (kind != 1)
      assert_true(is_aligned(o[i].p, alignof(max_align_t)));
    if (kind == 2)
      for (size_t j = 0; j < n; j++)
        assert_int_equal(o[i].p[j], 0);
    /* Defect 2: nothing is handed out beyond the block it came from. */
    assert_true(ta_contains(&t, o[i].p, n ? n : 1));
    memset(o[i].p, o[i].tag, n);
  }
  check_objs(o, 3000);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

static size_t large_blocks_of(mp_pool_t *p) {
  mp_stats_t st;
  st.size = sizeof st;
  assert_int_equal(mp_stats(p, &st, 0), 0);
  return st.large_blocks;
}

/* mp_alloc() with a size the compiler knows takes the header's
 * constant-size path; with one it does not, the window's compare, then
 * the library's refill of the window when it runs out inside a node.
 * Mixed, they hand out aligned, disjoint memory from the pool's blocks,
 * and a constant size above the threshold is still a large block. */
static void inline_paths_agree(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  static struct obj o[4000];
  for (size_t i = 0; i < 4000; i++) {
    size_t n;
    switch (i % 4) {
    case 0:
      o[i].p = mp_alloc(p, 48);
      n = 48;
      break;
    case 1:
      o[i].p = mp_alloc(p, 16);
      n = 16;
      break;
    case 2:
      o[i].p = mp_alloc(p, 1);
      n = 1;
      break;
    default:
      n = 1 + next_rand() % 300;
      o[i].p = mp_alloc(p, n);
      break;
    }
    assert_non_null(o[i].p);
    assert_true(is_aligned(o[i].p, alignof(max_align_t)));
    assert_true(ta_contains(&t, o[i].p, n));
    o[i].n = n;
    o[i].tag = (unsigned char)(i * 5 + 3);
    memset(o[i].p, o[i].tag, n);
  }
  check_objs(o, 4000);
  assert_int_equal(large_blocks_of(p), 0);
  void *big = mp_alloc(p, 3000); /* above a 4 KiB node's threshold */
  assert_non_null(big);
  assert_int_equal(large_blocks_of(p), 1);
  assert_int_equal(mp_free(p, big), 0);
  assert_int_equal(large_blocks_of(p), 0);
  check_objs(o, 4000);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Defect 2, directly: fill a node with unaligned bytes so that its free
 * space ends off the alignment, then ask for aligned memory. */
static void aligned_after_unaligned_tail(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  for (size_t fill = 1; fill < 40; fill++) {
    for (int i = 0; i < 200; i++) {
      unsigned char *a = mp_nalloc(p, fill);
      assert_true(ta_contains(&t, a, fill));
      memset(a, 1, fill);
      unsigned char *b = mp_alloc(p, 24);
      assert_true(ta_contains(&t, b, 24));
      assert_true(is_aligned(b, 16));
      memset(b, 2, 24);
    }
    mp_reset_pool(p);
  }
  mp_destroy_pool(p);
}

/* Defect 7: small objects are packed at alignof(max_align_t), not 32. */
static void default_alignment_packs(void **state) {
  (void)state;
  SKIP_UNLESS_EXACT_LAYOUT();
  mp_pool_t *p = mp_create_exact(4096);
  unsigned char *a = mp_alloc(p, 8);
  unsigned char *b = mp_alloc(p, 8);
  assert_int_equal((size_t)(b - a),
                   alignof(max_align_t) < 16 ? 16 : alignof(max_align_t));
  mp_destroy_pool(p);
}

static void nalloc_packs(void **state) {
  (void)state;
  SKIP_UNLESS_EXACT_LAYOUT();
  mp_pool_t *p = mp_create_exact(4096);
  unsigned char *a = mp_nalloc(p, 3);
  unsigned char *b = mp_nalloc(p, 5);
  /* Adjacent, in one direction or the other. */
  assert_true(b + 5 == a || a + 3 == b);
  mp_destroy_pool(p);
}

static void zero_size_unique(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  void *seen[64];
  for (int i = 0; i < 64; i++) {
    seen[i] = i % 3 == 0   ? mp_alloc(p, 0)
              : i % 3 == 1 ? mp_nalloc(p, 0)
                           : mp_calloc(p, 0);
    assert_non_null(seen[i]);
    for (int j = 0; j < i; j++)
      assert_ptr_not_equal(seen[i], seen[j]);
  }
  mp_destroy_pool(p);
}

static void huge_sizes(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  size_t sizes[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX / 2 + 1,
                    MP_MAX_ALLOC_SIZE + 1};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    errno = 0;
    assert_null(mp_alloc(p, sizes[i]));
    assert_int_equal(errno, EOVERFLOW);
    errno = 0;
    assert_null(mp_nalloc(p, sizes[i]));
    assert_int_equal(errno, EOVERFLOW);
    errno = 0;
    assert_null(mp_calloc(p, sizes[i]));
    assert_int_equal(errno, EOVERFLOW);
    errno = 0;
    assert_null(mp_memalign(p, sizes[i], 64));
    assert_int_equal(errno, EOVERFLOW);
  }
  /* Still usable afterwards. */
  void *a = mp_alloc(p, 100);
  assert_non_null(a);
  memset(a, 3, 100);
  mp_destroy_pool(p);
}

static void calloc_array(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  unsigned *a = mp_calloc_array(p, 100, sizeof *a);
  assert_non_null(a);
  for (int i = 0; i < 100; i++)
    assert_int_equal(a[i], 0);
  /* volatile: keep the compiler from rejecting the products itself */
  volatile size_t big = SIZE_MAX / 2, four = 4;
  volatile size_t n33 = (size_t)1 << 33, n31 = (size_t)1 << 31;
  errno = 0;
  assert_null(mp_calloc_array(p, big, four));
  assert_int_equal(errno, EOVERFLOW);
  errno = 0;
  assert_null(mp_calloc_array(p, n33, n31));
  assert_int_equal(errno, EOVERFLOW);
  assert_non_null(mp_calloc_array(p, 0, 16));
  assert_non_null(mp_calloc_array(p, 16, 0));
  errno = 0;
  assert_null(mp_calloc_array(NULL, 1, 1));
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

/* calloc zeroes memory that was dirty before a reset. */
static void calloc_after_reset(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(4096);
  for (int i = 0; i < 50; i++)
    memset(mp_alloc(p, 100), 0xAA, 100);
  mp_reset_pool(p);
  for (int i = 0; i < 50; i++) {
    unsigned char *c = mp_calloc(p, 100);
    for (int j = 0; j < 100; j++)
      assert_int_equal(c[j], 0);
  }
  mp_destroy_pool(p);
}

static void memalign_powers(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  for (size_t a = sizeof(void *); a <= ((size_t)1 << 20); a <<= 1) {
    for (size_t n = 0; n < 3000; n += 701) {
      unsigned char *m = mp_memalign(p, n, a);
      assert_non_null(m);
      assert_true(is_aligned(m, a));
      assert_true(ta_contains(&t, m, n ? n : 1));
      memset(m, 0x11, n);
    }
  }
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Defect 5: alignments that are not powers of two, or below
 * sizeof(void *), or above the largest node, are refused. */
static void memalign_bad_alignment(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  size_t bad[] = {0,        1,
                  2,        3,
                  5,        6,
                  12,       24,
                  48,       100,
                  4095,     MP_MAX_NODE_SIZE * 2,
                  SIZE_MAX, (SIZE_MAX >> 1) + 1};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (bad[i] >= sizeof(void *) && (bad[i] & (bad[i] - 1)) == 0 &&
        bad[i] <= MP_MAX_NODE_SIZE)
      continue;
    errno = 0;
    assert_null(mp_memalign(p, 16, bad[i]));
    assert_int_equal(errno, EINVAL);
  }
  errno = 0;
  assert_null(mp_memalign(NULL, 16, 16));
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

/* Small aligned requests come from nodes: no allocator call per object. */
static void memalign_small_from_node(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 65536);
  long calls = t.calls;
  for (int i = 0; i < 20; i++) {
    void *m = mp_memalign(p, 40, 64);
    assert_true(is_aligned(m, 64));
  }
  assert_int_equal(t.calls, calls);
  mp_destroy_pool(p);
}

static void null_pool(void **state) {
  (void)state;
  errno = 0;
  assert_null(mp_alloc(NULL, 1));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_nalloc(NULL, 1));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_calloc(NULL, 1));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_alloc(NULL, 0));
  assert_int_equal(errno, EINVAL);
}

/* Requests near the threshold and near the node size. */
static void threshold_edges(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 4096;
  o.flags |= MP_POOL_EXACT_NODES;
  o.large_threshold = 1000;
  o.allocator = &t.a;
  mp_pool_t *p = mp_create_pool_ex(&o);
  for (size_t n = 990; n < 1010; n++) {
    unsigned char *a = mp_alloc(p, n);
    assert_true(ta_contains(&t, a, n));
    memset(a, 7, n);
    assert_int_equal(mp_free(p, a), 0);
  }
  mp_destroy_pool(p);
  /* A threshold larger than a node is lowered to what fits. */
  o.large_threshold = 1 << 20;
  p = mp_create_pool_ex(&o);
  for (size_t n = 3900; n < 4200; n += 7) {
    unsigned char *a = mp_alloc(p, n);
    assert_true(ta_contains(&t, a, n));
    memset(a, 7, n);
  }
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(alloc_aligned_no_overlap),
      cmocka_unit_test(aligned_after_unaligned_tail),
      cmocka_unit_test(default_alignment_packs),
      cmocka_unit_test(nalloc_packs),
      cmocka_unit_test(zero_size_unique),
      cmocka_unit_test(huge_sizes),
      cmocka_unit_test(calloc_array),
      cmocka_unit_test(calloc_after_reset),
      cmocka_unit_test(memalign_powers),
      cmocka_unit_test(memalign_bad_alignment),
      cmocka_unit_test(memalign_small_from_node),
      cmocka_unit_test(null_pool),
      cmocka_unit_test(inline_paths_agree),
      cmocka_unit_test(threshold_edges),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
