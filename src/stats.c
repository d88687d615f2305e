/*
 * Statistics and reports, computed on demand.
 *
 * Node usage is read from the nodes: a node that allocation has left
 * records its final usage (one store in the slow path that moves on), and
 * the current node's is (ptr - start) + (end - top).  Nodes after the
 * current one are only kept from before a reset and hold nothing.  Bytes
 * reserved and their peak are counted where blocks are acquired and
 * released, all slow paths.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <stdio.h>
#include <string.h>

/* The statistics of one pool, without its children.  Bytes in use are the
 * node bytes up to the current node less the free space among them: the
 * current node's bump space, and the free chunks -- or, before the pool has
 * free lists, the space left in each node when allocation moved on. */
static void pool_stats(const mp_pool_t *pool, mp_stats_t *st) {
  bool before_current = true;
  size_t spans = 0, gaps = 0;
  for (const struct mp_node *n = pool->first; n != NULL; n = n->next) {
    st->nodes++;
    if (!before_current)
      continue; /* kept from before a reset, holding nothing */
    spans += mp__node_end(pool, n) - (uintptr_t)n->start;
    if (n == pool->current)
      before_current = false;
    else if (pool->reuse == NULL)
      gaps += (size_t)(n->high - n->low);
  }
  gaps += (size_t)(pool->top - pool->w.ptr) + mp__reuse_free_bytes(pool);
  st->bytes_used += spans - gaps;
  st->bytes_freed += pool->freed_bytes;
  st->bytes_reused += pool->reused_bytes;
  st->bytes_requested += pool->requested;
  st->node_bytes += st->nodes * pool->node_size;
  for (const struct mp_large *l = pool->large; l != NULL; l = l->next) {
#ifdef MP_DEBUG
    if (l->small) { /* a node object in other builds */
      st->bytes_used += MP_ALIGN_UP(l->size, MP_GRANULE);
      continue;
    }
#endif
    st->large_blocks++;
    st->large_bytes += l->size;
    st->large_reserved += l->block_size;
  }
  st->cleanups += pool->life.ncleanups;
  for (const mp_pool_t *c = pool->life.children; c != NULL; c = c->life.next)
    st->children++;
  st->bytes_reserved += pool->counters.reserved;
  st->peak_reserved += pool->counters.peak;
  st->bytes_align_waste += pool->align_waste;
  st->budget = pool->budget.limit;
  st->budget_used =
      pool->budget.limit != 0
          ? atomic_load_explicit(&pool->budget.charged, memory_order_relaxed)
          : 0;
}

/* Adds every field but size of b to a. */
static void add(mp_stats_t *a, const mp_stats_t *b) {
  a->bytes_used += b->bytes_used;
  a->bytes_freed += b->bytes_freed;
  a->bytes_reused += b->bytes_reused;
  a->bytes_requested += b->bytes_requested;
  a->bytes_reserved += b->bytes_reserved;
  a->peak_reserved += b->peak_reserved;
  a->nodes += b->nodes;
  a->node_bytes += b->node_bytes;
  a->large_blocks += b->large_blocks;
  a->large_bytes += b->large_bytes;
  a->large_reserved += b->large_reserved;
  a->cleanups += b->cleanups;
  a->children += b->children;
  a->bytes_align_waste += b->bytes_align_waste;
}

int mp__stats(const mp_pool_t *pool, mp_stats_t *st, int flags) {
  mp_stats_t all;
  memset(&all, 0, sizeof all);
  int depth = 0;
  for (const mp_pool_t *p = pool; p != NULL;
       p = (flags & MP_STATS_CHILDREN) ? mp__walk_next(pool, p, &depth)
                                       : NULL) {
    mp_stats_t one;
    memset(&one, 0, sizeof one);
    one.size = sizeof one;
    pool_stats(p, &one);
    if (p->flags & MP_F_INNER) /* a shared pool, the pool or a descendant */
      p->on_stats(p, &one);
    add(&all, &one);
    if (p == pool) { /* a budget covers the tree: the root's is the sum */
      all.budget = one.budget;
      all.budget_used = one.budget_used;
    }
  }
  /* The node geometry is the pool's own, children or not. */
  all.node_size = pool->node_size;
  all.high_water = pool->adapt.hwm;
  all.epoch = pool->epoch; /* the pool's own, never summed */
  mpool_cache_stats_t cs;
  cs.size = sizeof cs;
  (void)mpool_cache_stats(&cs);
  all.cache_retained = cs.retained_bytes;
  all.cache_retain_limit = cs.retain_limit;
  all.cache_decay_ms = cs.decay_ms;
  /* Fill what the caller's struct has room for; zero what we do not know. */
  size_t room = st->size;
  size_t size = room < sizeof all ? room : sizeof all;
  all.size = size;
  memcpy(st, &all, size);
  if (room > size)
    memset((unsigned char *)st + size, 0, room - size);
  return 0;
}

int mp__report(const mp_pool_t *pool, FILE *out) {
  int depth = 0;
  for (const mp_pool_t *p = pool; p != NULL;
       p = mp__walk_next(pool, p, &depth)) {
    mp_stats_t st;
    memset(&st, 0, sizeof st);
    pool_stats(p, &st);
    errno = 0;
    if (fprintf(out,
                "%*spool %p: %zu x %zu-byte nodes, %zu bytes used; "
                "%zu large (%zu bytes); reserved %zu, peak %zu; "
                "%zu cleanups, %zu children\n",
                2 * depth, "", (const void *)p, st.nodes, p->node_size,
                st.bytes_used, st.large_blocks, st.large_bytes,
                st.bytes_reserved, st.peak_reserved, st.cleanups,
                st.children) < 0) {
      if (errno == 0)
        errno = EIO;
      return -1;
    }
  }
#ifdef MP_DEBUG
  if (mp__dbg_report(pool, out) != 0)
    return -1;
#endif
  if (fflush(out) != 0) {
    if (errno == 0)
      errno = EIO;
    return -1;
  }
  return 0;
}
