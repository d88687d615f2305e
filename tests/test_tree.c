/*
 * Named pools and the pool tree (src/tree.c, src/registry.c): names of any
 * length, walks of one subtree and of the process, text and JSON output,
 * and walks while other threads create and destroy pools.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef MPOOL_HAVE_CJSON
#include <cjson/cJSON.h>
#endif

static void names_any_length_and_null(void **state) {
  (void)state;
  mp_pool_t *p = mp_create_pool(0);
  assert_non_null(p);
  assert_null(mp_pool_name(p));
  assert_null(mp_pool_ident(p));
  size_t n = 100000;
  char *big = malloc(n + 1);
  assert_non_null(big);
  memset(big, 'x', n);
  big[n] = '\0';
  assert_int_equal(mp_pool_set_name(p, big, "id"), 0);
  big[0] = 'y'; /* copied, not kept */
  assert_int_equal(strlen(mp_pool_name(p)), n);
  assert_int_equal(mp_pool_name(p)[0], 'x');
  assert_string_equal(mp_pool_ident(p), "id");
  assert_int_equal(mp_pool_set_name(p, "", NULL), 0);
  assert_string_equal(mp_pool_name(p), "");
  assert_null(mp_pool_ident(p));
  assert_int_equal(mp_pool_set_name(p, NULL, "only ident"), 0);
  assert_null(mp_pool_name(p));
  assert_string_equal(mp_pool_ident(p), "only ident");
  assert_int_equal(mp_pool_set_name(p, "kept", NULL), 0);
  mp_reset_pool(p); /* a reset keeps the names */
  assert_string_equal(mp_pool_name(p), "kept");
  mp_pool_t *c = mp_create_child(p, 0);
  assert_int_equal(mp_pool_set_name(c, "child", "1"), 0);
  assert_string_equal(mp_pool_name(c), "child");
  mp_destroy_pool(p); /* the child's names go with it */
  free(big);
}

static void bad_inputs(void **state) {
  (void)state;
  errno = 0;
  assert_int_equal(mp_pool_set_name(NULL, "a", "b"), -1);
  assert_int_equal(errno, EINVAL);
  assert_null(mp_pool_name(NULL));
  assert_null(mp_pool_ident(NULL));
  errno = 0;
  assert_int_equal(mp_walk(NULL, NULL, NULL), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_tree_print(NULL, NULL, 0), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_tree_print(NULL, stdout, 2), -1);
  assert_int_equal(errno, EINVAL);
  size_t len;
  errno = 0;
  assert_int_equal(mp_tree_format(NULL, NULL, 1, &len, 0), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_tree_format(NULL, NULL, 0, NULL, 0), -1);
  assert_int_equal(errno, EINVAL);
  errno = 0;
  assert_int_equal(mp_tree_format(NULL, NULL, 0, &len, 4), -1);
  assert_int_equal(errno, EINVAL);
}

/* The names block is counted as the pool's: bytes_reserved matches the
 * backing allocator after naming, renaming and unnaming. */
static void names_counted(void **state) {
  (void)state;
  test_alloc_t t;
  ta_init(&t);
  mp_pool_t *p = ta_pool(&t, 4096);
  assert_non_null(p);
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_pool_set_name(p, "counted", "x"), 0);
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_reserved, t.live_bytes);
  assert_int_equal(mp_pool_set_name(p, "a longer name than before", NULL), 0);
  assert_int_equal(mp_stats(p, &st, 0), 0);
  assert_int_equal(st.bytes_reserved, t.live_bytes);
  t.fail_all = 1; /* no memory: the old names stay */
  errno = 0;
  assert_int_equal(mp_pool_set_name(p, "new", NULL), -1);
  assert_int_equal(errno, ENOMEM);
  assert_string_equal(mp_pool_name(p), "a longer name than before");
  t.fail_all = 0;
  mp_destroy_pool(p);
  assert_int_equal(t.live_bytes, 0);
  assert_int_equal(t.live_blocks, 0);
}

#define MAXSEEN 64
typedef struct {
  int n;
  const mp_pool_t *pool[MAXSEEN], *parent[MAXSEEN];
  int depth[MAXSEEN];
  char name[MAXSEEN][32];
  int stop_after; /* 0: never */
} seen_t;

static int see(const mp_pool_info_t *in, void *arg) {
  seen_t *s = arg;
  if (s->n < MAXSEEN) {
    s->pool[s->n] = in->pool;
    s->parent[s->n] = in->parent;
    s->depth[s->n] = in->depth;
    snprintf(s->name[s->n], sizeof s->name[0], "%s",
             in->name != NULL ? in->name : "-");
    assert_true(in->bytes_used <= in->bytes_reserved);
    assert_int_equal(in->bytes_free, in->bytes_reserved - in->bytes_used);
    assert_true(in->blocks >= 1);
    assert_true(in->peak_reserved >= in->bytes_reserved);
  }
  s->n++;
  return s->stop_after != 0 && s->n == s->stop_after ? 7 : 0;
}

/* Walking under a root: the root first, children newest first, each
 * before its own children, with depth and parent. */
static void walk_under_root(void **state) {
  (void)state;
  mp_pool_t *r = mp_create_pool(0);
  mp_pool_t *a = mp_create_child(r, 0), *b = mp_create_child(r, 0);
  mp_pool_t *a1 = mp_create_child(a, 0);
  assert_non_null(a1);
  assert_int_equal(mp_pool_set_name(r, "root", NULL), 0);
  assert_int_equal(mp_pool_set_name(a, "a", NULL), 0);
  assert_int_equal(mp_pool_set_name(b, "b", NULL), 0);
  assert_int_equal(mp_pool_set_name(a1, "a1", NULL), 0);
  assert_non_null(mp_alloc(a1, 100000)); /* a large block: 2 blocks */
  seen_t s = {0};
  assert_int_equal(mp_walk(r, see, &s), 0);
  assert_int_equal(s.n, 4);
  assert_string_equal(s.name[0], "root");
  assert_string_equal(s.name[1], "b");
  assert_string_equal(s.name[2], "a");
  assert_string_equal(s.name[3], "a1");
  assert_int_equal(s.depth[0], 0);
  assert_int_equal(s.depth[1], 1);
  assert_int_equal(s.depth[3], 2);
  assert_null(s.parent[0]);
  assert_ptr_equal(s.parent[1], r);
  assert_ptr_equal(s.parent[3], a);
  assert_ptr_equal(s.pool[3], a1);
  /* Under a child: the child is depth 0. */
  seen_t c = {0};
  assert_int_equal(mp_walk(a, see, &c), 0);
  assert_int_equal(c.n, 2);
  assert_int_equal(c.depth[0], 0);
  assert_ptr_equal(c.parent[0], r);
  /* A callback that stops the walk: its value comes back. */
  seen_t st = {.stop_after = 2};
  assert_int_equal(mp_walk(r, see, &st), 7);
  assert_int_equal(st.n, 2);
  mp_destroy_pool(r);
}

typedef struct {
  const mp_pool_t *want[3];
  int found[3];
} find_t;

static int find(const mp_pool_info_t *in, void *arg) {
  find_t *f = arg;
  for (int i = 0; i < 3; i++)
    if (in->pool == f->want[i])
      f->found[i]++;
  return 0;
}

/* The process-wide walk sees every live root and its children, and no
 * destroyed pool; shared pools appear as their handles. */
static void walk_process(void **state) {
  (void)state;
  mp_pool_t *x = mp_create_pool(0);
  mp_pool_t *sh = flag_pool(MP_POOL_SHARED);
  assert_int_equal(mp_pool_set_name(sh, "shared", "s"), 0);
  assert_string_equal(mp_pool_name(sh), "shared");
  assert_string_equal(mp_pool_ident(sh), "s");
  mp_pool_t *child = mp_create_child(sh, 0);
  assert_non_null(child);
  find_t f = {{x, sh, child}, {0}};
  assert_int_equal(mp_walk(NULL, find, &f), 0);
  assert_int_equal(f.found[0], 1);
  assert_int_equal(f.found[1], 1);
  assert_int_equal(f.found[2], 1);
  mp_destroy_pool(x);
  mp_destroy_pool(sh);
  memset(f.found, 0, sizeof f.found);
  assert_int_equal(mp_walk(NULL, find, &f), 0);
  assert_int_equal(f.found[0] + f.found[1] + f.found[2], 0);
}

static void text_and_truncation(void **state) {
  (void)state;
  mp_pool_t *r = mp_create_pool(0);
  assert_int_equal(mp_pool_set_name(r, "req", "GET /"), 0);
  mp_pool_t *c = mp_create_child(r, 0);
  assert_non_null(c);
  char buf[512];
  size_t len = 0;
  assert_int_equal(mp_tree_format(r, buf, sizeof buf, &len, 0), 0);
  assert_int_equal(strlen(buf), len);
  assert_true(strncmp(buf, "req [GET /]: reserved ", 22) == 0);
  assert_non_null(strstr(buf, "\n  (unnamed): reserved "));
  /* Cut: NUL-terminated, the full length still told. */
  char small[8];
  size_t len2 = 0;
  assert_int_equal(mp_tree_format(r, small, sizeof small, &len2, 0), 0);
  assert_int_equal(len2, len);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_int_equal(mp_tree_format(r, NULL, 0, &len2, 0), 0);
  assert_int_equal(len2, len);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(mp_tree_print(r, f, 0), 0);
  assert_int_equal((size_t)ftell(f), len);
  fclose(f);
  mp_destroy_pool(r);
}

static void json_valid(void **state) {
  (void)state;
  mp_pool_t *r = mp_create_pool(0);
  assert_int_equal(mp_pool_set_name(r, "quo\"te\\back\nline\x01", "id"), 0);
  mp_pool_t *c = mp_create_child(r, 0);
  assert_non_null(c);
  assert_int_equal(mp_pool_set_name(c, "child", NULL), 0);
  size_t len = 0;
  assert_int_equal(mp_tree_format(r, NULL, 0, &len, MP_TREE_JSON), 0);
  char *buf = malloc(len + 1);
  assert_non_null(buf);
  assert_int_equal(mp_tree_format(r, buf, len + 1, &len, MP_TREE_JSON), 0);
  assert_int_equal(buf[0], '[');
#ifdef MPOOL_HAVE_CJSON
  cJSON *j = cJSON_Parse(buf);
  assert_non_null(j);
  assert_true(cJSON_IsArray(j));
  assert_int_equal(cJSON_GetArraySize(j), 2);
  cJSON *e0 = cJSON_GetArrayItem(j, 0), *e1 = cJSON_GetArrayItem(j, 1);
  assert_string_equal(cJSON_GetObjectItem(e0, "name")->valuestring,
                      "quo\"te\\back\nline\x01");
  assert_string_equal(cJSON_GetObjectItem(e0, "ident")->valuestring, "id");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(e0, "parent")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(e1, "ident")));
  assert_string_equal(cJSON_GetObjectItem(e1, "parent")->valuestring,
                      cJSON_GetObjectItem(e0, "pool")->valuestring);
  assert_int_equal(cJSON_GetObjectItem(e1, "depth")->valueint, 1);
  assert_true(cJSON_GetObjectItem(e0, "bytes_reserved")->valuedouble > 0);
  cJSON_Delete(j);
  /* The whole process, and an empty walk's array. */
  free(buf);
  assert_int_equal(mp_tree_format(NULL, NULL, 0, &len, MP_TREE_JSON), 0);
  buf = malloc(len + 1);
  assert_int_equal(mp_tree_format(NULL, buf, len + 1, &len, MP_TREE_JSON), 0);
  j = cJSON_Parse(buf);
  assert_non_null(j);
  assert_true(cJSON_GetArraySize(j) >= 2);
  cJSON_Delete(j);
#endif
  free(buf);
  mp_destroy_pool(r);
}

/* Threads create, name and destroy root pools (and children) while the
 * main thread walks the process and prints it. */
#define NTHREADS 3
static atomic_int stop_now;

static void *churn(void *arg) {
  (void)arg;
  char name[32];
  for (int i = 0; !atomic_load(&stop_now) && i < 20000; i++) {
    mp_pool_t *p = mp_create_pool(0);
    assert_non_null(p);
    snprintf(name, sizeof name, "t%d", i);
    assert_int_equal(mp_pool_set_name(p, name, i % 2 ? "odd" : NULL), 0);
    mp_destroy_pool(p);
  }
  return NULL;
}

static int count(const mp_pool_info_t *in, void *arg) {
  (void)in;
  ++*(int *)arg;
  return 0;
}

static void walk_while_threads_create(void **state) {
  (void)state;
  pthread_t th[NTHREADS];
  atomic_store(&stop_now, 0);
  for (int i = 0; i < NTHREADS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, churn, NULL), 0);
  char buf[4096];
  for (int i = 0; i < 300; i++) {
    int n = 0;
    assert_int_equal(mp_walk(NULL, count, &n), 0);
    assert_true(n <= NTHREADS + 8);
    size_t len;
    assert_int_equal(
        mp_tree_format(NULL, buf, sizeof buf, &len, i % 2 ? MP_TREE_JSON : 0),
        0);
  }
  atomic_store(&stop_now, 1);
  for (int i = 0; i < NTHREADS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
}

/* A shared pool's walk info counts its lanes as mp_stats() does: chunks
 * the threads took are used in the inner pool only as far as the threads
 * used them, and their freed objects are free.  (Builds without lanes --
 * sanitizers, hardened, debug -- agree trivially.) */
#define LANE_OBJS 300

static void *lane_work(void *arg) {
  mp_pool_t *p = arg;
  void *obj[LANE_OBJS];
  for (int i = 0; i < LANE_OBJS; i++) {
    obj[i] = mp_alloc(p, 16 + (size_t)(i % 7) * 8);
    assert_non_null(obj[i]);
  }
  for (int i = 0; i < LANE_OBJS; i += 2) /* free half */
    assert_int_equal(mp_free_sized(p, obj[i], 16 + (size_t)(i % 7) * 8), 0);
  return NULL;
}

typedef struct {
  int n;
  mp_pool_info_t info;
} one_t;

static int take_one(const mp_pool_info_t *in, void *arg) {
  one_t *o = arg;
  if (o->n++ == 0)
    o->info = *in;
  return 0;
}

static void walk_shared_counts_as_stats(void **state) {
  (void)state;
  mp_pool_t *p = flag_pool(MP_POOL_SHARED);
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, lane_work, p), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  assert_non_null(mp_alloc(p, 40)); /* the main thread's lane too */
  mp_stats_t st = {.size = sizeof st};
  assert_int_equal(mp_stats(p, &st, 0), 0);
  one_t w = {0};
  assert_int_equal(mp_walk(p, take_one, &w), 0);
  assert_int_equal(w.n, 1);
  assert_ptr_equal(w.info.pool, p);
  assert_int_equal(w.info.bytes_reserved, st.bytes_reserved);
  assert_int_equal(w.info.bytes_used, st.bytes_used);
  assert_int_equal(w.info.bytes_free, st.bytes_reserved - st.bytes_used);
  assert_int_equal(w.info.blocks, st.nodes + st.large_blocks);
  assert_int_equal(w.info.peak_reserved, st.peak_reserved);
  /* The text says the same. */
  char buf[512], want[128];
  size_t len;
  assert_int_equal(mp_tree_format(p, buf, sizeof buf, &len, 0), 0);
  snprintf(want, sizeof want, ", used %zu, free %zu,", st.bytes_used,
           st.bytes_reserved - st.bytes_used);
  assert_non_null(strstr(buf, want));
  mp_destroy_pool(p);
}

/* mp_stats() with MP_STATS_CHILDREN counts a shared child's lanes as
 * mp_stats() of the child does (they were left out: the sum counted the
 * lanes' free objects and chunk rests as used). */
static void stats_children_count_shared_lanes(void **state) {
  (void)state;
  mp_pool_t *parent = mp_create_pool(0);
  assert_non_null(parent);
  mp_pool_t *child = child_pool(parent, MP_POOL_SHARED);
  pthread_t th[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, lane_work, child), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  assert_non_null(mp_alloc(parent, 100));
  mp_stats_t a = {.size = sizeof a}, b = {.size = sizeof b},
             all = {.size = sizeof all};
  assert_int_equal(mp_stats(parent, &a, 0), 0);
  assert_int_equal(mp_stats(child, &b, 0), 0);
  assert_int_equal(mp_stats(parent, &all, MP_STATS_CHILDREN), 0);
  assert_int_equal(all.bytes_reserved, a.bytes_reserved + b.bytes_reserved);
  assert_int_equal(all.bytes_used, a.bytes_used + b.bytes_used);
  assert_int_equal(all.bytes_freed, a.bytes_freed + b.bytes_freed);
  mp_destroy_pool(parent);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_any_length_and_null),
      cmocka_unit_test(bad_inputs),
      cmocka_unit_test(names_counted),
      cmocka_unit_test(walk_under_root),
      cmocka_unit_test(walk_process),
      cmocka_unit_test(text_and_truncation),
      cmocka_unit_test(json_valid),
      cmocka_unit_test(walk_while_threads_create),
      cmocka_unit_test(walk_shared_counts_as_stats),
      cmocka_unit_test(stats_children_count_shared_lanes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
