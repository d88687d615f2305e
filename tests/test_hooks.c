/*
 * Allocation events (src/hooks.c, src/hooked.c): exact counts for a
 * scripted sequence, block events alone, the process-wide hook, unset
 * hooks and bad inputs.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

typedef struct {
  int n[MP_EVENT_DESTROY + 1];
  long long block_bytes; /* acquired less released */
  const mp_pool_t *pool; /* only events of this pool are counted */
  const char *name;      /* the last event's name */
  void *last_ptr, *last_old;
  size_t last_size, last_old_size;
} counts_t;

static void on_event(const mp_event_t *ev, void *arg) {
  counts_t *c = arg;
  if (c->pool != NULL && ev->pool != c->pool)
    return;
  assert_true(ev->kind >= MP_EVENT_BLOCK_ACQUIRE &&
              ev->kind <= MP_EVENT_DESTROY);
  c->n[ev->kind]++;
  if (ev->kind == MP_EVENT_BLOCK_ACQUIRE)
    c->block_bytes += (long long)ev->size;
  if (ev->kind == MP_EVENT_BLOCK_RELEASE)
    c->block_bytes -= (long long)ev->size;
  c->name = ev->name;
  c->last_ptr = ev->ptr;
  c->last_size = ev->size;
  c->last_old = ev->old_ptr;
  c->last_old_size = ev->old_size;
}

static void scripted_sequence_counts(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* there every object is a block */
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  assert_int_equal(mp_pool_set_name(p, "script", NULL), 0);
  counts_t c;
  memset(&c, 0, sizeof c);
  c.pool = p;
  assert_int_equal(mp_pool_set_hook(p, on_event, &c, MP_HOOK_OBJECTS), 0);
  void *a = mp_alloc(p, 100);
  void *b = mp_alloc(p, 24);
  assert_non_null(mp_nalloc(p, 7));
  assert_non_null(mp_memalign(p, 40, 64));
  assert_non_null(mp_strdup(p, "str"));
  assert_int_equal(c.n[MP_EVENT_ALLOC], 5);
  assert_string_equal(c.name, "script");
  assert_int_equal(c.last_size, 4);
  void *big = mp_alloc(p, 100000);
  assert_non_null(big);
  assert_int_equal(c.n[MP_EVENT_ALLOC], 6);
  assert_int_equal(c.n[MP_EVENT_BLOCK_ACQUIRE], 1);
  assert_ptr_equal(c.last_ptr, big);
  assert_int_equal(mp_free(p, big), 0);
  assert_int_equal(c.n[MP_EVENT_BLOCK_RELEASE], 1);
  assert_int_equal(c.n[MP_EVENT_FREE], 1);
  assert_int_equal(c.block_bytes, 0);
  assert_int_equal(mp_free_sized(p, b, 24), 0);
  assert_int_equal(c.n[MP_EVENT_FREE], 2);
  assert_int_equal(c.last_size, 24);
  void *a2 = mp_realloc(p, a, 100, 200);
  assert_non_null(a2);
  assert_int_equal(c.n[MP_EVENT_RESIZE], 1);
  assert_ptr_equal(c.last_old, a);
  assert_int_equal(c.last_old_size, 100);
  assert_int_equal(c.last_size, 200);
  mp_reset_pool(p);
  assert_int_equal(c.n[MP_EVENT_RESET], 1);
  int before = c.n[MP_EVENT_BLOCK_RELEASE];
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  mp_destroy_pool(p);
  assert_int_equal(c.n[MP_EVENT_DESTROY], 1);
  assert_int_equal(c.n[MP_EVENT_BLOCK_RELEASE] - before, (int)st.nodes);
}

/* Block events alone: the pool keeps its fast path, its objects tell
 * nothing, every block acquired is released. */
static void block_events_only(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  counts_t c;
  memset(&c, 0, sizeof c);
  c.pool = p;
  assert_int_equal(mp_pool_set_hook(p, on_event, &c, 0), 0);
  for (int i = 0; i < 2000; i++)
    assert_non_null(mp_alloc(p, 64));
  assert_non_null(mp_alloc(p, 50000));
  assert_int_equal(c.n[MP_EVENT_ALLOC], 0);
  assert_true(c.n[MP_EVENT_BLOCK_ACQUIRE] >= 2);
  mp_destroy_pool(p);
  assert_int_equal(c.n[MP_EVENT_DESTROY], 0); /* an object event */
  /* The first node was acquired before the hook: released, not seen. */
  mp_stats_t st;
  (void)st;
  assert_true(c.block_bytes < 0);
}

/* The process-wide hook: every pool's blocks, from creation on, and the
 * object events of pools created while it has MP_HOOK_OBJECTS. */
static void process_hook(void **state) {
  (void)state;
  counts_t c;
  memset(&c, 0, sizeof c);
  assert_int_equal(mpool_set_hook(on_event, &c, MP_HOOK_OBJECTS), 0);
  mp_pool_t *p = mp_create_pool(0);
  c.pool = p;
  /* Creation was told before c.pool was set: start counting afresh. */
  memset(c.n, 0, sizeof c.n);
  c.block_bytes = 0;
  assert_non_null(mp_alloc(p, 10));
  assert_int_equal(c.n[MP_EVENT_ALLOC], 1);
  assert_null(c.name);
  assert_int_equal(mp_pool_set_name(p, "named", NULL), 0);
  assert_non_null(mp_alloc(p, 10));
  assert_string_equal(c.name, "named");
  mp_destroy_pool(p);
  assert_int_equal(c.n[MP_EVENT_DESTROY], 1);
  /* A pool's first node is told at creation. */
  counts_t all;
  memset(&all, 0, sizeof all);
  assert_int_equal(mpool_set_hook(on_event, &all, 0), 0);
  mp_pool_t *q = mp_create_pool(0);
  assert_int_equal(all.n[MP_EVENT_BLOCK_ACQUIRE], 1);
  assert_non_null(mp_alloc(q, 10));
  assert_int_equal(all.n[MP_EVENT_ALLOC], 0);
  mp_destroy_pool(q);
  assert_int_equal(all.block_bytes, 0);
  assert_int_equal(mpool_set_hook(NULL, NULL, 0), 0);
}

/* Unset hooks tell nothing: cleared per pool and process-wide. */
static void unset_hooks(void **state) {
  (void)state;
  counts_t c;
  memset(&c, 0, sizeof c);
  mp_pool_t *p = mp_create_pool(0);
  assert_int_equal(mp_pool_set_hook(p, on_event, &c, MP_HOOK_OBJECTS), 0);
  assert_int_equal(mp_pool_set_hook(p, NULL, NULL, MP_HOOK_OBJECTS), 0);
  assert_int_equal(mpool_set_hook(on_event, &c, 0), 0);
  assert_int_equal(mpool_set_hook(NULL, &c, 0), 0);
  for (int i = 0; i < 1000; i++)
    assert_non_null(mp_alloc(p, 100));
  assert_non_null(mp_alloc(p, 100000));
  mp_reset_pool(p);
  mp_destroy_pool(p);
  for (int k = 0; k <= MP_EVENT_DESTROY; k++)
    assert_int_equal(c.n[k], 0);
  /* Clearing a hook never set takes no memory. */
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *q = ta_pool(&t, 4096);
  long calls = t.calls;
  assert_int_equal(mp_pool_set_hook(q, NULL, NULL, 0), 0);
  assert_int_equal(t.calls, calls);
  mp_destroy_pool(q);
}

/* A shared pool tells its block events, named by its handle. */
static void shared_pool_blocks(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_SHARED);
  counts_t c;
  memset(&c, 0, sizeof c);
  c.pool = p;
  errno = 0;
  assert_int_equal(mp_pool_set_hook(p, on_event, &c, MP_HOOK_OBJECTS), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mp_pool_set_hook(p, on_event, &c, 0), 0);
  assert_non_null(mp_alloc(p, 100000));
  assert_int_equal(c.n[MP_EVENT_BLOCK_ACQUIRE], 1);
  mp_destroy_pool(p);
  assert_true(c.n[MP_EVENT_BLOCK_RELEASE] >= 2);
}

/* A shared pool's creation is told as its handle's: the block events of
 * its first node name the handle (not the pool behind it, which no caller
 * knows), so a process-wide hook sees every block it took given back. */
typedef struct {
  int n, others;
  const mp_pool_t *want;
  long long block_bytes;
} pools_t;

static void on_any(const mp_event_t *ev, void *arg) {
  pools_t *c = arg;
  c->n++;
  if (c->want == NULL)
    c->want = ev->pool; /* the first event names the new pool */
  else if (ev->pool != c->want)
    c->others++;
  if (ev->kind == MP_EVENT_BLOCK_ACQUIRE)
    c->block_bytes += (long long)ev->size;
  if (ev->kind == MP_EVENT_BLOCK_RELEASE)
    c->block_bytes -= (long long)ev->size;
}

static void shared_creation_named_by_handle(void **state) {
  (void)state;
  for (int adaptive = 0; adaptive < 2; adaptive++) {
    pools_t c;
    memset(&c, 0, sizeof c);
    assert_int_equal(mpool_set_hook(on_any, &c, MP_HOOK_OBJECTS), 0);
    mp_pool_t *p =
        flag_pool(MP_POOL_SHARED | (adaptive ? MP_POOL_ADAPTIVE : 0));
    assert_true(c.n >= 1);
    assert_ptr_equal(c.want, p);
    assert_non_null(mp_alloc(p, 100000)); /* a large block */
    mp_destroy_pool(p);
    assert_int_equal(mpool_set_hook(NULL, NULL, 0), 0);
    assert_int_equal(c.others, 0);
    assert_int_equal(c.block_bytes, 0); /* all it took, given back */
  }
}

/* A pool made under a process-wide hook with MP_HOOK_OBJECTS tells that
 * hook its object events for good, whatever hook of its own it is given
 * or loses later. */
static void process_objects_survive_pool_hook(void **state) {
  (void)state;
  counts_t all, mine;
  memset(&all, 0, sizeof all);
  memset(&mine, 0, sizeof mine);
  assert_int_equal(mpool_set_hook(on_event, &all, MP_HOOK_OBJECTS), 0);
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  all.pool = mine.pool = p;
  assert_int_equal(mp_pool_set_hook(p, on_event, &mine, 0), 0); /* blocks */
  assert_non_null(mp_alloc(p, 10));
  assert_int_equal(all.n[MP_EVENT_ALLOC], 1);
  assert_int_equal(mine.n[MP_EVENT_ALLOC], 0);
  assert_int_equal(mp_pool_set_hook(p, on_event, &mine, MP_HOOK_OBJECTS), 0);
  assert_int_equal(mp_pool_set_hook(p, NULL, NULL, 0), 0); /* cleared */
  void *q = mp_alloc(p, 20);
  assert_non_null(q);
  assert_int_equal(mp_free(p, q), 0);
  assert_int_equal(all.n[MP_EVENT_ALLOC], 2);
  assert_int_equal(all.n[MP_EVENT_FREE], 1);
  mp_destroy_pool(p);
  assert_int_equal(all.n[MP_EVENT_DESTROY], 1);
  assert_int_equal(mpool_set_hook(NULL, NULL, 0), 0);
}

static void bad_inputs(void **state) {
  (void)state;
  errno = 0;
  assert_int_equal(mp_pool_set_hook(NULL, on_event, NULL, 0), -1);
  assert_int_equal(errno, EINVAL);
  mp_pool_t *p = mp_create_pool(0);
  errno = 0;
  assert_int_equal(mp_pool_set_hook(p, on_event, NULL, 2), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mpool_set_hook(on_event, NULL, 2), -1);
  assert_int_equal(errno, EINVAL);
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shared_pool_blocks),
      cmocka_unit_test(scripted_sequence_counts),
      cmocka_unit_test(block_events_only),
      cmocka_unit_test(process_hook),
      cmocka_unit_test(unset_hooks),
      cmocka_unit_test(shared_creation_named_by_handle),
      cmocka_unit_test(process_objects_survive_pool_hook),
      cmocka_unit_test(bad_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
