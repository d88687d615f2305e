/*
 * One MP_POOL_SHARED pool under 2 to 16 threads, checked for results, not
 * only for races: every thread allocates, frees, resizes and makes strings
 * at random; between phases (threads joined) the main thread checks every
 * live object's contents, that no two live objects overlap, and that
 * mp_stats() agrees with what the threads did (bytes requested, live large
 * blocks and their bytes, bytes used), then resets the pool or keeps it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "oom_util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16
#define SLOTS 48
#define LARGE_SIZE 20000 /* above the default large threshold (8 KiB) */

typedef struct {
  unsigned char *p;
  size_t size;
  unsigned seed;
} live_t;

typedef struct {
  unsigned id;
  uint64_t rng;
  int steps;
  live_t obj[SLOTS];
  size_t requested; /* bytes asked for since the last reset */
  int bad;          /* contents found changed by the thread itself */
} worker_t;

static mp_pool_t *shared;
static worker_t workers[MAX_THREADS];

static unsigned char byte_of(unsigned seed, size_t i) {
  return (unsigned char)(seed * 131u + i * 7u + (i >> 9));
}

static void fill(const live_t *o) {
  for (size_t i = 0; i < o->size; i++)
    o->p[i] = byte_of(o->seed, i);
}

static int intact(const live_t *o, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (o->p[i] != byte_of(o->seed, i))
      return 0;
  return 1;
}

static uint64_t next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static size_t pick_size(uint64_t r) {
  if (r % 61 == 0)
    return LARGE_SIZE + (size_t)(r >> 8) % 4096;
  return 1 + (size_t)(r >> 8) % ((r >> 4) % 4 == 0 ? 2048 : 96);
}

static void *work(void *arg) {
  worker_t *w = arg;
  for (int step = 0; step < w->steps; step++) {
    uint64_t r = next(&w->rng);
    live_t *o = &w->obj[r % SLOTS];
    switch ((r >> 32) % 8) {
    case 0:
    case 1:
    case 2: /* allocate into the slot, freeing what was there */
      if (o->p != NULL) {
        w->bad |= !intact(o, o->size);
        if (mp_free_sized(shared, o->p, o->size) != 0)
          w->bad = 1;
      }
      o->size = pick_size(next(&w->rng));
      o->p = (r >> 40) % 3 == 0 ? mp_calloc(shared, o->size)
                                : mp_alloc(shared, o->size);
      w->requested += o->size;
      if (o->p == NULL) {
        w->bad = 1;
        break;
      }
      o->seed = (unsigned)(w->id * 100000u + (unsigned)step);
      fill(o);
      break;
    case 3:
    case 4: { /* resize, contents kept */
      if (o->p == NULL)
        break;
      size_t n = pick_size(next(&w->rng));
      unsigned char *q = mp_realloc(shared, o->p, o->size, n);
      w->requested += n;
      if (q == NULL) {
        w->bad = 1;
        break;
      }
      o->p = q;
      w->bad |= !intact(o, o->size < n ? o->size : n);
      o->size = n;
      o->seed = (unsigned)(w->id * 100000u + (unsigned)step);
      fill(o);
      break;
    }
    case 5: /* free */
      if (o->p != NULL) {
        w->bad |= !intact(o, o->size);
        if (mp_free_sized(shared, o->p, o->size) != 0)
          w->bad = 1;
        o->p = NULL;
      }
      break;
    default: { /* a string, kept in the slot as an object of its own */
      if (o->p != NULL) {
        w->bad |= !intact(o, o->size);
        if (mp_free_sized(shared, o->p, o->size) != 0)
          w->bad = 1;
      }
      char *s = mp_printf(shared, "w%u-%d", w->id, step);
      if (s == NULL) {
        w->bad = 1;
        o->p = NULL;
        break;
      }
      w->requested += strlen(s) + 1;
      o->p = (unsigned char *)s;
      o->size = strlen(s) + 1;
      o->seed = (unsigned)(w->id * 100000u + (unsigned)step);
      fill(o);
      break;
    }
    }
  }
  return NULL;
}

static int cmp_live(const void *a, const void *b) {
  const live_t *x = *(live_t *const *)a, *y = *(live_t *const *)b;
  return x->p < y->p ? -1 : x->p > y->p;
}

/* Joined threads: every live object intact, none overlapping, and the
 * pool's statistics in line with the threads' own accounts. */
static void check_phase(int nthreads) {
  static live_t *all[MAX_THREADS * SLOTS];
  size_t n = 0, requested = 0, large = 0, large_bytes = 0, small_bytes = 0;
  for (int t = 0; t < nthreads; t++) {
    assert_int_equal(workers[t].bad, 0);
    requested += workers[t].requested;
    for (int k = 0; k < SLOTS; k++) {
      live_t *o = &workers[t].obj[k];
      if (o->p == NULL)
        continue;
      assert_true(intact(o, o->size));
      all[n++] = o;
      if (o->size >= LARGE_SIZE) {
        large++;
        large_bytes += o->size;
      } else {
        small_bytes += (o->size + 15) & ~(size_t)15;
      }
    }
  }
  qsort(all, n, sizeof all[0], cmp_live);
  for (size_t i = 1; i < n; i++)
    assert_true(all[i - 1]->p + all[i - 1]->size <= all[i]->p);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(shared, &st, 0), 0);
  assert_int_equal(st.bytes_requested, requested);
  assert_int_equal(st.large_blocks, large);
  assert_int_equal(st.large_bytes, large_bytes);
  assert_true(st.bytes_used >= small_bytes);
  assert_true(st.bytes_reserved >= st.bytes_used + st.large_reserved);
}

static void run_phase(int nthreads, int steps) {
  pthread_t th[MAX_THREADS];
  for (int t = 0; t < nthreads; t++) {
    workers[t].steps = steps;
    assert_int_equal(pthread_create(&th[t], NULL, work, &workers[t]), 0);
  }
  for (int t = 0; t < nthreads; t++)
    assert_int_equal(pthread_join(th[t], NULL), 0);
  check_phase(nthreads);
}

static void forget_all(int nthreads) {
  for (int t = 0; t < nthreads; t++) {
    memset(workers[t].obj, 0, sizeof workers[t].obj);
    workers[t].requested = 0;
  }
}

static int scale(void) { /* fewer steps under Valgrind */
  return getenv("MPOOL_TEST_UNDER_VALGRIND") ? 30 : 1;
}

static void shared_results(int nthreads, unsigned flags) {
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED | MP_POOL_COUNT_REQUESTS | flags;
  shared = mp_create_pool_ex(&o);
  assert_non_null(shared);
  memset(workers, 0, sizeof workers);
  for (int t = 0; t < nthreads; t++) {
    workers[t].id = (unsigned)t;
    workers[t].rng = 0x9e3779b97f4a7c15u * (uint64_t)(t + 1) + flags;
  }
  int steps = 6000 / scale();
  run_phase(nthreads, steps); /* a fresh pool */
  run_phase(nthreads, steps); /* the same objects, kept */
  mp_reset_pool(shared);      /* all threads joined: the pool is ours */
  forget_all(nthreads);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(shared, &st, 0), 0);
  assert_int_equal(st.large_blocks, 0);
  assert_int_equal(st.bytes_requested, 0);
  run_phase(nthreads, steps); /* after a reset */
  mp_destroy_pool(shared);
}

static void two_threads(void **state) {
  (void)state;
  shared_results(2, 0);
}
static void four_threads(void **state) {
  (void)state;
  shared_results(4, 0);
}
static void eight_threads(void **state) {
  (void)state;
  shared_results(8, 0);
}
static void sixteen_threads(void **state) {
  (void)state;
  shared_results(16, 0);
}
static void sixteen_threads_with_headers(void **state) {
  (void)state;
  shared_results(16, MP_POOL_SIZE_HEADERS);
}

/* Lanes and marks: a mark drains every thread's lane, so a rewind keeps
 * what was made before it and releases what came after; objects made on
 * one thread are freed on another; bytes_used comes back after frees. */
static void *free_them(void *arg) {
  void **objs = arg;
  for (int i = 0; i < 64; i++)
    if (mp_free_sized(shared, objs[i], 40) != 0)
      return arg;
  return NULL;
}

static void lanes_and_marks(void **state) {
  (void)state;
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  shared = mp_create_pool_ex(&o);
  assert_non_null(shared);
  mp_stats_t st0 = {.size = sizeof st0}, st = {.size = sizeof st};
  assert_int_equal(mp_stats(shared, &st0, 0), 0);
  void *objs[64];
  for (int i = 0; i < 64; i++) {
    objs[i] = mp_alloc(shared, 40);
    assert_non_null(objs[i]);
    memset(objs[i], i, 40);
  }
  pthread_t th;
  void *res = objs;
  assert_int_equal(pthread_create(&th, NULL, free_them, objs), 0);
  assert_int_equal(pthread_join(th, &res), 0);
  assert_null(res);
  assert_int_equal(mp_stats(shared, &st, 0), 0);
  assert_true(st.bytes_used <= st0.bytes_used + 64);
  assert_true(st.bytes_freed >= 64 * 48);
  unsigned char *keep = mp_alloc(shared, 100);
  assert_non_null(keep);
  memset(keep, 7, 100);
  mp_mark_t *m = mp_mark(shared);
  assert_non_null(m);
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_alloc(shared, 64));
  assert_int_equal(mp_rewind(shared, m), 0);
  for (int i = 0; i < 100; i++)
    assert_int_equal(keep[i], 7);
  unsigned char *after = mp_alloc(shared, 100); /* lanes again */
  assert_non_null(after);
  assert_true(after + 100 <= keep || after >= keep + 100);
  if (!(mpool_build_flags() & MPOOL_BUILD_HARDENED)) /* it aborts there */
    assert_int_equal(mp_rewind(shared, m), -1);      /* a stale mark */
  mp_destroy_pool(shared);
}

/* When a lane's chunk runs out and the current node has no room left, the
 * lane asks for a whole new chunk before the request alone.  That chunk's
 * failure is not the caller's: a call that then succeeds calls no
 * out-of-memory hook, and one that fails calls it once (with ENOMEM). */
static void lane_chunk_failure_is_silent(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = oom_pool(&t, 4096, MP_POOL_SHARED);
  assert_non_null(mp_alloc(p, 48)); /* the thread's lane is made */
  oom_log.calls = 0;
  long fails = 0, seen = 0;
  for (int round = 0; round < 8; round++) {
    long calls = t.calls;
    t.fail_at = calls; /* the next call of the backing allocator fails */
    for (int i = 0; i < 400 && t.calls == calls; i++) {
      long h0 = oom_log.calls, f0 = t.fails;
      errno = 0;
      void *q = mp_alloc(p, 48);
      if (q == NULL) {
        assert_int_equal(errno, ENOMEM);
        assert_int_equal(oom_log.calls - h0, 1);
        seen++;
      } else {
        memset(q, round, 48);
        assert_int_equal(oom_log.calls - h0, 0);
      }
      fails += t.fails - f0;
    }
    t.fail_at = -1;
  }
  assert_true(fails > 0); /* the allocator did fail */
  print_message("%ld backing failures, %ld seen by the caller\n", fails, seen);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* A lane whose list for a size is empty splits a larger freed object
 * before it bumps: a freed 4000-byte object serves the next 62 requests
 * of 64 bytes (in builds with lanes), and every object stays intact. */
static void lane_splits_freed_objects(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_SHARED);
  unsigned char *big = mp_alloc(p, 4000);
  unsigned char *after = mp_alloc(p, 16); /* big is not the latest */
  assert_non_null(big);
  assert_non_null(after);
  assert_int_equal(mp_free_sized(p, big, 4000), 0);
  int lanes =
      !(mpool_build_flags() & (MPOOL_BUILD_HARDENED | MPOOL_BUILD_VALGRIND |
                               MPOOL_BUILD_ASAN | MPOOL_BUILD_DEBUG));
  unsigned char *q[62];
  for (int i = 0; i < 62; i++) {
    q[i] = mp_alloc(p, 64);
    assert_non_null(q[i]);
    memset(q[i], i + 1, 64);
    if (lanes)
      assert_true(q[i] >= big && q[i] + 64 <= big + 4000);
  }
  for (int i = 0; i < 62; i++) {
    for (int j = 0; j < 64; j++)
      assert_int_equal(q[i][j], i + 1);
    assert_int_equal(mp_free_sized(p, q[i], 64), 0);
  }
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_true(st.bytes_used <= st.bytes_reserved);
  mp_destroy_pool(p);
}

/* A shared pool under churn (a random half of its objects freed and made
 * again, round after round) reuses what its lanes gave back before it
 * grows: in builds with lanes, the bytes reserved after 30 rounds are
 * those after the first (a refill that opened a new node whenever the
 * current one was full grew the pool to about 3.8 times its live data). */
static void churn_reuses_what_lanes_gave_back(void **state) {
  (void)state;
  enum { N = 20000, ROUNDS = 30 };
  static unsigned char *obj[N];
  static size_t osz[N];
  mp_pool_t *p = flag_pool(MP_POOL_SHARED);
  uint64_t rng = 0x243f6a8885a308d3u;
  for (int i = 0; i < N; i++) {
    osz[i] = 1 + next(&rng) % 256;
    obj[i] = mp_alloc(p, osz[i]);
    assert_non_null(obj[i]);
    obj[i][0] = (unsigned char)i;
  }
  size_t first = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < N; i++) {
      if (next(&rng) % 2 == 0)
        continue;
      assert_int_equal(obj[i][0], (unsigned char)i);
      assert_int_equal(mp_free_sized(p, obj[i], osz[i]), 0);
      osz[i] = 1 + next(&rng) % 256;
      obj[i] = mp_alloc(p, osz[i]);
      assert_non_null(obj[i]);
      obj[i][0] = (unsigned char)i;
    }
    mp_stats_t st = {.size = sizeof st};
    assert_int_equal(mp_stats(p, &st, 0), 0);
    assert_true(st.bytes_used <= st.bytes_reserved);
    if (round == 0)
      first = st.bytes_reserved;
    else if (round == ROUNDS - 1 &&
             !(mpool_build_flags() &
               (MPOOL_BUILD_HARDENED | MPOOL_BUILD_VALGRIND | MPOOL_BUILD_ASAN |
                MPOOL_BUILD_DEBUG)))
      assert_true(st.bytes_reserved <= first + first / 4);
  }
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(two_threads),
      cmocka_unit_test(four_threads),
      cmocka_unit_test(eight_threads),
      cmocka_unit_test(sixteen_threads),
      cmocka_unit_test(sixteen_threads_with_headers),
      cmocka_unit_test(lanes_and_marks),
      cmocka_unit_test(lane_chunk_failure_is_silent),
      cmocka_unit_test(lane_splits_freed_objects),
      cmocka_unit_test(churn_reuses_what_lanes_gave_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
