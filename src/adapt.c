/*
 * Adaptive sizing (MP_POOL_ADAPTIVE): a pool that is reset over and over
 * learns how much a cycle uses, and sizes its nodes for it.
 *
 * A cycle runs from creation or a reset to the next reset.  Its use is
 * sampled in slow paths (a new node, a large block, a rewind, the reset):
 * the bytes bump allocation consumed in the nodes (granule rounding and
 * padding included, node headers and tails left behind not), plus the
 * bytes of the live large blocks.  At each reset the pool's high-water mark
 * becomes max(peak, hwm - hwm / 4): it follows a rise at once and decays by
 * a quarter per reset, so one huge cycle is forgotten after a bounded
 * number of resets (about 2.4 per halving).
 *
 * The node size is the smallest power of two, from the creation size up to
 * MP_ADAPT_MAX_NODE (or the creation size if larger), whose capacity holds
 * the mark plus a sixteenth.  Nodes are aligned to their size and every
 * pointer finds its node by masking, so the size can only change when no
 * object is alive: at a reset.  The pool struct of an adaptive pool lives
 * in a block of its own, not in a node (pool.c), so the reset may give
 * back all nodes and take one of the new size.  When the size stays, the
 * pool keeps enough nodes for the mark and gives back the others.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

/* The node size whose capacity holds `need` bytes, within the pool's
 * bounds. */
static size_t size_for(const mp_pool_t *pool, size_t need) {
  size_t lo = pool->adapt.min_node;
  size_t hi = lo > MP_ADAPT_MAX_NODE ? lo : MP_ADAPT_MAX_NODE;
  size_t s = lo;
  while (s < hi && mp__node_capacity(s) < need)
    s *= 2;
  return s;
}

/* Gives back every node and takes one of `size` bytes; false (nothing
 * changed) when there is no memory for it. */
static bool adapt_resize(mp_pool_t *pool, size_t size) {
  mp_pool_t old; /* what mp__node_put() reads of the old geometry */
  old.backing = pool->backing;
  old.flags = pool->flags;
  old.node_cls = pool->node_cls;
  old.node_size = pool->node_size;
  mp__geometry(pool, size);
  /* The new node is charged before the old ones are given back: a budget
   * without room for both keeps the old size. */
  struct mp_node *n = NULL;
  if (mp__reserve(pool, size) && (n = mp__node_get(pool)) == NULL)
    mp__unreserve(pool, size);
  if (n == NULL) {
    mp__geometry(pool, old.node_size);
    return false;
  }
  for (struct mp_node *m = pool->first, *next; m != NULL; m = next) {
    next = m->next;
    mp__index_del(&pool->index, MP_NODE_KEY(m));
    MP_HOOK_BLOCK(pool, MP_EVENT_BLOCK_RELEASE, m, old.node_size);
    mp__node_put(&old, m);
    mp__unreserve(pool, old.node_size);
  }
  /* Cannot fail: a key was just deleted, so the table has room. */
  (void)mp__index_add(pool, MP_NODE_KEY(n));
  mp__node_init(pool, n, (unsigned char *)n + pool->node_hdr);
  MP_HOOK_BLOCK(pool, MP_EVENT_BLOCK_ACQUIRE, n, size);
  n->prev = n->next = NULL;
  pool->first = pool->current = n;
  return true; /* mp_reset_pool() enters the node */
}

/* Keeps the first `kept` nodes (at least one) and gives back the rest. */
static void adapt_trim(mp_pool_t *pool, size_t kept) {
  struct mp_node *n = pool->first;
  for (size_t i = 1; i < kept && n->next != NULL; i++)
    n = n->next;
  while (n->next != NULL)
    mp__node_release(pool, n->next);
}

void mp__adapt_reset(mp_pool_t *pool) {
  struct mp_adapt *a = &pool->adapt;
  size_t peak = a->peak, decayed = a->hwm - a->hwm / 4;
  a->hwm = peak > decayed ? peak : decayed;
  a->peak = 0;
  a->left = 0;
  a->large_live = 0; /* the reset released them all */
  size_t need = a->hwm + a->hwm / 16;
  if (need < a->hwm)
    need = a->hwm; /* cannot happen below SIZE_MAX / 16 * 15 */
  size_t size = size_for(pool, need);
  if (size != pool->node_size && adapt_resize(pool, size))
    return;
  size_t cap = mp__node_capacity(pool->node_size);
  adapt_trim(pool, need / cap + (need % cap != 0));
}
