/*
 * mpool-rt-bench: the real-time pool (mp_rt_alloc/mp_rt_free) against
 * glibc malloc/free and mpool's own reuse path (mp_alloc/mp_free_sized)
 * on a random alloc/free workload.
 *
 *   mpool-rt-bench [--quick] [--steps N] [--reps N] [--live BYTES]
 *
 * Each size mix runs the same workload on every peer: a live set of
 * --live bytes (default 1 MiB) is filled untimed, then each step frees a
 * random live object and allocates one of a new random size in its
 * place, touching its first and last byte.  Sizes and slots come from
 * fixed-seed tables, so every peer replays the same sequence.
 *
 *   small   16-255 B, its four power-of-two bands picked evenly;
 *   mixed   16 B-4 KiB, its eight bands picked evenly (log-uniform).
 *
 * The throughput table gives the median over --reps repetitions (default
 * 5; peer order rotating) of ns per step (one free and one allocation)
 * and `x rt`, the peer's time over mp_rt's (above 1: mp_rt is faster).
 * The latency table times every step of one more pass on its own, with
 * two clock reads around it: p50, p99, p99.99 and the maximum in ns,
 * clock reads included (their own cost is printed under the table).
 * Latency on a shared machine has interrupts and preemption in its tail;
 * the worst case in instructions is what test_rt_icount checks.
 *
 * The mp_rt buffer is mp_rt_bound(M, n) for the workload: M the live set
 * plus one object of the largest size (a step frees before it
 * allocates, so M is never exceeded), n the largest size; it is written
 * once before the run, as real-time code faults its heap in up front.  The
 * table shows that size and how much of its heap the run carved.  o1heap and
 * TLSF are not packaged by Debian, so they have no row.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"
#include "mpool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MIX_SMALL, MIX_MIXED, NMIX };
static const char *const mix_name[NMIX] = {"small", "mixed"};
static const char *const mix_what[NMIX] = {"16-255 B", "16 B-4 KiB"};
static const uint32_t mix_hi[NMIX] = {256, 4096};

enum { P_RT, P_GLIBC, P_MPOOL, NPEER };
static const char *const peer_name[NPEER] = {"mp_rt", "glibc", "mpool"};
static const char *const peer_what[NPEER] = {
    "mp_rt_alloc / mp_rt_free, buffer of mp_rt_bound()", "malloc / free",
    "mp_alloc / mp_free_sized (reuse path)"};

#define TABLE 65536u /* sizes and slots, cycled */

static struct {
  size_t steps, reps, live, lat_steps;
} o = {1000000, 5, 1 << 20, 200000};

static uint32_t *sizes, *slots;
static size_t nslots;
static uint64_t clock_ns; /* median cost of the two clock reads */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static size_t round16(size_t n) { return n == 0 ? 16 : (n + 15) / 16 * 16; }

/* The objects of one run and the state of its peer. */
typedef struct {
  void **obj;
  uint32_t *osize;
  mp_rt_t *rt;
  unsigned char *rt_buf;
  size_t rt_size, rt_carved;
  mp_pool_t *pool;
  size_t pool_peak;
} run_t;

static int setup(run_t *r, int peer, int mix) {
  memset(r, 0, sizeof *r);
  r->obj = calloc(nslots, sizeof *r->obj);
  r->osize = calloc(nslots, sizeof *r->osize);
  if (r->obj == NULL || r->osize == NULL)
    return -1;
  if (peer == P_RT) {
    size_t n = mix_hi[mix];
    r->rt_size = mp_rt_bound(o.live + round16(n), n);
    r->rt_buf = malloc(r->rt_size);
    if (r->rt_buf == NULL)
      return -1;
    /* Faulted in first, as real-time code does with its heap (the other
     * peers reuse the memory of the runs before). */
    memset(r->rt_buf, 0, r->rt_size);
    r->rt = mp_rt_init(r->rt_buf, r->rt_size);
    if (r->rt == NULL)
      return -1;
  } else if (peer == P_MPOOL) {
    r->pool = mp_create_pool(0);
    if (r->pool == NULL)
      return -1;
  }
  return 0;
}

static void teardown(run_t *r, int peer) {
  if (peer == P_RT) {
    mp_rt_stats_t st;
    st.size = sizeof st;
    if (mp_rt_stats(r->rt, &st) == 0)
      r->rt_carved = st.carved;
    mp_rt_destroy(r->rt);
    free(r->rt_buf);
  } else if (peer == P_GLIBC) {
    for (size_t i = 0; i < nslots; i++)
      free(r->obj[i]);
  } else {
    mp_stats_t st;
    st.size = sizeof st;
    if (mp_stats(r->pool, &st, 0) == 0)
      r->pool_peak = st.peak_reserved;
    mp_destroy_pool(r->pool);
  }
  free(r->obj);
  free(r->osize);
}

/* One peer's free and allocation of a step, inlined into each loop. */
#define FREE_ALLOC(peer, r, k, size)                                           \
  do {                                                                         \
    void *p_;                                                                  \
    if ((peer) == P_RT) {                                                      \
      mp_rt_free((r)->rt, (r)->obj[k]);                                        \
      p_ = mp_rt_alloc((r)->rt, (size));                                       \
    } else if ((peer) == P_GLIBC) {                                            \
      free((r)->obj[k]);                                                       \
      p_ = malloc(size);                                                       \
    } else {                                                                   \
      mp_free_sized((r)->pool, (r)->obj[k], (r)->osize[k]);                    \
      p_ = mp_alloc((r)->pool, (size));                                        \
    }                                                                          \
    if (p_ == NULL) {                                                          \
      fprintf(stderr, "mpool-rt-bench: %s: allocation failed\n",               \
              peer_name[peer]);                                                \
      exit(1);                                                                 \
    }                                                                          \
    mpb_touch(p_, (size), 0);                                                  \
    (r)->obj[k] = p_;                                                          \
    (r)->osize[k] = (uint32_t)(size);                                          \
  } while (0)

static void *alloc_one(int peer, run_t *r, size_t size) {
  return peer == P_RT      ? mp_rt_alloc(r->rt, size)
         : peer == P_GLIBC ? malloc(size)
                           : mp_alloc(r->pool, size);
}

/* Fills the live set (untimed): slot i gets sizes[i]. */
static int fill(int peer, run_t *r) {
  for (size_t i = 0; i < nslots; i++) {
    r->obj[i] = alloc_one(peer, r, sizes[i % TABLE]);
    if (r->obj[i] == NULL)
      return -1;
    mpb_touch(r->obj[i], sizes[i % TABLE], 0);
    r->osize[i] = sizes[i % TABLE];
  }
  return 0;
}

static double timed(int peer, run_t *r) {
  uint64_t t0 = mpb_now_ns();
  for (size_t s = 0; s < o.steps; s++) {
    uint32_t k = slots[s % TABLE], size = sizes[(s + 7919) % TABLE];
    if (peer == P_RT)
      FREE_ALLOC(P_RT, r, k, size);
    else if (peer == P_GLIBC)
      FREE_ALLOC(P_GLIBC, r, k, size);
    else
      FREE_ALLOC(P_MPOOL, r, k, size);
  }
  return (double)(mpb_now_ns() - t0) / (double)o.steps;
}

static void latency(int peer, run_t *r, uint64_t *lat) {
  for (size_t s = 0; s < o.lat_steps; s++) {
    uint32_t k = slots[s % TABLE], size = sizes[(s + 104729) % TABLE];
    uint64_t t0 = mpb_now_ns();
    if (peer == P_RT)
      FREE_ALLOC(P_RT, r, k, size);
    else if (peer == P_GLIBC)
      FREE_ALLOC(P_GLIBC, r, k, size);
    else
      FREE_ALLOC(P_MPOOL, r, k, size);
    lat[s] = mpb_now_ns() - t0;
  }
  qsort(lat, o.lat_steps, sizeof *lat, cmp_u64);
}

static uint64_t pct(const uint64_t *lat, double p) {
  size_t i = (size_t)(p * (double)(o.lat_steps - 1) + 0.5);
  return lat[i];
}

static int run_mix(int mix) {
  uint64_t seed = 0x5eed0000u + (uint64_t)mix;
  double mean = 0;
  for (size_t i = 0; i < TABLE; i++) {
    sizes[i] = mpb_log_size(&seed, 16, mix_hi[mix]);
    mean += sizes[i];
  }
  mean /= TABLE;
  /* Slots: as many objects as make the live set, counted as mp_rt's
   * bound counts them (16-byte granules). */
  size_t live = 0;
  for (nslots = 0; live + round16(sizes[nslots % TABLE]) <= o.live;)
    live += round16(sizes[nslots++ % TABLE]);
  for (size_t i = 0; i < TABLE; i++)
    slots[i] = mpb_below(mpb_rng(&seed), (uint32_t)nslots);

  double t[NPEER][64];
  size_t carved = 0, bound = 0, pool_peak = 0;
  for (size_t rep = 0; rep < o.reps; rep++)
    for (int j = 0; j < NPEER; j++) {
      int peer = (int)((rep + (size_t)j) % NPEER);
      run_t r;
      if (setup(&r, peer, mix) != 0 || fill(peer, &r) != 0) {
        fprintf(stderr, "mpool-rt-bench: %s: setup failed\n", peer_name[peer]);
        return -1;
      }
      t[peer][rep] = timed(peer, &r);
      teardown(&r, peer);
      if (peer == P_RT) {
        carved = r.rt_carved;
        bound = r.rt_size;
      } else if (peer == P_MPOOL) {
        pool_peak = r.pool_peak;
      }
    }
  double med[NPEER];
  for (int p = 0; p < NPEER; p++) {
    double v[64];
    memcpy(v, t[p], o.reps * sizeof *v);
    for (size_t a = 1; a < o.reps; a++) /* insertion sort: few values */
      for (size_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
        double x = v[b];
        v[b] = v[b - 1];
        v[b - 1] = x;
      }
    med[p] =
        o.reps % 2 ? v[o.reps / 2] : (v[o.reps / 2 - 1] + v[o.reps / 2]) / 2;
  }

  printf("\nmix %s (%s, mean %.0f B): %zu live objects, %zu KiB live, "
         "%zu steps, median of %zu\n",
         mix_name[mix], mix_what[mix], mean, nslots, live >> 10, o.steps,
         o.reps);
  printf("  %-7s %9s %7s  %s\n", "peer", "ns/step", "x rt", "what");
  for (int p = 0; p < NPEER; p++)
    printf("  %-7s %9.1f %7.2f  %s\n", peer_name[p], med[p], med[p] / med[P_RT],
           peer_what[p]);
  printf("  %-7s %9s %7s  %s\n", "o1heap", "n/a", "", "not packaged by Debian");
  printf("  %-7s %9s %7s  %s\n", "tlsf", "n/a", "", "not packaged by Debian");
  printf("  mp_rt buffer %zu KiB (mp_rt_bound), %zu KiB of its heap carved; "
         "mpool peak reserved %zu KiB\n",
         bound >> 10, carved >> 10, pool_peak >> 10);

  uint64_t *lat = malloc(o.lat_steps * sizeof *lat);
  if (lat == NULL)
    return -1;
  printf("  latency of one step (ns, %zu steps; the clock reads, "
         "included, take %llu):\n",
         o.lat_steps, (unsigned long long)clock_ns);
  printf("  %-7s %7s %7s %7s %9s\n", "peer", "p50", "p99", "p99.99", "max");
  for (int p = 0; p < NPEER; p++) {
    run_t r;
    if (setup(&r, p, mix) != 0 || fill(p, &r) != 0)
      return -1;
    latency(p, &r, lat);
    teardown(&r, p);
    printf("  %-7s %7llu %7llu %7llu %9llu\n", peer_name[p],
           (unsigned long long)pct(lat, 0.5),
           (unsigned long long)pct(lat, 0.99),
           (unsigned long long)pct(lat, 0.9999),
           (unsigned long long)lat[o.lat_steps - 1]);
  }
  free(lat);
  return 0;
}

static size_t arg_size(const char *s) { return (size_t)strtoull(s, NULL, 0); }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      o.steps = 100000;
      o.reps = 3;
      o.lat_steps = 50000;
    } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
      o.steps = arg_size(argv[++i]);
    } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      o.reps = arg_size(argv[++i]);
    } else if (strcmp(argv[i], "--live") == 0 && i + 1 < argc) {
      o.live = arg_size(argv[++i]);
    } else {
      fprintf(stderr, "usage: mpool-rt-bench [--quick] [--steps N] [--reps N] "
                      "[--live BYTES]\n");
      return 2;
    }
  }
  if (o.reps < 1 || o.reps > 64 || o.steps < 1 || o.live < 4096) {
    fprintf(stderr, "mpool-rt-bench: --reps 1-64, --steps >= 1, "
                    "--live >= 4096\n");
    return 2;
  }
  sizes = malloc(TABLE * sizeof *sizes);
  slots = malloc(TABLE * sizeof *slots);
  if (sizes == NULL || slots == NULL)
    return 1;
  /* What the two clock reads around a step cost by themselves. */
  uint64_t clk[1001];
  for (int i = 0; i < 1001; i++) {
    uint64_t a = mpb_now_ns();
    clk[i] = mpb_now_ns() - a;
  }
  qsort(clk, 1001, sizeof *clk, cmp_u64);
  clock_ns = clk[500];
  printf("rt pool benchmark: random alloc/free (a free and an allocation "
         "per step); x rt = peer / mp_rt\n");
  for (int m = 0; m < NMIX; m++)
    if (run_mix(m) != 0)
      return 1;
  free(sizes);
  free(slots);
  return 0;
}
