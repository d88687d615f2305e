/*
 * Callgrind driver for the stable figure: instructions per small mp_alloc()
 * on the reset workload.  One pool; each request makes 32..48 allocations
 * of 8-512 bytes (the request plan, small sizes only), touches them, and
 * resets the pool.  Run it under
 *
 *   valgrind --tool=callgrind --toggle-collect=mp_alloc ./mpool-icount N
 *
 * so that only instructions executed inside mp_alloc() and what it calls
 * are counted; dividing by the number of calls printed here gives
 * instructions per call.  mp_alloc is called through a volatile pointer so
 * that link-time optimisation cannot inline it into this loop (callgrind
 * would then never see the function entered).
 *
 * Output: "calls <n>".
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include "mpool.h"

#include "common.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  unsigned long long requests = argc > 1 ? strtoull(argv[1], NULL, 0) : 20000;
  mpb_params_t p;
  mpb_params_default(&p);
  mpb_plan_t plan;
  if (mpb_plan_init(&plan, p.seed, 1)) {
    fprintf(stderr, "icount: out of memory\n");
    return 1;
  }
  void *(*volatile alloc)(mp_pool_t *, size_t) = mp_alloc;
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
      mpb_touch(o, sz[i]);
      calls++;
    }
    mp_reset_pool(pool);
  }
  mp_destroy_pool(pool);
  mpb_plan_free(&plan);
  printf("calls %" PRIu64 "\n", calls);
  return 0;
}
