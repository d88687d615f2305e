/*
 * A program in the style of the seed API's users: it uses only the seed's
 * names and types, discards results where such programs do, and must build
 * unchanged against <mpool.h> and run clean under ASan, UBSan and Valgrind.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.h>
#include <stdio.h>

int main(int argc, char *argv[]) {
  (void)argc;
  (void)argv;
  int node = 1 << 12;
  int bad = 0;

  struct mp_pool_s *pool = mp_create_pool(node);
  if (pool == NULL)
    return 1;

  for (int k = 0; k < 10; k++) {
    void *chunk = mp_alloc(pool, 512); /* result kept but unused */
    (void)chunk;
  }

  for (int k = 0; k < 5; k++) {
    char *zeroed = mp_calloc(pool, 32);
    for (int b = 0; b < 32; b++)
      bad |= zeroed[b] != 0;
  }

  for (int k = 0; k < 5; k++) {
    void *big = mp_alloc(pool, 8192);
    mp_free(pool, big); /* the seed's callers ignore mp_free's result */
  }

  mp_reset_pool(pool);

  for (int k = 0; k < 58; k++)
    mp_alloc(pool, 256); /* result discarded, as seed programs do */

  void *aligned = mp_memalign(pool, 100, 64);
  void *packed = mp_nalloc(pool, 7);
  bad |= aligned == NULL || packed == NULL;

  mp_destory_pool(pool);

  printf(bad ? "seed program: FAILED\n" : "seed program: ok\n");
  return bad;
}
