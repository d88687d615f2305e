/*
 * Build modes, and the checks of hardened builds (MP_HARDENED).
 *
 * A hardened library trusts neither the pointers it is given nor the
 * metadata that lives next to user objects.  A free of a pointer the pool
 * does not own, a double free, a node or large-block header that does not
 * carry its magic, and a free-list link that does not decode to a chunk of
 * this pool that links back (reuse.c) each print one line on stderr --
 *   mpool: mp_free_sized: double free of 0x55d0c0a0 (pool 0x55d0c000)
 * -- and abort.  Magic values and list links are mixed with a per-process
 * random secret, so an overwrite cannot forge them by accident.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include "mp_internal.h"

#include <stdio.h>
#include <stdlib.h>

unsigned mpool_build_flags(void) {
  unsigned f = 0;
#if defined(MP_HARDENED)
  f |= MPOOL_BUILD_HARDENED;
#endif
#if defined(MP_VALGRIND)
  f |= MPOOL_BUILD_VALGRIND;
#endif
#if defined(MP_TRACK_ASAN)
  f |= MPOOL_BUILD_ASAN;
#endif
#if defined(MP_DEBUG)
  f |= MPOOL_BUILD_DEBUG;
#endif
  return f;
}

#ifdef MP_HARDENED

#include <stdatomic.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static atomic_uintptr_t secret;

static uint64_t mix(uint64_t x) { /* splitmix64's finaliser */
  x ^= x >> 30;
  x *= UINT64_C(0xbf58476d1ce4e5b9);
  x ^= x >> 27;
  x *= UINT64_C(0x94d049bb133111eb);
  return x ^ (x >> 31);
}

/* The per-process secret: from getrandom(), or failing that from the
 * clock, the process id and an address; never 0. */
static uintptr_t make_secret(void) {
  uint64_t v = 0;
  if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    v = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
            ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)&secret);
  }
  v = mix(v);
  return (uintptr_t)(v != 0 ? v : UINT64_C(0x9e3779b97f4a7c15));
}

uintptr_t mp__hard_secret(void) {
  uintptr_t s = atomic_load_explicit(&secret, memory_order_relaxed);
  if (mp_likely(s != 0))
    return s;
  uintptr_t expected = 0, fresh = make_secret();
  if (atomic_compare_exchange_strong(&secret, &expected, fresh))
    return fresh;
  return expected; /* another thread won */
}

void mp__hard_fail(const char *fn, const char *what, const void *p,
                   const mp_pool_t *pool) {
  fprintf(stderr, "mpool: %s: %s %p (pool %p)\n", fn, what, p,
          (const void *)pool);
  fflush(stderr);
  abort();
}

void mp__hard_check_node(const mp_pool_t *pool, const struct mp_node *n,
                         const char *fn) {
  if (n->magic != mp__hard_magic(n))
    mp__hard_fail(fn, "corrupted node header at", n, pool);
}

void mp__hard_check_large(const mp_pool_t *pool, const struct mp_large *l,
                          const char *fn) {
  if (l->magic != mp__hard_magic(l))
    mp__hard_fail(fn, "corrupted large block header of", l + 1, pool);
}

/* Before a small object [p, p + size) of node n is freed: its granules
 * must not be free already, in a free chunk or in the bump space. */
void mp__hard_check_free(const mp_pool_t *pool, struct mp_node *n,
                         const void *p, size_t size, const char *fn) {
  mp__hard_check_node(pool, n, fn);
  uintptr_t a = (uintptr_t)p, e, b;
  if (pool->flags & MP_F_HEADERS) {
    const struct mp_hdr *h = (const struct mp_hdr *)p - 1;
    if (a % MP_GRANULE != 0 || a < (uintptr_t)n->start + MP_GRANULE)
      mp__hard_fail(fn, "free of a pointer the pool does not own:", p, pool);
    if (pool->reuse != NULL &&
        mp__reuse_any_free(pool, n, a - MP_GRANULE, a))
      mp__hard_fail(fn, "double free of", p, pool);
    size = h->size;
  }
  if (size == 0)
    size = 1;
  if (a < (uintptr_t)n->start || size > mp__node_end(pool, n) - a)
    mp__hard_fail(fn, "free of a pointer the pool does not own:", p, pool);
  e = a + size;
  if (n == pool->current && a < (uintptr_t)pool->top &&
      e > (uintptr_t)pool->w.ptr)
    mp__hard_fail(fn, "double free of", p, pool);
  if (pool->reuse == NULL && n != pool->current && a < (uintptr_t)n->high &&
      e > (uintptr_t)n->low)
    mp__hard_fail(fn, "double free of", p, pool);
  /* The granules the free would give back, as free.c computes them. */
  if (a % MP_GRANULE == 0) {
    b = MP_ALIGN_UP(e, MP_GRANULE) + MP_TRACK_RZ;
  } else {
    a = MP_ALIGN_UP(a, MP_GRANULE);
    b = MP_ALIGN_DOWN(e, MP_GRANULE);
  }
  if (a < b && mp__reuse_any_free(pool, n, a, b))
    mp__hard_fail(fn, "double free of", p, pool);
}

#endif /* MP_HARDENED */
