/** @file
 * mpool/adapter.h -- what the adapters in this folder share (internal:
 * included by them, not meant to be included on its own).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_ADAPTER_H
#define MPOOL_ADAPTER_H

#include <stddef.h>

#include "mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* mp_create_pool_ex() with `opt` (NULL: the defaults) and `flags` added to
 * its flags: the pool an adapter's library needs (internal). */
static inline mp_pool_t *mp__adapter_pool(const mp_options_t *opt,
                                          unsigned flags) {
  mp_options_t o;
  if (opt != NULL)
    o = *opt;
  else
    mp_options_init(&o);
  o.flags |= flags;
  return mp_create_pool_ex(&o);
}

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_ADAPTER_H */
