/*
 * Object pools (src/objpool.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

struct item {
  int key;
  struct item *next;
  char name[20];
};

static void get_put_reuses(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_objpool_t *op = mp_objpool_create(p, sizeof(struct item), 0);
  assert_non_null(op);
  struct item *a = mp_objpool_get(op);
  struct item *b = mp_objpool_get(op);
  assert_ptr_not_equal(a, b);
  assert_true(is_aligned(a, alignof(max_align_t)));
  assert_int_equal(mp_objpool_put(op, a), 0);
  assert_int_equal(mp_objpool_put(op, b), 0);
  assert_ptr_equal(mp_objpool_get(op), b); /* LIFO */
  assert_ptr_equal(mp_objpool_get(op), a);
  assert_int_equal(mp_objpool_put(op, NULL), 0);
  mp_destroy_pool(p);
}

/* Steady get/put keeps the pool's footprint flat. */
static void steady_state_is_flat(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  mp_objpool_t *op = mp_objpool_create(p, 48, 64);
  void *held[100];
  for (int i = 0; i < 100; i++) {
    held[i] = mp_objpool_get(op);
    assert_true(is_aligned(held[i], 64));
  }
  long calls = t.calls;
  for (int round = 0; round < 1000; round++) {
    for (int i = 0; i < 100; i++)
      mp_objpool_put(op, held[i]);
    for (int i = 0; i < 100; i++) {
      held[i] = mp_objpool_get(op);
      memset(held[i], round, 48);
    }
  }
  assert_int_equal(t.calls, calls);
  mp_destroy_pool(p);
}

static void tiny_objects(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_objpool_t *op = mp_objpool_create(p, 1, 0); /* holds at least a link */
  char *c = mp_objpool_get(op);
  *c = 'x';
  mp_objpool_put(op, c);
  assert_ptr_equal(mp_objpool_get(op), c);
  mp_destroy_pool(p);
}

static void bad_input(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  errno = 0;
  assert_null(mp_objpool_create(NULL, 8, 0));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_objpool_create(p, 8, 12));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_objpool_create(p, 8, 2));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_objpool_create(p, SIZE_MAX, 0));
  assert_int_equal(errno, EOVERFLOW);
  errno = 0;
  assert_null(mp_objpool_get(NULL));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_objpool_put(NULL, p), -1);
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_put_reuses),
      cmocka_unit_test(steady_state_is_flat),
      cmocka_unit_test(tiny_objects),
      cmocka_unit_test(bad_input),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
