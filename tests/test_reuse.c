/*
 * The free-list engine (src/reuse.c): random sequences of allocate, free,
 * resize and reset checked against a model, with the invariant walker run
 * after every step; coalescing; nodes going back; bounded memory.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include "mp_internal.h"

static uint64_t rng_state;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Mostly small sizes, some up to a few KiB. */
static size_t rnd_size(void) {
  uint64_t r = rnd() % 100;
  if (r < 70)
    return (size_t)(rnd() % 128);
  if (r < 95)
    return (size_t)(rnd() % 1024);
  return (size_t)(rnd() % 6000);
}

struct live {
  unsigned char *p;
  size_t size;
  size_t align;
  unsigned char tag;
};

#define MAXLIVE 600
static struct live live[MAXLIVE];
static size_t nlive;

static void fill(struct live *o) { memset(o->p, o->tag, o->size); }

static void verify_all(void) {
  for (size_t i = 0; i < nlive; i++) {
    for (size_t j = 0; j < live[i].size; j++)
      if (live[i].p[j] != live[i].tag)
        fail_msg("object %zu (%p, %zu bytes) corrupted at byte %zu", i,
                 (void *)live[i].p, live[i].size, j);
    assert_true(is_aligned(live[i].p, live[i].align));
  }
  /* No two objects overlap. */
  for (size_t i = 0; i < nlive; i++)
    for (size_t j = i + 1; j < nlive; j++) {
      const unsigned char *a = live[i].p, *b = live[j].p;
      size_t na = live[i].size ? live[i].size : 1;
      size_t nb = live[j].size ? live[j].size : 1;
      assert_true(a + na <= b || b + nb <= a);
    }
}

static void run_model(size_t node_size, size_t align, unsigned flags,
                      uint64_t seed, int steps) {
  test_alloc_t *t = malloc(sizeof *t);
  ta_init(t);
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = node_size;
  o.alignment = align;
  o.allocator = &t->a;
  o.flags = (flags) | MP_POOL_EXACT_NODES;
  mp_pool_t *p = mp_create_pool_ex(&o);
  assert_non_null(p);
  size_t pa = align < 16 ? 16 : align;
  rng_state = seed;
  nlive = 0;
  unsigned char tag = 1;
  for (int step = 0; step < steps; step++) {
    uint64_t op = rnd() % 100;
    if (op < 45 && nlive < MAXLIVE) {
      struct live *o2 = &live[nlive];
      o2->size = rnd_size();
      int kind = (int)(rnd() % 4);
      o2->align = pa;
      if (kind == 0) {
        o2->p = mp_alloc(p, o2->size);
      } else if (kind == 1) {
        o2->p = mp_nalloc(p, o2->size);
        o2->align = (flags & MP_POOL_SIZE_HEADERS) ? pa : 1;
      } else if (kind == 2) {
        o2->p = mp_calloc(p, o2->size);
        for (size_t j = 0; j < o2->size; j++)
          assert_int_equal(o2->p[j], 0);
      } else {
        o2->align = (size_t)8 << (rnd() % 6);
        o2->p = mp_memalign(p, o2->size, o2->align);
      }
      assert_non_null(o2->p);
      o2->tag = tag++ ? tag : ++tag;
      fill(o2);
      nlive++;
    } else if (op < 80 && nlive > 0) {
      size_t i = (size_t)(rnd() % nlive);
      int rc = (flags & MP_POOL_SIZE_HEADERS) && (rnd() & 1)
                   ? mp_free(p, live[i].p)
                   : mp_free_sized(p, live[i].p, live[i].size);
      assert_int_equal(rc, 0);
      live[i] = live[--nlive];
    } else if (op < 97 && nlive > 0) {
      size_t i = (size_t)(rnd() % nlive);
      size_t ns = rnd_size();
      unsigned char *q = (flags & MP_POOL_SIZE_HEADERS) && (rnd() & 1)
                             ? mp_realloc_unsized(p, live[i].p, ns)
                             : mp_realloc(p, live[i].p, live[i].size, ns);
      assert_non_null(q);
      size_t keep = ns < live[i].size ? ns : live[i].size;
      for (size_t j = 0; j < keep; j++)
        assert_int_equal(q[j], live[i].tag);
      live[i].p = q;
      live[i].size = ns;
      if (live[i].align > pa || (uintptr_t)q % pa != 0)
        live[i].align = (uintptr_t)q % pa == 0 ? pa : 1;
      fill(&live[i]);
    } else if (op >= 99) {
      mp_reset_pool(p);
      nlive = 0;
    }
    if (!mp__check(p))
      fail_msg("invariant broken after step %d (op %d)", step, (int)op);
    if (step % 97 == 0)
      verify_all();
  }
  verify_all();
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  free(t);
}

static void model_default(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 12; seed++)
    run_model(16384, 0, 0, seed * 0x9E3779B97F4A7C15ull, 4000);
}

static void model_small_nodes(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 12; seed++)
    run_model(1024, 0, 0, seed * 0x2545F4914F6CDD1Dull, 4000);
}

static void model_aligned_pool(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 4; seed++)
    run_model(8192, 64, 0, seed * 0x1234567ull, 3000);
}

static void model_headers(void **state) {
  (void)state;
  for (uint64_t seed = 1; seed <= 4; seed++)
    run_model(4096, 0, MP_POOL_SIZE_HEADERS, seed * 0x7654321ull, 3000);
}

/* Freeing the last allocation gives its bytes back to the bump pointer. */
static void last_goes_back_to_bump(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  mp_pool_t *p = mp_create_pool(0);
  void *a = mp_alloc(p, 100);
  assert_int_equal(mp_free_sized(p, a, 100), 0);
  assert_ptr_equal(mp_alloc(p, 100), a);
  char *s = mp_nalloc(p, 7);
  assert_int_equal(mp_free_sized(p, s, 7), 0);
  assert_ptr_equal(mp_nalloc(p, 7), s);
  assert_true(mp__check(p));
  mp_destroy_pool(p);
}

/* Three neighbours freed in any order merge into one chunk that serves a
 * request as large as all three. */
static void neighbours_coalesce(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                      {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (int k = 0; k < 6; k++) {
    mp_pool_t *p = mp_create_pool(0);
    unsigned char *o[3];
    for (int i = 0; i < 3; i++)
      o[i] = mp_alloc(p, 96);
    void *guard = mp_alloc(p, 16); /* keeps them off the bump pointer */
    assert_non_null(guard);
    for (int i = 0; i < 3; i++) {
      assert_int_equal(mp_free_sized(p, o[orders[k][i]], 96), 0);
      assert_true(mp__check(p));
    }
    /* Exhaust the bump space so the next request must use the lists. */
    while ((size_t)(p->top - p->w.ptr) >= 288)
      (void)mp_alloc(p, 256);
    assert_ptr_equal(mp_alloc(p, 288), o[0]);
    assert_true(mp__check(p));
    mp_destroy_pool(p);
  }
}

/* A node whose objects are all freed goes back to the block source, so the
 * pool's footprint shrinks with its live set. */
static void empty_node_goes_back(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  size_t base = t.live_blocks;
  static void *o[400];
  for (int i = 0; i < 400; i++)
    o[i] = mp_alloc(p, 200);
  size_t peak = t.live_blocks;
  assert_true(peak > base + 15);
  for (int i = 0; i < 400; i++)
    assert_int_equal(mp_free_sized(p, o[i], 200), 0);
  assert_true(mp__check(p));
  /* The first node, the current one, the free lists (and perhaps the index
   * table) remain. */
  assert_true(t.live_blocks <= base + 3);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* A long-lived pool with a steady live set and random free + allocate stays
 * within a bounded footprint. */
static void churn_is_bounded(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t *t = malloc(sizeof *t);
  ta_init(t);
  mp_pool_t *p = ta_pool(t, 65536);
  enum { N = 2000 };
  static struct {
    void *p;
    size_t n;
  } o[N];
  rng_state = 42;
  size_t live_bytes = 0;
  for (int i = 0; i < N; i++) {
    o[i].n = 8 + (size_t)(rnd() % 505);
    o[i].p = mp_alloc(p, o[i].n);
    live_bytes += o[i].n;
  }
  size_t peak = 0;
  for (int step = 0; step < 200000; step++) {
    int i = (int)(rnd() % N);
    assert_int_equal(mp_free_sized(p, o[i].p, o[i].n), 0);
    live_bytes -= o[i].n;
    o[i].n = rnd() % 50 == 0 ? 1024 + (size_t)(rnd() % 15000)
                             : 8 + (size_t)(rnd() % 505);
    o[i].p = mp_alloc(p, o[i].n);
    assert_non_null(o[i].p);
    live_bytes += o[i].n;
    if (step > 20000 && t->live_bytes > peak)
      peak = t->live_bytes;
  }
  assert_true(mp__check(p));
  /* Generous bound: fragmentation, granule rounding and large-block
   * headers, but no growth with the number of steps. */
  assert_true(peak < 3 * live_bytes + 8 * 65536);
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  free(t);
}

/* Regression: freeing the most recent mp_nalloc() object must not pull a
 * free chunk above it into the free space when a live packed object sits
 * in the partial granule between them. */
static void packed_neighbour_survives_top_giveback(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  SKIP_UNLESS_EXACT_LAYOUT();
  mp_pool_t *p = mp_create_exact(4096);
  unsigned char *x = mp_nalloc(p, 40);
  unsigned char *q = mp_nalloc(p, 2);
  unsigned char *r = mp_nalloc(p, 5);
  assert_ptr_equal(q + 2, x);
  assert_ptr_equal(r + 5, q);
  memcpy(q, "Q!", 2);
  assert_int_equal(mp_free_sized(p, x, 40), 0); /* inner granules freed */
  assert_int_equal(mp_free_sized(p, r, 5), 0);  /* most recent: to top */
  assert_true(mp__check(p));
  for (int i = 0; i < 300; i++)
    memset(mp_nalloc(p, 1 + (size_t)i % 9), 0xEE, 1 + (size_t)i % 9);
  assert_memory_equal(q, "Q!", 2);
  assert_true(mp__check(p));
  mp_destroy_pool(p);
}

/* Objects freed between live neighbours wait unmerged in the hot cache.
 * A node whose objects all went there (and to the lists) is given back
 * once the pool would grow, before it takes a new node: deferred merging
 * never makes the pool bigger. */
static void hot_cache_merges_before_growth(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT();
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  enum { N = 200 };
  static unsigned char *o[N];
  static size_t sz[N];
  for (int i = 0; i < N; i++) {
    sz[i] = 16 * (size_t)(1 + i % 16); /* 16 sizes: the cache takes many */
    o[i] = mp_alloc(p, sz[i]);
    assert_non_null(o[i]);
  }
  struct mp_node *n = p->first->next->next;
  assert_non_null(n->next); /* neither the first nor the current node */
  /* A first free makes the free lists and the ownership index. */
  assert_int_equal(mp_free_sized(p, o[0], sz[0]), 0);
  o[0] = NULL;
  size_t blocks = t.live_blocks;
  /* The node's objects, freed every other one, then the rest. */
  for (int pass = 0; pass < 2; pass++) {
    int k = 0;
    for (int i = 1; i < N; i++) {
      if (mp__node_at(p, o[i]) != n)
        continue;
      if (k++ % 2 == pass)
        assert_int_equal(mp_free_sized(p, o[i], sz[i]), 0);
      assert_true(mp__check(p));
    }
  }
  /* Requests no free chunk can serve, until the pool needs a new node:
   * the node freed goes back (at once in builds without the cache)
   * before the pool takes another. */
  struct mp_node *cur = p->current;
  while (p->current == cur) {
    void *big = mp_alloc(p, 900);
    assert_non_null(big);
    memset(big, 7, 900);
  }
  assert_true(mp__check(p));
  assert_true(t.live_blocks <= blocks);
  for (int i = 1; i < N; i++)
    if (mp__node_at(p, o[i]) != n)
      assert_int_equal(mp_free_sized(p, o[i], sz[i]), 0);
  assert_true(mp__check(p));
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

/* Reset forgets the free lists: nothing freed before is handed out twice. */
static void reset_forgets_lists(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_exact(4096);
  void *o[50];
  for (int i = 0; i < 50; i++)
    o[i] = mp_alloc(p, 100);
  for (int i = 0; i < 50; i += 2)
    mp_free_sized(p, o[i], 100);
  mp_reset_pool(p);
  assert_true(mp__check(p));
  void *seen[200];
  for (int i = 0; i < 200; i++) {
    seen[i] = mp_alloc(p, 100);
    for (int j = 0; j < i; j++)
      assert_ptr_not_equal(seen[i], seen[j]);
  }
  assert_true(mp__check(p));
  mp_destroy_pool(p);
}

/* The hot cache runs where the layout is exact and no memory tool
 * follows every object (MPOOL_VALGRIND builds do not cache). */
#define SKIP_UNLESS_HOT_CACHE()                                                \
  do {                                                                         \
    if (!layout_is_exact() || (mpool_build_flags() & MPOOL_BUILD_VALGRIND)) {  \
      print_message("skipped: no hot cache in this build\n");                  \
      skip();                                                                  \
    }                                                                          \
  } while (0)

/* A freed object with live neighbours waits in the hot cache, and the
 * next request of its size takes it back before the bump space. */
static void hot_cache_serves_first(void **state) {
  (void)state;
  SKIP_UNLESS_HOT_CACHE();
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  unsigned char *o[10];
  for (int i = 0; i < 10; i++) {
    o[i] = mp_alloc(p, 48);
    assert_non_null(o[i]);
    memset(o[i], i, 48);
  }
  assert_int_equal(mp_free_sized(p, o[3], 48), 0);
  assert_int_equal(p->reuse->nhot[2], 1);
  assert_true(mp__check(p));
  assert_ptr_equal(mp_alloc(p, 48), o[3]); /* not the bump space */
  assert_int_equal(p->reuse->nhot[2], 0);
  assert_true(mp__check(p));
  mp_destroy_pool(p);
}

/* A burst of frees (a collector's sweep) is cached whole, far deeper than
 * a few chunks a size, and handed back newest first. */
static void hot_cache_takes_a_sweep(void **state) {
  (void)state;
  SKIP_UNLESS_HOT_CACHE();
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  enum { N = 200 };                   /* all in the first node */
  static unsigned char *o[2 * N + 1]; /* the last stays live */
  for (int i = 0; i < 2 * N + 1; i++) {
    o[i] = mp_alloc(p, 48);
    assert_non_null(o[i]);
  }
  for (int i = 0; i < N; i++)
    assert_int_equal(mp_free_sized(p, o[2 * i + 1], 48), 0);
  assert_int_equal(p->reuse->nhot[2], N);
  assert_int_equal(p->reuse->hot_bytes, (size_t)N * 48);
  assert_true(mp__check(p));
  for (int i = N - 1; i >= 0; i--)
    assert_ptr_equal(mp_alloc(p, 48), o[2 * i + 1]);
  assert_int_equal(p->reuse->hot_bytes, 0);
  assert_true(mp__check(p));
  mp_destroy_pool(p);
}

/* An object that grows into a cached neighbour takes that chunk out of
 * the cache, and only that one: the rest of the cache stays. */
static void realloc_grows_into_cached_neighbour(void **state) {
  (void)state;
  SKIP_UNLESS_HOT_CACHE();
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  unsigned char *o[8];
  for (int i = 0; i < 8; i++) {
    o[i] = mp_alloc(p, 32);
    assert_non_null(o[i]);
    memset(o[i], 'a' + i, 32);
  }
  assert_int_equal(mp_free_sized(p, o[5], 32), 0); /* stays cached */
  assert_int_equal(mp_free_sized(p, o[2], 32), 0); /* o[1] grows into it */
  assert_int_equal(p->reuse->nhot[1], 2);
  assert_true(mp__check(p));
  assert_ptr_equal(mp_realloc(p, o[1], 32, 64), o[1]);
  assert_int_equal(p->reuse->nhot[1], 1);
  assert_int_equal(p->reuse->hot[1], (uintptr_t)o[5]);
  for (int i = 0; i < 32; i++)
    assert_int_equal(o[1][i], 'b');
  assert_true(mp__check(p));
  /* Blocked by a live neighbour: it moves, and the cache stays. */
  unsigned char *q = mp_realloc(p, o[3], 32, 64);
  assert_non_null(q);
  assert_ptr_not_equal(q, o[3]);
  assert_int_equal(q[31], 'd');
  assert_true(mp__check(p));
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(model_default),
      cmocka_unit_test(model_small_nodes),
      cmocka_unit_test(model_aligned_pool),
      cmocka_unit_test(model_headers),
      cmocka_unit_test(last_goes_back_to_bump),
      cmocka_unit_test(neighbours_coalesce),
      cmocka_unit_test(empty_node_goes_back),
      cmocka_unit_test(churn_is_bounded),
      cmocka_unit_test(reset_forgets_lists),
      cmocka_unit_test(hot_cache_merges_before_growth),
      cmocka_unit_test(hot_cache_serves_first),
      cmocka_unit_test(hot_cache_takes_a_sweep),
      cmocka_unit_test(realloc_grows_into_cached_neighbour),
      cmocka_unit_test(packed_neighbour_survives_top_giveback),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  mpool_cache_flush();
  return rc;
}
