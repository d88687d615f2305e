/*
 * budget.h: what budget.c offers the other files: byte budgets and the
 * out-of-memory hook. Included by mp_internal.h, after the types every layer
 * shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_BUDGET_H
#define MP_BUDGET_H

/* budget.c */
bool mp__budget_take(mp_pool_t *first, size_t n);
void mp__budget_give(mp_pool_t *first, size_t n);
void mp__budget_settle(const mp_options_t *opt, mp_pool_t *s);
void mp__budget_link(mp_pool_t *pool);
void mp__budget_unlink(mp_pool_t *pool);
mp_pool_t *mp__budget_crossed(mp_pool_t *first, size_t n);
void mp__oom(mp_pool_t *pool, size_t size);
void *mp__oom_create(mp_pool_t *parent, mp_pool_t *over, size_t size,
                     void (*hook)(mp_pool_t *, size_t, void *), void *ud);

#endif /* MP_BUDGET_H */
