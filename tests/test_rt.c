/*
 * Real-time pools (mp_rt_*): bad input, the published memory bound under
 * adversarial and random request sequences, the split fallback of a
 * smaller buffer, statistics, and mp_rt_check() after every operation
 * (and on deliberately corrupted pools).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_fork.h"
#include "test_util.h"

#include <stdio.h>

/* Every test checks the pool's invariants after each operation. */
#define CHECKED(rt) assert_int_equal(mp_rt_check(rt), 1)

static unsigned flags(void) { return mpool_build_flags(); }

/* Hardened and debug builds abort on a bad pointer instead of failing. */
static int aborts_on_bad_pointers(void) {
  return (flags() & (MPOOL_BUILD_HARDENED | MPOOL_BUILD_DEBUG)) != 0;
}

/* A deliberate stray write into freed memory: under AddressSanitizer
 * (this test is built with the library's flags) it is let through. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#define stray_open(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define stray_close(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#else
#define stray_open(p, n) ((void)(p), (void)(n))
#define stray_close(p, n) ((void)(p), (void)(n))
#endif

/* Stores v at *at, inside a free block; returns what was there. */
static void *stray_write(void **at, void *v) {
  stray_open(at, sizeof *at);
  void *old = *at;
  *at = v;
  stray_close(at, sizeof *at);
  return old;
}

/* Builds whose tools would report such a write (Valgrind's client
 * requests mark free blocks inaccessible). */
static int tools_watch_free_blocks(void) {
  return (flags() & MPOOL_BUILD_VALGRIND) != 0;
}

static size_t round16(size_t n) { return n == 0 ? 16 : (n + 15) / 16 * 16; }

/* The class block of a request, as docs/rtpool.md defines it. */
static size_t block_of(size_t n) {
  size_t b = 16;
  while (b < n)
    b *= 2;
  return b;
}

/* The heap the bound provides for, recomputed from its definition: for
 * each class up to n's, the most bytes of its blocks that objects of at
 * most M bytes (each rounded up to 16) can occupy. */
static size_t ref_heap(size_t M, size_t n) {
  size_t m = M < 16 ? 16 : M / 16 * 16; /* live totals are in granules */
  size_t heap = m;                      /* 16-byte blocks: m / 16 of them */
  for (size_t b = 32; b / 2 < round16(n) && b != 0; b *= 2) {
    size_t least = b / 2 + 16; /* the smallest object of the class */
    heap += m / least * b;
  }
  return heap;
}

/* MP_RT_BOUND()'s closed form, computed with a loop. */
static size_t ref_closed(size_t M, size_t n) {
  size_t classes = 0;
  for (size_t b = 32; b / 2 < round16(n); b *= 2)
    classes++;
  size_t h = (M < 16 ? 16 : M / 16 * 16) * (1 + 2 * classes);
  return MP_RT_OVERHEAD + h + h / 16;
}

/* A buffer of exactly `size` bytes at `offset` bytes past a 64-byte
 * boundary. */
typedef struct {
  unsigned char *mem;
  unsigned char *buf;
  size_t size;
} buf_t;

static buf_t buf_make(size_t size, size_t offset) {
  buf_t b;
  b.mem = aligned_alloc(64, (size + offset + 63) / 64 * 64);
  assert_non_null(b.mem);
  b.buf = b.mem + offset;
  b.size = size;
  return b;
}

static void buf_free(buf_t *b, mp_rt_t *rt) {
  mp_rt_destroy(rt);
  free(b->mem);
}

static mp_rt_stats_t stats(const mp_rt_t *rt) {
  mp_rt_stats_t st;
  st.size = sizeof st;
  assert_int_equal(mp_rt_stats(rt, &st), 0);
  assert_int_equal(st.size, sizeof st);
  return st;
}

static void assert_aligned(const void *p) {
  assert_int_equal((uintptr_t)p % MP_GRANULE, 0);
}

/* ---- bad input ---------------------------------------------------------- */

static void bad_init(void **state) {
  (void)state;
  buf_t b = buf_make(8192, 0);
  errno = 0;
  assert_null(mp_rt_init(NULL, 8192));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_rt_init(b.buf, 0));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_rt_init(b.buf, MP_RT_MIN_SIZE - 1));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_null(mp_rt_init(b.buf, SIZE_MAX)); /* wraps the address space */
  assert_int_equal(errno, EINVAL);
  /* The smallest buffer holds one 16-byte object at every alignment. */
  for (size_t off = 0; off < 16; off++) {
    mp_rt_t *rt = mp_rt_init(b.buf + off, MP_RT_MIN_SIZE);
    assert_non_null(rt);
    CHECKED(rt);
    assert_true((unsigned char *)rt >= b.buf + off &&
                (unsigned char *)rt < b.buf + off + MP_RT_MIN_SIZE);
    void *p = mp_rt_alloc(rt, 16);
    assert_non_null(p);
    assert_aligned(p);
    assert_true((unsigned char *)p + 16 <= b.buf + off + MP_RT_MIN_SIZE);
    CHECKED(rt);
    mp_rt_destroy(rt);
  }
  /* A misaligned buffer: results aligned and inside it. */
  mp_rt_t *rt = mp_rt_init(b.buf + 3, 8000);
  assert_non_null(rt);
  for (int i = 0; i < 20; i++) {
    unsigned char *p = mp_rt_alloc(rt, (size_t)i * 7);
    assert_non_null(p);
    assert_aligned(p);
    assert_true(p >= b.buf + 3 && p + block_of((size_t)i * 7) <= b.buf + 8003);
    CHECKED(rt);
  }
  /* mp_rt_init() again forgets everything. */
  rt = mp_rt_init(b.buf + 3, 8000);
  assert_non_null(rt);
  assert_int_equal(stats(rt).live_blocks, 0);
  CHECKED(rt);
  buf_free(&b, rt);
}

static void bad_alloc(void **state) {
  (void)state;
  buf_t b = buf_make(8192, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  assert_non_null(rt);
  errno = 0;
  assert_null(mp_rt_alloc(NULL, 8));
  assert_int_equal(errno, EINVAL);
  /* Size 0: a unique 16-byte block. */
  void *z1 = mp_rt_alloc(rt, 0), *z2 = mp_rt_alloc(rt, 0);
  assert_non_null(z1);
  assert_non_null(z2);
  assert_ptr_not_equal(z1, z2);
  assert_int_equal(stats(rt).allocated, 32);
  CHECKED(rt);
  size_t too_big[] = {SIZE_MAX, MP_MAX_ALLOC_SIZE + 1};
  for (size_t i = 0; i < 2; i++) {
    errno = 0;
    assert_null(mp_rt_alloc(rt, too_big[i]));
    assert_int_equal(errno, EOVERFLOW);
    CHECKED(rt);
  }
  errno = 0;
  assert_null(mp_rt_alloc(rt, MP_MAX_ALLOC_SIZE));
  assert_int_equal(errno, ENOMEM);
  size_t cap = stats(rt).capacity;
  errno = 0;
  assert_null(mp_rt_alloc(rt, cap + 1)); /* larger than the heap */
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(stats(rt).failures, 4);
  CHECKED(rt);
  /* Fill it: the failure leaves the pool usable. */
  size_t n = 0;
  while (mp_rt_alloc(rt, 100) != NULL)
    n++;
  assert_int_equal(errno, ENOMEM);
  assert_true(n > 0);
  CHECKED(rt);
  assert_int_equal(mp_rt_free(rt, z1), 0);
  assert_ptr_equal(mp_rt_alloc(rt, 5), z1);
  CHECKED(rt);
  buf_free(&b, rt);
}

struct bug {
  mp_rt_t *rt;
  void *p;
};

static void bug_free(void *arg) {
  struct bug *b = arg;
  (void)mp_rt_free(b->rt, b->p);
}

static void bug_realloc(void *arg) {
  struct bug *b = arg;
  (void)mp_rt_realloc(b->rt, b->p, 10);
}

static void bug_alloc(void *arg) {
  struct bug *b = arg;
  (void)mp_rt_alloc(b->rt, 64);
  (void)mp_rt_alloc(b->rt, 64);
}

/* A bad pointer to free or realloc: -1 or NULL with EINVAL, or in a
 * hardened or debug build the abort line, naming `what` (for realloc
 * `what_resize` if not NULL). */
static void expect_bad(mp_rt_t *rt, void *p, const char *what,
                       const char *what_resize) {
  if (aborts_on_bad_pointers()) {
    struct bug b = {rt, p};
    char line[200];
    child_result_t r;
    void (*fn[2])(void *) = {bug_free, bug_realloc};
    const char *name[2] = {"mp_rt_free", "mp_rt_realloc"};
    for (int i = 0; i < 2; i++) {
      snprintf(line, sizeof line, "mpool: %s: %s %p (rt %p)\n", name[i],
               i == 1 && what_resize ? what_resize : what, p, (void *)rt);
      assert_int_equal(run_child(fn[i], &b, &r), 0);
      if (!child_aborted(&r) || strcmp(r.err, line) != 0)
        fail_msg("expected SIGABRT and \"%s\"; status %d, stderr \"%s\"", line,
                 r.status, r.err);
    }
    return;
  }
  errno = 0;
  assert_int_equal(mp_rt_free(rt, p), -1);
  assert_int_equal(errno, EINVAL);
  CHECKED(rt);
  errno = 0;
  assert_null(mp_rt_realloc(rt, p, 10));
  assert_int_equal(errno, EINVAL);
  CHECKED(rt);
}

static void bad_free(void **state) {
  (void)state;
  buf_t b = buf_make(8192, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  assert_non_null(rt);
  errno = 0;
  assert_int_equal(mp_rt_free(NULL, b.buf), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(mp_rt_free(rt, NULL), 0);
  unsigned char *p = mp_rt_alloc(rt, 64);
  unsigned char *q = mp_rt_alloc(rt, 64);
  assert_non_null(p);
  assert_non_null(q);
  int local;
  const char *foreign = "free of a pointer the rt pool does not own";
  expect_bad(rt, &local, foreign, NULL);         /* stack memory */
  expect_bad(rt, rt, foreign, NULL);             /* the pool's own struct */
  expect_bad(rt, p + 16, foreign, NULL);         /* inside a block */
  expect_bad(rt, p + 1, foreign, NULL);          /* misaligned */
  expect_bad(rt, q + 64, foreign, NULL);         /* the untouched heap */
  expect_bad(rt, b.buf + b.size, foreign, NULL); /* past the buffer */
  /* Another pool's object. */
  buf_t b2 = buf_make(4096, 0);
  mp_rt_t *rt2 = mp_rt_init(b2.buf, b2.size);
  void *other = mp_rt_alloc(rt2, 64);
  expect_bad(rt, other, foreign, NULL);
  buf_free(&b2, rt2);
  /* A double free, while the block is still free. */
  assert_int_equal(mp_rt_free(rt, p), 0);
  CHECKED(rt);
  expect_bad(rt, p, "double free of", "resize of freed");
  assert_int_equal(stats(rt).live_blocks, 1);
  assert_int_equal(mp_rt_free(rt, q), 0);
  CHECKED(rt);
  buf_free(&b, rt);
}

static void bad_realloc(void **state) {
  (void)state;
  buf_t b = buf_make(8192, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  errno = 0;
  assert_null(mp_rt_realloc(NULL, NULL, 8));
  assert_int_equal(errno, EINVAL);
  char *p = mp_rt_realloc(rt, NULL, 20); /* NULL: as mp_rt_alloc */
  assert_non_null(p);
  CHECKED(rt);
  memcpy(p, "0123456789abcdefghi", 20);
  errno = 0;
  assert_null(mp_rt_realloc(rt, p, SIZE_MAX));
  assert_int_equal(errno, EOVERFLOW);
  assert_memory_equal(p, "0123456789abcdefghi", 20); /* left intact */
  errno = 0;
  assert_null(mp_rt_realloc(rt, p, b.size)); /* no such block */
  assert_int_equal(errno, ENOMEM);
  assert_memory_equal(p, "0123456789abcdefghi", 20);
  CHECKED(rt);
  char *t = mp_rt_realloc(rt, p, 10); /* the 16-byte class */
  assert_non_null(t);
  assert_memory_equal(t, "0123456789", 10);
  char *z = mp_rt_realloc(rt, t, 0); /* size 0: the same class, in place */
  assert_ptr_equal(z, t);
  assert_int_equal(stats(rt).allocated, 16);
  CHECKED(rt);
  assert_int_equal(mp_rt_free(rt, z), 0);
  CHECKED(rt);
  buf_free(&b, rt);
}

static void bad_stats_and_check(void **state) {
  (void)state;
  buf_t b = buf_make(4096, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  mp_rt_stats_t st;
  errno = 0;
  assert_int_equal(mp_rt_stats(NULL, &st), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_rt_stats(rt, NULL), -1);
  assert_int_equal(errno, EINVAL);
  st.size = MP_RT_STATS_MIN_SIZE - 1;
  errno = 0;
  assert_int_equal(mp_rt_stats(rt, &st), -1);
  assert_int_equal(errno, EINVAL);
  st.size = MP_RT_STATS_MIN_SIZE;
  assert_int_equal(mp_rt_stats(rt, &st), 0);
  assert_int_equal(st.size, MP_RT_STATS_MIN_SIZE);
  /* A larger struct than the library's: the rest is zeroed. */
  struct {
    mp_rt_stats_t st;
    size_t extra[4];
  } big;
  memset(&big, 0xa5, sizeof big);
  big.st.size = sizeof big;
  assert_int_equal(mp_rt_stats(rt, &big.st), 0);
  assert_int_equal(big.st.size, sizeof big.st);
  for (int i = 0; i < 4; i++)
    assert_int_equal(big.extra[i], 0);
  errno = 0;
  assert_int_equal(mp_rt_check(NULL), -1);
  assert_int_equal(errno, EINVAL);
  CHECKED(rt);
  /* A destroyed pool: every call fails, destroying again is ignored. */
  mp_rt_destroy(rt);
  mp_rt_destroy(rt);
  mp_rt_destroy(NULL);
  assert_int_equal(mp_rt_check(rt), 0);
  errno = 0;
  assert_null(mp_rt_alloc(rt, 8));
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_rt_free(rt, b.buf), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  st.size = sizeof st;
  assert_int_equal(mp_rt_stats(rt, &st), -1);
  assert_int_equal(errno, EINVAL);
  /* Not an rt pool at all. */
  memset(b.buf, 0, b.size);
  assert_int_equal(mp_rt_check((mp_rt_t *)(void *)b.buf), 0);
  errno = 0;
  assert_null(mp_rt_alloc((mp_rt_t *)(void *)b.buf, 8));
  assert_int_equal(errno, EINVAL);
  free(b.mem);
}

static void bound_values(void **state) {
  (void)state;
  assert_int_equal(mp_rt_bound(0, 0), MP_RT_MIN_SIZE);
  assert_int_equal(mp_rt_bound(1, 1), MP_RT_MIN_SIZE);
  assert_int_equal(mp_rt_bound(16, 16), MP_RT_MIN_SIZE);
  assert_int_equal(MP_RT_BOUND(16, 16), MP_RT_MIN_SIZE);
  /* 1 KiB live in objects of up to 32 bytes: the 16-byte class takes
   * 1 KiB, the 32-byte one 1 KiB too (32 objects of 17 bytes). */
  assert_int_equal(mp_rt_bound(1024, 32), MP_RT_OVERHEAD + 2048 + 128);
  size_t Ms[] = {1, 15, 16, 17, 100, 1000, 4096, 65536, 1000000, 1u << 30};
  size_t ns[] = {0, 1, 16, 17, 32, 33, 100, 512, 1024, 4097, 65536, 1u << 20};
  for (size_t i = 0; i < sizeof Ms / sizeof *Ms; i++)
    for (size_t j = 0; j < sizeof ns / sizeof *ns; j++) {
      size_t M = Ms[i], n = ns[j];
      size_t h = ref_heap(M, n);
      assert_int_equal(mp_rt_bound(M, n), MP_RT_OVERHEAD + h + h / 16);
      assert_int_equal(MP_RT_BOUND(M, n), ref_closed(M, n));
      assert_true(mp_rt_bound(M, n) <= MP_RT_BOUND(M, n));
    }
  /* The macro is a constant expression. */
  static unsigned char fixed[MP_RT_BOUND(4096, 256)];
  assert_int_equal(sizeof fixed, ref_closed(4096, 256));
  mp_rt_t *rt = mp_rt_init(fixed, sizeof fixed);
  assert_non_null(rt);
  CHECKED(rt);
  mp_rt_destroy(rt);
  errno = 0;
  assert_int_equal(mp_rt_bound(SIZE_MAX, SIZE_MAX), 0);
  assert_int_equal(errno, EOVERFLOW);
  errno = 0;
  assert_int_equal(mp_rt_bound(SIZE_MAX / 4, 1024), 0);
  assert_int_equal(errno, EOVERFLOW);
  errno = 0;
  assert_int_equal(mp_rt_bound(SIZE_MAX - 15, 16), 0); /* + 1/16 wraps */
  assert_int_equal(errno, EOVERFLOW);
  /* Nearly the largest that fits: M alone, n up to 16. */
  size_t M = (SIZE_MAX - MP_RT_OVERHEAD) / 17 * 16;
  assert_true(mp_rt_bound(M, 16) >= M);
}

/* ---- behaviour ---------------------------------------------------------- */

static void classes_and_reuse(void **state) {
  (void)state;
  buf_t b = buf_make(65536, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  size_t sizes[] = {0, 1, 16, 17, 32, 33, 64, 65, 1000, 1024, 1025};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    size_t before = stats(rt).carved;
    unsigned char *p = mp_rt_alloc(rt, sizes[i]);
    assert_non_null(p);
    assert_aligned(p);
    /* Carved from the untouched heap, one block of the class. */
    assert_int_equal(stats(rt).carved - before, block_of(sizes[i]));
    memset(p, 0x5a, sizes[i]);
    CHECKED(rt);
    /* Freed and asked for again: the same block (newest first), for any
     * size of the class, and not for another class. */
    assert_int_equal(mp_rt_free(rt, p), 0);
    CHECKED(rt);
    size_t same = sizes[i] <= 16 ? 16 - sizes[i] % 2 : block_of(sizes[i]);
    assert_ptr_equal(mp_rt_alloc(rt, same), p);
    CHECKED(rt);
    unsigned char *other = mp_rt_alloc(rt, block_of(sizes[i]) * 2);
    assert_ptr_not_equal(other, p);
    CHECKED(rt);
  }
  buf_free(&b, rt);
}

static void realloc_keeps_contents(void **state) {
  (void)state;
  buf_t b = buf_make(65536, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  unsigned char *p = mp_rt_alloc(rt, 20);
  for (int i = 0; i < 20; i++)
    p[i] = (unsigned char)i;
  /* Within the class: in place. */
  assert_ptr_equal(mp_rt_realloc(rt, p, 32), p);
  assert_ptr_equal(mp_rt_realloc(rt, p, 17), p);
  CHECKED(rt);
  size_t n = 17;
  for (size_t to = 40; to <= 8192; to = to * 2 + 3) { /* moves, growing */
    unsigned char *q = mp_rt_realloc(rt, p, to);
    assert_non_null(q);
    assert_ptr_not_equal(q, p);
    CHECKED(rt);
    for (size_t i = 0; i < n; i++)
      assert_int_equal(q[i], (unsigned char)i);
    for (size_t i = n; i < to; i++)
      q[i] = (unsigned char)i;
    p = q;
    n = to;
  }
  unsigned char *q = mp_rt_realloc(rt, p, 100); /* shrinking moves too */
  assert_ptr_not_equal(q, p);
  for (size_t i = 0; i < 100; i++)
    assert_int_equal(q[i], (unsigned char)i);
  assert_int_equal(stats(rt).live_blocks, 1);
  assert_int_equal(stats(rt).allocated, 128);
  CHECKED(rt);
  buf_free(&b, rt);

  /* A full heap: shrinking stays in place, growing fails and keeps p. */
  b = buf_make(MP_RT_OVERHEAD + 17 * 64, 0);
  rt = mp_rt_init(b.buf, b.size);
  p = mp_rt_alloc(rt, 512);
  assert_non_null(p);
  while (mp_rt_alloc(rt, 16) != NULL)
    ;
  memset(p, 7, 512);
  assert_ptr_equal(mp_rt_realloc(rt, p, 100), p);
  CHECKED(rt);
  assert_ptr_equal(mp_rt_realloc(rt, p, 400), p);
  size_t grow[] = {1024, 5000};
  for (int i = 0; i < 2; i++) {
    errno = 0;
    assert_null(mp_rt_realloc(rt, p, grow[i]));
    assert_int_equal(errno, ENOMEM);
  }
  for (int i = 0; i < 400; i++)
    assert_int_equal(p[i], 7);
  CHECKED(rt);
  buf_free(&b, rt);
}

/* Frees everything in v[0..n). */
static void free_all(mp_rt_t *rt, void **v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(mp_rt_free(rt, v[i]), 0);
    CHECKED(rt);
  }
}

/* The classic adversary of allocators that merge: many small objects,
 * every other one freed, then large requests.  Within M live bytes in a
 * buffer of mp_rt_bound(M, n), each request must succeed. */
static void every_other_then_large(void **state) {
  (void)state;
  enum { M = 8192, n = 1024 };
  for (size_t off = 0; off < 16; off += 5) {
    buf_t b = buf_make(mp_rt_bound(M, n), off);
    mp_rt_t *rt = mp_rt_init(b.buf, b.size);
    assert_non_null(rt);
    void *small[M / 16], *large[M / n];
    size_t live = 0, ns = 0, nl = 0;
    for (int round = 0; round < 3; round++) {
      while (live + 16 <= M) {
        assert_non_null(small[ns++] = mp_rt_alloc(rt, 16));
        live += 16;
        CHECKED(rt);
      }
      for (size_t i = 0; i < ns; i += 2) {
        assert_int_equal(mp_rt_free(rt, small[i]), 0);
        live -= 16;
        CHECKED(rt);
      }
      while (live + n <= M) {
        assert_non_null(large[nl++] = mp_rt_alloc(rt, n));
        live += n;
        CHECKED(rt);
      }
      /* Keep the odd small objects and the large ones; start over with
       * the small ones that are left, after dropping the large. */
      free_all(rt, large, nl);
      live -= nl * n;
      nl = 0;
      size_t k = 0;
      for (size_t i = 1; i < ns; i += 2)
        small[k++] = small[i];
      ns = k;
    }
    assert_int_equal(stats(rt).failures, 0);
    assert_true(stats(rt).carved <= ref_heap(M, n));
    free_all(rt, small, ns);
    buf_free(&b, rt);
  }
}

/* The adversary that meets the bound: fill M bytes with the smallest
 * objects of each class in turn, freeing all of them before the next
 * class.  Every byte the bound provides for is then carved, and nothing
 * fails. */
static void phases_meet_the_bound(void **state) {
  (void)state;
  const size_t Ms[] = {4096, 5000, 65536};
  const size_t ns[] = {16, 100, 1024, 4096};
  for (size_t i = 0; i < 3; i++)
    for (size_t j = 0; j < 4; j++) {
      size_t M = Ms[i], n = ns[j];
      buf_t b = buf_make(mp_rt_bound(M, n), 7);
      mp_rt_t *rt = mp_rt_init(b.buf, b.size);
      assert_non_null(rt);
      size_t cap = stats(rt).capacity, heap = ref_heap(M, n);
      assert_true(cap >= heap);
      assert_true(cap < heap + 16 * 48); /* the layout's slack is small */
      void **v = malloc(M / 16 * sizeof *v);
      for (size_t blk = 16; blk / 2 < round16(n); blk *= 2) {
        size_t size = blk == 16 ? 1 : blk / 2 + 1, k = 0, live = 0;
        while (live + round16(size) <= M) {
          v[k] = mp_rt_alloc(rt, size);
          assert_non_null(v[k]);
          k++;
          live += round16(size);
        }
        if (M >= 16384) /* a full check per op is quadratic: sample */
          CHECKED(rt);
        else
          for (size_t x = 0; x < k; x++)
            CHECKED(rt);
        for (size_t x = 0; x < k; x++)
          assert_int_equal(mp_rt_free(rt, v[x]), 0);
        CHECKED(rt);
      }
      mp_rt_stats_t st = stats(rt);
      assert_int_equal(st.failures, 0);
      assert_int_equal(st.carved, heap);
      assert_int_equal(st.allocated, 0);
      free(v);
      buf_free(&b, rt);
    }
}

static uint64_t rng(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* A size of at most n: a class picked evenly, then a size in it; some 0. */
static size_t random_size(uint64_t *s, size_t n) {
  uint64_t r = rng(s);
  if (r % 20 == 0)
    return 0;
  size_t top = block_of(n), blk = 16, classes = 1;
  while (blk < top) {
    blk *= 2;
    classes++;
  }
  blk = (size_t)16 << ((r >> 8) % classes);
  size_t lo = blk == 16 ? 1 : blk / 2 + 1, hi = blk < n ? blk : n;
  return lo + (size_t)((r >> 20) % (hi - lo + 1));
}

struct obj {
  unsigned char *p;
  size_t size;
  unsigned char tag;
};

static void fill(struct obj *o) { memset(o->p, o->tag, o->size); }

static void verify(const struct obj *o) {
  for (size_t i = 0; i < o->size; i++)
    if (o->p[i] != o->tag)
      fail_msg("object %p byte %zu: %u, expected %u", (void *)o->p, i, o->p[i],
               o->tag);
}

/* Random allocations, frees and resizes that keep within M live bytes
 * (each rounded up to 16, both sizes while a resize moves) and sizes up
 * to n, in a buffer of exactly mp_rt_bound(M, n) bytes: none may fail.
 * Contents are checked, so overlapping blocks would show. */
static void random_within_bound(size_t M, size_t n, uint64_t seed, size_t ops,
                                size_t offset, int check_every) {
  buf_t b = buf_make(mp_rt_bound(M, n), offset);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  assert_non_null(rt);
  size_t cap = M / 16 + 1;
  struct obj *v = calloc(cap, sizeof *v);
  size_t nv = 0, live = 0;
  uint64_t s = seed;
  for (size_t op = 0; op < ops; op++) {
    uint64_t r = rng(&s);
    int what = (int)(r % 8); /* 0-3 alloc, 4-6 free, 7 realloc */
    if (what < 4) {
      size_t size = random_size(&s, n);
      if (live + round16(size) > M)
        what = 4;
      else {
        struct obj *o = &v[nv++];
        o->p = mp_rt_alloc(rt, size);
        if (o->p == NULL)
          fail_msg("op %zu: mp_rt_alloc(%zu) failed with %zu of %zu live", op,
                   size, live, M);
        o->size = size;
        o->tag = (unsigned char)(r >> 40);
        fill(o);
        live += round16(size);
      }
    }
    if (what >= 4 && nv > 0) {
      size_t k = (size_t)(r >> 16) % nv;
      struct obj *o = &v[k];
      verify(o);
      if (what == 7) {
        size_t size = random_size(&s, n);
        size_t need =
            block_of(size) == block_of(o->size) || (size <= 16 && o->size <= 16)
                ? live - round16(o->size) + round16(size)
                : live + round16(size);
        if (need <= M) {
          unsigned char *q = mp_rt_realloc(rt, o->p, size);
          if (q == NULL)
            fail_msg("op %zu: mp_rt_realloc(%zu -> %zu) failed", op, o->size,
                     size);
          size_t keep = size < o->size ? size : o->size;
          for (size_t i = 0; i < keep; i++)
            assert_int_equal(q[i], o->tag);
          live = live - round16(o->size) + round16(size);
          o->p = q;
          o->size = size;
          fill(o);
        }
      } else {
        assert_int_equal(mp_rt_free(rt, o->p), 0);
        live -= round16(o->size);
        v[k] = v[--nv];
      }
    }
    if (check_every || op % 256 == 0)
      CHECKED(rt);
  }
  mp_rt_stats_t st = stats(rt);
  assert_int_equal(st.failures, 0);
  assert_int_equal(st.live_blocks, nv);
  assert_true(st.carved <= ref_heap(M, n));
  while (nv > 0) {
    verify(&v[nv - 1]);
    assert_int_equal(mp_rt_free(rt, v[--nv].p), 0);
  }
  CHECKED(rt);
  free(v);
  buf_free(&b, rt);
}

static void random_sequences_never_fail(void **state) {
  (void)state;
  random_within_bound(2048, 256, 1, 4000, 0, 1);
  random_within_bound(4096, 1024, 2, 4000, 9, 1);
  random_within_bound(4000, 17, 3, 4000, 1, 1);
  random_within_bound(65536, 4096, 4, 40000, 13, 0);
  random_within_bound(1 << 18, 16384, 5, 20000, 4, 0);
}

/* A buffer smaller than the bound: requests the untouched heap cannot
 * serve split a larger free block, down to the class asked for. */
static void split_when_short(void **state) {
  (void)state;
  buf_t b = buf_make(MP_RT_OVERHEAD + 17 * 1024, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  mp_rt_stats_t st = stats(rt);
  assert_true(st.capacity >= 16384);
  /* Carve the heap into 4 KiB blocks, and free them. */
  void *big[16];
  size_t nb = 0;
  while ((big[nb] = mp_rt_alloc(rt, 4096)) != NULL)
    nb++;
  CHECKED(rt);
  free_all(rt, big, nb);
  assert_int_equal(stats(rt).largest_free, 4096);
  /* Small requests now split them: 4096 / 16 per block. */
  size_t total = 0;
  void **small = malloc((st.capacity / 16 + 1) * sizeof *small);
  while ((small[total] = mp_rt_alloc(rt, 16)) != NULL) {
    total++;
    CHECKED(rt);
  }
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(total, nb * 256 + (st.capacity - nb * 4096) / 16);
  st = stats(rt);
  assert_int_equal(st.largest_free, 0);
  assert_int_equal(st.allocated, st.capacity);
  free_all(rt, small, total);
  /* The pieces stay of their class: a 4 KiB request now fails. */
  errno = 0;
  assert_null(mp_rt_alloc(rt, 4096));
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(stats(rt).largest_free, 16);
  /* A mixed split: a 1 KiB block split into 64 + 64 + 128 + 256 + 512. */
  free(small);
  buf_free(&b, rt);
  b = buf_make(MP_RT_OVERHEAD + 17 * 64, 0);
  rt = mp_rt_init(b.buf, b.size);
  void *k = mp_rt_alloc(rt, 1024);
  assert_non_null(k);
  while (mp_rt_alloc(rt, 16) != NULL)
    ;
  assert_int_equal(mp_rt_free(rt, k), 0);
  size_t before = stats(rt).free_blocks;
  unsigned char *s64 = mp_rt_alloc(rt, 64);
  assert_ptr_equal(s64, k); /* the lower end of the split block */
  assert_int_equal(stats(rt).free_blocks, before - 1 + 4);
  CHECKED(rt);
  size_t want[] = {64, 128, 256, 512};
  for (size_t i = 0; i < 4; i++) {
    unsigned char *piece = mp_rt_alloc(rt, want[i]);
    assert_ptr_equal(piece, s64 + want[i]);
    CHECKED(rt);
  }
  buf_free(&b, rt);
}

static void statistics(void **state) {
  (void)state;
  buf_t b = buf_make(MP_RT_OVERHEAD + 17 * 256 + 40, 5);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  mp_rt_stats_t st = stats(rt);
  assert_true(st.capacity >= 256 * 16 && st.capacity % 16 == 0);
  assert_int_equal(st.allocated + st.carved + st.live_blocks + st.allocs, 0);
  assert_int_equal(st.largest_free, 4096);
  void *a = mp_rt_alloc(rt, 100), *c = mp_rt_alloc(rt, 1000);
  assert_int_equal(mp_rt_free(rt, a), 0);
  void *d = mp_rt_alloc(rt, 10);
  assert_null(mp_rt_alloc(rt, 1u << 20));
  st = stats(rt);
  assert_int_equal(st.allocated, 1024 + 16);
  assert_int_equal(st.peak_allocated, 1024 + 128);
  assert_int_equal(st.carved, 128 + 1024 + 16);
  assert_int_equal(st.live_blocks, 2);
  assert_int_equal(st.free_blocks, 1);
  assert_int_equal(st.allocs, 3);
  assert_int_equal(st.frees, 1);
  assert_int_equal(st.failures, 1);
  /* Over 2 KiB but under 4 KiB untouched: a 2 KiB block; the free one
   * is 128. */
  assert_int_equal(st.largest_free, 2048);
  assert_non_null(mp_rt_alloc(rt, st.largest_free));
  CHECKED(rt);
  (void)c;
  (void)d;
  buf_free(&b, rt);
}

/* mp_rt_check() notices what a stray write into a freed object does to
 * the free lists; a checked build's allocation aborts on it. */
static void check_finds_corruption(void **state) {
  (void)state;
  if (tools_watch_free_blocks())
    skip(); /* memcheck itself reports such writes */
  buf_t b = buf_make(8192, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  void **x = mp_rt_alloc(rt, 64), **y = mp_rt_alloc(rt, 64);
  void **z = mp_rt_alloc(rt, 64);
  assert_int_equal(mp_rt_free(rt, x), 0);
  assert_int_equal(mp_rt_free(rt, y), 0); /* the list: y, x */
  CHECKED(rt);
  /* A cycle: x's link to y. */
  void *saved = stray_write(x, y);
  assert_int_equal(mp_rt_check(rt), 0);
  stray_write(x, saved);
  CHECKED(rt);
  /* A link to a live block, then to stack memory, then misaligned. */
  int local;
  void *bad[] = {z, &local, (unsigned char *)y + 8};
  for (int i = 0; i < 3; i++) {
    stray_write(x, bad[i]);
    assert_int_equal(mp_rt_check(rt), 0);
  }
  stray_write(x, z);
  if (aborts_on_bad_pointers()) {
    struct bug bg = {rt, NULL};
    child_result_t r;
    char line[200];
    snprintf(line, sizeof line,
             "mpool: mp_rt_alloc: corrupted free list link in %p (rt %p)\n",
             (void *)x, (void *)rt);
    assert_int_equal(run_child(bug_alloc, &bg, &r), 0);
    if (!child_aborted(&r) || strcmp(r.err, line) != 0)
      fail_msg("expected SIGABRT and \"%s\"; status %d, stderr \"%s\"", line,
               r.status, r.err);
  }
  stray_write(x, saved);
  CHECKED(rt);
  /* A write past an object's end reaches the next block's bytes, never
   * metadata (blocks have no headers): the pool stays consistent. */
  if (!(flags() & MPOOL_BUILD_ASAN)) {
    unsigned char *volatile past = (unsigned char *)z; /* opaque */
    memset(past, 0xff, 64 + 8);
    CHECKED(rt);
  }
  buf_free(&b, rt);
}

static void asan_bug(void *arg) {
  volatile unsigned char *p = arg;
  (void)p[0];
}

/* Under AddressSanitizer a freed object and the bytes past an object's
 * size are poisoned. */
static void asan_poisons(void **state) {
  (void)state;
  if (!(flags() & MPOOL_BUILD_ASAN))
    skip();
  buf_t b = buf_make(8192, 0);
  mp_rt_t *rt = mp_rt_init(b.buf, b.size);
  unsigned char *p = mp_rt_alloc(rt, 20), *q = mp_rt_alloc(rt, 64);
  unsigned char *targets[] = {p + 20, q + 64, q};
  assert_int_equal(mp_rt_free(rt, q), 0);
  for (int i = 0; i < 3; i++) {
    child_result_t r;
    assert_int_equal(run_child(asan_bug, targets[i], &r), 0);
    if (!child_failed(&r) || strstr(r.err, "use-after-poison") == NULL)
      fail_msg("target %d: expected an ASan report; status %d, stderr %s", i,
               r.status, r.err);
  }
  /* Resized in place to 30 bytes: 20..29 become usable. */
  unsigned char *p30 = mp_rt_realloc(rt, p, 30);
  assert_ptr_equal(p30, p);
  p30[29] = 1;
  /* After mp_rt_destroy() the whole buffer is plain memory again. */
  mp_rt_destroy(rt);
  memset(b.buf, 0, 8192);
  free(b.mem);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bad_init),
      cmocka_unit_test(bad_alloc),
      cmocka_unit_test(bad_free),
      cmocka_unit_test(bad_realloc),
      cmocka_unit_test(bad_stats_and_check),
      cmocka_unit_test(bound_values),
      cmocka_unit_test(classes_and_reuse),
      cmocka_unit_test(realloc_keeps_contents),
      cmocka_unit_test(every_other_then_large),
      cmocka_unit_test(phases_meet_the_bound),
      cmocka_unit_test(random_sequences_never_fail),
      cmocka_unit_test(split_when_short),
      cmocka_unit_test(statistics),
      cmocka_unit_test(check_finds_corruption),
      cmocka_unit_test(asan_poisons),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
