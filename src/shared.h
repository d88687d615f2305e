/*
 * shared.h: what shared.c offers the other files: shared pools
 * (MP_POOL_SHARED). Included by mp_internal.h, after the types every layer
 * shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_SHARED_H
#define MP_SHARED_H

/* shared.c: pools many threads use at once (MP_POOL_SHARED).  A shared
 * pool's handle is a struct of its own whose window is always empty and
 * whose flags say MP_F_SHARED; each public entry point (api.c) hands a
 * handle to an mp__sh_*() call, which takes the pool's lock and makes the
 * pool layer's call on the inner pool. */
#define MP_SHARED(pool) mp_unlikely(((pool)->flags & MP_F_SHARED) != 0)
/* A destroy that must lock: a shared pool, or a child of one. */
#define MP_SHARED_KIN(pool)                                                    \
  mp_unlikely(((pool)->flags & MP_F_SHARED) != 0 ||                            \
              ((pool)->life.parent != NULL &&                                  \
               ((pool)->life.parent->flags & MP_F_INNER) != 0))
#define MP_SHARED_OPT(opt)                                                     \
  mp_unlikely(                                                                 \
      ((opt)->flags & MP_POOL_SHARED) != 0 ||                                  \
      ((opt)->parent != NULL && ((opt)->parent->flags & MP_F_SHARED) != 0))
mp_pool_t *mp__sh_create(const mp_options_t *opt);
bool mp__sh_reset(mp_pool_t *handle);
int mp__sh_reset_op(mp_pool_t *handle, int what, mp_reset_mode_t mode,
                    size_t limit);
bool mp__sh_destroy(mp_pool_t *pool);
void *mp__sh_alloc(mp_pool_t *handle, size_t size);
void *mp__sh_nalloc(mp_pool_t *handle, size_t size);
void *mp__sh_memalign(mp_pool_t *handle, size_t size, size_t alignment);
int mp__sh_free(mp_pool_t *handle, void *p);
int mp__sh_owns(const mp_pool_t *handle, const void *p);
int mp__sh_free_sized(mp_pool_t *handle, void *p, size_t size);
void *mp__sh_realloc(mp_pool_t *handle, void *p, size_t old_size,
                     size_t new_size, bool sized);
char *mp__sh_vprintf(mp_pool_t *handle, const char *fmt, va_list ap);
mp_mark_t *mp__sh_mark(mp_pool_t *handle);
int mp__sh_rewind(mp_pool_t *handle, mp_mark_t *mark);
mp_cleanup_t *mp__sh_cleanup_add(mp_pool_t *handle, mp_cleanup_fn fn,
                                 void *data);
int mp__sh_cleanup_remove(mp_pool_t *handle, mp_cleanup_t *c, bool run_it);
mp_pool_t *mp__sh_parent(const mp_pool_t *pool);
int mp__sh_stats(const mp_pool_t *handle, mp_stats_t *st, int flags);
int mp__sh_report(const mp_pool_t *handle, FILE *out);
int mp__sh_check(const mp_pool_t *handle, const void *p);

/* shared.c: fn(inner pool, arg) under a shared pool's lock; and the inner
 * pool itself, for reading what does not change (the names block pointer
 * is read under mp__tree_lock()). */
int mp__sh_with(mp_pool_t *handle, int (*fn)(mp_pool_t *inner, void *arg),
                void *arg);
mp_pool_t *mp__sh_inner(const mp_pool_t *handle);

#endif /* MP_SHARED_H */
