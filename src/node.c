/*
 * Nodes: the blocks a pool bump-allocates in, their geometry, and the
 * fast window over the current one.
 *
 * A pool's nodes form a list from `first`; `current` is the one being
 * bumped in, with its free space [w.ptr, top) and the window [w.ptr,
 * w.end) that the inline mp_alloc() compares against.  Nodes come from
 * the block cache (cache.c) or the pool's block source.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "carve.h"
#include "mp_internal.h"

#include <string.h>

/* ---- geometry ---- */

/* Words in each of a node's two bitmaps (one bit per granule). */
static size_t map_words(size_t node_size) {
  size_t granules = node_size / MP_GRANULE;
  return (granules + 63) / 64;
}

/* The node header with its bitmaps, rounded up to a granule. */
static size_t node_header(size_t node_size) {
  return MP_ALIGN_UP(sizeof(struct mp_node) +
                         MP_NMAPS * map_words(node_size) * sizeof(uint64_t),
                     MP_GRANULE);
}

/* Room in a node for objects: what is left after the node header. */
size_t mp__node_capacity(size_t node_size) {
  return node_size - node_header(node_size);
}

void mp__geometry(mp_pool_t *pool, size_t node) {
  size_t cap = mp__node_capacity(node);
  size_t align = pool->align;
  size_t max = pool->adapt.user_max ? pool->adapt.user_max : cap / 4;
  if (max < 2 * align)
    max = 2 * align;
  if (max > cap - align)
    max = cap - align; /* any small request fits in a fresh node */
  pool->node_size = node;
  pool->node_hdr = node_header(node);
  pool->map_words = map_words(node);
  pool->max = max;
  pool->window = MP_ALIGN_DOWN(max, MP_GRANULE);
  pool->node_cls = mp__block_class(pool, node, node);
}

/* ---- the node list and the window ---- */

void mp__set_window(mp_pool_t *pool) {
  uintptr_t top = MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE);
  if ((pool->flags & MP_F_NOWINDOW) || top < (uintptr_t)pool->w.ptr)
    pool->w.end = pool->w.ptr; /* no window */
  else
    mp__open_window(pool, pool->w.ptr, top);
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
 * or a new one; the current node notes where its free space was (low,
 * high).  0, or -1 with errno ENOMEM. */
int mp__node_next(mp_pool_t *pool) {
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
  mp__node_enter(pool, n);
  return 0;
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
