/*
 * Strings (src/strings.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <stdio.h>
#include <wchar.h>

static void dup_copies(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  const char *src = "hello, pool";
  char *s = mp_strdup(p, src);
  assert_non_null(s);
  assert_ptr_not_equal(s, src);
  assert_string_equal(s, src);
  assert_string_equal(mp_strdup(p, ""), "");
  assert_string_equal(mp_strndup(p, src, 5), "hello");
  assert_string_equal(mp_strndup(p, src, 100), src);
  assert_string_equal(mp_strndup(p, src, 0), "");
  /* Strings are packed: one right below the other, no padding. */
  char *a = mp_strdup(p, "abc");
  char *b = mp_strdup(p, "de");
  if (layout_is_exact())
    assert_ptr_equal(b + 3, a);
  mp_destroy_pool(p);
}

/* strndup reads no byte past n, so an unterminated buffer is fine. */
static void strndup_unterminated(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  char *buf = malloc(4);
  assert_non_null(buf);
  memcpy(buf, "abcd", 4);
  assert_string_equal(mp_strndup(p, buf, 4), "abcd");
  assert_string_equal(mp_strndup(p, buf, 2), "ab");
  free(buf);
  mp_destroy_pool(p);
}

static void memdup_is_aligned(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  struct {
    double d;
    long l;
  } x = {1.5, 42}, *y;
  (void)mp_strdup(p, "x"); /* unalign the node's top */
  y = mp_memdup(p, &x, sizeof x);
  assert_non_null(y);
  assert_true(is_aligned(y, alignof(max_align_t)));
  assert_true(y->d == 1.5 && y->l == 42);
  void *z = mp_memdup(p, NULL, 0); /* NULL is fine with 0 bytes */
  assert_non_null(z);
  unsigned char big[10000];
  memset(big, 7, sizeof big);
  unsigned char *c = mp_memdup(p, big, sizeof big); /* a large block */
  assert_non_null(c);
  assert_memory_equal(c, big, sizeof big);
  assert_int_equal(mp_free(p, c), 0);
  mp_destroy_pool(p);
}

static void printf_formats(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  char *s = mp_printf(p, "%s=%d %05.1f %c", "x", 42, 3.14159, 'z');
  assert_non_null(s);
  assert_string_equal(s, "x=42 003.1 z");
  assert_string_equal(mp_printf(p, "%s", ""), "");
  assert_string_equal(mp_printf(p, "plain"), "plain");
  mp_destroy_pool(p);
}

/* In place: the result is committed like mp_nalloc(), packed against the
 * previous string, and errno is left alone on success. */
static void printf_packs_like_nalloc(void **state) {
  (void)state;
  SKIP_UNLESS_EXACT_LAYOUT();
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  char *a = mp_strdup(p, "abc");
  errno = 1234;
  char *b = mp_printf(p, "%d-%d", 12, 345);
  assert_int_equal(errno, 1234);
  assert_string_equal(b, "12-345");
  assert_ptr_equal(b + 7, a);
  /* mp_alloc() is not disturbed by the scratch formatting. */
  int *n = mp_alloc(p, sizeof *n);
  assert_non_null(n);
  assert_true(is_aligned(n, alignof(max_align_t)));
  *n = 5;
  char *c = mp_printf(p, "%s", "next");
  /* Packed below b, as mp_nalloc() packs: directly, or one byte lower when
   * it would otherwise start on a granule that b's granule runs into. */
  assert_true(c + 5 == b || (c + 6 == b && (uintptr_t)(c + 1) % 16 == 0));
  assert_int_equal(*n, 5);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.nodes, 1);
  mp_destroy_pool(p);
}

/* Longer than the node's free space: measured, allocated, formatted again;
 * in a new node (small) or a large block. */
static void printf_does_not_fit(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  assert_non_null(p);
  char word[200];
  memset(word, 'w', sizeof word - 1);
  word[sizeof word - 1] = '\0';
  /* Fill the first node nearly up. */
  for (int i = 0; i < 3; i++)
    assert_non_null(mp_printf(p, "%s", word));
  char *s = mp_printf(p, "[%s|%s]", "ab", word); /* 205 bytes: a new node */
  assert_non_null(s);
  assert_int_equal(strlen(s), 204);
  assert_memory_equal(s, "[ab|www", 7);
  assert_string_equal(s + 203, "]");
  assert_true(ta_contains(&t, s, 205));
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.nodes, 2);
  assert_int_equal(st.large_blocks, 0);

  /* Much longer than a node: a large block, released by mp_free(). */
  char *l = mp_printf(p, "%s%s%s%s%s%s", word, word, word, word, word, word);
  assert_non_null(l);
  assert_int_equal(strlen(l), 6 * 199);
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.large_blocks, 1);
  assert_int_equal(mp_free(p, l), 0);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Fits in the free space but is above the large threshold: it goes to a
 * large block, as an mp_nalloc() of that size would. */
static void printf_large_but_fits(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(16384); /* threshold about 4 KiB */
  assert_non_null(p);
  char *s = mp_printf(p, "%6000d|", 7);
  assert_non_null(s);
  assert_int_equal(strlen(s), 6001);
  assert_string_equal(s + 5999, "7|");
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.large_blocks, 1);
  assert_int_equal(st.large_bytes, 6002);
  assert_int_equal(mp_free(p, s), 0);
  mp_destroy_pool(p);
}

static char *call_vprintf(mp_pool_t *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = mp_vprintf(p, fmt, ap);
  va_end(ap);
  return s;
}

static void printf_errors(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  assert_string_equal(call_vprintf(p, "%d%s", 1, "v"), "1v");
  const char *nofmt = NULL;
  /* Through a pointer, so the compiler's format check stays quiet. */
  char *(*printf_fn)(mp_pool_t *, const char *, ...) = mp_printf;
  errno = 0;
  assert_null(printf_fn(p, nofmt));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_printf(NULL, "x"));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(call_vprintf(p, nofmt));
  assert_int_equal(errno, EINVAL);
  /* vsnprintf itself fails: a wide character the "C" locale cannot
   * encode.  The pool is unchanged and usable. */
  mp_stats_t before = {.size = sizeof before}, after = before;
  assert_int_equal(mp_stats(p, &before, 0), 0);
  wchar_t wide[] = {0x4e2d, 0};
  errno = 0;
  assert_null(mp_printf(p, "%ls", wide));
  assert_int_not_equal(errno, 0);
  assert_int_equal(mp_stats(p, &after, 0), 0);
  assert_int_equal(after.bytes_used, before.bytes_used);
  assert_string_equal(mp_printf(p, "%s", "fine"), "fine");
  mp_destroy_pool(p);
}

static void strcat_concatenates(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  assert_string_equal(mp_strcat(p, "a", "bc", "", "def", (char *)NULL),
                      "abcdef");
  assert_string_equal(mp_strcat(p, (char *)NULL), "");
  assert_string_equal(mp_strcat(p, "only", (char *)NULL), "only");
  errno = 0;
  assert_null(mp_strcat(NULL, "a", (char *)NULL));
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

static void join_joins(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  const char *parts[] = {"usr", "local", "lib"};
  assert_string_equal(mp_join(p, parts, 3, "/"), "usr/local/lib");
  assert_string_equal(mp_join(p, parts, 3, ", "), "usr, local, lib");
  assert_string_equal(mp_join(p, parts, 3, NULL), "usrlocallib");
  assert_string_equal(mp_join(p, parts, 1, "/"), "usr");
  assert_string_equal(mp_join(p, parts, 0, "/"), "");
  assert_string_equal(mp_join(p, NULL, 0, "/"), "");
  const char *holes[] = {"a", NULL, "c"};
  errno = 0;
  assert_null(mp_join(p, holes, 3, "/"));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_join(p, NULL, 2, "/"));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_join(NULL, parts, 3, "/"));
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

static void null_arguments(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  const char *nul = NULL;
  errno = 0;
  assert_null(mp_strdup(NULL, "x"));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_strdup(p, nul));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_strndup(p, nul, 3));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_strndup(NULL, "x", 3));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_memdup(p, NULL, 1));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_memdup(NULL, "x", 1));
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dup_copies),
      cmocka_unit_test(strndup_unterminated),
      cmocka_unit_test(memdup_is_aligned),
      cmocka_unit_test(printf_formats),
      cmocka_unit_test(printf_packs_like_nalloc),
      cmocka_unit_test(printf_does_not_fit),
      cmocka_unit_test(printf_large_but_fits),
      cmocka_unit_test(printf_errors),
      cmocka_unit_test(strcat_concatenates),
      cmocka_unit_test(join_joins),
      cmocka_unit_test(null_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
