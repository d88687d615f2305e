/*
 * Host glue: the only code that knows about the operating system.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_PLATFORM_H
#define MP_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>

/* Aligned memory from the system; align is a power of two >= 16.  Blocks
 * are returned with the size they were allocated with. */
void *mp__os_alloc(size_t size, size_t align);
void mp__os_free(void *p, size_t size, size_t align);
/* Between mp__os_batch(true) and mp__os_batch(false) (which nest), the
 * calling thread's mp__os_free() calls may be gathered and finished
 * together when the batch ends: for callers that release many blocks. */
void mp__os_batch(bool on);
/* Between mp__os_growing(true) and mp__os_growing(false) the calling
 * thread takes a node for a pool that already has one: once the process
 * is a big user of nodes, the rest of the region such a node is carved
 * from has its pages made at once. */
void mp__os_growing(bool on);
/* Retention: released node blocks keep their pages for reuse, up to
 * `limit` bytes, until they have waited `decay_ms` unused (0: pages go
 * back at once).  mp__os_collect() gives back what has waited long enough
 * (all: everything retained). */
#ifndef MP_DEFAULT_RETAIN_LIMIT
#define MP_DEFAULT_RETAIN_LIMIT ((size_t)1 << 30)
#endif
#ifndef MP_DEFAULT_DECAY_MS
#define MP_DEFAULT_DECAY_MS 1000u
#endif
struct mp_os_retain {
  size_t bytes, limit, purged;
  unsigned decay_ms;
};
void mp__os_retain_set(size_t limit, unsigned decay_ms);
void mp__os_collect(bool all);
void mp__os_retain_stats(struct mp_os_retain *st);
/* How many times mp__os_alloc() has been called (for tests). */
size_t mp__os_alloc_calls(void);

/* The size of a page of memory. */
size_t mp__os_page_size(void);
/* Makes the whole pages [p, p + n) of a block from mp__os_alloc()
 * inaccessible (access false) or readable and writable again.  Returns
 * false if the host cannot (the pages are then as they were). */
bool mp__os_protect(void *p, size_t n, bool access);

/* A process-wide lock for the shared block cache. */
void mp__lock(void);
void mp__unlock(void);

/* Arranges for mp__cache_thread_exit(arg) to run when the calling thread
 * exits.  Returns false if the host cannot, in which case the caller must
 * not keep per-thread state that needs it. */
bool mp__on_thread_exit(void *arg);
void mp__cache_thread_exit(void *arg);

#endif /* MP_PLATFORM_H */
