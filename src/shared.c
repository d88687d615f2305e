/*
 * Shared pools (MP_POOL_SHARED): one pool that many threads allocate from
 * and free into at once.
 *
 * A shared pool is an ordinary pool (the inner pool) behind a handle of its
 * own.  The handle is a struct mp_pool_s whose bump window is always empty
 * and never written, so the inline mp_alloc() in mpool.h reads two constant
 * NULLs and calls the library, and whose flags say MP_F_SHARED, so each
 * public entry point (api.c) hands the call here.  The inner pool is never
 * seen outside this file and is touched only with the pool's lock held.
 * Ordinary pools pay one flag test in api.c and nothing on the inline fast
 * path; the pool layer knows no shared pools.
 *
 * Lanes: small requests take no lock.  Each thread that uses the pool gets
 * a lane (found through a thread-local cache keyed by the pool and its
 * id): a chunk of node memory it bump-allocates from, taken from the inner
 * pool under the lock when it runs out, and free lists by granule count
 * (the one place memory leaves and enters a lane without the lock), with a
 * bitmap of the non-empty ones: a request whose list is empty splits the
 * smallest larger free object before it bumps.  Any
 * thread may reuse any freed object -- all of it is the inner pool's -- so
 * mp_free_sized() puts an object on the calling thread's own lane,
 * whichever thread made it, and a lane holding more than MP_SH_KEEP bytes
 * gives them to the inner pool under the lock.  The inner pool sees a chunk
 * as one object and each object given back as a free of that range.
 * Ownership on the lock-free paths: a small table of the inner pool's node
 * bases (atomic slots, written under the lock), which a free must hit to
 * stay off the lock; a miss takes the lock and asks the inner pool.
 *
 * The id: a number no other pool or cycle has, renewed at reset, at the
 * first mark and when the last mark is rewound, and 0 while lanes are off
 * (marks outstanding, or cleanups running under reset or destroy).  A
 * thread-local entry whose id is not the pool's current one is never used,
 * so a stale entry for a pool destroyed since (whose address may be reused)
 * is harmless.  Reset, destroy, mark and rewind need the pool to
 * themselves, and so may clear or drain every lane.  Lanes are the pool's
 * (blocks of its backing allocator, counted as reserved), kept until
 * destroy; a thread that exits leaves its lane to the pool, whose next
 * reset lets another thread take it (as protobuf's arena keeps each
 * thread's block until reset).
 *
 * Builds that check every object (hardened, debug, sanitizer and memory
 * tool builds) and pools whose objects need the inner pool on every call
 * (size headers, wiping, an alignment above the granule) have no lanes:
 * every call takes the lock, as before.
 *
 * The lock is recursive: a cleanup that runs during mp_reset_pool() on a
 * shared pool, or a callback of mp_cleanup_run(), may use the pool again.
 * The handle lives outside the inner pool's nodes (it must survive a
 * reset), in a block from the pool's backing allocator.
 *
 * Children: a child of a shared pool hangs off the inner pool.  Creating or
 * destroying one changes the inner pool, so it takes the parent's lock;
 * mp_pool_parent() maps the inner pool back to its handle.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* PTHREAD_MUTEX_RECURSIVE */
#endif

#include "mp_internal.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(MP_DEBUG) || !defined(NDEBUG)
#define MP_SHARED_CHECKS 1
#else
#define MP_SHARED_CHECKS 0
#endif

/* Whether this build may have lanes at all: not when every object must
 * reach the pool layer to be checked, tracked or given its red zone. */
#if !defined(MP_TRACK_ASAN) && !defined(MP_HARDENED) && !defined(MP_DEBUG) &&  \
    !MP_TRACK_ON
#define MP_SH_LANES 1
#else
#define MP_SH_LANES 0
#endif

#ifndef MP_SH_SMALL
#define MP_SH_SMALL 4096 /* largest request a lane serves (bytes) */
#endif
#ifndef MP_SH_CHUNK
#define MP_SH_CHUNK                                                            \
  8192 /* bytes a lane takes at once (at most the pool's                       \
          large threshold, so that a chunk is in a node) */
#endif
#ifndef MP_SH_KEEP
#define MP_SH_KEEP ((size_t)64 << 10) /* freed bytes a lane keeps */
#endif
#define MP_SH_CLASSES (MP_SH_SMALL / MP_GRANULE)
#define MP_SH_WORDS ((MP_SH_CLASSES + 63) / 64) /* of the lists' bitmap */
#define MP_SH_NODES 1024 /* slots of the node table (a power of two) */
#define MP_SH_TLS 4      /* thread-local entries (a power of two) */

/* A thread's lane.  The owner alone writes it between resets; mp_stats()
 * reads the counters from any thread, so those are relaxed atomics (plain
 * loads and stores on the usual targets: no locked instruction). */
struct mp_lane {
  _Atomic(uintptr_t) ptr;        /* the chunk's next free byte */
  _Atomic(uintptr_t) end;        /* the chunk's end */
  atomic_size_t idle;            /* bytes on the free lists */
  atomic_size_t freed;           /* bytes put on the lists since creation */
  atomic_size_t reused;          /* bytes taken from the lists since creation */
  atomic_size_t requested;       /* MP_F_COUNT: bytes asked for since reset */
  uint64_t owner;                /* the owning thread's tag, 0: none (locked) */
  struct mp_lane *next;          /* the pool's lanes (locked) */
  uint64_t full[MP_SH_WORDS];    /* bit k: head[k] is not empty */
  uintptr_t head[MP_SH_CLASSES]; /* free objects of k + 1 granules */
};

struct mp_shared {
  /* Read by every call, written only while the pool is alone (creation,
   * reset, mark, rewind): apart from the lock's line. */
  mp_pool_t handle;          /* the handle: must be first */
  mp_pool_t *inner;          /* NULL once the inner pool is gone */
  bool dying;                /* mp_destroy_pool() of the handle is under way */
  bool lanes_ok;             /* the pool's kind allows lanes */
  bool count;                /* MP_F_COUNT */
  _Atomic(uint64_t) id;      /* see the head comment; 0: no lanes now */
  size_t small;              /* largest request lanes serve; 0: none */
  size_t chunk;              /* bytes of a chunk */
  _Atomic(uintptr_t) *nodes; /* node table, or NULL (set under the lock) */
  uintptr_t first_key;       /* the inner pool's first node */
  uintptr_t first_start;     /* and its first byte after the pool struct */
  /* Written under the lock. */
  _Alignas(64) pthread_mutex_t lock;
  atomic_uint users; /* debug builds: threads inside or waiting for a call */
  unsigned depth;    /* nested calls of the lock's owner (under the lock) */
  struct mp_lane *lanes; /* every lane (locked) */
  size_t nnodes;         /* slots in use (locked) */
  size_t chunk_req;      /* MP_F_COUNT: chunk bytes inner counted */
  size_t flushed;        /* bytes lanes gave back (inner counts them) */
};

#define MP_SHARED_BYTES MP_ALIGN_UP(sizeof(struct mp_shared), MP_GRANULE)
#define MP_LANE_BYTES MP_ALIGN_UP(sizeof(struct mp_lane), MP_GRANULE)
#define MP_NODES_BYTES (MP_SH_NODES * sizeof(_Atomic(uintptr_t)))

static struct mp_shared *of(const mp_pool_t *handle) {
  return (struct mp_shared *)(uintptr_t)handle;
}

/* Takes the lock; returns the inner pool. */
static mp_pool_t *enter(const mp_pool_t *handle) {
  struct mp_shared *s = of(handle);
  if (MP_SHARED_CHECKS)
    atomic_fetch_add_explicit(&s->users, 1, memory_order_relaxed);
  pthread_mutex_lock(&s->lock);
  s->depth++;
  return s->inner;
}

/* Drops the lock, keeping the errno of the call made under it. */
static void leave(const mp_pool_t *handle) {
  struct mp_shared *s = of(handle);
  int e = errno;
  s->depth--;
  pthread_mutex_unlock(&s->lock);
  if (MP_SHARED_CHECKS)
    atomic_fetch_sub_explicit(&s->users, 1, memory_order_relaxed);
  errno = e;
}

/* Reset and destroy need the pool to themselves: in debug builds, a thread
 * seen inside or waiting for another call on it is reported.  Called with
 * the lock held. */
static void check_alone(const struct mp_shared *s, const char *what) {
#if MP_SHARED_CHECKS
  unsigned users = atomic_load_explicit(&s->users, memory_order_relaxed);
  if (users > s->depth) {
    fprintf(stderr, "mpool: %s: shared pool %p is in use by another thread\n",
            what, (const void *)&s->handle);
    abort();
  }
#else
  (void)s;
  (void)what;
#endif
}

/* ---- lanes ---- */

static _Atomic(uint64_t) next_id = 1;  /* pool ids, never reused */
static _Atomic(uint64_t) next_tag = 1; /* thread tags, never reused */

struct mp_tl_lane {
  const struct mp_shared *s;
  uint64_t id;
  struct mp_lane *lane;
};
static _Thread_local struct mp_tl_lane tl_lanes[MP_SH_TLS] MP_TLS_MODEL;
static _Thread_local uint64_t tl_tag MP_TLS_MODEL;

static size_t gsize(size_t size) {
  return size == 0 ? MP_GRANULE : MP_ALIGN_UP(size, MP_GRANULE);
}
static uintptr_t rd(_Atomic(uintptr_t) *a) {
  return atomic_load_explicit(a, memory_order_relaxed);
}
static void wr(_Atomic(uintptr_t) *a, uintptr_t v) {
  atomic_store_explicit(a, v, memory_order_relaxed);
}
static size_t rdz(atomic_size_t *a) {
  return atomic_load_explicit(a, memory_order_relaxed);
}
/* One writer (the lane's owner, or a call that has the pool alone): a
 * load and a store, no read-modify-write. */
static void addz(atomic_size_t *a, size_t n) {
  atomic_store_explicit(a, rdz(a) + n, memory_order_relaxed);
}

static void lane_clear(struct mp_lane *l, bool all) {
  wr(&l->ptr, 0);
  wr(&l->end, 0);
  atomic_store_explicit(&l->idle, 0, memory_order_relaxed);
  atomic_store_explicit(&l->requested, 0, memory_order_relaxed);
  memset(l->head, 0, sizeof l->head);
  memset(l->full, 0, sizeof l->full);
  l->owner = 0;
  if (all) {
    atomic_init(&l->freed, 0);
    atomic_init(&l->reused, 0);
  }
}

/* Turns lanes off (id 0): every call takes the lock. */
static void lanes_off(struct mp_shared *s) {
  s->small = 0;
  atomic_store_explicit(&s->id, 0, memory_order_relaxed);
}

/* Turns lanes on under a fresh id if the pool may have them now: not
 * while marks are outstanding or a reset or destroy runs cleanups. */
static void lanes_on(struct mp_shared *s) {
  const mp_pool_t *inner = s->inner;
  size_t chunk = MP_SH_CHUNK < inner->max ? MP_SH_CHUNK : inner->max;
  chunk = MP_ALIGN_DOWN(chunk, MP_GRANULE);
  size_t small = MP_SH_SMALL < chunk / 2 ? MP_SH_SMALL : chunk / 2;
  small = MP_ALIGN_DOWN(small, MP_GRANULE);
  if (!s->lanes_ok || small < 4 * MP_GRANULE || inner->life.marks != NULL ||
      inner->life.busy) {
    lanes_off(s);
    return;
  }
  s->chunk = chunk;
  s->small = small;
  atomic_store_explicit(
      &s->id, atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed),
      memory_order_relaxed);
}

/* Notes the node that holds p, an object of the inner pool's nodes, in
 * the node table (lock held).  A full table notes no more: frees in the
 * nodes it misses take the lock. */
static void node_note(struct mp_shared *s, const void *p) {
  const mp_pool_t *inner = s->inner;
  uintptr_t key = (uintptr_t)mp__node_at(inner, p);
  if (s->nodes == NULL || s->nnodes >= MP_SH_NODES / 2)
    return;
  size_t i = mp__index_slot(key, MP_SH_NODES);
  for (;;) {
    uintptr_t k = rd(&s->nodes[i]);
    if (k == key)
      return;
    if (k == 0)
      break;
    i = (i + 1) & (MP_SH_NODES - 1);
  }
  atomic_store_explicit(&s->nodes[i], key, memory_order_release);
  s->nnodes++;
}

/* Whether [p, p + rounded) can be an object of a node in the table.  Called
 * with a lane in hand, so the table exists. */
static bool node_known(const struct mp_shared *s, const void *p,
                       size_t rounded) {
  size_t ns = s->handle.node_size;
  uintptr_t a = (uintptr_t)p, key = MP_ALIGN_DOWN(a, ns);
  uintptr_t lo =
      key == s->first_key ? s->first_start : key + s->handle.node_hdr;
  if (a % MP_GRANULE != 0 || a < lo || rounded > key + ns - a)
    return false;
  size_t i = mp__index_slot(key, MP_SH_NODES);
  for (;;) {
    uintptr_t k = atomic_load_explicit(&s->nodes[i], memory_order_acquire);
    if (k == key)
      return true;
    if (k == 0)
      return false;
    i = (i + 1) & (MP_SH_NODES - 1);
  }
}

/* A new lane (lock held), the node table too on the first; NULL with the
 * pool unchanged when the backing allocator or a budget says no. */
static struct mp_lane *lane_new(struct mp_shared *s) {
  mp_pool_t *inner = s->inner;
  mp_allocator_t *b = &inner->backing;
  if (s->nodes == NULL) {
    if (!mp__reserve(inner, MP_NODES_BYTES))
      return NULL;
    _Atomic(uintptr_t) *t = b->alloc(b->ud, MP_NODES_BYTES, 64);
    if (t == NULL) {
      mp__unreserve(inner, MP_NODES_BYTES);
      return NULL;
    }
    for (size_t i = 0; i < MP_SH_NODES; i++)
      atomic_init(&t[i], 0);
    s->nodes = t;
    s->nnodes = 0;
  }
  if (!mp__reserve(inner, MP_LANE_BYTES))
    return NULL;
  struct mp_lane *l = b->alloc(b->ud, MP_LANE_BYTES, 64);
  if (l == NULL) {
    mp__unreserve(inner, MP_LANE_BYTES);
    return NULL;
  }
  lane_clear(l, true);
  l->next = s->lanes;
  s->lanes = l;
  return l;
}

/* The calling thread's lane, found or made under the lock; NULL: none
 * (lanes off, or no memory for one), so the call takes the lock. */
static MP_NOINLINE struct mp_lane *lane_slow(struct mp_shared *s) {
  if (tl_tag == 0)
    tl_tag = atomic_fetch_add_explicit(&next_tag, 1, memory_order_relaxed);
  int e = errno;
  (void)enter(&s->handle);
  uint64_t id = atomic_load_explicit(&s->id, memory_order_relaxed);
  struct mp_lane *l = NULL;
  if (id != 0) {
    struct mp_lane *unowned = NULL;
    for (l = s->lanes; l != NULL && l->owner != tl_tag; l = l->next)
      if (l->owner == 0 && unowned == NULL)
        unowned = l;
    if (l == NULL)
      l = unowned != NULL ? unowned : lane_new(s);
    if (l != NULL) {
      l->owner = tl_tag;
      struct mp_tl_lane *t = &tl_lanes[((uintptr_t)s >> 6) & (MP_SH_TLS - 1)];
      t->s = s;
      t->id = id;
      t->lane = l;
    }
  }
  leave(&s->handle);
  errno = e;
  return l;
}

/* The calling thread's lane: one thread-local compare on the fast path. */
static inline struct mp_lane *mine(struct mp_shared *s) {
  uint64_t id = atomic_load_explicit(&s->id, memory_order_relaxed);
  const struct mp_tl_lane *t = &tl_lanes[((uintptr_t)s >> 6) & (MP_SH_TLS - 1)];
  if (mp_likely(t->id == id && t->s == s && id != 0))
    return t->lane;
  return id != 0 ? lane_slow(s) : NULL;
}

/* Pushes the rounded bytes at a (granules, at most s->small) on their list. */
static void lane_push(struct mp_lane *l, uintptr_t a, size_t rounded) {
  size_t k = rounded / MP_GRANULE - 1;
  *(uintptr_t *)a = l->head[k];
  l->head[k] = a;
  l->full[k / 64] |= (uint64_t)1 << (k % 64);
  addz(&l->idle, rounded);
}

/* Pops the first object of list k, which is not empty. */
static uintptr_t lane_pop(struct mp_lane *l, size_t k) {
  uintptr_t f = l->head[k];
  l->head[k] = *(uintptr_t *)f;
  if (l->head[k] == 0)
    l->full[k / 64] &= ~((uint64_t)1 << (k % 64));
  atomic_store_explicit(&l->idle, rdz(&l->idle) - (k + 1) * MP_GRANULE,
                        memory_order_relaxed);
  return f;
}

/* Puts rounded bytes at a, freed, on the lane's lists. */
static void lane_put(struct mp_lane *l, uintptr_t a, size_t rounded) {
  lane_push(l, a, rounded);
  addz(&l->freed, rounded);
}

/* Gives the lane's free objects (and with `rest`, its chunk's rest) to
 * the inner pool (lock held). */
static void drain(struct mp_shared *s, struct mp_lane *l, bool rest) {
  mp_pool_t *inner = s->inner;
  for (size_t k = 0; k < MP_SH_CLASSES; k++) {
    for (uintptr_t f = l->head[k], next; f != 0; f = next) {
      next = *(uintptr_t *)f;
      if (mp__free_sized(inner, (void *)f, (k + 1) * MP_GRANULE) == 0)
        s->flushed += (k + 1) * MP_GRANULE;
    }
    l->head[k] = 0;
  }
  memset(l->full, 0, sizeof l->full);
  atomic_store_explicit(&l->idle, 0, memory_order_relaxed);
  uintptr_t q = rd(&l->ptr), e = rd(&l->end);
  if (rest && e > q && mp__free_sized(inner, (void *)q, e - q) == 0)
    s->flushed += e - q;
  if (rest) {
    wr(&l->ptr, 0);
    wr(&l->end, 0);
  }
}

/* Free bytes of the inner pool's current node (lock held). */
static size_t node_room(const mp_pool_t *inner) {
  uintptr_t top = MP_ALIGN_DOWN((uintptr_t)inner->top, MP_GRANULE);
  uintptr_t w = (uintptr_t)inner->w.ptr;
  return top > w ? (size_t)(top - w) : 0;
}

/* A whole chunk of c bytes from the inner pool (lock held), for a refill
 * that found no room in the current node: a new node, most often.  A
 * failure here is not the caller's (the request is tried alone next), so
 * the pool's on_oom hook is not told of it and errno is kept.  Only in a
 * pool without a budget: a budgeted one must not take bytes its request
 * does not need. */
static void *whole_chunk(mp_pool_t *inner, size_t c) {
  if (inner->budget.first != NULL)
    return NULL;
  void (*hook)(mp_pool_t *, size_t, void *) = inner->budget.on_oom;
  int e = errno;
  inner->budget.on_oom = NULL;
  void *p = mp__alloc(inner, c);
  inner->budget.on_oom = hook;
  errno = e;
  return p;
}

/* The lane's chunk is out of room for rounded bytes.  Under the lock, the
 * lane takes a new chunk: the current node's free space (up to a chunk)
 * when it holds the request; else a free chunk of the inner pool's lists
 * that does (up to a chunk), so that what lanes gave back is used before
 * the pool grows; else a whole chunk, which opens a new node.  When no
 * chunk can be had, the request alone is made of the inner pool, as the
 * locked design makes it (a new node, whose failure calls the pool's hook
 * as before). */
static MP_NOINLINE void *refill(struct mp_shared *s, struct mp_lane *l,
                                size_t rounded, size_t size) {
  mp_pool_t *inner = enter(&s->handle);
  size_t room = node_room(inner), c = s->chunk;
  bool counted = true; /* the inner pool counted the chunk as a request */
  unsigned char *p;
  if (room >= rounded) {
    c = room < c ? room : c;
    p = mp__alloc(inner, c);
  } else {
    p = mp__reuse_take_range(inner, rounded, c, &c);
    if (p == NULL && mp__reuse_flush(inner)) /* the hot cache merged in */
      p = mp__reuse_take_range(inner, rounded, c, &c);
    counted = p == NULL;
    if (p == NULL)
      p = whole_chunk(inner, c);
  }
  if (p != NULL) {
    uintptr_t q = rd(&l->ptr), e = rd(&l->end);
    if (e - q >= MP_GRANULE)
      lane_push(l, q, e - q); /* idle, but freed by no call */
    if (s->count) {
      s->chunk_req += counted ? c : 0;
      addz(&l->requested, size);
    }
    wr(&l->ptr, (uintptr_t)p + rounded);
    wr(&l->end, (uintptr_t)p + c);
  } else {
    p = mp__alloc(inner, size);
  }
  if (p != NULL)
    node_note(s, p);
  leave(&s->handle);
  return p;
}

/* A freed object of the first non-empty list above k's, split: its
 * first rounded bytes, the rest pushed on its own list; 0: none.  Sizes spread
 * over many lists rarely find their exact one, and a lane that bumped
 * instead would pile freed objects up until it drains them under the
 * lock. */
static MP_NOINLINE uintptr_t lane_split(struct mp_lane *l, size_t k,
                                        size_t rounded) {
  size_t j = mp__next_bit(l->full, MP_SH_WORDS, k + 1);
  if (j >= MP_SH_CLASSES) /* bits past the last list are never set */
    return 0;
  uintptr_t f = lane_pop(l, j);
  lane_push(l, f + rounded, (j - k) * MP_GRANULE);
  return f;
}

static void *lane_alloc(struct mp_shared *s, struct mp_lane *l, size_t size) {
  size_t rounded = gsize(size);
  size_t k = rounded / MP_GRANULE - 1;
  uintptr_t f = l->head[k] != 0 ? lane_pop(l, k) : lane_split(l, k, rounded);
  if (f != 0) {
    addz(&l->reused, rounded);
  } else {
    f = rd(&l->ptr);
    if (mp_unlikely(rd(&l->end) - f < rounded))
      return refill(s, l, rounded, size); /* counts the request itself */
    wr(&l->ptr, f + rounded);
  }
  if (s->count)
    addz(&l->requested, size);
  return (void *)f;
}

/* Frees p onto the lane; false: not known to be a node object here (the
 * caller takes the lock and asks the inner pool). */
static bool lane_free(struct mp_shared *s, struct mp_lane *l, void *p,
                      size_t size) {
  size_t rounded = gsize(size);
  uintptr_t a = (uintptr_t)p;
  if (a + rounded == rd(&l->ptr)) { /* the lane's latest: back to its chunk */
    wr(&l->ptr, a);
    addz(&l->freed, rounded);
    return true;
  }
  if (!node_known(s, p, rounded))
    return false;
  lane_put(l, a, rounded);
  if (mp_unlikely(rdz(&l->idle) > MP_SH_KEEP)) {
    int e = errno;
    (void)enter(&s->handle);
    drain(s, l, false);
    leave(&s->handle);
    errno = e;
  }
  return true;
}

/* mp_realloc() of a lane-sized node object p (known), sized. */
static void *lane_resize(struct mp_shared *s, struct mp_lane *l, void *p,
                         size_t old, size_t n) {
  size_t ro = gsize(old), rn = gsize(n);
  uintptr_t a = (uintptr_t)p;
  if (n <= s->small) {
    /* Resized in place at the end of the chunk; shrunk in place
     * elsewhere, the tail going to the lane's lists. */
    bool last = a + ro == rd(&l->ptr) && rd(&l->end) - a >= rn;
    if (last)
      wr(&l->ptr, a + rn);
    else if (rn < ro)
      lane_put(l, a + rn, ro - rn);
    if (last || rn <= ro) {
      if (s->count)
        addz(&l->requested, n);
      return p;
    }
  }
  void *q = mp__sh_alloc(&s->handle, n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, old < n ? old : n);
  if (!lane_free(s, l, p, old))
    (void)mp__sh_free_sized(&s->handle, p, old);
  return q;
}

/* Lane and counter corrections to the inner pool's statistics (lock
 * held): chunks count as used in the inner pool, their unused rest and the
 * lanes' free objects do not. */
static void lanes_into(struct mp_shared *s, mp_stats_t *st) {
  size_t idle = 0, freed = 0, reused = 0, requested = 0;
  for (struct mp_lane *l = s->lanes; l != NULL; l = l->next) {
    uintptr_t q = rd(&l->ptr), e = rd(&l->end);
    if (e > q && e - q <= s->handle.node_size)
      idle += (size_t)(e - q); /* a pair read mid-refill is skipped */
    idle += rdz(&l->idle);
    freed += rdz(&l->freed);
    reused += rdz(&l->reused);
    requested += rdz(&l->requested);
  }
#define MP_SH_HAS(f) (offsetof(mp_stats_t, f) + sizeof st->f <= st->size)
  if (MP_SH_HAS(bytes_used))
    st->bytes_used -= idle < st->bytes_used ? idle : st->bytes_used;
  if (MP_SH_HAS(bytes_freed))
    st->bytes_freed = st->bytes_freed - s->flushed + freed;
  if (MP_SH_HAS(bytes_reused))
    st->bytes_reused += reused;
  if (MP_SH_HAS(bytes_requested) && s->count)
    st->bytes_requested = st->bytes_requested - s->chunk_req + requested;
#undef MP_SH_HAS
}

/* The inner pool's on_stats: mp_stats() of it, or of an ancestor with
 * MP_STATS_CHILDREN, counts the lanes as the handle's own would. */
static void lanes_stats(const mp_pool_t *inner, mp_stats_t *st) {
  lanes_into(inner->shared, st);
}

static void free_handle(struct mp_shared *s) {
  mp_allocator_t backing = s->handle.backing;
  for (struct mp_lane *l = s->lanes, *next; l != NULL; l = next) {
    next = l->next;
    backing.free(backing.ud, l, MP_LANE_BYTES);
  }
  if (s->nodes != NULL)
    backing.free(backing.ud, (void *)s->nodes, MP_NODES_BYTES);
  pthread_mutex_destroy(&s->lock);
  backing.free(backing.ud, s, MP_SHARED_BYTES);
}

/* The handle of the shared pool whose inner pool is `parent`, or NULL. */
static struct mp_shared *parent_handle(const mp_pool_t *pool) {
  const mp_pool_t *parent = pool->life.parent;
  return parent != NULL && (parent->flags & MP_F_INNER) ? parent->shared : NULL;
}

/* The inner pool's node geometry and first node, which the lock-free
 * paths read from the handle: at creation, and after a reset (an adaptive
 * one changes the node size and moves the first node).  The pool is the
 * caller's alone. */
static void take_geometry(struct mp_shared *s) {
  const mp_pool_t *inner = s->inner;
  s->handle.node_size = inner->node_size;
  s->handle.node_hdr = inner->node_hdr;
  s->handle.max = inner->max;
  s->first_key = (uintptr_t)inner->first;
  s->first_start = (uintptr_t)inner->first->start;
}

/* After a reset of the inner pool (lock held, pool alone, lanes off while
 * its cleanups ran): the handle takes the node size an adaptive pool may
 * have changed, and the lanes' memory, which was the pool's, is forgotten
 * as the free lists are. */
static void lanes_forget(struct mp_shared *s) {
  take_geometry(s);
  for (struct mp_lane *l = s->lanes; l != NULL; l = l->next)
    lane_clear(l, false);
  if (s->nodes != NULL)
    for (size_t i = 0; i < MP_SH_NODES; i++)
      wr(&s->nodes[i], 0);
  s->nnodes = 0;
  s->chunk_req = 0;
  lanes_on(s);
}

/* mp_reset_children() on an ancestor reaches the inner pool (which its
 * walk holds busy): reset under the lock, the lanes forgotten.  They stay
 * off until the pool's next reset or last rewind, as the walk holds it
 * busy now. */
static void reset_inner(mp_pool_t *inner) {
  struct mp_shared *s = inner->shared;
  (void)enter(&s->handle);
  check_alone(s, "mp_reset_children");
  lanes_off(s);
  mp__reset_descendant(inner);
  lanes_forget(s);
  leave(&s->handle);
}

/* The inner pool is being freed (by mp_destroy_pool() on the handle, or
 * with an ancestor): the handle goes with it. */
static void release_handle(mp_pool_t *inner) {
  struct mp_shared *s = inner->shared;
  s->inner = NULL;
  if (!s->dying)
    free_handle(s);
}

/* Wraps a new inner pool in a handle; NULL with errno ENOMEM on failure
 * (the inner pool is then destroyed), or EINVAL when the pool's own
 * buffer, fresh and not overflowing (`fresh`), has no room left for it. */
static mp_pool_t *wrap(mp_pool_t *inner, bool fresh) {
  /* A root is on the pool tree from its creation: off it while it is
   * wrapped, which changes what walks read of it (its reserved bytes, its
   * flags and handle), and back once a shared pool's handle is whole. */
  bool listed = inner->tree.listed;
  if (listed)
    mp__tree_unlist(inner);
  /* The handle counts as the inner pool's (bytes_reserved, budgets). */
  bool counted = mp__reserve(inner, MP_SHARED_BYTES);
  struct mp_shared *s =
      counted ? inner->backing.alloc(inner->backing.ud, MP_SHARED_BYTES, 64)
              : NULL;
  pthread_mutexattr_t attr;
  bool ok = s != NULL && pthread_mutexattr_init(&attr) == 0;
  if (ok) {
    ok = pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) == 0 &&
         pthread_mutex_init(&s->lock, &attr) == 0;
    pthread_mutexattr_destroy(&attr);
  }
  if (!ok) {
    /* Who hears of an ENOMEM, as for the first node (mp__oom_create()):
     * an ancestor whose budget the handle would cross, or else the new
     * pool's hook, named by its parent -- read before the pool goes. */
    mp_pool_t *parent = inner->life.parent;
    mp_pool_t *over =
        counted ? NULL
                : mp__budget_crossed(inner->budget.first, MP_SHARED_BYTES);
    void (*hook)(mp_pool_t *, size_t, void *) = inner->budget.on_oom;
    void *ud = inner->budget.oom_ud;
    if (s != NULL)
      inner->backing.free(inner->backing.ud, s, MP_SHARED_BYTES);
    if (counted)
      mp__unreserve(inner, MP_SHARED_BYTES);
    if (mp__life_destroy(inner) == 0)
      mp__pool_free(inner);
    if (counted && s == NULL && fresh)
      return mp__fail(EINVAL);
    return mp__oom_create(parent, over == inner ? NULL : over, MP_SHARED_BYTES,
                          hook, ud);
  }
  memset(&s->handle, 0, sizeof s->handle);
  s->handle.w.ptr = s->handle.w.end = NULL;
  s->handle.align = inner->align;
  s->handle.backing = inner->backing;
  /* MP_F_WIPE too, for the object pools made on the handle. */
  s->handle.flags = MP_F_SHARED | MP_F_NOWINDOW | (inner->flags & MP_F_WIPE);
  s->inner = inner;
  take_geometry(s);
  atomic_init(&s->users, 0);
  s->depth = 0;
  s->dying = false;
  s->lanes_ok = MP_SH_LANES && inner->align == MP_GRANULE &&
                !(inner->flags & (MP_F_HEADERS | MP_F_WIPE));
  s->count = (inner->flags & MP_F_COUNT) != 0;
  s->lanes = NULL;
  s->nodes = NULL;
  s->nnodes = s->chunk_req = s->flushed = 0;
  atomic_init(&s->id, 0);
  lanes_on(s);
  inner->shared = s;
  inner->on_free = release_handle;
  inner->on_reset = reset_inner;
  inner->on_stats = lanes_stats;
  inner->flags |= MP_F_INNER;
  if (listed)
    mp__tree_add(inner);
  return &s->handle;
}

mp_pool_t *mp__sh_create(const mp_options_t *opt) {
  mp_options_t o = *opt;
  o.flags &= ~(unsigned)MP_POOL_SHARED;
  mp_pool_t *parent = opt->parent;
  bool locked = parent != NULL && (parent->flags & MP_F_SHARED);
  if (locked)
    o.parent = enter(parent);
  mp_pool_t *pool = mp__create(&o);
  bool fresh = opt->buffer != NULL && !(opt->flags & MP_POOL_BUFFER_OVERFLOW);
  if (pool != NULL && (opt->flags & MP_POOL_SHARED))
    pool = wrap(pool, fresh);
  if (locked)
    leave(parent);
  return pool;
}

bool mp__sh_reset(mp_pool_t *handle) {
  struct mp_shared *s = of(handle);
  mp_pool_t *inner = enter(handle);
  check_alone(s, "mp_reset_pool");
  if (!inner->life.busy) { /* else a reset from a cleanup: ignored */
    lanes_off(s);          /* cleanups the reset runs take the lock */
    mp__reset(inner);
    lanes_forget(s);
  }
  leave(handle);
  return true;
}

/* mp_reset_pool_mode() (which needs the pool alone, as a reset does),
 * mp_reset_children() and mp_destroy_children() under the lock. */
int mp__sh_reset_op(mp_pool_t *handle, int what, mp_reset_mode_t mode,
                    size_t limit) {
  struct mp_shared *s = of(handle);
  mp_pool_t *inner = enter(handle);
  bool self = what == MP_RESET_OP_SELF;
  if (self) {
    check_alone(s, "mp_reset_pool_mode");
    if (inner->life.busy) { /* a reset from a cleanup: ignored */
      leave(handle);
      return 0;
    }
    lanes_off(s);
  }
  int r = mp__reset_op(inner, what, mode, limit);
  if (self)
    lanes_forget(s);
  leave(handle);
  return r;
}

/* Destroys a shared pool, or a child of one (under its parent's lock).
 * Returns true: the destroy is done. */
bool mp__sh_destroy(mp_pool_t *pool) {
  bool is_handle = (pool->flags & MP_F_SHARED) != 0;
  struct mp_shared *s = is_handle ? of(pool) : NULL;
  mp_pool_t *target = is_handle ? s->inner : pool;
  struct mp_shared *up = parent_handle(target);
  MP_HARD_FN(target, "mp_destroy_pool");
  if (up != NULL)
    (void)enter(&up->handle);
  if (is_handle) {
    (void)enter(pool);
    check_alone(s, "mp_destroy_pool");
    if (target->tree.listed && !target->life.busy)
      mp__tree_unlist(target); /* before it changes: walks wait */
    bool was = s->dying;
    s->dying = true;
    lanes_off(s); /* cleanups the destroy runs take the lock */
    if (mp__life_destroy(target) == 0)
      mp__pool_free(target);
    s->dying = was;
    bool gone = s->inner == NULL;
    leave(pool);
    if (gone)
      free_handle(s);
  } else if (mp__life_destroy(target) == 0) {
    mp__pool_free(target);
  }
  if (up != NULL)
    leave(&up->handle);
  return true;
}

void *mp__sh_alloc(mp_pool_t *handle, size_t size) {
  struct mp_shared *s = of(handle);
  if (mp_likely(size <= s->small)) {
    struct mp_lane *l = mine(s);
    if (mp_likely(l != NULL))
      return lane_alloc(s, l, size);
  }
  void *p = mp__alloc(enter(handle), size);
  leave(handle);
  return p;
}

/* Lanes serve mp_nalloc() as mp_alloc(): granule-aligned, so that a free
 * with the object's size knows its granules whatever call made it. */
void *mp__sh_nalloc(mp_pool_t *handle, size_t size) {
  struct mp_shared *s = of(handle);
  if (size <= s->small) {
    struct mp_lane *l = mine(s);
    if (l != NULL)
      return lane_alloc(s, l, size);
  }
  void *p = mp__nalloc(enter(handle), size);
  leave(handle);
  return p;
}

void *mp__sh_memalign(mp_pool_t *handle, size_t size, size_t alignment) {
  if (alignment <= MP_GRANULE)
    return mp__sh_alloc(handle, size);
  void *p = mp__memalign(enter(handle), size, alignment);
  leave(handle);
  return p;
}

int mp__sh_free(mp_pool_t *handle, void *p) {
  int r = mp__free(enter(handle), p);
  leave(handle);
  return r;
}

int mp__sh_owns(const mp_pool_t *handle, const void *p) {
  int r = mp__owns(enter(handle), p);
  leave(handle);
  return r;
}

int mp__sh_free_sized(mp_pool_t *handle, void *p, size_t size) {
  struct mp_shared *s = of(handle);
  if (p != NULL && size <= s->small) {
    struct mp_lane *l = mine(s);
    if (l != NULL && lane_free(s, l, p, size))
      return 0;
  }
  int r = mp__free_sized(enter(handle), p, size);
  leave(handle);
  return r;
}

void *mp__sh_realloc(mp_pool_t *handle, void *p, size_t old_size,
                     size_t new_size, bool sized) {
  struct mp_shared *s = of(handle);
  if (p == NULL)
    return mp__sh_alloc(handle, new_size);
  if (sized && old_size <= s->small && new_size <= MP_MAX_ALLOC_SIZE) {
    struct mp_lane *l = mine(s);
    if (l != NULL && node_known(s, p, gsize(old_size)))
      return lane_resize(s, l, p, old_size, new_size);
  }
  mp_pool_t *inner = enter(handle);
  void *q = NULL;
  struct mp_large *big = NULL;
  /* A large block shrunk to a lane's size moves to a node, so that every
   * object of a lane's size is a node object (mp_free_sized() of one may
   * go to a lane); the inner pool would keep it a block. */
  if (s->small != 0 && new_size <= s->small &&
      node_room(inner) >= gsize(new_size))
    big = mp__large_of(inner, p); /* a move that needs no new node */
  if (big != NULL) {
    q = mp__alloc(inner, new_size);
    if (q != NULL) {
      memcpy(q, p, big->size < new_size ? big->size : new_size);
      (void)mp__free(inner, p);
      node_note(s, q);
    }
  }
  if (q == NULL)
    q = mp__resize(inner, p, old_size, new_size, sized);
  leave(handle);
  return q;
}

/* A mark needs the pool alone: every lane gives its memory back first,
 * so that the mark's position has everything made before it behind it,
 * and lanes stay off while marks are outstanding. */
mp_mark_t *mp__sh_mark(mp_pool_t *handle) {
  struct mp_shared *s = of(handle);
  mp_pool_t *inner = enter(handle);
  check_alone(s, "mp_mark");
  if (atomic_load_explicit(&s->id, memory_order_relaxed) != 0) {
    lanes_off(s);
    for (struct mp_lane *l = s->lanes; l != NULL; l = l->next) {
      drain(s, l, true);
      l->owner = 0;
    }
  }
  mp_mark_t *m = mp__mark(inner);
  lanes_on(s); /* back on if no mark was taken */
  leave(handle);
  return m;
}

int mp__sh_rewind(mp_pool_t *handle, mp_mark_t *mark) {
  struct mp_shared *s = of(handle);
  mp_pool_t *inner = enter(handle);
  check_alone(s, "mp_rewind");
  int r = mp__rewind(inner, mark);
  if (atomic_load_explicit(&s->id, memory_order_relaxed) == 0)
    lanes_on(s); /* on once the last mark is rewound */
  leave(handle);
  return r;
}

/* Formats into the lane's chunk and takes the string there when it fits;
 * otherwise allocates (lane or lock) and formats again. */
static char *lane_vprintf(struct mp_shared *s, struct mp_lane *l,
                          const char *fmt, va_list ap) {
  int saved = errno;
  va_list again, fast;
  va_copy(again, ap);
  uintptr_t q = rd(&l->ptr);
  size_t avail = (size_t)(rd(&l->end) - q);
  char *room = avail != 0 ? (char *)q : NULL;
  errno = 0;
  size_t flen;
  int len;
  va_copy(fast, ap);
  bool known = mp__format(room, avail, fmt, fast, &flen);
  va_end(fast);
  if (known)
    len = flen <= INT_MAX ? (int)flen : -1; /* EOVERFLOW, set below */
  else
    len = vsnprintf(room, avail, fmt, ap);
  char *out = NULL;
  if (len < 0) {
    if (errno == 0)
      errno = EOVERFLOW;
  } else if ((size_t)len < avail && (size_t)len < s->small) {
    size_t size = (size_t)len + 1;
    wr(&l->ptr, q + gsize(size));
    if (s->count)
      addz(&l->requested, size);
    out = room;
  } else {
    size_t size = (size_t)len + 1;
    out = mp__sh_alloc(&s->handle, size);
    if (out != NULL)
      (void)vsnprintf(out, size, fmt, again);
  }
  va_end(again);
  if (out != NULL)
    errno = saved;
  return out;
}

char *mp__sh_vprintf(mp_pool_t *handle, const char *fmt, va_list ap) {
  struct mp_shared *sh = of(handle);
  struct mp_lane *l = sh->small != 0 ? mine(sh) : NULL;
  if (l != NULL)
    return lane_vprintf(sh, l, fmt, ap);
  char *s = mp__vprintf(enter(handle), fmt, ap);
  leave(handle);
  return s;
}

mp_cleanup_t *mp__sh_cleanup_add(mp_pool_t *handle, mp_cleanup_fn fn,
                                 void *data) {
  mp_cleanup_t *c = mp__cleanup_add(enter(handle), fn, data);
  leave(handle);
  return c;
}

int mp__sh_cleanup_remove(mp_pool_t *handle, mp_cleanup_t *c, bool run_it) {
  mp_pool_t *inner = enter(handle);
  int r = run_it ? mp__cleanup_run(inner, c) : mp__cleanup_remove(inner, c);
  leave(handle);
  return r;
}

mp_pool_t *mp__sh_parent(const mp_pool_t *pool) {
  if (pool->flags & MP_F_SHARED)
    pool = of(pool)->inner;
  mp_pool_t *parent = pool->life.parent;
  if (parent != NULL && (parent->flags & MP_F_INNER))
    parent = &parent->shared->handle;
  return parent;
}

int mp__sh_stats(const mp_pool_t *handle, mp_stats_t *st, int flags) {
  int r = mp__stats(enter(handle), st, flags); /* lanes: on_stats */
  leave(handle);
  return r;
}

int mp__sh_report(const mp_pool_t *handle, FILE *out) {
  int r = mp__report(enter(handle), out);
  leave(handle);
  return r;
}

int mp__sh_check(const mp_pool_t *handle, const void *p) {
  int r = mp__check_ptr(enter(handle), p);
  leave(handle);
  return r;
}

int mp__sh_with(mp_pool_t *handle, int (*fn)(mp_pool_t *inner, void *arg),
                void *arg) {
  int r = fn(enter(handle), arg);
  leave(handle);
  return r;
}

mp_pool_t *mp__sh_inner(const mp_pool_t *handle) { return of(handle)->inner; }
