/*
 * Secure wipe (MP_POOL_WIPE): zeroing that the compiler may not remove.
 *
 * A store of zeros to memory that is never read again is dead to the
 * optimiser, and memset() may be dropped; explicit_bzero() (glibc 2.25,
 * the BSDs), C23's memset_explicit() and C11 Annex K's memset_s() are
 * defined not to be.  Where none is known, memset() is called through a
 * volatile function pointer, which the compiler must load and so cannot
 * see through.
 *
 * What a wiping pool wipes, and where (see the callers): an object freed
 * with mp_free_sized(), mp_free() or moved or shrunk by mp_realloc() (free.c,
 * large.c); every large block when it goes back (large.c); the bytes of the
 * nodes a cycle used, at reset, rewind and destroy (here, pool.c, mark.c);
 * the copy mp_printf() leaves in free space (strings.c); the words a free
 * chunk kept when it is handed out again (reuse.c); the pool struct at
 * destroy.  So nothing a wiping pool gives back to the block cache or the
 * backing allocator holds what it stored.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* explicit_bzero() */
#endif
#if !defined(__STDC_WANT_LIB_EXT1__)
#define __STDC_WANT_LIB_EXT1__ 1 /* memset_s() */
#endif

#include "mp_internal.h"

#include <string.h>

#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#define MP_EXPLICIT_BZERO 1
#elif defined(__OpenBSD__) || defined(__FreeBSD__)
#define MP_EXPLICIT_BZERO 1
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 202311L
#define MP_MEMSET_EXPLICIT 1
#elif defined(__STDC_LIB_EXT1__)
#define MP_MEMSET_S 1
#endif

#if !defined(MP_EXPLICIT_BZERO) && !defined(MP_MEMSET_EXPLICIT) &&             \
    !defined(MP_MEMSET_S)
static void *(*volatile wipe_memset)(void *, int, size_t) = memset;
#endif

void mp__wipe(void *p, size_t n) {
  if (n == 0)
    return;
#if defined(MP_EXPLICIT_BZERO)
  explicit_bzero(p, n);
#elif defined(MP_MEMSET_EXPLICIT)
  (void)memset_explicit(p, 0, n);
#elif defined(MP_MEMSET_S)
  (void)memset_s(p, n, 0, n);
#else
  (void)wipe_memset(p, 0, n);
#endif
}

void mp__wipe_hidden(void *p, size_t n) {
  mp_track_open(p, n);
  mp__wipe(p, n);
  mp_track_close(p, n);
}

void mp__wipe_nodes(mp_pool_t *pool) {
  for (struct mp_node *n = pool->first; n != NULL; n = n->next) {
    uintptr_t start = (uintptr_t)n->start, end = mp__node_end(pool, n);
    if (n != pool->current) {
      mp__wipe_hidden(n->start, end - start);
      continue;
    }
    /* The free space [ptr, top) holds nothing: rewinds, frees at ptr and
     * mp_printf() wiped what they gave back to it. */
    mp__wipe_hidden(n->start, (size_t)(pool->w.ptr - n->start));
    mp__wipe_hidden(pool->top, end - (uintptr_t)pool->top);
    break; /* nodes after the current one hold nothing */
  }
}
