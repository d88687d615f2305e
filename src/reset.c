/*
 * Resets beyond mp_reset_pool(): reset modes that give memory back
 * (mp_reset_pool_mode()), and resetting or destroying a pool's
 * descendants only (mp_reset_children(), mp_destroy_children()).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

/* The bytes a limit counts: what the pool holds from its block source,
 * less a debug build's quarantine, which keeps released objects whatever
 * the mode. */
static size_t held(const mp_pool_t *pool) {
  size_t r = pool->counters.reserved;
#ifdef MP_DEBUG
  r -= pool->dbg.q_bytes;
#endif
  return r;
}

/* Whether the index has a table of its own that the struct's inline slots
 * could take over (at most half full, as the index always is). */
static bool index_shrinks(const mp_pool_t *pool) {
  const struct mp_index *ix = &pool->index;
  return ix->slots != ix->inline_slots && ix->count <= MP_INDEX_INLINE / 2;
}

/* Gives the index's table back and moves its keys into the inline slots;
 * cannot fail (index_shrinks() said they fit). */
static void index_shrink(mp_pool_t *pool) {
  bool built = pool->index.built;
  mp__index_free(pool);
  mp__index_init(&pool->index);
  if (built)
    (void)mp__index_build(pool);
}

/* After a reset: gives back the free lists' block, nodes from the last
 * one and the index table until the pool holds at most `limit` bytes or
 * nothing but what it cannot do without is left. */
static void trim(mp_pool_t *pool, size_t limit) {
  if (held(pool) <= limit)
    return;
  if (pool->reuse != NULL)
    mp__reuse_destroy(pool); /* the reset emptied it */
  struct mp_node *last = pool->first;
  while (last->next != NULL)
    last = last->next;
  while (held(pool) > limit) {
    if (index_shrinks(pool)) {
      index_shrink(pool);
    } else if (last != pool->first) {
      struct mp_node *prev = last->prev;
      mp__node_release(pool, last); /* the reset left it empty */
      last = prev;
    } else {
      break;
    }
  }
}

static int reset_self(mp_pool_t *pool, mp_reset_mode_t mode, size_t limit) {
  MP_HARD_FN(pool, "mp_reset_pool_mode");
  MP_OWN(pool, "mp_reset_pool_mode");
  if (mp__life_reset(pool) != 0)
    return 0; /* being torn down: left alone, as by mp_reset_pool() */
  mp__reset_memory(pool, "mp_reset_pool_mode");
  if (mode != MP_RESET_RETAIN)
    trim(pool, mode == MP_RESET_FREE_ALL ? 0 : limit);
  return 0;
}

/* The first pool from c on along a sibling list that is not being torn
 * down, or NULL. */
static mp_pool_t *idle(mp_pool_t *c) {
  while (c != NULL && c->life.busy)
    c = c->life.next;
  return c;
}

void mp__reset_descendant(mp_pool_t *p) {
  mp__life_clear(p);
  mp__reset_memory(p, "mp_reset_children");
}

/* A shared descendant's reset goes through the layer that wraps it. */
static void reset_one(mp_pool_t *p) {
  if (p->flags & MP_F_INNER)
    p->on_reset(p);
  else
    mp__reset_descendant(p);
}

/* Resets every descendant of root, children before parents, siblings
 * newest first, without recursion.  The pools on the way down are busy,
 * so cleanups cannot reset or destroy them meanwhile; each pool's next
 * sibling is read after its reset, since a cleanup may destroy it. */
static int reset_children(mp_pool_t *root) {
  MP_OWN(root, "mp_reset_children");
  if (root->life.busy)
    return 0;
  root->life.busy = true;
  mp_pool_t *p = root;
  for (;;) {
    mp_pool_t *d;
    while ((d = idle(p->life.children)) != NULL) {
      d->life.busy = true;
      p = d;
    }
    for (;;) { /* p's children are done */
      if (p == root) {
        root->life.busy = false;
        return 0;
      }
      reset_one(p);
      mp_pool_t *next = idle(p->life.next), *up = p->life.parent;
      p->life.busy = false;
      if (next != NULL) {
        next->life.busy = true;
        p = next;
        break; /* down from the next sibling */
      }
      p = up;
    }
  }
}

int mp__reset_op(mp_pool_t *pool, int what, mp_reset_mode_t mode,
                 size_t limit) {
  switch (what) {
  case MP_RESET_OP_SELF:
    return reset_self(pool, mode, limit);
  case MP_RESET_OP_CHILDREN:
    return reset_children(pool);
  default:
    MP_OWN(pool, "mp_destroy_children");
    (void)mp__life_drop_children(pool, "mp_destroy_children");
    return 0;
  }
}
