/*
 * Build modes: what the library was built to check and to cooperate with.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

unsigned mpool_build_flags(void) {
  unsigned f = 0;
#if defined(MP_HARDENED)
  f |= MPOOL_BUILD_HARDENED;
#endif
#if defined(MP_VALGRIND)
  f |= MPOOL_BUILD_VALGRIND;
#endif
#if defined(MP_TRACK_ASAN)
  f |= MPOOL_BUILD_ASAN;
#endif
  return f;
}
