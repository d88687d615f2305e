/*
 * Byte budgets (mp_options_t.budget) and the out-of-memory hook: limits
 * hit with ENOMEM and the hook called, children charged to every ancestor,
 * bytes given back by frees, resets and destroys, children on threads.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <pthread.h>

struct hook {
  int calls;
  size_t last_size;
  mp_pool_t *last_pool;
  size_t used_seen; /* budget_used as the hook saw it */
};

static void on_oom(mp_pool_t *pool, size_t size, void *ud) {
  struct hook *h = ud;
  h->calls++;
  h->last_size = size;
  h->last_pool = pool;
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(pool, &st, 0), 0); /* reading is allowed */
  h->used_seen = st.budget_used;
}

static mp_pool_t *budget_pool(mp_pool_t *parent, size_t node, size_t budget,
                              struct hook *h) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = node;
  o.flags |= MP_POOL_EXACT_NODES;
  o.large_threshold = 0;
  o.parent = parent;
  o.budget = budget;
  if (h != NULL) {
    o.on_oom = on_oom;
    o.oom_ud = h;
  }
  return mp_create_pool_ex(&o);
}

static mp_stats_t stats(const mp_pool_t *p, int flags) {
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, flags), 0);
  return st;
}

/* Filling a budgeted pool stops at its budget, with ENOMEM and the hook. */
static void limit_hit(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  struct hook h = {0};
  mp_pool_t *p = budget_pool(NULL, 4096, 4 * 4096, &h);
  assert_non_null(p);
  mp_stats_t st = stats(p, 0);
  assert_int_equal(st.budget, 4 * 4096);
  assert_int_equal(st.budget_used, 4096); /* the first node */
  void *q;
  int n = 0;
  while ((q = mp_alloc(p, 500)) != NULL)
    n++;
  assert_int_equal(errno, ENOMEM);
  assert_true(n >= 20);
  assert_int_equal(h.calls, 1);
  assert_int_equal(h.last_size, 4096); /* a node */
  assert_ptr_equal(h.last_pool, p);
  st = stats(p, 0);
  assert_true(st.budget_used <= st.budget);
  assert_int_equal(st.budget_used, st.bytes_reserved);
  assert_int_equal(h.used_seen, st.budget_used);
  /* A large request over the budget: the hook sees the block size. */
  errno = 0;
  assert_null(mp_alloc(p, (size_t)1 << 30));
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(h.calls, 2);
  assert_true(h.last_size > ((size_t)1 << 30));
  /* A request without bound cannot take the process down. */
  assert_null(mp_alloc(p, MP_MAX_ALLOC_SIZE));
  assert_int_equal(errno, ENOMEM);
  /* Reset keeps the nodes (and their charge); the pool still works. */
  mp_reset_pool(p);
  assert_non_null(mp_alloc(p, 500));
  assert_int_equal(stats(p, 0).budget_used, 4 * 4096);
  mp_destroy_pool(p);
}

/* Budget 0 means none; a budget below one node fails creation. */
static void zero_and_tiny(void **state) {
  (void)state;
  mp_pool_t *p = budget_pool(NULL, 4096, 0, NULL);
  assert_non_null(p);
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_alloc(p, 3000));
  mp_stats_t st = stats(p, 0);
  assert_int_equal(st.budget, 0);
  assert_int_equal(st.budget_used, 0);
  mp_destroy_pool(p);
  errno = 0;
  assert_null(budget_pool(NULL, 4096, 4095, NULL));
  assert_int_equal(errno, ENOMEM);
  p = budget_pool(NULL, 4096, 4096, NULL); /* exactly one node */
  assert_non_null(p);
  mp_destroy_pool(p);
}

/* Children and grandchildren draw on every ancestor's budget, with their
 * own budgets on top. */
static void children_draw_on_parent(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  struct hook h = {0};
  mp_pool_t *p = budget_pool(NULL, 4096, 64 * 1024, &h);
  mp_pool_t *c = budget_pool(p, 4096, 0, NULL); /* inherits the hook */
  mp_pool_t *g = budget_pool(c, 4096, 16 * 1024, NULL);
  assert_non_null(g);
  assert_int_equal(stats(p, 0).budget_used, 3 * 4096);
  assert_int_equal(stats(c, 0).budget_used, 0); /* no budget of its own */
  assert_int_equal(stats(g, 0).budget_used, 4096);
  /* The grandchild stops at its own budget first. */
  void *big = mp_alloc(g, 8000);
  assert_non_null(big);
  errno = 0;
  assert_null(mp_alloc(g, 8000));
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(h.calls, 1);
  assert_ptr_equal(h.last_pool, g);
  mp_stats_t all = stats(p, MP_STATS_CHILDREN);
  assert_int_equal(all.budget, 64 * 1024);
  assert_int_equal(all.budget_used, all.bytes_reserved);
  /* The child fills the parent's budget. */
  size_t got = 0;
  while (mp_alloc(c, 3000) != NULL)
    got += 3000;
  assert_int_equal(errno, ENOMEM);
  assert_true(got > 30000);
  all = stats(p, MP_STATS_CHILDREN);
  assert_true(all.budget_used <= 64 * 1024);
  assert_int_equal(all.budget_used, all.bytes_reserved);
  /* Now a block the grandchild's own budget allows is over its
   * grandparent's (the child's 3000-byte blocks take what g's would). */
  errno = 0;
  assert_null(mp_alloc(g, 3000));
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(mp_free(g, big), 0);
  assert_non_null(mp_alloc(g, 3000));
  /* Destroying the child gives back the child's and grandchild's bytes. */
  mp_destroy_pool(c);
  assert_int_equal(stats(p, 0).budget_used, stats(p, 0).bytes_reserved);
  assert_int_equal(stats(p, 0).budget_used, 4096);
  /* A child cannot even be created over the parent's budget. */
  mp_pool_t *fill = budget_pool(p, 32768, 0, NULL);
  assert_non_null(fill);
  int before = h.calls;
  mp_pool_t *more = budget_pool(p, 32768, 0, NULL);
  assert_null(more);
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(h.calls, before + 1); /* the parent's hook heard of it */
  assert_ptr_equal(h.last_pool, p);
  assert_int_equal(h.last_size, 32768);
  mp_destroy_pool(p);
}

/* Creating a child whose first node would cross an ancestor's budget calls
 * the hook of that ancestor, with the ancestor and the bytes the child
 * needed; the child's own hook and its parent's are not called.  A child
 * whose own budget is below one node calls its own hook, named by its
 * parent. */
static void child_over_budget_calls_hook(void **state) {
  (void)state;
  struct hook h = {0}, hc = {0};
  mp_pool_t *p = budget_pool(NULL, 4096, 3 * 4096, &h);
  assert_non_null(p);
  mp_pool_t *c = budget_pool(p, 4096, 0, &hc); /* no budget of its own */
  assert_non_null(c);
  mp_pool_t *g = budget_pool(c, 4096, 0, NULL); /* p's budget now full */
  assert_non_null(g);
  assert_int_equal(stats(p, 0).budget_used, 3 * 4096);
  errno = 0;
  assert_null(budget_pool(c, 4096, 0, NULL));
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(h.calls, 1);
  assert_ptr_equal(h.last_pool, p);
  assert_int_equal(h.last_size, 4096);
  assert_int_equal(h.used_seen, 3 * 4096); /* nothing was taken */
  assert_int_equal(hc.calls, 0);
  errno = 0;
  assert_null(mp_create_child(g, 1024)); /* a grandchild of c: the same */
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(h.calls, 2);
  assert_int_equal(h.last_size, MP_DEFAULT_NODE_SIZE); /* raised */
  assert_int_equal(hc.calls, 0);
  /* A budget below the child's own first node: the child's hook, named
   * by its parent (it used to call none). */
  mp_destroy_pool(g);
  errno = 0;
  assert_null(budget_pool(c, 4096, 1024, &hc));
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(h.calls, 2);
  assert_int_equal(hc.calls, 1);
  assert_ptr_equal(hc.last_pool, c);
  assert_int_equal(hc.last_size, 4096);
  /* Once there is room again, creation succeeds and calls nothing. */
  g = budget_pool(c, 4096, 0, NULL);
  assert_non_null(g);
  assert_int_equal(h.calls, 2);
  assert_int_equal(stats(p, 0).budget_used, 3 * 4096);
  mp_destroy_pool(p);
}

/* Freeing large blocks and resetting give their bytes back. */
static void frees_and_resets_give_back(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  mp_pool_t *p = budget_pool(NULL, 4096, 1 << 20, NULL);
  size_t base = stats(p, 0).budget_used;
  void *a = mp_alloc(p, 100000);
  assert_non_null(a);
  mp_stats_t st = stats(p, 0);
  assert_int_equal(st.budget_used, base + st.large_reserved);
  assert_int_equal(mp_free(p, a), 0);
  assert_int_equal(stats(p, 0).budget_used, base);
  /* Fill to the limit with large blocks; freeing one lets another in. */
  void *blocks[64];
  int n = 0;
  while (n < 64 && (blocks[n] = mp_alloc(p, 100000)) != NULL)
    n++;
  assert_true(n > 5 && n < 64);
  assert_null(mp_alloc(p, 100000));
  assert_int_equal(mp_free(p, blocks[0]), 0);
  assert_non_null(mp_alloc(p, 100000));
  /* A child and large blocks all go at reset. */
  mp_reset_pool(p);
  /* What stays: the nodes, and the index's table, which grew. */
  mp_stats_t kept = stats(p, 0);
  assert_int_equal(kept.large_reserved, 0);
  assert_int_equal(kept.budget_used, kept.bytes_reserved);
  assert_true(kept.budget_used < base + 4096);
  mp_pool_t *c = mp_create_child(p, 4096);
  assert_non_null(c);
  assert_non_null(mp_alloc(c, 50000));
  assert_true(stats(p, 0).budget_used > kept.budget_used + 50000);
  mp_reset_pool(p);
  assert_int_equal(stats(p, 0).budget_used, kept.budget_used);
  mp_destroy_pool(p);
}

/* A budgeted shared pool: the budget lives on the pool behind the
 * handle. */
static void shared_pool_budget(void **state) {
  (void)state;
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  o.budget = 64 * 1024;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  while (mp_alloc(p, 1000) != NULL)
    ;
  assert_int_equal(errno, ENOMEM);
  mp_stats_t st = stats(p, 0);
  assert_int_equal(st.budget, 64 * 1024);
  assert_true(st.budget_used <= st.budget);
  mp_destroy_pool(p);
}

struct worker {
  mp_pool_t *child;
  int fails;
};

static void *work(void *arg) {
  struct worker *w = arg;
  void *blocks[32] = {0};
  for (int i = 0; i < 4000; i++) {
    int k = i % 32;
    if (blocks[k] != NULL)
      assert_int_equal(mp_free(w->child, blocks[k]), 0);
    blocks[k] = mp_alloc(w->child, 5000 + (size_t)(i % 7) * 1000);
    if (blocks[k] == NULL) {
      assert_int_equal(errno, ENOMEM);
      w->fails++;
    }
    if (mp_alloc(w->child, 64) == NULL)
      w->fails++;
    if (i % 1000 == 999)
      mp_reset_pool(w->child), memset(blocks, 0, sizeof blocks);
  }
  assert_int_equal(mp_pool_handoff(w->child), 0); /* back to the main thread */
  return NULL;
}

/* Children of one budgeted parent allocate on two threads at once: the
 * parent's charge stays exact and never crosses the budget. */
static void children_on_threads(void **state) {
  (void)state;
  for (int tight = 0; tight < 2; tight++) {
    size_t budget = tight ? 200 * 1024 : (size_t)1 << 30;
    mp_pool_t *p = budget_pool(NULL, 4096, budget, NULL);
    struct worker w[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
      w[i].child = mp_create_child(p, 4096);
      w[i].fails = 0;
      assert_non_null(w[i].child);
    }
    for (int i = 0; i < 2; i++) {
      assert_int_equal(mp_pool_handoff(w[i].child), 0);
      assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++)
      assert_int_equal(pthread_join(th[i], NULL), 0);
    mp_stats_t all = stats(p, MP_STATS_CHILDREN);
    assert_true(all.budget_used <= budget);
    assert_int_equal(all.budget_used, all.bytes_reserved);
    if (tight)
      assert_true(w[0].fails + w[1].fails > 0);
    else
      assert_int_equal(w[0].fails + w[1].fails, 0);
    mp_destroy_pool(w[0].child);
    mp_destroy_pool(w[1].child);
    assert_int_equal(stats(p, 0).budget_used, stats(p, 0).bytes_reserved);
    mp_destroy_pool(p);
  }
}

/* Budgets on a custom allocator and on a buffer pool. */
static void budget_with_buffer(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  alignas(16) unsigned char buf[65536];
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 0;
  o.buffer = buf;
  o.buffer_size = sizeof buf;
  o.allocator = &t.a;
  o.budget = 3 * 16384;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  while (mp_alloc(p, 1000) != NULL)
    ;
  assert_int_equal(errno, ENOMEM);
  size_t used = stats(p, 0).budget_used;
  assert_true(used <= 3 * 16384);
  if (!(mpool_build_flags() & MPOOL_BUILD_DEBUG)) /* blocks fit exactly */
    assert_int_equal(used, 3 * 16384);
  mp_destroy_pool(p);
  assert_int_equal(t.calls, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(limit_hit),
      cmocka_unit_test(zero_and_tiny),
      cmocka_unit_test(children_draw_on_parent),
      cmocka_unit_test(child_over_budget_calls_hook),
      cmocka_unit_test(frees_and_resets_give_back),
      cmocka_unit_test(shared_pool_budget),
      cmocka_unit_test(children_on_threads),
      cmocka_unit_test(budget_with_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
