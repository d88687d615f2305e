/*
 * Large blocks: requests above the pool's threshold, each in a block of its
 * own with a header just before the user pointer.  The list is doubly
 * linked, so mp_free() unlinks in O(1) and a loop of allocate + free keeps
 * memory and time flat; the index says whether a pointer is one of ours
 * before its header is read.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

static struct mp_large *header_of(void *p) {
  return (struct mp_large *)p - 1;
}

static void put_block(mp_pool_t *pool, const struct mp_large *l, void *base,
                      size_t bsize, size_t align) {
  if (l->cls >= 0)
    mp__cache_put((int)l->cls, base);
  else
    mp__block_put(&pool->backing, pool->flags, base, bsize, align);
}

void *mp__large_alloc(mp_pool_t *pool, size_t size, size_t align) {
  size_t hdr = MP_ALIGN_UP(sizeof(struct mp_large), align);
  /* The object, then its red zone (MP_RZ: a canary in hardened builds).
   * size <= MP_MAX_ALLOC_SIZE and hdr <= MP_MAX_NODE_SIZE: no wrap. */
  size_t need = hdr + MP_ALIGN_UP(size, MP_GRANULE) + MP_RZ;
  int cls = mp__block_class(pool, need, align);
  size_t bsize = cls >= 0 ? mp__class_size(cls)
                          : mp__block_size(pool, need, align);
  if (!mp__reserve(pool, bsize)) {
    mp__oom(pool, bsize);
    return NULL;
  }
  unsigned char *base =
      cls >= 0 ? mp__cache_get(cls) : mp__block_get(pool, bsize, align);
  unsigned char *p = base != NULL ? base + hdr : NULL;
  struct mp_large *l = p != NULL ? header_of(p) : NULL;
  if (l != NULL)
    l->cls = cls;
  if (l == NULL || mp__index_add(pool, (uintptr_t)p) != 0) {
    if (l != NULL)
      put_block(pool, l, base, bsize, align);
    mp__unreserve(pool, bsize);
    mp__oom(pool, bsize);
    return NULL;
  }
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
  /* The rest of the block stays out of reach, as a red zone. */
  mp_track_noaccess(p, (size_t)(base + bsize - p));
  mp_track_alloc(pool, p, size);
#ifdef MP_HARDENED
  mp__canary_put(pool, NULL, p, size);
#endif
  return p;
}

/* Hardened builds check the block's header and canary for the public
 * function in progress: a free, a resize, a reset, a rewind or a destroy. */
void mp__large_release(mp_pool_t *pool, struct mp_large *l) {
#ifdef MP_HARDENED
  mp__hard_check_large(pool, l, pool->fn); /* before l->size is trusted */
  mp__canary_take(pool, NULL, l + 1, l->size, pool->fn);
#endif
  mp_track_free(pool, l + 1, l->size);
  if (l->prev != NULL)
    l->prev->next = l->next;
  else
    pool->large = l->next;
  if (l->next != NULL)
    l->next->prev = l->prev;
  mp__index_del(&pool->index, (uintptr_t)(l + 1));
  mp__unreserve(pool, l->block_size);
  pool->adapt.large_live -= l->block_size;
  if (MP_WIPING(pool)) {
    /* The whole block, header and all: what was stored may lie anywhere
     * in it after in-place resizes. */
    struct mp_large copy = *l;
    mp__wipe_hidden(copy.base, copy.block_size);
    put_block(pool, &copy, copy.base, copy.block_size, copy.align);
    return;
  }
  put_block(pool, l, l->base, l->block_size, l->align);
}

void mp__large_release_all(mp_pool_t *pool) {
  while (pool->large != NULL)
    mp__large_release(pool, pool->large);
}

void mp__large_release_after(mp_pool_t *pool, uint64_t seq) {
  /* Newest first: the blocks made after seq are at the head. */
  while (pool->large != NULL && pool->large->seq > seq)
    mp__large_release(pool, pool->large);
}

int mp_free(mp_pool_t *pool, void *p) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (MP_SHARED(pool))
    return mp__sh_free(pool, p);
  if (p == NULL)
    return 0;
  MP_HARD_FN(pool, "mp_free");
  struct mp_large *l;
  struct mp_node *n;
  bool owned = mp__owner(pool, p, &l, &n);
  if (l != NULL) {
#ifdef MP_HARDENED
    mp__hard_check_large(pool, l, "mp_free");
#endif
    mp__large_release(pool, l);
    return 0;
  }
  if (owned) { /* a small object: it lives until reset or destroy */
    if (!(pool->flags & MP_F_HEADERS))
      return 0;
#ifdef MP_HARDENED
    mp__hard_check_free(pool, n, p, 0, "mp_free");
#endif
    return mp__free_hdr(pool, n, p);
  }
#ifdef MP_HARDENED
  mp__hard_fail("mp_free", "free of a pointer the pool does not own:", p,
                pool);
#endif
  errno = EINVAL;
  return -1;
}
