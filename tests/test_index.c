/*
 * The ownership index (src/index.c), checked against a model.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include "mp_internal.h"

#define N 5000

static void index_matches_model(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  assert_true(mp__index_build(p));
  /* Keys clustered like real addresses: multiples of 16 in a small range,
   * so probe runs collide and wrap. */
  static unsigned char in[N];
  uint64_t r = 12345;
  for (int step = 0; step < 200000; step++) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    size_t k = (size_t)(r >> 33) % N;
    uintptr_t key = (uintptr_t)0x10000 + k * 16;
    if (in[k]) {
      assert_true(mp__index_has(&p->index, key));
      if ((r >> 20) & 1) {
        mp__index_del(&p->index, key);
        in[k] = 0;
      }
    } else {
      assert_false(mp__index_has(&p->index, key));
      if (mp__index_add(p, key) == 0)
        in[k] = 1;
    }
    if (step % 20000 == 0)
      for (size_t j = 0; j < N; j++)
        assert_int_equal(mp__index_has(&p->index, (uintptr_t)0x10000 + j * 16),
                         in[j]);
  }
  for (size_t j = 0; j < N; j++)
    if (in[j])
      mp__index_del(&p->index, (uintptr_t)0x10000 + j * 16);
  assert_int_equal(p->index.count, 1); /* the first node */
  assert_false(mp__index_has(&p->index, 0));
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Growing the table can fail; the add reports ENOMEM and the index stays
 * as it was. */
static void index_grow_fails(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  assert_true(mp__index_build(p));
  t.fail_at = t.calls; /* the next call fails */
  int added = 0;
  while (mp__index_add(p, (uintptr_t)(0x1000 + 16 * added)) == 0)
    added++;
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(t.fails, 1);
  for (int i = 0; i < added; i++)
    assert_true(mp__index_has(&p->index, (uintptr_t)(0x1000 + 16 * i)));
  for (int i = 0; i < added; i++)
    mp__index_del(&p->index, (uintptr_t)(0x1000 + 16 * i));
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* With no memory for the table, ownership questions are still answered
 * right, by walking the lists; the table is built once memory is back. */
static void lookups_without_a_table(void **state) {
  (void)state;
  SKIP_IF_HARDENED(); /* keeps its index from the start; aborts on &local */
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 1024);
  void *small[40], *large[12];
  for (int i = 0; i < 40; i++)
    small[i] = mp_alloc(p, 200); /* many nodes: the table must grow */
  for (int i = 0; i < 12; i++)
    large[i] = mp_alloc(p, 3000);
  t.fail_all = 1; /* no memory for the table */
  int local;
  errno = 0;
  assert_int_equal(mp_free(p, &local), -1);
  assert_int_equal(errno, EINVAL);
  assert_true(t.fails >= 1);
  assert_false(p->index.built);
  for (int i = 0; i < 40; i++)
    assert_int_equal(mp_free_sized(p, small[i], 200), 0);
  for (int i = 0; i < 12; i += 2)
    assert_int_equal(mp_free(p, large[i]), 0);
  assert_false(p->index.built);
  t.fail_all = 0;
  assert_int_equal(mp_free(p, large[1]), 0); /* builds the table now */
  assert_true(p->index.built);
  assert_int_equal(mp_free(p, large[0]), -1); /* already freed */
  for (int i = 3; i < 12; i += 2)
    assert_int_equal(mp_free(p, large[i]), 0);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(index_matches_model),
      cmocka_unit_test(index_grow_fails),
      cmocka_unit_test(lookups_without_a_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
