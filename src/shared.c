/*
 * Shared pools (MP_POOL_SHARED): one pool that many threads allocate from
 * and free into at once.
 *
 * A shared pool is an ordinary pool (the inner pool) behind a handle of its
 * own.  The handle is a struct mp_pool_s whose bump window is always empty
 * and never written, so the inline mp_alloc() in mpool.h reads two constant
 * NULLs and calls the library, and whose flags say MP_F_SHARED, so each
 * public entry point (api.c) hands the call here.  The call takes the
 * pool's lock and makes the pool layer's call on the inner pool, which is
 * never seen outside this file and is touched only with the lock held.
 * Ordinary pools pay one flag test in api.c and nothing on the inline fast
 * path; the pool layer knows no shared pools.
 *
 * The lock is recursive: a cleanup that runs during mp_reset_pool() on a
 * shared pool, or a callback of mp_cleanup_run(), may use the pool again.
 * The handle lives outside the inner pool's nodes (it must survive a
 * reset), in a block from the pool's backing allocator.
 *
 * Children: a child of a shared pool hangs off the inner pool.  Creating or
 * destroying one changes the inner pool, so it takes the parent's lock;
 * mp_pool_parent() maps the inner pool back to its handle.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* PTHREAD_MUTEX_RECURSIVE */
#endif

#include "mp_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(MP_DEBUG) || !defined(NDEBUG)
#define MP_SHARED_CHECKS 1
#else
#define MP_SHARED_CHECKS 0
#endif

struct mp_shared {
  mp_pool_t face;   /* the handle: must be first */
  mp_pool_t *inner; /* NULL once the inner pool is gone */
  pthread_mutex_t lock;
  atomic_uint users; /* debug builds: threads inside or waiting for a call */
  unsigned depth;    /* nested calls of the lock's owner (under the lock) */
  bool dying;        /* mp_destroy_pool() of the handle is under way */
};

#define MP_SHARED_BYTES MP_ALIGN_UP(sizeof(struct mp_shared), MP_GRANULE)

static struct mp_shared *of(const mp_pool_t *face) {
  return (struct mp_shared *)(uintptr_t)face;
}

/* Takes the lock; returns the inner pool. */
static mp_pool_t *enter(const mp_pool_t *face) {
  struct mp_shared *s = of(face);
  if (MP_SHARED_CHECKS)
    atomic_fetch_add_explicit(&s->users, 1, memory_order_relaxed);
  pthread_mutex_lock(&s->lock);
  s->depth++;
  return s->inner;
}

/* Drops the lock, keeping the errno of the call made under it. */
static void leave(const mp_pool_t *face) {
  struct mp_shared *s = of(face);
  int e = errno;
  s->depth--;
  pthread_mutex_unlock(&s->lock);
  if (MP_SHARED_CHECKS)
    atomic_fetch_sub_explicit(&s->users, 1, memory_order_relaxed);
  errno = e;
}

/* Reset and destroy need the pool to themselves: in debug builds, a thread
 * seen inside or waiting for another call on it is reported.  Called with
 * the lock held. */
static void check_alone(const struct mp_shared *s, const char *what) {
#if MP_SHARED_CHECKS
  unsigned users = atomic_load_explicit(&s->users, memory_order_relaxed);
  if (users > s->depth) {
    fprintf(stderr, "mpool: %s: shared pool %p is in use by another thread\n",
            what, (const void *)&s->face);
    abort();
  }
#else
  (void)s;
  (void)what;
#endif
}

static void free_handle(struct mp_shared *s) {
  mp_allocator_t backing = s->face.backing;
  pthread_mutex_destroy(&s->lock);
  backing.free(backing.ud, s, MP_SHARED_BYTES);
}

/* The handle of the shared pool whose inner pool is `parent`, or NULL. */
static struct mp_shared *parent_handle(const mp_pool_t *pool) {
  const mp_pool_t *parent = pool->life.parent;
  return parent != NULL && (parent->flags & MP_F_INNER) ? parent->shared : NULL;
}

/* The inner pool is being freed (by mp_destroy_pool() on the handle, or
 * with an ancestor): the handle goes with it. */
static void release_handle(mp_pool_t *inner) {
  struct mp_shared *s = inner->shared;
  s->inner = NULL;
  if (!s->dying)
    free_handle(s);
}

/* Wraps a new inner pool in a handle; NULL with errno ENOMEM on failure
 * (the inner pool is then destroyed), or EINVAL when the pool's own
 * buffer, fresh and not overflowing (`fresh`), has no room left for it. */
static mp_pool_t *wrap(mp_pool_t *inner, bool fresh) {
  /* The handle counts as the inner pool's (bytes_reserved, budgets). */
  bool counted = mp__reserve(inner, MP_SHARED_BYTES);
  struct mp_shared *s =
      counted ? inner->backing.alloc(inner->backing.ud, MP_SHARED_BYTES, 64)
              : NULL;
  pthread_mutexattr_t attr;
  bool ok = s != NULL && pthread_mutexattr_init(&attr) == 0;
  if (ok) {
    ok = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) == 0 &&
         pthread_mutex_init(&s->lock, &attr) == 0;
    pthread_mutexattr_destroy(&attr);
  }
  if (!ok) {
    /* Who hears of an ENOMEM, as for the first node (mp__oom_create()):
     * an ancestor whose budget the handle would cross, or else the new
     * pool's hook, named by its parent -- read before the pool goes. */
    mp_pool_t *parent = inner->life.parent;
    mp_pool_t *over =
        counted ? NULL : mp__budget_crossed(inner->bud.first, MP_SHARED_BYTES);
    void (*hook)(mp_pool_t *, size_t, void *) = inner->bud.on_oom;
    void *ud = inner->bud.oom_ud;
    if (s != NULL)
      inner->backing.free(inner->backing.ud, s, MP_SHARED_BYTES);
    if (counted)
      mp__unreserve(inner, MP_SHARED_BYTES);
    if (mp__life_destroy(inner) == 0)
      mp__pool_free(inner);
    if (counted && s == NULL && fresh)
      return mp__fail(EINVAL);
    return mp__oom_create(parent, over == inner ? NULL : over, MP_SHARED_BYTES,
                          hook, ud);
  }
  memset(&s->face, 0, sizeof s->face);
  s->face.w.ptr = s->face.w.end = NULL;
  s->face.node_size = inner->node_size;
  s->face.node_hdr = inner->node_hdr;
  s->face.align = inner->align;
  s->face.max = inner->max;
  s->face.backing = inner->backing;
  /* MP_F_WIPE too, for the object pools made on the handle. */
  s->face.flags = MP_F_SHARED | MP_F_NOWINDOW | (inner->flags & MP_F_WIPE);
  s->inner = inner;
  atomic_init(&s->users, 0);
  s->depth = 0;
  s->dying = false;
  inner->shared = s;
  inner->on_free = release_handle;
  inner->flags |= MP_F_INNER;
  return &s->face;
}

mp_pool_t *mp__sh_create(const mp_options_t *opt) {
  mp_options_t o = *opt;
  o.flags &= ~(unsigned)MP_POOL_SHARED;
  mp_pool_t *parent = opt->parent;
  bool locked = parent != NULL && (parent->flags & MP_F_SHARED);
  if (locked)
    o.parent = enter(parent);
  mp_pool_t *pool = mp__create(&o);
  bool fresh = opt->buffer != NULL && !(opt->flags & MP_POOL_BUFFER_OVERFLOW);
  if (pool != NULL && (opt->flags & MP_POOL_SHARED))
    pool = wrap(pool, fresh);
  if (locked)
    leave(parent);
  return pool;
}

bool mp__sh_reset(mp_pool_t *face) {
  mp_pool_t *inner = enter(face);
  check_alone(of(face), "mp_reset_pool");
  mp__reset(inner);
  /* An adaptive pool may have changed its node size. */
  face->node_size = inner->node_size;
  face->node_hdr = inner->node_hdr;
  face->max = inner->max;
  leave(face);
  return true;
}

/* Destroys a shared pool, or a child of one (under its parent's lock).
 * Returns true: the destroy is done. */
bool mp__sh_destroy(mp_pool_t *pool) {
  bool handle = (pool->flags & MP_F_SHARED) != 0;
  struct mp_shared *s = handle ? of(pool) : NULL;
  mp_pool_t *target = handle ? s->inner : pool;
  struct mp_shared *up = parent_handle(target);
  MP_HARD_FN(target, "mp_destroy_pool");
  if (up != NULL)
    (void)enter(&up->face);
  if (handle) {
    (void)enter(pool);
    check_alone(s, "mp_destroy_pool");
    bool was = s->dying;
    s->dying = true;
    if (mp__life_destroy(target) == 0)
      mp__pool_free(target);
    s->dying = was;
    bool gone = s->inner == NULL;
    leave(pool);
    if (gone)
      free_handle(s);
  } else if (mp__life_destroy(target) == 0) {
    mp__pool_free(target);
  }
  if (up != NULL)
    leave(&up->face);
  return true;
}

void *mp__sh_alloc(mp_pool_t *face, size_t size) {
  void *p = mp__alloc(enter(face), size);
  leave(face);
  return p;
}

void *mp__sh_nalloc(mp_pool_t *face, size_t size) {
  void *p = mp__nalloc(enter(face), size);
  leave(face);
  return p;
}

void *mp__sh_memalign(mp_pool_t *face, size_t size, size_t alignment) {
  void *p = mp__memalign(enter(face), size, alignment);
  leave(face);
  return p;
}

int mp__sh_free(mp_pool_t *face, void *p) {
  int r = mp__free(enter(face), p);
  leave(face);
  return r;
}

int mp__sh_owns(const mp_pool_t *face, const void *p) {
  int r = mp__owns(enter(face), p);
  leave(face);
  return r;
}

int mp__sh_free_sized(mp_pool_t *face, void *p, size_t size) {
  int r = mp__free_sized(enter(face), p, size);
  leave(face);
  return r;
}

void *mp__sh_realloc(mp_pool_t *face, void *p, size_t old_size, size_t new_size,
                     bool sized) {
  void *q = mp__resize(enter(face), p, old_size, new_size, sized);
  leave(face);
  return q;
}

mp_mark_t *mp__sh_mark(mp_pool_t *face) {
  mp_mark_t *m = mp__mark(enter(face));
  leave(face);
  return m;
}

int mp__sh_rewind(mp_pool_t *face, mp_mark_t *mark) {
  int r = mp__rewind(enter(face), mark);
  leave(face);
  return r;
}

char *mp__sh_vprintf(mp_pool_t *face, const char *fmt, va_list ap) {
  char *s = mp__vprintf(enter(face), fmt, ap);
  leave(face);
  return s;
}

mp_cleanup_t *mp__sh_cleanup_add(mp_pool_t *face, mp_cleanup_fn fn,
                                 void *data) {
  mp_cleanup_t *c = mp__cleanup_add(enter(face), fn, data);
  leave(face);
  return c;
}

int mp__sh_cleanup_remove(mp_pool_t *face, mp_cleanup_t *c, bool run_it) {
  mp_pool_t *inner = enter(face);
  int r = run_it ? mp__cleanup_run(inner, c) : mp__cleanup_remove(inner, c);
  leave(face);
  return r;
}

mp_pool_t *mp__sh_parent(const mp_pool_t *pool) {
  if (pool->flags & MP_F_SHARED)
    pool = of(pool)->inner;
  mp_pool_t *parent = pool->life.parent;
  if (parent != NULL && (parent->flags & MP_F_INNER))
    parent = &parent->shared->face;
  return parent;
}

int mp__sh_stats(const mp_pool_t *face, mp_stats_t *st, int flags) {
  int r = mp__stats(enter(face), st, flags);
  leave(face);
  return r;
}

int mp__sh_report(const mp_pool_t *face, FILE *out) {
  int r = mp__report(enter(face), out);
  leave(face);
  return r;
}

int mp__sh_check(const mp_pool_t *face, const void *p) {
  int r = mp__check_ptr(enter(face), p);
  leave(face);
  return r;
}
