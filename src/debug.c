/*
 * Debug builds (MP_DEBUG, CMake option MPOOL_DEBUG), and the calls every
 * build exports for them: mp_set_site(), mp_check(), mp_pool_handoff().
 *
 * In a debug build every object is a block of its own (large.c), of exactly
 * the header, the object and a red zone of at least 16 bytes, straight from
 * the system or the pool's allocator (never the block cache), so that
 * AddressSanitizer and Valgrind see where each object ends.  The header
 * records the call site (mp_set_site(), which the header's MPOOL_DEBUG
 * macros call), whether the request was small (at or below the pool's
 * threshold: mp_free() leaves those alone, as release builds do) and
 * whether the library made it for itself.
 *
 * The red zone is filled with a canary checked when the object is freed,
 * reset or destroyed.  Freed, reset and rewound objects go to the pool's
 * quarantine (oldest first), filled with another pattern and poisoned for
 * the memory tools, for MP_QUARANTINE_RESETS resets and at most
 * MP_QUARANTINE_BYTES bytes; the pattern is checked when they leave.
 * Without a memory tool, the block of an object of a page or more is laid
 * out page by page and its object's pages are protected while it is in
 * quarantine, so a stale read faults; a stale read of a smaller object
 * goes unseen (a stale write is found by the pattern check).  Each
 * failed check prints one line naming the mpool function and the pointer,
 * then aborts:
 *   mpool: mp_free_sized: overflow past the end of 0x5600a0 (24 bytes,
 *   allocated at main.c:12)
 *
 * Each pool also records the thread that owns it (the address of a
 * thread-local byte): the calls that change an ordinary pool check it, and
 * mp_pool_handoff() gives the pool up for the next thread to claim.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include "carve.h"
#include "mp_internal.h"
#include "mp_platform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MP_DEBUG

#define CANARY 0xfcu     /* the red zone after each object */
#define QUARANTINE 0xdbu /* released objects while in quarantine */

/* The site the next allocating call on this thread records. */
static _Thread_local struct {
  const char *file;
  int line;
  bool internal;
} site;

/* Each thread's marker: its address identifies the thread. */
static _Thread_local char me;

void mp_set_site(const char *file, int line) {
  site.file = file;
  site.line = line;
}

void mp__dbg_internal(void) {
  site.file = NULL;
  site.line = 0;
  site.internal = true;
}

void mp__dbg_fail(const char *fn, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "mpool: %s: ", fn);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fflush(stderr);
  abort();
}

/* "file:line", or a word when no site was recorded. */
const char *mp__dbg_where(const struct mp_large *l, char *buf, size_t n) {
  if (l->internal)
    return "inside mpool";
  if (l->file == NULL)
    return "an unknown site (define MPOOL_DEBUG to record sites)";
  snprintf(buf, n, "%s:%d", l->file, l->line);
  return buf;
}

/* ---- creation and ownership ---- */

/* MPOOL_REPORT_LEAKS=1 in the environment, read at each pool's creation
 * (debug builds only: other builds never read the environment). */
static bool leaks_from_env(void) {
  const char *e = getenv("MPOOL_REPORT_LEAKS");
  return e != NULL && e[0] != '\0' && strcmp(e, "0") != 0;
}

void mp__dbg_init(mp_pool_t *pool, unsigned opt_flags) {
  memset(&pool->dbg, 0, sizeof pool->dbg);
  pool->dbg.owner = &me;
  if ((opt_flags & MP_POOL_REPORT_LEAKS) || leaks_from_env())
    pool->flags |= MP_F_LEAKS;
}

void mp__dbg_own(mp_pool_t *pool, const char *fn) {
  if (pool->flags & (MP_F_INNER | MP_F_SHARED))
    return; /* many threads use a shared pool, under its lock */
  if (pool->dbg.owner == &me)
    return;
  if (pool->dbg.owner == NULL) {
    pool->dbg.owner = &me; /* handed off: the first caller claims it */
    return;
  }
  mp__dbg_fail(fn,
               "pool %p used by a thread that does not own it; hand it "
               "over with mp_pool_handoff()",
               (void *)pool);
}

/* ---- blocks ---- */

/* Header bits (struct mp_large .bits). */
#define MP_DBG_SHRUNK 1u  /* made smaller by mp_realloc() in place */
#define MP_DBG_GUARDED 2u /* in quarantine with its pages protected */

/* Whether quarantined blocks are page-protected: only without a memory
 * tool, which sees stale accesses itself (and whose leak scan of the heap
 * at exit must not fault on them), and only for blocks from the system,
 * whose whole pages no one else uses. */
static bool guarding(const mp_pool_t *pool) {
  return !MP_TRACK_ON && (pool->flags & MP_F_CACHED) != 0;
}

size_t mp__dbg_block_layout(const mp_pool_t *pool, size_t size, size_t *hdr,
                            size_t *align) {
  size_t page = mp__os_page_size();
  /* size <= MP_MAX_ALLOC_SIZE and hdr <= MP_MAX_NODE_SIZE: no wrap. */
  if (!guarding(pool) || size < page)
    return *hdr + MP_ALIGN_UP(size, MP_GRANULE) + MP_GRANULE;
  /* An object of a page or more starts on a page, its header alone on the
   * page before, and its red zone runs to a page end: in quarantine all
   * the object's pages can be protected while the header stays readable.
   * Both are powers of two: the larger is a multiple of the other. */
  *hdr = *align > page ? *align : page;
  *align = *hdr;
  return *hdr + MP_ALIGN_UP(MP_ALIGN_UP(size, MP_GRANULE) + MP_GRANULE, page);
}

void *mp__dbg_block_get(mp_pool_t *pool, size_t size, size_t align) {
  if (pool->flags & MP_F_CACHED)
    return mp__sys_alloc(size, align); /* not the cache: exact size */
  return pool->backing.alloc(pool->backing.ud, size, align);
}

/* align is the one requested: for a page-granular block it differs from
 * the one the block was taken with, which mp__sys_free() only compares
 * with the size (block sizes exceed both). */
void mp__dbg_block_put(mp_pool_t *pool, void *b, size_t size, size_t align) {
  mp_track_undefined(b, size);
  if (pool->flags & MP_F_CACHED)
    mp__sys_free(b, size, align);
  else
    pool->backing.free(pool->backing.ud, b, size);
}

static unsigned char *end_of(const struct mp_large *l) {
  return (unsigned char *)l->base + l->block_size;
}

/* Fills [p, end) with byte c, out of the memory tools' sight. */
static void fill(unsigned char *p, unsigned char *end, unsigned c) {
  mp_track_open(p, (size_t)(end - p));
  memset(p, (int)c, (size_t)(end - p));
  mp_track_close(p, (size_t)(end - p));
}

/* The first byte of [p, end) that is not c, or NULL. */
static const unsigned char *differs(unsigned char *p, unsigned char *end,
                                    unsigned c) {
  const unsigned char *bad = NULL;
  mp_track_open(p, (size_t)(end - p));
  for (const unsigned char *q = p; q < end; q++)
    if (*q != c) {
      bad = q;
      break;
    }
  mp_track_close(p, (size_t)(end - p));
  return bad;
}

void mp__dbg_on_alloc(struct mp_large *l, bool small) {
  l->file = site.file;
  l->line = site.line;
  l->internal = site.internal;
  site.file = NULL;
  site.line = 0;
  site.internal = false;
  l->small = small;
  l->why = 0;
  l->bits = 0;
  fill((unsigned char *)(l + 1) + l->size, end_of(l), CANARY);
}

static void check_canary(const struct mp_large *l, const char *fn) {
  unsigned char *p = (unsigned char *)(l + 1);
  if (differs(p + l->size, end_of(l), CANARY) != NULL) {
    char buf[256];
    mp__dbg_fail(fn, "overflow past the end of %p (%zu bytes, allocated at %s)",
                 (void *)p, l->size, mp__dbg_where(l, buf, sizeof buf));
  }
}

void mp__dbg_shrink(mp_pool_t *pool, struct mp_large *l, size_t new_size) {
  check_canary(l, "mp_realloc");
  unsigned char *p = (unsigned char *)(l + 1);
  mp_track_resize(pool, p, l->size, new_size);
  l->size = new_size;
  fill(p + new_size, end_of(l), CANARY);
  l->small = new_size <= pool->max;
  l->bits |= MP_DBG_SHRUNK;
  site.file = NULL; /* the call allocated nothing */
  site.line = 0;
}

void mp__dbg_check_size(const struct mp_large *l, size_t size, const char *fn) {
  if (size == 0)
    size = 1; /* as allocated */
  /* After an in-place shrink, release builds accept the old size too. */
  if (size != l->size && !((l->bits & MP_DBG_SHRUNK) && size > l->size)) {
    char buf[256];
    mp__dbg_fail(fn,
                 "size %zu does not match %p (requested with %zu bytes, "
                 "allocated at %s)",
                 size, (void *)(l + 1), l->size,
                 mp__dbg_where(l, buf, sizeof buf));
  }
}

/* ---- quarantine ---- */

static const char *why_name(int why) {
  return why == MP_Q_RESET ? "reset" : why == MP_Q_REWIND ? "rewind" : "free";
}

/* The whole pages of a block after its header: [*lo, *hi), maybe empty. */
static void guard_range(const struct mp_large *l, uintptr_t *lo,
                        uintptr_t *hi) {
  size_t page = mp__os_page_size();
  *lo = MP_ALIGN_UP((uintptr_t)(l + 1), page);
  *hi = MP_ALIGN_DOWN((uintptr_t)end_of(l), page);
}

/* Protects a block's pages as it enters quarantine, where that is done. */
static void guard(const mp_pool_t *pool, struct mp_large *l) {
  uintptr_t lo, hi;
  guard_range(l, &lo, &hi);
  if (guarding(pool) && hi > lo &&
      mp__os_protect((void *)lo, (size_t)(hi - lo), false))
    l->bits |= MP_DBG_GUARDED;
}

/* Lifts the protection as a block leaves quarantine. */
static void unguard(struct mp_large *l, const char *fn) {
  if (!(l->bits & MP_DBG_GUARDED))
    return;
  uintptr_t lo, hi;
  guard_range(l, &lo, &hi);
  if (!mp__os_protect((void *)lo, (size_t)(hi - lo), true))
    mp__dbg_fail(fn, "cannot make the quarantined block %p accessible again",
                 (void *)(l + 1));
  l->bits &= (unsigned char)~MP_DBG_GUARDED;
}

/* The oldest quarantined block, taken out of quarantine and checked for
 * writes made while it was there, if it is due to leave (`all`: any is):
 * the caller gives it back (it stayed counted); NULL: none is due. */
struct mp_large *mp__dbg_quarantine_pop(mp_pool_t *pool, const char *fn,
                                        bool all) {
  struct mp_debug *d = &pool->dbg;
  struct mp_large *l = d->q_head;
  if (l == NULL || !(all || pool->epoch - l->seq >= MP_QUARANTINE_RESETS ||
                     d->q_bytes > MP_QUARANTINE_BYTES))
    return NULL;
  d->q_head = l->next;
  if (d->q_head == NULL)
    d->q_tail = NULL;
  d->q_bytes -= l->block_size;
  unguard(l, fn);
  unsigned char *p = (unsigned char *)(l + 1);
  if (differs(p, end_of(l), QUARANTINE) != NULL) {
    char buf[256];
    mp__dbg_fail(fn, "write after %s to %p (%zu bytes, allocated at %s)",
                 why_name(l->why), (void *)p, l->size,
                 mp__dbg_where(l, buf, sizeof buf));
  }
  return l;
}

/* Checks the red zone of l, a block being released (still on the pool's
 * list), and counts a freed small object. */
void mp__dbg_release_check(mp_pool_t *pool, struct mp_large *l, int why,
                           const char *fn) {
  check_canary(l, fn);
  if (l->small && why == MP_Q_FREE)
    pool->freed_bytes += MP_ALIGN_UP(l->size, MP_GRANULE);
}

/* Puts l, a released block taken off the pool's list, in quarantine:
 * still held, and counted. */
void mp__dbg_quarantine_add(mp_pool_t *pool, struct mp_large *l, int why) {
  fill((unsigned char *)(l + 1), end_of(l), QUARANTINE);
  guard(pool, l);
  l->why = (unsigned char)why;
  l->seq = pool->epoch;
  l->next = NULL;
  l->prev = pool->dbg.q_tail;
  if (pool->dbg.q_tail != NULL)
    pool->dbg.q_tail->next = l;
  else
    pool->dbg.q_head = l;
  pool->dbg.q_tail = l;
  pool->dbg.q_bytes += l->block_size;
}

static const struct mp_large *quarantined(const mp_pool_t *pool, const void *p,
                                          bool interior) {
  uintptr_t a = (uintptr_t)p;
  for (const struct mp_large *l = pool->dbg.q_head; l != NULL; l = l->next) {
    uintptr_t s = (uintptr_t)(l + 1);
    if (a == s || (interior && a > s && a - s < l->size))
      return l;
  }
  return NULL;
}

void mp__dbg_check_free(mp_pool_t *pool, const void *p, const char *fn) {
  const struct mp_large *l = quarantined(pool, p, false);
  if (l != NULL) {
    char buf[256];
    mp__dbg_fail(fn, "double free of %p (allocated at %s)", p,
                 mp__dbg_where(l, buf, sizeof buf));
  }
  mp__dbg_fail(fn, "free of a pointer the pool does not own: %p (pool %p)", p,
               (const void *)pool);
}

#else /* !MP_DEBUG */

void mp_set_site(const char *file, int line) {
  (void)file;
  (void)line;
}

#endif /* MP_DEBUG */

/* ---- every build ---- */

int mp_pool_handoff(mp_pool_t *pool) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
#ifdef MP_DEBUG
  if (!(pool->flags & (MP_F_SHARED | MP_F_INNER))) {
    mp__dbg_own(pool, "mp_pool_handoff");
    pool->dbg.owner = NULL;
  }
#endif
  return 0;
}

/* The live large block of this pool that holds p, or NULL: the exact start
 * through the index, interior pointers by walking the list. */
static const struct mp_large *large_holding(const mp_pool_t *pool,
                                            const void *p) {
  const struct mp_large *l = mp__large_of(pool, p);
  if (l != NULL)
    return l;
  uintptr_t a = (uintptr_t)p;
  for (l = pool->large; l != NULL; l = l->next) {
    uintptr_t s = (uintptr_t)(l + 1);
    if (a > s && a - s < l->size)
      return l;
  }
  return NULL;
}

#ifdef MP_DEBUG
bool mp__dbg_small_holding(const mp_pool_t *pool, const void *p) {
  const struct mp_large *l = large_holding(pool, p);
  return l != NULL && l->small;
}
#endif

#ifndef MP_DEBUG
/* Release builds: p lies in node memory that allocation has handed out
 * since the last reset (it may since have been freed). */
static bool in_used_node_memory(const mp_pool_t *pool, const void *p) {
  const struct mp_node *n = mp__node_of(pool, p);
  if (n == NULL)
    return false;
  uintptr_t a = (uintptr_t)p;
  if (a < (uintptr_t)n->start)
    return false;
  for (const struct mp_node *m = pool->first; m != NULL; m = m->next) {
    if (m == n) {
      if (n == pool->current)
        return a < (uintptr_t)pool->w.ptr || a >= (uintptr_t)pool->top;
      /* The tail left when allocation moved on may since have been handed
       * out from the free lists. */
      return pool->reuse != NULL || a < (uintptr_t)n->low ||
             a >= (uintptr_t)n->high;
    }
    if (m == pool->current)
      return false; /* a node kept from before a reset: empty */
  }
  return false;
}
#endif

int mp__check_ptr(const mp_pool_t *pool, const void *p) {
  if (p == NULL)
    return MP_PTR_UNKNOWN;
  if (large_holding(pool, p) != NULL)
    return MP_PTR_LIVE;
#ifdef MP_DEBUG
  if (quarantined(pool, p, true) != NULL)
    return MP_PTR_STALE;
  return MP_PTR_UNKNOWN; /* every object is a block: nodes hold none */
#else
  return in_used_node_memory(pool, p) ? MP_PTR_LIVE : MP_PTR_UNKNOWN;
#endif
}
