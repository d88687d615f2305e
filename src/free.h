/*
 * free.h: what free.c offers the other files: freeing single objects.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_FREE_H
#define MP_FREE_H

/* free.c */
int mp__free_hdr(mp_pool_t *pool, struct mp_node *n, void *p);

#endif /* MP_FREE_H */
