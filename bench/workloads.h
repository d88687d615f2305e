/*
 * The six workloads, written once and compiled into each peer's worker.
 *
 * A peer file defines its operations as static functions, then includes
 * this file, so every call below is a direct (usually inlined) call into the
 * peer's own API: no function pointer sits between the workload and the
 * allocator being measured.
 *
 * A peer file provides:
 *
 *   PEER_NAME                       label of the peer ("apr", ...)
 *   typedef ... peer_ctx_t;         one region (pool, heap, context)
 *   const char *peer_init(const char *label)
 *                                   once per process, untimed; NULL on
 *                                   success, else why the peer cannot run
 *                                   (reported as an error)
 *   peer_ctx_t *peer_open(void)     a new, empty region; peers with a
 *                                   node size (block, chunk) use
 *                                   mpb_node_size when it is not 0
 *   void peer_close(peer_ctx_t *, void **objs, size_t n)
 *                                   releases the region and all it holds;
 *                                   objs are the objects a request made
 *                                   (used only by peers that must free
 *                                   one by one)
 *   void peer_reset(peer_ctx_t *, void **objs, size_t n)
 *                                   empties the region for the next request
 *   void *peer_alloc(peer_ctx_t *, size_t n)
 *   void peer_track(peer_ctx_t *, void *obj)
 *                                   burst only: remembers obj so that
 *                                   peer_close(c, NULL, 0) can release it
 *   PEER_CHURN_NA "reason"          if churn does not fit the peer, else
 *   void peer_free(peer_ctx_t *, void *obj, size_t n)
 *   PEER_CLOSE_FREES_ALL 0|1        whether peer_close releases objects the
 *                                   churn and trace workloads still hold
 *   PEER_TRACE_NA "reason"          if trace does not fit the peer (the
 *                                   churn reason when churn is n/a), else
 *   void *peer_realloc(peer_ctx_t *, void *obj, size_t old, size_t n)
 *                                   resizes obj, keeping its contents
 *   PEER_STRINGS_NA "reason"        if strings do not fit the peer, else
 *   char *peer_strdup(peer_ctx_t *, const char *s)
 *   char *peer_format(peer_ctx_t *, const char *a, unsigned n,
 *                     const char *b)       formats MPB_FORMAT
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPB_WORKLOADS_H
#define MPB_WORKLOADS_H

#include "common.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#define MPB_FAIL(res, msg)                                                     \
  do {                                                                         \
    (res)->status = MPB_ERROR;                                                 \
    (res)->why = (msg);                                                        \
    return;                                                                    \
  } while (0)

#if defined(__GNUC__) || defined(__clang__)
#define MPB_INLINE static inline __attribute__((always_inline))
#else
#define MPB_INLINE static inline
#endif

/* Defines mpb_run_NAME(p, d, res) as NAME_as(p, d, res, lines) with the
 * touch mode (mpb_touch_lines) as a constant: one copy of the workload's
 * loop per mode, chosen once per run. */
#define MPB_BY_TOUCH(name)                                                     \
  static void mpb_run_##name(const mpb_params_t *p, const mpb_data_t *d,       \
                             mpb_result_t *res) {                              \
    if (mpb_touch_lines)                                                       \
      name##_as(p, d, res, 1);                                                 \
    else                                                                       \
      name##_as(p, d, res, 0);                                                 \
  }

/* Makes one request's objects in c, touching each, into objs; 0 if an
 * allocation failed.  Inline, so the timed loops call the peer directly. */
MPB_INLINE int mpb_make_request(peer_ctx_t *c, const uint32_t *sz, uint32_t n,
                                void **objs, int lines) {
  for (uint32_t i = 0; i < n; i++) {
    void *o = peer_alloc(c, sz[i]);
    if (!o)
      return 0;
    mpb_touch(o, sz[i], lines);
    objs[i] = o;
  }
  return 1;
}

/* request: a new region per request, ~40 allocations, touch, release. */
MPB_INLINE void request_as(const mpb_params_t *p, const mpb_data_t *d,
                           mpb_result_t *res, int lines) {
  void *objs[MPB_PLAN_MAX];
  size_t total = p->warmup + p->requests;
  mpb_start(res);
  for (size_t r = 0; r < total; r++) {
    if (r == p->warmup)
      mpb_start(res);
    uint32_t k = (uint32_t)(r % MPB_PLAN_REQUESTS);
    const uint32_t *sz = d->plan.sizes + d->plan.start[k];
    uint32_t n = d->plan.count[k];
    peer_ctx_t *c = peer_open();
    if (!c)
      MPB_FAIL(res, "region creation failed");
    if (!mpb_make_request(c, sz, n, objs, lines))
      MPB_FAIL(res, "allocation failed");
    peer_close(c, objs, n);
  }
  mpb_stop(res);
  res->ops = p->requests;
}
MPB_BY_TOUCH(request)

/* reset: one region for the whole run, emptied after each request. */
MPB_INLINE void reset_as(const mpb_params_t *p, const mpb_data_t *d,
                         mpb_result_t *res, int lines) {
  void *objs[MPB_PLAN_MAX];
  size_t total = p->warmup + p->requests;
  peer_ctx_t *c = peer_open();
  if (!c)
    MPB_FAIL(res, "region creation failed");
  mpb_start(res);
  for (size_t r = 0; r < total; r++) {
    if (r == p->warmup)
      mpb_start(res);
    uint32_t k = (uint32_t)(r % MPB_PLAN_REQUESTS);
    const uint32_t *sz = d->plan.sizes + d->plan.start[k];
    uint32_t n = d->plan.count[k];
    if (!mpb_make_request(c, sz, n, objs, lines))
      MPB_FAIL(res, "allocation failed");
    peer_reset(c, objs, n);
  }
  mpb_stop(res);
  res->ops = p->requests;
  peer_close(c, NULL, 0);
}
MPB_BY_TOUCH(reset)

/* burst: a bounded volume of allocations (burst_bytes of requests, so
 * fewer objects for larger mixes) into one region, then release. */
MPB_INLINE void burst_as(const mpb_params_t *p, const mpb_data_t *d,
                         mpb_result_t *res, int lines) {
  (void)p;
  const uint32_t *tab = d->burst;
  size_t count = d->burst_count;
  mpb_start(res);
  peer_ctx_t *c = peer_open();
  if (!c)
    MPB_FAIL(res, "region creation failed");
  for (size_t i = 0; i < count; i++) {
    size_t n = tab[i & (MPB_SIZE_TABLE - 1)];
    void *o = peer_alloc(c, n);
    if (!o)
      MPB_FAIL(res, "allocation failed");
    mpb_touch(o, n, lines);
    peer_track(c, o);
  }
  peer_close(c, NULL, 0);
  mpb_stop(res);
  res->ops = count;
}
MPB_BY_TOUCH(burst)

/* churn: a steady live set; each step frees a random live object and
 * allocates a new one in its place.  Sizes come from the mix's table, in
 * order (the fill first, then the steps); slots from the generator. */
MPB_INLINE void churn_as(const mpb_params_t *p, const mpb_data_t *d,
                         mpb_result_t *res, int lines) {
#ifdef PEER_CHURN_NA
  (void)p;
  (void)d;
  (void)lines;
  res->status = MPB_NA;
  res->why = PEER_CHURN_NA;
#else
  const uint32_t *tab = d->churn;
  uint64_t s = p->seed ^ UINT64_C(0x636875726e636875); /* "churnchu" */
  size_t cap = 1024, n = 0, live = 0, k = 0;
  void **objs = malloc(cap * sizeof *objs);
  uint32_t *sizes = malloc(cap * sizeof *sizes);
  if (!objs || !sizes)
    MPB_FAIL(res, "out of memory for the live set table");
  peer_ctx_t *c = peer_open();
  if (!c)
    MPB_FAIL(res, "region creation failed");
  /* fill (untimed): allocate until the live set holds churn_live bytes */
  while (live < p->churn_live) {
    if (n == cap) {
      cap *= 2;
      objs = realloc(objs, cap * sizeof *objs);
      sizes = realloc(sizes, cap * sizeof *sizes);
      if (!objs || !sizes)
        MPB_FAIL(res, "out of memory for the live set table");
    }
    uint32_t sz = tab[k++ & (MPB_SIZE_TABLE - 1)];
    void *o = peer_alloc(c, sz);
    if (!o)
      MPB_FAIL(res, "allocation failed");
    mpb_touch(o, sz, lines);
    objs[n] = o;
    sizes[n] = sz;
    live += sz;
    n++;
  }
  mpb_start(res);
  for (size_t step = 0; step < p->churn_steps; step++) {
    uint32_t i = mpb_below(mpb_rng(&s), (uint32_t)n);
    peer_free(c, objs[i], sizes[i]);
    uint32_t sz = tab[k++ & (MPB_SIZE_TABLE - 1)];
    void *o = peer_alloc(c, sz);
    if (!o)
      MPB_FAIL(res, "allocation failed");
    mpb_touch(o, sz, lines);
    objs[i] = o;
    sizes[i] = sz;
  }
  mpb_stop(res);
  res->ops = p->churn_steps;
  if (!PEER_CLOSE_FREES_ALL)
    for (size_t i = 0; i < n; i++)
      peer_free(c, objs[i], sizes[i]);
  peer_close(c, NULL, 0);
  free(objs);
  free(sizes);
#endif
}
MPB_BY_TOUCH(churn)

/* strings: a new region per request, 64 short strings (half copied, half
 * formatted), then release. */
static void mpb_run_strings(const mpb_params_t *p, const mpb_data_t *d,
                            mpb_result_t *res) {
#ifdef PEER_STRINGS_NA
  (void)p;
  (void)d;
  res->status = MPB_NA;
  res->why = PEER_STRINGS_NA;
#else
  void *objs[MPB_STRINGS_PER_REQUEST];
  size_t total = p->warmup + p->strings;
  mpb_start(res);
  for (size_t r = 0; r < total; r++) {
    if (r == p->warmup)
      mpb_start(res);
    peer_ctx_t *c = peer_open();
    if (!c)
      MPB_FAIL(res, "region creation failed");
    for (uint32_t i = 0; i < MPB_STRINGS_PER_REQUEST; i++) {
      const char *a = d->words.word[(r * 67 + i * 13) & (MPB_WORDS - 1)];
      char *str;
      if (i & 1) {
        const char *b = d->words.word[(r * 31 + i * 7 + 101) & (MPB_WORDS - 1)];
        str = peer_format(c, a, (unsigned)(r * MPB_STRINGS_PER_REQUEST + i), b);
      } else {
        str = peer_strdup(c, a);
      }
      if (!str)
        MPB_FAIL(res, "string allocation failed");
      mpb_escape(str);
      objs[i] = str;
    }
    peer_close(c, objs, MPB_STRINGS_PER_REQUEST);
  }
  mpb_stop(res);
  res->ops = p->strings;
#endif
}

/* trace: replays a recorded allocation trace (mpb_trace_t, loaded before
 * timing) in one region: each allocation and resize is touched; what is
 * still live at the end is released with the region (freed one by one
 * first where closing the region does not free it).  The region's
 * creation and release are timed.  One op is one event. */
#if defined(PEER_CHURN_NA) && !defined(PEER_TRACE_NA)
#define PEER_TRACE_NA PEER_CHURN_NA
#endif
MPB_INLINE void trace_as(const mpb_params_t *p, const mpb_data_t *d,
                         mpb_result_t *res, int lines) {
  (void)p;
#ifdef PEER_TRACE_NA
  (void)d;
  (void)lines;
  res->status = MPB_NA;
  res->why = PEER_TRACE_NA;
#else
  const mpb_trace_t *t = &d->trace;
  if (t->n == 0) {
    res->status = MPB_NA;
    res->why = "no trace recorded";
    return;
  }
  /* calloc and then write: the tables' pages are made before timing */
  void **objs = calloc(t->nids, sizeof *objs);
  uint32_t *sizes = calloc(t->nids, sizeof *sizes);
  if (!objs || !sizes)
    MPB_FAIL(res, "out of memory for the trace's object table");
  memset(objs, 0, t->nids * sizeof *objs);
  memset(sizes, 0, t->nids * sizeof *sizes);
  const mpb_event_t *ev = t->ev;
  size_t nev = t->n;
  mpb_start(res);
  peer_ctx_t *c = peer_open();
  if (!c)
    MPB_FAIL(res, "region creation failed");
  for (size_t e = 0; e < nev; e++) {
    uint32_t id = ev[e].op_id & MPB_EV_ID_MAX, sz = ev[e].size;
    uint32_t op = ev[e].op_id >> MPB_EV_SHIFT;
    void *o;
    if (op == MPB_EV_FREE) {
      peer_free(c, objs[id], sizes[id]);
      objs[id] = NULL;
      continue;
    }
    if (op == MPB_EV_ALLOC)
      o = peer_alloc(c, sz);
    else
      o = peer_realloc(c, objs[id], sizes[id], sz);
    if (!o)
      MPB_FAIL(res, "allocation failed");
    mpb_touch(o, sz, lines);
    objs[id] = o;
    sizes[id] = sz;
  }
  if (!PEER_CLOSE_FREES_ALL)
    for (uint32_t i = 0; i < t->nids; i++)
      if (objs[i])
        peer_free(c, objs[i], sizes[i]);
  peer_close(c, NULL, 0);
  mpb_stop(res);
  res->ops = nev;
  free(objs);
  free(sizes);
#endif
}
MPB_BY_TOUCH(trace)

const mpb_peer_t mpb_peer = {
    PEER_NAME,     peer_init,     mpb_run_request, mpb_run_reset,
    mpb_run_burst, mpb_run_churn, mpb_run_strings, mpb_run_trace,
};

#endif /* MPB_WORKLOADS_H */
