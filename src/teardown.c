/*
 * Teardown: the end of pools.  A reset, destroy or rewind of a pool ends
 * its children (each subtree children first) and runs its cleanups; a
 * pool whose life is over gives its memory back (mp__pool_free()); a reset
 * or destroy forgets the pool's marks.  Called by the pool layer's reset
 * and destroy (pool.c, reset.c), by rewinds (mark.c) and by shared pools.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "carve.h"
#include "mp_internal.h"
#include "mp_platform.h"

/* ---- marks ---- */

/* Drops the marks from the newest down to `last` (all of them when NULL)
 * for the memory tools. */
void mp__marks_untrack(mp_pool_t *pool, const struct mp_mark_s *last) {
  for (struct mp_mark_s *m = pool->life.marks; m != NULL; m = m->prev) {
    mp_track_unmark(pool, m);
    if (m == last)
      break;
  }
}

void mp__marks_drop(mp_pool_t *pool) {
  if (MP_TRACK_ON)
    mp__marks_untrack(pool, NULL);
  pool->life.marks = NULL;
}

/* ---- children and cleanups ---- */

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
      mp__cleanup_run_newest(p);
    } else if (p == root) {
      return;
    } else {
      mp_pool_t *up = life->parent;
      mp__life_unlink(p);
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
      mp__life_unlink(c);
      MP_HARD_FN(c, "mp_rewind");
      mp__pool_free(c);
    } else if (life->cleanups != NULL && life->cleanups->seq > seq) {
      mp__cleanup_run_newest(pool);
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
  mp__life_unlink(pool);
  return 0;
}

/* Runs the cleanups of a pool a reset-children walk holds busy, newest
 * first, and forgets its marks and spare records; its children stay
 * (cleanups registered on it meanwhile run in the same pass). */
void mp__life_clear(mp_pool_t *pool) {
  while (pool->life.cleanups != NULL)
    mp__cleanup_run_newest(pool);
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
    mp__life_unlink(c);
    MP_HARD_FN(c, fn);
    mp__pool_free(c);
    c = life->children; /* a cleanup may have changed the list */
  }
  life->busy = false;
  return 0;
}

/* ---- memory ---- */

/* Whether a pool going away holds nothing but its nodes and large blocks,
 * all for the block cache: no shared state, marks, free lists, index
 * table, budget here or above, wiping or adaptive struct block, in a
 * build that tracks, checks or debugs nothing. */
static bool only_cached_blocks(const mp_pool_t *pool) {
  return !MP_TRACK_ON && !MP_HARD && !MP_DBG &&
         (pool->flags & (MP_F_CACHED | MP_F_INNER | MP_F_ADAPT | MP_F_WIPE)) ==
             MP_F_CACHED &&
         pool->node_cls >= 0 && pool->life.marks == NULL &&
         pool->reuse == NULL && pool->budget.first == NULL &&
         pool->index.slots == pool->index.inline_slots && !MP_HOOKING();
}

/* Gives back the nodes after `first`, with what s says of them, the last
 * first: the block cache hands blocks out again last given back first,
 * so the next pool takes them in the order this one did and touches the
 * pages this one touched (in another order, a node's pages this pool left
 * untouched are faulted in).  Nodes that overflow the cache give their
 * pages back in runs. */
static MP_NOINLINE void put_rest(const mp_pool_t *s, struct mp_node *first) {
  struct mp_node *n = first->next;
  while (n->next != NULL)
    n = n->next;
  bool many = n->prev != first;
  if (many)
    mp__sys_batch(true);
  while (n != first) {
    struct mp_node *prev = n->prev;
    mp__node_put(s, n);
    n = prev;
  }
  if (many)
    mp__sys_batch(false);
}

/* Gives back the nodes from `first` on; `first`, where the pool itself
 * may live, goes last. */
static void put_nodes(const mp_pool_t *s, struct mp_node *first) {
  if (first->next != NULL)
    put_rest(s, first);
  mp__node_put(s, first);
}

/* mp__pool_free() of any pool. */
static MP_NOINLINE void pool_free_any(mp_pool_t *pool) {
  if (MP_HOOKING() && !mp__hook_hold)
    mp__hook_freeing(pool);
  if (pool->flags & MP_F_INNER)
    pool->on_free(pool);
  mp__marks_drop(pool); /* their records may be released below */
#ifdef MP_HARDENED
  mp__canary_sweep_all(pool, pool->fn);
  mp__reuse_check_all(pool, pool->fn);
  const char *fn = pool->fn; /* a parent's reset or destroy, or this */
#else
  const char *fn = "mp_destroy_pool";
#endif
#ifdef MP_DEBUG
  mp__dbg_leaks(pool);
#endif
  bool passed = mp__cache_pass_front(pool->counters.reserved);
  mp__large_release_all(pool, MP_Q_DESTROY, fn);
#ifdef MP_DEBUG
  mp__large_quarantine_trim(pool, "mp_destroy_pool", true);
#endif
  mp__tree_leave(pool); /* after the large blocks: the hook hears of them */
  mp_track_destroy(pool);
  mp__reuse_destroy(pool);
  mp__index_free(pool);
  mp__budget_unlink(pool);
  if (MP_WIPING(pool))
    mp__wipe_nodes(pool);
  /* The pool may live in its first node: copy what is needed to free it. */
  mp_pool_t s; /* what mp__node_put() and mp__block_size() read */
  s.backing = pool->backing;
  s.flags = pool->flags;
  s.node_cls = pool->node_cls;
  s.node_size = pool->node_size;
  s.first = pool->first;
  if (MP_WIPING(&s))
    mp__wipe(pool, sizeof *pool);
  if (s.flags & MP_F_ADAPT)
    mp__block_put(&s.backing, s.flags, pool, mp__struct_block(&s), MP_GRANULE);
  put_nodes(&s, s.first);
  mp__cache_pass_end(passed);
}

void mp__pool_free(mp_pool_t *pool) {
  if (!only_cached_blocks(pool)) {
    pool_free_any(pool);
    return;
  }
  mp__tree_leave(pool);
  /* What pool_free_any() comes to for such a pool: its blocks go back to
   * the cache, and nothing else is left to undo. */
  bool passed = mp__cache_pass_front(pool->counters.reserved);
  mp__large_drop_all(pool);
  put_nodes(pool, pool->first);
  mp__cache_pass_end(passed);
}
