/*
 * registry.h: what registry.c offers the other files: the list of root pools,
 * names and hooks. Included by mp_internal.h, after the types every layer
 * shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_REGISTRY_H
#define MP_REGISTRY_H

/* registry.c: the process's list of root pools, under a lock of its own
 * (mp__tree_lock()), and the names block.  Roots join at creation and
 * leave at destroy; mp__tree_leave() is called as any pool's memory goes,
 * for the list and the names block. */
void mp__tree_add(mp_pool_t *pool);
void mp__tree_unlist(mp_pool_t *pool);
void mp__tree_leave_slow(mp_pool_t *pool);
static inline void mp__tree_leave(mp_pool_t *pool) {
  if (pool->tree.listed || pool->tree.ext != NULL)
    mp__tree_leave_slow(pool);
}
/* The first root (with the lock held): for walks. */
mp_pool_t *mp__tree_roots(void);
/* Replaces the pool's names block with one holding name and ident (either
 * NULL) and the hook fields of the old one; 0, or -1 with errno ENOMEM
 * (the out-of-memory hook told).  Takes the lock. */
int mp__tree_rename(mp_pool_t *pool, const char *name, const char *ident);
/* The pool's names block, made (unnamed) if it has none; NULL with errno
 * ENOMEM (hook told). */
struct mp_ext *mp__tree_ext(mp_pool_t *pool);

#endif /* MP_REGISTRY_H */
