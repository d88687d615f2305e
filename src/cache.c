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
#include "mp_internal.h"
#include "mp_platform.h"

#include <stdatomic.h>
#include <string.h>

#define MP_CLS_MIN_SHIFT 10
#define MP_CLS_MAX_SHIFT 20
#define MP_NCLS ((MP_CLS_MAX_SHIFT - MP_CLS_MIN_SHIFT) * 4 + 1)
#define MP_CLASS_ALIGN ((size_t)64)

struct mp_free_block {
  struct mp_free_block *next;
};

struct mp_blocks {
  struct mp_free_block *head[MP_NCLS];
  size_t bytes;
  bool hooked; /* front only: the thread-exit hook is armed */
};

/* initial-exec: the front is reached without a call into the dynamic
 * linker, as allocators' thread caches usually are. */
#if defined(__GNUC__) || defined(__clang__)
#define MP_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define MP_TLS_MODEL
#endif
static _Thread_local struct mp_blocks front MP_TLS_MODEL;
static struct mp_blocks back;
static size_t back_limit = MP_DEFAULT_CACHE_LIMIT;
static atomic_size_t front_limit = MP_TCACHE_LIMIT;

/* Bytes each thread's front may hold: MP_TCACHE_LIMIT, or less when
 * mpool_cache_set_limit() set a smaller bound. */
static size_t front_bound(void) {
  return atomic_load_explicit(&front_limit, memory_order_relaxed);
}

/* The class that holds `need` bytes at `align`, or -1 if none does. */
static int class_of(size_t need, size_t align) {
  if (need > ((size_t)1 << MP_CLS_MAX_SHIFT))
    return -1;
  int cls;
  if (need <= ((size_t)1 << MP_CLS_MIN_SHIFT)) {
    cls = 0;
  } else {
    unsigned k = mp__floor_log2(need - 1); /* 2^k < need <= 2^(k+1) */
    size_t step = (size_t)1 << (k - 2);
    size_t s = (need - ((size_t)1 << k) + step - 1) >> (k - 2);
    cls = (int)((k - MP_CLS_MIN_SHIFT) * 4 + s);
  }
  size_t size = (size_t)1 << (MP_CLS_MIN_SHIFT + cls / 4);
  size_t cls_align = cls % 4 == 0 ? size : MP_CLASS_ALIGN;
  return align <= cls_align ? cls : -1;
}

static size_t class_size(int cls) {
  size_t base = (size_t)1 << (MP_CLS_MIN_SHIFT + cls / 4);
  return base + (size_t)(cls % 4) * (base / 4);
}

static size_t class_align(int cls) {
  return cls % 4 == 0 ? class_size(cls) : MP_CLASS_ALIGN;
}

static void *pop(struct mp_blocks *b, int cls) {
  struct mp_free_block *f = b->head[cls];
  if (f != NULL) {
    b->head[cls] = f->next;
    b->bytes -= class_size(cls);
    mp_track_undefined(f, class_size(cls));
  }
  return f;
}

/* A block in the cache is inaccessible to memory tools but for its link
 * word; pop() makes the whole block accessible again. */
static void push(struct mp_blocks *b, int cls, void *p) {
  struct mp_free_block *f = p;
  mp_track_undefined(f, sizeof *f);
  f->next = b->head[cls];
  b->head[cls] = f;
  b->bytes += class_size(cls);
  mp_track_noaccess(f + 1, class_size(cls) - sizeof *f);
}

int mp__block_class(const mp_pool_t *pool, size_t need, size_t align) {
  return (pool->flags & MP_F_CACHED) ? class_of(need, align) : -1;
}

size_t mp__class_size(int cls) { return class_size(cls); }

void *mp__cache_get(int cls) {
  void *b = pop(&front, cls);
  if (b != NULL)
    return b;
  mp__lock();
  b = pop(&back, cls);
  mp__unlock();
  return b != NULL ? b : mp__os_alloc(class_size(cls), class_align(cls));
}

void mp__cache_put(int cls, void *b) {
  size_t size = class_size(cls);
  if (!front.hooked)
    front.hooked = mp__on_thread_exit(&front);
  if (front.hooked && front.bytes + size <= front_bound()) {
    push(&front, cls, b);
    return;
  }
  mp__lock();
  bool keep = back.bytes + size <= back_limit;
  if (keep)
    push(&back, cls, b);
  mp__unlock();
  if (!keep)
    mp__os_free(b, size, class_align(cls));
}

size_t mp__block_size(const mp_pool_t *pool, size_t need, size_t align) {
  if (pool->flags & MP_F_CACHED) {
    int cls = class_of(need, align);
    if (cls >= 0)
      return class_size(cls);
  }
  return MP_ALIGN_UP(need, MP_GRANULE);
}

void *mp__block_get(mp_pool_t *pool, size_t size, size_t align) {
  if (!(pool->flags & MP_F_CACHED))
    return pool->backing.alloc(pool->backing.ud, size, align);
  int cls = class_of(size, align);
  if (cls < 0 || class_size(cls) != size)
    return mp__os_alloc(size, align);
  return mp__cache_get(cls);
}

void mp__block_put(const mp_allocator_t *backing, unsigned flags, void *b,
                   size_t size, size_t align) {
  if (!(flags & MP_F_CACHED)) {
    mp_track_undefined(b, size); /* the allocator may use the block */
    backing->free(backing->ud, b, size);
    return;
  }
  int cls = class_of(size, align);
  if (cls < 0 || class_size(cls) != size) {
    mp__os_free(b, size, align);
    return;
  }
  mp__cache_put(cls, b);
}

/* Moves every block of `from` to the back, within its bound; frees the rest.
 * Called with the lock held. */
static void drain_locked(struct mp_blocks *from, size_t limit) {
  for (int cls = 0; cls < MP_NCLS; cls++) {
    void *b;
    while ((b = pop(from, cls)) != NULL) {
      if (from != &back && back.bytes + class_size(cls) <= limit)
        push(&back, cls, b);
      else
        mp__os_free(b, class_size(cls), class_align(cls));
    }
  }
}

void mp__cache_thread_exit(void *arg) {
  struct mp_blocks *f = arg;
  mp__lock();
  drain_locked(f, back_limit);
  mp__unlock();
  f->hooked = false;
}

void mpool_cache_flush(void) {
  mp__lock();
  drain_locked(&front, 0);
  drain_locked(&back, 0);
  mp__unlock();
}

/* Frees blocks of `b`, largest classes first, until it holds at most `limit`
 * bytes.  Called with the lock held for the back. */
static void trim(struct mp_blocks *b, size_t limit) {
  for (int cls = MP_NCLS - 1; cls >= 0 && b->bytes > limit; cls--) {
    void *p;
    while (b->bytes > limit && (p = pop(b, cls)) != NULL)
      mp__os_free(p, class_size(cls), class_align(cls));
  }
}

int mpool_cache_set_limit(size_t bytes) {
  size_t fb = bytes < MP_TCACHE_LIMIT ? bytes : MP_TCACHE_LIMIT;
  mp__lock();
  back_limit = bytes;
  atomic_store_explicit(&front_limit, fb, memory_order_relaxed);
  trim(&back, bytes);
  trim(&front, fb);
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
  s.front_bytes = front.bytes;
  s.front_limit = atomic_load_explicit(&front_limit, memory_order_relaxed);
  mp__lock();
  s.back_bytes = back.bytes;
  s.back_limit = back_limit;
  mp__unlock();
  size_t room = st->size, size = room < sizeof s ? room : sizeof s;
  s.size = size;
  memcpy(st, &s, size);
  if (room > size)
    memset((unsigned char *)st + size, 0, room - size);
  return 0;
}
