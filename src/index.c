/*
 * The ownership index: a hash set of the addresses a pool owns (node bases,
 * tagged with bit 0, and large-block pointers), so that mp_free()
 * can tell a foreign pointer in O(1) without reading memory it does not own.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones); at most half full.  The first MP_INDEX_INLINE slots live in
 * the pool struct, so small pools never allocate a table.
 *
 * The index is built on the first question (from the node and large-block
 * lists) and kept up to date from then on, so a pool that never frees or
 * asks about a pointer never pays for it.  If there is no memory for the
 * table, questions are answered by walking the lists instead.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <string.h>

static size_t slot_of(uintptr_t key, size_t cap) {
  return mp__index_slot(key, cap);
}

void mp__index_init(struct mp_index *ix) {
  ix->slots = ix->inline_slots;
  ix->cap = MP_INDEX_INLINE;
  ix->count = 0;
  ix->built = false;
}

static void insert(uintptr_t *slots, size_t cap, uintptr_t key) {
  size_t i = slot_of(key, cap);
  while (slots[i] != 0)
    i = (i + 1) & (cap - 1);
  slots[i] = key;
}

static int grow(mp_pool_t *pool) {
  struct mp_index *ix = &pool->index;
  size_t cap = ix->cap * 2;
  if (cap > SIZE_MAX / sizeof(uintptr_t))
    return -1;
  if (!mp__reserve(pool, cap * sizeof(uintptr_t))) /* both are held here */
    return -1;
  uintptr_t *slots =
      pool->backing.alloc(pool->backing.ud, cap * sizeof *slots, MP_GRANULE);
  if (slots == NULL) {
    mp__unreserve(pool, cap * sizeof *slots);
    return -1;
  }
  memset(slots, 0, cap * sizeof *slots);
  for (size_t i = 0; i < ix->cap; i++)
    if (ix->slots[i] != 0)
      insert(slots, cap, ix->slots[i]);
  if (ix->slots != ix->inline_slots) {
    pool->backing.free(pool->backing.ud, ix->slots, ix->cap * sizeof *slots);
    mp__unreserve(pool, ix->cap * sizeof *slots);
  }
  ix->slots = slots;
  ix->cap = cap;
  return 0;
}

int mp__index_add(mp_pool_t *pool, uintptr_t key) {
  struct mp_index *ix = &pool->index;
  if (!ix->built)
    return 0; /* the build will find it on the lists */
  if ((ix->count + 1) * 2 > ix->cap && grow(pool) != 0) {
    errno = ENOMEM;
    return -1;
  }
  insert(ix->slots, ix->cap, key);
  ix->count++;
  return 0;
}

void mp__index_del(struct mp_index *ix, uintptr_t key) {
  if (!ix->built)
    return;
  size_t mask = ix->cap - 1;
  size_t i = slot_of(key, ix->cap);
  while (ix->slots[i] != key) {
    if (ix->slots[i] == 0)
      return;
    i = (i + 1) & mask;
  }
  /* Backward shift: pull later members of the probe run into the hole. */
  size_t hole = i;
  for (size_t j = (i + 1) & mask; ix->slots[j] != 0; j = (j + 1) & mask) {
    size_t home = slot_of(ix->slots[j], ix->cap);
    /* Move j into the hole unless its home lies cyclically in (hole, j]. */
    bool stays =
        hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      ix->slots[hole] = ix->slots[j];
      hole = j;
    }
  }
  ix->slots[hole] = 0;
  ix->count--;
}

void mp__index_free(mp_pool_t *pool) {
  struct mp_index *ix = &pool->index;
  if (ix->slots != ix->inline_slots) {
    pool->backing.free(pool->backing.ud, ix->slots,
                       ix->cap * sizeof *ix->slots);
    mp__unreserve(pool, ix->cap * sizeof *ix->slots);
  }
  ix->slots = NULL;
}

bool mp__index_build(mp_pool_t *pool) {
  struct mp_index *ix = &pool->index;
  if (ix->built)
    return true;
  memset(ix->inline_slots, 0, sizeof ix->inline_slots);
  ix->built = true;
  for (struct mp_node *n = pool->first; n != NULL; n = n->next)
    if (mp__index_add(pool, MP_NODE_KEY(n)) != 0)
      goto fail;
  for (struct mp_large *l = pool->large; l != NULL; l = l->next)
    if (mp__index_add(pool, (uintptr_t)(l + 1)) != 0)
      goto fail;
  return true;
fail:
  mp__index_free(pool);
  mp__index_init(ix);
  return false;
}

struct mp_node *mp__node_scan(const mp_pool_t *pool, uintptr_t base) {
  for (struct mp_node *n = pool->first; n != NULL; n = n->next)
    if ((uintptr_t)n == base)
      return n;
  return NULL;
}

struct mp_large *mp__large_scan(const mp_pool_t *pool, const void *p) {
  for (struct mp_large *l = pool->large; l != NULL; l = l->next)
    if ((const void *)(l + 1) == p)
      return l;
  return NULL;
}
