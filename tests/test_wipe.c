/*
 * Secure wipe (src/wipe.c, MP_POOL_WIPE): a backing allocator scans every
 * block it gets back for a secret the test stored in the pool.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <stdio.h>

static const char secret[] = "S3CRET-passw0rd-K3Y!";
#define SECRET_LEN (sizeof secret - 1)

typedef struct {
  test_alloc_t t; /* first: ta_alloc() takes ud as a test_alloc_t */
  size_t hits;    /* copies of the secret found in blocks given back */
  size_t frees;
} scan_alloc_t;

static size_t count_secret(const unsigned char *p, size_t n) {
  size_t hits = 0;
  for (size_t i = 0; i + SECRET_LEN <= n; i++)
    if (p[i] == (unsigned char)secret[0] &&
        memcmp(p + i, secret, SECRET_LEN) == 0)
      hits++;
  return hits;
}

static void scan_free(void *ud, void *p, size_t size) {
  scan_alloc_t *s = ud;
  s->hits += count_secret(p, size);
  s->frees++;
  ta_free(ud, p, size);
}

/* Fresh blocks are filled, so that what an earlier test left in recycled
 * heap memory is not taken for something the pool failed to wipe. */
static void *scan_alloc(void *ud, size_t size, size_t align) {
  void *p = ta_alloc(ud, size, align);
  if (p != NULL)
    memset(p, 0xa5, size);
  return p;
}

static void scan_init(scan_alloc_t *s) {
  memset(s, 0, sizeof *s);
  ta_init(&s->t);
  s->t.a.alloc = scan_alloc;
  s->t.a.free = scan_free;
  s->t.a.ud = s;
}

static mp_pool_t *pool_on(scan_alloc_t *s, size_t node, unsigned flags) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = node;
  o.large_threshold = 0;
  o.flags = (flags) | MP_POOL_EXACT_NODES;
  o.allocator = &s->t.a;
  return mp_create_pool_ex(&o);
}

/* Reading memory the pool may have made inaccessible, or objects whose
 * contents a memory tool calls undefined, is only done where no tool
 * tracks the pool. */
static int can_peek(void) {
  return (mpool_build_flags() & (MPOOL_BUILD_ASAN | MPOOL_BUILD_VALGRIND)) == 0;
}

#define SKIP_UNLESS_PEEK()                                                     \
  do {                                                                         \
    if (!can_peek()) {                                                         \
      print_message("skipped: memory tools track the pool's memory\n");        \
      skip();                                                                  \
    }                                                                          \
  } while (0)

/* Stores the secret every way the pool hands out memory. */
static void store_secrets(mp_pool_t *p, int large) {
  for (int i = 0; i < 60; i++) {
    char *a = mp_alloc(p, 100);
    assert_non_null(a);
    memcpy(a + 10, secret, SECRET_LEN);
    assert_non_null(mp_strdup(p, secret));
    assert_non_null(mp_printf(p, "[%s]", secret));
    char *n = mp_nalloc(p, SECRET_LEN + 3);
    assert_non_null(n);
    memcpy(n + 1, secret, SECRET_LEN);
  }
  if (large) {
    char *l = mp_alloc(p, 50000);
    assert_non_null(l);
    memcpy(l + 1000, secret, SECRET_LEN);
  }
}

/* Destroy gives back nodes and large blocks with no copy of the secret;
 * without the flag the scan finds it, so the scan works. */
static void destroy_wipes(void **state) {
  (void)state;
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND)
    skip(); /* blocks come back undefined: the scan would read them */
  /* Under Valgrind, the pools without the wipe give back bytes it calls
   * undefined (the padding of the pool struct): no scan of those. */
  int under_valgrind = getenv("MPOOL_TEST_UNDER_VALGRIND") != NULL;
  for (int wipe = under_valgrind; wipe < 2; wipe++) {
    for (unsigned extra = 0; extra < 3; extra++) {
      static const unsigned flags[] = {0, MP_POOL_SIZE_HEADERS,
                                       MP_POOL_ADAPTIVE};
      scan_alloc_t s;
      scan_init(&s);
      mp_pool_t *p =
          pool_on(&s, 4096, flags[extra] | (wipe ? MP_POOL_WIPE : 0));
      assert_non_null(p);
      store_secrets(p, 1);
      mp_destroy_pool(p);
      assert_int_equal(s.t.live_blocks, 0);
      assert_true(s.frees > 2);
      if (wipe)
        assert_int_equal(s.hits, 0);
      else
        assert_true(s.hits > 0);
    }
  }
}

/* A large block freed early comes back wiped, and one shrunk in place
 * loses its tail. */
static void large_free_wipes(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND)
    skip();
  scan_alloc_t s;
  scan_init(&s);
  mp_pool_t *p = pool_on(&s, 4096, MP_POOL_WIPE);
  assert_non_null(p);
  char *l = mp_alloc(p, 20000);
  assert_non_null(l);
  memcpy(l + 19000, secret, SECRET_LEN);
  memcpy(l, secret, SECRET_LEN);
  size_t frees = s.frees;
  assert_int_equal(mp_free(p, l), 0);
  assert_int_equal(s.frees, frees + 1);
  assert_int_equal(s.hits, 0);

  l = mp_alloc(p, 20000);
  assert_non_null(l);
  memcpy(l + 19000, secret, SECRET_LEN);
  char *q = mp_realloc(p, l, 20000, 18000); /* in place: the tail goes */
  assert_ptr_equal(q, l);
  if (can_peek())
    assert_int_equal(count_secret((unsigned char *)l + 18000, 2000), 0);
  /* Moved to a bigger block: the old one comes back wiped. */
  memcpy(q, secret, SECRET_LEN);
  frees = s.frees;
  char *r = mp_realloc(p, q, 18000, 200000);
  assert_non_null(r);
  assert_int_equal(memcmp(r, secret, SECRET_LEN), 0);
  assert_int_equal(s.frees, frees + 1);
  assert_int_equal(s.hits, 0);
  mp_destroy_pool(p);
  assert_int_equal(s.hits, 0);
}

/* After a reset, node memory holds no copy of the secret: the first
 * objects of the next cycle, at the same addresses, are read directly. */
static void reset_wipes(void **state) {
  (void)state;
  SKIP_UNLESS_PEEK();
  SKIP_IF_DEBUG_LAYOUT(); /* objects are blocks there, not in nodes */
  scan_alloc_t s;
  scan_init(&s);
  mp_pool_t *p = pool_on(&s, 4096, MP_POOL_WIPE);
  assert_non_null(p);
  unsigned char *first = mp_alloc(p, 16);
  assert_non_null(first);
  mp_reset_pool(p);
  store_secrets(p, 1);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  size_t nodes = st.nodes;
  assert_true(nodes > 2);
  mp_reset_pool(p);
  /* The nodes are kept: take all their space back and look at it. */
  size_t seen = 0;
  for (;;) {
    unsigned char *o = mp_alloc(p, 900);
    assert_non_null(o);
    assert_int_equal(count_secret(o, 900), 0);
    seen += 900;
    assert_int_equal(mp_stats(p, &st, 0), 0);
    if (st.nodes > nodes)
      break;
  }
  assert_true(seen >= (nodes - 1) * 3000);
  size_t hits = s.hits;
  mp_destroy_pool(p);
  assert_int_equal(hits, 0);
}

/* In every build (memory tools included): the reset wipes what the next
 * cycle's objects, at the same addresses, would see. */
static void reset_then_reuse_reads_zero(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND)
    skip(); /* new objects are undefined to Valgrind */
  mp_pool_t *p = flag_pool(MP_POOL_WIPE);
  char *a = mp_alloc(p, 256);
  assert_non_null(a);
  memset(a, 0x5a, 256);
  memcpy(a, secret, SECRET_LEN);
  mp_reset_pool(p);
  unsigned char *b = mp_alloc(p, 256);
  assert_ptr_equal(b, a);
  for (int i = 0; i < 256; i++)
    assert_int_equal(b[i], 0);
  mp_destroy_pool(p);
}

/* Freed objects are zero when handed out again: from the bump pointer an
 * object ending there goes back to, and from the free lists. */
static void wipe_with_reuse(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND)
    skip();
  mp_pool_t *p = NULL;
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 4096;
  o.large_threshold = 0;
  o.flags = (MP_POOL_WIPE) | MP_POOL_EXACT_NODES;
  p = mp_create_pool_ex(&o);
  assert_non_null(p);
  unsigned char *a = mp_alloc(p, 64);
  assert_non_null(a);
  memset(a, 0x77, 64);
  assert_int_equal(mp_free_sized(p, a, 64), 0);
  unsigned char *b = mp_alloc(p, 64);
  assert_ptr_equal(b, a);
  for (int i = 0; i < 64; i++)
    assert_int_equal(b[i], 0);

  /* A freed object between live ones goes to a free list. */
  unsigned char *x = mp_alloc(p, 96);
  assert_non_null(x);
  memset(x, 0x66, 96);
  assert_non_null(mp_alloc(p, 32)); /* keeps x off the bump pointer */
  assert_int_equal(mp_free_sized(p, x, 96), 0);
  int found = 0;
  for (int i = 0; i < 200 && !found; i++) {
    unsigned char *y = mp_alloc(p, 96);
    assert_non_null(y);
    if (y == x) {
      found = 1;
      for (int k = 0; k < 96; k++)
        assert_int_equal(y[k], 0);
    } else {
      memset(y, 0x11, 96);
    }
  }
  assert_true(found);
  mp_destroy_pool(p);
}

/* A realloc that moves a small object wipes the old copy; one that shrinks
 * in place wipes the tail. */
static void realloc_wipes(void **state) {
  (void)state;
  SKIP_UNLESS_PEEK();
  mp_pool_t *p = flag_pool(MP_POOL_WIPE);
  unsigned char *a = mp_alloc(p, 200);
  assert_non_null(a);
  assert_non_null(mp_alloc(p, 16)); /* a cannot grow in place */
  memcpy(a + 150, secret, SECRET_LEN);
  unsigned char *b = mp_realloc(p, a, 200, 100);
  assert_ptr_equal(b, a);
  assert_int_equal(count_secret(a, 200), 0); /* the tail */
  memcpy(b, secret, SECRET_LEN);
  unsigned char *c = mp_realloc(p, b, 100, 1000);
  assert_non_null(c);
  assert_ptr_not_equal(c, b);
  assert_int_equal(memcmp(c, secret, SECRET_LEN), 0);
  assert_int_equal(count_secret(b, 100), 0); /* the old copy */
  mp_destroy_pool(p);
}

/* mp_printf() formats in the free space: no copy is left below the
 * string it returns. */
static void printf_leaves_no_copy(void **state) {
  (void)state;
  SKIP_UNLESS_PEEK();
  SKIP_UNLESS_EXACT_LAYOUT(); /* red zones: the string stays where it was
                                 formatted, and no copy is made */
  for (int wipe = 0; wipe < 2; wipe++) {
    mp_pool_t *p = flag_pool(wipe ? MP_POOL_WIPE : 0);
    char *s = mp_printf(p, "key=%s;%s", secret, secret);
    assert_non_null(s);
    unsigned char *below = mp_alloc(p, 16); /* where formatting began */
    assert_non_null(below);
    assert_true((char *)below < s);
    size_t hits = count_secret(below, (size_t)(s - (char *)below));
    if (wipe)
      assert_int_equal(hits, 0);
    else
      assert_true(hits > 0);
    mp_destroy_pool(p);
  }
}

/* A rewind wipes what came after the mark, large blocks included. */
static void rewind_wipes(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND)
    skip();
  scan_alloc_t s;
  scan_init(&s);
  mp_pool_t *p = pool_on(&s, 4096, MP_POOL_WIPE);
  assert_non_null(p);
  mp_mark_t *m = mp_mark(p);
  assert_non_null(m);
  unsigned char *first = mp_alloc(p, 64);
  assert_non_null(first);
  store_secrets(p, 1);
  memcpy(first, secret, SECRET_LEN);
  assert_int_equal(mp_rewind(p, m), 0);
  assert_int_equal(s.hits, 0); /* the large block came back wiped */
  unsigned char *again = mp_alloc(p, 64);
  assert_ptr_equal(again, first);
  for (int i = 0; i < 64; i++)
    assert_int_equal(again[i], 0);
  mp_destroy_pool(p);
  assert_int_equal(s.hits, 0);
}

/* Blocks of a wiping pool go back to the block cache wiped: the next pool
 * to take them finds no secret. */
static void cache_gets_wiped_blocks(void **state) {
  (void)state;
  SKIP_UNLESS_PEEK();
  mpool_cache_flush();
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 8192;
  o.large_threshold = 0;
  o.flags = (MP_POOL_WIPE) | MP_POOL_EXACT_NODES;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  for (int i = 0; i < 8000 / 64; i++) {
    char *a = mp_alloc(p, 64);
    assert_non_null(a);
    memcpy(a, secret, SECRET_LEN);
  }
  mp_destroy_pool(p);
  o.flags = 0;
  for (int k = 0; k < 2; k++) {
    p = mp_create_pool_ex(&o);
    assert_non_null(p);
    for (int i = 0; i < 4; i++) {
      unsigned char *a = mp_alloc(p, 1500);
      assert_non_null(a);
      assert_int_equal(count_secret(a, 1500), 0);
    }
    mp_destroy_pool(p);
  }
}

/* An object put back in an object pool is wiped, and comes back zeroed,
 * on a shared pool too. */
static void objpool_wipes(void **state) {
  (void)state;
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND)
    skip();
  for (int shared = 0; shared < 2; shared++) {
    mp_pool_t *p = flag_pool(MP_POOL_WIPE | (shared ? MP_POOL_SHARED : 0));
    mp_objpool_t *op = mp_objpool_create(p, 48, 0);
    assert_non_null(op);
    unsigned char *a = mp_objpool_get(op);
    assert_non_null(a);
    memcpy(a, secret, SECRET_LEN);
    assert_int_equal(mp_objpool_put(op, a), 0);
    if (can_peek())
      assert_int_equal(count_secret(a, 48), 0);
    unsigned char *b = mp_objpool_get(op);
    assert_ptr_equal(b, a);
    for (int i = 0; i < 48; i++)
      assert_int_equal(b[i], 0);
    mp_destroy_pool(p);
  }
}

/* Adaptive and wiping together: nodes given back at a resizing reset hold
 * no secret. */
static void adaptive_resize_gives_back_wiped_nodes(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND)
    skip();
  scan_alloc_t s;
  scan_init(&s);
  mp_pool_t *p = pool_on(&s, 1024, MP_POOL_WIPE | MP_POOL_ADAPTIVE);
  assert_non_null(p);
  store_secrets(p, 1);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_true(st.nodes > 2);
  size_t frees = s.frees;
  mp_reset_pool(p);
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_true(st.node_size > 1024);
  assert_int_equal(st.nodes, 1);
  assert_true(s.frees > frees + 2); /* the old nodes came back */
  assert_int_equal(s.hits, 0);
  mp_destroy_pool(p);
  assert_int_equal(s.hits, 0);
  assert_int_equal(s.t.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(destroy_wipes),
      cmocka_unit_test(large_free_wipes),
      cmocka_unit_test(reset_wipes),
      cmocka_unit_test(reset_then_reuse_reads_zero),
      cmocka_unit_test(wipe_with_reuse),
      cmocka_unit_test(realloc_wipes),
      cmocka_unit_test(printf_leaves_no_copy),
      cmocka_unit_test(rewind_wipes),
      cmocka_unit_test(cache_gets_wiped_blocks),
      cmocka_unit_test(objpool_wipes),
      cmocka_unit_test(adaptive_resize_gives_back_wiped_nodes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
