/*
 * large.h: what large.c offers the other files: large blocks.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_LARGE_H
#define MP_LARGE_H

/* large.c */
void *mp__large_alloc(mp_pool_t *pool, size_t size, size_t align);
void *mp__large_alloc_as(mp_pool_t *pool, size_t size, size_t align,
                         bool small);
void mp__large_unlink(mp_pool_t *pool, struct mp_large *l);
void mp__large_put(mp_pool_t *pool, struct mp_large *l);
void mp__large_release(mp_pool_t *pool, struct mp_large *l, int why,
                       const char *fn);
void mp__large_release_all(mp_pool_t *pool, int why, const char *fn);
/* Gives every large block back, for a pool going away that is not wiped,
 * tracked, checked or debugged: keeps neither counts nor index. */
void mp__large_drop_all(mp_pool_t *pool);
void mp__large_release_after(mp_pool_t *pool, uint64_t seq);

#endif /* MP_LARGE_H */
