/*
 * <mpool/cjson.h> with the real cJSON: documents of several MiB parsed,
 * edited and printed from a pool give the bytes malloc gives, the pool is
 * reset between documents without growing, and a failing backing
 * allocator makes cJSON fail cleanly.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "adapter_util.h"

#include <mpool/cjson.h>

/* The work on one document: parse, edit, print.  Returns the checksum of
 * the printed text and its length (0 if a call failed); frees everything
 * if `release`. */
static uint64_t work(const char *text, int release, size_t *out_len) {
  *out_len = 0;
  cJSON *doc = cJSON_Parse(text);
  if (doc == NULL)
    return 0;
  uint64_t h = 0;
  cJSON *recs = cJSON_GetObjectItemCaseSensitive(doc, "records");
  int ok = cJSON_IsArray(recs);
  int n = ok ? cJSON_GetArraySize(recs) : 0;
  /* Edit: a new member in every seventh record, every eleventh deleted. */
  cJSON *rec = ok ? recs->child : NULL;
  for (int i = 0; ok && rec != NULL; i++) {
    cJSON *next = rec->next;
    if (i % 11 == 5) {
      cJSON_Delete(cJSON_DetachItemViaPointer(recs, rec));
    } else if (i % 7 == 0) {
      if (cJSON_AddStringToObject(rec, "note", "edited") == NULL ||
          cJSON_AddNumberToObject(rec, "rank", i * 0.5) == NULL)
        ok = 0;
    }
    rec = next;
  }
  (void)n;
  if (ok) {
    cJSON *copy = cJSON_Duplicate(cJSON_GetArrayItem(recs, 1), 1);
    if (copy == NULL || !cJSON_AddItemToObject(doc, "copy", copy)) {
      cJSON_Delete(copy);
      ok = 0;
    }
  }
  char *out = ok ? cJSON_PrintUnformatted(doc) : NULL;
  char *pretty = out ? cJSON_Print(cJSON_GetArrayItem(recs, 2)) : NULL;
  if (out != NULL && pretty != NULL) {
    *out_len = strlen(out);
    h = fnv1a(fnv1a(FNV_INIT, out, *out_len), pretty, strlen(pretty));
  }
  if (release) {
    cJSON_free(pretty);
    cJSON_free(out);
    cJSON_Delete(doc);
  }
  return h;
}

static void test_documents(void **state) {
  (void)state;
  buf_t text = {0};
  gen_json_records(&text, 42, test_size((size_t)4 << 20));
  print_message("cjson: document of %zu bytes\n", text.len);

  size_t want_len;
  mp_cjson_use(NULL); /* plain malloc */
  uint64_t want = work(text.p, 1, &want_len);
  assert_true(want != 0);
  assert_true(want_len > test_size((size_t)3 << 20));

  mp_pool_t *pool = mp_cjson_create_pool(NULL);
  assert_non_null(pool);
  size_t reserved[ROUNDS];
  for (int round = 0; round < ROUNDS; round++) {
    mp_cjson_use(pool);
    size_t len;
    /* No cJSON_Delete(): the reset releases the document. */
    uint64_t got = work(text.p, 0, &len);
    mp_cjson_use(NULL);
    assert_int_equal(len, want_len);
    assert_true(got == want);
    reserved[round] = pool_stats(pool).bytes_reserved;
    mp_reset_pool(pool);
  }
  check_flat("cjson", reserved, ROUNDS);

  /* The same with every object deleted: the pool reuses what cJSON frees. */
  mp_cjson_use(pool);
  size_t len;
  assert_true(work(text.p, 1, &len) == want);
  mp_cjson_use(NULL);
  mp_destroy_pool(pool);
  buf_free(&text);
}

static test_alloc_t ta;

/* The adapter's hooks, counted. */
static void *CJSON_CDECL cnt_malloc(size_t n) {
  void *r = mp_cjson_malloc(n);
  hc_alloc(r);
  return r;
}
static void CJSON_CDECL cnt_free(void *p) {
  hc_free(p);
  mp_cjson_free(p);
}

static void test_faults(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* a block per object: the counting allocator
                            cannot hold them all */
  buf_t text = {0};
  gen_json_records(&text, 7, test_size(24 << 10) * 4);
  size_t want_len;
  mp_cjson_use(NULL);
  uint64_t want = work(text.p, 1, &want_len);
  assert_true(want != 0);

  long k;
  fault_tally_t f = {0, 0};
  for (k = 0;; k++) {
    mp_pool_t *pool = fault_pool(&ta, MP_POOL_SIZE_HEADERS, k);
    size_t used0 = pool_stats(pool).bytes_used;
    cJSON_Hooks counted = {cnt_malloc, cnt_free};
    mp_cjson_use(pool);
    cJSON_InitHooks(&counted);
    size_t len;
    uint64_t got = work(text.p, 1, &len);
    mp_cjson_use(NULL);
    enum fault_kind fk = fault_kind(&ta);
    if (fk == FAULT_REPORTED) {
      assert_true(got == 0); /* cJSON saw the NULL and failed the call */
      f.reported++;
    } else {
      assert_true(got == want);
      f.absorbed += fk == FAULT_ABSORBED;
    }
    fault_finish(&ta, pool, used0);
    if (fk == FAULT_NONE)
      break;
  }
  fault_report("cjson", &f, k);
  assert_true(f.reported >= 5);
  buf_free(&text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_documents),
      cmocka_unit_test(test_faults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
