/*
 * Memory tracking hooks for AddressSanitizer and Valgrind memcheck.
 *
 * Each hook is a no-op unless the library is built for one of the tools:
 *   - AddressSanitizer is detected from the compiler (__SANITIZE_ADDRESS__,
 *     or __has_feature(address_sanitizer)); no option is needed.
 *   - Valgrind needs MP_VALGRIND (CMake option MPOOL_VALGRIND) and the
 *     valgrind/memcheck.h header; the client requests cost a few
 *     instructions when the program does not run under Valgrind.
 *
 * The invariant the hooks keep: in a node, every byte outside a live object
 * is inaccessible -- the bump space, free chunks (reuse.c opens the words
 * it keeps in them only around each access), the red zone granule after
 * each small object (ASan builds), and whole nodes after a reset.  Blocks
 * in the block cache are inaccessible but for their link word.
 *
 *   mp_track_create(pool) / mp_track_destroy(pool) / mp_track_reset(pool)
 *   mp_track_mark(pool, m) / mp_track_unmark(pool, m)
 *                                   a mark taken, and dropped by a rewind,
 *                                   reset or destroy (memcheck: the node
 *                                   objects made after a mark form a
 *                                   mempool of their own, see below)
 *   mp_track_alloc(pool, p, size)   a new object: accessible, undefined
 *   mp_track_free(pool, p, size)    a dead object: inaccessible
 *   mp_track_resize(pool, p, old, new)   an object resized in place
 *   mp_track_noaccess(p, n)         library free space
 *   mp_track_undefined(p, n)        accessible again, contents undefined
 *   mp_track_open(p, n) / mp_track_close(p, n)
 *                                   around the library's own access to
 *                                   words kept in inaccessible memory
 *
 * Marks under memcheck: a rewind releases objects of which the pool keeps
 * no record, so they cannot be given back one MEMPOOL_FREE at a time, and
 * the survivors are not one address range that MEMPOOL_TRIM could keep.
 * Instead each outstanding mark is a mempool (its record's address is the
 * handle), and an object made in nodes after a mark is a chunk of the
 * newest mark whose released range holds it (mp__track_pool(), mark.c:
 * the rest of the mark's node and every node entered since, the ranges
 * mp_rewind() gives back); everything else is a chunk of the pool.
 * Rewinding destroys the mempools of the mark and of the newer marks,
 * which ends all those objects at once, as a reset does for the pool.
 *
 * The red zone after every object (MP_RZ) is defined in mp_internal.h: it
 * serves ASan builds and hardened builds' canaries alike.
 * MP_TRACK_ON is 1 when any tool is tracked: the pool then routes every
 * allocation through the library (no inline fast path), and mp_vprintf()
 * does not format into the free space.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_TRACK_H
#define MP_TRACK_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define MP_TRACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MP_TRACK_ASAN 1
#endif
#endif

#if defined(MP_VALGRIND) && defined(MP_TRACK_ASAN)
#error "mpool: MPOOL_VALGRIND and AddressSanitizer cannot be combined"
#endif

#if defined(MP_TRACK_ASAN)

#include <sanitizer/asan_interface.h>

#define MP_TRACK_ON 1

#define mp_track_create(pool) ((void)(pool))
#define mp_track_destroy(pool) ((void)(pool))
#define mp_track_reset(pool) ((void)(pool))
#define mp_track_mark(pool, m) ((void)(pool), (void)(m))
#define mp_track_unmark(pool, m) ((void)(pool), (void)(m))
#define mp_track_alloc(pool, p, size)                                          \
  ((void)(pool), ASAN_UNPOISON_MEMORY_REGION((p), (size)))
#define mp_track_free(pool, p, size)                                           \
  ((void)(pool), ASAN_POISON_MEMORY_REGION((p), (size)))
#define mp_track_noaccess(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define mp_track_undefined(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define mp_track_open(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define mp_track_close(p, n) ASAN_POISON_MEMORY_REGION((p), (n))

static inline void mp__track_resize_asan(void *p, size_t old, size_t nsize) {
  if (nsize < old)
    ASAN_POISON_MEMORY_REGION((unsigned char *)p + nsize, old - nsize);
  else
    ASAN_UNPOISON_MEMORY_REGION(p, nsize);
}
#define mp_track_resize(pool, p, old, nsize)                                   \
  ((void)(pool), mp__track_resize_asan((p), (old), (nsize)))

#elif defined(MP_VALGRIND)

#include <valgrind/memcheck.h>

#define MP_TRACK_ON 1

struct mp_pool_s;
/* The mempool whose chunk the object at p is (mark.c): the pool, or the
 * newest outstanding mark whose released range holds p. */
const void *mp__track_pool(const struct mp_pool_s *pool, const void *p);

#define mp_track_create(pool) VALGRIND_CREATE_MEMPOOL((pool), 0, 0)
#define mp_track_destroy(pool) VALGRIND_DESTROY_MEMPOOL(pool)
/* Forgets every object at once; the pool's memory is made inaccessible by
 * the caller, which has dropped the marks first. */
#define mp_track_reset(pool)                                                   \
  do {                                                                         \
    VALGRIND_DESTROY_MEMPOOL(pool);                                            \
    VALGRIND_CREATE_MEMPOOL((pool), 0, 0);                                     \
  } while (0)
#define mp_track_mark(pool, m)                                                 \
  do {                                                                         \
    (void)(pool);                                                              \
    VALGRIND_CREATE_MEMPOOL((m), 0, 0);                                        \
  } while (0)
#define mp_track_unmark(pool, m)                                               \
  do {                                                                         \
    (void)(pool);                                                              \
    VALGRIND_DESTROY_MEMPOOL(m);                                               \
  } while (0)
#define mp_track_alloc(pool, p, size)                                          \
  VALGRIND_MEMPOOL_ALLOC(mp__track_pool((pool), (p)), (p), (size))
#define mp_track_free(pool, p, size)                                           \
  do {                                                                         \
    (void)(size);                                                              \
    VALGRIND_MEMPOOL_FREE(mp__track_pool((pool), (p)), (p));                   \
  } while (0)
#define mp_track_noaccess(p, n) ((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#define mp_track_undefined(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define mp_track_open(p, n) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#define mp_track_close(p, n) ((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))

/* MEMPOOL_CHANGE moves the record only: the bytes gained or lost change
 * state here. */
#define mp_track_resize(pool, p, old, nsize)                                   \
  do {                                                                         \
    unsigned char *mp__rp = (unsigned char *)(p);                              \
    size_t mp__ro = (old), mp__rn = (nsize);                                   \
    VALGRIND_MEMPOOL_CHANGE(mp__track_pool((pool), mp__rp), mp__rp, mp__rp,    \
                            mp__rn);                                           \
    if (mp__rn < mp__ro)                                                       \
      (void)VALGRIND_MAKE_MEM_NOACCESS(mp__rp + mp__rn, mp__ro - mp__rn);      \
    else if (mp__rn > mp__ro)                                                  \
      (void)VALGRIND_MAKE_MEM_UNDEFINED(mp__rp + mp__ro, mp__rn - mp__ro);     \
  } while (0)

#else

#define MP_TRACK_ON 0

#define mp_track_create(pool) ((void)(pool))
#define mp_track_destroy(pool) ((void)(pool))
#define mp_track_reset(pool) ((void)(pool))
#define mp_track_mark(pool, m) ((void)(pool), (void)(m))
#define mp_track_unmark(pool, m) ((void)(pool), (void)(m))
#define mp_track_alloc(pool, p, size) ((void)(pool), (void)(p), (void)(size))
#define mp_track_free(pool, p, size) ((void)(pool), (void)(p), (void)(size))
#define mp_track_resize(pool, p, old, nsize)                                   \
  ((void)(pool), (void)(p), (void)(old), (void)(nsize))
#define mp_track_noaccess(p, n) ((void)(p), (void)(n))
#define mp_track_undefined(p, n) ((void)(p), (void)(n))
#define mp_track_open(p, n) ((void)(p), (void)(n))
#define mp_track_close(p, n) ((void)(p), (void)(n))

#endif

#endif /* MP_TRACK_H */
