/*
 * Peer: the process's malloc()/free(), with no region at all: a request
 * frees each of its objects at its end.  One worker serves three peers:
 *
 *   glibc     the C library's malloc;
 *   jemalloc  the same worker started with LD_PRELOAD=libjemalloc.so.2;
 *   tcmalloc  the same worker started with LD_PRELOAD=libtcmalloc_minimal.so.4.
 *
 * peer_init() checks that the allocator the label names is the one in the
 * process, so a missing or ignored LD_PRELOAD is an error, not a mislabelled
 * glibc figure.  burst chains its objects through their first word (every
 * burst object has at least 8 bytes), as a program that frees them later
 * would have to keep them somewhere; the chain costs no extra memory.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* asprintf(), RTLD_DEFAULT */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

#define PEER_NAME "glibc"
typedef struct peer_ctx {
  void *chain; /* burst objects, linked through their first word */
} peer_ctx_t;

static peer_ctx_t one; /* the workloads use one region at a time */

static const char *peer_init(const char *label) {
  int je = dlsym(RTLD_DEFAULT, "mallctl") != NULL;
  int tc = dlsym(RTLD_DEFAULT, "tc_malloc") != NULL;
  if (strcmp(label, "glibc") == 0) {
    if (je || tc)
      return "glibc requested but another malloc is preloaded";
  } else if (strcmp(label, "jemalloc") == 0) {
    if (!je || tc)
      return "jemalloc requested but not loaded (LD_PRELOAD ignored?)";
  } else if (strcmp(label, "tcmalloc") == 0) {
    if (!tc || je)
      return "tcmalloc requested but not loaded (LD_PRELOAD ignored?)";
  } else {
    return "worker started with a foreign peer label";
  }
  return NULL;
}

static inline peer_ctx_t *peer_open(void) {
  one.chain = NULL;
  return &one;
}

static inline void peer_reset(peer_ctx_t *c, void **objs, size_t n) {
  (void)c;
  for (size_t i = 0; i < n; i++)
    free(objs[i]);
}

static inline void peer_close(peer_ctx_t *c, void **objs, size_t n) {
  peer_reset(c, objs, n);
  void *o = c->chain;
  while (o) {
    void *next = *(void **)o;
    free(o);
    o = next;
  }
  c->chain = NULL;
}

static inline void *peer_alloc(peer_ctx_t *c, size_t n) {
  (void)c;
  return malloc(n);
}

static inline void peer_track(peer_ctx_t *c, void *o) {
  *(void **)o = c->chain;
  c->chain = o;
}

static inline void peer_free(peer_ctx_t *c, void *o, size_t n) {
  (void)c;
  (void)n;
  free(o);
}
static inline void *peer_realloc(peer_ctx_t *c, void *o, size_t old, size_t n) {
  (void)c;
  (void)old;
  return realloc(o, n);
}
#define PEER_CLOSE_FREES_ALL 0

static inline char *peer_strdup(peer_ctx_t *c, const char *s) {
  (void)c;
  return strdup(s);
}

static inline char *peer_format(peer_ctx_t *c, const char *a, unsigned n,
                                const char *b) {
  (void)c;
  char *s;
  return asprintf(&s, MPB_FORMAT, a, n, b) < 0 ? NULL : s;
}

#include "workloads.h"
