/** @file
 * mpool/zlib.h -- zlib allocation functions (z_stream zalloc, zfree and
 * opaque) that allocate from a pool.
 *
 *     z_stream zs;
 *     memset(&zs, 0, sizeof zs);
 *     mp_zlib_init_stream(&zs, pool);          (zalloc, zfree, opaque = pool)
 *     deflateInit(&zs, Z_DEFAULT_COMPRESSION);
 *     ... deflate(&zs, Z_FINISH) ...
 *     deflateEnd(&zs);
 *     mp_reset_pool(pool);
 *
 * Pool mode: any pool; opaque is the pool, so streams on different pools
 * coexist.  zlib frees without a size, so the adapter puts a 16-byte
 * header (MP_GRANULE) with the size before each block and frees with
 * mp_free_sized(): a block freed by deflateEnd()/inflateEnd() is reused at
 * once in any pool, with or without MP_POOL_SIZE_HEADERS (a pool with size
 * headers adds its own 16 bytes).  zlib makes a handful of allocations per
 * stream (about 5 for deflate, 2 for inflate), so the headers cost well
 * under 100 bytes a stream.  Results are aligned to 16 bytes.
 * A z_stream is used by one thread at a time; streams on several threads
 * sharing one pool need a MP_POOL_SHARED pool.
 *
 * Header-only: every function is static inline.  Needs zlib (zlib.h) and
 * mpool.h; C99 or later.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_ZLIB_H
#define MPOOL_ZLIB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zlib.h>

#include "mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * zlib's zalloc: `items * size` bytes from the pool `opaque`, aligned to 16
 * bytes, after a 16-byte header holding the size.
 * @param opaque  the pool (mp_pool_t *).
 * @param items   number of items.
 * @param size    bytes per item.
 * @return the memory, or Z_NULL if items * size (plus the header) wraps or
 *         exceeds MP_MAX_ALLOC_SIZE, or the pool fails (errno EINVAL,
 *         EOVERFLOW or ENOMEM); zlib then returns Z_MEM_ERROR.
 * @threadsafety as mp_alloc() on the pool: one thread at a time, or any
 *         number on a MP_POOL_SHARED pool.
 */
static inline voidpf mp_zlib_alloc(voidpf opaque, uInt items, uInt size) {
  size_t n;
  unsigned char *base;
  if (size != 0 && (size_t)items > SIZE_MAX / (size_t)size)
    return Z_NULL;
  n = (size_t)items * (size_t)size;
  if (n > MP_MAX_ALLOC_SIZE - MP_GRANULE)
    return Z_NULL;
  base = (unsigned char *)mp_alloc((mp_pool_t *)opaque, n + MP_GRANULE);
  if (base == NULL)
    return Z_NULL;
  memcpy(base, &n, sizeof n);
  return base + MP_GRANULE;
}

/**
 * zlib's zfree: frees `address`, a block from mp_zlib_alloc() on the pool
 * `opaque`, with mp_free_sized() (its memory is reused at once).  Z_NULL
 * is ignored; a pointer the pool does not own is ignored in release builds
 * (hardened and debug builds abort on it).
 * @param opaque   the pool (mp_pool_t *).
 * @param address  the block, or Z_NULL.
 * @threadsafety as mp_free_sized() on the pool.
 */
static inline void mp_zlib_free(voidpf opaque, voidpf address) {
  size_t n;
  unsigned char *base;
  if (address == Z_NULL)
    return;
  base = (unsigned char *)address - MP_GRANULE;
  memcpy(&n, base, sizeof n);
  (void)mp_free_sized((mp_pool_t *)opaque, base, n + MP_GRANULE);
}

/**
 * Points a z_stream's allocation at `pool`: zalloc = mp_zlib_alloc, zfree
 * = mp_zlib_free, opaque = pool.  Call it before deflateInit*() or
 * inflateInit*(); the pool must outlive the stream's deflateEnd() or
 * inflateEnd() (or be reset instead, after which the stream must not be
 * used).
 * @param zs    the stream (its other fields are left alone).
 * @param pool  the pool.
 * @threadsafety touches only *zs.
 */
static inline void mp_zlib_init_stream(z_stream *zs, mp_pool_t *pool) {
  zs->zalloc = mp_zlib_alloc;
  zs->zfree = mp_zlib_free;
  zs->opaque = (voidpf)pool;
}

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_ZLIB_H */
