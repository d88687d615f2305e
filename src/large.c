/*
 * Large blocks: requests above the pool's threshold, each in a block of its
 * own with a header just before the user pointer.  The list is doubly
 * linked, so mp_free() unlinks in O(1) and a loop of allocate + free keeps
 * memory and time flat; the index says whether a pointer is one of ours
 * before its header is read.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "events.h"
#include "mp_internal.h"

static struct mp_large *large_header(void *p) {
  return (struct mp_large *)p - 1;
}

/* Gives a large block's memory back: to its cache class cls, if it has
 * one, else to the block source. */
static void put_block(mp_pool_t *pool, intptr_t cls, void *base, size_t bsize,
                      size_t align) {
#ifdef MP_DEBUG
  (void)cls;
  mp__dbg_block_put(pool, base, bsize, align);
#else
  if (cls >= 0)
    mp__cache_put((int)cls, base);
  else
    mp__block_put(&pool->backing, pool->flags, base, bsize, align);
#endif
}

/* Fills in the header of a new block at base (of bsize bytes, cache class
 * cls) for the object at base + hdr, and puts it on the pool's list. */
static inline void *large_link(mp_pool_t *pool, unsigned char *base, size_t hdr,
                               size_t bsize, intptr_t cls, size_t size,
                               size_t align, bool small) {
  unsigned char *p = base + hdr;
  struct mp_large *l = large_header(p);
  l->cls = cls;
  l->base = base;
  l->block_size = bsize;
  l->size = size;
  l->align = align;
  l->seq = ++pool->life.events;
#ifdef MP_HARDENED
  l->magic = mp__hard_magic(l);
#endif
  l->prev = NULL;
  l->next = pool->large;
  if (l->next != NULL)
    l->next->prev = l;
  pool->large = l;
  pool->adapt.large_live += bsize;
  mp__adapt_sample(pool);
#ifdef MP_DEBUG
  mp__dbg_on_alloc(l, small);
#else
  (void)small;
#endif
  /* The rest of the block stays out of reach, as a red zone. */
  mp_track_noaccess(p, (size_t)(base + bsize - p));
  mp_ev_alloc(pool, NULL, p, size);
  return p;
}

void *mp__large_alloc(mp_pool_t *pool, size_t size, size_t align) {
#ifndef MP_DEBUG
  /* The usual case, in short: a pool on the block cache with no budget
   * above it and no index yet, and a block of the class at this thread's
   * cache front.  Nothing can fail, so the order of the steps below
   * (count, take, link) needs none of the general path's undoing. */
  if ((pool->flags & MP_F_CACHED) && pool->budget.first == NULL &&
      !pool->index.built) {
    size_t hdr = MP_ALIGN_UP(sizeof(struct mp_large), align);
    size_t need = hdr + MP_ALIGN_UP(size, MP_GRANULE) + MP_RZ;
    int cls = mp__block_class(pool, need, align);
    unsigned char *base = cls >= 0 ? mp__blocks_pop(&mp__front, cls) : NULL;
    if (base != NULL) {
      size_t bsize = mp__class_sizes[cls];
      (void)mp__reserve(pool, bsize); /* no budget: it cannot fail */
      MP_HOOK_BLOCK(pool, MP_EVENT_BLOCK_ACQUIRE, base, bsize);
      return large_link(pool, base, hdr, bsize, cls, size, align, false);
    }
  }
#endif
  return mp__large_alloc_as(pool, size, align, false);
}

/* A block for a request; `small` says whether it was at or below the
 * pool's threshold (debug builds serve every request with a block). */
void *mp__large_alloc_as(mp_pool_t *pool, size_t size, size_t align,
                         bool small) {
  size_t hdr = MP_ALIGN_UP(sizeof(struct mp_large), align);
  /* size <= MP_MAX_ALLOC_SIZE and hdr <= MP_MAX_NODE_SIZE: no wrap. */
#ifdef MP_DEBUG
  /* Not from the cache, and exact size (page-granular for large objects
   * without memory tools): the tools see the block end. */
  int cls = -1;
  size_t balign = align;
  size_t bsize = mp__dbg_block_layout(pool, size, &hdr, &balign);
#else
  (void)small;
  /* The object, then its red zone (MP_RZ: a canary in hardened builds). */
  size_t need = hdr + MP_ALIGN_UP(size, MP_GRANULE) + MP_RZ;
  int cls = mp__block_class(pool, need, align);
  size_t bsize =
      cls >= 0 ? mp__class_size(cls) : mp__block_size(pool, need, align);
#endif
  if (!mp__reserve(pool, bsize)) {
    mp__oom(pool, bsize);
    return NULL;
  }
#ifdef MP_DEBUG
  unsigned char *base = mp__dbg_block_get(pool, bsize, balign);
#else
  unsigned char *base =
      cls >= 0 ? mp__cache_get(cls) : mp__block_get(pool, bsize, align);
#endif
  if (base == NULL) {
    mp__unreserve(pool, bsize);
    mp__oom(pool, bsize);
    return NULL;
  }
  /* The index is kept only once built (mp__index_add() says the same). */
  if (pool->index.built && mp__index_add(pool, (uintptr_t)(base + hdr)) != 0) {
    put_block(pool, cls, base, bsize, align);
    mp__unreserve(pool, bsize);
    mp__oom(pool, bsize);
    return NULL;
  }
  MP_HOOK_BLOCK(pool, MP_EVENT_BLOCK_ACQUIRE, base, bsize);
  return large_link(pool, base, hdr, bsize, cls, size, align, small);
}

/* Takes l off the pool's list and index; its block is still held (and
 * still counted: mp__large_put() gives it back). */
void mp__large_unlink(mp_pool_t *pool, struct mp_large *l) {
  mp_track_free(pool, l + 1, l->size);
  if (l->prev != NULL)
    l->prev->next = l->next;
  else
    pool->large = l->next;
  if (l->next != NULL)
    l->next->prev = l->prev;
  if (pool->index.built)
    mp__index_del(&pool->index, (uintptr_t)(l + 1));
  pool->adapt.large_live -= l->block_size;
}

/* Gives an unlinked block back, wiped first in a wiping pool. */
void mp__large_put(mp_pool_t *pool, struct mp_large *l) {
  /* What the release needs, read before a wipe clears the header. */
  void *base = l->base;
  size_t bsize = l->block_size;
  size_t align = l->align;
  intptr_t cls = l->cls;
  MP_HOOK_BLOCK(pool, MP_EVENT_BLOCK_RELEASE, base, bsize);
  mp__unreserve(pool, bsize);
  if (MP_WIPING(pool)) {
    /* The whole block, header and all: what was stored may lie anywhere
     * in it after in-place resizes. */
    mp__wipe_hidden(base, bsize);
  }
  put_block(pool, cls, base, bsize, align);
}

/* Releases l; why (MP_Q_*) and fn (the public call) say what for, which
 * hardened builds name in their reports and debug builds check and report
 * (they quarantine the block).  Hardened builds check the block's header
 * and canary first. */
void mp__large_release(mp_pool_t *pool, struct mp_large *l, int why,
                       const char *fn) {
#ifdef MP_HARDENED
  mp__hard_check_large(pool, l, fn); /* before l->size is trusted */
  mp__canary_take(pool, NULL, l + 1, l->size, fn);
#endif
#ifdef MP_DEBUG
  mp__dbg_release_check(pool, l, why, fn);
#endif
  mp__large_unlink(pool, l);
#ifdef MP_DEBUG
  if (why != MP_Q_DESTROY) {
    mp__dbg_quarantine_add(pool, l, why);
    if (why == MP_Q_FREE || why == MP_Q_REWIND)
      mp__large_quarantine_trim(pool, fn, false); /* reset: once, at the end */
    return;
  }
#else
  (void)why;
  (void)fn;
#endif
  mp__large_put(pool, l);
}

#ifdef MP_DEBUG
void mp__large_quarantine_trim(mp_pool_t *pool, const char *fn, bool all) {
  struct mp_large *l;
  while ((l = mp__dbg_quarantine_pop(pool, fn, all)) != NULL)
    mp__large_put(pool, l); /* it stayed counted while quarantined */
}
#endif

void mp__large_release_all(mp_pool_t *pool, int why, const char *fn) {
  while (pool->large != NULL)
    mp__large_release(pool, pool->large, why, fn);
}

void mp__large_drop_all(mp_pool_t *pool) {
  struct mp_large *l = pool->large;
  while (l != NULL) {
    struct mp_large *next = l->next;
    mp_track_free(pool, l + 1, l->size);
    put_block(pool, l->cls, l->base, l->block_size, l->align);
    l = next;
  }
  pool->large = NULL;
}

void mp__large_release_after(mp_pool_t *pool, uint64_t seq) {
  /* Newest first: the blocks made after seq are at the head. */
  while (pool->large != NULL && pool->large->seq > seq)
    mp__large_release(pool, pool->large, MP_Q_REWIND, "mp_rewind");
}
