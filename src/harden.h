/*
 * harden.h: what harden.c offers the other files: hardened builds' checks and
 * canaries. Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_HARDEN_H
#define MP_HARDEN_H

/* harden.c: checks of hardened builds (MP_HARDENED).  Each failure prints
 * one line naming the mpool function and the pointer, and aborts. */
#ifdef MP_HARDENED
#define MP_HARD 1
/* Records the public function in progress, which checks deep inside the
 * library (free-list links, canaries at release) name when they fail. */
#define MP_HARD_FN(pool, name) ((pool)->fn = (name))
uintptr_t mp__hard_secret(void);
static inline uintptr_t mp__hard_magic(const void *at) {
  return mp__hard_secret() ^ (uintptr_t)at ^ (uintptr_t)0x6d706f6f6cu;
}
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold))
#endif
void mp__hard_fail(const char *fn, const char *what, const void *p,
                   const mp_pool_t *pool);
void mp__hard_check_node(const mp_pool_t *pool, const struct mp_node *n,
                         const char *fn);
void mp__hard_check_large(const mp_pool_t *pool, const struct mp_large *l,
                          const char *fn);
void mp__hard_check_free(const mp_pool_t *pool, struct mp_node *n,
                         const void *p, size_t size, const char *fn);
bool mp__reuse_any_free(const mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                        uintptr_t b);
/* Canaries: the bytes from an object's end to the end of its red zone. */
void mp__canary_put(const mp_pool_t *pool, struct mp_node *n, void *p,
                    size_t size);
void mp__canary_take(const mp_pool_t *pool, struct mp_node *n, const void *p,
                     size_t size, const char *fn);
void mp__canary_sweep(const mp_pool_t *pool, struct mp_node *n, uintptr_t lo,
                      uintptr_t hi, const char *fn);
void mp__canary_sweep_all(const mp_pool_t *pool, const char *fn);
/* Before a reset: the starts of the objects it ends join R. */
void mp__hard_reset_starts(const mp_pool_t *pool);
/* Every free chunk of the pool checked for writes after free (reuse.c). */
void mp__reuse_check_all(const mp_pool_t *pool, const char *fn);
#else
#define MP_HARD 0
#define MP_HARD_FN(pool, name) ((void)0)
#endif

#endif /* MP_HARDEN_H */
