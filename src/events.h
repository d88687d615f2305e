/*
 * Object events: the one interface through which the features that watch
 * objects hear of them -- memory-tool tracking (mp_track.h: ASan and
 * Valgrind) and hardened builds' canaries (harden.c).  The pool layer
 * calls an event where an object is made or resized; each event calls
 * the listeners compiled into this build and is nothing in a build that
 * has none, so the core reads no feature flag for them.
 *
 *   mp_ev_alloc(pool, n, p, size)         a new object of size bytes at p,
 *                                         in node n (NULL: a large block)
 *   mp_ev_resize_start(pool, n, p, size)  p's end is about to move
 *   mp_ev_resize_end(pool, n, p, old, size)
 *                                         ... and is now at p + size (old:
 *                                         its size before; equal when the
 *                                         resize left it as it was)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_EVENTS_H
#define MP_EVENTS_H

#include "mp_internal.h"

static inline void mp_ev_alloc(mp_pool_t *pool, struct mp_node *n, void *p,
                               size_t size) {
  mp_track_alloc(pool, p, size);
#ifdef MP_HARDENED
  mp__canary_put(pool, n, p, size);
#else
  (void)n;
#endif
}

static inline void mp_ev_resize_start(mp_pool_t *pool, struct mp_node *n,
                                      const void *p, size_t size) {
#ifdef MP_HARDENED
  mp__canary_take(pool, n, p, size, pool->fn);
#else
  (void)pool;
  (void)n;
  (void)p;
  (void)size;
#endif
}

static inline void mp_ev_resize_end(mp_pool_t *pool, struct mp_node *n, void *p,
                                    size_t old, size_t size) {
  if (old != size)
    mp_track_resize(pool, p, old, size);
#ifdef MP_HARDENED
  mp__canary_put(pool, n, p, size);
#else
  (void)n;
#endif
}

#endif /* MP_EVENTS_H */
