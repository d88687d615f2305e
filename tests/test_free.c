/*
 * Freeing and resizing single objects (src/free.c): mp_free_sized,
 * mp_realloc, mp_realloc_unsized, pools with size headers, mp_allocf.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

/* Keeps later requests away from the bump pointer's end of `a`. */
static void *guard(mp_pool_t *p) { return mp_alloc(p, 16); }

static void free_sized_reuses(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  /* Allocate and free the same sizes for a long time: no growth. */
  void *o[20];
  for (int i = 0; i < 20; i++)
    o[i] = mp_alloc(p, 150);
  size_t blocks = t.live_blocks + 1; /* + the free lists */
  for (int round = 0; round < 1000; round++) {
    for (int i = 0; i < 20; i += 2)
      assert_int_equal(mp_free_sized(p, o[i], 150), 0);
    for (int i = 0; i < 20; i += 2)
      o[i] = mp_alloc(p, 150);
  }
  assert_true(t.live_blocks <= blocks);
  mp_destroy_pool(p);
}

static void free_sized_bad_input(void **state) {
  (void)state;
  SKIP_IF_HARDENED();
  mp_pool_t *p = mp_create_exact(4096);
  mp_pool_t *q = mp_create_exact(4096);
  int local;
  void *a = mp_alloc(p, 10);
  errno = 0;
  assert_int_equal(mp_free_sized(NULL, a, 10), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_free_sized(p, &local, 4), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_free_sized(q, a, 10), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_free_sized(p, a, 1 << 20),
                   -1); /* no small object is that big */
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mp_free_sized(p, NULL, 10), 0);
  assert_int_equal(mp_free_sized(p, a, 10), 0);
  /* Large blocks free through it too, whatever the size says. */
  void *l = mp_alloc(p, 100000);
  assert_int_equal(mp_free_sized(p, l, 100000), 0);
  mp_destroy_pool(p);
  mp_destroy_pool(q);
}

static void zero_size_free(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  mp_pool_t *p = mp_create_pool(0);
  void *a = mp_alloc(p, 0);
  void *b = mp_alloc(p, 0);
  assert_ptr_not_equal(a, b);
  assert_int_equal(mp_free_sized(p, b, 0), 0);
  assert_int_equal(mp_free_sized(p, a, 0), 0);
  assert_ptr_equal(mp_alloc(p, 0), a);
  mp_destroy_pool(p);
}

static void realloc_null_allocates(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  char *s = mp_realloc(p, NULL, 12345, 10);
  assert_non_null(s);
  assert_true(is_aligned(s, 16));
  errno = 0;
  assert_null(mp_realloc(NULL, NULL, 0, 10));
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

static void realloc_grows_last_in_place(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  mp_pool_t *p = mp_create_pool(0);
  char *s = mp_alloc(p, 10);
  memcpy(s, "123456789", 10);
  char *t = mp_realloc(p, s, 10, 1000);
  assert_ptr_equal(s, t);
  assert_string_equal(t, "123456789");
  /* The bump pointer moved: the next object follows the grown one. */
  char *u = mp_alloc(p, 1);
  assert_true(u >= t + 1000);
  mp_destroy_pool(p);
}

static void realloc_grows_into_free_neighbour(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  mp_pool_t *p = mp_create_pool(0);
  char *a = mp_alloc(p, 64);
  char *b = mp_alloc(p, 256);
  assert_non_null(guard(p));
  memset(a, 'a', 64);
  assert_int_equal(mp_free_sized(p, b, 256), 0);
  char *a2 = mp_realloc(p, a, 64, 300);
  assert_ptr_equal(a, a2);
  for (int i = 0; i < 64; i++)
    assert_int_equal(a2[i], 'a');
  memset(a2, 'b', 300);
  mp_destroy_pool(p);
}

static void realloc_shrinks_in_place(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  char *a = mp_alloc(p, 1000);
  assert_non_null(guard(p));
  memset(a, 'x', 1000);
  assert_ptr_equal(mp_realloc(p, a, 1000, 100), a);
  /* The freed tail is reused. */
  char *b = mp_alloc(p, 32);
  assert_non_null(b);
  for (int i = 0; i < 100; i++)
    assert_int_equal(a[i], 'x');
  mp_destroy_pool(p);
}

static void realloc_moves_when_blocked(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  char *a = mp_alloc(p, 100);
  for (int i = 0; i < 100; i++)
    a[i] = (char)i;
  assert_non_null(guard(p));
  char *b = mp_realloc(p, a, 100, 2000);
  assert_ptr_not_equal(a, b);
  for (int i = 0; i < 100; i++)
    assert_int_equal(b[i], (char)i);
  /* The old place is free again: a same-size request may get it. */
  mp_destroy_pool(p);
}

static void realloc_packed(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  char *s = mp_nalloc(p, 6);
  memcpy(s, "hello", 6);
  char *t = mp_realloc(p, s, 6, 3);
  assert_ptr_equal(s, t);
  /* A packed object keeps its tail (release builds); with red zones the
   * shrink moved the canary, and debug builds give the object a red zone
   * there: the object is 3 bytes. */
  char *u = mp_realloc(p, t, layout_is_exact() ? 6 : 3, 100);
  assert_non_null(u);
  assert_memory_equal(u, "hello", layout_is_exact() ? 6 : 3);
  mp_destroy_pool(p);
}

static void realloc_large(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  unsigned char *l = mp_alloc(p, 10000);
  for (int i = 0; i < 10000; i++)
    l[i] = (unsigned char)(i * 7);
  unsigned char *m = mp_realloc(p, l, 0, 9000); /* shrink, stays large */
  assert_ptr_equal(m, l);
  m = mp_realloc(p, m, 0, 50000); /* grows: moves */
  for (int i = 0; i < 9000; i++)
    assert_int_equal(m[i], (unsigned char)(i * 7));
  unsigned char *s = mp_realloc_unsized(p, m, 100); /* becomes small */
  for (int i = 0; i < 100; i++)
    assert_int_equal(s[i], (unsigned char)(i * 7));
  errno = 0;
  if (!bad_frees_abort())
    assert_int_equal(mp_free(p, m), -1); /* the large block is gone */
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

static void realloc_bad_input(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  int local = 5;
  char *a = mp_alloc(p, 10);
  errno = 0;
  if (!bad_frees_abort() || !(mpool_build_flags() & MPOOL_BUILD_DEBUG)) {
    assert_null(mp_realloc(p, &local, 4, 8)); /* debug builds abort */
    assert_int_equal(errno, EINVAL);
  }
  errno = 0;
  assert_null(mp_realloc(p, a, 10, SIZE_MAX));
  assert_int_equal(errno, EOVERFLOW);
  errno = 0;
  assert_null(mp_realloc_unsized(p, a, 20)); /* no headers in this pool */
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

/* On failure the old object is left intact. */
static void realloc_failure_keeps_object(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  char *a = mp_alloc(p, 100);
  memset(a, 'k', 100);
  assert_non_null(guard(p));
  for (int i = 0; i < 5; i++) {
    t.fail_at = t.calls; /* the next call fails */
    errno = 0;
    char *b = mp_realloc(p, a, 100, 5000); /* needs a large block */
    assert_null(b);
    assert_int_equal(errno, ENOMEM);
  }
  for (int i = 0; i < 100; i++)
    assert_int_equal(a[i], 'k');
  t.fail_at = -1;
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

static void headers_free_and_realloc(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_SIZE_HEADERS);
  char *a = mp_alloc(p, 50);
  assert_true(is_aligned(a, 16));
  assert_int_equal(mp_free(p, a), 0);
  char *a2 = mp_alloc(p, 50);
  if (!(mpool_build_flags() & MPOOL_BUILD_DEBUG)) /* a block each there */
    assert_ptr_equal(a2, a); /* header and all back to the bump */
  a = a2;
  memcpy(a, "abc", 4);
  char *b = mp_realloc_unsized(p, a, 5000);
  assert_string_equal(b, "abc");
  char *c = mp_realloc_unsized(p, b, 10);
  assert_string_equal(c, "abc");
  char *d = mp_nalloc(p, 3);
  assert_true(is_aligned(d, 16));
  char *e = mp_memalign(p, 40, 256);
  assert_true(is_aligned(e, 256));
  assert_int_equal(mp_free(p, e), 0);
  assert_int_equal(mp_free(p, d), 0);
  assert_int_equal(mp_free(p, c), 0);
  int local;
  errno = 0;
  if (!bad_frees_abort()) {
    assert_int_equal(mp_free(p, &local), -1);
    assert_int_equal(errno, EINVAL);
  }
  mp_destroy_pool(p);
}

static void bad_flags(void **state) {
  (void)state;
  mp_options_t o;
  mp_options_init(&o);
  o.flags = 0x80000000u;
  errno = 0;
  assert_null(mp_create_pool_ex(&o));
  assert_int_equal(errno, EINVAL);
}

/* An interpreter's allocator function, as Lua calls it. */
static void allocf_like_an_interpreter(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  void *ud = p;
  /* New objects: ptr NULL, osize is a type tag. */
  char *s = mp_allocf(ud, NULL, 4, 24);
  assert_non_null(s);
  memcpy(s, "interpreter string", 19);
  int *arr = mp_allocf(ud, NULL, 5, 4 * sizeof(int));
  for (int i = 0; i < 4; i++)
    arr[i] = i;
  /* Growing an array, as a table resize does. */
  for (size_t n = 4; n < 4096; n *= 2) {
    arr = mp_allocf(ud, arr, n * sizeof(int), 2 * n * sizeof(int));
    assert_non_null(arr);
    for (size_t i = n; i < 2 * n; i++)
      arr[i] = (int)i;
  }
  for (int i = 0; i < 4096; i++)
    assert_int_equal(arr[i], i);
  assert_string_equal(s, "interpreter string");
  /* Freeing: nsize 0 returns NULL. */
  assert_null(mp_allocf(ud, arr, 4096 * sizeof(int), 0));
  assert_null(mp_allocf(ud, s, 24, 0));
  assert_null(mp_allocf(ud, NULL, 0, 0));
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(free_sized_reuses),
      cmocka_unit_test(free_sized_bad_input),
      cmocka_unit_test(zero_size_free),
      cmocka_unit_test(realloc_null_allocates),
      cmocka_unit_test(realloc_grows_last_in_place),
      cmocka_unit_test(realloc_grows_into_free_neighbour),
      cmocka_unit_test(realloc_shrinks_in_place),
      cmocka_unit_test(realloc_moves_when_blocked),
      cmocka_unit_test(realloc_packed),
      cmocka_unit_test(realloc_large),
      cmocka_unit_test(realloc_bad_input),
      cmocka_unit_test(realloc_failure_keeps_object),
      cmocka_unit_test(headers_free_and_realloc),
      cmocka_unit_test(bad_flags),
      cmocka_unit_test(allocf_like_an_interpreter),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
