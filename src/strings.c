/*
 * Strings: copies and concatenation into a pool, built on the public calls
 * (mp_nalloc(), mp_vprintf()), so they serve every kind of pool.
 *
 * Strings are packed bytes, taken like mp_nalloc() results from the top of
 * the current node's free space.  Formatting is vprintf.c's.
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
