/*
 * cache.h: what cache.c offers the other files: the block cache, the block
 * source of pools on the default allocator. Included by mp_internal.h, after
 * the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_CACHE_H
#define MP_CACHE_H

/* cache.c: the block source.  Sizes passed to put() are those get() used. */
size_t mp__block_size(const mp_pool_t *pool, size_t need, size_t align);
/* Bytes of the block an adaptive pool keeps its struct in. */
static inline size_t mp__struct_block(const mp_pool_t *pool) {
  return mp__block_size(pool, sizeof(mp_pool_t), MP_GRANULE);
}
/* The cache class of a block, or -1 when it bypasses the cache; the class
 * calls below skip the lookups the size-based ones make. */
int mp__block_class(const mp_pool_t *pool, size_t need, size_t align);
size_t mp__class_size(int cls);
void *mp__cache_get_slow(int cls);
void mp__cache_put_slow(int cls, void *b);

/* The calling thread's front of the block cache (cache.c): free blocks by
 * class, popped and pushed inline below on every node and large block. */
#define MP_CACHE_CLASSES 41
struct mp_free_block {
  struct mp_free_block *next;
};
struct mp_blocks {
  struct mp_free_block *head[MP_CACHE_CLASSES];
  size_t bytes;
  bool hooked; /* front only: the thread-exit hook is armed */
  bool passed; /* front only: puts pass it by (mp__cache_pass_front()) */
};
#if defined(__GNUC__) || defined(__clang__)
/* initial-exec: the front is reached without a call into the dynamic
 * linker, as allocators' thread caches usually are. */
#define MP_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define MP_TLS_MODEL
#endif
extern _Thread_local struct mp_blocks mp__front MP_TLS_MODEL;
extern const size_t mp__class_sizes[MP_CACHE_CLASSES];
extern atomic_size_t mp__front_limit;

/* The newest block of class cls in b, or NULL. */
static inline void *mp__blocks_pop(struct mp_blocks *b, int cls) {
  struct mp_free_block *f = b->head[cls];
  if (f != NULL) {
    b->head[cls] = f->next;
    b->bytes -= mp__class_sizes[cls];
    mp_track_undefined(f, mp__class_sizes[cls]);
  }
  return f;
}

/* A block in the cache is inaccessible to memory tools but for its link
 * word; mp__blocks_pop() makes the whole block accessible again. */
static inline void mp__blocks_push(struct mp_blocks *b, int cls, void *p) {
  struct mp_free_block *f = p;
  mp_track_undefined(f, sizeof *f);
  f->next = b->head[cls];
  b->head[cls] = f;
  b->bytes += mp__class_sizes[cls];
  mp_track_noaccess(f + 1, mp__class_sizes[cls] - sizeof *f);
}

/* A block of class cls: the front's, else the back's or a new one. */
static inline void *mp__cache_get(int cls) {
  void *b = mp__blocks_pop(&mp__front, cls);
  return mp_likely(b != NULL) ? b : mp__cache_get_slow(cls);
}

/* Whether the front, with its thread-exit hook armed, has room for a
 * block of class cls. */
static inline bool mp__front_takes(int cls) {
  return mp__front.hooked && !mp__front.passed &&
         mp__front.bytes + mp__class_sizes[cls] <=
             atomic_load_explicit(&mp__front_limit, memory_order_relaxed);
}

/* Before a pool of `bytes` gives back all its blocks, newest first: if
 * they are more than this thread's front has room for, they pass the
 * front by and go to the back, so that whichever pool takes them next
 * gets them in the order this one took them (a stack over a stack would
 * hand them out rotated).  Returns what mp__cache_pass_end() restores. */
static inline bool mp__cache_pass_front(size_t bytes) {
  bool was = mp__front.passed;
  size_t limit = atomic_load_explicit(&mp__front_limit, memory_order_relaxed);
  if (mp_unlikely(mp__front.bytes > limit || bytes > limit - mp__front.bytes))
    mp__front.passed = true;
  return was;
}

static inline void mp__cache_pass_end(bool passed) {
  mp__front.passed = passed;
}

/* Gives a block of class cls back: to the front while it has room. */
static inline void mp__cache_put(int cls, void *b) {
  if (mp_likely(mp__front_takes(cls)))
    mp__blocks_push(&mp__front, cls, b);
  else
    mp__cache_put_slow(cls, b);
}
void *mp__block_get(const mp_pool_t *pool, size_t size, size_t align);
void mp__block_put(const mp_allocator_t *backing, unsigned flags, void *b,
                   size_t size, size_t align);

#endif /* MP_CACHE_H */
