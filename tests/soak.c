/*
 * Soak test: runs N request cycles (default 10,000,000) and checks that
 * the resident set stays flat.  Each cycle creates a pool, allocates
 * objects of mixed sizes (some large), frees some with mp_free_sized(),
 * reallocs, registers a cleanup, creates a child pool, builds strings, and
 * ends with a reset (then more work) or a destroy; a long-lived pool is
 * also reset every cycle.  Sizes follow the benchmark's mixed mix.  RSS
 * is printed at 20 points; after warm-up (10% of the run) it must grow by
 * at most 1 MiB over the RSS at 10%.
 *
 * Then a tenth as many pool lifetimes: a root with a byte budget, two
 * children (one with a budget of its own), cleanups on each, allocations,
 * and a destroy of the root; afterwards, with the block cache flushed, the
 * RSS must be back within 1 MiB of where it was before them.
 *
 *   soak [cycles] [norss]
 *
 * "norss" skips the RSS bound (for Valgrind and sanitizer builds, whose
 * allocators hold freed memory in quarantine).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpool.h"

static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng >> 32);
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = 0;
  if (f == NULL)
    return -1;
  if (fscanf(f, "%ld %ld", &size, &res) != 2)
    res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long cleanups_ran;

static void on_cleanup(void *data) {
  (void)data;
  cleanups_ran++;
}

static void fail(const char *what, unsigned long cycle) {
  fprintf(stderr, "soak: %s failed in cycle %lu\n", what, cycle);
  exit(1);
}

/* The size mix of the benchmark matrix's "mixed": 70% 8-64 B, 25%
 * 65-512 B, 4.9% 513 B-4 KiB, 0.1% 4-16 KiB. */
static size_t mixed_size(unsigned r) {
  unsigned pick = r % 1000, v = r / 1000;
  if (pick < 700)
    return 8 + v % 57;
  if (pick < 950)
    return 65 + v % 448;
  if (pick < 999)
    return 513 + v % 3584;
  return 4097 + v % 12288;
}

/* The work of one request on pool p. */
static void work(mp_pool_t *p, unsigned long cycle) {
  void *objs[24];
  size_t sizes[24];
  for (int i = 0; i < 24; i++) {
    unsigned r = next();
    size_t n = mixed_size(r);
    objs[i] = (r & 64) ? mp_alloc(p, n) : mp_nalloc(p, n);
    if (objs[i] == NULL)
      fail("mp_alloc", cycle);
    memset(objs[i], (int)i, n < 64 ? n : 64);
    sizes[i] = n;
  }
  for (int i = 0; i < 24; i += 3) /* give some back */
    if (mp_free_sized(p, objs[i], sizes[i]) != 0)
      fail("mp_free_sized", cycle);
  for (int i = 2; i < 24; i += 11) { /* not among the freed */
    size_t n = sizes[i] * 2 + 1;
    void *q = mp_realloc(p, objs[i], sizes[i], n);
    if (q == NULL)
      fail("mp_realloc", cycle);
    objs[i] = q;
    sizes[i] = n;
  }
  if (mp_cleanup_add(p, on_cleanup, NULL) == NULL)
    fail("mp_cleanup_add", cycle);
  mp_pool_t *c = mp_create_child(p, 4096);
  if (c == NULL || mp_alloc(c, 100 + next() % 900) == NULL)
    fail("child pool", cycle);
  if (mp_printf(p, "GET /item/%lu HTTP/1.1", cycle) == NULL ||
      mp_strdup(c, "Host: example.org") == NULL)
    fail("strings", cycle);
}

/* One pool lifetime: a budgeted root, two children, cleanups, work. */
static void lifetime(unsigned long cycle) {
  mp_options_t o;
  mp_options_init(&o);
  o.budget = (size_t)1 << 20;
  mp_pool_t *root = mp_create_pool_ex(&o);
  if (root == NULL)
    fail("budgeted root", cycle);
  mp_pool_t *a = mp_create_child(root, 0);
  mp_options_init(&o);
  o.parent = root;
  o.budget = (size_t)256 << 10;
  mp_pool_t *b = mp_create_pool_ex(&o);
  if (a == NULL || b == NULL)
    fail("children", cycle);
  mp_pool_t *all[3] = {root, a, b};
  for (int k = 0; k < 3; k++) {
    if (mp_cleanup_add(all[k], on_cleanup, NULL) == NULL)
      fail("mp_cleanup_add", cycle);
    for (int i = 0; i < 8; i++)
      if (mp_alloc(all[k], mixed_size(next())) == NULL)
        fail("mp_alloc", cycle);
  }
  if (cycle % 3 == 0)
    mp_destroy_pool(b); /* a child before its parent */
  mp_destroy_pool(root);
}

int main(int argc, char **argv) {
  unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000000ul;
  int check = !(argc > 2 && strcmp(argv[2], "norss") == 0);
  if (n < 20)
    n = 20;
  mp_pool_t *server = mp_create_pool(0); /* reset every cycle */
  if (server == NULL)
    fail("mp_create_pool", 0);
  long base = -1, peak = 0;
  int bad = 0;
  double t0 = now();
  for (unsigned long i = 0; i < n; i++) {
    mp_pool_t *p = mp_create_pool(next() % 2 ? 0 : 4096);
    if (p == NULL)
      fail("mp_create_pool", i);
    work(p, i);
    if (i % 2) {
      mp_reset_pool(p);
      work(p, i);
    }
    mp_destroy_pool(p);
    work(server, i);
    mp_reset_pool(server);
    if ((i + 1) % (n / 20) == 0) {
      long r = rss_kib();
      printf("soak: cycle %10lu  rss %7ld KiB  %8.2f s\n", i + 1, r,
             now() - t0);
      fflush(stdout);
      if (i + 1 == n / 10 * 1)
        base = r;
      if (base >= 0 && r > peak)
        peak = r;
      if (check && base >= 0 && r > base + 1024) {
        printf("soak: rss %ld KiB exceeds the bound %ld KiB\n", r, base + 1024);
        bad = 1;
      }
    }
  }
  mp_destroy_pool(server);
  mpool_cache_flush();
  double t1 = now();
  long before = rss_kib(), top = before;
  unsigned long lives = n / 10;
  for (unsigned long i = 0; i < lives; i++) {
    lifetime(i);
    if ((i + 1) % (lives / 4 > 0 ? lives / 4 : 1) == 0) {
      long r = rss_kib();
      top = r > top ? r : top;
      printf("soak: lifetime %9lu  rss %7ld KiB  %8.2f s\n", i + 1, r,
             now() - t1);
      fflush(stdout);
    }
  }
  mpool_cache_flush();
  long after = rss_kib();
  printf("soak: %lu pool lifetimes in %.2f s; rss before: %ld KiB, peak: "
         "%ld KiB, after a cache flush: %ld KiB%s\n",
         lives, now() - t1, before, top, after, check ? "" : " (not checked)");
  if (check && after > before + 1024) {
    printf("soak: rss %ld KiB is not back within 1 MiB of %ld KiB\n", after,
           before);
    bad = 1;
  }
  /* per pool, its reset, the server, and three per lifetime */
  unsigned long expect = n + n / 2 + n + 3 * lives;
  if (cleanups_ran != expect) {
    printf("soak: %lu cleanups ran, expected %lu\n", cleanups_ran, expect);
    bad = 1;
  }
  printf("soak: %lu cycles in %.2f s; rss at 10%%: %ld KiB, peak after: "
         "%ld KiB%s\n",
         n, now() - t0, base, peak, check ? "" : " (not checked)");
  if (bad)
    return 1;
  printf("soak: ok\n");
  return 0;
}
