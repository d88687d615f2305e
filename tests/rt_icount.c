/*
 * Worst-case instructions per mp_rt_alloc() and mp_rt_free() call, for the
 * test_rt_icount test: tests/rt-icount.sh runs this program under
 *   valgrind --tool=callgrind --collect-atstart=no
 *            --toggle-collect=mp_rt_alloc --toggle-collect=mp_rt_free
 * so that only instructions inside those calls (and what they call) are
 * counted, and the program asks callgrind for a dump after every call: each
 * dump then holds the instructions of exactly one call, and its trigger
 * names the path the call was meant to take.  The script takes the largest
 * count of each path and compares it with the test's limits.
 *
 * Paths:
 *   alloc        a random sequence within mp_rt_bound(M, n) (the
 *                guarantee's regime: pop a free list or carve);
 *   free         every free of those sequences;
 *   alloc-split  a buffer below the bound, where requests split a larger
 *                free block -- up to one step per class, from the heap's
 *                largest class down to the 16-byte one;
 *   alloc-fail   requests that fail (ENOMEM: nothing free, no room);
 *   free-bad     frees of pointers that are not live objects (EINVAL).
 * Run natively the dumps are no-ops; the program then only checks that
 * the sequences succeed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mpool.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <valgrind/callgrind.h>

/* Callgrind counts from the last dump or zeroing: START before the call
 * measured, DUMP right after it. */
#define START() CALLGRIND_ZERO_STATS
#define DUMP(path) CALLGRIND_DUMP_STATS_AT(path)

static uint64_t rng(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static size_t round16(size_t n) { return n == 0 ? 16 : (n + 15) / 16 * 16; }

static int die(const char *what) {
  fprintf(stderr, "rt_icount: %s\n", what);
  return 1;
}

/* A random sequence of `ops` allocations and frees within `M` live bytes
 * and sizes up to `n`, in a buffer of mp_rt_bound(M, n). */
static int bounded(size_t M, size_t n, size_t ops, uint64_t seed) {
  size_t size = mp_rt_bound(M, n);
  unsigned char *buf = malloc(size);
  mp_rt_t *rt = buf ? mp_rt_init(buf, size) : NULL;
  void **v = malloc(M / 16 * sizeof *v);
  size_t *sz = malloc(M / 16 * sizeof *sz);
  if (rt == NULL || v == NULL || sz == NULL)
    return die("no memory for the bounded run");
  size_t nv = 0, live = 0;
  for (size_t op = 0; op < ops; op++) {
    uint64_t r = rng(&seed);
    size_t want = (size_t)(r >> 24) % n + 1;
    if (r % 2 == 0 && live + round16(want) <= M) {
      START();
      void *p = mp_rt_alloc(rt, want);
      DUMP("alloc");
      if (p == NULL)
        return die("an allocation within the bound failed");
      v[nv] = p;
      sz[nv++] = want;
      live += round16(want);
    } else if (nv > 0) {
      size_t k = (size_t)(r >> 8) % nv;
      START();
      int rc = mp_rt_free(rt, v[k]);
      DUMP("free");
      if (rc != 0)
        return die("a free failed");
      live -= round16(sz[k]);
      v[k] = v[--nv];
      sz[k] = sz[nv];
    }
  }
  mp_rt_destroy(rt);
  free(sz);
  free(v);
  free(buf);
  return 0;
}

/* Below the bound: the untouched heap used up, so that requests split the
 * largest free block, all the way down to the 16-byte class; then
 * failures and bad frees. */
static int short_buffer(size_t heap) {
  size_t size = MP_RT_OVERHEAD + heap / 16 * 17;
  unsigned char *buf = malloc(size);
  mp_rt_t *rt = buf ? mp_rt_init(buf, size) : NULL;
  if (rt == NULL)
    return die("no memory for the short run");
  volatile size_t huge = SIZE_MAX; /* EOVERFLOW (opaque to the compiler) */
  for (int round = 0; round < 4; round++) {
    if (round > 0)
      rt = mp_rt_init(buf, size); /* start over */
    mp_rt_stats_t st;
    st.size = sizeof st;
    mp_rt_stats(rt, &st);
    void *top = mp_rt_alloc(rt, st.largest_free); /* the largest class */
    if (top == NULL)
      return die("no block of the largest class");
    while (mp_rt_alloc(rt, 16) != NULL) /* the untouched heap used up */
      ;
    mp_rt_free(rt, top);
    /* Each size splits what is left of the block: the first one from the
     * top class down to 16 bytes. */
    for (size_t want = 16; want < st.largest_free; want *= 2) {
      START();
      void *p = mp_rt_alloc(rt, want);
      DUMP("alloc-split");
      if (p == NULL)
        return die("a split failed");
    }
    START();
    void *p = mp_rt_alloc(rt, 16);
    DUMP("alloc-split");
    START();
    void *q = mp_rt_alloc(rt, 64);
    DUMP("alloc-fail");
    START();
    void *z = mp_rt_alloc(rt, huge);
    DUMP("alloc-fail");
    if (p == NULL || q != NULL || z != NULL)
      return die("the short buffer did not fill as planned");
    if (mpool_build_flags() & (MPOOL_BUILD_HARDENED | MPOOL_BUILD_DEBUG))
      continue; /* bad frees abort there */
    START();
    int bad = mp_rt_free(rt, (unsigned char *)p + 8); /* inside p */
    DUMP("free-bad");
    START();
    int dbl = mp_rt_free(rt, p);
    DUMP("free");
    START();
    int twice = mp_rt_free(rt, p);
    DUMP("free-bad");
    if (bad != -1 || dbl != 0 || twice != -1)
      return die("bad frees were not refused");
  }
  mp_rt_destroy(rt);
  free(buf);
  return 0;
}

int main(void) {
  if (bounded(16384, 2048, 2000, 1) || bounded(4096, 64, 1000, 2) ||
      bounded(1 << 20, 65536, 600, 3) || short_buffer((size_t)1 << 20))
    return 1;
  printf("rt_icount: ok\n");
  return 0;
}
