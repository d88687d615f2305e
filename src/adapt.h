/*
 * adapt.h: what adapt.c offers the other files: adaptive sizing.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_ADAPT_H
#define MP_ADAPT_H

/* adapt.c: adaptive sizing (MP_POOL_ADAPTIVE). */
#define MP_ADAPT_MAX_NODE ((size_t)1 << 20) /* largest learnt node size */
void mp__adapt_reset(mp_pool_t *pool);

/* The bytes a cycle has used so far: the nodes left, the current node's
 * used space and the live large blocks.  Called where the count may be
 * about to drop or allocation moves on (a new node, a large block, a
 * rewind, a reset), so that the peak is seen. */
static inline void mp__adapt_sample(mp_pool_t *pool) {
  if (!(pool->flags & MP_F_ADAPT))
    return;
  const struct mp_node *n = pool->current;
  size_t used = pool->adapt.left + pool->adapt.large_live +
                (size_t)(pool->w.ptr - n->start) +
                (size_t)(mp__node_end(pool, n) - (uintptr_t)pool->top);
  if (used > pool->adapt.peak)
    pool->adapt.peak = used;
}

#endif /* MP_ADAPT_H */
