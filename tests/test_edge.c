/*
 * Bad inputs: one test per row of docs/bad-inputs.md that no other test
 * covers (the comment above each check names its row), plus regression
 * tests for bugs found by fuzzing.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_fork.h"
#include "test_util.h"

#include <limits.h>
#include <wchar.h>

#define FAILS(expr, err)                                                       \
  do {                                                                         \
    errno = 0;                                                                 \
    assert_null(expr);                                                         \
    assert_int_equal(errno, err);                                              \
  } while (0)
#define FAILS_INT(expr, err)                                                   \
  do {                                                                         \
    errno = 0;                                                                 \
    assert_int_equal((expr), -1);                                              \
    assert_int_equal(errno, err);                                              \
  } while (0)

/* Regression (found by fuzz/fuzz_ops.c): mp_memalign() in a pool with size
 * headers, with an alignment above the pool's whose object plus header
 * plus alignment did not fit in a node, took new nodes forever instead of
 * using a large block. */
static void hdr_memalign_near_node_size(void **state) {
  (void)state;
  static const size_t nodes[] = {1024, 2048, 4096};
  for (size_t ni = 0; ni < 3; ni++) {
    mp_options_t o;
    mp_options_init(&o);
    o.node_size = nodes[ni];
    o.flags = (MP_POOL_SIZE_HEADERS) | MP_POOL_EXACT_NODES;
    mp_pool_t *p = mp_create_pool_ex(&o);
    assert_non_null(p);
    for (size_t a = 16; a <= nodes[ni]; a *= 2) {
      for (size_t n = 1; n <= nodes[ni]; n = n * 2 + 15) {
        unsigned char *q = mp_memalign(p, n, a);
        assert_non_null(q);
        assert_true(is_aligned(q, a));
        memset(q, 0x77, n);
        assert_int_equal(mp_free(p, q), 0);
      }
    }
    mp_destroy_pool(p);
  }
}

/* Regression (found by tests/test_oom_reuse.c): a node that became
 * entirely free and went back to the block source stayed counted in
 * mp_stats().bytes_reserved. */
static void released_node_not_reserved(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t *t = malloc(sizeof *t);
  ta_init(t);
  mp_pool_t *p = ta_pool(t, 1024);
  assert_non_null(p);
  void *objs[64];
  for (int i = 0; i < 64; i++)
    objs[i] = (mp_alloc)(p, 100); /* several nodes' worth */
  for (int i = 0; i < 63; i++)    /* all but the newest: nodes empty out */
    assert_int_equal(mp_free_sized(p, objs[i], 100), 0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_reserved, t->live_bytes);
  mp_destroy_pool(p);
  assert_int_equal(t->live_bytes, 0);
  free(t);
}

static void cleanup_fn(void *d) { (void)d; }

/* Rows "NULL pool": every call taking a pool. */
static void null_pool(void **state) {
  (void)state;
  char c = 'x';
  mp_stats_t st = {.size = sizeof st};
  FAILS((mp_alloc)(NULL, 1), EINVAL);
  mp_pool_t *volatile none = NULL;
  FAILS(mp_alloc(none, 1), EINVAL); /* the inline fast path too */
  FAILS(mp_nalloc(NULL, 1), EINVAL);
  FAILS(mp_calloc(NULL, 1), EINVAL);
  FAILS(mp_calloc_array(NULL, 1, 1), EINVAL);
  FAILS(mp_memalign(NULL, 1, 16), EINVAL);
  FAILS_INT(mp_free(NULL, &c), EINVAL);
  FAILS_INT(mp_free_sized(NULL, &c, 1), EINVAL);
  FAILS(mp_realloc(NULL, &c, 1, 2), EINVAL);
  FAILS(mp_realloc_unsized(NULL, &c, 2), EINVAL);
  FAILS(mp_allocf(NULL, NULL, 0, 5), EINVAL);
  FAILS(mp_objpool_create(NULL, 8, 0), EINVAL);
  FAILS(mp_objpool_get(NULL), EINVAL);
  FAILS_INT(mp_objpool_put(NULL, &c), EINVAL);
  FAILS(mp_cleanup_add(NULL, cleanup_fn, NULL), EINVAL);
  FAILS_INT(mp_cleanup_remove(NULL, (mp_cleanup_t *)(void *)&c), EINVAL);
  FAILS_INT(mp_cleanup_run(NULL, (mp_cleanup_t *)(void *)&c), EINVAL);
  FAILS(mp_create_child(NULL, 0), EINVAL);
  assert_null(mp_pool_parent(NULL));
  FAILS(mp_strdup(NULL, "a"), EINVAL);
  FAILS(mp_strndup(NULL, "a", 1), EINVAL);
  FAILS(mp_memdup(NULL, "a", 1), EINVAL);
  FAILS(mp_printf(NULL, "a"), EINVAL);
  FAILS(vprintf_of(NULL, "a"), EINVAL);
  FAILS(mp_strcat(NULL, "a", (char *)NULL), EINVAL);
  FAILS(mp_join(NULL, NULL, 0, NULL), EINVAL);
  FAILS_INT(mp_stats(NULL, &st, 0), EINVAL);
  FAILS_INT(mp_report(NULL, stdout), EINVAL);
  /* Ignored: */
  mp_options_init(NULL);
  mp_destroy_pool(NULL);
  mp_destory_pool(NULL);
  mp_reset_pool(NULL);
}

/* Rows "size 0", "SIZE_MAX", "overflowing sizes" of the allocation calls. */
static void sizes(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  /* size 0: a unique minimal object. */
  void *a = (mp_alloc)(p, 0), *b = (mp_alloc)(p, 0);
  assert_non_null(a);
  assert_ptr_not_equal(a, b);
  assert_non_null(mp_nalloc(p, 0));
  assert_non_null(mp_calloc(p, 0));
  assert_non_null(mp_calloc_array(p, 0, 0));
  volatile size_t vmax = SIZE_MAX;
  assert_non_null(mp_calloc_array(p, 0, vmax));
  assert_non_null(mp_calloc_array(p, vmax, 0));
  assert_non_null(mp_memalign(p, 0, 64));
  assert_non_null(mp_memdup(p, NULL, 0));
  assert_string_equal(mp_strndup(p, "abc", 0), "");
  mp_objpool_t *op0 = mp_objpool_create(p, 0, 0); /* pointer-sized objects */
  assert_non_null(op0);
  assert_non_null(mp_objpool_get(op0));
  /* SIZE_MAX and anything above MP_MAX_ALLOC_SIZE: EOVERFLOW. */
  volatile size_t big = SIZE_MAX, over = MP_MAX_ALLOC_SIZE + 1;
  FAILS((mp_alloc)(p, big), EOVERFLOW);
  FAILS((mp_alloc)(p, over), EOVERFLOW);
  FAILS(mp_alloc(p, big), EOVERFLOW); /* the inline fast path too */
  assert_non_null(mp_alloc(p, 0));
  FAILS(mp_nalloc(p, big), EOVERFLOW);
  FAILS(mp_calloc(p, big), EOVERFLOW);
  FAILS(mp_memalign(p, big, 64), EOVERFLOW);
  FAILS(mp_calloc_array(p, big, 2), EOVERFLOW);          /* n * size wraps */
  FAILS(mp_calloc_array(p, over / 2 + 1, 2), EOVERFLOW); /* > max */
  FAILS(mp_memdup(p, "a", big), EOVERFLOW);
  FAILS(mp_objpool_create(p, big, 0), EOVERFLOW);
  /* MP_MAX_ALLOC_SIZE itself is a valid size the system cannot give. */
  FAILS((mp_alloc)(p, MP_MAX_ALLOC_SIZE), ENOMEM);
  /* mp_strndup's n bounds the read only: SIZE_MAX is fine. */
  assert_string_equal(mp_strndup(p, "abc", big), "abc");
  /* An objpool whose objects cannot be had fails at get. */
  mp_objpool_t *op = mp_objpool_create(p, MP_MAX_ALLOC_SIZE, 0);
  assert_non_null(op);
  FAILS(mp_objpool_get(op), ENOMEM);
  mp_destroy_pool(p);
}

/* Rows "size 0", "SIZE_MAX" of mp_realloc, mp_realloc_unsized, mp_allocf,
 * mp_free_sized. */
static void resize_sizes(void **state) {
  (void)state;
  if (mpool_build_flags() & MPOOL_BUILD_DEBUG) { /* checks every size */
    print_message("skipped: a debug build aborts on a wrong size\n");
    skip();
  }
  mp_pool_t *p = mp_create_pool(0);
  volatile size_t big = SIZE_MAX;
  void *x = mp_alloc(p, 8), *l = mp_alloc(p, 100000);
  assert_non_null(mp_realloc(p, NULL, 0, 0)); /* NULL p: as mp_alloc */
  assert_non_null(mp_realloc(p, NULL, 0, 16));
  FAILS(mp_realloc(p, x, 8, big), EOVERFLOW);
  FAILS(mp_realloc(p, x, big, 16), EINVAL); /* no small object that big */
  x = mp_realloc(p, x, 8, 0);
  assert_non_null(x); /* shrinks to a minimal object */
  assert_non_null(mp_realloc_unsized(p, NULL, 8));
  FAILS(mp_realloc_unsized(p, l, big), EOVERFLOW);
  l = mp_realloc_unsized(p, l, 0);
  assert_non_null(l);
  FAILS(mp_allocf(p, NULL, 0, big), EOVERFLOW);
  errno = 0;
  assert_null(mp_allocf(p, NULL, 0, 0)); /* free of NULL: nothing */
  assert_int_equal(errno, 0);
  void *y = mp_alloc(p, 8);
  if (!bad_frees_abort()) { /* hardened: test_hardened */
    FAILS_INT(mp_free_sized(p, y, big), EINVAL);
    FAILS_INT(mp_free_sized(p, y, 100000), EINVAL);
  }
  assert_int_equal(mp_free_sized(p, y, 8), 0);
  assert_int_equal(mp_free_sized(p, NULL, 8), 0);
  assert_int_equal(mp_free(p, NULL), 0);
  assert_int_equal(mp_objpool_put(mp_objpool_create(p, 8, 0), NULL), 0);
  mp_destroy_pool(p);
}

/* Rows "alignment 0/3/non-power-of-two/huge" of mp_memalign,
 * mp_objpool_create and mp_options_t.alignment. */
static void alignments(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  volatile size_t zero = 0, three = 3, four = 4, odd = 24,
                  huge = MP_MAX_NODE_SIZE * 2;
  FAILS(mp_memalign(p, 1, zero), EINVAL);
  FAILS(mp_memalign(p, 1, three), EINVAL);
  FAILS(mp_memalign(p, 1, four), EINVAL); /* below sizeof(void *) */
  FAILS(mp_memalign(p, 1, odd), EINVAL);
  FAILS(mp_memalign(p, 1, huge), EINVAL);
  volatile size_t top = (size_t)1 << (sizeof(size_t) * CHAR_BIT - 1);
  FAILS(mp_memalign(p, 1, top), EINVAL);
  void *q =
      mp_memalign(p, 1, MP_MAX_NODE_SIZE); /* the largest: a large block */
  assert_non_null(q);
  assert_true(is_aligned(q, MP_MAX_NODE_SIZE));
  assert_int_equal(mp_free(p, q), 0);
  assert_non_null(mp_objpool_create(p, 8, 0)); /* 0: the pool's alignment */
  FAILS(mp_objpool_create(p, 8, 3), EINVAL);
  FAILS(mp_objpool_create(p, 8, 4), EINVAL);
  FAILS(mp_objpool_create(p, 8, 24), EINVAL);
  FAILS(mp_objpool_create(p, 8, huge), EINVAL);
  mp_destroy_pool(p);

  mp_options_t o;
  mp_options_init(&o);
  o.alignment = 3;
  FAILS(mp_create_pool_ex(&o), EINVAL);
  o.alignment = 24;
  FAILS(mp_create_pool_ex(&o), EINVAL);
  o.alignment = MP_DEFAULT_NODE_SIZE / 4; /* above node_size / 8 */
  FAILS(mp_create_pool_ex(&o), EINVAL);
  o.alignment = 1; /* raised to 16 */
  p = mp_create_pool_ex(&o);
  assert_non_null(p);
  assert_true(is_aligned((mp_alloc)(p, 1), 16));
  mp_destroy_pool(p);
}

/* Rows of mp_create_pool, mp_create_pool_ex, mp_create_child: sizes and
 * options out of range. */
static void create_options(void **state) {
  (void)state;
  FAILS(mp_create_pool(SIZE_MAX), EINVAL);
  FAILS(mp_create_pool(MP_MAX_NODE_SIZE + 1), EINVAL);
  mp_pool_t *p = mp_create_pool(1); /* raised to MP_DEFAULT_NODE_SIZE */
  assert_non_null(p);
  FAILS(mp_create_child(p, SIZE_MAX), EINVAL);
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 1;
  o.flags = MP_POOL_EXACT_NODES;
  mp_pool_t *tiny = mp_create_pool_ex(&o);
  assert_non_null(tiny);
  mp_stats_t ts;
  ts.size = sizeof ts;
  assert_int_equal(mp_stats(tiny, &ts, 0), 0);
  assert_int_equal(ts.node_size, MP_MIN_NODE_SIZE);
  mp_destroy_pool(tiny);
  mp_options_init(&o);
  o.flags = 0x100;
  FAILS(mp_create_pool_ex(&o), EINVAL);
  o.flags = 0;
  o.node_size = SIZE_MAX;
  FAILS(mp_create_pool_ex(&o), EINVAL);
  o.node_size = 0;
  mp_allocator_t none = {0};
  o.allocator = &none;
  FAILS(mp_create_pool_ex(&o), EINVAL);
  o.parent = p;
  test_alloc_t *t = malloc(sizeof *t);
  ta_init(t);
  o.allocator = &t->a; /* not the parent's */
  FAILS(mp_create_pool_ex(&o), EINVAL);
  o.allocator = NULL;
  o.parent = NULL;
  o.large_threshold = SIZE_MAX; /* lowered to what fits in a node */
  mp_pool_t *q = mp_create_pool_ex(&o);
  assert_non_null(q);
  mp_destroy_pool(q);
  q = mp_create_pool_ex(NULL);
  assert_non_null(q);
  mp_destroy_pool(q);
  mp_destroy_pool(p);
  assert_int_equal(t->live_bytes, 0);
  free(t);
}

/* Rows "foreign pointer" and "double free" (release behaviour). */
static void foreign_and_double(void **state) {
  (void)state;
  SKIP_IF_HARDENED();
  mp_pool_t *p = mp_create_pool(0), *q = mp_create_pool(0);
  char stack[32];
  void *x = mp_alloc(p, 8), *l = mp_alloc(p, 100000);
  FAILS_INT(mp_free(p, stack), EINVAL);
  FAILS_INT(mp_free(q, x), EINVAL);
  FAILS_INT(mp_free(q, l), EINVAL);
  FAILS_INT(mp_free(p, (char *)l + 16), EINVAL); /* inside a large block */
  FAILS_INT(mp_free_sized(p, stack, 8), EINVAL);
  FAILS_INT(mp_free_sized(q, x, 8), EINVAL);
  FAILS_INT(mp_free_sized(q, l, 100000), EINVAL);
  FAILS(mp_realloc(p, stack, 8, 16), EINVAL);
  FAILS(mp_realloc(q, x, 8, 16), EINVAL);
  FAILS(mp_realloc_unsized(p, stack, 16), EINVAL);
  FAILS(mp_realloc_unsized(q, l, 16), EINVAL);
  FAILS(mp_realloc_unsized(p, x, 16), EINVAL); /* small, no headers */
  FAILS(mp_allocf(q, x, 8, 0), EINVAL);
  FAILS(mp_allocf(q, x, 8, 16), EINVAL);
  /* Double free of a large block in a release build: the block is gone
   * from the pool, so the second call sees a foreign pointer. */
  assert_int_equal(mp_free(p, l), 0);
  FAILS_INT(mp_free(p, l), EINVAL);
  l = mp_alloc(p, 100000);
  assert_int_equal(mp_free_sized(p, l, 100000), 0);
  FAILS_INT(mp_free_sized(p, l, 100000), EINVAL);
  /* mp_free() of a small object without headers does nothing, so twice
   * is harmless. */
  assert_int_equal(mp_free(p, x), 0);
  assert_int_equal(mp_free(p, x), 0);
  mp_destroy_pool(q);
  mp_destroy_pool(p);
}

/* Rows of the cleanup, string, statistics and report calls. */
static void other_calls(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0), *q = mp_create_pool(0);
  FAILS(mp_cleanup_add(p, NULL, NULL), EINVAL);
  mp_cleanup_t *c = mp_cleanup_add(p, cleanup_fn, NULL);
  assert_non_null(c);
  FAILS_INT(mp_cleanup_remove(p, NULL), EINVAL);
  FAILS_INT(mp_cleanup_run(p, NULL), EINVAL);
  FAILS_INT(mp_cleanup_remove(q, c), EINVAL); /* another pool's */
  FAILS_INT(mp_cleanup_run(q, c), EINVAL);
  assert_int_equal(mp_cleanup_remove(p, c), 0);
  FAILS_INT(mp_cleanup_remove(p, c), EINVAL); /* twice: seen */
  FAILS_INT(mp_cleanup_run(p, c), EINVAL);
  FAILS(mp_strdup(p, NULL), EINVAL);
  FAILS(mp_strndup(p, NULL, 0), EINVAL);
  FAILS(mp_memdup(p, NULL, 1), EINVAL);
  FAILS(mp_join(p, NULL, 1, ","), EINVAL);
  const char *parts[] = {"a", NULL};
  FAILS(mp_join(p, parts, 2, ","), EINVAL);
  assert_string_equal(mp_join(p, NULL, 0, NULL), "");
  assert_string_equal(mp_join(p, parts, 1, NULL), "a");
  assert_string_equal(mp_strcat(p, (char *)NULL), "");
  assert_string_equal(mp_strdup(p, ""), "");
  char *(*volatile pf)(mp_pool_t *, const char *, ...) = mp_printf;
  FAILS(pf(p, NULL), EINVAL);
  FAILS(vprintf_of(p, NULL), EINVAL);
  FAILS(mp_printf(p, "%ls", L"\xdc80"), EILSEQ); /* vsnprintf's errno */
  mp_stats_t st = {.size = sizeof st};
  FAILS_INT(mp_stats(p, NULL, 0), EINVAL);
  FAILS_INT(mp_stats(p, &st, 2), EINVAL);
  st.size = MP_STATS_MIN_SIZE - 1;
  FAILS_INT(mp_stats(p, &st, 0), EINVAL);
  st.size = MP_STATS_MIN_SIZE;
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.size, MP_STATS_MIN_SIZE);
  FAILS_INT(mp_report(p, NULL), EINVAL);
  assert_int_equal(mpool_version(), MPOOL_VERSION);
  mpool_cache_flush();
  mp_destroy_pool(q);
  mp_destroy_pool(p);
}

/* Row "a destroyed pool, a child after its parent's reset": undefined,
 * and AddressSanitizer builds, which poison released pool memory, report
 * it (other builds cannot check it without reading freed memory). */
static void reset_destroyed(void *arg) {
  mp_pool_t *p = arg;
  mp_destroy_pool(p);
  mp_reset_pool(p);
}

static void destroy_orphan(void *arg) {
  mp_pool_t *p = arg;
  mp_pool_t *c = mp_create_child(p, 0);
  mp_reset_pool(p);
  mp_destroy_pool(c);
}

static void stale_pool_reported(void **state) {
  (void)state;
  if (!(mpool_build_flags() & MPOOL_BUILD_ASAN)) {
    print_message("skipped: only AddressSanitizer builds see it\n");
    skip();
  }
  void (*const bugs[])(void *) = {reset_destroyed, destroy_orphan};
  for (size_t i = 0; i < sizeof bugs / sizeof bugs[0]; i++) {
    mp_pool_t *p = mp_create_pool(0);
    assert_non_null(p);
    child_result_t r;
    assert_int_equal(run_child(bugs[i], p, &r), 0);
    assert_true(child_failed(&r));
    assert_non_null(strstr(r.err, "AddressSanitizer: use-after-poison"));
    mp_destroy_pool(p); /* the parent's copy was never touched */
  }
}

/* Row "an object put twice": the object pool hands it out twice. */
static void objpool_double_put(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_objpool_t *op = mp_objpool_create(p, 32, 0);
  assert_non_null(op);
  void *a = mp_objpool_get(op);
  assert_non_null(a);
  assert_int_equal(mp_objpool_put(op, a), 0);
  assert_int_equal(mp_objpool_put(op, a), 0);
  assert_ptr_equal(mp_objpool_get(op), a);
  assert_ptr_equal(mp_objpool_get(op), a);
  mp_destroy_pool(p);
}

static int first_ran, second_ran;
static void first_fn(void *d) {
  (void)d;
  first_ran++;
}
static void second_fn(void *d) {
  (void)d;
  second_ran++;
}

/* Row "a handle whose record a later mp_cleanup_add reused": the old
 * handle is the new cleanup's. */
static void cleanup_record_reused(void **state) {
  (void)state;
  first_ran = second_ran = 0;
  mp_pool_t *p = mp_create_pool(0);
  mp_cleanup_t *c1 = mp_cleanup_add(p, first_fn, NULL);
  assert_non_null(c1);
  assert_int_equal(mp_cleanup_remove(p, c1), 0);
  mp_cleanup_t *c2 = mp_cleanup_add(p, second_fn, NULL);
  assert_ptr_equal(c2, c1);                   /* the record is reused */
  assert_int_equal(mp_cleanup_run(p, c1), 0); /* runs the new one */
  assert_int_equal(first_ran, 0);
  assert_int_equal(second_ran, 1);
  mp_destroy_pool(p);
  assert_int_equal(second_ran, 1); /* ran once */
}

/* Row "result longer than INT_MAX": a width past INT_MAX, which
 * vsnprintf() refuses at once (counting 2 GiB of output would take
 * seconds). */
static void printf_too_long(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  const char *volatile fmt = "%2147483648d"; /* not checked at compile time */
  char *(*volatile pf)(mp_pool_t *, const char *, ...) = mp_printf;
  FAILS(pf(p, fmt, 1), EOVERFLOW);
  assert_string_equal(mp_printf(p, "%d", 7), "7"); /* still usable */
  mp_destroy_pool(p);
}

/* Row "st->size larger than the library's struct": the library fills its
 * fields, zeroes the rest up to st->size, and says how much it filled. */
static void stats_size_larger(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  union {
    mp_stats_t st;
    unsigned char bytes[sizeof(mp_stats_t) + 64];
  } u;
  memset(&u, 0xff, sizeof u);
  u.st.size = sizeof u;
  assert_int_equal(mp_stats(p, &u.st, 0), 0);
  assert_int_equal(u.st.size, sizeof(mp_stats_t));
  for (size_t i = sizeof(mp_stats_t); i < sizeof u; i++)
    assert_int_equal(u.bytes[i], 0);
  assert_true(u.st.nodes >= 1);
  mp_destroy_pool(p);
}

/* Rows of mp_check, mp_pool_handoff, mp_set_site, mpool_build_flags and
 * the block cache calls. */
static void debug_and_library_calls(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0), *q = mp_create_pool(0);
  char local = 0;
  char *x = mp_alloc(q, 8);
  char *l = mp_alloc(p, 100000);
  FAILS_INT(mp_check(NULL, &local), EINVAL);
  assert_int_equal(mp_check(p, NULL), MP_PTR_UNKNOWN);
  assert_int_equal(mp_check(p, &local), MP_PTR_UNKNOWN);
  assert_int_equal(mp_check(p, x), MP_PTR_UNKNOWN); /* another pool's */
  mp_pool_t *c = mp_create_child(p, 0);
  char *y = mp_alloc(c, 8);
  assert_non_null(y);
  assert_int_equal(mp_check(p, y), MP_PTR_UNKNOWN); /* a child's */
  assert_int_equal(mp_check(c, y), MP_PTR_LIVE);
  assert_int_equal(mp_check(p, l + 50000), MP_PTR_LIVE);
  assert_int_equal(mp_free(p, l), 0);
  /* A freed large block: stale while a debug build keeps it in its
   * quarantine, unknown elsewhere. */
  assert_int_equal(mp_check(p, l), (mpool_build_flags() & MPOOL_BUILD_DEBUG)
                                       ? MP_PTR_STALE
                                       : MP_PTR_UNKNOWN);
  FAILS_INT(mp_pool_handoff(NULL), EINVAL);
  assert_int_equal(mp_pool_handoff(p), 0);
  assert_non_null(mp_alloc(p, 8)); /* the next caller owns it */
  mp_set_site(NULL, -1);           /* clears the site; never an error */
  mp_set_site("edge.c", INT_MAX);
  assert_non_null(mp_alloc(p, 8));
  unsigned known = MPOOL_BUILD_HARDENED | MPOOL_BUILD_VALGRIND |
                   MPOOL_BUILD_ASAN | MPOOL_BUILD_DEBUG |
                   MPOOL_BUILD_NO_HUGE_PAGES;
  assert_int_equal(mpool_build_flags() & ~known, 0);
  mpool_cache_stats_t cs;
  FAILS_INT(mpool_cache_stats(NULL), EINVAL);
  cs.size = MPOOL_CACHE_STATS_MIN_SIZE - 1;
  FAILS_INT(mpool_cache_stats(&cs), EINVAL);
  cs.size = MPOOL_CACHE_STATS_MIN_SIZE;
  assert_int_equal(mpool_cache_stats(&cs), 0);
  assert_int_equal(cs.size, MPOOL_CACHE_STATS_MIN_SIZE);
  /* Every bound is valid: 0 turns the cache off, SIZE_MAX unbounds it. */
  assert_int_equal(mpool_cache_set_limit(0), 0);
  cs.size = sizeof cs;
  assert_int_equal(mpool_cache_stats(&cs), 0);
  assert_int_equal(cs.back_limit, 0);
  assert_int_equal(cs.back_bytes, 0);
  assert_int_equal(mpool_cache_set_limit(SIZE_MAX), 0);
  assert_int_equal(mpool_cache_stats(&cs), 0);
  assert_int_equal(cs.back_limit, SIZE_MAX);
  assert_int_equal(mpool_cache_set_limit((size_t)64 << 20), 0); /* default */
  /* Every retention is valid: 0 bytes or 0 ms gives pages back at once;
   * the extremes are kept as given. */
  assert_int_equal(mpool_cache_set_retain(0, 0), 0);
  assert_int_equal(mpool_cache_stats(&cs), 0);
  assert_int_equal(cs.retained_bytes, 0);
  assert_int_equal(cs.retain_limit, 0);
  assert_int_equal(cs.decay_ms, 0);
  assert_int_equal(mpool_cache_set_retain(SIZE_MAX, UINT_MAX), 0);
  assert_int_equal(mpool_cache_stats(&cs), 0);
  assert_int_equal(cs.retain_limit, SIZE_MAX);
  assert_int_equal(cs.decay_ms, UINT_MAX);
  mpool_cache_collect(); /* nothing has waited that long: a no-op */
  assert_int_equal(mpool_cache_set_retain((size_t)1 << 30, 1000), 0);
  mp_destroy_pool(q);
  mp_destroy_pool(p);
}

/* Row "mp_allocf nsize 0": errno stays as it was, even when the free
 * found no memory for the ownership index it builds (and walked the
 * lists instead). */
static void allocf_free_keeps_errno(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  assert_non_null(p);
  void *b[24];
  for (int i = 0; i < 24; i++) /* more blocks than the inline index holds */
    assert_non_null(b[i] = mp_alloc(p, 3000));
  t.fail_all = 1; /* no memory for the index's table */
  for (int i = 0; i < 24; i++) {
    errno = EDOM;
    assert_null(mp_allocf(p, b[i], 3000, 0));
    assert_int_equal(errno, EDOM);
  }
  t.fail_all = 0;
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hdr_memalign_near_node_size),
      cmocka_unit_test(released_node_not_reserved),
      cmocka_unit_test(null_pool),
      cmocka_unit_test(sizes),
      cmocka_unit_test(resize_sizes),
      cmocka_unit_test(alignments),
      cmocka_unit_test(create_options),
      cmocka_unit_test(foreign_and_double),
      cmocka_unit_test(other_calls),
      cmocka_unit_test(stale_pool_reported),
      cmocka_unit_test(objpool_double_put),
      cmocka_unit_test(cleanup_record_reused),
      cmocka_unit_test(printf_too_long),
      cmocka_unit_test(stats_size_larger),
      cmocka_unit_test(debug_and_library_calls),
      cmocka_unit_test(allocf_free_keeps_errno),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
