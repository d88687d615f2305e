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
 * Canaries: every object, small or large, is followed by a red zone
 * granule (MP_RZ), as in AddressSanitizer builds.  The bytes from the
 * object's end to the end of that granule hold a canary: each 8-byte word
 * at address w is derived from the secret, the red zone's address and w,
 * so a canary copied from elsewhere does not verify, and the red zone's last
 * word also carries the count of canary bytes before the red zone (the object's
 * slack in its last granule), so a canary can be checked without knowing the
 * object's size. A per-node bitmap (C) marks the red-zone granules of live
 * small objects. Frees and resizes check the canary of the object (its size is
 * known); mp_reset_pool(), mp_rewind() and mp_destroy_pool() check every canary
 * the bitmaps record in the memory they give back, and every large
 * block's as they release it.
 *
 * Free after reset: a reset adds the starts of the objects it ends (the O
 * bits) to a sixth bitmap, R, whose bits memory handed out since clears
 * again; a free of a pointer whose granule is in R but not in O is a free
 * of an object the reset ended.  Writes after free: free chunks are kept
 * zero but their own words, checked as they are handed out (reuse.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include "mp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#if !defined(MP_HUGE_PAGES)
  f |= MPOOL_BUILD_NO_HUGE_PAGES;
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

/* ---- canaries ---- */

#define G ((uintptr_t)MP_GRANULE)

/* The key of the canary whose red zone granule is g, for the secret s:
 * hashed once per canary, and each of its words is the key XOR the word's
 * address (canary_word()), so words differ within a canary and keys from
 * one red zone to the next. */
static uint64_t canary_key(uint64_t s, uintptr_t g) {
  uint64_t k = (s ^ (uint64_t)g) * UINT64_C(0x9e3779b97f4a7c15);
  return k ^ (k >> 29);
}

/* The canary word at address w (8-byte aligned), for the key k. */
static MP_INLINE uint64_t canary_word(uint64_t k, uintptr_t w) {
  return k ^ (uint64_t)w;
}

static uint64_t load64(uintptr_t at) {
  uint64_t v;
  memcpy(&v, (const void *)at, sizeof v);
  return v;
}

static void store64(uintptr_t at, uint64_t v) {
  memcpy((void *)at, &v, sizeof v);
}

/* The bytes at offsets from..7 of a word in memory, as a mask of the word's
 * value (byte order known), or 0 when the byte order is not known. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TAIL_MASK(from) (~(uint64_t)0 << (8 * (from)))
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TAIL_MASK(from) (~(uint64_t)0 >> (8 * (from)))
#else
#define TAIL_MASK(from) ((void)(from), (uint64_t)0)
#endif

/* The words of the canary before the red zone: [e, g), where g is e
 * rounded up to a granule.  fill: writes them; else: compares.  The word
 * holding e keeps (or ignores) the object's bytes before e. */
static bool slack_words(uint64_t key, uintptr_t e, uintptr_t g, bool fill) {
  for (uintptr_t w = e & ~(uintptr_t)7; w < g; w += 8) {
    uint64_t k = canary_word(key, w);
    size_t from = w < e ? (size_t)(e - w) : 0;
    uint64_t mask = from == 0 ? ~(uint64_t)0 : TAIL_MASK(from);
    if (mask == 0) { /* unknown byte order: byte by byte */
      unsigned char b[8];
      memcpy(b, &k, sizeof b);
      for (size_t i = from; i < 8; i++) {
        unsigned char *x = (unsigned char *)(w + i);
        if (fill)
          *x = b[i];
        else if (*x != b[i])
          return false;
      }
      continue;
    }
    uint64_t v = load64(w);
    if (fill)
      store64(w, (v & ~mask) | (k & mask));
    else if ((v & mask) != (k & mask))
      return false;
  }
  return true;
}

static uint64_t *cmap(const mp_pool_t *pool, struct mp_node *n) {
  return (uint64_t *)(n + 1) + 3 * pool->map_words;
}

static size_t cidx(const struct mp_node *n, uintptr_t g) {
  return (g - (uintptr_t)n) / G;
}

/* O: the first granule of every live small object. */
static uint64_t *omap(const mp_pool_t *pool, struct mp_node *n) {
  return (uint64_t *)(n + 1) + 4 * pool->map_words;
}

/* Bit i of the plain bitmap m (C or O). */
static bool map_get(const uint64_t *m, size_t i) {
  return (m[i / 64] >> (i % 64)) & 1u;
}

static void map_put(uint64_t *m, size_t i, bool on) {
  uint64_t bit = (uint64_t)1 << (i % 64);
  if (on)
    m[i / 64] |= bit;
  else
    m[i / 64] &= ~bit;
}

/* R: the first granule of every object a reset ended, until memory handed
 * out since covers it. */
static uint64_t *rmap(const mp_pool_t *pool, struct mp_node *n) {
  return (uint64_t *)(n + 1) + 5 * pool->map_words;
}

/* Clears bits [i, j) of the plain bitmap m, a word at a time. */
static MP_INLINE void map_clear(uint64_t *m, size_t i, size_t j) {
  while (i < j) {
    size_t lo = i % 64, n = j - i < 64 - lo ? j - i : 64 - lo;
    uint64_t mask = n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1) << lo;
    m[i / 64] &= ~mask;
    i += n;
  }
}

static void start_put(const mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                      bool on) {
  map_put(omap(pool, n), cidx(n, a), on);
}

static bool start_live(const mp_pool_t *pool, struct mp_node *n, uintptr_t a) {
  return map_get(omap(pool, n), cidx(n, a));
}

/* The red zone granule of an object ending at e. */
static uintptr_t rz_of(uintptr_t e) { return MP_ALIGN_UP(e, G); }

/* The canary from e to the end of its red zone is memory no live object
 * holds: inaccessible to memory tools (mp_track.h) in AddressSanitizer
 * and Valgrind builds, as every red zone is.  The canary's own reads and
 * writes open it around each access, as reuse.c does with the words it
 * keeps in free chunks.  (The word holding e is read whole: opening from
 * e makes it accessible, and closing from e gives the object its bytes
 * before e back.) */
static void canary_open(uintptr_t e) {
  mp_track_open((void *)e, rz_of(e) + G - e);
}

static void canary_close(uintptr_t e) {
  mp_track_close((void *)e, rz_of(e) + G - e);
}

/* The canary's words, from the one holding e to the red zone's last:
 * fill writes them, else they are compared (all of them, without a branch
 * per word) and the result says whether they are intact.  The red zone's
 * last word also holds g - e, and the word holding e keeps (or ignores)
 * the object's bytes before e. */
static MP_INLINE bool canary_words(uintptr_t e, bool fill) {
  uintptr_t g = rz_of(e), last = g + G - 8;
  uint64_t s = canary_key(mp__hard_secret(), g), bad = 0;
  uintptr_t w = e & ~(uintptr_t)7;
  canary_open(e);
  if (w < e) { /* the word holding e: its bytes from e on */
    uint64_t mask = TAIL_MASK(e - w);
    if (mask == 0) { /* unknown byte order: byte by byte */
      bad = !slack_words(s, e, w + 8, fill);
    } else {
      uint64_t k = canary_word(s, w), v = load64(w);
      if (fill)
        store64(w, (v & ~mask) | (k & mask));
      else
        bad = (v ^ k) & mask;
    }
    w += 8;
  }
  for (; w < last; w += 8) {
    uint64_t k = canary_word(s, w);
    if (fill)
      store64(w, k);
    else
      bad |= load64(w) ^ k;
  }
  uint64_t k = canary_word(s, last) ^ (uint64_t)(g - e);
  if (fill)
    store64(last, k);
  else
    bad |= load64(last) ^ k;
  canary_close(e);
  return bad == 0;
}

/* Writes the canary from e (the end of an object) to the end of the red
 * zone granule rz_of(e). */
static void canary_fill(uintptr_t e) { (void)canary_words(e, true); }

/* Whether the canary from e is intact. */
static bool canary_ok(uintptr_t e) { return canary_words(e, false); }

/* Gives the object [p, p + size) its canary; n is its node, or NULL for a
 * large block. */
void mp__canary_put(const mp_pool_t *pool, struct mp_node *n, void *p,
                    size_t size) {
#ifdef MP_DEBUG
  if (n == NULL)
    return; /* debug builds guard their blocks with a canary of their own */
#endif
  uintptr_t e = (uintptr_t)p + size;
  canary_fill(e);
  if (n != NULL) {
    size_t ia = cidx(n, (uintptr_t)p), ig = cidx(n, rz_of(e));
    uint64_t *r = rmap(pool, n);
    map_put(cmap(pool, n), ig, true);
    map_put(omap(pool, n), ia, true);
    /* The object and its red zone are handed out: no longer a memory of
     * objects a reset ended.  (Mostly bits of one word.) */
    if (ia / 64 == ig / 64)
      r[ia / 64] &=
          ~((~(uint64_t)0 >> (63 - ig % 64)) & (~(uint64_t)0 << (ia % 64)));
    else
      map_clear(r, ia, ig + 1);
  }
}

void mp__hard_reset_starts(const mp_pool_t *pool) {
  for (struct mp_node *n = pool->first; n != NULL; n = n->next) {
    uint64_t *r = rmap(pool, n);
    const uint64_t *o = omap(pool, n);
    for (size_t w = 0; w < pool->map_words; w++)
      r[w] |= o[w];
  }
}

/* Forgets the canary after an object of node n ending at e (its red-zone
 * granule's bit in C). */
static void canary_forget(const mp_pool_t *pool, struct mp_node *n,
                          uintptr_t e) {
  map_put(cmap(pool, n), cidx(n, rz_of(e)), false);
}

/* Checks the canary of the object [p, p + size) and forgets it, before the
 * object is freed or resized. */
void mp__canary_take(const mp_pool_t *pool, struct mp_node *n, const void *p,
                     size_t size, const char *fn) {
#ifdef MP_DEBUG
  if (n == NULL)
    return;
#endif
  uintptr_t e = (uintptr_t)p + size;
  if (!canary_ok(e))
    mp__hard_fail(fn, "corrupted canary after", p, pool);
  if (n != NULL) {
    canary_forget(pool, n, e);
    start_put(pool, n, (uintptr_t)p, false);
  }
}

/* Checks and forgets every canary recorded in the granules [lo, hi) of
 * node n, whose objects are being given back at once.  The red zone says
 * where its canary starts; the message names that address. */
void mp__canary_sweep(const mp_pool_t *pool, struct mp_node *n, uintptr_t lo,
                      uintptr_t hi, const char *fn) {
  uint64_t *m = cmap(pool, n);
  size_t i = cidx(n, MP_ALIGN_UP(lo, G)), j = cidx(n, MP_ALIGN_UP(hi, G));
  while (i < j) {
    uint64_t word = m[i / 64] >> (i % 64);
    if (word == 0) {
      i = (i / 64 + 1) * 64;
      continue;
    }
    i += mp__lowest_bit(word);
    if (i >= j)
      break;
    uintptr_t g = (uintptr_t)n + i * G;
    mp_track_open((void *)(g + G - 8), 8);
    uint64_t slack = load64(g + G - 8) ^
                     canary_word(canary_key(mp__hard_secret(), g), g + G - 8);
    mp_track_close((void *)(g + G - 8), 8);
    if (slack >= G)
      mp__hard_fail(fn, "corrupted canary at", (const void *)g, pool);
    if (!canary_ok(g - (uintptr_t)slack))
      mp__hard_fail(fn, "corrupted canary at",
                    (const void *)(g - (uintptr_t)slack), pool);
    map_put(m, i, false);
    i++;
  }
  /* The objects' starts go with them. */
  map_clear(omap(pool, n), cidx(n, MP_ALIGN_UP(lo, G)), j);
}

/* Every canary of the pool: its nodes' and its large blocks'. */
void mp__canary_sweep_all(const mp_pool_t *pool, const char *fn) {
  for (struct mp_node *n = pool->first; n != NULL; n = n->next)
    mp__canary_sweep(pool, n, (uintptr_t)n->start, mp__node_end(pool, n), fn);
}

/* Whether granule g of node n is a live small object's red zone. */
static bool rz_live(const mp_pool_t *pool, struct mp_node *n, uintptr_t g) {
  return map_get(cmap(pool, n), cidx(n, g));
}

/* A free whose canary does not verify: whether p is inside an object
 * rather than at its start (no live object ends where [p, p + size)
 * would, and the granule before p is neither a red zone nor free), so
 * that the report names the pointer instead of the canary.  Asked only on
 * the way to an abort: a valid free pays nothing for it.  A start pointer
 * with a wrong size whose object follows padding never made a free chunk
 * reads the same.  (An interior pointer whose size ends exactly at its
 * object's end passes the canary: the O map catches it first.) */
static bool inside_object(const mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                          uintptr_t e) {
  if ((pool->flags & MP_F_HEADERS) || a <= (uintptr_t)n->start)
    return false; /* a header, or the node's first granule, before it */
  if (rz_live(pool, n, rz_of(e)))
    return false;
  return !rz_live(pool, n, a - G) && !mp__reuse_any_free(pool, n, a - G, a);
}

/* Before a small object [p, p + size) of node n is freed: its granules
 * must not be free already, in a free chunk or in the bump space. */
void mp__hard_check_free(const mp_pool_t *pool, struct mp_node *n,
                         const void *p, size_t size, const char *fn) {
  mp__hard_check_node(pool, n, fn);
  uintptr_t a = (uintptr_t)p, e, b;
  /* An object a reset ended, in memory not handed out since: its start is
   * in R and not in O. */
  if (a % MP_GRANULE == 0 && a >= (uintptr_t)n->start &&
      a < mp__node_end(pool, n) && !start_live(pool, n, a) &&
      map_get(rmap(pool, n), cidx(n, a)))
    mp__hard_fail(fn, "free after reset of", p, pool);
  if (pool->flags & MP_F_HEADERS) {
    const struct mp_hdr *h = (const struct mp_hdr *)p - 1;
    if (a % MP_GRANULE != 0 || a < (uintptr_t)n->start + MP_GRANULE)
      mp__hard_fail(fn, "free of a pointer the pool does not own:", p, pool);
    if (pool->reuse != NULL && mp__reuse_any_free(pool, n, a - MP_GRANULE, a))
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
  /* With red zones every small object starts on a granule and owns the
   * granules up to the end of its red zone, as free.c gives them back. */
  if (a % MP_GRANULE != 0)
    mp__hard_fail(fn, "free of a pointer the pool does not own:", p, pool);
  b = MP_ALIGN_UP(e, MP_GRANULE) + MP_RZ;
  if (mp__reuse_any_free(pool, n, a, b))
    mp__hard_fail(fn, "double free of", p, pool);
  /* Every live small object's first granule is marked in O: a pointer
   * into an object (even one whose size ends where the object does) is
   * not. */
  if (!start_live(pool, n, a))
    mp__hard_fail(fn, "free of a pointer the pool does not own:", p, pool);
  if (!canary_ok(e))
    mp__hard_fail(fn,
                  inside_object(pool, n, a, e)
                      ? "free of a pointer the pool does not own:"
                      : "corrupted canary after",
                  p, pool);
  canary_forget(pool, n, e);
  start_put(pool, n, a, false);
}

#endif /* MP_HARDENED */
