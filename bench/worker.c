/*
 * main() of a benchmark worker: one process runs one workload for one peer
 * and prints one line for the driver (mpool-bench):
 *
 *   ok <ops> <ns> <peak_rss_kib> <minor_faults> <first_run_ns>
 *   na <reason>
 *   error <reason>
 *
 * Usage: <worker> --workload NAME [--label PEER] [--seed N] [--mix MIX]
 *                 [--node BYTES] [--runs K] [--requests N]
 *                 [--burst-bytes N] [--churn-steps N] [--churn-live BYTES]
 *                 [--strings N] [--warmup N] [--trace FILE]
 *                 [--trace-events N] [--touch ends|lines]
 * NAME is request, reset, burst, churn, strings, trace, or empty (no
 * workload: the process's floor, with the inputs of every workload of the
 * mix built).
 *
 * --runs K runs the workload K times in this process, each run complete
 * (regions made and released again).  With K = 1 (a cold run) the figures
 * are those of the one run; with K > 1 (a warm run) they are the median
 * of runs 2..K (the mean of the two for K = 3), and the first run is the
 * warm-up; <first_run_ns> is always the first run's time.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include "worker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t mpb_node_size;

#define MAX_RUNS 64

static int parse_size(const char *s, size_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s || *end)
    return -1;
  *out = (size_t)v;
  return 0;
}

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s --workload request|reset|burst|churn|strings|trace|"
          "empty\n"
          "          [--label PEER] [--seed N] [--mix small|mixed|loguniform]\n"
          "          [--node BYTES] [--runs K] [--requests N]\n"
          "          [--burst-bytes N] [--churn-steps N] [--churn-live BYTES]\n"
          "          [--strings N] [--warmup N] [--trace FILE]\n"
          "          [--trace-events N] [--touch ends|lines]\n",
          argv0);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Median of v[0..n), n >= 1 (the mean of the middle two for even n). */
static uint64_t median_u64(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  mpb_params_t p;
  mpb_params_default(&p);
  const char *workload = NULL, *label = mpb_peer.name, *trace = NULL;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) {
      usage(argv[0]);
      return 2;
    }
    const char *v = argv[++i];
    size_t n = 0, *dst = NULL;
    if (strcmp(a, "--workload") == 0) {
      workload = v;
      continue;
    } else if (strcmp(a, "--label") == 0) {
      label = v;
      continue;
    } else if (strcmp(a, "--trace") == 0) {
      trace = v;
      continue;
    } else if (strcmp(a, "--mix") == 0) {
      p.mix = mpb_mix_parse(v);
      if (p.mix < 0) {
        usage(argv[0]);
        return 2;
      }
      continue;
    } else if (strcmp(a, "--touch") == 0) {
      if (strcmp(v, "ends") != 0 && strcmp(v, "lines") != 0) {
        usage(argv[0]);
        return 2;
      }
      mpb_touch_lines = strcmp(v, "lines") == 0;
      continue;
    } else if (strcmp(a, "--seed") == 0) {
      if (parse_size(v, &n)) {
        usage(argv[0]);
        return 2;
      }
      p.seed = (uint64_t)n;
      continue;
    } else if (strcmp(a, "--requests") == 0) {
      dst = &p.requests;
    } else if (strcmp(a, "--burst-bytes") == 0) {
      dst = &p.burst_bytes;
    } else if (strcmp(a, "--churn-steps") == 0) {
      dst = &p.churn_steps;
    } else if (strcmp(a, "--churn-live") == 0) {
      dst = &p.churn_live;
    } else if (strcmp(a, "--strings") == 0) {
      dst = &p.strings;
    } else if (strcmp(a, "--warmup") == 0) {
      dst = &p.warmup;
    } else if (strcmp(a, "--runs") == 0) {
      dst = &p.runs;
    } else if (strcmp(a, "--node") == 0) {
      dst = &p.node_size;
    } else if (strcmp(a, "--trace-events") == 0) {
      dst = &p.trace_events;
    }
    if (!dst || parse_size(v, dst)) {
      usage(argv[0]);
      return 2;
    }
  }
  if (!workload) {
    usage(argv[0]);
    return 2;
  }
  mpb_node_size = p.node_size;

  const char *why = mpb_peer.init(label);
  if (why) { /* a broken setup, never a quiet n/a */
    printf("error %s\n", why);
    return 1;
  }

  enum { W_EMPTY, W_REQUEST, W_RESET, W_BURST, W_CHURN, W_STRINGS, W_TRACE };
  static const char *const names[] = {"empty", "request", "reset", "burst",
                                      "churn", "strings", "trace"};
  const mpb_workload_fn fns[] = {
      NULL,           mpb_peer.request, mpb_peer.reset, mpb_peer.burst,
      mpb_peer.churn, mpb_peer.strings, mpb_peer.trace};
  int w = -1;
  for (int k = 0; k < (int)(sizeof names / sizeof names[0]); k++)
    if (strcmp(workload, names[k]) == 0)
      w = k;
  if (w < 0) {
    usage(argv[0]);
    return 2;
  }
  mpb_workload_fn fn = fns[w];
  int all = w == W_EMPTY;

  if (p.requests == 0 || p.burst_bytes == 0 || p.churn_steps == 0 ||
      p.strings == 0 || p.churn_live == 0 || p.runs == 0 || p.runs > MAX_RUNS) {
    printf("error counts must be positive (and at most %d runs)\n", MAX_RUNS);
    return 1;
  }

  /* The inputs, untimed: only those of this workload (all for the floor). */
  static mpb_data_t d;
  int oom = 0;
  if (all || w == W_REQUEST || w == W_RESET)
    oom |= mpb_plan_init_mix(&d.plan, p.seed, p.mix);
  if (all || w == W_BURST) {
    double mean = 0;
    oom |= mpb_sizes_init(&d.burst, p.seed,
                          UINT64_C(0x6275727374737a73), /* "burstszs" */
                          p.mix, &mean);
    d.burst_count = mean > 0 ? (size_t)((double)p.burst_bytes / mean) : 0;
    if (d.burst_count == 0)
      d.burst_count = 1;
  }
  if (all || w == W_CHURN)
    oom |= mpb_sizes_init(&d.churn, p.seed,
                          UINT64_C(0x636875726e636875), /* "churnchu" */
                          p.mix, NULL);
  if (oom) {
    printf("error out of memory for the workload tables\n");
    return 1;
  }
  mpb_words_init(&d.words, p.seed);
  if (w == W_TRACE && trace) { /* without one, the workload says n/a */
    char err[200];
    const char *bad =
        mpb_trace_load(&d.trace, trace, p.trace_events, err, sizeof err);
    if (bad) {
      printf("error trace %s\n", bad);
      return 1;
    }
  }

  if (!fn) { /* empty: the floor of this worker, tables built, no workload */
    printf("ok 0 0 %" PRIu64 " 0 0\n", mpb_peak_rss_kib());
    return 0;
  }

  uint64_t ns[MAX_RUNS], faults[MAX_RUNS];
  mpb_result_t res = {MPB_OK, NULL, 0, 0, 0};
  for (size_t k = 0; k < p.runs; k++) {
    res.status = MPB_OK;
    fn(&p, &d, &res);
    if (res.status == MPB_NA) {
      printf("na %s\n", res.why);
      return 0;
    }
    if (res.status != MPB_OK) {
      printf("error %s\n", res.why ? res.why : "workload failed");
      return 1;
    }
    ns[k] = res.ns;
    faults[k] = res.faults;
  }
  uint64_t first = ns[0], t = ns[0], f = faults[0];
  if (p.runs > 1) {
    t = median_u64(ns + 1, p.runs - 1);
    f = median_u64(faults + 1, p.runs - 1);
  }
  printf("ok %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
         res.ops, t, mpb_peak_rss_kib(), f, first);
  mpb_plan_free(&d.plan);
  free(d.burst);
  free(d.churn);
  mpb_trace_free(&d.trace);
  return 0;
}
