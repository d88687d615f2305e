/*
 * mark.h: what mark.c offers the other files: marks.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_MARK_H
#define MP_MARK_H

/* mark.c: whether the object at a in node n, grown to end at nb, would
 * reach across the position of an outstanding mark (memory a rewind gives
 * back while the object lives on). */
bool mp__mark_crossed(const mp_pool_t *pool, const struct mp_node *n,
                      uintptr_t a, uintptr_t nb);
size_t mp__reuse_free_bytes(const mp_pool_t *pool);
void mp__reuse_forget(mp_pool_t *pool, struct mp_node *n, uintptr_t lo,
                      uintptr_t hi);
void mp__reuse_settle(mp_pool_t *pool);

#endif /* MP_MARK_H */
