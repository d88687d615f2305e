/*
 * The platform: the only code that calls the operating system (pages, the
 * clock, locks, thread exit).  Nothing here knows about pools or blocks.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MP_PLATFORM_H
#define MP_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif
/* Whether the host maps pages (mp__os_map() and the calls after it). */
#ifdef MAP_ANONYMOUS
#define MP_OS_MAPS 1
#else
#define MP_OS_MAPS 0
#endif

/* The size of a page of memory. */
size_t mp__os_page_size(void);
/* Makes the whole pages [p, p + n) of a block inaccessible (access false)
 * or readable and writable again.  Returns false if the host cannot (the
 * pages are then as they were). */
bool mp__os_protect(void *p, size_t n, bool access);
/* Milliseconds of a monotonic clock (0 if there is none). */
uint64_t mp__os_now_ms(void);

#if MP_OS_MAPS
/* size bytes of fresh pages aligned to align (a power of two), or NULL. */
void *mp__os_map(size_t size, size_t align);
/* Gives back the pages of [p, p + size) (whole pages; size rounded up). */
void mp__os_unmap(void *p, size_t size);
/* Gives the pages' memory back but keeps the range: later touches find
 * zeroed pages. */
void mp__os_purge(void *p, size_t size);
/* Makes the pages of the range that are not there yet, at once. */
void mp__os_populate(void *p, size_t size);
/* Asks for transparent huge pages for the range. */
void mp__os_ask_huge(void *p, size_t size);
#endif

/* A process-wide lock for the shared block cache. */
void mp__lock(void);
void mp__unlock(void);
/* The lock of the list of root pools and of pool names (registry.c). */
void mp__tree_lock(void);
void mp__tree_unlock(void);

/* Arranges for fn(arg) to run when the calling thread exits (fn is the
 * same on every call).  Returns false if the host cannot, in which case
 * the caller must not keep per-thread state that needs it. */
bool mp__on_thread_exit(void (*fn)(void *arg), void *arg);

#endif /* MP_PLATFORM_H */
