/*
 * Shared pieces of the mpool benchmark workers.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int mpb_touch_lines;

void mpb_params_default(mpb_params_t *p) {
  p->seed = UINT64_C(0x6d706f6f6c2d6231); /* "mpool-b1" */
  p->requests = 20000;
  p->burst_bytes = (size_t)32 << 20;
  p->churn_steps = 200000;
  p->churn_live = (size_t)4 << 20;
  p->strings = 5000;
  p->warmup = 0;
  p->runs = 1;
  p->node_size = 0;
  p->trace_events = 2000000;
  p->mix = MPB_MIX_MIXED;
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

const char *const mpb_mix_name[MPB_NMIX] = {"small", "mixed", "loguniform"};

int mpb_mix_parse(const char *name) {
  for (int m = 0; m < MPB_NMIX; m++)
    if (strcmp(name, mpb_mix_name[m]) == 0)
      return m;
  return -1;
}

uint32_t mpb_mix_size(uint64_t *s, int mix) {
  if (mix == MPB_MIX_SMALL)
    return mpb_log_size(s, 8, 64);
  if (mix == MPB_MIX_LOGUNIFORM)
    return mpb_log_size(s, 8, 16384);
  uint32_t pick = mpb_below(mpb_rng(s), 1000);
  if (pick < 700)
    return mpb_log_size(s, 8, 64);
  if (pick < 950)
    return mpb_log_size(s, 64, 512) + 1; /* 65..512 */
  if (pick < 999)
    return mpb_log_size(s, 512, 4096) + 1; /* 513..4096 */
  return mpb_log_size(s, 4096, 16384) + 1; /* 4097..16384 */
}

/* mix: a size mix, or -1 for the request mix, -2 for 8-512 B only. */
static int plan_init(mpb_plan_t *plan, uint64_t seed, int mix) {
  uint64_t s = seed ^ UINT64_C(0x7265717565737473); /* "requests" */
  if (mix >= 0)
    s ^= (uint64_t)(mix + 1) << 56;
  memset(plan, 0, sizeof *plan);
  plan->sizes = malloc(sizeof(uint32_t) * MPB_PLAN_REQUESTS * MPB_PLAN_MAX);
  if (!plan->sizes)
    return -1;
  uint32_t at = 0;
  for (uint32_t r = 0; r < MPB_PLAN_REQUESTS; r++) {
    uint32_t n =
        MPB_PLAN_MIN + mpb_below(mpb_rng(&s), MPB_PLAN_MAX - MPB_PLAN_MIN + 1);
    plan->start[r] = at;
    plan->count[r] = n;
    for (uint32_t i = 0; i < n; i++)
      plan->sizes[at++] = mix >= 0    ? mpb_mix_size(&s, mix)
                          : mix == -2 ? mpb_log_size(&s, 8, 512)
                                      : mpb_request_size(&s);
  }
  plan->total = at;
  return 0;
}

int mpb_plan_init(mpb_plan_t *plan, uint64_t seed, int small_only) {
  return plan_init(plan, seed, small_only ? -2 : -1);
}

int mpb_plan_init_mix(mpb_plan_t *plan, uint64_t seed, int mix) {
  return plan_init(plan, seed, mix);
}

void mpb_plan_free(mpb_plan_t *plan) {
  free(plan->sizes);
  plan->sizes = NULL;
}

int mpb_sizes_init(uint32_t **table, uint64_t seed, uint64_t salt, int mix,
                   double *mean) {
  uint64_t s = seed ^ salt ^ ((uint64_t)(mix + 1) << 56);
  uint32_t *t = malloc(sizeof *t * MPB_SIZE_TABLE);
  if (!t)
    return -1;
  double sum = 0;
  for (uint32_t i = 0; i < MPB_SIZE_TABLE; i++) {
    t[i] = mpb_mix_size(&s, mix);
    sum += t[i];
  }
  *table = t;
  if (mean)
    *mean = sum / MPB_SIZE_TABLE;
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

static const char *trace_fail(mpb_trace_t *t, char *errbuf, size_t errlen,
                              const char *path, size_t line, const char *what) {
  snprintf(errbuf, errlen, "%.80s:%zu: %s", path, line, what);
  mpb_trace_free(t);
  return errbuf;
}

static int parse_u64(const char **pp, uint64_t *out) {
  const char *p = *pp;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p < '0' || *p > '9')
    return -1;
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') {
    if (v > (UINT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (uint64_t)(*p - '0');
    p++;
  }
  *pp = p;
  *out = v;
  return 0;
}

const char *mpb_trace_load(mpb_trace_t *t, const char *path, size_t max_events,
                           char *errbuf, size_t errlen) {
  memset(t, 0, sizeof *t);
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(errbuf, errlen, "%.80s: %s", path, strerror(errno));
    return errbuf;
  }
  size_t cap = 0, nlive = 0, live_cap = 0, line = 0;
  unsigned char *live = NULL; /* 1 while an id is live */
  char buf[256];
  const char *why = NULL;
  while ((max_events == 0 || t->n < max_events) && fgets(buf, sizeof buf, f)) {
    line++;
    const char *p = buf;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\n' || *p == '\0' || *p == '#')
      continue;
    char op = *p++;
    uint64_t id = 0, size = 0;
    if ((op != 'a' && op != 'f' && op != 'r') || parse_u64(&p, &id) != 0) {
      why = "not an event (a ID SIZE, f ID or r ID NEWSIZE)";
      break;
    }
    if (op != 'f' && parse_u64(&p, &size) != 0) {
      why = "missing size";
      break;
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (*p != '\0') {
      why = "trailing text";
      break;
    }
    if (id > MPB_EV_ID_MAX || size > UINT32_MAX) {
      why = "id or size out of range";
      break;
    }
    if (id >= live_cap) {
      size_t nc = live_cap ? live_cap : 4096;
      while (nc <= id)
        nc *= 2;
      unsigned char *nl = realloc(live, nc);
      if (!nl) {
        why = "out of memory";
        break;
      }
      memset(nl + live_cap, 0, nc - live_cap);
      live = nl;
      live_cap = nc;
    }
    if (op == 'r' && size == 0)
      op = 'f';
    if (op == 'a' ? live[id] : !live[id]) {
      why = op == 'a' ? "allocation of an id that is live"
                      : "free or resize of an id that is not live";
      break;
    }
    if (t->n == cap) {
      size_t nc = cap ? cap * 2 : 65536;
      mpb_event_t *ne = realloc(t->ev, nc * sizeof *ne);
      if (!ne) {
        why = "out of memory";
        break;
      }
      t->ev = ne;
      cap = nc;
    }
    uint32_t code = op == 'a'   ? MPB_EV_ALLOC
                    : op == 'f' ? MPB_EV_FREE
                                : MPB_EV_RESIZE;
    t->ev[t->n].op_id = code << MPB_EV_SHIFT | (uint32_t)id;
    t->ev[t->n].size = size == 0 ? 1u : (uint32_t)size;
    t->n++;
    if (op == 'a') {
      live[id] = 1;
      if (++nlive > t->max_live)
        t->max_live = nlive;
    } else if (op == 'f') {
      live[id] = 0;
      nlive--;
    }
    if ((uint32_t)id + 1 > t->nids)
      t->nids = (uint32_t)id + 1;
  }
  int err = ferror(f);
  fclose(f);
  free(live);
  if (why)
    return trace_fail(t, errbuf, errlen, path, line, why);
  if (err)
    return trace_fail(t, errbuf, errlen, path, line, "read error");
  if (t->n == 0)
    return trace_fail(t, errbuf, errlen, path, line, "no events");
  return NULL;
}

void mpb_trace_free(mpb_trace_t *t) {
  free(t->ev);
  memset(t, 0, sizeof *t);
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
