/*
 * The block source: where nodes and large blocks come from and go back to.
 *
 * Pools on the default allocator share a process-wide block cache, so that a
 * request cycle (create, allocate, destroy) in steady state calls no
 * allocator.  Blocks are kept in size classes from 1 KiB to 1 MiB, four per
 * doubling (at most 25% rounding).  A power-of-two class is aligned to its
 * size, so one block serves as a node or as a large block; the others are
 * aligned to MP_CLASS_ALIGN.
 *
 * Each thread has a front (no lock) over a shared back (one mutex); both are
 * bounded in bytes, and a thread's front returns to the back when the
 * thread exits.  Pools with their own allocator bypass all of this.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "carve.h"
#include "mp_internal.h"
#include "mp_platform.h"

#include <stdatomic.h>
#include <string.h>

#define MP_CLS_MIN_SHIFT 10
#define MP_CLS_MAX_SHIFT 20
#define MP_NCLS ((MP_CLS_MAX_SHIFT - MP_CLS_MIN_SHIFT) * 4 + 1)
#define MP_CLASS_ALIGN ((size_t)64)

_Static_assert(MP_NCLS == MP_CACHE_CLASSES, "the header's class count");

_Thread_local struct mp_blocks mp__front MP_TLS_MODEL;
static struct mp_blocks back;
static size_t back_limit = MP_DEFAULT_CACHE_LIMIT;
/* Bytes each thread's front may hold: MP_TCACHE_LIMIT, or less when
 * mpool_cache_set_limit() set a smaller bound. */
atomic_size_t mp__front_limit = MP_TCACHE_LIMIT;

/* The class that holds `need` bytes at `align`, or -1 if none does. */
static int block_class_of(size_t need, size_t align) {
  if (need > ((size_t)1 << MP_CLS_MAX_SHIFT))
    return -1;
  int cls = 0;
  if (need > ((size_t)1 << MP_CLS_MIN_SHIFT)) {
    /* With m = need - 1 and 2^k <= m < 2^(k+1), the top three bits of m
     * (m >> (k - 2), 4..7) are one less than the quarter of 2^k that
     * holds need, counted up: the class is (k - 10) * 4 + that quarter. */
    size_t m = need - 1;
    unsigned k = mp__floor_log2(m);
    cls = (int)(4 * k + (unsigned)(m >> (k - 2))) - (4 * MP_CLS_MIN_SHIFT + 3);
  }
  if (align <= MP_CLASS_ALIGN)
    return cls; /* every class is aligned to that much */
  size_t size = (size_t)1 << (MP_CLS_MIN_SHIFT + cls / 4);
  size_t cls_align = cls % 4 == 0 ? size : MP_CLASS_ALIGN;
  return align <= cls_align ? cls : -1;
}

/* Class c holds blocks of 2^(10 + c/4) bytes plus c%4 quarters of that:
 * a table, since mp__blocks_pop() and mp__blocks_push() need the size on
 * every call. */
#define MP_CLS_BASE(c) ((size_t)1 << (MP_CLS_MIN_SHIFT + (c) / 4))
#define MP_CLS_SIZE(c)                                                         \
  (MP_CLS_BASE(c) + (size_t)((c) % 4) * (MP_CLS_BASE(c) / 4))
#define MP_CLS_ROW(k)                                                          \
  MP_CLS_SIZE(4 * (k)), MP_CLS_SIZE(4 * (k) + 1), MP_CLS_SIZE(4 * (k) + 2),    \
      MP_CLS_SIZE(4 * (k) + 3)
const size_t mp__class_sizes[MP_NCLS] = {
    MP_CLS_ROW(0), MP_CLS_ROW(1), MP_CLS_ROW(2),  MP_CLS_ROW(3),
    MP_CLS_ROW(4), MP_CLS_ROW(5), MP_CLS_ROW(6),  MP_CLS_ROW(7),
    MP_CLS_ROW(8), MP_CLS_ROW(9), MP_CLS_SIZE(40)};
_Static_assert(MP_NCLS == 41, "one row of four classes per doubling");

static size_t class_size(int cls) { return mp__class_sizes[cls]; }

static size_t class_align(int cls) {
  return cls % 4 == 0 ? class_size(cls) : MP_CLASS_ALIGN;
}

int mp__block_class(const mp_pool_t *pool, size_t need, size_t align) {
  return (pool->flags & MP_F_CACHED) ? block_class_of(need, align) : -1;
}

size_t mp__class_size(int cls) { return class_size(cls); }

/* Moves an exiting thread's front to the back (mp__on_thread_exit()). */
static void cache_thread_exit(void *arg);

void *mp__cache_get_slow(int cls) {
  mp__lock();
  void *b = mp__blocks_pop(&back, cls);
  mp__unlock();
  return b != NULL ? b : mp__sys_alloc(class_size(cls), class_align(cls));
}

void mp__cache_put_slow(int cls, void *b) {
  size_t size = class_size(cls);
  if (!mp__front.hooked)
    mp__front.hooked = mp__on_thread_exit(cache_thread_exit, &mp__front);
  if (mp__front_takes(cls)) {
    mp__blocks_push(&mp__front, cls, b);
    return;
  }
  mp__lock();
  bool fits = back.bytes + size <= back_limit;
  if (fits)
    mp__blocks_push(&back, cls, b);
  mp__unlock();
  if (!fits)
    mp__sys_free(b, size, class_align(cls));
}

size_t mp__block_size(const mp_pool_t *pool, size_t need, size_t align) {
  if (pool->flags & MP_F_CACHED) {
    int cls = block_class_of(need, align);
    if (cls >= 0)
      return class_size(cls);
  }
  return MP_ALIGN_UP(need, MP_GRANULE);
}

void *mp__block_get(const mp_pool_t *pool, size_t size, size_t align) {
  if (!(pool->flags & MP_F_CACHED))
    return pool->backing.alloc(pool->backing.ud, size, align);
  int cls = block_class_of(size, align);
  if (cls < 0 || class_size(cls) != size)
    return mp__sys_alloc(size, align);
  return mp__cache_get(cls);
}

void mp__block_put(const mp_allocator_t *backing, unsigned flags, void *b,
                   size_t size, size_t align) {
  if (!(flags & MP_F_CACHED)) {
    mp_track_undefined(b, size); /* the allocator may use the block */
    backing->free(backing->ud, b, size);
    return;
  }
  int cls = block_class_of(size, align);
  if (cls < 0 || class_size(cls) != size) {
    mp__sys_free(b, size, align);
    return;
  }
  mp__cache_put(cls, b);
}

/* Moves every block of `from` to the back, within its bound; frees the rest.
 * Called with the lock held. */
static void drain_locked(struct mp_blocks *from, size_t limit) {
  for (int cls = 0; cls < MP_NCLS; cls++) {
    void *b;
    while ((b = mp__blocks_pop(from, cls)) != NULL) {
      if (from != &back && back.bytes + class_size(cls) <= limit)
        mp__blocks_push(&back, cls, b);
      else
        mp__sys_free(b, class_size(cls), class_align(cls));
    }
  }
}

static void cache_thread_exit(void *arg) {
  struct mp_blocks *f = arg;
  mp__lock();
  drain_locked(f, back_limit);
  mp__unlock();
  f->hooked = false;
}

void mpool_cache_flush(void) {
  mp__lock();
  drain_locked(&mp__front, 0);
  drain_locked(&back, 0);
  mp__unlock();
  mp__sys_collect(true);
}

int mpool_cache_set_retain(size_t bytes, unsigned decay_ms) {
  mp__sys_retain_set(bytes, decay_ms);
  return 0;
}

void mpool_cache_collect(void) { mp__sys_collect(false); }

/* Frees blocks of `b`, largest classes first, until it holds at most `limit`
 * bytes.  Called with the lock held for the back. */
static void cache_trim(struct mp_blocks *b, size_t limit) {
  for (int cls = MP_NCLS - 1; cls >= 0 && b->bytes > limit; cls--) {
    void *p;
    while (b->bytes > limit && (p = mp__blocks_pop(b, cls)) != NULL)
      mp__sys_free(p, class_size(cls), class_align(cls));
  }
}

int mpool_cache_set_limit(size_t bytes) {
  size_t fb = bytes < MP_TCACHE_LIMIT ? bytes : MP_TCACHE_LIMIT;
  mp__lock();
  back_limit = bytes;
  atomic_store_explicit(&mp__front_limit, fb, memory_order_relaxed);
  cache_trim(&back, bytes);
  cache_trim(&mp__front, fb);
  mp__unlock();
  return 0;
}

int mpool_cache_stats(mpool_cache_stats_t *st) {
  if (st == NULL || st->size < MPOOL_CACHE_STATS_MIN_SIZE) {
    errno = EINVAL;
    return -1;
  }
  mpool_cache_stats_t s;
  s.size = sizeof s;
  s.front_bytes = mp__front.bytes;
  s.front_limit = atomic_load_explicit(&mp__front_limit, memory_order_relaxed);
  mp__lock();
  s.back_bytes = back.bytes;
  s.back_limit = back_limit;
  mp__unlock();
  struct mp_sys_retain r;
  mp__sys_retain_stats(&r);
  s.retained_bytes = r.bytes;
  s.retain_limit = r.limit;
  s.purged_bytes = r.purged;
  s.decay_ms = r.decay_ms;
  size_t room = st->size, size = room < sizeof s ? room : sizeof s;
  s.size = size;
  memcpy(st, &s, size);
  if (room > size)
    memset((unsigned char *)st + size, 0, room - size);
  return 0;
}
