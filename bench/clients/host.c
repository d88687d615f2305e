/*
 * mpool-clients: the libraries of the adapters (cJSON, Jansson, Expat,
 * SQLite, zlib) as real clients of an allocator.
 *
 *   mpool-clients --client NAME --alloc NAME [--bytes N] [--docs N]
 *                 [--orders N] [--piece N]
 *   mpool-clients --list
 *
 * Builds one input (untimed), then handles it --docs times (default 4) as
 * a server handles one request after another, and prints one line
 *
 *   mpool-clients client=C alloc=A bytes=B docs=D doc_ms=T parse_ms=P
 *     dump_ms=S free_ms=F first_ms=T1 faults=N floor_rss_kib=K0
 *     peak_rss_kib=K checksum=X
 *
 * doc_ms, parse_ms, dump_ms and free_ms are medians over the documents
 * after the first (first_ms is the first one's total; with --docs 1 the
 * only one counts), faults the minor page faults per document after the
 * first; floor_rss_kib is the process's VmHWM once the input is built,
 * peak_rss_kib its VmHWM after the last document.  checksum depends only
 * on the client and its input: the runner compares it across allocators.
 *
 * --bytes defaults to 4 MiB, --orders to 10000, --piece to 64 KiB (zlib:
 * 16 KiB).
 *
 * Clients (--client), the input built from the generators of the adapter
 * tests (tests/adapters/adapter_work.h):
 *   cjson    a JSON document of --bytes bytes: cJSON_Parse (parse),
 *            cJSON_PrintUnformatted (dump);
 *   jansson  a JSON document of --bytes bytes: json_loads (parse),
 *            json_dumps(JSON_COMPACT) (dump);
 *   expat    an XML document of --bytes bytes, parsed by a namespace-
 *            processing parser fed --piece bytes at a time (parse; the
 *            events are counted and checksummed);
 *   sqlite   the SQL workload of the adapter test with --orders orders on
 *            an in-memory database, from sqlite3_initialize() to
 *            sqlite3_shutdown() (parse; no dump);
 *   zlib     --bytes bytes of data cut into messages of --piece bytes;
 *            each message deflated by a stream of its own (parse) and
 *            inflated back by another (dump), as responses are.
 *
 * Allocators (--alloc):
 *   glibc     the library's default allocation (malloc and free);
 *   mimalloc, jemalloc, tcmalloc
 *             the same, in a process started with LD_PRELOAD of that
 *             library; the host checks that malloc() really is that
 *             library's and fails otherwise;
 *   mpool     the adapter's pool (mp_cjson_create_pool(NULL) and so on;
 *             zlib: mp_create_pool(0), any pool serves it), reset after
 *             each document (zlib: after each message);
 *             cJSON, Jansson and Expat leave their objects to the reset
 *             (no cJSON_Delete, json_decref, XML_ParserFree); SQLite and
 *             zlib free their own, as they must;
 *   mpool-free  (cjson, jansson, expat) as mpool, with every object freed
 *             as on malloc before the reset;
 *   mpool-1t  (sqlite) a plain pool (mp_create_pool_ex() without
 *             MP_POOL_SHARED), which the adapter allows while one thread
 *             uses SQLite;
 *   memsys5   (sqlite) SQLite's own zero-malloc allocator
 *             (SQLITE_CONFIG_HEAP) over one buffer; only when the library
 *             is compiled with SQLITE_ENABLE_MEMSYS5.  Otherwise the host
 *             prints "unavailable=REASON" instead of figures and exits
 *             with status 3.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <mpool.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_work.h"
#include "common.h"
#include "malloc_check.h"

#ifdef MPB_HAVE_CJSON
#include <mpool/cjson.h>
#endif
#ifdef MPB_HAVE_JANSSON
#include <mpool/jansson.h>
#endif
#ifdef MPB_HAVE_EXPAT
#include <mpool/expat.h>
#endif
#ifdef MPB_HAVE_SQLITE
#include <mpool/sqlite.h>
#endif
#ifdef MPB_HAVE_ZLIB
#include <mpool/zlib.h>
#endif
/* again, after expat.h and sqlite3.h: the Expat handlers, the SQL
 * workload */
#include "adapter_work.h"

#define PROG "mpool-clients"
#define MAX_DOCS 1000

static void die(const char *what) {
  fprintf(stderr, PROG ": %s\n", what);
  exit(1);
}

/* What a run asks for. */
typedef struct {
  const char *client, *alloc;
  size_t bytes;   /* input size (cjson, jansson, expat, zlib) */
  size_t piece;   /* expat: bytes fed at a time; zlib: message size */
  int orders;     /* sqlite: orders in the workload */
  int docs;       /* documents handled */
  int pool;       /* 0: malloc; 1: mpool; 2: mpool-free; 3: mpool-1t */
  int memsys5;    /* sqlite on SQLITE_CONFIG_HEAP */
  mp_pool_t *mpp; /* the pool of the mpool rows */
} run_t;

/* The figures of one document: nanoseconds of each phase. */
typedef struct {
  uint64_t parse, dump, release;
  uint64_t faults;
} doc_t;

/* One client: builds its input (untimed), handles one document and
 * returns its checksum, and tells what it is. */
typedef struct {
  const char *name;
  void (*prepare)(run_t *r, buf_t *in);
  uint64_t (*doc)(run_t *r, const buf_t *in, doc_t *d);
} client_t;

/* ------------------------------------------------------------------------
 * cJSON
 * ---------------------------------------------------------------------- */

#ifdef MPB_HAVE_CJSON
static void cjson_prepare(run_t *r, buf_t *in) {
  gen_json_records(in, 42, r->bytes);
  if (r->pool) {
    r->mpp = mp_cjson_create_pool(NULL);
    if (r->mpp == NULL)
      die("mp_cjson_create_pool failed");
    mp_cjson_use(r->mpp);
  } else {
    cJSON_InitHooks(NULL);
  }
}

static uint64_t cjson_doc(run_t *r, const buf_t *in, doc_t *d) {
  uint64_t t0 = mpb_now_ns();
  cJSON *doc = cJSON_Parse(in->p);
  uint64_t t1 = mpb_now_ns();
  char *out = doc != NULL ? cJSON_PrintUnformatted(doc) : NULL;
  uint64_t t2 = mpb_now_ns();
  if (out == NULL)
    die("cjson: parse or print failed");
  uint64_t h = fnv1a(FNV_INIT, out, strlen(out));
  uint64_t t3 = mpb_now_ns();
  if (r->pool != 1) {
    cJSON_free(out);
    cJSON_Delete(doc);
  }
  if (r->pool)
    mp_reset_pool(r->mpp);
  uint64_t t4 = mpb_now_ns();
  d->parse = t1 - t0;
  d->dump = t2 - t1;
  d->release = t4 - t3;
  return h;
}
#endif

/* ------------------------------------------------------------------------
 * Jansson
 * ---------------------------------------------------------------------- */

#ifdef MPB_HAVE_JANSSON
static void jansson_prepare(run_t *r, buf_t *in) {
  gen_json_catalog(in, 1234, r->bytes);
  if (r->pool) {
    r->mpp = mp_jansson_create_pool(NULL);
    if (r->mpp == NULL)
      die("mp_jansson_create_pool failed");
  }
  mp_jansson_use(r->mpp); /* NULL: malloc and free */
}

static uint64_t jansson_doc(run_t *r, const buf_t *in, doc_t *d) {
  json_error_t err;
  uint64_t t0 = mpb_now_ns();
  json_t *doc = json_loads(in->p, 0, &err);
  uint64_t t1 = mpb_now_ns();
  char *out = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
  uint64_t t2 = mpb_now_ns();
  if (out == NULL)
    die("jansson: load or dump failed");
  uint64_t h = fnv1a(FNV_INIT, out, strlen(out));
  uint64_t t3 = mpb_now_ns();
  if (r->pool != 1) {
    json_malloc_t mf;
    json_free_t ff;
    json_get_alloc_funcs(&mf, &ff);
    ff(out);
    json_decref(doc);
  }
  if (r->pool)
    mp_reset_pool(r->mpp);
  uint64_t t4 = mpb_now_ns();
  d->parse = t1 - t0;
  d->dump = t2 - t1;
  d->release = t4 - t3;
  return h;
}
#endif

/* ------------------------------------------------------------------------
 * Expat
 * ---------------------------------------------------------------------- */

#ifdef MPB_HAVE_EXPAT
static void expat_prepare(run_t *r, buf_t *in) {
  gen_xml(in, 11, r->bytes);
  if (r->pool) {
    r->mpp = mp_expat_create_pool(NULL);
    if (r->mpp == NULL)
      die("mp_expat_create_pool failed");
  }
}

static uint64_t expat_doc(run_t *r, const buf_t *in, doc_t *d) {
  const XML_Char sep = '|';
  events_t e;
  uint64_t t0 = mpb_now_ns();
  XML_Parser p = r->pool ? mp_expat_parser_create(r->mpp, NULL, &sep)
                         : XML_ParserCreateNS(NULL, sep);
  if (p == NULL)
    die("expat: no parser");
  events_attach(p, &e);
  for (size_t at = 0; at < in->len; at += r->piece) {
    size_t n = in->len - at < r->piece ? in->len - at : r->piece;
    if (XML_Parse(p, in->p + at, (int)n, at + n == in->len) != XML_STATUS_OK)
      die("expat: parse failed");
  }
  uint64_t t1 = mpb_now_ns();
  if (r->pool != 1)
    XML_ParserFree(p);
  if (r->pool)
    mp_reset_pool(r->mpp);
  uint64_t t2 = mpb_now_ns();
  d->parse = t1 - t0;
  d->dump = 0;
  d->release = t2 - t1;
  uint64_t h = e.h;
  h = fnv1a(h, &e.elements, sizeof e.elements);
  h = fnv1a(h, &e.attrs, sizeof e.attrs);
  return fnv1a(h, &e.text, sizeof e.text);
}
#endif

/* ------------------------------------------------------------------------
 * SQLite
 * ---------------------------------------------------------------------- */

#ifdef MPB_HAVE_SQLITE
static void *memsys5_heap;

static void sqlite_prepare(run_t *r, buf_t *in) {
  (void)in;
  if (r->orders < 10)
    die("sqlite: --orders must be at least 10");
  if (sqlite3_shutdown() != SQLITE_OK)
    die("sqlite: sqlite3_shutdown failed");
  if (r->memsys5) {
    /* 64 MiB for every order's row and index entries in the page cache,
     * and memsys5's power-of-two rounding of each of them. */
    size_t heap = (size_t)64 << 20;
    heap += (size_t)r->orders * 2048u;
    if (heap > (size_t)INT32_MAX)
      die("sqlite: --orders too large for one memsys5 heap");
    memsys5_heap = malloc(heap);
    if (memsys5_heap == NULL)
      die("sqlite: no memory for the memsys5 heap");
    if (sqlite3_config(SQLITE_CONFIG_HEAP, memsys5_heap, (int)heap, 32) !=
        SQLITE_OK)
      die("sqlite: SQLITE_CONFIG_HEAP refused");
  } else if (r->pool) {
    if (r->pool == 3) {
      mp_options_t o;
      mp_options_init(&o); /* no MP_POOL_SHARED: one thread only */
      r->mpp = mp_create_pool_ex(&o);
    } else {
      r->mpp = mp_sqlite_create_pool(NULL);
    }
    if (r->mpp == NULL)
      die("sqlite: no pool");
  }
}

static uint64_t sqlite_doc(run_t *r, const buf_t *in, doc_t *d) {
  (void)in;
  sql_result_t res = {SQLITE_OK, FNV_INIT, 0};
  sqlite3 *db = NULL;
  uint64_t t0 = mpb_now_ns();
  if (r->pool && mp_sqlite_use(r->mpp) != SQLITE_OK)
    die("sqlite: mp_sqlite_use failed");
  if (sqlite3_initialize() != SQLITE_OK)
    die("sqlite: sqlite3_initialize failed");
  res.rc = sqlite3_open(":memory:", &db);
  if (res.rc == SQLITE_OK)
    sql_workload(db, 7, r->orders, &res);
  if (sqlite3_close(db) != SQLITE_OK || res.rc != SQLITE_OK)
    die("sqlite: the workload failed");
  uint64_t t1 = mpb_now_ns();
  if (sqlite3_shutdown() != SQLITE_OK)
    die("sqlite: sqlite3_shutdown failed");
  if (r->pool)
    mp_reset_pool(r->mpp);
  uint64_t t2 = mpb_now_ns();
  d->parse = t1 - t0;
  d->dump = 0;
  d->release = t2 - t1;
  return fnv1a(res.h, &res.rows, sizeof res.rows);
}
#endif

/* ------------------------------------------------------------------------
 * zlib
 * ---------------------------------------------------------------------- */

#ifdef MPB_HAVE_ZLIB
static unsigned char *zbuf, *ubuf; /* compressed and inflated message */
static size_t zcap;

static void zlib_prepare(run_t *r, buf_t *in) {
  gen_data(in, 5, r->bytes);
  zcap = (size_t)compressBound((uLong)r->piece) + 64;
  zbuf = malloc(zcap);
  ubuf = malloc(r->piece);
  if (zbuf == NULL || ubuf == NULL)
    die("zlib: no memory for the buffers");
  if (r->pool) {
    r->mpp = mp_create_pool(0);
    if (r->mpp == NULL)
      die("zlib: no pool");
  }
}

static void zlib_stream(run_t *r, z_stream *zs) {
  memset(zs, 0, sizeof *zs);
  if (r->pool)
    mp_zlib_init_stream(zs, r->mpp);
}

static uint64_t zlib_doc(run_t *r, const buf_t *in, doc_t *d) {
  uint64_t h = FNV_INIT;
  d->parse = d->dump = d->release = 0;
  for (size_t at = 0; at < in->len; at += r->piece) {
    size_t n = in->len - at < r->piece ? in->len - at : r->piece;
    z_stream zs;
    uint64_t t0 = mpb_now_ns();
    zlib_stream(r, &zs);
    if (deflateInit(&zs, Z_DEFAULT_COMPRESSION) != Z_OK)
      die("zlib: deflateInit failed");
    zs.next_in = (Bytef *)in->p + at;
    zs.avail_in = (uInt)n;
    zs.next_out = zbuf;
    zs.avail_out = (uInt)zcap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
      die("zlib: deflate failed");
    size_t zlen = (size_t)zs.total_out;
    if (deflateEnd(&zs) != Z_OK)
      die("zlib: deflateEnd failed");
    uint64_t t1 = mpb_now_ns();
    zlib_stream(r, &zs);
    if (inflateInit(&zs) != Z_OK)
      die("zlib: inflateInit failed");
    zs.next_in = zbuf;
    zs.avail_in = (uInt)zlen;
    zs.next_out = ubuf;
    zs.avail_out = (uInt)r->piece;
    if (inflate(&zs, Z_FINISH) != Z_STREAM_END || zs.total_out != n)
      die("zlib: inflate failed");
    if (inflateEnd(&zs) != Z_OK)
      die("zlib: inflateEnd failed");
    uint64_t t2 = mpb_now_ns();
    if (r->pool)
      mp_reset_pool(r->mpp);
    uint64_t t3 = mpb_now_ns();
    if (memcmp(ubuf, in->p + at, n) != 0)
      die("zlib: the round trip changed the data");
    h = fnv1a(h, zbuf, zlen);
    d->parse += t1 - t0;
    d->dump += t2 - t1;
    d->release += t3 - t2;
  }
  return h;
}
#endif

/* ------------------------------------------------------------------------
 * Driver
 * ---------------------------------------------------------------------- */

static const client_t clients[] = {
#ifdef MPB_HAVE_CJSON
    {"cjson", cjson_prepare, cjson_doc},
#endif
#ifdef MPB_HAVE_JANSSON
    {"jansson", jansson_prepare, jansson_doc},
#endif
#ifdef MPB_HAVE_EXPAT
    {"expat", expat_prepare, expat_doc},
#endif
#ifdef MPB_HAVE_SQLITE
    {"sqlite", sqlite_prepare, sqlite_doc},
#endif
#ifdef MPB_HAVE_ZLIB
    {"zlib", zlib_prepare, zlib_doc},
#endif
    {NULL, NULL, NULL},
};

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Median of v[0..n), in milliseconds; sorts v. */
static double median_ms(uint64_t *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_u64);
  double m =
      n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
  return m / 1e6;
}

static size_t parse_size(const char *opt, const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0' || v == 0 || v > (1ull << 30)) {
    fprintf(stderr, PROG ": bad %s %s\n", opt, s);
    exit(2);
  }
  return (size_t)v;
}

static void usage(FILE *f) {
  fprintf(f, "usage: " PROG " --client cjson|jansson|expat|sqlite|zlib\n"
             "         --alloc glibc|mimalloc|jemalloc|tcmalloc|mpool|"
             "mpool-free|mpool-1t|memsys5\n"
             "         [--bytes N] [--docs N] [--orders N] [--piece N]\n"
             "       " PROG " --list   (the clients built in)\n");
}

/* Why the memsys5 row cannot run, or NULL if it can. */
static const char *memsys5_unavailable(void) {
#ifdef MPB_HAVE_SQLITE
  static char why[160];
  if (sqlite3_compileoption_used("ENABLE_MEMSYS5"))
    return NULL;
  snprintf(why, sizeof why,
           "libsqlite3 %s is built without SQLITE_ENABLE_MEMSYS5 "
           "(sqlite3_compileoption_used)",
           sqlite3_libversion());
  return why;
#else
  return "built without SQLite";
#endif
}

int main(int argc, char **argv) {
  run_t r;
  memset(&r, 0, sizeof r);
  r.bytes = (size_t)4 << 20;
  r.docs = 4;
  r.orders = 10000;
  size_t piece = 0;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (strcmp(o, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(o, "--list") == 0) {
      for (const client_t *c = clients; c->name != NULL; c++)
        printf("%s%s", c == clients ? "" : " ", c->name);
      printf("\n");
      return 0;
    }
    if (i + 1 >= argc) {
      usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    if (strcmp(o, "--client") == 0)
      r.client = v;
    else if (strcmp(o, "--alloc") == 0)
      r.alloc = v;
    else if (strcmp(o, "--bytes") == 0)
      r.bytes = parse_size(o, v);
    else if (strcmp(o, "--piece") == 0)
      piece = parse_size(o, v);
    else if (strcmp(o, "--docs") == 0)
      r.docs = (int)parse_size(o, v);
    else if (strcmp(o, "--orders") == 0)
      r.orders = (int)parse_size(o, v);
    else {
      fprintf(stderr, PROG ": unknown option %s\n", o);
      usage(stderr);
      return 2;
    }
  }
  if (r.client == NULL || r.alloc == NULL) {
    usage(stderr);
    return 2;
  }
  if (r.docs > MAX_DOCS)
    die("--docs: at most 1000");
  const client_t *c = clients;
  while (c->name != NULL && strcmp(c->name, r.client) != 0)
    c++;
  if (c->name == NULL) {
    fprintf(stderr, PROG ": client %s is not built in (--list)\n", r.client);
    return 2;
  }
  int is_sqlite = strcmp(r.client, "sqlite") == 0;
  int frees_own = is_sqlite || strcmp(r.client, "zlib") == 0;
  const char *a = r.alloc;
  if (strcmp(a, "mpool") == 0)
    r.pool = 1;
  else if (strcmp(a, "mpool-free") == 0 && !frees_own)
    r.pool = 2;
  else if (strcmp(a, "mpool-1t") == 0 && is_sqlite)
    r.pool = 3;
  else if (strcmp(a, "memsys5") == 0 && is_sqlite)
    r.memsys5 = 1;
  else if (strcmp(a, "glibc") != 0 && strcmp(a, "mimalloc") != 0 &&
           strcmp(a, "jemalloc") != 0 && strcmp(a, "tcmalloc") != 0) {
    fprintf(stderr, PROG ": allocator %s does not apply to %s\n", a, r.client);
    return 2;
  }
  /* The pool rows and memsys5 run on the C library's malloc too. */
  mpb_check_malloc(PROG, r.pool || r.memsys5 ? "glibc" : a);
  if (r.memsys5) {
    const char *why = memsys5_unavailable();
    if (why != NULL) {
      printf(PROG " client=%s alloc=%s unavailable=%s\n", r.client, a, why);
      return 3;
    }
  }
  r.piece = piece ? piece : strcmp(r.client, "zlib") == 0 ? 16384 : 65536;

  buf_t in = {0};
  c->prepare(&r, &in);
  uint64_t floor = mpb_peak_rss_kib();

  static uint64_t total[MAX_DOCS], parse[MAX_DOCS], dump[MAX_DOCS],
      release[MAX_DOCS];
  uint64_t sum = 0, first = 0, faults = 0;
  for (int k = 0; k < r.docs; k++) {
    doc_t d;
    uint64_t f0 = mpb_minor_faults();
    uint64_t h = c->doc(&r, &in, &d);
    uint64_t f1 = mpb_minor_faults();
    if (k == 0)
      sum = h;
    else if (h != sum)
      die("a document's checksum differs from the first one's");
    if (k == 0)
      first = d.parse + d.dump + d.release;
    /* The documents after the first (all of them if there is one). */
    int j = r.docs > 1 ? k - 1 : 0;
    if (r.docs > 1 && k == 0)
      continue;
    total[j] = d.parse + d.dump + d.release;
    parse[j] = d.parse;
    dump[j] = d.dump;
    release[j] = d.release;
    faults += f1 - f0;
  }
  uint64_t peak = mpb_peak_rss_kib();
  int n = r.docs > 1 ? r.docs - 1 : 1;

  printf(PROG " client=%s alloc=%s bytes=%zu docs=%d doc_ms=%.4f "
              "parse_ms=%.4f dump_ms=%.4f free_ms=%.4f first_ms=%.4f "
              "faults=%llu floor_rss_kib=%llu peak_rss_kib=%llu "
              "checksum=%016llx",
         r.client, a, is_sqlite ? (size_t)0 : in.len, r.docs,
         median_ms(total, n), median_ms(parse, n), median_ms(dump, n),
         median_ms(release, n), (double)first / 1e6,
         (unsigned long long)(faults / (uint64_t)n), (unsigned long long)floor,
         (unsigned long long)peak, (unsigned long long)sum);
  if (r.mpp != NULL) {
    mp_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    if (mp_stats(r.mpp, &st, 0) == 0)
      printf(" pool_peak_reserved=%zu", st.peak_reserved);
  }
  printf("\n");
  if (r.pool && strcmp(r.client, "cjson") == 0) {
#ifdef MPB_HAVE_CJSON
    mp_cjson_use(NULL);
#endif
  }
  if (r.pool && strcmp(r.client, "jansson") == 0) {
#ifdef MPB_HAVE_JANSSON
    mp_jansson_use(NULL);
#endif
  }
  mp_destroy_pool(r.mpp);
  buf_free(&in);
  return fflush(stdout) == 0 ? 0 : 1;
}
