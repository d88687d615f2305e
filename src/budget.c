/*
 * Byte budgets and the out-of-memory hook.
 *
 * A pool with a budget counts the bytes it and its descendants hold from
 * the block source in `charged`; each acquisition is charged to every
 * budgeted pool from the acquiring one up, before the block is taken, and
 * fails if any of them would go over.  Children may live on other threads
 * than their ancestors, so the counters are atomic (a compare-and-swap
 * loop per budgeted pool on the way up).  Pools with no budget above them
 * have no chain (budget.first is NULL) and pay one predictable branch.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

/* Gives n back to the budgets from `first` up to, not including, `stop`. */
static void give_until(mp_pool_t *first, const mp_pool_t *stop, size_t n) {
  for (mp_pool_t *q = first; q != stop; q = q->budget.up)
    atomic_fetch_sub_explicit(&q->budget.charged, n, memory_order_relaxed);
}

bool mp__budget_take(mp_pool_t *first, size_t n) {
  for (mp_pool_t *q = first; q != NULL; q = q->budget.up) {
    size_t limit = q->budget.limit;
    size_t cur = atomic_load_explicit(&q->budget.charged, memory_order_relaxed);
    do {
      if (n > limit || cur > limit - n) {
        give_until(first, q, n);
        return false;
      }
    } while (!atomic_compare_exchange_weak_explicit(
        &q->budget.charged, &cur, cur + n, memory_order_relaxed,
        memory_order_relaxed));
  }
  return true;
}

void mp__budget_give(mp_pool_t *first, size_t n) { give_until(first, NULL, n); }

void mp__budget_settle(const mp_options_t *opt, mp_pool_t *s) {
  mp_pool_t *parent = opt->parent;
  s->budget.limit = opt->budget;
  s->budget.on_oom = opt->on_oom;
  s->budget.oom_ud = opt->oom_ud;
  if (opt->on_oom == NULL && parent != NULL) {
    s->budget.on_oom = parent->budget.on_oom;
    s->budget.oom_ud = parent->budget.oom_ud;
  }
  /* The chain above the new pool; mp__budget_link() puts the pool itself
   * at its head when it has a budget of its own. */
  s->budget.first = parent != NULL ? parent->budget.first : NULL;
  s->budget.up = NULL;
  atomic_init(&s->budget.charged, 0);
  s->align_waste = 0;
}

void mp__budget_link(mp_pool_t *pool) {
  if (pool->budget.limit == 0)
    return;
  pool->budget.up = pool->budget.first;
  pool->budget.first = pool;
  atomic_store_explicit(&pool->budget.charged, pool->counters.reserved,
                        memory_order_relaxed);
}

/* A pool going away gives what it still holds back to the budgets above
 * it (its own counter goes with it). */
void mp__budget_unlink(mp_pool_t *pool) {
  mp_pool_t *above =
      pool->budget.limit != 0 ? pool->budget.up : pool->budget.first;
  if (above != NULL && pool->counters.reserved != 0)
    mp__budget_give(above, pool->counters.reserved);
}

/* The first pool of the budget chain from `first` up that has no room for
 * n more bytes (the nearest one if others took its room meanwhile). */
mp_pool_t *mp__budget_crossed(mp_pool_t *first, size_t n) {
  for (mp_pool_t *q = first; q != NULL; q = q->budget.up) {
    size_t cur = atomic_load_explicit(&q->budget.charged, memory_order_relaxed);
    if (n > q->budget.limit || cur > q->budget.limit - n)
      return q;
  }
  return first;
}

void mp__oom(mp_pool_t *pool, size_t size) {
  if (pool->budget.on_oom != NULL) {
    bool held = mp__hook_hold; /* the hook's own pools are told */
    mp__hook_hold = false;
    pool->budget.on_oom(pool, size, pool->budget.oom_ud);
    mp__hook_hold = held;
  }
  errno = ENOMEM;
}

/* A pool whose creation failed for lack of `size` bytes: an ancestor
 * whose budget they would cross (`over`, if not NULL) hears of it as of
 * any other request over its budget; otherwise the hook the new pool
 * would have had (`hook`, its own or its parent's) hears of it, named by
 * the parent, as the new pool never existed.  A root has no pool to name
 * and calls no hook.  NULL with errno ENOMEM. */
void *mp__oom_create(mp_pool_t *parent, mp_pool_t *over, size_t size,
                     void (*hook)(mp_pool_t *, size_t, void *), void *ud) {
  if (over != NULL)
    mp__oom(over, size);
  else if (parent != NULL && hook != NULL) {
    bool held = mp__hook_hold; /* the hook's own pools are told */
    mp__hook_hold = false;
    hook(parent, size, ud);
    mp__hook_hold = held;
  }
  errno = ENOMEM;
  return NULL;
}
