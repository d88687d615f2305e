/*
 * Ownership: whether a pointer belongs to a pool, answered from the index
 * (index.c) in O(1) -- the same test mp_free() makes (mp__owner()).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

int mp__owns(const mp_pool_t *pool, const void *p) {
  if (p == NULL)
    return 0;
  struct mp_large *l;
  struct mp_node *n;
  if (mp__owner(pool, p, &l, &n))
    return 1;
#ifdef MP_DEBUG
  /* Every object is a block of its own there: any byte of a small one is
   * owned, as any byte of a node's object area is in other builds. */
  return mp__dbg_small_holding(pool, p) ? 1 : 0;
#else
  return 0;
#endif
}
