/*
 * teardown.h: what teardown.c offers the other files: the end of pools.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_TEARDOWN_H
#define MP_TEARDOWN_H

/* teardown.c: releases a pool's memory (no cleanups, no children). */
void mp__pool_free(mp_pool_t *pool);

/* teardown.c: reset() and destroy() tear down children and cleanups, and
 * return -1 (do nothing more) for a pool that is already being torn
 * down. */
int mp__life_reset(mp_pool_t *pool);
int mp__life_destroy(mp_pool_t *pool);
void mp__life_rewind(mp_pool_t *pool, uint64_t seq);
void mp__life_clear(mp_pool_t *pool);

/* teardown.c: forgets every outstanding mark (a reset or destroy);
 * untrack() ends the memory tools' view of the marks from the newest down
 * to `last` (NULL: all). */
void mp__marks_drop(mp_pool_t *pool);
void mp__marks_untrack(mp_pool_t *pool, const struct mp_mark_s *last);

#endif /* MP_TEARDOWN_H */
