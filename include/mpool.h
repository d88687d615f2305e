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
} mp_options_t;

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
 * Memory from these calls stays valid until it is freed with mp_free()
 * (large blocks), or the pool is reset or destroyed.  A size of 0 is valid
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
 * (the seed API's meaning): the call succeeds and does nothing.  NULL `p` is
 * a no-op.
 *
 * @return 0 on success; -1 with errno EINVAL if pool is NULL or `p` was not
 *         allocated from this pool (and is not already freed).  A pointer
 *         into the middle of a large block is foreign.
 */
MP_API int mp_free(struct mp_pool_s *pool, void *p);

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
