/*
 * Pools: creation options, reset and destroy (src/pool.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

static void create_sizes(void **state) {
  (void)state;
  size_t sizes[] = {0, 1, 100, 1023, 1024, 4096, 5000, 65536, MP_MAX_NODE_SIZE};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    mp_pool_t *p = mp_create_pool(sizes[i]);
    assert_non_null(p);
    void *a = mp_alloc(p, 64);
    assert_non_null(a);
    memset(a, 1, 64);
    mp_destroy_pool(p);
  }
}

/* Defect 8: tiny and zero sizes are defined: zero is the default node size,
 * tiny ones are raised to MP_MIN_NODE_SIZE.  Both still serve requests
 * larger than a node (as large blocks). */
static void create_tiny_and_zero(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1);
  assert_non_null(p);
  assert_int_equal(t.blocks[0].size, MP_MIN_NODE_SIZE);
  void *big = mp_alloc(p, 10000);
  assert_non_null(big);
  memset(big, 0x5a, 10000);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);

  ta_init(&t);
  p = ta_pool(&t, 0);
  assert_non_null(p);
  assert_int_equal(t.blocks[0].size, MP_DEFAULT_NODE_SIZE);
  mp_destroy_pool(p);

  ta_init(&t);
  p = ta_pool(&t, 5000); /* rounded up to a power of two */
  assert_non_null(p);
  assert_int_equal(t.blocks[0].size, 8192);
  mp_destroy_pool(p);
}

static void create_too_big(void **state) {
  (void)state;
  errno = 0;
  assert_null(mp_create_pool(MP_MAX_NODE_SIZE + 1));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_create_pool(SIZE_MAX));
  assert_int_equal(errno, EINVAL);
}

static void options_defaults(void **state) {
  (void)state;
  mp_options_t o;
  mp_options_init(&o);
  assert_int_equal(o.node_size, MP_DEFAULT_NODE_SIZE);
  assert_int_equal(o.alignment, alignof(max_align_t));
  assert_null(o.allocator);
  mp_options_init(NULL); /* ignored */
  mp_pool_t *p = mp_create_pool_ex(NULL);
  assert_non_null(p);
  mp_destroy_pool(p);
  mp_options_t zero = {0};
  p = mp_create_pool_ex(&zero);
  assert_non_null(p);
  mp_destroy_pool(p);
}

/* Creation keeps a few sets of settled options: each set, created again
 * and again (more sets than are kept), gives pools with its own settings,
 * and an invalid set still fails every time. */
static void options_kept_apart(void **state) {
  (void)state;
  enum { SETS = 7 };
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < SETS; i++) {
      mp_options_t o;
      mp_options_init(&o);
      o.node_size = (size_t)4096 << (i % 3);
      o.budget = (size_t)(i + 1) << 20;
      o.flags = (i % 2 ? MP_POOL_COUNT_REQUESTS : 0) | MP_POOL_EXACT_NODES;
      mp_pool_t *p = mp_create_pool_ex(&o);
      assert_non_null(p);
      mp_stats_t st = {.size = sizeof st};
      assert_int_equal(mp_stats(p, &st, 0), 0);
      assert_int_equal(st.node_size, o.node_size);
      assert_int_equal(st.budget, o.budget);
      assert_int_equal(st.budget_used, st.bytes_reserved);
      assert_non_null(mp_alloc(p, 100));
      assert_int_equal(mp_stats(p, &st, 0), 0);
      assert_int_equal(st.bytes_requested, i % 2 ? 100u : 0u);
      mp_destroy_pool(p);
      o.alignment = 3; /* not a power of two */
      errno = 0;
      assert_null(mp_create_pool_ex(&o));
      assert_int_equal(errno, EINVAL);
    }
}

static void options_alignment(void **state) {
  (void)state;
  mp_options_t o;
  size_t bad[] = {3, 6, 24, 100, MP_DEFAULT_NODE_SIZE / 4};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mp_options_init(&o);
    o.alignment = bad[i];
    errno = 0;
    assert_null(mp_create_pool_ex(&o));
    assert_int_equal(errno, EINVAL);
  }
  size_t good[] = {1, 2, 8, 16, 32, 64, 256, 2048};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    mp_options_init(&o);
    o.alignment = good[i];
    mp_pool_t *p = mp_create_pool_ex(&o);
    assert_non_null(p);
    size_t want =
        good[i] < alignof(max_align_t) ? alignof(max_align_t) : good[i];
    for (size_t n = 0; n < 300; n++) {
      void *a = mp_alloc(p, n % 97);
      assert_non_null(a);
      assert_true(is_aligned(a, want));
      a = mp_calloc(p, n % 13 + 1);
      assert_true(is_aligned(a, want));
    }
    mp_destroy_pool(p);
  }
}

static void options_bad_allocator(void **state) {
  (void)state;
  mp_allocator_t a = {NULL, NULL, NULL};
  mp_options_t o;
  mp_options_init(&o);
  o.allocator = &a;
  errno = 0;
  assert_null(mp_create_pool_ex(&o));
  assert_int_equal(errno, EINVAL);
}

/* Every byte comes from the backing allocator and goes back to it. */
static void backing_allocator_gets_everything(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  assert_non_null(p);
  for (int i = 0; i < 1000; i++)
    assert_non_null(mp_alloc(p, (size_t)(i % 300)));
  for (int i = 0; i < 50; i++)
    assert_non_null(mp_alloc(p, 5000));
  assert_true(t.live_blocks > 50);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
  assert_int_equal(t.live_bytes, 0);
}

/* Defect 3: after a reset every node is used again, first to last, so an
 * identical second cycle asks the allocator for nothing. */
static void reset_reuses_nodes(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  for (int i = 0; i < 500; i++)
    assert_non_null(mp_alloc(p, 200));
  long calls = t.calls;
  size_t blocks = t.live_blocks;
  assert_true(blocks > 20);
  for (int cycle = 0; cycle < 5; cycle++) {
    mp_reset_pool(p);
    for (int i = 0; i < 500; i++)
      assert_non_null(mp_alloc(p, 200));
    assert_int_equal(t.calls, calls);
    assert_int_equal(t.live_blocks, blocks);
  }
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* After a reset the first allocation reuses the first node's memory. */
static void reset_rewinds(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  mp_pool_t *p = mp_create_exact(4096);
  void *a = mp_alloc(p, 32);
  for (int i = 0; i < 100; i++)
    (void)mp_alloc(p, 100);
  mp_reset_pool(p);
  void *b = mp_alloc(p, 32);
  assert_ptr_equal(a, b);
  mp_destroy_pool(p);
}

static void reset_releases_large(void **state) {
  (void)state;
  SKIP_IF_QUARANTINE();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  size_t base = t.live_blocks;
  for (int i = 0; i < 6; i++)
    assert_non_null(mp_alloc(p, 8192));
  assert_int_equal(t.live_blocks, base + 6);
  mp_reset_pool(p);
  assert_int_equal(t.live_blocks, base);
  mp_destroy_pool(p);
}

static void null_pool(void **state) {
  (void)state;
  mp_reset_pool(NULL);
  mp_destroy_pool(NULL);
  mp_destory_pool(NULL);
}

static void destory_alias(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  (void)mp_alloc(p, 10000);
  mp_destory_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

static void version(void **state) {
  (void)state;
  assert_int_equal(mpool_version(), MPOOL_VERSION);
  assert_int_equal(MPOOL_VERSION, MPOOL_VERSION_MAJOR * 10000 +
                                      MPOOL_VERSION_MINOR * 100 +
                                      MPOOL_VERSION_PATCH);
}

static void count_cleanup(void *data) { ++*(int *)data; }

static size_t front_bytes(void) {
  mpool_cache_stats_t cs = {.size = sizeof cs};
  assert_int_equal(mpool_cache_stats(&cs), 0);
  return cs.front_bytes;
}

/* Destroying a pool gives every block it reserved (nodes, the first
 * included, and large blocks) back to the block cache, whether it holds
 * nothing else (destroyed in short) or also children, cleanups and free
 * lists (the general steps). */
static void destroy_gives_every_block_back(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  for (int kind = 0; kind < 2; kind++) {
    mpool_cache_flush();
    mp_pool_t *p = mp_create_pool(0);
    assert_non_null(p);
    for (size_t i = 0; i < 3 * MP_DEFAULT_NODE_SIZE / 200; i++)
      assert_non_null(mp_alloc(p, 200)); /* about three nodes */
    assert_non_null(mp_alloc(p, MP_DEFAULT_NODE_SIZE / 3)); /* large */
    assert_non_null(mp_alloc(p, 60000));
    int ran = 0;
    if (kind == 1) {
      assert_non_null(mp_create_child(p, 0));
      assert_non_null(mp_cleanup_add(p, count_cleanup, &ran));
      assert_int_equal(mp_free_sized(p, mp_alloc(p, 64), 64), 0);
    }
    mp_stats_t st = {.size = sizeof st};
    assert_int_equal(mp_stats(p, &st, 0), 0);
    assert_true(st.nodes >= 3);
    size_t before = front_bytes();
    mp_destroy_pool(p);
    if (kind == 0)
      assert_int_equal(front_bytes() - before, st.bytes_reserved);
    else
      assert_true(front_bytes() - before >= st.node_bytes + st.large_reserved);
    assert_int_equal(ran, kind);
  }
}

static size_t node_size_of(mp_pool_t *p, size_t *large_blocks) {
  mp_stats_t st;
  st.size = sizeof st;
  assert_int_equal(mp_stats(p, &st, 0), 0);
  if (large_blocks != NULL)
    *large_blocks = st.large_blocks;
  return st.node_size;
}

/* The seed's mp_create_pool(4096), and children, take nodes of the
 * default size on the block cache, so a 3000-byte object is no large
 * block; MP_POOL_EXACT_NODES, an allocator of the pool's own and a buffer
 * keep the size given.  With 4 KiB nodes every object of 1-4 KiB took a
 * block of its own, and a request cycle cost twice the default's. */
static void small_node_sizes_are_raised(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* every object is a block of its own */
  size_t large = 0;
  mp_pool_t *p = mp_create_pool(4096);
  assert_non_null(p);
  assert_int_equal(node_size_of(p, NULL), MP_DEFAULT_NODE_SIZE);
  assert_non_null(mp_alloc(p, 3000));
  assert_int_equal(node_size_of(p, &large), MP_DEFAULT_NODE_SIZE);
  assert_int_equal(large, 0);
  mp_pool_t *c = mp_create_child(p, 1024);
  assert_non_null(c);
  assert_int_equal(node_size_of(c, NULL), MP_DEFAULT_NODE_SIZE);
  mp_destroy_pool(p);

  p = mp_create_pool(65536); /* above the default: as given */
  assert_non_null(p);
  assert_int_equal(node_size_of(p, NULL), 65536);
  mp_destroy_pool(p);

  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 4096;
  o.large_threshold = 0;
  o.flags = MP_POOL_EXACT_NODES;
  p = mp_create_pool_ex(&o);
  assert_non_null(p);
  assert_int_equal(node_size_of(p, NULL), 4096);
  assert_non_null(mp_alloc(p, 3000));
  assert_int_equal(node_size_of(p, &large), 4096);
  assert_int_equal(large, 1);
  mp_destroy_pool(p);

  static test_alloc_t ta;
  ta_init(&ta);
  p = ta_pool(&ta, 4096); /* the caller's allocator: exact */
  assert_non_null(p);
  assert_int_equal(node_size_of(p, NULL), 4096);
  mp_destroy_pool(p);
  assert_int_equal(ta.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(create_sizes),
      cmocka_unit_test(small_node_sizes_are_raised),
      cmocka_unit_test(create_tiny_and_zero),
      cmocka_unit_test(create_too_big),
      cmocka_unit_test(options_defaults),
      cmocka_unit_test(options_kept_apart),
      cmocka_unit_test(options_alignment),
      cmocka_unit_test(options_bad_allocator),
      cmocka_unit_test(backing_allocator_gets_everything),
      cmocka_unit_test(reset_reuses_nodes),
      cmocka_unit_test(reset_rewinds),
      cmocka_unit_test(reset_releases_large),
      cmocka_unit_test(destroy_gives_every_block_back),
      cmocka_unit_test(null_pool),
      cmocka_unit_test(destory_alias),
      cmocka_unit_test(version),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
