/*
 * Edge cases and regression tests for bugs found by fuzzing.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

/* Regression (found by fuzz/fuzz_ops.c): mp_memalign() in a pool with size
 * headers, with an alignment above the pool's whose object plus header
 * plus alignment did not fit in a node, took new nodes forever instead of
 * using a large block. */
static void hdr_memalign_near_node_size(void **state) {
  (void)state;
  static const size_t nodes[] = {1024, 2048, 4096};
  for (size_t ni = 0; ni < 3; ni++) {
    mp_options_t o;
    mp_options_init(&o);
    o.node_size = nodes[ni];
    o.flags = MP_POOL_SIZE_HEADERS;
    mp_pool_t *p = mp_create_pool_ex(&o);
    assert_non_null(p);
    for (size_t a = 16; a <= nodes[ni]; a *= 2) {
      for (size_t n = 1; n <= nodes[ni]; n = n * 2 + 15) {
        unsigned char *q = mp_memalign(p, n, a);
        assert_non_null(q);
        assert_true(is_aligned(q, a));
        memset(q, 0x77, n);
        assert_int_equal(mp_free(p, q), 0);
      }
    }
    mp_destroy_pool(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hdr_memalign_near_node_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
