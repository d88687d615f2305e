/*
 * lifetime.h: what lifetime.c offers the other files: cleanup records and child
 * pools. Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_LIFETIME_H
#define MP_LIFETIME_H

/* lifetime.c.  settle() and link() make a child at creation, unlink()
 * takes it off its parent. */
int mp__life_settle(const mp_options_t *opt, mp_pool_t *s);
void mp__life_link(mp_pool_t *pool, mp_pool_t *parent);
void mp__life_unlink(mp_pool_t *pool);
void mp__cleanup_run_newest(mp_pool_t *pool);

/* lifetime.c: the pool after p in a pre-order walk of root's subtree, or
 * NULL; *depth follows the walk. */
const mp_pool_t *mp__walk_next(const mp_pool_t *root, const mp_pool_t *p,
                               int *depth);

#endif /* MP_LIFETIME_H */
