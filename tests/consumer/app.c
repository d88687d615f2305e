/* A program built against mpool: an installed copy (CMake package or
 * pkg-config) or mpool as a subproject (the projects in tests/consumer). */
#include <mpool.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  if (mpool_version() != MPOOL_VERSION) {
    fprintf(stderr, "header %d, library %d\n", MPOOL_VERSION, mpool_version());
    return 1;
  }
  mp_pool_t *pool = mp_create_pool(0);
  if (pool == NULL)
    return 1;
  char *s = mp_nalloc(pool, 6);
  void *big = mp_alloc(pool, 1 << 20);
  if (s == NULL || big == NULL || mp_free(pool, big) != 0) {
    mp_destroy_pool(pool);
    return 1;
  }
  memcpy(s, "hello", 6);
  mp_destroy_pool(pool);
  printf("consumer: ok\n");
  return 0;
}
