/*
 * The pool tree's registry: the process's list of root pools, under a lock
 * of its own, and each pool's names block (name, identifier, hook).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"
#include "mp_platform.h"

#include <string.h>

static mp_pool_t *roots, *newest; /* oldest first; under mp__tree_lock() */

void mp__tree_add(mp_pool_t *pool) {
  mp__tree_lock();
  pool->tree.prev = newest;
  pool->tree.next = NULL;
  if (newest != NULL)
    newest->tree.next = pool;
  else
    roots = pool;
  newest = pool;
  pool->tree.listed = true;
  mp__tree_unlock();
}

/* Takes a listed pool off the list (lock held). */
static void tree_unlist_locked(mp_pool_t *pool) {
  struct mp_tree *t = &pool->tree;
  if (t->prev != NULL)
    t->prev->tree.next = t->next;
  else
    roots = t->next;
  if (t->next != NULL)
    t->next->tree.prev = t->prev;
  else
    newest = t->prev;
  t->prev = t->next = NULL;
  t->listed = false;
}

void mp__tree_unlist(mp_pool_t *pool) {
  mp__tree_lock();
  if (pool->tree.listed)
    tree_unlist_locked(pool);
  mp__tree_unlock();
}

mp_pool_t *mp__tree_roots(void) { return roots; }

/* Gives a names block back (the pool's, counted in its reserved bytes). */
static void ext_free(mp_pool_t *pool, struct mp_ext *x) {
  size_t bytes = x->bytes;
  mp__block_put(&pool->backing, pool->flags, x, bytes, MP_GRANULE);
  mp__unreserve(pool, bytes);
}

void mp__tree_leave_slow(mp_pool_t *pool) {
  mp__tree_lock();
  if (pool->tree.listed)
    tree_unlist_locked(pool);
  struct mp_ext *x = pool->tree.ext;
  pool->tree.ext = NULL;
  mp__tree_unlock();
  if (x != NULL) {
    if (x->hook != NULL)
      atomic_fetch_sub_explicit(&mp__hooks_on, 1, memory_order_relaxed);
    ext_free(pool, x);
  }
}

/* A names block of at least `need` bytes (*bytes) for the pool, counted;
 * or NULL. */
static struct mp_ext *ext_new(mp_pool_t *pool, size_t need, size_t *size) {
  size_t bytes = *size = mp__block_size(pool, need, MP_GRANULE);
  struct mp_ext *x = NULL;
  if (mp__reserve(pool, bytes)) {
    x = mp__block_get(pool, bytes, MP_GRANULE);
    if (x == NULL)
      mp__unreserve(pool, bytes);
  }
  if (x == NULL)
    return NULL;
  memset(x, 0, sizeof *x);
  x->bytes = bytes;
  return x;
}

/* Copies n bytes of s and a NUL to at; returns where the copy starts. */
static const char *copy_name(char *at, const char *s, size_t n) {
  memcpy(at, s, n);
  at[n] = '\0';
  return at;
}

int mp__tree_rename(mp_pool_t *pool, const char *name, const char *ident) {
  size_t nl = name != NULL ? strlen(name) : 0;
  size_t il = ident != NULL ? strlen(ident) : 0;
  size_t head = MP_ALIGN_UP(sizeof(struct mp_ext), MP_GRANULE);
  if (nl > MP_MAX_ALLOC_SIZE - head - 2 ||
      il > MP_MAX_ALLOC_SIZE - head - 2 - nl) {
    errno = EOVERFLOW;
    return -1;
  }
  mp__tree_lock(); /* walks read the names and the reserved bytes */
  struct mp_ext *old = pool->tree.ext;
  size_t bytes;
  struct mp_ext *x = ext_new(pool, head + nl + 1 + il + 1, &bytes);
  if (x == NULL) {
    mp__tree_unlock();
    mp__oom(pool, bytes); /* out of the lock: the hook may walk */
    return -1;
  }
  char *text = (char *)x + head;
  x->name = name != NULL ? copy_name(text, name, nl) : NULL;
  x->ident = ident != NULL ? copy_name(text + nl + 1, ident, il) : NULL;
  if (old != NULL) {
    x->hook = old->hook;
    x->hook_arg = old->hook_arg;
    x->hook_flags = old->hook_flags;
  }
  pool->tree.ext = x;
  if (old != NULL)
    ext_free(pool, old);
  mp__tree_unlock();
  return 0;
}

struct mp_ext *mp__tree_ext(mp_pool_t *pool) {
  if (pool->tree.ext != NULL)
    return pool->tree.ext;
  return mp__tree_rename(pool, NULL, NULL) == 0 ? pool->tree.ext : NULL;
}
