/*
 * Reuse: free lists over node memory, so objects freed before the pool ends
 * are handed out again and free neighbours merge.
 *
 * Node memory is accounted in granules (MP_GRANULE bytes).  A free chunk
 * [a, b) is a run of whole granules; nothing is stored in live objects, so
 * callers give the size back when they free (mp_free_sized).  Each node has
 * two bitmaps of one bit per granule:
 *   F  set on the first and the last granule of every free chunk, so that a
 *      freed object finds a free neighbour on either side in O(1);
 *   S  set on the granule of a one-granule chunk, whose size cannot be
 *      stored in it (it holds only the two list links); set without F, on
 *      the first granule of a chunk in the hot cache.
 * A chunk of two granules or more stores its size after the links and again
 * in its last word.  Chunks sit on doubly linked lists by size class: one
 * class per granule count up to MP_EXACT_CLASSES, then four per doubling;
 * a bitmap of non-empty classes finds a fitting chunk in O(1) (a request is
 * rounded up to its class's lower bound, as in TLSF, so the first chunk of
 * the class found always fits).
 *
 * The hot cache: a freed chunk of up to MP_HOT_CLASSES granules with no
 * free chunk beside it (alone()) waits on a list per size, linked through
 * its first word, and the next request of its size takes the newest --
 * before the bump space: while the cache holds chunks the fast window is
 * closed, so small requests reach mp__reuse_pop().  The cache holds up to
 * MP_HOT_BYTES, or a share (1 / MP_HOT_SHARE) of the pool's reserved bytes
 * when that is more, so that a collector's sweep is cached whole.
 * Caching a chunk reads two F bits, writes its first two words (the link
 * and its class) and sets its S bit (S without F marks a cached chunk);
 * taking it back reads the link and clears the bit: no sizes, no list
 * links to mend.  To everything else a cached chunk looks live; merging
 * it is deferred, as in a thread cache of a general allocator: the whole
 * cache goes through the ordinary free path (mp__reuse_flush()), merging
 * with its neighbours, before the pool takes a new node for a small
 * request, so deferred merges never make the pool grow; an object that
 * cannot grow in place takes only the cached chunk after it out
 * (mp__reuse_uncache()).  (Chunks beside a free chunk are not cached: reusing
 * them in place kept free space in small holes and grew a churning pool's
 * footprint by a fifth.)  Pools whose mode routes every call through the
 * slow path, wiping pools, hardened builds and pools with an outstanding
 * mark do not cache.
 *
 * Invariants (of the chunks on the lists; cached chunks are not free
 * chunks): no two free chunks touch; no chunk overlaps the current node's
 * free space [ptr, top), ends at ptr, or starts at top when top is on a
 * granule; F and S are clear everywhere else.  A freed object that ends
 * at ptr goes back to the bump pointer instead; a node other than the
 * current and the first that becomes one free chunk goes back to the
 * block source.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <string.h>

#define G ((uintptr_t)MP_GRANULE)

/* Cached chunks mp__reuse_uncache() looks through on a list. */
#define MP_UNCACHE_STEPS 16

/* ---- words kept in free chunks ----
 *
 * Free chunks are inaccessible to memory tools (mp_track.h): every read
 * and write of a link, a size or a footer goes through these, which open
 * the word around the access. */

static MP_INLINE uintptr_t word_get(const void *at) {
  mp_track_open(at, sizeof(uintptr_t));
  uintptr_t v = *(const uintptr_t *)at;
  mp_track_close(at, sizeof(uintptr_t));
  return v;
}

static MP_INLINE void word_set(void *at, uintptr_t v) {
  mp_track_open(at, sizeof(uintptr_t));
  *(uintptr_t *)at = v;
  mp_track_close(at, sizeof(uintptr_t));
}

/* Hardened builds store list links as glibc's safe-linking does: the
 * pointer XOR the link's own address shifted right by 12, XOR a
 * per-process secret, so an overwrite with plain addresses decodes to
 * garbage that unlink_chunk() catches. */
#ifdef MP_HARDENED
#define LINK_KEY(at) ((((uintptr_t)(at)) >> 12) ^ mp__hard_secret())
#else
#define LINK_KEY(at) ((uintptr_t)0)
#endif

static MP_INLINE struct mp_chunk *next_of(const struct mp_chunk *ch) {
  return (struct mp_chunk *)(word_get(&ch->next) ^ LINK_KEY(&ch->next));
}

static MP_INLINE struct mp_chunk *prev_of(const struct mp_chunk *ch) {
  return (struct mp_chunk *)(word_get(&ch->prev) ^ LINK_KEY(&ch->prev));
}

static MP_INLINE void set_next(struct mp_chunk *ch, struct mp_chunk *v) {
  word_set(&ch->next, (uintptr_t)v ^ LINK_KEY(&ch->next));
}

static MP_INLINE void set_prev(struct mp_chunk *ch, struct mp_chunk *v) {
  word_set(&ch->prev, (uintptr_t)v ^ LINK_KEY(&ch->prev));
}

/* ---- size classes ---- */

static MP_INLINE unsigned class_of(size_t granules) {
  if (granules <= MP_EXACT_CLASSES)
    return (unsigned)granules - 1;
  unsigned k = mp__floor_log2(granules); /* >= 6 */
  return MP_EXACT_CLASSES + (k - 6) * 4 + (unsigned)((granules >> (k - 2)) & 3);
}

static size_t class_low(unsigned c) {
  if (c < MP_EXACT_CLASSES)
    return c + 1;
  unsigned k = 6 + (c - MP_EXACT_CLASSES) / 4;
  return (size_t)(4 + (c - MP_EXACT_CLASSES) % 4) << (k - 2);
}

/* ---- bitmaps ----
 *
 * F and S are interleaved a word at a time (F word w, then S word w), so
 * that the two bits of a granule share a cache line: a free or a reuse
 * reads and writes one line of the node header, not two.  fmap() and
 * smap() point at the first word of each; bit_get() and bit_put() step
 * two words per 64 granules. */

static MP_INLINE uint64_t *fmap(const mp_pool_t *pool, struct mp_node *n) {
  (void)pool;
  return (uint64_t *)(n + 1);
}

static MP_INLINE uint64_t *smap(const mp_pool_t *pool, struct mp_node *n) {
  return fmap(pool, n) + 1;
}

/* The word of F or S that holds granule i's bit. */
#define MAP_WORD(i) ((i) / 64 * 2)

static MP_INLINE size_t gidx(const struct mp_node *n, uintptr_t x) {
  return (x - (uintptr_t)n) / G;
}

static MP_INLINE bool bit_get(const uint64_t *m, size_t i) {
  return (m[MAP_WORD(i)] >> (i % 64)) & 1u;
}

static MP_INLINE void bit_put(uint64_t *m, size_t i, bool on) {
  uint64_t b = (uint64_t)1 << (i % 64);
  m[MAP_WORD(i)] = on ? m[MAP_WORD(i)] | b : m[MAP_WORD(i)] & ~b;
}

#ifdef MP_HARDENED
/* Hardened builds: one bit for every granule of every free chunk, so that
 * a double free is caught wherever it lands in a chunk. */
static uint64_t *gmap(const mp_pool_t *pool, struct mp_node *n) {
  return fmap(pool, n) + 2 * pool->map_words;
}

static void range_put(uint64_t *m, size_t i, size_t j, bool on) {
  for (; i < j; i++) {
    uint64_t b = (uint64_t)1 << (i % 64);
    if (i % 64 == 0 && j - i >= 64) {
      m[i / 64] = on ? ~(uint64_t)0 : 0;
      i += 63;
    } else {
      m[i / 64] = on ? m[i / 64] | b : m[i / 64] & ~b;
    }
  }
}

bool mp__reuse_any_free(const mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                        uintptr_t b) {
  if (pool->reuse == NULL)
    return false; /* the bitmaps are not in use yet */
  const uint64_t *m = gmap(pool, n);
  for (size_t i = gidx(n, a), j = gidx(n, b); i < j; i++)
    if ((m[i / 64] >> (i % 64)) & 1u)
      return true;
  return false;
}
#endif

static MP_INLINE bool free_at(const mp_pool_t *pool, struct mp_node *n,
                              uintptr_t x) {
  return bit_get(fmap(pool, n), gidx(n, x));
}

/* Marks [a, b) as a free chunk in its node's bitmaps and stores its size. */
static MP_INLINE void mark(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                           uintptr_t b) {
  bit_put(fmap(pool, n), gidx(n, a), true);
  bit_put(fmap(pool, n), gidx(n, b - G), true);
  if (b - a == G) {
    bit_put(smap(pool, n), gidx(n, a), true);
  } else {
    word_set(&((struct mp_chunk *)a)->size, b - a);
    word_set((size_t *)b - 1, b - a);
  }
  n->dirty = 1;
#ifdef MP_HARDENED
  range_put(gmap(pool, n), gidx(n, a), gidx(n, b), true);
#endif
}

static void unmark(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                   uintptr_t b) {
  size_t i = gidx(n, a);
  bit_put(fmap(pool, n), i, false);
  if (b - a == G)
    bit_put(smap(pool, n), i, false); /* S is set on one-granule chunks only */
  else
    bit_put(fmap(pool, n), gidx(n, b - G), false);
#ifdef MP_HARDENED
  range_put(gmap(pool, n), gidx(n, a), gidx(n, b), false);
#endif
}

/* Size of the free chunk that starts at a. */
static MP_INLINE size_t size_at(const mp_pool_t *pool, struct mp_node *n,
                                uintptr_t a) {
  return bit_get(smap(pool, n), gidx(n, a))
             ? G
             : (size_t)word_get(&((struct mp_chunk *)a)->size);
}

/* Start of the free chunk that ends at x. */
static MP_INLINE uintptr_t start_before(const mp_pool_t *pool,
                                        struct mp_node *n, uintptr_t x) {
  uintptr_t c = bit_get(smap(pool, n), gidx(n, x - G))
                    ? x - G
                    : x - (size_t)word_get((size_t *)x - 1);
#ifdef MP_HARDENED
  /* A footer written over must not send the merge out of the node. */
  if (c >= x || c < (uintptr_t)n->start || c % G != 0 || !free_at(pool, n, c))
    mp__hard_fail(pool->fn, "corrupted size of free chunk ending at",
                  (const void *)x, pool);
#endif
  return c;
}

#ifdef MP_HARDENED
/* ---- writes after free (hardened builds) ----
 *
 * Every byte of a free chunk is zero but the chunk's own words: its two
 * links and, in a chunk of two granules or more, its size after them and
 * the copy in its last word.  Freed objects and the other memory that
 * becomes free (the rest of a node left behind, alignment padding) are
 * zeroed as they join the lists, and so are the words of a chunk a merge
 * swallows.  The bytes are checked as they leave the lists -- handed out,
 * back to the bump space or, with their node, to the block source -- and
 * every chunk at reset and destroy, so a write after free into a free
 * chunk aborts at the latest then. */

/* The end of the words at the start of the free chunk [a, a + size). */
static uintptr_t head_end(uintptr_t a, size_t size) {
  return a + (size == G ? G : sizeof(struct mp_chunk));
}

static void zero_free(uintptr_t x, uintptr_t y) {
  if (y <= x)
    return;
  mp_track_open((void *)x, y - x);
  memset((void *)x, 0, y - x);
  mp_track_close((void *)x, y - x);
}

/* Checks that [x, y) of the free chunk [a, a + size) is zero but the
 * chunk's own words; aborts naming the first byte written. */
static void check_zero(const mp_pool_t *pool, const char *fn, uintptr_t a,
                       size_t size, uintptr_t x, uintptr_t y) {
  uintptr_t lo = head_end(a, size);
  uintptr_t hi = size > G ? a + size - sizeof(size_t) : a + size;
  if (x < lo)
    x = lo;
  if (y > hi)
    y = hi;
  if (y <= x)
    return;
  const unsigned char *b = (const unsigned char *)x;
  size_t len = y - x, i = 0;
  mp_track_open(b, len);
  for (uint64_t v; i + sizeof v <= len; i += sizeof v) {
    memcpy(&v, b + i, sizeof v);
    if (v != 0)
      break;
  }
  while (i < len && b[i] == 0)
    i++;
  mp_track_close(b, len);
  if (i < len)
    mp__hard_fail(fn, "write after free at", b + i, pool);
}

/* The size of the free chunk at a, as its caller found it, must be the
 * one its words (or its S bit) give, and within its node. */
static void check_size(const mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                       size_t size) {
  bool one = bit_get(smap(pool, n), gidx(n, a));
  uintptr_t end = mp__node_end(pool, n);
  bool ok = size >= G && size % G == 0 && a >= (uintptr_t)n->start && a < end &&
            size <= end - a;
  if (ok && size == G)
    ok = one;
  else if (ok)
    ok = !one && word_get(&((struct mp_chunk *)a)->size) == size &&
         word_get((size_t *)(a + size) - 1) == size;
  if (!ok)
    mp__hard_fail(pool->fn, "corrupted size of free chunk", (const void *)a,
                  pool);
}
#endif

/* ---- lists ---- */

static MP_INLINE void push(struct mp_reuse *r, uintptr_t a, size_t size) {
  unsigned c = class_of(size / G);
  struct mp_chunk *ch = (struct mp_chunk *)a;
  struct mp_chunk *next = r->head[c];
  set_prev(ch, NULL);
  set_next(ch, next);
  if (next != NULL)
    set_prev(next, ch);
  r->head[c] = ch;
  r->nonempty[c / 64] |= (uint64_t)1 << (c % 64);
}

#ifdef MP_HARDENED
/* A decoded link must be NULL or a granule-aligned address in a node of
 * this pool, and link back to ch. */
static void check_links(const mp_pool_t *pool, struct mp_chunk *ch,
                        struct mp_chunk *prev, struct mp_chunk *next,
                        unsigned c) {
  bool ok = true;
  if (prev == NULL)
    ok = pool->reuse->head[c] == ch;
  else
    ok = (uintptr_t)prev % G == 0 && mp__node_of(pool, prev) != NULL &&
         next_of(prev) == ch;
  if (ok && next != NULL)
    ok = (uintptr_t)next % G == 0 && mp__node_of(pool, next) != NULL &&
         prev_of(next) == ch;
  if (!ok)
    mp__hard_fail(pool->fn, "corrupted links in free chunk", ch, pool);
}
#endif

static MP_INLINE void unlink_chunk(mp_pool_t *pool, uintptr_t a, size_t size) {
  struct mp_reuse *r = pool->reuse;
  unsigned c = class_of(size / G);
  struct mp_chunk *ch = (struct mp_chunk *)a;
  struct mp_chunk *prev = prev_of(ch), *next = next_of(ch);
#ifdef MP_HARDENED
  check_links(pool, ch, prev, next, c);
#endif
  if (prev != NULL)
    set_next(prev, next);
  else
    r->head[c] = next;
  if (next != NULL)
    set_prev(next, prev);
  if (r->head[c] == NULL)
    r->nonempty[c / 64] &= ~((uint64_t)1 << (c % 64));
}

/* In a wiping pool, a chunk leaving the free lists: objects were wiped
 * when freed, so only the chunk's own words remain, and whatever part of
 * it is handed out next starts zeroed. */
static void wipe_words(uintptr_t a, size_t size) {
  size_t head = size < sizeof(struct mp_chunk) ? size : sizeof(struct mp_chunk);
  mp__wipe_hidden((void *)a, head);
  mp__wipe_hidden((unsigned char *)(a + size) - sizeof(size_t), sizeof(size_t));
}

/* Takes the free chunk [a, a + size) off its list and out of the maps. */
static MP_INLINE void take(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                           size_t size) {
#ifdef MP_HARDENED
  check_size(pool, n, a, size);
#endif
  unlink_chunk(pool, a, size);
  unmark(pool, n, a, a + size);
  if (MP_WIPING(pool))
    wipe_words(a, size);
}

static MP_INLINE void add_chunk(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                                uintptr_t b) {
  mark(pool, n, a, b);
  push(pool->reuse, a, b - a);
}

void mp__reuse_add(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                   uintptr_t b) {
#ifdef MP_HARDENED
  zero_free(a, b); /* bump space: whatever was there before */
#endif
  add_chunk(pool, n, a, b);
}

/* ---- the hot cache ---- */

/* Bytes this pool's cache may hold: MP_HOT_BYTES, or a share of what the
 * pool holds from the block source when that is more -- enough for the
 * bursts of frees a collector makes (a sweep), still a bounded part of the
 * pool, and never a reason to grow (the cache is merged first). */
static MP_INLINE size_t hot_limit(const mp_pool_t *pool) {
  size_t share = pool->counters.reserved / MP_HOT_SHARE;
  return share > MP_HOT_BYTES ? share : MP_HOT_BYTES;
}

/* Whether this pool may cache a chunk of k granules now. */
static MP_INLINE bool hot_fits(const mp_pool_t *pool, size_t k) {
  const struct mp_reuse *r = pool->reuse;
  return !MP_HARD && !(pool->flags & (MP_F_NOWINDOW | MP_F_WIPE)) &&
         k <= MP_HOT_CLASSES && r->nhot[k - 1] < MP_HOT_DEPTH &&
         r->hot_bytes + k * G <= hot_limit(pool) && pool->life.marks == NULL;
}

/* Caches the freed chunk [a, b) of node n (hot_fits() said yes).  A cached
 * chunk is marked by S alone (F clear: to the lists it is live) on its first
 * granule, and holds its class in its second word, so that an object growing
 * in place finds a cached neighbour (mp__reuse_uncache()). */
static MP_INLINE void hot_put(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                              uintptr_t b) {
  struct mp_reuse *r = pool->reuse;
  size_t c = (b - a) / G - 1;
  word_set((void *)a, r->hot[c]);
  word_set((uintptr_t *)a + 1, c);
  bit_put(smap(pool, n), gidx(n, a), true);
  n->dirty = 1;
  r->hot[c] = a;
  r->nhot[c]++;
  r->hot_bytes += b - a;
  pool->w.end = pool->w.ptr; /* requests ask the cache first */
}

/* Whether the freed chunk [a, b) of node n, with a granule of the node on
 * each side, touches neither a free chunk nor the bump pointer: then it
 * may wait in the cache without keeping free memory apart. */
static MP_INLINE bool alone(const mp_pool_t *pool, struct mp_node *n,
                            uintptr_t a, uintptr_t b) {
  return !free_at(pool, n, a - G) && !free_at(pool, n, b) &&
         !(n == pool->current && b == (uintptr_t)pool->w.ptr);
}

/* The newest cached chunk of rounded bytes, taken out of the cache, or NULL. */
static MP_INLINE void *hot_pop(mp_pool_t *pool, size_t rounded) {
  struct mp_reuse *r = pool->reuse;
  size_t k = rounded / G;
  if (k > MP_HOT_CLASSES || r->nhot[k - 1] == 0)
    return NULL;
  uintptr_t a = r->hot[k - 1];
  struct mp_node *n = mp__node_at(pool, (void *)a);
  bit_put(smap(pool, n), gidx(n, a), false);
  r->hot[k - 1] = word_get((void *)a);
  r->nhot[k - 1]--;
  r->hot_bytes -= rounded;
  pool->reused_bytes += rounded;
  return (void *)a;
}

static void range_general(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                          uintptr_t b);

/* Empties the hot cache through the ordinary free path, so that its chunks
 * merge with their free neighbours (and nodes that become free go back);
 * false if it was empty.  Each chunk is flushed once for each time it was
 * cached, so the cost is a constant per free. */
bool mp__reuse_flush(mp_pool_t *pool) {
  struct mp_reuse *r = pool->reuse;
  if (r == NULL || r->hot_bytes == 0)
    return false;
  uintptr_t lists[MP_HOT_CLASSES];
  memcpy(lists, r->hot, sizeof lists);
  memset(r->hot, 0, sizeof r->hot);
  memset(r->nhot, 0, sizeof r->nhot);
  r->hot_bytes = 0;
  for (size_t c = 0; c < MP_HOT_CLASSES; c++) {
    for (uintptr_t a = lists[c], next; a != 0; a = next) {
      next = word_get((void *)a); /* before a merge overwrites it */
      struct mp_node *n = mp__node_at(pool, (void *)a);
      bit_put(smap(pool, n), gidx(n, a), false);
      range_general(pool, n, a, a + (c + 1) * G);
    }
  }
  mp__set_window(pool); /* the cache is empty: the window may open */
  return true;
}

/* For an object of node n that cannot grow past ob: takes the cached
 * chunk that starts at ob, or right after the free chunk at ob, out of the
 * cache and frees it through the ordinary path, merging it with its free
 * neighbours; false if there is none.  The targeted form of a flush: the
 * object may then grow, and the rest of the cache stays as it is. */
bool mp__reuse_uncache(mp_pool_t *pool, struct mp_node *n, uintptr_t ob) {
  struct mp_reuse *r = pool->reuse;
  uintptr_t end = mp__node_end(pool, n), x = ob;
  if (r == NULL || r->hot_bytes == 0 || x >= end)
    return false;
  if (free_at(pool, n, x))
    x += size_at(pool, n, x);
  if (x >= end || free_at(pool, n, x) || !bit_get(smap(pool, n), gidx(n, x)))
    return false;
  size_t c = (size_t)word_get((uintptr_t *)x + 1);
  if (c >= MP_HOT_CLASSES)
    return false;
  /* The cache's lists are singly linked: look a few steps deep only (the
   * newest chunks), so that the cost stays a constant. */
  uintptr_t prev = 0, at = r->hot[c];
  for (unsigned steps = 0; at != 0 && at != x; steps++) {
    if (steps == MP_UNCACHE_STEPS)
      return false;
    prev = at;
    at = word_get((void *)at);
  }
  if (at == 0)
    return false;
  uintptr_t next = word_get((void *)x);
  if (prev == 0)
    r->hot[c] = next;
  else
    word_set((void *)prev, next);
  r->nhot[c]--;
  r->hot_bytes -= (c + 1) * G;
  bit_put(smap(pool, n), gidx(n, x), false);
  range_general(pool, n, x, x + (c + 1) * G);
  return true;
}

/* The free lists, created on first use.  Tails of nodes left before then
 * become chunks now, so that no free space is lost to the late start. */
static struct mp_reuse *control(mp_pool_t *pool) {
  if (pool->reuse != NULL)
    return pool->reuse;
  size_t bs = mp__block_size(pool, sizeof(struct mp_reuse), MP_GRANULE);
  if (!mp__reserve(pool, bs))
    return NULL;
  struct mp_reuse *r = mp__block_get(pool, bs, MP_GRANULE);
  if (r == NULL) {
    mp__unreserve(pool, bs);
    return NULL;
  }
  memset(r, 0, sizeof *r);
  pool->reuse = r;
  for (struct mp_node *n = pool->first; n != NULL; n = n->next) {
    memset(fmap(pool, n), 0,
           MP_REUSE_MAPS * pool->map_words * sizeof(uint64_t));
    n->dirty = 0;
  }
  for (struct mp_node *n = pool->first; n != pool->current; n = n->next) {
    uintptr_t lo = (uintptr_t)n->low;
    uintptr_t hi = MP_ALIGN_DOWN((uintptr_t)n->high, G);
    if (hi > lo)
      mp__reuse_add(pool, n, lo, hi);
  }
  return r;
}

/* The common case of reuse, for mp__alloc_slow(): a chunk of exactly rounded
 * bytes (whole granules, at most MP_EXACT_CLASSES of them) at the head of
 * its list -- an exact class holds one size, and every chunk is granule
 * aligned -- or NULL. */
static MP_NOINLINE void *list_pop(mp_pool_t *pool, size_t rounded);

void *mp__reuse_pop(mp_pool_t *pool, size_t rounded) {
  struct mp_reuse *r = pool->reuse;
  size_t k = rounded / G;
  if (r == NULL || k > MP_EXACT_CLASSES || pool->life.marks != NULL)
    return NULL;
  void *hot = hot_pop(pool, rounded);
  return hot != NULL ? hot : list_pop(pool, rounded);
}

/* mp__reuse_pop() when the cache had no chunk of rounded bytes. */
static MP_NOINLINE void *list_pop(mp_pool_t *pool, size_t rounded) {
  struct mp_chunk *ch = pool->reuse->head[rounded / G - 1];
  if (ch == NULL)
    return NULL;
  uintptr_t a = (uintptr_t)ch;
  take(pool, (struct mp_node *)MP_ALIGN_DOWN(a, pool->node_size), a, rounded);
#ifdef MP_HARDENED
  check_zero(pool, pool->fn, a, rounded, a, a + rounded);
#endif
  pool->reused_bytes += rounded;
  return ch;
}

/* A free chunk that holds `rounded` bytes at `align`: the smallest class
 * that surely does.  The object starts at p and takes `rounded` bytes, or
 * up to `most` when the chunk has them (*got: the bytes taken); the
 * chunk's rest stays free. */
static void *take_fitting(mp_pool_t *pool, size_t rounded, size_t align,
                          size_t most, size_t *got) {
  struct mp_reuse *r = pool->reuse;
  /* While a mark is outstanding, new objects come from bump space only, so
   * that rewinding to the mark releases all of them. */
  if (r == NULL || pool->life.marks != NULL)
    return NULL;
  size_t need = (rounded + (align > G ? align - G : 0)) / G;
  unsigned c = class_of(need);
  if (c >= MP_EXACT_CLASSES && class_low(c) != need)
    c++;
  size_t i = mp__next_bit(r->nonempty, MP_CLASS_WORDS, c);
  if (i == MP_CLASS_WORDS * 64)
    return NULL;
  uintptr_t a = (uintptr_t)r->head[i];
  struct mp_node *n = (struct mp_node *)MP_ALIGN_DOWN(a, pool->node_size);
  size_t size = size_at(pool, n, a);
  take(pool, n, a, size);
  uintptr_t p = MP_ALIGN_UP(a, align);
  size_t len = a + size - p < most ? a + size - p : most;
  len = len < rounded ? rounded : MP_ALIGN_DOWN(len, G);
#ifdef MP_HARDENED
  check_zero(pool, pool->fn, a, size, p, p + len);
#endif
  if (p > a)
    add_chunk(pool, n, a, p);
  if (p + len < a + size)
    add_chunk(pool, n, p + len, a + size);
  pool->reused_bytes += len;
  *got = len;
  return (void *)p;
}

void *mp__reuse_take(mp_pool_t *pool, size_t rounded, size_t align) {
  size_t got;
  return take_fitting(pool, rounded, align, rounded, &got);
}

void *mp__reuse_take_range(mp_pool_t *pool, size_t least, size_t most,
                           size_t *got) {
  return take_fitting(pool, least, G, most, got);
}

/* Puts the freed chunk [a, b) of node n where it belongs: merged with its
 * free neighbours, back to the bump pointer, the whole node back to the
 * block source, or onto its list. */
static void range_general(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                          uintptr_t b) {
  uintptr_t start = (uintptr_t)n->start, end = mp__node_end(pool, n);
#ifdef MP_HARDENED
  uintptr_t freed = a;
#endif
  if (a > start && free_at(pool, n, a - G)) {
    uintptr_t c = start_before(pool, n, a);
    take(pool, n, c, a - c);
#ifdef MP_HARDENED
    if (a - c > G) /* its footer is inside the merged chunk */
      zero_free(a - sizeof(size_t), a);
#endif
    a = c;
  }
  if (n == pool->current && b == (uintptr_t)pool->w.ptr) {
#ifdef MP_HARDENED
    if (a < freed) /* the chunk merged on the left leaves the lists */
      check_zero(pool, pool->fn, a, freed - a, a, freed);
#endif
    pool->w.ptr = (unsigned char *)a; /* back to the bump pointer */
    mp__set_window(pool);
    return;
  }
  if (b < end && free_at(pool, n, b)) {
    size_t sz = size_at(pool, n, b);
    take(pool, n, b, sz);
#ifdef MP_HARDENED
    zero_free(b, head_end(b, sz)); /* its words are inside the merged one */
#endif
    b += sz;
  }
  if (n != pool->current && n != pool->first && a == start && b == end &&
      pool->life.marks == NULL) { /* a mark may point into this node */
#ifdef MP_HARDENED
    check_zero(pool, pool->fn, a, b - a, a, b);
#endif
    mp__node_release(pool, n);
    return;
  }
  add_chunk(pool, n, a, b);
}

void mp__reuse_range(mp_pool_t *pool, struct mp_node *n, uintptr_t a,
                     uintptr_t b) {
  if (mp_unlikely(pool->reuse == NULL) && control(pool) == NULL)
    return; /* no memory for the lists: the bytes wait for reset */
#ifdef MP_HARDENED
  zero_free(a, b); /* the freed object and its red zone */
#endif
  pool->freed_bytes += b - a;
  /* The common case, decided from the bits beside the chunk: both
   * neighbours are live (or the node's ends) and the chunk does not end
   * at the bump pointer -- it goes into the hot cache, or onto its list,
   * as it is. */
  uintptr_t start = mp__node_start(pool, n), end = mp__node_end(pool, n);
  if (a > start && b < end && alone(pool, n, a, b)) {
    if (hot_fits(pool, (b - a) / G))
      hot_put(pool, n, a, b);
    else
      add_chunk(pool, n, a, b);
    return;
  }
  range_general(pool, n, a, b);
}

/* mp_free_sized()'s common case, every step in one place: [p, p + size)
 * is a granule-aligned small object of node n (the caller found n), inside
 * the node with a neighbour on each side, alone, and the cache has room.
 * Caches it and returns true; else does nothing and returns false. */
bool mp__reuse_cache(mp_pool_t *pool, struct mp_node *n, void *p, size_t size) {
  uintptr_t a = (uintptr_t)p;
  if (MP_HARD || pool->reuse == NULL || a % G != 0 || size == 0 ||
      size > MP_HOT_CLASSES * G)
    return false;
  uintptr_t start = mp__node_start(pool, n), end = mp__node_end(pool, n);
  if (a <= start || size > end - a)
    return false;
  uintptr_t b = MP_ALIGN_UP(a + size, G) + MP_RZ; /* <= end + MP_RZ */
  if (b >= end || !hot_fits(pool, (b - a) / G) ||
      (n == pool->current && a == (uintptr_t)pool->top) ||
      !alone(pool, n, a, b))
    return false;
  mp_track_free(pool, p, size);
  pool->freed_bytes += b - a;
  hot_put(pool, n, a, b);
  return true;
}

void mp__reuse_top(mp_pool_t *pool, struct mp_node *n, uintptr_t e) {
  pool->freed_bytes += e - (uintptr_t)pool->top;
  /* A chunk right above joins the free space too -- only when e is on a
   * granule: otherwise the rest of e's granule may hold a live object. */
  if (pool->reuse != NULL && e % G == 0 && e < mp__node_end(pool, n) &&
      free_at(pool, n, e)) {
    size_t sz = size_at(pool, n, e);
    take(pool, n, e, sz);
#ifdef MP_HARDENED
    check_zero(pool, pool->fn, e, sz, e, e + sz);
#endif
    e += sz;
  }
  pool->top = (unsigned char *)e;
  mp__set_window(pool);
}

bool mp__reuse_grow(mp_pool_t *pool, struct mp_node *n, uintptr_t ob,
                    uintptr_t nb) {
  if (pool->reuse == NULL || ob >= mp__node_end(pool, n) ||
      !free_at(pool, n, ob))
    return false;
  size_t sz = size_at(pool, n, ob);
  if (ob + sz < nb)
    return false;
  take(pool, n, ob, sz);
#ifdef MP_HARDENED
  check_zero(pool, pool->fn, ob, sz, ob, nb);
#endif
  if (ob + sz > nb)
    add_chunk(pool, n, nb, ob + sz);
  pool->reused_bytes += nb - ob;
  return true;
}

void mp__reuse_reset(mp_pool_t *pool) {
  if (pool->reuse == NULL)
    return; /* bitmaps are not in use yet */
  memset(pool->reuse, 0, sizeof *pool->reuse);
  for (struct mp_node *n = pool->first; n != NULL; n = n->next) {
    if (n->dirty) {
      memset(fmap(pool, n), 0,
             MP_REUSE_MAPS * pool->map_words * sizeof(uint64_t));
      n->dirty = 0;
    }
  }
}

void mp__reuse_destroy(mp_pool_t *pool) {
  if (pool->reuse == NULL)
    return;
  size_t bs = mp__block_size(pool, sizeof(struct mp_reuse), MP_GRANULE);
  mp__block_put(&pool->backing, pool->flags, pool->reuse, bs, MP_GRANULE);
  mp__unreserve(pool, bs);
  pool->reuse = NULL;
}

size_t mp__reuse_free_bytes(const mp_pool_t *pool) {
  const struct mp_reuse *r = pool->reuse;
  size_t bytes = r != NULL ? r->hot_bytes : 0;
  for (unsigned c = 0; r != NULL && c < MP_NCLASSES; c++) {
    for (const struct mp_chunk *ch = r->head[c]; ch != NULL; ch = next_of(ch)) {
      struct mp_node *n =
          (struct mp_node *)MP_ALIGN_DOWN((uintptr_t)ch, pool->node_size);
      bytes += size_at(pool, n, (uintptr_t)ch);
    }
  }
  return bytes;
}

#ifdef MP_HARDENED
void mp__reuse_check_all(const mp_pool_t *pool, const char *fn) {
  const struct mp_reuse *r = pool->reuse;
  for (unsigned c = 0; r != NULL && c < MP_NCLASSES; c++) {
    for (struct mp_chunk *ch = r->head[c], *next; ch != NULL; ch = next) {
      next = next_of(ch);
      check_links(pool, ch, prev_of(ch), next, c);
      uintptr_t a = (uintptr_t)ch;
      struct mp_node *n = (struct mp_node *)MP_ALIGN_DOWN(a, pool->node_size);
      size_t size = size_at(pool, n, a);
      check_size(pool, n, a, size);
      check_zero(pool, fn, a, size, a, a + size);
    }
  }
}
#endif

/* The next free chunk of node n that starts at granule *i or later and
 * before granule `last`, or 0; sets *size and moves *i past it.  Called
 * from the node's start on, so every boundary bit met opens a chunk. */
static uintptr_t chunk_from(const mp_pool_t *pool, struct mp_node *n, size_t *i,
                            size_t last, size_t *size) {
  const uint64_t *f = fmap(pool, n);
  while (*i < last) {
    uint64_t word = f[MAP_WORD(*i)] >> (*i % 64);
    if (word == 0) {
      *i = (*i / 64 + 1) * 64;
      continue;
    }
    *i += mp__lowest_bit(word);
    if (*i >= last)
      break;
    uintptr_t a = (uintptr_t)n + *i * G;
    *size = size_at(pool, n, a);
    *i = gidx(n, a + *size);
    return a;
  }
  return 0;
}

/* Takes every free chunk in [lo, hi) of node n off the lists, for a rewind
 * that makes that range free space again.  A chunk reaching below lo keeps
 * its part below (the caller's bump pointer then absorbs it); one reaching
 * above hi keeps its whole granules above.  Walks the node's chunks from
 * its start, so every boundary bit met is known to open a chunk. */
void mp__reuse_forget(mp_pool_t *pool, struct mp_node *n, uintptr_t lo,
                      uintptr_t hi) {
  if (pool->reuse == NULL || hi <= lo)
    return;
  uintptr_t up = MP_ALIGN_UP(hi, G), a;
  size_t i = gidx(n, (uintptr_t)n->start), size;
  while ((a = chunk_from(pool, n, &i, gidx(n, up), &size)) != 0) {
    uintptr_t b = a + size;
    if (b <= lo)
      continue; /* wholly below the range */
    take(pool, n, a, b - a);
#ifdef MP_HARDENED
    check_zero(pool, pool->fn, a, b - a, a > lo ? a : lo, b < up ? b : up);
#endif
    if (a < lo) /* lo is a bump position: granule aligned */
      add_chunk(pool, n, a, lo);
    if (b > up)
      add_chunk(pool, n, up, b);
  }
}

/* After a rewind moved the free space [ptr, top), free chunks that now
 * touch it join it, as in mp__reuse_range() and mp__reuse_top(): one that
 * ends at ptr, and one that starts at top when top is on a granule. */
void mp__reuse_settle(mp_pool_t *pool) {
  struct mp_node *n = pool->current;
  uintptr_t p = (uintptr_t)pool->w.ptr, t = (uintptr_t)pool->top;
  if (pool->reuse == NULL)
    return;
  if (p > (uintptr_t)n->start && free_at(pool, n, p - G)) {
    uintptr_t c = start_before(pool, n, p);
    take(pool, n, c, p - c);
#ifdef MP_HARDENED
    check_zero(pool, pool->fn, c, p - c, c, p);
#endif
    pool->w.ptr = (unsigned char *)c;
  }
  if (t % G == 0 && t < mp__node_end(pool, n) && free_at(pool, n, t)) {
    size_t sz = size_at(pool, n, t);
    take(pool, n, t, sz);
#ifdef MP_HARDENED
    check_zero(pool, pool->fn, t, sz, t, t + sz);
#endif
    pool->top = (unsigned char *)(t + sz);
  }
}

/* ---- invariant check, for tests and debug builds ---- */

static bool chunk_ok(const mp_pool_t *pool, uintptr_t a, unsigned cls,
                     size_t *count) {
  struct mp_node *n = mp__node_of(pool, (void *)a);
  if (n == NULL || a % G != 0 || a < (uintptr_t)n->start)
    return false;
  if (!free_at(pool, n, a))
    return false;
  size_t size = size_at(pool, n, a);
  uintptr_t b = a + size, end = mp__node_end(pool, n);
  if (size == 0 || size % G != 0 || b > end || class_of(size / G) != cls)
    return false;
  if (size > G && (size_t)word_get((size_t *)b - 1) != size)
    return false;
  if (!free_at(pool, n, b - G) || start_before(pool, n, b) != a)
    return false;
  if (a > (uintptr_t)n->start && free_at(pool, n, a - G))
    return false; /* touches a free neighbour on the left */
  if (b < end && free_at(pool, n, b))
    return false; /* or on the right */
  if (n == pool->current) {
    if (b == (uintptr_t)pool->w.ptr || a == (uintptr_t)pool->top)
      return false; /* should have joined the free space */
    if (b > (uintptr_t)pool->w.ptr && a < (uintptr_t)pool->top)
      return false;
  }
  *count += size == G ? 1 : 2;
  return true;
}

/* Whether a free chunk on the lists overlaps [a, b) of node n. */
static bool listed_overlap(const mp_pool_t *pool, struct mp_node *n,
                           uintptr_t a, uintptr_t b) {
  size_t i = gidx(n, (uintptr_t)n->start), size;
  for (uintptr_t c; (c = chunk_from(pool, n, &i, gidx(n, b), &size)) != 0;)
    if (c + size > a)
      return true; /* and c < b */
  return false;
}

/* A cached chunk of class c at a: inside a node, outside the free space
 * and every free chunk. */
static bool hot_ok(const mp_pool_t *pool, uintptr_t a, unsigned c) {
  struct mp_node *n = mp__node_of(pool, (void *)a);
  size_t size = (c + 1) * G;
  if (n == NULL || a % G != 0 || a < (uintptr_t)n->start)
    return false;
  if (!bit_get(smap(pool, n), gidx(n, a)) ||
      (size_t)word_get((uintptr_t *)a + 1) != c)
    return false; /* unmarked, or its class lost */
  uintptr_t b = a + size;
  if (b > mp__node_end(pool, n) || listed_overlap(pool, n, a, b))
    return false;
  if (n == pool->current && b > (uintptr_t)pool->w.ptr &&
      a < (uintptr_t)pool->top)
    return false; /* overlaps the free space */
  /* No other cached chunk starts inside it: with one mark per chunk
   * (counted in mp__check()), no two cached chunks overlap. */
  for (size_t i = gidx(n, a) + 1; i < gidx(n, b); i++)
    if (bit_get(smap(pool, n), i) && !bit_get(fmap(pool, n), i))
      return false;
  return true;
}

bool mp__check(const mp_pool_t *pool) {
  if (pool->w.ptr > pool->w.end || pool->w.end > pool->top)
    return false;
  if ((uintptr_t)pool->w.ptr % G != 0 ||
      (size_t)(pool->w.end - pool->w.ptr) > pool->window)
    return false;
  size_t marks = 0;
  const struct mp_reuse *r = pool->reuse;
  for (unsigned c = 0; r != NULL && c < MP_NCLASSES; c++) {
    bool nonempty = (r->nonempty[c / 64] >> (c % 64)) & 1u;
    if (nonempty != (r->head[c] != NULL))
      return false;
    if (!nonempty)
      continue;
    const struct mp_chunk *prev = NULL;
    for (const struct mp_chunk *ch = r->head[c]; ch != NULL; ch = next_of(ch)) {
      if (prev_of(ch) != prev || !chunk_ok(pool, (uintptr_t)ch, c, &marks))
        return false;
      prev = ch;
    }
  }
  size_t hot = 0, nhot = 0;
  for (unsigned c = 0; r != NULL && c < MP_HOT_CLASSES; c++) {
    if (r->nhot[c] > MP_HOT_DEPTH)
      return false;
    unsigned count = 0;
    for (uintptr_t a = r->hot[c]; a != 0; a = word_get((void *)a)) {
      if (++count > r->nhot[c] || !hot_ok(pool, a, c))
        return false;
      hot += (c + 1) * G;
      nhot++;
    }
    if (count != r->nhot[c])
      return false;
  }
  if (r != NULL && hot != r->hot_bytes)
    return false;
  size_t bits = 0, alone_s = 0;
  for (struct mp_node *n = pool->first; n != NULL; n = n->next) {
    if (n->next != NULL && n->next->prev != n)
      return false;
    if (mp__node_start(pool, n) != (uintptr_t)n->start)
      return false; /* mp__node_start() reads only the first node's */
    for (size_t w = 0; r != NULL && w < pool->map_words; w++) {
      uint64_t f = fmap(pool, n)[2 * w];
      uint64_t so = smap(pool, n)[2 * w] & ~f; /* cached chunks' marks */
      while (f) {
        bits++;
        f &= f - 1;
      }
      while (so) {
        alone_s++;
        so &= so - 1;
      }
    }
  }
  return bits == marks && alone_s == nhot;
}
