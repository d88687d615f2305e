/*
 * Setting hooks, and the public calls of pools with object events
 * (MP_F_HOOKED): api.c hands them here, where the pool layer's call is
 * made and its event told (hooks.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"
#include "mp_platform.h"

#include <string.h>

#define MP_HOOK_FLAGS MP_HOOK_OBJECTS

void *mp__hk_alloc(mp_pool_t *pool, size_t size) {
  void *p = mp__alloc(pool, size);
  if (p != NULL)
    mp__hook_event(pool, MP_EVENT_ALLOC, p, size, NULL, 0);
  return p;
}

void *mp__hk_nalloc(mp_pool_t *pool, size_t size) {
  void *p = mp__nalloc(pool, size);
  if (p != NULL)
    mp__hook_event(pool, MP_EVENT_ALLOC, p, size, NULL, 0);
  return p;
}

void *mp__hk_memalign(mp_pool_t *pool, size_t size, size_t alignment) {
  void *p = mp__memalign(pool, size, alignment);
  if (p != NULL)
    mp__hook_event(pool, MP_EVENT_ALLOC, p, size, NULL, 0);
  return p;
}

char *mp__hk_vprintf(mp_pool_t *pool, const char *fmt, va_list ap) {
  char *s = mp__vprintf(pool, fmt, ap);
  if (s != NULL)
    mp__hook_event(pool, MP_EVENT_ALLOC, s, strlen(s) + 1, NULL, 0);
  return s;
}

int mp__hk_free(mp_pool_t *pool, void *p) {
  int r = mp__free(pool, p);
  if (r == 0 && p != NULL)
    mp__hook_event(pool, MP_EVENT_FREE, p, 0, NULL, 0);
  return r;
}

int mp__hk_free_sized(mp_pool_t *pool, void *p, size_t size) {
  int r = mp__free_sized(pool, p, size);
  if (r == 0 && p != NULL)
    mp__hook_event(pool, MP_EVENT_FREE, p, size, NULL, 0);
  return r;
}

void *mp__hk_resize(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                    bool sized) {
  void *q = mp__resize(pool, p, old, new_size, sized);
  if (q != NULL)
    mp__hook_event(pool, MP_EVENT_RESIZE, q, new_size, p, sized ? old : 0);
  return q;
}

void mp__hk_reset(mp_pool_t *pool) {
  mp__hook_event(pool, MP_EVENT_RESET, NULL, 0, NULL, 0);
}

/* Opens or closes the pool's window for its object events.  A pool made
 * under a process-wide hook with MP_HOOK_OBJECTS keeps them whatever its
 * own hook asks for: the process-wide hook hears them for good. */
static void set_objects(mp_pool_t *pool, bool on) {
  if (pool->flags & MP_F_HOOKALL)
    return;
  if (on) {
    pool->flags |= MP_F_HOOKED;
    if (!(pool->flags & MP_F_NOWINDOW))
      pool->flags |= MP_F_NOWINDOW | MP_F_HOOKWIN;
  } else {
    pool->flags &= ~(unsigned)MP_F_HOOKED;
    if (pool->flags & MP_F_HOOKWIN)
      pool->flags &= ~(unsigned)(MP_F_NOWINDOW | MP_F_HOOKWIN);
  }
  mp__set_window(pool);
}

struct mp_hook_args {
  mp_event_fn fn;
  void *arg;
  unsigned flags;
};

static int set_pool_hook(mp_pool_t *pool, void *a) {
  const struct mp_hook_args *h = a;
  struct mp_ext *x = pool->tree.ext;
  if (x == NULL && h->fn == NULL)
    return 0; /* nothing to clear: no block needed */
  if (x == NULL && (x = mp__tree_ext(pool)) == NULL)
    return -1; /* errno ENOMEM, the hook told */
  if (x->hook == NULL && h->fn != NULL)
    atomic_fetch_add_explicit(&mp__hooks_on, 1, memory_order_relaxed);
  else if (x->hook != NULL && h->fn == NULL)
    atomic_fetch_sub_explicit(&mp__hooks_on, 1, memory_order_relaxed);
  x->hook = h->fn;
  x->hook_arg = h->arg;
  x->hook_flags = h->fn != NULL ? h->flags : 0;
  if (!(pool->flags & MP_F_INNER))
    set_objects(pool, (x->hook_flags & MP_HOOK_OBJECTS) != 0);
  return 0;
}

int mp_pool_set_hook(mp_pool_t *pool, mp_event_fn fn, void *arg,
                     unsigned flags) {
  if (pool == NULL || (flags & ~(unsigned)MP_HOOK_FLAGS) != 0 ||
      (MP_SHARED(pool) && (flags & MP_HOOK_OBJECTS))) {
    errno = EINVAL;
    return -1;
  }
  struct mp_hook_args h = {fn, arg, flags};
  if (MP_SHARED(pool))
    return mp__sh_with(pool, set_pool_hook, &h);
  MP_OWN(pool, "mp_pool_set_hook");
  return set_pool_hook(pool, &h);
}

int mpool_set_hook(mp_event_fn fn, void *arg, unsigned flags) {
  if ((flags & ~(unsigned)MP_HOOK_FLAGS) != 0) {
    errno = EINVAL;
    return -1;
  }
  mp__tree_lock();
  mp__hook_set_global(fn, arg, fn != NULL ? flags : 0);
  mp__tree_unlock();
  return 0;
}
