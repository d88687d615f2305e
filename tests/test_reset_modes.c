/*
 * Reset modes and resetting or destroying children only (src/reset.c):
 * mp_reset_pool_mode(), mp_reset_children(), mp_destroy_children().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#define NODE ((size_t)4096)

static mp_stats_t stats_of(const mp_pool_t *p, int flags) {
  mp_stats_t st;
  memset(&st, 0xff, sizeof st);
  st.size = sizeof st;
  assert_int_equal(mp_stats(p, &st, flags), 0);
  return st;
}

static mp_pool_t *pool_on(test_alloc_t *t, unsigned flags, size_t budget) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = NODE;
  o.large_threshold = 0;
  o.allocator = t != NULL ? &t->a : NULL;
  o.flags = flags | MP_POOL_EXACT_NODES;
  o.budget = budget;
  return mp_create_pool_ex(&o);
}

/* Fills a pool over many nodes, with large blocks, freed objects (the free
 * lists) and ownership questions (the index). */
static void fill(mp_pool_t *p) {
  void *keep[64];
  for (int i = 0; i < 64; i++) {
    keep[i] = mp_alloc(p, 400);
    assert_non_null(keep[i]);
    memset(keep[i], i, 400);
  }
  for (int i = 0; i < 40; i++)
    assert_non_null(mp_alloc(p, 3 * NODE)); /* large blocks */
  for (int i = 1; i < 64; i += 2)
    assert_int_equal(mp_free_sized(p, keep[i], 400), 0);
  assert_int_equal(mp_owns(p, keep[0]), 1);
}

static int runs;
static void count_run(void *data) {
  (void)data;
  runs++;
}

/* MP_RESET_RETAIN is mp_reset_pool(): twin pools end up alike. */
static void retain_is_reset_pool(void **state) {
  (void)state;
  test_alloc_t t1, t2;
  ta_init(&t1);
  ta_init(&t2);
  mp_pool_t *a = pool_on(&t1, 0, 0), *b = pool_on(&t2, 0, 0);
  assert_non_null(a);
  assert_non_null(b);
  fill(a);
  fill(b);
  mp_reset_pool(a);
  assert_int_equal(mp_reset_pool_mode(b, MP_RESET_RETAIN, 0), 0);
  mp_stats_t sa = stats_of(a, 0), sb = stats_of(b, 0);
  assert_int_equal(sa.nodes, sb.nodes);
  assert_int_equal(sa.bytes_reserved, sb.bytes_reserved);
  assert_int_equal(sa.epoch, sb.epoch);
  assert_int_equal(t1.live_bytes, t2.live_bytes);
  if (!(mpool_build_flags() & MPOOL_BUILD_DEBUG))
    assert_true(sb.nodes > 4); /* every node kept */
  mp_destroy_pool(a);
  mp_destroy_pool(b);
  assert_int_equal(t1.live_blocks + t2.live_blocks, 0);
}

/* MP_RESET_FREE_ALL leaves what a fresh pool holds, and the pool works on
 * as before. */
static void free_all_is_like_fresh(void **state) {
  (void)state;
  SKIP_IF_QUARANTINE();
  test_alloc_t tf, t;
  ta_init(&tf);
  ta_init(&t);
  mp_pool_t *fresh = pool_on(&tf, 0, 0);
  mp_pool_t *p = pool_on(&t, 0, 0);
  assert_non_null(fresh);
  assert_non_null(p);
  mp_stats_t f = stats_of(fresh, 0);
  for (int cycle = 0; cycle < 3; cycle++) {
    fill(p);
    assert_true(stats_of(p, 0).bytes_reserved > 40 * NODE);
    assert_int_equal(mp_reset_pool_mode(p, MP_RESET_FREE_ALL, 0), 0);
    mp_stats_t s = stats_of(p, 0);
    assert_int_equal(s.nodes, 1);
    assert_int_equal(s.bytes_reserved, f.bytes_reserved);
    assert_int_equal(s.large_blocks, 0);
    assert_int_equal(s.bytes_used, f.bytes_used);
    assert_int_equal(t.live_bytes, tf.live_bytes);
    assert_int_equal(t.live_blocks, tf.live_blocks);
    assert_int_equal(s.epoch, (uint64_t)cycle + 1);
  }
  mp_destroy_pool(p);
  mp_destroy_pool(fresh);
  assert_int_equal(t.live_blocks, 0);
}

/* MP_RESET_RETAIN_LIMIT keeps at most the limit, nodes first in order;
 * the first node always; limit 0 is MP_RESET_FREE_ALL. */
static void limit_keeps_at_most_limit(void **state) {
  (void)state;
  SKIP_IF_QUARANTINE();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = pool_on(&t, 0, 0);
  assert_non_null(p);
  size_t fresh = stats_of(p, 0).bytes_reserved;
  size_t limits[] = {fresh + 5 * NODE + 100, fresh + 2 * NODE, fresh, 1, 0};
  for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
    fill(p);
    size_t before = stats_of(p, 0).nodes;
    assert_int_equal(mp_reset_pool_mode(p, MP_RESET_RETAIN_LIMIT, limits[i]),
                     0);
    mp_stats_t s = stats_of(p, 0);
    size_t want = limits[i] >= fresh ? limits[i] : fresh;
    assert_true(s.bytes_reserved <= want);
    assert_int_equal(s.bytes_reserved, t.live_bytes);
    assert_true(s.nodes >= 1 && s.nodes <= before);
    if (limits[i] >= fresh) /* whole nodes up to the limit are kept */
      assert_true(s.bytes_reserved + NODE > limits[i]);
    if (limits[i] <= fresh)
      assert_int_equal(s.nodes, 1);
    /* The nodes kept are used again first, and the pool is sound. */
    void *q = mp_alloc(p, 100);
    assert_non_null(q);
    assert_int_equal(mp_owns(p, q), 1);
  }
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Bad input: EINVAL, and the pool is left as it was. */
static void bad_input(void **state) {
  (void)state;
  errno = 0;
  assert_int_equal(mp_reset_pool_mode(NULL, MP_RESET_FREE_ALL, 0), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_reset_children(NULL), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_destroy_children(NULL), -1);
  assert_int_equal(errno, EINVAL);

  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  char *s = mp_strdup(p, "kept");
  assert_non_null(s);
  runs = 0;
  assert_non_null(mp_cleanup_add(p, count_run, NULL));
  mp_reset_mode_t bad[] = {(mp_reset_mode_t)3, (mp_reset_mode_t)-1,
                           (mp_reset_mode_t)100};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    errno = 0;
    assert_int_equal(mp_reset_pool_mode(p, bad[i], 0), -1);
    assert_int_equal(errno, EINVAL);
  }
  /* A limit with a mode that takes none. */
  errno = 0;
  assert_int_equal(mp_reset_pool_mode(p, MP_RESET_RETAIN, 1), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_reset_pool_mode(p, MP_RESET_FREE_ALL, 4096), -1);
  assert_int_equal(errno, EINVAL);
  assert_string_equal(s, "kept");
  assert_int_equal(runs, 0);
  assert_int_equal(stats_of(p, 0).epoch, 0);
  /* No children: both calls succeed and change nothing. */
  assert_int_equal(mp_reset_children(p), 0);
  assert_int_equal(mp_destroy_children(p), 0);
  assert_string_equal(s, "kept");
  assert_int_equal(runs, 0);
  mp_destroy_pool(p);
  assert_int_equal(runs, 1);
}

/* From a pool's own cleanup, the calls leave it alone and return 0. */
static mp_pool_t *g_self;
static void reset_self_again(void *data) {
  (void)data;
  runs++;
  assert_int_equal(mp_reset_pool_mode(g_self, MP_RESET_FREE_ALL, 0), 0);
  assert_int_equal(mp_reset_children(g_self), 0);
  assert_int_equal(mp_destroy_children(g_self), 0);
}

static void reset_mode_from_own_cleanup(void **state) {
  (void)state;
  g_self = mp_create_pool(0);
  assert_non_null(g_self);
  runs = 0;
  assert_non_null(mp_cleanup_add(g_self, reset_self_again, NULL));
  assert_int_equal(mp_reset_pool_mode(g_self, MP_RESET_FREE_ALL, 0), 0);
  assert_int_equal(runs, 1);
  assert_int_equal(stats_of(g_self, 0).epoch, 1);
  assert_non_null(mp_cleanup_add(g_self, reset_self_again, NULL));
  mp_destroy_pool(g_self);
  assert_int_equal(runs, 2);
}

/* Every mode destroys the children first and runs the cleanups. */
static void modes_destroy_children(void **state) {
  (void)state;
  mp_reset_mode_t modes[] = {MP_RESET_RETAIN, MP_RESET_FREE_ALL,
                             MP_RESET_RETAIN_LIMIT};
  for (size_t i = 0; i < 3; i++) {
    mp_pool_t *p = mp_create_pool(0);
    assert_non_null(p);
    mp_pool_t *c = mp_create_child(p, 0);
    assert_non_null(c);
    assert_non_null(mp_create_child(c, 0));
    runs = 0;
    assert_non_null(mp_cleanup_add(c, count_run, NULL));
    assert_non_null(mp_cleanup_add(p, count_run, NULL));
    assert_non_null(mp_mark(p));
    assert_int_equal(mp_reset_pool_mode(p, modes[i], i == 2 ? 65536 : 0), 0);
    assert_int_equal(runs, 2);
    mp_stats_t s = stats_of(p, MP_STATS_CHILDREN);
    assert_int_equal(s.children, 0);
    assert_int_equal(s.cleanups, 0);
    mp_destroy_pool(p);
    assert_int_equal(runs, 2);
  }
}

/* Released bytes go back to every budget above the pool. */
static void budgets_follow(void **state) {
  (void)state;
  SKIP_IF_QUARANTINE();
  mp_pool_t *root = pool_on(NULL, 0, 2 << 20);
  assert_non_null(root);
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = NODE;
  o.flags = MP_POOL_EXACT_NODES;
  o.parent = root;
  o.budget = 1 << 20;
  mp_pool_t *c = mp_create_pool_ex(&o);
  assert_non_null(c);
  size_t fresh_c = stats_of(c, 0).bytes_reserved;
  fill(c);
  size_t full = stats_of(root, 0).budget_used;
  assert_int_equal(mp_reset_pool_mode(c, MP_RESET_FREE_ALL, 0), 0);
  mp_stats_t sc = stats_of(c, 0), sr = stats_of(root, 0);
  assert_int_equal(sc.bytes_reserved, fresh_c);
  assert_int_equal(sc.budget_used, sc.bytes_reserved);
  assert_int_equal(sr.budget_used, sr.bytes_reserved + sc.bytes_reserved);
  assert_true(sr.budget_used < full);
  /* mp_destroy_children() gives the child's charge back too. */
  assert_int_equal(mp_destroy_children(root), 0);
  sr = stats_of(root, 0);
  assert_int_equal(sr.budget_used, sr.bytes_reserved);
  assert_int_equal(sr.children, 0);
  mp_destroy_pool(root);
}

/* An adaptive pool learns as at any reset, then keeps what the mode says. */
static void adaptive_pool(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = pool_on(&t, MP_POOL_ADAPTIVE, 0);
  assert_non_null(p);
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_alloc(p, 300));
  assert_true(stats_of(p, 0).nodes > 1);
  assert_int_equal(mp_reset_pool_mode(p, MP_RESET_FREE_ALL, 0), 0);
  mp_stats_t s = stats_of(p, 0);
  assert_int_equal(s.nodes, 1);
  assert_true(s.high_water > 0);
  assert_int_equal(s.bytes_reserved, t.live_bytes);
  assert_true(s.bytes_reserved > s.node_bytes); /* the struct's block too */
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_alloc(p, 300));
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* A pool on a caller buffer: nothing goes to the system, the state is
 * right, and the buffer serves as much again. */
static void buffer_pool(void **state) {
  (void)state;
  SKIP_IF_QUARANTINE(); /* the quarantine fills the buffer */
  static unsigned char buf[64 << 10];
  test_alloc_t t;
  ta_init(&t);
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 0;
  o.buffer = buf;
  o.buffer_size = sizeof buf;
  o.allocator = &t.a;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  size_t fresh = stats_of(p, 0).bytes_reserved;
  for (int cycle = 0; cycle < 4; cycle++) {
    size_t n = 0;
    while (mp_alloc(p, 700) != NULL)
      n++;
    assert_int_equal(errno, ENOMEM);
    assert_true(n > 0); /* fewer in debug builds: a block per object */
    assert_int_equal(
        mp_reset_pool_mode(
            p, cycle % 2 ? MP_RESET_FREE_ALL : MP_RESET_RETAIN_LIMIT, 0),
        0);
    if (!(mpool_build_flags() & MPOOL_BUILD_DEBUG)) {
      assert_int_equal(stats_of(p, 0).bytes_reserved, fresh);
      assert_int_equal(stats_of(p, 0).nodes, 1);
    }
  }
  assert_int_equal(t.calls, 0);
  mp_destroy_pool(p);
}

/* A shared pool: the call goes through its lock. */
static void shared_pool(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  mp_pool_t *p = pool_on(NULL, MP_POOL_SHARED | MP_POOL_ADAPTIVE, 0);
  assert_non_null(p);
  mp_pool_t *c = mp_create_child(p, 0);
  assert_non_null(c);
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_alloc(p, 300));
  assert_int_equal(mp_reset_children(p), 0);
  assert_int_equal(mp_pool_parent(c), p);
  assert_int_equal(mp_reset_pool_mode(p, MP_RESET_FREE_ALL, 0), 0);
  mp_stats_t s = stats_of(p, MP_STATS_CHILDREN);
  assert_int_equal(s.nodes, 1);
  assert_int_equal(s.children, 0);
  c = mp_create_child(p, 0);
  assert_non_null(c);
  assert_int_equal(mp_destroy_children(p), 0);
  assert_int_equal(stats_of(p, 0).children, 0);
  mp_destroy_pool(p);
}

/* Small objects of a shared pool come from its threads' lanes: a reset in
 * any mode forgets them with the pool's memory, so that nothing handed
 * out afterwards overlaps (each object's bytes are checked after the next
 * round fills its own). */
static void shared_lanes_across_resets(void **state) {
  (void)state;
  mp_pool_t *p = pool_on(NULL, MP_POOL_SHARED, 0);
  assert_non_null(p);
  unsigned char *obj[200];
  for (int round = 0; round < 6; round++) {
    for (int i = 0; i < 200; i++) {
      obj[i] = mp_alloc(p, 24 + (size_t)(i % 7) * 40);
      assert_non_null(obj[i]);
      memset(obj[i], i, 24 + (size_t)(i % 7) * 40);
    }
    for (int i = 0; i < 200; i += 3)
      assert_int_equal(mp_free_sized(p, obj[i], 24 + (size_t)(i % 7) * 40), 0);
    for (int i = 1; i < 200; i++)
      if (i % 3 != 0)
        for (size_t b = 0; b < 24 + (size_t)(i % 7) * 40; b++)
          assert_int_equal(obj[i][b], (unsigned char)i);
    mp_reset_mode_t mode = round % 3 == 0   ? MP_RESET_FREE_ALL
                           : round % 3 == 1 ? MP_RESET_RETAIN
                                            : MP_RESET_RETAIN_LIMIT;
    assert_int_equal(
        mp_reset_pool_mode(p, mode, mode == MP_RESET_RETAIN_LIMIT ? NODE : 0),
        0);
  }
  mp_destroy_pool(p);
}

/* A shared child of an ordinary pool is reset by mp_reset_children() the
 * way its own reset would: its lanes' memory is forgotten too. */
static void reset_children_of_a_shared_child(void **state) {
  (void)state;
  mp_pool_t *root = pool_on(NULL, 0, 0);
  assert_non_null(root);
  mp_pool_t *c = child_pool(root, MP_POOL_SHARED);
  for (int round = 0; round < 4; round++) {
    unsigned char *obj[400];
    int n = 40 + round * 120; /* each round past where the last one ended */
    for (int i = 0; i < n; i++) {
      obj[i] = mp_alloc(c, 48);
      assert_non_null(obj[i]);
      memset(obj[i], round * 100 + i, 48);
    }
    for (int i = 0; i < n; i++)
      for (size_t b = 0; b < 48; b++)
        assert_int_equal(obj[i][b], (unsigned char)(round * 100 + i));
    assert_int_equal(mp_reset_children(root), 0);
    assert_int_equal(mp_pool_parent(c), root);
  }
  mp_destroy_pool(root);
}

/* ---- mp_reset_children ---- */

static char order[16];
static size_t norder;
static void note(void *data) {
  if (norder + 1 < sizeof order)
    order[norder++] = *(const char *)data;
}

/* Every descendant is reset and stays; the pool itself is untouched. */
static void reset_children_keeps_the_tree(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  mp_pool_t *a = mp_create_child(root, 0), *b = mp_create_child(root, 0);
  assert_non_null(a);
  assert_non_null(b);
  mp_pool_t *a1 = mp_create_child(a, 0);
  assert_non_null(a1);
  static const char R = 'R', A = 'A', B = 'B', A1 = '1';
  norder = 0;
  memset(order, 0, sizeof order);
  assert_non_null(mp_cleanup_add(root, note, (void *)&R));
  assert_non_null(mp_cleanup_add(a, note, (void *)&A));
  assert_non_null(mp_cleanup_add(b, note, (void *)&B));
  assert_non_null(mp_cleanup_add(a1, note, (void *)&A1));
  char *s = mp_strdup(root, "root's");
  assert_non_null(s);
  mp_mark_t *m = mp_mark(root);
  assert_non_null(m);
  for (int i = 0; i < 50; i++) {
    assert_non_null(mp_alloc(a, 500));
    assert_non_null(mp_alloc(a1, 500));
    assert_non_null(mp_alloc(b, 20000));
  }
  assert_int_equal(mp_reset_children(root), 0);
  /* Children before parents, siblings newest first; not the root. */
  assert_string_equal(order, "B1A");
  assert_string_equal(s, "root's");
  mp_stats_t st = stats_of(root, MP_STATS_CHILDREN);
  assert_int_equal(st.children, 3);
  assert_int_equal(st.cleanups, 1);
  assert_int_equal(st.large_blocks, 0);
  assert_int_equal(stats_of(a, 0).epoch, 1);
  assert_int_equal(stats_of(a1, 0).epoch, 1);
  assert_int_equal(stats_of(root, 0).epoch, 0);
  assert_int_equal(mp_pool_parent(a1), a);
  /* The children work on; the root's mark is still good. */
  assert_non_null(mp_alloc(a1, 10));
  assert_int_equal(mp_rewind(root, m), 0);
  mp_destroy_pool(root);
  assert_string_equal(order, "B1AR");
}

/* A cleanup during mp_reset_children(): one registered on the pool being
 * reset runs in the same pass; resetting or destroying a pool on the walk
 * is ignored. */
static mp_pool_t *g_root, *g_child;
static void meddle(void *data) {
  (void)data;
  runs++;
  mp_reset_pool(g_root);             /* busy: ignored */
  (void)mp_destroy_children(g_root); /* busy: ignored */
  mp_destroy_pool(g_child);          /* busy: ignored */
  assert_non_null(mp_cleanup_add(g_child, count_run, NULL));
}

static void reset_children_with_meddling_cleanups(void **state) {
  (void)state;
  g_root = mp_create_pool(0);
  assert_non_null(g_root);
  g_child = mp_create_child(g_root, 0);
  assert_non_null(g_child);
  runs = 0;
  assert_non_null(mp_cleanup_add(g_child, meddle, NULL));
  assert_int_equal(mp_reset_children(g_root), 0);
  assert_int_equal(runs, 2); /* meddle, then the cleanup it added */
  assert_int_equal(stats_of(g_root, MP_STATS_CHILDREN).children, 1);
  assert_int_equal(stats_of(g_child, 0).cleanups, 0);
  mp_destroy_pool(g_root);
  assert_int_equal(runs, 2);
}

/* ---- mp_destroy_children ---- */

static void destroy_children_keeps_the_pool(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  static const char R = 'R', A = 'A', B = 'B', A1 = '1';
  norder = 0;
  memset(order, 0, sizeof order);
  mp_pool_t *a = mp_create_child(root, 0);
  assert_non_null(a);
  mp_pool_t *a1 = mp_create_child(a, 0);
  assert_non_null(a1);
  mp_pool_t *b = mp_create_child(root, 0);
  assert_non_null(b);
  assert_non_null(mp_cleanup_add(root, note, (void *)&R));
  assert_non_null(mp_cleanup_add(a, note, (void *)&A));
  assert_non_null(mp_cleanup_add(a1, note, (void *)&A1));
  assert_non_null(mp_cleanup_add(b, note, (void *)&B));
  char *s = mp_strdup(root, "root's");
  void *big = mp_alloc(root, 100000);
  assert_non_null(s);
  assert_non_null(big);
  mp_mark_t *m = mp_mark(root);
  assert_non_null(m);
  assert_int_equal(mp_destroy_children(root), 0);
  assert_string_equal(order, "B1A");
  assert_string_equal(s, "root's");
  assert_int_equal(mp_owns(root, big), 1);
  mp_stats_t st = stats_of(root, MP_STATS_CHILDREN);
  assert_int_equal(st.children, 0);
  assert_int_equal(st.cleanups, 1);
  assert_int_equal(st.large_blocks, 1);
  assert_int_equal(st.epoch, 0);
  assert_int_equal(mp_rewind(root, m), 0);
  assert_non_null(mp_create_child(root, 0)); /* and children again */
  mp_destroy_pool(root);
  assert_string_equal(order, "B1AR");
}

/* A child whose own reset runs the cleanup that calls
 * mp_destroy_children() on its parent is skipped; its siblings go. */
static void kill_siblings(void *data) {
  (void)data;
  runs++;
  assert_int_equal(mp_destroy_children(g_root), 0);
}

static void destroy_children_from_a_childs_cleanup(void **state) {
  (void)state;
  g_root = mp_create_pool(0);
  assert_non_null(g_root);
  mp_pool_t *sib = mp_create_child(g_root, 0);
  assert_non_null(sib);
  g_child = mp_create_child(g_root, 0);
  assert_non_null(g_child);
  runs = 0;
  assert_non_null(mp_cleanup_add(sib, count_run, NULL));
  assert_non_null(mp_cleanup_add(g_child, kill_siblings, NULL));
  mp_reset_pool(g_child);
  assert_int_equal(runs, 2); /* kill_siblings, then sib's cleanup */
  mp_stats_t st = stats_of(g_root, MP_STATS_CHILDREN);
  assert_int_equal(st.children, 1);
  assert_int_equal(mp_pool_parent(g_child), g_root);
  assert_non_null(mp_alloc(g_child, 10));
  mp_destroy_pool(g_root);
  assert_int_equal(runs, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(retain_is_reset_pool),
      cmocka_unit_test(free_all_is_like_fresh),
      cmocka_unit_test(limit_keeps_at_most_limit),
      cmocka_unit_test(bad_input),
      cmocka_unit_test(reset_mode_from_own_cleanup),
      cmocka_unit_test(modes_destroy_children),
      cmocka_unit_test(budgets_follow),
      cmocka_unit_test(adaptive_pool),
      cmocka_unit_test(buffer_pool),
      cmocka_unit_test(shared_pool),
      cmocka_unit_test(shared_lanes_across_resets),
      cmocka_unit_test(reset_children_of_a_shared_child),
      cmocka_unit_test(reset_children_keeps_the_tree),
      cmocka_unit_test(reset_children_with_meddling_cleanups),
      cmocka_unit_test(destroy_children_keeps_the_pool),
      cmocka_unit_test(destroy_children_from_a_childs_cleanup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
