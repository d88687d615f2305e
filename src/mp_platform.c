/*
 * The platform: the only code that calls the operating system -- pages
 * (mapping, protecting, giving back, making), the clock, the block cache's
 * lock and thread-exit hooks.  Everything above asks through
 * mp_platform.h.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif

#include "mp_platform.h"
#include "mp_internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

size_t mp__os_page_size(void) {
  static atomic_size_t cached;
  size_t ps = atomic_load_explicit(&cached, memory_order_relaxed);
  if (ps == 0) {
    long v = sysconf(_SC_PAGESIZE);
    ps = v > 0 ? (size_t)v : 4096;
    atomic_store_explicit(&cached, ps, memory_order_relaxed);
  }
  return ps;
}

bool mp__os_protect(void *p, size_t n, bool access) {
  return mprotect(p, n, access ? PROT_READ | PROT_WRITE : PROT_NONE) == 0;
}

uint64_t mp__os_now_ms(void) {
  struct timespec t;
#ifdef CLOCK_MONOTONIC_COARSE
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &t) != 0)
#endif
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
      return 0;
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

#if MP_OS_MAPS
/* Over-maps and trims both ends to the alignment. */
void *mp__os_map(size_t size, size_t align) {
  size_t ps = mp__os_page_size();
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

void mp__os_unmap(void *p, size_t size) {
  munmap(p, MP_ALIGN_UP(size, mp__os_page_size()));
}

void mp__os_purge(void *p, size_t size) {
  (void)madvise(p, size, MADV_DONTNEED);
}

void mp__os_populate(void *p, size_t size) {
#ifdef MADV_POPULATE_WRITE
  /* Kernels before 5.14 refuse it: the pages then come at first touch. */
  (void)madvise(p, size, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)size;
#endif
}

void mp__os_ask_huge(void *p, size_t size) {
#ifdef MADV_HUGEPAGE
  (void)madvise(p, size, MADV_HUGEPAGE);
#else
  (void)p;
  (void)size;
#endif
}
#endif /* MP_OS_MAPS */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

void mp__lock(void) { pthread_mutex_lock(&cache_lock); }
void mp__unlock(void) { pthread_mutex_unlock(&cache_lock); }

/* A test-and-set lock: pool creation and destroy take it once each, for a
 * few instructions where a mutex costs some fifty; a thread that finds it
 * held (a walk is writing its output) yields until it is free. */
static atomic_flag tree_lock = ATOMIC_FLAG_INIT;
void mp__tree_lock(void) {
  while (atomic_flag_test_and_set_explicit(&tree_lock, memory_order_acquire))
    sched_yield();
}
void mp__tree_unlock(void) {
  atomic_flag_clear_explicit(&tree_lock, memory_order_release);
}

static pthread_key_t exit_key;
/* Set once, under exit_lock, by the first call: a thread's destructor
 * runs after its own call, which took the lock after them. */
static pthread_mutex_t exit_lock = PTHREAD_MUTEX_INITIALIZER;
static bool exit_made, exit_key_ok;
static void (*exit_fn)(void *arg);

static void at_exit(void *arg) { exit_fn(arg); }

bool mp__on_thread_exit(void (*fn)(void *arg), void *arg) {
  pthread_mutex_lock(&exit_lock);
  if (!exit_made) {
    exit_fn = fn;
    exit_key_ok = pthread_key_create(&exit_key, at_exit) == 0;
    exit_made = true;
  }
  bool ok = exit_key_ok;
  pthread_mutex_unlock(&exit_lock);
  if (!ok)
    return false;
  if (pthread_getspecific(exit_key) != arg)
    return pthread_setspecific(exit_key, arg) == 0;
  return true;
}
