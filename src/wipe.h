/*
 * wipe.h: what wipe.c offers the other files: secure wipe.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_WIPE_H
#define MP_WIPE_H

/* wipe.c: secure wipe (MP_POOL_WIPE). */
void mp__wipe(void *p, size_t n);
/* Wipes [p, p + n) of memory the tracking hooks may have made inaccessible,
 * and leaves it inaccessible. */
void mp__wipe_hidden(void *p, size_t n);
/* Wipes every byte of the pool's nodes that a cycle may have used: whole
 * nodes before the current one, and the current one but its free space. */
void mp__wipe_nodes(mp_pool_t *pool);
#define MP_WIPING(pool) mp_unlikely(((pool)->flags & MP_F_WIPE) != 0)

#endif /* MP_WIPE_H */
