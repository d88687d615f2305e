/*
 * buffer.h: what buffer.c offers the other files: pools on caller memory.
 * Included by mp_internal.h, after the types every layer shares.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_BUFFER_H
#define MP_BUFFER_H

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

#endif /* MP_BUFFER_H */
