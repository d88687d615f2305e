/*
 * Threads: pools per thread created and destroyed at once, a shared pool
 * (MP_POOL_SHARED) used by every thread, blocks and pools moving between
 * threads, and the block cache's bound.  Built into every test
 * configuration, including the ThreadSanitizer one.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NTHREADS 4

static void run_threads(int n, void *(*fn)(void *), void **args) {
  pthread_t t[16];
  for (int i = 0; i < n; i++)
    assert_int_equal(pthread_create(&t[i], NULL, fn, args ? args[i] : NULL), 0);
  for (int i = 0; i < n; i++)
    assert_int_equal(pthread_join(t[i], NULL), 0);
}

static void fill(void *p, size_t n, unsigned char v) { memset(p, v, n); }

static int holds(const void *p, size_t n, unsigned char v) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != v)
      return 0;
  return 1;
}

/* Checks from a worker thread: cmocka's assertions are not thread-safe, so
 * workers count failures and the main thread asserts on the count. */
static _Atomic int failures;
#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);    \
      failures++;                                                              \
    }                                                                          \
  } while (0)

/* ------------------------------------------------------------------------
 * Pools per thread
 * ---------------------------------------------------------------------- */

static void *own_pools(void *arg) {
  unsigned char id = (unsigned char)(uintptr_t)arg;
  for (int round = 0; round < 300; round++) {
    mp_pool_t *p = mp_create_pool(round % 3 == 0 ? 4096 : 0);
    CHECK(p != NULL);
    if (p == NULL)
      return NULL;
    void *obj[40];
    size_t len[40];
    for (int i = 0; i < 40; i++) {
      len[i] = i % 13 == 12 ? (size_t)20000 + (size_t)i : (size_t)(8 + i * 29);
      obj[i] = mp_alloc(p, len[i]);
      CHECK(obj[i] != NULL);
      fill(obj[i], len[i], (unsigned char)(id + i));
    }
    for (int i = 0; i < 40; i += 3) { /* reuse and large frees */
      CHECK(mp_free_sized(p, obj[i], len[i]) == 0);
      obj[i] = NULL;
    }
    for (int i = 0; i < 40; i++)
      CHECK(obj[i] == NULL || holds(obj[i], len[i], (unsigned char)(id + i)));
    char *s = mp_printf(p, "thread %u round %d", (unsigned)id, round);
    CHECK(s != NULL && strncmp(s, "thread ", 7) == 0);
    if (round % 2)
      mp_reset_pool(p);
    mp_destroy_pool(p);
  }
  return NULL;
}

static void pools_per_thread(void **state) {
  (void)state;
  failures = 0;
  void *args[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    args[i] = (void *)(uintptr_t)(i * 50 + 1);
  run_threads(NTHREADS, own_pools, args);
  assert_int_equal(failures, 0);
}

/* ------------------------------------------------------------------------
 * A shared pool
 * ---------------------------------------------------------------------- */

static mp_pool_t *shared;
static _Atomic int cleanups_run;

static void count_cleanup(void *data) {
  (void)data;
  cleanups_run++;
}

#define LIVE 64

static void *hammer(void *arg) {
  unsigned id = (unsigned)(uintptr_t)arg;
  unsigned char *obj[LIVE] = {0};
  size_t len[LIVE] = {0};
  char *str[LIVE] = {0};
  char expect[64];
  uint64_t rng = 0x9e3779b97f4a7c15u * (id + 1);
  for (int step = 0; step < 4000; step++) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    int k = (int)(rng % LIVE);
    unsigned char v = (unsigned char)(id * 16 + (unsigned)k);
    switch ((rng >> 8) % 6) {
    case 0: /* allocate (sometimes large), replacing the slot */
    case 1:
      if (obj[k] != NULL) {
        CHECK(holds(obj[k], len[k], v));
        CHECK(mp_free_sized(shared, obj[k], len[k]) == 0);
      }
      len[k] = (rng >> 16) % 97 == 0 ? 9000 : 1 + (rng >> 16) % 700;
      obj[k] = (rng >> 24) % 2 ? mp_alloc(shared, len[k])
                               : mp_calloc(shared, len[k]);
      CHECK(obj[k] != NULL);
      if (obj[k] != NULL)
        fill(obj[k], len[k], v);
      break;
    case 2: /* grow or shrink */
      if (obj[k] != NULL) {
        size_t n = 1 + (rng >> 20) % 1500;
        unsigned char *q = mp_realloc(shared, obj[k], len[k], n);
        CHECK(q != NULL);
        if (q != NULL) {
          CHECK(holds(q, len[k] < n ? len[k] : n, v));
          obj[k] = q;
          len[k] = n;
          fill(q, n, v);
        }
      }
      break;
    case 3: /* strings */
      snprintf(expect, sizeof expect, "t%u-s%d", id, step);
      str[k] = (rng >> 12) % 2 ? mp_printf(shared, "t%u-s%d", id, step)
                               : mp_strcat(shared, "t", "", (char *)NULL);
      if ((rng >> 12) % 2)
        CHECK(str[k] != NULL && strcmp(str[k], expect) == 0);
      else
        CHECK(str[k] != NULL && strcmp(str[k], "t") == 0);
      break;
    case 4: /* free outright */
      if (obj[k] != NULL) {
        CHECK(holds(obj[k], len[k], v));
        CHECK(mp_free_sized(shared, obj[k], len[k]) == 0);
        obj[k] = NULL;
      }
      break;
    default: { /* children, cleanups, statistics */
      mp_pool_t *c = mp_create_child(shared, 1024);
      CHECK(c != NULL && mp_pool_parent(c) == shared);
      CHECK(mp_strdup(c, "child") != NULL);
      if (step % 2)
        mp_destroy_pool(c); /* the rest go with the pool */
      mp_cleanup_t *h = mp_cleanup_add(shared, count_cleanup, NULL);
      CHECK(h != NULL);
      if (step % 3 == 0)
        CHECK(mp_cleanup_remove(shared, h) == 0);
      mp_stats_t st = {.size = sizeof st};
      /* Not MP_STATS_CHILDREN: the children are other threads' pools. */
      CHECK(mp_stats(shared, &st, 0) == 0);
      CHECK(st.bytes_reserved >= st.bytes_used);
      break;
    }
    }
  }
  for (int k = 0; k < LIVE; k++)
    if (obj[k] != NULL)
      CHECK(holds(obj[k], len[k], (unsigned char)(id * 16 + (unsigned)k)));
  return NULL;
}

static void shared_pool_hammered(void **state) {
  (void)state;
  failures = 0;
  cleanups_run = 0;
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  o.node_size = 8192;
  o.flags |= MP_POOL_EXACT_NODES;
  shared = mp_create_pool_ex(&o);
  assert_non_null(shared);
  void *args[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    args[i] = (void *)(uintptr_t)i;
  run_threads(NTHREADS, hammer, args);
  assert_int_equal(failures, 0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(shared, &st, 0), 0);
  assert_true(st.bytes_freed > 0);
  assert_true(st.children > 0);
  mp_reset_pool(shared);
  int ran = cleanups_run;
  assert_true(ran > 0);
  assert_non_null(mp_alloc(shared, 100)); /* usable after a reset */
  mp_destroy_pool(shared);
  assert_int_equal(cleanups_run, ran);
}

/* Size headers combine with sharing: mp_free() frees small objects. */
static void *header_worker(void *arg) {
  mp_pool_t *p = arg;
  for (int i = 0; i < 2000; i++) {
    char *a = mp_alloc(p, 64);
    CHECK(a != NULL);
    memset(a, 'x', 64);
    CHECK(mp_free(p, a) == 0);
    void *b = mp_memalign(p, 100, 64);
    CHECK(b != NULL && (uintptr_t)b % 64 == 0);
    void *c = mp_realloc_unsized(p, b, 300);
    CHECK(c != NULL);
    CHECK(mp_free(p, c) == 0);
  }
  return NULL;
}

static void shared_with_size_headers(void **state) {
  (void)state;
  failures = 0;
  mp_pool_t *p = flag_pool(MP_POOL_SHARED | MP_POOL_SIZE_HEADERS);
  void *args[NTHREADS] = {p, p, p, p};
  run_threads(NTHREADS, header_worker, args);
  assert_int_equal(failures, 0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.large_blocks, 0);
  mp_destroy_pool(p);
}

/* A cleanup that uses the shared pool while its reset runs it. */
static void reenter(void *data) {
  mp_pool_t *p = data;
  char *s = mp_strdup(p, "again");
  assert_non_null(s);
}

static void shared_pool_lifetime(void **state) {
  (void)state;
  /* Unknown flags are still refused. */
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED | 0x100u;
  errno = 0;
  assert_null(mp_create_pool_ex(&o));
  assert_int_equal(errno, EINVAL);

  /* A shared child of an ordinary pool goes with its parent; an ordinary
   * child of a shared pool names the shared pool as its parent. */
  test_alloc_t ta;
  ta_init(&ta);
  mp_pool_t *root = ta_pool(&ta, 0);
  assert_non_null(root);
  o.flags = MP_POOL_SHARED;
  o.parent = root;
  o.allocator = NULL;
  mp_pool_t *sp = mp_create_pool_ex(&o);
  assert_non_null(sp);
  assert_ptr_equal(mp_pool_parent(sp), root);
  mp_pool_t *leaf = mp_create_child(sp, 0);
  assert_non_null(leaf);
  assert_ptr_equal(mp_pool_parent(leaf), sp);
  o.parent = sp;
  mp_pool_t *sleaf = mp_create_pool_ex(&o);
  assert_non_null(sleaf);
  assert_ptr_equal(mp_pool_parent(sleaf), sp);
  assert_non_null(mp_cleanup_add(sp, reenter, sp));
  mp_reset_pool(sp); /* destroys leaf and sleaf, runs reenter */
  mp_objpool_t *op = mp_objpool_create(sp, 48, 0);
  assert_non_null(op);
  void *x = mp_objpool_get(op);
  assert_non_null(x);
  assert_int_equal(mp_objpool_put(op, x), 0);
  assert_ptr_equal(mp_objpool_get(op), x);
  mp_cleanup_t *c = mp_cleanup_add(sp, reenter, sp);
  assert_int_equal(mp_cleanup_run(sp, c), 0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(root, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.children, 1);
  mp_destroy_pool(root); /* takes sp, and its handle, with it */
  assert_int_equal(ta.live_bytes, 0);
  assert_int_equal(ta.live_blocks, 0);

  /* Destroyed on its own, with a custom allocator: nothing left behind. */
  ta_init(&ta);
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  o.allocator = &ta.a;
  sp = mp_create_pool_ex(&o);
  assert_non_null(sp);
  assert_non_null(mp_alloc(sp, 50000));
  FILE *devnull = fopen("/dev/null", "w");
  assert_non_null(devnull);
  assert_int_equal(mp_report(sp, devnull), 0);
  fclose(devnull);
  mp_destroy_pool(sp);
  assert_int_equal(ta.live_bytes, 0);
  assert_int_equal(ta.live_blocks, 0);
}

/* ------------------------------------------------------------------------
 * Pools and blocks moving between threads
 * ---------------------------------------------------------------------- */

static mp_pool_t *made[NTHREADS];

static void *make_pool(void *arg) {
  int i = (int)(uintptr_t)arg;
  made[i] = mp_create_pool(0);
  CHECK(made[i] != NULL);
  for (int j = 0; j < 100; j++) {
    unsigned char *a = mp_alloc(made[i], 300);
    CHECK(a != NULL);
    fill(a, 300, (unsigned char)i);
  }
  CHECK(mp_alloc(made[i], 40000) != NULL); /* a large block */
  CHECK(mp_pool_handoff(made[i]) == 0);    /* for the thread that ends it */
  return NULL;
}

static void *end_pool(void *arg) {
  int i = (int)(uintptr_t)arg;
  /* Handed over (mp_pool_handoff(), then the join and create that
   * separate the two threads). */
  mp_destroy_pool(made[(i + 1) % NTHREADS]);
  return NULL;
}

static void pools_migrate(void **state) {
  (void)state;
  failures = 0;
  void *args[NTHREADS];
  for (int i = 0; i < NTHREADS; i++)
    args[i] = (void *)(uintptr_t)i;
  run_threads(NTHREADS, make_pool, args);
  run_threads(NTHREADS, end_pool, args);
  assert_int_equal(failures, 0);
}

static mpool_cache_stats_t seen; /* by the thread below, before it exits */

static void *fill_front(void *arg) {
  (void)arg;
  mp_pool_t *p[20];
  for (int i = 0; i < 20; i++) {
    p[i] = mp_create_exact(16384);
    CHECK(p[i] != NULL);
  }
  for (int i = 0; i < 20; i++)
    mp_destroy_pool(p[i]);
  seen.size = sizeof seen;
  CHECK(mpool_cache_stats(&seen) == 0);
  return NULL;
}

/* A thread's front goes to the back when the thread exits, and from there
 * to another thread. */
static void exit_returns_front(void **state) {
  (void)state;
  failures = 0;
  mpool_cache_flush();
  run_threads(1, fill_front, NULL);
  assert_int_equal(failures, 0);
  assert_int_equal(seen.front_bytes, 20 * 16384);
  mpool_cache_stats_t st = {.size = sizeof st};
  assert_int_equal(mpool_cache_stats(&st), 0);
  assert_int_equal(st.back_bytes, seen.back_bytes + 20 * 16384);
  assert_int_equal(st.front_bytes, 0);
  /* This thread's pools now come from what the other thread freed. */
  mp_pool_t *p = mp_create_exact(16384);
  assert_non_null(p);
  assert_int_equal(mpool_cache_stats(&st), 0);
  assert_int_equal(st.back_bytes, seen.back_bytes + 19 * 16384);
  mp_destroy_pool(p);
  mpool_cache_flush();
}

/* Over the bound, an exiting thread's blocks are freed instead. */
static void exit_respects_bound(void **state) {
  (void)state;
  failures = 0;
  mpool_cache_flush();
  assert_int_equal(mpool_cache_set_limit(5 * 16384), 0);
  run_threads(1, fill_front, NULL);
  assert_int_equal(failures, 0);
  assert_int_equal(seen.front_limit, 5 * 16384);
  assert_true(seen.front_bytes <= 5 * 16384);
  assert_true(seen.back_bytes <= 5 * 16384);
  mpool_cache_stats_t st = {.size = sizeof st};
  assert_int_equal(mpool_cache_stats(&st), 0);
  assert_int_equal(st.back_limit, 5 * 16384);
  assert_true(st.back_bytes <= 5 * 16384);
  assert_true(st.back_bytes > 0);
  assert_int_equal(mpool_cache_set_limit((size_t)64 << 20), 0);
  mpool_cache_flush();
}

/* ------------------------------------------------------------------------
 * The cache bound
 * ---------------------------------------------------------------------- */

static void set_limit_trims(void **state) {
  (void)state;
  mpool_cache_flush();
  static mp_pool_t *p[400];
  for (int i = 0; i < 400; i++) {
    p[i] = mp_create_exact(16384);
    assert_non_null(p[i]);
  }
  for (int i = 0; i < 400; i++)
    mp_destroy_pool(p[i]);
  mpool_cache_stats_t st = {.size = sizeof st};
  assert_int_equal(mpool_cache_stats(&st), 0);
  assert_int_equal(st.back_limit, (size_t)64 << 20);
  assert_int_equal(st.front_bytes + st.back_bytes, (size_t)400 * 16384);
  assert_true(st.back_bytes > ((size_t)2 << 20));

  assert_int_equal(mpool_cache_set_limit((size_t)1 << 20), 0);
  assert_int_equal(mpool_cache_stats(&st), 0);
  assert_true(st.back_bytes <= ((size_t)1 << 20));
  assert_true(st.front_bytes <= ((size_t)1 << 20));
  assert_int_equal(st.back_limit, (size_t)1 << 20);
  assert_int_equal(st.front_limit, (size_t)1 << 20);

  /* Respected from then on. */
  for (int i = 0; i < 400; i++)
    p[i] = mp_create_exact(16384);
  for (int i = 0; i < 400; i++)
    mp_destroy_pool(p[i]);
  assert_int_equal(mpool_cache_stats(&st), 0);
  assert_true(st.back_bytes <= ((size_t)1 << 20));
  assert_true(st.front_bytes <= ((size_t)1 << 20));

  /* 0 turns the cache off. */
  assert_int_equal(mpool_cache_set_limit(0), 0);
  mp_destroy_pool(mp_create_pool(0));
  assert_int_equal(mpool_cache_stats(&st), 0);
  assert_int_equal(st.back_bytes + st.front_bytes, 0);

  errno = 0;
  assert_int_equal(mpool_cache_stats(NULL), -1);
  assert_int_equal(errno, EINVAL);
  st.size = 3;
  assert_int_equal(mpool_cache_stats(&st), -1);
  assert_int_equal(mpool_cache_set_limit((size_t)64 << 20), 0);
}

static void *churn_cache(void *arg) {
  (void)arg;
  for (int i = 0; i < 500; i++) {
    mp_pool_t *p = mp_create_pool(0);
    CHECK(p != NULL);
    if (p == NULL)
      return NULL;
    CHECK(mp_alloc(p, 30000) != NULL);
    mp_destroy_pool(p);
    if (i % 100 == 0)
      (void)mpool_cache_set_limit(i % 200 ? (size_t)64 << 20 : 65536);
    mpool_cache_stats_t st = {.size = sizeof st};
    CHECK(mpool_cache_stats(&st) == 0);
  }
  return NULL;
}

/* The bound changes while other threads use the cache. */
static void set_limit_concurrently(void **state) {
  (void)state;
  failures = 0;
  run_threads(NTHREADS, churn_cache, NULL);
  assert_int_equal(failures, 0);
  assert_int_equal(mpool_cache_set_limit((size_t)64 << 20), 0);
}

/* Regression: the shared handle (its lock and its public struct) comes from the
 * backing allocator and counts in bytes_reserved like everything else the
 * pool holds from it (it was left out). */
static void shared_handle_is_reserved(void **state) {
  (void)state;
  test_alloc_t *t = malloc(sizeof *t);
  assert_non_null(t);
  ta_init(t);
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  o.allocator = &t->a;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  for (int i = 0; i < 3; i++) {
    mp_stats_t st = {.size = sizeof st};
    assert_int_equal(mp_stats(p, &st, 0), 0);
    assert_int_equal(st.bytes_reserved, t->live_bytes);
    assert_non_null(mp_alloc(p, 100));
    assert_non_null(mp_alloc(p, 70000)); /* a large block */
    if (i == 1)
      mp_reset_pool(p);
  }
  mp_destroy_pool(p);
  assert_int_equal(t->live_bytes, 0);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pools_per_thread),
      cmocka_unit_test(shared_pool_hammered),
      cmocka_unit_test(shared_with_size_headers),
      cmocka_unit_test(shared_pool_lifetime),
      cmocka_unit_test(shared_handle_is_reserved),
      cmocka_unit_test(pools_migrate),
      cmocka_unit_test(exit_returns_front),
      cmocka_unit_test(exit_respects_bound),
      cmocka_unit_test(set_limit_trims),
      cmocka_unit_test(set_limit_concurrently),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
