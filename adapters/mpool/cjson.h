/** @file
 * mpool/cjson.h -- cJSON hooks (cJSON_InitHooks) that allocate from a pool.
 *
 *     mp_pool_t *pool = mp_cjson_create_pool(NULL);  (size headers on)
 *     mp_cjson_use(pool);                            (installs the hooks)
 *     cJSON *doc = cJSON_Parse(text);
 *     char *out = cJSON_PrintUnformatted(doc);
 *     ...
 *     mp_reset_pool(pool);      (frees doc and out; cJSON_Delete is optional)
 *     mp_cjson_use(NULL);       (back to malloc and free)
 *
 * The rule: cJSON's hooks are process-wide and take no user data, so the
 * adapter keeps the pool in one static pointer, set with mp_cjson_use().
 * One pool at a time per process serves cJSON: call mp_cjson_use() while
 * no other thread is inside cJSON, and switch pools (or back to malloc with
 * mp_cjson_use(NULL)) only once every cJSON object and string of the old
 * pool is freed or its pool reset -- cJSON would otherwise free it into
 * the new pool.  Threads that use cJSON after a switch must see it (start
 * them after it, or synchronise).  Several threads may use cJSON at once
 * only if the pool is MP_POOL_SHARED (mp_cjson_create_pool() with that
 * flag); resetting the pool still needs all of them out of it.
 * The pointer and the hooks belong to the source file that includes this
 * header: the hooks mp_cjson_use() installs read that file's pointer.
 *
 * Pool mode: cJSON frees without a size, so the pool must be created with
 * MP_POOL_SIZE_HEADERS (mp_cjson_create_pool() sets it).  That costs a
 * 16-byte header per small object (more for alignments above 16) and takes
 * every allocation off the inline fast path; a pool without it would keep
 * every freed small object until reset.
 *
 * Header-only: every function is static inline.  Needs cJSON 1.7 or later
 * and mpool.h; C99 or later.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_CJSON_H
#define MPOOL_CJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "adapter.h" /* mpool/adapter.h */
#include "mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CJSON_CDECL
#define CJSON_CDECL
#endif

/* The pool the hooks of this source file allocate from (internal). */
static mp_pool_t *mp__cjson_pool = NULL;

/**
 * cJSON's malloc_fn: `size` bytes from the pool set with mp_cjson_use(),
 * aligned as mp_alloc() results are.
 * @param size  bytes wanted (0 gives a unique minimal object).
 * @return the memory, or NULL with errno EINVAL (no pool set), EOVERFLOW or
 *         ENOMEM; cJSON then fails the call (cJSON_Parse() returns NULL).
 * @threadsafety as mp_alloc() on the pool: one thread at a time, or any
 *         number on a MP_POOL_SHARED pool.
 */
static inline void *CJSON_CDECL mp_cjson_malloc(size_t size) {
  return mp_alloc(mp__cjson_pool, size);
}

/**
 * cJSON's free_fn: frees `ptr`, an object of the pool set with
 * mp_cjson_use(), by mp_free() (which, in a pool with
 * MP_POOL_SIZE_HEADERS, reuses its memory at once).  NULL is ignored; a
 * pointer the pool does not own is ignored in release builds (hardened and
 * debug builds abort on it).
 * @param ptr  the object, or NULL.
 * @threadsafety as mp_free() on the pool.
 */
static inline void CJSON_CDECL mp_cjson_free(void *ptr) {
  if (ptr != NULL)
    (void)mp_free(mp__cjson_pool, ptr);
}

/**
 * Makes cJSON allocate from `pool`: sets the adapter's pool and installs
 * mp_cjson_malloc() and mp_cjson_free() with cJSON_InitHooks().  NULL
 * restores cJSON's defaults (malloc, free and realloc).  See the rule at
 * the top of this header.
 * @param pool  a pool created with MP_POOL_SIZE_HEADERS, or NULL.
 * @threadsafety changes process-wide state: no thread may be inside cJSON
 *         during the call.
 */
static inline void mp_cjson_use(mp_pool_t *pool) {
  mp__cjson_pool = pool;
  if (pool == NULL) {
    cJSON_InitHooks(NULL);
  } else {
    cJSON_Hooks hooks;
    hooks.malloc_fn = mp_cjson_malloc;
    hooks.free_fn = mp_cjson_free;
    cJSON_InitHooks(&hooks);
  }
}

/**
 * Creates a pool for cJSON: mp_create_pool_ex() with `opt` (NULL: the
 * defaults) and MP_POOL_SIZE_HEADERS added to its flags.  Add
 * MP_POOL_SHARED to opt->flags for cJSON on several threads at once.
 * @param opt  options, or NULL; only read.
 * @return the pool, or NULL with errno as mp_create_pool_ex().
 * @threadsafety may be called from any thread at any time (with
 *         opt->parent set, as mp_create_pool_ex()).
 */
static inline mp_pool_t *mp_cjson_create_pool(const mp_options_t *opt) {
  return mp__adapter_pool(opt, MP_POOL_SIZE_HEADERS);
}

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_CJSON_H */
