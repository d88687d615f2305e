/** @file
 * mpool/jansson.h -- Jansson allocation functions (json_set_alloc_funcs)
 * that allocate from a pool.
 *
 *     mp_pool_t *pool = mp_jansson_create_pool(NULL);  (size headers on)
 *     mp_jansson_use(pool);                            (installs the funcs)
 *     json_error_t err;
 *     json_t *doc = json_loads(text, 0, &err);
 *     char *out = json_dumps(doc, JSON_COMPACT);
 *     ...
 *     mp_reset_pool(pool);    (frees doc and out; json_decref is optional)
 *     mp_jansson_use(NULL);   (back to malloc and free)
 *
 * The rule: Jansson's allocation functions are process-wide and take no
 * user data, so the adapter keeps the pool in one static pointer, set with
 * mp_jansson_use().  One pool at a time per process serves Jansson: call
 * mp_jansson_use() while no other thread is inside Jansson, and switch
 * pools (or back to malloc) only once every json_t and string of the old
 * pool is freed or its pool reset -- Jansson would otherwise free it into
 * the new pool.  Threads that use Jansson after a switch must see it
 * (start them after it, or synchronise).  Several threads may use Jansson
 * at once only if the pool is MP_POOL_SHARED (mp_jansson_create_pool()
 * with that flag); resetting the pool still needs all of them out of it.
 * The pointer and the functions belong to the source file that includes
 * this header: the functions mp_jansson_use() installs read that file's
 * pointer.
 *
 * Pool mode: Jansson frees without a size, so the pool must be created
 * with MP_POOL_SIZE_HEADERS (mp_jansson_create_pool() sets it).  That costs
 * a 16-byte header per small object (more for alignments above 16) and
 * takes every allocation off the inline fast path; a pool without it would
 * keep every freed small object until reset.
 *
 * Header-only: every function is static inline.  Needs Jansson 2.0 or
 * later and mpool.h; C99 or later.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_JANSSON_H
#define MPOOL_JANSSON_H

#include <stddef.h>
#include <stdlib.h> /* malloc, free: Jansson's defaults */

#include <jansson.h>

#include "adapter.h" /* mpool/adapter.h */
#include "mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The pool the functions of this source file allocate from (internal). */
static mp_pool_t *mp__jansson_pool = NULL;

/**
 * Jansson's malloc function: `size` bytes from the pool set with
 * mp_jansson_use(), aligned as mp_alloc() results are.
 * @param size  bytes wanted (0 gives a unique minimal object).
 * @return the memory, or NULL with errno EINVAL (no pool set), EOVERFLOW or
 *         ENOMEM; Jansson then fails the call (json_loads() returns NULL
 *         and fills its json_error_t).
 * @threadsafety as mp_alloc() on the pool: one thread at a time, or any
 *         number on a MP_POOL_SHARED pool.
 */
static inline void *mp_jansson_malloc(size_t size) {
  return mp_alloc(mp__jansson_pool, size);
}

/**
 * Jansson's free function: frees `ptr`, an object of the pool set with
 * mp_jansson_use(), by mp_free() (which, in a pool with
 * MP_POOL_SIZE_HEADERS, reuses its memory at once).  NULL is ignored; a
 * pointer the pool does not own is ignored in release builds (hardened and
 * debug builds abort on it).
 * @param ptr  the object, or NULL.
 * @threadsafety as mp_free() on the pool.
 */
static inline void mp_jansson_free(void *ptr) {
  if (ptr != NULL)
    (void)mp_free(mp__jansson_pool, ptr);
}

/**
 * Makes Jansson allocate from `pool`: sets the adapter's pool and installs
 * mp_jansson_malloc() and mp_jansson_free() with json_set_alloc_funcs().
 * NULL restores malloc and free.  See the rule at the top of this header.
 * @param pool  a pool created with MP_POOL_SIZE_HEADERS, or NULL.
 * @threadsafety changes process-wide state: no thread may be inside
 *         Jansson during the call.
 */
static inline void mp_jansson_use(mp_pool_t *pool) {
  mp__jansson_pool = pool;
  if (pool == NULL)
    json_set_alloc_funcs(malloc, free);
  else
    json_set_alloc_funcs(mp_jansson_malloc, mp_jansson_free);
}

/**
 * Creates a pool for Jansson: mp_create_pool_ex() with `opt` (NULL: the
 * defaults) and MP_POOL_SIZE_HEADERS added to its flags.  Add
 * MP_POOL_SHARED to opt->flags for Jansson on several threads at once.
 * @param opt  options, or NULL; only read.
 * @return the pool, or NULL with errno as mp_create_pool_ex().
 * @threadsafety may be called from any thread at any time (with
 *         opt->parent set, as mp_create_pool_ex()).
 */
static inline mp_pool_t *mp_jansson_create_pool(const mp_options_t *opt) {
  return mp__adapter_pool(opt, MP_POOL_SIZE_HEADERS);
}

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_JANSSON_H */
