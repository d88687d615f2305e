/*
 * mpool-lua: the Lua 5.4 interpreter as a real client of an allocator.
 *
 *   mpool-lua [--alloc NAME] [--node-size N] [--exact-nodes]
 *             [--record FILE] SCRIPT [ARGS...]
 *
 * Creates a Lua state with lua_newstate(), opens the standard libraries,
 * runs SCRIPT with ARGS (as the global `arg` and as the chunk's `...`) and
 * prints, after the script's own output, one line
 *
 *   mpool-lua alloc=NAME seconds=S peak_rss_kib=K [node_size=N ...]
 *
 * with the elapsed time of the script run (CLOCK_MONOTONIC) and the
 * process's peak resident set (VmHWM of /proc/self/status).
 *
 * Allocators (--alloc):
 *   glibc     realloc()/free() of the C library, as luaL_newstate() does;
 *   mpool     mp_allocf() over one pool from mp_create_pool(N), N from
 *             --node-size (0: the default); with --exact-nodes the pool
 *             comes from mp_create_pool_ex() with MP_POOL_EXACT_NODES, so
 *             node sizes below the default are used as given;
 *   mimalloc, jemalloc, tcmalloc
 *             realloc()/free() as for glibc, in a process started with
 *             LD_PRELOAD of that library.  The host checks that malloc()
 *             really is that library's and fails otherwise.
 *
 * --record FILE writes the allocation trace of the run to FILE, one event
 * a line: "a ID SIZE" (allocate), "f ID" (free), "r ID NEWSIZE" (resize,
 * contents kept).  IDs are small non-negative integers, reused after a
 * free (the most recently freed first: a stack of free IDs).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <mpool.h>

#include "malloc_check.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------
 * Allocation trace: pointer -> id map, free-id stack, buffered writer
 * ---------------------------------------------------------------------- */

typedef struct {
  uintptr_t key; /* 0: empty slot */
  uint32_t id;
} slot_t;

typedef struct {
  FILE *out;
  slot_t *slots;
  size_t mask; /* capacity - 1, capacity a power of two */
  size_t used;
  uint32_t *free_ids;
  size_t nfree, free_cap;
  uint32_t next_id;
  unsigned long long events;
  char buf[1 << 16];
  size_t len;
} trace_t;

static void die(const char *what) {
  fprintf(stderr, "mpool-lua: %s\n", what);
  exit(1);
}

static size_t slot_of(const trace_t *t, uintptr_t key) {
  uint64_t h = (uint64_t)key * UINT64_C(0x9e3779b97f4a7c15);
  return (size_t)(h >> 32) & t->mask;
}

static void map_put(trace_t *t, uintptr_t key, uint32_t id);

static void map_grow(trace_t *t) {
  slot_t *old = t->slots;
  size_t n = t->mask + 1;
  t->slots = calloc(n * 2, sizeof *t->slots);
  if (t->slots == NULL)
    die("out of memory for the trace map");
  t->mask = n * 2 - 1;
  t->used = 0;
  for (size_t i = 0; i < n; i++)
    if (old[i].key != 0)
      map_put(t, old[i].key, old[i].id);
  free(old);
}

static void map_put(trace_t *t, uintptr_t key, uint32_t id) {
  if ((t->used + 1) * 2 > t->mask + 1)
    map_grow(t);
  size_t i = slot_of(t, key);
  while (t->slots[i].key != 0) {
    if (t->slots[i].key == key)
      die("trace: a live pointer was returned twice");
    i = (i + 1) & t->mask;
  }
  t->slots[i].key = key;
  t->slots[i].id = id;
  t->used++;
}

/* Removes key and returns its id; linear probing with backward-shift
 * deletion, so no tombstones pile up. */
static uint32_t map_take(trace_t *t, uintptr_t key) {
  size_t i = slot_of(t, key);
  while (t->slots[i].key != key) {
    if (t->slots[i].key == 0)
      die("trace: free or resize of a pointer that is not live");
    i = (i + 1) & t->mask;
  }
  uint32_t id = t->slots[i].id;
  size_t hole = i;
  for (size_t j = (i + 1) & t->mask; t->slots[j].key != 0;
       j = (j + 1) & t->mask) {
    size_t home = slot_of(t, t->slots[j].key);
    /* move j into the hole unless its home lies cyclically in (hole, j] */
    if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
      t->slots[hole] = t->slots[j];
      hole = j;
    }
  }
  t->slots[hole].key = 0;
  t->used--;
  return id;
}

static void trace_flush(trace_t *t) {
  if (t->len > 0 && fwrite(t->buf, 1, t->len, t->out) != t->len)
    die("trace: write failed");
  t->len = 0;
}

static void put_u64(trace_t *t, uint64_t v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0)
    t->buf[t->len++] = tmp[--n];
}

static void trace_event(trace_t *t, char op, uint32_t id, size_t size) {
  if (t->len + 64 > sizeof t->buf)
    trace_flush(t);
  t->buf[t->len++] = op;
  t->buf[t->len++] = ' ';
  put_u64(t, id);
  if (op != 'f') {
    t->buf[t->len++] = ' ';
    put_u64(t, size);
  }
  t->buf[t->len++] = '\n';
  t->events++;
}

static uint32_t id_new(trace_t *t) {
  if (t->nfree > 0)
    return t->free_ids[--t->nfree];
  return t->next_id++;
}

static void id_release(trace_t *t, uint32_t id) {
  if (t->nfree == t->free_cap) {
    size_t cap = t->free_cap ? t->free_cap * 2 : 1024;
    uint32_t *p = realloc(t->free_ids, cap * sizeof *p);
    if (p == NULL)
      die("out of memory for the trace's free ids");
    t->free_ids = p;
    t->free_cap = cap;
  }
  t->free_ids[t->nfree++] = id;
}

static void trace_open(trace_t *t, const char *path) {
  memset(t, 0, sizeof *t);
  t->out = fopen(path, "w");
  if (t->out == NULL) {
    fprintf(stderr, "mpool-lua: %s: %s\n", path, strerror(errno));
    exit(1);
  }
  t->mask = 4095;
  t->slots = calloc(t->mask + 1, sizeof *t->slots);
  if (t->slots == NULL)
    die("out of memory for the trace map");
}

/* One call of the allocator function: ptr/osize/nsize as Lua passed them,
 * res what the allocator returned. */
static void trace_call(trace_t *t, void *ptr, size_t nsize, void *res) {
  if (ptr == NULL) {
    if (nsize == 0 || res == NULL)
      return; /* nothing happened */
    uint32_t id = id_new(t);
    map_put(t, (uintptr_t)res, id);
    trace_event(t, 'a', id, nsize);
  } else if (nsize == 0) {
    uint32_t id = map_take(t, (uintptr_t)ptr);
    trace_event(t, 'f', id, 0);
    id_release(t, id);
  } else if (res != NULL) {
    uint32_t id = map_take(t, (uintptr_t)ptr);
    map_put(t, (uintptr_t)res, id);
    trace_event(t, 'r', id, nsize);
  }
}

static void trace_close(trace_t *t) {
  trace_flush(t);
  if (fclose(t->out) != 0)
    die("trace: close failed");
  fprintf(stderr, "mpool-lua: trace: %llu events, %u ids, %zu live at exit\n",
          t->events, (unsigned)t->next_id, t->used);
  free(t->slots);
  free(t->free_ids);
}

/* ------------------------------------------------------------------------
 * Allocator functions
 * ---------------------------------------------------------------------- */

typedef struct {
  mp_pool_t *pool; /* NULL: realloc/free */
  trace_t *trace;  /* NULL: not recording */
} host_alloc_t;

/* luaL_newstate()'s allocator */
static void *libc_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

static void *recording_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  host_alloc_t *h = ud;
  void *res = h->pool ? mp_allocf(h->pool, ptr, osize, nsize)
                      : libc_alloc(NULL, ptr, osize, nsize);
  trace_call(h->trace, ptr, nsize, res);
  return res;
}

/* ------------------------------------------------------------------------
 * Measurement
 * ---------------------------------------------------------------------- */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set in KiB (VmHWM), 0 if unknown. */
static unsigned long long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  unsigned long long kib = 0;
  if (f == NULL)
    return 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kib = strtoull(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

static void usage(FILE *f) {
  fprintf(f, "usage: mpool-lua [--alloc glibc|mpool|mimalloc|jemalloc|"
             "tcmalloc] [--node-size N]\n"
             "                 [--exact-nodes] [--record FILE] SCRIPT "
             "[ARGS...]\n");
}

int main(int argc, char **argv) {
  const char *alloc = "glibc";
  const char *record = NULL;
  size_t node_size = 0;
  int exact = 0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
    const char *o = argv[i];
    if (strcmp(o, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(o, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(o, "--exact-nodes") == 0) {
      exact = 1;
      continue;
    }
    if (i + 1 >= argc) {
      usage(stderr);
      return 2;
    }
    if (strcmp(o, "--alloc") == 0) {
      alloc = argv[++i];
    } else if (strcmp(o, "--record") == 0) {
      record = argv[++i];
    } else if (strcmp(o, "--node-size") == 0) {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(argv[++i], &end, 0);
      if (errno != 0 || *end != '\0' || end == argv[i]) {
        fprintf(stderr, "mpool-lua: bad --node-size %s\n", argv[i]);
        return 2;
      }
      node_size = (size_t)v;
    } else {
      fprintf(stderr, "mpool-lua: unknown option %s\n", o);
      usage(stderr);
      return 2;
    }
  }
  if (i >= argc) {
    usage(stderr);
    return 2;
  }
  const char *script = argv[i];
  int nargs = argc - i - 1;
  char **args = argv + i + 1;

  int use_pool = strcmp(alloc, "mpool") == 0;
  if (!use_pool && strcmp(alloc, "glibc") != 0 &&
      strcmp(alloc, "mimalloc") != 0 && strcmp(alloc, "jemalloc") != 0 &&
      strcmp(alloc, "tcmalloc") != 0) {
    fprintf(stderr, "mpool-lua: unknown allocator %s\n", alloc);
    return 2;
  }
  if (!use_pool && (node_size != 0 || exact)) {
    fprintf(stderr, "mpool-lua: --node-size and --exact-nodes need "
                    "--alloc mpool\n");
    return 2;
  }
  mpb_check_malloc("mpool-lua", use_pool ? "glibc" : alloc);

  static trace_t trace;
  host_alloc_t host = {NULL, NULL};
  if (use_pool) {
    if (exact) {
#ifdef MP_POOL_EXACT_NODES
      mp_options_t o;
      mp_options_init(&o);
      o.node_size = node_size;
      o.flags |= MP_POOL_EXACT_NODES;
      host.pool = mp_create_pool_ex(&o);
#else
      die("--exact-nodes: this mpool has no MP_POOL_EXACT_NODES");
#endif
    } else {
      host.pool = mp_create_pool(node_size);
    }
    if (host.pool == NULL) {
      perror("mpool-lua: mp_create_pool");
      return 1;
    }
  }
  if (record != NULL) {
    trace_open(&trace, record);
    host.trace = &trace;
  }

  lua_State *L;
  if (host.trace != NULL)
    L = lua_newstate(recording_alloc, &host);
  else if (host.pool != NULL)
    L = lua_newstate(mp_allocf, host.pool);
  else
    L = lua_newstate(libc_alloc, NULL);
  if (L == NULL)
    die("lua_newstate failed");
  luaL_openlibs(L);

  /* arg as the stand-alone interpreter sets it: arg[0] the script */
  lua_createtable(L, nargs, 1);
  lua_pushstring(L, script);
  lua_rawseti(L, -2, 0);
  for (int k = 0; k < nargs; k++) {
    lua_pushstring(L, args[k]);
    lua_rawseti(L, -2, k + 1);
  }
  lua_setglobal(L, "arg");

  lua_pushcfunction(L, traceback);
  double t0 = now();
  int rc = luaL_loadfile(L, script);
  if (rc == LUA_OK) {
    for (int k = 0; k < nargs; k++)
      lua_pushstring(L, args[k]);
    rc = lua_pcall(L, nargs, 0, 1);
  }
  double t1 = now();
  if (rc != LUA_OK) {
    fprintf(stderr, "mpool-lua: %s: %s\n", script, lua_tostring(L, -1));
    return 1;
  }
  unsigned long long peak = peak_rss_kib();
  fflush(stdout);

  printf("mpool-lua alloc=%s seconds=%.6f peak_rss_kib=%llu", alloc, t1 - t0,
         peak);
  if (host.pool != NULL) {
    mp_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    if (mp_stats(host.pool, &st, 0) == 0)
      printf(" node_size=%zu pool_peak_reserved=%zu", st.node_size,
             st.peak_reserved);
  }
  printf("\n");

  lua_close(L);
  if (host.trace != NULL)
    trace_close(host.trace);
  mp_destroy_pool(host.pool);
  return fflush(stdout) == 0 ? 0 : 1;
}
