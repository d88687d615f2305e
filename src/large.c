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

void *mp__large_alloc(mp_pool_t *pool, size_t size, size_t align) {
  size_t hdr = MP_ALIGN_UP(sizeof(struct mp_large), align);
  /* size <= MP_MAX_ALLOC_SIZE and hdr <= MP_MAX_NODE_SIZE: no wrap. */
  size_t bsize = mp__block_size(pool, hdr + size, align);
  unsigned char *base = mp__block_get(pool, bsize, align);
  if (base == NULL)
    return mp__fail(ENOMEM);
  unsigned char *p = base + hdr;
  if (mp__index_add(pool, (uintptr_t)p) != 0) {
    mp__block_put(&pool->backing, pool->flags, base, bsize, align);
    return NULL;
  }
  struct mp_large *l = header_of(p);
  l->base = base;
  l->block_size = bsize;
  l->size = size;
  l->align = align;
  l->prev = NULL;
  l->next = pool->large;
  if (l->next != NULL)
    l->next->prev = l;
  pool->large = l;
  mp__reserved_add(pool, bsize);
  return p;
}

void mp__large_release(mp_pool_t *pool, struct mp_large *l) {
  if (l->prev != NULL)
    l->prev->next = l->next;
  else
    pool->large = l->next;
  if (l->next != NULL)
    l->next->prev = l->prev;
  mp__index_del(&pool->index, (uintptr_t)(l + 1));
  mp__reserved_sub(pool, l->block_size);
  mp__block_put(&pool->backing, pool->flags, l->base, l->block_size,
                l->align);
}

void mp__large_release_all(mp_pool_t *pool) {
  while (pool->large != NULL)
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
  struct mp_large *l = mp__large_of(pool, p);
  if (l != NULL) {
    mp__large_release(pool, l);
    return 0;
  }
  struct mp_node *n = mp__node_of(pool, p);
  if (n != NULL) /* a small object: it lives until reset or destroy */
    return (pool->flags & MP_F_HEADERS) ? mp__free_hdr(pool, n, p) : 0;
  errno = EINVAL;
  return -1;
}
