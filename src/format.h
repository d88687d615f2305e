/*
 * format.h: what format.c offers the other files: the formatter.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_FORMAT_H
#define MP_FORMAT_H

/* format.c: formats as vsnprintf(dst, cap, fmt, ap) would and stores the
 * full length in *len, when fmt holds only the conversions format.c knows;
 * otherwise false, with dst's contents unspecified (ap must be a copy: it
 * is read either way). */
bool mp__format(char *dst, size_t cap, const char *fmt, va_list ap,
                size_t *len);

#endif /* MP_FORMAT_H */
