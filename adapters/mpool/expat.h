/** @file
 * mpool/expat.h -- an Expat memory suite (XML_Memory_Handling_Suite, for
 * XML_ParserCreate_MM) that allocates from a pool.
 *
 *     mp_pool_t *pool = mp_expat_create_pool(NULL);   (size headers on)
 *     XML_Parser p = mp_expat_parser_create(pool, NULL, NULL);
 *     XML_SetElementHandler(p, start, end);
 *     XML_Parse(p, text, len, 1);
 *     XML_ParserFree(p);
 *     mp_reset_pool(pool);
 *
 * The rule: Expat's memory functions take no user data, so the adapter
 * keeps the pool in one static pointer, set with mp_expat_use() (which
 * mp_expat_parser_create() calls).  One pool at a time per process serves
 * the adapter's suite: every parser created with it allocates from the
 * pool set last, so set a new pool only once every parser of the old one
 * is freed (XML_ParserFree()) or its pool reset.  Threads that parse after
 * a switch must see it (start them after it, or synchronise).  Parsers on
 * several threads at once need a MP_POOL_SHARED pool
 * (mp_expat_create_pool() with that flag); resetting the pool still needs
 * all of them out of it.  Parsers created with XML_ParserCreate() are
 * unaffected.  The pointer belongs to the source file that includes this
 * header: the suite mp_expat_suite() returns reads that file's pointer.
 *
 * Pool mode: Expat frees and resizes without a size, so the pool must be
 * created with MP_POOL_SIZE_HEADERS (mp_expat_create_pool() sets it).
 * That costs a 16-byte header per small object (more for alignments above
 * 16) and takes every allocation off the inline fast path; without it,
 * resizing a small object fails (EINVAL) and Expat reports
 * XML_ERROR_NO_MEMORY.
 *
 * Header-only: every function is static inline.  Needs Expat 1.95.8 or
 * later and mpool.h; C99 or later.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_EXPAT_H
#define MPOOL_EXPAT_H

#include <stddef.h>

#include <expat.h>

#include "adapter.h" /* mpool/adapter.h */
#include "mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The pool the suite of this source file allocates from (internal). */
static mp_pool_t *mp__expat_pool = NULL;

/**
 * The suite's malloc_fcn: `size` bytes from the pool set with
 * mp_expat_use(), aligned as mp_alloc() results are.
 * @param size  bytes wanted (0 gives a unique minimal object).
 * @return the memory, or NULL with errno EINVAL (no pool set), EOVERFLOW or
 *         ENOMEM; Expat then fails (XML_ParserCreate_MM() returns NULL,
 *         XML_Parse() returns XML_STATUS_ERROR with XML_ERROR_NO_MEMORY).
 * @threadsafety as mp_alloc() on the pool: one thread at a time, or any
 *         number on a MP_POOL_SHARED pool.
 */
static inline void *mp_expat_malloc(size_t size) {
  return mp_alloc(mp__expat_pool, size);
}

/**
 * The suite's realloc_fcn: resizes `ptr` to `size` bytes with
 * mp_realloc_unsized() (NULL `ptr` allocates).
 * @param ptr   an object of the pool, or NULL.
 * @param size  the size wanted.
 * @return the object, or NULL with errno EINVAL (no pool set, a foreign
 *         pointer, a small object of a pool without size headers),
 *         EOVERFLOW or ENOMEM; `ptr` is then left intact.
 * @threadsafety as mp_realloc() on the pool.
 */
static inline void *mp_expat_realloc(void *ptr, size_t size) {
  return mp_realloc_unsized(mp__expat_pool, ptr, size);
}

/**
 * The suite's free_fcn: frees `ptr` by mp_free() (which, in a pool with
 * MP_POOL_SIZE_HEADERS, reuses its memory at once).  NULL is ignored; a
 * pointer the pool does not own is ignored in release builds (hardened and
 * debug builds abort on it).
 * @param ptr  the object, or NULL.
 * @threadsafety as mp_free() on the pool.
 */
static inline void mp_expat_free(void *ptr) {
  if (ptr != NULL)
    (void)mp_free(mp__expat_pool, ptr);
}

/**
 * Sets the pool the adapter's suite allocates from (NULL: none; the suite
 * then fails every allocation).  See the rule at the top of this header.
 * @param pool  a pool created with MP_POOL_SIZE_HEADERS, or NULL.
 * @threadsafety changes process-wide state: no thread may be inside a
 *         parser that uses the suite during the call.
 */
static inline void mp_expat_use(mp_pool_t *pool) { mp__expat_pool = pool; }

/**
 * The adapter's memory suite, for XML_ParserCreate_MM(): mp_expat_malloc,
 * mp_expat_realloc and mp_expat_free.  Expat copies the suite, so the
 * struct may be a local.
 * @return the suite (by value).
 * @threadsafety touches nothing shared.
 */
static inline XML_Memory_Handling_Suite mp_expat_suite(void) {
  XML_Memory_Handling_Suite s;
  s.malloc_fcn = mp_expat_malloc;
  s.realloc_fcn = mp_expat_realloc;
  s.free_fcn = mp_expat_free;
  return s;
}

/**
 * Creates a parser that allocates from `pool`: mp_expat_use(pool), then
 * XML_ParserCreate_MM(encoding, &suite, namespace_separator) with the
 * adapter's suite.  Free it with XML_ParserFree() before the pool is reset
 * or destroyed, or let the reset release it (it then must not be used
 * again).
 * @param pool                 a pool created with MP_POOL_SIZE_HEADERS.
 * @param encoding             as for XML_ParserCreate() (NULL: from the
 *                             document).
 * @param namespace_separator  NULL, or a pointer to the separator
 *                             character for namespace processing (as
 *                             XML_ParserCreateNS()).
 * @return the parser, or NULL if the pool could not provide its memory (or
 *         pool is NULL).
 * @threadsafety sets the process-wide pool as mp_expat_use() does.
 */
static inline XML_Parser
mp_expat_parser_create(mp_pool_t *pool, const XML_Char *encoding,
                       const XML_Char *namespace_separator) {
  XML_Memory_Handling_Suite s = mp_expat_suite();
  if (pool == NULL)
    return NULL;
  mp_expat_use(pool);
  return XML_ParserCreate_MM(encoding, &s, namespace_separator);
}

/**
 * Creates a pool for Expat: mp_create_pool_ex() with `opt` (NULL: the
 * defaults) and MP_POOL_SIZE_HEADERS added to its flags.  Add
 * MP_POOL_SHARED to opt->flags for parsers on several threads at once.
 * @param opt  options, or NULL; only read.
 * @return the pool, or NULL with errno as mp_create_pool_ex().
 * @threadsafety may be called from any thread at any time (with
 *         opt->parent set, as mp_create_pool_ex()).
 */
static inline mp_pool_t *mp_expat_create_pool(const mp_options_t *opt) {
  return mp__adapter_pool(opt, MP_POOL_SIZE_HEADERS);
}

#ifdef __cplusplus
}
#endif

#endif /* MPOOL_EXPAT_H */
