/*
 * Strings: copies, formatting and concatenation into a pool.
 *
 * Strings are packed bytes, taken like mp_nalloc() results from the top of
 * the current node's free space.  mp_vprintf() formats straight into that
 * free space [ptr, top) and, when the result fits, moves it up against top
 * and commits it as mp_nalloc() would: one formatting pass and one move of
 * the result, instead of a measuring pass and a formatting pass.  The
 * common conversions are formatted by format.c, the rest by vsnprintf().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Copies n bytes of s into a new string of n + 1 bytes. */
static char *copy(mp_pool_t *pool, const char *s, size_t n) {
  if (n >= MP_MAX_ALLOC_SIZE)
    return mp__fail(EOVERFLOW);
  char *d = mp_nalloc(pool, n + 1);
  if (d == NULL)
    return NULL;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *mp_strdup(mp_pool_t *pool, const char *s) {
  if (pool == NULL || s == NULL)
    return mp__fail(EINVAL);
  return copy(pool, s, strlen(s));
}

char *mp_strndup(mp_pool_t *pool, const char *s, size_t n) {
  if (pool == NULL || s == NULL)
    return mp__fail(EINVAL);
  size_t len = 0;
  while (len < n && s[len] != '\0')
    len++;
  return copy(pool, s, len);
}

void *mp_memdup(mp_pool_t *pool, const void *p, size_t n) {
  if (pool == NULL || (p == NULL && n > 0))
    return mp__fail(EINVAL);
  void *d = mp_alloc(pool, n);
  if (d != NULL && n > 0)
    memcpy(d, p, n);
  return d;
}

char *mp_vprintf(mp_pool_t *pool, const char *fmt, va_list ap) {
  if (pool == NULL || fmt == NULL)
    return mp__fail(EINVAL);
  if (MP_SHARED(pool))
    return mp__sh_vprintf(pool, fmt, ap);
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
    s = mp_nalloc(pool, size);
    if (s != NULL)
      (void)vsnprintf(s, size, fmt, again);
  }
  if (s != NULL)
    errno = saved;
out:
  va_end(again);
  return s;
}

char *mp_printf(mp_pool_t *pool, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = mp_vprintf(pool, fmt, ap);
  va_end(ap);
  return s;
}

/* Adds n to *total; false (errno EOVERFLOW) if the sum would exceed what
 * one allocation may hold. */
static bool add_len(size_t *total, size_t n) {
  if (n >= MP_MAX_ALLOC_SIZE - *total) {
    errno = EOVERFLOW;
    return false;
  }
  *total += n;
  return true;
}

char *mp_strcat(mp_pool_t *pool, ...) {
  if (pool == NULL)
    return mp__fail(EINVAL);
  va_list ap;
  size_t total = 0;
  va_start(ap, pool);
  for (const char *p; (p = va_arg(ap, const char *)) != NULL;) {
    if (!add_len(&total, strlen(p))) {
      va_end(ap);
      return NULL;
    }
  }
  va_end(ap);
  char *s = mp_nalloc(pool, total + 1);
  if (s == NULL)
    return NULL;
  char *d = s;
  va_start(ap, pool);
  for (const char *p; (p = va_arg(ap, const char *)) != NULL;) {
    size_t n = strlen(p);
    memcpy(d, p, n);
    d += n;
  }
  va_end(ap);
  *d = '\0';
  return s;
}

char *mp_join(mp_pool_t *pool, const char *const *parts, size_t n,
              const char *sep) {
  if (pool == NULL || (parts == NULL && n > 0))
    return mp__fail(EINVAL);
  if (sep == NULL)
    sep = "";
  size_t seplen = strlen(sep);
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (parts[i] == NULL)
      return mp__fail(EINVAL);
    if (!add_len(&total, strlen(parts[i])) ||
        (i > 0 && !add_len(&total, seplen)))
      return NULL;
  }
  char *s = mp_nalloc(pool, total + 1);
  if (s == NULL)
    return NULL;
  char *d = s;
  for (size_t i = 0; i < n; i++) {
    if (i > 0) {
      memcpy(d, sep, seplen);
      d += seplen;
    }
    size_t len = strlen(parts[i]);
    memcpy(d, parts[i], len);
    d += len;
  }
  *d = '\0';
  return s;
}
