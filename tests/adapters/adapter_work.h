/*
 * The inputs and workloads of the adapter tests, shared with the client
 * benchmark (bench/clients/): a deterministic generator, a checksum, a
 * byte buffer, the JSON, XML and zlib documents, Expat's event handlers
 * and the SQL workload.  Needs no test framework: a failed check (only
 * ever running out of memory while building an input) calls AW_CHECK,
 * which aborts unless the includer defines it first (the tests make it
 * cmocka's assert_true).
 *
 * The Expat handlers are defined once <expat.h> is included, the SQL
 * workload once <sqlite3.h> is: include this header after them, or again
 * after them (each part has a guard of its own).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_ADAPTER_WORK_H
#define MPOOL_ADAPTER_WORK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AW_CHECK
#define AW_CHECK(c) ((c) ? (void)0 : aw_fail(#c, __FILE__, __LINE__))
static inline void aw_fail(const char *what, const char *file, int line) {
  fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  abort();
}
#endif

/* xorshift64*: the same sequence on every platform. */
typedef struct {
  uint64_t s;
} rng_t;

static inline uint64_t rng_next(rng_t *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static inline unsigned rng_below(rng_t *r, unsigned n) {
  return (unsigned)(rng_next(r) % n);
}

/* FNV-1a, 64 bits. */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *c = (const unsigned char *)p;
  for (size_t i = 0; i < n; i++) {
    h ^= c[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

/* A growable byte buffer on malloc, for building inputs. */
typedef struct {
  char *p;
  size_t len, cap;
} buf_t;

static inline void buf_reserve(buf_t *b, size_t more) {
  AW_CHECK(more <= SIZE_MAX - b->len - 1);
  if (b->len + more + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more + 1) {
    AW_CHECK(cap <= SIZE_MAX / 2);
    cap *= 2;
  }
  char *np = (char *)realloc(b->p, cap);
  AW_CHECK(np != NULL);
  b->p = np;
  b->cap = cap;
}

static inline void buf_add(buf_t *b, const char *s, size_t n) {
  buf_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static inline void buf_str(buf_t *b, const char *s) {
  buf_add(b, s, strlen(s));
}

#if defined(__GNUC__) || defined(__clang__)
static inline void buf_printf(buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#endif
static inline void buf_printf(buf_t *b, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  AW_CHECK(n >= 0 && (size_t)n < sizeof tmp);
  buf_add(b, tmp, (size_t)n);
}

static inline void buf_free(buf_t *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------------
 * Documents
 * ---------------------------------------------------------------------- */

/* The cJSON document: about `bytes` bytes of JSON, an array of records
 * with nested objects, arrays, escaped strings, integers, doubles,
 * booleans and nulls. */
static inline void gen_json_records(buf_t *b, uint64_t seed, size_t bytes) {
  rng_t r = {seed};
  static const char *const words[] = {
      "alpha",           "beta",          "gamma\\n", "delta",
      "\\u00e9t\\u00e9", "zeta\\\"q\\\"", "eta",      "theta\\t"};
  buf_str(b, "{\"version\":3,\"records\":[");
  for (unsigned i = 0; b->len < bytes; i++) {
    if (i)
      buf_str(b, ",");
    buf_printf(b, "{\"id\":%u,\"name\":\"%s-%u\",\"score\":%u.%03u,", i,
               words[rng_below(&r, 8)], rng_below(&r, 100000),
               rng_below(&r, 1000), rng_below(&r, 1000));
    buf_printf(b, "\"active\":%s,\"parent\":%s,\"tags\":[",
               rng_below(&r, 2) ? "true" : "false",
               rng_below(&r, 3) ? "null" : "0");
    unsigned nt = rng_below(&r, 6);
    for (unsigned j = 0; j < nt; j++)
      buf_printf(b, "%s\"%s\"", j ? "," : "", words[rng_below(&r, 8)]);
    buf_printf(b, "],\"geo\":{\"lat\":%d.%04u,\"lon\":%d.%04u,\"h\":[%u,%u]}}",
               (int)rng_below(&r, 180) - 90, rng_below(&r, 10000),
               (int)rng_below(&r, 360) - 180, rng_below(&r, 10000),
               rng_below(&r, 9000), rng_below(&r, 9000));
  }
  buf_str(b, "]}");
}

/* The Jansson document: about `bytes` bytes of JSON, a catalog of items
 * with labels, prices, arrays and small objects of attributes. */
static inline void gen_json_catalog(buf_t *b, uint64_t seed, size_t bytes) {
  rng_t r = {seed};
  static const char *const words[] = {
      "north", "south\\n", "\\u00fcber", "east", "we\\\"st", "up", "down"};
  buf_str(b, "{\"kind\":\"catalog\",\"items\":[");
  for (unsigned i = 0; b->len < bytes; i++) {
    buf_printf(b, "%s{\"id\":%u,\"label\":\"%s %u\",\"price\":%u.%02u,",
               i ? "," : "", i, words[rng_below(&r, 7)],
               rng_below(&r, 1u << 16), rng_below(&r, 10000),
               rng_below(&r, 100));
    buf_printf(b, "\"stock\":%s,\"dims\":[%u,%u,%u],\"attr\":{",
               rng_below(&r, 2) ? "true" : "null", rng_below(&r, 500),
               rng_below(&r, 500), rng_below(&r, 500));
    unsigned na = rng_below(&r, 5);
    for (unsigned j = 0; j < na; j++)
      buf_printf(b, "%s\"a%u\":\"%s\"", j ? "," : "", rng_below(&r, 40),
                 words[rng_below(&r, 7)]);
    buf_str(b, "}}");
  }
  buf_str(b, "]}");
}

/* The Expat document: about `bytes` bytes of XML with nested elements,
 * attributes, namespaces, entities, CDATA, comments and character data. */
static inline void gen_xml(buf_t *b, uint64_t seed, size_t bytes) {
  rng_t r = {seed};
  static const char *const names[] = {"item",   "entry", "node",
                                      "ns:rec", "value", "ns:meta"};
  buf_str(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<!DOCTYPE root [<!ENTITY co \"mpool &amp; co\">]>\n"
             "<root xmlns=\"urn:default\" xmlns:ns=\"urn:ns\">\n");
  for (unsigned i = 0; b->len < bytes; i++) {
    const char *n = names[rng_below(&r, 6)];
    buf_printf(b, "<%s id=\"%u\" k=\"v%u &lt;%u&gt;\" ns:x=\"%u\">", n, i,
               rng_below(&r, 1000), rng_below(&r, 100), rng_below(&r, 7));
    unsigned kids = rng_below(&r, 5);
    for (unsigned j = 0; j < kids; j++) {
      switch (rng_below(&r, 4)) {
      case 0:
        buf_printf(b, "<v n=\"%u\">text %u &co; &#233;t&#xE9;</v>", j,
                   rng_below(&r, 1u << 20));
        break;
      case 1:
        buf_printf(b, "<![CDATA[raw <%u> & stuff]]>", rng_below(&r, 999));
        break;
      case 2:
        buf_printf(b, "<!-- comment %u -->", j);
        break;
      default:
        buf_printf(b, "<empty a%u=\"%u\"/>", j, rng_below(&r, 50));
      }
    }
    buf_printf(b, "</%s>\n", n);
  }
  buf_str(b, "</root>\n");
}

/* The zlib input: exactly `bytes` bytes of semi-compressible data, text-
 * like runs, repeats and noise. */
static inline void gen_data(buf_t *b, uint64_t seed, size_t bytes) {
  rng_t r = {seed};
  static const char *const words[] = {
      "pool ", "region ", "allocator ", "node ", "block ", "cache ", "reset "};
  while (b->len < bytes) {
    unsigned kind = rng_below(&r, 10);
    if (kind < 6) {
      buf_str(b, words[rng_below(&r, 7)]);
    } else if (kind < 8 && b->len > 64) {
      size_t back = 1 + rng_below(&r, 64), n = 3 + rng_below(&r, 40);
      for (size_t i = 0; i < n; i++) {
        char c = b->p[b->len - back];
        buf_add(b, &c, 1);
      }
    } else {
      char c[8];
      for (int i = 0; i < 8; i++)
        c[i] = (char)rng_next(&r);
      buf_add(b, c, sizeof c);
    }
  }
  b->len = bytes;
}

#endif /* MPOOL_ADAPTER_WORK_H */

/* ------------------------------------------------------------------------
 * Expat: handlers that count the events and checksum them
 * ---------------------------------------------------------------------- */

#if defined(XML_MAJOR_VERSION) && !defined(MPOOL_ADAPTER_WORK_XML)
#define MPOOL_ADAPTER_WORK_XML
typedef struct {
  uint64_t h;
  unsigned long elements, attrs, text;
} events_t;

static inline void XMLCALL on_start(void *ud, const XML_Char *name,
                                    const XML_Char **atts) {
  events_t *e = (events_t *)ud;
  e->elements++;
  e->h = fnv1a(e->h, name, strlen(name) + 1);
  for (; atts[0] != NULL; atts += 2) {
    e->attrs++;
    e->h = fnv1a(e->h, atts[0], strlen(atts[0]) + 1);
    e->h = fnv1a(e->h, atts[1], strlen(atts[1]) + 1);
  }
}

static inline void XMLCALL on_end(void *ud, const XML_Char *name) {
  events_t *e = (events_t *)ud;
  e->h = fnv1a(e->h, "/", 1);
  e->h = fnv1a(e->h, name, strlen(name) + 1);
}

static inline void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
  events_t *e = (events_t *)ud;
  e->text += (unsigned long)len;
  e->h = fnv1a(e->h, s, (size_t)len);
}

/* Clears *e and makes parser p report its events to it. */
static inline void events_attach(XML_Parser p, events_t *e) {
  memset(e, 0, sizeof *e);
  e->h = FNV_INIT;
  XML_SetUserData(p, e);
  XML_SetElementHandler(p, on_start, on_end);
  XML_SetCharacterDataHandler(p, on_text);
}
#endif /* MPOOL_ADAPTER_WORK_XML */

/* ------------------------------------------------------------------------
 * SQLite: the SQL workload (tables, indexes, transactions, a rollback,
 * joins, grouping, a recursive query)
 * ---------------------------------------------------------------------- */

#if defined(SQLITE_VERSION_NUMBER) && !defined(MPOOL_ADAPTER_WORK_SQL)
#define MPOOL_ADAPTER_WORK_SQL
typedef struct {
  int rc;     /* first SQLite error, SQLITE_OK if none */
  uint64_t h; /* checksum of every row the queries returned */
  long rows;  /* rows returned */
} sql_result_t;

static inline int sql_on_row(void *ud, int ncol, char **vals, char **names) {
  sql_result_t *r = (sql_result_t *)ud;
  (void)names;
  r->rows++;
  for (int i = 0; i < ncol; i++) {
    const char *v = vals[i] != NULL ? vals[i] : "(null)";
    r->h = fnv1a(r->h, v, strlen(v) + 1);
  }
  return 0;
}

static inline int sql_exec(sqlite3 *db, const char *sql, sql_result_t *r) {
  if (r->rc != SQLITE_OK)
    return r->rc;
  int rc = sqlite3_exec(db, sql, sql_on_row, r, NULL);
  if (rc != SQLITE_OK)
    r->rc = rc;
  return rc;
}

/* The workload on one connection, seeded by `seed`, with `n` orders (at
 * least 10): n / 10 customers, 200 products, the orders inserted in
 * transactions of 500, then the queries.  Results go into *r (which the
 * caller initialises: rc SQLITE_OK, h FNV_INIT, rows 0). */
static inline void sql_workload(sqlite3 *db, unsigned seed, int n,
                                sql_result_t *r) {
  rng_t g = {0x9E3779B97F4A7C15ULL ^ seed};
  sql_exec(
      db,
      "CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT);"
      "CREATE TABLE product(id INTEGER PRIMARY KEY, title TEXT, price REAL);"
      "CREATE TABLE orders(id INTEGER PRIMARY KEY, cust INTEGER, prod "
      "INTEGER, qty INTEGER, note TEXT);"
      "CREATE INDEX orders_cust ON orders(cust);"
      "CREATE INDEX orders_prod ON orders(prod, qty);"
      "CREATE INDEX customer_city ON customer(city);",
      r);
  sqlite3_stmt *st = NULL;
  sql_exec(db, "BEGIN", r);
  if (r->rc == SQLITE_OK)
    r->rc = sqlite3_prepare_v2(
        db, "INSERT INTO customer VALUES(?1, 'cust' || ?1, ?2)", -1, &st, NULL);
  for (int i = 0; r->rc == SQLITE_OK && i < n / 10; i++) {
    char city[16];
    snprintf(city, sizeof city, "city%u", rng_below(&g, 40));
    sqlite3_bind_int(st, 1, i);
    sqlite3_bind_text(st, 2, city, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
      r->rc = sqlite3_errcode(db);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  st = NULL;
  if (r->rc == SQLITE_OK)
    r->rc = sqlite3_prepare_v2(
        db, "INSERT INTO product VALUES(?1, printf('product %d', ?1), ?2)", -1,
        &st, NULL);
  for (int i = 0; r->rc == SQLITE_OK && i < 200; i++) {
    sqlite3_bind_int(st, 1, i);
    sqlite3_bind_double(st, 2, (double)rng_below(&g, 100000) / 100.0);
    if (sqlite3_step(st) != SQLITE_DONE)
      r->rc = sqlite3_errcode(db);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  st = NULL;
  sql_exec(db, "COMMIT", r);

  /* Orders in transactions of 500. */
  if (r->rc == SQLITE_OK)
    r->rc = sqlite3_prepare_v2(
        db, "INSERT INTO orders(cust, prod, qty, note) VALUES(?, ?, ?, ?)", -1,
        &st, NULL);
  for (int i = 0; r->rc == SQLITE_OK && i < n; i++) {
    if (i % 500 == 0)
      sql_exec(db, "BEGIN", r);
    char note[96];
    snprintf(note, sizeof note, "order %d %.*s", i, (int)rng_below(&g, 40),
             "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    sqlite3_bind_int(st, 1, (int)rng_below(&g, (unsigned)(n / 10)));
    sqlite3_bind_int(st, 2, (int)rng_below(&g, 200));
    sqlite3_bind_int(st, 3, 1 + (int)rng_below(&g, 9));
    sqlite3_bind_text(st, 4, note, -1, SQLITE_TRANSIENT);
    if (r->rc == SQLITE_OK && sqlite3_step(st) != SQLITE_DONE)
      r->rc = sqlite3_errcode(db);
    sqlite3_reset(st);
    if (i % 500 == 499 || i == n - 1)
      sql_exec(db, "COMMIT", r);
  }
  sqlite3_finalize(st);

  /* A transaction rolled back leaves no trace. */
  sql_exec(db,
           "BEGIN; DELETE FROM orders WHERE qty > 3; UPDATE customer SET "
           "city = 'gone'; ROLLBACK;",
           r);
  sql_exec(db, "UPDATE orders SET qty = qty + 1 WHERE prod % 7 = 0", r);
  sql_exec(db,
           "SELECT c.city, count(*), sum(o.qty), round(sum(o.qty * p.price), "
           "2) FROM orders o JOIN customer c ON c.id = o.cust "
           "JOIN product p ON p.id = o.prod GROUP BY c.city ORDER BY c.city",
           r);
  sql_exec(db,
           "SELECT p.title, count(o.id) AS n FROM product p LEFT JOIN orders o "
           "ON o.prod = p.id GROUP BY p.id ORDER BY n DESC, p.id LIMIT 20",
           r);
  sql_exec(db,
           "SELECT cust, group_concat(id, ' ') FROM (SELECT * FROM orders "
           "WHERE cust < 30 ORDER BY id) GROUP BY cust ORDER BY cust",
           r);
  sql_exec(db,
           "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s "
           "WHERE x < 1000) SELECT sum(x), count(*) FROM s JOIN orders "
           "ON orders.id = s.x",
           r);
  sql_exec(db, "SELECT count(*), sum(length(note)) FROM orders", r);
}
#endif /* MPOOL_ADAPTER_WORK_SQL */
