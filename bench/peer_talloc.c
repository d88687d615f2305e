/*
 * Peer: talloc, plain (talloc_new / talloc_size / talloc_free).  Every
 * object is a child of the request's context; freeing the context frees
 * them all.  churn and trace free single objects with talloc_free(); trace
 * resizes with talloc_realloc_size().
 *
 * Built twice: with MPB_TALLOC_POOL defined, the region is a talloc_pool()
 * instead of a plain context ("talloc-pool"), of --node bytes, or of
 * MPB_TALLOC_POOL bytes without one; objects that do not fit fall back to
 * malloc, as talloc does.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <talloc.h>

#include "worker.h"

#include <string.h>

#ifdef MPB_TALLOC_POOL
#define PEER_NAME "talloc-pool"
#else
#define PEER_NAME "talloc"
#endif
typedef void peer_ctx_t;

static const char *peer_init(const char *label) {
  if (strcmp(label, PEER_NAME) != 0)
    return "worker started with a foreign peer label";
  return NULL;
}

static inline peer_ctx_t *peer_open(void) {
#ifdef MPB_TALLOC_POOL
  return talloc_pool(NULL, mpb_node_size ? mpb_node_size : MPB_TALLOC_POOL);
#else
  return talloc_new(NULL);
#endif
}

static inline void peer_close(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  talloc_free(c);
}

static inline void peer_reset(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  talloc_free_children(c);
}

static inline void *peer_alloc(peer_ctx_t *c, size_t n) {
  return talloc_size(c, n);
}

static inline void peer_track(peer_ctx_t *c, void *o) {
  (void)c;
  (void)o;
}

static inline void peer_free(peer_ctx_t *c, void *o, size_t n) {
  (void)c;
  (void)n;
  talloc_free(o);
}
static inline void *peer_realloc(peer_ctx_t *c, void *o, size_t old, size_t n) {
  (void)old;
  return talloc_realloc_size(c, o, n);
}
#define PEER_CLOSE_FREES_ALL 1

static inline char *peer_strdup(peer_ctx_t *c, const char *s) {
  return talloc_strdup(c, s);
}

static inline char *peer_format(peer_ctx_t *c, const char *a, unsigned n,
                                const char *b) {
  return talloc_asprintf(c, MPB_FORMAT, a, n, b);
}

#include "workloads.h"
