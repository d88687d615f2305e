/*
 * The formatter behind mp_printf() (src/format.c): for every format it
 * takes, mp_printf() must give exactly what snprintf() gives, and formats
 * it leaves to the C library must come out the same too.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include "mp_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

/* mp_printf(fmt, ...) against snprintf(fmt, ...), in a pool with room and
 * in a pool that has almost none left in its node. */
static void same(mp_pool_t *p, const char *fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  char want[512];
  int n = vsnprintf(want, sizeof want, fmt, ap);
  assert_true(n >= 0 && (size_t)n < sizeof want);
  char *got = mp_vprintf(p, fmt, again);
  va_end(again);
  va_end(ap);
  assert_non_null(got);
  assert_memory_equal(got, want, (size_t)n + 1);
}

static void integers_match_snprintf(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  const int ints[] = {INT_MIN, INT_MIN + 1, -1000000, -1,          0,      1, 9,
                      10,      4095,        65536,    INT_MAX - 1, INT_MAX};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    int v = ints[i];
    same(p, "%d|%i|%u|%x|%X", v, v, (unsigned)v, (unsigned)v, (unsigned)v);
    same(p, "[%d]", v);
  }
  const long longs[] = {LONG_MIN, -1L, 0L, 1L, LONG_MAX};
  for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
    long v = longs[i];
    same(p, "%ld %li %lu %lx %lX", v, v, (unsigned long)v, (unsigned long)v,
         (unsigned long)v);
  }
  const long long lls[] = {LLONG_MIN, -123456789012345LL, 0, LLONG_MAX};
  for (size_t i = 0; i < sizeof lls / sizeof lls[0]; i++) {
    long long v = lls[i];
    same(p, "%lld %lli %llu %llx %llX", v, v, (unsigned long long)v,
         (unsigned long long)v, (unsigned long long)v);
  }
  const size_t sizes[] = {0, 1, 4096, SIZE_MAX / 2, SIZE_MAX};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    same(p, "%zu/%zx/%zX", sizes[i], sizes[i], sizes[i]);
  mp_destroy_pool(p);
}

static void text_and_strings_match_snprintf(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  same(p, "");
  same(p, "plain text, no conversions");
  same(p, "100%% sure, %%%%");
  same(p, "%s", "");
  same(p, "/%s/item?id=%u&tag=%s", "users", 42u, "new");
  same(p, "%c%c%c", 'a', 0x7f, 0xe9);
  same(p, "%s-%s-%s", "a", "bb", "ccc");
  char big[300];
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  same(p, "<%s>", big);
  mp_destroy_pool(p);
}

/* Flags, widths, precisions and other conversions go to the C library,
 * with the same result. */
static void others_match_snprintf(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  same(p, "%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
  same(p, "%.3s|%10s|%-10s|", "abcdef", "r", "l");
  same(p, "%hd %hhu %zd %jd %td", (short)-3, (unsigned char)250, (ptrdiff_t)-7,
       (intmax_t)-8, (ptrdiff_t)9);
  same(p, "%f %.2e %g", 1.5, 12345.678, 0.0001);
  same(p, "%#x %#o %o", 255u, 8u, 8u);
  same(p, "%s and %d then %5s", "mixed", 3, "tail");
  mp_destroy_pool(p);
}

/* The result is complete wherever the node's free space ends: formatted
 * in place when it fits, moved otherwise. */
static void fits_or_not_the_same(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(4096);
  assert_non_null(p);
  for (int i = 0; i < 400; i++) {
    char *s = mp_printf(p, "%d:%s:%x", i, "0123456789abcdef0123456789",
                        (unsigned)i * 7919u);
    assert_non_null(s);
    char want[80];
    snprintf(want, sizeof want, "%d:%s:%x", i, "0123456789abcdef0123456789",
             (unsigned)i * 7919u);
    assert_string_equal(s, want);
  }
  mp_destroy_pool(p);
}

static bool fmt(char *dst, size_t cap, size_t *len, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  bool ok = mp__format(dst, cap, f, ap, len);
  va_end(ap);
  return ok;
}

/* What the formatter takes itself, what it leaves, and snprintf()'s rules
 * for a short buffer. */
static void takes_and_leaves(void **state) {
  (void)state;
  char buf[16];
  size_t len = 0;
  assert_true(fmt(buf, sizeof buf, &len, "%d %s %c %%", -5, "ab", 'z'));
  assert_string_equal(buf, "-5 ab z %");
  assert_int_equal(len, 9);
  assert_true(
      fmt(buf, sizeof buf, &len, "%lu %llx %zu", 1ul, 255ull, (size_t)7));
  assert_string_equal(buf, "1 ff 7");
  const char *left[] = {"%5d", "%-d", "%.2s", "%f", "%p",
                        "%hd", "%zd", "%lll", "%q", "tail %"};
  for (size_t i = 0; i < sizeof left / sizeof left[0]; i++)
    assert_false(fmt(buf, sizeof buf, &len, left[i], 1, 2.0));
  assert_false(fmt(buf, sizeof buf, &len, "%s", (const char *)NULL));
  /* Truncated as snprintf() truncates, with the full length. */
  assert_true(fmt(buf, 5, &len, "%s%d", "abc", 12345));
  assert_string_equal(buf, "abc1");
  assert_int_equal(len, 8);
  memset(buf, 'x', sizeof buf);
  assert_true(fmt(buf, 0, &len, "%d", 42));
  assert_int_equal(len, 2);
  assert_int_equal(buf[0], 'x');
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(integers_match_snprintf),
      cmocka_unit_test(text_and_strings_match_snprintf),
      cmocka_unit_test(others_match_snprintf),
      cmocka_unit_test(fits_or_not_the_same),
      cmocka_unit_test(takes_and_leaves),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
