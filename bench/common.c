/*
 * Shared pieces of the mpool benchmark workers.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int mpb_touch_lines;

void mpb_params_default(mpb_params_t *p) {
  p->seed = UINT64_C(0x6d706f6f6c2d6231); /* "mpool-b1" */
  p->requests = 500000;
  p->burst = 4000000;
  p->churn_steps = 2000000;
  p->churn_live = (size_t)4 << 20;
  p->strings = 20000;
  p->warmup = 2000;
}

uint32_t mpb_log_size(uint64_t *s, uint32_t lo, uint32_t hi) {
  uint32_t bands = 0;
  while ((lo << bands) < hi)
    bands++;
  uint64_t r = mpb_rng(s);
  uint32_t band = mpb_below(r, bands);
  uint32_t base = lo << band;
  /* low 32 bits of r pick the offset within the band */
  return base + (uint32_t)(((r & 0xffffffffu) * (uint64_t)base) >> 32);
}

uint32_t mpb_request_size(uint64_t *s) {
  uint32_t pick = mpb_below(mpb_rng(s), 100);
  if (pick < 85)
    return mpb_log_size(s, 8, 512);
  if (pick < 98)
    return mpb_log_size(s, 512, 4096);
  return mpb_log_size(s, 4096, 16384);
}

uint32_t mpb_churn_size(uint64_t *s) {
  uint32_t pick = mpb_below(mpb_rng(s), 100);
  if (pick < 90)
    return mpb_log_size(s, 8, 512);
  if (pick < 98)
    return mpb_log_size(s, 512, 4096);
  return mpb_log_size(s, 4096, 16384);
}

int mpb_plan_init(mpb_plan_t *plan, uint64_t seed, int small_only) {
  uint64_t s = seed ^ UINT64_C(0x7265717565737473); /* "requests" */
  memset(plan, 0, sizeof *plan);
  plan->sizes = malloc(sizeof(uint32_t) * MPB_PLAN_REQUESTS * MPB_PLAN_MAX);
  if (!plan->sizes)
    return -1;
  uint32_t at = 0;
  for (uint32_t r = 0; r < MPB_PLAN_REQUESTS; r++) {
    uint32_t n = MPB_PLAN_MIN +
                 mpb_below(mpb_rng(&s), MPB_PLAN_MAX - MPB_PLAN_MIN + 1);
    plan->start[r] = at;
    plan->count[r] = n;
    for (uint32_t i = 0; i < n; i++)
      plan->sizes[at++] =
          small_only ? mpb_log_size(&s, 8, 512) : mpb_request_size(&s);
  }
  plan->total = at;
  return 0;
}

void mpb_plan_free(mpb_plan_t *plan) {
  free(plan->sizes);
  plan->sizes = NULL;
}

int mpb_burst_init(uint8_t **table, uint64_t seed) {
  uint64_t s = seed ^ UINT64_C(0x6275727374737a73); /* "burstszs" */
  uint8_t *t = malloc(MPB_BURST_TABLE);
  if (!t)
    return -1;
  for (uint32_t i = 0; i < MPB_BURST_TABLE; i++) {
    uint32_t v = mpb_log_size(&s, 8, 128);
    t[i] = (uint8_t)(v > 128 ? 128 : v);
  }
  *table = t;
  return 0;
}

void mpb_words_init(mpb_words_t *w, uint64_t seed) {
  uint64_t s = seed ^ UINT64_C(0x776f7264776f7264); /* "wordword" */
  for (uint32_t i = 0; i < MPB_WORDS; i++) {
    uint32_t len = 3 + mpb_below(mpb_rng(&s), 22); /* 3..24 chars */
    for (uint32_t j = 0; j < len; j++)
      w->word[i][j] = (char)('a' + mpb_below(mpb_rng(&s), 26));
    w->word[i][len] = '\0';
  }
}

uint64_t mpb_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

uint64_t mpb_minor_faults(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0)
    return 0;
  return (uint64_t)ru.ru_minflt;
}

uint64_t mpb_peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return 0;
  char line[256];
  uint64_t kib = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kib = strtoull(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}
