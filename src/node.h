/*
 * node.h: what node.c offers the other files: a pool's nodes, their geometry
 * and the bump window. Included by mp_internal.h, after the types every layer
 * shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_NODE_H
#define MP_NODE_H

/* node.c: a pool's nodes and the bump window over the current one. */
void mp__set_window(mp_pool_t *pool);
void mp__node_enter(mp_pool_t *pool, struct mp_node *n);
void mp__node_init(mp_pool_t *pool, struct mp_node *n, unsigned char *start);
void mp__node_release(mp_pool_t *pool, struct mp_node *n);
void *mp__node_get(const mp_pool_t *pool);
void mp__node_put(const mp_pool_t *pool, struct mp_node *n);
int mp__node_next(mp_pool_t *pool);
void *mp__take_top(mp_pool_t *pool, size_t size);

/* Opens the window at ptr in a pool that has one, where top is the
 * granule-aligned end of the free space and ptr <= top: mp__set_window()
 * without its checks, for callers that know they pass. */
static inline void mp__open_window(mp_pool_t *pool, unsigned char *ptr,
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

/* node.c: sets node_size and everything derived from it (node_hdr,
 * map_words, max, window, node_cls) from pool->align, pool->flags and
 * pool->adapt.user_max: at creation and when an adaptive reset changes the
 * node size. */
void mp__geometry(mp_pool_t *pool, size_t node_size);
size_t mp__node_capacity(size_t node_size);

#endif /* MP_NODE_H */
