/*
 * main() of a benchmark worker: one process runs one workload for one peer
 * and prints one line for the driver (mpool-bench):
 *
 *   ok <ops> <ns> <peak_rss_kib> <minor_faults>
 *   na <reason>
 *   error <reason>
 *
 * Usage: <worker> --workload NAME [--label PEER] [--seed N] [--requests N]
 *                 [--burst N] [--churn-steps N] [--churn-live BYTES]
 *                 [--strings N] [--warmup N] [--touch ends|lines]
 * NAME is request, reset, burst, churn, strings, or empty (no workload:
 * the process's floor).
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
          "usage: %s --workload request|reset|burst|churn|strings|empty\n"
          "          [--label PEER] [--seed N] [--requests N] [--burst N]\n"
          "          [--churn-steps N] [--churn-live BYTES] [--strings N]\n"
          "          [--warmup N] [--touch ends|lines]\n",
          argv0);
}

int main(int argc, char **argv) {
  mpb_params_t p;
  mpb_params_default(&p);
  const char *workload = NULL, *label = mpb_peer.name;

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
    } else if (strcmp(a, "--burst") == 0) {
      dst = &p.burst;
    } else if (strcmp(a, "--churn-steps") == 0) {
      dst = &p.churn_steps;
    } else if (strcmp(a, "--churn-live") == 0) {
      dst = &p.churn_live;
    } else if (strcmp(a, "--strings") == 0) {
      dst = &p.strings;
    } else if (strcmp(a, "--warmup") == 0) {
      dst = &p.warmup;
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

  const char *why = mpb_peer.init(label);
  if (why) { /* a broken setup, never a quiet n/a */
    printf("error %s\n", why);
    return 1;
  }

  mpb_workload_fn fn = NULL;
  if (strcmp(workload, "request") == 0)
    fn = mpb_peer.request;
  else if (strcmp(workload, "reset") == 0)
    fn = mpb_peer.reset;
  else if (strcmp(workload, "burst") == 0)
    fn = mpb_peer.burst;
  else if (strcmp(workload, "churn") == 0)
    fn = mpb_peer.churn;
  else if (strcmp(workload, "strings") == 0)
    fn = mpb_peer.strings;
  else if (strcmp(workload, "empty") != 0) {
    usage(argv[0]);
    return 2;
  }

  if (p.requests == 0 || p.burst == 0 || p.churn_steps == 0 ||
      p.strings == 0 || p.churn_live == 0) {
    printf("error counts must be positive\n");
    return 1;
  }

  static mpb_data_t d;
  if (mpb_plan_init(&d.plan, p.seed, 0) || mpb_burst_init(&d.burst, p.seed)) {
    printf("error out of memory for the workload tables\n");
    return 1;
  }
  mpb_words_init(&d.words, p.seed);

  if (!fn) { /* empty: the floor of this worker, tables built, no workload */
    printf("ok 0 0 %" PRIu64 " 0\n", mpb_peak_rss_kib());
    return 0;
  }

  mpb_result_t res = {MPB_OK, NULL, 0, 0, 0};
  fn(&p, &d, &res);
  if (res.status == MPB_NA) {
    printf("na %s\n", res.why);
    return 0;
  }
  if (res.status != MPB_OK) {
    printf("error %s\n", res.why ? res.why : "workload failed");
    return 1;
  }
  printf("ok %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", res.ops,
         res.ns, mpb_peak_rss_kib(), res.faults);
  mpb_plan_free(&d.plan);
  free(d.burst);
  return 0;
}
