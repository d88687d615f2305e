/*
 * Every adapter header whose library is present, compiled as C99 with
 * -pedantic (the other adapter tests compile them as C11), and each hook
 * called once.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stdio.h>
#include <stdlib.h>

#include "mpool.h"

#ifdef MPOOL_HAVE_LUA
#include <mpool/lua.h>
#endif
#ifdef MPOOL_HAVE_CJSON
#include <mpool/cjson.h>
#endif
#ifdef MPOOL_HAVE_EXPAT
#include <mpool/expat.h>
#endif
#ifdef MPOOL_HAVE_SQLITE
#include <mpool/sqlite.h>
#endif
#ifdef MPOOL_HAVE_ZLIB
#include <mpool/zlib.h>
#endif
#ifdef MPOOL_HAVE_JANSSON
#include <mpool/jansson.h>
#endif

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);    \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

int main(void) {
  mp_options_t o;
  mp_pool_t *pool;
  void *p;
  mp_options_init(&o);
  o.flags = MP_POOL_SIZE_HEADERS;
  pool = mp_create_pool_ex(&o);
  CHECK(pool != NULL);
  (void)p;
#ifdef MPOOL_HAVE_LUA
  p = mp_lua_alloc(pool, NULL, LUA_TSTRING, 40);
  CHECK(p != NULL);
  CHECK(mp_lua_alloc(pool, p, 40, 0) == NULL);
#endif
#ifdef MPOOL_HAVE_CJSON
  mp_cjson_use(pool);
  {
    cJSON *j = cJSON_Parse("{\"a\":[1,2,3]}");
    CHECK(j != NULL);
    cJSON_Delete(j);
  }
  mp_cjson_use(NULL);
#endif
#ifdef MPOOL_HAVE_EXPAT
  {
    XML_Parser x = mp_expat_parser_create(pool, NULL, NULL);
    CHECK(x != NULL);
    CHECK(XML_Parse(x, "<a><b/></a>", 11, 1) == XML_STATUS_OK);
    XML_ParserFree(x);
    mp_expat_use(NULL);
  }
#endif
#ifdef MPOOL_HAVE_SQLITE
  {
    sqlite3_mem_methods m = mp_sqlite_methods(pool);
    CHECK(m.xInit(m.pAppData) == SQLITE_OK);
    p = m.xMalloc(24);
    CHECK(p != NULL && m.xSize(p) == 24);
    m.xFree(p);
    m.xShutdown(m.pAppData);
  }
#endif
#ifdef MPOOL_HAVE_ZLIB
  {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    mp_zlib_init_stream(&zs, pool);
    CHECK(deflateInit(&zs, 6) == Z_OK);
    CHECK(deflateEnd(&zs) == Z_OK);
  }
#endif
#ifdef MPOOL_HAVE_JANSSON
  mp_jansson_use(pool);
  {
    json_t *j = json_loads("[1,{\"b\":2}]", 0, NULL);
    CHECK(j != NULL);
    json_decref(j);
  }
  mp_jansson_use(NULL);
#endif
  mp_destroy_pool(pool);
  puts("adapters c99: ok");
  return 0;
}
