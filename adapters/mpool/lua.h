/** @file
 * mpool/lua.h -- a Lua allocator (lua_Alloc) that allocates from a pool.
 *
 *     mp_pool_t *pool = mp_create_pool(0);
 *     lua_State *L = mp_lua_newstate(pool);   (or lua_newstate(mp_lua_alloc,
 *                                              pool))
 *     ... luaL_openlibs(L); run scripts ...
 *     lua_close(L);
 *     mp_reset_pool(pool);                     (or mp_destroy_pool(pool))
 *
 * Pool mode: any pool.  Lua passes the old size of every block it frees or
 * resizes, so the pool needs no size headers (no per-object cost beyond the
 * pool's 16-byte granule rounding) and freed blocks are reused at once.  A
 * lua_State is used by one thread at a time, and so is an ordinary pool;
 * use a MP_POOL_SHARED pool only if several states on different threads
 * share one pool.
 *
 * Header-only: every function is static inline.  Needs Lua 5.1 to 5.4
 * (lua.h) and mpool.h; C99 or later.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_LUA_H
#define MPOOL_LUA_H

#include <stddef.h>

#include <lua.h>

#include "mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A lua_Alloc whose user data is the pool: with `nsize` 0 it frees `ptr`
 * (of `osize` bytes) and returns NULL; otherwise it allocates (`ptr` NULL;
 * `osize` is then Lua's type tag, ignored) or resizes `ptr` from `osize` to
 * `nsize` bytes.  This is mp_allocf(), which already has lua_Alloc's shape.
 * Shrinking never fails, as Lua requires.
 * @param ud     the pool (mp_pool_t *).
 * @param ptr    the block, or NULL.
 * @param osize  its size (when ptr is not NULL).
 * @param nsize  the size wanted; 0 frees.
 * @return the block, or NULL: after a free, or when the allocation failed
 *         (errno EINVAL, EOVERFLOW or ENOMEM; `ptr` is then left intact, and
 *         Lua raises a memory error, LUA_ERRMEM).
 * @threadsafety as mp_realloc() on the pool: one thread at a time, or any
 *         number at once on a MP_POOL_SHARED pool.
 */
static inline void *mp_lua_alloc(void *ud, void *ptr, size_t osize,
                                 size_t nsize) {
  return mp_allocf(ud, ptr, osize, nsize);
}

#if LUA_VERSION_NUM <= 504
/**
 * Creates a Lua state whose memory all comes from `pool`:
 * lua_newstate(mp_lua_alloc, pool).  The state holds no other memory, so
 * after lua_close() -- or without it, when no finalizer or open file needs
 * to run -- mp_reset_pool() or mp_destroy_pool() releases all of it.  The
 * pool must outlive the state.
 * @param pool  the pool.
 * @return the state, or NULL if the pool could not provide the memory for
 *         it (or pool is NULL).
 * @threadsafety uses the pool as mp_alloc() does.
 */
static inline lua_State *mp_lua_newstate(mp_pool_t *pool) {
  if (pool == NULL)
    return NULL;
  return lua_newstate(mp_lua_alloc, pool);
}
#endif

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_LUA_H */
