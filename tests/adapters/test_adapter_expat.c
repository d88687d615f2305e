/*
 * <mpool/expat.h> with the real Expat: documents of several MiB parsed in
 * pieces from a pool report the same events as with malloc, the pool is
 * reset between documents without growing, and a failing backing
 * allocator makes Expat report XML_ERROR_NO_MEMORY cleanly.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "adapter_util.h"

#include <mpool/expat.h>

#include "adapter_work.h" /* again, after expat.h: the event handlers */

/* The adapter's suite, counted (for the fault test). */
static void *cnt_malloc(size_t n) {
  void *r = mp_expat_malloc(n);
  hc_alloc(r);
  return r;
}
static void *cnt_realloc(void *p, size_t n) {
  void *r = mp_expat_realloc(p, n);
  hc_realloc(p, r);
  return r;
}
static void cnt_free(void *p) {
  hc_free(p);
  mp_expat_free(p);
}
static int counted;

/* Parses `doc` in pieces of `piece` bytes with a namespace-processing
 * parser (from `pool`, or malloc for NULL).  Returns the XML_Error. */
static enum XML_Error parse(mp_pool_t *pool, const buf_t *doc, size_t piece,
                            events_t *e) {
  const XML_Char sep = '|';
  XML_Parser p;
  if (counted) {
    const XML_Memory_Handling_Suite cs = {cnt_malloc, cnt_realloc, cnt_free};
    mp_expat_use(pool);
    p = XML_ParserCreate_MM(NULL, &cs, &sep);
  } else if (pool != NULL) {
    p = mp_expat_parser_create(pool, NULL, &sep);
  } else {
    p = XML_ParserCreateNS(NULL, sep);
  }
  if (p == NULL) {
    memset(e, 0, sizeof *e);
    return XML_ERROR_NO_MEMORY;
  }
  events_attach(p, e);
  enum XML_Error err = XML_ERROR_NONE;
  for (size_t at = 0; at < doc->len; at += piece) {
    size_t n = doc->len - at < piece ? doc->len - at : piece;
    if (XML_Parse(p, doc->p + at, (int)n, at + n == doc->len) !=
        XML_STATUS_OK) {
      err = XML_GetErrorCode(p);
      break;
    }
  }
  XML_ParserFree(p);
  return err;
}

static void test_documents(void **state) {
  (void)state;
  buf_t doc = {0};
  gen_xml(&doc, 11, test_size((size_t)4 << 20));
  events_t want, got;
  assert_int_equal(parse(NULL, &doc, 100000, &want), XML_ERROR_NONE);
  print_message("expat: %zu bytes, %lu elements, %lu attributes\n", doc.len,
                want.elements, want.attrs);
  assert_true(want.elements > test_size(50000));

  mp_pool_t *pool = mp_expat_create_pool(NULL);
  assert_non_null(pool);
  size_t reserved[ROUNDS];
  for (int round = 0; round < ROUNDS; round++) {
    /* Pieces of different sizes: Expat grows its buffer with realloc. */
    size_t piece = round == 0 ? 100000 : (size_t)(7777 * round);
    assert_int_equal(parse(pool, &doc, piece, &got), XML_ERROR_NONE);
    assert_true(got.h == want.h);
    assert_int_equal(got.elements, want.elements);
    assert_int_equal(got.attrs, want.attrs);
    assert_int_equal(got.text, want.text);
    reserved[round] = pool_stats(pool).peak_reserved;
    mp_reset_pool(pool);
  }
  check_flat("expat (peak)", reserved, ROUNDS);

  /* A parser left to the reset, without XML_ParserFree(). */
  const XML_Char sep = '|';
  XML_Parser p = mp_expat_parser_create(pool, NULL, &sep);
  assert_non_null(p);
  assert_int_equal(XML_Parse(p, doc.p, (int)doc.len, 1), XML_STATUS_OK);
  mp_reset_pool(pool);
  assert_int_equal(pool_stats(pool).large_blocks, 0);
  mp_destroy_pool(pool);

  /* Without size headers, resizing a small object fails: Expat reports
   * it rather than corrupting anything. */
  pool = mp_create_pool(0);
  assert_non_null(pool);
  enum XML_Error err = parse(pool, &doc, 100000, &got);
  assert_true(err == XML_ERROR_NONE || err == XML_ERROR_NO_MEMORY);
  mp_destroy_pool(pool);
  mp_expat_use(NULL);
  buf_free(&doc);
}

static test_alloc_t ta;

static void test_faults(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* a block per object: the counting allocator
                            cannot hold them all */
  buf_t doc = {0};
  gen_xml(&doc, 3, test_size(60 << 10) * 4);
  events_t want, got;
  assert_int_equal(parse(NULL, &doc, 4096, &want), XML_ERROR_NONE);
  fault_tally_t f = {0, 0};
  long k;
  counted = 1;
  for (k = 0;; k++) {
    mp_pool_t *pool = fault_pool(&ta, MP_POOL_SIZE_HEADERS, k);
    size_t used0 = pool_stats(pool).bytes_used;
    enum XML_Error err = parse(pool, &doc, 4096, &got);
    enum fault_kind fk = fault_kind(&ta);
    if (fk == FAULT_REPORTED) {
      assert_int_equal(err, XML_ERROR_NO_MEMORY); /* Expat saw the NULL */
      f.reported++;
    } else {
      assert_int_equal(err, XML_ERROR_NONE);
      assert_true(got.h == want.h);
      f.absorbed += fk == FAULT_ABSORBED;
    }
    fault_finish(&ta, pool, used0);
    if (fk == FAULT_NONE)
      break;
  }
  counted = 0;
  mp_expat_use(NULL);
  fault_report("expat", &f, k);
  assert_true(f.reported >= 5);
  buf_free(&doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_documents),
      cmocka_unit_test(test_faults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
