/*
 * The public entry points of pools: each checks its arguments, then hands a
 * shared pool's handle to shared.c and any other pool to the pool layer
 * (mp__*() in pool.c, node.c, free.c, ...), which knows no shared pools.
 *
 * This is the one place that tells the two kinds apart.  The test is a
 * flag of the pool the call reads anyway, so it costs one predicted branch
 * where a table of methods per pool kind would cost an indirect call and
 * keep the pool layer's function from being inlined here.  Calls made of
 * other public calls (mp_calloc(), mp_create_child(), the string copies in
 * strings.c, object pools) sit above this layer and serve every kind.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <string.h>

/* ---- creating, resetting and destroying pools ---- */

mp_pool_t *mp_create_pool(size_t size) { return mp__create_sized(size); }

mp_pool_t *mp_create_pool_ex(const mp_options_t *opt) {
  if (opt == NULL)
    return mp__create_sized(0);
  if (!MP_SHARED_OPT(opt))
    return mp__create(opt);
  if (!(opt->flags & MP_POOL_SHARED))
    return mp__sh_create(opt); /* an ordinary child of a shared pool */
  /* The inner pool is told once its handle exists (see mp__hook_hold). */
  bool held = mp__hook_hold;
  mp__hook_hold = true;
  mp_pool_t *pool = mp__sh_create(opt);
  mp__hook_hold = held;
  if (pool != NULL && MP_HOOKING())
    mp__hook_created(mp__sh_inner(pool));
  return pool;
}

mp_pool_t *mp_create_child(mp_pool_t *parent, size_t node_size) {
  if (parent == NULL)
    return mp__fail(EINVAL);
  mp_options_t opt;
  mp_options_init(&opt);
  opt.node_size = node_size;
  opt.large_threshold = 0; /* a quarter of this node size */
  opt.parent = parent;
  return mp_create_pool_ex(&opt);
}

void mp_reset_pool(mp_pool_t *pool) {
  if (pool == NULL)
    return;
  MP_HARD_FN(pool, "mp_reset_pool");
  if (mp_unlikely(pool->flags & MP_F_HOOKED))
    mp__hk_reset(pool);
  if (MP_SHARED(pool))
    mp__sh_reset(pool);
  else
    mp__reset(pool);
}

void mp_destroy_pool(mp_pool_t *pool) {
  if (pool == NULL)
    return;
  MP_HARD_FN(pool, "mp_destroy_pool");
  if (MP_SHARED_KIN(pool))
    mp__sh_destroy(pool);
  else
    mp__destroy(pool);
}

void mp_destory_pool(mp_pool_t *pool) { mp_destroy_pool(pool); }

/* The resets of reset.c, for a pool api.c has checked. */
static int reset_op(mp_pool_t *pool, int what, mp_reset_mode_t mode,
                    size_t limit) {
  if (MP_SHARED(pool))
    return mp__sh_reset_op(pool, what, mode, limit);
  return mp__reset_op(pool, what, mode, limit);
}

int mp_reset_pool_mode(mp_pool_t *pool, mp_reset_mode_t mode, size_t limit) {
  if (pool == NULL || (unsigned)mode > (unsigned)MP_RESET_RETAIN_LIMIT ||
      (mode != MP_RESET_RETAIN_LIMIT && limit != 0)) {
    errno = EINVAL;
    return -1;
  }
  if (mp_unlikely(pool->flags & MP_F_HOOKED))
    mp__hk_reset(pool);
  return reset_op(pool, MP_RESET_OP_SELF, mode, limit);
}

int mp_reset_children(mp_pool_t *pool) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  return reset_op(pool, MP_RESET_OP_CHILDREN, MP_RESET_RETAIN, 0);
}

int mp_destroy_children(mp_pool_t *pool) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  return reset_op(pool, MP_RESET_OP_DESTROY, MP_RESET_RETAIN, 0);
}

mp_pool_t *mp_pool_parent(const mp_pool_t *pool) {
  if (pool == NULL)
    return NULL;
  return MP_SHARED_KIN(pool) ? mp__sh_parent(pool) : pool->life.parent;
}

/* ---- allocating ---- */

void *mp_alloc(mp_pool_t *pool, size_t size) {
  if (mp_unlikely(pool == NULL))
    return mp__fail(EINVAL);
  if (MP_ROUTED(pool))
    return MP_SHARED(pool) ? mp__sh_alloc(pool, size)
                           : mp__hk_alloc(pool, size);
  return mp__alloc(pool, size);
}

void *mp_nalloc(mp_pool_t *pool, size_t size) {
  if (pool == NULL)
    return mp__fail(EINVAL);
  if (MP_ROUTED(pool))
    return MP_SHARED(pool) ? mp__sh_nalloc(pool, size)
                           : mp__hk_nalloc(pool, size);
  return mp__nalloc(pool, size);
}

void *mp_memalign(mp_pool_t *pool, size_t size, size_t alignment) {
  if (pool == NULL || !MP_IS_POW2(alignment) || alignment < sizeof(void *) ||
      alignment > MP_MAX_NODE_SIZE)
    return mp__fail(EINVAL);
  if (MP_ROUTED(pool))
    return MP_SHARED(pool) ? mp__sh_memalign(pool, size, alignment)
                           : mp__hk_memalign(pool, size, alignment);
  return mp__memalign(pool, size, alignment);
}

void *mp_calloc(mp_pool_t *pool, size_t size) {
  void *p = mp_alloc(pool, size);
  if (p != NULL)
    memset(p, 0, size);
  return p;
}

void *mp_calloc_array(mp_pool_t *pool, size_t n, size_t size) {
  if (pool == NULL)
    return mp__fail(EINVAL);
  if (size != 0 && n > MP_MAX_ALLOC_SIZE / size)
    return mp__fail(EOVERFLOW);
  return mp_calloc(pool, n * size);
}

char *mp_vprintf(mp_pool_t *pool, const char *fmt, va_list ap) {
  if (pool == NULL || fmt == NULL)
    return mp__fail(EINVAL);
  if (MP_ROUTED(pool))
    return MP_SHARED(pool) ? mp__sh_vprintf(pool, fmt, ap)
                           : mp__hk_vprintf(pool, fmt, ap);
  return mp__vprintf(pool, fmt, ap);
}

/* ---- freeing and resizing ---- */

int mp_free(mp_pool_t *pool, void *p) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (MP_ROUTED(pool))
    return MP_SHARED(pool) ? mp__sh_free(pool, p) : mp__hk_free(pool, p);
  return mp__free(pool, p);
}

int mp_free_sized(mp_pool_t *pool, void *p, size_t size) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (MP_ROUTED(pool))
    return MP_SHARED(pool) ? mp__sh_free_sized(pool, p, size)
                           : mp__hk_free_sized(pool, p, size);
  return mp__free_sized(pool, p, size);
}

static void *resize(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                    bool sized) {
  if (pool == NULL)
    return mp__fail(EINVAL);
  if (MP_ROUTED(pool))
    return MP_SHARED(pool) ? mp__sh_realloc(pool, p, old, new_size, sized)
                           : mp__hk_resize(pool, p, old, new_size, sized);
  return mp__resize(pool, p, old, new_size, sized);
}

void *mp_realloc(mp_pool_t *pool, void *p, size_t old_size, size_t new_size) {
  return resize(pool, p, old_size, new_size, true);
}

void *mp_realloc_unsized(mp_pool_t *pool, void *p, size_t new_size) {
  return resize(pool, p, 0, new_size, false);
}

void *mp_allocf(void *ud, void *ptr, size_t osize, size_t nsize) {
  if (nsize == 0) {
    /* A free that succeeds leaves errno as it was, even when it found no
     * memory for the free lists or the ownership index on the way. */
    int e = errno;
    if (mp_free_sized(ud, ptr, osize) == 0)
      errno = e;
    return NULL;
  }
  return mp_realloc(ud, ptr, osize, nsize);
}

/* ---- marks and cleanups ---- */

mp_mark_t *mp_mark(mp_pool_t *pool) {
  if (pool == NULL)
    return mp__fail(EINVAL);
  if (MP_SHARED(pool))
    return mp__sh_mark(pool);
  return mp__mark(pool);
}

int mp_rewind(mp_pool_t *pool, mp_mark_t *mark) {
  if (pool == NULL || mark == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (MP_SHARED(pool))
    return mp__sh_rewind(pool, mark);
  return mp__rewind(pool, mark);
}

mp_cleanup_t *mp_cleanup_add(mp_pool_t *pool, mp_cleanup_fn fn, void *data) {
  if (pool == NULL || fn == NULL)
    return mp__fail(EINVAL);
  if (MP_SHARED(pool))
    return mp__sh_cleanup_add(pool, fn, data);
  return mp__cleanup_add(pool, fn, data);
}

int mp_cleanup_remove(mp_pool_t *pool, mp_cleanup_t *c) {
  if (pool != NULL && MP_SHARED(pool))
    return mp__sh_cleanup_remove(pool, c, false);
  return mp__cleanup_remove(pool, c);
}

int mp_cleanup_run(mp_pool_t *pool, mp_cleanup_t *c) {
  if (pool != NULL && MP_SHARED(pool))
    return mp__sh_cleanup_remove(pool, c, true);
  return mp__cleanup_run(pool, c);
}

/* ---- questions ---- */

int mp_owns(const mp_pool_t *pool, const void *p) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (MP_SHARED(pool))
    return mp__sh_owns(pool, p);
  return mp__owns(pool, p);
}

int mp_check(const mp_pool_t *pool, const void *p) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (MP_SHARED(pool))
    return mp__sh_check(pool, p);
  return mp__check_ptr(pool, p);
}

int mp_stats(const mp_pool_t *pool, mp_stats_t *st, int flags) {
  if (pool == NULL || st == NULL || st->size < MP_STATS_MIN_SIZE ||
      (flags & ~MP_STATS_CHILDREN) != 0) {
    errno = EINVAL;
    return -1;
  }
  if (MP_SHARED(pool))
    return mp__sh_stats(pool, st, flags);
  return mp__stats(pool, st, flags);
}

int mp_report(const mp_pool_t *pool, FILE *out) {
  if (pool == NULL || out == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (MP_SHARED(pool))
    return mp__sh_report(pool, out);
  return mp__report(pool, out);
}
