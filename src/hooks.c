/*
 * Allocation events: telling a pool's hook and the process-wide hook of
 * blocks taken and given back, and of object events (hooked.c).
 *
 * The process-wide hook is three atomics under a sequence count: a writer
 * (mp__tree_lock() held) makes the count odd, stores, makes it even; an
 * event reads the three between two even reads of the same count, so it
 * never pairs one hook's function with another's argument.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

atomic_uint mp__hooks_on;
_Thread_local bool mp__hook_hold MP_TLS_MODEL;

static atomic_uint g_seq;
static _Atomic(mp_event_fn) g_fn;
static _Atomic(void *) g_arg;
static atomic_uint g_flags;

void mp__hook_set_global(mp_event_fn fn, void *arg, unsigned flags) {
  unsigned s = atomic_load_explicit(&g_seq, memory_order_relaxed);
  bool was = atomic_load_explicit(&g_fn, memory_order_relaxed) != NULL;
  atomic_store_explicit(&g_seq, s + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&g_fn, fn, memory_order_relaxed);
  atomic_store_explicit(&g_arg, arg, memory_order_relaxed);
  atomic_store_explicit(&g_flags, flags, memory_order_relaxed);
  atomic_store_explicit(&g_seq, s + 2, memory_order_release);
  if (fn != NULL && !was)
    atomic_fetch_add_explicit(&mp__hooks_on, 1, memory_order_relaxed);
  else if (fn == NULL && was)
    atomic_fetch_sub_explicit(&mp__hooks_on, 1, memory_order_relaxed);
}

/* The process-wide hook as one consistent triple. */
static mp_event_fn global_hook(void **arg, unsigned *flags) {
  for (;;) {
    unsigned s = atomic_load_explicit(&g_seq, memory_order_acquire);
    if (s & 1u)
      continue; /* a writer is between its stores */
    mp_event_fn fn = atomic_load_explicit(&g_fn, memory_order_relaxed);
    *arg = atomic_load_explicit(&g_arg, memory_order_relaxed);
    *flags = atomic_load_explicit(&g_flags, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&g_seq, memory_order_relaxed) == s)
      return fn;
  }
}

static bool is_object_event(int kind) { return kind >= MP_EVENT_ALLOC; }

void mp__hook_event(mp_pool_t *pool, int kind, void *p, size_t size, void *old,
                    size_t old_size) {
  const struct mp_ext *x = pool->tree.ext;
  mp_event_t ev = {
      kind,    mp__hook_face(pool), x != NULL ? x->name : NULL, p, size, old,
      old_size};
  bool object = is_object_event(kind);
  if (x != NULL && x->hook != NULL &&
      (!object || (x->hook_flags & MP_HOOK_OBJECTS)))
    x->hook(&ev, x->hook_arg);
  void *arg;
  unsigned flags;
  mp_event_fn fn = global_hook(&arg, &flags);
  if (fn != NULL && (!object || (flags & MP_HOOK_OBJECTS)))
    fn(&ev, arg);
}

/* The nodes of a pool, in its list's order: the first holds the pool. */
static void tell_nodes(mp_pool_t *pool, int kind) {
  for (struct mp_node *n = pool->first; n != NULL; n = n->next)
    mp__hook_event(pool, kind, n, pool->node_size, NULL, 0);
}

void mp__hook_created(mp_pool_t *pool) {
  void *arg;
  unsigned flags;
  mp_event_fn fn = global_hook(&arg, &flags);
  if (fn != NULL && (flags & MP_HOOK_OBJECTS) &&
      !(pool->flags & (MP_F_SHARED | MP_F_INNER))) {
    pool->flags |= MP_F_HOOKED | MP_F_HOOKALL;
    if (!(pool->flags & MP_F_NOWINDOW)) {
      pool->flags |= MP_F_NOWINDOW | MP_F_HOOKWIN;
      pool->w.end = pool->w.ptr; /* as mp__set_window() closes it */
    }
  }
  if (pool->flags & MP_F_ADAPT)
    mp__hook_event(pool, MP_EVENT_BLOCK_ACQUIRE, pool, mp__struct_block(pool),
                   NULL, 0);
  tell_nodes(pool, MP_EVENT_BLOCK_ACQUIRE);
}

void mp__hook_freeing(mp_pool_t *pool) {
  mp__hook_event(pool, MP_EVENT_DESTROY, NULL, 0, NULL, 0);
  tell_nodes(pool, MP_EVENT_BLOCK_RELEASE);
  if (pool->flags & MP_F_ADAPT)
    mp__hook_event(pool, MP_EVENT_BLOCK_RELEASE, pool, mp__struct_block(pool),
                   NULL, 0);
}
