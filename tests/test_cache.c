/*
 * The block cache (src/cache.c): steady-state request cycles call no
 * allocator; blocks move between threads; flushing returns everything.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _DEFAULT_SOURCE /* mincore(), MADV_POPULATE_WRITE */
#include "test_util.h"

#include "carve.h"
#include "mp_internal.h"
#include "mp_platform.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

static void request(void) {
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  for (int i = 0; i < 40; i++) {
    size_t n = i == 39 ? 12000 : (size_t)(8 + (i * 37) % 500);
    unsigned char *a = mp_alloc(p, n);
    assert_non_null(a);
    a[0] = 1;
    a[n - 1] = 1;
  }
  mp_destroy_pool(p);
}

static void steady_state_calls_no_allocator(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  for (int i = 0; i < 10; i++)
    request();
  size_t before = mp__sys_alloc_calls();
  for (int i = 0; i < 10000; i++)
    request();
  assert_int_equal(mp__sys_alloc_calls(), before);
}

static void flush_then_refill(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  request();
  mpool_cache_flush();
  size_t before = mp__sys_alloc_calls();
  request();
  assert_true(mp__sys_alloc_calls() > before);
  before = mp__sys_alloc_calls();
  request();
  assert_int_equal(mp__sys_alloc_calls(), before);
}

/* Many pools alive at once: more blocks than a thread's front keeps. */
static void bounded_front(void **state) {
  (void)state;
  static mp_pool_t *pools[400];
  for (int i = 0; i < 400; i++) {
    pools[i] = mp_create_pool(32768);
    assert_non_null(pools[i]);
    assert_non_null(mp_alloc(pools[i], 100));
  }
  for (int i = 0; i < 400; i++)
    mp_destroy_pool(pools[i]);
  mpool_cache_flush();
}

/* Whether nodes come from the library's node regions: under memory tools
 * and in debug builds they come from the C library. */
static int nodes_are_carved(void) {
  return !(mpool_build_flags() &
           (MPOOL_BUILD_VALGRIND | MPOOL_BUILD_ASAN | MPOOL_BUILD_DEBUG));
}

static int under_valgrind(void) {
  const char *pre = getenv("LD_PRELOAD");
  return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

#define MP_TEST_RETAIN_DEFAULT ((size_t)1 << 30)

/* What the block cache and the retained memory hold now. */
static mpool_cache_stats_t retained(void) {
  mpool_cache_stats_t st;
  st.size = sizeof st;
  assert_int_equal(mpool_cache_stats(&st), 0);
  return st;
}

/* The cache's and retention's defaults, as the tests found them. */
static void restore_defaults(void) {
  assert_int_equal(mpool_cache_set_limit((size_t)64 << 20), 0);
  assert_int_equal(mpool_cache_set_retain(MP_TEST_RETAIN_DEFAULT, 1000), 0);
  mpool_cache_flush();
}

/* Blocks that leave the process give their pages back and fault nothing
 * back in: destroying a pool of 512 nodes with the cache off faults next
 * to no pages.  Each released node used to hold the link of a free list,
 * which faulted a fresh page back in and kept it resident. */
static void released_blocks_stay_released(void **state) {
  (void)state;
  if (!nodes_are_carved())
    skip();
  const char *pre = getenv("LD_PRELOAD");
  if (pre != NULL && strstr(pre, "vgpreload") != NULL)
    skip(); /* page faults under Valgrind are Valgrind's */
  mpool_cache_flush();
  assert_int_equal(mpool_cache_set_limit(0), 0);
  assert_int_equal(mpool_cache_set_retain(0, 0), 0); /* give back at once */
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  for (int i = 0; i < 512 * 60; i++) { /* 7.5 MiB of 256-byte objects */
    unsigned char *o = mp_alloc(p, 256);
    assert_non_null(o);
    o[0] = 1;
    o[255] = 1;
  }
  struct rusage before, after;
  assert_int_equal(getrusage(RUSAGE_SELF, &before), 0);
  mp_destroy_pool(p);
  assert_int_equal(getrusage(RUSAGE_SELF, &after), 0);
  assert_true(after.ru_minflt - before.ru_minflt < 64);
  assert_int_equal(retained().retained_bytes, 0);
  restore_defaults();
}

/* Fills a new pool with `bytes` of 256-byte objects, each touched, and
 * returns it. */
static mp_pool_t *filled_pool(size_t bytes) {
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  for (size_t i = 0; i < bytes / 256; i++) {
    unsigned char *o = mp_alloc(p, 256);
    assert_non_null(o);
    o[0] = 1;
    o[255] = 1;
  }
  return p;
}

static long minor_faults(void) {
  struct rusage ru;
  assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
  return ru.ru_minflt;
}

/* Memory past the block cache keeps its pages: a pool made after a big
 * one was destroyed reuses them and faults next to none in.  Destroying
 * pools used to give every page back, so each new pool faulted fresh
 * pages in (tens of microseconds each on a virtual machine). */
static void destroyed_pools_stay_warm(void **state) {
  (void)state;
  if (!nodes_are_carved() || under_valgrind())
    skip();
  mpool_cache_flush();
  assert_int_equal(mpool_cache_set_limit(0), 0); /* all past the cache */
  size_t purged = retained().purged_bytes;
  mp_destroy_pool(filled_pool((size_t)8 << 20));
  mpool_cache_stats_t st = retained();
  assert_true(st.retained_bytes >= ((size_t)8 << 20));
  assert_int_equal(st.purged_bytes, purged);
  long before = minor_faults();
  mp_pool_t *p = filled_pool((size_t)8 << 20);
  assert_true(minor_faults() - before < 64);
  mp_stats_t ps;
  ps.size = sizeof ps;
  assert_int_equal(mp_stats(p, &ps, 0), 0);
  assert_int_equal(ps.cache_retain_limit, MP_TEST_RETAIN_DEFAULT);
  assert_int_equal(ps.cache_decay_ms, 1000);
  mp_destroy_pool(p);
  restore_defaults();
}

/* Fills a new pool (nodes of `node` bytes) with `bytes` of objects of
 * 5-15 KiB, writing only the first and the last byte of each, as a
 * program that fills few bytes of big buffers does. */
static mp_pool_t *sparse_pool(size_t node, size_t bytes) {
  mp_pool_t *p = mp_create_pool(node);
  assert_non_null(p);
  for (size_t used = 0, i = 0; used < bytes; i++) {
    size_t n = 5000 + (i * 2654435761u) % 10000;
    unsigned char *o = mp_alloc(p, n);
    assert_non_null(o);
    o[0] = 1;
    o[n - 1] = 1;
    used += n;
  }
  return p;
}

/* A pool that does what the one destroyed before it did faults no pages
 * in: the block cache hands the blocks out in the order they were taken,
 * so each object lands where its twin was and touches the pages it
 * touched.  The cache used to give a big pool's nodes back rotated (the
 * newest to the thread's front, the rest to the back, then each stack
 * last in first out), and objects of some KiB then touched pages their
 * twins had skipped: about 90 page faults a run in a burst of 15 000
 * allocations of 8 B-16 KiB, which made the second and third runs 10
 * times slower than the tenth. */
static void same_work_touches_same_pages(void **state) {
  (void)state;
  if (!nodes_are_carved() || under_valgrind())
    skip();
  static const size_t nodes[] = {4096, 0};
  for (size_t k = 0; k < sizeof nodes / sizeof nodes[0]; k++) {
    mpool_cache_flush();
    mp_destroy_pool(sparse_pool(nodes[k], (size_t)24 << 20));
    long before = minor_faults();
    mp_destroy_pool(sparse_pool(nodes[k], (size_t)24 << 20));
    assert_true(minor_faults() - before < 16);
  }
  restore_defaults();
}

/* Large blocks of the cache's classes that are not powers of two (10 and
 * 14 KiB here) are carved and retained like nodes: past the cache they
 * keep their pages for the next pool.  They came from the C library,
 * which gave their pages back when it trimmed its heap, and a pool of
 * such blocks after a big one faulted most of its pages in again. */
static void odd_large_blocks_are_retained(void **state) {
  (void)state;
  if (!nodes_are_carved() || under_valgrind())
    skip();
  mpool_cache_flush();
  assert_int_equal(mpool_cache_set_limit(0), 0); /* all past the cache */
  size_t at = retained().retained_bytes;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  for (int i = 0; i < 512; i++) {
    size_t n = i % 2 ? 9000 : 13000;
    unsigned char *o = mp_alloc(p, n);
    assert_non_null(o);
    memset(o, 1, n);
  }
  mp_destroy_pool(p);
  assert_true(retained().retained_bytes >= at + 512 * (size_t)9000);
  long before = minor_faults();
  p = mp_create_pool(0);
  assert_non_null(p);
  for (int i = 0; i < 512; i++) {
    size_t n = i % 2 ? 9000 : 13000;
    memset(mp_alloc(p, n), 2, n);
  }
  assert_true(minor_faults() - before < 16);
  mp_destroy_pool(p);
  restore_defaults();
}

/* Blocks of 256 KiB and more, mapped on their own, are retained too when
 * they are released: the next document of a parser whose output buffer
 * doubles to megabytes reuses them warm.  A cap of 0 unmaps them. */
static void big_blocks_are_retained(void **state) {
  (void)state;
  if (!nodes_are_carved() || under_valgrind())
    skip();
  static const size_t sizes[] = {(size_t)300 << 10, (size_t)600 << 10,
                                 (size_t)3 << 20, (size_t)5 << 20};
  mpool_cache_flush();
  assert_int_equal(mpool_cache_set_limit(0), 0); /* all past the cache */
  size_t at = retained().retained_bytes;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  size_t total = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    unsigned char *o = mp_alloc(p, sizes[i]);
    assert_non_null(o);
    memset(o, 1, sizes[i]);
    total += sizes[i];
  }
  mp_destroy_pool(p);
  assert_true(retained().retained_bytes >= at + total);
  long before = minor_faults();
  p = mp_create_pool(0);
  assert_non_null(p);
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    unsigned char *o = mp_alloc(p, sizes[i]);
    assert_non_null(o);
    memset(o, 2, sizes[i]);
  }
  assert_true(minor_faults() - before < 16);
  mp_destroy_pool(p);
  size_t purged = retained().purged_bytes;
  assert_int_equal(mpool_cache_set_retain(0, 0), 0); /* give back at once */
  assert_int_equal(retained().retained_bytes, 0);
  assert_true(retained().purged_bytes >= purged + total);
  restore_defaults();
}

/* The resident set of the process, in bytes (0 if unknown). */
static size_t rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, res = 0;
  if (f == NULL)
    return 0;
  int n = fscanf(f, "%lu %lu", &size, &res);
  fclose(f);
  return n == 2 ? (size_t)res * mp__os_page_size() : 0;
}

/* Creating and destroying big pools forever keeps the resident set
 * bounded: what is retained never passes the cap, and what goes past it
 * gives its pages back at once. */
static void retain_cap_bounds_memory(void **state) {
  (void)state;
  if (!nodes_are_carved() || under_valgrind())
    skip();
  mpool_cache_flush();
  assert_int_equal(mpool_cache_set_limit(0), 0);
  const size_t cap = (size_t)4 << 20, big = (size_t)16 << 20;
  assert_int_equal(mpool_cache_set_retain(cap, 60000), 0);
  size_t first = 0;
  for (int i = 0; i < 40; i++) {
    mp_pool_t *p = filled_pool(big + (size_t)(i % 4) * (1 << 20));
    mp_destroy_pool(p);
    mpool_cache_stats_t st = retained();
    assert_true(st.retained_bytes <= cap);
    assert_int_equal(st.retain_limit, cap);
    if (i == 0)
      first = rss_bytes();
    else if (first != 0) /* no more than the cap and some slack, ever */
      assert_true(rss_bytes() <= first + ((size_t)6 << 20));
  }
  assert_true(retained().purged_bytes > 0);
  restore_defaults();
}

/* Retained memory that waits a decay delay unused gives its pages back:
 * at most two delays, seen by mpool_cache_collect(). */
static void retained_memory_decays(void **state) {
  (void)state;
  if (!nodes_are_carved() || under_valgrind())
    skip();
  mpool_cache_flush();
  assert_int_equal(mpool_cache_set_limit(0), 0);
  assert_int_equal(mpool_cache_set_retain((size_t)1 << 30, 30), 0);
  mp_destroy_pool(filled_pool((size_t)4 << 20));
  assert_true(retained().retained_bytes > 0);
  struct timespec nap = {0, 80 * 1000 * 1000};
  for (int i = 0; i < 2; i++) {
    nanosleep(&nap, NULL);
    mpool_cache_collect();
  }
  assert_int_equal(retained().retained_bytes, 0);
  /* Reused after it decayed: a new pool still works, on fresh pages. */
  mp_destroy_pool(filled_pool((size_t)1 << 20));
  /* flush gives back all that is retained, decayed or not */
  assert_int_equal(mpool_cache_set_retain((size_t)1 << 30, 60000), 0);
  mp_destroy_pool(filled_pool((size_t)4 << 20));
  assert_true(retained().retained_bytes > 0);
  mpool_cache_flush();
  assert_int_equal(retained().retained_bytes, 0);
  restore_defaults();
}

/* Whether the mapping that holds p asks for transparent huge pages (its
 * VmFlags in /proc/self/smaps has "hg"); -1 if that cannot be read. */
static int asks_huge_pages(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (f == NULL)
    return -1;
  char line[512];
  int in = 0, found = -1;
  uintptr_t a = (uintptr_t)p;
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
      in = a >= lo && a < hi;
    } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
      found = strstr(line, " hg") != NULL;
      break;
    }
  }
  fclose(f);
  return found;
}

/* Whether the kernel can populate pages (MADV_POPULATE_WRITE, Linux 5.14). */
static int can_populate(void) {
#ifdef MADV_POPULATE_WRITE
  size_t ps = mp__os_page_size();
  void *probe = mmap(NULL, ps, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(probe != MAP_FAILED);
  int can = madvise(probe, ps, MADV_POPULATE_WRITE) == 0;
  munmap(probe, ps);
  return can;
#else
  return 0;
#endif
}

/* Once a process has carved 16 MiB of nodes, later node regions have
 * their pages made at once -- a page of a new node that nothing has
 * written yet is already resident -- and, unless built with
 * MPOOL_HUGE_PAGES=OFF (the default, which mpool_build_flags() reports),
 * ask for transparent huge pages.  Runs first, in a process whose blocks
 * are all new: a block reused from the cache or the table of released
 * blocks may come from an earlier region, or have been written. */
static void late_regions_as_built(void **state) {
  (void)state;
#ifdef MPOOL_TEST_NO_HUGE_PAGES
  const int off = 1;
#else
  const int off = 0;
#endif
  assert_int_equal((mpool_build_flags() & MPOOL_BUILD_NO_HUGE_PAGES) != 0, off);
  if (!nodes_are_carved())
    skip();
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  void *last = NULL;
  for (int i = 0; i < 24 * 64 * 5; i++) /* 24 MiB of nodes, 5 a node */
    assert_non_null(last = mp_alloc(p, 3000));
  /* The last page of the node that holds `last`: mp_alloc() wrote none
   * of the objects, and the node's header is on its first page. */
  size_t ps = mp__os_page_size(), node = p->node_size;
  unsigned char *page =
      (unsigned char *)MP_ALIGN_DOWN((uintptr_t)last, node) + node - ps;
  unsigned char vec = 0;
  assert_int_equal(mincore(page, ps, &vec), 0);
  int hg = asks_huge_pages(last);
  mp_destroy_pool(p);
  if (can_populate())
    assert_int_equal(vec & 1, 1);
  if (hg >= 0) /* else no /proc/self/smaps here */
    assert_int_equal(hg, !off);
}

/* Pools that hold little keep only the pages they touch, also once the
 * process is a big user of nodes (late_regions_as_built made it one): the
 * pages of a region are made at once only for a pool that grows. */
static void small_pools_stay_small(void **state) {
  (void)state;
#ifndef MPOOL_TEST_NO_HUGE_PAGES
  skip(); /* a huge page is resident as a whole */
#endif
  if (!nodes_are_carved())
    skip();
  enum { N = 1200 }; /* 37.5 MiB of nodes: fresh regions */
  static mp_pool_t *p[N];
  mpool_cache_flush();
  size_t ps = mp__os_page_size(), resident = 0;
  for (int i = 0; i < N; i++) {
    p[i] = mp_create_pool(0);
    assert_non_null(p[i]);
    memset(mp_alloc(p[i], 100), 1, 100);
  }
  for (int i = 0; i < N; i++) {
    unsigned char *page = (unsigned char *)p[i] -
                          ((uintptr_t)p[i] & (p[i]->node_size - 1)) +
                          p[i]->node_size - ps; /* the last page of its node */
    unsigned char vec = 0;
    assert_int_equal(mincore(page, ps, &vec), 0);
    resident += vec & 1;
  }
  for (int i = 0; i < N; i++)
    mp_destroy_pool(p[i]);
  assert_int_equal(resident, 0);
}

#define THREADS 4
#define HANDOFF 64

static mp_pool_t *handed[THREADS][HANDOFF];

static void *producer(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < HANDOFF; i++) {
    mp_pool_t *p = mp_create_exact(4096);
    for (int j = 0; j < 30; j++)
      memset(mp_alloc(p, 100), id, 100);
    (void)mp_alloc(p, 9000);
    assert_int_equal(mp_pool_handoff(p), 0); /* the consumer claims it */
    handed[id][i] = p;
  }
  for (int c = 0; c < 2000; c++)
    request();
  return NULL;
}

static void *consumer(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < HANDOFF; i++)
    mp_destroy_pool(handed[id][i]); /* blocks migrate to this thread */
  for (int c = 0; c < 2000; c++)
    request();
  return NULL;
}

/* Pools created on one thread and destroyed on another; threads exit and
 * hand their cached blocks back. */
static void threads_migrate_blocks(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* its blocks bypass the cache */
  pthread_t t[THREADS];
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, producer, (void *)(intptr_t)i),
                     0);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_join(t[i], NULL), 0);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, consumer, (void *)(intptr_t)i),
                     0);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_join(t[i], NULL), 0);
  /* The exited threads' blocks are in the shared back: this thread's
   * request cycles find them there. */
  mpool_cache_flush();
  request();
  size_t before = mp__sys_alloc_calls();
  request();
  assert_int_equal(mp__sys_alloc_calls(), before);
}

/* The class of a block, by its definition: the smallest class of at
 * least `need` bytes, if it is aligned to `align` (a power-of-two class to
 * its size, the others to 64 bytes); else, or above the largest class, -1
 * (the block bypasses the cache). */
static int class_by_definition(size_t need, size_t align) {
  for (int c = 0; c < MP_CACHE_CLASSES; c++) {
    size_t size = mp__class_sizes[c];
    if (size >= need) {
      size_t calign = (size & (size - 1)) == 0 ? size : 64;
      return align <= calign ? c : -1;
    }
  }
  return -1;
}

static void block_classes_as_defined(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0); /* on the block cache */
  assert_non_null(p);
  for (size_t align = 1; align <= ((size_t)1 << 21); align *= 2) {
    /* Every size up to 8 KiB, then each class boundary and its
     * neighbours up to past the largest class. */
    for (size_t need = 1; need <= 8192; need++)
      assert_int_equal(mp__block_class(p, need, align),
                       class_by_definition(need, align));
    for (int c = 0; c < MP_CACHE_CLASSES; c++)
      for (size_t d = 0; d < 5; d++) {
        size_t need = mp__class_sizes[c] - 2 + d;
        assert_int_equal(mp__block_class(p, need, align),
                         class_by_definition(need, align));
      }
  }
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(late_regions_as_built), /* first: see there */
      cmocka_unit_test(small_pools_stay_small),
      cmocka_unit_test(block_classes_as_defined),
      cmocka_unit_test(steady_state_calls_no_allocator),
      cmocka_unit_test(flush_then_refill),
      cmocka_unit_test(bounded_front),
      cmocka_unit_test(released_blocks_stay_released),
      cmocka_unit_test(destroyed_pools_stay_warm),
      cmocka_unit_test(same_work_touches_same_pages),
      cmocka_unit_test(odd_large_blocks_are_retained),
      cmocka_unit_test(big_blocks_are_retained),
      cmocka_unit_test(retain_cap_bounds_memory),
      cmocka_unit_test(retained_memory_decays),
      cmocka_unit_test(threads_migrate_blocks),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
