/*
 * mpool-shared-scale: one MP_POOL_SHARED pool used by many threads at once,
 * against a pool per thread, the locked design and glibc.
 *
 *   mpool-shared-scale [--ops N] [--reps N] [--rows LIST] [--quick] [--raw]
 *                      [THREADS...]
 *
 * Each of THREADS threads (default 1 2 4 8 16) keeps a ring of 64 live
 * objects: a step frees the oldest (mp_free_sized) and allocates the next
 * size of a fixed pseudo-random sequence of its own (7/8 of the sizes
 * 8-511 B, the rest 512-4095 B, each range spread evenly over its powers of
 * two), writing the object's first byte.  After the ring is filled and
 * WARMUP untimed steps, the threads start together at a barrier and run
 * --ops steps each (default 200 000); the table gives the steps per second
 * over all threads, best of --reps runs (default 3; the rows take turns
 * within each repetition, so that a machine busy with other work for a
 * while costs them alike), for the rows:
 *
 *   lanes       one MP_POOL_SHARED pool for all threads (the library as
 *               built: small requests go through per-thread lanes)
 *   locked      the same in mpb-shared-scale-locked, this program with the
 *               library's sources compiled in with MP_SH_SMALL=16, which
 *               keeps lanes off: every call takes the pool's lock, as
 *               shared pools did before lanes
 *   per-thread  one ordinary pool per thread (mp_create_pool(0))
 *   apr-mutex   one APR pool behind a pthread mutex; APR frees no single
 *               object, so a step only allocates, and the pool is cleared
 *               after every APR_CLEAR allocations (of all threads)
 *   malloc      glibc malloc and free
 *
 * A run that fails (an allocation, the pool, a thread) makes its cell n/a
 * and the exit status 1.  --rows picks rows (comma-separated); --raw prints the
 * chosen rows' steps per second as bare numbers, one line a row, which is how
 * this program reads the locked row from mpb-shared-scale-locked, and how
 * bench/shared-scale-counts.sh runs one row under callgrind (--ops 0 gives
 * the setup alone, to subtract).
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

#include "mpool.h"
#if defined(MPB_SHARED_SCALE_APR) && !defined(MPB_SHARED_SCALE_LOCKED)
#include <apr_general.h>
#include <apr_pools.h>
#define HAVE_APR 1
#else
#define HAVE_APR 0
#endif

#define MAX_THREADS 64
#define MAX_COUNTS 16
#define RING 64u     /* live objects per thread */
#define NSIZES 4096u /* sizes in a thread's sequence (a power of two) */
#define WARMUP 4096u /* untimed steps per thread before the barrier */
#define APR_CLEAR 4096u

static size_t ops = 200000; /* timed steps per thread per run */

/* One thread's state, in memory of its own. */
struct thr {
  void *obj[RING];
  uint32_t objsz[RING];
  uint32_t sizes[NSIZES];
  mp_pool_t *pool; /* per-thread: the thread's pool */
};

/* The thread's size sequence: fixed by its index. */
static void sizes_init(struct thr *t, int index) {
  uint64_t s = UINT64_C(0x7368617265642d31) ^
               ((uint64_t)index + 1) * UINT64_C(0x9e3779b97f4a7c15);
  for (uint32_t i = 0; i < NSIZES; i++)
    t->sizes[i] = mpb_below(mpb_rng(&s), 8) < 7 ? mpb_log_size(&s, 8, 512)
                                                : mpb_log_size(&s, 512, 4096);
}

/* Steps [from, to) of a row: ALLOC(t, size) and FREE(t, p, size) are
 * expressions; FREE yields nonzero on failure.  Steps below RING only fill
 * the ring. */
#define MPB_STEPS(name, ALLOC, FREE)                                           \
  static int name(struct thr *t, size_t from, size_t to) {                     \
    int bad = 0;                                                               \
    for (size_t i = from; i < to; i++) {                                       \
      size_t k = i % RING;                                                     \
      if (i >= RING)                                                           \
        bad |= (FREE(t, t->obj[k], t->objsz[k])) != 0;                         \
      uint32_t sz = t->sizes[i % NSIZES];                                      \
      unsigned char *p = ALLOC(t, sz);                                         \
      if (p == NULL)                                                           \
        return -1;                                                             \
      p[0] = 1;                                                                \
      mpb_escape(p);                                                           \
      t->obj[k] = p;                                                           \
      t->objsz[k] = sz;                                                        \
    }                                                                          \
    return bad ? -1 : 0;                                                       \
  }

/* ------------------------------------------------------------------------
 * Rows
 * ---------------------------------------------------------------------- */

static mp_pool_t *shared_pool;

#define SH_ALLOC(t, n) ((void)(t), (unsigned char *)mp_alloc(shared_pool, n))
#define SH_FREE(t, p, n) ((void)(t), mp_free_sized(shared_pool, p, n))
MPB_STEPS(steps_shared, SH_ALLOC, SH_FREE)

static int shared_setup(void) {
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  shared_pool = mp_create_pool_ex(&o);
  return shared_pool != NULL ? 0 : -1;
}
static void shared_teardown(void) {
  mp_destroy_pool(shared_pool);
  shared_pool = NULL;
}
static void shared_fini(struct thr *t) {
  for (size_t k = 0; k < RING; k++)
    (void)mp_free_sized(shared_pool, t->obj[k], t->objsz[k]);
}

#ifndef MPB_SHARED_SCALE_LOCKED
#define PT_ALLOC(t, n) ((unsigned char *)mp_alloc((t)->pool, n))
#define PT_FREE(t, p, n) mp_free_sized((t)->pool, p, n)
MPB_STEPS(steps_pt, PT_ALLOC, PT_FREE)

static int pt_init(struct thr *t) {
  t->pool = mp_create_pool(0);
  return t->pool != NULL ? 0 : -1;
}
static void pt_fini(struct thr *t) { mp_destroy_pool(t->pool); }

#define M_ALLOC(t, n) ((void)(t), (unsigned char *)malloc(n))
#define M_FREE(t, p, n) ((void)(t), (void)(n), free(p), 0)
MPB_STEPS(steps_malloc, M_ALLOC, M_FREE)

static void malloc_fini(struct thr *t) {
  for (size_t k = 0; k < RING; k++)
    free(t->obj[k]);
}

#if HAVE_APR
static apr_pool_t *apr_pool;
static pthread_mutex_t apr_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned apr_count;

static unsigned char *apr_step_alloc(size_t n) {
  pthread_mutex_lock(&apr_lock);
  if (++apr_count == APR_CLEAR) {
    apr_pool_clear(apr_pool);
    apr_count = 0;
  }
  unsigned char *p = apr_palloc(apr_pool, n);
  pthread_mutex_unlock(&apr_lock);
  return p;
}
#define A_ALLOC(t, n) ((void)(t), apr_step_alloc(n))
#define A_FREE(t, p, n) ((void)(t), (void)(p), (void)(n), 0)
MPB_STEPS(steps_apr, A_ALLOC, A_FREE)

static int apr_setup(void) {
  static int inited;
  if (!inited && apr_initialize() != APR_SUCCESS)
    return -1;
  inited = 1;
  apr_count = 0;
  return apr_pool_create(&apr_pool, NULL) == APR_SUCCESS ? 0 : -1;
}
static void apr_teardown(void) {
  apr_pool_destroy(apr_pool);
  apr_pool = NULL;
}
#endif
#endif /* !MPB_SHARED_SCALE_LOCKED */

struct row {
  const char *name;
  int (*steps)(struct thr *t, size_t from, size_t to);
  int (*setup)(void);          /* before the threads start, or NULL */
  void (*teardown)(void);      /* after they end, or NULL */
  int (*init)(struct thr *t);  /* in each thread, or NULL */
  void (*fini)(struct thr *t); /* in each thread at its end, or NULL */
  int spawn;                   /* from mpb-shared-scale-locked */
};

static const struct row rows[] = {
#ifdef MPB_SHARED_SCALE_LOCKED
    {"locked", steps_shared, shared_setup, shared_teardown, NULL, shared_fini,
     0},
#else
    {"lanes", steps_shared, shared_setup, shared_teardown, NULL, shared_fini,
     0},
    {"locked", NULL, NULL, NULL, NULL, NULL, 1},
    {"per-thread", steps_pt, NULL, NULL, pt_init, pt_fini, 0},
#if HAVE_APR
    {"apr-mutex", steps_apr, apr_setup, apr_teardown, NULL, NULL, 0},
#else
    {"apr-mutex", NULL, NULL, NULL, NULL, NULL, 0},
#endif
    {"malloc", steps_malloc, NULL, NULL, NULL, malloc_fini, 0},
#endif
};
#define NROWS (sizeof rows / sizeof rows[0])

/* ------------------------------------------------------------------------
 * Timing: all threads start together; the run ends when the last is done
 * ---------------------------------------------------------------------- */

struct run {
  const struct row *row;
  pthread_barrier_t start;
  pthread_mutex_t lock;
  int failed;
};

struct worker {
  struct run *run;
  int index;
  int ready;       /* 0: the thread's setup failed */
  uint64_t t0, t1; /* when this thread started and finished its part */
};

static void *work(void *arg) {
  struct worker *w = arg;
  struct run *r = w->run;
  const struct row *row = r->row;
  struct thr *t = malloc(sizeof *t); /* in this thread's own arena */
  int bad = t == NULL;
  if (!bad) {
    sizes_init(t, w->index);
    bad = row->init != NULL && row->init(t) != 0;
  }
  if (!bad)
    bad = row->steps(t, 0, RING + WARMUP) != 0;
  pthread_barrier_wait(&r->start);
  w->t0 = mpb_now_ns();
  if (!bad)
    bad = row->steps(t, RING + WARMUP, RING + WARMUP + ops) != 0;
  w->t1 = mpb_now_ns();
  if (!bad && row->fini != NULL)
    row->fini(t);
  free(t);
  if (bad) {
    pthread_mutex_lock(&r->lock);
    r->failed = 1;
    pthread_mutex_unlock(&r->lock);
  }
  return NULL;
}

/* Steps per second over all threads, or a negative value on failure. */
static double measure(const struct row *row, int threads) {
  struct run r = {.row = row, .failed = 0};
  struct worker w[MAX_THREADS];
  pthread_t t[MAX_THREADS];
  if (row->setup != NULL && row->setup() != 0)
    return -1;
  pthread_mutex_init(&r.lock, NULL);
  pthread_barrier_init(&r.start, NULL, (unsigned)threads + 1);
  for (int i = 0; i < threads; i++) {
    w[i].run = &r;
    w[i].index = i;
    if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
      fprintf(stderr, "mpool-shared-scale: pthread_create failed\n");
      exit(1);
    }
  }
  pthread_barrier_wait(&r.start);
  /* From the first thread's start to the last one's end, read by the
   * workers, so that a descheduled main thread does not skew it. */
  uint64_t t0 = UINT64_MAX, t1 = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    t0 = w[i].t0 < t0 ? w[i].t0 : t0;
    t1 = w[i].t1 > t1 ? w[i].t1 : t1;
  }
  pthread_barrier_destroy(&r.start);
  pthread_mutex_destroy(&r.lock);
  if (row->teardown != NULL)
    row->teardown();
  if (r.failed)
    return -1;
  if (t1 <= t0)
    return 0;
  return (double)ops * threads / ((double)(t1 - t0) / 1e9);
}

/* ------------------------------------------------------------------------
 * The locked row, from mpb-shared-scale-locked next to this program
 * ---------------------------------------------------------------------- */

#ifndef MPB_SHARED_SCALE_LOCKED
/* 0, -1 on failure, -2 when the program is not there (the row is n/a). */
static int spawned(const int *counts, int n, int reps, double *out) {
  char self[4096], cmd[8192];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0)
    return -1;
  self[len] = '\0';
  char *slash = strrchr(self, '/');
  if (slash == NULL)
    return -1;
  *slash = '\0';
  char helper[4200];
  snprintf(helper, sizeof helper, "%s/mpb-shared-scale-locked", self);
  if (access(helper, X_OK) != 0)
    return -2;
  int at = snprintf(cmd, sizeof cmd,
                    "'%s' --raw --rows locked --ops %zu "
                    "--reps %d",
                    helper, ops, reps);
  for (int i = 0; i < n && at > 0 && (size_t)at < sizeof cmd; i++)
    at += snprintf(cmd + at, sizeof cmd - (size_t)at, " %d", counts[i]);
  if (at <= 0 || (size_t)at >= sizeof cmd)
    return -1;
  FILE *f = popen(cmd, "r");
  if (f == NULL)
    return -1;
  int got = 0;
  for (; got < n; got++)
    if (fscanf(f, "%lf", &out[got]) != 1)
      break;
  int st = pclose(f);
  return got == n && st == 0 ? 0 : -1;
}
#endif

/* ------------------------------------------------------------------------
 * Main
 * ---------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: mpool-shared-scale [--ops N] [--reps N] [--rows LIST] "
          "[--quick] [--raw] [THREADS...]\n  rows:");
  for (size_t i = 0; i < NROWS; i++)
    fprintf(stderr, " %s", rows[i].name);
  fprintf(stderr, "\n");
  exit(2);
}

static long number(const char *s, long min, long max) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
    usage();
  return v;
}

/* Marks the rows named in list (comma-separated) in want. */
static void pick_rows(const char *list, int *want) {
  memset(want, 0, NROWS * sizeof *want);
  const char *p = list;
  while (*p != '\0') {
    size_t len = strcspn(p, ",");
    size_t i = 0;
    while (i < NROWS &&
           (strlen(rows[i].name) != len || strncmp(rows[i].name, p, len) != 0))
      i++;
    if (i == NROWS)
      usage();
    want[i] = 1;
    p += len;
    if (*p == ',')
      p++;
  }
}

/* One run of a row at `threads` threads: steps per second, -1 on failure,
 * -2 when the row is not available in this build. */
static double once(const struct row *row, int threads) {
#ifndef MPB_SHARED_SCALE_LOCKED
  if (row->spawn) {
    double x;
    int r = spawned(&threads, 1, 1, &x);
    return r != 0 ? r : x < 0 ? -1 : x;
  }
#endif
  return row->steps != NULL ? measure(row, threads) : -2;
}

/* v[r][i]: the best of reps runs of row r (if wanted) at counts[i], -1 if
 * not wanted, not available or failed.  The rows take turns within each
 * repetition, so that a machine busy with other work for a while costs
 * them alike.  Returns the number of failed cells. */
static int measure_all(const int *want, const int *counts, int n, int reps,
                       double v[][MAX_COUNTS]) {
  for (size_t r = 0; r < NROWS; r++)
    for (int i = 0; i < n; i++)
      v[r][i] = want[r] ? 0 : -1;
  int failed = 0;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < reps; k++)
      for (size_t r = 0; r < NROWS; r++) {
        if (v[r][i] < 0)
          continue;
        double x = once(&rows[r], counts[i]);
        failed += x == -1;
        v[r][i] = x < 0 ? -1 : x > v[r][i] ? x : v[r][i];
      }
  return failed;
}

static void print_row(const char *name, const double *v, int n) {
  printf("%-18s", name);
  for (int i = 0; i < n; i++) {
    if (v[i] < 0)
      printf(" %8s", "n/a");
    else
      printf(" %8.2f", v[i] / 1e6);
  }
  printf("\n");
}

#ifndef MPB_SHARED_SCALE_LOCKED
/* a / b per thread count, n/a where either is missing. */
static void print_ratio(const char *name, const double *a, const double *b,
                        int n) {
  printf("%-18s", name);
  for (int i = 0; i < n; i++) {
    if (a[i] <= 0 || b[i] <= 0)
      printf(" %8s", "n/a");
    else
      printf(" %8.2f", a[i] / b[i]);
  }
  printf("\n");
}
#endif

int main(int argc, char **argv) {
  int counts[MAX_COUNTS], n = 0, reps = 3, raw = 0;
  int want[NROWS];
  for (size_t i = 0; i < NROWS; i++)
    want[i] = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc)
      ops = (size_t)number(argv[++i], 0, 1000000000L);
    else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
      reps = (int)number(argv[++i], 1, 100);
    else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
      pick_rows(argv[++i], want);
    else if (strcmp(argv[i], "--quick") == 0) {
      ops = 5000;
      reps = 1;
    } else if (strcmp(argv[i], "--raw") == 0)
      raw = 1;
    else if (argv[i][0] == '-' || n == MAX_COUNTS)
      usage();
    else
      counts[n++] = (int)number(argv[i], 1, MAX_THREADS);
  }
  if (n == 0) {
    static const int dflt[] = {1, 2, 4, 8, 16};
    for (; n < 5; n++)
      counts[n] = dflt[n];
  }

  static double v[NROWS][MAX_COUNTS];
  int failed;
  if (raw) {
    failed = measure_all(want, counts, n, reps, v);
    for (size_t r = 0; r < NROWS; r++) {
      if (!want[r])
        continue;
      for (int i = 0; i < n; i++)
        printf(i ? " %.0f" : "%.0f", v[r][i]);
      printf("\n");
    }
    return failed ? 1 : 0;
  }

  printf("mpool-shared-scale: free+alloc steps per second over all threads, "
         "in millions\n(best of %d, rows in turn; %zu steps per thread after "
         "%u untimed;\n%u live objects per thread, 7/8 of the sizes 8-511 B, "
         "1/8 512-4095 B;\n%ld online CPUs)\n",
         reps, ops, WARMUP, RING, sysconf(_SC_NPROCESSORS_ONLN));
  printf("%-18s", "threads");
  for (int i = 0; i < n; i++)
    printf(" %8d", counts[i]);
  printf("\n");
  fflush(stdout);
  failed = measure_all(want, counts, n, reps, v);
  for (size_t r = 0; r < NROWS; r++)
    if (want[r])
      print_row(rows[r].name, v[r], n);
#ifndef MPB_SHARED_SCALE_LOCKED
  /* rows[]: 0 lanes, 1 locked, 2 per-thread */
  print_ratio("per-thread/lanes", v[2], v[0], n);
  print_ratio("locked/lanes", v[1], v[0], n);
  if (want[0] && want[2]) {
    printf("target, lanes within 1.5x of per-thread:");
    int all = 1;
    for (int i = 0; i < n; i++) {
      int met = v[0][i] > 0 && v[2][i] > 0 && v[2][i] <= 1.5 * v[0][i];
      all &= met;
      printf(" %d:%s", counts[i], met ? "met" : "MISSED");
    }
    printf("%s\n", all ? " (all met)" : "");
  }
  if (want[3])
    printf("apr-mutex allocates only (APR frees no single object) and clears "
           "its pool\nafter every %u allocations of all threads.\n",
           APR_CLEAR);
#endif
  if (failed)
    fprintf(stderr, "mpool-shared-scale: %d runs failed (n/a above)\n", failed);
  return failed ? 1 : 0;
}
