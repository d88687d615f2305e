/*
 * Peer: mpool.  Every region is mp_create_pool(node), node from --node (0:
 * the library's default node size); variants (below) the same with pool
 * options.  churn and trace need mp_free_sized() (trace also mp_realloc())
 * and strings need mp_strdup()/mp_printf(); CMake detects them in mpool.h
 * and defines MPOOL_BENCH_HAVE_REUSE / MPOOL_BENCH_HAVE_STRINGS.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mpool.h"

#include "worker.h"

#include <string.h>

/* Variants of this peer are the same source built with other options
 * (bench/CMakeLists.txt): PEER_MPOOL_FLAGS for mp_options_t.flags,
 * PEER_MPOOL_BUDGET for mp_options_t.budget and PEER_MPOOL_NAME for the
 * peer's label: "mpool-wipe" with MP_POOL_WIPE, "mpool-budget" with a
 * budget of 1 GiB, which no workload reaches. */
#ifndef PEER_MPOOL_FLAGS
#define PEER_MPOOL_FLAGS 0u
#endif
#ifndef PEER_MPOOL_BUDGET
#define PEER_MPOOL_BUDGET 0u
#endif
#ifdef PEER_MPOOL_NAME
#define PEER_NAME PEER_MPOOL_NAME
#else
#define PEER_NAME "mpool"
#endif
typedef mp_pool_t peer_ctx_t;

static const char *peer_init(const char *label) {
  if (strcmp(label, PEER_NAME) != 0)
    return "worker started with a foreign peer label";
  return NULL;
}

static inline peer_ctx_t *peer_open(void) {
  if (PEER_MPOOL_FLAGS == 0u && PEER_MPOOL_BUDGET == 0u)
    return mp_create_pool(mpb_node_size);
  mp_options_t o;
  mp_options_init(&o); /* the default node size and threshold */
  if (mpb_node_size != 0)
    o.node_size = mpb_node_size;
  o.flags = PEER_MPOOL_FLAGS;
  o.budget = PEER_MPOOL_BUDGET;
  return mp_create_pool_ex(&o);
}

static inline void peer_close(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  mp_destroy_pool(c);
}

static inline void peer_reset(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  mp_reset_pool(c);
}

static inline void *peer_alloc(peer_ctx_t *c, size_t n) {
  return mp_alloc(c, n);
}

static inline void peer_track(peer_ctx_t *c, void *o) {
  (void)c;
  (void)o;
}

#ifdef MPOOL_BENCH_HAVE_REUSE
static inline void peer_free(peer_ctx_t *c, void *o, size_t n) {
  mp_free_sized(c, o, n);
}
static inline void *peer_realloc(peer_ctx_t *c, void *o, size_t old, size_t n) {
  return mp_realloc(c, o, old, n);
}
#define PEER_CLOSE_FREES_ALL 1
#else
#define PEER_CHURN_NA "mp_free_sized() is not in this mpool build"
#endif

#ifdef MPOOL_BENCH_HAVE_STRINGS
static inline char *peer_strdup(peer_ctx_t *c, const char *s) {
  return mp_strdup(c, s);
}
static inline char *peer_format(peer_ctx_t *c, const char *a, unsigned n,
                                const char *b) {
  return mp_printf(c, MPB_FORMAT, a, n, b);
}
#else
#define PEER_STRINGS_NA "mp_strdup()/mp_printf() are not in this mpool build"
#endif

#include "workloads.h"
