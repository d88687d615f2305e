/*
 * heap_profile: a heap profile by pool name, from the process-wide hook.
 *
 * mpool_set_hook() with MP_HOOK_OBJECTS, set before any pool is created,
 * hears of every object each pool makes, frees, resizes, resets and
 * destroys.  The profiler keeps each live object (its size, and the name
 * its pool had when it was made) in a table of its own, in malloc'd
 * memory -- a hook must not call into the pool of its event -- and sums
 * live bytes, live objects and allocations by pool name:
 *
 *   - an object is charged to its pool's name at the time it was made, so
 *     after a rename the objects made before stay with the old name and
 *     the new ones go to the new name;
 *   - pools without a name are summed as "(unnamed)";
 *   - a reset or destroy ends all the pool's objects: their bytes leave the
 *     live columns, their allocations stay counted (a destroyed pool's
 *     address may be reused by the next pool, so nothing of it is kept);
 *   - mp_free() tells no size: the table knows it.
 *
 * A toy workload runs under it; the table is printed sorted by live bytes
 * (most first), while the long-lived pools are still there, and once more
 * after every pool is destroyed, when every live column must be 0.  The
 * program is single-threaded; a profiler of threaded programs would lock
 * around its tables (the hook runs on the thread of each event).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the profile ---- */

struct group { /* one pool name */
  char *name;  /* NULL: unnamed pools */
  size_t live_bytes, live_objects;
  size_t allocs, alloc_bytes; /* every object made, and their bytes */
};

struct object { /* one live object */
  void *ptr;
  const mp_pool_t *pool;
  size_t size;
  size_t group; /* index into groups */
  struct object *next;
};

#define BUCKETS 1024 /* a power of two */

static struct {
  struct group *groups;
  size_t ngroups, cap;
  struct object *buckets[BUCKETS];
  size_t lost; /* events not recorded: malloc failed */
} prof;

static size_t bucket_of(const void *p) {
  uintptr_t v = (uintptr_t)p;
  v ^= v >> 17;
  v *= (uintptr_t)0x9e3779b97f4a7c15ull;
  return (size_t)(v >> 7) & (BUCKETS - 1);
}

/* The group of `name` (NULL: unnamed), made if new; SIZE_MAX if out of
 * memory. */
static size_t group_of(const char *name) {
  for (size_t i = 0; i < prof.ngroups; i++) {
    const char *g = prof.groups[i].name;
    if ((g == NULL && name == NULL) ||
        (g != NULL && name != NULL && strcmp(g, name) == 0))
      return i;
  }
  if (prof.ngroups == prof.cap) {
    size_t cap = prof.cap != 0 ? prof.cap * 2 : 8;
    struct group *g = realloc(prof.groups, cap * sizeof *g);
    if (g == NULL)
      return SIZE_MAX;
    prof.groups = g;
    prof.cap = cap;
  }
  struct group *g = &prof.groups[prof.ngroups];
  memset(g, 0, sizeof *g);
  if (name != NULL) {
    size_t n = strlen(name) + 1;
    if ((g->name = malloc(n)) == NULL)
      return SIZE_MAX;
    memcpy(g->name, name, n);
  }
  return prof.ngroups++;
}

static void object_add(const mp_event_t *ev, void *ptr, size_t size) {
  size_t gi = group_of(ev->name);
  struct object *o = gi != SIZE_MAX ? malloc(sizeof *o) : NULL;
  if (o == NULL) {
    prof.lost++;
    return;
  }
  struct group *g = &prof.groups[gi];
  g->allocs++;
  g->alloc_bytes += size;
  g->live_bytes += size;
  g->live_objects++;
  o->ptr = ptr;
  o->pool = ev->pool;
  o->size = size;
  o->group = gi;
  struct object **b = &prof.buckets[bucket_of(ptr)];
  o->next = *b;
  *b = o;
}

/* Unlinks *at, which is live no more, and frees it. */
static void object_end(struct object **at) {
  struct object *o = *at;
  struct group *g = &prof.groups[o->group];
  g->live_bytes -= o->size;
  g->live_objects--;
  *at = o->next;
  free(o);
}

static void object_drop(const mp_pool_t *pool, void *ptr) {
  for (struct object **at = &prof.buckets[bucket_of(ptr)]; *at != NULL;
       at = &(*at)->next)
    if ((*at)->ptr == ptr && (*at)->pool == pool) {
      object_end(at);
      return;
    }
}

/* Every object of the pool ends (a reset, a destroy). */
static void pool_drop(const mp_pool_t *pool) {
  for (size_t i = 0; i < BUCKETS; i++)
    for (struct object **at = &prof.buckets[i]; *at != NULL;)
      if ((*at)->pool == pool)
        object_end(at);
      else
        at = &(*at)->next;
}

static void on_event(const mp_event_t *ev, void *arg) {
  (void)arg;
  switch (ev->kind) {
  case MP_EVENT_ALLOC:
    object_add(ev, ev->ptr, ev->size);
    break;
  case MP_EVENT_FREE:
    object_drop(ev->pool, ev->ptr);
    break;
  case MP_EVENT_RESIZE: /* the old object ends, the new one is made */
    if (ev->old_ptr != NULL)
      object_drop(ev->pool, ev->old_ptr);
    object_add(ev, ev->ptr, ev->size);
    break;
  case MP_EVENT_RESET:
  case MP_EVENT_DESTROY:
    pool_drop(ev->pool);
    break;
  default: /* block events: the pools' own memory, not objects */
    break;
  }
}

static int by_live_bytes(const void *a, const void *b) {
  const struct group *x = a, *y = b;
  if (x->live_bytes != y->live_bytes)
    return x->live_bytes < y->live_bytes ? 1 : -1;
  if (x->allocs != y->allocs)
    return x->allocs < y->allocs ? 1 : -1;
  return strcmp(x->name != NULL ? x->name : "", y->name != NULL ? y->name : "");
}

/* Prints the profile sorted by live bytes; returns the live bytes summed. */
static size_t print_profile(const char *title) {
  struct group *sorted = malloc(prof.ngroups * sizeof *sorted + 1);
  if (sorted == NULL) {
    fprintf(stderr, "heap_profile: out of memory\n");
    exit(1);
  }
  if (prof.ngroups != 0)
    memcpy(sorted, prof.groups, prof.ngroups * sizeof *sorted);
  qsort(sorted, prof.ngroups, sizeof *sorted, by_live_bytes);
  printf("%s\n", title);
  printf("%-12s %12s %12s %12s %15s\n", "pool name", "live bytes",
         "live objects", "allocations", "bytes allocated");
  size_t live = 0;
  for (size_t i = 0; i < prof.ngroups; i++) {
    const struct group *g = &sorted[i];
    printf("%-12s %12zu %12zu %12zu %15zu\n",
           g->name != NULL ? g->name : "(unnamed)", g->live_bytes,
           g->live_objects, g->allocs, g->alloc_bytes);
    live += g->live_bytes;
  }
  if (prof.lost != 0)
    printf("(%zu events not recorded: out of memory)\n", prof.lost);
  free(sorted);
  return live;
}

static void profile_free(void) {
  for (size_t i = 0; i < BUCKETS; i++)
    while (prof.buckets[i] != NULL)
      object_end(&prof.buckets[i]);
  for (size_t i = 0; i < prof.ngroups; i++)
    free(prof.groups[i].name);
  free(prof.groups);
}

/* ---- the workload ---- */

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "heap_profile: failed: %s\n", #cond);                    \
      return 1;                                                                \
    }                                                                          \
  } while (0)

int main(void) {
  /* Before any pool: object events are decided at a pool's creation. */
  if (mpool_set_hook(on_event, NULL, MP_HOOK_OBJECTS) != 0) {
    perror("heap_profile: mpool_set_hook");
    return 1;
  }
  mp_pool_t *cache = mp_create_pool(0);
  mp_pool_t *scratch = mp_create_pool(0);
  mp_pool_t *loader = mp_create_pool(0);
  mp_pool_t *anon = mp_create_pool(0);
  CHECK(cache != NULL && scratch != NULL && loader != NULL && anon != NULL);
  CHECK(mp_pool_set_name(cache, "cache", NULL) == 0);
  CHECK(mp_pool_set_name(scratch, "scratch", NULL) == 0);
  CHECK(mp_pool_set_name(loader, "loading", "config.ini") == 0);

  /* The cache: 100 entries of 64 bytes, every other one freed (half with
   * mp_free, which tells no size), and 10 grown from 64 to 200 bytes. */
  void *entries[100];
  for (int i = 0; i < 100; i++)
    CHECK((entries[i] = mp_alloc(cache, 64)) != NULL);
  for (int i = 0; i < 100; i += 2)
    CHECK((i % 4 == 0 ? mp_free(cache, entries[i])
                      : mp_free_sized(cache, entries[i], 64)) == 0);
  for (int i = 1; i < 20; i += 2)
    CHECK((entries[i] = mp_realloc(cache, entries[i], 64, 200)) != NULL);
  /* live: 40 x 64 + 10 x 200 = 4560 bytes in 50 objects; 110 made */

  /* Requests: 20 pools named "request", each with a "parser" child, all
   * destroyed: nothing of them stays live. */
  for (int r = 0; r < 20; r++) {
    mp_pool_t *req = mp_create_pool(0);
    CHECK(req != NULL);
    mp_pool_t *parser = mp_create_child(req, 0);
    CHECK(parser != NULL);
    CHECK(mp_pool_set_name(req, "request", "GET /") == 0);
    CHECK(mp_pool_set_name(parser, "parser", NULL) == 0);
    CHECK(mp_alloc(req, 300) != NULL && mp_alloc(parser, 100) != NULL);
    CHECK(mp_strdup(parser, "Host") != NULL); /* 5 bytes */
    mp_destroy_pool(req);                     /* and the parser */
  }

  /* The loader is renamed once loaded: its first objects stay with
   * "loading", later ones go to "ready". */
  CHECK(mp_alloc(loader, 1000) != NULL && mp_alloc(loader, 24) != NULL);
  CHECK(mp_pool_set_name(loader, "ready", "config.ini") == 0);
  CHECK(mp_alloc(loader, 512) != NULL);

  /* The unnamed pool, and a pool whose name is taken away. */
  CHECK(mp_alloc(anon, 128) != NULL && mp_alloc(anon, 128) != NULL);
  mp_pool_t *was = mp_create_pool(0);
  CHECK(was != NULL && mp_pool_set_name(was, "temp", NULL) == 0);
  CHECK(mp_alloc(was, 40) != NULL);
  CHECK(mp_pool_set_name(was, NULL, NULL) == 0);
  CHECK(mp_alloc(was, 60) != NULL); /* (unnamed) */

  /* Scratch: 5 rounds of 10 allocations of 32 bytes, reset after each but
   * the last. */
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < 10; i++)
      CHECK(mp_alloc(scratch, 32) != NULL);
    if (round < 4)
      mp_reset_pool(scratch);
  }

  size_t live = print_profile("heap profile (live pools):");
  CHECK(live == 4560 + 1024 + 512 + 256 + 40 + 60 + 320);

  mp_destroy_pool(cache);
  mp_destroy_pool(scratch);
  mp_destroy_pool(loader);
  mp_destroy_pool(anon);
  mp_destroy_pool(was);
  CHECK(print_profile("heap profile (every pool destroyed):") == 0);
  CHECK(prof.lost == 0);
  mpool_set_hook(NULL, NULL, 0);
  profile_free();
  printf("heap_profile: ok\n");
  return 0;
}
