/** @file
 * mpool -- pool (region) allocation for C.
 *
 * A pool hands out memory for objects that share a lifetime (a request, a
 * parse, a frame) and releases all of it at once with mp_reset_pool() or
 * mp_destroy_pool().  Small requests are bump-allocated from nodes (blocks
 * of memory the pool owns); large requests get a block of their own that
 * mp_free() releases at once.
 *
 * This header is the whole public contract.  It serves C89 with GNU
 * extensions (gnu89), C99, C11, C2x and C++11 or later consumers alike; the
 * library itself is C11.  Every declaration below says
 * what it returns, how the memory is aligned, how long it lives, which errno
 * values it sets and what it promises about threads.
 *
 * Error convention: a function returning a pointer returns NULL and sets
 * errno; a function returning int returns 0, or -1 and sets errno.  errno is
 *   - EINVAL: a NULL pool, a bad alignment, a bad option, a foreign pointer;
 *   - EOVERFLOW: a size that cannot be represented (size arithmetic would
 *     wrap, or the request exceeds MP_MAX_ALLOC_SIZE);
 *   - ENOMEM: the backing allocator failed, a pool's caller buffer is full,
 *     or a byte budget would be crossed (see mp_options_t).
 *
 * A failed call leaves the pool consistent and usable.
 *
 * Thread safety (the rules, stated once here; each declaration's
 * Thread-safety line says which applies -- "changes the pool", "reads the
 * pool", "any thread" -- and states only its exceptions):
 *   - Distinct pools may be used from distinct threads at the same time
 *     without locking.  The process-wide block cache they share is
 *     thread-safe: a block freed on one thread is reused on another, and a
 *     thread's cached blocks go back to the shared cache when it exits.
 *   - Changes the pool: an ordinary pool belongs to one thread at a time.
 *     It may be handed to another thread with the usual happens-before (a
 *     mutex, a queue, thread creation or join) and used there, including
 *     destroyed there; the thread that gives it up calls mp_pool_handoff()
 *     first, which debug builds require (they abort when a thread that does
 *     not own a pool changes it).  Two threads must not call into it at
 *     once.  Memory from a pool may be read and written by any thread the
 *     program synchronises itself; only calls are confined.
 *   - Reads the pool: calls that only read it (mp_stats(), mp_report(),
 *     mp_check(), mp_pool_parent()) may overlap one another, not a call
 *     that changes it.
 *   - A pool created with MP_POOL_SHARED may be used by many threads at
 *     once: allocation, freeing, resizing, strings, cleanups, child
 *     creation and statistics are safe (small requests without a lock, see
 *     MP_POOL_SHARED).  Its reset, destroy, mark and rewind need it
 *     to themselves (debug builds abort when they see another thread in a
 *     call on it).
 *   - A pool and its children: allocating from a child touches only the
 *     child, so a child may live on another thread than its parent.  But
 *     creating or destroying a child links it into or out of its parent's
 *     list of children, and resetting or destroying a parent destroys its
 *     children: those calls count as uses of the parent (and the latter as
 *     uses of every descendant), and must not overlap with the parent's
 *     owner using the parent.  Children of a shared pool are the
 *     exception: their creation and destruction take the parent's lock.
 *   - Any thread: the functions that touch no pool (mp_options_init(),
 *     mpool_version(), mpool_build_flags(), the mpool_cache_*() calls) may
 *     be called from any thread at any time.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_H
#define MPOOL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* FILE, for mp_report() */

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @defgroup version Version
 * @{
 */

/** The major version: raised when the ABI changes incompatibly. */
#define MPOOL_VERSION_MAJOR 0
/** The minor version: raised when the interface grows compatibly. */
#define MPOOL_VERSION_MINOR 1
/** The patch version: raised for fixes that change no interface. */
#define MPOOL_VERSION_PATCH 0
/** The version as one number: major * 10000 + minor * 100 + patch. */
#define MPOOL_VERSION                                                          \
  (MPOOL_VERSION_MAJOR * 10000 + MPOOL_VERSION_MINOR * 100 +                   \
   MPOOL_VERSION_PATCH)

/** @} */

/* Export and attribute macros (each falls back to nothing). */

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
#define MP_SENTINEL __attribute__((sentinel))
#else
#define MP_NODISCARD
#define MP_MALLOC
#define MP_ALLOC_SIZE(i)
#define MP_ALLOC_SIZE2(i, j)
#define MP_PRINTF(f, a)
#define MP_SENTINEL
#endif
#if (defined(__GNUC__) && __GNUC__ >= 5) || defined(__clang__)
#define MP_ALLOC_ALIGN(i) __attribute__((alloc_align(i)))
#else
#define MP_ALLOC_ALIGN(i)
#endif

/**
 * @defgroup types Types and limits
 * @{
 */

struct mp_pool_s;
/** An opaque pool.  The struct name is the seed API's; the typedef is ours. */
typedef struct mp_pool_s mp_pool_t;

/** The unit in which pools hand out node memory (=16 bytes): every
 *  mp_alloc() object starts on a granule and covers whole granules.  A
 *  constant, so that C99 and older consumers, which have no max_align_t,
 *  see the same value as the library; the library checks when it is built
 *  that alignof(max_align_t) is no larger. */
#define MP_GRANULE ((size_t)16)

/** Largest size any allocation call accepts; larger requests fail with
 *  EOVERFLOW. */
#define MP_MAX_ALLOC_SIZE ((size_t)PTRDIFF_MAX / 2)

/** Node size used when a caller passes 0 (=32768 bytes). */
#define MP_DEFAULT_NODE_SIZE ((size_t)32768)
/** Smallest node size; smaller requests are raised to it (=1024 bytes). */
#define MP_MIN_NODE_SIZE ((size_t)1024)
/** Largest node size; larger requests fail with EINVAL (=64 MiB). */
#define MP_MAX_NODE_SIZE ((size_t)64 << 20)

/**
 * Backing allocator: where a pool gets every byte it uses.
 *
 * Both functions are only ever called with valid arguments (size > 0, p not
 * NULL).  The pool copies this struct at creation.
 */
typedef struct mp_allocator_s {
  /** alloc(ud, size, align) returns size bytes aligned to align (a power of
   *  two between 16 and MP_MAX_NODE_SIZE), or NULL. */
  void *(*alloc)(void *ud, size_t size, size_t align);
  /** free(ud, p, size) returns a block, with the size it was allocated
   *  with. */
  void (*free)(void *ud, void *p, size_t size);
  /** Passed to both as `ud`; must stay valid until the pool is destroyed. */
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
  /** Parent pool (=NULL: none).  The new pool becomes a child of `parent`:
   *  resetting or destroying the parent destroys it first (see "Child
   *  pools" below).  A child uses its parent's backing allocator (and so
   *  the block cache if the parent does); `allocator` must then be NULL or
   *  point to an allocator with the parent's alloc, free and ud, else
   *  EINVAL.  The other fields are the child's own, with their usual
   *  defaults. */
  mp_pool_t *parent;
  /** Caller memory the pool lives in (=NULL: none).  With a buffer, the
   *  pool takes its struct, every node, every large block and its tables
   *  from [buffer, buffer + buffer_size) and never calls the backing
   *  allocator unless MP_POOL_BUFFER_OVERFLOW is set; once the buffer is
   *  full, allocation fails with ENOMEM (and the hook below is called).
   *  Memory the pool gives back (freed large blocks, released nodes) is
   *  reused from the buffer.  Any alignment is accepted: the pool aligns
   *  inside the buffer, so a misaligned buffer only loses a few bytes (and
   *  up to one node to node alignment).  The buffer must stay valid and
   *  untouched until the pool is destroyed; destroying it frees nothing
   *  but overflow blocks.  Buffer pools bypass the block cache.  With a
   *  buffer and node_size 0 the node size is the largest power of two up
   *  to buffer_size / 4, within [MP_MIN_NODE_SIZE, MP_DEFAULT_NODE_SIZE]
   *  (mp_options_init() sets node_size: set it back to 0 for that).
   *  Children of a buffer pool take their memory from the same buffer
   *  (it is locked, so they may live on other threads) unless given a
   *  buffer of their own; a child with its own buffer overflows (if
   *  allowed) to its parent's allocator.  EINVAL: buffer NULL with
   *  buffer_size > 0, buffer_size below MP_MIN_BUFFER_SIZE, or a buffer
   *  too small for what creation takes: one node at its alignment, and
   *  the pool's struct (MP_POOL_ADAPTIVE) or a shared pool's handle
   *  (2 * node_size + MP_MIN_BUFFER_SIZE always suffices). */
  void *buffer;
  /** Bytes at `buffer` (=0). */
  size_t buffer_size;
  /** Byte budget (=0: none): the most bytes the pool may hold from its
   *  block source -- nodes (the first one included), large blocks with
   *  their headers and rounding, and its tables -- together with all its
   *  descendants, whose bytes also count against every ancestor's
   *  budget.  A request that would cross it fails with ENOMEM before
   *  anything is taken, and the out-of-memory hook is called.  Creating a
   *  pool whose first node does not fit its budget (or an ancestor's)
   *  fails with ENOMEM.  mp_stats_t budget and budget_used report it.
   *  Pools with no budget on themselves or an ancestor pay nothing. */
  size_t budget;
  /** Out-of-memory hook (=NULL: none; a child without one inherits its
   *  parent's hook and oom_ud).  Called as on_oom(pool, size, oom_ud) on
   *  the allocating thread once for every call that fails with ENOMEM
   *  because the pool could not obtain memory -- a budget crossed, a full
   *  buffer, or the backing allocator failed -- before the call returns
   *  NULL; `size` is the number of bytes of the block the pool tried to
   *  take (a node, or a large block with its header, also when what
   *  failed was the table that indexes it), `pool` is the pool that asked
   *  (for a shared pool, the pool behind its handle: pass it to mp_stats()
   *  only).  The hook may log, read mp_stats() and mp_report() of the
   *  pool, set flags, and use or free other pools that are not ancestors
   *  or descendants of this one; it must not call any function that
   *  changes this pool or its relatives (no allocation, free, reset or
   *  destroy), and it must not longjmp out.  A shortage the pool gets
   *  over by itself, with no call failing, calls no hook: a shrinking
   *  mp_realloc() that keeps the block it has, free lists or an ownership
   *  index there is no memory for (mp_free_sized(), mp_free(), mp_owns()
   *  and mp_check() then work without them), an adaptive pool that keeps
   *  its node size at a reset.  Creating a child whose first node (or, for a
   *  MP_POOL_SHARED child, its handle) would cross an ancestor's budget
   *  calls the hook of that ancestor (the nearest such one), as
   *  on_oom(ancestor, size, its oom_ud) with the bytes the child needed.
   *  Any other ENOMEM in creating a child -- a first node above the
   *  child's own budget, or a first node, struct block or handle the
   *  block source cannot give -- calls the hook the child would have had
   *  (its own, or its parent's) as on_oom(parent, size, oom_ud): the
   *  child never existed.  A root pool whose creation fails has no pool
   *  to name and calls no hook.  Only the pool's own memory counts: a
   *  debug build's mp_report(), whose scratch memory comes from the C
   *  library, fails with ENOMEM without a hook. */
  void (*on_oom)(mp_pool_t *pool, size_t size, void *ud);
  /** Passed to on_oom as `ud` (=NULL). */
  void *oom_ud;
} mp_options_t;

/** The smallest buffer_size a buffer pool accepts (=4096 bytes): room for
 *  the buffer's bookkeeping and a node of MP_MIN_NODE_SIZE at any buffer
 *  alignment. */
#define MP_MIN_BUFFER_SIZE ((size_t)4096)

/**
 * Pool flag: every small object carries a 16-byte header with its size, so
 * that mp_free() and mp_realloc_unsized() work on small objects too.  Costs
 * 16 bytes per small object (more for alignments above 16), and every
 * allocation takes the slow path.  mp_nalloc() returns aligned memory in
 * such a pool.
 */
#define MP_POOL_SIZE_HEADERS 0x1u

/**
 * Pool flag: a shared pool, which many threads may use at once.  Every call
 * that reaches the pool takes its lock (a mutex, recursive so that cleanups
 * may use the pool while a reset runs them): mp_alloc() and the rest of the
 * allocation family, mp_free(), mp_free_sized(), the mp_realloc() family,
 * the strings, cleanups, mp_create_child() and mp_create_pool_ex() with it
 * as parent, destroying one of its children, mp_stats() and mp_report().
 * The inline mp_alloc() always calls the library for it.  Not covered:
 * mp_reset_pool() and mp_destroy_pool() need the pool to themselves (debug
 * builds, MP_DEBUG or without NDEBUG, abort with a message when they see a
 * thread inside or waiting for a call on it); an object pool
 * (mp_objpool_create()) on a shared pool takes its new objects under the
 * lock, but its own free list must be used by one thread at a time.  The
 * pool's children are ordinary pools unless created with this flag too.
 * Combines with MP_POOL_SIZE_HEADERS.  Costs a separately allocated handle
 * of about 500 bytes.
 *
 * No lock on small requests: mp_alloc(), mp_nalloc(), mp_calloc(),
 * mp_memalign() up to 16-byte alignment and the strings, of up to 4 KiB
 * (at most half the large threshold), and mp_free_sized() and mp_realloc()
 * of such objects, are served from the calling thread's own chunk and free
 * lists; a thread takes the lock only for a new chunk or to give back more
 * than 64 KiB of freed objects.  A thread may free an object another one
 * made; its memory goes to the freeing thread's lists.  Each thread that
 * uses the pool costs about 2 KiB of bookkeeping (8 KiB more once per pool,
 * kept until destroy), and
 * one that exits leaves its chunk's rest and its free lists to the pool
 * until the next reset.  mp_stats() counts the threads' unused chunk rests
 * and free objects as not used.  On a shared pool mp_free_sized() and
 * mp_realloc() need the size the object has now (a size it had before an
 * in-place shrink is not accepted), and mp_mark() and mp_rewind() need
 * the pool to themselves, as reset and destroy do (debug builds check
 * all four).  Hardened, debug, sanitizer and memory-tool builds, and pools
 * with size headers, MP_POOL_WIPE or an alignment above 16, lock every
 * call.
 */
#define MP_POOL_SHARED 0x2u

/**
 * Pool flag: count the bytes requested from the pool (mp_stats_t
 * bytes_requested): the sizes passed to every allocating call since the
 * pool was created or last reset.  Every allocation then takes the slow
 * path (a few instructions more); pools without it report 0.
 */
#define MP_POOL_COUNT_REQUESTS 0x4u

/**
 * Pool flag: a pool on caller memory (mp_options_t.buffer) may overflow to
 * its backing allocator (mp_options_t.allocator, or the C library's) once
 * the buffer cannot serve a request; blocks are given back to wherever
 * they came from.  Without a buffer: EINVAL.
 */
#define MP_POOL_BUFFER_OVERFLOW 0x8u

/**
 * Pool flag: adaptive sizing, for a pool that is reset over and over.  At
 * each mp_reset_pool() the pool updates a high-water mark of the bytes a
 * cycle uses (bump-allocated node bytes, rounding included, plus the
 * blocks of live large objects, sampled when allocation takes a new node
 * or a large block and at rewinds and resets): the mark becomes the larger
 * of the cycle's peak and three quarters of its old value.  The next cycle's
 * node size is then the smallest power of two, from the creation size up
 * to 1 MiB (or the creation size if larger), that holds the mark plus a
 * sixteenth: when that differs from the current size the reset gives back
 * every node and takes one of the new size; otherwise it keeps the nodes
 * the mark needs and gives back the rest.  So a steady workload runs in one
 * node after a few resets, and one huge cycle is forgotten within about
 * 2.4 resets per halving of the mark.  The large threshold follows the
 * node size (a quarter of its capacity) unless the caller set one other
 * than 0 or mp_options_init()'s.  The pool's struct lives in a block of
 * its own (about 1 KiB) instead of its first node.  mp_stats_t node_size
 * and high_water show the size and the mark.  Combines with every other
 * flag, MP_POOL_SHARED included.
 */
#define MP_POOL_ADAPTIVE 0x10u

/**
 * Pool flag: secure wipe, for pools that hold keys and passwords.  The pool
 * zeroes, with a store the compiler may not remove (explicit_bzero() or an
 * equivalent), every byte an object held when the object goes: at
 * mp_free_sized(), mp_free() (large blocks, and small objects of pools with
 * MP_POOL_SIZE_HEADERS) and mp_objpool_put(); the old copy of an object
 * mp_realloc() moves and the tail of one it shrinks; every used byte of the
 * nodes and large blocks at mp_reset_pool(), mp_rewind() and
 * mp_destroy_pool(); the copy mp_printf() leaves in free space while
 * formatting; and the pool's struct at destroy.  Nothing the pool gives
 * back to the block cache or the backing allocator holds what was stored,
 * and memory reused from freed objects is handed out zeroed.  Children are
 * wiped only if created with the flag too.  Costs a second write of every
 * byte used (see the mpool-wipe row of the benchmark).
 */
#define MP_POOL_WIPE 0x20u

/**
 * Pool flag: in debug builds (MPOOL_BUILD_DEBUG), mp_destroy_pool() prints
 * to stderr the objects of this pool still live, grouped by call site (one
 * line per site, then a total):
 *
 *     mpool: leak: pool 0x5600a000: main.c:12: 3 objects, 96 bytes
 *     mpool: leak: pool 0x5600a000: 3 objects, 96 bytes live at mp_destroy_pool
 *
 * Pool objects are normally never freed one by one -- the pool releases
 * them all at once -- so the report is opt-in, for pools whose objects the
 * program frees with mp_free_sized() and means to free all.  The
 * environment variable MPOOL_REPORT_LEAKS=1 turns it on for every pool of
 * a debug build.  The library's own records (cleanups, marks, object pool
 * structs) are not reported; objects an object pool holds for reuse are.
 * Accepted, and ignored, by every other build.
 */
#define MP_POOL_REPORT_LEAKS 0x40u

/**
 * mp_options_t.flags: use node_size exactly, even below
 * MP_DEFAULT_NODE_SIZE.  Without it, a pool on the block cache (no
 * allocator of its own, no buffer) takes nodes of at least
 * MP_DEFAULT_NODE_SIZE: with smaller nodes the large threshold (a quarter
 * of a node) is small too, so objects of some KiB each take a block of
 * their own, and a request of a few dozen objects spans several nodes --
 * the seed's mp_create_pool(4096) cost twice the time of the default per
 * request.  A bigger node costs address space, not memory: only the pages
 * a pool touches become resident.  Pools with their own allocator or a
 * buffer always use node_size as given.  Set this for many long-lived
 * pools that each hold little and reuse nodes through the cache (whose
 * blocks keep the pages earlier pools touched), or to test node
 * boundaries.
 */
#define MP_POOL_EXACT_NODES 0x80u

/** @} */

/**
 * @defgroup create Creating and releasing pools
 * @{
 */

/**
 * Fills *opt with the default options.
 * @param opt  options to initialise; NULL is ignored.
 * @threadsafety touches only *opt.
 */
MP_API void mp_options_init(mp_options_t *opt);

/**
 * Creates a pool whose nodes hold `size` bytes.
 *
 * `size` is the node size: 0 means MP_DEFAULT_NODE_SIZE; other values are
 * rounded up to a power of two, and to at least MP_DEFAULT_NODE_SIZE (see
 * MP_POOL_EXACT_NODES: mp_create_pool_ex() with that flag takes any size
 * from MP_MIN_NODE_SIZE).  The pool
 * itself lives in its first node, so creating a pool in steady state takes a
 * block from the block cache and calls no allocator.
 *
 * @return a new pool, or NULL with errno EINVAL (size > MP_MAX_NODE_SIZE) or
 *         ENOMEM.  No out-of-memory hook is called: the pool that would
 *         have had one does not exist, and it has no parent to name.
 * @threadsafety may be called from any thread at any time.
 */
MP_API MP_NODISCARD struct mp_pool_s *mp_create_pool(size_t size);

/**
 * Creates a pool with the given options (NULL: all defaults).
 * @return a new pool, or NULL with errno EINVAL (an option out of range, or
 *         an allocator that differs from the parent's) or ENOMEM (the
 *         backing allocator failed, or a budget would be crossed).  On
 *         ENOMEM a child calls one out-of-memory hook (its own or its
 *         parent's, named by the parent, or that of an ancestor whose
 *         budget it would cross: see mp_options_t on_oom); a root pool
 *         calls none, having no pool to name.
 * @threadsafety may be called from any thread at any time; with
 *         opt->parent set, it changes the parent (see "Child pools"),
 *         under the parent's lock if the parent is a MP_POOL_SHARED pool.
 */
MP_API MP_NODISCARD mp_pool_t *mp_create_pool_ex(const mp_options_t *opt);

/**
 * Destroys a pool: destroys its children (see "Child pools"), runs its
 * cleanups newest first (see "Cleanups"), then releases every large block
 * and every node, after which all memory allocated from the pool and the
 * pool itself are invalid.  A child unlinks itself from its parent.
 * NULL is ignored, and so is a pool that is already being reset or
 * destroyed (a call from one of its own cleanups).
 * @threadsafety no other thread may use the pool (or a descendant) during
 *         or after the call, even a MP_POOL_SHARED pool (debug builds abort
 *         when they see one in a call on it).  Destroying a child changes
 *         its parent: a use of the parent, locked if the parent is shared.
 */
MP_API void mp_destroy_pool(struct mp_pool_s *pool);

/** The seed API's spelling of mp_destroy_pool(); identical behaviour.
 *  @threadsafety as mp_destroy_pool(). */
MP_API void mp_destory_pool(struct mp_pool_s *pool);

/**
 * Resets a pool: destroys its children (see "Child pools"), runs and drops
 * its cleanups newest first (see "Cleanups"), then releases every large
 * block and rewinds every node, so that all memory allocated from the pool
 * becomes invalid while the pool keeps its nodes for the allocations that
 * follow.  Nodes are reused in order, the first one first.  NULL is
 * ignored, and so is a pool that is already being reset or destroyed (a
 * call from one of its own cleanups).  Free lists are forgotten.  A
 * hardened build (MPOOL_BUILD_HARDENED) first checks the canary after every
 * live object, and aborts with one line on stderr on a corrupted one (as
 * mp_destroy_pool() does).
 * mp_reset_pool_mode() resets and gives memory back; mp_reset_children()
 * and mp_destroy_children() leave the pool itself alone.
 * @threadsafety no other thread may use the pool (or a descendant) during
 *         the call, even a MP_POOL_SHARED pool (debug builds abort when they
 *         see one in a call on it).
 */
MP_API void mp_reset_pool(struct mp_pool_s *pool);

/**
 * What mp_reset_pool_mode() keeps of a pool's memory (after Zig's
 * ArenaAllocator.reset modes).  Whatever the mode, the reset ends every
 * object, large block, cleanup, mark and child, as mp_reset_pool() does.
 */
typedef enum mp_reset_mode_e {
  /** Keep every node: exactly mp_reset_pool() (an MP_POOL_ADAPTIVE pool
   *  keeps what its sizing decides). */
  MP_RESET_RETAIN = 0,
  /** Give back everything a fresh pool would not hold: every node but the
   *  first, the free lists' block and an ownership index table that has
   *  outgrown the pool struct.  The same as MP_RESET_RETAIN_LIMIT with
   *  limit 0. */
  MP_RESET_FREE_ALL = 1,
  /** Keep at most `limit` bytes from the block source (mp_stats_t
   *  bytes_reserved after the call): the free lists' block goes first,
   *  then nodes from the last one, then an index table that no longer
   *  needs to be one.  The first node (and an adaptive pool's struct
   *  block, a shared pool's handle) always stays, so a limit below them
   *  keeps just those. */
  MP_RESET_RETAIN_LIMIT = 2
} mp_reset_mode_t;

/**
 * Resets a pool as mp_reset_pool() does, then gives back memory as `mode`
 * says.  Children are destroyed first, cleanups run, large blocks are
 * released and nodes rewound, as for mp_reset_pool(); an adaptive pool
 * updates its mark and node size first and the mode trims what that
 * leaves.  Released memory goes back where it came from: the block cache
 * (within its bounds), the pool's allocator, or -- for a pool on a caller
 * buffer -- the buffer's free space, where nothing is freed but the
 * pool's statistics drop by it all the same.  Every byte budget above
 * the pool (its own and its ancestors') is credited with what goes.  Debug
 * builds (MPOOL_BUILD_DEBUG) keep their quarantine of released objects, which
 * counts in bytes_reserved, beyond the limit.  A pool that is being
 * reset or destroyed (a call from one of its own cleanups) is left alone,
 * and the call returns 0.
 * @param pool   the pool.
 * @param mode   MP_RESET_RETAIN, MP_RESET_FREE_ALL or MP_RESET_RETAIN_LIMIT.
 * @param limit  for MP_RESET_RETAIN_LIMIT, the bytes the pool may keep (0:
 *               as MP_RESET_FREE_ALL); must be 0 with the other modes.
 * @return 0, or -1 with errno EINVAL (pool is NULL, an unknown mode, or a
 *         limit other than 0 with a mode that takes none; the pool is then
 *         left as it was).
 * @threadsafety as mp_reset_pool().
 */
MP_API int mp_reset_pool_mode(mp_pool_t *pool, mp_reset_mode_t mode,
                              size_t limit);

/** @} */

/**
 * @defgroup alloc Allocating
 *
 * Memory from these calls stays valid until it is freed (mp_free() for
 * large blocks, mp_free_sized() for any object), or the pool is reset or
 * destroyed.  A size of 0 is valid
 * and returns a unique pointer to a minimal object.  Contents are
 * uninitialised except for mp_calloc().
 * @{
 */

/* clang-format off */

/**
 * Allocates `size` bytes aligned to the pool's alignment
 * (alignof(max_align_t) unless set in mp_options_t).
 * @return the memory, or NULL with errno EINVAL (pool is NULL), EOVERFLOW
 *         (size > MP_MAX_ALLOC_SIZE) or ENOMEM.
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) void *
mp_alloc(struct mp_pool_s *pool, size_t size);

/**
 * Allocates `size` bytes with no alignment (packed, for strings and bytes).
 * @return the memory, or NULL with errno EINVAL, EOVERFLOW or ENOMEM as for
 *         mp_alloc().
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) void *
mp_nalloc(struct mp_pool_s *pool, size_t size);

/**
 * Allocates `size` zeroed bytes aligned as for mp_alloc().
 * @return the memory, or NULL with errno as for mp_alloc().
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) void *
mp_calloc(struct mp_pool_s *pool, size_t size);

/**
 * Allocates `n * size` zeroed bytes aligned as for mp_alloc().
 * @return the memory, or NULL with errno EOVERFLOW (n * size wraps or
 *         exceeds MP_MAX_ALLOC_SIZE), EINVAL or ENOMEM.
 * @threadsafety changes the pool (see Thread safety in mpool.h).
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
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) MP_ALLOC_ALIGN(3) void *
mp_memalign(struct mp_pool_s *pool, size_t size, size_t alignment);

/* clang-format on */

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
 *         into the middle of a large block is foreign.  A hardened build
 *         (MPOOL_BUILD_HARDENED) or a debug build (MPOOL_BUILD_DEBUG)
 *         aborts instead, printing one line that names the function and the
 *         pointer; a debug build also aborts on any pointer that is not the
 *         start of one of the pool's objects (small ones included).
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API int mp_free(struct mp_pool_s *pool, void *p);

/**
 * Tells whether `p` belongs to `pool`: a pointer into the object area of
 * one of the pool's nodes (any byte a small object may occupy, live or
 * not), or the exact pointer of one of its live large blocks.  A pointer
 * into the middle of a large block, into a node's header or the pool's own
 * struct, into a child pool, or into a freed large block is not owned.
 * O(1) (a hash lookup; the first call may build the ownership index).
 * mp_free() and mp_free_sized() decide ownership the same way.
 * @return 1 if the pool owns `p`, 0 if not (and for NULL `p`), or -1 with
 *         errno EINVAL if pool is NULL.
 * @threadsafety changes the pool, as it may build its index (see Thread
 *         safety in mpool.h).
 */
MP_API int mp_owns(const struct mp_pool_s *pool, const void *p);

/** @} */

/**
 * @defgroup reuse Reuse: freeing single objects early
 *
 * Memory freed here goes back to the pool: it is handed out again by later
 * allocations from the same pool in O(1), merges with free neighbours, and a
 * node that becomes entirely free returns to the block cache.  Freeing the
 * most recent allocation gives its bytes straight back to the bump pointer.
 * A small object (16 to 512 bytes) freed between two live ones may wait in a
 * short per-size cache for the next request of its size (at most 32 KiB a
 * pool).  Merging it with its free neighbours waits until the pool would
 * otherwise take a new node, or an object next to it cannot grow in place
 * with mp_realloc(): then the whole cache merges (and nodes it kept
 * become free), so the wait never makes the pool grow.
 * Reset forgets every free list.  Freeing is precise for objects from
 * mp_alloc(), mp_calloc() and mp_memalign(); for one from mp_nalloc() it is
 * precise when it is the most recent mp_nalloc(), otherwise the 16-byte
 * granules wholly inside the object are reused and its partial ends come
 * back at reset.
 *
 * Bad input: a double free, or a size other than the one requested, is
 * undefined behaviour in release builds; a pointer the pool does not own
 * and a size larger than a small object can have are reported (-1,
 * EINVAL).  A hardened build (MPOOL_BUILD_HARDENED) aborts on a double free,
 * on a foreign pointer and on a corrupted canary after the object (bytes
 * written past its end, or a wrong size), with one line on stderr such as
 *
 *     mpool: mp_free_sized: double free of 0x55d0c0a0 (pool 0x55d0c000)
 *
 * A debug build (MPOOL_BUILD_DEBUG) aborts on those and on a wrong size
 * (see "Debugging" below).
 * @{
 */

/**
 * Frees `p`, an object of this pool, given the size it was requested with
 * (size 0 is valid, as when allocating).  No per-object header is needed.
 * Large blocks are released as by mp_free() (their size is known).  In a
 * pool with MP_POOL_SIZE_HEADERS the size comes from the header and `size`
 * is ignored.  NULL `p` is a no-op.  Debug builds check `size` against
 * the size a small object was requested with (after an in-place shrink by
 * mp_realloc(), a size it had before is accepted too, as release builds
 * do) and abort when it differs.
 * @return 0, or -1 with errno EINVAL (NULL pool, foreign pointer, a size
 *         no small object can have).  Hardened and debug builds abort on a
 *         foreign pointer or a double free instead (hardened builds on a
 *         corrupted canary too).
 * @threadsafety changes the pool (see Thread safety in mpool.h).
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
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API void *mp_realloc(struct mp_pool_s *pool, void *p, size_t old_size,
                        size_t new_size);

/**
 * mp_realloc() for callers who do not know the old size: `p` must be a large
 * block, or an object of a pool created with MP_POOL_SIZE_HEADERS.
 * @return as mp_realloc(); EINVAL also for a small object of a pool
 *         without size headers.
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API void *mp_realloc_unsized(struct mp_pool_s *pool, void *p,
                                size_t new_size);

/**
 * An allocator function of the shape embeddable interpreters take (Lua's
 * lua_Alloc): `ud` is the pool.  With `nsize` 0 it frees `ptr` (of `osize`
 * bytes) and returns NULL; otherwise it is mp_realloc(ud, ptr, osize,
 * nsize), and `osize` is ignored when `ptr` is NULL.
 * @return as mp_realloc(), or NULL after a free.
 * @threadsafety changes the pool (see Thread safety in mpool.h).
 */
MP_API void *mp_allocf(void *ud, void *ptr, size_t osize, size_t nsize);

/** @} */

/**
 * @defgroup objpool Object pools
 *
 * O(1) get and put of objects of one size and alignment.
 * @{
 */

/** An object pool, which lives in (and dies with) a pool. */
typedef struct mp_objpool_s mp_objpool_t;

/**
 * Creates an object pool for objects of `size` bytes aligned to `align`
 * (0: the pool's alignment; otherwise a power of two, at least
 * sizeof(void *)) inside `pool`.  The object pool and its objects are valid
 * until `pool` is reset or destroyed.
 * @return the object pool, or NULL with errno EINVAL (NULL pool, bad
 *         alignment), EOVERFLOW or ENOMEM.
 * @threadsafety as for allocation from `pool`.  The object pool it returns
 *         is used by one thread at a time, even on a MP_POOL_SHARED pool.
 */
MP_API mp_objpool_t *mp_objpool_create(struct mp_pool_s *pool, size_t size,
                                       size_t align);

/**
 * Takes an object: the last one put back, or a new one from the pool.
 * Contents are uninitialised.
 * @return the object, or NULL with errno EINVAL (NULL objpool) or ENOMEM.
 * @threadsafety one thread at a time per object pool; new objects come from
 *         the pool as by mp_alloc() (locked if it is shared).
 */
MP_API void *mp_objpool_get(mp_objpool_t *op);

/**
 * Puts an object taken from `op` back, for the next mp_objpool_get().
 * NULL `obj` is a no-op.
 * @return 0, or -1 with errno EINVAL (NULL objpool).
 * @threadsafety one thread at a time per object pool.
 */
MP_API int mp_objpool_put(mp_objpool_t *op, void *obj);

/** @} */

/**
 * @defgroup marks Marks
 *
 * Scratch allocation, rewound in one call (obstack style).
 *
 * A mark is a position in a pool.  Rewinding to it releases everything made
 * on the pool after it -- objects, large blocks, child pools (destroyed)
 * and cleanups (run, newest first) -- and keeps everything made before it.
 * Marks nest: rewinding to a mark also drops the marks taken after it.
 * While a mark is outstanding (taken and not yet rewound to, until the next
 * reset), allocations do not take memory from the free lists and no node
 * returns to the block cache, so that the rewind finds everything; memory
 * freed meanwhile is reused once no mark is left.  mp_realloc() of an
 * object made before an outstanding mark grows it in place only where that
 * stays clear of the mark's position; otherwise the object moves, and the
 * moved object, like any other, counts as made after the mark.
 * @{
 */

/** A mark, which lives in the pool's own memory. */
typedef struct mp_mark_s mp_mark_t;

/**
 * Takes a mark at the pool's current position.
 * @return the mark, valid until it or an earlier mark is rewound to, or the
 *         pool is reset or destroyed; or NULL with errno EINVAL (NULL pool)
 *         or ENOMEM.
 * @threadsafety changes the pool (see Thread safety in mpool.h), even on
 *         a MP_POOL_SHARED pool, which mp_mark() and mp_rewind() need to
 *         themselves (no other thread in a call on it; a rewind then
 *         releases what every thread made after the mark).
 */
MP_API mp_mark_t *mp_mark(struct mp_pool_s *pool);

/**
 * Rewinds the pool to `mark`: everything made on the pool after the mark is
 * released (children destroyed and cleanups run first), and the mark and
 * every later one are dropped.  Memory from before the mark is untouched.
 * @return 0, or -1 with errno EINVAL if pool or mark is NULL, or `mark` is
 *         not an outstanding mark of this pool (another pool's, or one
 *         already dropped by a rewind or reset: a stale mark is always
 *         detected, and nothing is changed).  A hardened build
 *         (MPOOL_BUILD_HARDENED) aborts on such a mark instead, and on a
 *         corrupted canary after an object it releases, printing one line
 *         that names the function and the pointer.
 * @threadsafety as mp_mark().
 */
MP_API int mp_rewind(struct mp_pool_s *pool, mp_mark_t *mark);

/** @} */

/**
 * @defgroup inline Inline fast path
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
 * @{
 */

/* The bump window at the start of every pool (internal; do not use). */
struct mp__window {
  unsigned char *ptr; /* next free byte, granule aligned */
  unsigned char *end; /* end of what the fast path may hand out */
};

/* Largest compile-time size the inline path checks by its new end alone
 * (internal): the library keeps every window at least this far below the
 * top of the address space, so ptr + size cannot wrap. */
#define MP__CONST_MAX ((size_t)65536)

/* Tells the compiler that a pointer the fast path hands out is not NULL
 * (internal): a window is open only inside a node, so the caller's own
 * NULL check folds away on the fast path. */
#if defined(__GNUC__) || defined(__clang__)
#define MP__NONNULL(p)                                                         \
  do {                                                                         \
    if ((p) == NULL)                                                           \
      __builtin_unreachable();                                                 \
  } while (0)
#else
#define MP__NONNULL(p) ((void)0)
#endif

#if defined(__cplusplus) ||                                                    \
    (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L)
#define MP__INLINE inline
#elif defined(__GNUC__)
#define MP__INLINE __inline__ /* gnu89 */
#else
#define MP__INLINE
#endif
static MP__INLINE void *mp__alloc_inline(struct mp_pool_s *pool, size_t size) {
  if (pool != NULL) {
    /* A pointer to a struct is a pointer to its first member. */
    struct mp__window *w = (struct mp__window *)(void *)pool;
    unsigned char *p = w->ptr;
#if defined(__GNUC__) || defined(__clang__)
    /* A size known at compile time (mp_alloc(p, sizeof *o)): the rounded
     * size is a constant, so one add and one compare of the new end
     * against the window's end decide. */
    if (__builtin_constant_p(size) && size != 0 && size <= MP__CONST_MAX) {
      uintptr_t np = (uintptr_t)p +
                     ((size + (MP_GRANULE - 1)) & ~(size_t)(MP_GRANULE - 1));
      if (np <= (uintptr_t)w->end) {
        w->ptr = (unsigned char *)np;
        MP__NONNULL(p);
        return p;
      }
      return mp_alloc(pool, size);
    }
#endif
    if (size - 1 < (size_t)(w->end - p)) { /* size 0 goes to the call */
      w->ptr = p + ((size + (MP_GRANULE - 1)) & ~(size_t)(MP_GRANULE - 1));
      MP__NONNULL(p);
      return p;
    }
  }
  return mp_alloc(pool, size);
}

#if !defined(MPOOL_NO_INLINE) && !defined(MPOOL_BUILDING_LIBRARY) &&           \
    !defined(MPOOL_DEBUG)
#define mp_alloc(pool, size) mp__alloc_inline((pool), (size))
#endif

/** @} */

/**
 * @defgroup cleanups Cleanups
 *
 * A cleanup is a function the pool calls when it is reset or destroyed, to
 * release what the pool's memory refers to but does not own: a file, a
 * socket, a lock, a reference count.  Cleanups run newest first, after the
 * pool's children are gone and before any of the pool's memory is
 * released, so data allocated from the pool is still valid while they run.
 * A cleanup runs once; after a reset the pool has none.
 *
 * While a pool runs its cleanups (at reset or destroy), a cleanup may
 * allocate from any pool, register cleanups on any pool, and create or
 * destroy other pools.  A cleanup registered on the pool that is running
 * its cleanups, or a child created on it, is handled in the same pass: the
 * child is destroyed and the cleanup runs (newest first) before the reset
 * or destroy goes on, so nothing registered during a reset survives it.  A
 * cleanup that registers itself again each time it runs therefore never
 * lets the reset finish.  mp_reset_pool() or mp_destroy_pool() on a pool
 * that is being reset or destroyed (its own, or an ancestor being torn
 * down) does nothing.
 *
 * Cleanup records live in the pool's memory (48 bytes each on LP64); a
 * record freed by mp_cleanup_remove() or mp_cleanup_run() is reused by the
 * next mp_cleanup_add() on that pool, so adding and removing in a loop
 * keeps memory flat.
 *
 * @threadsafety the calls below change the pool (see Thread safety in
 * mpool.h).  The cleanups of a MP_POOL_SHARED pool run at its reset or
 * destroy with its lock held, on the thread that called.
 * @{
 */

/** A cleanup function: called once with the `data` it was registered
 *  with. */
typedef void (*mp_cleanup_fn)(void *data);

struct mp_cleanup_s;
/** A registered cleanup (opaque).  The handle is valid until the cleanup
 *  runs or is removed; using it afterwards is undefined (as for a freed
 *  pointer), though the library reports the cases it can see. */
typedef struct mp_cleanup_s mp_cleanup_t;

/**
 * Registers `fn(data)` to run when `pool` is reset or destroyed.
 *
 * If registration fails, nothing is registered: release the resource
 * yourself.  A common pattern is to register first (with the resource
 * still unset in `data`) and acquire afterwards.
 *
 * @param pool  the pool; the cleanup runs when it is reset or destroyed.
 * @param fn    the function; NULL is an error.
 * @param data  passed to fn; may be NULL; may point into the pool.
 * @return a handle for mp_cleanup_remove() and mp_cleanup_run(), or NULL
 *         with errno EINVAL (pool or fn is NULL) or ENOMEM (no memory for
 *         the record; nothing is registered).
 * @threadsafety changes the pool (see Thread safety in mpool.h); on a
 *         MP_POOL_SHARED pool a callback run by mp_cleanup_run() runs with
 *         the pool's lock held.
 */
MP_API MP_NODISCARD mp_cleanup_t *mp_cleanup_add(mp_pool_t *pool,
                                                 mp_cleanup_fn fn, void *data);

/**
 * Unregisters a cleanup without running it (APR's "kill").  O(1).
 * @param pool  the pool the cleanup was registered on.
 * @param c     a handle from mp_cleanup_add() on `pool`.
 * @return 0, or -1 with errno EINVAL (pool or c is NULL, c belongs to
 *         another pool, or c was seen to be already removed or run).
 * @threadsafety changes the pool (see Thread safety in mpool.h); on a
 *         MP_POOL_SHARED pool a callback run by mp_cleanup_run() runs with
 *         the pool's lock held.
 */
MP_API int mp_cleanup_remove(mp_pool_t *pool, mp_cleanup_t *c);

/**
 * Unregisters a cleanup and runs it now (for closing a resource early).
 * The record is released before fn runs, so fn may register cleanups
 * again.  O(1) plus the call.
 * @return 0, or -1 with errno EINVAL as for mp_cleanup_remove() (fn is then
 *         not called).
 * @threadsafety changes the pool (see Thread safety in mpool.h); on a
 *         MP_POOL_SHARED pool a callback run by mp_cleanup_run() runs with
 *         the pool's lock held.
 */
MP_API int mp_cleanup_run(mp_pool_t *pool, mp_cleanup_t *c);

/** @} */

/**
 * @defgroup children Child pools
 *
 * A pool created with a parent (mp_create_child(), or mp_options_t.parent)
 * is destroyed when its parent is reset or destroyed, as APR's subpools
 * are: a reset of the parent ends the lifetime of everything created for
 * that cycle, children included.  Children go before their parent: the
 * whole subtree is torn down bottom-up, siblings newest first, each pool's
 * own cleanups (newest first) after its children and before its memory is
 * released.  So a child's cleanups may still use memory of its ancestors.
 * The teardown is iterative: deep hierarchies do not use deep stacks.
 *
 * A child may be reset or destroyed on its own at any time; destroying it
 * unlinks it from its parent in O(1).  A child shares its parent's backing
 * allocator and block cache; its memory is its own (a child's nodes are not
 * carved out of its parent).
 *
 * After its parent is reset or destroyed, a child pointer is dangling like
 * any freed pointer: passing it to any call is undefined.  Keep child
 * pointers in memory with the same lifetime (for example, in the parent).
 *
 * @threadsafety creating or destroying a child changes its parent, and
 * resetting or destroying a parent changes all its descendants, so a pool
 * and its descendants count as one pool for those calls.  Allocating from
 * a child touches only the child, which may therefore be used by another
 * thread while the parent is.  Precisely, with the parent owned by thread
 * A and the child by thread B:
 *   - B may allocate from, free into, reset and add cleanups to the child
 *     while A uses the parent: none of these touch the parent (resetting
 *     the child destroys the child's own children, not its siblings).
 *   - Creating the child, and destroying it, link it into and out of the
 *     parent's list of children: the thread doing it (A or B) must not
 *     overlap with any other call on the parent or on a sibling's
 *     creation or destruction; hand the parent over, or use a lock.
 *   - Resetting or destroying the parent destroys the child (and runs its
 *     cleanups on A's thread): B must be done with the child, with a
 *     happens-before from B's last call to A's reset or destroy.
 *   - mp_stats() with MP_STATS_CHILDREN and mp_report() on the parent read
 *     the child: B must not change it meanwhile.
 *
 * When the parent is a MP_POOL_SHARED pool, creating and destroying its
 * children take its lock, so threads may create and destroy children of a
 * shared pool concurrently with each other and with allocation from it.
 * @{
 */

/**
 * Creates a child of `parent` whose nodes hold `node_size` bytes (as
 * mp_create_pool(node_size): 0 means MP_DEFAULT_NODE_SIZE).  The same as
 * mp_create_pool_ex() with node_size and parent set.
 * @return a new pool, or NULL with errno EINVAL (parent is NULL, node_size
 *         > MP_MAX_NODE_SIZE) or ENOMEM, after calling the parent's
 *         out-of-memory hook, if it has one, once (or that of an ancestor
 *         whose budget the child would cross).
 * @threadsafety changes the parent; see above.
 */
MP_API MP_NODISCARD mp_pool_t *mp_create_child(mp_pool_t *parent,
                                               size_t node_size);

/** The parent of `pool` (for a child of a MP_POOL_SHARED pool, the handle
 *  mp_create_pool_ex() returned for it).
 *  @return the parent, or NULL (no parent, or pool is NULL).
 *  @threadsafety reads the pool only. */
MP_API mp_pool_t *mp_pool_parent(const mp_pool_t *pool);

/**
 * Resets every descendant of `pool` but not `pool` itself (PostgreSQL's
 * MemoryContextResetChildren()): each descendant's cleanups run and its
 * objects, large blocks and marks go as at mp_reset_pool(), but -- unlike
 * mp_reset_pool() -- its own children are reset too instead of destroyed,
 * so every child pointer stays valid.  Children go before their parents,
 * siblings newest first; `pool`'s own objects, cleanups and marks are
 * untouched.  Children that cleanups create during the call are left as
 * they are.  A descendant that is being reset or destroyed already (the
 * call comes from one of its cleanups) is skipped with its subtree; on a
 * pool that is being reset or destroyed the call does nothing.
 * @return 0, or -1 with errno EINVAL (pool is NULL).
 * @threadsafety changes every descendant, as resetting `pool` would (no
 *         other thread may use one during the call); on a MP_POOL_SHARED
 *         pool it takes the pool's lock.
 */
MP_API int mp_reset_children(mp_pool_t *pool);

/**
 * Destroys every child of `pool` with its subtree, as mp_reset_pool()
 * would, but keeps `pool`'s own memory, objects, cleanups and marks
 * (PostgreSQL's MemoryContextDeleteChildren()).  Children go as at a
 * reset: bottom-up, siblings newest first, each pool's cleanups after its
 * children; their bytes are credited back to every budget above them.  A
 * child that a cleanup creates on `pool` during the call is destroyed in
 * the same pass.  A child that is being reset or destroyed already (the
 * call comes from one of its cleanups) is skipped; on a pool that is being
 * reset or destroyed the call does nothing.
 * @return 0, or -1 with errno EINVAL (pool is NULL).
 * @threadsafety changes the pool and every descendant, as destroying each
 *         child would; on a MP_POOL_SHARED pool it takes the pool's lock.
 */
MP_API int mp_destroy_children(mp_pool_t *pool);

/** @} */

/**
 * @defgroup strings Strings
 *
 * Strings are allocated unaligned, packed like mp_nalloc() results, and
 * live until the pool is reset or destroyed (a string longer than the
 * large threshold gets a large block, which mp_free() also releases).
 * Each result is NUL-terminated.  Errors: NULL with errno EINVAL (pool, a
 * string argument or a format is NULL), EOVERFLOW (the length would
 * exceed MP_MAX_ALLOC_SIZE, or INT_MAX for the printf family) or ENOMEM.
 * @threadsafety change the pool (see Thread safety in mpool.h); the
 * source strings are only read.
 * @{
 */

/** A copy of the string `s`.
 *  @return the copy, or NULL with errno EINVAL (pool or s is NULL),
 *          EOVERFLOW or ENOMEM.
 *  @threadsafety changes the pool (see Thread safety in mpool.h); the
 *         source strings are only read. */
MP_API MP_MALLOC char *mp_strdup(mp_pool_t *pool, const char *s);

/** A copy of at most `n` bytes of `s`, stopping at its NUL (which it need
 *  not have within n bytes), then a NUL.  Reads no byte past the first NUL
 *  or past s[n - 1].
 *  @return the copy, or NULL with errno EINVAL (pool or s is NULL),
 *          EOVERFLOW or ENOMEM.
 *  @threadsafety changes the pool (see Thread safety in mpool.h); the
 *         source strings are only read. */
MP_API MP_MALLOC char *mp_strndup(mp_pool_t *pool, const char *s, size_t n);

/**
 * A copy of `n` bytes at `p`, aligned as mp_alloc() results are (so it can
 * hold any object), not NUL-terminated.  `p` may be NULL only when n is 0.
 * @return the copy, or NULL with errno EINVAL (pool is NULL, p is NULL with
 *         n > 0), EOVERFLOW or ENOMEM.
 * @threadsafety changes the pool (see Thread safety in mpool.h); the
 *         source strings are only read.
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(3) void *mp_memdup(mp_pool_t *pool,
                                                  const void *p, size_t n);

/**
 * A string formatted as by snprintf(), with the same result.  Plain text,
 * %%, \%s, \%c, \%d and \%i (with l or ll) and \%u, \%x, \%X (with l, ll or z)
 * are formatted by the library itself; any other format goes to
 * vsnprintf().  When the result fits in the free space of the pool's
 * current node it is formatted once, in place; otherwise it is measured,
 * allocated and formatted a second time.
 * @return the string, or NULL with errno EINVAL (pool or fmt is NULL),
 *         EOVERFLOW (longer than INT_MAX), ENOMEM, or the errno of a
 *         failing vsnprintf() (such as EILSEQ).
 * @threadsafety changes the pool (see Thread safety in mpool.h); the
 *         source strings are only read.
 */
MP_API MP_MALLOC MP_PRINTF(2, 3) char *mp_printf(mp_pool_t *pool,
                                                 const char *fmt, ...);

/** mp_printf() with a va_list, which it leaves indeterminate as
 *  vsnprintf() does (va_end() it afterwards).
 *  @return as mp_printf().
 *  @threadsafety changes the pool (see Thread safety in mpool.h); the
 *         source strings are only read. */
MP_API MP_MALLOC MP_PRINTF(2, 0) char *mp_vprintf(mp_pool_t *pool,
                                                  const char *fmt, va_list ap);

/**
 * The concatenation of the strings that follow `pool`, up to a NULL
 * sentinel: mp_strcat(pool, "a", "b", (char *)NULL).  No strings give "".
 * The arguments must be `const char *` (cast a bare NULL).
 * @return the string, or NULL with errno EINVAL (pool is NULL), EOVERFLOW
 *         (the total length) or ENOMEM.
 * @threadsafety changes the pool (see Thread safety in mpool.h); the
 *         source strings are only read.
 */
MP_API MP_MALLOC MP_SENTINEL char *mp_strcat(mp_pool_t *pool, ...);

/**
 * The `n` strings at `parts` joined with `sep` between them (NULL: "").
 * n == 0 gives "" (and parts may then be NULL).
 * @return the string, or NULL with errno EINVAL (pool is NULL, parts is
 *         NULL with n > 0, or one of the parts is NULL), EOVERFLOW or
 *         ENOMEM.
 * @threadsafety changes the pool (see Thread safety in mpool.h); the
 *         source strings are only read.
 */
MP_API MP_MALLOC char *mp_join(mp_pool_t *pool, const char *const *parts,
                               size_t n, const char *sep);

/** @} */

/**
 * @defgroup stats Statistics
 *
 * Computed on demand by walking the pool's nodes, large blocks and
 * children; only slow paths (a new node, a large block, a bigger index)
 * keep counters, so allocation is not slowed down.
 * @threadsafety read the pool, as mp_stats() says.
 * @{
 */

/**
 * Statistics of a pool.  Set `size` to sizeof(mp_stats_t) before calling
 * mp_stats(); fields are only ever appended, so a program built against an
 * older header keeps working with a newer library and the other way round.
 * All byte counts are in bytes.
 */
typedef struct mp_stats_s {
  /** In: sizeof(mp_stats_t) as the caller knows it.  Out: how many bytes
   *  of the struct the library filled in (fields past that are zero). */
  size_t size;
  /** Bytes handed out from nodes and not freed, including alignment
   *  padding and the rounding of each object to the pool's 16-byte
   *  granule; excludes node headers, the pool's own struct, free chunks and
   *  the unused tail of a node that allocation moved past.  Cleanup records
   *  count (they live in nodes).  Bytes requested are not tracked apart:
   *  counting them would cost the mp_alloc() fast path, so only pools
   *  created with MP_POOL_COUNT_REQUESTS report bytes_requested. */
  size_t bytes_used;
  /** Bytes held from the backing allocator or block cache: nodes, large
   *  blocks (with their headers and size-class rounding), the free lists
   *  once something is freed, the ownership index's table once it
   *  outgrows the pool struct, and a MP_POOL_SHARED pool's handle. */
  size_t bytes_reserved;
  /** Highest bytes_reserved since the pool was created.  With
   *  MP_STATS_CHILDREN, the sum of each pool's peak (an upper bound of the
   *  peak of the whole tree). */
  size_t peak_reserved;
  /** Nodes the pool holds, including those kept from before a reset. */
  size_t nodes;
  /** nodes times the node size. */
  size_t node_bytes;
  /** Live large blocks. */
  size_t large_blocks;
  /** Bytes requested for the live large blocks. */
  size_t large_bytes;
  /** Bytes reserved for the live large blocks (part of bytes_reserved). */
  size_t large_reserved;
  /** Registered cleanups. */
  size_t cleanups;
  /** Children; with MP_STATS_CHILDREN, all descendants. */
  size_t children;
  /** Bytes given back by mp_free_sized(), mp_realloc() and (with size
   *  headers) mp_free() since the pool was created, counted in granules;
   *  large blocks are not included. */
  size_t bytes_freed;
  /** Bytes handed out again from free lists since the pool was created. */
  size_t bytes_reused;
  /** In pools created with MP_POOL_COUNT_REQUESTS (0 otherwise): the sizes
   *  asked for by allocating calls since creation or the last reset --
   *  mp_alloc, mp_calloc, mp_nalloc, mp_memalign, the string calls, each
   *  mp_realloc's new size, and the pool's own cleanup records. */
  size_t bytes_requested;
  /** The pool's byte budget (mp_options_t.budget; 0: none).  With
   *  MP_STATS_CHILDREN, the root's. */
  size_t budget;
  /** Bytes charged to the budget: the pool's own bytes_reserved plus its
   *  descendants' (0 for a pool without a budget).  With
   *  MP_STATS_CHILDREN, the root's. */
  size_t budget_used;
  /** Padding skipped to align objects in nodes (mp_memalign() above the
   *  pool's alignment, size headers) since the pool was created; once the
   *  pool has free lists such padding may be handed out again. */
  size_t bytes_align_waste;
  /** The pool's current node size (with MP_STATS_CHILDREN too: that of
   *  `pool` itself).  Changes only in pools created with MP_POOL_ADAPTIVE. */
  size_t node_size;
  /** In pools created with MP_POOL_ADAPTIVE (0 otherwise): the decaying
   *  high-water mark of the bytes a cycle used, as of the last reset, that
   *  sizes the nodes (that of `pool` itself with MP_STATS_CHILDREN). */
  size_t high_water;
  /** How many times the pool has been reset (mp_reset_pool()) since it
   *  was created: the pool's own count, never summed over children. */
  uint64_t epoch;
  /** Process-wide, the same for every pool: bytes of released node memory
   *  the process retains with its pages for reuse (see
   *  mpool_cache_set_retain()). */
  size_t cache_retained;
  /** Process-wide: the cap on cache_retained (mpool_cache_set_retain()). */
  size_t cache_retain_limit;
  /** Process-wide: how long released node memory waits unused before its
   *  pages go back to the system, in milliseconds. */
  size_t cache_decay_ms;
} mp_stats_t;

/** The smallest mp_stats_t.size that mp_stats() accepts (the struct as it
 *  was first published). */
#define MP_STATS_MIN_SIZE (offsetof(mp_stats_t, children) + sizeof(size_t))

/** mp_stats() flag: sum over the pool and all its descendants. */
#define MP_STATS_CHILDREN 1

/**
 * Fills *st with the statistics of `pool` (and with MP_STATS_CHILDREN, of
 * all its descendants, summed).  Takes time linear in the number of nodes
 * and large blocks (and pools) counted.
 * @param pool   the pool.
 * @param st     out; st->size must be set first (see mp_stats_t).
 * @param flags  0 or MP_STATS_CHILDREN.
 * @return 0, or -1 with errno EINVAL (pool or st is NULL, st->size below
 *         MP_STATS_MIN_SIZE, unknown flags).
 * @threadsafety reads the pool, and with MP_STATS_CHILDREN its
 *         descendants (see Thread safety in mpool.h); a MP_POOL_SHARED
 *         `pool` is locked for the call, its descendants are not (shared or
 *         not).
 */
MP_API int mp_stats(const mp_pool_t *pool, mp_stats_t *st, int flags);

/**
 * Prints a human-readable report of `pool` and its descendants to `out`:
 * one line per pool with its statistics, children indented under their
 * parent.  Debug builds (MPOOL_BUILD_DEBUG) add, after those lines, the
 * live objects of the pool and its descendants grouped by call site, one
 * line per site (`  main.c:12: 3 live, 96 bytes`; see mp_set_site()).  The
 * format is for people and may change.
 * @return 0, or -1 with errno EINVAL (pool or out is NULL), the errno of
 *         the failing write (EIO if stdio did not set one), or, in debug
 *         builds, ENOMEM when the C library has no memory for the summary
 *         of call sites (no out-of-memory hook is called: the pools' own
 *         memory is not involved).
 * @threadsafety as mp_stats() with MP_STATS_CHILDREN.
 */
MP_API int mp_report(const mp_pool_t *pool, FILE *out);

/** @} */

/**
 * @defgroup tree Named pools and the pool tree
 *
 * A pool may carry a name and an identifier (mp_pool_set_name()), as
 * PostgreSQL's memory contexts do (pg_backend_memory_contexts): the name
 * says what kind of pool it is ("request", "parser"), the identifier which
 * one ("GET /index.html").  mp_walk() visits every live pool of the
 * process, or the subtree under one pool, depth first, and hands each one's
 * name, identifier, parent, depth and byte counts to a callback;
 * mp_tree_print() and mp_tree_format() write the same as text or JSON.
 *
 * Root pools (pools without a parent) are on a process-wide list, under a
 * lock of its own, from creation to destroy; children are reached through
 * their parents.  Joining and leaving the list is all the tree costs when
 * unused: allocation never touches it.
 * @{
 */

/**
 * Names a pool: copies `name` and `ident` (each of any length, or NULL)
 * into one block of the pool's block source, counted in its
 * bytes_reserved and budget, and frees the previous names.  A NULL name
 * makes the pool unnamed (its identifier may still be set).  The names live
 * until the next call or the pool's destroy; a reset keeps them.
 * @param pool   the pool.
 * @param name   the new name, or NULL.
 * @param ident  the new identifier, or NULL.
 * @return 0, or -1 with errno EINVAL (pool is NULL), ENOMEM (no memory for
 *         the copies: the old names stay, the out-of-memory hook is told)
 *         or EOVERFLOW (the lengths cannot be added).
 * @threadsafety changes the pool: called by its owner (a MP_POOL_SHARED
 *         pool is locked).  Takes the pool tree's lock, so it may overlap
 *         walks of other threads.
 */
MP_API int mp_pool_set_name(mp_pool_t *pool, const char *name,
                            const char *ident);

/**
 * The pool's name, or NULL (unnamed, or pool is NULL).
 * @return a pointer valid until the next mp_pool_set_name() or the pool's
 *         destroy.
 * @threadsafety reads the pool: as mp_stats().
 */
MP_API const char *mp_pool_name(const mp_pool_t *pool);

/**
 * The pool's identifier, or NULL (none set, or pool is NULL).
 * @return a pointer valid as mp_pool_name()'s.
 * @threadsafety as mp_pool_name().
 */
MP_API const char *mp_pool_ident(const mp_pool_t *pool);

/** What mp_walk() tells of one pool.  Byte counts are those of the pool
 *  alone, as mp_stats() without MP_STATS_CHILDREN reports them. */
typedef struct mp_pool_info_s {
  const mp_pool_t *pool;   /**< the pool (a shared pool's handle) */
  const mp_pool_t *parent; /**< its parent, NULL for a root pool */
  const char *name;        /**< its name, or NULL */
  const char *ident;       /**< its identifier, or NULL */
  int depth;               /**< 0 for the walk's roots, +1 per level */
  size_t bytes_reserved;   /**< mp_stats_t bytes_reserved */
  size_t bytes_used;       /**< mp_stats_t bytes_used */
  size_t bytes_free;       /**< bytes_reserved less bytes_used */
  size_t blocks;           /**< nodes plus large blocks */
  size_t peak_reserved;    /**< mp_stats_t peak_reserved */
} mp_pool_info_t;

/** A walk's callback: returns 0 to go on, anything else to stop the walk
 *  (mp_walk() then returns it).  `info` and the strings in it are valid
 *  during the call only. */
typedef int (*mp_walk_fn)(const mp_pool_info_t *info, void *arg);

/**
 * Calls fn(info, arg) for `root` and each of its descendants, or with
 * root NULL for every live pool of the process (every root pool, oldest
 * first, each followed by its descendants), depth first: a pool before
 * its children, children newest first.
 * @param root  the pool whose subtree is walked, or NULL for all pools.
 * @param fn    the callback; it must not create, destroy, reset or name
 *              pools, nor set the process-wide hook (the walk holds the
 *              tree's lock).
 * @param arg   passed to fn.
 * @return 0 once every pool was visited, fn's value if it stopped the
 *         walk, or -1 with errno EINVAL (fn is NULL).
 * @threadsafety other threads may create and destroy root pools and name
 *         pools during a walk (they wait for its end), but the pools it
 *         visits are read as mp_stats() reads them: no other thread may
 *         allocate from them or change their children meanwhile.  Walk
 *         the pools the calling thread owns, or pools whose threads are
 *         idle (see examples/pool_tree_signal.c for a program that prints
 *         its own tree on a signal).
 */
MP_API int mp_walk(const mp_pool_t *root, mp_walk_fn fn, void *arg);

/** mp_tree_print() and mp_tree_format() flag: JSON instead of text. */
#define MP_TREE_JSON 1

/**
 * Writes the pools mp_walk(root, ...) visits to `out`: as text, one line
 * per pool indented two spaces per level
 * (`request [GET /]: reserved 8192, used 120, free 8072, blocks 1, peak 8192`;
 * `(unnamed)` for a pool without a name), or with MP_TREE_JSON as one JSON
 * array of objects, one per pool in walk order, with the members "pool"
 * and "parent" (addresses as strings; parent null for a root), "name" and
 * "ident" (strings or null), "depth", "bytes_reserved", "bytes_used",
 * "bytes_free", "blocks" and "peak_reserved" (numbers).  Names are
 * written as they are in text, escaped in JSON.
 * @return 0, or -1 with errno EINVAL (out is NULL, unknown flags) or the
 *         errno of the failing write (EIO if stdio set none).
 * @threadsafety as mp_walk().
 */
MP_API int mp_tree_print(const mp_pool_t *root, FILE *out, int flags);

/**
 * mp_tree_print() into a buffer: writes at most `cap` bytes to buf, the
 * last a NUL (when cap > 0), and stores in *len the length the whole
 * output has, as snprintf() does; a *len of cap or more means it was cut.
 * @return 0, or -1 with errno EINVAL (len is NULL, buf is NULL with cap
 *         above 0, unknown flags).
 * @threadsafety as mp_walk().
 */
MP_API int mp_tree_format(const mp_pool_t *root, char *buf, size_t cap,
                          size_t *len, int flags);

/** @} */

/**
 * @defgroup hooks Allocation events
 *
 * Hooks for profilers and accounting: a pool's hook (mp_pool_set_hook())
 * and a process-wide one (mpool_set_hook()) hear of every block a pool
 * takes from or gives back to its block source (nodes, large blocks), and,
 * when set with MP_HOOK_OBJECTS, of every object event: allocation, free,
 * resize, reset and destroy.  Each event names the pool and its name.
 *
 * Unset, hooks cost one load and one predicted branch where blocks are
 * taken and given back, and nothing on the inline fast path: a pool with
 * object events keeps its bump window empty (as MP_POOL_SIZE_HEADERS
 * pools do), so that every allocation reaches the library, which tells
 * the hook.  Objects made by the library for itself (cleanup records,
 * free-list control) are not object events.
 * @{
 */

/** What an event is (mp_event_t kind). */
enum mp_event_kind {
  MP_EVENT_BLOCK_ACQUIRE = 1, /**< a block taken from the block source */
  MP_EVENT_BLOCK_RELEASE,     /**< a block given back to it */
  MP_EVENT_ALLOC,  /**< an object (mp_alloc(), mp_nalloc(), mp_memalign(),
                    *   mp_vprintf() and the calls made of them) */
  MP_EVENT_FREE,   /**< mp_free() (size 0: not known) or mp_free_sized() */
  MP_EVENT_RESIZE, /**< mp_realloc(), mp_realloc_unsized() (old_size 0) */
  MP_EVENT_RESET,  /**< mp_reset_pool(), told before the reset */
  MP_EVENT_DESTROY /**< a pool going (itself, or with an ancestor), told
                    *   before its blocks are given back */
};

/** One event, valid during the hook's call only. */
typedef struct mp_event_s {
  int kind;         /**< an mp_event_kind */
  mp_pool_t *pool;  /**< the pool (a shared pool's handle) */
  const char *name; /**< the pool's name, or NULL */
  void *ptr;        /**< the block or object (RESIZE: the new pointer) */
  size_t size;      /**< its bytes (blocks: the block's size) */
  void *old_ptr;    /**< RESIZE: the old pointer (NULL: none) */
  size_t old_size;  /**< RESIZE: the old size given (0: not known) */
} mp_event_t;

/** A hook: called on the thread that makes the event, inside the
 *  library's call.  It must not call into the pool of the event. */
typedef void (*mp_event_fn)(const mp_event_t *ev, void *arg);

/** Hook flag: object events too, not only block events. */
#define MP_HOOK_OBJECTS 1u

/**
 * Sets the pool's hook (fn NULL: none), called with arg for the pool's
 * block events, and with MP_HOOK_OBJECTS for its object events.  Replaces
 * any earlier one.  The hook is the pool's own: its children do not
 * inherit it.
 * @param pool   the pool.
 * @param fn     the hook, or NULL.
 * @param arg    passed to fn.
 * @param flags  0 or MP_HOOK_OBJECTS.
 * @return 0, or -1 with errno EINVAL (pool is NULL, unknown flags,
 *         MP_HOOK_OBJECTS on a MP_POOL_SHARED pool, which tells block
 *         events only) or ENOMEM (the first hook or name of the pool takes
 *         a small block: the out-of-memory hook is told).
 * @threadsafety changes the pool: called by its owner (a MP_POOL_SHARED
 *         pool is locked).
 */
MP_API int mp_pool_set_hook(mp_pool_t *pool, mp_event_fn fn, void *arg,
                            unsigned flags);

/**
 * Sets the process-wide hook (fn NULL: none), called with arg for every
 * pool's block events, and with MP_HOOK_OBJECTS for the object events of
 * pools created from then on (a pool decides at creation whether its
 * allocations reach the library; they keep doing so after the hook is
 * cleared).  A pool's own hook, if any, is called first.
 * @param fn     the hook, or NULL.
 * @param arg    passed to fn.
 * @param flags  0 or MP_HOOK_OBJECTS.
 * @return 0, or -1 with errno EINVAL (unknown flags).
 * @threadsafety any thread, at any time; a thread in the middle of an
 *         event may still call the hook being replaced, which must stay
 *         callable.
 */
MP_API int mpool_set_hook(mp_event_fn fn, void *arg, unsigned flags);

/** @} */

/**
 * @defgroup debug Debugging: call sites, pointer checks, thread ownership
 *
 * Debug builds (CMake option MPOOL_DEBUG; mpool_build_flags() says
 * MPOOL_BUILD_DEBUG) give every object a block of its own, followed by a
 * red zone that is checked when the object is freed, reset or destroyed;
 * keep released memory in a quarantine (MP_QUARANTINE_RESETS = 4 resets,
 * at most 8 MiB per pool), poisoned for AddressSanitizer and Valgrind and
 * checked for writes when it leaves (without those tools, the pages of
 * objects of a page or more from the default allocator are protected
 * meanwhile, so a stale read or write of them raises SIGSEGV; a stale read
 * of a smaller object is not caught); check the size passed to
 * mp_free_sized() and mp_realloc(); abort on double frees and foreign
 * pointers; and check that each call that changes an ordinary pool comes
 * from the thread that owns it.  Every failed check prints one line on
 * stderr naming the function and the pointer, then aborts:
 *
 *     mpool: mp_free_sized: overflow past the end of 0x5600a0c0 (24 bytes,
 *     allocated at main.c:12)
 *
 * Objects then take far more memory and time; debug builds are for
 * finding bugs.  Other builds export the calls below with the behaviour
 * each one documents.
 *
 * Call sites: a program that defines MPOOL_DEBUG before including this
 * header gets the allocating calls (mp_alloc, mp_nalloc, mp_calloc,
 * mp_calloc_array, mp_memalign, mp_realloc, mp_realloc_unsized, the string
 * calls and mp_objpool_get) as macros that pass `__FILE__` and `__LINE__` to
 * mp_set_site() first, each argument still evaluated once; the inline
 * mp_alloc() fast path is then off.  (name)(args) and &name still reach
 * the functions.
 * @{
 */

/**
 * Records the call site of the calling thread's next allocating call: a
 * debug build stores it with the object (for mp_report(), the leak report
 * and every abort message) and clears it.  The MPOOL_DEBUG macros call it;
 * programs rarely need to.  `file` must stay valid while the object lives
 * (a string literal such as `__FILE__`).  Other builds ignore it.
 * @threadsafety touches only the calling thread's state.
 */
MP_API void mp_set_site(const char *file, int line);

/** mp_check() result: `p` is inside no object the pool knows of. */
#define MP_PTR_UNKNOWN 0
/** mp_check() result: `p` is inside a live object of the pool. */
#define MP_PTR_LIVE 1
/** mp_check() result (debug builds only): `p` is inside memory the pool
 *  released -- by a reset, a rewind or a free -- that is still in its
 *  quarantine. */
#define MP_PTR_STALE 2

/**
 * Tells what `p` points to, as far as `pool` knows.  Interior pointers
 * count: any byte of an object, not only its start.
 *
 * Debug builds know every object: MP_PTR_LIVE for a byte of an object
 * allocated since the last reset and not freed, MP_PTR_STALE for a byte of
 * an object released since and still in quarantine (the last four resets,
 * at most 8 MiB), MP_PTR_UNKNOWN otherwise (including memory that has left
 * the quarantine).  An object's start is found in O(1); an interior
 * pointer takes a walk of the pool's objects and quarantine.
 *
 * Release builds keep no record of small objects: MP_PTR_LIVE means a byte
 * of a live large block, or a byte of node memory that allocation has
 * handed out since the last reset -- which may since have been freed, or
 * be alignment padding; MP_PTR_UNKNOWN means neither.  They never answer
 * MP_PTR_STALE.  The answer concerns `pool` alone, not its children.
 * @return MP_PTR_LIVE, MP_PTR_STALE or MP_PTR_UNKNOWN (also for NULL `p`);
 *         -1 with errno EINVAL if pool is NULL.  Reads no memory at `p`.
 * @threadsafety reads the pool (see Thread safety in mpool.h); a
 *         MP_POOL_SHARED pool is locked for the call.
 */
MP_API int mp_check(const mp_pool_t *pool, const void *p);

/**
 * Gives up the calling thread's ownership of `pool`, so that another
 * thread may use it: the next thread that calls into the pool becomes its
 * owner.  The usual happens-before (a mutex, a queue, thread creation or
 * join) between the two threads is still needed.
 *
 * Debug builds record the thread that created each ordinary pool (each
 * child has its own) and abort when another thread makes a call that
 * changes it (allocating, freeing, resizing, strings, cleanups, marks,
 * reset, destroy) without a handoff first:
 *
 *     mpool: mp_alloc: pool 0x5600a000 used by a thread that does not own
 *     it; hand it over with mp_pool_handoff()
 *
 * MP_POOL_SHARED pools have no owner.  Release builds only check `pool`.
 * @return 0, or -1 with errno EINVAL if pool is NULL.  A debug build aborts
 *         if the caller does not own the pool.
 * @threadsafety called by the pool's owner, like any call that changes
 *         it.
 */
MP_API int mp_pool_handoff(mp_pool_t *pool);

/** @} */

/**
 * @defgroup library Library
 * @{
 */

/** The library's version, as MPOOL_VERSION, for checking the header you
 *  compiled against against the library you run with.
 *  @return MPOOL_VERSION as the library was built.
 *  @threadsafety may be called from any thread at any time. */
MP_API int mpool_version(void);

/** mpool_build_flags() bit: the library checks its callers (hardened
 *  build, CMake option MPOOL_HARDENED): a double free, a foreign pointer, a
 *  stale mark, corrupted metadata, or a corrupted canary after an object
 *  (checked when it is freed or resized and by reset, rewind and destroy)
 *  aborts with one line on stderr.  As in ASan builds, each object is then
 *  followed by a red zone granule (holding the canary), mp_nalloc() results
 *  are granule aligned and mp_alloc() always calls the library, so
 *  addresses and byte counts differ from other builds. */
#define MPOOL_BUILD_HARDENED 0x2u
/** mpool_build_flags() bit: the library tells Valgrind memcheck about every
 *  object (CMake option MPOOL_VALGRIND). */
#define MPOOL_BUILD_VALGRIND 0x4u
/** mpool_build_flags() bit: the library was built with AddressSanitizer
 *  (detected from the compiler) and poisons all memory outside live
 *  objects.  Each small object is then followed by a red zone granule and
 *  mp_nalloc() results are granule aligned, so addresses and byte counts
 *  differ from other builds. */
#define MPOOL_BUILD_ASAN 0x8u
/** mpool_build_flags() bit: a debug build (CMake option MPOOL_DEBUG):
 *  every object is a block of its own with a checked red zone, released
 *  memory goes to a quarantine, and pool ownership is checked (see
 *  "Debugging" above).  Addresses and byte counts differ from other
 *  builds. */
#define MPOOL_BUILD_DEBUG 0x10u
/** mpool_build_flags() bit: built with CMake option MPOOL_HUGE_PAGES=OFF
 *  (the default), so node regions never ask for transparent huge pages.
 *  Built with ON, a process that has carved 16 MiB of nodes lets its later
 *  2 MiB node regions use them, which saves TLB misses in big pools but
 *  can stall a fault where the kernel compacts memory to make a huge page.
 *  Either way, once such a region serves a pool taking its second or a
 *  later node, the rest of its pages are made at once, with one system
 *  call. */
#define MPOOL_BUILD_NO_HUGE_PAGES 0x20u

/**
 * Tells how the library was built: the MPOOL_BUILD_* bits of the checks it
 * makes and the tools it cooperates with.  The ABI is the same in every
 * build; only behaviour (and, under AddressSanitizer, object layout)
 * differs.
 * @return the MPOOL_BUILD_* bits of the library as built, 0 for a plain
 *         build.
 * @threadsafety may be called from any thread at any time.
 */
MP_API unsigned mpool_build_flags(void);

/**
 * Returns every block held by the process-wide block cache (the calling
 * thread's front and the shared back) to the C library, and gives the pages
 * of all retained memory (mpool_cache_set_retain()) back to the system.
 * Pools keep working;
 * later requests simply refill the cache.  Call it after a burst, or before
 * a leak checker looks at the process.  Other threads' fronts are returned
 * when those threads exit.
 * @threadsafety may be called from any thread at any time.
 */
MP_API void mpool_cache_flush(void);

/**
 * Bounds the block cache: the shared back keeps at most `bytes` bytes, and
 * each thread's front at most the smaller of `bytes` and the build's
 * per-thread bound (MP_TCACHE_LIMIT, 2 MiB by default; mpool_cache_stats()
 * reports the bound in effect).
 * Blocks given back beyond a bound go to the C library.  A lower bound
 * takes effect at once for the shared back and the calling thread's front,
 * which are trimmed (largest blocks first) before the call returns; other
 * threads' fronts keep what they hold until they exit or call
 * mpool_cache_flush(), and stop growing past the new bound.  0 turns the
 * cache off; SIZE_MAX removes the back's bound.  The default is 64 MiB
 * (the build's MP_DEFAULT_CACHE_LIMIT).
 * @param bytes  the new bound of the shared back, in bytes.
 * @return 0 (every value is valid).
 * @threadsafety may be called from any thread at any time.
 */
MP_API int mpool_cache_set_limit(size_t bytes);

/**
 * Sets how the process keeps node memory that leaves the block cache (a
 * pool destroyed while the cache is full, such as the end of a burst of
 * hundreds of MiB), and large blocks of 256 KiB and more when they are
 * released.  Such memory keeps its pages (it is *retained*), so
 * that the next pools reuse it without faulting fresh pages in -- on a
 * virtual machine the first touch of a page can cost microseconds, many
 * times an allocation.  Retained memory goes back to the system
 * (madvise(MADV_DONTNEED), its address range kept for reuse; a block of
 * 256 KiB or more is unmapped; debug builds unmap those at once):
 *   - once it has waited `decay_ms` milliseconds unused -- between one and
 *     two delays, checked whenever the process releases node memory, maps
 *     a new region, or calls mpool_cache_collect();
 *   - at once for what goes past `bytes`.
 *
 * The defaults are 1 GiB and 1000 ms (the build's MP_DEFAULT_RETAIN_LIMIT
 * and MP_DEFAULT_DECAY_MS).  `decay_ms` 0 or `bytes` 0 gives pages back as
 * soon as memory is released.  A lower cap takes effect before the call
 * returns.  mpool_cache_stats() and mp_stats() report what is retained.
 * A program that creates and destroys pools forever so holds at most its
 * peak live memory, the block cache's bounds and `bytes`.
 * @param bytes     the most bytes retained at any time.
 * @param decay_ms  how long retained memory may wait unused.
 * @return 0 (every value is valid).
 * @threadsafety may be called from any thread at any time.
 */
MP_API int mpool_cache_set_retain(size_t bytes, unsigned decay_ms);

/**
 * Gives back to the system the retained memory that has waited at least
 * the decay delay (see mpool_cache_set_retain()).  The process does this
 * by itself as it releases and takes memory; a program that goes idle
 * after a peak may call it from a timer.  mpool_cache_flush() gives back
 * everything instead.
 * @threadsafety may be called from any thread at any time.
 */
MP_API void mpool_cache_collect(void);

/**
 * What the block cache holds.  Set `size` to sizeof(mpool_cache_stats_t)
 * before calling mpool_cache_stats(); fields are only ever appended.
 */
typedef struct mpool_cache_stats_s {
  /** In: sizeof(mpool_cache_stats_t) as the caller knows it.  Out: how
   *  many bytes the library filled in. */
  size_t size;
  /** Bytes of blocks in the shared back. */
  size_t back_bytes;
  /** The back's bound (mpool_cache_set_limit()). */
  size_t back_limit;
  /** Bytes of blocks in the calling thread's front. */
  size_t front_bytes;
  /** The bound of each thread's front. */
  size_t front_limit;
  /** Bytes of released node memory kept with its pages, beyond the
   *  front and back, for later nodes (mpool_cache_set_retain()). */
  size_t retained_bytes;
  /** The cap on retained_bytes. */
  size_t retain_limit;
  /** Bytes whose pages have been given back to the system since the
   *  process started. */
  size_t purged_bytes;
  /** The decay delay, in milliseconds. */
  size_t decay_ms;
} mpool_cache_stats_t;

/** The smallest mpool_cache_stats_t.size that mpool_cache_stats()
 *  accepts. */
#define MPOOL_CACHE_STATS_MIN_SIZE                                             \
  (offsetof(mpool_cache_stats_t, front_limit) + sizeof(size_t))

/**
 * Fills *st with what the block cache holds: the shared back and the
 * calling thread's front (other threads' fronts are theirs alone).
 * @param st  out; st->size must be set first.
 * @return 0, or -1 with errno EINVAL (st is NULL or st->size below
 *         MPOOL_CACHE_STATS_MIN_SIZE).
 * @threadsafety may be called from any thread at any time.
 */
MP_API int mpool_cache_stats(mpool_cache_stats_t *st);

/** @} */

/* Call sites (see "Debugging"): the allocating calls as macros that record
 * __FILE__ and __LINE__ first. */
#if defined(MPOOL_DEBUG) && !defined(MPOOL_BUILDING_LIBRARY)
#define MP__SITE(call) (mp_set_site(__FILE__, __LINE__), call)
#undef mp_alloc
#define mp_alloc(pool, size) MP__SITE((mp_alloc)((pool), (size)))
#define mp_nalloc(pool, size) MP__SITE((mp_nalloc)((pool), (size)))
#define mp_calloc(pool, size) MP__SITE((mp_calloc)((pool), (size)))
#define mp_calloc_array(pool, n, size)                                         \
  MP__SITE((mp_calloc_array)((pool), (n), (size)))
#define mp_memalign(pool, size, alignment)                                     \
  MP__SITE((mp_memalign)((pool), (size), (alignment)))
#define mp_realloc(pool, p, old_size, new_size)                                \
  MP__SITE((mp_realloc)((pool), (p), (old_size), (new_size)))
#define mp_realloc_unsized(pool, p, new_size)                                  \
  MP__SITE((mp_realloc_unsized)((pool), (p), (new_size)))
#define mp_strdup(pool, s) MP__SITE((mp_strdup)((pool), (s)))
#define mp_strndup(pool, s, n) MP__SITE((mp_strndup)((pool), (s), (n)))
#define mp_memdup(pool, p, n) MP__SITE((mp_memdup)((pool), (p), (n)))
#define mp_printf(pool, ...) MP__SITE((mp_printf)((pool), __VA_ARGS__))
#define mp_vprintf(pool, fmt, ap) MP__SITE((mp_vprintf)((pool), (fmt), (ap)))
#define mp_strcat(pool, ...) MP__SITE((mp_strcat)((pool), __VA_ARGS__))
#define mp_join(pool, parts, n, sep)                                           \
  MP__SITE((mp_join)((pool), (parts), (n), (sep)))
#define mp_objpool_get(op) MP__SITE((mp_objpool_get)((op)))
#endif

/**
 * @defgroup rt Real-time pools: a bounded O(1) heap on a caller buffer
 *
 * An rt pool is a heap for real-time and embedded code in one buffer the
 * caller provides.  Its objects are 16-byte aligned (MP_GRANULE) and stay
 * valid until mp_rt_free(), an mp_rt_realloc() that moves them,
 * mp_rt_destroy() of the pool or mp_rt_init() of its buffer again.  An rt
 * pool is not thread-safe: one thread at a time, or a lock the caller
 * holds around every call.
 *
 * @{
 */

/**
 * A real-time pool, which lives at the start of its caller's buffer:
 * objects of any size, freed one at a time in any order without their
 * size.  It never calls an allocator or the system and takes no lock, and
 * mp_rt_alloc() and mp_rt_free() run in bounded time, with no loop over
 * blocks or free lists.  It is not an mp_pool_t: no reset, children or
 * cleanups.
 *
 * A request of `size` bytes takes a block of the smallest power of two of
 * at least max(size, 16) bytes: from its class's free list (newest first),
 * else from the untouched end of the heap.  Blocks are never merged, so a
 * block serves its class for good; each block's class is kept in a side
 * table (one byte per 16 bytes of heap), so blocks carry no header and
 * foreign pointers and double frees are always detected.  Only when the
 * untouched end cannot serve a request does the pool split a free block of
 * a larger class, one step per class split -- never in a buffer of
 * mp_rt_bound() for the program, where no request fails (MP_RT_BOUND();
 * docs/rtpool.md has the proof).
 *
 * Tools: AddressSanitizer builds, and MPOOL_VALGRIND builds for Valgrind,
 * mark free blocks and the untouched heap inaccessible, and under
 * AddressSanitizer the bytes of a block past its object's size too; call
 * mp_rt_destroy() before the buffer is used for anything else.
 *
 * Threads: one thread at a time may call into an rt pool (a program that
 * shares one locks around every call); the calls that only read it
 * (mp_rt_stats(), mp_rt_check()) may overlap one another.  The calls
 * touch nothing but the buffer and errno, so distinct rt pools need no
 * locking between them.
 */
typedef struct mp_rt_s mp_rt_t;

/** Bytes of an rt pool's buffer its bookkeeping may take (=96 pointers:
 *  768 bytes on 64-bit systems, 384 on 32-bit ones): the pool's struct
 *  and the alignment of the struct and of the heap inside the buffer.
 *  The side table of classes, 1/16 of the heap, comes on top. */
#define MP_RT_OVERHEAD (sizeof(void *) * 96)

/** The smallest buffer mp_rt_init() accepts (=MP_RT_OVERHEAD + 17): room
 *  for the bookkeeping and one 16-byte block at any buffer alignment. */
#define MP_RT_MIN_SIZE (MP_RT_OVERHEAD + (size_t)17)

/* The number of powers of two below x (internal): ceil(log2(x)) for
 * 1 <= x < 2^64, as a constant expression. */
#define MP__RT_GT(x, k) ((uintmax_t)(x) > ((uintmax_t)1 << (k)))
#define MP__RT_GT8(x, k)                                                       \
  (MP__RT_GT(x, k) + MP__RT_GT(x, k + 1) + MP__RT_GT(x, k + 2) +               \
   MP__RT_GT(x, k + 3) + MP__RT_GT(x, k + 4) + MP__RT_GT(x, k + 5) +           \
   MP__RT_GT(x, k + 6) + MP__RT_GT(x, k + 7))
#define MP__RT_LOG2C(x)                                                        \
  (MP__RT_GT8(x, 0) + MP__RT_GT8(x, 8) + MP__RT_GT8(x, 16) +                   \
   MP__RT_GT8(x, 24) + MP__RT_GT8(x, 32) + MP__RT_GT8(x, 40) +                 \
   MP__RT_GT8(x, 48) + MP__RT_GT8(x, 56))
/* n bytes in 16-byte granules, rounded up, at least 1 (internal). */
#define MP__RT_GRANULES(n)                                                     \
  ((size_t)(n) / 16 + ((size_t)(n) % 16 != 0) + ((size_t)(n) == 0))
/* The heap bytes of MP_RT_BOUND() (internal): M in whole granules (live
 * bytes are counted in granules), at least one, times 1 + 2 * the number
 * of classes above the 16-byte one up to n's. */
#define MP__RT_HEAP(M, n)                                                      \
  (((size_t)(M) / 16 + ((size_t)(M) < 16)) * 16 *                              \
   (1 + 2 * (size_t)MP__RT_LOG2C(MP__RT_GRANULES(n))))

/**
 * The buffer size with which an rt pool never fails a request for lack of
 * memory (=MP_RT_OVERHEAD + H + H / 16, with H = 16 * max(1, floor(M /
 * 16)) * (1 + 2 * ceil(log2(ceil(n / 16))))), as a constant expression
 * for static buffers: `static unsigned char heap[MP_RT_BOUND(65536,
 * 1024)];`.
 *
 * The guarantee: a program in which at no time the objects live in the
 * pool add up to more than M bytes, each counted as its size rounded up to
 * a multiple of 16 (size 0 as 16; while mp_rt_realloc() moves an object,
 * both the old and the new size count), and that never asks for more than
 * n bytes at once, gets every mp_rt_alloc() and mp_rt_realloc() served,
 * whatever the order of its requests, from a buffer of this many bytes at
 * any alignment.  H is the heap: M for 16-byte blocks plus less than 2M
 * for each larger class up to n's.  mp_rt_bound() gives the exact sum per
 * class, which is smaller; this macro does not check for overflow (a
 * result below M has wrapped).
 */
#define MP_RT_BOUND(M, n)                                                      \
  (MP_RT_OVERHEAD + MP__RT_HEAP(M, n) + MP__RT_HEAP(M, n) / 16)

/**
 * The buffer size with which an rt pool never fails a request for lack of
 * memory, as exactly as the pool's design allows.  No sequence of requests
 * with at most `live` bytes live at once (counted as for MP_RT_BOUND())
 * and no request above `max_size` bytes can then fail, at any buffer
 * alignment.  The heap it provides for is the sum, over the classes up to
 * max_size's, of the most bytes of blocks of that class that `live` bytes
 * of objects can occupy; a sequence that fills `live` bytes with the
 * smallest objects of each class in turn, freeing all between, uses all
 * of it.  Never larger than MP_RT_BOUND(live, max_size).
 * @param live      M: the most bytes live at once, each object rounded up
 *                  to a multiple of 16 (0 counts as 16).
 * @param max_size  n: the largest size ever requested.
 * @return the buffer size in bytes, at least MP_RT_MIN_SIZE; or 0 with
 *         errno EOVERFLOW if it does not fit in a size_t.
 * @threadsafety may be called from any thread at any time.
 */
MP_API size_t mp_rt_bound(size_t live, size_t max_size);

/**
 * Makes an rt pool of the `size` bytes at `buf`.  The buffer may have any
 * alignment; the pool's struct is at its start, followed by the side table
 * and the heap (16 bytes of heap for every 17 bytes past
 * MP_RT_OVERHEAD, see mp_rt_stats_t capacity).  Whatever the buffer held
 * is forgotten, including an rt pool made there before.  Takes time linear
 * in `size` (it zeroes the side table); the buffer must stay valid and
 * untouched, but through the pool's objects, until mp_rt_destroy().
 * @param buf   the buffer.
 * @param size  its size in bytes, at least MP_RT_MIN_SIZE.
 * @return the pool (inside `buf`), or NULL with errno EINVAL (buf is NULL,
 *         size is below MP_RT_MIN_SIZE, or buf + size wraps the address
 *         space).
 * @threadsafety touches only the buffer.
 */
MP_API MP_NODISCARD mp_rt_t *mp_rt_init(void *buf, size_t size);

/**
 * Ends an rt pool.  Every object in it becomes invalid, and the buffer is
 * the caller's again (builds with AddressSanitizer or MPOOL_VALGRIND make
 * it accessible again; a stack or static buffer needs this before it is
 * reused).  Later calls with the pool fail with EINVAL until mp_rt_init()
 * makes a pool there again.  NULL, or a pool already destroyed, is
 * ignored.
 * @threadsafety no other thread may use the pool during or after the
 *         call.
 */
MP_API void mp_rt_destroy(mp_rt_t *rt);

/**
 * Allocates `size` bytes from an rt pool, in bounded time.  The memory is
 * aligned to 16 (MP_GRANULE) and is a block of the smallest power of two
 * >= max(size, 16) bytes: from its class's free list, else from the
 * untouched heap, else (in a buffer below mp_rt_bound() for the program)
 * split from a larger free block, one step per class.  Size 0 gives a
 * unique 16-byte block.
 * @return the memory (contents uninitialised), or NULL with errno EINVAL
 *         (rt is NULL or not an rt pool), EOVERFLOW (size above
 *         MP_MAX_ALLOC_SIZE) or ENOMEM (no free block of the class or
 *         above and no room left; never in a buffer of mp_rt_bound()
 *         for the program's bytes live and largest size).
 * @threadsafety changes the pool: one thread at a time.
 */
MP_API MP_MALLOC MP_ALLOC_SIZE(2) void *mp_rt_alloc(mp_rt_t *rt, size_t size);

/**
 * Frees `p`, an object of the rt pool, in bounded time.  Its block goes to
 * the head of its class's free list.  No size is needed.  NULL `p` is a
 * no-op.  Every pointer that is not a live object of the pool is
 * detected, without reading memory at `p`: a pointer outside the heap or
 * into the middle of a block, and a block already free.
 * @return 0, or -1 with errno EINVAL (rt is NULL or not an rt pool, `p`
 *         is not a live object of it: foreign, interior or already
 *         freed).  Hardened and debug builds (MPOOL_BUILD_HARDENED,
 *         MPOOL_BUILD_DEBUG) abort instead on a bad `p`, printing one line
 *         that names the function and the pointer.
 * @threadsafety changes the pool: one thread at a time.
 */
MP_API int mp_rt_free(mp_rt_t *rt, void *p);

/**
 * Resizes `p`, an object of the rt pool, to `size` bytes.  Its contents
 * are kept up to the smaller size.  A size of the same class stays in
 * place; another class moves the object (allocation as mp_rt_alloc(),
 * the copy, then the old block freed), so it takes bounded time plus the
 * copy.  Shrinking never fails: when no smaller block can be had the
 * object stays where it is.  NULL `p` allocates as mp_rt_alloc().
 * @return the object, or NULL with errno EINVAL (rt is NULL or not an rt
 *         pool, `p` is not a live object of it; hardened and debug builds
 *         abort on a bad `p` as mp_rt_free() does), EOVERFLOW or ENOMEM;
 *         on failure `p` is left intact.
 * @threadsafety changes the pool: one thread at a time.
 */
MP_API void *mp_rt_realloc(mp_rt_t *rt, void *p, size_t size);

/**
 * Statistics of an rt pool.  Set `size` to sizeof(mp_rt_stats_t) before
 * calling mp_rt_stats(); fields are only ever appended.  Byte counts are
 * of whole blocks (each object's size rounded up to its class).
 */
typedef struct mp_rt_stats_s {
  /** In: sizeof(mp_rt_stats_t) as the caller knows it.  Out: how many
   *  bytes of the struct the library filled in. */
  size_t size;
  /** Bytes of heap in the buffer: what blocks are cut from. */
  size_t capacity;
  /** Bytes of the live objects' blocks. */
  size_t allocated;
  /** Highest `allocated` since mp_rt_init(). */
  size_t peak_allocated;
  /** Bytes of heap cut into blocks so far (live or free); the rest is
   *  untouched.  Never more than the heap that mp_rt_bound() provides for
   *  while the program keeps within its bounds. */
  size_t carved;
  /** The largest request that would succeed now, 0 if none. */
  size_t largest_free;
  /** Live objects. */
  size_t live_blocks;
  /** Free blocks (on the free lists). */
  size_t free_blocks;
  /** Blocks handed out since mp_rt_init(), by mp_rt_alloc() and by
   *  mp_rt_realloc() moving or allocating. */
  uint64_t allocs;
  /** Blocks given back since mp_rt_init(), by mp_rt_free() and by
   *  mp_rt_realloc() moving. */
  uint64_t frees;
  /** Allocating calls that failed with ENOMEM or EOVERFLOW. */
  uint64_t failures;
} mp_rt_stats_t;

/** The smallest mp_rt_stats_t.size that mp_rt_stats() accepts. */
#define MP_RT_STATS_MIN_SIZE                                                   \
  (offsetof(mp_rt_stats_t, failures) + sizeof(uint64_t))

/**
 * Fills *st with the statistics of an rt pool, in O(1).
 * @param rt  the pool.
 * @param st  out; st->size must be set first (see mp_rt_stats_t).
 * @return 0, or -1 with errno EINVAL (rt is NULL or not an rt pool, st is
 *         NULL, st->size below MP_RT_STATS_MIN_SIZE).
 * @threadsafety reads the pool: may overlap mp_rt_check() and other
 *         mp_rt_stats() calls, not calls that change it.
 */
MP_API int mp_rt_stats(const mp_rt_t *rt, mp_rt_stats_t *st);

/**
 * Checks every invariant of an rt pool.  A test or a watchdog may call it
 * after each operation.  It checks the geometry of the buffer; every
 * block of the carved heap in the side table, each with a valid class,
 * inside the heap and with no other block starting within it; every free
 * list acyclic, each entry a free block of the list's class, and the lists
 * holding every free block; the non-empty bitmap matching the lists; and
 * the counts and byte totals of mp_rt_stats() matching the blocks.  Takes
 * time linear in the heap; reads the first word of every free block, so
 * it also notices most writes into freed objects that hit a free-list
 * link.
 * @return 1 if every invariant holds, 0 if one does not (the pool is
 *         corrupted, or `rt` is not an rt pool), -1 with errno EINVAL if
 *         rt is NULL.
 * @threadsafety reads the pool: may overlap mp_rt_stats() and other
 *         mp_rt_check() calls, not calls that change it.
 */
MP_API int mp_rt_check(const mp_rt_t *rt);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_H */
