/*
 * Hardened builds (MPOOL_HARDENED): one deliberate bug per case, named by
 * argv[1].  Each case prints on stdout the line the library must print on
 * stderr before it aborts -- the function, the bad pointer and the pool,
 * known only at run time -- and then makes the bug; tests/hardened_expect.c
 * runs the case and checks the signal (SIGABRT), that stderr holds exactly
 * that line, and its form.  A case whose bug goes unnoticed exits with 3.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpool.h"

/* The line mp__hard_fail() prints, on stdout. */
static void expect(const char *fn, const char *what, const void *p,
                   const mp_pool_t *pool) {
  printf("mpool: %s: %s %p (pool %p)\n", fn, what, p, (const void *)pool);
  fflush(stdout);
}

static const char *const foreign = "free of a pointer the pool does not own:";

/* An object of `size` bytes with a live neighbour after it, so that it is
 * neither the newest object nor next to the bump space once freed. */
static unsigned char *object(mp_pool_t *pool, size_t size) {
  unsigned char *p = mp_alloc(pool, size);
  unsigned char *q = mp_alloc(pool, 64);
  if (p == NULL || q == NULL)
    exit(2);
  memset(p, 0x11, size);
  memset(q, 0x22, 64);
  return p;
}

static void double_free(mp_pool_t *pool) {
  unsigned char *p = object(pool, 64);
  (void)mp_free_sized(pool, p, 64);
  expect("mp_free_sized", "double free of", p, pool);
  (void)mp_free_sized(pool, p, 64);
}

/* A pointer the pool never handed out: heap memory. */
static void invalid_free(mp_pool_t *pool) {
  unsigned char *heap = malloc(64);
  if (heap == NULL)
    exit(2);
  expect("mp_free", foreign, heap, pool);
  (void)mp_free(pool, heap);
  free(heap);
}

/* A pointer into an object, with the object's size: its canary fails,
 * and no object starts or ends there. */
static void interior(mp_pool_t *pool) {
  unsigned char *p = object(pool, 64);
  expect("mp_free_sized", foreign, p + 16, pool);
  (void)mp_free_sized(pool, p + 16, 64);
}

/* A pointer into an object whose size ends exactly at the object's end:
 * the canary there is valid; no object starts at the pointer. */
static void interior_to_end(mp_pool_t *pool) {
  unsigned char *p = object(pool, 64);
  expect("mp_free_sized", foreign, p + 16, pool);
  (void)mp_free_sized(pool, p + 16, 48);
}

/* n bytes written past the end of a 32-byte object, then its free. */
static void overflow(mp_pool_t *pool, size_t n) {
  unsigned char *p = object(pool, 32);
  memset(p + 32, 0x41, n);
  expect("mp_free_sized", "corrupted canary after", p, pool);
  (void)mp_free_sized(pool, p, 32);
}

static void overflow_1(mp_pool_t *pool) { overflow(pool, 1); }

static void overflow_8(mp_pool_t *pool) { overflow(pool, 8); }

/* A byte written into a freed object, then allocations until one takes
 * its memory again: that allocation finds the write. */
static void write_after_free(mp_pool_t *pool) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 1024; /* fills up after a few objects */
  o.flags = MP_POOL_EXACT_NODES;
  mp_pool_t *small = mp_create_pool_ex(&o);
  if (small == NULL)
    exit(2);
  unsigned char *p = object(small, 64);
  (void)mp_free_sized(small, p, 64);
  p[40] = 0x41;
  expect("mp_alloc", "write after free at", p + 40, small);
  for (int i = 0; i < 64; i++)
    if (mp_alloc(small, 64) == p)
      break; /* reused without a report */
  (void)pool;
}

/* A byte written into a freed object that is not handed out again: the
 * reset finds it. */
static void write_after_free_reset(mp_pool_t *pool) {
  unsigned char *p = object(pool, 64);
  (void)mp_free_sized(pool, p, 64);
  p[40] = 0x41;
  expect("mp_reset_pool", "write after free at", p + 40, pool);
  mp_reset_pool(pool);
}

static void free_other_pool(mp_pool_t *pool) {
  mp_pool_t *other = mp_create_pool(0);
  if (other == NULL)
    exit(2);
  unsigned char *p = object(other, 64);
  expect("mp_free_sized", foreign, p, pool);
  (void)mp_free_sized(pool, p, 64);
}

static void free_after_reset(mp_pool_t *pool) {
  unsigned char *p = object(pool, 64);
  mp_reset_pool(pool);
  expect("mp_free_sized", "free after reset of", p, pool);
  (void)mp_free_sized(pool, p, 64);
}

static const struct {
  const char *name;
  void (*run)(mp_pool_t *pool);
} cases[] = {
    {"double-free", double_free},
    {"invalid-free", invalid_free},
    {"interior", interior},
    {"interior-to-end", interior_to_end},
    {"overflow-1", overflow_1},
    {"overflow-8", overflow_8},
    {"write-after-free", write_after_free},
    {"write-after-free-reset", write_after_free_reset},
    {"free-other-pool", free_other_pool},
    {"free-after-reset", free_after_reset},
};

int main(int argc, char **argv) {
  if (!(mpool_build_flags() & MPOOL_BUILD_HARDENED)) {
    fprintf(stderr, "hardened_cases: not a hardened build of mpool\n");
    return 2;
  }
  for (size_t i = 0; argc == 2 && i < sizeof cases / sizeof cases[0]; i++) {
    if (strcmp(argv[1], cases[i].name) == 0) {
      mp_pool_t *pool = mp_create_pool(0);
      if (pool == NULL)
        return 2;
      cases[i].run(pool);
      printf("%s: not caught\n", cases[i].name);
      return 3;
    }
  }
  fprintf(stderr, "usage: hardened_cases CASE (one of:");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    fprintf(stderr, " %s", cases[i].name);
  fprintf(stderr, ")\n");
  return 2;
}
