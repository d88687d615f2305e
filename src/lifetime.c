/*
 * Lifetime: cleanup handlers and child pools.
 *
 * Cleanups are records in the pool's own memory on a doubly linked list,
 * newest first, so removal is O(1).  Removed records go to a per-pool spare
 * list and are reused by the next registration; a reset drops both lists
 * together with the memory they live in.
 *
 * Children hang off their parent on a doubly linked sibling list, newest
 * first.  Tearing down a pool (reset or destroy) walks its subtree without
 * recursion: go down to a pool without children, run its cleanups, free it,
 * go back up.  Cleanups may add children or cleanups to a pool on that walk
 * (they are handled before the walk leaves the pool) and may destroy pools
 * off it; pools on the walk are marked busy, and mp_reset_pool() and
 * mp_destroy_pool() leave a busy pool alone.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <string.h>

/* ------------------------------------------------------------------------
 * Cleanups
 * ---------------------------------------------------------------------- */

mp_cleanup_t *mp__cleanup_add(mp_pool_t *pool, mp_cleanup_fn fn, void *data) {
  MP_OWN(pool, "mp_cleanup_add");
  struct mp_life *life = &pool->life;
  struct mp_cleanup_s *c = life->spare;
  if (c != NULL) {
    life->spare = c->next;
  } else {
#ifdef MP_DEBUG
    mp__dbg_internal();
#endif
    c = mp__alloc(pool, sizeof *c);
    if (c == NULL)
      return NULL; /* errno from mp_alloc: ENOMEM */
  }
  c->fn = fn;
  c->data = data;
  c->pool = pool;
  c->seq = ++life->events;
  c->prev = NULL;
  c->next = life->cleanups;
  if (c->next != NULL)
    c->next->prev = c;
  life->cleanups = c;
  life->ncleanups++;
  return c;
}

/* Unlinks a live record and makes it spare. */
static void release(mp_pool_t *pool, struct mp_cleanup_s *c) {
  struct mp_life *life = &pool->life;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    life->cleanups = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  life->ncleanups--;
  c->fn = NULL;
  c->data = NULL;
  c->prev = NULL;
  c->next = life->spare;
  life->spare = c;
}

static int check(const mp_pool_t *pool, const struct mp_cleanup_s *c) {
  if (pool == NULL || c == NULL || c->pool != pool || c->fn == NULL) {
    errno = EINVAL;
    return -1;
  }
  return 0;
}

int mp__cleanup_remove(mp_pool_t *pool, mp_cleanup_t *c) {
  if (check(pool, c) != 0)
    return -1;
  MP_OWN(pool, "mp_cleanup_remove");
  release(pool, c);
  return 0;
}

int mp__cleanup_run(mp_pool_t *pool, mp_cleanup_t *c) {
  if (check(pool, c) != 0)
    return -1;
  MP_OWN(pool, "mp_cleanup_run");
  mp_cleanup_fn fn = c->fn;
  void *data = c->data;
  release(pool, c);
  fn(data);
  return 0;
}

/* Runs the newest cleanup of a pool that has one. */
void mp__cleanup_run_newest(mp_pool_t *pool) {
  struct mp_cleanup_s *c = pool->life.cleanups;
  mp_cleanup_fn fn = c->fn;
  void *data = c->data;
  release(pool, c);
  fn(data);
}

/* ------------------------------------------------------------------------
 * Child pools
 * ---------------------------------------------------------------------- */

int mp__life_settle(const mp_options_t *opt, mp_pool_t *s) {
  mp_pool_t *parent = opt->parent;
  if (parent == NULL)
    return 0;
  const mp_allocator_t *a = opt->allocator;
  if (a != NULL &&
      (a->alloc != parent->backing.alloc || a->free != parent->backing.free ||
       a->ud != parent->backing.ud)) {
    errno = EINVAL;
    return -1;
  }
  s->backing = parent->backing;
  s->flags =
      (s->flags & ~(unsigned)MP_F_CACHED) | (parent->flags & MP_F_CACHED);
  return 0;
}

void mp__life_link(mp_pool_t *pool, mp_pool_t *parent) {
  if (parent == NULL)
    return;
  struct mp_life *life = &pool->life;
  life->parent = parent;
  life->seq = ++parent->life.events;
  life->prev = NULL;
  life->next = parent->life.children;
  if (life->next != NULL)
    life->next->life.prev = pool;
  parent->life.children = pool;
}

/* Takes a child off its parent's list (a root: nothing). */
void mp__life_unlink(mp_pool_t *pool) {
  struct mp_life *life = &pool->life;
  if (life->parent == NULL)
    return;
  if (life->prev != NULL)
    life->prev->life.next = life->next;
  else
    life->parent->life.children = life->next;
  if (life->next != NULL)
    life->next->life.prev = life->prev;
  life->parent = life->prev = life->next = NULL;
}

/* The next pool after p in a pre-order walk of root's subtree, or NULL;
 * *depth follows the walk. */
const mp_pool_t *mp__walk_next(const mp_pool_t *root, const mp_pool_t *p,
                               int *depth) {
  if (p->life.children != NULL) {
    ++*depth;
    return p->life.children;
  }
  while (p != root && p->life.next == NULL) {
    p = p->life.parent;
    --*depth;
  }
  return p == root ? NULL : p->life.next;
}
