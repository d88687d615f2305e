/*
 * Failure injection for cleanups, child pools and strings: fail the backing
 * allocator's k-th call (or every call from the k-th on), for every k until
 * the workload completes.  Every call must fail cleanly (NULL or -1 with
 * ENOMEM and one call of the out-of-memory hook, nothing registered or
 * created), the pools must stay usable, every registered cleanup must run
 * exactly once, and nothing may leak.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "oom_util.h"

static int registered, ran;

static void count_run(void *data) {
  (void)data;
  ran++;
}

static void workload(oom_run_t *r) {
  test_alloc_t *t = r->t;
  registered = ran = 0;
  mp_options_t o = oom_options(t, 1024, 0);
  mp_pool_t *root;
  oom_begin(r);
  OOM_TRY_HOOKS(r, root, mp_create_pool_ex(&o), 0L); /* a root: no hook */
  if (root == NULL)
    return;
  char word[300];
  memset(word, 'a', sizeof word - 1);
  word[sizeof word - 1] = '\0';
  mp_pool_t *kids[8] = {0};
  for (int i = 0; i < 60; i++) {
    mp_pool_t *p = kids[i % 8] != NULL ? kids[i % 8] : root;
    switch (i % 10) {
    case 0:
      OOM_TRY(r, kids[i % 8], mp_create_child(root, 1024));
      break;
    case 1:
      if (kids[(i + 3) % 8] != NULL) {
        OOM_TRY(r, kids[(i + 2) % 8], mp_create_child(kids[(i + 3) % 8], 2048));
      }
      break;
    case 2: {
      mp_cleanup_t *c;
      OOM_TRY(r, c, mp_cleanup_add(p, count_run, NULL));
      if (c != NULL)
        registered++;
      break;
    }
    case 3: {
      char *s;
      OOM_TRY(r, s, mp_printf(p, "%d:%s", i, word)); /* several nodes */
      if (s != NULL)
        assert_int_equal(strlen(s), sizeof word - 1 + (i < 10 ? 2 : 3));
      break;
    }
    case 4: {
      char *s;
      OOM_TRY(r, s, mp_printf(p, "%s%s%s%s", word, word, word, word));
      break;
    }
    case 5: {
      char *s;
      OOM_TRY(r, s, mp_strcat(p, word, "-", word, (char *)NULL));
      break;
    }
    case 6: {
      const char *parts[] = {word, word, word};
      char *s;
      OOM_TRY(r, s, mp_join(p, parts, 3, ","));
      break;
    }
    case 7: {
      char *s;
      void *d;
      OOM_TRY(r, s, mp_strndup(p, word, 200));
      OOM_TRY(r, d, mp_memdup(p, word, sizeof word));
      break;
    }
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
  oom_end(r);
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
}

static void fail_every_call(void **state) {
  (void)state;
  oom_every_k_both(workload, NULL, 20);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fail_every_call),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
