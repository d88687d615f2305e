/*
 * Callgrind driver for the stable figure: instructions per small mp_alloc()
 * on the reset workload.  One pool; each request makes 32..48 allocations
 * of 8-512 bytes (the request plan, small sizes only), touches them, and
 * resets the pool.
 *
 *   mpool-icount N inline   counts what a caller compiles: mp_alloc(p, n)
 *                           as the header provides it (an inline fast path
 *                           that calls the library when the node is full),
 *                           inside a non-inlined site function
 *                           mpb_icount_site(); run under
 *                           valgrind --tool=callgrind
 *                                   --toggle-collect='mpb_icount_site*'
 *   mpool-icount N call     calls the library function mp_alloc through a
 *                           volatile pointer (no inlining possible); run
 *                           with --toggle-collect=mp_alloc
 *
 * Either way only instructions executed inside the toggled function and
 * what it calls are counted, including the occasional new node; dividing by
 * the number of calls printed here ("calls <n>") gives instructions per
 * call.  The site function adds its own return instruction to the inline
 * figure.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include "mpool.h"

#include "common.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#define MPB_NOINLINE __attribute__((noinline))
#elif defined(__GNUC__)
#define MPB_NOINLINE __attribute__((noinline, noipa))
#else
#define MPB_NOINLINE
#endif

/* The call site callgrind toggles on; external so it keeps its name. */
MPB_NOINLINE void *mpb_icount_site(mp_pool_t *pool, size_t size);
MPB_NOINLINE void *mpb_icount_site(mp_pool_t *pool, size_t size) {
  return mp_alloc(pool, size);
}

/* The common case in C code: a size known at compile time, as in
 * mp_alloc(pool, sizeof *obj). */
MPB_NOINLINE void *mpb_icount_const(mp_pool_t *pool, size_t size);
MPB_NOINLINE void *mpb_icount_const(mp_pool_t *pool, size_t size) {
  (void)size;
  return mp_alloc(pool, 48);
}

int main(int argc, char **argv) {
  unsigned long long requests = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000;
  const char *variant = argc > 2 ? argv[2] : "inline";
  int inline_site = strcmp(variant, "call") != 0;
  int const_site = strcmp(variant, "const") == 0;
  mpb_params_t p;
  mpb_params_default(&p);
  mpb_plan_t plan;
  if (mpb_plan_init(&plan, p.seed, 1)) {
    fprintf(stderr, "icount: out of memory\n");
    return 1;
  }
  /* `mp_alloc` not followed by "(" names the library function even where
   * the header defines the inline macro. */
  void *(*volatile alloc)(mp_pool_t *, size_t) = const_site ? mpb_icount_const
                                                 : inline_site ? mpb_icount_site
                                                               : mp_alloc;
  mp_pool_t *pool = mp_create_pool(0);
  if (!pool) {
    fprintf(stderr, "icount: mp_create_pool failed\n");
    return 1;
  }
  uint64_t calls = 0;
  for (unsigned long long r = 0; r < requests; r++) {
    uint32_t k = (uint32_t)(r % MPB_PLAN_REQUESTS);
    const uint32_t *sz = plan.sizes + plan.start[k];
    for (uint32_t i = 0; i < plan.count[k]; i++) {
      void *o = alloc(pool, sz[i]);
      if (!o) {
        fprintf(stderr, "icount: mp_alloc failed\n");
        return 1;
      }
      mpb_touch(o, const_site ? 48 : sz[i], mpb_touch_lines);
      calls++;
    }
    mp_reset_pool(pool);
  }
  mp_destroy_pool(pool);
  mpb_plan_free(&plan);
  printf("calls %" PRIu64 "\n", calls);
  return 0;
}
