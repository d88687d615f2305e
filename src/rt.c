/*
 * Real-time pools (mp_rt_*): a bounded O(1) heap on a caller buffer.
 *
 * The buffer holds, in this order (docs/rtpool.md has the design and the
 * proof of the bound that mpool.h publishes):
 *
 *   [pad][struct mp_rt_s][side table: one byte per granule][pad][heap]
 *
 * The heap is cut into blocks of 16 << c bytes ("class c") from its low
 * end upward: [base, bump) is carved, [bump, end) untouched.  The side
 * table has a byte for every granule of the heap: RT_LIVE | c or
 * RT_FREE | c at the first granule of each block, 0 everywhere else.  Free
 * blocks of class c form a LIFO list through their first word
 * (rt->head[c]); bit c of rt->nonempty tells that the list is not empty.
 *
 * Allocation of class c pops list c, else carves from the untouched heap,
 * else splits the smallest free block of a larger class k into blocks of
 * classes c, c, c+1, ..., k-1 (a loop of k - c steps, the only one, which
 * a buffer of mp_rt_bound() never reaches), else fails.  Freeing checks
 * the pointer against the heap's range and the side table and pushes the
 * block.  Blocks are never merged: a block serves the class it was carved
 * for, which is what bounds the memory (mp_rt_bound()).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_G ((size_t)MP_GRANULE)
#define RT_GSHIFT 4u /* log2(RT_G) */
/* Classes 16 << c that a size_t can hold. */
#define RT_CLASSES ((unsigned)(sizeof(size_t) * CHAR_BIT - RT_GSHIFT))
#define RT_LIVE 0x80u
#define RT_FREE 0x40u
#define RT_CLASS 0x3fu
#define RT_MAGIC 0x6d707274u /* "mprt" */

_Static_assert(MP_GRANULE == (size_t)1 << RT_GSHIFT, "RT_GSHIFT is log2(RT_G)");

struct rt_free {
  struct rt_free *next;
};

struct mp_rt_s {
  uint32_t magic;     /* RT_MAGIC while the pool is alive */
  unsigned nclasses;  /* classes whose block fits the heap */
  unsigned char *buf; /* the caller's buffer, for mp_rt_destroy() */
  size_t buf_size;
  unsigned char *map; /* the side table */
  uintptr_t base;     /* heap start, granule aligned */
  uintptr_t bump;     /* end of the carved part */
  uintptr_t end;      /* heap end */
  uint64_t nonempty;  /* bit c: head[c] != NULL */
  size_t allocated;   /* bytes of live blocks */
  size_t peak;        /* highest allocated */
  size_t live;        /* live blocks */
  size_t nfree;       /* free blocks */
  uint64_t allocs, frees, failures;
  struct rt_free *head[RT_CLASSES];
};

_Static_assert(RT_CLASSES <= 64 && RT_CLASSES - 1 <= RT_CLASS,
               "a class fits nonempty's bits and the side table's byte");
_Static_assert(sizeof(struct mp_rt_s) + 2 * (MP_GRANULE - 1) <= MP_RT_OVERHEAD,
               "MP_RT_OVERHEAD covers the struct and both alignments");
_Static_assert(alignof(struct mp_rt_s) <= MP_GRANULE,
               "the struct sits on a granule");

/* ---- tracking: free blocks and the untouched heap are inaccessible ---- */

/* A block handed out for an object of `size` bytes.  Under ASan the bytes
 * past `size` stay poisoned (they were free or untouched).  Under memcheck
 * the whole block becomes accessible: an in-place resize then leaves the
 * contents' definedness alone, which memcheck could not be told for a
 * grown range without knowing the old size. */
static inline void rt_track_live(void *p, size_t size, size_t block) {
#if defined(MP_TRACK_ASAN)
  (void)block;
  mp_track_undefined(p, size);
#else
  (void)size;
  mp_track_undefined(p, block);
#endif
}

/* An object resized in place to `size` bytes within its block. */
static inline void rt_track_resize(void *p, size_t size, size_t block) {
#if defined(MP_TRACK_ASAN)
  mp_track_undefined(p, size);
  mp_track_noaccess((unsigned char *)p + size, block - size);
#else
  (void)p, (void)size, (void)block;
#endif
}

/* The old block of a moving resize is read whole (its object's size is not
 * known): ASan must let the copy read its tail. */
static inline void rt_track_copy(void *p, size_t n) {
#if defined(MP_TRACK_ASAN)
  mp_track_undefined(p, n);
#else
  (void)p, (void)n;
#endif
}

/* ---- hardened and debug builds: bad pointers and corruption abort ---- */

#if defined(MP_HARDENED) || defined(MP_DEBUG)
#define RT_CHECKED 1
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold))
#endif
static void
rt_abort(const char *fn, const char *what, const void *p, const mp_rt_t *rt) {
  fprintf(stderr, "mpool: %s: %s %p (rt %p)\n", fn, what, p, (const void *)rt);
  fflush(stderr);
  abort();
}
#else
#define RT_CHECKED 0
#endif

/* ---- blocks ---- */

static inline bool rt_ok(const mp_rt_t *rt) {
  return rt != NULL && rt->magic == RT_MAGIC;
}

/* The class of a request: the smallest c with 16 << c >= max(size, 16). */
static inline unsigned rt_class(size_t size) {
  return mp__floor_log2((size - (size != 0)) | (RT_G - 1)) - (RT_GSHIFT - 1);
}

static inline unsigned char *rt_tag(const mp_rt_t *rt, uintptr_t p) {
  return rt->map + ((p - rt->base) >> RT_GSHIFT);
}

static inline void rt_push(mp_rt_t *rt, uintptr_t p, unsigned c) {
  struct rt_free *f = (struct rt_free *)p;
  mp_track_open(f, sizeof *f);
  f->next = rt->head[c];
  mp_track_close(f, sizeof *f);
  rt->head[c] = f;
  rt->nonempty |= (uint64_t)1 << c;
  *rt_tag(rt, p) = (unsigned char)(RT_FREE | c);
  rt->nfree++;
}

/* Takes the head of list c, which is not empty (a checked build aborts on
 * a corrupted link, naming `fn`). */
static inline uintptr_t rt_pop(mp_rt_t *rt, unsigned c, const char *fn) {
  struct rt_free *f = rt->head[c];
  mp_track_open(f, sizeof *f);
  struct rt_free *next = f->next;
  mp_track_close(f, sizeof *f);
#if RT_CHECKED
  uintptr_t n = (uintptr_t)next;
  if (next != NULL &&
      (n < rt->base || n >= rt->bump || ((n - rt->base) & (RT_G - 1)) != 0 ||
       *rt_tag(rt, n) != (RT_FREE | c)))
    rt_abort(fn, "corrupted free list link in", f, rt);
#else
  (void)fn;
#endif
  rt->head[c] = next;
  if (next == NULL)
    rt->nonempty &= ~((uint64_t)1 << c);
  rt->nfree--;
  return (uintptr_t)f;
}

/* The fallback of a full heap: the smallest free block of a class above c,
 * split in halves down to c (each upper half onto its list); 0 if none. */
static MP_NOINLINE uintptr_t rt_split(mp_rt_t *rt, unsigned c, const char *fn) {
  uint64_t above = rt->nonempty & ~(((uint64_t)2 << c) - 1);
  if (above == 0)
    return 0;
  unsigned k = mp__lowest_bit(above);
  uintptr_t p = rt_pop(rt, k, fn);
  while (k > c) {
    k--;
    rt_push(rt, p + (RT_G << k), k);
  }
  return p;
}

/* A block of class c for `fn`, recorded as live; 0 if none can be had. */
static inline uintptr_t rt_take(mp_rt_t *rt, unsigned c, const char *fn) {
  if (mp_unlikely(c >= rt->nclasses))
    return 0;
  size_t block = RT_G << c;
  uintptr_t p;
  if (rt->head[c] != NULL) {
    p = rt_pop(rt, c, fn);
  } else if (mp_likely(rt->end - rt->bump >= block)) {
    p = rt->bump;
    rt->bump += block;
  } else {
    p = rt_split(rt, c, fn);
    if (p == 0)
      return 0;
  }
  *rt_tag(rt, p) = (unsigned char)(RT_LIVE | c);
  rt->allocated += block;
  if (rt->allocated > rt->peak)
    rt->peak = rt->allocated;
  rt->live++;
  rt->allocs++;
  return p;
}

/* The class of `ptr` if it is a live block of the pool; -1 otherwise (a
 * checked build aborts, naming `fn`, and with `freed` for a free block).
 * Reads only the side table. */
static inline int rt_find(const mp_rt_t *rt, const void *ptr, const char *fn,
                          const char *freed) {
  uintptr_t p = (uintptr_t)ptr;
  unsigned m = 0;
  if (mp_likely(p >= rt->base && p < rt->bump &&
                ((p - rt->base) & (RT_G - 1)) == 0)) {
    m = *rt_tag(rt, p);
    if (mp_likely(m & RT_LIVE))
      return (int)(m & RT_CLASS);
  }
#if RT_CHECKED
  rt_abort(fn,
           (m & RT_FREE) ? freed : "free of a pointer the rt pool does not own",
           ptr, rt);
#else
  (void)fn, (void)freed;
  return -1;
#endif
}

static void *rt_fail(mp_rt_t *rt, int err) {
  rt->failures++;
  return mp__fail(err);
}

/* Gives back the live block at p of class c. */
static inline void rt_release(mp_rt_t *rt, uintptr_t p, unsigned c) {
  size_t block = RT_G << c;
  rt->allocated -= block;
  rt->live--;
  rt->frees++;
  rt_push(rt, p, c);
  mp_track_noaccess((void *)p, block);
}

/* ---- the API ---- */

size_t mp_rt_bound(size_t live, size_t max_size) {
  /* Live bytes are counted in granules: a total of at most `live` is at
   * most m (and the bound provides for one object at least). */
  size_t m = live < RT_G ? RT_G : live / RT_G * RT_G;
  size_t heap = m; /* class 0: m / 16 blocks of 16 bytes */
  unsigned top = rt_class(max_size);
  for (unsigned j = 1; j <= top; j++) {
    /* An object of class j counts at least 8 << j bytes plus a granule,
     * so at most q of them are live at once. */
    size_t q = m / (((RT_G / 2) << j) + RT_G);
    if (q == 0)
      break; /* and none of the larger classes either */
    if (j >= RT_CLASSES - 1 || q > (SIZE_MAX - heap) / (RT_G << j))
      goto overflow;
    heap += q * (RT_G << j);
  }
  size_t table = heap / RT_G;
  if (heap <= SIZE_MAX - MP_RT_OVERHEAD - table)
    return MP_RT_OVERHEAD + heap + table;
overflow:
  errno = EOVERFLOW;
  return 0;
}

mp_rt_t *mp_rt_init(void *buf, size_t size) {
  uintptr_t start = (uintptr_t)buf;
  if (buf == NULL || size < MP_RT_MIN_SIZE || size > UINTPTR_MAX - start)
    return mp__fail(EINVAL);
  mp_track_undefined(buf, size); /* a pool made there before is forgotten */
  uintptr_t at = MP_ALIGN_UP(start, RT_G);
  uintptr_t map = at + sizeof(struct mp_rt_s);
  /* granules + table + alignment of the heap <= room; MP_RT_MIN_SIZE
   * leaves room for one granule. */
  size_t room = (size_t)(start + size - map);
  size_t granules = (room - (RT_G - 1)) / (RT_G + 1);
  uintptr_t base = MP_ALIGN_UP(map + granules, RT_G);
  mp_rt_t *rt = (mp_rt_t *)at;
  memset(rt, 0, sizeof *rt);
  rt->buf = buf;
  rt->buf_size = size;
  rt->map = (unsigned char *)map;
  rt->base = rt->bump = base;
  rt->end = base + granules * RT_G;
  unsigned nc = mp__floor_log2(granules) + 1;
  rt->nclasses = nc < RT_CLASSES ? nc : RT_CLASSES;
  memset(rt->map, 0, granules);
  mp_track_noaccess((void *)base, granules * RT_G);
  rt->magic = RT_MAGIC;
  return rt;
}

void mp_rt_destroy(mp_rt_t *rt) {
  if (!rt_ok(rt))
    return;
  unsigned char *buf = rt->buf;
  size_t size = rt->buf_size;
  mp_track_undefined(buf, size);
  /* Later calls read the magic: under memcheck it must stay defined. */
  mp_track_open(&rt->magic, sizeof rt->magic);
  rt->magic = 0;
}

void *mp_rt_alloc(mp_rt_t *rt, size_t size) {
  if (mp_unlikely(!rt_ok(rt)))
    return mp__fail(EINVAL);
  if (mp_unlikely(size > MP_MAX_ALLOC_SIZE))
    return rt_fail(rt, EOVERFLOW);
  unsigned c = rt_class(size);
  uintptr_t p = rt_take(rt, c, "mp_rt_alloc");
  if (mp_unlikely(p == 0))
    return rt_fail(rt, ENOMEM);
  rt_track_live((void *)p, size, RT_G << c);
  return (void *)p;
}

int mp_rt_free(mp_rt_t *rt, void *p) {
  if (mp_unlikely(!rt_ok(rt))) {
    errno = EINVAL;
    return -1;
  }
  if (p == NULL)
    return 0;
  int c = rt_find(rt, p, "mp_rt_free", "double free of");
  if (mp_unlikely(c < 0)) {
    errno = EINVAL;
    return -1;
  }
  rt_release(rt, (uintptr_t)p, (unsigned)c);
  return 0;
}

void *mp_rt_realloc(mp_rt_t *rt, void *p, size_t size) {
  if (!rt_ok(rt))
    return mp__fail(EINVAL);
  if (p == NULL)
    return mp_rt_alloc(rt, size);
  int c = rt_find(rt, p, "mp_rt_realloc", "resize of freed");
  if (c < 0)
    return mp__fail(EINVAL);
  if (size > MP_MAX_ALLOC_SIZE)
    return rt_fail(rt, EOVERFLOW);
  size_t block = RT_G << c;
  unsigned nc = rt_class(size);
  if (nc == (unsigned)c) {
    rt_track_resize(p, size, block);
    return p;
  }
  uintptr_t q = rt_take(rt, nc, "mp_rt_realloc");
  if (q == 0) {
    if (nc < (unsigned)c) { /* shrinking never fails: stay in place */
      rt_track_resize(p, size, block);
      return p;
    }
    return rt_fail(rt, ENOMEM);
  }
  size_t keep = size < block ? size : block;
  rt_track_live((void *)q, size, RT_G << nc);
  rt_track_copy(p, keep);
  memcpy((void *)q, p, keep);
  rt_release(rt, (uintptr_t)p, (unsigned)c);
  return (void *)q;
}

int mp_rt_stats(const mp_rt_t *rt, mp_rt_stats_t *st) {
  if (!rt_ok(rt) || st == NULL || st->size < MP_RT_STATS_MIN_SIZE) {
    errno = EINVAL;
    return -1;
  }
  mp_rt_stats_t s;
  memset(&s, 0, sizeof s);
  s.capacity = (size_t)(rt->end - rt->base);
  s.allocated = rt->allocated;
  s.peak_allocated = rt->peak;
  s.carved = (size_t)(rt->bump - rt->base);
  size_t untouched = (size_t)(rt->end - rt->bump);
  /* The largest block the untouched heap can give, or the largest free
   * block; a request of that many bytes succeeds. */
  size_t largest = 0;
  if (untouched >= RT_G) {
    unsigned c = mp__floor_log2(untouched / RT_G);
    if (c >= rt->nclasses)
      c = rt->nclasses - 1;
    largest = RT_G << c;
  }
  if (rt->nonempty != 0) {
    size_t f = RT_G << mp__floor_log2((size_t)rt->nonempty);
    if (f > largest)
      largest = f;
  }
  s.largest_free = largest;
  s.live_blocks = rt->live;
  s.free_blocks = rt->nfree;
  s.allocs = rt->allocs;
  s.frees = rt->frees;
  s.failures = rt->failures;
  size_t room = st->size, n = room < sizeof s ? room : sizeof s;
  s.size = n;
  memcpy(st, &s, n);
  if (room > n)
    memset((unsigned char *)st + n, 0, room - n);
  return 0;
}

int mp_rt_check(const mp_rt_t *rt) {
  if (rt == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (rt->magic != RT_MAGIC)
    return 0;
  /* Geometry. */
  uintptr_t map = (uintptr_t)rt->map, base = rt->base;
  if (map != (uintptr_t)rt + sizeof *rt || (base & (RT_G - 1)) != 0 ||
      rt->bump < base || rt->end < rt->bump ||
      ((rt->bump - base) & (RT_G - 1)) != 0 ||
      ((rt->end - base) & (RT_G - 1)) != 0)
    return 0;
  size_t granules = (rt->end - base) / RT_G, carved = (rt->bump - base) / RT_G;
  if (base < map + granules || (uintptr_t)rt < (uintptr_t)rt->buf ||
      rt->end > (uintptr_t)rt->buf + rt->buf_size || granules == 0 ||
      rt->nclasses != (mp__floor_log2(granules) + 1 < RT_CLASSES
                           ? mp__floor_log2(granules) + 1
                           : RT_CLASSES))
    return 0;
  /* Every carved block, in address order. */
  size_t free_in[RT_CLASSES] = {0};
  size_t live = 0, nfree = 0, bytes_live = 0, bytes_free = 0;
  for (size_t g = 0; g < carved;) {
    unsigned m = rt->map[g], c = m & RT_CLASS;
    unsigned kind = m & (RT_LIVE | RT_FREE);
    if ((kind != RT_LIVE && kind != RT_FREE) || c >= rt->nclasses)
      return 0;
    size_t n = (size_t)1 << c;
    if (n > carved - g)
      return 0; /* runs past the carved heap */
    for (size_t i = 1; i < n; i++)
      if (rt->map[g + i] != 0)
        return 0; /* a block starting inside another */
    if (kind == RT_LIVE) {
      live++;
      bytes_live += n * RT_G;
    } else {
      nfree++;
      free_in[c]++;
      bytes_free += n * RT_G;
    }
    g += n;
  }
  for (size_t g = carved; g < granules; g++)
    if (rt->map[g] != 0)
      return 0; /* a block in the untouched heap */
  /* Every free list: acyclic (no longer than its class's count), each
   * entry a free block of the class, together every free block. */
  for (unsigned c = 0; c < RT_CLASSES; c++) {
    const struct rt_free *f = rt->head[c];
    if (((rt->nonempty >> c) & 1) != (f != NULL))
      return 0;
    if (f != NULL && c >= rt->nclasses)
      return 0;
    size_t n = 0;
    while (f != NULL) {
      uintptr_t p = (uintptr_t)f;
      if (n++ == free_in[c] || p < base || p >= rt->bump ||
          ((p - base) & (RT_G - 1)) != 0 || *rt_tag(rt, p) != (RT_FREE | c))
        return 0;
      mp_track_open(f, sizeof *f);
      const struct rt_free *next = f->next;
      mp_track_close(f, sizeof *f);
      f = next;
    }
    if (n != (c < rt->nclasses ? free_in[c] : 0))
      return 0;
  }
  /* The totals. */
  if (rt->live != live || rt->nfree != nfree || rt->allocated != bytes_live ||
      bytes_live + bytes_free != carved * RT_G || rt->peak < rt->allocated ||
      rt->frees > rt->allocs || rt->allocs - rt->frees != live)
    return 0;
  return 1;
}
