/*
 * A consumer of include/mpool.h written so that one file is valid C89
 * (gnu89), C99, C11, C2x and C++11/17: scripts/consumer-test.sh compiles
 * it in each mode with gcc and clang, -Wall -Wextra -Wpedantic -Werror,
 * links it against the installed library and runs it.  It uses the
 * header's macros and inline functions (mp_alloc's inline fast path, the
 * sentinel of mp_strcat, the size constants of the stats structs, the
 * constant expression of MP_RT_BOUND), where language-mode trouble would
 * show.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.h>

#include <stdio.h>
#include <string.h>

static int failed(const char *what) {
  fprintf(stderr, "header modes: %s\n", what);
  return 1;
}

static void on_cleanup(void *data) { *(int *)data += 1; }

/* A real-time pool in a static buffer sized by the header's constant
 * expression. */
static unsigned char rt_heap[MP_RT_BOUND(4096, 256)];

static int rt_pool(void) {
  mp_rt_t *rt = mp_rt_init(rt_heap, sizeof rt_heap);
  mp_rt_stats_t rst;
  char *p;
  if (rt == NULL || mp_rt_bound(4096, 256) > sizeof rt_heap)
    return failed("rt init");
  p = (char *)mp_rt_alloc(rt, 100);
  if (p == NULL || mp_rt_check(rt) != 1)
    return failed("rt alloc");
  p = (char *)mp_rt_realloc(rt, p, 200);
  rst.size = sizeof rst;
  if (p == NULL || mp_rt_free(rt, p) != 0 || mp_rt_stats(rt, &rst) != 0 ||
      rst.live_blocks != 0 || sizeof rst < MP_RT_STATS_MIN_SIZE)
    return failed("rt free");
  mp_rt_destroy(rt);
  return 0;
}

int main(void) {
  mp_options_t opt;
  mp_pool_t *pool, *child;
  mp_stats_t st;
  mpool_cache_stats_t cs;
  char *s, *joined;
  int *ints;
  void *big;
  int ran = 0;

  if (mpool_version() != MPOOL_VERSION)
    return failed("version");
  mp_options_init(&opt);
  opt.node_size = 4096;
  opt.flags = MP_POOL_EXACT_NODES;
  pool = mp_create_pool_ex(&opt);
  if (pool == NULL)
    return failed("create");
  ints = (int *)mp_alloc(pool, 10 * sizeof *ints); /* the inline path */
  s = mp_strdup(pool, "mode");
  joined = mp_strcat(pool, s, "-", "ok", (char *)NULL);
  big = mp_calloc(pool, (size_t)1 << 16);
  if (ints == NULL || s == NULL || joined == NULL || big == NULL ||
      strcmp(joined, "mode-ok") != 0)
    return failed("allocate");
  ints[9] = 9;
  if (mp_free(pool, big) != 0 || mp_free_sized(pool, ints, 10 * sizeof *ints))
    return failed("free");
  if (mp_cleanup_add(pool, on_cleanup, &ran) == NULL)
    return failed("cleanup");
  child = mp_create_child(pool, 0);
  if (child == NULL || mp_alloc(child, 100) == NULL)
    return failed("child");
  st.size = sizeof st;
  if (mp_stats(pool, &st, MP_STATS_CHILDREN) != 0 || st.children != 1 ||
      sizeof st < MP_STATS_MIN_SIZE)
    return failed("stats");
  cs.size = sizeof cs;
  if (mpool_cache_stats(&cs) != 0 || sizeof cs < MPOOL_CACHE_STATS_MIN_SIZE)
    return failed("cache stats");
  mp_reset_pool(pool);
  if (ran != 1)
    return failed("reset");
  mp_destory_pool(pool); /* the seed's spelling */
  if (rt_pool() != 0)
    return 1;
  printf("header modes: ok\n");
  return 0;
}
