/*
 * Deliberate bugs for Valgrind memcheck, one per mode given as argv[1];
 * tests/valgrind-expect.sh runs each under memcheck and checks the report.
 * Built only with MPOOL_VALGRIND, where the library tells memcheck about
 * every object.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <string.h>

#include "mpool.h"

static volatile unsigned char sink;

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  mp_pool_t *p = mp_create_pool(0);
  if (p == NULL)
    return 2;
  if (strcmp(mode, "use-after-reset") == 0) {
    unsigned char *a = mp_alloc(p, 32);
    a[0] = 1;
    mp_reset_pool(p);
    sink = a[0];
  } else if (strcmp(mode, "use-after-rewind") == 0) {
    unsigned char *keep = mp_alloc(p, 32);
    mp_mark_t *m = mp_mark(p);
    unsigned char *a = mp_alloc(p, 32);
    keep[0] = a[0] = 1;
    mp_rewind(p, m);
    sink = keep[0]; /* made before the mark: still there */
    sink = a[0];
  } else if (strcmp(mode, "use-after-free") == 0) {
    unsigned char *a = mp_alloc(p, 64);
    unsigned char *b = mp_alloc(p, 64);
    a[0] = b[0] = 1;
    mp_free_sized(p, a, 64);
    sink = a[8];
  } else if (strcmp(mode, "uninitialised") == 0) {
    unsigned char *a = mp_alloc(p, 32);
    memset(a, 42, 32);
    mp_free_sized(p, a, 32);
    a = mp_alloc(p, 32); /* reused memory is undefined again */
    if (a[3] == 42)      /* a decision on an uninitialised byte */
      puts("forty-two");
  } else if (strcmp(mode, "overflow") == 0) {
    unsigned char *a = mp_alloc(p, 20);
    sink = a[24]; /* past the object, in the node's free space */
  } else if (strcmp(mode, "leak") == 0) {
    (void)mp_alloc(p, 100);
    p = NULL; /* the pool is never destroyed */
    return 0;
  } else if (strcmp(mode, "clean") == 0) {
    /* Marks, rewinds, resizes in place and frees, without a bug: memcheck
     * checks its mempools at each resize. */
    for (int round = 0; round < 3; round++) {
      unsigned char *keep = mp_alloc(p, 40);
      mp_mark_t *m = mp_mark(p);
      for (int i = 0; i < 300; i++)
        memset(mp_alloc(p, 64), 1, 64);
      mp_rewind(p, m);
      unsigned char *a = mp_alloc(p, 40);
      memset(a, 2, 40);
      a = mp_realloc(p, a, 40, 400); /* the newest: grows in place */
      memset(a, 3, 400);
      memset(keep, 4, 40);
      mp_free_sized(p, a, 400);
      if (round == 1)
        mp_reset_pool(p);
    }
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  mp_destroy_pool(p);
  mpool_cache_flush();
  return 0;
}
