/*
 * alloc.h: what alloc.c offers the other files: the allocation paths.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_ALLOC_H
#define MP_ALLOC_H

/* alloc.c: the allocation paths (bump, free lists, large blocks, size
 * headers). */
void *mp__alloc_slow(mp_pool_t *pool, size_t size);
void *mp__alloc_small(mp_pool_t *pool, size_t size, size_t align);
void *mp__alloc_block(mp_pool_t *pool, size_t size, size_t align);
void *mp__alloc_hdr(mp_pool_t *pool, size_t size, size_t align);

#endif /* MP_ALLOC_H */
