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
  uint64_t seed;         /* seed of every size sequence */
  size_t requests;       /* request and reset: timed requests */
  size_t burst;          /* burst: allocations into one pool */
  size_t churn_steps;    /* churn: timed free+alloc steps */
  size_t churn_live;     /* churn: bytes in the live set */
  size_t strings;        /* strings: timed requests */
  size_t warmup;         /* untimed requests before request/reset/strings */
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

/* Request mix: 85% 8-512 B, 13% 512 B-4 KiB, 2% 4-16 KiB. */
uint32_t mpb_request_size(uint64_t *s);
/* Churn mix: 90% 8-512 B, 8% 512 B-4 KiB, 2% 4-16 KiB. */
uint32_t mpb_churn_size(uint64_t *s);

/* ------------------------------------------------------------------------
 * Request plan: MPB_PLAN_REQUESTS distinct requests of 32..48 allocations
 * each, replayed in a cycle.
 * ---------------------------------------------------------------------- */

#define MPB_PLAN_REQUESTS 1024u
#define MPB_PLAN_MIN 32u
#define MPB_PLAN_MAX 48u

typedef struct mpb_plan {
  uint32_t *sizes;                     /* all sizes, request after request */
  uint32_t start[MPB_PLAN_REQUESTS];   /* first size of each request */
  uint32_t count[MPB_PLAN_REQUESTS];   /* allocations in each request */
  size_t total;                        /* number of sizes */
} mpb_plan_t;

/* small_only: draw every size from 8-512 B (the callgrind driver). */
int mpb_plan_init(mpb_plan_t *plan, uint64_t seed, int small_only);
void mpb_plan_free(mpb_plan_t *plan);

/* Burst sizes: a table of MPB_BURST_TABLE sizes in 8-128 B, cycled. */
#define MPB_BURST_TABLE 65536u
int mpb_burst_init(uint8_t **table, uint64_t seed);

/* Strings: a table of words and the per-request string recipes. */
#define MPB_WORDS 256u
#define MPB_STRINGS_PER_REQUEST 64u
typedef struct mpb_words {
  char word[MPB_WORDS][32];
} mpb_words_t;
void mpb_words_init(mpb_words_t *w, uint64_t seed);

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
