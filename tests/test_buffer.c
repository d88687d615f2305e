/*
 * Pools on caller memory (mp_options_t.buffer): no call to the backing
 * allocator without MP_POOL_BUFFER_OVERFLOW, clean ENOMEM when full, reuse
 * of given-back blocks, overflow routed by address, bad buffers.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <pthread.h>

static mp_pool_t *buf_pool(void *buf, size_t size, test_alloc_t *t,
                           unsigned flags) {
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 0; /* the buffer default */
  o.large_threshold = 0;
  o.buffer = buf;
  o.buffer_size = size;
  o.allocator = t != NULL ? &t->a : NULL;
  o.flags = flags;
  return mp_create_pool_ex(&o);
}

static int inside(const void *p, const void *buf, size_t size) {
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;
  return a >= b && a < b + size;
}

static size_t node_size_of(mp_pool_t *p) {
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  return st.node_bytes / st.nodes;
}

/* A pool on the stack: fills up to ENOMEM without a single allocator call,
 * stays usable after reset, and everything it hands out is in the buffer. */
static void stack_buffer_never_calls_allocator(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  static test_alloc_t t;
  ta_init(&t);
  alignas(16) unsigned char buf[32768];
  mp_pool_t *p = buf_pool(buf, sizeof buf, &t, 0);
  assert_non_null(p);
  assert_true(inside(p, buf, sizeof buf));
  assert_int_equal(node_size_of(p), 8192);
  for (int round = 0; round < 3; round++) {
    size_t n = 0;
    void *q;
    while ((q = mp_alloc(p, 100)) != NULL) {
      assert_true(inside(q, buf, sizeof buf));
      memset(q, 0x5a, 100);
      n++;
    }
    assert_int_equal(errno, ENOMEM);
    assert_true(n > 100);
    /* Large blocks fill what the nodes left (node alignment leaves
     * fragments), then fail cleanly too, as does aligned memory. */
    while ((q = mp_alloc(p, 3000)) != NULL)
      assert_true(inside(q, buf, sizeof buf));
    assert_int_equal(errno, ENOMEM);
    errno = 0;
    assert_null(mp_memalign(p, 100, 4096));
    assert_int_equal(errno, ENOMEM);
    mp_reset_pool(p);
  }
  /* After a reset: large blocks come from the buffer and go back to it. */
  void *big = mp_alloc(p, 3000);
  assert_non_null(big);
  assert_true(inside(big, buf, sizeof buf));
  assert_int_equal(mp_free(p, big), 0);
  void *again = mp_alloc(p, 3000);
  assert_ptr_equal(again, big); /* the same span, merged back */
  char *s = mp_strdup(p, "on the stack");
  assert_string_equal(s, "on the stack");
  assert_true(inside(s, buf, sizeof buf));
  mp_destroy_pool(p);
  assert_int_equal(t.calls, 0);
}

static unsigned char static_buf[65536];

/* Static storage with the default allocator: also no libc block. */
static void static_buffer(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  mp_pool_t *p = buf_pool(static_buf, sizeof static_buf, NULL, 0);
  assert_non_null(p);
  assert_int_equal(node_size_of(p), 16384);
  void *blocks[16];
  int n = 0;
  while (n < 16 && (blocks[n] = mp_alloc(p, 6000)) != NULL) {
    assert_true(inside(blocks[n], static_buf, sizeof static_buf));
    n++;
  }
  assert_true(n >= 5);
  /* Give every other one back, then the rest: all merge again. */
  for (int i = 0; i < n; i += 2)
    assert_int_equal(mp_free(p, blocks[i]), 0);
  for (int i = 1; i < n; i += 2)
    assert_int_equal(mp_free(p, blocks[i]), 0);
  /* The spans merged back: the same blocks come out again, first fit. */
  for (int i = 0; i < n; i++)
    assert_ptr_equal(mp_alloc(p, 6000), blocks[i]);
  errno = 0;
  assert_null(mp_alloc(p, 6000));
  assert_int_equal(errno, ENOMEM);
  mp_destroy_pool(p);
  /* The buffer can carry a new pool after the old one is destroyed. */
  p = buf_pool(static_buf, sizeof static_buf, NULL, 0);
  assert_non_null(p);
  mp_destroy_pool(p);
}

/* mp_free_sized() reuses memory inside a buffer pool. */
static void reuse_inside_buffer(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  static test_alloc_t t;
  ta_init(&t);
  alignas(16) unsigned char buf[16384];
  mp_pool_t *p = buf_pool(buf, sizeof buf, &t, 0);
  assert_non_null(p);
  /* Fill the buffer, free one object: the next request gets it. */
  void *q, *mid = NULL;
  for (int n = 0; (q = mp_alloc(p, 200)) != NULL; n++)
    if (n == 20)
      mid = q;
  assert_int_equal(errno, ENOMEM);
  assert_non_null(mid);
  assert_int_equal(mp_free_sized(p, mid, 200), 0);
  assert_ptr_equal(mp_alloc(p, 200), mid);
  assert_null(mp_alloc(p, 200));
  mp_reset_pool(p);
  /* Churn far past the buffer's size: reuse keeps it going. */
  for (int i = 0; i < 10000; i++) {
    void *churned = mp_alloc(p, 48);
    assert_non_null(churned);
    assert_int_equal(mp_free_sized(p, churned, 48), 0);
  }
  mp_destroy_pool(p);
  assert_int_equal(t.calls, 0);
}

/* With MP_POOL_BUFFER_OVERFLOW the pool goes on with the allocator, and
 * blocks go back where they came from. */
static void overflow_to_allocator(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* and quarantine: counts and addresses differ */
  static test_alloc_t t;
  ta_init(&t);
  alignas(16) unsigned char buf[8192];
  mp_pool_t *p = buf_pool(buf, sizeof buf, &t, MP_POOL_BUFFER_OVERFLOW);
  assert_non_null(p);
  assert_int_equal(node_size_of(p), 2048);
  void *first = mp_alloc(p, 16);
  assert_true(inside(first, buf, sizeof buf));
  assert_int_equal(t.calls, 0);
  void *small[400];
  for (int i = 0; i < 400; i++) {
    small[i] = mp_alloc(p, 64);
    assert_non_null(small[i]);
    memset(small[i], i, 64);
  }
  assert_true(t.calls > 0);
  assert_true(ta_contains(&t, small[399], 64)); /* an overflow node */
  void *big[8];
  for (int i = 0; i < 8; i++) {
    big[i] = mp_alloc(p, 3000);
    assert_non_null(big[i]);
  }
  size_t live = t.live_blocks;
  for (int i = 0; i < 8; i++) {
    int ours = ta_contains(&t, big[i], 3000);
    assert_true(ours || inside(big[i], buf, sizeof buf));
    assert_int_equal(mp_free(p, big[i]), 0);
    if (ours)
      live--;
    assert_int_equal(t.live_blocks, live);
  }
  mp_reset_pool(p);
  assert_non_null(mp_alloc(p, 5000));
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
  assert_int_equal(t.live_bytes, 0);
}

/* Overflow to the C library (no allocator given) with nodes of a page
 * and more: such nodes, aligned to their size, must go back the way they
 * came (they were once freed as ordinary heap blocks and crashed). */
static void overflow_to_c_library(void **state) {
  (void)state;
  static unsigned char buf[16384];
  for (size_t node = 4096; node <= 65536; node *= 4) {
    mp_options_t o;
    mp_options_init(&o);
    o.node_size = node;
    o.large_threshold = 0;
    o.buffer = buf;
    o.buffer_size = node == 4096 ? sizeof buf : MP_MIN_BUFFER_SIZE;
    o.flags = (MP_POOL_BUFFER_OVERFLOW) | MP_POOL_EXACT_NODES;
    if (node > 4096) /* a buffer too small for the node: the struct only */
      o.flags |= MP_POOL_ADAPTIVE;
    mp_pool_t *p = mp_create_pool_ex(&o);
    if (p == NULL) { /* the buffer holds no node of this size */
      assert_int_equal(errno, EINVAL);
      o.buffer_size = sizeof buf;
      o.node_size = 4096;
      o.flags |= MP_POOL_EXACT_NODES;
      p = mp_create_pool_ex(&o);
    }
    assert_non_null(p);
    for (int i = 0; i < 200; i++) { /* many nodes past the buffer */
      unsigned char *q = mp_alloc(p, 500);
      assert_non_null(q);
      memset(q, i, 500);
    }
    mp_stats_t st = {.size = sizeof st};
    assert_int_equal(mp_stats(p, &st, 0), 0);
    assert_true(st.bytes_reserved > sizeof buf); /* it overflowed */
    mp_reset_pool(p);
    assert_non_null(mp_alloc(p, 100));
    mp_destroy_pool(p); /* gives the overflow nodes back */
  }
}

/* Children take their memory from the parent's buffer; a child may have a
 * buffer of its own. */
static void children_share_the_buffer(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  alignas(16) unsigned char buf[32768];
  alignas(16) unsigned char own[8192];
  mp_pool_t *p = buf_pool(buf, sizeof buf, &t, 0);
  assert_non_null(p);
  mp_pool_t *c = mp_create_child(p, 1024);
  assert_non_null(c);
  assert_true(inside(c, buf, sizeof buf));
  void *q = mp_alloc(c, 2000);
  assert_true(inside(q, buf, sizeof buf));
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 0;
  o.parent = p;
  o.buffer = own;
  o.buffer_size = sizeof own;
  mp_pool_t *d = mp_create_pool_ex(&o);
  assert_non_null(d);
  assert_true(inside(d, own, sizeof own));
  assert_true(inside(mp_alloc(d, 100), own, sizeof own));
  mp_destroy_pool(c);
  mp_destroy_pool(p); /* destroys d */
  assert_int_equal(t.calls, 0);
}

/* A shared pool on a buffer: the handle comes from the buffer too. */
static void shared_buffer_pool(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  alignas(16) unsigned char buf[32768];
  mp_pool_t *p = buf_pool(buf, sizeof buf, &t, MP_POOL_SHARED);
  assert_non_null(p);
  assert_true(inside(mp_alloc(p, 100), buf, sizeof buf));
  void *big = mp_alloc(p, 4000);
  assert_true(inside(big, buf, sizeof buf));
  assert_int_equal(mp_owns(p, big), 1);
  assert_int_equal(mp_free(p, big), 0);
  mp_destroy_pool(p);
  assert_int_equal(t.calls, 0);
}

static unsigned char shared_buf[256 * 1024];

static void *child_work(void *arg) {
  mp_pool_t *c = arg;
  for (int i = 0; i < 2000; i++) {
    void *big = mp_alloc(c, 2000 + (size_t)(i % 5) * 700);
    if (big != NULL) {
      assert_true(inside(big, shared_buf, sizeof shared_buf));
      memset(big, i, 2000);
      assert_int_equal(mp_free(c, big), 0);
    } else {
      assert_int_equal(errno, ENOMEM);
    }
    if (mp_alloc(c, 100) == NULL)
      assert_int_equal(errno, ENOMEM);
    if (i % 100 == 99)
      mp_reset_pool(c);
  }
  assert_int_equal(mp_pool_handoff(c), 0); /* back to the main thread */
  return NULL;
}

/* Children of a buffer pool on two threads share its buffer safely. */
static void children_on_threads(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = buf_pool(shared_buf, sizeof shared_buf, &t, 0);
  assert_non_null(p);
  mp_pool_t *c[2];
  pthread_t th[2];
  for (int i = 0; i < 2; i++) {
    c[i] = mp_create_child(p, 1024);
    assert_non_null(c[i]);
  }
  for (int i = 0; i < 2; i++) {
    assert_int_equal(mp_pool_handoff(c[i]), 0);
    assert_int_equal(pthread_create(&th[i], NULL, child_work, c[i]), 0);
  }
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  /* With the children gone their blocks have merged back: one block of
   * most of the buffer fits after the parent's first node (32 KiB, aligned
   * to its size: up to 64 KiB of the buffer). */
  mp_destroy_pool(c[0]);
  mp_destroy_pool(c[1]);
  void *most = mp_alloc(p, 160 * 1024);
  assert_non_null(most);
  assert_true(inside(most, shared_buf, sizeof shared_buf));
  mp_destroy_pool(p);
  assert_int_equal(t.calls, 0);
  /* The buffer can carry a new pool. */
  p = buf_pool(shared_buf, sizeof shared_buf, &t, 0);
  assert_non_null(p);
  mp_destroy_pool(p);
}

/* A pool created on a fresh buffer either works or fails with EINVAL (the
 * buffer is too small for what creation takes), never with ENOMEM: at
 * every alignment, and with the pool's struct in a block of its own
 * (MP_POOL_ADAPTIVE) or a shared pool's handle to place as well. */
static void fresh_buffer_never_enomem(void **state) {
  (void)state;
  static alignas(4096) unsigned char buf[3 * 4096 + 256];
  const int debug = (mpool_build_flags() & MPOOL_BUILD_DEBUG) != 0;
  static const unsigned flags[] = {0, MP_POOL_ADAPTIVE,
                                   MP_POOL_ADAPTIVE | MP_POOL_SIZE_HEADERS,
                                   MP_POOL_SHARED};
  for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
    for (size_t off = 0; off < 4096; off += 48)
      for (size_t size = MP_MIN_BUFFER_SIZE; size <= 2 * 4096 + 1024;
           size += 256) {
        mp_options_t o;
        mp_options_init(&o);
        o.node_size = 4096;
        o.flags = (flags[f]) | MP_POOL_EXACT_NODES;
        o.buffer = buf + off + 3;
        o.buffer_size = size;
        errno = 0;
        mp_pool_t *p = mp_create_pool_ex(&o);
        if (p == NULL) {
          assert_int_equal(errno, EINVAL);
          continue;
        }
        /* The first node has room; debug builds give every object a
         * block of its own, which a small buffer may not have. */
        errno = 0;
        void *q = mp_alloc(p, 100);
        assert_true(q != NULL || (debug && errno == ENOMEM));
        mp_destroy_pool(p);
      }
}

/* Bad buffers: EINVAL; misaligned ones are aligned internally. */
static void bad_buffers(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  alignas(16) unsigned char buf[MP_MIN_BUFFER_SIZE + 64];
  errno = 0;
  assert_null(buf_pool(NULL, 8192, &t, 0));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(buf_pool(buf, 0, &t, 0));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(buf_pool(buf, MP_MIN_BUFFER_SIZE - 1, &t, 0));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(buf_pool(NULL, 0, &t, MP_POOL_BUFFER_OVERFLOW));
  assert_int_equal(errno, EINVAL);
  /* A node size the buffer cannot hold. */
  mp_options_t o;
  mp_options_init(&o); /* the default node size, 32 KiB */
  o.buffer = buf;
  o.buffer_size = sizeof buf;
  errno = 0;
  assert_null(mp_create_pool_ex(&o));
  assert_int_equal(errno, EINVAL);
  /* A wrapping size. */
  o.node_size = 0;
  o.buffer_size = SIZE_MAX;
  errno = 0;
  assert_null(mp_create_pool_ex(&o));
  assert_int_equal(errno, EINVAL);
  /* The minimum works at any alignment. */
  for (size_t off = 0; off < 64; off += 7) {
    mp_pool_t *p = buf_pool(buf + off, MP_MIN_BUFFER_SIZE, &t, 0);
    assert_non_null(p);
    void *q = mp_alloc(p, 24);
    assert_non_null(q);
    assert_true(is_aligned(q, alignof(max_align_t)));
    assert_true(inside(q, buf + off, MP_MIN_BUFFER_SIZE));
    mp_destroy_pool(p);
  }
  assert_int_equal(t.calls, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stack_buffer_never_calls_allocator),
      cmocka_unit_test(static_buffer),
      cmocka_unit_test(reuse_inside_buffer),
      cmocka_unit_test(overflow_to_allocator),
      cmocka_unit_test(overflow_to_c_library),
      cmocka_unit_test(children_share_the_buffer),
      cmocka_unit_test(shared_buffer_pool),
      cmocka_unit_test(children_on_threads),
      cmocka_unit_test(fresh_buffer_never_enomem),
      cmocka_unit_test(bad_buffers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
