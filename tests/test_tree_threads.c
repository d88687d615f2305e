/*
 * The pool tree under threads: walks (mp_walk, mp_tree_format) on one
 * thread while others create, name, rename and destroy pools.  Every pool
 * a walk visits must look sane -- a known name or none, a depth that
 * follows its parent, byte counts that add up -- and the walking thread's
 * own pools must each be seen exactly once.
 *
 * What mp_walk() allows other threads during a walk of every pool:
 * creating, naming and destroying root pools (they wait for the walk), not
 * allocating from pools the walk reads nor changing their children.  So
 * in the first test the workers churn named root pools (plain, with small
 * nodes, MP_POOL_SHARED), and the walker walks everything; in the second
 * they build and tear down whole named trees, allocating in them, and the
 * walker walks its own subtree, which must never show one of theirs.
 * Built into every test configuration, ThreadSanitizer's and Valgrind's
 * included; each test runs for a fraction of a second.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define NWORKERS 3
#define MAX_DEPTH 16
#define MIN_WALKS 500     /* walks each test makes, */
#define MIN_ROUNDS 500    /* and rounds each worker makes, */
#define TIME_LIMIT_MS 250 /* unless this is past (slow tools): then fewer */

/* Checks off the main thread, or inside a walk's callback (which holds the
 * tree's lock, so cmocka must not jump out of it): counted, asserted on
 * by the main thread afterwards. */
static atomic_int failures;
#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);    \
      atomic_fetch_add(&failures, 1);                                          \
    }                                                                          \
  } while (0)

static const char *const worker_names[] = {"worker", "request", "parser",
                                           "renamed"};
static const char *const worker_idents[] = {"GET /a", "POST /b"};
static const char *const main_names[] = {"main", "main.child", "main.leaf",
                                         "main.tmp"};

static bool one_of(const char *s, const char *const *set, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(s, set[i]) == 0)
      return true;
  return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool known_name(const char *s) {
  return one_of(s, worker_names, COUNT(worker_names)) ||
         one_of(s, main_names, COUNT(main_names));
}

static bool known_ident(const char *s) {
  return one_of(s, worker_idents, COUNT(worker_idents)) ||
         strcmp(s, "holder") == 0;
}

/* ---- the workers ---- */

static atomic_bool stop;
static atomic_int started;
static atomic_long rounds[NWORKERS];
static atomic_long walks_made;

/* Keeps a worker within a few rounds a walk of the walker: neither side
 * starves the other when the scheduler favours one (Valgrind runs one
 * thread at a time; the tree's lock is not fair).  False once stopped. */
static bool pace(long r) {
  while (r > 4 * atomic_load(&walks_made) + 50)
    if (atomic_load(&stop))
      return false;
    else
      sched_yield();
  return !atomic_load(&stop);
}

static mp_pool_t *new_root(long r) {
  if (r % 4 != 3)
    return mp_create_pool(r % 4 == 1 ? 4096 : 0);
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  return mp_create_pool_ex(&o);
}

/* Test 1: named root pools, created, renamed and destroyed; nothing
 * allocated from them (a walk may be reading them).  And before the walks
 * start, KEEP full trees (objects, a large block, a named child), which
 * are destroyed during them. */
#define KEEP 4
static void *churn_roots(void *arg) {
  int id = (int)(intptr_t)arg;
  mp_pool_t *keep[KEEP];
  for (int k = 0; k < KEEP; k++) {
    keep[k] = new_root(k);
    CHECK(keep[k] != NULL);
    if (keep[k] == NULL)
      return NULL;
    mp_pool_t *child = mp_create_child(keep[k], 0);
    CHECK(child != NULL && mp_pool_set_name(child, "request", NULL) == 0);
    CHECK(mp_pool_set_name(keep[k], "worker", "GET /a") == 0);
    CHECK(mp_alloc(keep[k], 40000) != NULL && mp_alloc(keep[k], 24) != NULL);
    CHECK(mp_alloc(child, 50000) != NULL && mp_alloc(child, 100) != NULL);
  }
  atomic_fetch_add(&started, 1);
  long r = 0;
  for (; pace(r); r++) {
    if (r % 20 == 19 && r / 20 < KEEP) /* with its child, during walks */
      mp_destroy_pool(keep[r / 20]);
    mp_pool_t *p = new_root(r);
    CHECK(p != NULL);
    if (p == NULL)
      break;
    const char *name = worker_names[(size_t)(r + id) % COUNT(worker_names)];
    const char *ident = worker_idents[(size_t)r % COUNT(worker_idents)];
    CHECK(mp_pool_set_name(p, name, r % 3 == 0 ? NULL : ident) == 0);
    CHECK(mp_pool_name(p) != NULL && strcmp(mp_pool_name(p), name) == 0);
    if (r % 2 == 0)
      CHECK(mp_pool_set_name(p, "renamed", ident) == 0);
    if (r % 5 == 0)
      CHECK(mp_pool_set_name(p, NULL, ident) == 0); /* unnamed again */
    if (r % 8 == 0)
      sched_yield(); /* let a walk see it */
    mp_destroy_pool(p);
    atomic_store(&rounds[id], r + 1);
  }
  for (; r / 20 < KEEP; r++) /* stopped early */
    if (r % 20 == 19)
      mp_destroy_pool(keep[r / 20]);
  return NULL;
}

/* Test 2: whole named trees, allocated in, renamed, their children reset
 * or destroyed, then destroyed. */
static void *churn_trees(void *arg) {
  int id = (int)(intptr_t)arg;
  atomic_fetch_add(&started, 1);
  for (long r = 0; pace(r); r++) {
    mp_pool_t *root = mp_create_pool(r % 2 ? 4096 : 0);
    CHECK(root != NULL);
    if (root == NULL)
      break;
    CHECK(mp_pool_set_name(root, "worker", worker_idents[id % 2]) == 0);
    mp_pool_t *req = mp_create_child(root, 0);
    mp_pool_t *parser = req != NULL ? mp_create_child(req, 0) : NULL;
    CHECK(req != NULL && parser != NULL);
    if (parser != NULL) {
      CHECK(mp_pool_set_name(req, "request", "GET /a") == 0);
      CHECK(mp_pool_set_name(parser, "parser", NULL) == 0);
      CHECK(mp_alloc(root, 100) != NULL);
      CHECK(mp_strdup(req, "GET /a HTTP/1.1") != NULL);
      CHECK(mp_alloc(parser, 200 + (size_t)r % 64) != NULL);
      CHECK(mp_alloc(parser, 30000) != NULL); /* a large block */
      CHECK(mp_pool_set_name(req, "renamed", "POST /b") == 0);
      switch (r % 3) {
      case 0:
        CHECK(mp_reset_children(root) == 0);
        CHECK(mp_alloc(parser, 64) != NULL);
        break;
      case 1:
        CHECK(mp_destroy_children(root) == 0);
        break;
      default:
        break;
      }
    }
    mp_destroy_pool(root);
    atomic_store(&rounds[id], r + 1);
  }
  return NULL;
}

/* ---- the walker ---- */

#define NMINE 4

struct walk {
  const mp_pool_t *stack[MAX_DEPTH]; /* the pools on the path to depth */
  int last_depth;
  long visits;
  const mp_pool_t *mine[NMINE]; /* the main thread's pools */
  const mp_pool_t *mine_parent[NMINE];
  const char *mine_name[NMINE];
  int mine_depth[NMINE]; /* in a walk of every pool */
  int seen[NMINE];
  int depth_offset; /* 0 for a walk of everything; the root's depth else */
  bool own_only;    /* every pool visited must be one of mine */
};

static int check_info(const mp_pool_info_t *in, void *arg) {
  struct walk *w = arg;
  w->visits++;
  CHECK(in->pool != NULL);
  CHECK(in->depth >= 0 && in->depth < MAX_DEPTH);
  CHECK(in->depth <= w->last_depth + 1);
  if (in->depth < 0 || in->depth >= MAX_DEPTH)
    return 1; /* stop: nothing below can be checked */
  if (in->depth == 0)
    CHECK(w->depth_offset != 0 || in->parent == NULL);
  else
    CHECK(in->parent == w->stack[in->depth - 1]);
  w->stack[in->depth] = in->pool;
  w->last_depth = in->depth;
  CHECK(in->name == NULL || known_name(in->name));
  CHECK(in->ident == NULL || known_ident(in->ident));
  CHECK(in->bytes_reserved > 0);
  CHECK(in->bytes_used <= in->bytes_reserved);
  CHECK(in->bytes_free == in->bytes_reserved - in->bytes_used);
  CHECK(in->blocks >= 1);
  CHECK(in->peak_reserved >= in->bytes_reserved);
  bool mine = false;
  for (int i = 0; i < NMINE; i++)
    if (in->pool == w->mine[i]) {
      mine = true;
      w->seen[i]++;
      CHECK(in->depth + w->depth_offset == w->mine_depth[i]);
      CHECK(in->parent == w->mine_parent[i]);
      CHECK(in->name != NULL && strcmp(in->name, w->mine_name[i]) == 0);
    }
  if (w->own_only)
    CHECK(mine);
  return 0;
}

struct mine {
  mp_pool_t *root, *child, *leaf, *other;
};

static void make_mine(struct mine *m) {
  m->root = mp_create_pool(0);
  assert_non_null(m->root);
  m->child = mp_create_child(m->root, 0);
  m->other = mp_create_child(m->root, 4096);
  assert_non_null(m->child);
  assert_non_null(m->other);
  m->leaf = mp_create_child(m->child, 0);
  assert_non_null(m->leaf);
  assert_int_equal(mp_pool_set_name(m->root, "main", "holder"), 0);
  assert_int_equal(mp_pool_set_name(m->child, "main.child", NULL), 0);
  assert_int_equal(mp_pool_set_name(m->other, "main.child", "holder"), 0);
  assert_int_equal(mp_pool_set_name(m->leaf, "main.leaf", NULL), 0);
}

static void walk_init(struct walk *w, const struct mine *m, int offset) {
  memset(w, 0, sizeof *w);
  w->last_depth = -1;
  w->depth_offset = offset;
  const mp_pool_t *pools[NMINE] = {m->root, m->child, m->other, m->leaf};
  const mp_pool_t *parents[NMINE] = {NULL, m->root, m->root, m->child};
  const char *names[NMINE] = {"main", "main.child", "main.child", "main.leaf"};
  const int depths[NMINE] = {0, 1, 1, 2};
  for (int i = 0; i < NMINE; i++) {
    w->mine[i] = pools[i];
    w->mine_parent[i] = parents[i];
    w->mine_name[i] = names[i];
    w->mine_depth[i] = depths[i];
  }
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Whether every worker made at least `min` rounds. */
static bool workers_made(long min) {
  for (int i = 0; i < NWORKERS; i++)
    if (atomic_load(&rounds[i]) < min)
      return false;
  return true;
}

/* Whether a test may stop: the minimums met, or past the time limit with
 * a tenth of them (every worker and the walker still made progress). */
static bool enough(long walks, long t0) {
  if (walks >= MIN_WALKS && workers_made(MIN_ROUNDS))
    return true;
  return now_ms() - t0 > TIME_LIMIT_MS && walks >= MIN_WALKS / 10 &&
         workers_made(MIN_ROUNDS / 10);
}

/* Every line of a text tree: an indentation of whole levels, then a known
 * name or "(unnamed)", an optional [ident], and the counts. */
static void check_text(const char *buf) {
  CHECK(strncmp(buf, "main [holder]: reserved ", 24) == 0);
  for (const char *line = buf; *line != '\0';) {
    const char *end = strchr(line, '\n');
    CHECK(end != NULL);
    if (end == NULL)
      return;
    size_t sp = strspn(line, " ");
    CHECK(sp % 2 == 0);
    const char *name = line + sp;
    size_t n = strcspn(name, " :");
    char copy[32];
    CHECK(n < sizeof copy);
    if (n < sizeof copy) {
      memcpy(copy, name, n);
      copy[n] = '\0';
      CHECK(strcmp(copy, "(unnamed)") == 0 || known_name(copy));
    }
    CHECK(strstr(name, ": reserved ") != NULL &&
          strstr(name, ": reserved ") < end);
    line = end + 1;
  }
}

/* The main thread's own work between walks: allocation in its pools, and
 * a child of its own made and destroyed. */
static void use_mine(const struct mine *m, long i) {
  CHECK(mp_alloc(m->leaf, 16 + (size_t)i % 100) != NULL);
  if (i % 16 == 0)
    mp_reset_pool(m->leaf);
  mp_pool_t *tmp = mp_create_child(m->other, 0);
  CHECK(tmp != NULL);
  if (tmp != NULL) {
    CHECK(mp_pool_set_name(tmp, "main.tmp", NULL) == 0);
    CHECK(mp_alloc(tmp, 500) != NULL);
    mp_destroy_pool(tmp);
  }
}

static void start_workers(pthread_t *t, void *(*fn)(void *)) {
  atomic_store(&stop, false);
  atomic_store(&started, 0);
  atomic_store(&walks_made, 0);
  for (int i = 0; i < NWORKERS; i++) {
    atomic_store(&rounds[i], 0);
    assert_int_equal(pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i), 0);
  }
  while (atomic_load(&started) < NWORKERS)
    sched_yield();
}

static void stop_workers(pthread_t *t) {
  atomic_store(&stop, true);
  for (int i = 0; i < NWORKERS; i++)
    assert_int_equal(pthread_join(t[i], NULL), 0);
}

static char text[1 << 16];

static void walk_all_while_roots_churn(void **state) {
  (void)state;
  atomic_store(&failures, 0);
  struct mine m;
  make_mine(&m);
  pthread_t t[NWORKERS];
  start_workers(t, churn_roots);
  long t0 = now_ms(), walks = 0, max_visits = 0;
  while (!enough(walks, t0)) {
    struct walk w;
    walk_init(&w, &m, 0);
    CHECK(mp_walk(NULL, check_info, &w) == 0);
    for (int i = 0; i < NMINE; i++)
      CHECK(w.seen[i] == 1);
    CHECK(w.visits >= NMINE && w.visits <= NMINE + NWORKERS * (1 + 2 * KEEP));
    if (w.visits > max_visits)
      max_visits = w.visits;
    /* The walk's own subtree: exactly the main thread's pools. */
    walk_init(&w, &m, 0);
    w.own_only = true;
    CHECK(mp_walk(m.root, check_info, &w) == 0);
    CHECK(w.visits == NMINE);
    /* Text and JSON of everything. */
    size_t len = 0;
    CHECK(mp_tree_format(NULL, text, sizeof text, &len, 0) == 0);
    CHECK(len > 0 && len < sizeof text && text[len] == '\0');
    check_text(text);
    CHECK(mp_tree_format(NULL, text, sizeof text, &len, MP_TREE_JSON) == 0);
    CHECK(len > 4 && len < sizeof text && text[0] == '[' &&
          strcmp(text + len - 2, "]\n") == 0);
    CHECK(strstr(text, "\"name\": \"main\", \"ident\": \"holder\"") != NULL);
    /* A cut-short text still ends in a NUL. */
    char small[40];
    CHECK(mp_tree_format(NULL, small, sizeof small, &len, 0) == 0);
    CHECK(len >= sizeof small && small[sizeof small - 1] == '\0');
    use_mine(&m, walks);
    atomic_store(&walks_made, ++walks);
    sched_yield(); /* the tree's lock is not fair: let the workers in */
  }
  stop_workers(t);
  long elapsed = now_ms() - t0;
  /* Once they are gone, only the main thread's pools are left. */
  struct walk w;
  walk_init(&w, &m, 0);
  assert_int_equal(mp_walk(NULL, check_info, &w), 0);
  assert_int_equal(w.visits, NMINE);
  mp_destroy_pool(m.root);
  printf("# %ld walks in %ld ms, up to %ld pools a walk, worker rounds %ld "
         "%ld %ld\n",
         walks, elapsed, max_visits, atomic_load(&rounds[0]),
         atomic_load(&rounds[1]), atomic_load(&rounds[2]));
  assert_int_equal(atomic_load(&failures), 0);
}

static void walk_own_while_trees_churn(void **state) {
  (void)state;
  atomic_store(&failures, 0);
  struct mine m;
  make_mine(&m);
  pthread_t t[NWORKERS];
  start_workers(t, churn_trees);
  long t0 = now_ms(), walks = 0;
  while (!enough(walks, t0)) {
    struct walk w;
    walk_init(&w, &m, 0);
    w.own_only = true;
    CHECK(mp_walk(m.root, check_info, &w) == 0);
    CHECK(w.visits == NMINE);
    for (int i = 0; i < NMINE; i++)
      CHECK(w.seen[i] == 1);
    /* A subtree one level down: depths from 0 there. */
    walk_init(&w, &m, 1);
    w.own_only = true;
    CHECK(mp_walk(m.child, check_info, &w) == 0);
    CHECK(w.visits == 2 && w.seen[1] == 1 && w.seen[3] == 1);
    size_t len = 0;
    CHECK(mp_tree_format(m.root, text, sizeof text, &len, 0) == 0);
    CHECK(len < sizeof text);
    check_text(text);
    CHECK(strstr(text, "worker") == NULL && strstr(text, "request") == NULL);
    CHECK(strcmp(mp_pool_name(m.leaf), "main.leaf") == 0);
    CHECK(strcmp(mp_pool_ident(m.root), "holder") == 0);
    use_mine(&m, walks);
    atomic_store(&walks_made, ++walks);
    sched_yield(); /* the tree's lock is not fair: let the workers in */
  }
  stop_workers(t);
  mp_destroy_pool(m.root);
  printf("# %ld subtree walks in %ld ms, worker rounds %ld %ld %ld\n", walks,
         now_ms() - t0, atomic_load(&rounds[0]), atomic_load(&rounds[1]),
         atomic_load(&rounds[2]));
  assert_int_equal(atomic_load(&failures), 0);
}

static int stop_at_second(const mp_pool_info_t *in, void *arg) {
  (void)in;
  return ++*(int *)arg == 2 ? 42 : 0;
}

/* A walk stopped by its callback while roots churn: the callback's value,
 * and the lock given back (the workers go on and finish). */
static void stopped_walk_while_roots_churn(void **state) {
  (void)state;
  atomic_store(&failures, 0);
  struct mine m;
  make_mine(&m);
  pthread_t t[NWORKERS];
  start_workers(t, churn_roots);
  for (int i = 0; i < MIN_WALKS; i++) {
    int n = 0;
    CHECK(mp_walk(NULL, stop_at_second, &n) == 42 && n == 2);
    atomic_store(&walks_made, i + 1);
  }
  atomic_store(&walks_made, MIN_ROUNDS); /* the workers' pace is free */
  while (!workers_made(MIN_ROUNDS / 10))
    sched_yield();
  stop_workers(t);
  mp_destroy_pool(m.root);
  assert_int_equal(atomic_load(&failures), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(walk_all_while_roots_churn),
      cmocka_unit_test(walk_own_while_trees_churn),
      cmocka_unit_test(stopped_walk_while_roots_churn),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
