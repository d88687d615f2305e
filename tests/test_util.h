/*
 * Shared test helpers: a backing allocator that counts, checks and fails.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_TEST_UTIL_H
#define MPOOL_TEST_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <setjmp.h> /* cmocka needs these before its header */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "mpool.h"

/* A pool on the block cache whose nodes are exactly `size` bytes
 * (mp_create_pool() raises sizes below MP_DEFAULT_NODE_SIZE): for tests
 * of node boundaries. */
/* A pool of the default options with `flags` (MP_POOL_*) and `parent`
 * (NULL: a root), made or the test fails. */
static inline mp_pool_t *child_pool(mp_pool_t *parent, unsigned flags) {
  mp_options_t o;
  mp_options_init(&o);
  o.parent = parent;
  o.flags = flags;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  return p;
}

/* A root pool of the default options with `flags`. */
static inline mp_pool_t *flag_pool(unsigned flags) {
  return child_pool(NULL, flags);
}

static inline mp_pool_t *mp_create_exact(size_t size) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = size;
  o.large_threshold = 0; /* a quarter of the node, as mp_create_pool() */
  o.flags = MP_POOL_EXACT_NODES;
  return mp_create_pool_ex(&o);
}

#define TA_MAX_BLOCKS 4096

/* A backing allocator that records every block, so tests can check that
 * sizes given back match, that nothing leaks, and can fail call number k
 * (or every call from k on).  oom_util.h runs workloads with it failing
 * at every k. */
typedef struct {
  mp_allocator_t a;
  long calls;     /* alloc calls so far */
  long fail_at;   /* fail the alloc call with this index (0-based); -1: never */
  long fail_from; /* fail every alloc call from this index on; -1: never */
  int fail_all;   /* fail every alloc call while set */
  long fails;     /* how many calls were failed */
  size_t live_bytes;
  size_t live_blocks;
  size_t top; /* blocks[top..] never used since ta_init(): not scanned */
  struct {
    void *p;
    size_t size;
  } blocks[TA_MAX_BLOCKS];
} test_alloc_t;

static void *ta_alloc(void *ud, size_t size, size_t align) {
  test_alloc_t *t = ud;
  long call = t->calls++;
  assert_true(size > 0);
  assert_true(align >= 16 && (align & (align - 1)) == 0);
  if (t->fail_all || (t->fail_at >= 0 && call == t->fail_at) ||
      (t->fail_from >= 0 && call >= t->fail_from)) {
    t->fails++;
    return NULL;
  }
  void *p = NULL;
  if (posix_memalign(&p, align, size) != 0)
    return NULL;
  for (size_t i = 0; i < TA_MAX_BLOCKS; i++) {
    if (i == t->top || t->blocks[i].p == NULL) {
      if (i == t->top)
        t->top++;
      t->blocks[i].p = p;
      t->blocks[i].size = size;
      t->live_bytes += size;
      t->live_blocks++;
      return p;
    }
  }
  fail_msg("test allocator: too many live blocks");
  return NULL;
}

static void ta_free(void *ud, void *p, size_t size) {
  test_alloc_t *t = ud;
  for (size_t i = 0; i < t->top; i++) {
    if (t->blocks[i].p == p) {
      assert_int_equal(t->blocks[i].size, size); /* sized free matches */
      t->blocks[i].p = NULL;
      t->live_bytes -= size;
      t->live_blocks--;
      free(p);
      return;
    }
  }
  fail_msg("test allocator: free of a block it never gave: %p", p);
}

/* mp_vprintf() called through a va_list, as a wrapper of the caller's
 * would make it. */
static inline char *vprintf_of(mp_pool_t *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = mp_vprintf(p, fmt, ap);
  va_end(ap);
  return s;
}

static inline void ta_init(test_alloc_t *t) {
  memset(t, 0, offsetof(test_alloc_t, blocks)); /* and no block in use */
  t->a.alloc = ta_alloc;
  t->a.free = ta_free;
  t->a.ud = t;
  t->fail_at = -1;
  t->fail_from = -1;
}

/* True if [p, p + n) lies inside one block the allocator handed out. */
static inline int ta_contains(const test_alloc_t *t, const void *p, size_t n) {
  const unsigned char *c = p;
  for (size_t i = 0; i < t->top; i++) {
    const unsigned char *b = t->blocks[i].p;
    if (b != NULL && c >= b && n <= t->blocks[i].size &&
        (size_t)(c - b) <= t->blocks[i].size - n)
      return 1;
  }
  return 0;
}

static inline mp_pool_t *ta_pool(test_alloc_t *t, size_t node_size) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = node_size;
  o.large_threshold = 0;
  o.allocator = &t->a;
  return mp_create_pool_ex(&o);
}

/* False in builds that keep red zones between objects (AddressSanitizer,
 * and hardened builds' canaries) or give each object a block of its own
 * (debug builds): tests of exact addresses and byte counts do not apply
 * there. */
static inline int layout_is_exact(void) {
  return (mpool_build_flags() &
          (MPOOL_BUILD_ASAN | MPOOL_BUILD_HARDENED | MPOOL_BUILD_DEBUG)) == 0;
}

#define SKIP_UNLESS_EXACT_LAYOUT()                                             \
  do {                                                                         \
    if (!layout_is_exact()) {                                                  \
      print_message("skipped: object layout differs in this build\n");         \
      skip();                                                                  \
    }                                                                          \
  } while (0)

/* True if a bad free aborts (hardened and debug builds) instead of
 * returning -1. */
static inline int bad_frees_abort(void) {
  return (mpool_build_flags() & (MPOOL_BUILD_HARDENED | MPOOL_BUILD_DEBUG)) !=
         0;
}

/* Hardened and debug builds abort on a foreign pointer or a double free
 * instead of returning -1 with EINVAL: tests of that error return skip
 * themselves (test_hardened and test_debug check the abort). */
#define SKIP_IF_HARDENED()                                                     \
  do {                                                                         \
    if (bad_frees_abort()) {                                                   \
      print_message("skipped: bad frees abort in this build\n");               \
      skip();                                                                  \
    }                                                                          \
  } while (0)

/* Debug builds give every object a block of its own from the system or
 * the pool's allocator: tests that count allocator calls, nodes or blocks
 * per object skip themselves there. */
#define SKIP_IF_DEBUG_LAYOUT()                                                 \
  do {                                                                         \
    if (mpool_build_flags() & MPOOL_BUILD_DEBUG) {                             \
      print_message("skipped: each object is a block in debug builds\n");      \
      skip();                                                                  \
    }                                                                          \
  } while (0)

/* Debug builds keep released memory in a quarantine for a few resets
 * instead of giving it back at once: tests that count the blocks the
 * backing allocator holds after a free or a reset skip themselves there
 * (test_debug checks the quarantine). */
#define SKIP_IF_QUARANTINE()                                                   \
  do {                                                                         \
    if (mpool_build_flags() & MPOOL_BUILD_DEBUG) {                             \
      print_message("skipped: freed memory is quarantined in debug builds\n"); \
      skip();                                                                  \
    }                                                                          \
  } while (0)

static inline int is_aligned(const void *p, size_t a) {
  return ((uintptr_t)p & (a - 1)) == 0;
}

#endif
