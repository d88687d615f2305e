/*
 * Failure injection for cleanups, child pools and strings: fail the backing
 * allocator's k-th call, for every k until the workload completes.  Every
 * call must fail cleanly (NULL or -1 with ENOMEM, nothing registered or
 * created), the pools must stay usable, every registered cleanup must run
 * exactly once, and nothing may leak.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <stdio.h>

static int registered, ran;

static void count_run(void *data) {
  (void)data;
  ran++;
}

/* Checks the result of a call that may fail with ENOMEM. */
#define TRY(expr)                                                              \
  do {                                                                         \
    if ((expr) == NULL) {                                                      \
      assert_int_equal(errno, ENOMEM);                                         \
      failed++;                                                                \
    }                                                                          \
  } while (0)

static int workload(test_alloc_t *t, long k) {
  ta_init(t);
  t->fail_at = k;
  registered = ran = 0;
  int failed = 0;
  mp_pool_t *root = ta_pool(t, 1024);
  if (root == NULL) {
    assert_int_equal(errno, ENOMEM);
    return 1;
  }
  char word[300];
  memset(word, 'a', sizeof word - 1);
  word[sizeof word - 1] = '\0';
  mp_pool_t *kids[8] = {0};
  for (int i = 0; i < 60; i++) {
    mp_pool_t *p = kids[i % 8] != NULL ? kids[i % 8] : root;
    switch (i % 10) {
    case 0:
      kids[i % 8] = mp_create_child(root, 1024);
      TRY(kids[i % 8]);
      break;
    case 1:
      if (kids[(i + 3) % 8] != NULL) {
        kids[(i + 2) % 8] = mp_create_child(kids[(i + 3) % 8], 2048);
        TRY(kids[(i + 2) % 8]);
      }
      break;
    case 2: {
      mp_cleanup_t *c = mp_cleanup_add(p, count_run, NULL);
      TRY(c);
      if (c != NULL)
        registered++;
      break;
    }
    case 3: {
      char *s = mp_printf(p, "%d:%s", i, word); /* several nodes' worth */
      TRY(s);
      if (s != NULL)
        assert_int_equal(strlen(s), sizeof word - 1 + (i < 10 ? 2 : 3));
      break;
    }
    case 4: {
      char *s = mp_printf(p, "%s%s%s%s", word, word, word, word); /* large */
      TRY(s);
      break;
    }
    case 5:
      TRY(mp_strcat(p, word, "-", word, (char *)NULL));
      break;
    case 6: {
      const char *parts[] = {word, word, word};
      TRY(mp_join(p, parts, 3, ","));
      break;
    }
    case 7:
      TRY(mp_strndup(p, word, 200));
      TRY(mp_memdup(p, word, sizeof word));
      break;
    case 8:
      if (kids[i % 8] != NULL) {
        mp_destroy_pool(kids[i % 8]); /* its cleanups run now */
        for (int j = 0; j < 8; j++)   /* its descendants are gone too */
          kids[j] = NULL;
      }
      break;
    default:
      if (i == 49) {
        mp_reset_pool(root);
        for (int j = 0; j < 8; j++)
          kids[j] = NULL;
      }
      break;
    }
  }
  /* Still usable after failures. */
  t->fail_at = -1;
  mp_pool_t *c = mp_create_child(root, 0);
  assert_non_null(c);
  assert_non_null(mp_cleanup_add(c, count_run, NULL));
  registered++;
  assert_string_equal(mp_printf(c, "%s", "ok"), "ok");
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(root, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.bytes_reserved, t->live_bytes);
  mp_destroy_pool(root);
  assert_int_equal(ran, registered);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
  return failed;
}

static void fail_every_call(void **state) {
  (void)state;
  static test_alloc_t t;
  long k = 0;
  for (;; k++) {
    int failed = workload(&t, k);
    if (t.fails == 0) {
      assert_int_equal(failed, 0);
      break; /* the workload needed fewer than k + 1 calls */
    }
    assert_true(failed >= 1);
  }
  assert_true(k > 20);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fail_every_call),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
