/*
 * Host glue: aligned allocation, the cache lock, thread-exit hooks.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif

#include "mp_platform.h"
#include "mp_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Blocks of at least this size are mapped directly: the C library's
 * aligned allocation would over-allocate by up to the alignment, and some
 * tools refuse very large alignments. */
#define MP_MMAP_THRESHOLD ((size_t)256 << 10)

static atomic_size_t os_alloc_calls;

size_t mp__os_alloc_calls(void) { return atomic_load(&os_alloc_calls); }

static size_t page_size(void) {
  static atomic_size_t cached;
  size_t ps = atomic_load_explicit(&cached, memory_order_relaxed);
  if (ps == 0) {
    long v = sysconf(_SC_PAGESIZE);
    ps = v > 0 ? (size_t)v : 4096;
    atomic_store_explicit(&cached, ps, memory_order_relaxed);
  }
  return ps;
}

#ifdef MAP_ANONYMOUS
/* Maps size bytes aligned to align by over-mapping and trimming both ends. */
static void *map_aligned(size_t size, size_t align) {
  size_t ps = page_size();
  size_t len = MP_ALIGN_UP(size, ps);
  size_t extra = align > ps ? align - ps : 0;
  if (len > SIZE_MAX - extra)
    return NULL;
  unsigned char *m = mmap(NULL, len + extra, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return NULL;
  unsigned char *p = (unsigned char *)MP_ALIGN_UP((uintptr_t)m, align);
  if (p > m)
    munmap(m, (size_t)(p - m));
  size_t tail = (size_t)(m + len + extra - (p + len));
  if (tail > 0)
    munmap(p + len, tail);
  return p;
}
#endif

void *mp__os_alloc(size_t size, size_t align) {
  void *p = NULL;
  atomic_fetch_add_explicit(&os_alloc_calls, 1, memory_order_relaxed);
#ifdef MAP_ANONYMOUS
  if (size >= MP_MMAP_THRESHOLD)
    return map_aligned(size, align);
#endif
  if (posix_memalign(&p, align, size) != 0)
    return NULL;
  return p;
}

void mp__os_free(void *p, size_t size) {
  mp_track_undefined(p, size); /* no tracking state outlives the block */
#ifdef MAP_ANONYMOUS
  if (size >= MP_MMAP_THRESHOLD) {
    munmap(p, MP_ALIGN_UP(size, page_size()));
    return;
  }
#endif
  free(p);
}

static void *default_alloc(void *ud, size_t size, size_t align) {
  (void)ud;
  return mp__os_alloc(size, align);
}

static void default_free(void *ud, void *p, size_t size) {
  (void)ud;
  mp__os_free(p, size);
}

const mp_allocator_t mp__default_allocator = {default_alloc, default_free,
                                              NULL};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

void mp__lock(void) { pthread_mutex_lock(&cache_lock); }
void mp__unlock(void) { pthread_mutex_unlock(&cache_lock); }

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static int exit_key_ok;

static void make_exit_key(void) {
  exit_key_ok = pthread_key_create(&exit_key, mp__cache_thread_exit) == 0;
}

bool mp__on_thread_exit(void *arg) {
  pthread_once(&exit_once, make_exit_key);
  if (!exit_key_ok)
    return false;
  if (pthread_getspecific(exit_key) != arg)
    return pthread_setspecific(exit_key, arg) == 0;
  return true;
}
