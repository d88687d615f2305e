/*
 * Out-of-memory injection for every public function of include/mpool.h,
 * from one table that names them all.
 *
 * Each function that takes memory has a scenario, run with the backing
 * allocator failing its k-th call (transient) and every call from the k-th
 * on (persistent), for every k until the scenario needs no failure, on an
 * ordinary pool, a MP_POOL_SHARED pool and a pool with
 * MP_POOL_SIZE_HEADERS.  A call that fails must return NULL (or -1) with
 * errno ENOMEM and call the out-of-memory hook exactly once, naming the
 * pool (none for a root pool's creation); a call that succeeds must call
 * it never; what was made before must be intact; once the allocator works
 * again the pool must allocate, account for every byte it holds, and give
 * every block back when destroyed.  A function that takes memory but never
 * fails for want of it must succeed at every k and call no hook; one that
 * takes no memory from a pool must make no allocator call at all.
 *
 * The table must name every MP_API function of mpool.h: the test
 * oom_table_complete (tests/check-api-coverage.sh) fails when one is
 * missing, so a new allocating function cannot go without a row.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "oom_util.h"
#include "test_fork.h"

#include <sys/resource.h>

#define NODE ((size_t)1024)
#define MAX_OBJS 160

/* What a row's function does with memory. */
typedef enum {
  TAKES,   /* may fail with ENOMEM: each failure calls the hook once */
  ABSORBS, /* may take memory, never fails for want of it, calls no hook */
  NONE,    /* takes no memory from a pool's block source */
  SYSTEM   /* takes its memory from the system only (no allocator to fail):
            * exhausted under RLIMIT_AS in a child process instead */
} kind_t;

/* An object a scenario made, checked to the end of the run. */
typedef struct {
  unsigned char *p;
  size_t size; /* bytes that hold `fill` */
  unsigned char fill;
  int str; /* a NUL follows them */
} obj_t;

/* One run of a scenario: the pool of the variant and what it made. */
typedef struct {
  oom_run_t *r;
  test_alloc_t *t;
  mp_pool_t *pool;
  unsigned flags;   /* the variant's MP_POOL_* flags */
  mp_pool_t *named; /* the pool the hook names for a failure in `pool`;
                     * NULL for a shared pool (the pool behind its handle) */
  obj_t objs[MAX_OBJS];
  int nobjs;
  int registered; /* cleanups registered and not yet run or removed */
} scene_t;

static int cleanups_ran;

static void count_run(void *data) {
  (void)data;
  cleanups_ran++;
}

/* dst = expr, a call on a pool that names `named` to the hook (NULL: not
 * checked). */
#define S_TRY_AT(sc, dst, expr, named)                                         \
  do {                                                                         \
    OOM_TRY((sc)->r, dst, expr);                                               \
    if ((dst) == NULL && (named) != NULL)                                      \
      assert_ptr_equal(oom_log.pool, (named));                                 \
  } while (0)

#define S_TRY(sc, dst, expr) S_TRY_AT(sc, dst, expr, (sc)->named)

static obj_t *keep_as(scene_t *sc, void *p, size_t n, unsigned char fill,
                      int str) {
  assert_true(sc->nobjs < MAX_OBJS);
  obj_t *o = &sc->objs[sc->nobjs++];
  o->p = p;
  o->size = n;
  o->fill = fill;
  o->str = str;
  return o;
}

/* Records p (n bytes) and fills it with a pattern of its own. */
static obj_t *keep(scene_t *sc, void *p, size_t n) {
  unsigned char fill = (unsigned char)(0x21 + (sc->nobjs * 7) % 90);
  memset(p, fill, n);
  return keep_as(sc, p, n, fill, 0);
}

/* Whether the n bytes at p are all c: p[0] is, and each byte equals the
 * next (one memcmp(), which is fast under Valgrind too). */
static int all_are(const unsigned char *p, size_t n, unsigned char c) {
  return n == 0 || (p[0] == c && memcmp(p, p + 1, n - 1) == 0);
}

static void check_obj(const obj_t *o) {
  if (!all_are(o->p, o->size, o->fill))
    for (size_t i = 0; i < o->size; i++)
      if (o->p[i] != o->fill)
        fail_msg("object %p: byte %zu is 0x%02x, not 0x%02x", (void *)o->p, i,
                 o->p[i], o->fill);
  if (o->str)
    assert_int_equal(o->p[o->size], '\0');
}

static void check_all(const scene_t *sc) {
  for (int i = 0; i < sc->nobjs; i++)
    check_obj(&sc->objs[i]);
}

/* Forgets object i (freed, or gone with a rewind). */
static void drop(scene_t *sc, int i) { sc->objs[i] = sc->objs[--sc->nobjs]; }

/* Request sizes: small ones that fill nodes, large ones (above a quarter
 * of a 1 KiB node) that take blocks of their own, and 0. */
static const size_t sizes[] = {24,   100, 200, 1000, 60, 3000, 150, 180,
                               9000, 90,  200, 5000, 0,  16,   230, 400};
#define NSIZES (sizeof sizes / sizeof *sizes)

/* A string of n bytes of c, in one of two buffers (for calls taking two). */
static const char *text(int which, char c, size_t n) {
  static char buf[2][10001];
  assert_true(n < sizeof buf[0]);
  memset(buf[which], c, n);
  buf[which][n] = '\0';
  return buf[which];
}

/* Checks a string result of n bytes of c and records it. */
static void keep_str(scene_t *sc, char *s, size_t n, char c) {
  assert_int_equal(strlen(s), n);
  keep_as(sc, s, n, (unsigned char)c, 1);
}

static char fill_char(size_t i) { return (char)('a' + i % 26); }

/* ---- Pools --------------------------------------------------------- */

static void s_options_init(scene_t *sc) {
  oom_begin(sc->r);
  mp_options_t o;
  mp_options_init(&o);
  assert_int_equal(o.node_size, MP_DEFAULT_NODE_SIZE);
}

/* mp_create_pool() and the default allocator: see create_pool_system(). */
static void s_create_pool(scene_t *sc) { (void)sc; }

static void s_create_pool_ex(scene_t *sc) {
  oom_begin(sc->r);
  for (int i = 0; i < 15; i++) {
    mp_options_t o = oom_options(sc->t, NODE, 0);
    mp_pool_t *q;
    int root = i % 5 == 0 || i % 5 == 4;
    if (i % 5 == 2)
      o.flags |= MP_POOL_ADAPTIVE; /* its struct in a block of its own */
    if (i % 5 >= 3)
      o.flags |= MP_POOL_SHARED; /* and a handle */
    if (!root)
      o.parent = sc->pool;
    /* A root calls no hook: it has no pool to name; a child calls its
     * parent's (named by the parent). */
    OOM_TRY_HOOKS(sc->r, q, mp_create_pool_ex(&o), root ? 0L : 1L);
    if (q == NULL) {
      if (!root && sc->named != NULL)
        assert_ptr_equal(oom_log.pool, sc->named);
      continue;
    }
    void *a;
    S_TRY_AT(sc, a, mp_alloc(q, 300), (o.flags & MP_POOL_SHARED) ? NULL : q);
    if (root) {
      mp_destroy_pool(q);
    } else if (a != NULL) {
      keep(sc, a, 300); /* lives with the child, which lives with pool */
    }
  }
}

static void s_destroy_pool(scene_t *sc) {
  mp_pool_t *c = mp_create_child(sc->pool, NODE);
  assert_non_null(c);
  assert_non_null(mp_alloc(c, 5000));
  assert_non_null(mp_cleanup_add(c, count_run, NULL));
  assert_non_null(mp_create_child(c, NODE));
  oom_begin(sc->r);
  mp_destroy_pool(c);
  mp_destroy_pool(NULL);
  assert_int_equal(cleanups_ran, 1);
  cleanups_ran = 0;
}

static void s_destory_pool(scene_t *sc) {
  mp_pool_t *c = mp_create_child(sc->pool, NODE);
  assert_non_null(c);
  assert_non_null(mp_alloc(c, 100));
  oom_begin(sc->r);
  mp_destory_pool(c);
}

static void s_reset_pool(scene_t *sc) {
  /* An adaptive child that used several nodes: its reset takes a larger
   * node, or keeps the old size when there is no memory for it. */
  mp_options_t o = oom_options(sc->t, NODE, MP_POOL_ADAPTIVE);
  o.parent = sc->pool;
  mp_pool_t *c = mp_create_pool_ex(&o);
  assert_non_null(c);
  for (int i = 0; i < 40; i++)
    assert_non_null(mp_alloc(c, 200));
  assert_non_null(mp_alloc(sc->pool, 3000));
  assert_non_null(mp_cleanup_add(sc->pool, count_run, NULL));
  sc->registered++;
  oom_begin(sc->r);
  mp_reset_pool(c);
  mp_reset_pool(sc->pool); /* the child goes too */
  sc->registered--;
  assert_int_equal(cleanups_ran, 1);
  cleanups_ran = 0;
  sc->nobjs = 0;
}

/* An adaptive child that used several nodes, as s_reset_pool() makes. */
static mp_pool_t *busy_adaptive_child(scene_t *sc, mp_pool_t *parent) {
  mp_options_t o = oom_options(sc->t, NODE, MP_POOL_ADAPTIVE);
  o.parent = parent;
  mp_pool_t *c = mp_create_pool_ex(&o);
  assert_non_null(c);
  for (int i = 0; i < 40; i++)
    assert_non_null(mp_alloc(c, 200));
  return c;
}

static void s_reset_pool_mode(scene_t *sc) {
  mp_pool_t *c = busy_adaptive_child(sc, sc->pool);
  for (int i = 0; i < 8; i++)
    assert_non_null(mp_alloc(sc->pool, 900));
  assert_non_null(mp_cleanup_add(sc->pool, count_run, NULL));
  sc->registered++;
  oom_begin(sc->r);
  assert_int_equal(mp_reset_pool_mode(c, MP_RESET_RETAIN_LIMIT, 2 * NODE), 0);
  assert_int_equal(mp_reset_pool_mode(c, MP_RESET_FREE_ALL, 0), 0);
  assert_int_equal(mp_reset_pool_mode(sc->pool, MP_RESET_FREE_ALL, 0), 0);
  sc->registered--;
  assert_int_equal(cleanups_ran, 1);
  cleanups_ran = 0;
  sc->nobjs = 0;
}

static void s_reset_children(scene_t *sc) {
  mp_pool_t *c = mp_create_child(sc->pool, NODE);
  assert_non_null(c);
  mp_pool_t *g = busy_adaptive_child(sc, c);
  assert_non_null(mp_cleanup_add(g, count_run, NULL));
  oom_begin(sc->r);
  assert_int_equal(mp_reset_children(sc->pool), 0);
  assert_int_equal(cleanups_ran, 1);
  cleanups_ran = 0;
  assert_ptr_equal(mp_pool_parent(g), c);
}

static void s_destroy_children(scene_t *sc) {
  mp_pool_t *c = mp_create_child(sc->pool, NODE);
  assert_non_null(c);
  assert_non_null(mp_alloc(c, 5000));
  assert_non_null(mp_cleanup_add(c, count_run, NULL));
  assert_non_null(mp_create_child(c, NODE));
  oom_begin(sc->r);
  assert_int_equal(mp_destroy_children(sc->pool), 0);
  assert_int_equal(cleanups_ran, 1);
  cleanups_ran = 0;
}

/* ---- Allocating ------------------------------------------------------ */

static void s_alloc(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = sizes[i % NSIZES];
    void *p;
    switch (i % 3) {
    case 0: /* the inline fast path */
      S_TRY(sc, p, mp_alloc(sc->pool, n));
      break;
    case 1: /* the function */
      S_TRY(sc, p, (mp_alloc)(sc->pool, n));
      break;
    default:
      S_TRY(sc, p, mp_alloc(sc->pool, 48)); /* a constant size */
      n = 48;
      break;
    }
    if (p != NULL) {
      assert_true(is_aligned(p, 16));
      keep(sc, p, n);
    }
  }
}

static void s_nalloc(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = sizes[i % NSIZES] + i % 3;
    void *p;
    S_TRY(sc, p, mp_nalloc(sc->pool, n));
    if (p != NULL)
      keep(sc, p, n);
  }
}

static void check_zero(const unsigned char *p, size_t n) {
  assert_true(all_are(p, n, 0));
}

static void s_calloc(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = sizes[i % NSIZES];
    unsigned char *p;
    S_TRY(sc, p, mp_calloc(sc->pool, n));
    if (p != NULL) {
      check_zero(p, n);
      keep(sc, p, n);
    }
  }
}

static void s_calloc_array(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = sizes[i % NSIZES] / 8;
    unsigned char *p;
    S_TRY(sc, p, mp_calloc_array(sc->pool, n, 8));
    if (p != NULL) {
      check_zero(p, n * 8);
      keep(sc, p, n * 8);
    }
  }
}

static void s_memalign(scene_t *sc) {
  static const size_t aligns[] = {16, 64, 256, 4096, 8};
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = sizes[i % NSIZES], a = aligns[i % 5];
    void *p;
    S_TRY(sc, p, mp_memalign(sc->pool, n, a));
    if (p != NULL) {
      assert_true(is_aligned(p, a));
      keep(sc, p, n);
    }
  }
}

/* Objects of every size, made before the failures start. */
static void make_objects(scene_t *sc) {
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = sizes[i % NSIZES];
    void *p = i % 2 ? mp_memalign(sc->pool, n, 64) : mp_alloc(sc->pool, n);
    assert_non_null(p);
    keep(sc, p, n);
  }
}

static void s_free(scene_t *sc) {
  make_objects(sc);
  oom_begin(sc->r);
  /* Large blocks go at once, and with size headers small objects too,
   * which may make the free lists; without memory for them (or for the
   * ownership index) the bytes wait for reset.  Never a failure. */
  for (int i = sc->nobjs - 1; i >= 0; i -= 2) {
    assert_int_equal(mp_free(sc->pool, sc->objs[i].p), 0);
    drop(sc, i);
  }
  assert_int_equal(mp_free(sc->pool, NULL), 0);
}

static void s_owns(scene_t *sc) {
  make_objects(sc);
  char local;
  oom_begin(sc->r);
  /* The first question builds the ownership index; without memory for
   * it, the lists are walked.  The answer is the same. */
  for (int i = 0; i < sc->nobjs; i++)
    assert_int_equal(mp_owns(sc->pool, sc->objs[i].p), 1);
  assert_int_equal(mp_owns(sc->pool, &local), 0);
}

/* ---- Freeing and resizing ------------------------------------------- */

static void s_free_sized(scene_t *sc) {
  make_objects(sc);
  oom_begin(sc->r);
  for (int i = sc->nobjs - 1; i >= 0; i -= 2) {
    assert_int_equal(mp_free_sized(sc->pool, sc->objs[i].p, sc->objs[i].size),
                     0);
    drop(sc, i);
  }
}

/* Resizes objects through steps of sizes with rs(); a failure must leave
 * the object as it was (and a shrink never fails). */
typedef void *(*resize_fn)(scene_t *sc, obj_t *o, size_t n);

static void resize_steps(scene_t *sc, resize_fn rs, const size_t *steps,
                         size_t nsteps, int rounds) {
  int n0 = sc->nobjs;
  for (int round = 0; round < rounds; round++) {
    for (int j = 0; j < n0; j++) {
      obj_t *o = &sc->objs[j];
      size_t n = steps[((size_t)round + (size_t)j) % nsteps];
      unsigned char *q;
      S_TRY(sc, q, rs(sc, o, n));
      if (q == NULL) {
        assert_true(n > o->size); /* shrinking never fails */
        check_obj(o);             /* left intact */
        continue;
      }
      assert_true(all_are(q, n < o->size ? n : o->size, o->fill));
      o->p = q;
      o->size = n;
      memset(q, o->fill, n);
    }
  }
}

static void *rs_realloc(scene_t *sc, obj_t *o, size_t n) {
  return mp_realloc(sc->pool, o->p, o->size, n);
}

static void s_realloc(scene_t *sc) {
  static const size_t steps[] = {120,  600, 3000, 8000, 50,  10,
                                 2000, 300, 16,   0,    700, 20000};
  void *p;
  keep(sc, mp_alloc(sc->pool, 40), 40);
  keep(sc, mp_nalloc(sc->pool, 30), 30); /* packed */
  keep(sc, mp_alloc(sc->pool, 2000), 2000);
  keep(sc, mp_memalign(sc->pool, 100, 64), 100);
  oom_begin(sc->r);
  S_TRY(sc, p, mp_realloc(sc->pool, NULL, 0, 100)); /* as mp_alloc() */
  if (p != NULL)
    keep(sc, p, 100);
  resize_steps(sc, rs_realloc, steps, sizeof steps / sizeof *steps, 6);
}

static void *rs_unsized(scene_t *sc, obj_t *o, size_t n) {
  return mp_realloc_unsized(sc->pool, o->p, n);
}

static void s_realloc_unsized(scene_t *sc) {
  /* Without size headers only large blocks qualify: sizes above the
   * large threshold of a 1 KiB node throughout. */
  static const size_t large[] = {3000, 9000, 1500, 20000, 1200, 4000};
  static const size_t any[] = {120, 3000, 8000, 50, 10, 600, 20000, 0};
  int headers = (sc->flags & MP_POOL_SIZE_HEADERS) != 0;
  keep(sc, mp_alloc(sc->pool, 1000), 1000);
  keep(sc, mp_alloc(sc->pool, 2500), 2500);
  if (headers) {
    keep(sc, mp_alloc(sc->pool, 40), 40);
    keep(sc, mp_memalign(sc->pool, 100, 64), 100);
  }
  oom_begin(sc->r);
  void *p;
  S_TRY(sc, p, mp_realloc_unsized(sc->pool, NULL, 3000)); /* as mp_alloc */
  if (p != NULL)
    keep(sc, p, 3000);
  if (headers)
    resize_steps(sc, rs_unsized, any, sizeof any / sizeof *any, 6);
  else
    resize_steps(sc, rs_unsized, large, sizeof large / sizeof *large, 6);
}

static void *rs_allocf(scene_t *sc, obj_t *o, size_t n) {
  return mp_allocf(sc->pool, o->p, o->size, n);
}

static void s_allocf(scene_t *sc) {
  static const size_t steps[] = {200, 3000, 40, 9000, 600, 16, 5000};
  oom_begin(sc->r);
  for (int i = 0; i < 4; i++) {
    void *p;
    size_t n = sizes[(size_t)i * 3 % NSIZES] + 1;
    S_TRY(sc, p, mp_allocf(sc->pool, NULL, 77, n)); /* osize ignored */
    if (p != NULL)
      keep(sc, p, n);
  }
  resize_steps(sc, rs_allocf, steps, sizeof steps / sizeof *steps, 5);
  /* nsize 0 frees: never a failure. */
  for (int i = sc->nobjs - 1; i >= 0; i -= 2) {
    errno = 0;
    assert_null(mp_allocf(sc->pool, sc->objs[i].p, sc->objs[i].size, 0));
    assert_int_equal(errno, 0);
    drop(sc, i);
  }
}

/* ---- Object pools ---------------------------------------------------- */

static void s_objpool_create(scene_t *sc) {
  static const size_t osize[] = {24, 200, 700, 0};
  static const size_t oalign[] = {0, 64, 0, 16};
  mp_objpool_t *ops[32];
  int nops = 0;
  oom_begin(sc->r);
  for (int i = 0; i < 32; i++) {
    mp_objpool_t *op;
    S_TRY(sc, op, mp_objpool_create(sc->pool, osize[i % 4], oalign[i % 4]));
    if (op != NULL)
      ops[nops++] = op;
  }
  oom_end(sc->r);
  for (int i = 0; i < nops; i++) { /* each one works */
    void *o = mp_objpool_get(ops[i]);
    assert_non_null(o);
    keep(sc, o, 8);
  }
}

static void s_objpool_get(scene_t *sc) {
  static const size_t osize[] = {24, 200, 700};
  static const size_t oalign[] = {0, 64, 0};
  mp_objpool_t *ops[3];
  for (int i = 0; i < 3; i++) {
    ops[i] = mp_objpool_create(sc->pool, osize[i], oalign[i]);
    assert_non_null(ops[i]);
  }
  oom_begin(sc->r);
  for (int i = 0; i < 36; i++) {
    int k = i % 3;
    void *o;
    S_TRY(sc, o, mp_objpool_get(ops[k]));
    if (o == NULL)
      continue;
    if (oalign[k] != 0)
      assert_true(is_aligned(o, oalign[k]));
    if (i % 4 == 3) { /* back, and handed out again with no memory */
      assert_int_equal(mp_objpool_put(ops[k], o), 0);
      void *again;
      S_TRY(sc, again, mp_objpool_get(ops[k]));
      assert_ptr_equal(again, o);
    }
    keep(sc, o, osize[k]);
  }
}

static void s_objpool_put(scene_t *sc) {
  mp_objpool_t *op = mp_objpool_create(sc->pool, 200, 0);
  assert_non_null(op);
  void *o[4];
  for (int i = 0; i < 4; i++)
    assert_non_null(o[i] = mp_objpool_get(op));
  oom_begin(sc->r);
  for (int i = 0; i < 4; i++)
    assert_int_equal(mp_objpool_put(op, o[i]), 0);
  assert_int_equal(mp_objpool_put(op, NULL), 0);
  for (int i = 3; i >= 0; i--) /* the last put back comes first */
    assert_ptr_equal(mp_objpool_get(op), o[i]);
}

/* ---- Marks ----------------------------------------------------------- */

static void s_mark(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 24; i++) {
    mp_mark_t *m;
    int before = sc->nobjs;
    S_TRY(sc, m, mp_mark(sc->pool));
    void *p;
    size_t n = sizes[i % NSIZES];
    S_TRY(sc, p, mp_alloc(sc->pool, n));
    if (p != NULL)
      keep(sc, p, n);
    if (m != NULL && i % 4 == 3) {
      assert_int_equal(mp_rewind(sc->pool, m), 0);
      sc->nobjs = before; /* what came after the mark is gone */
    }
  }
}

static void s_rewind(scene_t *sc) {
  keep(sc, mp_alloc(sc->pool, 100), 100);
  mp_mark_t *m = mp_mark(sc->pool);
  assert_non_null(m);
  for (size_t i = 0; i < NSIZES; i++)
    assert_non_null(mp_alloc(sc->pool, sizes[i]));
  mp_pool_t *c = mp_create_child(sc->pool, NODE);
  assert_non_null(c);
  assert_non_null(mp_cleanup_add(c, count_run, NULL));
  assert_non_null(mp_cleanup_add(sc->pool, count_run, NULL));
  oom_begin(sc->r);
  assert_int_equal(mp_rewind(sc->pool, m), 0);
  assert_int_equal(cleanups_ran, 2); /* the child's, and the pool's */
  cleanups_ran = 0;
}

/* ---- Cleanups -------------------------------------------------------- */

static void s_cleanup_add(scene_t *sc) {
  oom_begin(sc->r);
  for (int i = 0; i < 40; i++) {
    mp_cleanup_t *c;
    S_TRY(sc, c, mp_cleanup_add(sc->pool, count_run, NULL));
    sc->registered += c != NULL;
  }
}

static void s_cleanup_remove(scene_t *sc) {
  mp_cleanup_t *c[3];
  for (int i = 0; i < 3; i++)
    assert_non_null(c[i] = mp_cleanup_add(sc->pool, count_run, NULL));
  sc->registered = 3;
  oom_begin(sc->r);
  assert_int_equal(mp_cleanup_remove(sc->pool, c[1]), 0);
  sc->registered--;
  assert_non_null(mp_cleanup_add(sc->pool, count_run, NULL)); /* reused */
  sc->registered++;
}

static void s_cleanup_run(scene_t *sc) {
  mp_cleanup_t *c[3];
  for (int i = 0; i < 3; i++)
    assert_non_null(c[i] = mp_cleanup_add(sc->pool, count_run, NULL));
  oom_begin(sc->r);
  assert_int_equal(mp_cleanup_run(sc->pool, c[2]), 0);
  assert_int_equal(mp_cleanup_run(sc->pool, c[0]), 0);
  assert_int_equal(cleanups_ran, 2);
  cleanups_ran = 0;
  sc->registered = 1;
}

/* ---- Child pools ----------------------------------------------------- */

static void s_create_child(scene_t *sc) {
  mp_pool_t *kids[12] = {0};
  oom_begin(sc->r);
  for (int i = 0; i < 12; i++) {
    /* Children of the pool, and grandchildren of the last child. */
    mp_pool_t *parent =
        i % 3 == 2 && kids[i - 1] != NULL ? kids[i - 1] : sc->pool;
    mp_pool_t *named = parent == sc->pool ? sc->named : parent;
    S_TRY_AT(sc, kids[i], mp_create_child(parent, i % 2 ? NODE : 2 * NODE),
             named);
    if (kids[i] == NULL)
      continue;
    void *a;
    S_TRY_AT(sc, a, mp_alloc(kids[i], 300), kids[i]);
    if (a != NULL)
      keep(sc, a, 300);
  }
}

static void s_pool_parent(scene_t *sc) {
  mp_pool_t *c = mp_create_child(sc->pool, NODE);
  assert_non_null(c);
  oom_begin(sc->r);
  assert_ptr_equal(mp_pool_parent(c), sc->pool);
  assert_null(mp_pool_parent(sc->pool));
}

/* ---- Strings --------------------------------------------------------- */

/* The string lengths: short ones, and ones past the large threshold. */
static size_t str_len(size_t i) { return sizes[i % NSIZES] % 6000; }

static void s_strdup(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = str_len(i);
    char c = fill_char(i), *s;
    S_TRY(sc, s, mp_strdup(sc->pool, text(0, c, n)));
    if (s != NULL)
      keep_str(sc, s, n, c);
  }
}

static void s_strndup(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = str_len(i);
    char c = fill_char(i), *s;
    S_TRY(sc, s, mp_strndup(sc->pool, text(0, c, n + 5), n));
    if (s != NULL)
      keep_str(sc, s, n, c);
  }
}

static void s_memdup(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = str_len(i);
    char c = fill_char(i);
    unsigned char *d;
    S_TRY(sc, d, mp_memdup(sc->pool, text(0, c, n), n));
    if (d != NULL) {
      assert_true(is_aligned(d, 16));
      keep_as(sc, d, n, (unsigned char)c, 0);
    }
  }
}

static void s_printf(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = str_len(i);
    char c = fill_char(i), *s;
    /* The library's own %s, and a precision, which vsnprintf() formats. */
    if (i % 2)
      S_TRY(sc, s, mp_printf(sc->pool, "%s", text(0, c, n)));
    else
      S_TRY(sc, s, mp_printf(sc->pool, "%.*s", (int)n, text(0, c, n + 9)));
    if (s != NULL)
      keep_str(sc, s, n, c);
  }
}

static void s_vprintf(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = str_len(i);
    char c = fill_char(i), *s;
    S_TRY(sc, s, vprintf_of(sc->pool, "%s%c", text(0, c, n), c));
    if (s != NULL)
      keep_str(sc, s, n + 1, c);
  }
}

static void s_strcat(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = str_len(i);
    char c = fill_char(i), *s;
    S_TRY(sc, s,
          mp_strcat(sc->pool, text(0, c, n / 2), text(1, c, n - n / 2),
                    (char *)NULL));
    if (s != NULL)
      keep_str(sc, s, n, c);
  }
}

static void s_join(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 2 * NSIZES; i++) {
    size_t n = str_len(i) / 2;
    char c = fill_char(i), *s, sep[2] = {c, '\0'};
    const char *parts[2] = {text(0, c, n), text(1, c, n)};
    S_TRY(sc, s, mp_join(sc->pool, parts, 2, sep));
    if (s != NULL)
      keep_str(sc, s, 2 * n + 1, c);
  }
}

/* ---- Statistics, debugging and library -------------------------------- */

static void s_stats(scene_t *sc) {
  make_objects(sc);
  assert_non_null(mp_create_child(sc->pool, NODE));
  oom_begin(sc->r);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(sc->pool, &st, 0), 0);
  assert_int_equal(mp_stats(sc->pool, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.children, 1);
}

static void s_report(scene_t *sc) {
  make_objects(sc);
  assert_non_null(mp_create_child(sc->pool, NODE));
  FILE *f = tmpfile();
  if (f == NULL)
    f = fopen("/dev/null", "w");
  assert_non_null(f);
  oom_begin(sc->r);
  assert_int_equal(mp_report(sc->pool, f), 0);
  oom_end(sc->r);
  fclose(f);
}

static void s_set_site(scene_t *sc) {
  oom_begin(sc->r);
  mp_set_site(__FILE__, __LINE__);
  mp_set_site(NULL, 0);
}

static void s_check(scene_t *sc) {
  make_objects(sc);
  char local;
  oom_begin(sc->r);
  /* As mp_owns(): the ownership index, or a walk of the lists. */
  for (int i = 0; i < sc->nobjs; i++)
    assert_int_equal(mp_check(sc->pool, sc->objs[i].p), MP_PTR_LIVE);
  assert_int_equal(mp_check(sc->pool, &local), MP_PTR_UNKNOWN);
}

static void s_pool_handoff(scene_t *sc) {
  oom_begin(sc->r);
  assert_int_equal(mp_pool_handoff(sc->pool), 0);
}

/* ---- Named pools, the pool tree and allocation events ----------------- */

static void s_set_name(scene_t *sc) {
  oom_begin(sc->r);
  for (size_t i = 0; i < 6; i++) {
    size_t n = sizes[i % NSIZES] % 3000;
    void *ok;
    S_TRY(sc, ok,
          mp_pool_set_name(sc->pool, text(0, 'n', n), i % 2 ? "id" : NULL) == 0
              ? (void *)sc
              : NULL);
    if (ok != NULL)
      assert_int_equal(strlen(mp_pool_name(sc->pool)), n);
  }
}

static void s_pool_name(scene_t *sc) {
  assert_int_equal(mp_pool_set_name(sc->pool, "name", "ident"), 0);
  oom_begin(sc->r);
  assert_string_equal(mp_pool_name(sc->pool), "name");
  assert_string_equal(mp_pool_ident(sc->pool), "ident");
}

static int walk_count(const mp_pool_info_t *in, void *arg) {
  (void)in;
  ++*(int *)arg;
  return 0;
}

static void s_walk(scene_t *sc) {
  make_objects(sc);
  assert_non_null(mp_create_child(sc->pool, NODE));
  FILE *f = tmpfile();
  if (f == NULL)
    f = fopen("/dev/null", "w");
  assert_non_null(f);
  char buf[256];
  size_t len;
  int n = 0;
  oom_begin(sc->r);
  assert_int_equal(mp_walk(sc->pool, walk_count, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(mp_tree_format(sc->pool, buf, sizeof buf, &len, 0), 0);
  assert_int_equal(mp_tree_print(sc->pool, f, MP_TREE_JSON), 0);
  oom_end(sc->r);
  fclose(f);
}

static void no_event(const mp_event_t *ev, void *arg) {
  (void)ev;
  (void)arg;
}

static void s_pool_set_hook(scene_t *sc) {
  oom_begin(sc->r);
  void *ok;
  S_TRY(sc, ok,
        mp_pool_set_hook(sc->pool, no_event, NULL, 0) == 0 ? (void *)sc : NULL);
  if (ok != NULL)
    assert_int_equal(mp_pool_set_hook(sc->pool, NULL, NULL, 0), 0);
}

/* Setting and clearing the process-wide hook takes no memory (the
 * allocations it then sees are other rows'). */
static void s_set_hook(scene_t *sc) {
  oom_begin(sc->r);
  assert_int_equal(mpool_set_hook(no_event, sc, MP_HOOK_OBJECTS), 0);
  assert_int_equal(mpool_set_hook(NULL, NULL, 0), 0);
}

static void s_version(scene_t *sc) {
  oom_begin(sc->r);
  assert_int_equal(mpool_version(), MPOOL_VERSION);
}

/* Real-time pools live in the caller's buffer: none of their calls takes
 * memory from anywhere else. */
static void s_rt(scene_t *sc) {
  static _Alignas(16) unsigned char buf[16384];
  oom_begin(sc->r);
  assert_true(mp_rt_bound(1024, 64) > 1024);
  mp_rt_t *rt = mp_rt_init(buf, sizeof buf);
  assert_non_null(rt);
  void *a = mp_rt_alloc(rt, 100);
  assert_non_null(a);
  a = mp_rt_realloc(rt, a, 300);
  assert_non_null(a);
  mp_rt_stats_t st;
  st.size = sizeof st;
  assert_int_equal(mp_rt_stats(rt, &st), 0);
  assert_int_equal(mp_rt_check(rt), 1);
  assert_int_equal(mp_rt_free(rt, a), 0);
  mp_rt_destroy(rt);
}

static void s_build_flags(scene_t *sc) {
  oom_begin(sc->r);
  (void)mpool_build_flags();
}

/* The block cache calls: pools with an allocator of their own bypass the
 * cache, so none of them may reach the allocator. */
static void s_cache_flush(scene_t *sc) {
  make_objects(sc);
  oom_begin(sc->r);
  mpool_cache_flush();
}

static void s_cache_set_limit(scene_t *sc) {
  mpool_cache_stats_t cs = {.size = sizeof cs};
  assert_int_equal(mpool_cache_stats(&cs), 0);
  oom_begin(sc->r);
  assert_int_equal(mpool_cache_set_limit(cs.back_limit), 0);
}

static void s_cache_set_retain(scene_t *sc) {
  mpool_cache_stats_t cs = {.size = sizeof cs};
  assert_int_equal(mpool_cache_stats(&cs), 0);
  oom_begin(sc->r);
  assert_int_equal(
      mpool_cache_set_retain(cs.retain_limit, (unsigned)cs.decay_ms), 0);
}

static void s_cache_collect(scene_t *sc) {
  oom_begin(sc->r);
  mpool_cache_collect();
}

static void s_cache_stats(scene_t *sc) {
  mpool_cache_stats_t cs = {.size = sizeof cs};
  oom_begin(sc->r);
  assert_int_equal(mpool_cache_stats(&cs), 0);
}

/* ---- The table -------------------------------------------------------- */

typedef struct {
  const char *name;
  kind_t kind;
  void (*scene)(scene_t *sc);
  void (*fn)(void); /* the function itself: a row of a removed function
                     * does not compile */
} row_t;

/* One row per MP_API function of mpool.h, in the header's order;
 * tests/check-api-coverage.sh reads the names from these lines. */
#define OOM_ROW(fn, kind, scene)                                               \
  { #fn, kind, scene, (void (*)(void)) & fn }
static const row_t rows[] = {
    OOM_ROW(mp_options_init, NONE, s_options_init),
    OOM_ROW(mp_create_pool, SYSTEM, s_create_pool),
    OOM_ROW(mp_create_pool_ex, TAKES, s_create_pool_ex),
    OOM_ROW(mp_destroy_pool, NONE, s_destroy_pool),
    OOM_ROW(mp_destory_pool, NONE, s_destory_pool),
    OOM_ROW(mp_reset_pool, ABSORBS, s_reset_pool),
    OOM_ROW(mp_reset_pool_mode, ABSORBS, s_reset_pool_mode),
    OOM_ROW(mp_reset_children, ABSORBS, s_reset_children),
    OOM_ROW(mp_destroy_children, NONE, s_destroy_children),
    OOM_ROW(mp_alloc, TAKES, s_alloc),
    OOM_ROW(mp_nalloc, TAKES, s_nalloc),
    OOM_ROW(mp_calloc, TAKES, s_calloc),
    OOM_ROW(mp_calloc_array, TAKES, s_calloc_array),
    OOM_ROW(mp_memalign, TAKES, s_memalign),
    OOM_ROW(mp_free, ABSORBS, s_free),
    OOM_ROW(mp_owns, ABSORBS, s_owns),
    OOM_ROW(mp_free_sized, ABSORBS, s_free_sized),
    OOM_ROW(mp_realloc, TAKES, s_realloc),
    OOM_ROW(mp_realloc_unsized, TAKES, s_realloc_unsized),
    OOM_ROW(mp_allocf, TAKES, s_allocf),
    OOM_ROW(mp_objpool_create, TAKES, s_objpool_create),
    OOM_ROW(mp_objpool_get, TAKES, s_objpool_get),
    OOM_ROW(mp_objpool_put, NONE, s_objpool_put),
    OOM_ROW(mp_mark, TAKES, s_mark),
    OOM_ROW(mp_rewind, NONE, s_rewind),
    OOM_ROW(mp_cleanup_add, TAKES, s_cleanup_add),
    OOM_ROW(mp_cleanup_remove, NONE, s_cleanup_remove),
    OOM_ROW(mp_cleanup_run, NONE, s_cleanup_run),
    OOM_ROW(mp_create_child, TAKES, s_create_child),
    OOM_ROW(mp_pool_parent, NONE, s_pool_parent),
    OOM_ROW(mp_strdup, TAKES, s_strdup),
    OOM_ROW(mp_strndup, TAKES, s_strndup),
    OOM_ROW(mp_memdup, TAKES, s_memdup),
    OOM_ROW(mp_printf, TAKES, s_printf),
    OOM_ROW(mp_vprintf, TAKES, s_vprintf),
    OOM_ROW(mp_strcat, TAKES, s_strcat),
    OOM_ROW(mp_join, TAKES, s_join),
    OOM_ROW(mp_stats, NONE, s_stats),
    OOM_ROW(mp_report, NONE, s_report),
    OOM_ROW(mp_pool_set_name, TAKES, s_set_name),
    OOM_ROW(mp_pool_name, NONE, s_pool_name),
    OOM_ROW(mp_pool_ident, NONE, s_pool_name),
    OOM_ROW(mp_walk, NONE, s_walk),
    OOM_ROW(mp_tree_print, NONE, s_walk),
    OOM_ROW(mp_tree_format, NONE, s_walk),
    OOM_ROW(mp_pool_set_hook, TAKES, s_pool_set_hook),
    OOM_ROW(mpool_set_hook, NONE, s_set_hook),
    OOM_ROW(mp_set_site, NONE, s_set_site),
    OOM_ROW(mp_check, ABSORBS, s_check),
    OOM_ROW(mp_pool_handoff, NONE, s_pool_handoff),
    OOM_ROW(mpool_version, NONE, s_version),
    OOM_ROW(mpool_build_flags, NONE, s_build_flags),
    OOM_ROW(mp_rt_bound, NONE, s_rt),
    OOM_ROW(mp_rt_init, NONE, s_rt),
    OOM_ROW(mp_rt_destroy, NONE, s_rt),
    OOM_ROW(mp_rt_alloc, NONE, s_rt),
    OOM_ROW(mp_rt_free, NONE, s_rt),
    OOM_ROW(mp_rt_realloc, NONE, s_rt),
    OOM_ROW(mp_rt_stats, NONE, s_rt),
    OOM_ROW(mp_rt_check, NONE, s_rt),
    OOM_ROW(mpool_cache_flush, NONE, s_cache_flush),
    OOM_ROW(mpool_cache_set_limit, NONE, s_cache_set_limit),
    OOM_ROW(mpool_cache_set_retain, NONE, s_cache_set_retain),
    OOM_ROW(mpool_cache_collect, NONE, s_cache_collect),
    OOM_ROW(mpool_cache_stats, NONE, s_cache_stats),
};
#define NROWS (sizeof rows / sizeof *rows)

/* The variants every row runs on. */
static const struct {
  const char *name;
  unsigned flags;
} variants[] = {
    {"plain", 0},
    {"shared", MP_POOL_SHARED},
    {"headers", MP_POOL_SIZE_HEADERS},
};
#define NVARIANTS (sizeof variants / sizeof *variants)

typedef struct {
  const row_t *row;
  unsigned flags;
} job_t;

/* After a run: the pool allocates, accounts for every byte the allocator
 * holds, and calls no hook for what it can serve. */
static void check_usable(scene_t *sc) {
  long h0 = oom_log.calls;
  unsigned char *a = mp_alloc(sc->pool, 100);
  assert_non_null(a);
  keep(sc, a, 100);
  unsigned char *b = mp_alloc(sc->pool, 5000);
  assert_non_null(b);
  keep(sc, b, 5000);
  char *s = mp_strdup(sc->pool, "still usable");
  assert_string_equal(s, "still usable");
  assert_int_equal(oom_log.calls, h0);
  check_all(sc);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(sc->pool, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.bytes_reserved, sc->t->live_bytes);
  assert_true(st.bytes_used <= st.bytes_reserved);
  assert_true(st.peak_reserved >= st.bytes_reserved);
  assert_true(st.large_blocks >= 1);
  assert_int_equal(st.cleanups, (size_t)sc->registered);
}

static scene_t scene;

static void run_scene(oom_run_t *r) {
  const job_t *job = r->arg;
  scene_t *sc = &scene;
  memset(sc, 0, sizeof *sc);
  sc->r = r;
  sc->t = r->t;
  sc->flags = job->flags;
  sc->pool = oom_pool(r->t, NODE, job->flags);
  sc->named = (job->flags & MP_POOL_SHARED) ? NULL : sc->pool;
  cleanups_ran = 0;
  job->row->scene(sc);
  oom_end(r);
  if (job->row->kind != TAKES) { /* nothing may fail, nor tell the hook */
    assert_int_equal(r->failed + r->over, 0);
    assert_int_equal(oom_log.calls, 0);
  }
  check_all(sc);
  check_usable(sc);
  mp_destroy_pool(sc->pool);
  assert_int_equal(cleanups_ran, sc->registered);
}

/* ---- mp_create_pool(): the system's memory, in a child process ------- */

/* The bytes of address space the process maps (Linux), or 0. */
static size_t mapped_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (f == NULL)
    return 0;
  if (fscanf(f, "%lu", &pages) != 1)
    pages = 0;
  fclose(f);
  return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

#define CHILD_CHECK(cond)                                                      \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);               \
      _exit(1);                                                                \
    }                                                                          \
  } while (0)

#define MAX_POOLS 4096

static long child_hooks;
static mp_pool_t *child_named;

static void child_hook(mp_pool_t *pool, size_t size, void *ud) {
  (void)size;
  (void)ud;
  child_hooks++;
  child_named = pool;
}

/* Creates pools on the block cache until the system says no (persistent),
 * then frees some and creates again (transient): roots of mp_create_pool()
 * and mp_create_pool_ex(NULL), children of a parent with a hook. */
static void exhaust(void *arg) {
  (void)arg;
  static mp_pool_t *pools[MAX_POOLS];
  mpool_cache_set_limit(0); /* no blocks kept from earlier tests */
  mpool_cache_set_retain(0, 0);
  mpool_cache_flush();
  mp_options_t o;
  mp_options_init(&o);
  o.on_oom = child_hook;
  mp_pool_t *parent = mp_create_pool_ex(&o);
  CHILD_CHECK(parent != NULL);
  size_t now = mapped_bytes();
  CHILD_CHECK(now != 0);
  struct rlimit rl;
  CHILD_CHECK(getrlimit(RLIMIT_AS, &rl) == 0);
  rlim_t old = rl.rlim_cur;
  rl.rlim_cur = (rlim_t)(now + ((size_t)24 << 20));
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
    rl.rlim_cur = rl.rlim_max;
  CHILD_CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
  int n = 0, failed = 0;
  long hooks = 0;
  for (int i = 0; n < MAX_POOLS && failed < 30; i++) {
    mp_pool_t *p;
    int child = i % 3 == 2;
    errno = 0;
    if (child)
      p = mp_create_child(parent, 0);
    else if (i % 3 == 1)
      p = mp_create_pool_ex(NULL);
    else
      p = mp_create_pool(0);
    if (p != NULL) {
      pools[n++] = p;
      continue;
    }
    CHILD_CHECK(errno == ENOMEM);
    failed++;
    if (child) { /* the parent heard of it, once */
      hooks++;
      CHILD_CHECK(child_named == parent);
    }
    CHILD_CHECK(child_hooks == hooks);
  }
  CHILD_CHECK(failed > 0); /* the system said no */
  fprintf(stderr, "%d pools made, then %d refused (%ld hook calls)\n", n,
          failed, hooks);
  /* Once the system has memory again, pools are made again. */
  for (int i = n - 1; i >= n / 2; i--)
    mp_destroy_pool(pools[i]);
  n /= 2;
  rl.rlim_cur = old;
  CHILD_CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
  for (int i = 0; i < 8; i++) {
    CHILD_CHECK((pools[n] = mp_create_pool(0)) != NULL);
    CHILD_CHECK(mp_alloc(pools[n++], 100000) != NULL);
  }
  CHILD_CHECK(child_hooks == hooks);
  for (int i = 0; i < n; i++)
    if (mp_pool_parent(pools[i]) == NULL)
      mp_destroy_pool(pools[i]);
  mp_destroy_pool(parent);
}

static void create_pool_system(void) {
  if (mpool_build_flags() & MPOOL_BUILD_ASAN) {
    print_message("skipped: AddressSanitizer needs its address space\n");
    skip();
  }
  if (oom_under_valgrind()) {
    print_message("skipped: Valgrind does not apply RLIMIT_AS\n");
    skip();
  }
#if defined(__SANITIZE_THREAD__)
#define OOM_SANITIZER_SPACE 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define OOM_SANITIZER_SPACE 1
#endif
#endif
#ifdef OOM_SANITIZER_SPACE
  print_message("skipped: the sanitizer needs its address space\n");
  skip();
#endif
  child_result_t res;
  assert_int_equal(run_child(exhaust, NULL, &res), 0);
  if (child_failed(&res))
    fail_msg("the child failed: %s", res.err);
  print_message("under RLIMIT_AS: %s", res.err);
}

/* ---- Running the table ------------------------------------------------ */

static void run_row(void **state) {
  const row_t *row = *state;
  if (row->kind == SYSTEM) {
    create_pool_system();
    return;
  }
  for (size_t v = 0; v < NVARIANTS; v++) {
    job_t job = {row, variants[v].flags};
    for (int m = 0; m < 2; m++) {
      oom_mode_t mode = m == 0 ? OOM_TRANSIENT : OOM_PERSISTENT;
      oom_result_t res = oom_every_k(run_scene, &job, mode);
      if (row->kind == NONE && res.runs != 1)
        fail_msg("%s (%s): the allocator was called after oom_begin(): "
                 "the row's kind is not NONE",
                 row->name, variants[v].name);
      /* A shared pool's lane tries a whole chunk before the request
       * alone: a single failure there is absorbed by design. */
      int absorbed_ok = variants[v].flags == MP_POOL_SHARED &&
                        mode == OOM_TRANSIENT && res.absorbed > 0;
      if (row->kind == TAKES && res.failing == 0 && !absorbed_ok)
        fail_msg("%s (%s, %s): no call failed at any k", row->name,
                 variants[v].name, m == 0 ? "transient" : "persistent");
      if (row->kind != NONE)
        print_message("%s, %s, %s: %ld runs, %ld with failed calls, %ld "
                      "absorbed\n",
                      row->name, variants[v].name,
                      m == 0 ? "transient" : "persistent", res.runs,
                      res.failing, res.absorbed);
    }
  }
}

/* ---- Regressions ------------------------------------------------------ */

/* A child whose first node is above its own budget used to fail with
 * ENOMEM without calling any hook; it calls the one it would have had,
 * named by its parent.  A root in the same case has no pool to name. */
static void child_budget_calls_hook(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  memset(&oom_log, 0, sizeof oom_log);
  mp_pool_t *parent = oom_pool(&t, NODE, 0);
  mp_options_t o = oom_options(&t, NODE, 0);
  o.budget = NODE / 2;
  errno = 0;
  assert_null(mp_create_pool_ex(&o)); /* a root */
  assert_int_equal(errno, ENOMEM);
  assert_int_equal(oom_log.calls, 0);
  o.parent = parent;
  for (int own = 0; own < 2; own++) {
    o.on_oom = own ? oom_hook : NULL; /* its own, or its parent's */
    long before = oom_log.calls;
    errno = 0;
    assert_null(mp_create_pool_ex(&o));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(oom_log.calls, before + 1);
    assert_ptr_equal(oom_log.pool, parent);
    assert_true(oom_log.size > o.budget);
  }
  mp_destroy_pool(parent);
  assert_int_equal(t.live_blocks, 0);
}

/* A MP_POOL_SHARED child whose handle could not be had -- from the
 * allocator, within its own budget or within its parent's -- used to fail
 * with ENOMEM without calling any hook; it calls one, named by its
 * parent. */
static void shared_child_handle_calls_hook(void **state) {
  (void)state;
  static test_alloc_t t;
  for (int c = 0; c < 3; c++) {
    ta_init(&t);
    memset(&oom_log, 0, sizeof oom_log);
    mp_options_t o = oom_options(&t, NODE, 0);
    if (c == 2) /* the child's node fits, its handle does not */
      o.budget = 2 * NODE + 64;
    mp_pool_t *parent = mp_create_pool_ex(&o);
    assert_non_null(parent);
    mp_options_t co = oom_options(&t, NODE, MP_POOL_SHARED);
    co.parent = parent;
    if (c == 1)
      co.budget = NODE + 64;
    for (long k = 0;; k++) {
      if (c == 0)
        t.fail_at = t.calls + k; /* the node, then the handle */
      long before = oom_log.calls;
      errno = 0;
      mp_pool_t *child = mp_create_pool_ex(&co);
      t.fail_at = -1;
      if (child == NULL) {
        assert_int_equal(errno, ENOMEM);
        assert_int_equal(oom_log.calls, before + 1);
        assert_ptr_equal(oom_log.pool, parent);
        if (c != 0)
          break; /* a budget: the same every time */
        continue;
      }
      assert_int_equal(c, 0);
      assert_int_equal(oom_log.calls, before);
      assert_true(k >= 2); /* the node and the handle could each fail */
      break;
    }
    assert_true(oom_log.calls >= 1);
    mp_stats_t st = {.size = sizeof st};
    assert_int_equal(mp_stats(parent, &st, MP_STATS_CHILDREN), 0);
    assert_int_equal(st.bytes_reserved, t.live_bytes);
    mp_destroy_pool(parent);
    assert_int_equal(t.live_blocks, 0);
  }
}

/* A shrinking mp_realloc() of a large block into a node that there is no
 * memory for keeps the block and succeeds: it used to call the hook as if
 * it had failed. */
static void realloc_shrink_calls_no_hook(void **state) {
  (void)state;
  static test_alloc_t t;
  ta_init(&t);
  memset(&oom_log, 0, sizeof oom_log);
  mp_pool_t *p = oom_pool(&t, NODE, 0);
  unsigned char *big = mp_alloc(p, 2000);
  assert_non_null(big);
  memset(big, 0x5a, 2000);
  /* Fill the current node to its last byte: the next small object would
   * need a new node, and there is none. */
  t.fail_all = 1;
  while (mp_alloc(p, 16) != NULL)
    ;
  assert_int_equal(errno, ENOMEM);
  long before = oom_log.calls;
  unsigned char *q = mp_realloc(p, big, 2000, 100);
  assert_ptr_equal(q, big); /* kept */
  assert_int_equal(oom_log.calls, before);
  for (int i = 0; i < 100; i++)
    assert_int_equal(q[i], 0x5a);
  t.fail_all = 0;
  assert_int_equal(mp_free(p, q), 0);
  mp_destroy_pool(p);
  assert_int_equal(t.live_blocks, 0);
}

int main(void) {
  struct CMUnitTest tests[NROWS + 3];
  for (size_t i = 0; i < NROWS; i++) {
    assert_non_null(rows[i].fn);
    tests[i] = (struct CMUnitTest){rows[i].name, run_row, NULL, NULL,
                                   (void *)(uintptr_t)&rows[i]};
  }
  tests[NROWS] = (struct CMUnitTest)cmocka_unit_test(child_budget_calls_hook);
  tests[NROWS + 1] =
      (struct CMUnitTest)cmocka_unit_test(shared_child_handle_calls_hook);
  tests[NROWS + 2] =
      (struct CMUnitTest)cmocka_unit_test(realloc_shrink_calls_no_hook);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
