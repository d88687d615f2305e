/*
 * mpool internals: struct layouts, compile-time defaults and the mp__
 * functions the source files share.  Nothing here is part of the ABI.
 *
 * Compile-time levels (each a CMake option mapping to one macro):
 *   MP_DEFAULT_CACHE_LIMIT  bytes the shared block cache keeps (=64 MiB)
 *   MP_TCACHE_LIMIT         bytes each thread's cache front keeps (=2 MiB)
 *   MP_DEBUG                debug build (CMake MPOOL_DEBUG): every object in
 *                           a block of its own with a checked red zone,
 *                           call sites, quarantine, ownership (debug.c)
 *   MP_QUARANTINE_RESETS    debug builds: resets a released block stays
 *                           in quarantine (=4; page-protected without a
 *                           memory tool when it holds a page or more)
 *   MP_QUARANTINE_BYTES     debug builds: bytes each pool's quarantine
 *                           holds at most (=8 MiB)
 *   MP_HOT_CLASSES          freed chunks of up to this many granules may
 *                           wait in the hot cache (=32, 512 bytes; reuse.c)
 *   MP_HOT_DEPTH            chunks the hot cache keeps per size (=65536)
 *   MP_HOT_BYTES            bytes the hot cache of a pool may always keep
 *                           (=32 KiB)
 *   MP_HOT_SHARE            ... and a pool holding more keeps up to this
 *                           fraction of its reserved bytes (=2: a half)
 *
 * Memory map of a pool:
 *   - nodes: blocks of pool->node_size bytes, aligned to that size, so the
 *     node that holds a pointer is found by masking.  The first node holds
 *     the pool struct itself.  Small requests are bump-allocated upward from
 *     pool->w.ptr; mp_nalloc() takes bytes downward from pool->top; the space
 *     between is free.
 *   - large blocks: one block from the block source per request above the
 *     threshold, with a struct mp_large header just before the user
 *     pointer, on a doubly linked list so mp_free() is O(1).
 *   - the index: a hash set of node bases and large-block pointers, so
 *     ownership is decided without reading memory the pool does not own.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_INTERNAL_H
#define MP_INTERNAL_H

#define MPOOL_BUILDING_LIBRARY /* the library calls mp_alloc itself */
#include "mpool.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mp_track.h"

_Static_assert(alignof(max_align_t) <= MP_GRANULE,
               "mpool.h's MP_GRANULE holds any fundamental alignment");

/* The red zone kept after every object: one granule in AddressSanitizer
 * builds (poisoned) and in hardened builds (holding a canary, harden.c), 0
 * otherwise.  With a red zone every small object starts on a granule
 * (mp_nalloc() results too), the pool routes every allocation through the
 * library (no inline fast path), and addresses and byte counts differ from
 * other builds. */
#if defined(MP_TRACK_ASAN) || defined(MP_HARDENED)
#define MP_RZ ((size_t)MP_GRANULE)
#else
#define MP_RZ ((size_t)0)
#endif

#ifndef MP_DEFAULT_CACHE_LIMIT
#define MP_DEFAULT_CACHE_LIMIT ((size_t)64 << 20)
#endif
#ifndef MP_TCACHE_LIMIT
#define MP_TCACHE_LIMIT ((size_t)2 << 20)
#endif
#ifndef MP_HOT_CLASSES
#define MP_HOT_CLASSES 32
#endif
#ifndef MP_HOT_DEPTH
#define MP_HOT_DEPTH 65536
#endif
#ifndef MP_HOT_BYTES
#define MP_HOT_BYTES ((size_t)32 << 10)
#endif
#ifndef MP_HOT_SHARE
#define MP_HOT_SHARE 2
#endif
#ifndef MP_QUARANTINE_RESETS
#define MP_QUARANTINE_RESETS 4
#endif
#ifndef MP_QUARANTINE_BYTES
#define MP_QUARANTINE_BYTES ((size_t)8 << 20)
#endif
#ifdef MP_DEBUG
#define MP_DBG 1
#else
#define MP_DBG 0
#endif

/* Index slots kept inside the pool struct before the table moves to the
 * backing allocator. */
#define MP_INDEX_INLINE 16

#if defined(__GNUC__) || defined(__clang__)
#define mp_likely(x) __builtin_expect(!!(x), 1)
#define mp_unlikely(x) __builtin_expect(!!(x), 0)
#define MP_NOINLINE __attribute__((noinline))
#define MP_INLINE inline __attribute__((always_inline))
#else
#define mp_likely(x) (x)
#define mp_unlikely(x) (x)
#define MP_NOINLINE
#define MP_INLINE inline
#endif

#define MP_ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((uintptr_t)(a)-1))
#define MP_ALIGN_DOWN(x, a) ((x) & ~((uintptr_t)(a)-1))
#define MP_IS_POW2(x) ((x) != 0 && ((x) & ((x)-1)) == 0)

/* Pool flags. */
enum {
  MP_F_NOWINDOW = 1u << 0, /* every allocation takes the slow path */
  MP_F_CACHED = 1u << 1,   /* default allocator: blocks go through the cache */
  MP_F_HEADERS = 1u << 2,  /* MP_POOL_SIZE_HEADERS */
  MP_F_SHARED = 1u << 3,   /* the handle of a shared pool (shared.c) */
  MP_F_INNER = 1u << 4,    /* the pool behind a shared pool's handle */
  MP_F_COUNT = 1u << 5,    /* MP_POOL_COUNT_REQUESTS */
  MP_F_ADAPT = 1u << 6,    /* MP_POOL_ADAPTIVE: the struct is not in a node */
  MP_F_WIPE = 1u << 7,     /* MP_POOL_WIPE */
  MP_F_LEAKS = 1u << 8,    /* debug builds: report leaks at destroy */
  MP_F_HOOKED = 1u << 9,   /* object events: api.c routes to hooked.c */
  MP_F_HOOKWIN = 1u << 10, /* MP_F_NOWINDOW set for the object events */
  MP_F_HOOKALL = 1u << 11, /* made under a process-wide MP_HOOK_OBJECTS:
                            * object events for good (hooks.c) */
};

/* In a pool with size headers, each small object is preceded by this. */
struct mp_hdr {
  size_t size;   /* the size requested */
  size_t offset; /* from the start of the object's memory to the object */
};

/* Bitmaps of one bit per granule in each node: F and S (reuse.c; the two
 * interleaved a 64-bit word at a time), and in
 * hardened builds G marking every granule of every free chunk (reuse.c),
 * C marking every red-zone granule that holds a canary, O marking the
 * first granule of every live small object and R the first granule of
 * every object a reset ended, until memory handed out since covers it
 * (harden.c).
 * The first MP_REUSE_MAPS are the free lists' and are cleared with them;
 * C, O and R are kept from a node's first use. */
#ifdef MP_HARDENED
#define MP_NMAPS 6
#define MP_REUSE_MAPS 3
#else
#define MP_NMAPS 2
#define MP_REUSE_MAPS 2
#endif

/* A node starts with this header and MP_NMAPS bitmaps of one bit per
 * granule (see reuse.c), then its objects from node->start on. */
struct mp_node {
  struct mp_node *next; /* the pool's nodes, in the order they are reused */
  struct mp_node *prev;
  unsigned char *start; /* first usable byte (granule aligned) */
  unsigned char *low;   /* when left: where bump allocation had reached */
  unsigned char *high;  /* when left: where mp_nalloc had reached */
  size_t dirty;         /* its bitmaps have bits set */
#ifdef MP_HARDENED
  uintptr_t magic; /* mp__hard_magic(node): checked when the node is used */
  uintptr_t spare;
#endif
};

/* A free chunk of node memory, on a free list (reuse.c).  size is stored
 * only in chunks of two granules or more, with a copy in the last word. */
struct mp_chunk {
  struct mp_chunk *next;
  struct mp_chunk *prev;
  size_t size;
};

/* Free-list classes: one per granule count up to 64 granules, then four
 * per doubling up to MP_MAX_NODE_SIZE. */
#define MP_EXACT_CLASSES 64
#define MP_NCLASSES (MP_EXACT_CLASSES + 4 * 17)
#define MP_CLASS_WORDS ((MP_NCLASSES + 63) / 64)

_Static_assert(MP_HOT_DEPTH >= 1 && MP_HOT_DEPTH <= UINT32_MAX,
               "mp_reuse.nhot counts in 32 bits");

struct mp_reuse {
  uint64_t nonempty[MP_CLASS_WORDS];
  struct mp_chunk *head[MP_NCLASSES];
  /* The hot cache (reuse.c): freed chunks of k granules, newest first on
   * hot[k - 1], linked through their first word, waiting off the lists
   * and unmerged. */
  uintptr_t hot[MP_HOT_CLASSES];
  uint32_t nhot[MP_HOT_CLASSES];
  size_t hot_bytes;
};

struct mp_large {
  struct mp_large *next;
  struct mp_large *prev;
  void *base;        /* start of the block from the block source */
  size_t block_size; /* its size, as the block source needs it back */
  size_t size;       /* the size requested */
  size_t align;      /* the alignment the block was asked for */
  uint64_t seq;      /* when it was made (pool->life.events), for marks */
  intptr_t cls;      /* its cache class, or -1 */
#ifdef MP_HARDENED
  uintptr_t magic; /* mp__hard_magic(header): checked before it is used */
  uintptr_t spare;
#endif
#ifdef MP_DEBUG
  const char *file; /* the call site (mp_set_site()), or NULL */
  int line;
  unsigned char small;    /* a request at or below the pool's threshold */
  unsigned char internal; /* the library's own record: no leak report */
  unsigned char why;      /* in quarantine: MP_Q_FREE, _RESET or _REWIND */
  unsigned char bits;     /* MP_DBG_SHRUNK, MP_DBG_GUARDED */
#endif
};

struct mp_index {
  uintptr_t *slots; /* 0 marks an empty slot */
  size_t cap;       /* a power of two */
  size_t count;
  bool built; /* kept up to date only once something asked (index.c) */
  uintptr_t inline_slots[MP_INDEX_INLINE];
};

/* A cleanup record (lifetime.c), in the pool's own memory. */
struct mp_cleanup_s {
  struct mp_cleanup_s *next;
  struct mp_cleanup_s *prev;
  mp_cleanup_fn fn; /* NULL while the record is spare */
  void *data;
  mp_pool_t *pool;
  uint64_t seq; /* when it was registered (life.events), for marks */
};

/* A mark (mark.c): where bump allocation stood, in the pool's memory. */
struct mp_mark_s {
  struct mp_mark_s *prev; /* the mark taken before this one */
  struct mp_node *node;
  unsigned char *ptr;
  unsigned char *top;
  uint64_t events;
  size_t left; /* pool->adapt.left: bytes used in the nodes left before */
};

/* Lifetime (lifetime.c): cleanups and the pool hierarchy. */
struct mp_life {
  struct mp_cleanup_s *cleanups; /* registered, newest first */
  struct mp_cleanup_s *spare;    /* removed records, for reuse */
  size_t ncleanups;
  mp_pool_t *parent;
  mp_pool_t *children;     /* newest first */
  mp_pool_t *prev, *next;  /* siblings */
  bool busy;               /* being reset or destroyed */
  uint64_t events;         /* counts large blocks, cleanups and children */
  uint64_t seq;            /* this pool's place in its parent's events */
  struct mp_mark_s *marks; /* outstanding marks, newest first (mark.c) */
};

/* Counters kept in slow paths only (stats.c reads them). */
struct mp_counters {
  size_t reserved; /* bytes held from the block source */
  size_t peak;     /* highest reserved */
};

/* Byte budgets (budget.c).  Every pool points to the nearest pool, itself
 * or an ancestor, that has a budget; a pool with a budget also points to
 * the nearest budgeted ancestor above it.  Charging walks that chain. */
struct mp_budget {
  mp_pool_t *first;      /* nearest budgeted pool, self included; or NULL */
  mp_pool_t *up;         /* budget != 0: nearest budgeted strict ancestor */
  size_t limit;          /* 0: none */
  atomic_size_t charged; /* limit != 0: bytes charged, descendants' too */
  void (*on_oom)(mp_pool_t *pool, size_t size, void *ud);
  void *oom_ud;
};

/* Adaptive sizing (adapt.c): what a cycle (creation or reset to the next
 * reset) used, sampled in slow paths, and the decaying mark it feeds. */
struct mp_adapt {
  size_t min_node;   /* the node size the pool was created with */
  size_t user_max;   /* the caller's large threshold, or 0: a quarter */
  size_t left;       /* bytes used in the nodes allocation left this cycle */
  size_t large_live; /* bytes of the live large blocks (block sizes) */
  size_t peak;       /* highest sample this cycle */
  size_t hwm;        /* the decaying high-water mark */
};

/* Names and hooks (registry.c, hooks.c): a pool's name, identifier and
 * event hook, in one block of its block source counted in its reserved
 * bytes (NULL until one is set), and a root pool's place on the
 * process's list of roots (registry.c). */
struct mp_ext {
  size_t bytes;      /* the block's size */
  const char *name;  /* in the block; NULL: unnamed */
  const char *ident; /* in the block, or NULL */
  mp_event_fn hook;  /* the pool's hook, or NULL */
  void *hook_arg;
  unsigned hook_flags;
};
struct mp_tree {
  mp_pool_t *prev, *next; /* the list of roots, while listed */
  struct mp_ext *ext;
  bool listed;
};

#ifdef MP_DEBUG
/* Debug builds (debug.c): the quarantine of released blocks, oldest
 * first, and the thread that owns the pool. */
struct mp_debug {
  struct mp_large *q_head, *q_tail;
  size_t q_bytes;
  const void *owner; /* the owner's thread marker; NULL after a handoff */
};
#endif
/* Why a large block is released (debug builds report and quarantine by
 * it). */
enum { MP_Q_FREE = 1, MP_Q_RESET, MP_Q_REWIND, MP_Q_DESTROY };

struct mp_pool_s {
  /* Fast window, the public first member: mp_alloc() serves [ptr, end) with
   * a compare and an add.  end never passes ptr + window, so a request that
   * fits is small. */
  struct mp__window w;
  unsigned char *top; /* end of free space in the current node */
  struct mp_node *current;
  struct mp_node *first; /* holds this struct */
  struct mp_large *large;
  int node_cls;     /* cache class of a node, or -1 */
  size_t node_size; /* power of two; nodes are aligned to it */
  size_t node_hdr;  /* node header and bitmaps, rounded to a granule */
  size_t map_words; /* 64-bit words in each of a node's two bitmaps */
  size_t align;     /* alignment of mp_alloc(), >= MP_GRANULE */
  size_t max;       /* large threshold */
  size_t window;    /* widest fast window: max rounded down to a granule */
  unsigned flags;
  mp_allocator_t backing;
  struct mp_budget budget;
  size_t align_waste;     /* padding skipped to align node objects */
  struct mp_reuse *reuse; /* free lists; NULL until the first free */
  size_t freed_bytes;     /* bytes given back by mp_free_sized & co */
  size_t reused_bytes;    /* bytes handed out again from free lists */
  size_t requested;       /* MP_F_COUNT: sizes asked for since reset */
  struct mp_life life;
  struct mp_counters counters;
  struct mp_adapt adapt;
  struct mp_shared *shared; /* MP_F_INNER only: the handle (shared.c) */
  /* MP_F_INNER only: told as the pool is freed, and asked to reset it
   * for an ancestor's mp_reset_children(), by the layer above that wraps
   * it (shared.c), which the pool layer does not call otherwise. */
  void (*on_free)(mp_pool_t *pool);
  void (*on_reset)(mp_pool_t *pool);
  /* MP_F_INNER: the shared layer's corrections to the pool's statistics
   * (its lanes' free bytes and counters). */
  void (*on_stats)(const mp_pool_t *pool, mp_stats_t *st);
  uint64_t epoch; /* resets so far */
  struct mp_tree tree;
  /* A new pool copies everything above from its settled options
   * (pool.c); the index is mostly inline slots that need no copy, and the
   * build-dependent members come after it, so that code built without
   * their macros (tests that read the index) agrees on where it is. */
  struct mp_index index;
#ifdef MP_DEBUG
  struct mp_debug dbg;
#endif
#ifdef MP_HARDENED
  const char *fn; /* the public function in progress, for messages */
#endif
};

_Static_assert(sizeof(struct mp_node) % 16 == 0, "node header granule");
_Static_assert(sizeof(struct mp_large) % 16 == 0, "large header granule");
_Static_assert(sizeof(struct mp_chunk) <= 2 * 16, "chunk fits two granules");

static inline uintptr_t mp__node_end(const mp_pool_t *pool,
                                     const struct mp_node *n) {
  return (uintptr_t)n + pool->node_size;
}

/* Counts a request in pools created with MP_POOL_COUNT_REQUESTS. */
static inline void mp__count(mp_pool_t *pool, size_t size) {
  if (pool->flags & MP_F_COUNT)
    pool->requested += size;
}

/* The position of the highest set bit of x (x > 0): log2 of a power of two,
 * or log2 rounded down. */
static inline unsigned mp__floor_log2(size_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return (unsigned)(sizeof(unsigned long long) * 8 - 1) -
         (unsigned)__builtin_clzll((unsigned long long)x);
#else
  unsigned k = 0;
  while (x >>= 1)
    k++;
  return k;
#endif
}

/* The position of the lowest set bit of x (x > 0). */
static inline unsigned mp__lowest_bit(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return (unsigned)__builtin_ctzll(x);
#else
  unsigned k = 0;
  while (!(x & 1)) {
    x >>= 1;
    k++;
  }
  return k;
#endif
}

/* The first set bit at or above `from` in a bitmap of `words` 64-bit
 * words, or words * 64: none. */
static inline size_t mp__next_bit(const uint64_t *map, size_t words,
                                  size_t from) {
  for (size_t w = from / 64; w < words; w++) {
    uint64_t bits = map[w];
    if (w == from / 64)
      bits &= ~(uint64_t)0 << (from % 64);
    if (bits != 0)
      return w * 64 + mp__lowest_bit(bits);
  }
  return words * 64;
}

/* Sets errno and returns NULL: the one exit for failing pointer calls. */
static inline void *mp__fail(int err) {
  errno = err;
  return NULL;
}

/* What each module offers the others, one header per source file, in an
 * order where each header's inline functions find what they call. */
/* clang-format off */
#include "index.h"
#include "harden.h"
#include "node.h"
#include "alloc.h"
#include "free.h"
#include "reuse.h"
#include "format.h"
#include "mark.h"
#include "large.h"
#include "cache.h"
#include "debug.h"
#include "teardown.h"
#include "pool.h"
#include "adapt.h"
#include "wipe.h"
#include "lifetime.h"
#include "reset.h"
#include "shared.h"
#include "budget.h"
#include "buffer.h"
#include "registry.h"
#include "hooks.h"
#include "hooked.h"
/* clang-format on */

/* mp_platform.c */
extern const mp_allocator_t mp__default_allocator;

#endif /* MP_INTERNAL_H */
