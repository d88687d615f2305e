/*
 * Peer: mimalloc heaps (mi_heap_new / mi_heap_malloc / mi_heap_destroy).
 * mimalloc has no heap reset: reset destroys the heap and makes a new one,
 * which is how mimalloc frees everything in a heap at once.  churn and
 * trace free single objects with mi_free(); trace resizes with
 * mi_heap_realloc().  mimalloc has no formatting call: the
 * formatted strings are written with snprintf() and copied into the heap.
 *
 * Debian's libmimalloc.so also replaces malloc() for the whole process, so
 * this peer runs in a worker of its own and the other peers never see it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mimalloc.h>

#include "worker.h"

#include <stdio.h>
#include <string.h>

#define PEER_NAME "mimalloc"
typedef struct peer_ctx {
  mi_heap_t *heap;
} peer_ctx_t;

static peer_ctx_t one; /* the workloads use one region at a time */

static const char *peer_init(const char *label) {
  if (strcmp(label, PEER_NAME) != 0)
    return "worker started with a foreign peer label";
  return NULL;
}

static inline peer_ctx_t *peer_open(void) {
  one.heap = mi_heap_new();
  return one.heap ? &one : NULL;
}

static inline void peer_close(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  mi_heap_destroy(c->heap);
  c->heap = NULL;
}

static inline void peer_reset(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  mi_heap_destroy(c->heap);
  c->heap = mi_heap_new();
}

static inline void *peer_alloc(peer_ctx_t *c, size_t n) {
  return c->heap ? mi_heap_malloc(c->heap, n) : NULL;
}

static inline void peer_track(peer_ctx_t *c, void *o) {
  (void)c;
  (void)o;
}

static inline void peer_free(peer_ctx_t *c, void *o, size_t n) {
  (void)c;
  (void)n;
  mi_free(o);
}
static inline void *peer_realloc(peer_ctx_t *c, void *o, size_t old, size_t n) {
  (void)old;
  return mi_heap_realloc(c->heap, o, n);
}
#define PEER_CLOSE_FREES_ALL 1

static inline char *peer_strdup(peer_ctx_t *c, const char *s) {
  return mi_heap_strdup(c->heap, s);
}

static inline char *peer_format(peer_ctx_t *c, const char *a, unsigned n,
                                const char *b) {
  char buf[256];
  int len = snprintf(buf, sizeof buf, MPB_FORMAT, a, n, b);
  if (len < 0)
    return NULL;
  char *s = mi_heap_malloc(c->heap, (size_t)len + 1);
  if (!s)
    return NULL;
  if ((size_t)len < sizeof buf)
    memcpy(s, buf, (size_t)len + 1);
  else
    snprintf(s, (size_t)len + 1, MPB_FORMAT, a, n, b);
  return s;
}

#include "workloads.h"
