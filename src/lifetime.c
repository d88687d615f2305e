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

struct mp_cleanup_s {
  struct mp_cleanup_s *next;
  struct mp_cleanup_s *prev;
  mp_cleanup_fn fn; /* NULL while the record is spare */
  void *data;
  mp_pool_t *pool;
  uint64_t seq; /* when it was registered (life.events), for marks */
};

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
static void run_newest(mp_pool_t *pool) {
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

static void unlink_child(mp_pool_t *pool) {
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

/* ------------------------------------------------------------------------
 * Teardown
 * ---------------------------------------------------------------------- */

/* Destroys every descendant of root, children before parents, and runs
 * root's cleanups, until root has neither children nor cleanups. */
static void teardown(mp_pool_t *root) {
  mp_pool_t *p = root;
  root->life.busy = true;
  for (;;) {
    struct mp_life *life = &p->life;
    if (life->children != NULL) {
      p = life->children;
      p->life.busy = true;
    } else if (life->cleanups != NULL) {
      run_newest(p);
    } else if (p == root) {
      return;
    } else {
      mp_pool_t *up = life->parent;
      unlink_child(p);
      MP_HARD_FN(p, root->fn); /* its canaries are checked for root's call */
      mp__pool_free(p);
      p = up;
    }
  }
}

int mp__life_reset(mp_pool_t *pool) {
  struct mp_life *life = &pool->life;
  if (life->busy)
    return -1;
  if (life->children != NULL || life->cleanups != NULL)
    teardown(pool);
  /* The spare records and marks live in the memory the reset is about to
   * rewind. */
  life->spare = NULL;
  mp__marks_drop(pool);
  life->busy = false;
  return 0;
}

/* Undoes what happened on pool after event `seq`: destroys the children
 * created since, then runs the cleanups registered since, newest first. */
void mp__life_rewind(mp_pool_t *pool, uint64_t seq) {
  struct mp_life *life = &pool->life;
  life->busy = true;
  for (;;) { /* a cleanup may add more after seq: loop until none is left */
    mp_pool_t *c = life->children;
    if (c != NULL && c->life.seq > seq) {
      teardown(c);
      unlink_child(c);
      MP_HARD_FN(c, "mp_rewind");
      mp__pool_free(c);
    } else if (life->cleanups != NULL && life->cleanups->seq > seq) {
      run_newest(pool);
    } else {
      break;
    }
  }
  /* Spare records may live in the memory the rewind gives back. */
  life->spare = NULL;
  life->busy = false;
}

int mp__life_destroy(mp_pool_t *pool) {
  struct mp_life *life = &pool->life;
  if (life->busy)
    return -1;
  if (life->children != NULL || life->cleanups != NULL)
    teardown(pool);
  else
    life->busy = true; /* as teardown() leaves it: the pool is going */
  unlink_child(pool);
  return 0;
}

/* Runs the cleanups of a pool a reset-children walk holds busy, newest
 * first, and forgets its marks and spare records; its children stay
 * (cleanups registered on it meanwhile run in the same pass). */
void mp__life_clear(mp_pool_t *pool) {
  while (pool->life.cleanups != NULL)
    run_newest(pool);
  pool->life.spare = NULL;
  mp__marks_drop(pool);
}

/* Destroys every child of pool with its subtree, as a teardown does, and
 * leaves pool's own cleanups, marks and memory alone.  A child being torn
 * down already (the call comes from one of its cleanups) is skipped.
 * -1 for a pool that is itself being torn down. */
int mp__life_drop_children(mp_pool_t *pool, const char *fn) {
  struct mp_life *life = &pool->life;
  if (life->busy)
    return -1;
  life->busy = true;
  (void)fn;
  for (mp_pool_t *c = life->children; c != NULL;) {
    if (c->life.busy) {
      c = c->life.next;
      continue;
    }
    teardown(c);
    unlink_child(c);
    MP_HARD_FN(c, fn);
    mp__pool_free(c);
    c = life->children; /* a cleanup may have changed the list */
  }
  life->busy = false;
  return 0;
}
