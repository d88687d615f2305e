/*
 * reuse.h: what reuse.c offers the other files: free lists.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_REUSE_H
#define MP_REUSE_H

/* reuse.c */
void *mp__reuse_take(mp_pool_t *pool, size_t rounded, size_t align);
/* A free chunk of at least `least` bytes (granules), taken whole up to
 * `most`: *got says how much; NULL: none. */
void *mp__reuse_take_range(mp_pool_t *pool, size_t least, size_t most,
                           size_t *got);
void *mp__reuse_pop(mp_pool_t *pool, size_t rounded);
bool mp__reuse_flush(mp_pool_t *pool);
bool mp__reuse_uncache(mp_pool_t *pool, struct mp_node *n, uintptr_t ob);
bool mp__reuse_cache(mp_pool_t *pool, struct mp_node *n, void *p, size_t size);
void mp__reuse_range(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                     uintptr_t b);
void mp__reuse_add(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                   uintptr_t b);
void mp__reuse_top(mp_pool_t *pool, struct mp_node *n, uintptr_t e);
bool mp__reuse_grow(mp_pool_t *pool, struct mp_node *n, uintptr_t ob,
                    uintptr_t nb);
void mp__reuse_reset(mp_pool_t *pool);
void mp__reuse_destroy(mp_pool_t *pool);
bool mp__check(const mp_pool_t *pool);

#endif /* MP_REUSE_H */
