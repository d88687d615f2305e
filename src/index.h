/*
 * index.h: what index.c offers the other files: the ownership index: which node
 * or large block holds a pointer. Included by mp_internal.h, after the types
 * every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_INDEX_H
#define MP_INDEX_H

/* index.c */
void mp__index_init(struct mp_index *ix);
int mp__index_add(mp_pool_t *pool, uintptr_t key);

/* The slot where an index search for key starts (Fibonacci hashing). */
static inline size_t mp__index_slot(uintptr_t key, size_t cap) {
  uint64_t h = (uint64_t)(key >> 4) * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 32) & (cap - 1);
}

/* Whether the index holds key (inline: every free asks). */
static inline bool mp__index_has(const struct mp_index *ix, uintptr_t key) {
  if (key == 0)
    return false;
  size_t i = mp__index_slot(key, ix->cap);
  for (;;) {
    uintptr_t k = ix->slots[i];
    if (k == key)
      return true;
    if (k == 0)
      return false;
    i = (i + 1) & (ix->cap - 1);
  }
}
void mp__index_del(struct mp_index *ix, uintptr_t key);
void mp__index_free(mp_pool_t *pool);
bool mp__index_build(mp_pool_t *pool);
struct mp_node *mp__node_scan(const mp_pool_t *pool, uintptr_t base);
struct mp_large *mp__large_scan(const mp_pool_t *pool, const void *p);

/* Index keys: a node by its base with bit 0 set (bases are aligned to the
 * node size); a large block by its user pointer, always granule aligned. */
#define MP_NODE_KEY(n) ((uintptr_t)(n) | 1u)

/* The first usable byte of node n of this pool: its start field, which
 * only the first node (holding the pool struct) needs to be read for. */
static inline uintptr_t mp__node_start(const mp_pool_t *pool,
                                       const struct mp_node *n) {
  return n == pool->first ? (uintptr_t)n->start : (uintptr_t)n + pool->node_hdr;
}

/* The node that holds p, known to be in one of this pool's nodes. */
static inline struct mp_node *mp__node_at(const mp_pool_t *pool,
                                          const void *p) {
  return (struct mp_node *)MP_ALIGN_DOWN((uintptr_t)p, pool->node_size);
}

/* The node of this pool that holds p, or NULL: reads no memory at p. */
static inline struct mp_node *mp__node_of(const mp_pool_t *pool,
                                          const void *p) {
  uintptr_t base = MP_ALIGN_DOWN((uintptr_t)p, pool->node_size);
  /* The pool is never const-defined: building its index is allowed. */
  if (!pool->index.built && !mp__index_build((mp_pool_t *)(uintptr_t)pool))
    return mp__node_scan(pool, base); /* no memory for the table */
  return mp__index_has(&pool->index, MP_NODE_KEY(base)) ? (struct mp_node *)base
                                                        : NULL;
}

/* The header of this pool's large block p, or NULL: reads no memory at p
 * unless the index says p is a live large block of this pool. */
static inline struct mp_large *mp__large_of(const mp_pool_t *pool,
                                            const void *p) {
  uintptr_t a = (uintptr_t)p;
  if ((a & (MP_GRANULE - 1)) != 0)
    return NULL;
  if (!pool->index.built && !mp__index_build((mp_pool_t *)(uintptr_t)pool))
    return mp__large_scan(pool, p);
  return mp__index_has(&pool->index, a) ? (struct mp_large *)p - 1 : NULL;
}

#endif /* MP_INDEX_H */
