/*
 * Hardened builds (MPOOL_HARDENED): each deliberate bug must abort the
 * process with SIGABRT and one line on stderr naming the mpool function
 * and the pointer.  The bugs run in forked children; the pools are set up
 * before the fork, so the parent knows the addresses the line must name.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_fork.h"
#include "test_util.h"

#include <stdarg.h>
#include <stdio.h>

struct bug {
  mp_pool_t *pool;
  unsigned char *p;
  unsigned char *q;
};

/* Runs fn in a child and expects SIGABRT with `line` as its stderr. */
static void expect_abort(void (*fn)(void *), struct bug *b, const char *line) {
  child_result_t r;
  assert_int_equal(run_child(fn, b, &r), 0);
  if (!child_aborted(&r) || strcmp(r.err, line) != 0)
    fail_msg("expected SIGABRT and \"%s\"; status %d, stderr \"%s\"", line,
             r.status, r.err);
}

/* expect_abort() of the line printf(fmt, ...) writes. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void
expect_abortf(void (*fn)(void *), struct bug *b, const char *fmt, ...) {
  char line[256];
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  assert_true(len > 0 && (size_t)len < sizeof line);
  expect_abort(fn, b, line);
}

static void free_sized_twice(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 64);
}

static void double_free_sized_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  b.p = mp_alloc(b.pool, 64);
  b.q = mp_alloc(b.pool, 64); /* keeps p off the bump pointer */
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0);
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free_sized: double free of %p (pool %p)\n", (void *)b.p,
           (void *)b.pool);
  expect_abort(free_sized_twice, &b, line);
  /* Freed again inside a larger merged chunk: the same. */
  assert_int_equal(mp_free_sized(b.pool, b.q, 64), 0);
  expect_abort(free_sized_twice, &b, line);
  mp_destroy_pool(b.pool);
}

static void double_free_into_bump_space_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  b.p = mp_alloc(b.pool, 64); /* the newest: freed back to the bump pointer */
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0);
  expect_abortf(free_sized_twice, &b,
                "mpool: mp_free_sized: double free of %p (pool %p)\n",
                (void *)b.p, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

static void free_sized_foreign(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 4);
}

static void foreign_free_sized_aborts(void **state) {
  (void)state;
  struct bug b;
  int local;
  b.pool = mp_create_pool(0);
  b.p = (unsigned char *)&local;
  expect_abortf(
      free_sized_foreign, &b,
      "mpool: mp_free_sized: free of a pointer the pool does not own: %p "
      "(pool %p)\n",
      (void *)b.p, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

static void free_sized_interior(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->q, 64); /* inside p, with p's size */
}

/* A pointer inside a live object, granule-aligned, with the object's
 * size: no object ends where it would, and the granule before it is
 * neither a red zone nor free, so it is no object's start. */
static void interior_free_sized_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  assert_non_null(mp_alloc(b.pool, 64));
  b.p = mp_alloc(b.pool, 64);
  assert_non_null(mp_alloc(b.pool, 64));
  memset(b.p, 0x44, 64);
  char line[200];
  const size_t offsets[] = {16, 32};
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
    b.q = b.p + offsets[i];
    snprintf(line, sizeof line,
             "mpool: mp_free_sized: free of a pointer the pool does not own: "
             "%p (pool %p)\n",
             (void *)b.q, (void *)b.pool);
    expect_abort(free_sized_interior, &b, line);
  }
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0); /* the real one */
  mp_destroy_pool(b.pool);
}

/* mp_free() of b->p (a large block, or any pointer). */
static void free_sized_to_end(void *arg) {
  struct bug *b = arg;
  /* inside p, with a size that ends exactly where p ends */
  (void)mp_free_sized(b->pool, b->q, (size_t)(b->p + 64 - b->q));
}

/* An interior pointer whose size ends at the object's end passes the
 * canary; the map of object starts refuses it, also after alignment
 * padding (mp_memalign) and in an object resized in place. */
static void interior_free_to_end_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  assert_non_null(mp_alloc(b.pool, 40));
  for (int variant = 0; variant < 3; variant++) {
    b.p = variant == 1 ? mp_memalign(b.pool, 64, 256) : mp_alloc(b.pool, 64);
    assert_non_null(b.p);
    if (variant == 2) { /* shrunk and grown back in place */
      assert_ptr_equal(mp_realloc(b.pool, b.p, 64, 16), b.p);
      assert_ptr_equal(mp_realloc(b.pool, b.p, 16, 64), b.p);
    }
    assert_non_null(mp_alloc(b.pool, 64));
    char line[200];
    for (size_t off = 16; off < 64; off += 16) {
      b.q = b.p + off;
      snprintf(line, sizeof line,
               "mpool: mp_free_sized: free of a pointer the pool does not "
               "own: %p (pool %p)\n",
               (void *)b.q, (void *)b.pool);
      expect_abort(free_sized_to_end, &b, line);
    }
    assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0); /* the real one */
  }
  mp_reset_pool(b.pool); /* the starts go with the objects */
  b.p = mp_alloc(b.pool, 64);
  assert_non_null(b.p);
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0);
  mp_destroy_pool(b.pool);
}

static void free_large(void *arg) {
  struct bug *b = arg;
  (void)mp_free(b->pool, b->p);
}

static void double_free_large_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_exact(4096);
  b.p = mp_alloc(b.pool, 10000);
  assert_int_equal(mp_free(b.pool, b.p), 0);
  expect_abortf(free_large, &b,
                "mpool: mp_free: free of a pointer the pool does not own: %p "
                "(pool %p)\n",
                (void *)b.p, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

/* Row "double free of a small object, pool with size headers". */
static void header_double_free_aborts(void **state) {
  (void)state;
  struct bug b;
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SIZE_HEADERS;
  b.pool = mp_create_pool_ex(&o);
  assert_non_null(b.pool);
  b.p = mp_alloc(b.pool, 40);
  b.q = mp_alloc(b.pool, 40); /* keeps p off the bump pointer */
  assert_int_equal(mp_free(b.pool, b.p), 0);
  expect_abortf(free_large, &b, "mpool: mp_free: double free of %p (pool %p)\n",
                (void *)b.p, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

static void allocf_free_one(void *arg) {
  struct bug *b = arg;
  (void)mp_allocf(b->pool, b->p, 8, 0);
}

/* Rows "foreign pointer" of mp_free and mp_allocf: heap and stack memory,
 * and a pointer inside a large block. */
static void foreign_free_aborts(void **state) {
  (void)state;
  struct bug b;
  unsigned char local[32];
  unsigned char *heap = malloc(64);
  assert_non_null(heap);
  b.pool = mp_create_pool(0);
  unsigned char *large = mp_alloc(b.pool, 100000);
  assert_non_null(large);
  /* Stack and heap memory, a pointer inside a large block, and the pool's
   * own struct (in its first node, before the objects). */
  unsigned char *bad[] = {local, heap, large + 16, (unsigned char *)b.pool};
  char line[200];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    b.p = bad[i];
    snprintf(line, sizeof line,
             "mpool: mp_free: free of a pointer the pool does not own: %p "
             "(pool %p)\n",
             (void *)b.p, (void *)b.pool);
    expect_abort(free_large, &b, line);
    snprintf(line, sizeof line,
             "mpool: mp_free_sized: free of a pointer the pool does not own: "
             "%p (pool %p)\n",
             (void *)b.p, (void *)b.pool);
    expect_abort(allocf_free_one, &b, line); /* nsize 0 frees */
  }
  free(heap);
  mp_destroy_pool(b.pool);
}

static void free_sized_large(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 10000);
}

/* Row "double free of a large block" of mp_free_sized. */
static void double_free_sized_large_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_exact(4096);
  b.p = mp_alloc(b.pool, 10000);
  assert_int_equal(mp_free_sized(b.pool, b.p, 10000), 0);
  expect_abortf(
      free_sized_large, &b,
      "mpool: mp_free_sized: free of a pointer the pool does not own: "
      "%p (pool %p)\n",
      (void *)b.p, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

static void free_sized_impossible(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, (size_t)(uintptr_t)b->q);
}

/* Row "SIZE_MAX, or a size larger than any small object can have": no
 * object of the pool starts at p with that size. */
static void impossible_size_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  b.p = mp_alloc(b.pool, 8);
  assert_non_null(mp_alloc(b.pool, 8));
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free_sized: free of a pointer the pool does not own: "
           "%p (pool %p)\n",
           (void *)b.p, (void *)b.pool);
  b.q = (unsigned char *)(uintptr_t)SIZE_MAX;
  expect_abort(free_sized_impossible, &b, line);
  b.q = (unsigned char *)(uintptr_t)100000;
  expect_abort(free_sized_impossible, &b, line);
  mp_destroy_pool(b.pool);
}

/* The rows where a hardened build reports as a release build does:
 * resizing a foreign pointer, mp_free() twice of a small object in a pool
 * without size headers. */
static void bad_resizes_fail(void **state) {
  (void)state;
  assert_true(mpool_build_flags() & MPOOL_BUILD_HARDENED);
  mp_pool_t *p = mp_create_pool(0), *q = mp_create_pool(0);
  char stack[32];
  void *x = mp_alloc(p, 8), *l = mp_alloc(p, 100000);
  errno = 0;
  assert_null(mp_realloc(p, stack, 8, 16));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_realloc(q, x, 8, 16));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_realloc_unsized(p, stack, 16));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_realloc_unsized(q, l, 16));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_realloc_unsized(p, x, 16)); /* small, no headers */
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_allocf(q, x, 8, 16));
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mp_free(p, x), 0); /* does nothing: twice is harmless */
  assert_int_equal(mp_free(p, x), 0);
  mp_destroy_pool(q);
  mp_destroy_pool(p);
}

static void corrupt_link_then_free(void *arg) {
  struct bug *b = arg;
  memset(b->p, 0x41, 16); /* a write after free over the list links */
  (void)mp_free_sized(b->pool, b->q, 64); /* merges with p's chunk */
}

static void corrupted_free_list_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_pool(0);
  b.p = mp_alloc(b.pool, 64);
  b.q = mp_alloc(b.pool, 64);
  assert_non_null(mp_alloc(b.pool, 64)); /* keeps q off the bump pointer */
  assert_int_equal(mp_free_sized(b.pool, b.p, 64), 0);
  expect_abortf(
      corrupt_link_then_free, &b,
      "mpool: mp_free_sized: corrupted links in free chunk %p (pool %p)\n",
      (void *)b.p, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

static void corrupt_node_then_free(void *arg) {
  struct bug *b = arg;
  memset(b->q, 0x5a, 64); /* the node header */
  (void)mp_free_sized(b->pool, b->p, 32);
}

static void corrupted_node_header_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_exact(1024);
  /* Fill the first node so that p lands in a second one. */
  unsigned char *first = mp_alloc(b.pool, 32);
  do
    b.p = mp_alloc(b.pool, 32);
  while (((uintptr_t)b.p ^ (uintptr_t)first) < 1024);
  b.q = (unsigned char *)((uintptr_t)b.p & ~(uintptr_t)1023);
  expect_abortf(corrupt_node_then_free, &b,
                "mpool: mp_free_sized: corrupted node header at %p (pool %p)\n",
                (void *)b.q, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

static void corrupt_large_then_free(void *arg) {
  struct bug *b = arg;
  memset(b->p - 32, 0x5a, 32); /* the end of the large-block header */
  (void)mp_free(b->pool, b->p);
}

static void corrupted_large_header_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_exact(4096);
  b.p = mp_alloc(b.pool, 10000);
  expect_abortf(
      corrupt_large_then_free, &b,
      "mpool: mp_free: corrupted large block header of %p (pool %p)\n",
      (void *)b.p, (void *)b.pool);
  mp_destroy_pool(b.pool);
}

/* ---- canaries ---- */

/* The child's bug: one byte written past b->p's object at b->q (flipped,
 * so it can never match), then the call of b's kind. */
enum { DO_FREE_SIZED, DO_FREE, DO_RESET, DO_DESTROY, DO_REALLOC, DO_REWIND };

struct overflow {
  struct bug b;
  size_t size; /* of the object at b.p */
  int call;
  mp_mark_t *mark;
  mp_pool_t *owner; /* the pool the message names, when not b.pool */
};

static void overflow_then_call(void *arg) {
  struct overflow *o = arg;
  *o->b.q ^= 0xff;
  switch (o->call) {
  case DO_FREE_SIZED:
    (void)mp_free_sized(o->b.pool, o->b.p, o->size);
    break;
  case DO_FREE:
    (void)mp_free(o->b.pool, o->b.p);
    break;
  case DO_RESET:
    mp_reset_pool(o->b.pool);
    break;
  case DO_DESTROY:
    mp_destroy_pool(o->b.pool);
    break;
  case DO_REALLOC:
    (void)mp_realloc(o->b.pool, o->b.p, o->size, o->size + 1000);
    break;
  default:
    (void)mp_rewind(o->b.pool, o->mark);
    break;
  }
}

/* Expects the overflow of o to abort with "mpool: fn: what at (pool)". */
static void expect_overflow(struct overflow *o, int call, const char *fn,
                            const char *what, const void *at) {
  char line[200];
  o->call = call;
  snprintf(line, sizeof line, "mpool: %s: corrupted canary %s %p (pool %p)\n",
           fn, what, at, (void *)(o->owner ? o->owner : o->b.pool));
  child_result_t r;
  assert_int_equal(run_child(overflow_then_call, o, &r), 0);
  if (!child_aborted(&r) || strcmp(r.err, line) != 0)
    fail_msg("expected SIGABRT and \"%s\"; status %d, stderr \"%s\"", line,
             r.status, r.err);
}

/* A one-byte overflow past small objects of every size in a granule's
 * range, and past one ending on a granule, at each call that checks. */
static void small_overflow_aborts(void **state) {
  (void)state;
  static const size_t sizes[] = {1, 7, 15, 16, 20, 32, 100};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    struct overflow o = {0};
    o.size = sizes[i];
    o.b.pool = mp_create_pool(0);
    o.b.p = mp_alloc(o.b.pool, o.size);
    assert_non_null(mp_alloc(o.b.pool, 64)); /* a neighbour after it */
    o.b.q = o.b.p + o.size;
    expect_overflow(&o, DO_FREE_SIZED, "mp_free_sized", "after", o.b.p);
    expect_overflow(&o, DO_REALLOC, "mp_realloc", "after", o.b.p);
    expect_overflow(&o, DO_RESET, "mp_reset_pool", "at", o.b.q);
    expect_overflow(&o, DO_DESTROY, "mp_destroy_pool", "at", o.b.q);
    /* The last byte of the red zone is checked too. */
    o.b.q =
        (unsigned char *)(((uintptr_t)o.b.p + o.size + 15) & ~(uintptr_t)15) +
        15;
    expect_overflow(&o, DO_FREE_SIZED, "mp_free_sized", "after", o.b.p);
    expect_overflow(&o, DO_RESET, "mp_reset_pool", "at", o.b.q - 15);
    mp_destroy_pool(o.b.pool);
  }
}

/* Objects of mp_nalloc(), the string functions and mp_printf() (which
 * formats in the free space) carry canaries too. */
static void nalloc_and_string_overflow_aborts(void **state) {
  (void)state;
  struct overflow o = {0};
  o.b.pool = mp_create_pool(0);
  o.b.p = mp_nalloc(o.b.pool, 7);
  o.size = 7;
  o.b.q = o.b.p + 7;
  expect_overflow(&o, DO_FREE_SIZED, "mp_free_sized", "after", o.b.p);
  expect_overflow(&o, DO_RESET, "mp_reset_pool", "at", o.b.q);
  o.b.p = (unsigned char *)mp_strdup(o.b.pool, "abc");
  o.b.q = o.b.p + 4;
  expect_overflow(&o, DO_DESTROY, "mp_destroy_pool", "at", o.b.q);
  o.b.p = (unsigned char *)mp_printf(o.b.pool, "%d-%s", 12345, "xyz");
  assert_string_equal((char *)o.b.p, "12345-xyz");
  o.b.q = o.b.p + 10;
  expect_overflow(&o, DO_RESET, "mp_reset_pool", "at", o.b.q);
  o.size = 10;
  expect_overflow(&o, DO_FREE_SIZED, "mp_free_sized", "after", o.b.p);
  mp_destroy_pool(o.b.pool);
}

static void large_overflow_aborts(void **state) {
  (void)state;
  struct overflow o = {0};
  o.b.pool = mp_create_exact(4096);
  o.size = 10001;
  o.b.p = mp_alloc(o.b.pool, o.size);
  o.b.q = o.b.p + o.size;
  expect_overflow(&o, DO_FREE, "mp_free", "after", o.b.p);
  expect_overflow(&o, DO_FREE_SIZED, "mp_free_sized", "after", o.b.p);
  expect_overflow(&o, DO_REALLOC, "mp_realloc", "after", o.b.p);
  expect_overflow(&o, DO_RESET, "mp_reset_pool", "after", o.b.p);
  expect_overflow(&o, DO_DESTROY, "mp_destroy_pool", "after", o.b.p);
  mp_destroy_pool(o.b.pool);
}

/* Pools with size headers: mp_free() knows the size and checks. */
static void header_pool_overflow_aborts(void **state) {
  (void)state;
  mp_options_t opt;
  mp_options_init(&opt);
  opt.flags = MP_POOL_SIZE_HEADERS;
  struct overflow o = {0};
  o.b.pool = mp_create_pool_ex(&opt);
  o.size = 21;
  o.b.p = mp_alloc(o.b.pool, o.size);
  o.b.q = o.b.p + o.size;
  expect_overflow(&o, DO_FREE, "mp_free", "after", o.b.p);
  expect_overflow(&o, DO_RESET, "mp_reset_pool", "at", o.b.q);
  mp_destroy_pool(o.b.pool);
}

/* A rewind checks what it gives back: objects made after the mark. */
static void rewind_overflow_aborts(void **state) {
  (void)state;
  struct overflow o = {0};
  o.b.pool = mp_create_pool(0);
  o.mark = mp_mark(o.b.pool);
  o.b.p = mp_alloc(o.b.pool, 20);
  o.size = 20;
  o.b.q = o.b.p + 20;
  expect_overflow(&o, DO_REWIND, "mp_rewind", "at", o.b.q);
  mp_destroy_pool(o.b.pool);
}

/* A child destroyed by its parent's reset is checked for that call. */
static void child_overflow_aborts(void **state) {
  (void)state;
  struct overflow o = {0};
  o.b.pool = mp_create_pool(0);
  mp_pool_t *child = mp_create_child(o.b.pool, 0);
  o.owner = child;
  o.b.p = mp_alloc(child, 24);
  o.size = 24;
  o.b.q = o.b.p + 24;
  expect_overflow(&o, DO_RESET, "mp_reset_pool", "at", o.b.q);
  mp_destroy_pool(o.b.pool);
}

/* A canary copied from another object does not verify: each is bound to
 * its address. */
static void copied_canary_aborts(void **state) {
  (void)state;
  struct overflow o = {0};
  o.b.pool = mp_create_pool(0);
  unsigned char *a = mp_alloc(o.b.pool, 16);
  o.b.p = mp_alloc(o.b.pool, 16);
  o.size = 16;
  assert_ptr_equal(o.b.p, a + 32); /* object, red zone, object */
  unsigned char saved[16];
  memcpy(saved, o.b.p + 16, 16);
  memcpy(o.b.p + 16, a + 16, 16);
  o.b.q = o.b.p + 31; /* the child flips it back: a's canary, verbatim */
  o.b.p[31] ^= 0xff;
  expect_overflow(&o, DO_FREE_SIZED, "mp_free_sized", "after", o.b.p);
  memcpy(o.b.p + 16, saved, 16);
  mp_destroy_pool(o.b.pool);
}

/* In-place resizes move the canary: no false alarm after growing or
 * shrinking, and the moved canary is the one checked. */
static void realloc_moves_canary(void **state) {
  (void)state;
  mp_pool_t *pool = mp_create_pool(0);
  unsigned char *p = mp_alloc(pool, 20);
  memset(p, 1, 20);
  unsigned char *g = mp_realloc(pool, p, 20, 60); /* the newest: grows */
  assert_ptr_equal(g, p);
  p = g;
  memset(p, 2, 60);
  unsigned char *v = mp_alloc(pool, 33); /* keeps p off the bump pointer */
  memset(v, 4, 33);
  assert_ptr_equal(mp_realloc(pool, p, 60, 5), p); /* shrinks in place */
  memset(p, 3, 5);
  g = mp_realloc(pool, p, 5, 17); /* grows into the chunk it left */
  assert_ptr_equal(g, p);
  p = g;
  memset(p, 5, 17);
  struct overflow o = {0};
  o.b.pool = pool;
  o.b.p = p;
  o.size = 17;
  o.b.q = p + 17;
  expect_overflow(&o, DO_FREE_SIZED, "mp_free_sized", "after", p);
  expect_overflow(&o, DO_RESET, "mp_reset_pool", "at", p + 17);
  /* A large block resized in place keeps a canary too. */
  mp_pool_t *lp = mp_create_exact(4096);
  unsigned char *l = mp_alloc(lp, 20000);
  unsigned char *l2 = mp_realloc(lp, l, 20000, 19000);
  assert_ptr_equal(l2, l);
  l = l2;
  memset(l, 6, 19000);
  o.b.pool = lp;
  o.b.p = l;
  o.b.q = l + 19000;
  expect_overflow(&o, DO_FREE, "mp_free", "after", l);
  mp_destroy_pool(lp);
  assert_int_equal(mp_free_sized(pool, v, 33), 0);
  assert_int_equal(mp_free_sized(pool, p, 17), 0);
  mp_reset_pool(pool);
  mp_destroy_pool(pool);
}

/* Every object kind filled to its last byte, resized, freed, rewound and
 * reset: no canary complains. */
static void full_objects_pass(void **state) {
  (void)state;
  mp_pool_t *pool = mp_create_exact(1024);
  unsigned char *v[300];
  size_t sz[300];
  for (int round = 0; round < 3; round++) {
    mp_mark_t *m = mp_mark(pool);
    for (int i = 0; i < 300; i++) {
      sz[i] = (size_t)(i * 7 % 61) + (i % 50 == 0 ? 3000 : 0);
      v[i] = i % 3 == 0 ? mp_nalloc(pool, sz[i]) : mp_alloc(pool, sz[i]);
      assert_non_null(v[i]);
      memset(v[i], 0xa5, sz[i]);
    }
    for (int i = 0; i < 300; i += 4) {
      v[i] = mp_realloc(pool, v[i], sz[i], sz[i] + 9);
      sz[i] += 9;
      memset(v[i], 0x5a, sz[i]);
    }
    for (int i = 1; i < 300; i += 5)
      assert_int_equal(mp_free_sized(pool, v[i], sz[i]), 0);
    char *s = mp_printf(pool, "%0*d", 40, round);
    assert_int_equal((int)strlen(s), 40);
    if (round == 1)
      assert_int_equal(mp_rewind(pool, m), 0);
    else
      mp_reset_pool(pool);
  }
  mp_destroy_pool(pool);
}

static void free_sized_wrong(void *arg) {
  struct overflow *o = arg;
  (void)mp_free_sized(o->b.pool, o->b.p, o->size);
}

/* mp_free_sized() with a size other than the one requested: the canary is
 * checked from p + size, where it does not start. */
static void wrong_size_aborts(void **state) {
  (void)state;
  static const size_t wrong[] = {17, 19, 21, 24, 32};
  struct overflow o = {0};
  o.b.pool = mp_create_pool(0);
  o.b.p = mp_alloc(o.b.pool, 20);
  memset(o.b.p, 0x33, 20);
  assert_non_null(mp_alloc(o.b.pool, 64));
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free_sized: corrupted canary after %p (pool %p)\n",
           (void *)o.b.p, (void *)o.b.pool);
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    o.size = wrong[i];
    expect_abort(free_sized_wrong, &o.b, line);
  }
  assert_int_equal(mp_free_sized(o.b.pool, o.b.p, 20), 0); /* the right one */
  mp_destroy_pool(o.b.pool);
}

static void rewind_stale(void *arg) {
  struct overflow *o = arg;
  (void)mp_rewind(o->b.pool, o->mark);
}

/* A stale or foreign mark aborts (release builds: EINVAL). */
static void stale_mark_aborts(void **state) {
  (void)state;
  struct overflow o = {0};
  o.b.pool = mp_create_pool(0);
  mp_pool_t *other = mp_create_pool(0);
  mp_mark_t *m1 = mp_mark(o.b.pool);
  o.mark = mp_mark(o.b.pool);
  assert_int_equal(mp_rewind(o.b.pool, m1), 0); /* drops o.mark */
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_rewind: stale or foreign mark %p (pool %p)\n",
           (void *)o.mark, (void *)o.b.pool);
  expect_abort(rewind_stale, &o.b, line); /* b is o's first member */
  o.mark = mp_mark(other);
  snprintf(line, sizeof line,
           "mpool: mp_rewind: stale or foreign mark %p (pool %p)\n",
           (void *)o.mark, (void *)o.b.pool);
  expect_abort(rewind_stale, &o.b, line);
  mp_destroy_pool(other);
  mp_destroy_pool(o.b.pool);
}

/* ---- writes after free and frees after reset ---- */

enum { AFTER_RESET, AFTER_DESTROY, AFTER_REWIND, AFTER_SIZE };

struct stale {
  struct bug b;
  mp_mark_t *mark;
  int call;
};

/* The child's bug: a byte written into the freed object b.p at b.q (or
 * its size word), then the call that finds it. */
static void write_then_call(void *arg) {
  struct stale *s = arg;
  if (s->call == AFTER_SIZE)
    memset(s->b.p + 16, 0x41, 8); /* the free chunk's size word */
  else
    *s->b.q = 0x41;
  if (s->call == AFTER_DESTROY)
    mp_destroy_pool(s->b.pool);
  else if (s->call == AFTER_REWIND)
    (void)mp_rewind(s->b.pool, s->mark);
  else
    mp_reset_pool(s->b.pool);
}

/* A write into a freed small object (not its newest, so that it becomes a
 * free chunk) is found when its memory leaves the free lists or the pool
 * checks them: at reset, destroy and rewind.  tests/hardened_cases.c has
 * the one found by the allocation that reuses the memory. */
static void write_after_free_aborts(void **state) {
  (void)state;
  static const struct {
    int call;
    const char *fn, *what;
  } rows[] = {
      {AFTER_RESET, "mp_reset_pool", "write after free at"},
      {AFTER_DESTROY, "mp_destroy_pool", "write after free at"},
      {AFTER_REWIND, "mp_rewind", "write after free at"},
      {AFTER_SIZE, "mp_reset_pool", "corrupted size of free chunk"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct stale s = {0};
    s.call = rows[i].call;
    s.b.pool = mp_create_pool(0);
    s.mark = s.call == AFTER_REWIND ? mp_mark(s.b.pool) : NULL;
    s.b.p = mp_alloc(s.b.pool, 64);
    assert_non_null(mp_alloc(s.b.pool, 64)); /* keeps p off the bump space */
    memset(s.b.p, 0x33, 64);
    assert_int_equal(mp_free_sized(s.b.pool, s.b.p, 64), 0);
    s.b.q = s.b.p + 40;
    const void *at = s.call == AFTER_SIZE ? (void *)s.b.p : (void *)s.b.q;
    char line[200];
    snprintf(line, sizeof line, "mpool: %s: %s %p (pool %p)\n", rows[i].fn,
             rows[i].what, at, (void *)s.b.pool);
    child_result_t r;
    assert_int_equal(run_child(write_then_call, &s, &r), 0);
    if (!child_aborted(&r) || strcmp(r.err, line) != 0)
      fail_msg("expected SIGABRT and \"%s\"; status %d, stderr \"%s\"", line,
               r.status, r.err);
    mp_destroy_pool(s.b.pool);
  }
}

/* Memory freed, reused and freed again, reset, rewound and reused: all
 * of it zero-checked, and no false alarm. */
static void reused_memory_passes(void **state) {
  (void)state;
  mp_pool_t *pool = mp_create_exact(1024);
  unsigned char *v[64];
  for (int round = 0; round < 4; round++) {
    mp_mark_t *m = round == 2 ? mp_mark(pool) : NULL;
    for (int i = 0; i < 64; i++) {
      v[i] = mp_alloc(pool, (size_t)(i % 7) * 24 + 8);
      memset(v[i], 0x5a, (size_t)(i % 7) * 24 + 8);
    }
    for (int i = 0; i < 64; i += 2)
      assert_int_equal(mp_free_sized(pool, v[i], (size_t)(i % 7) * 24 + 8), 0);
    for (int i = 0; i < 64; i += 2) { /* reuses the chunks */
      v[i] = mp_alloc(pool, (size_t)(i % 5) * 16 + 8);
      memset(v[i], 0xa5, (size_t)(i % 5) * 16 + 8);
    }
    for (int i = 1; i < 64; i += 2)
      assert_int_equal(mp_free_sized(pool, v[i], (size_t)(i % 7) * 24 + 8), 0);
    if (m != NULL)
      assert_int_equal(mp_rewind(pool, m), 0);
    else
      mp_reset_pool(pool);
  }
  /* After a reset the same address is an object again: freeing it is no
   * free after reset. */
  unsigned char *a = mp_alloc(pool, 64);
  assert_non_null(mp_alloc(pool, 64));
  mp_reset_pool(pool);
  assert_ptr_equal(mp_alloc(pool, 64), a);
  assert_int_equal(mp_free_sized(pool, a, 64), 0);
  mp_destroy_pool(pool);
}

static void free_sized_32(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 32);
}

/* A free after reset in a node the pool has not used again since, and in
 * a pool with size headers (mp_free). */
static void free_after_reset_aborts(void **state) {
  (void)state;
  struct bug b;
  b.pool = mp_create_exact(1024);
  unsigned char *first = mp_alloc(b.pool, 32);
  do
    b.p = mp_alloc(b.pool, 32);
  while (((uintptr_t)b.p ^ (uintptr_t)first) < 1024);
  mp_reset_pool(b.pool);
  char line[200];
  snprintf(line, sizeof line,
           "mpool: mp_free_sized: free after reset of %p (pool %p)\n",
           (void *)b.p, (void *)b.pool);
  expect_abort(free_sized_32, &b, line);
  mp_destroy_pool(b.pool);
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SIZE_HEADERS;
  b.pool = mp_create_pool_ex(&o);
  b.p = mp_alloc(b.pool, 40);
  assert_non_null(mp_alloc(b.pool, 40));
  mp_reset_pool(b.pool);
  snprintf(line, sizeof line,
           "mpool: mp_free: free after reset of %p (pool %p)\n", (void *)b.p,
           (void *)b.pool);
  expect_abort(free_large, &b, line); /* mp_free(b->pool, b->p) */
  mp_destroy_pool(b.pool);
}

/* Correct frees of every kind still work. */
static void good_frees_pass(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(1024);
  void *v[200];
  for (int i = 0; i < 200; i++)
    v[i] = mp_alloc(p, (size_t)(i % 9) * 20 + 1);
  for (int i = 0; i < 200; i += 3)
    assert_int_equal(mp_free_sized(p, v[i], (size_t)(i % 9) * 20 + 1), 0);
  for (int i = 1; i < 200; i += 3)
    assert_int_equal(mp_free_sized(p, v[i], (size_t)(i % 9) * 20 + 1), 0);
  char *s = mp_nalloc(p, 5);
  char *t = mp_nalloc(p, 7);
  assert_int_equal(mp_free_sized(p, s, 5), 0);
  assert_int_equal(mp_free_sized(p, t, 7), 0);
  void *l = mp_alloc(p, 5000);
  assert_int_equal(mp_free(p, l), 0);
  mp_destroy_pool(p);
}

int main(void) {
  assert_true(mpool_build_flags() & MPOOL_BUILD_HARDENED);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(double_free_sized_aborts),
      cmocka_unit_test(interior_free_to_end_aborts),
      cmocka_unit_test(double_free_into_bump_space_aborts),
      cmocka_unit_test(foreign_free_sized_aborts),
      cmocka_unit_test(interior_free_sized_aborts),
      cmocka_unit_test(double_free_large_aborts),
      cmocka_unit_test(header_double_free_aborts),
      cmocka_unit_test(foreign_free_aborts),
      cmocka_unit_test(double_free_sized_large_aborts),
      cmocka_unit_test(impossible_size_aborts),
      cmocka_unit_test(bad_resizes_fail),
      cmocka_unit_test(corrupted_free_list_aborts),
      cmocka_unit_test(corrupted_node_header_aborts),
      cmocka_unit_test(corrupted_large_header_aborts),
      cmocka_unit_test(good_frees_pass),
      cmocka_unit_test(small_overflow_aborts),
      cmocka_unit_test(nalloc_and_string_overflow_aborts),
      cmocka_unit_test(large_overflow_aborts),
      cmocka_unit_test(header_pool_overflow_aborts),
      cmocka_unit_test(rewind_overflow_aborts),
      cmocka_unit_test(child_overflow_aborts),
      cmocka_unit_test(copied_canary_aborts),
      cmocka_unit_test(realloc_moves_canary),
      cmocka_unit_test(full_objects_pass),
      cmocka_unit_test(stale_mark_aborts),
      cmocka_unit_test(wrong_size_aborts),
      cmocka_unit_test(write_after_free_aborts),
      cmocka_unit_test(reused_memory_passes),
      cmocka_unit_test(free_after_reset_aborts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
