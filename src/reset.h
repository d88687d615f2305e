/*
 * reset.h: what reset.c offers the other files: reset modes and the children
 * calls. Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_RESET_H
#define MP_RESET_H

/* reset.c: resets one descendant that a reset-children walk holds busy
 * (its cleanups, marks and memory, not its children). */
void mp__reset_descendant(mp_pool_t *pool);
int mp__life_drop_children(mp_pool_t *pool, const char *fn);

/* reset.c: mp_reset_pool_mode(), mp_reset_children(), mp_destroy_children()
 * (what: MP_RESET_OP_*), mode and limit checked. */
enum { MP_RESET_OP_SELF, MP_RESET_OP_CHILDREN, MP_RESET_OP_DESTROY };
int mp__reset_op(mp_pool_t *pool, int what, mp_reset_mode_t mode, size_t limit);
void mp__destroy(mp_pool_t *pool);
MP_ENTRY void *mp__alloc(mp_pool_t *pool, size_t size);
void *mp__nalloc(mp_pool_t *pool, size_t size);
void *mp__memalign(mp_pool_t *pool, size_t size, size_t alignment);
char *mp__vprintf(mp_pool_t *pool, const char *fmt, va_list ap);
MP_ENTRY int mp__free(mp_pool_t *pool, void *p);
MP_ENTRY int mp__free_sized(mp_pool_t *pool, void *p, size_t size);
MP_ENTRY void *mp__resize(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                          bool sized);
mp_mark_t *mp__mark(mp_pool_t *pool);
int mp__rewind(mp_pool_t *pool, mp_mark_t *mark);
mp_cleanup_t *mp__cleanup_add(mp_pool_t *pool, mp_cleanup_fn fn, void *data);
int mp__cleanup_remove(mp_pool_t *pool, mp_cleanup_t *c); /* pool may be NULL */
int mp__cleanup_run(mp_pool_t *pool, mp_cleanup_t *c);    /* pool may be NULL */
int mp__owns(const mp_pool_t *pool, const void *p);
int mp__check_ptr(const mp_pool_t *pool, const void *p);
int mp__stats(const mp_pool_t *pool, mp_stats_t *st, int flags);
int mp__report(const mp_pool_t *pool, FILE *out);

#endif /* MP_RESET_H */
