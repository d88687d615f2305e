/*
 * Reference, not a peer: the workloads with the cheapest allocator there
 * is, a pointer bumped through one 1 MiB static arena.  Opening or
 * resetting a region sets the pointer back to the arena's start, so each
 * request reuses the same memory, as a pool reusing its node does; a
 * region that fills the arena starts again from its beginning (burst:
 * objects are written once and never read back, so reusing the arena is
 * harmless here).  Closing costs nothing.  Its time is what a workload
 * costs by itself -- the loop, the sizes, the touches -- so the gap
 * between it and a peer is the peer's own cost.  No page faults after the
 * first pass over the arena: burst shows the workload without first-touch
 * costs.
 *
 * churn, trace and strings are n/a: nothing is freed, and a formatter of its
 * own would measure the formatter, not the allocator.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "worker.h"

#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#define PEER_NAME "bump"
#define BUMP_ARENA ((size_t)1 << 20)

typedef struct peer_ctx {
  unsigned char *ptr, *end;
} peer_ctx_t;

static alignas(16) unsigned char arena[BUMP_ARENA];
static peer_ctx_t one = {arena, arena + BUMP_ARENA};

static const char *peer_init(const char *label) {
  if (strcmp(label, PEER_NAME) != 0)
    return "worker started with a foreign peer label";
  return NULL;
}

static inline peer_ctx_t *peer_open(void) {
  one.ptr = arena;
  return &one;
}

static inline void peer_close(peer_ctx_t *c, void **objs, size_t n) {
  (void)c;
  (void)objs;
  (void)n;
}

static inline void peer_reset(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  c->ptr = arena;
}

static inline void *peer_alloc(peer_ctx_t *c, size_t n) {
  size_t r = (n + 15) & ~(size_t)15; /* n is at most 16 KiB here */
  if (r > (size_t)(c->end - c->ptr))
    c->ptr = arena; /* start over */
  unsigned char *p = c->ptr;
  c->ptr += r;
#if defined(__GNUC__) || defined(__clang__)
  if (p == NULL) /* never: lets the workload's own NULL check fold away */
    __builtin_unreachable();
#endif
  return p;
}

static inline void peer_track(peer_ctx_t *c, void *o) {
  (void)c;
  (void)o;
}

#define PEER_CHURN_NA "reference bump pointer: frees nothing"
#define PEER_STRINGS_NA "reference bump pointer: allocation workloads only"

#include "workloads.h"
