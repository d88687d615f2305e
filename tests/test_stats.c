/*
 * Statistics and reports (src/stats.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <stdio.h>

static mp_stats_t stats_of(const mp_pool_t *p, int flags) {
  mp_stats_t st;
  memset(&st, 0xff, sizeof st);
  st.size = sizeof st;
  assert_int_equal(mp_stats(p, &st, flags), 0);
  assert_int_equal(st.size, sizeof st);
  return st;
}

/* bytes_reserved matches what the backing allocator holds, and the peak
 * what it held at most. */
static void reserved_matches_allocator(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  assert_non_null(p);
  mp_stats_t st = stats_of(p, 0);
  assert_int_equal(st.nodes, 1);
  assert_int_equal(st.node_bytes, 1024);
  assert_int_equal(st.bytes_reserved, t.live_bytes);
  assert_int_equal(st.peak_reserved, t.live_bytes);
  assert_int_equal(st.large_blocks, 0);
  assert_int_equal(st.children, 0);

  size_t peak = 0;
  void *large[40];
  for (int i = 0; i < 40; i++) {
    assert_non_null(mp_alloc(p, 100));
    large[i] = mp_alloc(p, 1000 + (size_t)i);
    assert_non_null(large[i]);
    if (t.live_bytes > peak)
      peak = t.live_bytes;
    st = stats_of(p, 0);
    assert_int_equal(st.bytes_reserved, t.live_bytes);
  }
  assert_int_equal(st.large_blocks, 40);
  assert_int_equal(st.large_bytes, 40 * 1000 + 39 * 40 / 2);
  assert_true(st.large_reserved > st.large_bytes);
  assert_true(st.nodes > 1);
  assert_int_equal(st.node_bytes, st.nodes * 1024);
  /* Nothing has asked about a pointer yet: no index table (hardened
   * builds keep one from the start). */
  if (!(mpool_build_flags() & MPOOL_BUILD_HARDENED))
    assert_int_equal(st.bytes_reserved, st.node_bytes + st.large_reserved);
  for (int i = 0; i < 40; i += 2)
    assert_int_equal(mp_free(p, large[i]), 0);
  st = stats_of(p, 0);
  /* mp_free built the index, which outgrew the pool struct. */
  assert_true(st.bytes_reserved > st.node_bytes + st.large_reserved);
  assert_int_equal(st.large_blocks, 20);
  assert_int_equal(st.bytes_reserved, t.live_bytes);
  assert_true(st.peak_reserved >= peak);
  mp_reset_pool(p);
  st = stats_of(p, 0);
  assert_int_equal(st.large_blocks, 0);
  assert_int_equal(st.large_bytes, 0);
  assert_int_equal(st.bytes_reserved, t.live_bytes);
  assert_true(st.peak_reserved >= peak);
  mp_destroy_pool(p);
}

/* bytes_used counts what was handed out, with padding, across nodes. */
static void bytes_used_walks_nodes(void **state) {
  (void)state;
  SKIP_UNLESS_EXACT_LAYOUT();
  mp_pool_t *p = mp_create_exact(1024);
  assert_non_null(p);
  size_t base = stats_of(p, 0).bytes_used;
  assert_int_equal(base, 0);
  assert_non_null(mp_alloc(p, 1)); /* a granule */
  assert_int_equal(stats_of(p, 0).bytes_used, 16);
  assert_non_null(mp_nalloc(p, 3)); /* packed */
  assert_int_equal(stats_of(p, 0).bytes_used, 19);
  assert_non_null(mp_memalign(p, 16, 64)); /* padding counts */
  size_t used = stats_of(p, 0).bytes_used;
  assert_true(used >= 19 + 16 && used <= 19 + 16 + 48);
  /* Fill several nodes with 100 granules of 16 bytes each. */
  mp_reset_pool(p);
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_alloc(p, 16));
  mp_stats_t st = stats_of(p, 0);
  assert_int_equal(st.bytes_used, 1600);
  assert_true(st.nodes >= 2);
  /* A reset keeps the nodes and uses none of them. */
  mp_reset_pool(p);
  mp_stats_t after = stats_of(p, 0);
  assert_int_equal(after.bytes_used, 0);
  assert_int_equal(after.nodes, st.nodes);
  /* Reusing only the first node after a reset counts only that one. */
  assert_non_null(mp_alloc(p, 32));
  assert_int_equal(stats_of(p, 0).bytes_used, 32);
  mp_destroy_pool(p);
}

static void children_summed(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  mp_pool_t *a = mp_create_child(root, 1024);
  mp_pool_t *b = mp_create_child(root, 2048);
  assert_non_null(a);
  assert_non_null(b);
  mp_pool_t *a1 = mp_create_child(a, 4096);
  assert_non_null(a1);
  assert_non_null(mp_alloc(a1, 100000));
  assert_non_null(mp_alloc(b, 32));
  assert_non_null(mp_cleanup_add(a, free, NULL));
  mp_stats_t one = stats_of(root, 0);
  assert_int_equal(one.children, 2);
  assert_int_equal(one.nodes, 1);
  assert_int_equal(one.large_blocks, 0);
  mp_stats_t all = stats_of(root, MP_STATS_CHILDREN);
  assert_int_equal(all.children, 3);
  assert_int_equal(all.nodes, 4);
  /* mp_create_child() raises node sizes as mp_create_pool() does */
  assert_int_equal(all.node_bytes, 4 * MP_DEFAULT_NODE_SIZE);
  assert_int_equal(all.large_blocks, 1);
  assert_int_equal(all.large_bytes, 100000);
  assert_int_equal(all.cleanups, 1);
  mp_stats_t sa = stats_of(a, MP_STATS_CHILDREN);
  mp_stats_t sb = stats_of(b, MP_STATS_CHILDREN);
  assert_int_equal(all.bytes_reserved,
                   one.bytes_reserved + sa.bytes_reserved + sb.bytes_reserved);
  assert_int_equal(all.bytes_used,
                   one.bytes_used + sa.bytes_used + sb.bytes_used);
  assert_int_equal(sb.children, 0);
  assert_int_equal(stats_of(a1, MP_STATS_CHILDREN).children, 0);
  mp_destroy_pool(root);
}

/* The size field versions the struct. */
static void size_field(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  /* An older, smaller struct: only its fields are written. */
  struct {
    mp_stats_t st;
    size_t guard;
  } small;
  memset(&small, 0xab, sizeof small);
  small.st.size = MP_STATS_MIN_SIZE;
  assert_int_equal(mp_stats(p, &small.st, 0), 0);
  assert_int_equal(small.st.size, MP_STATS_MIN_SIZE);
  assert_int_equal(small.st.nodes, 1);
  /* A newer, larger struct: the unknown tail is zeroed, size says what
   * was filled in. */
  struct {
    mp_stats_t st;
    size_t future[3];
  } big;
  memset(&big, 0xab, sizeof big);
  big.st.size = sizeof big;
  assert_int_equal(mp_stats(p, &big.st, 0), 0);
  assert_int_equal(big.st.size, sizeof(mp_stats_t));
  assert_int_equal(big.future[0], 0);
  assert_int_equal(big.future[2], 0);
  /* Errors. */
  mp_stats_t st = {.size = MP_STATS_MIN_SIZE - 1};
  errno = 0;
  assert_int_equal(mp_stats(p, &st, 0), -1);
  assert_int_equal(errno, EINVAL);
  st.size = sizeof st;
  errno = 0;
  assert_int_equal(mp_stats(p, &st, 2), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_stats(NULL, &st, 0), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_stats(p, NULL, 0), -1);
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

static void report_prints_tree(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  mp_pool_t *a = mp_create_child(root, 0);
  assert_non_null(a);
  assert_non_null(mp_create_child(a, 0));
  assert_non_null(mp_create_child(root, 0));
  assert_non_null(mp_alloc(a, 100000));
  char buf[4096];
  FILE *f = fmemopen(buf, sizeof buf, "w");
  assert_non_null(f);
  assert_int_equal(mp_report(root, f), 0);
  fclose(f);
  /* Four lines; children indented by depth (then, in debug builds, the
   * live objects by call site). */
  int lines = 0, depth2 = 0;
  for (char *l = buf; *l; l = strchr(l, '\n') + 1) {
    if (strncmp(l, "live objects by call site:", 26) == 0)
      break;
    lines++;
    assert_non_null(strstr(l, "pool 0x"));
    if (strncmp(l, "    pool", 8) == 0)
      depth2++;
  }
  assert_int_equal(lines, 4);
  assert_int_equal(depth2, 1);
  assert_int_equal(strncmp(buf, "pool ", 5), 0);
  assert_non_null(strstr(buf, "1 large (100000 bytes)"));
  assert_non_null(strstr(buf, "2 children"));
  /* Errors. */
  errno = 0;
  assert_int_equal(mp_report(NULL, stdout), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_report(root, NULL), -1);
  assert_int_equal(errno, EINVAL);
  /* A stream that fails. */
  f = fopen("/dev/full", "w");
  if (f != NULL) {
    setvbuf(f, NULL, _IONBF, 0);
    errno = 0;
    assert_int_equal(mp_report(root, f), -1);
    assert_int_not_equal(errno, 0);
    fclose(f);
  }
  mp_destroy_pool(root);
}

/* Bytes requested are counted in pools that ask for it, and only there. */
static void bytes_requested_counted_on_request(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_COUNT_REQUESTS);
  assert_non_null(mp_alloc(p, 10));
  assert_non_null(mp_calloc(p, 20));
  assert_non_null(mp_nalloc(p, 3));
  assert_non_null(mp_memalign(p, 7, 64));
  char *big = mp_alloc(p, 100000);
  assert_non_null(big);
  char *s = mp_strdup(p, "four");
  assert_non_null(s);
  void *r = mp_alloc(p, 40);
  r = mp_realloc(p, r, 40, 80); /* counts its new size once */
  assert_non_null(r);
  mp_stats_t st = stats_of(p, 0);
  assert_int_equal(st.bytes_requested, 10 + 20 + 3 + 7 + 100000 + 5 + 40 + 80);
  errno = 0;
  volatile size_t huge = SIZE_MAX; /* hidden from the compiler's checks */
  assert_null(mp_alloc(p, huge));  /* a failed call counts nothing */
  st = stats_of(p, 0);
  assert_int_equal(st.bytes_requested, 10 + 20 + 3 + 7 + 100000 + 5 + 40 + 80);
  mp_reset_pool(p);
  st = stats_of(p, 0);
  assert_int_equal(st.bytes_requested, 0);
  mp_destroy_pool(p);

  p = mp_create_pool(0); /* not counting: the fast path stays as it is */
  assert_non_null(mp_alloc(p, 10));
  st = stats_of(p, 0);
  assert_int_equal(st.bytes_requested, 0);
  mp_destroy_pool(p);
}

/* A call that fails for want of memory counts nothing either. */
static void failed_requests_are_not_counted(void **state) {
  (void)state;
  test_alloc_t ta;
  ta_init(&ta);
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_COUNT_REQUESTS | MP_POOL_EXACT_NODES;
  o.node_size = 4096;
  o.allocator = &ta.a;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  assert_non_null(mp_alloc(p, 10));
  ta.fail_all = 1; /* no node and no large block can be had now */
  assert_null(mp_alloc(p, 100000));
  assert_null(mp_memalign(p, 100000, 64));
  assert_null(mp_nalloc(p, 100000));
  while (mp_alloc(p, 256) != NULL) /* fill the node, then fail */
    ;
  mp_stats_t st = stats_of(p, 0);
  size_t ok = st.bytes_requested;
  assert_true(ok >= 10 && (ok - 10) % 256 == 0);
  assert_null(mp_alloc(p, 256));
  assert_null(mp_nalloc(p, 300));
  assert_null(mp_calloc(p, 300));
  st = stats_of(p, 0);
  assert_int_equal(st.bytes_requested, ok);
  ta.fail_all = 0;
  assert_non_null(mp_alloc(p, 256));
  st = stats_of(p, 0);
  assert_int_equal(st.bytes_requested, ok + 256);
  mp_destroy_pool(p);
  assert_int_equal(ta.live_bytes, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reserved_matches_allocator),
      cmocka_unit_test(bytes_used_walks_nodes),
      cmocka_unit_test(children_summed),
      cmocka_unit_test(size_field),
      cmocka_unit_test(report_prints_tree),
      cmocka_unit_test(bytes_requested_counted_on_request),
      cmocka_unit_test(failed_requests_are_not_counted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
