/*
 * Peer: GNU obstack from glibc (obstack_alloc / obstack_free), with
 * malloc()/free() behind it and chunks of --node bytes
 * (obstack_begin(ob, node)), or glibc's default chunk size without one
 * (obstack_init: 4064 bytes on 64-bit glibc).  reset frees back to a
 * mark taken when the obstack was made; release frees everything with
 * obstack_free(ob, NULL).
 *
 * churn and trace are n/a: an obstack frees only in LIFO order (everything
 * allocated after an object goes with it), so it cannot free one random object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* obstack_printf() */

#include <obstack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

#define obstack_chunk_alloc malloc
#define obstack_chunk_free free

#define PEER_NAME "obstack"
typedef struct peer_ctx {
  struct obstack ob;
  void *mark;
} peer_ctx_t;

static peer_ctx_t one; /* the workloads use one region at a time */

static const char *peer_init(const char *label) {
  if (strcmp(label, PEER_NAME) != 0)
    return "worker started with a foreign peer label";
  return NULL;
}

static inline peer_ctx_t *peer_open(void) {
  if (mpb_node_size ? !obstack_begin(&one.ob, (int)mpb_node_size)
                    : !obstack_init(&one.ob))
    return NULL;
  one.mark = obstack_alloc(&one.ob, 0);
  return &one;
}

static inline void peer_close(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  obstack_free(&c->ob, NULL);
}

static inline void peer_reset(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  obstack_free(&c->ob, c->mark);
}

static inline void *peer_alloc(peer_ctx_t *c, size_t n) {
  return obstack_alloc(&c->ob, n);
}

static inline void peer_track(peer_ctx_t *c, void *o) {
  (void)c;
  (void)o;
}

#define PEER_CHURN_NA "obstack frees only in LIFO order, not one random object"

static inline char *peer_strdup(peer_ctx_t *c, const char *s) {
  return obstack_copy0(&c->ob, s, strlen(s));
}

static inline char *peer_format(peer_ctx_t *c, const char *a, unsigned n,
                                const char *b) {
  if (obstack_printf(&c->ob, MPB_FORMAT, a, n, b) < 0)
    return NULL;
  obstack_1grow(&c->ob, '\0');
  return obstack_finish(&c->ob);
}

#include "workloads.h"
