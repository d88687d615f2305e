/*
 * AddressSanitizer cooperation: pool memory outside live objects is
 * poisoned, so ASan reports uses after reset, rewind and free, and
 * overflows into the red zone after an object.  Each bug runs in a child
 * process; in builds without ASan the tests skip themselves.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_fork.h"
#include "test_util.h"

static int have_asan(void) {
  return (mpool_build_flags() & MPOOL_BUILD_ASAN) != 0;
}

#define SKIP_UNLESS_ASAN()                                                     \
  do {                                                                         \
    if (!have_asan()) {                                                        \
      print_message("skipped: the library is not built with ASan\n");          \
      skip();                                                                  \
    }                                                                          \
  } while (0)

static volatile unsigned char sink;

#if defined(__SANITIZE_ADDRESS__)
#define TRACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRACK_ASAN 1
#endif
#endif
#ifdef TRACK_ASAN
#include <sanitizer/asan_interface.h>
/* Whether the byte at p is poisoned: 1, 0, or -1 without ASan. */
static int poisoned(const void *p) { return __asan_address_is_poisoned(p); }
#else
static int poisoned(const void *p) {
  (void)p;
  return -1;
}
#endif

/* Expects the child to have been stopped by an ASan report of `kind`. */
static void expect_report(const child_result_t *r, const char *kind) {
  if (!child_failed(r) || strstr(r->err, "AddressSanitizer") == NULL ||
      strstr(r->err, kind) == NULL)
    fail_msg("expected an AddressSanitizer %s report; status %d, stderr:\n%s",
             kind, r->status, r->err);
}

static void use_after_reset(void *arg) {
  (void)arg;
  mp_pool_t *p = mp_create_pool(0);
  unsigned char *a = mp_alloc(p, 32);
  a[0] = 1;
  mp_reset_pool(p);
  sink = a[0];
}

static void use_after_reset_reported(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  child_result_t r;
  assert_int_equal(run_child(use_after_reset, NULL, &r), 0);
  expect_report(&r, "use-after-poison");
}

/* A rewind gives back what came after the mark: the rest of the mark's
 * node (arg NULL) and the nodes entered since (arg &in_later_node). */
static int in_later_node;

static void use_after_rewind(void *arg) {
  mp_pool_t *p = mp_create_exact(1024);
  unsigned char *keep = mp_alloc(p, 32);
  mp_mark_t *m = mp_mark(p);
  unsigned char *a = mp_alloc(p, 32);
  for (int i = 0; i < 40; i++) /* into nodes entered after the mark */
    (void)mp_alloc(p, 100);
  unsigned char *later = mp_alloc(p, 32);
  keep[0] = a[0] = later[0] = 1;
  mp_rewind(p, m);
  sink = keep[0]; /* made before the mark: still there */
  sink = arg == NULL ? a[0] : later[0];
}

static void use_after_rewind_reported(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  child_result_t r;
  assert_int_equal(run_child(use_after_rewind, NULL, &r), 0);
  expect_report(&r, "use-after-poison");
  assert_int_equal(run_child(use_after_rewind, &in_later_node, &r), 0);
  expect_report(&r, "use-after-poison");
}

static void use_after_free_sized(void *arg) {
  (void)arg;
  mp_pool_t *p = mp_create_pool(0);
  unsigned char *a = mp_alloc(p, 64);
  unsigned char *b = mp_alloc(p, 64); /* a is not the newest */
  a[0] = b[0] = 1;
  mp_free_sized(p, a, 64);
  sink = a[8];
}

static void use_after_free_sized_reported(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  child_result_t r;
  assert_int_equal(run_child(use_after_free_sized, NULL, &r), 0);
  expect_report(&r, "use-after-poison");
}

/* With size headers mp_free() frees a small object: the object and its
 * header (arg &at_header) are poisoned. */
static int at_header;

static void use_after_free_headers(void *arg) {
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SIZE_HEADERS;
  mp_pool_t *p = mp_create_pool_ex(&o);
  unsigned char *a = mp_alloc(p, 48);
  unsigned char *b = mp_alloc(p, 48); /* a is not the newest */
  a[0] = b[0] = 1;
  mp_free(p, a);
  sink = arg == NULL ? a[8] : a[-1]; /* the object, or its header */
}

static void use_after_free_headers_reported(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  child_result_t r;
  assert_int_equal(run_child(use_after_free_headers, NULL, &r), 0);
  expect_report(&r, "use-after-poison");
  if (mpool_build_flags() & MPOOL_BUILD_DEBUG)
    return; /* a block each: its header is the library's, not poisoned */
  assert_int_equal(run_child(use_after_free_headers, &at_header, &r), 0);
  expect_report(&r, "use-after-poison");
}

static void use_after_free_large(void *arg) {
  (void)arg;
  mp_pool_t *p = mp_create_exact(4096);
  unsigned char *a = mp_alloc(p, 3000); /* above the threshold */
  a[0] = 1;
  mp_free(p, a);
  sink = a[100];
}

static void use_after_free_large_reported(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  child_result_t r;
  assert_int_equal(run_child(use_after_free_large, NULL, &r), 0);
  expect_report(&r, "use-after-poison");
}

static void overflow(void *arg) {
  (void)arg;
  mp_pool_t *p = mp_create_pool(0);
  unsigned char *a = mp_alloc(p, 16);
  unsigned char *b = mp_alloc(p, 16);
  b[0] = 1;
  a[16] = 1; /* one past the end: the red zone */
}

static void overflow_into_red_zone_reported(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  child_result_t r;
  assert_int_equal(run_child(overflow, NULL, &r), 0);
  expect_report(&r, "use-after-poison");
  assert_non_null(strstr(r.err, "WRITE of size 1"));
}

static void use_after_destroy(void *arg) {
  (void)arg;
  mp_pool_t *p = mp_create_pool(0);
  unsigned char *a = mp_alloc(p, 32);
  a[0] = 1;
  mp_destroy_pool(p);
  sink = a[16];
}

static void use_after_destroy_reported(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  child_result_t r;
  assert_int_equal(run_child(use_after_destroy, NULL, &r), 0);
  /* Debug builds give the object's block back to the C library. */
  expect_report(&r, (mpool_build_flags() & MPOOL_BUILD_DEBUG)
                        ? "heap-use-after-free"
                        : "use-after-poison");
}

/* The bytes right after an object [p, p + n) are its red zone: poisoned,
 * while its last byte is not. */
static void expect_red_zone(const unsigned char *p, size_t n) {
  assert_int_equal(poisoned(p + n - 1), 0);
  assert_int_equal(poisoned(p + n), 1);
}

/* Red zones stay poisoned in every build that has them, hardened ones
 * too, whose canaries live in them: the canary's own reads and writes
 * (at allocation, free, resize, reset, rewind and destroy) open the red
 * zone and close it again, and raise no report.  Every size of the
 * first granules, from each allocating call and on a pool with size
 * headers. */
static void red_zones_stay_poisoned(void **state) {
  (void)state;
  SKIP_UNLESS_ASAN();
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SIZE_HEADERS;
  mp_pool_t *pools[2] = {mp_create_pool(0), mp_create_pool_ex(&o)};
  for (int k = 0; k < 2; k++) {
    mp_pool_t *p = pools[k];
    assert_non_null(p);
    for (int round = 0; round < 2; round++) {
      mp_mark_t *m = mp_mark(p);
      assert_non_null(m);
      for (size_t n = 1; n <= 48; n++) {
        unsigned char *a = mp_alloc(p, n), *b = mp_nalloc(p, n);
        unsigned char *c = mp_memalign(p, n, 64);
        assert_non_null(a);
        assert_non_null(b);
        assert_non_null(c);
        memset(a, 1, n);
        memset(b, 2, n);
        memset(c, 3, n);
        expect_red_zone(a, n);
        expect_red_zone(b, n);
        expect_red_zone(c, n);
        a = mp_realloc(p, a, n, n + 5);
        assert_non_null(a);
        expect_red_zone(a, n + 5);
        assert_int_equal(mp_free_sized(p, b, n), 0);
      }
      unsigned char *l = mp_alloc(p, 100001);
      assert_non_null(l);
      memset(l, 4, 100001);
      expect_red_zone(l, 100001);
      l = mp_realloc(p, l, 100001, 100003);
      assert_non_null(l);
      expect_red_zone(l, 100003);
      assert_int_equal(mp_rewind(p, m), 0);
      unsigned char *s = (unsigned char *)mp_strdup(p, "red zone");
      assert_non_null(s);
      expect_red_zone(s, 9);
      mp_reset_pool(p);
    }
    mp_destroy_pool(p);
  }
}

/* The library's own work on poisoned memory stays quiet: free lists,
 * merging, reuse, realloc, strings and a reset, in one pool. */
static void library_paths_are_clean(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(1024);
  void *v[64];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < 64; i++) {
      v[i] = mp_alloc(p, (size_t)(i % 7) * 24 + 1);
      assert_non_null(v[i]);
      memset(v[i], i, (size_t)(i % 7) * 24 + 1);
    }
    for (int i = 0; i < 64; i += 2)
      assert_int_equal(mp_free_sized(p, v[i], (size_t)(i % 7) * 24 + 1), 0);
    for (int i = 1; i < 64; i += 4) {
      v[i] = mp_realloc(p, v[i], (size_t)(i % 7) * 24 + 1, 200);
      assert_non_null(v[i]);
      memset(v[i], 1, 200);
    }
    char *s = mp_printf(p, "%s-%d", "round", round);
    assert_string_equal(s, round == 0   ? "round-0"
                           : round == 1 ? "round-1"
                                        : "round-2");
    assert_string_equal(mp_strdup(p, "x"), "x");
    /* What a rewind keeps stays usable, and so does what it gives back
     * once it is handed out again. */
    mp_mark_t *m = mp_mark(p);
    assert_non_null(m);
    for (int i = 0; i < 32; i++)
      memset(mp_alloc(p, 90), 2, 90);
    assert_int_equal(mp_rewind(p, m), 0);
    memset(v[1], 3, 200);
    for (int i = 0; i < 32; i++)
      memset(mp_alloc(p, 90), 4, 90);
    mp_reset_pool(p);
  }
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(use_after_reset_reported),
      cmocka_unit_test(use_after_rewind_reported),
      cmocka_unit_test(use_after_free_sized_reported),
      cmocka_unit_test(use_after_free_headers_reported),
      cmocka_unit_test(use_after_free_large_reported),
      cmocka_unit_test(overflow_into_red_zone_reported),
      cmocka_unit_test(use_after_destroy_reported),
      cmocka_unit_test(library_paths_are_clean),
      cmocka_unit_test(red_zones_stay_poisoned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
