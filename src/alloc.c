/*
 * Allocation: every path by which a pool hands out memory.
 *
 * mp_alloc() is a compare and an add on the pool's fast window [ptr, end)
 * (node.c).  Everything else (a NULL pool, size 0, an exhausted window, a
 * request above the threshold, pools whose mode routes every call through
 * here) takes mp__alloc_slow().  When the current node is full, a small
 * request is served from the free lists (reuse.c) before a new node is
 * taken; requests above the threshold are large blocks (large.c); pools
 * with size headers put one before each object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "events.h"
#include "mp_internal.h"

#include <string.h>

static void *window_missed(mp_pool_t *pool, size_t size);
static void *alloc_by_kind(mp_pool_t *pool, size_t size);
static void *next_and_bump(mp_pool_t *pool, size_t size);

/* mp__node_next(), the space the old node had left going to the free
 * lists once the pool has them. */
static int next_node_reusing(mp_pool_t *pool) {
  struct mp_node *cur = pool->current;
  uintptr_t lo = (uintptr_t)pool->w.ptr;
  uintptr_t hi = MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE);
  if (mp__node_next(pool) != 0)
    return -1;
  if (pool->reuse != NULL && hi > lo)
    mp__reuse_add(pool, cur, lo, hi);
  return 0;
}

/* The node's bump space for a small request of rounded bytes (rounded to a
 * granule) that the window refused, in a pool with a window; or NULL
 * when the node has no room. */
static inline void *bump(mp_pool_t *pool, size_t rounded) {
  unsigned char *p = pool->w.ptr;
  uintptr_t top = MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE);
  if (rounded > top - (uintptr_t)p)
    return NULL;
  mp__open_window(pool, p + rounded, top);
  return p;
}

/* The same compare and add as the header's inline mp__alloc_inline(), for
 * callers that reach mp_alloc(). */
MP_ENTRY void *mp__alloc(mp_pool_t *pool, size_t size) {
  {
    unsigned char *p = pool->w.ptr;
    /* size - 1 sends size 0 to the slow path with the same compare. */
    if (mp_likely(size - 1 < (size_t)(pool->w.end - p))) {
      pool->w.ptr = p + MP_ALIGN_UP(size, MP_GRANULE);
      return p;
    }
    /* A pool with a window needs none of the slow path's checks: it has
     * no size headers, counts no requests, is no shared handle, and its
     * alignment is the granule (see settle() in pool.c). */
    if (!(pool->flags & MP_F_NOWINDOW)) {
      if (size - 1 < pool->window) {
        if (pool->reuse != NULL)
          return window_missed(pool, size);
        /* No free lists to ask first: window_missed() without them, with no
         * call but the tail calls (no registers to save). */
        void *q = bump(pool, MP_ALIGN_UP(size, MP_GRANULE));
        return q != NULL ? q : next_and_bump(pool, size);
      }
      if (size > pool->max && size <= MP_MAX_ALLOC_SIZE)
        return mp__large_alloc(pool, size, MP_GRANULE);
    }
  }
  return mp__alloc_slow(pool, size);
}

/* The memory of a small object of `size` (1..max) bytes at `align` (a
 * power of two, >= MP_GRANULE, and size + align <= max when align >
 * pool->align), with the red zone after it; not yet tracked as an object. */
void *mp__alloc_block(mp_pool_t *pool, size_t size, size_t align) {
  size_t rounded = MP_ALIGN_UP(size, MP_GRANULE) + MP_RZ;
  for (;;) {
    uintptr_t ptr = (uintptr_t)pool->w.ptr;
    uintptr_t p = MP_ALIGN_UP(ptr, align);
    uintptr_t top = (uintptr_t)pool->top;
    if (p <= top && rounded <= top - p) {
      if (p > ptr) { /* alignment padding */
        pool->align_waste += p - ptr;
        if (pool->reuse != NULL)
          mp__reuse_add(pool, pool->current, ptr, p);
      }
      pool->w.ptr = (unsigned char *)p + rounded;
      mp__set_window(pool);
      return (void *)p;
    }
    void *q = mp__reuse_take(pool, rounded, align);
    if (q != NULL)
      return q;
    /* Before the pool grows, the hot cache merges into the lists (free
     * lists are not used while a mark is outstanding). */
    if (pool->life.marks == NULL && mp__reuse_flush(pool))
      continue;
    if (next_node_reusing(pool) != 0)
      return NULL;
  }
}

/* A small object, as mp__alloc_block() but tracked. */
void *mp__alloc_small(mp_pool_t *pool, size_t size, size_t align) {
#ifdef MP_DEBUG
  return mp__large_alloc_as(pool, size, align, true); /* a block each */
#endif
  void *p = mp__alloc_block(pool, size, align);
  if (p != NULL)
    mp_ev_alloc(pool, mp__node_at(pool, p), p, size);
  return p;
}

/* A small request (1..window bytes) in a pool with a window and no free
 * lists, when the current node has no room for it: what alloc_by_kind()
 * comes to for such a pool -- the next node, whose bump space holds any
 * small request (mp__geometry() keeps the threshold within a fresh
 * node). */
static MP_NOINLINE void *next_and_bump(mp_pool_t *pool, size_t size) {
  if (next_node_reusing(pool) != 0)
    return NULL; /* errno from mp__oom(): ENOMEM */
  void *p = bump(pool, MP_ALIGN_UP(size, MP_GRANULE));
  return p != NULL ? p : alloc_by_kind(pool, size);
}

/* The checks every allocating entry makes on a size: 0 is served as 1
 * byte (so the pointer is unique), too large fails with EOVERFLOW. */
static bool request_ok(size_t *size) {
  if (*size == 0)
    *size = 1;
  if (*size > MP_MAX_ALLOC_SIZE) {
    errno = EOVERFLOW;
    return false;
  }
  return true;
}

/* p, the result of an allocating entry for size bytes, counted where the
 * pool counts requests: a failed call counts nothing. */
static void *counted(mp_pool_t *pool, size_t size, void *p) {
  if (p != NULL)
    mp__count(pool, size);
  return p;
}

MP_NOINLINE void *mp__alloc_slow(mp_pool_t *pool, size_t size) {
  MP_OWN(pool, "mp_alloc");
  MP_HARD_FN(pool, "mp_alloc");
  if (size - 1 < pool->window && !(pool->flags & MP_F_NOWINDOW))
    return window_missed(pool, size);
  return alloc_by_kind(pool, size);
}

/* A small request (1..window bytes) the fast window refused, in a pool
 * with a window: a freed chunk of its exact size comes first, then the
 * node's bump space -- the window is at most pool->window wide, so it
 * runs out every few KiB while the node still has room -- then the rest
 * of the slow path. */
static MP_NOINLINE void *window_missed(mp_pool_t *pool, size_t size) {
  size_t rounded = MP_ALIGN_UP(size, MP_GRANULE);
  if (pool->reuse != NULL) {
    void *q = mp__reuse_pop(pool, rounded);
    if (q != NULL)
      return q;
  }
  void *p = bump(pool, rounded);
  return p != NULL ? p : alloc_by_kind(pool, size);
}

/* mp__alloc_slow() once the pool is known to be usable by this call and
 * no exact chunk was at hand. */
static void *alloc_by_kind(mp_pool_t *pool, size_t size) {
  if (!request_ok(&size))
    return NULL;
  if (pool->flags & MP_F_HEADERS)
    return counted(pool, size, mp__alloc_hdr(pool, size, pool->align));
  if (size > pool->max)
    return counted(pool, size, mp__large_alloc(pool, size, pool->align));
  return counted(pool, size, mp__alloc_small(pool, size, pool->align));
}

/* mp__nalloc() of a checked size. */
static void *nalloc_checked(mp_pool_t *pool, size_t size) {
  if (pool->flags & MP_F_HEADERS)
    return mp__alloc_hdr(pool, size, pool->align);
  if (size > pool->max)
    return mp__large_alloc(pool, size, MP_GRANULE);
  /* With red zones (ASan and hardened builds) every small object is
   * aligned and has one: packed objects would leave none between them. */
  void *p = MP_RZ == 0 ? mp__take_top(pool, size) : NULL;
  if (p != NULL) {
    mp_track_alloc(pool, p, size);
    return p;
  }
  /* Not in this node: take it as mp_alloc() does. */
  return mp__alloc_small(pool, size, MP_GRANULE);
}

void *mp__nalloc(mp_pool_t *pool, size_t size) {
  MP_OWN(pool, "mp_nalloc");
  MP_HARD_FN(pool, "mp_nalloc");
  if (!request_ok(&size))
    return NULL;
  return counted(pool, size, nalloc_checked(pool, size));
}

/* mp__memalign() of a checked size. */
static void *memalign_checked(mp_pool_t *pool, size_t size, size_t alignment) {
  size_t align = alignment < pool->align ? pool->align : alignment;
  if (pool->flags & MP_F_HEADERS)
    return mp__alloc_hdr(pool, size, align);
  if (align == pool->align)
    return size > pool->max ? mp__large_alloc(pool, size, align)
                            : mp__alloc_small(pool, size, align);
  if (align <= pool->max && size <= pool->max - align)
    return mp__alloc_small(pool, size, align);
  return mp__large_alloc(pool, size, align);
}

void *mp__memalign(mp_pool_t *pool, size_t size, size_t alignment) {
  MP_OWN(pool, "mp_memalign");
  MP_HARD_FN(pool, "mp_memalign");
  if (!request_ok(&size))
    return NULL;
  return counted(pool, size, memalign_checked(pool, size, alignment));
}

/* An object of a pool with size headers (MP_POOL_SIZE_HEADERS): the
 * header in the granule below it, what mp_free() reads (free.c). */
void *mp__alloc_hdr(mp_pool_t *pool, size_t size, size_t align) {
#ifdef MP_DEBUG
  /* Every object is a block; mp_free() frees small ones in this pool. */
  return mp__large_alloc_as(pool, size, align, size <= pool->max);
#endif
  /* The header takes the granule below the object: at `align` past the
   * start of the memory, so that the object keeps its alignment. */
  size_t off = align;
  unsigned char *m;
  /* mp__alloc_block() needs size + off + align <= max above the pool's
   * alignment: else the padding before an aligned start may not fit in a
   * fresh node, whose header size depends on the build. */
  size_t pad = align > pool->align ? align : 0;
  if (size <= pool->max && off <= pool->max - size &&
      pad <= pool->max - size - off)
    m = mp__alloc_block(pool, size + off, align);
  else
    return mp__large_alloc(pool, size, align);
  if (m == NULL)
    return NULL;
  struct mp_hdr *h = (struct mp_hdr *)(m + off) - 1;
  mp_track_undefined(h, sizeof *h);
  h->size = size;
  h->offset = off;
  mp_ev_alloc(pool, mp__node_at(pool, m), m + off, size);
  return m + off;
}
