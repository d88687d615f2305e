/*
 * Nodes: bump allocation of small objects.
 *
 * mp_alloc() is a compare and an add on the pool's fast window [ptr, end).
 * Everything else (a NULL pool, size 0, an exhausted window, a request above
 * the threshold, pools whose mode routes every call through here) takes
 * mp__alloc_slow().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <string.h>

void *mp_alloc(mp_pool_t *pool, size_t size) {
  if (mp_likely(pool != NULL)) {
    unsigned char *p = pool->ptr;
    /* size - 1 sends size 0 to the slow path with the same compare. */
    if (mp_likely(size - 1 < (size_t)(pool->end - p))) {
      pool->ptr = p + MP_ALIGN_UP(size, MP_GRANULE);
      return p;
    }
  }
  return mp__alloc_slow(pool, size);
}

void mp__set_window(mp_pool_t *pool) {
  uintptr_t ptr = (uintptr_t)pool->ptr;
  uintptr_t top = MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE);
  size_t room = top > ptr ? top - ptr : 0;
  if (pool->flags & MP_F_NOWINDOW)
    room = 0;
  else if (room > pool->window)
    room = pool->window;
  pool->end = pool->ptr + room;
}

void mp__node_enter(mp_pool_t *pool, struct mp_node *n) {
  pool->current = n;
  pool->ptr = n->start;
  pool->top = (unsigned char *)mp__node_end(pool, n);
  mp__set_window(pool);
}

/* Moves to the next node: one kept from before a reset, or a new one. */
static int next_node(mp_pool_t *pool) {
  struct mp_node *cur = pool->current;
  struct mp_node *n = cur->next;
  if (n == NULL) {
    n = mp__block_get(pool, pool->node_size, pool->node_size);
    if (n == NULL) {
      errno = ENOMEM;
      return -1;
    }
    if (mp__index_add(pool, MP_NODE_KEY(n)) != 0) {
      mp__block_put(&pool->backing, pool->flags, n, pool->node_size,
                    pool->node_size);
      return -1;
    }
    n->next = NULL;
    n->start = (unsigned char *)n + MP_NODE_HDR;
    cur->next = n;
  }
  mp__node_enter(pool, n);
  return 0;
}

/* A small object of `size` (1..max) bytes at `align` (a power of two,
 * >= MP_GRANULE, and size + align <= max when align > pool->align). */
void *mp__alloc_small(mp_pool_t *pool, size_t size, size_t align) {
  size_t rs = MP_ALIGN_UP(size, MP_GRANULE);
  for (;;) {
    uintptr_t p = MP_ALIGN_UP((uintptr_t)pool->ptr, align);
    uintptr_t top = (uintptr_t)pool->top;
    if (p <= top && rs <= top - p) {
      pool->ptr = (unsigned char *)p + rs;
      mp__set_window(pool);
      return (void *)p;
    }
    if (next_node(pool) != 0)
      return NULL;
  }
}

MP_NOINLINE void *mp__alloc_slow(mp_pool_t *pool, size_t size) {
  if (pool == NULL)
    return mp__fail(EINVAL);
  if (size == 0)
    size = 1;
  if (size > MP_MAX_ALLOC_SIZE)
    return mp__fail(EOVERFLOW);
  if (size > pool->max)
    return mp__large_alloc(pool, size, pool->align);
  return mp__alloc_small(pool, size, pool->align);
}

void *mp_nalloc(mp_pool_t *pool, size_t size) {
  if (pool == NULL)
    return mp__fail(EINVAL);
  if (size == 0)
    size = 1;
  if (size > MP_MAX_ALLOC_SIZE)
    return mp__fail(EOVERFLOW);
  if (size > pool->max)
    return mp__large_alloc(pool, size, MP_GRANULE);
  /* Unaligned bytes come from the top of the free space, so the bump
   * pointer below stays aligned for mp_alloc(). */
  while (size > (size_t)(pool->top - pool->ptr)) {
    if (next_node(pool) != 0)
      return NULL;
  }
  pool->top -= size;
  mp__set_window(pool);
  return pool->top;
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

void *mp_memalign(mp_pool_t *pool, size_t size, size_t alignment) {
  if (pool == NULL || !MP_IS_POW2(alignment) ||
      alignment < sizeof(void *) || alignment > MP_MAX_NODE_SIZE)
    return mp__fail(EINVAL);
  if (size == 0)
    size = 1;
  if (size > MP_MAX_ALLOC_SIZE)
    return mp__fail(EOVERFLOW);
  size_t align = alignment < pool->align ? pool->align : alignment;
  if (align == pool->align)
    return mp__alloc_slow(pool, size);
  if (align <= pool->max && size <= pool->max - align)
    return mp__alloc_small(pool, size, align);
  return mp__large_alloc(pool, size, align);
}
