/*
 * <mpool/lua.h> with the real Lua: a script run in a state on a pool gives
 * the result it gives on malloc, the pool is reset between runs without
 * growing, and a failing backing allocator makes Lua raise a memory error
 * (or lua_newstate() return NULL) cleanly.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "adapter_util.h"

#include <lauxlib.h>
#include <lualib.h>
#include <mpool/lua.h>

/* Tables, strings, closures, coroutines, sorting and the GC. */
static const char script[] =
    "local n = ...\n"
    "local t = {}\n"
    "for i = 1, n do t[i] = string.format('%08d:%s', (i * 7919) % n,\n"
    "  string.rep(string.char(97 + i % 26), i % 17)) end\n"
    "table.sort(t)\n"
    "local words = {}\n"
    "for i = 1, #t, 3 do words[#words + 1] = t[i]:sub(1, 12) end\n"
    "local s = table.concat(words, ',')\n"
    "local map = {}\n"
    "for w in s:gmatch('[^,]+') do map[w:sub(-4)] = (map[w:sub(-4)] or 0) + 1 "
    "end\n"
    "local keys = {}\n"
    "for k in pairs(map) do keys[#keys + 1] = k end\n"
    "table.sort(keys)\n"
    "local gen = coroutine.wrap(function()\n"
    "  for i = 1, n // 10 do coroutine.yield(i * i % 1009) end end)\n"
    "local acc = 0\n"
    "for i = 1, n // 10 do acc = (acc * 31 + gen()) % 4294967296 end\n"
    "local function mk(k) return function(x) return x * k + #keys end end\n"
    "local f = mk(3)\n"
    "collectgarbage('collect')\n"
    "local out = {}\n"
    "for i = 1, #keys, math.max(1, #keys // 50) do\n"
    "  out[#out + 1] = keys[i] .. '=' .. map[keys[i]] end\n"
    "return string.format('%d %d %d %s', #t, acc, f(acc % 1000),\n"
    "  table.concat(out, ';'))\n";

static int run_script(lua_State *L) {
  lua_Integer n = lua_tointeger(L, 1);
  luaL_openlibs(L);
  if (luaL_loadbuffer(L, script, sizeof script - 1, "adapter") != LUA_OK)
    return lua_error(L);
  lua_pushinteger(L, n);
  lua_call(L, 1, 1);
  return 1;
}

/* Runs the script in L (NULL: creation failed).  Returns the Lua status
 * and the result's checksum in *h; closes L. */
static int run(lua_State *L, lua_Integer n, uint64_t *h, size_t *len) {
  *h = 0;
  *len = 0;
  if (L == NULL)
    return LUA_ERRMEM;
  lua_pushcfunction(L, run_script);
  lua_pushinteger(L, n);
  int rc = lua_pcall(L, 1, 1, 0);
  if (rc == LUA_OK) {
    const char *s = lua_tolstring(L, -1, len);
    *h = fnv1a(FNV_INIT, s, *len);
  }
  lua_close(L);
  return rc;
}

static void test_script(void **state) {
  (void)state;
  const lua_Integer n = (lua_Integer)test_size(60000);
  uint64_t want, got;
  size_t want_len, len;
  assert_int_equal(run(luaL_newstate(), n, &want, &want_len), LUA_OK);

  mp_pool_t *pool = mp_create_pool(0); /* any pool: Lua frees with sizes */
  assert_non_null(pool);
  size_t reserved[ROUNDS];
  for (int round = 0; round < ROUNDS; round++) {
    assert_int_equal(run(mp_lua_newstate(pool), n, &got, &len), LUA_OK);
    assert_int_equal(len, want_len);
    assert_true(got == want);
    /* lua_close() gave back every byte. */
    assert_int_equal(pool_stats(pool).large_blocks, 0);
    reserved[round] = pool_stats(pool).peak_reserved;
    mp_reset_pool(pool);
  }
  check_flat("lua (peak)", reserved, ROUNDS);

  /* A state left to the reset, without lua_close(). */
  lua_State *L = lua_newstate(mp_lua_alloc, pool);
  assert_non_null(L);
  lua_pushcfunction(L, run_script);
  lua_pushinteger(L, 1000);
  assert_int_equal(lua_pcall(L, 1, 1, 0), LUA_OK);
  mp_reset_pool(pool);
  mp_destroy_pool(pool);
  assert_null(mp_lua_newstate(NULL));
}

static test_alloc_t ta;

/* The adapter's allocator, counted. */
static void *cnt_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  void *r = mp_lua_alloc(ud, ptr, osize, nsize);
  if (nsize == 0)
    hc_free(ptr);
  else
    hc_realloc(ptr, r);
  return r;
}

static void test_faults(void **state) {
  (void)state;
  SKIP_IF_DEBUG_LAYOUT(); /* a block per object: the counting allocator
                            cannot hold them all */
  const lua_Integer n = 3000;
  uint64_t want, got;
  size_t want_len, len;
  assert_int_equal(run(luaL_newstate(), n, &want, &want_len), LUA_OK);
  fault_tally_t f = {0, 0};
  int null_states = 0;
  long k;
  for (k = 0;; k++) {
    mp_pool_t *pool = fault_pool(&ta, 0, k);
    size_t used0 = pool_stats(pool).bytes_used;
    lua_State *L = lua_newstate(cnt_alloc, pool);
    null_states += L == NULL;
    int rc = run(L, n, &got, &len);
    enum fault_kind fk = fault_kind(&ta);
    if (fk == FAULT_REPORTED && rc != LUA_OK) {
      assert_int_equal(rc, LUA_ERRMEM); /* Lua saw the NULL */
      f.reported++;
    } else {
      /* Nothing failed, the pool absorbed it, or Lua's emergency
       * collection recovered: the result is right. */
      assert_int_equal(rc, LUA_OK);
      assert_true(got == want);
      f.absorbed += fk == FAULT_ABSORBED;
    }
    fault_finish(&ta, pool, used0);
    if (fk == FAULT_NONE)
      break;
  }
  fault_report("lua", &f, k);
  print_message("lua: lua_newstate() returned NULL in %d runs\n", null_states);
  assert_true(f.reported >= 5);
  assert_true(null_states >= 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_script),
      cmocka_unit_test(test_faults),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
