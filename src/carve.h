/*
 * The system as a block source (carve.c): blocks of any size and alignment,
 * carved from regions and retained when they are a page or more.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_CARVE_H
#define MP_CARVE_H

#include <stdbool.h>
#include <stddef.h>

/* Aligned memory from the system; align is a power of two >= 16.  Blocks
 * are returned with the size and alignment they were taken with. */
void *mp__sys_alloc(size_t size, size_t align);
void mp__sys_free(void *p, size_t size, size_t align);
/* Between mp__sys_batch(true) and mp__sys_batch(false) (which nest), the
 * calling thread's mp__sys_free() calls may be gathered and finished
 * together when the batch ends: for callers that release many blocks. */
void mp__sys_batch(bool on);
/* Between mp__sys_growing(true) and mp__sys_growing(false) the calling
 * thread takes a node for a pool that already has one: once the process
 * is a big user of nodes, the rest of the region such a node is carved
 * from has its pages made at once. */
void mp__sys_growing(bool on);
/* Retention: released blocks keep their pages for reuse, up to `limit`
 * bytes, until they have waited `decay_ms` unused (0: pages go back at
 * once).  mp__sys_collect() gives back what has waited long enough (all:
 * everything retained). */
#ifndef MP_DEFAULT_RETAIN_LIMIT
#define MP_DEFAULT_RETAIN_LIMIT ((size_t)1 << 30)
#endif
#ifndef MP_DEFAULT_DECAY_MS
#define MP_DEFAULT_DECAY_MS 1000u
#endif
struct mp_sys_retain {
  size_t bytes, limit, purged;
  unsigned decay_ms;
};
void mp__sys_retain_set(size_t limit, unsigned decay_ms);
void mp__sys_collect(bool all);
void mp__sys_retain_stats(struct mp_sys_retain *st);
/* How many times mp__sys_alloc() has been called (for tests). */
size_t mp__sys_alloc_calls(void);

#endif /* MP_CARVE_H */
