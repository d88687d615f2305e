/*
 * Cleanups and child pools (src/lifetime.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <pthread.h>

/* A log of events, to check the order in which things happen. */
static char events[512];

static void log_event(const char *e) {
  size_t n = strlen(events);
  snprintf(events + n, sizeof events - n, "%s%s", n ? " " : "", e);
}

static void log_cleanup(void *data) { log_event(data); }

static void clear_log(void) { events[0] = '\0'; }

static void count_cleanup(void *data) { ++*(int *)data; }

static void null_data(void *data) {
  assert_null(data);
  log_event("null");
}

/* ------------------------------------------------------------------------
 * Cleanups
 * ---------------------------------------------------------------------- */

static void cleanups_run_newest_first(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  clear_log();
  assert_non_null(mp_cleanup_add(p, log_cleanup, "a"));
  assert_non_null(mp_cleanup_add(p, log_cleanup, "b"));
  assert_non_null(mp_cleanup_add(p, log_cleanup, "c"));
  mp_reset_pool(p);
  assert_string_equal(events, "c b a");
  /* They ran once: a second reset runs nothing. */
  clear_log();
  mp_reset_pool(p);
  assert_string_equal(events, "");
  assert_non_null(mp_cleanup_add(p, log_cleanup, "d"));
  assert_non_null(mp_cleanup_add(p, log_cleanup, "e"));
  mp_destroy_pool(p);
  assert_string_equal(events, "e d");
}

/* Data living in the pool is still valid while its cleanups run. */
struct in_pool {
  char text[64];
  int *ran;
};

static void check_in_pool(void *data) {
  struct in_pool *d = data;
  assert_string_equal(d->text, "still here");
  ++*d->ran;
}

static void cleanup_data_in_pool_is_valid(void **state) {
  (void)state;
  int ran = 0;
  for (int destroy = 0; destroy < 2; destroy++) {
    mp_pool_t *p = mp_create_exact(1024);
    assert_non_null(p);
    for (int i = 0; i < 20; i++) { /* spread over several nodes */
      struct in_pool *d = mp_alloc(p, sizeof *d);
      assert_non_null(d);
      strcpy(d->text, "still here");
      d->ran = &ran;
      assert_non_null(mp_cleanup_add(p, check_in_pool, d));
      /* a large block, released after the cleanups */
      char *big = mp_alloc(p, 4000);
      assert_non_null(big);
      memset(big, 1, 4000);
    }
    if (destroy)
      mp_destroy_pool(p);
    else
      mp_reset_pool(p), mp_destroy_pool(p);
  }
  assert_int_equal(ran, 40);
}

static void cleanup_remove_and_run(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  clear_log();
  mp_cleanup_t *a = mp_cleanup_add(p, log_cleanup, "a");
  mp_cleanup_t *b = mp_cleanup_add(p, log_cleanup, "b");
  mp_cleanup_t *c = mp_cleanup_add(p, log_cleanup, "c");
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_int_equal(mp_cleanup_remove(p, b), 0); /* the middle one */
  assert_int_equal(mp_cleanup_run(p, c), 0);    /* the newest, early */
  assert_string_equal(events, "c");
  /* Removed or run: seen as stale. */
  errno = 0;
  assert_int_equal(mp_cleanup_remove(p, b), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_cleanup_run(p, c), -1);
  assert_int_equal(errno, EINVAL);
  assert_string_equal(events, "c");
  mp_reset_pool(p);
  assert_string_equal(events, "c a");
  /* The oldest, then the only one. */
  clear_log();
  a = mp_cleanup_add(p, log_cleanup, "a");
  b = mp_cleanup_add(p, log_cleanup, "b");
  assert_int_equal(mp_cleanup_remove(p, a), 0);
  assert_int_equal(mp_cleanup_remove(p, b), 0);
  mp_destroy_pool(p);
  assert_string_equal(events, "");
}

static void cleanup_bad_arguments(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_pool_t *q = mp_create_pool(0);
  assert_non_null(p);
  assert_non_null(q);
  int n = 0;
  errno = 0;
  assert_null(mp_cleanup_add(NULL, count_cleanup, &n));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_cleanup_add(p, NULL, &n));
  assert_int_equal(errno, EINVAL);
  mp_cleanup_t *c = mp_cleanup_add(p, count_cleanup, &n);
  assert_non_null(c);
  errno = 0;
  assert_int_equal(mp_cleanup_remove(NULL, c), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_cleanup_remove(p, NULL), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_cleanup_run(q, c), -1); /* another pool's */
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_cleanup_run(NULL, NULL), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(n, 0);
  /* data may be NULL */
  clear_log();
  assert_non_null(mp_cleanup_add(p, null_data, NULL));
  mp_destroy_pool(q);
  mp_destroy_pool(p);
  assert_int_equal(n, 1);
  assert_string_equal(events, "null");
}

/* Adding and removing in a loop reuses records: memory stays flat. */
static void cleanup_records_are_reused(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(1024);
  assert_non_null(p);
  int n = 0;
  mp_cleanup_t *first = mp_cleanup_add(p, count_cleanup, &n);
  assert_non_null(first);
  mp_stats_t before = {.size = sizeof before};
  assert_int_equal(mp_stats(p, &before, 0), 0);
  for (int i = 0; i < 100000; i++) {
    mp_cleanup_t *a = mp_cleanup_add(p, count_cleanup, &n);
    mp_cleanup_t *b = mp_cleanup_add(p, count_cleanup, &n);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(mp_cleanup_remove(p, a), 0);
    assert_int_equal(mp_cleanup_run(p, b), 0);
  }
  mp_stats_t after = {.size = sizeof after};
  assert_int_equal(mp_stats(p, &after, 0), 0);
  assert_true(after.bytes_used <= before.bytes_used + 2 * 64);
  assert_int_equal(after.nodes, 1);
  assert_int_equal(after.cleanups, 1);
  assert_int_equal(n, 100000);
  mp_destroy_pool(p);
  assert_int_equal(n, 100001);
}

/* A reset rewinds the memory spare records live in: they are not reused
 * afterwards. */
static void reset_drops_spare_records(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(1024);
  assert_non_null(p);
  int n = 0;
  mp_cleanup_t *a = mp_cleanup_add(p, count_cleanup, &n);
  assert_non_null(a);
  assert_int_equal(mp_cleanup_remove(p, a), 0);
  mp_reset_pool(p);
  unsigned char *fill = mp_alloc(p, 200); /* covers where a was */
  assert_non_null(fill);
  memset(fill, 0x5a, 200);
  assert_non_null(mp_cleanup_add(p, count_cleanup, &n));
  for (int i = 0; i < 200; i++)
    assert_int_equal(fill[i], 0x5a);
  mp_destroy_pool(p);
  assert_int_equal(n, 1);
}

/* A cleanup may allocate from, and register on, another pool. */
struct other {
  mp_pool_t *other;
  int *n;
};

static void touch_other(void *data) {
  struct other *o = data;
  char *s = mp_alloc(o->other, 100);
  assert_non_null(s);
  memset(s, 'x', 100);
  assert_non_null(mp_alloc(o->other, 100000)); /* large */
  assert_non_null(mp_cleanup_add(o->other, count_cleanup, o->n));
}

static void cleanup_uses_another_pool(void **state) {
  (void)state;
  int n = 0;
  mp_pool_t *q = mp_create_pool(0);
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  assert_non_null(q);
  struct other o = {q, &n};
  assert_non_null(mp_cleanup_add(p, touch_other, &o));
  assert_non_null(mp_cleanup_add(p, touch_other, &o));
  mp_reset_pool(p);
  assert_non_null(mp_cleanup_add(p, touch_other, &o));
  mp_destroy_pool(p);
  assert_int_equal(n, 0);
  mp_destroy_pool(q);
  assert_int_equal(n, 3);
}

/* Registering on the pool that is running its cleanups: the new cleanup
 * runs in the same pass, and nothing survives the reset. */
struct again {
  mp_pool_t *pool;
  int depth;
};

static void register_again(void *data) {
  struct again *a = data;
  log_event("again");
  /* Memory of the pool is still usable during its own teardown. */
  char *s = mp_printf(a->pool, "level %d", a->depth);
  assert_non_null(s);
  assert_non_null(mp_alloc(a->pool, 50000)); /* a large block, too */
  if (a->depth-- > 0)
    assert_non_null(mp_cleanup_add(a->pool, register_again, a));
  else
    assert_non_null(mp_cleanup_add(a->pool, log_cleanup, "last"));
}

static void cleanup_registers_on_own_pool(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  assert_non_null(p);
  struct again a = {p, 2};
  clear_log();
  assert_non_null(mp_cleanup_add(p, log_cleanup, "first"));
  assert_non_null(mp_cleanup_add(p, register_again, &a));
  mp_reset_pool(p);
  assert_string_equal(events, "again again again last first");
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.cleanups, 0);
  assert_int_equal(st.large_blocks, 0);

  clear_log();
  a.depth = 1;
  assert_non_null(mp_cleanup_add(p, register_again, &a));
  mp_destroy_pool(p);
  assert_string_equal(events, "again again last");
  assert_int_equal(t.live_blocks, 0);
}

/* Reset or destroy of a pool from its own cleanup does nothing. */
static void destroy_self(void *data) {
  mp_pool_t *p = data;
  mp_reset_pool(p);
  mp_destroy_pool(p);
  log_event("self");
}

static void cleanup_resets_own_pool(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  assert_non_null(p);
  clear_log();
  assert_non_null(mp_cleanup_add(p, destroy_self, p));
  assert_non_null(mp_cleanup_add(p, log_cleanup, "before"));
  mp_reset_pool(p);
  assert_string_equal(events, "before self");
  assert_non_null(mp_alloc(p, 10)); /* still alive */
  assert_non_null(mp_cleanup_add(p, destroy_self, p));
  mp_destroy_pool(p);
  assert_string_equal(events, "before self self");
  assert_int_equal(t.live_blocks, 0);
}

/* ------------------------------------------------------------------------
 * Child pools
 * ---------------------------------------------------------------------- */

static void children_go_first(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  mp_pool_t *a = mp_create_child(root, 0);
  mp_pool_t *b = mp_create_child(root, 4096);
  assert_non_null(a);
  assert_non_null(b);
  mp_pool_t *a1 = mp_create_child(a, 0);
  assert_non_null(a1);
  assert_ptr_equal(mp_pool_parent(a), root);
  assert_ptr_equal(mp_pool_parent(a1), a);
  assert_null(mp_pool_parent(root));
  assert_null(mp_pool_parent(NULL));
  clear_log();
  assert_non_null(mp_cleanup_add(root, log_cleanup, "root1"));
  assert_non_null(mp_cleanup_add(a, log_cleanup, "a1"));
  assert_non_null(mp_cleanup_add(a, log_cleanup, "a2"));
  assert_non_null(mp_cleanup_add(b, log_cleanup, "b"));
  assert_non_null(mp_cleanup_add(a1, log_cleanup, "a1.1"));
  assert_non_null(mp_cleanup_add(root, log_cleanup, "root2"));
  /* Siblings newest first, each subtree bottom-up, then the parent. */
  mp_reset_pool(root);
  assert_string_equal(events, "b a1.1 a2 a1 root2 root1");
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(root, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.children, 0);
  assert_int_equal(st.cleanups, 0);

  /* The same at destroy. */
  clear_log();
  a = mp_create_child(root, 0);
  a1 = mp_create_child(a, 0);
  assert_non_null(a1);
  assert_non_null(mp_cleanup_add(a1, log_cleanup, "x"));
  assert_non_null(mp_cleanup_add(a, log_cleanup, "y"));
  assert_non_null(mp_cleanup_add(root, log_cleanup, "z"));
  mp_destroy_pool(root);
  assert_string_equal(events, "x y z");
}

/* A child's cleanup may still use its ancestors' memory. */
static void read_parent_memory(void *data) {
  assert_string_equal(data, "parent data");
  log_event("ok");
}

static void child_cleanup_sees_parent_memory(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  char *s = mp_strdup(root, "parent data");
  mp_pool_t *c = mp_create_child(mp_create_child(root, 0), 0);
  assert_non_null(c);
  clear_log();
  assert_non_null(mp_cleanup_add(c, read_parent_memory, s));
  mp_destroy_pool(root);
  assert_string_equal(events, "ok");
}

static void child_destroyed_early_unlinks(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  mp_pool_t *c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = mp_create_child(root, 0);
    assert_non_null(c[i]);
    assert_non_null(mp_alloc(c[i], 100));
  }
  /* Middle, newest, oldest: every position in the sibling list. */
  mp_destroy_pool(c[1]);
  mp_destroy_pool(c[3]);
  mp_destroy_pool(c[0]);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(root, &st, 0), 0);
  assert_int_equal(st.children, 1);
  clear_log();
  assert_non_null(mp_cleanup_add(c[2], log_cleanup, "c2"));
  /* Resetting a child alone leaves the parent alone. */
  mp_reset_pool(c[2]);
  assert_string_equal(events, "c2");
  assert_ptr_equal(mp_pool_parent(c[2]), root);
  mp_destroy_pool(c[2]);
  assert_int_equal(mp_stats(root, &st, 0), 0);
  assert_int_equal(st.children, 0);
  mp_destroy_pool(root);
}

static void children_share_the_allocator(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *root = ta_pool(&t, 1024);
  assert_non_null(root);
  size_t blocks = t.live_blocks;
  mp_pool_t *c = mp_create_child(root, 2048);
  assert_non_null(c);
  assert_int_equal(t.live_blocks, blocks + 1);
  void *big = mp_alloc(c, 100000);
  assert_non_null(big);
  assert_true(ta_contains(&t, big, 100000));
  /* An explicit allocator equal to the parent's is fine; another is not. */
  mp_options_t o;
  mp_options_init(&o);
  assert_null(o.parent);
  o.parent = root;
  o.allocator = &t.a;
  mp_pool_t *d = mp_create_pool_ex(&o);
  assert_non_null(d);
  test_alloc_t other;
  ta_init(&other);
  o.allocator = &other.a;
  errno = 0;
  assert_null(mp_create_pool_ex(&o));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_create_child(NULL, 0));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_create_child(root, MP_MAX_NODE_SIZE + 1));
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(root);
  assert_int_equal(t.live_blocks, 0);
  assert_int_equal(other.calls, 0);

  /* A child of a default pool uses the block cache. */
  mp_pool_t *p = mp_create_pool(0);
  mp_pool_t *q = mp_create_child(p, 0);
  assert_non_null(q);
  mp_destroy_pool(q);
  mp_destroy_pool(p);
}

/* Cleanups that create children and destroy other pools during teardown. */
struct spawn {
  mp_pool_t *pool;
  mp_pool_t *victim;
};

static void spawn_child(void *data) {
  struct spawn *s = data;
  log_event("spawn");
  mp_pool_t *c = mp_create_child(s->pool, 0);
  assert_non_null(c);
  assert_non_null(mp_cleanup_add(c, log_cleanup, "spawned"));
  if (s->victim != NULL) {
    mp_destroy_pool(s->victim);
    s->victim = NULL;
  }
}

static void cleanup_creates_children(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *root = ta_pool(&t, 1024);
  assert_non_null(root);
  mp_pool_t *a = mp_create_child(root, 0);
  mp_pool_t *b = mp_create_child(root, 0); /* newest: torn down first */
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(mp_cleanup_add(a, log_cleanup, "a"));
  struct spawn s = {root, a}; /* b's cleanup destroys its sibling a */
  assert_non_null(mp_cleanup_add(b, spawn_child, &s));
  clear_log();
  mp_reset_pool(root);
  assert_string_equal(events, "spawn a spawned");
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(root, &st, 0), 0);
  assert_int_equal(st.children, 0);

  /* A cleanup of the root itself creates a child during destroy. */
  s.victim = NULL;
  assert_non_null(mp_cleanup_add(root, spawn_child, &s));
  clear_log();
  mp_destroy_pool(root);
  assert_string_equal(events, "spawn spawned");
  assert_int_equal(t.live_blocks, 0);
}

/* A child's cleanup destroying an ancestor that is being torn down. */
static void destroy_ancestor(void *data) {
  mp_destroy_pool(data);
  mp_reset_pool(data);
  log_event("ignored");
}

static void cleanup_destroys_busy_ancestor(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *root = ta_pool(&t, 1024);
  mp_pool_t *c = mp_create_child(mp_create_child(root, 0), 0);
  assert_non_null(c);
  assert_non_null(mp_cleanup_add(c, destroy_ancestor, root));
  clear_log();
  mp_destroy_pool(root);
  assert_string_equal(events, "ignored");
  assert_int_equal(t.live_blocks, 0);
}

/* Teardown does not recurse: a very deep hierarchy is fine. */
static void deep_hierarchy(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_exact(1024);
  assert_non_null(root);
  int n = 0;
  mp_pool_t *p = root;
  for (int i = 0; i < 20000; i++) {
    p = mp_create_child(p, 1024);
    assert_non_null(p);
    if (i % 100 == 0)
      assert_non_null(mp_cleanup_add(p, count_cleanup, &n));
  }
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(root, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.children, 20000);
  assert_int_equal(st.nodes, 20001);
  mp_reset_pool(root);
  assert_int_equal(n, 200);
  mp_destroy_pool(root);
  mpool_cache_flush();
}

/* Allocating from a child touches only the child: children may be used
 * on other threads while the parent is used on this one. */
static void *use_child(void *arg) {
  mp_pool_t *c = arg;
  for (int i = 0; i < 2000; i++) {
    char *s = mp_printf(c, "item %d", i);
    assert_non_null(s);
    assert_non_null(mp_alloc(c, (size_t)(i % 300)));
    if (i % 500 == 0)
      mp_reset_pool(c);
  }
  return NULL;
}

static void children_on_other_threads(void **state) {
  (void)state;
  mp_pool_t *root = mp_create_pool(0);
  assert_non_null(root);
  mp_pool_t *c[2] = {mp_create_child(root, 0), mp_create_child(root, 0)};
  assert_non_null(c[0]);
  assert_non_null(c[1]);
  pthread_t t[2];
  for (int i = 0; i < 2; i++) { /* each child goes to its thread */
    assert_int_equal(mp_pool_handoff(c[i]), 0);
    assert_int_equal(pthread_create(&t[i], NULL, use_child, c[i]), 0);
  }
  for (int i = 0; i < 2000; i++)
    assert_non_null(mp_strdup(root, "parent"));
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(t[i], NULL), 0);
  mp_destroy_pool(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cleanups_run_newest_first),
      cmocka_unit_test(cleanup_data_in_pool_is_valid),
      cmocka_unit_test(cleanup_remove_and_run),
      cmocka_unit_test(cleanup_bad_arguments),
      cmocka_unit_test(cleanup_records_are_reused),
      cmocka_unit_test(reset_drops_spare_records),
      cmocka_unit_test(cleanup_uses_another_pool),
      cmocka_unit_test(cleanup_registers_on_own_pool),
      cmocka_unit_test(cleanup_resets_own_pool),
      cmocka_unit_test(children_go_first),
      cmocka_unit_test(child_cleanup_sees_parent_memory),
      cmocka_unit_test(child_destroyed_early_unlinks),
      cmocka_unit_test(children_share_the_allocator),
      cmocka_unit_test(cleanup_creates_children),
      cmocka_unit_test(cleanup_destroys_busy_ancestor),
      cmocka_unit_test(deep_hierarchy),
      cmocka_unit_test(children_on_other_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
