/*
 * Nodes: bump allocation of small objects.
 *
 * mp_alloc() is a compare and an add on the pool's fast window [ptr, end).
 * Everything else (a NULL pool, size 0, an exhausted window, a request above
 * the threshold, pools whose mode routes every call through here) takes
 * mp__alloc_slow().  When the current node is full, a small request is
 * served from the free lists (reuse.c) before a new node is taken.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "carve.h"
#include "mp_internal.h"

#include <string.h>

static void *refused(mp_pool_t *pool, size_t size);
static void *alloc_rest(mp_pool_t *pool, size_t size);
static void *next_and_bump(mp_pool_t *pool, size_t size);

/* Opens the window at ptr in a pool that has one, where top is the
 * granule-aligned end of the free space and ptr <= top: mp__set_window()
 * without its checks, for callers that know they pass. */
static inline void open_window(mp_pool_t *pool, unsigned char *ptr,
                               uintptr_t top) {
  size_t room = top - (uintptr_t)ptr;
  if (room > pool->window)
    room = pool->window;
  /* The inline path adds a compile-time size of up to MP__CONST_MAX to
   * ptr before it compares: no window within that of the top. */
  if (top > UINTPTR_MAX - MP__CONST_MAX)
    room = 0;
  /* While the hot cache holds chunks, small requests take the slow path,
   * which serves them from the cache first (reuse.c). */
  if (pool->reuse != NULL && pool->reuse->hot_bytes != 0)
    room = 0;
  pool->w.ptr = ptr;
  pool->w.end = ptr + room;
}

/* The node's bump space for a small request of rs bytes (rounded to a
 * granule) that the window refused, in a pool with a window; or NULL
 * when the node has no room. */
static inline void *bump(mp_pool_t *pool, size_t rs) {
  unsigned char *p = pool->w.ptr;
  uintptr_t top = MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE);
  if (rs > top - (uintptr_t)p)
    return NULL;
  open_window(pool, p + rs, top);
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
          return refused(pool, size);
        /* No free lists to ask first: refused() without them, with no
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

void mp__set_window(mp_pool_t *pool) {
  uintptr_t top = MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE);
  if ((pool->flags & MP_F_NOWINDOW) || top < (uintptr_t)pool->w.ptr)
    pool->w.end = pool->w.ptr; /* no window */
  else
    open_window(pool, pool->w.ptr, top);
}

/* The bitmaps are cleared only once the pool has free lists (reuse.c
 * clears those of older nodes when it creates them): a pool that never
 * frees never pays for them. */
void mp__node_init(mp_pool_t *pool, struct mp_node *n, unsigned char *start) {
  /* The header by assignment (a few stores, where a memset of a size
   * known only at run time would be a call). */
  *n = (struct mp_node){.start = start};
  /* Hardened builds clear all the maps: the canary map is always in use. */
  if (pool->reuse != NULL || MP_HARD)
    memset(n + 1, 0, MP_NMAPS * pool->map_words * sizeof(uint64_t));
#ifdef MP_HARDENED
  n->magic = mp__hard_magic(n);
#endif
}

void mp__node_enter(mp_pool_t *pool, struct mp_node *n) {
  pool->current = n;
  pool->w.ptr = n->start;
  pool->top = (unsigned char *)mp__node_end(pool, n);
  mp__set_window(pool);
  mp_track_noaccess(n->start, (size_t)(pool->top - n->start));
}

void *mp__node_get(const mp_pool_t *pool) {
  return pool->node_cls >= 0
             ? mp__cache_get(pool->node_cls)
             : mp__block_get(pool, pool->node_size, pool->node_size);
}

void mp__node_put(const mp_pool_t *pool, struct mp_node *n) {
  if (pool->node_cls >= 0)
    mp__cache_put(pool->node_cls, n);
  else
    mp__block_put(&pool->backing, pool->flags, n, pool->node_size,
                  pool->node_size);
}

void mp__node_release(mp_pool_t *pool, struct mp_node *n) {
  n->prev->next = n->next;
  if (n->next != NULL)
    n->next->prev = n->prev;
  if (pool->index.built)
    mp__index_del(&pool->index, MP_NODE_KEY(n));
  MP_HOOK_BLOCK(pool, MP_EVENT_BLOCK_RELEASE, n, pool->node_size);
  mp__node_put(pool, n);
  mp__unreserve(pool, pool->node_size);
}

/* Leaves the current node for the next one: one kept from before a reset,
 * or a new one.  The space left between ptr and top becomes a free chunk
 * once the pool has free lists. */
static int next_node(mp_pool_t *pool) {
  struct mp_node *cur = pool->current;
  if (pool->flags & MP_F_ADAPT) {
    mp__adapt_sample(pool);
    pool->adapt.left +=
        (size_t)(pool->w.ptr - cur->start) +
        (size_t)(mp__node_end(pool, cur) - (uintptr_t)pool->top);
  }
  struct mp_node *n = cur->next;
  if (n == NULL) {
    if (!mp__reserve(pool, pool->node_size)) {
      mp__oom(pool, pool->node_size);
      return -1;
    }
    mp__sys_growing(true);
    n = mp__node_get(pool);
    mp__sys_growing(false);
    if (n == NULL ||
        (pool->index.built && mp__index_add(pool, MP_NODE_KEY(n)) != 0)) {
      if (n != NULL)
        mp__node_put(pool, n);
      mp__unreserve(pool, pool->node_size);
      mp__oom(pool, pool->node_size);
      return -1;
    }
    mp__node_init(pool, n, (unsigned char *)n + pool->node_hdr);
    MP_HOOK_BLOCK(pool, MP_EVENT_BLOCK_ACQUIRE, n, pool->node_size);
    n->prev = cur;
    cur->next = n;
  }
  cur->low = pool->w.ptr;
  cur->high = pool->top;
  uintptr_t lo = (uintptr_t)pool->w.ptr;
  uintptr_t hi = MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE);
  mp__node_enter(pool, n);
  if (pool->reuse != NULL && hi > lo)
    mp__reuse_add(pool, cur, lo, hi);
  return 0;
}

/* The memory of a small object of `size` (1..max) bytes at `align` (a
 * power of two, >= MP_GRANULE, and size + align <= max when align >
 * pool->align), with the red zone after it; not yet tracked as an object. */
void *mp__alloc_block(mp_pool_t *pool, size_t size, size_t align) {
  size_t rs = MP_ALIGN_UP(size, MP_GRANULE) + MP_RZ;
  for (;;) {
    uintptr_t ptr = (uintptr_t)pool->w.ptr;
    uintptr_t p = MP_ALIGN_UP(ptr, align);
    uintptr_t top = (uintptr_t)pool->top;
    if (p <= top && rs <= top - p) {
      if (p > ptr) { /* alignment padding */
        pool->align_waste += p - ptr;
        if (pool->reuse != NULL)
          mp__reuse_add(pool, pool->current, ptr, p);
      }
      pool->w.ptr = (unsigned char *)p + rs;
      mp__set_window(pool);
      return (void *)p;
    }
    void *q = mp__reuse_take(pool, rs, align);
    if (q != NULL)
      return q;
    /* Before the pool grows, the hot cache merges into the lists (free
     * lists are not used while a mark is outstanding). */
    if (pool->life.marks == NULL && mp__reuse_flush(pool))
      continue;
    if (next_node(pool) != 0)
      return NULL;
  }
}

/* A small object, as mp__alloc_block() but tracked. */
void *mp__alloc_small(mp_pool_t *pool, size_t size, size_t align) {
#ifdef MP_DEBUG
  return mp__large_alloc_as(pool, size, align, true); /* a block each */
#endif
  void *p = mp__alloc_block(pool, size, align);
  if (p != NULL) {
    mp_track_alloc(pool, p, size);
#ifdef MP_HARDENED
    mp__canary_put(pool, mp__node_at(pool, p), p, size);
#endif
  }
  return p;
}

/* A small request (1..window bytes) in a pool with a window and no free
 * lists, when the current node has no room for it: what alloc_rest()
 * comes to for such a pool -- the next node, whose bump space holds any
 * small request (mp__geometry() keeps the threshold within a fresh
 * node). */
static MP_NOINLINE void *next_and_bump(mp_pool_t *pool, size_t size) {
  if (next_node(pool) != 0)
    return NULL; /* errno from mp__oom(): ENOMEM */
  void *p = bump(pool, MP_ALIGN_UP(size, MP_GRANULE));
  return p != NULL ? p : alloc_rest(pool, size);
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
    return refused(pool, size);
  return alloc_rest(pool, size);
}

/* A small request (1..window bytes) the fast window refused, in a pool
 * with a window: a freed chunk of its exact size comes first, then the
 * node's bump space -- the window is at most pool->window wide, so it
 * runs out every few KiB while the node still has room -- then the rest
 * of the slow path. */
static MP_NOINLINE void *refused(mp_pool_t *pool, size_t size) {
  size_t rs = MP_ALIGN_UP(size, MP_GRANULE);
  if (pool->reuse != NULL) {
    void *q = mp__reuse_pop(pool, rs);
    if (q != NULL)
      return q;
  }
  void *p = bump(pool, rs);
  return p != NULL ? p : alloc_rest(pool, size);
}

/* mp__alloc_slow() once the pool is known to be usable by this call and
 * no exact chunk was at hand. */
static void *alloc_rest(mp_pool_t *pool, size_t size) {
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

/* Unaligned bytes come from the top of the free space, so the bump pointer
 * below stays aligned for mp_alloc().  An object that would start on a
 * granule while the one above it does not moves down a byte: a
 * granule-aligned object in a node always owns its last granule, which is
 * what lets mp_free_sized() round it up (see free.c). */
void *mp__take_top(mp_pool_t *pool, size_t size) {
  if (MP_DBG)
    return NULL; /* every object is a block of its own */
  uintptr_t top = (uintptr_t)pool->top;
  size_t room = top - (uintptr_t)pool->w.ptr;
  size_t need = size;
  if (size <= room && (top - size) % MP_GRANULE == 0 && top % MP_GRANULE != 0)
    need = size + 1;
  if (need > room)
    return NULL;
  pool->top -= need;
  mp__set_window(pool);
  return pool->top;
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
