/*
 * A formatter for the conversions strings are mostly built from, so that
 * mp_printf() does not go through vsnprintf() for them: glibc's string
 * stream copies short pieces a byte at a time, which made formatting most
 * of the cost of building small strings (as APR's, nginx's and SQLite's
 * own formatters avoid).
 *
 * It knows plain text, %%, %s, %c, %d and %i with no length modifier, l
 * or ll, and %u %x %X with those or z -- no flags, width or precision.
 * Anything else, and a NULL %s (whose output the C library chooses), is
 * left to vsnprintf(): mp__format() then says so, having written some of
 * dst and read some of its va_list, which the caller passes a copy of and
 * formats again with vsnprintf() -- so the output is always
 * vsnprintf()'s.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <string.h>

/* Copies what fits of [s, s + n) to dst at *at, keeping room for the
 * terminator, and counts all n.  Pieces are short: a loop for those. */
static MP_INLINE void put(char *dst, size_t cap, size_t *at, const char *s,
                          size_t n) {
  if (*at < cap) {
    size_t room = cap - 1 - *at, k = n < room ? n : room;
    char *d = dst + *at;
    if (k <= 16) {
      for (size_t i = 0; i < k; i++)
        d[i] = s[i];
    } else {
      memcpy(d, s, k);
    }
  }
  *at += n;
}

/* Stores c at dst[at] if it fits before the terminator's place. */
static MP_INLINE void put_char(char *dst, size_t cap, size_t at, char c) {
  if (at + 1 < cap)
    dst[at] = c;
}

/* The digits of v at the end of buf, and their count: base 10, or 16 in
 * the given case. */
static MP_INLINE size_t digits(char *end, unsigned long long v, bool hex,
                               bool upper) {
  size_t n = 0;
  if (hex) {
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
      *--end = set[v & 15];
      v >>= 4;
      n++;
    } while (v != 0);
  } else {
    do {
      *--end = (char)('0' + v % 10);
      v /= 10;
      n++;
    } while (v != 0);
  }
  return n;
}

bool mp__format(char *dst, size_t cap, const char *fmt, va_list ap,
                size_t *len) {
  size_t at = 0;
  char num[24]; /* the digits of any 64-bit value, and a sign */
  const char *f = fmt;
  for (;;) {
    /* Literal text up to the next conversion, copied as it is scanned:
     * one pass, where strchr() then a copy made two calls per piece. */
    char ch;
    while ((ch = *f) != '%' && ch != '\0') {
      put_char(dst, cap, at, ch);
      at++;
      f++;
    }
    if (ch == '\0')
      break;
    f++;
    int longs = 0;
    bool size = false;
    if (*f == 'z') {
      size = true;
      f++;
    } else {
      while (*f == 'l' && longs < 2) {
        longs++;
        f++;
      }
    }
    char conv = *f++;
    switch (conv) {
    case '%':
      if (longs != 0 || size)
        return false;
      put(dst, cap, &at, "%", 1);
      break;
    case 's': {
      const char *str = longs == 0 && !size ? va_arg(ap, const char *) : NULL;
      if (str == NULL)
        return false; /* a NULL string's output is the C library's */
      /* Copied as it is measured: strings here are mostly short. */
      for (; (ch = *str) != '\0'; str++, at++)
        put_char(dst, cap, at, ch);
      break;
    }
    case 'c': {
      if (longs != 0 || size)
        return false;
      char c = (char)(unsigned char)va_arg(ap, int);
      put(dst, cap, &at, &c, 1);
      break;
    }
    case 'd':
    case 'i': {
      if (size)
        return false; /* a signed size_t: left to the C library */
      long long sv = longs == 2   ? va_arg(ap, long long)
                     : longs == 1 ? (long long)va_arg(ap, long)
                                  : (long long)va_arg(ap, int);
      /* The magnitude without overflow, LLONG_MIN included. */
      unsigned long long v = sv < 0 ? (unsigned long long)(-(sv + 1)) + 1u
                                    : (unsigned long long)sv;
      char *end = num + sizeof num;
      size_t k = digits(end, v, false, false);
      if (sv < 0)
        *(end - ++k) = '-';
      put(dst, cap, &at, end - k, k);
      break;
    }
    case 'u':
    case 'x':
    case 'X': {
      unsigned long long v = size ? (unsigned long long)va_arg(ap, size_t)
                             : longs == 2 ? va_arg(ap, unsigned long long)
                             : longs == 1
                                 ? (unsigned long long)va_arg(ap, unsigned long)
                                 : (unsigned long long)va_arg(ap, unsigned);
      char *end = num + sizeof num;
      size_t k = digits(end, v, conv != 'u', conv == 'X');
      put(dst, cap, &at, end - k, k);
      break;
    }
    default:
      return false; /* flags, width, precision, other conversions */
    }
  }
  if (cap > 0)
    dst[at < cap ? at : cap - 1] = '\0';
  *len = at;
  return true;
}
