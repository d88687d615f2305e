/*
 * The seed API's names and meanings, as its users rely on them.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

/* Defect 1: a fresh pool has a well-formed node list: a pool that only
 * ever uses its first node, and one that grows, both reset and destroy. */
static void fresh_pool_is_well_formed(void **state) {
  (void)state;
  struct mp_pool_s *p = mp_create_pool(1 << 12);
  assert_non_null(p);
  mp_reset_pool(p);
  mp_destory_pool(p);
  p = mp_create_pool(1 << 12);
  for (int i = 0; i < 10; i++)
    assert_non_null(mp_alloc(p, 512));
  mp_reset_pool(p);
  for (int i = 0; i < 58; i++)
    assert_non_null(mp_alloc(p, 256));
  mp_destory_pool(p);
}

static void seed_sequence(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  struct mp_pool_s *p = ta_pool(&t, 1 << 12);
  /* Debug builds give each object a block and quarantine freed ones: the
   * block counts below do not apply there, the rest does. */
  int exact = (mpool_build_flags() & MPOOL_BUILD_DEBUG) == 0;
  for (int i = 0; i < 10; i++) {
    char *a = mp_alloc(p, 512);
    assert_true(ta_contains(&t, a, 512));
    memset(a, i, 512);
  }
  for (int i = 0; i < 5; i++) {
    char *c = mp_calloc(p, 32);
    for (int j = 0; j < 32; j++)
      assert_int_equal(c[j], 0);
  }
  size_t live = t.live_blocks;
  for (int i = 0; i < 5; i++) {
    void *l = mp_alloc(p, 8192);
    assert_int_equal(t.live_blocks, live + 1);
    mp_free(p, l);
    if (exact)
      assert_int_equal(t.live_blocks, live);
    live = t.live_blocks;
  }
  mp_reset_pool(p);
  /* Defect 3: the nodes from before the reset serve the same requests
   * again, without a call to the allocator. */
  long calls = t.calls;
  for (int i = 0; i < 10; i++)
    assert_non_null(mp_alloc(p, 512));
  if (exact)
    assert_int_equal(t.calls, calls);
  for (int i = 0; i < 58; i++)
    assert_non_null(mp_alloc(p, 256));
  mp_destory_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fresh_pool_is_well_formed),
      cmocka_unit_test(seed_sequence),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
