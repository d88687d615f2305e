/*
 * The system as a block source: blocks for the block cache (cache.c), the
 * debug layout and pools' default allocator.  Blocks of 256 KiB and more
 * are mapped on their own; smaller ones of a page or more are carved from
 * 2 MiB regions; both kinds, once released, are retained for reuse
 * (below); the rest come from the C library.  It asks the operating system only
 * through mp_platform.h.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* posix_memalign(), MAP_ANONYMOUS */
#endif

#include "carve.h"
#include "mp_internal.h"
#include "mp_platform.h"
#include "mp_track.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Blocks of at least this size are mapped directly: the C library's
 * aligned allocation would over-allocate by up to the alignment, and some
 * tools refuse very large alignments. */
#define MP_MMAP_THRESHOLD ((size_t)256 << 10)

static atomic_size_t os_alloc_calls;

size_t mp__sys_alloc_calls(void) { return atomic_load(&os_alloc_calls); }

#if MP_OS_MAPS
/* Blocks of a page or more below MP_MMAP_THRESHOLD -- nodes, and the block
 * cache's classes of large blocks -- are carved from 2 MiB regions: the C
 * library's aligned allocation would spend up to the alignment again on
 * each (half as much memory again, measured with 16 KiB nodes), and blocks
 * it frees go back to its heap, which gives their pages back when it trims.
 * A carved block that leaves the process keeps its pages (*retained*) and
 * its address waits in a table for its size, newest last, so that the next
 * block of that size is warm: on a virtual machine the first touch of a
 * fresh page costs microseconds, many times an allocation.  Retained pages
 * are given back (mp__os_purge()) once they have waited a decay delay
 * unused, and at once past a byte cap; a block whose pages were given back
 * stays in the table, below the retained ones.  The table lies outside the
 * blocks: a link stored in a block would fault a fresh page back in and
 * keep it resident.
 *
 * A block is carved as its size rounded up to a page and to a *row* of the
 * table: 2^k plus a multiple of 2^(k-2), four rows per doubling, as the
 * cache's classes are (a 10 KiB block is carved as 12 KiB: address space,
 * not memory, since its last pages are only touched if used).  Powers of
 * two are aligned to their size, in one region; the other rows to a page,
 * in a region of their own, so that no alignment padding is cut out
 * between them. */
#define MP_REGION_SIZE ((size_t)2 << 20)
#define MP_CARVE_ROWS (64 * 4)

struct mp_carved {
  void **addr; /* released blocks of this size, last released last */
  size_t count, cap;
  size_t clean; /* addr[0, clean) have had their pages given back */
  size_t aged;  /* addr[clean, aged) were released before the last tick */
};

/* A region blocks are carved from, in order. */
struct mp_region {
  unsigned char *ptr, *end;
  bool filled; /* whether the rest of it has had its pages made */
};

static pthread_mutex_t carve_lock = PTHREAD_MUTEX_INITIALIZER;
/* The region of powers of two, and that of the other rows. */
static struct mp_region regions[2];
static struct mp_carved carved_free[MP_CARVE_ROWS];
/* Released mappings of MP_MMAP_THRESHOLD bytes and more, by the same rows:
 * retained like carved blocks, but a mapping that has waited is unmapped
 * (its address range goes too: a big one would hold much of it), so
 * `clean` stays 0.  Debug builds unmap at once: a use after free of a big
 * block then faults. */
static struct mp_carved mapped_free[MP_CARVE_ROWS];
#ifdef MP_DEBUG
#define MP_RETAIN_MAPPED 0
#else
#define MP_RETAIN_MAPPED 1
#endif
/* Retention (carve_lock): bytes of released blocks that keep their pages,
 * the cap and the delay, bytes given back so far, the last decay tick. */
static struct {
  size_t bytes, limit, purged;
  unsigned decay_ms;
  uint64_t tick_ms;
} retain = {0, MP_DEFAULT_RETAIN_LIMIT, 0, MP_DEFAULT_DECAY_MS, 0};
/* Regions a process maps before it counts as a big user of nodes. */
static size_t regions_mapped;
#define MP_REGIONS_BEFORE_BIG 8
/* Whether this thread is taking a node for a pool that grows. */
static _Thread_local bool growing MP_TLS_MODEL;

/* The bytes of row r of the table. */
static size_t row_bytes(unsigned r) {
  unsigned k = r / 4;
  return ((size_t)1 << k) + ((size_t)(r % 4) << (k - 2));
}

/* The row a carved size (from carved_size()) is kept in. */
static unsigned row_of(size_t carved) {
  unsigned k = mp__floor_log2(carved);
  return 4 * k + (unsigned)((carved >> (k - 2)) & 3);
}

/* The bytes a block of `size` at `align` is carved as, or 0 if it comes
 * from the C library.  Under a memory tool, nothing is carved: the tool
 * sees the C library's blocks (a leaked pool is then reported as leaked
 * memory).  mp__sys_free() asks the same with the same arguments. */
static size_t carved_size(size_t size, size_t align) {
  size_t ps = mp__os_page_size();
  if (MP_TRACK_ON || size < ps || size >= MP_MMAP_THRESHOLD)
    return 0;
  if (MP_IS_POW2(size))
    return align <= size ? size : 0;
  if (align > ps)
    return 0;
  unsigned k = mp__floor_log2(size); /* >= 12: size > ps >= 4096 */
  size_t step = (size_t)1 << (k - 2);
  size_t c = MP_ALIGN_UP(size, step > ps ? step : ps); /* both powers of 2 */
  return c < MP_MMAP_THRESHOLD ? c : 0;
}

/* The bytes a block of `size` >= MP_MMAP_THRESHOLD is mapped as when it is
 * to be retained -- its size rounded up to a row (a quarter of its power
 * of two: address space, not memory) -- or 0 if it is mapped as it is and
 * unmapped when released.  mp__sys_free() asks the same. */
static size_t mapped_size(size_t size) {
  if (MP_TRACK_ON || !MP_RETAIN_MAPPED)
    return 0;
  unsigned k = mp__floor_log2(size); /* >= 18 */
  size_t step = (size_t)1 << (k - 2);
  if (size > SIZE_MAX - (step - 1))
    return 0;
  return MP_ALIGN_UP(size, step);
}

/* Unmaps the retained mappings c->addr[0, to) of a row of mapped_free, of
 * `size` bytes each, and takes them out of it; carve_lock held. */
static void unmap_oldest(struct mp_carved *c, size_t size, size_t to) {
  for (size_t i = 0; i < to; i++)
    mp__os_unmap(c->addr[i], size);
  memmove(c->addr, c->addr + to, (c->count - to) * sizeof *c->addr);
  c->count -= to;
  c->aged = c->aged > to ? c->aged - to : 0;
  retain.bytes -= to * size;
  retain.purged += to * size;
}

/* Gives back the pages of the retained blocks c->addr[c->clean, to) of
 * row r, one purge per run of neighbours (mappings: unmaps them);
 * carve_lock held, so no thread can take one of them meanwhile. */
static void purge(struct mp_carved *c, bool mapped, unsigned r, size_t to) {
  size_t size = row_bytes(r);
  if (mapped) {
    unmap_oldest(c, size, to);
    return;
  }
  size_t i = c->clean;
  while (i < to) {
    uintptr_t lo = (uintptr_t)c->addr[i], hi = lo + size;
    for (i++; i < to; i++) {
      uintptr_t a = (uintptr_t)c->addr[i];
      if (a == hi)
        hi += size;
      else if (a + size == lo)
        lo = a;
      else
        break;
    }
    mp__os_purge((void *)lo, (size_t)(hi - lo));
  }
  size_t n = (to - c->clean) * size;
  retain.bytes -= n;
  retain.purged += n;
  c->clean = to;
  if (c->aged < to)
    c->aged = to;
}

/* Brings the retained bytes down to `limit`: first what waited since the
 * last tick, then the oldest of the rest; carve_lock held. */
static void purge_to(size_t limit) {
  for (int pass = 0; pass < 4 && retain.bytes > limit; pass++) {
    /* mappings first in each pass: they are the biggest */
    struct mp_carved *table = pass % 2 == 0 ? mapped_free : carved_free;
    for (unsigned r = 0; r < MP_CARVE_ROWS && retain.bytes > limit; r++) {
      struct mp_carved *c = &table[r];
      if (c->count == c->clean)
        continue;
      size_t size = row_bytes(r);
      size_t over = (retain.bytes - limit + size - 1) / size;
      size_t to = pass < 2 ? c->aged : c->count;
      if (to - c->clean > over)
        to = c->clean + over;
      if (to > c->clean)
        purge(c, table == mapped_free, r, to);
    }
  }
}

/* The decay: at a tick, a decay delay after the last one, every block
 * retained since the last tick gives its pages back, and the blocks
 * retained now are marked to follow at the next.  So a block waits from
 * one to two delays.  carve_lock held. */
static void decay(bool force) {
  uint64_t now = mp__os_now_ms();
  if (!force && now - retain.tick_ms < retain.decay_ms)
    return;
  retain.tick_ms = now;
  for (int t = 0; t < 2; t++) {
    for (unsigned r = 0; r < MP_CARVE_ROWS; r++) {
      struct mp_carved *c = t == 0 ? &carved_free[r] : &mapped_free[r];
      if (c->aged > c->clean)
        purge(c, t == 1, r, c->aged);
      c->aged = c->count;
    }
  }
}

/* A released block of row r, the newest first (its pages are the
 * likeliest to be resident), or NULL; carve_lock held. */
static void *unretain(unsigned r) {
  struct mp_carved *c = &carved_free[r];
  if (c->count == 0)
    return NULL;
  void *b = c->addr[--c->count];
  if (c->count < c->clean)
    c->clean = c->count; /* its pages were given back: fresh ones */
  else
    retain.bytes -= row_bytes(r);
  if (c->aged > c->count)
    c->aged = c->count;
  return b;
}

/* A block of `size` bytes, a carved size: retained if one is, else
 * carved from the region of its kind. */
static void *carve(size_t size) {
  bool pow2 = MP_IS_POW2(size);
  size_t align = pow2 ? size : mp__os_page_size();
  struct mp_region *g = &regions[pow2 ? 0 : 1];
  unsigned char *fill = NULL; /* pages to make, out of the lock */
  size_t fill_len = 0;
  pthread_mutex_lock(&carve_lock);
  void *b = unretain(row_of(size));
  if (b != NULL) {
    pthread_mutex_unlock(&carve_lock);
    return b;
  }
  uintptr_t p = MP_ALIGN_UP((uintptr_t)g->ptr, align);
  if (g->ptr == NULL || p + size > (uintptr_t)g->end) {
    unsigned char *r = mp__os_map(MP_REGION_SIZE, MP_REGION_SIZE);
    if (r == NULL) {
      pthread_mutex_unlock(&carve_lock);
      return NULL;
    }
    /* Once the process has carved a few regions, it is a big user of
     * nodes: with CMake MPOOL_HUGE_PAGES=ON later regions ask for
     * transparent huge pages.  Small programs keep their small
     * footprint. */
    regions_mapped++;
#ifdef MP_HUGE_PAGES
    if (regions_mapped > MP_REGIONS_BEFORE_BIG)
      mp__os_ask_huge(r, MP_REGION_SIZE);
#endif
    if (g->ptr != NULL && g->end > g->ptr)
      mp__os_unmap(g->ptr, (size_t)(g->end - g->ptr)); /* the rest */
    g->ptr = r;
    g->end = r + MP_REGION_SIZE;
    g->filled = false;
    p = (uintptr_t)r;
    decay(false); /* a process that grows also ages what it retains */
  } else if (p > (uintptr_t)g->ptr) {
    mp__os_unmap(g->ptr, p - (uintptr_t)g->ptr); /* alignment padding */
  }
  /* A pool that grows node by node in a big user fills the region: the
   * rest of it has its pages made at once, one system call instead of a
   * page fault per page.  A pool's first node does not: many small pools
   * keep only the pages they touch. */
  if (growing && !g->filled && regions_mapped > MP_REGIONS_BEFORE_BIG) {
    g->filled = true;
    fill = (unsigned char *)p;
    fill_len = (size_t)(g->end - fill);
  }
  g->ptr = (unsigned char *)p + size;
  pthread_mutex_unlock(&carve_lock);
  /* Blocks carved from it meanwhile keep what is written to them: this
   * only makes the pages that are not there yet. */
  if (fill != NULL)
    mp__os_populate(fill, fill_len);
  return (void *)p;
}

/* Puts the released block p, pages and all, in the table for its size;
 * carve_lock held.  The caller then keeps the retained bytes within the
 * cap. */
static void remember(struct mp_carved *table, void *p, size_t size) {
  struct mp_carved *c = &table[row_of(size)];
  if (c->count == c->cap) {
    size_t cap = c->cap != 0 ? 2 * c->cap : 64;
    void **a =
        cap <= SIZE_MAX / sizeof *a ? realloc(c->addr, cap * sizeof *a) : NULL;
    if (a == NULL) { /* no room to remember it: give the range back */
      mp__os_unmap(p, size);
      return;
    }
    c->addr = a;
    c->cap = cap;
  }
  c->addr[c->count++] = p;
  retain.bytes += size;
}

/* Inside mp__sys_batch(true) ... (false), a thread's released blocks that
 * lie next to each other (as the nodes of one pool mostly do: they were
 * carved one after the other) wait in a run and go into the table under
 * one lock -- and, when they are given back, with one purge per run
 * rather than one per block. */
static _Thread_local struct {
  unsigned depth;
  uintptr_t lo; /* the run [lo, lo + count * size) of released blocks */
  size_t size, count;
} released MP_TLS_MODEL;

static void run_flush(void) {
  if (released.count == 0)
    return;
  pthread_mutex_lock(&carve_lock);
  for (size_t i = 0; i < released.count; i++)
    remember(carved_free, (void *)(released.lo + i * released.size),
             released.size);
  if (retain.decay_ms == 0)
    purge_to(0);
  else
    decay(false);
  purge_to(retain.limit);
  pthread_mutex_unlock(&carve_lock);
  released.count = 0;
}

/* Outside a batch the run is empty, and each block makes a run of its
 * own, put in the table at once. */
static void uncarve(void *p, size_t size) {
  uintptr_t a = (uintptr_t)p;
  if (released.count > 0 && size == released.size &&
      released.count < MP_REGION_SIZE / size) {
    if (a == released.lo + released.count * size) {
      released.count++;
      return;
    }
    if (a + size == released.lo) {
      released.lo = a;
      released.count++;
      return;
    }
  }
  run_flush();
  released.lo = a;
  released.size = size;
  released.count = 1;
  if (released.depth == 0)
    run_flush();
}
/* A mapping of `size` >= MP_MMAP_THRESHOLD bytes at `align`: the newest
 * retained one of its row when that one is aligned, else a new one. */
static void *map(size_t size, size_t align) {
  size_t m = mapped_size(size);
  if (m == 0)
    return mp__os_map(size, align);
  struct mp_carved *c = &mapped_free[row_of(m)];
  void *b = NULL;
  pthread_mutex_lock(&carve_lock);
  if (c->count > 0 && (uintptr_t)c->addr[c->count - 1] % align == 0) {
    b = c->addr[--c->count];
    retain.bytes -= m;
    if (c->aged > c->count)
      c->aged = c->count;
  }
  pthread_mutex_unlock(&carve_lock);
  return b != NULL ? b : mp__os_map(m, align);
}

/* Releases a mapping of map(): retained, within the cap and the decay. */
static void unmap(void *p, size_t size) {
  size_t m = mapped_size(size);
  if (m == 0) {
    mp__os_unmap(p, size);
    return;
  }
  pthread_mutex_lock(&carve_lock);
  remember(mapped_free, p, m);
  if (retain.decay_ms == 0)
    purge_to(0);
  else
    decay(false);
  purge_to(retain.limit);
  pthread_mutex_unlock(&carve_lock);
}

#endif

void mp__sys_retain_set(size_t limit, unsigned decay_ms) {
#if MP_OS_MAPS
  pthread_mutex_lock(&carve_lock);
  retain.limit = limit;
  retain.decay_ms = decay_ms;
  purge_to(decay_ms == 0 ? 0 : limit);
  pthread_mutex_unlock(&carve_lock);
#else
  (void)limit;
  (void)decay_ms;
#endif
}

void mp__sys_collect(bool all) {
#if MP_OS_MAPS
  pthread_mutex_lock(&carve_lock);
  if (all)
    purge_to(0);
  else
    decay(false);
  pthread_mutex_unlock(&carve_lock);
#else
  (void)all;
#endif
}

void mp__sys_retain_stats(struct mp_sys_retain *st) {
#if MP_OS_MAPS
  pthread_mutex_lock(&carve_lock);
  st->bytes = retain.bytes;
  st->limit = retain.limit;
  st->purged = retain.purged;
  st->decay_ms = retain.decay_ms;
  pthread_mutex_unlock(&carve_lock);
#else
  st->bytes = st->purged = 0;
  st->limit = MP_DEFAULT_RETAIN_LIMIT;
  st->decay_ms = MP_DEFAULT_DECAY_MS;
#endif
}

void mp__sys_growing(bool on) {
#if MP_OS_MAPS
  growing = on;
#else
  (void)on;
#endif
}

void mp__sys_batch(bool on) {
#if MP_OS_MAPS
  if (on)
    released.depth++;
  else if (--released.depth == 0)
    run_flush();
#else
  (void)on;
#endif
}

/* A block from the system; carved only if `carve_ok`, for callers that
 * give the alignment back to mp__sys_free(). */
static void *os_alloc(size_t size, size_t align, bool carve_ok) {
  void *p = NULL;
  atomic_fetch_add_explicit(&os_alloc_calls, 1, memory_order_relaxed);
#if MP_OS_MAPS
  if (size >= MP_MMAP_THRESHOLD)
    return map(size, align);
  size_t carved = carve_ok ? carved_size(size, align) : 0;
  if (carved != 0)
    return carve(carved);
#else
  (void)carve_ok;
#endif
  if (posix_memalign(&p, align, size) != 0)
    return NULL;
  return p;
}

void *mp__sys_alloc(size_t size, size_t align) {
  return os_alloc(size, align, true);
}

/* Gives back a block of os_alloc() with the same size, align and carve_ok. */
static void os_free(void *p, size_t size, size_t align, bool carve_ok) {
  mp_track_undefined(p, size); /* no tracking state outlives the block */
#if MP_OS_MAPS
  if (size >= MP_MMAP_THRESHOLD) {
    unmap(p, size);
    return;
  }
  size_t carved = carve_ok ? carved_size(size, align) : 0;
  if (carved != 0) {
    uncarve(p, carved);
    return;
  }
#else
  (void)align;
  (void)carve_ok;
#endif
  free(p);
}

void mp__sys_free(void *p, size_t size, size_t align) {
  os_free(p, size, align, true);
}

/* The C library's aligned allocation as a backing allocator, for the
 * pools that reach it through mp_allocator_t (a buffer pool's overflow):
 * its free is not told the alignment, so nothing it hands out is
 * carved. */
static void *default_alloc(void *ud, size_t size, size_t align) {
  (void)ud;
  return os_alloc(size, align, false);
}

static void default_free(void *ud, void *p, size_t size) {
  (void)ud;
  os_free(p, size, MP_GRANULE, false);
}

const mp_allocator_t mp__default_allocator = {default_alloc, default_free,
                                              NULL};
