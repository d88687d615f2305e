/*
 * debug.h: what debug.c offers the other files: debug builds: guarded blocks,
 * quarantine, ownership, reports. Included by mp_internal.h, after the types
 * every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_DEBUG_H
#define MP_DEBUG_H

/* debug.c.  In debug builds every object is a large block; the calls
 * below record call sites, check red zones, keep released blocks in
 * quarantine and check the caller's ownership of the pool.  Each check
 * that fails prints one line naming the function and aborts. */
#ifdef MP_DEBUG
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold, format(printf, 2, 3)))
#endif
void mp__dbg_fail(const char *fn, const char *fmt, ...);
void mp__dbg_init(mp_pool_t *pool, unsigned opt_flags);
void mp__dbg_own(mp_pool_t *pool, const char *fn);
size_t mp__dbg_block_layout(const mp_pool_t *pool, size_t size, size_t *hdr,
                            size_t *align);
void *mp__dbg_block_get(mp_pool_t *pool, size_t size, size_t align);
void mp__dbg_block_put(mp_pool_t *pool, void *b, size_t size, size_t align);
void mp__dbg_on_alloc(struct mp_large *l, bool small);
void mp__dbg_shrink(mp_pool_t *pool, struct mp_large *l, size_t new_size);
void mp__dbg_release_check(mp_pool_t *pool, struct mp_large *l, int why,
                           const char *fn);
void mp__dbg_quarantine_add(mp_pool_t *pool, struct mp_large *l, int why);
struct mp_large *mp__dbg_quarantine_pop(mp_pool_t *pool, const char *fn,
                                        bool all);
/* large.c: gives back the quarantined blocks due to leave (all: every one). */
void mp__large_quarantine_trim(mp_pool_t *pool, const char *fn, bool all);
/* "file:line" of l's allocation, or a word when no site was recorded. */
const char *mp__dbg_where(const struct mp_large *l, char *buf, size_t n);
/* Aborts: p is not the start of a live object (a double free, or not the
 * pool's at all). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold))
#endif
void mp__dbg_check_free(mp_pool_t *pool, const void *p, const char *fn);
bool mp__dbg_small_holding(const mp_pool_t *pool, const void *p);
void mp__dbg_check_size(const struct mp_large *l, size_t size, const char *fn);
/* debug_report.c */
void mp__dbg_leaks(const mp_pool_t *pool);
int mp__dbg_report(const mp_pool_t *pool, FILE *out);
void mp__dbg_internal(void);
/* Checks that the calling thread owns the pool (or claims it after a
 * handoff); fn names the public call in the message. */
#define MP_OWN(pool, fn) mp__dbg_own((pool), (fn))
#else
#define MP_OWN(pool, fn) ((void)(pool), (void)(fn))
#endif

#endif /* MP_DEBUG_H */
