/*
 * mpool -- pool (region) allocation for C.
 *
 * A pool hands out memory for objects that share a lifetime (a request, a
 * parse, a frame) and releases all of it at once with mp_reset_pool() or
 * mp_destroy_pool().  Small requests are bump-allocated from nodes (blocks
 * of memory the pool owns); large requests get a block of their own that
 * mp_free() releases at once.
 *
 * This header is the whole public contract.  Every declaration below says
 * what it returns, how the memory is aligned, how long it lives, which errno
 * values it sets and what it promises about threads.
 *
 * Error convention: a function returning a pointer returns NULL and sets
 * errno; a function returning int returns 0, or -1 and sets errno.  errno is
 *   EINVAL     a NULL pool, a bad alignment, a bad option, a foreign pointer;
 *   EOVERFLOW  a size that cannot be represented (size arithmetic would wrap,
 *              or the request exceeds MP_MAX_ALLOC_SIZE);
 *   ENOMEM     the backing allocator failed.
 * A failed call leaves the pool consistent and usable.
 *
 * Threads: distinct pools may be used from distinct threads at the same time
 * without locking; the block cache they share is thread-safe.  One pool must
 * not be used by two threads at once; it may be passed from one thread to
 * another with the usual happens-before (a mutex, a queue, thread join).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_H
#define MPOOL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Version
 * ---------------------------------------------------------------------- */

#define MPOOL_VERSION_MAJOR 0
#define MPOOL_VERSION_MINOR 1
#define MPOOL_VERSION_PATCH 0
/** The version as one number: major * 10000 + minor * 100 + patch. */
#define MPOOL_VERSION                                                          \
  (MPOOL_VERSION_MAJOR * 10000 + MPOOL_VERSION_MINOR * 100 + MPOOL_VERSION_PATCH)

/* ------------------------------------------------------------------------
 * Export and attribute macros (each falls back to nothing)
 * ---------------------------------------------------------------------- */

#if defined(MPOOL_BUILDING_SHARED) && defined(MPOOL_SHARED)
#error "define MPOOL_BUILDING_SHARED or MPOOL_SHARED, not both"
#endif

#if defined(_WIN32)
#if defined(MPOOL_BUILDING_SHARED)
#define MP_API __declspec(dllexport)
#elif defined(MPOOL_SHARED)
#define MP_API __declspec(dllimport)
#else
#define MP_API
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define MP_API __attribute__((visibility("default")))
#else
#define MP_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MP_NODISCARD __attribute__((warn_unused_result))
#define MP_MALLOC __attribute__((malloc))
#define MP_ALLOC_SIZE(i) __attribute__((alloc_size(i)))
#define MP_ALLOC_SIZE2(i, j) __attribute__((alloc_size(i, j)))
#define MP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MP_NODISCARD
#define MP_MALLOC
#define MP_ALLOC_SIZE(i)
#define MP_ALLOC_SIZE2(i, j)
#define MP_PRINTF(f, a)
#endif
#if (defined(__GNUC__) && __GNUC__ >= 5) || defined(__clang__)
#define MP_ALLOC_ALIGN(i) __attribute__((alloc_align(i)))
#else
#define MP_ALLOC_ALIGN(i)
#endif

/* ------------------------------------------------------------------------
 * Types and limits
 * ---------------------------------------------------------------------- */

/** An opaque pool.  The struct name is the seed API's; the typedef is ours. */
struct mp_pool_s;
typedef struct mp_pool_s mp_pool_t;

/** The unit in which pools hand out node memory: every mp_alloc() object
 *  starts on a granule and covers whole granules. */
#ifdef __cplusplus
#define MP_GRANULE (alignof(std::max_align_t) > 16 ? alignof(std::max_align_t) : 16)
#else
#define MP_GRANULE (_Alignof(max_align_t) > 16 ? _Alignof(max_align_t) : 16)
#endif

/** Largest size any allocation call accepts; larger requests fail with
 *  EOVERFLOW. */
#define MP_MAX_ALLOC_SIZE ((size_t)PTRDIFF_MAX / 2)

/** Node size used when a caller passes 0 (=16384 bytes). */
#define MP_DEFAULT_NODE_SIZE ((size_t)16384)
/** Smallest node size; smaller requests are raised to it (=1024 bytes). */
#define MP_MIN_NODE_SIZE ((size_t)1024)
/** Largest node size; larger requests fail with EINVAL (=64 MiB). */
#define MP_MAX_NODE_SIZE ((size_t)64 << 20)

/**
 * Backing allocator: where a pool gets every byte it uses.
 *
 * alloc(ud, size, align) returns size bytes aligned to align (a power of two
 * between 16 and MP_MAX_NODE_SIZE), or NULL.  free(ud, p, size) returns a
 * block, with the size it was allocated with.  Both are only ever called with
 * valid arguments (size > 0, p not NULL).  The pool copies this struct at
 * creation; ud must stay valid until the pool is destroyed.
 */
typedef struct mp_allocator_s {
  void *(*alloc)(void *ud, size_t size, size_t align);
  void (*free)(void *ud, void *p, size_t size);
  void *ud;
} mp_allocator_t;

/**
 * Options for mp_create_pool_ex().  Zero in any field means its default, so
 * `mp_options_t o = {0};` is valid; mp_options_init() spells the defaults
 * out.  Fields are only ever appended, never reordered.
 */
typedef struct mp_options_s {
  /** Bytes per node (=MP_DEFAULT_NODE_SIZE), rounded up to a power of two
   *  and to at least MP_MIN_NODE_SIZE.  Above MP_MAX_NODE_SIZE: EINVAL. */
  size_t node_size;
  /** Alignment of mp_alloc() and mp_calloc() results
   *  (=alignof(max_align_t)); a power of two.  Values below 16 are raised
   *  to 16, the granule in which the pool accounts node memory; above
   *  node_size / 8: EINVAL. */
  size_t alignment;
  /** Requests larger than this get a block of their own, which mp_free()
   *  releases at once (=a quarter of a node's usable bytes).  Raised to at
   *  least 2 * alignment and lowered to what fits in one node. */
  size_t large_threshold;
  /** Backing allocator (=NULL: the C library's aligned allocation, behind
   *  the process-wide block cache).  A pool with its own allocator bypasses
   *  the block cache: every byte it uses passes through this allocator. */
  const mp_allocator_t *allocator;
  /** MP_POOL_* flags (=0); an unknown flag: EINVAL. */
  unsigned flags;
} mp_options_t;

/**
 * Pool flag: every small object carries a 16-byte header with its size, so
 * that mp_free() and mp_realloc_unsized() work on small objects too.  Costs
 * 16 bytes per small object (more for alignments above 16), and every
 * allocation takes the slow path.  mp_nalloc() returns aligned memory in
 * such a pool.
 */
#define MP_POOL_SIZE_HEADERS 0x1u

/* ------------------------------------------------------------------------
 * Creating and releasing pools
 * ---------------------------------------------------------------------- */

/**
 * Fills *opt with the default options.
 * @param opt  options to initialise; NULL is ignored.
 * Thread-safety: touches only *opt.
 */
MP_API void mp_options_init(mp_options_t *opt);

/**
 * Creates a pool whose nodes hold `size` bytes.
 *
 * `size` is the node size: 0 means MP_DEFAULT_NODE_SIZE; other values are
 * rounded up to a power of two, and to at least MP_MIN_NODE_SIZE.  The pool
 * itself lives in its first node, so creating a pool in steady state takes a
 * block from the block cache and calls no allocator.
 *
 * @return a new pool, or NULL with errno EINVAL (size > MP_MAX_NODE_SIZE) or
 *         ENOMEM.
 * Thread-safety: may be called from any thread at any time.
 */
MP_API MP_NODISCARD struct mp_pool_s *mp_create_pool(size_t size);

/**
 * Creates a pool with the given options (NULL: all defaults).
 * @return a new pool, or NULL with errno EINVAL (an option out of range) or
 *         ENOMEM (the backing allocator failed).
 * Thread-safety: may be called from any thread at any time.
 */
MP_API MP_NODISCARD mp_pool_t *mp_create_pool_ex(const mp_options_t *opt);

/**
 * Destroys a pool: releases every large block and every node, after which
 * all memory allocated from the pool and the pool itself are invalid.
 * NULL is ignored.
 * Thread-safety: no other thread may use the pool during or after the call.
 */
MP_API void mp_destroy_pool(struct mp_pool_s *pool);

/** The seed API's spelling of mp_destroy_pool(); identical behaviour. */
MP_API void mp_destory_pool(struct mp_pool_s *pool);

/**
 * Resets a pool: releases every large block and rewinds every node, so that
 * all memory allocated from the pool becomes invalid while the pool keeps
 * its nodes for the allocations that follow.  Nodes are reused in order, the
 * first one first.  NULL is ignored.
 * Thread-safety: no other thread may use the pool during the call.
 */
MP_API void mp_reset_pool(struct mp_pool_s *pool);

/* ------------------------------------------------------------------------
 * Allocating
 *
 * Memory from these calls stays valid until it is freed (mp_free() for
 * large blocks, mp_free_sized() for any object), or the pool is reset or
 * destroyed.  A size of 0 is valid
 * and returns a unique pointer to a minimal object.  Contents are
 * uninitialised except for mp_calloc().
 * ---------------------------------------------------------------------- */

/**
 * Allocates `size` bytes aligned to the pool's alignment
 * (alignof(max_align_t) unless set in mp_options_t).
 * @return the memory, or NULL with errno EINVAL (pool is NULL), EOVERFLOW
 *         (size > MP_MAX_ALLOC_SIZE) or ENOMEM.
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) void *
mp_alloc(struct mp_pool_s *pool, size_t size);

/**
 * Allocates `size` bytes with no alignment (packed, for strings and bytes).
 * @return the memory, or NULL with errno EINVAL, EOVERFLOW or ENOMEM as for
 *         mp_alloc().
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) void *
mp_nalloc(struct mp_pool_s *pool, size_t size);

/**
 * Allocates `size` zeroed bytes aligned as for mp_alloc().
 * @return the memory, or NULL with errno as for mp_alloc().
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) void *
mp_calloc(struct mp_pool_s *pool, size_t size);

/**
 * Allocates `n * size` zeroed bytes aligned as for mp_alloc().
 * @return the memory, or NULL with errno EOVERFLOW (n * size wraps or
 *         exceeds MP_MAX_ALLOC_SIZE), EINVAL or ENOMEM.
 */
MP_API MP_MALLOC MP_ALLOC_SIZE2(2, 3) void *
mp_calloc_array(struct mp_pool_s *pool, size_t n, size_t size);

/**
 * Allocates `size` bytes aligned to `alignment`, which must be a power of
 * two no smaller than sizeof(void *) and no larger than MP_MAX_NODE_SIZE.
 * Small requests are served from a node; others get a large block, which
 * mp_free() releases.
 * @return the memory, or NULL with errno EINVAL (NULL pool, bad alignment),
 *         EOVERFLOW or ENOMEM.
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) MP_ALLOC_ALIGN(3) void *
mp_memalign(struct mp_pool_s *pool, size_t size, size_t alignment);

/**
 * Releases a block early.
 *
 * A large block (a request above the pool's large_threshold, or an
 * mp_memalign() too big for a node) is returned at once, in O(1).  A small
 * object, which lives in a node, is left in place until reset or destroy
 * (the seed API's meaning): the call succeeds and does nothing; use
 * mp_free_sized() to reuse its memory, or create the pool with
 * MP_POOL_SIZE_HEADERS, in which mp_free() frees small objects as
 * mp_free_sized() does.  NULL `p` is a no-op.
 *
 * @return 0 on success; -1 with errno EINVAL if pool is NULL or `p` was not
 *         allocated from this pool (and is not already freed).  A pointer
 *         into the middle of a large block is foreign.
 */
MP_API int mp_free(struct mp_pool_s *pool, void *p);

/* ------------------------------------------------------------------------
 * Reuse: freeing single objects early
 *
 * Memory freed here goes back to the pool: it is handed out again by later
 * allocations from the same pool in O(1), merges with free neighbours, and a
 * node that becomes entirely free returns to the block cache.  Freeing the
 * most recent allocation gives its bytes straight back to the bump pointer.
 * Reset forgets every free list.  Freeing is precise for objects from
 * mp_alloc(), mp_calloc() and mp_memalign(); for one from mp_nalloc() it is
 * precise when it is the most recent mp_nalloc(), otherwise the 16-byte
 * granules wholly inside the object are reused and its partial ends come
 * back at reset.
 *
 * Bad input: a double free, or a size other than the one requested, is
 * undefined behaviour in release builds (the hardened build reports it); a
 * pointer the pool does not own and a size larger than a small object can
 * have are reported (-1, EINVAL).
 * ---------------------------------------------------------------------- */

/**
 * Frees `p`, an object of this pool, given the size it was requested with
 * (size 0 is valid, as when allocating).  No per-object header is needed.
 * Large blocks are released as by mp_free() (their size is known).  In a
 * pool with MP_POOL_SIZE_HEADERS the size comes from the header and `size`
 * is ignored.  NULL `p` is a no-op.
 * @return 0, or -1 with errno EINVAL (NULL pool, foreign pointer, a size
 *         no small object can have).
 */
MP_API int mp_free_sized(struct mp_pool_s *pool, void *p, size_t size);

/**
 * Resizes `p`, an object of this pool requested with `old_size` bytes, to
 * `new_size` bytes, keeping its contents up to the smaller size.  Grows in
 * place when `p` is the last allocation or free space follows it, shrinks
 * in place, and otherwise moves the object and frees the old one.  NULL `p`
 * allocates as mp_alloc(); a large block's own size is used instead of
 * `old_size`.  The result is aligned as mp_alloc() results are (an object
 * from mp_nalloc() stays unaligned).  Shrinking never fails.
 * @return the object, or NULL with errno EINVAL (NULL pool, foreign
 *         pointer), EOVERFLOW or ENOMEM; on failure `p` is left intact.
 */
MP_API void *mp_realloc(struct mp_pool_s *pool, void *p, size_t old_size,
                        size_t new_size);

/**
 * mp_realloc() for callers who do not know the old size: `p` must be a large
 * block, or an object of a pool created with MP_POOL_SIZE_HEADERS.
 * @return as mp_realloc(); EINVAL also for a small object of a pool
 *         without size headers.
 */
MP_API void *mp_realloc_unsized(struct mp_pool_s *pool, void *p,
                                size_t new_size);

/**
 * An allocator function of the shape embeddable interpreters take (Lua's
 * lua_Alloc): `ud` is the pool.  With `nsize` 0 it frees `ptr` (of `osize`
 * bytes) and returns NULL; otherwise it is mp_realloc(ud, ptr, osize,
 * nsize), and `osize` is ignored when `ptr` is NULL.
 * @return as mp_realloc(), or NULL after a free.
 */
MP_API void *mp_allocf(void *ud, void *ptr, size_t osize, size_t nsize);

/* ------------------------------------------------------------------------
 * Object pools: O(1) get and put of objects of one size and alignment
 * ---------------------------------------------------------------------- */

/** An object pool, which lives in (and dies with) a pool. */
typedef struct mp_objpool_s mp_objpool_t;

/**
 * Creates an object pool for objects of `size` bytes aligned to `align`
 * (0: the pool's alignment; otherwise a power of two, at least
 * sizeof(void *)) inside `pool`.  The object pool and its objects are valid
 * until `pool` is reset or destroyed.
 * @return the object pool, or NULL with errno EINVAL (NULL pool, bad
 *         alignment), EOVERFLOW or ENOMEM.
 */
MP_API mp_objpool_t *mp_objpool_create(struct mp_pool_s *pool, size_t size,
                                       size_t align);

/**
 * Takes an object: the last one put back, or a new one from the pool.
 * Contents are uninitialised.
 * @return the object, or NULL with errno EINVAL (NULL objpool) or ENOMEM.
 */
MP_API void *mp_objpool_get(mp_objpool_t *op);

/**
 * Puts an object taken from `op` back, for the next mp_objpool_get().
 * NULL `obj` is a no-op.
 * @return 0, or -1 with errno EINVAL (NULL objpool).
 */
MP_API int mp_objpool_put(mp_objpool_t *op, void *obj);

/* ------------------------------------------------------------------------
 * Inline fast path
 *
 * mp_alloc() is also a macro that serves the common case -- a small request
 * that fits the current node -- inline, with a compare and an add, and calls
 * the function otherwise.  It reads only the pool's first member, its bump
 * window; the rest of the pool stays private.  Pools whose mode needs every
 * allocation to reach the library (size headers, alignment above 16,
 * sanitizer and debug builds) keep the window empty, so the macro always
 * calls the function for them.  Define MPOOL_NO_INLINE before including
 * this header to call the function always; (mp_alloc)(pool, n) and
 * &mp_alloc also reach the function.
 * ---------------------------------------------------------------------- */

/** The bump window at the start of every pool (internal; do not use). */
struct mp__window {
  unsigned char *ptr; /* next free byte, granule aligned */
  unsigned char *end; /* end of what the fast path may hand out */
};

static inline void *mp__alloc_inline(struct mp_pool_s *pool, size_t size) {
  if (pool != NULL) {
    /* A pointer to a struct is a pointer to its first member. */
    struct mp__window *w = (struct mp__window *)(void *)pool;
    unsigned char *p = w->ptr;
    if (size - 1 < (size_t)(w->end - p)) { /* size 0 goes to the call */
      w->ptr = p + ((size + (MP_GRANULE - 1)) & ~(size_t)(MP_GRANULE - 1));
      return p;
    }
  }
  return mp_alloc(pool, size);
}

#if !defined(MPOOL_NO_INLINE) && !defined(MPOOL_BUILDING_LIBRARY)
#define mp_alloc(pool, size) mp__alloc_inline((pool), (size))
#endif

/* ------------------------------------------------------------------------
 * Library
 * ---------------------------------------------------------------------- */

/** The library's version, as MPOOL_VERSION, for checking the header you
 *  compiled against against the library you run with.
 *  Thread-safety: may be called from any thread at any time. */
MP_API int mpool_version(void);

/**
 * Returns every block held by the process-wide block cache (the calling
 * thread's front and the shared back) to the C library.  Pools keep working;
 * later requests simply refill the cache.  Call it after a burst, or before
 * a leak checker looks at the process.  Other threads' fronts are returned
 * when those threads exit.
 * Thread-safety: may be called from any thread at any time.
 */
MP_API void mpool_cache_flush(void);

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_H */
