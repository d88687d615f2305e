/*
 * Adaptive sizing (src/adapt.c, MP_POOL_ADAPTIVE).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

/* The node size these pools are created with and grow from. */
#define START ((size_t)16384)

static mp_stats_t stats_of(const mp_pool_t *p) {
  mp_stats_t st;
  memset(&st, 0xff, sizeof st);
  st.size = sizeof st;
  assert_int_equal(mp_stats(p, &st, 0), 0);
  return st;
}

static mp_pool_t *adaptive(test_alloc_t *t, size_t node, unsigned flags) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = node;
  o.flags = (MP_POOL_ADAPTIVE | flags) | MP_POOL_EXACT_NODES;
  o.allocator = t != NULL ? &t->a : NULL;
  return mp_create_pool_ex(&o);
}

/* One request: 40 objects of 500..900 bytes (about 28 KiB, more than a
 * 16 KiB node holds), each filled and checked.  Returns the node count the
 * cycle ended with. */
static size_t request(mp_pool_t *p, unsigned seed) {
  unsigned char *obj[40];
  size_t len[40];
  for (int i = 0; i < 40; i++) {
    len[i] = 500 + (size_t)((seed * 7919u + (unsigned)i * 104729u) % 400u);
    obj[i] = mp_alloc(p, len[i]);
    assert_non_null(obj[i]);
    assert_true(is_aligned(obj[i], alignof(max_align_t)));
    memset(obj[i], (int)(i + 1), len[i]);
  }
  for (int i = 0; i < 40; i++)
    for (size_t k = 0; k < len[i]; k++)
      assert_int_equal(obj[i][k], (unsigned char)(i + 1));
  return stats_of(p).nodes;
}

/* A steady workload runs in one node after warm-up, and every block given
 * back to the caller's allocator has the size it was taken with. */
static void steady_workload_runs_in_one_node(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* objects are blocks there, not in nodes */
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = adaptive(&t, START, 0);
  assert_non_null(p);
  mp_stats_t st = stats_of(p);
  assert_int_equal(st.node_size, START);
  assert_int_equal(st.high_water, 0);
  assert_true(request(p, 0) > 1); /* the first cycle needs two nodes */
  for (unsigned c = 1; c < 4; c++) {
    mp_reset_pool(p);
    (void)request(p, c);
  }
  for (unsigned c = 4; c < 20; c++) {
    mp_reset_pool(p);
    assert_int_equal(request(p, c), 1);
    st = stats_of(p);
    assert_int_equal(st.nodes, 1);
    assert_true(st.node_size > START);
    assert_true(st.node_size <= 64 * 1024);
    assert_true(st.high_water >= 20 * 1024);
    assert_int_equal(st.large_blocks, 0);
    assert_int_equal(st.bytes_reserved, t.live_bytes);
  }
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
  assert_int_equal(t.live_bytes, 0);
}

/* One huge cycle grows the pool; steady small cycles bring it back down
 * within a bounded number of resets. */
static void huge_cycle_is_forgotten(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* objects are blocks there, not in nodes */
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = adaptive(&t, START, 0);
  assert_non_null(p);
  (void)request(p, 0);
  mp_reset_pool(p);
  /* Half a megabyte of small objects, and a 4 MiB one. */
  for (int i = 0; i < 1024; i++)
    assert_non_null(mp_alloc(p, 512));
  unsigned char *huge = mp_alloc(p, (size_t)4 << 20);
  assert_non_null(huge);
  memset(huge, 1, (size_t)4 << 20);
  mp_reset_pool(p);
  mp_stats_t st = stats_of(p);
  assert_int_equal(st.node_size, (size_t)1 << 20);
  assert_true(st.high_water >= ((size_t)4 << 20));
  size_t big = st.bytes_reserved;
  int resets = 1;
  for (; resets < 40; resets++) {
    (void)request(p, (unsigned)resets);
    mp_reset_pool(p);
    st = stats_of(p);
    if (st.node_size <= 64 * 1024 && st.nodes == 1)
      break;
  }
  assert_true(resets <= 24); /* 4 MiB to 32 KiB: 3/4 per reset */
  assert_true(st.bytes_reserved < big / 8);
  assert_int_equal(request(p, 99), 1);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Without the flag nothing changes, and the stats say so. */
static void plain_pool_keeps_its_size(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* objects are blocks there, not in nodes */
  mp_pool_t *p = mp_create_exact(4096);
  assert_non_null(p);
  for (int c = 0; c < 5; c++) {
    for (int i = 0; i < 40; i++)
      assert_non_null(mp_alloc(p, 700));
    mp_reset_pool(p);
  }
  mp_stats_t st = stats_of(p);
  assert_int_equal(st.node_size, 4096);
  assert_int_equal(st.high_water, 0);
  assert_true(st.nodes > 1);
  mp_destroy_pool(p);
}

/* The large threshold follows the node size unless the caller set one. */
static void threshold_follows_node_size(void **state) {
  (void)state;
  mp_pool_t *p = adaptive(NULL, START, 0);
  assert_non_null(p);
  for (int c = 0; c < 4; c++) {
    for (int i = 0; i < 16; i++)
      assert_non_null(mp_alloc(p, 6000)); /* large in a 16 KiB node */
    mp_reset_pool(p);
  }
  assert_true(stats_of(p).node_size >= 128 * 1024);
  assert_non_null(mp_alloc(p, 6000));
  assert_int_equal(stats_of(p).large_blocks, 0);
  mp_destroy_pool(p);

  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_ADAPTIVE;
  o.large_threshold = 1000;
  p = mp_create_pool_ex(&o);
  assert_non_null(p);
  for (int c = 0; c < 4; c++) {
    for (int i = 0; i < 60; i++)
      assert_non_null(mp_alloc(p, 900));
    mp_reset_pool(p);
  }
  assert_true(stats_of(p).node_size > START);
  assert_non_null(mp_alloc(p, 2000));
  assert_int_equal(stats_of(p).large_blocks, 1);
  mp_destroy_pool(p);
}

/* Frees, size headers, marks, children and cleanups keep working across
 * resets that change the node size. */
static int cleanups_run;
static void count_cleanup(void *data) {
  (void)data;
  cleanups_run++;
}

static void features_across_resizes(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = adaptive(&t, 1024, MP_POOL_SIZE_HEADERS);
  assert_non_null(p);
  cleanups_run = 0;
  size_t sizes_seen = 0, last = 0;
  for (unsigned c = 0; c < 12; c++) {
    size_t n = c < 6 ? 100 + 40 * c : 20;
    unsigned char *obj[400];
    for (size_t i = 0; i < n; i++) {
      obj[i] = mp_alloc(p, 64 + i % 200);
      assert_non_null(obj[i]);
      memset(obj[i], (int)(i & 0xff), 64 + i % 200);
    }
    for (size_t i = 0; i < n; i += 3)
      assert_int_equal(mp_free(p, obj[i]), 0); /* size headers */
    mp_mark_t *m = mp_mark(p);
    assert_non_null(m);
    for (int i = 0; i < 50; i++)
      assert_non_null(mp_alloc(p, 300));
    assert_int_equal(mp_rewind(p, m), 0);
    mp_pool_t *child = mp_create_child(p, 0);
    assert_non_null(child);
    assert_non_null(mp_alloc(child, 5000));
    assert_non_null(mp_cleanup_add(p, count_cleanup, NULL));
    for (size_t i = 1; i < n; i += 3)
      for (size_t k = 0; k < 64 + i % 200; k++)
        assert_int_equal(obj[i][k], (unsigned char)(i & 0xff));
    assert_int_equal(mp_free(p, obj[1]), 0);
    mp_reset_pool(p);
    size_t ns = stats_of(p).node_size;
    if (ns != last)
      sizes_seen++;
    last = ns;
    assert_int_equal(stats_of(p).bytes_reserved, t.live_bytes);
  }
  assert_true(sizes_seen >= 3); /* it grew, and shrank back */
  assert_int_equal(cleanups_run, 12);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* A shared adaptive pool resizes under its lock. */
static void shared_adaptive_pool(void **state) {
  (void)state;
  mp_pool_t *p = adaptive(NULL, START, MP_POOL_SHARED);
  assert_non_null(p);
  for (unsigned c = 0; c < 5; c++) {
    (void)request(p, c);
    mp_reset_pool(p);
  }
  mp_stats_t st = stats_of(p);
  assert_true(st.node_size > START);
  assert_int_equal(request(p, 7), 1);
  mp_destroy_pool(p);
}

/* A failing allocator at a resizing reset leaves the pool as it was. */
static void resize_without_memory(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = adaptive(&t, START, 0);
  assert_non_null(p);
  (void)request(p, 0);
  t.fail_all = 1;
  mp_reset_pool(p);
  t.fail_all = 0;
  mp_stats_t st = stats_of(p);
  assert_int_equal(st.node_size, START);
  assert_true(st.high_water > START);
  assert_int_equal(st.bytes_reserved, t.live_bytes);
  (void)request(p, 1);
  mp_reset_pool(p); /* now it can */
  assert_true(stats_of(p).node_size > START);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(steady_workload_runs_in_one_node),
      cmocka_unit_test(huge_cycle_is_forgotten),
      cmocka_unit_test(plain_pool_keeps_its_size),
      cmocka_unit_test(threshold_follows_node_size),
      cmocka_unit_test(features_across_resizes),
      cmocka_unit_test(shared_adaptive_pool),
      cmocka_unit_test(resize_without_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
