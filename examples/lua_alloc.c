/*
 * lua_alloc: an embedded Lua interpreter whose every allocation comes from
 * one pool, through mp_allocf() -- the allocator-function shape Lua takes.
 * Lua frees and resizes with the old size in hand, so the pool reuses the
 * memory its garbage collector releases, and closing the state is followed
 * by a single mp_destroy_pool().
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <stdio.h>

static const char *script =
    "local words = {}\n"
    "for i = 1, 20000 do\n"
    "  words[#words + 1] = string.format('w%05d', i % 977)\n"
    "  if #words > 500 then words = {} end  -- garbage for the collector\n"
    "end\n"
    "local count = {}\n"
    "for i = 1, 5000 do\n"
    "  local k = 'k' .. (i % 37)\n"
    "  count[k] = (count[k] or 0) + 1\n"
    "end\n"
    "local keys = {}\n"
    "for k in pairs(count) do keys[#keys + 1] = k end\n"
    "table.sort(keys)\n"
    "return #keys, count.k0, table.concat(keys, ',', 1, 3)\n";

int main(void) {
  mp_pool_t *pool = mp_create_pool(0);
  if (pool == NULL) {
    perror("mp_create_pool");
    return 1;
  }
  lua_State *L = lua_newstate(mp_allocf, pool);
  if (L == NULL) {
    mp_destroy_pool(pool);
    return 1;
  }
  luaL_openlibs(L);
  int ok = luaL_dostring(L, script) == LUA_OK;
  if (!ok) {
    fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
  } else {
    long nkeys = (long)lua_tointeger(L, -3);
    long k0 = (long)lua_tointeger(L, -2);
    const char *first = lua_tostring(L, -1);
    printf("keys=%ld count.k0=%ld first=%s\n", nkeys, k0, first);
    ok = nkeys == 37 && k0 == 135;
  }
  lua_close(L);
  mp_destroy_pool(pool);
  printf(ok ? "lua_alloc: ok\n" : "lua_alloc: FAILED\n");
  return ok ? 0 : 1;
}
