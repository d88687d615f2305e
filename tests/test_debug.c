/*
 * Debug builds (MPOOL_DEBUG) and the calls every build has for them:
 * mp_set_site() and the MPOOL_DEBUG call-site macros, mp_check(),
 * mp_pool_handoff(), the reset count (mp_stats_t epoch) and
 * MP_POOL_REPORT_LEAKS.  Tests of debug-only behaviour skip themselves in
 * other builds; deliberate bugs run in forked children, which must abort
 * with one line naming the function and the pointer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define MPOOL_DEBUG /* record call sites: the header's macros */
#include "test_fork.h"
#include "test_util.h"

#include <pthread.h>
#include <stdio.h>

static void nothing(void *data) { (void)data; }

static int debug_build(void) {
  return (mpool_build_flags() & MPOOL_BUILD_DEBUG) != 0;
}

static int asan_build(void) {
  return (mpool_build_flags() & MPOOL_BUILD_ASAN) != 0;
}

#define SKIP_UNLESS_DEBUG()                                                    \
  do {                                                                         \
    if (!debug_build()) {                                                      \
      print_message("skipped: needs a debug build (MPOOL_DEBUG)\n");           \
      skip();                                                                  \
    }                                                                          \
  } while (0)

/* ------------------------------------------------------------------------
 * Every build
 * ---------------------------------------------------------------------- */

/* The site macros compile and allocate as the functions do; mp_set_site()
 * itself is harmless in any build. */
static void site_macros_allocate(void **state) {
  (void)state;
  mp_set_site("elsewhere.c", 7);
  mp_set_site(NULL, 0);
  mp_pool_t *p = mp_create_pool(0);
  char *a = mp_alloc(p, 10);
  char *b = mp_calloc(p, 10);
  char *s = mp_printf(p, "%d-%s", 42, "x");
  char *c = mp_strcat(p, "a", "b", (char *)NULL);
  assert_non_null(a);
  assert_non_null(b);
  assert_string_equal(s, "42-x");
  assert_string_equal(c, "ab");
  assert_int_equal(b[9], 0);
  int n = 0;
  assert_non_null(mp_alloc(p, (size_t)(++n))); /* arguments evaluated once */
  assert_int_equal(n, 1);
  void *(*fn)(mp_pool_t *, size_t) = &mp_alloc; /* still a function */
  assert_non_null(fn(p, 8));
  mp_destroy_pool(p);
}

/* Every build says LIVE for bytes of live objects (interior pointers too)
 * and UNKNOWN for memory the pool never handed out. */
static void check_live_and_unknown(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_pool_t *q = mp_create_pool(0);
  unsigned char *a = mp_alloc(p, 100);
  unsigned char *big = mp_alloc(p, 100000);
  unsigned char *other = mp_alloc(q, 100);
  int local = 0;
  assert_int_equal(mp_check(p, a), MP_PTR_LIVE);
  assert_int_equal(mp_check(p, a + 99), MP_PTR_LIVE);
  assert_int_equal(mp_check(p, big), MP_PTR_LIVE);
  assert_int_equal(mp_check(p, big + 99999), MP_PTR_LIVE);
  assert_int_equal(mp_check(p, big + 100000 + 4096), MP_PTR_UNKNOWN);
  assert_int_equal(mp_check(p, &local), MP_PTR_UNKNOWN);
  assert_int_equal(mp_check(p, other), MP_PTR_UNKNOWN);
  assert_int_equal(mp_check(p, NULL), MP_PTR_UNKNOWN);
  errno = 0;
  assert_int_equal(mp_check(NULL, a), -1);
  assert_int_equal(errno, EINVAL);
  /* After a reset nothing is live (debug builds say stale). */
  mp_reset_pool(p);
  assert_int_not_equal(mp_check(p, a), MP_PTR_LIVE);
  assert_int_not_equal(mp_check(p, big), MP_PTR_LIVE);
  if (!debug_build()) {
    assert_int_equal(mp_check(p, a), MP_PTR_UNKNOWN);
    assert_int_equal(mp_check(p, big), MP_PTR_UNKNOWN);
  }
  mp_destroy_pool(q);
  mp_destroy_pool(p);
}

static void check_shared_pool(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_SHARED);
  char *a = mp_alloc(p, 64);
  assert_int_equal(mp_check(p, a + 3), MP_PTR_LIVE);
  int local;
  assert_int_equal(mp_check(p, &local), MP_PTR_UNKNOWN);
  assert_int_equal(mp_pool_handoff(p), 0);
  mp_destroy_pool(p);
}

/* mp_stats_t.epoch counts resets: the pool's own, not its children's. */
static void epoch_counts_resets(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.epoch, 0);
  mp_pool_t *c = mp_create_child(p, 0);
  mp_reset_pool(c);
  mp_reset_pool(c);
  mp_reset_pool(c);
  assert_int_equal(mp_stats(c, &st, 0), 0);
  assert_int_equal(st.epoch, 3);
  mp_mark_t *m = mp_mark(p);
  assert_non_null(mp_alloc(p, 10));
  assert_int_equal(mp_rewind(p, m), 0); /* a rewind is not a reset */
  mp_reset_pool(p);
  mp_reset_pool(p);
  assert_int_equal(mp_stats(p, &st, MP_STATS_CHILDREN), 0);
  assert_int_equal(st.epoch, 2);
  /* A caller that knows the struct without epoch gets it without. */
  mp_stats_t old = {.size = offsetof(mp_stats_t, epoch)};
  assert_int_equal(mp_stats(p, &old, 0), 0);
  assert_int_equal(old.size, offsetof(mp_stats_t, epoch));
  assert_int_equal(old.epoch, 0);
  mp_destroy_pool(p);
}

static void report_leaks_flag_accepted(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_REPORT_LEAKS | MP_POOL_SIZE_HEADERS);
  assert_int_equal(mp_free(p, mp_alloc(p, 10)), 0);
  mp_destroy_pool(p);
}

/* A pool handed off is claimed by the next thread that uses it, and
 * handed back; in every build. */
static void *use_handed(void *arg) {
  mp_pool_t *p = arg;
  int ok = mp_alloc(p, 100) != NULL && mp_strdup(p, "x") != NULL;
  mp_reset_pool(p);
  ok = ok && mp_pool_handoff(p) == 0;
  return ok ? p : NULL;
}

static void handoff_between_threads(void **state) {
  (void)state;
  errno = 0;
  assert_int_equal(mp_pool_handoff(NULL), -1);
  assert_int_equal(errno, EINVAL);
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(mp_alloc(p, 10));
  for (int round = 0; round < 3; round++) {
    assert_int_equal(mp_pool_handoff(p), 0);
    pthread_t t;
    void *res = NULL;
    assert_int_equal(pthread_create(&t, NULL, use_handed, p), 0);
    assert_int_equal(pthread_join(t, &res), 0);
    assert_ptr_equal(res, p);
    assert_non_null(mp_alloc(p, 10)); /* this thread claims it back */
  }
  mp_destroy_pool(p);
}

/* ------------------------------------------------------------------------
 * Debug builds: call sites, mp_free, quarantine, mp_check
 * ---------------------------------------------------------------------- */

static char *report_of(mp_pool_t *p) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(mp_report(p, f), 0);
  fclose(f);
  return buf;
}

static void report_lists_sites(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  mp_pool_t *p = mp_create_pool(0);
  mp_pool_t *c = mp_create_child(p, 0);
  int line = __LINE__ + 2;
  for (int i = 0; i < 3; i++)
    assert_non_null(mp_alloc(p, 40));
  int line2 = __LINE__ + 1;
  assert_non_null(mp_strdup(c, "four"));
  mp_cleanup_t *cl = mp_cleanup_add(p, nothing, NULL); /* (mpool) */
  char *r = report_of(p);
  char want[128];
  snprintf(want, sizeof want, "\n  %s:%d: 3 live, 120 bytes\n", __FILE__, line);
  if (strstr(r, want) == NULL)
    fail_msg("no \"%s\" in:\n%s", want, r);
  snprintf(want, sizeof want, "\n  %s:%d: 1 live, 5 bytes\n", __FILE__, line2);
  if (strstr(r, want) == NULL)
    fail_msg("no \"%s\" in:\n%s", want, r);
  assert_non_null(strstr(r, "\nlive objects by call site:\n"));
  assert_non_null(strstr(r, "  (mpool):"));
  assert_int_equal(strncmp(r, "pool 0x", 7), 0); /* the pool lines first */
  free(r);
  assert_int_equal(mp_cleanup_remove(p, cl), 0);
  mp_destroy_pool(p);
}

/* mp_free() leaves small objects alone (the seed's meaning); it frees them
 * in pools with size headers, and frees large blocks. */
static void free_of_small_is_noop(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  mp_pool_t *p = mp_create_pool(0);
  char *a = mp_alloc(p, 10);
  char *big = mp_alloc(p, 100000);
  assert_int_equal(mp_free(p, a), 0);
  assert_int_equal(mp_check(p, a), MP_PTR_LIVE);
  memset(a, 1, 10); /* still the program's */
  assert_int_equal(mp_free(p, big), 0);
  assert_int_equal(mp_check(p, big), MP_PTR_STALE);
  assert_int_equal(mp_free_sized(p, a, 10), 0);
  assert_int_equal(mp_check(p, a + 9), MP_PTR_STALE);
  mp_destroy_pool(p);

  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SIZE_HEADERS;
  p = mp_create_pool_ex(&o);
  a = mp_alloc(p, 10);
  assert_int_equal(mp_free(p, a), 0);
  assert_int_equal(mp_check(p, a), MP_PTR_STALE);
  mp_destroy_pool(p);
}

/* Small objects count as node bytes, not large blocks, as elsewhere. */
static void stats_keep_their_meaning(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(mp_alloc(p, 10));
  assert_non_null(mp_alloc(p, 100000));
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.large_blocks, 1);
  assert_int_equal(st.large_bytes, 100000);
  assert_int_equal(st.bytes_used, 16);
  mp_destroy_pool(p);
}

/* Released memory stays stale for four resets, then leaves quarantine;
 * the quarantine also keeps at most 8 MiB per pool. */
static void quarantine_keeps_released_memory(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  mp_pool_t *p = mp_create_pool(0);
  char *a = mp_alloc(p, 32);
  mp_reset_pool(p);
  for (int i = 0; i < 4; i++) { /* the fourth reset after it lets it go */
    assert_int_equal(mp_check(p, a + 31), MP_PTR_STALE);
    mp_reset_pool(p);
  }
  assert_int_equal(mp_check(p, a), MP_PTR_UNKNOWN);
  /* Rewinds and frees quarantine too. */
  mp_mark_t *m = mp_mark(p);
  char *b = mp_alloc(p, 32);
  assert_int_equal(mp_rewind(p, m), 0);
  assert_int_equal(mp_check(p, b), MP_PTR_STALE);
  /* Bounded in bytes. */
  for (int i = 0; i < 24; i++) {
    void *l = mp_alloc(p, (size_t)1 << 20);
    assert_non_null(l);
    assert_int_equal(mp_free(p, l), 0);
  }
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_true(st.bytes_reserved <= ((size_t)9 << 20));
  assert_true(st.bytes_reserved >= ((size_t)7 << 20));
  mp_destroy_pool(p);
}

/* The leak report at destroy: MP_POOL_REPORT_LEAKS or the environment. */
static void leaky(void *arg) {
  mp_options_t o;
  mp_options_init(&o);
  o.flags = arg != NULL ? 0u : MP_POOL_REPORT_LEAKS;
  if (arg != NULL)
    setenv("MPOOL_REPORT_LEAKS", "1", 1);
  mp_pool_t *p = mp_create_pool_ex(&o);
  mp_cleanup_t *cl = mp_cleanup_add(p, nothing, NULL); /* not reported */
  mp_mark_t *m = mp_mark(p);                           /* not reported */
  (void)m;
  for (int i = 0; i < 2; i++)
    (void)mp_alloc(p, 100); /* LEAK_LINE */
  char *gone = mp_strdup(p, "freed");
  (void)mp_free_sized(p, gone, 6);
  (void)mp_strdup(p, "kept");
  (void)mp_cleanup_remove(p, cl);
  mp_destroy_pool(p);
}

static void leak_report_at_destroy(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  for (int env = 0; env < 2; env++) {
    child_result_t r;
    assert_int_equal(run_child(leaky, env ? (void *)1 : NULL, &r), 0);
    assert_false(child_failed(&r));
    if (strstr(r.err, "test_debug.c:") == NULL ||
        strstr(r.err, ": 2 objects, 200 bytes\n") == NULL ||
        strstr(r.err, ": 1 objects, 5 bytes\n") == NULL ||
        strstr(r.err, ": 3 objects, 205 bytes live at mp_destroy_pool\n") ==
            NULL ||
        strstr(r.err, "(mpool)") != NULL)
      fail_msg("unexpected leak report:\n%s", r.err);
    int lines = 0;
    for (char *l = r.err; (l = strstr(l, "mpool: leak: pool 0x")) != NULL; l++)
      lines++;
    assert_int_equal(lines, 3);
  }
  /* Without either, nothing is printed. */
  mp_pool_t *p = mp_create_pool(0);
  (void)mp_alloc(p, 10);
  mp_destroy_pool(p);
}

/* ------------------------------------------------------------------------
 * Debug builds: deliberate bugs abort with one line
 * ---------------------------------------------------------------------- */

struct bug {
  mp_pool_t *pool;
  unsigned char *p;
  int line; /* where p was allocated */
};

/* Runs fn in a child; expects SIGABRT and one line on stderr that starts
 * with `want` (formatted with the bug's pointer and pool) and names the
 * site; under AddressSanitizer `asan` may be reported instead. */
static void expect(void (*fn)(void *), struct bug *b, const char *want,
                   int site, const char *asan) {
  char line[512];
  snprintf(line, sizeof line, want, (void *)b->p, (void *)b->pool);
  child_result_t r;
  assert_int_equal(run_child(fn, b, &r), 0);
  if (asan != NULL && asan_build() && child_failed(&r) &&
      strstr(r.err, asan) != NULL)
    return; /* the sanitizer saw it first */
  if (!child_aborted(&r) || strncmp(r.err, line, strlen(line)) != 0 ||
      strchr(r.err, '\n') != r.err + strlen(r.err) - 1)
    fail_msg("expected SIGABRT and \"%s...\"; status %d, stderr \"%s\"", line,
             r.status, r.err);
  if (site) {
    char at[128];
    snprintf(at, sizeof at, "allocated at %s:%d)", __FILE__, b->line);
    if (strstr(r.err, at) == NULL)
      fail_msg("no \"%s\" in \"%s\"", at, r.err);
  }
}

static void setup(struct bug *b, size_t n) {
  b->pool = mp_create_pool(0);
  b->line = __LINE__ + 1;
  b->p = mp_alloc(b->pool, n);
  assert_non_null(b->p);
}

static void free_wrong_size(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 11);
}

static void free_sized_checks_size(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  struct bug b;
  setup(&b, 10);
  expect(free_wrong_size, &b,
         "mpool: mp_free_sized: size 11 does not match %p (requested with 10 "
         "bytes, ",
         1, NULL);
  assert_int_equal(mp_free_sized(b.pool, b.p, 10), 0);
  /* Shrunk in place: the old size is accepted too, as in release builds. */
  char *s = mp_realloc(b.pool, mp_alloc(b.pool, 20), 20, 5);
  assert_int_equal(mp_free_sized(b.pool, s, 20), 0);
  mp_destroy_pool(b.pool);
}

static void free_twice(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 10);
}

static void double_free_aborts(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  struct bug b;
  setup(&b, 10);
  assert_int_equal(mp_free_sized(b.pool, b.p, 10), 0);
  expect(free_twice, &b, "mpool: mp_free_sized: double free of %p (", 1, NULL);
  mp_destroy_pool(b.pool);
}

static void free_foreign(void *arg) {
  struct bug *b = arg;
  (void)mp_free(b->pool, b->p);
}

static void foreign_pointer_aborts(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  struct bug b;
  setup(&b, 10);
  unsigned char *own = b.p;
  b.p = own + 1; /* inside an object is not an object */
  expect(free_foreign, &b,
         "mpool: mp_free: free of a pointer the pool does not own: %p (pool "
         "%p)",
         0, NULL);
  b.p = own;
  mp_destroy_pool(b.pool);
}

static void overflow(void *arg) {
  struct bug *b = arg;
  b->p[24] = 'x'; /* one past the end */
  (void)mp_free_sized(b->pool, b->p, 24);
}

static void overflow_past_end_aborts(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  struct bug b;
  setup(&b, 24);
  expect(overflow, &b,
         "mpool: mp_free_sized: overflow past the end of %p (24 bytes, ", 1,
         "AddressSanitizer");
  mp_destroy_pool(b.pool);
}

static void write_after_reset(void *arg) {
  struct bug *b = arg;
  mp_reset_pool(b->pool);
  b->p[3] = 'x';
  for (int i = 0; i < 4; i++) /* the block leaves quarantine */
    mp_reset_pool(b->pool);
}

static void write_after_reset_aborts(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  struct bug b;
  setup(&b, 32);
  expect(write_after_reset, &b,
         "mpool: mp_reset_pool: write after reset to %p (32 bytes, ", 1,
         "AddressSanitizer");
  mp_destroy_pool(b.pool);
}

static void write_after_free(void *arg) {
  struct bug *b = arg;
  (void)mp_free_sized(b->pool, b->p, 32);
  b->p[0] = 'x';
  mp_destroy_pool(b->pool);
}

static void write_after_free_aborts(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  struct bug b;
  setup(&b, 32);
  expect(write_after_free, &b,
         "mpool: mp_destroy_pool: write after free to %p (32 bytes, ", 1,
         "AddressSanitizer");
  mp_destroy_pool(b.pool);
}

/* Stale reads: blocks of a page or more are page-aligned in quarantine
 * and, without a memory tool, protected, so a read after reset or free
 * faults at once; under AddressSanitizer the tool reports it. */
static volatile unsigned char sink;

struct stale {
  mp_pool_t *pool;
  unsigned char *p;
  size_t at;    /* the byte read */
  int via_free; /* released by mp_free() rather than a reset */
};

static void read_stale(void *arg) {
  struct stale *s = arg;
  if (s->via_free)
    (void)mp_free(s->pool, s->p);
  else
    mp_reset_pool(s->pool);
  sink = s->p[s->at];
}

static void stale_read_of_large_block_faults(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  if (mpool_build_flags() & MPOOL_BUILD_VALGRIND) {
    print_message("skipped: memcheck reports these when it runs\n");
    skip();
  }
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  struct stale s;
  s.pool = mp_create_pool(0);
  s.p = mp_alloc(s.pool, 3 * page);
  assert_non_null(s.p);
  memset(s.p, 7, 3 * page);
  const size_t at[] = {0, 100, 3 * page - 1};
  for (int via_free = 0; via_free < 2; via_free++) {
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
      s.at = at[i];
      s.via_free = via_free;
      child_result_t r;
      assert_int_equal(run_child(read_stale, &s, &r), 0);
      if (asan_build()) {
        if (!child_failed(&r) || strstr(r.err, "AddressSanitizer") == NULL)
          fail_msg("expected an AddressSanitizer report; status %d, "
                   "stderr \"%s\"",
                   r.status, r.err);
      } else if (!WIFSIGNALED(r.status) || WTERMSIG(r.status) != SIGSEGV) {
        fail_msg("byte %zu after %s: expected SIGSEGV; status %d, stderr "
                 "\"%s\"",
                 s.at, via_free ? "mp_free" : "mp_reset_pool", r.status, r.err);
      }
    }
  }
  /* The protection is lifted as the block leaves quarantine: the pool and
   * the memory go on working. */
  for (int i = 0; i < 6; i++) {
    unsigned char *q = mp_alloc(s.pool, 2 * page + 5);
    assert_non_null(q);
    memset(q, i, 2 * page + 5);
    if (i % 2 == 0)
      assert_int_equal(mp_free(s.pool, q), 0);
    mp_reset_pool(s.pool);
  }
  mp_destroy_pool(s.pool);
}

/* Thread ownership: another thread's pool used without a handoff. */
static void *make_pool(void *arg) {
  struct bug *b = arg;
  b->pool = mp_create_pool(0);
  return NULL;
}

static void use_unowned(void *arg) {
  struct bug *b = arg;
  pthread_t t;
  if (pthread_create(&t, NULL, make_pool, b) != 0 || pthread_join(t, NULL) != 0)
    _exit(3);
  fprintf(stderr, "pool %p\n", (void *)b->pool);
  (void)mp_alloc(b->pool, 10);
}

static void use_without_handoff_aborts(void **state) {
  (void)state;
  SKIP_UNLESS_DEBUG();
  struct bug b = {0};
  child_result_t r;
  assert_int_equal(run_child(use_unowned, &b, &r), 0);
  void *pool = NULL;
  assert_int_equal(sscanf(r.err, "pool %p\n", &pool), 1);
  char want[256];
  snprintf(want, sizeof want,
           "mpool: mp_alloc: pool %p used by a thread that does not own it; "
           "hand it over with mp_pool_handoff()\n",
           pool);
  if (!child_aborted(&r) || strstr(r.err, want) == NULL)
    fail_msg("expected SIGABRT and \"%s\"; status %d, stderr \"%s\"", want,
             r.status, r.err);
}

/* Shared pools have no owner; children have their own. */
static void *use_shared(void *arg) {
  mp_pool_t *p = arg;
  return mp_alloc(p, 10);
}

static void shared_pools_have_no_owner(void **state) {
  (void)state;
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  mp_pool_t *p = mp_create_pool_ex(&o);
  pthread_t t;
  void *res = NULL;
  assert_int_equal(pthread_create(&t, NULL, use_shared, p), 0);
  assert_int_equal(pthread_join(t, &res), 0);
  assert_non_null(res);
  assert_non_null(mp_alloc(p, 10));
  mp_destroy_pool(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(site_macros_allocate),
      cmocka_unit_test(check_live_and_unknown),
      cmocka_unit_test(check_shared_pool),
      cmocka_unit_test(epoch_counts_resets),
      cmocka_unit_test(report_leaks_flag_accepted),
      cmocka_unit_test(handoff_between_threads),
      cmocka_unit_test(shared_pools_have_no_owner),
      cmocka_unit_test(report_lists_sites),
      cmocka_unit_test(free_of_small_is_noop),
      cmocka_unit_test(stats_keep_their_meaning),
      cmocka_unit_test(quarantine_keeps_released_memory),
      cmocka_unit_test(leak_report_at_destroy),
      cmocka_unit_test(free_sized_checks_size),
      cmocka_unit_test(double_free_aborts),
      cmocka_unit_test(foreign_pointer_aborts),
      cmocka_unit_test(overflow_past_end_aborts),
      cmocka_unit_test(write_after_reset_aborts),
      cmocka_unit_test(write_after_free_aborts),
      cmocka_unit_test(stale_read_of_large_block_faults),
      cmocka_unit_test(use_without_handoff_aborts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
