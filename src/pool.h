/*
 * pool.h: the pool layer's entry points (the calls api.c and shared.c
 * make, defined across the pool layer's files) and pool.c's reset.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_POOL_H
#define MP_POOL_H

/* pool.c: the memory half of a reset, once the cleanups have run (fn: the
 * public call, for messages). */
void mp__reset_memory(mp_pool_t *pool, const char *fn);

/* The pool layer's entry points: the public calls of api.c for a pool that
 * is not a shared handle (pool non-NULL, arguments api.c checks already
 * checked).  shared.c makes them on a shared pool's inner pool.  Those
 * every allocation and free goes through are MP_ENTRY: in the unity build
 * inlined into api.c's calls, so that the layer costs no call there. */
#if defined(MP_UNITY_BUILD) && (defined(__GNUC__) || defined(__clang__))
#define MP_ENTRY static inline __attribute__((always_inline))
#else
#define MP_ENTRY
#endif
mp_pool_t *mp__create_sized(size_t size);
mp_pool_t *mp__create(const mp_options_t *opt);
void mp__reset(mp_pool_t *pool);

#endif /* MP_POOL_H */
