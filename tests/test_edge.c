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

/* Regression (found by tests/test_oom_reuse.c): a node that became
 * entirely free and went back to the block source stayed counted in
 * mp_stats().bytes_reserved. */
static void released_node_not_reserved(void **state) {
  (void)state;
  test_alloc_t *t = malloc(sizeof *t);
  ta_init(t);
  mp_pool_t *p = ta_pool(t, 1024);
  assert_non_null(p);
  void *objs[64];
  for (int i = 0; i < 64; i++)
    objs[i] = (mp_alloc)(p, 100); /* several nodes' worth */
  for (int i = 0; i < 63; i++)    /* all but the newest: nodes empty out */
    assert_int_equal(mp_free_sized(p, objs[i], 100), 0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_reserved, t->live_bytes);
  mp_destroy_pool(p);
  assert_int_equal(t->live_bytes, 0);
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(hdr_memalign_near_node_size),
      cmocka_unit_test(released_node_not_reserved),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
