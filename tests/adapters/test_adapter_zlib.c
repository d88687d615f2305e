/*
 * <mpool/zlib.h> with the real zlib: deflate and inflate round trips of
 * several MiB from a pool give the bytes malloc gives, the pool is reset
 * between streams without growing, and a failing backing allocator makes
 * zlib return Z_MEM_ERROR cleanly.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "adapter_util.h"

#include <mpool/zlib.h>

/* The adapter's functions, counted. */
static voidpf cnt_alloc(voidpf opaque, uInt items, uInt size) {
  voidpf r = mp_zlib_alloc(opaque, items, size);
  hc_alloc(r);
  return r;
}
static void cnt_free(voidpf opaque, voidpf p) {
  hc_free(p);
  mp_zlib_free(opaque, p);
}
static int counted;

/* deflate with these parameters, then inflate; returns the zlib status of
 * the first failing call or Z_OK, the compressed bytes in *z. */
static int roundtrip(mp_pool_t *pool, const buf_t *in, int level,
                     int window_bits, int mem_level, buf_t *z) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (pool != NULL)
    mp_zlib_init_stream(&zs, pool);
  if (counted) {
    zs.zalloc = cnt_alloc;
    zs.zfree = cnt_free;
  }
  int rc = deflateInit2(&zs, level, Z_DEFLATED, window_bits, mem_level,
                        Z_DEFAULT_STRATEGY);
  if (rc != Z_OK)
    return rc;
  z->len = 0;
  buf_reserve(z, deflateBound(&zs, (uLong)in->len) + 4096 + (in->len >> 13));
  zs.next_in = (Bytef *)in->p;
  zs.next_out = (Bytef *)z->p;
  /* Feed in pieces of 64 KiB, flushing once in a while. */
  size_t done = 0;
  do {
    size_t piece = in->len - done < 65536 ? in->len - done : 65536;
    zs.next_in = (Bytef *)in->p + done;
    zs.avail_in = (uInt)piece;
    zs.avail_out = (uInt)(z->cap - (size_t)(zs.next_out - (Bytef *)z->p));
    done += piece;
    int flush = done == in->len         ? Z_FINISH
                : (done >> 16) % 8 == 0 ? Z_SYNC_FLUSH
                                        : Z_NO_FLUSH;
    rc = deflate(&zs, flush);
    assert_true(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
  } while (done < in->len);
  assert_int_equal(rc, Z_STREAM_END);
  z->len = (size_t)zs.total_out;
  assert_int_equal(deflateEnd(&zs), Z_OK);

  /* Inflate back, into 32 KiB pieces, and compare. */
  z_stream is;
  memset(&is, 0, sizeof is);
  if (pool != NULL)
    mp_zlib_init_stream(&is, pool);
  if (counted) {
    is.zalloc = cnt_alloc;
    is.zfree = cnt_free;
  }
  rc = inflateInit2(&is, window_bits);
  if (rc != Z_OK)
    return rc;
  unsigned char out[32768];
  size_t at = 0;
  is.next_in = (Bytef *)z->p;
  is.avail_in = (uInt)z->len;
  do {
    is.next_out = out;
    is.avail_out = sizeof out;
    rc = inflate(&is, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&is);
      return rc;
    }
    size_t got = sizeof out - is.avail_out;
    assert_true(at + got <= in->len);
    assert_memory_equal(out, in->p + at, got);
    at += got;
  } while (rc != Z_STREAM_END);
  assert_int_equal(at, in->len);
  assert_int_equal(inflateEnd(&is), Z_OK);
  return Z_OK;
}

static const struct {
  int level, window_bits, mem_level;
} params[] = {
    {6, 15, 8}, {9, 15 + 16, 9}, {1, 10, 4}, {Z_DEFAULT_COMPRESSION, -15, 8}};
#define NPARAMS (sizeof params / sizeof params[0])

static void test_streams(void **state) {
  (void)state;
  buf_t in = {0};
  gen_data(&in, 99, test_size((size_t)6 << 20));
  buf_t want[NPARAMS];
  memset(want, 0, sizeof want);
  for (size_t i = 0; i < NPARAMS; i++)
    assert_int_equal(roundtrip(NULL, &in, params[i].level,
                               params[i].window_bits, params[i].mem_level,
                               &want[i]),
                     Z_OK);

  mp_pool_t *pool = mp_create_pool(0); /* any pool: no size headers */
  assert_non_null(pool);
  size_t reserved[ROUNDS];
  buf_t z = {0};
  for (int round = 0; round < ROUNDS; round++) {
    for (size_t i = 0; i < NPARAMS; i++) {
      assert_int_equal(roundtrip(pool, &in, params[i].level,
                                 params[i].window_bits, params[i].mem_level,
                                 &z),
                       Z_OK);
      assert_int_equal(z.len, want[i].len);
      assert_memory_equal(z.p, want[i].p, z.len);
    }
    /* deflateEnd and inflateEnd freed every block. */
    assert_int_equal(pool_stats(pool).large_blocks, 0);
    reserved[round] = pool_stats(pool).peak_reserved;
    mp_reset_pool(pool);
  }
  print_message("zlib: %zu input bytes, %zu compressed (level 6)\n", in.len,
                want[0].len);
  check_flat("zlib (peak)", reserved, ROUNDS);
  mp_destroy_pool(pool);
  for (size_t i = 0; i < NPARAMS; i++)
    buf_free(&want[i]);
  buf_free(&z);
  buf_free(&in);
}

static void test_overflow(void **state) {
  (void)state;
  mp_pool_t *pool = mp_create_pool(0);
  assert_non_null(pool);
  uInt big = (uInt)-1;
  /* items * size wraps, or exceeds MP_MAX_ALLOC_SIZE: refused. */
  void *p = mp_zlib_alloc(pool, big, big);
  assert_null(p);
  /* 4 GiB: fine on 64-bit, but Valgrind would track every page of it. */
  if (getenv("MPOOL_TEST_UNDER_VALGRIND") == NULL) {
    p = mp_zlib_alloc(pool, big, 1);
    assert_true(p == NULL || sizeof(size_t) > sizeof(uInt));
    mp_zlib_free(pool, p);
  }
  p = mp_zlib_alloc(pool, 0, 16);
  assert_non_null(p);
  mp_zlib_free(pool, p);
  mp_zlib_free(pool, Z_NULL);
  mp_destroy_pool(pool);
}

static test_alloc_t ta;

static void test_faults(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* a block per object: the counting allocator
                            cannot hold them all */
  buf_t in = {0}, z = {0};
  gen_data(&in, 5, test_size(200 << 10) * 4);
  fault_tally_t f = {0, 0};
  long k;
  counted = 1;
  for (k = 0;; k++) {
    mp_pool_t *pool = fault_pool(&ta, 0, k);
    size_t used0 = pool_stats(pool).bytes_used;
    int rc = roundtrip(pool, &in, 9, 15, 9, &z);
    enum fault_kind fk = fault_kind(&ta);
    if (fk == FAULT_REPORTED) {
      assert_int_equal(rc, Z_MEM_ERROR); /* zlib saw the NULL */
      f.reported++;
    } else {
      assert_int_equal(rc, Z_OK);
      f.absorbed += fk == FAULT_ABSORBED;
    }
    fault_finish(&ta, pool, used0);
    if (fk == FAULT_NONE)
      break;
  }
  counted = 0;
  fault_report("zlib", &f, k);
  assert_true(f.reported >= 3);
  buf_free(&in);
  buf_free(&z);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_streams),
      cmocka_unit_test(test_overflow),
      cmocka_unit_test(test_faults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
