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

/* Sets errno and returns NULL: the one exit for failing pointer calls. */
static inline void *mp__fail(int err) {
  errno = err;
  return NULL;
}

/* index.c */
void mp__index_init(struct mp_index *ix);
int mp__index_add(mp_pool_t *pool, uintptr_t key);

/* The slot where an index search for key starts (Fibonacci hashing). */
static inline size_t mp__index_slot(uintptr_t key, size_t cap) {
  uint64_t h = (uint64_t)(key >> 4) * UINT64_C(0x9E3779B97F4A7C15);
  return (size_t)(h >> 32) & (cap - 1);
}

/* Whether the index holds key (inline: every free asks). */
static inline bool mp__index_has(const struct mp_index *ix, uintptr_t key) {
  if (key == 0)
    return false;
  size_t i = mp__index_slot(key, ix->cap);
  for (;;) {
    uintptr_t k = ix->slots[i];
    if (k == key)
      return true;
    if (k == 0)
      return false;
    i = (i + 1) & (ix->cap - 1);
  }
}
void mp__index_del(struct mp_index *ix, uintptr_t key);
void mp__index_free(mp_pool_t *pool);
bool mp__index_build(mp_pool_t *pool);
struct mp_node *mp__node_scan(const mp_pool_t *pool, uintptr_t base);
struct mp_large *mp__large_scan(const mp_pool_t *pool, const void *p);

/* Index keys: a node by its base with bit 0 set (bases are aligned to the
 * node size); a large block by its user pointer, always granule aligned. */
#define MP_NODE_KEY(n) ((uintptr_t)(n) | 1u)

/* The first usable byte of node n of this pool: its start field, which
 * only the first node (holding the pool struct) needs to be read for. */
static inline uintptr_t mp__node_start(const mp_pool_t *pool,
                                       const struct mp_node *n) {
  return n == pool->first ? (uintptr_t)n->start : (uintptr_t)n + pool->node_hdr;
}

/* The node that holds p, known to be in one of this pool's nodes. */
static inline struct mp_node *mp__node_at(const mp_pool_t *pool,
                                          const void *p) {
  return (struct mp_node *)MP_ALIGN_DOWN((uintptr_t)p, pool->node_size);
}

/* The node of this pool that holds p, or NULL: reads no memory at p. */
static inline struct mp_node *mp__node_of(const mp_pool_t *pool,
                                          const void *p) {
  uintptr_t base = MP_ALIGN_DOWN((uintptr_t)p, pool->node_size);
  /* The pool is never const-defined: building its index is allowed. */
  if (!pool->index.built && !mp__index_build((mp_pool_t *)(uintptr_t)pool))
    return mp__node_scan(pool, base); /* no memory for the table */
  return mp__index_has(&pool->index, MP_NODE_KEY(base)) ? (struct mp_node *)base
                                                        : NULL;
}

/* The header of this pool's large block p, or NULL: reads no memory at p
 * unless the index says p is a live large block of this pool. */
static inline struct mp_large *mp__large_of(const mp_pool_t *pool,
                                            const void *p) {
  uintptr_t a = (uintptr_t)p;
  if ((a & (MP_GRANULE - 1)) != 0)
    return NULL;
  if (!pool->index.built && !mp__index_build((mp_pool_t *)(uintptr_t)pool))
    return mp__large_scan(pool, p);
  return mp__index_has(&pool->index, a) ? (struct mp_large *)p - 1 : NULL;
}

/* harden.c: checks of hardened builds (MP_HARDENED).  Each failure prints
 * one line naming the mpool function and the pointer, and aborts. */
#ifdef MP_HARDENED
#define MP_HARD 1
/* Records the public function in progress, which checks deep inside the
 * library (free-list links, canaries at release) name when they fail. */
#define MP_HARD_FN(pool, name) ((pool)->fn = (name))
uintptr_t mp__hard_secret(void);
static inline uintptr_t mp__hard_magic(const void *at) {
  return mp__hard_secret() ^ (uintptr_t)at ^ (uintptr_t)0x6d706f6f6cu;
}
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold))
#endif
void mp__hard_fail(const char *fn, const char *what, const void *p,
                   const mp_pool_t *pool);
void mp__hard_check_node(const mp_pool_t *pool, const struct mp_node *n,
                         const char *fn);
void mp__hard_check_large(const mp_pool_t *pool, const struct mp_large *l,
                          const char *fn);
void mp__hard_check_free(const mp_pool_t *pool, struct mp_node *n,
                         const void *p, size_t size, const char *fn);
bool mp__reuse_any_free(const mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                        uintptr_t b);
/* Canaries: the bytes from an object's end to the end of its red zone. */
void mp__canary_put(const mp_pool_t *pool, struct mp_node *n, void *p,
                    size_t size);
void mp__canary_take(const mp_pool_t *pool, struct mp_node *n, const void *p,
                     size_t size, const char *fn);
void mp__canary_sweep(const mp_pool_t *pool, struct mp_node *n, uintptr_t lo,
                      uintptr_t hi, const char *fn);
void mp__canary_sweep_all(const mp_pool_t *pool, const char *fn);
/* Before a reset: the starts of the objects it ends join R. */
void mp__hard_reset_starts(const mp_pool_t *pool);
/* Every free chunk of the pool checked for writes after free (reuse.c). */
void mp__reuse_check_all(const mp_pool_t *pool, const char *fn);
#else
#define MP_HARD 0
#define MP_HARD_FN(pool, name) ((void)0)
#endif

/* node.c: a pool's nodes and the bump window over the current one. */
void mp__set_window(mp_pool_t *pool);
void mp__node_enter(mp_pool_t *pool, struct mp_node *n);
void mp__node_init(mp_pool_t *pool, struct mp_node *n, unsigned char *start);
void mp__node_release(mp_pool_t *pool, struct mp_node *n);
void *mp__node_get(const mp_pool_t *pool);
void mp__node_put(const mp_pool_t *pool, struct mp_node *n);
int mp__node_next(mp_pool_t *pool);
void *mp__take_top(mp_pool_t *pool, size_t size);

/* Opens the window at ptr in a pool that has one, where top is the
 * granule-aligned end of the free space and ptr <= top: mp__set_window()
 * without its checks, for callers that know they pass. */
static inline void mp__open_window(mp_pool_t *pool, unsigned char *ptr,
                                   uintptr_t top) {
  size_t room = top - (uintptr_t)ptr;
  if (room > pool->window)
    room = pool->window;
  /* The inline path adds a compile-time size of up to MP__CONST_MAX to
   * ptr before it compares: no window within that of the top. */
  if (top > UINTPTR_MAX - MP__CONST_MAX)
    room = 0;
  /* While the hot cache holds chunks, small requests take the slow path,
   * which serves them from the cache first (reuse.c). */
  if (pool->reuse != NULL && pool->reuse->hot_bytes != 0)
    room = 0;
  pool->w.ptr = ptr;
  pool->w.end = ptr + room;
}

/* alloc.c: the allocation paths (bump, free lists, large blocks, size
 * headers). */
void *mp__alloc_slow(mp_pool_t *pool, size_t size);
void *mp__alloc_small(mp_pool_t *pool, size_t size, size_t align);
void *mp__alloc_block(mp_pool_t *pool, size_t size, size_t align);
void *mp__alloc_hdr(mp_pool_t *pool, size_t size, size_t align);

/* free.c */
int mp__free_hdr(mp_pool_t *pool, struct mp_node *n, void *p);

/* reuse.c */
void *mp__reuse_take(mp_pool_t *pool, size_t rounded, size_t align);
/* A free chunk of at least `least` bytes (granules), taken whole up to
 * `most`: *got says how much; NULL: none. */
void *mp__reuse_take_range(mp_pool_t *pool, size_t least, size_t most,
                           size_t *got);
void *mp__reuse_pop(mp_pool_t *pool, size_t rounded);
bool mp__reuse_flush(mp_pool_t *pool);
bool mp__reuse_uncache(mp_pool_t *pool, struct mp_node *n, uintptr_t ob);
bool mp__reuse_cache(mp_pool_t *pool, struct mp_node *n, void *p, size_t size);
void mp__reuse_range(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                     uintptr_t b);
void mp__reuse_add(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                   uintptr_t b);
void mp__reuse_top(mp_pool_t *pool, struct mp_node *n, uintptr_t e);
bool mp__reuse_grow(mp_pool_t *pool, struct mp_node *n, uintptr_t ob,
                    uintptr_t nb);
void mp__reuse_reset(mp_pool_t *pool);
void mp__reuse_destroy(mp_pool_t *pool);
bool mp__check(const mp_pool_t *pool);
/* format.c: formats as vsnprintf(dst, cap, fmt, ap) would and stores the
 * full length in *len, when fmt holds only the conversions format.c knows;
 * otherwise false, with dst's contents unspecified (ap must be a copy: it
 * is read either way). */
bool mp__format(char *dst, size_t cap, const char *fmt, va_list ap,
                size_t *len);
/* mark.c: whether the object at a in node n, grown to end at nb, would
 * reach across the position of an outstanding mark (memory a rewind gives
 * back while the object lives on). */
bool mp__mark_crossed(const mp_pool_t *pool, const struct mp_node *n,
                      uintptr_t a, uintptr_t nb);
size_t mp__reuse_free_bytes(const mp_pool_t *pool);
void mp__reuse_forget(mp_pool_t *pool, struct mp_node *n, uintptr_t lo,
                      uintptr_t hi);
void mp__reuse_settle(mp_pool_t *pool);

/* large.c */
void *mp__large_alloc(mp_pool_t *pool, size_t size, size_t align);
void *mp__large_alloc_as(mp_pool_t *pool, size_t size, size_t align,
                         bool small);
void mp__large_unlink(mp_pool_t *pool, struct mp_large *l);
void mp__large_put(mp_pool_t *pool, struct mp_large *l);
void mp__large_release(mp_pool_t *pool, struct mp_large *l, int why,
                       const char *fn);
void mp__large_release_all(mp_pool_t *pool, int why, const char *fn);
/* Gives every large block back, for a pool going away that is not wiped,
 * tracked, checked or debugged: keeps neither counts nor index. */
void mp__large_drop_all(mp_pool_t *pool);
void mp__large_release_after(mp_pool_t *pool, uint64_t seq);

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

/* mp_platform.c */
extern const mp_allocator_t mp__default_allocator;

/* debug.c.  In debug builds every object is a large block; the calls
 * below record call sites, check red zones, keep released blocks in
 * quarantine and check the caller's ownership of the pool.  Each check
 * that fails prints one line naming the function and aborts. */
#ifdef MP_DEBUG
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold, format(printf, 2, 3)))
#endif
void mp__dbg_fail(const char *fn, const char *fmt, ...);
void mp__dbg_init(mp_pool_t *pool, unsigned opt_flags);
void mp__dbg_own(mp_pool_t *pool, const char *fn);
size_t mp__dbg_block_layout(const mp_pool_t *pool, size_t size, size_t *hdr,
                            size_t *align);
void *mp__dbg_block_get(mp_pool_t *pool, size_t size, size_t align);
void mp__dbg_block_put(mp_pool_t *pool, void *b, size_t size, size_t align);
void mp__dbg_on_alloc(struct mp_large *l, bool small);
void mp__dbg_shrink(mp_pool_t *pool, struct mp_large *l, size_t new_size);
void mp__dbg_release_check(mp_pool_t *pool, struct mp_large *l, int why,
                           const char *fn);
void mp__dbg_quarantine_add(mp_pool_t *pool, struct mp_large *l, int why);
struct mp_large *mp__dbg_quarantine_pop(mp_pool_t *pool, const char *fn,
                                        bool all);
/* large.c: gives back the quarantined blocks due to leave (all: every one). */
void mp__large_quarantine_trim(mp_pool_t *pool, const char *fn, bool all);
/* "file:line" of l's allocation, or a word when no site was recorded. */
const char *mp__dbg_where(const struct mp_large *l, char *buf, size_t n);
/* Aborts: p is not the start of a live object (a double free, or not the
 * pool's at all). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, cold))
#endif
void mp__dbg_check_free(mp_pool_t *pool, const void *p, const char *fn);
bool mp__dbg_small_holding(const mp_pool_t *pool, const void *p);
void mp__dbg_check_size(const struct mp_large *l, size_t size, const char *fn);
/* debug_report.c */
void mp__dbg_leaks(const mp_pool_t *pool);
int mp__dbg_report(const mp_pool_t *pool, FILE *out);
void mp__dbg_internal(void);
/* Checks that the calling thread owns the pool (or claims it after a
 * handoff); fn names the public call in the message. */
#define MP_OWN(pool, fn) mp__dbg_own((pool), (fn))
#else
#define MP_OWN(pool, fn) ((void)(pool), (void)(fn))
#endif

/* teardown.c: releases a pool's memory (no cleanups, no children). */
void mp__pool_free(mp_pool_t *pool);
/* pool.c: the memory half of a reset, once the cleanups have run (fn: the
 * public call, for messages). */
void mp__reset_memory(mp_pool_t *pool, const char *fn);
/* node.c: sets node_size and everything derived from it (node_hdr,
 * map_words, max, window, node_cls) from pool->align, pool->flags and
 * pool->adapt.user_max: at creation and when an adaptive reset changes the
 * node size. */
void mp__geometry(mp_pool_t *pool, size_t node_size);
size_t mp__node_capacity(size_t node_size);

/* adapt.c: adaptive sizing (MP_POOL_ADAPTIVE). */
#define MP_ADAPT_MAX_NODE ((size_t)1 << 20) /* largest learnt node size */
void mp__adapt_reset(mp_pool_t *pool);

/* The bytes a cycle has used so far: the nodes left, the current node's
 * used space and the live large blocks.  Called where the count may be
 * about to drop or allocation moves on (a new node, a large block, a
 * rewind, a reset), so that the peak is seen. */
static inline void mp__adapt_sample(mp_pool_t *pool) {
  if (!(pool->flags & MP_F_ADAPT))
    return;
  const struct mp_node *n = pool->current;
  size_t used = pool->adapt.left + pool->adapt.large_live +
                (size_t)(pool->w.ptr - n->start) +
                (size_t)(mp__node_end(pool, n) - (uintptr_t)pool->top);
  if (used > pool->adapt.peak)
    pool->adapt.peak = used;
}

/* wipe.c: secure wipe (MP_POOL_WIPE). */
void mp__wipe(void *p, size_t n);
/* Wipes [p, p + n) of memory the tracking hooks may have made inaccessible,
 * and leaves it inaccessible. */
void mp__wipe_hidden(void *p, size_t n);
/* Wipes every byte of the pool's nodes that a cycle may have used: whole
 * nodes before the current one, and the current one but its free space. */
void mp__wipe_nodes(mp_pool_t *pool);
#define MP_WIPING(pool) mp_unlikely(((pool)->flags & MP_F_WIPE) != 0)

/* lifetime.c.  settle() and link() make a child at creation, unlink()
 * takes it off its parent. */
int mp__life_settle(const mp_options_t *opt, mp_pool_t *s);
void mp__life_link(mp_pool_t *pool, mp_pool_t *parent);
void mp__life_unlink(mp_pool_t *pool);
void mp__cleanup_run_newest(mp_pool_t *pool);
/* teardown.c: reset() and destroy() tear down children and cleanups, and
 * return -1 (do nothing more) for a pool that is already being torn
 * down. */
int mp__life_reset(mp_pool_t *pool);
int mp__life_destroy(mp_pool_t *pool);
void mp__life_rewind(mp_pool_t *pool, uint64_t seq);
void mp__life_clear(mp_pool_t *pool);
/* reset.c: resets one descendant that a reset-children walk holds busy
 * (its cleanups, marks and memory, not its children). */
void mp__reset_descendant(mp_pool_t *pool);
int mp__life_drop_children(mp_pool_t *pool, const char *fn);

/* teardown.c: forgets every outstanding mark (a reset or destroy);
 * untrack() ends the memory tools' view of the marks from the newest down
 * to `last` (NULL: all). */
void mp__marks_drop(mp_pool_t *pool);
void mp__marks_untrack(mp_pool_t *pool, const struct mp_mark_s *last);

/* The pool layer's entry points: the public calls of api.c for a pool that
 * is not a shared handle (pool non-NULL, arguments api.c checks already
 * checked).  shared.c makes them on a shared pool's inner pool.  Those
 * every allocation and free goes through are MP_ENTRY: in the unity build
 * inlined into api.c's calls, so that the layer costs no call there. */
#if defined(MP_UNITY_BUILD) && (defined(__GNUC__) || defined(__clang__))
#define MP_ENTRY static inline __attribute__((always_inline))
#else
#define MP_ENTRY
#endif
mp_pool_t *mp__create_sized(size_t size);
mp_pool_t *mp__create(const mp_options_t *opt);
void mp__reset(mp_pool_t *pool);
/* reset.c: mp_reset_pool_mode(), mp_reset_children(), mp_destroy_children()
 * (what: MP_RESET_OP_*), mode and limit checked. */
enum { MP_RESET_OP_SELF, MP_RESET_OP_CHILDREN, MP_RESET_OP_DESTROY };
int mp__reset_op(mp_pool_t *pool, int what, mp_reset_mode_t mode, size_t limit);
void mp__destroy(mp_pool_t *pool);
MP_ENTRY void *mp__alloc(mp_pool_t *pool, size_t size);
void *mp__nalloc(mp_pool_t *pool, size_t size);
void *mp__memalign(mp_pool_t *pool, size_t size, size_t alignment);
char *mp__vprintf(mp_pool_t *pool, const char *fmt, va_list ap);
MP_ENTRY int mp__free(mp_pool_t *pool, void *p);
MP_ENTRY int mp__free_sized(mp_pool_t *pool, void *p, size_t size);
MP_ENTRY void *mp__resize(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                          bool sized);
mp_mark_t *mp__mark(mp_pool_t *pool);
int mp__rewind(mp_pool_t *pool, mp_mark_t *mark);
mp_cleanup_t *mp__cleanup_add(mp_pool_t *pool, mp_cleanup_fn fn, void *data);
int mp__cleanup_remove(mp_pool_t *pool, mp_cleanup_t *c); /* pool may be NULL */
int mp__cleanup_run(mp_pool_t *pool, mp_cleanup_t *c);    /* pool may be NULL */
int mp__owns(const mp_pool_t *pool, const void *p);
int mp__check_ptr(const mp_pool_t *pool, const void *p);
int mp__stats(const mp_pool_t *pool, mp_stats_t *st, int flags);
int mp__report(const mp_pool_t *pool, FILE *out);

/* shared.c: pools many threads use at once (MP_POOL_SHARED).  A shared
 * pool's handle is a struct of its own whose window is always empty and
 * whose flags say MP_F_SHARED; each public entry point (api.c) hands a
 * handle to an mp__sh_*() call, which takes the pool's lock and makes the
 * pool layer's call on the inner pool. */
#define MP_SHARED(pool) mp_unlikely(((pool)->flags & MP_F_SHARED) != 0)
/* A destroy that must lock: a shared pool, or a child of one. */
#define MP_SHARED_KIN(pool)                                                    \
  mp_unlikely(((pool)->flags & MP_F_SHARED) != 0 ||                            \
              ((pool)->life.parent != NULL &&                                  \
               ((pool)->life.parent->flags & MP_F_INNER) != 0))
#define MP_SHARED_OPT(opt)                                                     \
  mp_unlikely(                                                                 \
      ((opt)->flags & MP_POOL_SHARED) != 0 ||                                  \
      ((opt)->parent != NULL && ((opt)->parent->flags & MP_F_SHARED) != 0))
mp_pool_t *mp__sh_create(const mp_options_t *opt);
bool mp__sh_reset(mp_pool_t *handle);
int mp__sh_reset_op(mp_pool_t *handle, int what, mp_reset_mode_t mode,
                    size_t limit);
bool mp__sh_destroy(mp_pool_t *pool);
void *mp__sh_alloc(mp_pool_t *handle, size_t size);
void *mp__sh_nalloc(mp_pool_t *handle, size_t size);
void *mp__sh_memalign(mp_pool_t *handle, size_t size, size_t alignment);
int mp__sh_free(mp_pool_t *handle, void *p);
int mp__sh_owns(const mp_pool_t *handle, const void *p);
int mp__sh_free_sized(mp_pool_t *handle, void *p, size_t size);
void *mp__sh_realloc(mp_pool_t *handle, void *p, size_t old_size,
                     size_t new_size, bool sized);
char *mp__sh_vprintf(mp_pool_t *handle, const char *fmt, va_list ap);
mp_mark_t *mp__sh_mark(mp_pool_t *handle);
int mp__sh_rewind(mp_pool_t *handle, mp_mark_t *mark);
mp_cleanup_t *mp__sh_cleanup_add(mp_pool_t *handle, mp_cleanup_fn fn,
                                 void *data);
int mp__sh_cleanup_remove(mp_pool_t *handle, mp_cleanup_t *c, bool run_it);
mp_pool_t *mp__sh_parent(const mp_pool_t *pool);
int mp__sh_stats(const mp_pool_t *handle, mp_stats_t *st, int flags);
int mp__sh_report(const mp_pool_t *handle, FILE *out);
int mp__sh_check(const mp_pool_t *handle, const void *p);

/* budget.c */
bool mp__budget_take(mp_pool_t *first, size_t n);
void mp__budget_give(mp_pool_t *first, size_t n);
void mp__budget_settle(const mp_options_t *opt, mp_pool_t *s);
void mp__budget_link(mp_pool_t *pool);
void mp__budget_unlink(mp_pool_t *pool);
mp_pool_t *mp__budget_crossed(mp_pool_t *first, size_t n);
void mp__oom(mp_pool_t *pool, size_t size);
void *mp__oom_create(mp_pool_t *parent, mp_pool_t *over, size_t size,
                     void (*hook)(mp_pool_t *, size_t, void *), void *ud);

/* buffer.c: a block source over caller memory (mp_options_t.buffer). */
int mp__buf_settle(const mp_options_t *opt, mp_pool_t *s);
size_t mp__buf_node_size(size_t buffer_size);

/* Bytes about to be taken from the block source: counted, and charged to
 * every budget above the pool -- before the block is taken, so that no
 * budget is ever crossed.  false (errno ENOMEM): over a budget. */
static inline bool mp__reserve(mp_pool_t *pool, size_t n) {
  if (mp_unlikely(pool->budget.first != NULL) &&
      !mp__budget_take(pool->budget.first, n)) {
    errno = ENOMEM;
    return false;
  }
  pool->counters.reserved += n;
  if (pool->counters.reserved > pool->counters.peak)
    pool->counters.peak = pool->counters.reserved;
  return true;
}

/* Bytes given back to the block source (or not taken after all). */
static inline void mp__unreserve(mp_pool_t *pool, size_t n) {
  pool->counters.reserved -= n;
  if (mp_unlikely(pool->budget.first != NULL))
    mp__budget_give(pool->budget.first, n);
}

/* Who owns p in this pool: a live large block's pointer (*l set), or a
 * byte of a node's object area (*n set).  The one test of ownership, for
 * mp_owns() and mp_free(); reads no memory at p unless the index says p is
 * the pool's. */
static inline bool mp__owner(const mp_pool_t *pool, const void *p,
                             struct mp_large **l, struct mp_node **n) {
  *n = NULL;
  *l = mp__large_of(pool, p);
  if (*l != NULL)
    return true;
  *n = mp__node_of(pool, p);
  return *n != NULL && (uintptr_t)p >= (uintptr_t)(*n)->start;
}

/* registry.c: the process's list of root pools, under a lock of its own
 * (mp__tree_lock()), and the names block.  Roots join at creation and
 * leave at destroy; mp__tree_leave() is called as any pool's memory goes,
 * for the list and the names block. */
void mp__tree_add(mp_pool_t *pool);
void mp__tree_unlist(mp_pool_t *pool);
void mp__tree_leave_slow(mp_pool_t *pool);
static inline void mp__tree_leave(mp_pool_t *pool) {
  if (pool->tree.listed || pool->tree.ext != NULL)
    mp__tree_leave_slow(pool);
}
/* The first root (with the lock held): for walks. */
mp_pool_t *mp__tree_roots(void);
/* Replaces the pool's names block with one holding name and ident (either
 * NULL) and the hook fields of the old one; 0, or -1 with errno ENOMEM
 * (the out-of-memory hook told).  Takes the lock. */
int mp__tree_rename(mp_pool_t *pool, const char *name, const char *ident);
/* The pool's names block, made (unnamed) if it has none; NULL with errno
 * ENOMEM (hook told). */
struct mp_ext *mp__tree_ext(mp_pool_t *pool);

/* hooks.c: allocation events.  mp__hooks_on counts the hooks set (the
 * process-wide one and every pool's); while it is 0 the pool layer's
 * block paths pay one load and one predicted branch. */
extern atomic_uint mp__hooks_on;
/* Set while this thread makes a shared pool (api.c): the inner pool's
 * creation, and its freeing if the handle cannot be made, are not told
 * then, but once the handle exists, so that every event names the handle
 * and no hook hears of the inner pool.  Cleared around out-of-memory
 * hooks (budget.c), which may make and free pools of their own. */
extern _Thread_local bool mp__hook_hold MP_TLS_MODEL;
#define MP_HOOKING()                                                           \
  mp_unlikely(atomic_load_explicit(&mp__hooks_on, memory_order_relaxed) != 0)
void mp__hook_event(mp_pool_t *pool, int kind, void *p, size_t size, void *old,
                    size_t old_size);
#define MP_HOOK_BLOCK(pool, kind, p, size)                                     \
  do {                                                                         \
    if (MP_HOOKING())                                                          \
      mp__hook_event((pool), (kind), (p), (size), NULL, 0);                    \
  } while (0)
/* A new pool (its first node; the process-wide MP_HOOK_OBJECTS), and a
 * pool going (MP_EVENT_DESTROY, then its nodes). */
void mp__hook_created(mp_pool_t *pool);
void mp__hook_freeing(mp_pool_t *pool);
/* Sets or clears the process-wide hook (under mp__tree_lock()). */
void mp__hook_set_global(mp_event_fn fn, void *arg, unsigned flags);
/* The pool events are told as (a shared pool's handle for its inner). */
static inline mp_pool_t *mp__hook_face(mp_pool_t *pool) {
  return (pool->flags & MP_F_INNER) ? (mp_pool_t *)(void *)pool->shared : pool;
}

/* hooked.c: the public calls of a pool with MP_F_HOOKED (api.c), which
 * make the pool layer's call and tell the object event. */
void *mp__hk_alloc(mp_pool_t *pool, size_t size);
void *mp__hk_nalloc(mp_pool_t *pool, size_t size);
void *mp__hk_memalign(mp_pool_t *pool, size_t size, size_t alignment);
char *mp__hk_vprintf(mp_pool_t *pool, const char *fmt, va_list ap);
int mp__hk_free(mp_pool_t *pool, void *p);
int mp__hk_free_sized(mp_pool_t *pool, void *p, size_t size);
void *mp__hk_resize(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                    bool sized);
void mp__hk_reset(mp_pool_t *pool);
/* A public call api.c hands on: a shared handle's, or a hooked pool's. */
#define MP_ROUTED(pool)                                                        \
  mp_unlikely(((pool)->flags & (MP_F_SHARED | MP_F_HOOKED)) != 0)

/* shared.c: fn(inner pool, arg) under a shared pool's lock; and the inner
 * pool itself, for reading what does not change (the names block pointer
 * is read under mp__tree_lock()). */
int mp__sh_with(mp_pool_t *handle, int (*fn)(mp_pool_t *inner, void *arg),
                void *arg);
mp_pool_t *mp__sh_inner(const mp_pool_t *handle);
/* shared.c: the lanes' corrections mp_stats() of a shared pool makes to
 * its inner pool's statistics (chunks count as used in the inner pool,
 * their unused rest and the lanes' free objects do not), applied to *st,
 * which holds mp__stats(inner) without MP_STATS_CHILDREN.  mp_walk() uses
 * it so that a shared pool's walk info agrees with mp_stats(). */
void mp__sh_lanes_stats(const mp_pool_t *inner, mp_stats_t *st);

/* lifetime.c: the pool after p in a pre-order walk of root's subtree, or
 * NULL; *depth follows the walk. */
const mp_pool_t *mp__walk_next(const mp_pool_t *root, const mp_pool_t *p,
                               int *depth);

#endif /* MP_INTERNAL_H */
