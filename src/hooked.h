/*
 * hooked.h: what hooked.c offers the other files: the public calls of pools
 * with object events. Included by mp_internal.h, after the types every layer
 * shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_HOOKED_H
#define MP_HOOKED_H

/* hooked.c: the public calls of a pool with MP_F_HOOKED (api.c), which
 * make the pool layer's call and tell the object event. */
void *mp__hk_alloc(mp_pool_t *pool, size_t size);
void *mp__hk_nalloc(mp_pool_t *pool, size_t size);
void *mp__hk_memalign(mp_pool_t *pool, size_t size, size_t alignment);
char *mp__hk_vprintf(mp_pool_t *pool, const char *fmt, va_list ap);
int mp__hk_free(mp_pool_t *pool, void *p);
int mp__hk_free_sized(mp_pool_t *pool, void *p, size_t size);
void *mp__hk_resize(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                    bool sized);
void mp__hk_reset(mp_pool_t *pool);
/* A public call api.c hands on: a shared handle's, or a hooked pool's. */
#define MP_ROUTED(pool)                                                        \
  mp_unlikely(((pool)->flags & (MP_F_SHARED | MP_F_HOOKED)) != 0)

#endif /* MP_HOOKED_H */
