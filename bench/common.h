/*
 * Shared pieces of the mpool benchmark workers: parameters, the fixed-seed
 * size sequences every peer replays, timing and peak-memory probes.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPB_COMMON_H
#define MPB_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * Workload parameters (passed from the driver to each worker process)
 * ---------------------------------------------------------------------- */

typedef struct mpb_params {
  uint64_t seed;       /* seed of every size sequence */
  size_t requests;     /* request and reset: timed requests per run */
  size_t burst_bytes;  /* burst: bytes requested per burst (the count of
                          allocations follows from the mix) */
  size_t churn_steps;  /* churn: timed free+alloc steps per run */
  size_t churn_live;   /* churn: bytes in the live set */
  size_t strings;      /* strings: timed requests per run */
  size_t warmup;       /* untimed requests before each run of
                          request/reset/strings */
  size_t runs;         /* runs of the workload in the process: 1 is a
                          cold run, more a warm one (see worker.c) */
  size_t node_size;    /* node size for the peers that have one; 0: the
                          peer's default */
  size_t trace_events; /* trace: replay at most this many events */
  int mix;             /* size mix (MPB_MIX_*) */
} mpb_params_t;

void mpb_params_default(mpb_params_t *p);

/* ------------------------------------------------------------------------
 * Fixed-seed PRNG (splitmix64): the same seed gives the same sequence in
 * every worker, so every peer sees the same sizes in the same order.
 * ---------------------------------------------------------------------- */

static inline uint64_t mpb_rng(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* Uniform in [0, n) from the high 32 bits of r (multiply-shift). */
static inline uint32_t mpb_below(uint64_t r, uint32_t n) {
  return (uint32_t)(((r >> 32) * (uint64_t)n) >> 32);
}

/* A size spread evenly over the powers of two in [lo, hi): a power-of-two
 * band is picked uniformly, then a size uniformly within it.  lo and hi
 * must be powers of two. */
uint32_t mpb_log_size(uint64_t *s, uint32_t lo, uint32_t hi);

/* Request mix of the thread-scaling program (scale.c): 85% 8-512 B,
 * 13% 512 B-4 KiB, 2% 4-16 KiB. */
uint32_t mpb_request_size(uint64_t *s);

/* ------------------------------------------------------------------------
 * Size mixes of the benchmark matrix (--mix):
 *   small       8-63 B, its three power-of-two bands picked evenly;
 *   mixed       70% 8-63 B, 25% 65-512 B, 4.9% 513 B-4 KiB,
 *               0.1% 4-16 KiB (each band spread over its powers of two);
 *   loguniform  8 B-16 KiB, its eleven power-of-two bands picked evenly
 *               (log-uniform at band granularity; mean about 2.2 KiB).
 * ---------------------------------------------------------------------- */

enum { MPB_MIX_SMALL, MPB_MIX_MIXED, MPB_MIX_LOGUNIFORM, MPB_NMIX };
extern const char *const mpb_mix_name[MPB_NMIX];
/* The mix called name, or -1. */
int mpb_mix_parse(const char *name);
uint32_t mpb_mix_size(uint64_t *s, int mix);

/* ------------------------------------------------------------------------
 * Request plan: MPB_PLAN_REQUESTS distinct requests of 32..48 allocations
 * each, replayed in a cycle.
 * ---------------------------------------------------------------------- */

#define MPB_PLAN_REQUESTS 1024u
#define MPB_PLAN_MIN 32u
#define MPB_PLAN_MAX 48u

typedef struct mpb_plan {
  uint32_t *sizes;                   /* all sizes, request after request */
  uint32_t start[MPB_PLAN_REQUESTS]; /* first size of each request */
  uint32_t count[MPB_PLAN_REQUESTS]; /* allocations in each request */
  size_t total;                      /* number of sizes */
} mpb_plan_t;

/* small_only: draw every size from 8-512 B (the callgrind driver);
 * otherwise from the request mix above (the thread-scaling program). */
int mpb_plan_init(mpb_plan_t *plan, uint64_t seed, int small_only);
/* A plan whose sizes come from a size mix (the benchmark matrix). */
int mpb_plan_init_mix(mpb_plan_t *plan, uint64_t seed, int mix);
void mpb_plan_free(mpb_plan_t *plan);

/* A table of MPB_SIZE_TABLE sizes drawn from a mix, cycled by burst and
 * churn; salt tells the workloads' sequences apart.  *mean gets the mean
 * size of the table. */
#define MPB_SIZE_TABLE 65536u
int mpb_sizes_init(uint32_t **table, uint64_t seed, uint64_t salt, int mix,
                   double *mean);

/* Strings: a table of words and the per-request string recipes. */
#define MPB_WORDS 256u
#define MPB_STRINGS_PER_REQUEST 64u
typedef struct mpb_words {
  char word[MPB_WORDS][32];
} mpb_words_t;
void mpb_words_init(mpb_words_t *w, uint64_t seed);

/* ------------------------------------------------------------------------
 * Allocation trace (the trace workload).  Text, one event a line:
 *   a ID SIZE     allocate SIZE bytes; the result is object ID
 *   f ID          free object ID
 *   r ID NEWSIZE  resize object ID to NEWSIZE bytes, contents kept
 * IDs are small non-negative integers, reused after a free.  Loaded into
 * an array before any timing.
 * ---------------------------------------------------------------------- */

enum { MPB_EV_ALLOC = 0, MPB_EV_FREE = 1, MPB_EV_RESIZE = 2 };
#define MPB_EV_SHIFT 30u
#define MPB_EV_ID_MAX ((1u << MPB_EV_SHIFT) - 1u)

typedef struct mpb_event {
  uint32_t op_id; /* op << MPB_EV_SHIFT | id */
  uint32_t size;  /* alloc and resize: the (new) size in bytes */
} mpb_event_t;

typedef struct mpb_trace {
  mpb_event_t *ev;
  size_t n;        /* events loaded */
  uint32_t nids;   /* 1 + the largest id */
  size_t max_live; /* most objects live at once */
} mpb_trace_t;

/* Loads at most max_events events of the trace at path (0: all) and checks
 * that it is consistent (no live id allocated again, no free or resize of
 * an id that is not live).  A size of 0 is replayed as 1 byte, a resize to
 * 0 as a free.  Returns NULL, or why the trace cannot be used (errbuf holds
 * the message). */
const char *mpb_trace_load(mpb_trace_t *t, const char *path, size_t max_events,
                           char *errbuf, size_t errlen);
void mpb_trace_free(mpb_trace_t *t);

/* ------------------------------------------------------------------------
 * Probes
 * ---------------------------------------------------------------------- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mpb_now_ns(void);

/* Minor page faults of this process so far (getrusage). */
uint64_t mpb_minor_faults(void);

/* Peak resident set of this process (VmHWM) in KiB, or 0 if unknown. */
uint64_t mpb_peak_rss_kib(void);

/* Keeps the compiler from dropping stores into p (GNU C; no-op elsewhere). */
#if defined(__GNUC__) || defined(__clang__)
#define mpb_escape(p) __asm__ __volatile__("" : : "g"(p) : "memory")
#else
#define mpb_escape(p) ((void)(p))
#endif

/* How the workloads touch each object they are given (--touch):
 *   ends (0, the default): its first and last byte are written, which
 *     proves the memory is there and keeps the figures about the
 *     allocator;
 *   lines (1): one byte per 64 is written, as a user filling the object
 *     would fault in and dirty every cache line (memory traffic that costs
 *     every peer the same and dominates request-sized workloads). */
extern int mpb_touch_lines;

/* mpb_touch() with the mode as a constant: the workloads choose it once,
 * outside their timed loops (see MPB_BY_TOUCH in workloads.h), so that no
 * loop tests it per object. */
static inline void mpb_touch(void *p, size_t n, int lines) {
  unsigned char *b = (unsigned char *)p;
  if (lines) {
    for (size_t i = 0; i < n; i += 64)
      b[i] = (unsigned char)i;
  } else if (n != 0) {
    b[0] = 1;
    b[n - 1] = 2;
  }
  mpb_escape(b);
}

#endif /* MPB_COMMON_H */
