/*
 * hooks.h: what hooks.c offers the other files: allocation events.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_HOOKS_H
#define MP_HOOKS_H

/* hooks.c: allocation events.  mp__hooks_on counts the hooks set (the
 * process-wide one and every pool's); while it is 0 the pool layer's
 * block paths pay one load and one predicted branch. */
extern atomic_uint mp__hooks_on;
/* Set while this thread makes a shared pool (api.c): the inner pool's
 * creation, and its freeing if the handle cannot be made, are not told
 * then, but once the handle exists, so that every event names the handle
 * and no hook hears of the inner pool.  Cleared around out-of-memory
 * hooks (budget.c), which may make and free pools of their own. */
extern _Thread_local bool mp__hook_hold MP_TLS_MODEL;
#define MP_HOOKING()                                                           \
  mp_unlikely(atomic_load_explicit(&mp__hooks_on, memory_order_relaxed) != 0)
void mp__hook_event(mp_pool_t *pool, int kind, void *p, size_t size, void *old,
                    size_t old_size);
#define MP_HOOK_BLOCK(pool, kind, p, size)                                     \
  do {                                                                         \
    if (MP_HOOKING())                                                          \
      mp__hook_event((pool), (kind), (p), (size), NULL, 0);                    \
  } while (0)
/* A new pool (its first node; the process-wide MP_HOOK_OBJECTS), and a
 * pool going (MP_EVENT_DESTROY, then its nodes). */
void mp__hook_created(mp_pool_t *pool);
void mp__hook_freeing(mp_pool_t *pool);
/* Sets or clears the process-wide hook (under mp__tree_lock()). */
void mp__hook_set_global(mp_event_fn fn, void *arg, unsigned flags);
/* The pool events are told as (a shared pool's handle for its inner). */
static inline mp_pool_t *mp__hook_face(mp_pool_t *pool) {
  return (pool->flags & MP_F_INNER) ? (mp_pool_t *)(void *)pool->shared : pool;
}

#endif /* MP_HOOKS_H */
