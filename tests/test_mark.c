/*
 * Marks (src/mark.c): rewinding releases exactly what came after the mark,
 * with the free lists, large blocks, cleanups and children; stale and
 * foreign marks are refused.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include "mp_internal.h"

static void rewind_releases_what_came_after(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  char *a = mp_alloc(p, 40);
  strcpy(a, "before");
  char *big_before = mp_alloc(p, 9000);
  size_t blocks = t.live_blocks;
  mp_mark_t *m = mp_mark(p);
  assert_non_null(m);
  char *b = mp_alloc(p, 40);
  (void)mp_nalloc(p, 7);
  for (int i = 0; i < 100; i++) /* into new nodes */
    assert_non_null(mp_alloc(p, 300));
  char *big_after = mp_alloc(p, 9000);
  assert_non_null(big_after);
  assert_int_equal(mp_rewind(p, m), 0);
  assert_true(mp__check(p));
  /* The large block made after the mark is gone, the one before is not. */
  if (!bad_frees_abort())
    assert_int_equal(mp_free(p, big_after), -1);
  assert_int_equal(mp_free(p, big_before), 0);
  assert_string_equal(a, "before");
  /* Bump allocation continues where it stood: the mark's own record lies
   * before it, so the next object starts right after the record. */
  char *b2 = mp_alloc(p, 40);
  assert_true(b2 <= b);
  /* The nodes were kept: doing it again asks the allocator for nothing. */
  long calls = t.calls;
  for (int i = 0; i < 100; i++)
    assert_non_null(mp_alloc(p, 300));
  assert_int_equal(t.calls, calls);
  (void)blocks;
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* A pool whose current node has `room` bytes left at the bump pointer,
 * right after *x (64 bytes), and a listed free chunk before *x: a mark
 * taken now gets its record from that chunk, so *x ends exactly at the
 * mark's position. */
static mp_pool_t *object_at_mark(unsigned char **x, size_t room) {
  mp_pool_t *p = mp_create_exact(4096);
  assert_non_null(p);
  void *a = mp_alloc(p, 600);       /* too big for the hot cache: listed */
  assert_non_null(mp_alloc(p, 16)); /* keeps a's chunk apart from x */
  *x = mp_alloc(p, 64);
  assert_non_null(a);
  assert_non_null(*x);
  assert_int_equal(mp_free_sized(p, a, 600), 0);
  uintptr_t end = ((uintptr_t)*x & ~(uintptr_t)4095) + 4096;
  size_t left = end - ((uintptr_t)*x + 64);
  assert_true(left > room);
  while (left > room) { /* from the top, in pieces below the threshold */
    size_t n = left - room < 512 ? left - room : 512;
    assert_non_null(mp_nalloc(p, n));
    left -= n;
  }
  return p;
}

/* An object made before a mark does not grow in place across the mark's
 * position, at the bump pointer or into a chunk freed after the mark: a
 * rewind gives that memory back, and the next allocation would share it
 * with the object.  It moves instead, into memory made after the mark. */
static void realloc_does_not_cross_a_mark(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  SKIP_UNLESS_EXACT_LAYOUT();
  for (int via_chunk = 0; via_chunk < 2; via_chunk++) {
    unsigned char *x;
    mp_pool_t *p = object_at_mark(&x, 32);
    mp_mark_t *m = mp_mark(p);
    assert_non_null(m);
    if (via_chunk) { /* a chunk right after x, freed after the mark */
      void *w = mp_alloc(p, 16);
      assert_ptr_equal(w, x + 64);
      assert_non_null(mp_alloc(p, 16));
      assert_int_equal(mp_free_sized(p, w, 16), 0);
    }
    unsigned char *y = mp_realloc(p, x, 64, 80);
    assert_non_null(y);
    assert_ptr_not_equal(y, x); /* moved: made after the mark */
    memset(y, 0xaa, 80);
    assert_int_equal(mp_rewind(p, m), 0);
    assert_true(mp__check(p));
    mp_destroy_pool(p);
  }
}

static int ran[8];
static void note(void *data) { ran[(intptr_t)data]++; }

static void rewind_runs_later_cleanups_and_children(void **state) {
  (void)state;
  memset(ran, 0, sizeof ran);
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(mp_cleanup_add(p, note, (void *)0));
  mp_pool_t *old_child = mp_create_child(p, 0);
  assert_non_null(mp_cleanup_add(old_child, note, (void *)1));
  mp_mark_t *m = mp_mark(p);
  assert_non_null(mp_cleanup_add(p, note, (void *)2));
  mp_pool_t *new_child = mp_create_child(p, 0);
  assert_non_null(mp_cleanup_add(new_child, note, (void *)3));
  mp_cleanup_t *gone = mp_cleanup_add(p, note, (void *)4);
  assert_int_equal(mp_cleanup_remove(p, gone), 0);
  assert_int_equal(mp_rewind(p, m), 0);
  assert_int_equal(ran[0], 0);
  assert_int_equal(ran[1], 0);
  assert_int_equal(ran[2], 1);
  assert_int_equal(ran[3], 1); /* the new child was destroyed */
  assert_int_equal(ran[4], 0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.children, 1);
  assert_int_equal(st.cleanups, 1);
  mp_destroy_pool(p);
  assert_int_equal(ran[0], 1);
  assert_int_equal(ran[1], 1);
}

static void nested_and_stale(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_pool_t *q = mp_create_pool(0);
  mp_mark_t *m1 = mp_mark(p);
  (void)mp_alloc(p, 10);
  mp_mark_t *m2 = mp_mark(p);
  (void)mp_alloc(p, 10);
  mp_mark_t *mq = mp_mark(q);
  /* Hardened builds abort on a stale or foreign mark (test_hardened). */
  bool release = !bad_frees_abort();
  errno = 0;
  if (release) {
    assert_int_equal(mp_rewind(p, mq), -1); /* another pool's */
    assert_int_equal(errno, EINVAL);
  }
  assert_int_equal(mp_rewind(p, m1), 0); /* drops m2 too */
  if (release) {
    errno = 0;
    assert_int_equal(mp_rewind(p, m2), -1); /* stale */
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(mp_rewind(p, m1), -1); /* used up */
    assert_int_equal(errno, EINVAL);
  }
  mp_mark_t *m3 = mp_mark(p);
  mp_reset_pool(p);
  if (release)
    assert_int_equal(mp_rewind(p, m3), -1); /* dropped by the reset */
  assert_int_equal(mp_rewind(NULL, m3), -1);
  assert_int_equal(mp_rewind(p, NULL), -1);
  errno = 0;
  assert_null(mp_mark(NULL));
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mp_rewind(q, mq), 0);
  mp_destroy_pool(p);
  mp_destroy_pool(q);
}

/* Random allocate / free / realloc / mark / rewind against a model. */
struct obj {
  unsigned char *p;
  size_t n;
  unsigned long id; /* creation order */
  unsigned char tag;
};

static void model_with_marks(void **state) {
  (void)state;
  static struct obj o[800];
  unsigned long marks_at[16];
  mp_mark_t *marks[16];
  for (uint64_t seed = 1; seed <= 16; seed++) {
    test_alloc_t *t = malloc(sizeof *t);
    ta_init(t);
    mp_pool_t *p = ta_pool(t, seed % 2 ? 1024 : 8192);
    uint64_t r = seed * 0x9E3779B97F4A7C15ull;
    size_t n = 0, nm = 0;
    unsigned long id = 0;
    for (int step = 0; step < 3000; step++) {
      r ^= r << 13, r ^= r >> 7, r ^= r << 17;
      int op = (int)(r % 100);
      if (op < 40 && n < 800) {
        size_t sz = (r >> 20) % 5 == 0 ? (size_t)((r >> 24) % 3000)
                                       : (size_t)((r >> 24) % 200);
        o[n].p = (r >> 40) % 4 == 0 ? mp_nalloc(p, sz) : mp_alloc(p, sz);
        assert_non_null(o[n].p);
        o[n].n = sz;
        o[n].id = ++id;
        o[n].tag = (unsigned char)(id * 13 + 1);
        memset(o[n].p, o[n].tag, sz);
        n++;
      } else if (op < 65 && n > 0) {
        size_t i = (size_t)((r >> 16) % n);
        assert_int_equal(mp_free_sized(p, o[i].p, o[i].n), 0);
        o[i] = o[--n];
      } else if (op < 75 && n > 0) {
        size_t i = (size_t)((r >> 16) % n);
        size_t ns = (size_t)((r >> 30) % 400);
        unsigned char *q = mp_realloc(p, o[i].p, o[i].n, ns);
        assert_non_null(q);
        for (size_t j = 0; j < (ns < o[i].n ? ns : o[i].n); j++)
          assert_int_equal(q[j], o[i].tag);
        o[i].p = q;
        o[i].n = ns;
        /* A moved object counts as new for the marks taken meanwhile. */
        o[i].id = ++id;
        memset(q, o[i].tag, ns);
      } else if (op < 85 && nm < 16) {
        marks[nm] = mp_mark(p);
        assert_non_null(marks[nm]);
        marks_at[nm++] = id;
      } else if (op < 97 && nm > 0) {
        size_t k = (size_t)((r >> 16) % nm);
        assert_int_equal(mp_rewind(p, marks[k]), 0);
        for (size_t i = 0; i < n;)
          if (o[i].id > marks_at[k])
            o[i] = o[--n];
          else
            i++;
        nm = k;
      } else if (op >= 99) {
        mp_reset_pool(p);
        n = nm = 0;
      }
      if (!mp__check(p))
        fail_msg("seed %d step %d op %d: invariant broken", (int)seed, step,
                 op);
      if (step % 50 == 0)
        for (size_t i = 0; i < n; i++)
          for (size_t j = 0; j < o[i].n; j++)
            if (o[i].p[j] != o[i].tag)
              fail_msg("seed %d step %d: object %lu corrupted", (int)seed, step,
                       o[i].id);
    }
    mp_destroy_pool(p);
    assert_int_equal(t->live_blocks, 0);
    free(t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rewind_releases_what_came_after),
      cmocka_unit_test(rewind_runs_later_cleanups_and_children),
      cmocka_unit_test(nested_and_stale),
      cmocka_unit_test(realloc_does_not_cross_a_mark),
      cmocka_unit_test(model_with_marks),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
