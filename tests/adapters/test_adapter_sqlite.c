/*
 * <mpool/sqlite.h> with the real SQLite, in serialized mode on a
 * MP_POOL_SHARED pool: an SQL workload (tables, indexes, joins, a
 * rollback, transactions) on several threads at once gives the results it
 * gives on SQLite's own allocator, the pool is reset between rounds
 * without growing, and a failing backing allocator makes SQLite return
 * SQLITE_NOMEM cleanly.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "adapter_util.h"

#include <pthread.h>

#include <mpool/sqlite.h>

#include "adapter_work.h" /* again, after sqlite3.h: the SQL workload */

#define THREADS 4

typedef struct {
  unsigned seed;
  int n;
  sqlite3 *shared; /* one connection all threads use too */
  sql_result_t res;
} job_t;

static void run_job(job_t *j) {
  memset(&j->res, 0, sizeof j->res);
  j->res.h = FNV_INIT;
  sqlite3 *db = NULL;
  j->res.rc = sqlite3_open(":memory:", &db);
  if (j->res.rc == SQLITE_OK)
    sql_workload(db, j->seed, j->n, &j->res);
  sqlite3_close(db);
  /* Serialized mode: the shared connection takes calls from every
   * thread. */
  for (int i = 0; j->shared != NULL && i < 200 && j->res.rc == SQLITE_OK; i++) {
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO log VALUES(%u, %d, randomblob(%d))",
             j->seed, i, 16 + i % 300);
    j->res.rc = sqlite3_exec(j->shared, sql, NULL, NULL, NULL);
  }
}

static void *thread_main(void *arg) {
  run_job(arg);
  return NULL;
}

/* THREADS jobs at once, and a check of the shared connection. */
static void run_threads(job_t *jobs, long *log_rows) {
  sqlite3 *shared = NULL;
  assert_int_equal(sqlite3_open(":memory:", &shared), SQLITE_OK);
  assert_int_equal(sqlite3_exec(shared,
                                "CREATE TABLE log(seed, i, data);"
                                "CREATE INDEX log_i ON log(i)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) {
    jobs[i].seed = 100u + (unsigned)i;
    jobs[i].n = (int)test_size(4000);
    jobs[i].shared = shared;
    assert_int_equal(pthread_create(&th[i], NULL, thread_main, &jobs[i]), 0);
  }
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  sql_result_t r = {SQLITE_OK, FNV_INIT, 0};
  sql_exec(shared, "SELECT count(*), count(DISTINCT seed) FROM log", &r);
  assert_int_equal(r.rc, SQLITE_OK);
  *log_rows = r.rows;
  sqlite3_stmt *st;
  assert_int_equal(
      sqlite3_prepare_v2(shared, "SELECT count(*) FROM log", -1, &st, NULL),
      SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  *log_rows = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  assert_int_equal(sqlite3_close(shared), SQLITE_OK);
}

static sqlite3_mem_methods saved;

static int setup(void **state) {
  (void)state;
  assert_int_equal(sqlite3_shutdown(), SQLITE_OK);
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &saved), SQLITE_OK);
  if (sqlite3_threadsafe() != 0)
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_SERIALIZED), SQLITE_OK);
  return 0;
}

static void test_workload(void **state) {
  (void)state;
  if (sqlite3_threadsafe() == 0) {
    print_message("skipped: SQLite built without threads\n");
    skip();
  }
  /* SQLite's own allocator. */
  job_t want[THREADS];
  long want_log;
  run_threads(want, &want_log);
  assert_int_equal(want_log, THREADS * 200);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(want[i].res.rc, SQLITE_OK);
    assert_true(want[i].res.rows > 50);
  }
  assert_int_equal(sqlite3_shutdown(), SQLITE_OK);

  mp_pool_t *pool = mp_sqlite_create_pool(NULL); /* MP_POOL_SHARED */
  assert_non_null(pool);
  size_t used0 = pool_stats(pool).bytes_used;
  size_t reserved[ROUNDS];
  for (int round = 0; round < ROUNDS; round++) {
    assert_int_equal(mp_sqlite_use(pool), SQLITE_OK);
    assert_int_equal(sqlite3_initialize(), SQLITE_OK);
    assert_int_equal(mp_sqlite_use(pool), SQLITE_MISUSE); /* initialised */
    job_t got[THREADS];
    long got_log;
    run_threads(got, &got_log);
    assert_int_equal(got_log, want_log);
    for (int i = 0; i < THREADS; i++) {
      assert_int_equal(got[i].res.rc, SQLITE_OK);
      assert_int_equal(got[i].res.rows, want[i].res.rows);
      assert_true(got[i].res.h == want[i].res.h);
    }
    reserved[round] = pool_stats(pool).bytes_reserved;
    assert_int_equal(sqlite3_shutdown(), SQLITE_OK);
    /* SQLite gave back every byte it took from the pool. */
    assert_int_equal(pool_stats(pool).bytes_used, used0);
    mp_reset_pool(pool);
  }
  /* Four threads interleave differently each round, and so do the pages
   * SQLite caches: the later rounds within twice the larger of the first
   * two, not equal. */
  check_bounded("sqlite", reserved, ROUNDS, 100);
  mp_destroy_pool(pool);
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &saved), SQLITE_OK);
}

static void test_methods(void **state) {
  (void)state;
  mp_pool_t *pool = mp_create_pool(0); /* one thread: any pool */
  assert_non_null(pool);
  sqlite3_mem_methods m = mp_sqlite_methods(pool);
  assert_true(m.pAppData == pool);
  assert_int_equal(m.xInit(NULL), SQLITE_ERROR);
  assert_int_equal(m.xInit(m.pAppData), SQLITE_OK);
  assert_int_equal(m.xRoundup(1), 16);
  assert_int_equal(m.xRoundup(32), 32);
  assert_int_equal(m.xRoundup(INT_MAX), INT_MAX);
  assert_null(m.xMalloc(-1));
  char *p = m.xMalloc(100);
  assert_non_null(p);
  assert_true(is_aligned(p, 16));
  assert_int_equal(m.xSize(p), 100);
  memset(p, 'a', 100);
  p = m.xRealloc(p, 5000);
  assert_non_null(p);
  assert_int_equal(m.xSize(p), 5000);
  assert_true(p[99] == 'a');
  p = m.xRealloc(p, 10);
  assert_int_equal(m.xSize(p), 10);
  assert_null(m.xRealloc(p, -5));
  m.xFree(p);
  m.xFree(NULL);
  assert_int_equal(m.xSize(NULL), 0);
  m.xShutdown(m.pAppData);
  assert_null(m.xMalloc(8)); /* no pool once shut down */
  mp_destroy_pool(pool);
  assert_int_equal(mp_sqlite_use(NULL), SQLITE_MISUSE);
}

static test_alloc_t ta;

/* The adapter's methods, counted. */
static void *(*real_malloc)(int);
static void *(*real_realloc)(void *, int);
static void (*real_free)(void *);
static void *cnt_malloc(int n) {
  void *r = real_malloc(n);
  hc_alloc(r);
  return r;
}
static void *cnt_realloc(void *p, int n) {
  void *r = real_realloc(p, n);
  hc_realloc(p, r);
  return r;
}
static void cnt_free(void *p) {
  hc_free(p);
  real_free(p);
}

static void test_faults(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* a block per object: the counting allocator
                            cannot hold them all */
  sql_result_t want = {SQLITE_OK, FNV_INIT, 0};
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &saved), SQLITE_OK);
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  sql_workload(db, 9, 600, &want);
  assert_int_equal(want.rc, SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(sqlite3_shutdown(), SQLITE_OK);

  fault_tally_t f = {0, 0};
  int step = 1;
  long k;
  for (k = 0;; k += step) {
    mp_pool_t *pool = fault_pool(&ta, MP_POOL_SHARED, k);
    size_t used0 = pool_stats(pool).bytes_used;
    sqlite3_mem_methods m = mp_sqlite_methods(pool);
    real_malloc = m.xMalloc;
    real_realloc = m.xRealloc;
    real_free = m.xFree;
    m.xMalloc = cnt_malloc;
    m.xRealloc = cnt_realloc;
    m.xFree = cnt_free;
    assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
    sql_result_t got = {SQLITE_OK, FNV_INIT, 0};
    got.rc = sqlite3_initialize();
    db = NULL;
    if (got.rc == SQLITE_OK)
      got.rc = sqlite3_open(":memory:", &db);
    if (got.rc == SQLITE_OK)
      sql_workload(db, 9, 600, &got);
    assert_int_equal(sqlite3_close(db), SQLITE_OK); /* NULL is a no-op */
    assert_int_equal(sqlite3_shutdown(), SQLITE_OK);
    enum fault_kind fk = fault_kind(&ta);
    if (fk == FAULT_REPORTED && got.rc != SQLITE_OK) {
      assert_int_equal(got.rc, SQLITE_NOMEM); /* SQLite saw the NULL */
      f.reported++;
    } else {
      /* Nothing failed, the pool absorbed it, or SQLite treated the
       * failure as benign: the results are right. */
      assert_int_equal(got.rc, SQLITE_OK);
      assert_true(got.h == want.h);
      f.absorbed += fk == FAULT_ABSORBED;
    }
    fault_finish(&ta, pool, used0);
    if (fk == FAULT_NONE)
      break;
    if (k >= 40)
      step = 7; /* past the setup, sample the rest */
  }
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &saved), SQLITE_OK);
  fault_report("sqlite", &f, k);
  assert_true(f.reported >= 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_methods),
      cmocka_unit_test(test_workload),
      cmocka_unit_test(test_faults),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
