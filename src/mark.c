/*
 * Marks: obstack-style scratch positions in a pool.
 *
 * A mark records where bump allocation stood (node, ptr, top) and the
 * pool's event count; rewinding puts the bump pointer back, forgets the
 * free chunks the range holds, releases the large blocks, children and
 * cleanups made after the mark, and drops the marks taken after it.
 * Marks form a stack per pool (life.marks, newest first): a rewind looks
 * its mark up on that stack by address, so a mark from another pool, or
 * one already rewound past, is refused without reading its memory.
 *
 * While a mark is outstanding, allocations take no memory from the free
 * lists and no node goes back to the cache (reuse.c), so everything made
 * after the mark lies where the rewind can see it.
 *
 * The memory a rewind gives back becomes inaccessible to the memory tools
 * (mp_track.h), as after a reset: the rest of the mark's node and the
 * nodes entered since are poisoned, and under memcheck each mark is a
 * mempool holding the node objects made after it, destroyed by the
 * rewind.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

/* Wipes what was allocated in nodes after mark m: the mark's node from
 * its position on, and the nodes entered since. */
static void wipe_after(mp_pool_t *pool, const struct mp_mark_s *m) {
  struct mp_node *n = m->node;
  mp__wipe_hidden(m->ptr, (size_t)(m->top - m->ptr));
  for (struct mp_node *k = n; k != pool->current;) {
    k = k->next;
    mp__wipe_hidden(k->start, mp__node_end(pool, k) - (uintptr_t)k->start);
  }
}

#ifdef MP_VALGRIND
/* Whether p lies in what a rewind to m gives back: the mark's node from
 * its position to its top, and the nodes entered after it. */
static bool released_by(const mp_pool_t *pool, const struct mp_mark_s *m,
                        const void *p) {
  const struct mp_node *at = mp__node_at(pool, p);
  uintptr_t a = (uintptr_t)p;
  if (at == m->node)
    return a >= (uintptr_t)m->ptr && a < (uintptr_t)m->top;
  for (const struct mp_node *n = m->node->next; n != NULL; n = n->next)
    if (n == at)
      return true;
  return false;
}

const void *mp__track_pool(const mp_pool_t *pool, const void *p) {
  /* Large blocks, every object of a debug build among them, are released
   * one by one: they stay chunks of the pool. */
  if (MP_DBG || pool->life.marks == NULL || mp__node_of(pool, p) == NULL)
    return pool;
  /* Each mark's range holds those of the marks taken after it. */
  for (const struct mp_mark_s *m = pool->life.marks; m != NULL; m = m->prev)
    if (released_by(pool, m, p))
      return m;
  return pool;
}
#endif

/* Makes what a rewind to m gives back in nodes inaccessible. */
static void poison_after(mp_pool_t *pool, const struct mp_mark_s *m) {
  mp_track_noaccess(m->ptr, (size_t)(m->top - m->ptr));
  for (struct mp_node *n = m->node->next; n != NULL; n = n->next)
    mp_track_noaccess(n->start, mp__node_end(pool, n) - (uintptr_t)n->start);
}

bool mp__mark_crossed(const mp_pool_t *pool, const struct mp_node *n,
                      uintptr_t a, uintptr_t nb) {
  for (const struct mp_mark_s *m = pool->life.marks; m != NULL; m = m->prev)
    if (m->node == n && a < (uintptr_t)m->ptr && nb > (uintptr_t)m->ptr)
      return true;
  return false;
}

mp_mark_t *mp__mark(mp_pool_t *pool) {
  MP_HARD_FN(pool, "mp_mark");
  MP_OWN(pool, "mp_mark");
#ifdef MP_DEBUG
  mp__dbg_internal();
#endif
  /* The record itself lies before the position it records, so it survives
   * a rewind to itself. */
  struct mp_mark_s *m = mp__alloc_small(pool, sizeof *m, MP_GRANULE);
  if (m == NULL)
    return NULL;
  m->prev = pool->life.marks;
  m->node = pool->current;
  m->ptr = pool->w.ptr;
  m->top = pool->top;
  m->events = pool->life.events;
  m->left = pool->adapt.left;
  pool->life.marks = m;
  mp_track_mark(pool, m);
  return m;
}

int mp__rewind(mp_pool_t *pool, mp_mark_t *mark) {
  MP_HARD_FN(pool, "mp_rewind");
  MP_OWN(pool, "mp_rewind");
  struct mp_mark_s *m = pool->life.marks;
  while (m != NULL && m != mark)
    m = m->prev;
  if (m == NULL) {
#ifdef MP_HARDENED
    mp__hard_fail("mp_rewind", "stale or foreign mark", mark, pool);
#endif
    errno = EINVAL; /* another pool's, rewound past, or not a mark */
    return -1;
  }
  mp__adapt_sample(pool);
  mp__life_rewind(pool, m->events);
  MP_HARD_FN(pool, "mp_rewind"); /* a cleanup may have called others */
  /* Ends the node objects made after m, before the release of the large
   * blocks, which in debug builds hold the later marks' records. */
  if (MP_TRACK_ON)
    mp__marks_untrack(pool, m);
#ifdef MP_HARDENED
  /* The canaries of everything made after the mark: bump objects above
   * its position in its node, and all in the nodes entered since. */
  mp__canary_sweep(pool, m->node, (uintptr_t)m->ptr,
                   mp__node_end(pool, m->node), "mp_rewind");
  for (struct mp_node *n = m->node->next; n != NULL; n = n->next)
    mp__canary_sweep(pool, n, (uintptr_t)n->start, mp__node_end(pool, n),
                     "mp_rewind");
#endif
  mp__large_release_after(pool, m->events);

  /* Nodes entered after the mark hold nothing any more. */
  for (struct mp_node *n = m->node->next; n != NULL; n = n->next)
    mp__reuse_forget(pool, n, (uintptr_t)n->start, mp__node_end(pool, n));
  /* In the mark's node, all that came after lies in what was free space
   * then: bump objects above ptr, packed ones below top, and the tail
   * freed when allocation moved on. */
  struct mp_node *n = m->node;
  mp__reuse_forget(pool, n, (uintptr_t)m->ptr, (uintptr_t)m->top);
  if (MP_WIPING(pool)) /* after the forgets, which read the chunks */
    wipe_after(pool, m);
  if (MP_TRACK_ON)
    poison_after(pool, m);
  pool->adapt.left = m->left;
  pool->current = n;
  pool->w.ptr = m->ptr;
  pool->top = m->top;
  pool->life.marks = m->prev;
  mp__reuse_settle(pool);
  mp__set_window(pool);
  return 0;
}
