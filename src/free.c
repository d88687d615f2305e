/*
 * Freeing single objects early and resizing them: mp_free_sized(),
 * mp_realloc(), pools with size headers, and the interpreter allocator
 * function.  The free-list mechanics live in reuse.c.
 *
 * Which bytes an object owns: one from mp_alloc(), mp_calloc() or
 * mp_memalign() starts on a granule and owns whole granules up to the end
 * of its size rounded up.  One from mp_nalloc() is packed against its
 * neighbours, so it owns exactly its bytes: freeing it returns the granules
 * wholly inside it (and everything, when it is the most recent).  mp_nalloc()
 * never leaves an object that starts on a granule sharing its last granule
 * with another, so "starts on a granule" is enough to tell the two apart.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "events.h"
#include "mp_internal.h"

#include <string.h>

/* Checks that [p, p + size) can be a small object of node n. */
static bool small_ok(const mp_pool_t *pool, const struct mp_node *n,
                     const void *p, size_t size) {
  uintptr_t a = (uintptr_t)p;
  return a >= mp__node_start(pool, n) && size <= pool->max &&
         size <= mp__node_end(pool, n) - a;
}

/* In a wiping pool, zeroes the bytes an object no longer holds: all of
 * them when it is freed, its tail when it shrinks in place. */
static void wipe_tail(const mp_pool_t *pool, void *p, size_t old,
                      size_t new_size) {
  if (MP_WIPING(pool) && new_size < old)
    mp__wipe((unsigned char *)p + new_size, old - new_size);
}

static int free_small(mp_pool_t *pool, struct mp_node *n, void *p,
                      size_t size) {
  if (size == 0)
    size = 1;
  if (!small_ok(pool, n, p, size)) {
    errno = EINVAL;
    return -1;
  }
  uintptr_t a = (uintptr_t)p, e = a + size, b;
  if (MP_WIPING(pool)) /* with the rounding of an object it owns */
    mp__wipe_hidden(p,
                    (a % MP_GRANULE == 0 ? MP_ALIGN_UP(e, MP_GRANULE) : e) - a);
  mp_track_free(pool, p, size);
  if (n == pool->current && p == (void *)pool->top) {
    mp__reuse_top(pool, n, e); /* the most recent mp_nalloc() */
    return 0;
  }
  if (a % MP_GRANULE == 0) {
    b = MP_ALIGN_UP(e, MP_GRANULE) + MP_RZ;
  } else {
    a = MP_ALIGN_UP(a, MP_GRANULE);
    b = MP_ALIGN_DOWN(e, MP_GRANULE);
    if (a >= b)
      return 0;
  }
  mp__reuse_range(pool, n, a, b);
  return 0;
}

/* ---- pools with size headers ---- */

/* The header of p, or NULL if it cannot be one of this node's. */
static struct mp_hdr *header_of(const mp_pool_t *pool, const struct mp_node *n,
                                void *p) {
  uintptr_t a = (uintptr_t)p;
  if (a % MP_GRANULE != 0 || a < (uintptr_t)n->start + MP_GRANULE)
    return NULL;
  struct mp_hdr *h = (struct mp_hdr *)p - 1;
  if (!MP_IS_POW2(h->offset) || h->offset < MP_GRANULE ||
      h->offset > a - (uintptr_t)n->start ||
      !small_ok(pool, n, (unsigned char *)p - h->offset, h->size + h->offset))
    return NULL;
  return h;
}

int mp__free_hdr(mp_pool_t *pool, struct mp_node *n, void *p) {
  struct mp_hdr *h = header_of(pool, n, p);
  if (h == NULL) {
    errno = EINVAL;
    return -1;
  }
  uintptr_t a = (uintptr_t)p - h->offset;
  uintptr_t b = MP_ALIGN_UP((uintptr_t)p + h->size, MP_GRANULE) + MP_RZ;
  if (MP_WIPING(pool))
    mp__wipe_hidden(p, MP_ALIGN_UP((uintptr_t)p + h->size, MP_GRANULE) -
                           (uintptr_t)p);
  mp_track_free(pool, p, h->size);
  mp_track_noaccess(h, sizeof *h);
  mp__reuse_range(pool, n, a, b);
  return 0;
}

/* Frees p, which lies in node n of this pool. */
static int free_in_node(mp_pool_t *pool, struct mp_node *n, void *p,
                        size_t size) {
#ifdef MP_HARDENED
  mp__hard_check_free(pool, n, p, size, "mp_free_sized");
#endif
  if (pool->flags & MP_F_HEADERS)
    return mp__free_hdr(pool, n, p);
  return free_small(pool, n, p, size);
}

MP_ENTRY int mp__free_sized(mp_pool_t *pool, void *p, size_t size) {
  MP_OWN(pool, "mp_free_sized");
  if (p == NULL)
    return 0;
  MP_HARD_FN(pool, "mp_free_sized");
#ifdef MP_DEBUG
  struct mp_large *dl = mp__large_of(pool, p);
  if (dl == NULL)
    mp__dbg_check_free(pool, p, "mp_free_sized"); /* aborts */
  if (dl->small && !(pool->flags & MP_F_HEADERS))
    mp__dbg_check_size(dl, size, "mp_free_sized");
  mp__large_release(pool, dl, MP_Q_FREE, "mp_free_sized");
  return 0;
#endif
  /* The size says which lookup is likely to hit: one suffices mostly. */
  struct mp_node *n = NULL;
  if (size <= pool->max && (n = mp__node_of(pool, p)) != NULL)
    return mp__reuse_cache(pool, n, p, size) ? 0
                                             : free_in_node(pool, n, p, size);
  struct mp_large *l = mp__large_of(pool, p);
  if (l != NULL) {
#ifdef MP_HARDENED
    mp__hard_check_large(pool, l, "mp_free_sized");
#endif
    mp__large_release(pool, l, MP_Q_FREE, "mp_free_sized");
    return 0;
  }
  n = mp__node_of(pool, p);
  if (n == NULL) {
#ifdef MP_HARDENED
    mp__hard_fail("mp_free_sized",
                  "free of a pointer the pool does not own:", p, pool);
#endif
    errno = EINVAL;
    return -1;
  }
  return free_in_node(pool, n, p, size);
}

/* ---- resizing ---- */

static void *move(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                  bool packed) {
#ifdef MP_HARDENED
  const char *fn = pool->fn; /* the allocation records its own name */
#endif
  void *q =
      packed ? mp__nalloc(pool, new_size) : mp__alloc_slow(pool, new_size);
  MP_HARD_FN(pool, fn);
  if (q == NULL)
    return NULL;
  if (pool->flags & MP_F_COUNT)
    pool->requested -= new_size; /* resize() counts the request once */
  memcpy(q, p, old < new_size ? old : new_size);
  return q;
}

static void *realloc_large(mp_pool_t *pool, struct mp_large *l, void *p,
                           size_t new_size) {
  /* Room after p for the object and its red zone (granules). */
  size_t cap = l->block_size -
               (size_t)((unsigned char *)p - (unsigned char *)l->base) - MP_RZ;
  mp_ev_resize_start(pool, NULL, p, l->size);
  if (new_size > pool->max && new_size <= cap) {
    wipe_tail(pool, p, l->size, new_size);
    mp_ev_resize_end(pool, NULL, p, l->size, new_size);
    l->size = new_size; /* fits the block it has: in place */
    return p;
  }
  /* A shrink that finds no memory to move into keeps its block and
   * succeeds: the out-of-memory hook, which hears of failed calls only,
   * is muted meanwhile. */
  bool shrink = new_size <= l->size;
  void (*hook)(mp_pool_t *, size_t, void *) = pool->budget.on_oom;
  if (shrink)
    pool->budget.on_oom = NULL;
  void *q = new_size > pool->max ? mp__large_alloc(pool, new_size, l->align)
                                 : move(pool, p, 0, new_size, false);
  pool->budget.on_oom = hook;
  if (q == NULL && shrink) {
    wipe_tail(pool, p, l->size, new_size);
    mp_ev_resize_end(pool, NULL, p, l->size, new_size);
    l->size = new_size; /* shrinking never fails: keep the block */
    return p;
  }
  if (q == NULL)
    return NULL;
  memcpy(q, p, l->size < new_size ? l->size : new_size);
  mp__large_release(pool, l, MP_Q_FREE, "mp_realloc");
  return q;
}

#ifdef MP_DEBUG
/* Debug builds: every object is a block.  Shrinking keeps it (with a new
 * red zone); growing moves it to a new block and quarantines the old. */
static void *realloc_debug(mp_pool_t *pool, struct mp_large *l, void *p,
                           size_t old, size_t new_size, bool sized) {
  (void)old; /* shrunk objects may pass a size they had before */
  if (l->small && !sized && !(pool->flags & MP_F_HEADERS))
    return mp__fail(EINVAL); /* as for a small object in release builds */
  if (new_size <= l->size) {
    mp__dbg_shrink(pool, l, new_size);
    return p;
  }
  void *q = mp__large_alloc_as(pool, new_size, l->align, new_size <= pool->max);
  if (q == NULL)
    return NULL;
  memcpy(q, p, l->size);
  mp__large_release(pool, l, MP_Q_FREE, "mp_realloc");
  return q;
}
#endif

/* Resizes the small object [p, p + old) of node n in place if it can. */
static bool resize_in_place(mp_pool_t *pool, struct mp_node *n, void *p,
                            size_t old, size_t new_size) {
  uintptr_t a = (uintptr_t)p;
  uintptr_t ob = MP_ALIGN_UP(a + old, MP_GRANULE) + MP_RZ;
  uintptr_t nb = MP_ALIGN_UP(a + new_size, MP_GRANULE) + MP_RZ;
  if (new_size > pool->max)
    return false;
  wipe_tail(pool, p, old, new_size); /* a shrink always succeeds */
  if (nb < ob) {
    mp__reuse_range(pool, n, nb, ob);
    return true;
  }
  if (nb == ob)
    return true;
  if (pool->life.marks != NULL && mp__mark_crossed(pool, n, a, nb))
    return false; /* it moves: a rewind would give the tail away */
  /* A chunk in the hot cache looks live: when the object cannot grow,
   * the cached chunk after it (if any) merges with its free neighbours
   * (which may also move the bump pointer), and the object tries again. */
  for (;;) {
    if (n == pool->current && ob == (uintptr_t)pool->w.ptr &&
        nb <= MP_ALIGN_DOWN((uintptr_t)pool->top, MP_GRANULE)) {
      pool->w.ptr = (unsigned char *)nb;
      mp__set_window(pool);
      return true;
    }
    if (mp__reuse_grow(pool, n, ob, nb))
      return true;
    if (!mp__reuse_uncache(pool, n, ob))
      return false;
  }
}

static void *realloc_small(mp_pool_t *pool, struct mp_node *n, void *p,
                           size_t old, size_t new_size) {
  bool packed = (uintptr_t)p % MP_GRANULE != 0 ||
                (n == pool->current && p == (void *)pool->top);
  /* With red zones nothing is packed: the canary moves with the end. */
  mp_ev_resize_start(pool, n, p, old);
  if (packed) {
    if (new_size <= old) {
      wipe_tail(pool, p, old, new_size);
      return p; /* the tail stays with it until reset */
    }
  } else if (resize_in_place(pool, n, p, old, new_size)) {
    mp_ev_resize_end(pool, n, p, old, new_size);
    return p;
  }
  void *q = move(pool, p, old, new_size, packed);
  /* The old object goes as mp_free_sized() frees it: the hot cache first. */
  if (q != NULL && !mp__reuse_cache(pool, n, p, old))
    (void)free_small(pool, n, p, old);
  else
    mp_ev_resize_end(pool, n, p, old, old); /* p stays as it was */
  return q;
}

static void *resize_object(mp_pool_t *pool, void *p, size_t old,
                           size_t new_size, bool sized);

MP_ENTRY void *mp__resize(mp_pool_t *pool, void *p, size_t old, size_t new_size,
                          bool sized) {
  MP_HARD_FN(pool, sized ? "mp_realloc" : "mp_realloc_unsized");
  MP_OWN(pool, "mp_realloc");
  if (p == NULL)
    return mp__alloc_slow(pool, new_size);
  if (new_size > MP_MAX_ALLOC_SIZE)
    return mp__fail(EOVERFLOW);
  if (new_size == 0)
    new_size = 1;
  mp__count(pool, new_size); /* taken back below if the call fails */
  void *q = resize_object(pool, p, old, new_size, sized);
  if (q == NULL && (pool->flags & MP_F_COUNT))
    pool->requested -= new_size;
  return q;
}

static void *resize_object(mp_pool_t *pool, void *p, size_t old,
                           size_t new_size, bool sized) {
  struct mp_large *l = mp__large_of(pool, p);
#ifdef MP_DEBUG
  if (l == NULL)
    mp__dbg_check_free(pool, p, "mp_realloc"); /* aborts */
  return realloc_debug(pool, l, p, old, new_size, sized);
#endif
  if (l != NULL)
    return realloc_large(pool, l, p, new_size);
  struct mp_node *n = mp__node_of(pool, p);
  if (n == NULL)
    return mp__fail(EINVAL);
  if (pool->flags & MP_F_HEADERS) {
    struct mp_hdr *h = header_of(pool, n, p);
    if (h == NULL)
      return mp__fail(EINVAL);
    mp_ev_resize_start(pool, n, p, h->size);
    if (new_size <= pool->max - h->offset &&
        resize_in_place(pool, n, p, h->size, new_size)) {
      mp_ev_resize_end(pool, n, p, h->size, new_size);
      h->size = new_size;
      return p;
    }
    void *q = move(pool, p, h->size, new_size, false);
    if (q != NULL)
      (void)mp__free_hdr(pool, n, p);
    else
      mp_ev_resize_end(pool, n, p, h->size, h->size);
    return q;
  }
  if (!sized)
    return mp__fail(EINVAL);
  if (old == 0)
    old = 1;
  if (!small_ok(pool, n, p, old))
    return mp__fail(EINVAL);
  return realloc_small(pool, n, p, old, new_size);
}

/* mp_free(): a large block goes back at once; a small object in a pool
 * with size headers goes to the free lists, one without lives until reset
 * or destroy. */
MP_ENTRY int mp__free(mp_pool_t *pool, void *p) {
  MP_OWN(pool, "mp_free");
  if (p == NULL)
    return 0;
  MP_HARD_FN(pool, "mp_free");
  struct mp_large *l;
  struct mp_node *n;
  bool owned = mp__owner(pool, p, &l, &n);
  if (l != NULL) {
#ifdef MP_HARDENED
    mp__hard_check_large(pool, l, "mp_free");
#endif
#ifdef MP_DEBUG
    if (l->small && !(pool->flags & MP_F_HEADERS))
      return 0; /* a small object: it lives until reset or destroy */
#endif
    mp__large_release(pool, l, MP_Q_FREE, "mp_free");
    return 0;
  }
#ifdef MP_DEBUG
  mp__dbg_check_free(pool, p, "mp_free"); /* aborts */
#endif
  if (owned) { /* a small object: it lives until reset or destroy */
    if (!(pool->flags & MP_F_HEADERS))
      return 0;
#ifdef MP_HARDENED
    mp__hard_check_free(pool, n, p, 0, "mp_free");
#endif
    return mp__free_hdr(pool, n, p);
  }
#ifdef MP_HARDENED
  mp__hard_fail("mp_free", "free of a pointer the pool does not own:", p, pool);
#endif
  errno = EINVAL;
  return -1;
}
