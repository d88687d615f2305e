/*
 * mpool-scale: request-cycle throughput as threads are added.
 *
 *   mpool-scale [--requests N] [--reps N] [--quick] [THREADS...]
 *
 * Each of THREADS threads (default 1 2 4) runs request cycles -- create a
 * region, make the 32-48 allocations of one request of the plan (the
 * request mix of common.c: 85% 8-512 B, 13% 512 B-4 KiB, 2% 4-16 KiB),
 * touch them, release the region -- and the table gives the total
 * requests per second over all threads, best of --reps runs, for:
 *
 *   mpool         a pool per request (mp_create_pool, mp_alloc, destroy)
 *   mpool-shared  one MP_POOL_SHARED pool for all threads; a request
 *                 allocates from it and frees each object (mp_free_sized)
 *   apr           a pool per request, a child of one root pool whose
 *                 allocator all threads share, guarded by its mutex
 *                 (apr_allocator_mutex_set), as a threaded server runs it
 *   talloc        a talloc context per request (talloc_new, talloc_free)
 *   mimalloc      a heap per request (mi_heap_new, mi_heap_destroy)
 *   malloc        glibc malloc() per object, free() of each at the end
 *
 * Debian's libmimalloc replaces malloc() in any process that links it, so
 * the mimalloc row runs in a program of its own (mpb-scale-mimalloc, next
 * to this one), which this program starts and reads one line from.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MPB_SCALE_MIMALLOC
#include <mimalloc.h>
#else
#include "mpool.h"
#ifdef MPB_SCALE_APR
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_thread_mutex.h>
#endif
#ifdef MPB_SCALE_TALLOC
#include <talloc.h>
#endif
#endif

#define MAX_THREADS 64
#define MAX_COUNTS 16

static mpb_plan_t plan;
static size_t requests = 20000; /* per thread per run */

/* ------------------------------------------------------------------------
 * Peers: one request cycle each
 * ---------------------------------------------------------------------- */

typedef int (*cycle_fn)(size_t req);

static inline const uint32_t *sizes_of(size_t req, uint32_t *n) {
  size_t r = req % MPB_PLAN_REQUESTS;
  *n = plan.count[r];
  return plan.sizes + plan.start[r];
}

#ifdef MPB_SCALE_MIMALLOC
static int cycle_mimalloc(size_t req) {
  uint32_t n;
  const uint32_t *sz = sizes_of(req, &n);
  mi_heap_t *h = mi_heap_new();
  if (h == NULL)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    void *p = mi_heap_malloc(h, sz[i]);
    if (p == NULL)
      return -1;
    mpb_touch(p, sz[i], mpb_touch_lines);
  }
  mi_heap_destroy(h);
  return 0;
}
#else
static int cycle_malloc(size_t req) {
  uint32_t n;
  const uint32_t *sz = sizes_of(req, &n);
  void *obj[MPB_PLAN_MAX];
  for (uint32_t i = 0; i < n; i++) {
    obj[i] = malloc(sz[i]);
    if (obj[i] == NULL)
      return -1;
    mpb_touch(obj[i], sz[i], mpb_touch_lines);
  }
  for (uint32_t i = 0; i < n; i++)
    free(obj[i]);
  return 0;
}

static int cycle_mpool(size_t req) {
  uint32_t n;
  const uint32_t *sz = sizes_of(req, &n);
  mp_pool_t *p = mp_create_pool(0);
  if (p == NULL)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    void *o = mp_alloc(p, sz[i]);
    if (o == NULL)
      return -1;
    mpb_touch(o, sz[i], mpb_touch_lines);
  }
  mp_destroy_pool(p);
  return 0;
}

static mp_pool_t *shared_pool;

static int cycle_mpool_shared(size_t req) {
  uint32_t n;
  const uint32_t *sz = sizes_of(req, &n);
  void *obj[MPB_PLAN_MAX];
  for (uint32_t i = 0; i < n; i++) {
    obj[i] = mp_alloc(shared_pool, sz[i]);
    if (obj[i] == NULL)
      return -1;
    mpb_touch(obj[i], sz[i], mpb_touch_lines);
  }
  for (uint32_t i = n; i-- > 0;)
    if (mp_free_sized(shared_pool, obj[i], sz[i]) != 0)
      return -1;
  return 0;
}

#ifdef MPB_SCALE_APR
static apr_pool_t *apr_root;

static int cycle_apr(size_t req) {
  uint32_t n;
  const uint32_t *sz = sizes_of(req, &n);
  apr_pool_t *p = NULL;
  if (apr_pool_create(&p, apr_root) != APR_SUCCESS)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    void *o = apr_palloc(p, sz[i]);
    if (o == NULL)
      return -1;
    mpb_touch(o, sz[i], mpb_touch_lines);
  }
  apr_pool_destroy(p);
  return 0;
}

static int apr_setup(void) {
  apr_allocator_t *a = NULL;
  apr_thread_mutex_t *m = NULL;
  if (apr_initialize() != APR_SUCCESS ||
      apr_allocator_create(&a) != APR_SUCCESS ||
      apr_pool_create_ex(&apr_root, NULL, NULL, a) != APR_SUCCESS ||
      apr_thread_mutex_create(&m, APR_THREAD_MUTEX_DEFAULT, apr_root) !=
          APR_SUCCESS)
    return -1;
  apr_allocator_owner_set(a, apr_root);
  apr_allocator_mutex_set(a, m);
  return 0;
}
#endif

#ifdef MPB_SCALE_TALLOC
static int cycle_talloc(size_t req) {
  uint32_t n;
  const uint32_t *sz = sizes_of(req, &n);
  void *ctx = talloc_new(NULL);
  if (ctx == NULL)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    void *o = talloc_size(ctx, sz[i]);
    if (o == NULL)
      return -1;
    mpb_touch(o, sz[i], mpb_touch_lines);
  }
  talloc_free(ctx);
  return 0;
}
#endif
#endif /* MPB_SCALE_MIMALLOC */

/* ------------------------------------------------------------------------
 * Timing: all threads start together; the run ends when the last is done
 * ---------------------------------------------------------------------- */

struct run {
  cycle_fn cycle;
  int threads;
  pthread_barrier_t start;
  int failed;
  pthread_mutex_t lock;
};

struct worker {
  struct run *run;
  size_t first;    /* first request of the plan this thread replays */
  uint64_t t0, t1; /* when this thread started and finished its part */
};

static void *work(void *arg) {
  struct worker *w = arg;
  struct run *r = w->run;
  int bad = 0;
  for (size_t i = 0; i < 200; i++) /* warm up this thread's caches */
    bad |= r->cycle(w->first + i) != 0;
  pthread_barrier_wait(&r->start);
  w->t0 = mpb_now_ns();
  for (size_t i = 0; i < requests; i++)
    bad |= r->cycle(w->first + i) != 0;
  w->t1 = mpb_now_ns();
  if (bad) {
    pthread_mutex_lock(&r->lock);
    r->failed = 1;
    pthread_mutex_unlock(&r->lock);
  }
  return NULL;
}

/* Requests per second over all threads, or a negative value on failure. */
static double measure(cycle_fn cycle, int threads) {
  struct run r = {.cycle = cycle, .threads = threads, .failed = 0};
  struct worker w[MAX_THREADS];
  pthread_t t[MAX_THREADS];
  pthread_mutex_init(&r.lock, NULL);
  pthread_barrier_init(&r.start, NULL, (unsigned)threads + 1);
  for (int i = 0; i < threads; i++) {
    w[i].run = &r;
    w[i].first = (size_t)i * 131;
    if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
      fprintf(stderr, "mpool-scale: pthread_create failed\n");
      exit(1);
    }
  }
  pthread_barrier_wait(&r.start);
  /* From the first thread's start to the last one's end: the clock is
   * read by the workers, so a descheduled main thread does not skew it. */
  uint64_t t0 = UINT64_MAX, t1 = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    t0 = w[i].t0 < t0 ? w[i].t0 : t0;
    t1 = w[i].t1 > t1 ? w[i].t1 : t1;
  }
  pthread_barrier_destroy(&r.start);
  pthread_mutex_destroy(&r.lock);
  if (r.failed)
    return -1;
  return (double)requests * threads / ((double)(t1 - t0) / 1e9);
}

static double best(cycle_fn cycle, int threads, int reps) {
  double b = 0;
  for (int i = 0; i < reps; i++) {
    double v = measure(cycle, threads);
    if (v < 0)
      return -1;
    if (v > b)
      b = v;
  }
  return b;
}

/* ------------------------------------------------------------------------
 * Main
 * ---------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr, "usage: mpool-scale [--requests N] [--reps N] [--quick] "
                  "[THREADS...]\n");
  exit(2);
}

static long number(const char *s, long max) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < 1 || v > max)
    usage();
  return v;
}

static void row(const char *name, cycle_fn cycle, const int *counts, int n,
                int reps, double *out) {
  printf("%-14s", name);
  for (int i = 0; i < n; i++) {
    out[i] = cycle ? best(cycle, counts[i], reps) : -1;
    if (out[i] < 0)
      printf(" %10s", "n/a");
    else
      printf(" %10.0f", out[i] / 1000);
    fflush(stdout);
  }
  if (out[0] > 0 && out[n - 1] > 0 && n > 1)
    printf("   x%.2f", out[n - 1] / out[0]);
  printf("\n");
}

#ifndef MPB_SCALE_MIMALLOC
/* The mimalloc row, from the program of its own next to this one. */
static void row_mimalloc(const char *self, const int *counts, int n, int reps) {
  char dir[4096], cmd[8192];
  ssize_t len = readlink("/proc/self/exe", dir, sizeof dir - 1);
  if (len <= 0) {
    snprintf(dir, sizeof dir, "%s", self);
    len = (ssize_t)strlen(dir);
  }
  dir[len] = '\0';
  char *slash = strrchr(dir, '/');
  if (slash != NULL)
    *slash = '\0';
  else
    snprintf(dir, sizeof dir, ".");
  char helper[4200];
  snprintf(helper, sizeof helper, "%s/mpb-scale-mimalloc", dir);
  int at = snprintf(cmd, sizeof cmd, "'%s' --requests %zu --reps %d", helper,
                    requests, reps);
  for (int i = 0; i < n && at > 0 && (size_t)at < sizeof cmd; i++)
    at += snprintf(cmd + at, sizeof cmd - (size_t)at, " %d", counts[i]);
  char line[1024] = "";
  FILE *f = access(helper, X_OK) == 0 ? popen(cmd, "r") : NULL;
  if (f == NULL || fgets(line, sizeof line, f) == NULL) {
    if (f != NULL)
      pclose(f);
    double none[MAX_COUNTS];
    row("mimalloc", NULL, counts, n, reps, none);
    return;
  }
  pclose(f);
  fputs(line, stdout);
}
#endif

int main(int argc, char **argv) {
  int counts[MAX_COUNTS], n = 0, reps = 3;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--requests") == 0 && i + 1 < argc)
      requests = (size_t)number(argv[++i], 100000000L);
    else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = (int)number(argv[++i], 100);
    else if (strcmp(argv[i], "--quick") == 0) {
      requests = 2000;
      reps = 1;
    } else if (argv[i][0] == '-' || n == MAX_COUNTS)
      usage();
    else
      counts[n++] = (int)number(argv[i], MAX_THREADS);
  }
  if (n == 0) {
    counts[0] = 1;
    counts[1] = 2;
    counts[2] = 4;
    n = 3;
  }
  if (mpb_plan_init(&plan, UINT64_C(0x6d706f6f6c), 0) != 0) {
    fprintf(stderr, "mpool-scale: no memory for the plan\n");
    return 1;
  }
  double out[MAX_COUNTS];
#ifdef MPB_SCALE_MIMALLOC
  row("mimalloc", cycle_mimalloc, counts, n, reps, out);
#else
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  printf("mpool-scale: requests per second over all threads, in thousands "
         "(best of %d;\n%zu requests of 32-48 allocations per thread; %ld "
         "online CPUs); xN: last column over the first\n",
         reps, requests, cpus);
  printf("%-14s", "threads");
  for (int i = 0; i < n; i++)
    printf(" %10d", counts[i]);
  printf("\n");
  row("mpool", cycle_mpool, counts, n, reps, out);
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  shared_pool = mp_create_pool_ex(&o);
  row("mpool-shared", shared_pool ? cycle_mpool_shared : NULL, counts, n, reps,
      out);
  mp_destroy_pool(shared_pool);
#ifdef MPB_SCALE_APR
  row("apr", apr_setup() == 0 ? cycle_apr : NULL, counts, n, reps, out);
#else
  row("apr", NULL, counts, n, reps, out);
#endif
#ifdef MPB_SCALE_TALLOC
  row("talloc", cycle_talloc, counts, n, reps, out);
#else
  row("talloc", NULL, counts, n, reps, out);
#endif
  row_mimalloc(argv[0], counts, n, reps);
  row("malloc", cycle_malloc, counts, n, reps, out);
#endif
  mpb_plan_free(&plan);
  return 0;
}
