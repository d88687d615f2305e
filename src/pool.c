/*
 * Pools: options, creation, reset and destruction.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "carve.h"
#include "mp_internal.h"
#include "mp_platform.h"

#include <stddef.h>
#include <string.h>

void mp_options_init(mp_options_t *opt) {
  if (opt == NULL)
    return;
  memset(opt, 0, sizeof *opt);
  opt->node_size = MP_DEFAULT_NODE_SIZE;
  opt->alignment = alignof(max_align_t);
  opt->large_threshold = mp__node_capacity(MP_DEFAULT_NODE_SIZE) / 4;
  opt->allocator = NULL;
  opt->parent = NULL;
}

static size_t round_pow2(size_t x) {
  return x <= 1 ? 1 : (size_t)1 << (mp__floor_log2(x - 1) + 1);
}

#define MP_KNOWN_FLAGS                                                         \
  (MP_POOL_SIZE_HEADERS | MP_POOL_COUNT_REQUESTS | MP_POOL_BUFFER_OVERFLOW |   \
   MP_POOL_ADAPTIVE | MP_POOL_WIPE | MP_POOL_REPORT_LEAKS |                    \
   MP_POOL_EXACT_NODES)

/* Turns caller options into a pool's settings but the node geometry
 * (mp__geometry(), once the block source is known); 0, or -1 with errno. */
static int settle(const mp_options_t *opt, mp_pool_t *s) {
  size_t node = opt->node_size ? opt->node_size
                : opt->buffer_size >= MP_MIN_BUFFER_SIZE
                    ? mp__buf_node_size(opt->buffer_size)
                    : MP_DEFAULT_NODE_SIZE;
  if (node > MP_MAX_NODE_SIZE) {
    errno = EINVAL;
    return -1;
  }
  node = round_pow2(node < MP_MIN_NODE_SIZE ? MP_MIN_NODE_SIZE : node);

  size_t align = opt->alignment ? opt->alignment : alignof(max_align_t);
  if (!MP_IS_POW2(align) || align > node / 8) {
    errno = EINVAL;
    return -1;
  }
  if (align < MP_GRANULE)
    align = MP_GRANULE;

  const mp_allocator_t *a = opt->allocator;
  if ((a != NULL && (a->alloc == NULL || a->free == NULL)) ||
      (opt->flags & ~(unsigned)MP_KNOWN_FLAGS) != 0) {
    errno = EINVAL;
    return -1;
  }
  memset(&s->adapt, 0, sizeof s->adapt);
  s->adapt.min_node = node;
  s->adapt.user_max = opt->large_threshold;
  /* An adaptive pool's threshold follows its node size unless the caller
   * chose one: mp_options_init()'s value counts as not chosen. */
  if ((opt->flags & MP_POOL_ADAPTIVE) &&
      opt->large_threshold == mp__node_capacity(MP_DEFAULT_NODE_SIZE) / 4)
    s->adapt.user_max = 0;
  s->node_size = node;
  s->align = align;
  s->backing = a != NULL ? *a : mp__default_allocator;
  s->flags = a != NULL ? 0u : MP_F_CACHED;
  if (align > MP_GRANULE)
    s->flags |= MP_F_NOWINDOW; /* the fast path keeps granule alignment */
  if (opt->flags & MP_POOL_SIZE_HEADERS)
    s->flags |= MP_F_HEADERS | MP_F_NOWINDOW;
  if (opt->flags & MP_POOL_COUNT_REQUESTS)
    s->flags |= MP_F_COUNT | MP_F_NOWINDOW;
  if (opt->flags & MP_POOL_ADAPTIVE)
    s->flags |= MP_F_ADAPT;
  if (opt->flags & MP_POOL_WIPE)
    s->flags |= MP_F_WIPE;
  if (MP_TRACK_ON || MP_RZ != 0 || MP_DBG)
    s->flags |= MP_F_NOWINDOW; /* the inline fast path keeps no red zone */
  return 0;
}

/* Settles caller options into s: every check and every derived setting
 * but what the new pool's own memory holds; 0, or -1 with errno. */
static int settle_all(const mp_options_t *opt, mp_pool_t *s) {
  /* Everything a new pool starts with but its own addresses: zero, then
   * the settled options, so that creation is one copy. */
  memset(s, 0, offsetof(mp_pool_t, index));
  if (settle(opt, s) != 0 || mp__life_settle(opt, s) != 0 ||
      mp__buf_settle(opt, s) != 0)
    return -1;
  mp__budget_settle(opt, s);
  /* Pools on the block cache take nodes of at least the default size
   * (MP_POOL_EXACT_NODES in mpool.h says why). */
  if ((s->flags & MP_F_CACHED) && !(opt->flags & MP_POOL_EXACT_NODES) &&
      s->node_size < MP_DEFAULT_NODE_SIZE)
    s->node_size = s->adapt.min_node = MP_DEFAULT_NODE_SIZE;
  mp__geometry(s, s->node_size);
  size_t first =
      s->node_size + ((s->flags & MP_F_ADAPT) ? mp__struct_block(s) : 0);
  s->counters.reserved = s->counters.peak = first;
  return 0;
}

/* Bytes of the pool struct from member a up to member b. */
#define MP_SPAN(a, b) (offsetof(mp_pool_t, b) - offsetof(mp_pool_t, a))
#define MP_ZERO_PART ((size_t)64)
_Static_assert(offsetof(mp_pool_t, large) < offsetof(mp_pool_t, node_cls) &&
                   offsetof(mp_pool_t, node_cls) <
                       offsetof(mp_pool_t, align_waste) &&
                   offsetof(mp_pool_t, align_waste) <
                       offsetof(mp_pool_t, counters) &&
                   offsetof(mp_pool_t, counters) < offsetof(mp_pool_t, index),
               "the spans build() copies and zeroes");

/* Sets up a new pool's struct at pool, with n its first node, from
 * settled options s (under parent, with the caller's option flags for
 * debug builds); struct_alone: the struct is in a block of its own. */
static MP_INLINE mp_pool_t *set_up(mp_pool_t *pool, struct mp_node *n,
                                   const mp_pool_t *s, bool struct_alone,
                                   mp_pool_t *parent, unsigned opt_flags) {
  (void)opt_flags;
  /* Everything but the index as a new pool starts (the struct is mostly
   * index slots, which need no zeroing): the settled options, and zeros
   * for the running state from align_waste to the end of life, which no
   * settling sets (the window, top and node pointers are set below). */
  pool->large = NULL;
  memcpy(&pool->node_cls, &s->node_cls, MP_SPAN(node_cls, align_waste));
  /* (In parts of at most MP_ZERO_PART bytes, which compilers zero with a
   * few stores rather than a string instruction.) */
  unsigned char *z = (unsigned char *)&pool->align_waste;
  for (size_t i = 0; i < MP_SPAN(align_waste, counters); i += MP_ZERO_PART)
    memset(z + i, 0,
           MP_SPAN(align_waste, counters) - i < MP_ZERO_PART
               ? MP_SPAN(align_waste, counters) - i
               : MP_ZERO_PART);
  memcpy(&pool->counters, &s->counters, MP_SPAN(counters, index));
  MP_HARD_FN(pool, "mp_create_pool");
  /* Before the budget's atomic store, so that the compiler still knows
   * there are no free lists (whose bitmaps mp__node_init() would clear). */
  mp__node_init(pool, n,
                struct_alone ? (unsigned char *)n + s->node_hdr
                             : (unsigned char *)pool +
                                   MP_ALIGN_UP(sizeof *pool, MP_GRANULE));
  mp__budget_link(pool);
  mp__index_init(&pool->index);
  pool->first = n;
#ifdef MP_DEBUG
  mp__dbg_init(pool, opt_flags);
#endif
#if defined(MP_HARDENED) || defined(MP_DEBUG)
  /* Keep the index from the start, so that no lookup ever has to walk
   * node headers that may have been overwritten. */
  (void)mp__index_build(pool); /* cannot fail: the inline slots suffice */
#endif
  mp__node_enter(pool, n);
  mp_track_create(pool);
  mp__life_link(pool, parent);
  if (parent == NULL)
    mp__tree_add(pool);
  if (MP_HOOKING() && !mp__hook_hold)
    mp__hook_created(pool);
  return pool;
}

/* build() for any settled options. */
static MP_NOINLINE mp_pool_t *build_any(const mp_pool_t *s, mp_pool_t *parent,
                                        unsigned opt_flags) {
  /* An adaptive pool keeps its struct in a block of its own, so that a
   * reset may give back every node and change the node size.  The first
   * node (and that block) count against the pool's budget and its
   * ancestors'. */
  bool struct_alone = (s->flags & MP_F_ADAPT) != 0;
  size_t first = s->counters.reserved; /* the node, and that block */
  mp_pool_t *above = s->budget.first;
  /* A first node over the pool's own budget, or over an ancestor's: see
   * mp__oom_create() for whose hook hears of it. */
  if (s->budget.limit != 0 && s->budget.limit < first)
    return mp__oom_create(parent, NULL, first, s->budget.on_oom,
                          s->budget.oom_ud);
  if (above != NULL && !mp__budget_take(above, first))
    return mp__oom_create(parent, mp__budget_crossed(above, first), first,
                          s->budget.on_oom, s->budget.oom_ud);
  mp_pool_t *pool = NULL;
  struct mp_node *n = NULL;
  if (struct_alone &&
      (pool = mp__block_get(s, mp__struct_block(s), MP_GRANULE)) == NULL)
    goto fail;
  if ((n = mp__node_get(s)) == NULL) {
    if (struct_alone)
      mp__block_put(&s->backing, s->flags, pool, mp__struct_block(s),
                    MP_GRANULE);
    goto fail;
  }
  if (!struct_alone)
    pool = (mp_pool_t *)((unsigned char *)n + s->node_hdr);
  return set_up(pool, n, s, struct_alone, parent, opt_flags);

fail:
  if (above != NULL)
    mp__budget_give(above, first);
  return mp__oom_create(parent, NULL, first, s->budget.on_oom,
                        s->budget.oom_ud);
}

/* Builds a pool from settled options s (under parent, with the caller's
 * option flags for debug builds).  The usual case first, with no call:
 * the struct in the first node, no budget here or above, and the node at
 * this thread's cache front; in builds that track, check or debug, the
 * general path. */
static mp_pool_t *build(const mp_pool_t *s, mp_pool_t *parent,
                        unsigned opt_flags) {
  if (!MP_TRACK_ON && !MP_HARD && !MP_DBG && s->node_cls >= 0 &&
      !(s->flags & MP_F_ADAPT) && s->budget.first == NULL &&
      s->budget.limit == 0) {
    struct mp_node *n = mp__blocks_pop(&mp__front, s->node_cls);
    if (n != NULL)
      return set_up((mp_pool_t *)((unsigned char *)n + s->node_hdr), n, s,
                    false, parent, opt_flags);
  }
  return build_any(s, parent, opt_flags);
}

/* Most programs create their pools with a few sets of options, over and
 * over, so the first MP_NKEPT sets that settle from their own values alone
 * (no parent, allocator or buffer, whose settling reads what they point
 * to) are kept with their settled pools and found again by comparing the
 * options' bytes: written once under the cache lock, published by a
 * release store, then only read.  Options whose bytes differ (other
 * values, or padding left unset) are settled afresh, as before. */
#define MP_NKEPT 4
static struct {
  mp_options_t opt;
  mp_pool_t s;
} kept[MP_NKEPT];
static atomic_bool kept_ok[MP_NKEPT];

static const mp_pool_t *kept_for(const mp_options_t *opt) {
  for (int i = 0; i < MP_NKEPT; i++) {
    if (!atomic_load_explicit(&kept_ok[i], memory_order_acquire))
      return NULL; /* filled in order: no more after a free slot */
    if (memcmp(&kept[i].opt, opt, sizeof *opt) == 0)
      return &kept[i].s;
  }
  return NULL;
}

static void keep(const mp_options_t *opt, const mp_pool_t *s) {
  mp__lock();
  for (int i = 0; i < MP_NKEPT; i++) {
    if (atomic_load_explicit(&kept_ok[i], memory_order_relaxed)) {
      if (memcmp(&kept[i].opt, opt, sizeof *opt) == 0)
        break; /* another thread kept it meanwhile */
      continue;
    }
    memcpy(&kept[i].opt, opt, sizeof *opt);
    memcpy(&kept[i].s, s, sizeof *s);
    atomic_store_explicit(&kept_ok[i], true, memory_order_release);
    break;
  }
  mp__unlock();
}

mp_pool_t *mp__create(const mp_options_t *opt) {
  bool keepable =
      opt->parent == NULL && opt->allocator == NULL && opt->buffer == NULL;
  const mp_pool_t *k = keepable ? kept_for(opt) : NULL;
  if (k != NULL)
    return build(k, NULL, opt->flags);
  mp_pool_t s;
  if (settle_all(opt, &s) != 0)
    return NULL;
  if (keepable)
    keep(opt, &s);
  return build(&s, opt->parent, opt->flags);
}

/* mp_create_pool() settles the same options for a node size every time,
 * so the result is kept, one per power-of-two size: written once under
 * the cache lock, published by a release store, then only read. */
#define MP_MIN_SHIFT 10 /* log2(MP_MIN_NODE_SIZE) */
#define MP_NSETTLED 17  /* MP_MIN_NODE_SIZE .. MP_MAX_NODE_SIZE */
_Static_assert(MP_MIN_NODE_SIZE == (size_t)1 << MP_MIN_SHIFT, "min node");
_Static_assert(MP_MAX_NODE_SIZE == (size_t)1
                                       << (MP_MIN_SHIFT + MP_NSETTLED - 1),
               "max node");
static mp_pool_t settled[MP_NSETTLED];
static atomic_bool settled_ok[MP_NSETTLED];

/* mp_create_pool() but for the default size once settled. */
static MP_NOINLINE mp_pool_t *create_sized(size_t size) {
  size_t node = size != 0 ? size : MP_DEFAULT_NODE_SIZE;
  bool keep = node <= MP_MAX_NODE_SIZE; /* else settling fails: EINVAL */
  unsigned k = 0;
  if (keep) {
    node = round_pow2(node < MP_MIN_NODE_SIZE ? MP_MIN_NODE_SIZE : node);
    k = mp__floor_log2(node) - MP_MIN_SHIFT;
    if (atomic_load_explicit(&settled_ok[k], memory_order_acquire))
      return build(&settled[k], NULL, 0);
  }
  mp_options_t opt;
  mp_options_init(&opt);
  opt.node_size = size;
  opt.large_threshold = 0; /* a quarter of this node size */
  mp_pool_t s;
  if (settle_all(&opt, &s) != 0)
    return NULL;
  if (keep) {
    mp__lock();
    if (!atomic_load_explicit(&settled_ok[k], memory_order_relaxed)) {
      memcpy(&settled[k], &s, sizeof s);
      atomic_store_explicit(&settled_ok[k], true, memory_order_release);
    }
    mp__unlock();
  }
  return build(&s, NULL, 0);
}

mp_pool_t *mp__create_sized(size_t size) {
  /* The default size in short, with its slot known at compile time: a
   * smaller size gets the same nodes (MP_POOL_EXACT_NODES in mpool.h). */
  unsigned k = mp__floor_log2(MP_DEFAULT_NODE_SIZE) - MP_MIN_SHIFT;
  if (size <= MP_DEFAULT_NODE_SIZE &&
      atomic_load_explicit(&settled_ok[k], memory_order_acquire))
    return build(&settled[k], NULL, 0);
  return create_sized(size);
}

void mp__reset(mp_pool_t *pool) {
  MP_HARD_FN(pool, "mp_reset_pool");
  MP_OWN(pool, "mp_reset_pool");
  if (mp__life_reset(pool) != 0)
    return;
  mp__reset_memory(pool, "mp_reset_pool");
}

void mp__reset_memory(mp_pool_t *pool, const char *fn) {
  (void)fn;
  MP_HARD_FN(pool, fn); /* a cleanup may have called others */
#ifdef MP_HARDENED
  mp__hard_reset_starts(pool); /* before the sweep clears O */
  mp__canary_sweep_all(pool, fn);
  mp__reuse_check_all(pool, fn);
#endif
  mp__adapt_sample(pool);
  pool->epoch++;
  mp__large_release_all(pool, MP_Q_RESET, fn);
#ifdef MP_DEBUG
  mp__large_quarantine_trim(pool, fn, false);
#endif
  mp__reuse_reset(pool);
  pool->requested = 0;
  if (MP_WIPING(pool))
    mp__wipe_nodes(pool);
  if (MP_TRACK_ON) {
    /* Every object dies: all node memory becomes inaccessible. */
    mp_track_reset(pool);
    for (struct mp_node *n = pool->first; n != NULL; n = n->next)
      mp_track_noaccess(n->start, mp__node_end(pool, n) - (uintptr_t)n->start);
  }
  if (pool->flags & MP_F_ADAPT)
    mp__adapt_reset(pool);
  mp__node_enter(pool, pool->first);
}

void mp__destroy(mp_pool_t *pool) {
  MP_HARD_FN(pool, "mp_destroy_pool");
  MP_OWN(pool, "mp_destroy_pool");
  if (pool->tree.listed && !pool->life.busy)
    mp__tree_unlist(pool); /* before its children go: walks wait */
  if (mp__life_destroy(pool) != 0)
    return;
  MP_HARD_FN(pool, "mp_destroy_pool");
  mp__pool_free(pool);
}

int mpool_version(void) { return MPOOL_VERSION; }
