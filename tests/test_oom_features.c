/*
 * Failure injection for the pool features: marks and rewinds, adaptive
 * pools across resets, wipe pools, byte budgets, buffer pools that
 * overflow, object pools, strings and shared pools.  Each workload runs
 * with the backing allocator failing its k-th call, for every k until the
 * workload completes.  Every call must fail cleanly (NULL or -1 with
 * ENOMEM, the out-of-memory hook called once, nothing half made), what was
 * made before must be intact, the pool must stay usable and account for
 * what it holds, and destroying it must give every block back.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "oom_util.h"

static int registered, ran; /* cleanups */

static void count_run(void *data) {
  (void)data;
  ran++;
}

static void fill(unsigned char *p, size_t n, unsigned char v) {
  memset(p, v, n);
}

static void check_fill(const unsigned char *p, size_t n, unsigned char v) {
  for (size_t i = 0; i < n; i++)
    assert_int_equal(p[i], v);
}

/* The pool tree accounts for every byte the allocator holds; destroying
 * it gives them all back. */
static void finish(test_alloc_t *t, mp_pool_t *p) {
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.bytes_reserved, t->live_bytes);
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
}

/* The start of most workloads below: the failures begin, then a pool on
 * the failing allocator with nodes of 1024 bytes and `flags` (checked as
 * OOM_TRY_HOOKS() checks: NULL only for want of memory, no hook). */
static mp_pool_t *w_begin(oom_run_t *r, unsigned flags) {
  registered = ran = 0;
  oom_begin(r);
  mp_options_t o = oom_options(r->t, 1024, flags);
  mp_pool_t *p;
  OOM_TRY_HOOKS(r, p, mp_create_pool_ex(&o), 0L);
  return p;
}

/* Runs fn with call k failing, for every k until fn needs no failure;
 * returns the number of calls the workload makes.  A failure either made
 * a call fail or was absorbed (the ownership index's table, whose absence
 * lookups survive; a shrink that keeps its block): at most `absorb_pct`
 * percent of them. */
static long fail_each(oom_workload_fn fn, long absorb_pct) {
  oom_result_t res = oom_every_k(fn, NULL, OOM_TRANSIENT);
  long k = res.last_k;
  print_message("%ld allocator calls failed in turn, %ld absorbed\n", k,
                res.absorbed);
  assert_true(k > 10);
  assert_true(res.absorbed * 100 <= k * absorb_pct);
  return k;
}

/* ---- Marks and rewinds --------------------------------------------- */

static void w_marks(oom_run_t *r) {
  test_alloc_t *t = r->t;
  mp_pool_t *p = w_begin(r, 0);
  if (p == NULL)
    return;
  unsigned char *keep;
  OOM_TRY(r, keep, mp_alloc(p, 100));
  if (keep != NULL)
    fill(keep, 100, 0x11);
  for (int round = 0; round < 6; round++) {
    mp_mark_t *m, *inner = NULL;
    OOM_TRY(r, m, mp_mark(p));
    if (m == NULL)
      continue;
    for (int i = 0; i < 14; i++) {
      size_t n = (size_t)(round * 131 + i * 257) % 1500;
      void *a = NULL;
      switch (i % 7) {
      case 0:
        OOM_TRY(r, a, mp_alloc(p, n));
        break;
      case 1:
        OOM_TRY(r, a, mp_memalign(p, n, 64));
        break;
      case 2: {
        mp_pool_t *c;
        OOM_TRY(r, c, mp_create_child(p, 1024));
        if (c != NULL) {
          mp_cleanup_t *h;
          OOM_TRY(r, h, mp_cleanup_add(c, count_run, NULL));
          registered += h != NULL;
          OOM_TRY(r, a, mp_alloc(c, n)); /* goes with the child */
        }
        break;
      }
      case 3: {
        mp_cleanup_t *h;
        OOM_TRY(r, h, mp_cleanup_add(p, count_run, NULL));
        registered += h != NULL;
        break;
      }
      case 4:
        if (inner == NULL)
          OOM_TRY(r, inner, mp_mark(p));
        break;
      case 5:
        OOM_TRY(r, a, mp_printf(p, "%d:%0*d", i, (int)n, round));
        break;
      default:
        OOM_TRY(r, a, mp_nalloc(p, n));
        break;
      }
      if (a != NULL)
        memset(a, 0x5a, i % 7 == 5 ? 1 : n);
    }
    if (inner != NULL && round % 2 == 1)
      assert_int_equal(mp_rewind(p, inner), 0);
    assert_int_equal(mp_rewind(p, m), 0);
    /* Every cleanup of this round came after the mark: all have run. */
    assert_int_equal(ran, registered);
    if (keep != NULL)
      check_fill(keep, 100, 0x11);
  }
  /* Still usable after failures. */
  oom_end(r);
  mp_mark_t *m = mp_mark(p);
  assert_non_null(m);
  assert_non_null(mp_alloc(p, 3000));
  assert_int_equal(mp_rewind(p, m), 0);
  finish(t, p);
}

static void fail_every_call_marks(void **state) {
  (void)state;
  fail_each(w_marks, 25);
}

/* ---- Adaptive pools across resets ------------------------------------ */

static void w_adaptive(oom_run_t *r) {
  test_alloc_t *t = r->t;
  mp_pool_t *p = w_begin(r, MP_POOL_ADAPTIVE);
  if (p == NULL)
    return;
  /* Cycles that grow, then shrink: the node size follows at resets. */
  static const int objs[] = {10, 80, 200, 200, 20, 5, 5, 5, 5, 120};
  unsigned char *live[200], val[200];
  for (int c = 0; c < 10; c++) {
    int n = 0;
    for (int i = 0; i < objs[c]; i++) {
      size_t sz = (size_t)(i % 5 == 4 ? 2500 : 60 + i % 90);
      unsigned char *a;
      OOM_TRY(r, a, mp_alloc(p, sz));
      if (a != NULL) {
        val[n] = (unsigned char)(c + i);
        fill(a, 60, val[n]);
        live[n++] = a;
      }
    }
    for (int j = 0; j < n; j++) /* nothing overwrote a live object */
      check_fill(live[j], 60, val[j]);
    mp_reset_pool(p);
  }
  oom_end(r);
  unsigned char *a = mp_alloc(p, 500);
  assert_non_null(a);
  fill(a, 500, 1);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_true(st.node_size >= 1024);
  assert_int_equal(st.epoch, 10);
  finish(t, p);
}

static void fail_every_call_adaptive(void **state) {
  (void)state;
  fail_each(w_adaptive, 25);
}

/* ---- Wipe pools ------------------------------------------------------ */

typedef struct {
  unsigned char *p;
  size_t size;
  unsigned char v;
} obj_t;

static void w_wipe_flags(oom_run_t *r, unsigned flags) {
  test_alloc_t *t = r->t;
  mp_pool_t *p = w_begin(r, MP_POOL_WIPE | flags);
  if (p == NULL)
    return;
  obj_t ob[16] = {{0}};
  mp_objpool_t *op;
  OOM_TRY(r, op, mp_objpool_create(p, 48, 0));
  for (int i = 0; i < 120; i++) {
    obj_t *b = &ob[(i * 5) % 16];
    size_t n = (size_t)(i * 71) % 900 + (i % 11 == 0 ? 2000 : 0);
    if (b->p != NULL) {
      check_fill(b->p, b->size, b->v);
      if (i % 3 == 0) {
        unsigned char *q;
        OOM_TRY(r, q, mp_realloc(p, b->p, b->size, n));
        if (q == NULL) {
          assert_true(n > b->size); /* shrinking never fails */
          check_fill(b->p, b->size, b->v);
          continue;
        }
        check_fill(q, n < b->size ? n : b->size, b->v);
        b->p = q;
        b->size = n;
        fill(q, n, b->v);
      } else {
        assert_int_equal(mp_free_sized(p, b->p, b->size), 0);
        b->p = NULL;
      }
      continue;
    }
    unsigned char *q;
    switch (i % 4) {
    case 0:
      OOM_TRY(r, q, mp_alloc(p, n));
      break;
    case 1:
      OOM_TRY(r, q, mp_calloc(p, n));
      break;
    case 2:
      OOM_TRY(r, q, mp_memalign(p, n, 32));
      break;
    default:
      OOM_TRY(r, q, op != NULL ? mp_objpool_get(op) : mp_alloc(p, 48));
      n = 48;
      break;
    }
    if (q != NULL) {
      if (i % 4 == 1)
        check_fill(q, n, 0);
      if (i % 4 == 3 && op != NULL) { /* back at once */
        fill(q, 48, 0xee);
        assert_int_equal(mp_objpool_put(op, q), 0);
        continue;
      }
      b->p = q;
      b->size = n;
      b->v = (unsigned char)(i + 1);
      fill(q, n, b->v);
    }
    if (i % 17 == 0) {
      char *s;
      OOM_TRY(r, s, mp_printf(p, "secret %d %0400d", i, i));
    }
    if (i == 60) {
      mp_reset_pool(p);
      memset(ob, 0, sizeof ob);
      OOM_TRY(r, op, mp_objpool_create(p, 48, 0));
    }
  }
  oom_end(r);
  for (int i = 0; i < 16; i++)
    if (ob[i].p != NULL)
      check_fill(ob[i].p, ob[i].size, ob[i].v);
  unsigned char *z = mp_calloc(p, 700);
  assert_non_null(z);
  check_fill(z, 700, 0);
  finish(t, p);
}

static void w_wipe(oom_run_t *r) { w_wipe_flags(r, 0); }
static void w_wipe_headers(oom_run_t *r) {
  w_wipe_flags(r, MP_POOL_SIZE_HEADERS);
}

static void fail_every_call_wipe(void **state) {
  (void)state;
  fail_each(w_wipe, 50); /* shrinking a large block may keep it */
  fail_each(w_wipe_headers, 50);
}

/* ---- Byte budgets ---------------------------------------------------- */

/* A budgeted parent with a budgeted child and a grandchild: failures come
 * from the budgets as well as from the allocator; only the allocator's
 * count as injected (r->failed), the budgets' (r->over) must happen in
 * every run. */
static void w_budget(oom_run_t *r) {
  test_alloc_t *t = r->t;
  registered = ran = 0;
  oom_begin(r);
  mp_options_t o = oom_options(t, 1024, 0);
  o.budget = 24 * 1024;
  mp_pool_t *p;
  OOM_TRY_HOOKS(r, p, mp_create_pool_ex(&o), 0L);
  if (p == NULL)
    return;
  o = oom_options(t, 1024, 0);
  o.parent = p;
  o.budget = 8 * 1024;
  mp_pool_t *c, *g = NULL;
  OOM_TRY(r, c, mp_create_pool_ex(&o));
  if (c != NULL)
    OOM_TRY(r, g, mp_create_child(c, 1024));
  mp_pool_t *pools[3] = {p, c, g};
  for (int i = 0; i < 150; i++) {
    mp_pool_t *q = pools[i % 3] != NULL ? pools[i % 3] : p;
    size_t n = (size_t)(i * 113) % 1200 + (i % 7 == 0 ? 3000 : 0);
    void *a; /* a budget's no counts in r->over */
    if (i % 5 == 4)
      OOM_TRY(r, a, mp_strndup(q, "0123456789", 8));
    else
      OOM_TRY(r, a, mp_alloc(q, n));
    if (a != NULL && i % 4 == 0 && n > 256) {
      assert_int_equal(mp_free(q, a), 0);
    }
    mp_stats_t st = {.size = sizeof st};
    assert_int_equal(mp_stats(p, &st, MP_STATS_CHILDREN), 0);
    assert_true(st.budget_used <= 24 * 1024);
    assert_int_equal(st.budget_used, st.bytes_reserved);
    if (c != NULL) {
      assert_int_equal(mp_stats(c, &st, MP_STATS_CHILDREN), 0);
      assert_true(st.budget_used <= 8 * 1024);
      assert_int_equal(st.budget_used, st.bytes_reserved);
    }
    if (i == 75)
      mp_reset_pool(p), c = g = pools[1] = pools[2] = NULL;
  }
  assert_true(r->over > 0); /* the budgets were reached */
  oom_end(r);
  mp_destroy_pool(c);
  mp_reset_pool(p);
  errno = 0;
  void *last = mp_alloc(p, 500);
  if (!(mpool_build_flags() & MPOOL_BUILD_DEBUG))
    assert_non_null(last);
  else if (last == NULL) /* the quarantine may still hold the budget */
    assert_int_equal(errno, ENOMEM);
  finish(t, p);
}

static void fail_every_call_budget(void **state) {
  (void)state;
  fail_each(w_budget, 25);
}

/* ---- Buffer pools that overflow -------------------------------------- */

static void w_buffer(oom_run_t *r) {
  static unsigned char buf[6000];
  test_alloc_t *t = r->t;
  registered = ran = 0;
  oom_begin(r);
  mp_options_t o = oom_options(t, 0, MP_POOL_BUFFER_OVERFLOW);
  o.buffer = buf + 3; /* misaligned on purpose */
  o.buffer_size = sizeof buf - 3;
  mp_pool_t *p;
  OOM_TRY_HOOKS(r, p, mp_create_pool_ex(&o), 0L);
  assert_non_null(p); /* its struct and first node: the buffer */
  mp_pool_t *c;
  OOM_TRY(r, c, mp_create_child(p, 1024)); /* shares the buffer */
  obj_t ob[24] = {{0}};
  for (int i = 0; i < 150; i++) {
    mp_pool_t *q = c != NULL && i % 3 == 0 ? c : p;
    obj_t *b = &ob[(i * 7) % 24];
    if (b->p != NULL && q == p) {
      check_fill(b->p, b->size, b->v);
      assert_int_equal(mp_free_sized(p, b->p, b->size), 0);
      b->p = NULL;
      continue;
    }
    size_t n = (size_t)(i * 89) % 800 + (i % 6 == 0 ? 2500 : 0);
    unsigned char *a;
    OOM_TRY(r, a, i % 4 == 1 ? mp_memalign(q, n, 256) : mp_alloc(q, n));
    if (a == NULL)
      continue;
    assert_true(ta_contains(t, a, n) ||
                ((uintptr_t)a >= (uintptr_t)buf &&
                 (uintptr_t)a + n <= (uintptr_t)buf + sizeof buf));
    fill(a, n, (unsigned char)i);
    if (q == p) {
      b->p = a;
      b->size = n;
      b->v = (unsigned char)i;
    }
    if (i == 100 && c != NULL) {
      mp_destroy_pool(c); /* its buffer memory comes back */
      c = NULL;
    }
  }
  oom_end(r);
  for (int i = 0; i < 24; i++)
    if (ob[i].p != NULL)
      check_fill(ob[i].p, ob[i].size, ob[i].v);
  mp_reset_pool(p);
  assert_non_null(mp_alloc(p, 7000));
  mp_destroy_pool(p);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
}

static void fail_every_call_buffer(void **state) {
  (void)state;
  fail_each(w_buffer, 25);
}

/* ---- Object pools ---------------------------------------------------- */

static void w_objpool(oom_run_t *r) {
  test_alloc_t *t = r->t;
  mp_pool_t *p = w_begin(r, 0);
  if (p == NULL)
    return;
  static const size_t sizes[3] = {24, 200, 700};
  static const size_t aligns[3] = {0, 64, 0};
  mp_objpool_t *op[3] = {0};
  unsigned char *held[3][8] = {{0}};
  for (int i = 0; i < 180; i++) {
    int k = i % 3;
    if (op[k] == NULL) {
      OOM_TRY(r, op[k], mp_objpool_create(p, sizes[k], aligns[k]));
      continue;
    }
    unsigned char **h = &held[k][(i / 3) % 8];
    if (*h != NULL) {
      check_fill(*h, sizes[k], (unsigned char)(k + 1));
      assert_int_equal(mp_objpool_put(op[k], *h), 0);
      *h = NULL;
      if (i % 2 == 0)
        continue; /* next time it is handed out again */
    }
    OOM_TRY(r, *h, mp_objpool_get(op[k]));
    if (*h != NULL) {
      if (aligns[k] != 0)
        assert_true(is_aligned(*h, aligns[k]));
      fill(*h, sizes[k], (unsigned char)(k + 1));
    }
    if (i == 90) {
      mp_reset_pool(p);
      memset(op, 0, sizeof op);
      memset(held, 0, sizeof held);
    }
  }
  oom_end(r);
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < 8; j++)
      if (held[k][j] != NULL)
        check_fill(held[k][j], sizes[k], (unsigned char)(k + 1));
  mp_objpool_t *last = mp_objpool_create(p, 32, 0);
  assert_non_null(last);
  assert_non_null(mp_objpool_get(last));
  finish(t, p);
}

static void fail_every_call_objpool(void **state) {
  (void)state;
  fail_each(w_objpool, 25);
}

/* ---- Strings --------------------------------------------------------- */

static void w_strings(oom_run_t *r) {
  test_alloc_t *t = r->t;
  mp_pool_t *p = w_begin(r, 0);
  if (p == NULL)
    return;
  char word[700];
  memset(word, 'w', sizeof word - 1);
  word[sizeof word - 1] = '\0';
  for (int i = 0; i < 80; i++) {
    size_t n = (size_t)(i * 37) % 600;
    char *s;
    switch (i % 8) {
    case 0:
      OOM_TRY(r, s, mp_strdup(p, word + n));
      if (s != NULL)
        assert_int_equal(strlen(s), sizeof word - 1 - n);
      break;
    case 1:
      OOM_TRY(r, s, mp_strndup(p, word, n));
      if (s != NULL)
        assert_int_equal(strlen(s), n);
      break;
    case 2:
      /* may need two passes */
      OOM_TRY(r, s, mp_printf(p, "%d-%s", i, word + n));
      if (s != NULL)
        assert_int_equal(strlen(s), (size_t)snprintf(NULL, 0, "%d-", i) +
                                        sizeof word - 1 - n);
      break;
    case 3:
      OOM_TRY(r, s, mp_printf(p, "%s%s%s", word, word, word)); /* large */
      if (s != NULL)
        assert_int_equal(strlen(s), 3 * (sizeof word - 1));
      break;
    case 4:
      OOM_TRY(r, s, vprintf_of(p, "<%.*s>", (int)n, word));
      if (s != NULL)
        assert_int_equal(strlen(s), n + 2);
      break;
    case 5:
      OOM_TRY(r, s, mp_strcat(p, word + n, "|", word, (char *)NULL));
      if (s != NULL)
        assert_int_equal(strlen(s), 2 * (sizeof word - 1) - n + 1);
      break;
    case 6: {
      const char *parts[] = {word, word + n, "x"};
      OOM_TRY(r, s, mp_join(p, parts, 3, ", "));
      if (s != NULL)
        assert_int_equal(strlen(s), 2 * (sizeof word - 1) - n + 1 + 4);
      break;
    }
    default: {
      void *d;
      OOM_TRY(r, d, mp_memdup(p, word, n + 1));
      if (d != NULL)
        assert_memory_equal(d, word, n + 1);
      break;
    }
    }
    if (i == 40)
      mp_reset_pool(p);
  }
  oom_end(r);
  assert_string_equal(mp_printf(p, "%s", "ok"), "ok");
  finish(t, p);
}

static void fail_every_call_strings(void **state) {
  (void)state;
  fail_each(w_strings, 25);
}

/* ---- Shared pools (one thread) --------------------------------------- */

static void w_shared(oom_run_t *r) {
  test_alloc_t *t = r->t;
  mp_pool_t *p = w_begin(r, MP_POOL_SHARED); /* and its handle */
  if (p == NULL)
    return;
  mp_pool_t *kid = NULL;
  obj_t ob[12] = {{0}};
  for (int i = 0; i < 120; i++) {
    obj_t *b = &ob[(i * 5) % 12];
    size_t n = (size_t)(i * 61) % 700 + (i % 8 == 0 ? 2000 : 0);
    if (b->p != NULL) {
      check_fill(b->p, b->size, b->v);
      assert_int_equal(mp_free_sized(p, b->p, b->size), 0);
      b->p = NULL;
      continue;
    }
    unsigned char *a = NULL;
    switch (i % 6) {
    case 0:
      OOM_TRY(r, a, mp_alloc(p, n));
      break;
    case 1:
      OOM_TRY(r, a, mp_calloc(p, n));
      break;
    case 2: {
      char *s;
      OOM_TRY(r, s, mp_printf(p, "%d:%0*d", i, (int)n, 7));
      break;
    }
    case 3: {
      mp_cleanup_t *h;
      OOM_TRY(r, h, mp_cleanup_add(p, count_run, NULL));
      registered += h != NULL;
      break;
    }
    case 4:
      if (kid == NULL) {
        mp_options_t co =
            oom_options(t, 1024, i % 12 == 4 ? MP_POOL_SHARED : 0);
        co.parent = p;
        OOM_TRY(r, kid, mp_create_pool_ex(&co));
      } else {
        OOM_TRY(r, a, mp_alloc(kid, n));
        a = NULL; /* goes with the child */
      }
      break;
    default: {
      mp_mark_t *m;
      OOM_TRY(r, m, mp_mark(p));
      if (m != NULL) {
        void *x;
        OOM_TRY(r, x, mp_alloc(p, n));
        assert_int_equal(mp_rewind(p, m), 0);
      }
      break;
    }
    }
    if (a != NULL) {
      b->p = a;
      b->size = n;
      b->v = (unsigned char)i;
      fill(a, n, b->v);
    }
    if (i == 70) {
      mp_reset_pool(p);
      kid = NULL;
      memset(ob, 0, sizeof ob);
      assert_int_equal(ran, registered);
    }
  }
  oom_end(r);
  for (int i = 0; i < 12; i++)
    if (ob[i].p != NULL)
      check_fill(ob[i].p, ob[i].size, ob[i].v);
  assert_non_null(mp_alloc(p, 100));
  mp_destroy_pool(p);
  assert_int_equal(ran, registered);
  assert_int_equal(t->live_blocks, 0);
  assert_int_equal(t->live_bytes, 0);
}

static void fail_every_call_shared(void **state) {
  (void)state;
  fail_each(w_shared, 25);
}

/* A child whose first node the backing allocator cannot give calls the
 * out-of-memory hook, named by its parent: its own hook, or the one it
 * inherits.  It used to call none. */
static void child_first_node_calls_hook(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* a debug pool's first block differs */
  static test_alloc_t ta;
  ta_init(&ta);
  memset(&oom_log, 0, sizeof oom_log);
  mp_options_t o;
  mp_options_init(&o);
  o.allocator = &ta.a;
  o.on_oom = oom_hook;
  o.oom_ud = &oom_log;
  mp_pool_t *parent = mp_create_pool_ex(&o);
  assert_non_null(parent);
  for (int own = 0; own < 2; own++) {
    mp_options_t c;
    mp_options_init(&c);
    c.parent = parent;
    c.allocator = &ta.a;
    if (own) { /* its own hook, with the same ud */
      c.on_oom = oom_hook;
      c.oom_ud = &oom_log;
    }
    long before = oom_log.calls;
    oom_log.pool = NULL;
    ta.fail_all = 1;
    errno = 0;
    assert_null(mp_create_pool_ex(&c));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(oom_log.calls, before + 1);
    assert_ptr_equal(oom_log.pool, parent);
    ta.fail_all = 0;
    mp_pool_t *child = mp_create_pool_ex(&c); /* room again: no hook */
    assert_non_null(child);
    assert_int_equal(oom_log.calls, before + 1);
    mp_destroy_pool(child);
  }
  mp_destroy_pool(parent);
  assert_int_equal(ta.live_blocks, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(child_first_node_calls_hook),
      cmocka_unit_test(fail_every_call_marks),
      cmocka_unit_test(fail_every_call_adaptive),
      cmocka_unit_test(fail_every_call_wipe),
      cmocka_unit_test(fail_every_call_budget),
      cmocka_unit_test(fail_every_call_buffer),
      cmocka_unit_test(fail_every_call_objpool),
      cmocka_unit_test(fail_every_call_strings),
      cmocka_unit_test(fail_every_call_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
