/*
 * Formatting into a pool: mp_vprintf() of an ordinary pool.
 *
 * mp__vprintf() formats straight into the current node's free space
 * [ptr, top) and, when the result fits, moves it up against top and
 * commits it as mp_nalloc() would: one formatting pass and one move of the
 * result, instead of a measuring pass and a formatting pass.  The common
 * conversions are formatted by format.c, the rest by vsnprintf().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

char *mp__vprintf(mp_pool_t *pool, const char *fmt, va_list ap) {
  int saved = errno;
  va_list again;
  va_copy(again, ap);
  char *room = (char *)pool->w.ptr;
  size_t avail = (size_t)(pool->top - pool->w.ptr);
  /* Under a memory tool the free space is inaccessible: measure instead,
   * so that no bytes outside an object are ever touched. */
  if (MP_TRACK_ON || MP_DBG)
    room = NULL, avail = 0;
  errno = 0;
  size_t flen;
  int len;
  va_list fast;
  va_copy(fast, ap);
  bool known = mp__format(room, avail, fmt, fast, &flen);
  va_end(fast);
  if (known)
    len = flen <= INT_MAX ? (int)flen : -1; /* EOVERFLOW, set below */
  else
    len = vsnprintf(room, avail, fmt, ap);
  char *s = NULL;
  if (len < 0) {
    if (MP_WIPING(pool) && room != NULL)
      mp__wipe(room, avail); /* whatever was written before the error */
    if (errno == 0)
      errno = EOVERFLOW;
    goto out;
  }
  size_t size = (size_t)len + 1;
  /* Formatted in place: move it against top and take it there, as
   * mp_nalloc() would -- or, with red zones (hardened builds), take it
   * where it is, as mp_nalloc() would there, canary and all.  Otherwise
   * (it did not fit, it is large, or objects need size headers) allocate
   * and format again. */
  if (!MP_TRACK_ON && !MP_DBG && size <= pool->max &&
      !(pool->flags & MP_F_HEADERS)) {
    if (MP_RZ == 0) {
      s = mp__take_top(pool, size);
      if (s != NULL)
        memmove(s, room, size);
    } else if (MP_ALIGN_UP(size, MP_GRANULE) + MP_RZ <= avail) {
      MP_HARD_FN(pool, "mp_vprintf");
      s = mp__alloc_small(pool, size, MP_GRANULE); /* == room: no move */
    }
  }
  if (s != NULL) {
    mp__count(pool, size);
    /* A wiping pool leaves no copy in the free space below the string. */
    if (MP_WIPING(pool) && room + size > s)
      mp__wipe(room, (size_t)(s - room));
    else if (MP_WIPING(pool))
      mp__wipe(room, size);
  } else {
    if (MP_WIPING(pool) && room != NULL) /* what did not fit */
      mp__wipe(room, avail < size ? avail : size);
    s = mp__nalloc(pool, size);
    if (s != NULL)
      (void)vsnprintf(s, size, fmt, again);
  }
  if (s != NULL)
    errno = saved;
out:
  va_end(again);
  return s;
}
