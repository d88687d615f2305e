/*
 * Pools on caller memory: a block source over a buffer the caller provides
 * (mp_options_t.buffer), which the pool uses as its backing allocator.
 *
 * The source's state sits at the start of the buffer; the rest is a list
 * of free spans in address order, each starting with its link and size
 * (spans are granule aligned and whole granules long).  A request takes
 * the first span that holds it at its alignment (nodes are aligned to the
 * node size, so the span may be split in three); a block given back merges
 * with the free spans on either side, so a buffer whose blocks all came
 * back is one span again.  Requests are few (nodes, large blocks, tables)
 * and the list stays short, so first fit is enough.
 *
 * With MP_POOL_BUFFER_OVERFLOW, a request the buffer cannot serve goes to
 * the allocator the pool would otherwise have used, and a block given back
 * goes to wherever its address says it came from.  Children of a buffer
 * pool share its source, possibly from other threads: a spin lock guards
 * the list (held for a short walk, never across a call out).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <string.h>

struct mp_span {
  struct mp_span *next;
  size_t size;
};

struct mp_buf {
  atomic_flag lock;
  uintptr_t lo, hi;     /* the spans' range */
  struct mp_span *free; /* address order */
  bool overflow;
  mp_allocator_t over; /* where overflow goes */
};

_Static_assert(sizeof(struct mp_span) <= MP_GRANULE, "a span fits a granule");

static void lock(struct mp_buf *b) {
  while (atomic_flag_test_and_set_explicit(&b->lock, memory_order_acquire))
    ;
}

static void unlock(struct mp_buf *b) {
  atomic_flag_clear_explicit(&b->lock, memory_order_release);
}

static struct mp_span *span_at(uintptr_t a, size_t size, struct mp_span *next) {
  struct mp_span *s = (struct mp_span *)a;
  s->next = next;
  s->size = size;
  return s;
}

/* Takes [p, p + size) out of the first span that holds it; 0 if none. */
static uintptr_t buf_take(struct mp_buf *b, size_t size, size_t align) {
  for (struct mp_span **at = &b->free; *at != NULL; at = &(*at)->next) {
    struct mp_span *s = *at;
    uintptr_t a = (uintptr_t)s, e = a + s->size;
    uintptr_t p = MP_ALIGN_UP(a, align);
    if (p < a || p > e || size > e - p)
      continue;
    struct mp_span *next = s->next;
    if (e > p + size)
      next = span_at(p + size, e - (p + size), next);
    if (p > a)
      s->next = next, s->size = p - a; /* the part before stays */
    else
      *at = next;
    return p;
  }
  return 0;
}

/* Puts [p, p + size) back on the list, merging with its neighbours. */
static void give(struct mp_buf *b, uintptr_t p, size_t size) {
  struct mp_span *prev = NULL, *next = b->free;
  while (next != NULL && (uintptr_t)next < p) {
    prev = next;
    next = next->next;
  }
  if (next != NULL && p + size == (uintptr_t)next) {
    size += next->size;
    next = next->next;
  }
  if (prev != NULL && (uintptr_t)prev + prev->size == p) {
    prev->size += size;
    prev->next = next;
    return;
  }
  struct mp_span *s = span_at(p, size, next);
  if (prev != NULL)
    prev->next = s;
  else
    b->free = s;
}

static void *buf_alloc(void *ud, size_t size, size_t align) {
  struct mp_buf *b = ud;
  size_t need = MP_ALIGN_UP(size, MP_GRANULE);
  uintptr_t p = 0;
  if (need >= size) { /* else the size wraps: no span holds it */
    lock(b);
    p = buf_take(b, need, align < MP_GRANULE ? MP_GRANULE : align);
    unlock(b);
  }
  if (p != 0)
    return (void *)p;
  return b->overflow ? b->over.alloc(b->over.ud, size, align) : NULL;
}

static void buf_free(void *ud, void *ptr, size_t size) {
  struct mp_buf *b = ud;
  uintptr_t p = (uintptr_t)ptr;
  if (p < b->lo || p >= b->hi) {
    b->over.free(b->over.ud, ptr, size); /* an overflow block */
    return;
  }
  lock(b);
  give(b, p, MP_ALIGN_UP(size, MP_GRANULE));
  unlock(b);
}

/* Default node size in a buffer of `size` bytes: a quarter of it, as a
 * power of two within [MP_MIN_NODE_SIZE, MP_DEFAULT_NODE_SIZE]. */
size_t mp__buf_node_size(size_t size) {
  size_t q = size / 4;
  if (q < MP_MIN_NODE_SIZE)
    return MP_MIN_NODE_SIZE;
  if (q > MP_DEFAULT_NODE_SIZE)
    return MP_DEFAULT_NODE_SIZE;
  return (size_t)1 << mp__floor_log2(q);
}

/* Whether [lo, hi) of a fresh buffer holds `before` bytes and then a node
 * of node_size bytes at its alignment, as creation takes them (the spans
 * are taken first fit, lowest address first). */
static bool room(uintptr_t lo, uintptr_t hi, size_t node_size, size_t before) {
  if (lo > hi || before > hi - lo)
    return false;
  uintptr_t node = MP_ALIGN_UP(lo + before, node_size);
  return node >= lo && node <= hi && hi - node >= node_size;
}

int mp__buf_settle(const mp_options_t *opt, mp_pool_t *s) {
  bool overflow = (opt->flags & MP_POOL_BUFFER_OVERFLOW) != 0;
  if (opt->buffer == NULL) {
    if (opt->buffer_size == 0 && !overflow)
      return 0;
    errno = EINVAL; /* a size or the flag without a buffer */
    return -1;
  }
  uintptr_t start = (uintptr_t)opt->buffer;
  if (opt->buffer_size < MP_MIN_BUFFER_SIZE ||
      opt->buffer_size > UINTPTR_MAX - start) {
    errno = EINVAL;
    return -1;
  }
  uintptr_t at = MP_ALIGN_UP(start, alignof(struct mp_buf));
  uintptr_t lo = MP_ALIGN_UP(at + sizeof(struct mp_buf), MP_GRANULE);
  uintptr_t hi = MP_ALIGN_DOWN(start + opt->buffer_size, MP_GRANULE);
  s->flags &= ~(unsigned)MP_F_CACHED; /* the block cache is bypassed */
  /* What creation takes before the first node: the pool's struct when it
   * lives in a block of its own. */
  size_t before = (s->flags & MP_F_ADAPT) ? mp__struct_block(s) : 0;
  if (!room(lo, hi, s->node_size, before)) {
    errno = EINVAL; /* no room for what creation takes */
    return -1;
  }
  struct mp_buf *b = (struct mp_buf *)at;
  atomic_flag_clear(&b->lock);
  b->lo = lo;
  b->hi = hi;
  b->free = span_at(lo, hi - lo, NULL);
  b->overflow = overflow;
  b->over = s->backing;
  s->backing.alloc = buf_alloc;
  s->backing.free = buf_free;
  s->backing.ud = b;
  return 0;
}
