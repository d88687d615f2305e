/** @file
 * mpool/sqlite.h -- an SQLite allocator (sqlite3_mem_methods, for
 * sqlite3_config(SQLITE_CONFIG_MALLOC, ...)) that allocates from a pool.
 *
 *     mp_pool_t *pool = mp_sqlite_create_pool(NULL);  (MP_POOL_SHARED)
 *     mp_sqlite_use(pool);            (before sqlite3_initialize())
 *     sqlite3_initialize();
 *     sqlite3_open(":memory:", &db);
 *     ... work ...
 *     sqlite3_close(db);
 *     sqlite3_shutdown();             (SQLite gives back all its memory)
 *     mp_reset_pool(pool);            (or mp_destroy_pool(pool))
 *
 * The rule: SQLite's allocator is process-wide and its xMalloc, xFree,
 * xRealloc and xSize take no user data, so the adapter keeps the pool in
 * one static pointer, which xInit sets from pAppData (the pool) when
 * sqlite3_initialize() starts the allocator and xShutdown clears.  One
 * pool at a time per process serves SQLite, from sqlite3_initialize() to
 * sqlite3_shutdown(); configure with mp_sqlite_use() while SQLite is shut
 * down (sqlite3_config() refuses otherwise with SQLITE_MISUSE).  Reset or
 * destroy the pool only after sqlite3_shutdown(): SQLite keeps memory
 * between connections (its page cache and caches), and a reset under it
 * would leave it dangling.  The pointer and the methods belong to the
 * source file that includes this header.
 *
 * Pool mode: SQLite in its serialized or multi-thread mode (the usual
 * builds: sqlite3_threadsafe() != 0, and the threading mode is not
 * SQLITE_CONFIG_SINGLETHREAD) calls the allocator from every thread that
 * uses it, at once, so the pool must then be MP_POOL_SHARED
 * (mp_sqlite_create_pool() sets it); an ordinary pool is enough only when
 * one thread alone uses SQLite.  xSize needs each object's size, which
 * mpool.h does not report, so the adapter puts a 16-byte header
 * (MP_GRANULE) with the size before each object and frees with
 * mp_free_sized(): 16 bytes per allocation, in any pool (MP_POOL_SIZE_HEADERS
 * is not needed; a pool with it adds its own 16 bytes).  Results are
 * aligned to 16 bytes (SQLite needs 8).
 *
 * Header-only: every function is static inline.  Needs SQLite 3.6 or
 * later (sqlite3.h) and mpool.h; C99 or later.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_SQLITE_H
#define MPOOL_SQLITE_H

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <sqlite3.h>

#include "adapter.h" /* mpool/adapter.h */
#include "mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The pool the methods of this source file allocate from, set by
 * mp_sqlite_init() (internal). */
static mp_pool_t *mp__sqlite_pool = NULL;

/**
 * xMalloc: `n` bytes from the pool, aligned to 16 bytes, after a 16-byte
 * header holding the size.
 * @param n  bytes wanted; negative is refused.
 * @return the memory, or NULL (n negative, no pool started, or the pool
 *         failed with errno EINVAL, EOVERFLOW or ENOMEM); SQLite then
 *         returns SQLITE_NOMEM from the call that needed it.
 * @threadsafety as mp_alloc() on the pool: one thread at a time, or any
 *         number on a MP_POOL_SHARED pool.
 */
static inline void *mp_sqlite_malloc(int n) {
  size_t size;
  unsigned char *base;
  if (n < 0)
    return NULL;
  size = (size_t)n; /* at most INT_MAX: the header cannot wrap it */
  base = (unsigned char *)mp_alloc(mp__sqlite_pool, size + MP_GRANULE);
  if (base == NULL)
    return NULL;
  memcpy(base, &size, sizeof size);
  return base + MP_GRANULE;
}

/**
 * xSize: the size `p` was allocated (or last resized) with.
 * @param p  an object from mp_sqlite_malloc() or mp_sqlite_realloc(), or
 *           NULL.
 * @return its size in bytes; 0 for NULL.
 * @threadsafety reads only the object's header.
 */
static inline int mp_sqlite_size(void *p) {
  size_t size;
  if (p == NULL)
    return 0;
  memcpy(&size, (unsigned char *)p - MP_GRANULE, sizeof size);
  return (int)size;
}

/**
 * xFree: frees `p` with mp_free_sized() (its memory is reused at once).
 * NULL is ignored; a pointer the pool does not own is ignored in release
 * builds (hardened and debug builds abort on it).
 * @param p  an object from mp_sqlite_malloc() or mp_sqlite_realloc(), or
 *           NULL.
 * @threadsafety as mp_free_sized() on the pool.
 */
static inline void mp_sqlite_free(void *p) {
  unsigned char *base;
  if (p == NULL)
    return;
  base = (unsigned char *)p - MP_GRANULE;
  (void)mp_free_sized(mp__sqlite_pool, base,
                      (size_t)mp_sqlite_size(p) + MP_GRANULE);
}

/**
 * xRealloc: resizes `p` to `n` bytes with mp_realloc(), keeping its
 * contents up to the smaller size (in place when it can).  NULL `p`
 * allocates as mp_sqlite_malloc().
 * @param p  an object from mp_sqlite_malloc() or mp_sqlite_realloc(), or
 *           NULL.
 * @param n  the size wanted; negative is refused.
 * @return the object, or NULL as mp_sqlite_malloc(); `p` is then left
 *         intact.
 * @threadsafety as mp_realloc() on the pool.
 */
static inline void *mp_sqlite_realloc(void *p, int n) {
  size_t size;
  unsigned char *base;
  if (p == NULL)
    return mp_sqlite_malloc(n);
  if (n < 0)
    return NULL;
  size = (size_t)n;
  base = (unsigned char *)mp_realloc(
      mp__sqlite_pool, (unsigned char *)p - MP_GRANULE,
      (size_t)mp_sqlite_size(p) + MP_GRANULE, size + MP_GRANULE);
  if (base == NULL)
    return NULL;
  memcpy(base, &size, sizeof size);
  return base + MP_GRANULE;
}

/**
 * xRoundup: the size mp_sqlite_malloc() makes of a request of `n` bytes,
 * `n` rounded up to the pool's 16-byte granule (SQLite then asks for that
 * much, and uses all of it).
 * @param n  the request.
 * @return n rounded up to a multiple of 16, or n itself when that would
 *         exceed INT_MAX (or n is negative).
 * @threadsafety touches nothing shared.
 */
static inline int mp_sqlite_roundup(int n) {
  if (n < 0 || n > INT_MAX - (int)(MP_GRANULE - 1))
    return n;
  return (int)(((unsigned)n + (unsigned)(MP_GRANULE - 1)) &
               ~(unsigned)(MP_GRANULE - 1));
}

/**
 * xInit: starts the allocator; called by sqlite3_initialize() with
 * pAppData, the pool, which the other methods then use.
 * @param app  the pool (mp_pool_t *).
 * @return SQLITE_OK, or SQLITE_ERROR if `app` is NULL (sqlite3_initialize()
 *         then fails).
 * @threadsafety called by SQLite under its own lock.
 */
static inline int mp_sqlite_init(void *app) {
  if (app == NULL)
    return SQLITE_ERROR;
  mp__sqlite_pool = (mp_pool_t *)app;
  return SQLITE_OK;
}

/**
 * xShutdown: stops the allocator; called by sqlite3_shutdown().  The pool
 * is left alone (reset or destroy it afterwards).
 * @param app  the pool (unused).
 * @threadsafety called by SQLite under its own lock, with no other thread
 *         in SQLite.
 */
static inline void mp_sqlite_shutdown(void *app) {
  (void)app;
  mp__sqlite_pool = NULL;
}

/**
 * The adapter's methods with pAppData = `pool`, for
 * sqlite3_config(SQLITE_CONFIG_MALLOC, &m) (which copies them).
 * @param pool  the pool (MP_POOL_SHARED unless one thread alone uses
 *              SQLite).
 * @return the methods (by value).
 * @threadsafety touches nothing shared.
 */
static inline sqlite3_mem_methods mp_sqlite_methods(mp_pool_t *pool) {
  sqlite3_mem_methods m;
  m.xMalloc = mp_sqlite_malloc;
  m.xFree = mp_sqlite_free;
  m.xRealloc = mp_sqlite_realloc;
  m.xSize = mp_sqlite_size;
  m.xRoundup = mp_sqlite_roundup;
  m.xInit = mp_sqlite_init;
  m.xShutdown = mp_sqlite_shutdown;
  m.pAppData = pool;
  return m;
}

/**
 * Makes SQLite allocate from `pool` once it is next initialised:
 * sqlite3_config(SQLITE_CONFIG_MALLOC, ...) with mp_sqlite_methods(pool).
 * To go back to SQLite's own allocator, call sqlite3_shutdown() and then
 * sqlite3_config(SQLITE_CONFIG_MALLOC, &saved) with methods saved earlier
 * by sqlite3_config(SQLITE_CONFIG_GETMALLOC, &saved).
 * @param pool  the pool.
 * @return SQLITE_OK; SQLITE_MISUSE if SQLite is initialised (call
 *         sqlite3_shutdown() first) or pool is NULL.
 * @threadsafety as sqlite3_config(): no other thread may use SQLite
 *         during the call.
 */
static inline int mp_sqlite_use(mp_pool_t *pool) {
  sqlite3_mem_methods m = mp_sqlite_methods(pool);
  if (pool == NULL)
    return SQLITE_MISUSE;
  return sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
}

/**
 * Creates a pool for SQLite: mp_create_pool_ex() with `opt` (NULL: the
 * defaults) and MP_POOL_SHARED added to its flags, as SQLite's serialized
 * and multi-thread modes need.
 * @param opt  options, or NULL; only read.
 * @return the pool, or NULL with errno as mp_create_pool_ex().
 * @threadsafety may be called from any thread at any time (with
 *         opt->parent set, as mp_create_pool_ex()).
 */
static inline mp_pool_t *mp_sqlite_create_pool(const mp_options_t *opt) {
  return mp__adapter_pool(opt, MP_POOL_SHARED);
}

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_SQLITE_H */
