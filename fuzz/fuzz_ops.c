/*
 * Fuzz target: decodes the input into a bounded sequence of calls over up
 * to four pools (roots with assorted options, shared pools, pools with a
 * byte budget or on a caller buffer, children of them) and checks every live
 * object against a model after each step.
 *
 * Checked after every step: each live object still holds its own byte
 * pattern (so no allocation, free, realloc, reset or rewind scribbled on
 * it), is aligned as promised, overlaps no other live object, and lies in
 * its pool's buffer when the pool may not overflow; every cleanup has run
 * exactly as often as the model says (0 or 1 times); mp_stats() of the
 * pools on the counting allocator adds up to what that allocator holds;
 * every budgeted pool's budget_used equals what it and its descendants
 * hold and never exceeds its budget.  Marks are modelled by the order of
 * events: a rewind drops what was made on the pool after the mark (objects,
 * children, which are destroyed, and cleanups, which must have run).  At
 * the end every pool is destroyed and the counting allocator must hold
 * nothing.  A failure prints what went wrong and aborts.
 *
 * Built two ways: with libFuzzer (fuzz/run.sh), and with the plain
 * replay_main.c as a CTest test that replays fuzz/corpus/ in every test
 * configuration.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds: the run time of one input stays in milliseconds. */
#define MAX_OPS 300
#define MAX_SLOTS 4
#define MAX_OBJS 160
#define MAX_CLEANUPS 64
#define MAX_LIVE_BYTES ((size_t)64 << 10)
#define MAX_OBJ_SIZE ((size_t)24 << 10)
#define TA_MAX_BLOCKS 256
#define MAX_MARKS 8
#define MAX_STALE 8
#define BUF_BYTES ((size_t)72 << 10)
#define NAME_LEN 40     /* longest name or identifier the fuzzer sets */
#define MAX_EVENTS 2048 /* events one operation may log */
#define MAX_BLK 16      /* pools whose block events are balanced */
#define TREE_BYTES ((size_t)16 << 10) /* more than any tree's text */

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "fuzz_ops: %s:%d: check failed: %s (op %d)\n", __FILE__, \
              __LINE__, #cond, cur_op);                                        \
      abort();                                                                 \
    }                                                                          \
  } while (0)

static int cur_op;

/* ---- Input reader ---------------------------------------------------- */

typedef struct {
  const uint8_t *p, *end;
} reader_t;

static unsigned rd8(reader_t *r) { return r->p < r->end ? *r->p++ : 0; }
static unsigned rd16(reader_t *r) {
  unsigned lo = rd8(r);
  return lo | rd8(r) << 8;
}

/* A size: mostly small, sometimes around node and threshold boundaries,
 * sometimes large; never above MAX_OBJ_SIZE. */
static size_t rd_size(reader_t *r) {
  unsigned c = rd8(r);
  switch (c >> 6) {
  case 0:
    return c & 63; /* 0..63 */
  case 1:
    return rd8(r) + ((c & 15u) << 4); /* 0..495 */
  case 2:
    return rd16(r) % 4200; /* around a node */
  default:
    return rd16(r) % (MAX_OBJ_SIZE + 1); /* large */
  }
}

/* ---- Counting, failing backing allocator ------------------------------ */

typedef struct {
  mp_allocator_t a;
  long calls, fail_at;
  size_t live_bytes, live_blocks;
  struct {
    void *p;
    size_t size;
  } b[TA_MAX_BLOCKS];
} ta_t;

static ta_t ta;

static void *ta_alloc(void *ud, size_t size, size_t align) {
  ta_t *t = ud;
  CHECK(size > 0 && align >= 16 && (align & (align - 1)) == 0);
  if (t->calls++ == t->fail_at)
    return NULL;
  for (size_t i = 0; i < TA_MAX_BLOCKS; i++) {
    if (t->b[i].p == NULL) {
      void *p = NULL;
      if (posix_memalign(&p, align, size) != 0)
        return NULL;
      t->b[i].p = p;
      t->b[i].size = size;
      t->live_bytes += size;
      t->live_blocks++;
      return p;
    }
  }
  return NULL; /* out of slots: a failure like any other */
}

static void ta_free(void *ud, void *p, size_t size) {
  ta_t *t = ud;
  for (size_t i = 0; i < TA_MAX_BLOCKS; i++) {
    if (t->b[i].p == p) {
      CHECK(t->b[i].size == size);
      t->b[i].p = NULL;
      t->live_bytes -= size;
      t->live_blocks--;
      free(p);
      return;
    }
  }
  CHECK(!"free of a block the allocator never gave");
}

/* ---- Model ------------------------------------------------------------ */

enum kind { K_ALLOC, K_NALLOC, K_CALLOC, K_MEMALIGN, K_STR, K_OBJ };

typedef struct {
  int slot; /* -1: free entry */
  enum kind kind;
  unsigned char *p;
  size_t size;  /* bytes requested */
  size_t align; /* promised alignment */
  unsigned seed;
  unsigned long tick; /* when it was made (or last moved or resized) */
} obj_t;

typedef struct {
  mp_mark_t *m;
  unsigned long tick; /* everything made later goes at its rewind */
} mark_t;

typedef struct {
  mp_pool_t *pool; /* NULL: empty slot */
  int parent;      /* slot of the parent, or -1 */
  int headers, uses_ta;
  int limited;        /* it or an ancestor has a budget or a buffer: ENOMEM */
  size_t budget;      /* its own budget, or 0 */
  unsigned char *buf; /* the buffer it must stay in (no overflow), or NULL */
  size_t buf_size;
  unsigned long tick; /* when it was created */
  size_t align;       /* the pool's alignment */
  mp_objpool_t *op;
  size_t op_size, op_align;
  mark_t marks[MAX_MARKS]; /* outstanding, oldest first */
  int nmarks;
  int shared;                /* MP_POOL_SHARED */
  int hook_on, hook_objects; /* its own hook (mp_pool_set_hook()) */
  int born_hooked;         /* created under a MP_HOOK_OBJECTS mpool_set_hook */
  int has_name, has_ident; /* mp_pool_set_name(): the model's copies */
  char name[NAME_LEN + 1], ident[NAME_LEN + 1];
} slot_t;

/* A cleanup's data lives in its pool: the cleanup checks it is intact. */
typedef struct {
  int id;
  unsigned char tag[12];
} cdata_t;

typedef struct {
  int slot; /* -1: not registered (any more) */
  mp_cleanup_t *h;
  int expect; /* times it must have run */
  unsigned long tick;
} cleanup_t;

static slot_t slots[MAX_SLOTS];
static obj_t objs[MAX_OBJS];
static cleanup_t cls[MAX_CLEANUPS];
static int ran[MAX_CLEANUPS];
static int ncls;
static size_t live_bytes;
static unsigned next_seed;
static unsigned long tick;          /* counts the events marks order */
static mp_mark_t *stale[MAX_STALE]; /* marks dropped by rewinds and resets */
static int nstale;
static long oom_calls, oom_before; /* on_oom calls: all, and before the op */
static unsigned char bufmem[MAX_SLOTS][BUF_BYTES];

/* Every pool's out-of-memory hook (children inherit it): counts, and reads
 * the pool's statistics, as the hook may. */
static void on_oom(mp_pool_t *pool, size_t size, void *ud) {
  CHECK(ud == &oom_calls && size > 0);
  mp_stats_t st = {.size = sizeof st};
  CHECK(mp_stats(pool, &st, 0) == 0);
  oom_calls++;
}

/* ---- Allocation events (mp_pool_set_hook(), mpool_set_hook()) --------- */

/* Every event a hook hears during one operation, in order: src 0 is a
 * pool's own hook, 1 the process-wide one. */
typedef struct {
  int src, kind;
  const mp_pool_t *pool;
  void *ptr, *old;
  size_t size, old_size;
} event_t;

static event_t evs[MAX_EVENTS];
static int nev, ev_lost;
static int hook_tag[2];     /* the hooks' arguments: which hook heard it */
static int g_on, g_objects; /* the process-wide hook, as the model set it */
static int in_naming, in_hooking, creating; /* what the operation does */

/* What the operation's object events must be (set by the operations that
 * know): n[src] events of one kind, or none; and the DESTROY and RESET
 * events each hook must hear. */
static struct {
  int set, n[2], kind;
  const mp_pool_t *pool;
  void *ptr, *old;
  size_t size, old_size;
} ex;
static int ex_destroy[2], ex_reset[2];

/* Block events the process-wide hook told, per pool: acquired less
 * released.  `complete` when the first one it heard was the pool's
 * creation (the hook was on since): then all of them must balance by the
 * time the pool is gone. */
typedef struct {
  const mp_pool_t *pool;
  long long net;
  int complete;
} blk_t;

static blk_t blk[MAX_BLK];
static int nblk, blk_lost;

static int slot_of(const mp_pool_t *p) {
  for (int s = 0; s < MAX_SLOTS; s++)
    if (slots[s].pool != NULL && slots[s].pool == p)
      return s;
  return -1;
}

static void blk_note(const mp_event_t *ev) {
  int i = 0;
  while (i < nblk && blk[i].pool != ev->pool)
    i++;
  if (i == nblk) {
    if (nblk == MAX_BLK) {
      blk_lost = 1;
      return;
    }
    blk[nblk++] = (blk_t){ev->pool, 0, creating && slot_of(ev->pool) < 0};
  }
  if (ev->kind == MP_EVENT_BLOCK_ACQUIRE)
    blk[i].net += (long long)ev->size;
  else
    blk[i].net -= (long long)ev->size;
}

/* Both hooks: check what can be checked while the event's strings live,
 * and log it. */
static void on_event(const mp_event_t *ev, void *arg) {
  int src = arg == &hook_tag[1];
  CHECK(arg == &hook_tag[0] || src);
  CHECK(ev->kind >= MP_EVENT_BLOCK_ACQUIRE && ev->kind <= MP_EVENT_DESTROY);
  CHECK(ev->pool != NULL);
  int s = slot_of(ev->pool);
  if (s >= 0 && !in_naming) { /* named as the model named it */
    if (slots[s].has_name)
      CHECK(ev->name != NULL && strcmp(ev->name, slots[s].name) == 0);
    else
      CHECK(ev->name == NULL);
  }
  if (s >= 0 && src == 0 && !in_hooking)
    CHECK(slots[s].hook_on);
  if (ev->kind <= MP_EVENT_BLOCK_RELEASE) {
    CHECK(ev->ptr != NULL && ev->size > 0);
    if (src == 1)
      blk_note(ev);
  }
  if (nev == MAX_EVENTS) {
    ev_lost = 1;
    return;
  }
  evs[nev++] = (event_t){src,         ev->kind, ev->pool,    ev->ptr,
                         ev->old_ptr, ev->size, ev->old_size};
}

/* Whether slot s's own hook, and the process-wide hook, hear its object
 * events: the pool's hook when set with MP_HOOK_OBJECTS; the process-wide
 * one when it has MP_HOOK_OBJECTS and the pool's calls reach the library
 * (created under such a hook, or a pool hook with objects).  Shared pools
 * tell block events only. */
static int hears(int s, int src) {
  const slot_t *sl = &slots[s];
  if (src == 0)
    return sl->hook_on && sl->hook_objects;
  return g_on && g_objects && !sl->shared &&
         (sl->born_hooked || sl->hook_objects);
}

static void expect_obj(int s, int kind, void *ptr, size_t size, void *old,
                       size_t old_size) {
  ex.set = 1;
  ex.kind = kind;
  ex.pool = slots[s].pool;
  ex.ptr = ptr;
  ex.size = size;
  ex.old = old;
  ex.old_size = old_size;
  for (int i = 0; i < 2; i++)
    ex.n[i] = hears(s, i);
}

static void expect_none(void) {
  ex.set = 1;
  ex.n[0] = ex.n[1] = 0;
}

/* Slot s and its descendants are about to be destroyed: a pool's own
 * hook with MP_HOOK_OBJECTS hears its DESTROY, and a process-wide hook
 * with MP_HOOK_OBJECTS hears every pool's (a destroy reaches the library
 * whatever the pool's calls do, shared pools' too). */
static void expect_destroy(int s) {
  for (int c = 0; c < MAX_SLOTS; c++)
    if (slots[c].pool != NULL && slots[c].parent == s)
      expect_destroy(c);
  ex_destroy[0] += hears(s, 0);
  ex_destroy[1] += g_on && g_objects;
}

static void expect_destroy_children(int s) {
  for (int c = 0; c < MAX_SLOTS; c++)
    if (slots[c].pool != NULL && slots[c].parent == s)
      expect_destroy(c);
}

static void expect_reset(int s) {
  for (int i = 0; i < 2; i++)
    ex_reset[i] += hears(s, i);
}

static void events_begin(void) {
  nev = ev_lost = 0;
  memset(&ex, 0, sizeof ex);
  memset(ex_destroy, 0, sizeof ex_destroy);
  memset(ex_reset, 0, sizeof ex_reset);
}

/* After every operation: the object events are those the operation's
 * calls make (operations that set no expectation may make ALLOC events
 * only: object pools and marks take objects of their own); the DESTROY
 * and RESET events those of the pools it destroyed and reset; and every
 * pool gone whose block events the process-wide hook heard from its
 * creation on gave back all it took. */
static void check_events(void) {
  if (!ev_lost) {
    int nobj[2] = {0, 0}, ndes[2] = {0, 0}, nres[2] = {0, 0};
    for (int i = 0; i < nev; i++) {
      const event_t *e = &evs[i];
      if (e->kind == MP_EVENT_DESTROY) {
        ndes[e->src]++;
      } else if (e->kind == MP_EVENT_RESET) {
        nres[e->src]++;
      } else if (e->kind >= MP_EVENT_ALLOC) {
        nobj[e->src]++;
        if (ex.set) {
          CHECK(e->kind == ex.kind && e->pool == ex.pool);
          CHECK(e->ptr == ex.ptr && e->size == ex.size);
          CHECK(e->old == ex.old && e->old_size == ex.old_size);
        } else {
          CHECK(e->kind == MP_EVENT_ALLOC);
        }
      }
    }
    for (int i = 0; i < 2; i++) {
      if (ex.set)
        CHECK(nobj[i] == ex.n[i]);
      if (ndes[i] != ex_destroy[i] || nres[i] != ex_reset[i])
        fprintf(stderr,
                "fuzz_ops: hook %d heard %d destroys, %d resets; "
                "%d and %d expected\n",
                i, ndes[i], nres[i], ex_destroy[i], ex_reset[i]);
      CHECK(ndes[i] == ex_destroy[i]);
      CHECK(nres[i] == ex_reset[i]);
    }
  }
  for (int i = 0; i < nblk; i++) {
    if (blk_lost || !blk[i].complete)
      continue;
    CHECK(blk[i].net >= 0);
    if (slot_of(blk[i].pool) < 0) { /* gone: everything given back */
      if (blk[i].net != 0)
        fprintf(stderr, "fuzz_ops: pool %p: %lld block bytes not released\n",
                (const void *)blk[i].pool, blk[i].net);
      CHECK(blk[i].net == 0);
    }
  }
  int k = 0; /* forget the pools that are gone */
  for (int i = 0; i < nblk; i++)
    if (slot_of(blk[i].pool) >= 0)
      blk[k++] = blk[i];
  nblk = k;
}

/* A new pool in slot s: under a process-wide hook with objects, its
 * calls reach the library for good (shared pools excepted). */
static void slot_born(int s) {
  slots[s].born_hooked = g_on && g_objects && !slots[s].shared;
}

static void drop_mark(mp_mark_t *m) { stale[nstale++ % MAX_STALE] = m; }

/* Object contents: a slice of one pseudo-random table, starting at an
 * offset the object's seed picks, so that filling is a memcpy and checking
 * a memcmp (a byte loop here, compiled with the fuzzer's comparison
 * tracing, cost nine tenths of the run time). */
#define PAT_PERIOD 4093u /* prime: slices of nearby seeds differ */
static unsigned char pattern[PAT_PERIOD + MAX_OBJ_SIZE + 1];

static void pattern_init(void) {
  uint32_t x = 0x9e3779b9u;
  for (size_t i = 0; i < sizeof pattern; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32 */
    pattern[i] = (unsigned char)(x >> 24);
  }
}

static const unsigned char *pat(unsigned seed) {
  return pattern + seed % PAT_PERIOD;
}

static void fill(obj_t *o) { memcpy(o->p, pat(o->seed), o->size); }

/* Whether the first n bytes at q are still those of seed's slice; names
 * the first changed byte if not. */
static void verify_bytes(const unsigned char *q, size_t n, unsigned seed,
                         const obj_t *o) {
  const unsigned char *want = pat(seed);
  if (n == 0 || memcmp(q, want, n) == 0)
    return;
  size_t i = 0;
  while (q[i] == want[i])
    i++;
  fprintf(stderr,
          "fuzz_ops: object %p (kind %d, %zu bytes) byte %zu "
          "is %02x, not %02x\n",
          (void *)o->p, (int)o->kind, o->size, i, q[i], want[i]);
  CHECK(!"object contents changed");
}

static void verify(const obj_t *o) {
  verify_bytes(o->p, o->size, o->seed, o);
  CHECK(((uintptr_t)o->p & (o->align - 1)) == 0);
}

static void cleanup_fn(void *data) {
  cdata_t *d = data;
  CHECK(d->id >= 0 && d->id < MAX_CLEANUPS);
  for (size_t i = 0; i < sizeof d->tag; i++)
    CHECK(d->tag[i] == (unsigned char)(d->id + i)); /* pool memory intact */
  ran[d->id]++;
}

static obj_t *new_obj(int slot, enum kind k, void *p, size_t size,
                      size_t align) {
  for (int i = 0; i < MAX_OBJS; i++) {
    if (objs[i].slot < 0) {
      obj_t *o = &objs[i];
      o->slot = slot;
      o->kind = k;
      o->p = p;
      o->size = size;
      o->align = align;
      o->seed = next_seed++ * 0x9e3779b9u >> 7;
      o->tick = ++tick;
      live_bytes += size;
      return o;
    }
  }
  return NULL; /* callers check room first */
}

static int obj_room(size_t size) {
  if (live_bytes + size > MAX_LIVE_BYTES)
    return 0;
  for (int i = 0; i < MAX_OBJS; i++)
    if (objs[i].slot < 0)
      return 1;
  return 0;
}

static void drop_obj(obj_t *o) {
  live_bytes -= o->size;
  o->slot = -1;
}

/* The pool's memory is gone (reset or destroy): forget its objects and
 * objpool, and expect its cleanups to have run. */
static void forget_pool_memory(int s) {
  for (int i = 0; i < MAX_OBJS; i++)
    if (objs[i].slot == s)
      drop_obj(&objs[i]);
  for (int i = 0; i < ncls; i++)
    if (cls[i].slot == s) {
      cls[i].slot = -1;
      cls[i].expect++;
    }
  slots[s].op = NULL;
  for (int i = 0; i < slots[s].nmarks; i++)
    drop_mark(slots[s].marks[i].m);
  slots[s].nmarks = 0;
}

/* Slot s was destroyed (by a call on it or on an ancestor). */
static void forget_subtree(int s) {
  for (int c = 0; c < MAX_SLOTS; c++)
    if (slots[c].pool != NULL && slots[c].parent == s)
      forget_subtree(c);
  forget_pool_memory(s);
  slots[s].pool = NULL;
  slots[s].parent = -1;
}

static void forget_children(int s) {
  for (int c = 0; c < MAX_SLOTS; c++)
    if (slots[c].pool != NULL && slots[c].parent == s)
      forget_subtree(c);
}

static int cmp_obj(const void *a, const void *b) {
  const obj_t *x = *(obj_t *const *)a, *y = *(obj_t *const *)b;
  return x->p < y->p ? -1 : x->p > y->p;
}

static void check_names(int s);

static void check_all(void) {
  obj_t *live[MAX_OBJS];
  int n = 0;
  for (int i = 0; i < MAX_OBJS; i++) {
    if (objs[i].slot >= 0) {
      const slot_t *sl = &slots[objs[i].slot];
      CHECK(sl->pool != NULL);
      verify(&objs[i]);
      if (sl->buf != NULL) /* a buffer pool without overflow stays in it */
        CHECK(objs[i].p >= sl->buf && objs[i].size <= sl->buf_size &&
              (size_t)(objs[i].p - sl->buf) <= sl->buf_size - objs[i].size);
      live[n++] = &objs[i];
    }
  }
  /* No two live objects overlap (a size-0 object counts as one byte). */
  qsort(live, (size_t)n, sizeof live[0], cmp_obj);
  for (int i = 1; i < n; i++) {
    size_t len = live[i - 1]->size ? live[i - 1]->size : 1;
    if (live[i - 1]->p + len > live[i]->p) {
      fprintf(stderr, "fuzz_ops: %p+%zu (kind %d) overlaps %p (kind %d)\n",
              (void *)live[i - 1]->p, live[i - 1]->size, (int)live[i - 1]->kind,
              (void *)live[i]->p, (int)live[i]->kind);
      CHECK(!"live objects overlap");
    }
  }
  for (int i = 0; i < ncls; i++)
    CHECK(ran[i] == cls[i].expect);
  for (int s = 0; s < MAX_SLOTS; s++)
    if (slots[s].pool != NULL)
      check_names(s);
  /* The pools on the counting allocator account for all it holds. */
  size_t reserved = 0;
  for (int s = 0; s < MAX_SLOTS; s++) {
    if (slots[s].pool != NULL && slots[s].parent < 0 && slots[s].uses_ta) {
      mp_stats_t st = {.size = sizeof st};
      CHECK(mp_stats(slots[s].pool, &st, MP_STATS_CHILDREN) == 0);
      reserved += st.bytes_reserved;
    }
  }
  CHECK(reserved == ta.live_bytes);
  /* Budgets: exact, and never crossed. */
  for (int s = 0; s < MAX_SLOTS; s++) {
    if (slots[s].pool != NULL && slots[s].budget != 0) {
      mp_stats_t st = {.size = sizeof st};
      CHECK(mp_stats(slots[s].pool, &st, MP_STATS_CHILDREN) == 0);
      CHECK(st.budget == slots[s].budget);
      CHECK(st.budget_used <= st.budget);
      CHECK(st.budget_used == st.bytes_reserved);
    }
  }
}

/* A NULL result must come with ENOMEM from a pool on the counting
 * allocator, under a budget or on a buffer (every request the fuzzer makes
 * is otherwise valid), and the hook must have heard of it, once. */
static void check_fail_nohook(int s, int err) {
  CHECK(slots[s].uses_ta || slots[s].limited);
  if (err != ENOMEM)
    fprintf(stderr, "fuzz_ops: errno %d\n", err);
  CHECK(err == ENOMEM);
}

static void check_fail(int s, int err) {
  check_fail_nohook(s, err);
  CHECK(oom_calls == oom_before + 1);
}

static int pick_slot(reader_t *r) {
  int start = (int)(rd8(r) % MAX_SLOTS);
  for (int i = 0; i < MAX_SLOTS; i++) {
    int s = (start + i) % MAX_SLOTS;
    if (slots[s].pool != NULL)
      return s;
  }
  return -1;
}

static obj_t *pick_obj(reader_t *r) {
  int start = (int)(rd8(r) % MAX_OBJS);
  for (int i = 0; i < MAX_OBJS; i++) {
    obj_t *o = &objs[(start + i) % MAX_OBJS];
    if (o->slot >= 0)
      return o;
  }
  return NULL;
}

static int free_slot(void) {
  for (int s = 0; s < MAX_SLOTS; s++)
    if (slots[s].pool == NULL)
      return s;
  return -1;
}

/* ---- Operations ------------------------------------------------------- */

/* A root pool; `extra` adds creation flags (MP_POOL_SHARED). */
static void create_root(reader_t *r, unsigned extra) {
  int s = free_slot();
  unsigned f = rd8(r);
  if (s < 0)
    return;
  static const size_t nodes[] = {0, 1024, 2048, 4096};
  static const size_t aligns[] = {0, 16, 32, 64};
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = nodes[f & 3];
  o.alignment = aligns[(f >> 2) & 3];
  o.flags = (f & 16) ? MP_POOL_SIZE_HEADERS : 0;
  if (f & 128) /* a bit older inputs left clear */
    o.flags |= MP_POOL_ADAPTIVE | MP_POOL_WIPE;
  o.flags |= extra | MP_POOL_EXACT_NODES; /* small nodes: more boundaries */
  o.large_threshold = (f & 32) ? 300 : 0;
  o.allocator = (f & 64) ? &ta.a : NULL;
  o.on_oom = on_oom;
  o.oom_ud = &oom_calls;
  errno = 0;
  creating = 1;
  mp_pool_t *p = mp_create_pool_ex(&o);
  creating = 0;
  if (p == NULL) {
    CHECK(o.allocator != NULL && errno == ENOMEM);
    return;
  }
  slots[s] =
      (slot_t){.pool = p,
               .parent = -1,
               .shared = (extra & MP_POOL_SHARED) != 0,
               .headers = (f & 16) != 0,
               .uses_ta = o.allocator != NULL,
               .tick = ++tick,
               .align = o.alignment ? o.alignment : _Alignof(max_align_t)};
  if (slots[s].align < 16)
    slots[s].align = 16;
  CHECK(mp_pool_parent(p) == NULL);
  slot_born(s);
}

static void op_create(reader_t *r) { create_root(r, 0); }

/* A shared pool, used by this one thread: every call goes through its
 * lock and its handle. */
static void op_create_shared(reader_t *r) { create_root(r, MP_POOL_SHARED); }

static void op_child(reader_t *r) {
  int ps = pick_slot(r);
  unsigned f = rd8(r);
  int s = free_slot();
  if (ps < 0 || s < 0)
    return;
  mp_pool_t *c;
  int headers = 0;
  size_t align = 16, budget = 0;
  errno = 0;
  creating = 1;
  if (f & 1) {
    c = mp_create_child(slots[ps].pool, (f & 2) ? 1024 : 0);
  } else {
    mp_options_t o;
    mp_options_init(&o);
    o.parent = slots[ps].pool;
    o.node_size = (f & 2) ? 1024 : 2048;
    o.alignment = (f & 4) ? 64 : 0;
    o.flags = (f & 8) ? MP_POOL_SIZE_HEADERS : 0;
    if (f & 32)
      o.flags |= MP_POOL_ADAPTIVE;
    if (f & 64)
      o.flags |= MP_POOL_WIPE;
    o.flags |= MP_POOL_EXACT_NODES;
    o.allocator = (f & 16) && slots[ps].uses_ta ? &ta.a : NULL;
    if (f & 128) /* a budget of its own: a few nodes */
      o.budget = budget = o.node_size * (3 + (f & 3));
    headers = (f & 8) != 0;
    align = (f & 4) ? 64 : 16;
    c = mp_create_pool_ex(&o);
  }
  creating = 0;
  if (c == NULL) {
    /* Once: the hook of an ancestor whose budget the child would cross,
     * or else the child's own (its parent's), named by the parent. */
    CHECK(slots[ps].uses_ta || slots[ps].limited);
    CHECK(errno == ENOMEM);
    CHECK(oom_calls == oom_before + 1);
    return;
  }
  CHECK(mp_pool_parent(c) == slots[ps].pool);
  slots[s] = (slot_t){.pool = c,
                      .parent = ps,
                      .headers = headers,
                      .uses_ta = slots[ps].uses_ta,
                      .limited = slots[ps].limited || budget != 0,
                      .budget = budget,
                      .buf = slots[ps].buf,
                      .buf_size = slots[ps].buf_size,
                      .tick = ++tick,
                      .align = align};
  slot_born(s);
}

/* A root pool with a byte budget, on a caller buffer, or both. */
static void op_create_limited(reader_t *r) {
  int s = free_slot();
  unsigned f = rd8(r), g = rd8(r), h = rd8(r);
  if (s < 0)
    return;
  static const size_t nodes[] = {0, 1024, 2048, 4096};
  mp_options_t o;
  mp_options_init(&o);
  o.node_size = nodes[(f >> 2) & 3];
  o.flags = (f & 16) ? MP_POOL_SIZE_HEADERS : 0;
  if (f & 32)
    o.flags |= MP_POOL_ADAPTIVE | MP_POOL_WIPE;
  o.flags |= MP_POOL_EXACT_NODES;
  o.large_threshold = (f & 128) ? 300 : 0;
  o.on_oom = on_oom;
  o.oom_ud = &oom_calls;
  unsigned kind = f & 3; /* budget, buffer, buffer + overflow, both */
  if (kind == 0 || kind == 3)
    o.budget = ((size_t)g + 1) * 1024;
  if (kind != 0) {
    o.buffer = bufmem[s] + (h & 63); /* any alignment */
    o.buffer_size = MP_MIN_BUFFER_SIZE + (size_t)g * 256;
    if (o.buffer_size > BUF_BYTES - 64)
      o.buffer_size = BUF_BYTES - 64;
    if (o.node_size == 0 || (h & 64))
      o.node_size = 0; /* sized from the buffer */
    if (kind == 2)
      o.flags |= MP_POOL_BUFFER_OVERFLOW; /* to the C library */
  }
  /* The counting allocator only where no buffer is: its accounting check
   * sums the bytes pools reserve, buffer nodes included. */
  o.allocator = (f & 64) && kind == 0 ? &ta.a : NULL;
  errno = 0;
  creating = 1;
  mp_pool_t *p = mp_create_pool_ex(&o);
  creating = 0;
  if (p == NULL) {
    if (errno == EINVAL) /* a buffer too small for one node */
      CHECK(o.buffer != NULL &&
            o.buffer_size < 2 * o.node_size + MP_MIN_BUFFER_SIZE);
    else /* a budget below the first node, or the allocator failed */
      CHECK(errno == ENOMEM && (o.budget != 0 || o.allocator != NULL));
    return;
  }
  slots[s] = (slot_t){
      .pool = p,
      .parent = -1,
      .headers = (f & 16) != 0,
      .uses_ta = o.allocator != NULL,
      .limited = 1,
      .budget = o.budget,
      .tick = ++tick,
      .align = _Alignof(max_align_t) < 16 ? 16 : _Alignof(max_align_t)};
  if (kind == 1 || kind == 3) {
    slots[s].buf = o.buffer;
    slots[s].buf_size = o.buffer_size;
  }
  CHECK(mp_pool_parent(p) == NULL);
  slot_born(s);
}

static void op_alloc(reader_t *r, unsigned code) {
  int s = pick_slot(r);
  size_t n = rd_size(r);
  unsigned a = rd8(r);
  if (s < 0 || !obj_room(n))
    return;
  mp_pool_t *p = slots[s].pool;
  enum kind k;
  size_t align = slots[s].align;
  void *q;
  errno = 0;
  switch (code % 4) {
  case 0:
    k = K_ALLOC;
    q = mp_alloc(p, n);
    break;
  case 1:
    k = K_NALLOC;
    q = mp_nalloc(p, n);
    align = slots[s].headers ? 16 : 1;
    break;
  case 2:
    k = K_CALLOC;
    q = (a & 1) ? mp_calloc(p, n) : mp_calloc_array(p, n ? 1 : 0, n);
    break;
  default:
    k = K_MEMALIGN;
    align = (size_t)8 << (a % 11); /* 8 .. 8 KiB */
    q = mp_memalign(p, n, align);
    break;
  }
  if (q == NULL) {
    check_fail(s, errno);
    expect_none();
    return;
  }
  expect_obj(s, MP_EVENT_ALLOC, q, n, NULL, 0);
  if (k == K_CALLOC)
    for (size_t i = 0; i < n; i++)
      CHECK(((unsigned char *)q)[i] == 0);
  obj_t *o = new_obj(s, k, q, n, align);
  fill(o);
}

static void op_string(reader_t *r) {
  int s = pick_slot(r);
  unsigned f = rd8(r);
  size_t n = rd_size(r) % 2000;
  if (s < 0 || !obj_room(n + 1))
    return;
  static char src[2001];
  memset(src, 'a' + (int)(f % 26), n);
  src[n] = '\0';
  mp_pool_t *p = slots[s].pool;
  char *q;
  size_t len = n;
  errno = 0;
  switch (f % 5) {
  case 0:
    q = mp_strdup(p, src);
    break;
  case 1:
    q = mp_strndup(p, src, n / 2);
    len = n / 2;
    break;
  case 2:
    q = mp_printf(p, "%s", src);
    break;
  case 3:
    q = mp_printf(p, "%zu:%s", n, src);
    len = (size_t)snprintf(NULL, 0, "%zu:", n) + n;
    break;
  default: {
    const char *parts[] = {src, src};
    q = mp_join(p, parts, 2, "/");
    len = 2 * n + 1;
    break;
  }
  }
  if (q == NULL) {
    check_fail(s, errno);
    expect_none();
    return;
  }
  expect_obj(s, MP_EVENT_ALLOC, q, len + 1, NULL, 0);
  CHECK(strlen(q) == len);
  obj_t *o = new_obj(s, K_STR, q, len + 1, 1);
  fill(o);
}

static void op_free(reader_t *r) {
  obj_t *o = pick_obj(r);
  if (o == NULL || o->kind == K_OBJ)
    return;
  verify(o);
  CHECK(mp_free(slots[o->slot].pool, o->p) == 0);
  expect_obj(o->slot, MP_EVENT_FREE, o->p, 0, NULL, 0);
  drop_obj(o);
}

static void op_free_sized(reader_t *r) {
  obj_t *o = pick_obj(r);
  if (o == NULL || o->kind == K_OBJ || o->kind == K_STR)
    return;
  verify(o);
  CHECK(mp_free_sized(slots[o->slot].pool, o->p, o->size) == 0);
  expect_obj(o->slot, MP_EVENT_FREE, o->p, o->size, NULL, 0);
  drop_obj(o);
}

static void op_realloc(reader_t *r, int unsized) {
  obj_t *o = pick_obj(r);
  size_t n = rd_size(r);
  if (o == NULL || o->kind == K_OBJ || o->kind == K_STR)
    return;
  if (n > o->size && !obj_room(n - o->size))
    return;
  int s = o->slot;
  mp_pool_t *p = slots[s].pool;
  verify(o);
  errno = 0;
  unsigned char *q = unsized ? mp_realloc_unsized(p, o->p, n)
                             : mp_realloc(p, o->p, o->size, n);
  if (q == NULL) {
    expect_none();
    if (unsized && !slots[s].headers && errno == EINVAL)
      return;           /* a small object of a pool without headers */
    CHECK(n > o->size); /* shrinking never fails */
    check_fail(s, errno);
    verify(o); /* left intact */
    return;
  }
  verify_bytes(q, n < o->size ? n : o->size, o->seed, o);
  expect_obj(s, MP_EVENT_RESIZE, q, n, o->p, unsized ? 0 : o->size);
  live_bytes += n;
  live_bytes -= o->size;
  o->p = q;
  o->size = n;
  if (o->kind == K_NALLOC)
    o->align = slots[s].headers ? 16 : 1;
  else
    o->align = slots[s].align;
  o->kind = o->kind == K_NALLOC ? K_NALLOC : K_ALLOC;
  o->seed = next_seed++ * 0x9e3779b9u >> 7;
  o->tick = ++tick; /* may now lie after an outstanding mark */
  fill(o);
}

/* mp_free() and mp_free_sized() on pointers that are not the pool's. */
static void op_foreign(reader_t *r) {
  int s = pick_slot(r);
  obj_t *o = pick_obj(r);
  unsigned f = rd8(r);
  /* Hardened and debug builds abort on these instead (tests/test_hardened.c,
   * tests/test_debug.c). */
  if (s < 0 ||
      (mpool_build_flags() & (MPOOL_BUILD_HARDENED | MPOOL_BUILD_DEBUG)))
    return;
  mp_pool_t *p = slots[s].pool;
  static unsigned char outside[64];
  void *q = outside + (f & 31);
  if (o != NULL && o->slot != s && o->kind != K_OBJ)
    q = o->p; /* a live object of another pool */
  errno = 0;
  if (f & 128) {
    CHECK(mp_free_sized(p, q, 16) == -1);
  } else {
    CHECK(mp_free(p, q) == -1);
  }
  CHECK(errno == EINVAL);
}

static void op_cleanup(reader_t *r) {
  int s = pick_slot(r);
  unsigned f = rd8(r);
  if (s < 0)
    return;
  if ((f & 3) != 0 || ncls == MAX_CLEANUPS) { /* remove or run one */
    int start = (int)(rd8(r) % (ncls ? ncls : 1));
    for (int i = 0; i < ncls; i++) {
      cleanup_t *c = &cls[(start + i) % ncls];
      if (c->slot < 0)
        continue;
      if (f & 1) {
        CHECK(mp_cleanup_run(slots[c->slot].pool, c->h) == 0);
        c->expect++;
      } else {
        CHECK(mp_cleanup_remove(slots[c->slot].pool, c->h) == 0);
      }
      c->slot = -1;
      return;
    }
    return;
  }
  mp_pool_t *p = slots[s].pool;
  errno = 0;
  cdata_t *d = mp_alloc(p, sizeof *d);
  if (d == NULL) {
    check_fail(s, errno);
    expect_none();
    return;
  }
  expect_obj(s, MP_EVENT_ALLOC, d, sizeof *d, NULL, 0); /* the record: none */
  d->id = ncls;
  for (size_t i = 0; i < sizeof d->tag; i++)
    d->tag[i] = (unsigned char)(d->id + i);
  mp_cleanup_t *h = mp_cleanup_add(p, cleanup_fn, d);
  if (h == NULL) {
    check_fail(s, errno);
    return;
  }
  cls[ncls++] = (cleanup_t){.slot = s, .h = h, .expect = 0, .tick = ++tick};
}

static void op_objpool(reader_t *r) {
  int s = pick_slot(r);
  unsigned f = rd8(r);
  if (s < 0)
    return;
  slot_t *sl = &slots[s];
  if (sl->op == NULL) {
    size_t size = (rd_size(r) % 600);
    size_t align = (f & 1) ? (size_t)8 << (f >> 1) % 4 : 0;
    errno = 0;
    sl->op = mp_objpool_create(sl->pool, size, align);
    if (sl->op == NULL) {
      check_fail(s, errno);
      return;
    }
    sl->op_size = size;
    sl->op_align = align > sl->align ? align : sl->align;
    return;
  }
  if (f & 1) { /* put one back */
    int start = (int)(rd8(r) % MAX_OBJS);
    for (int i = 0; i < MAX_OBJS; i++) {
      obj_t *o = &objs[(start + i) % MAX_OBJS];
      if (o->slot == s && o->kind == K_OBJ) {
        verify(o);
        CHECK(mp_objpool_put(sl->op, o->p) == 0);
        drop_obj(o);
        return;
      }
    }
    return;
  }
  if (!obj_room(sl->op_size))
    return;
  errno = 0;
  void *q = mp_objpool_get(sl->op);
  if (q == NULL) {
    check_fail(s, errno);
    return;
  }
  fill(new_obj(s, K_OBJ, q, sl->op_size, sl->op_align));
}

/* Every descendant of s is reset (mp_reset_children()): its memory goes,
 * the pools stay. */
static void forget_descendant_memory(int s) {
  for (int c = 0; c < MAX_SLOTS; c++)
    if (slots[c].pool != NULL && slots[c].parent == s) {
      forget_descendant_memory(c);
      forget_pool_memory(c);
    }
}

/* What a reset in a mode keeps: no children or large blocks, and nodes
 * only up to the limit (debug builds keep their quarantine beyond it). */
static void check_kept(mp_pool_t *p, mp_reset_mode_t mode, size_t limit) {
  mp_stats_t st = {.size = sizeof st};
  CHECK(mp_stats(p, &st, MP_STATS_CHILDREN) == 0);
  CHECK(st.children == 0 && st.cleanups == 0);
  if (mpool_build_flags() & MPOOL_BUILD_DEBUG)
    return;
  CHECK(st.large_blocks == 0);
  if (mode == MP_RESET_FREE_ALL ||
      (mode == MP_RESET_RETAIN_LIMIT && limit == 0))
    CHECK(st.nodes == 1);
  else if (mode == MP_RESET_RETAIN_LIMIT)
    CHECK(st.nodes == 1 || st.bytes_reserved <= limit);
}

/* The upper nibble of the opcode picks the call: mp_reset_pool(), the
 * three modes of mp_reset_pool_mode(), mp_reset_children(),
 * mp_destroy_children(), or a bad mode (refused, nothing changed). */
static void op_reset(reader_t *r, unsigned how) {
  int s = pick_slot(r);
  if (s < 0)
    return;
  mp_pool_t *p = slots[s].pool;
  if (how < 10) {
    expect_destroy_children(s);
    if (!slots[s].shared)
      expect_reset(s);
    forget_children(s);
    forget_pool_memory(s);
    mp_reset_pool(p);
  } else if (how <= 12) {
    mp_reset_mode_t mode = how == 10   ? MP_RESET_FREE_ALL
                           : how == 11 ? MP_RESET_RETAIN
                                       : MP_RESET_RETAIN_LIMIT;
    size_t limit = how == 12 ? (size_t)rd16(r) * 64 : 0;
    expect_destroy_children(s);
    if (!slots[s].shared)
      expect_reset(s);
    forget_children(s);
    forget_pool_memory(s);
    CHECK(mp_reset_pool_mode(p, mode, limit) == 0);
    check_kept(p, mode, limit);
  } else if (how == 13) {
    forget_descendant_memory(s);
    CHECK(mp_reset_children(p) == 0);
  } else if (how == 14) {
    expect_destroy_children(s);
    forget_children(s);
    CHECK(mp_destroy_children(p) == 0);
  } else {
    errno = 0;
    CHECK(mp_reset_pool_mode(p, (mp_reset_mode_t)(3 + rd8(r)), 0) == -1);
    CHECK(errno == EINVAL);
    errno = 0;
    CHECK(mp_reset_pool_mode(p, MP_RESET_FREE_ALL, 1 + rd8(r)) == -1);
    CHECK(errno == EINVAL);
  }
}

static void op_destroy(reader_t *r) {
  int s = pick_slot(r);
  if (s < 0)
    return;
  mp_pool_t *p = slots[s].pool;
  expect_destroy(s);
  forget_subtree(s);
  mp_destroy_pool(p);
}

static void op_mark(reader_t *r) {
  int s = pick_slot(r);
  if (s < 0 || slots[s].nmarks == MAX_MARKS)
    return;
  errno = 0;
  mp_mark_t *m = mp_mark(slots[s].pool);
  if (m == NULL) {
    check_fail(s, errno);
    return;
  }
  for (int i = 0; i < slots[s].nmarks; i++)
    CHECK(slots[s].marks[i].m != m);
  slots[s].marks[slots[s].nmarks++] = (mark_t){.m = m, .tick = ++tick};
}

/* Rewinds to one of the pool's outstanding marks: drops the later marks,
 * the objects made on the pool after it, its children created after it
 * (destroyed, their cleanups run) and its cleanups registered after it
 * (run).  Objects from before it, and children from before it with all
 * they hold, are untouched; check_all() verifies them. */
static void op_rewind(reader_t *r) {
  int s = pick_slot(r);
  unsigned f = rd8(r);
  if (s < 0 || slots[s].nmarks == 0)
    return;
  slot_t *sl = &slots[s];
  int k = (int)(f % (unsigned)sl->nmarks);
  unsigned long t = sl->marks[k].tick;
  for (int c = 0; c < MAX_SLOTS; c++)
    if (slots[c].pool != NULL && slots[c].parent == s && slots[c].tick > t) {
      expect_destroy(c);
      forget_subtree(c);
    }
  for (int i = 0; i < MAX_OBJS; i++)
    if (objs[i].slot == s && (objs[i].tick > t || objs[i].kind == K_OBJ))
      drop_obj(&objs[i]); /* objects of an object pool: see below */
  for (int i = 0; i < ncls; i++)
    if (cls[i].slot == s && cls[i].tick > t) {
      cls[i].slot = -1;
      cls[i].expect++;
    }
  /* The object pool's free list may now point at released memory: forget
   * it (its memory stays the pool's) and the objects it handed out. */
  sl->op = NULL;
  mp_mark_t *m = sl->marks[k].m;
  for (int i = k; i < sl->nmarks; i++)
    drop_mark(sl->marks[i].m);
  sl->nmarks = k;
  CHECK(mp_rewind(sl->pool, m) == 0);
}

/* Rewinds to a mark the pool does not hold: one dropped by a rewind or a
 * reset, or another pool's.  Refused with EINVAL, nothing changed. */
static void op_bad_rewind(reader_t *r) {
  int s = pick_slot(r);
  unsigned f = rd8(r);
  /* Hardened and debug builds abort on these (tests/test_hardened.c). */
  if (s < 0 ||
      (mpool_build_flags() & (MPOOL_BUILD_HARDENED | MPOOL_BUILD_DEBUG)))
    return;
  mp_mark_t *m = NULL;
  if (f & 1) {
    int c = (int)((f >> 1) % MAX_SLOTS);
    if (c != s && slots[c].pool != NULL && slots[c].nmarks > 0)
      m = slots[c].marks[(f >> 3) % (unsigned)slots[c].nmarks].m;
  } else if (nstale > 0) {
    m = stale[(f >> 1) % (unsigned)(nstale < MAX_STALE ? nstale : MAX_STALE)];
  }
  if (m == NULL)
    return;
  for (int i = 0; i < slots[s].nmarks; i++)
    if (slots[s].marks[i].m == m)
      return; /* a new mark at a dropped one's address: a valid mark */
  errno = 0;
  CHECK(mp_rewind(slots[s].pool, m) == -1);
  CHECK(errno == EINVAL);
}

/* ---- Names, the pool tree and hooks ------------------------------------ */

/* A name of len bytes from an alphabet with the bytes JSON escapes, UTF-8
 * and spaces; seed picks where in it the name starts. */
static void gen_name(char *out, unsigned len, unsigned seed) {
  static const char abc[] = "req\"\\\n\t\x01/ \xc3\xa9[]{}:,0x7f\x7f_GET";
  for (unsigned i = 0; i < len; i++)
    out[i] = abc[(seed + i * 7u) % (sizeof abc - 1)];
  out[len] = '\0';
}

/* mp_pool_set_name() with a name and an identifier each NULL, empty or up
 * to NAME_LEN bytes; then the getters must say what the model says
 * (check_all() asks again after every operation: resets keep names). */
static void op_name(reader_t *r) {
  int s = pick_slot(r);
  unsigned f = rd8(r), g = rd8(r), h = rd8(r);
  if (s < 0)
    return;
  char name[NAME_LEN + 1], ident[NAME_LEN + 1];
  gen_name(name, g % (NAME_LEN + 1), g >> 3);
  gen_name(ident, h % (NAME_LEN + 1), h >> 2);
  const char *n = (f & 3) ? name : NULL, *id = (f & 12) ? ident : NULL;
  errno = 0;
  in_naming = 1;
  int rc = mp_pool_set_name(slots[s].pool, n, id);
  in_naming = 0;
  expect_none(); /* the names block is no object */
  if (rc != 0) { /* the old names stay */
    check_fail(s, errno);
    return;
  }
  memset(name, '#', sizeof name - 1); /* copied, not kept */
  memset(ident, '#', sizeof ident - 1);
  slot_t *sl = &slots[s];
  sl->has_name = n != NULL;
  sl->has_ident = id != NULL;
  gen_name(sl->name, n ? g % (NAME_LEN + 1) : 0, g >> 3);
  gen_name(sl->ident, id ? h % (NAME_LEN + 1) : 0, h >> 2);
}

static void check_names(int s) {
  const slot_t *sl = &slots[s];
  const char *n = mp_pool_name(sl->pool), *id = mp_pool_ident(sl->pool);
  CHECK(sl->has_name ? n != NULL && strcmp(n, sl->name) == 0 : n == NULL);
  CHECK(sl->has_ident ? id != NULL && strcmp(id, sl->ident) == 0 : id == NULL);
}

/* The pools a walk from root (a slot, or -1 for the process) must visit,
 * in order: a pool before its children, children newest first, root pools
 * oldest first. */
static int order[MAX_SLOTS], order_depth[MAX_SLOTS], norder;

static void model_walk(int s, int depth) {
  order[norder] = s;
  order_depth[norder++] = depth;
  for (;;) { /* the children not yet listed, newest first */
    int next = -1;
    for (int c = 0; c < MAX_SLOTS; c++) {
      if (slots[c].pool == NULL || slots[c].parent != s)
        continue;
      int listed = 0;
      for (int i = 0; i < norder; i++)
        listed |= order[i] == c;
      if (!listed && (next < 0 || slots[c].tick > slots[next].tick))
        next = c;
    }
    if (next < 0)
      return;
    model_walk(next, depth + 1);
  }
}

static void model_order(int root) {
  norder = 0;
  if (root >= 0) {
    model_walk(root, 0);
    return;
  }
  for (;;) { /* root pools oldest first */
    int next = -1;
    for (int c = 0; c < MAX_SLOTS; c++) {
      if (slots[c].pool == NULL || slots[c].parent >= 0)
        continue;
      int listed = 0;
      for (int i = 0; i < norder; i++)
        listed |= order[i] == c;
      if (!listed && (next < 0 || slots[c].tick < slots[next].tick))
        next = c;
    }
    if (next < 0)
      return;
    model_walk(next, 0);
  }
}

/* What the walk's callback saw. */
static struct {
  int n, stop_after;
  int slot[MAX_SLOTS], depth[MAX_SLOTS];
  mp_pool_info_t info[MAX_SLOTS];
} wk;

static int walk_fn(const mp_pool_info_t *in, void *arg) {
  CHECK(arg == &wk);
  CHECK(wk.n < MAX_SLOTS); /* no pool the model does not know */
  int s = slot_of(in->pool);
  CHECK(s >= 0);
  const slot_t *sl = &slots[s];
  CHECK(in->parent == (sl->parent < 0 ? NULL : slots[sl->parent].pool));
  CHECK(sl->has_name ? in->name != NULL && strcmp(in->name, sl->name) == 0
                     : in->name == NULL);
  CHECK(sl->has_ident ? in->ident != NULL && strcmp(in->ident, sl->ident) == 0
                      : in->ident == NULL);
  wk.slot[wk.n] = s;
  wk.depth[wk.n] = in->depth;
  wk.info[wk.n] = *in;
  wk.info[wk.n].name = wk.info[wk.n].ident = NULL; /* valid in the call only */
  wk.n++;
  return wk.n == wk.stop_after ? 7 : 0;
}

/* The text or JSON mp_tree_format() must write for the walk in wk. */
static char want[TREE_BYTES], got[TREE_BYTES + 64];
static size_t nwant;

static void put(const char *s, size_t n) {
  CHECK(nwant + n < sizeof want);
  memcpy(want + nwant, s, n);
  nwant += n;
  want[nwant] = '\0';
}

static void putf(const char *fmt, size_t v) {
  char b[48];
  int n = snprintf(b, sizeof b, fmt, v);
  CHECK(n > 0 && (size_t)n < sizeof b);
  put(b, (size_t)n);
}

static void put_addr(const mp_pool_t *p) {
  char b[48];
  int n = snprintf(b, sizeof b, "\"0x%" PRIxPTR "\"", (uintptr_t)p);
  CHECK(n > 0 && (size_t)n < sizeof b);
  put(b, (size_t)n);
}

static void put_jstr(int has, const char *s) {
  if (!has) {
    put("null", 4);
    return;
  }
  put("\"", 1);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      put(e, 2);
    } else if (c < 0x20) {
      putf("\\u%04zx", c);
    } else {
      put(s, 1);
    }
  }
  put("\"", 1);
}

static void build_want(int json) {
  nwant = 0;
  want[0] = '\0';
  if (json)
    put("[", 1);
  for (int i = 0; i < wk.n; i++) {
    const mp_pool_info_t *in = &wk.info[i];
    const slot_t *sl = &slots[wk.slot[i]];
    if (json) {
      const char *lead = i == 0 ? "\n  {\"pool\": " : ",\n  {\"pool\": ";
      put(lead, strlen(lead));
      put_addr(in->pool);
      put(", \"parent\": ", 12);
      if (in->parent != NULL)
        put_addr(in->parent);
      else
        put("null", 4);
      put(", \"name\": ", 10);
      put_jstr(sl->has_name, sl->name);
      put(", \"ident\": ", 11);
      put_jstr(sl->has_ident, sl->ident);
      putf(", \"depth\": %zu", (size_t)in->depth);
      putf(", \"bytes_reserved\": %zu", in->bytes_reserved);
      putf(", \"bytes_used\": %zu", in->bytes_used);
      putf(", \"bytes_free\": %zu", in->bytes_free);
      putf(", \"blocks\": %zu", in->blocks);
      putf(", \"peak_reserved\": %zu}", in->peak_reserved);
    } else {
      for (int d = 0; d < in->depth; d++)
        put("  ", 2);
      if (sl->has_name)
        put(sl->name, strlen(sl->name));
      else
        put("(unnamed)", 9);
      if (sl->has_ident) {
        put(" [", 2);
        put(sl->ident, strlen(sl->ident));
        put("]", 1);
      }
      putf(": reserved %zu", in->bytes_reserved);
      putf(", used %zu", in->bytes_used);
      putf(", free %zu", in->bytes_free);
      putf(", blocks %zu", in->blocks);
      putf(", peak %zu\n", in->peak_reserved);
    }
  }
  if (json)
    put(wk.n == 0 ? "]\n" : "\n]\n", wk.n == 0 ? 2 : 3);
}

/* mp_walk() from a pool or over the process (the fuzzer's pools are all
 * there are), sometimes stopped early: it visits the pools the model has
 * there, in the model's order, with their parents, names, depths and the
 * byte counts mp_stats() gives each.  Then mp_tree_format() (text or
 * JSON) into a buffer of every size from none to ample, and mp_tree_print()
 * to a memory stream: the text is what the walk says, cut and
 * NUL-terminated as snprintf() cuts, with its full length returned. */
static void op_walk(reader_t *r) {
  unsigned f = rd8(r), g = rd8(r);
  int root = -1;
  if (f & 1) {
    root = pick_slot(r);
    if (root < 0)
      return;
  }
  const mp_pool_t *rp = root >= 0 ? slots[root].pool : NULL;
  model_order(root);
  memset(&wk, 0, sizeof wk);
  wk.stop_after = (f & 2) ? 1 + (int)(g % MAX_SLOTS) : 0;
  int rc = mp_walk(rp, walk_fn, &wk);
  int want_n = norder;
  if (wk.stop_after != 0 && wk.stop_after <= norder) {
    CHECK(rc == 7);
    want_n = wk.stop_after;
  } else {
    CHECK(rc == 0);
  }
  CHECK(wk.n == want_n);
  for (int i = 0; i < wk.n; i++) {
    CHECK(wk.slot[i] == order[i] && wk.depth[i] == order_depth[i]);
    mp_stats_t st = {.size = sizeof st};
    CHECK(mp_stats(slots[wk.slot[i]].pool, &st, 0) == 0);
    const mp_pool_info_t *in = &wk.info[i];
    if (in->bytes_used != st.bytes_used ||
        in->bytes_reserved != st.bytes_reserved)
      fprintf(stderr,
              "fuzz_ops: walk of pool %d: reserved %zu used %zu, "
              "mp_stats: reserved %zu used %zu\n",
              wk.slot[i], in->bytes_reserved, in->bytes_used, st.bytes_reserved,
              st.bytes_used);
    CHECK(in->bytes_reserved == st.bytes_reserved);
    CHECK(in->bytes_used == st.bytes_used);
    CHECK(in->bytes_free == (st.bytes_reserved > st.bytes_used
                                 ? st.bytes_reserved - st.bytes_used
                                 : 0));
    CHECK(in->blocks == st.nodes + st.large_blocks);
    CHECK(in->peak_reserved == st.peak_reserved);
  }
  if (!(f & 4))
    return;
  /* The whole walk again, as text or JSON. */
  int json = (f & 8) != 0;
  wk.n = 0;
  wk.stop_after = 0;
  CHECK(mp_walk(rp, walk_fn, &wk) == 0);
  build_want(json);
  int flags = json ? MP_TREE_JSON : 0;
  size_t len = 0;
  CHECK(mp_tree_format(rp, got, TREE_BYTES, &len, flags) == 0);
  CHECK(len == nwant && memcmp(got, want, nwant + 1) == 0);
  /* A buffer of cap bytes, bytes past it untouched. */
  size_t cap;
  switch (f >> 6) {
  case 0:
    cap = 0;
    break;
  case 1:
    cap = 1 + g % 3;
    break;
  case 2:
    cap = nwant > 0 ? (size_t)g % (nwant + 2) : 1;
    break;
  default:
    cap = nwant + (g & 1); /* one short of the NUL, or exactly enough */
    break;
  }
  memset(got, 0x5a, cap + 64);
  char *buf = cap == 0 && (f & 16) ? NULL : got;
  len = 0;
  CHECK(mp_tree_format(rp, buf, cap, &len, flags) == 0);
  CHECK(len == nwant);
  if (cap > 0) {
    size_t k = nwant < cap ? nwant : cap - 1;
    CHECK(memcmp(got, want, k) == 0 && got[k] == '\0');
  }
  for (size_t i = cap; i < cap + 64; i++)
    CHECK(got[i] == 0x5a);
  /* Refused: no length, a buffer missing, unknown flags. */
  errno = 0;
  CHECK(mp_tree_format(rp, got, 8, NULL, flags) == -1 && errno == EINVAL);
  errno = 0;
  CHECK(mp_tree_format(rp, NULL, 8, &len, flags) == -1 && errno == EINVAL);
  errno = 0;
  CHECK(mp_tree_format(rp, got, 8, &len, 2) == -1 && errno == EINVAL);
  if (f & 32) { /* the same to a FILE */
    char *ms = NULL;
    size_t msize = 0;
    FILE *out = open_memstream(&ms, &msize);
    if (out == NULL)
      return;
    CHECK(mp_tree_print(rp, out, flags) == 0);
    CHECK(fclose(out) == 0);
    CHECK(msize == nwant && memcmp(ms, want, nwant) == 0);
    free(ms);
  }
}

/* mp_pool_set_hook() on a pool, or mpool_set_hook(), with or without
 * MP_HOOK_OBJECTS, set or cleared, sometimes with bad flags (refused,
 * nothing changed).  check_events() then holds every later operation to
 * what the hooks must hear. */
static void op_hook(reader_t *r) {
  unsigned f = rd8(r);
  unsigned flags = (f & 2) ? MP_HOOK_OBJECTS : 0;
  int bad = (f & 0x18) == 0x18;
  if (bad)
    flags |= 2;
  mp_event_fn fn = (f & 4) ? NULL : on_event;
  expect_none(); /* a names block for the hook is no object */
  if (f & 1) {
    errno = 0;
    int rc = mpool_set_hook(fn, &hook_tag[1], flags);
    if (bad) {
      CHECK(rc == -1 && errno == EINVAL);
      return;
    }
    CHECK(rc == 0);
    if (fn == NULL || !g_on) { /* a new run of block events */
      nblk = 0;
      blk_lost = 0;
    }
    g_on = fn != NULL;
    g_objects = fn != NULL && (flags & MP_HOOK_OBJECTS);
    return;
  }
  int s = pick_slot(r);
  if (s < 0)
    return;
  slot_t *sl = &slots[s];
  errno = 0;
  in_hooking = 1;
  int rc = mp_pool_set_hook(sl->pool, fn, &hook_tag[0], flags);
  in_hooking = 0;
  if (bad || (sl->shared && (flags & MP_HOOK_OBJECTS))) {
    CHECK(rc == -1 && errno == EINVAL);
    return;
  }
  if (rc != 0) { /* the first hook or name takes a block */
    check_fail(s, errno);
    return;
  }
  sl->hook_on = fn != NULL;
  sl->hook_objects = fn != NULL && (flags & MP_HOOK_OBJECTS);
}

static void op_fail(reader_t *r) {
  unsigned f = rd8(r);
  ta.fail_at = (f & 128) ? -1 : ta.calls + (long)(f & 15);
}

/* Operations run (each one or more public calls) and inputs, for the
 * rate docs/fuzzing.md records: printed when the process exits. */
static unsigned long long total_ops, total_inputs;

static void report_totals(void) {
  fprintf(stderr, "fuzz_ops: %llu operations in %llu inputs\n", total_ops,
          total_inputs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) {
    pattern_init();
    atexit(report_totals);
    ready = 1;
  }
  total_inputs++;
  reader_t r = {data, data + size};
  memset(&ta, 0, sizeof ta);
  ta.a.alloc = ta_alloc;
  ta.a.free = ta_free;
  ta.a.ud = &ta;
  ta.fail_at = -1;
  memset(slots, 0, sizeof slots);
  for (int s = 0; s < MAX_SLOTS; s++)
    slots[s].parent = -1;
  for (int i = 0; i < MAX_OBJS; i++)
    objs[i].slot = -1;
  memset(ran, 0, sizeof ran);
  ncls = 0;
  live_bytes = 0;
  next_seed = 1;
  tick = 0;
  nstale = 0;
  oom_calls = 0;
  CHECK(mpool_set_hook(NULL, NULL, 0) == 0); /* a crashed input's, if any */
  g_on = g_objects = 0;
  nblk = blk_lost = 0;

  for (cur_op = 0; cur_op < MAX_OPS && r.p < r.end; cur_op++) {
    unsigned code = rd8(&r);
    oom_before = oom_calls;
    events_begin();
#ifdef FUZZ_TRACE /* -DFUZZ_TRACE: each operation's code on stderr */
    fprintf(stderr, "fuzz_ops: op %d: code %u (%u, %u)\n", cur_op, code,
            code % 16, code >> 4);
#endif
    switch (code % 16) {
    case 0:
      op_create(&r);
      break;
    case 1:
      op_child(&r);
      break;
    case 2:
    case 3:
    case 4:
      op_alloc(&r, code >> 4);
      break;
    case 5:
      op_string(&r);
      break;
    case 6:
      op_free(&r);
      break;
    case 7:
      op_free_sized(&r);
      break;
    case 8:
      op_realloc(&r, (code >> 4) == 15 || ((code >> 4) & 1));
      break;
    case 9:
      op_foreign(&r);
      break;
    case 10:
      op_cleanup(&r);
      break;
    case 11:
      op_objpool(&r);
      break;
    case 12:
      op_reset(&r, code >> 4);
      break;
    case 13:
      op_destroy(&r);
      break;
    case 14:
      op_fail(&r);
      break;
    default: /* 15: the newer operations in the upper half */
      switch (code >> 4) {
      case 8:
      case 9:
      case 10:
        op_mark(&r);
        break;
      case 11:
      case 12:
        op_rewind(&r);
        break;
      case 13:
        op_bad_rewind(&r);
        break;
      case 14:
      case 15:
        op_create_limited(&r);
        break;
      case 7:
        op_create_shared(&r);
        break;
      case 4:
        op_name(&r);
        break;
      case 5:
        op_walk(&r);
        break;
      case 6:
        op_hook(&r);
        break;
      default:
        op_alloc(&r, code >> 4);
        break;
      }
      break;
    }
    check_all();
    check_events();
  }
  total_ops += (unsigned long long)cur_op;
  events_begin();
  for (int s = 0; s < MAX_SLOTS; s++) {
    if (slots[s].pool != NULL && slots[s].parent < 0) {
      mp_pool_t *p = slots[s].pool;
      expect_destroy(s);
      forget_subtree(s);
      mp_destroy_pool(p);
    }
  }
  check_all();
  check_events();
  CHECK(mpool_set_hook(NULL, NULL, 0) == 0);
  g_on = g_objects = 0;
  nblk = blk_lost = 0;
  CHECK(ta.live_blocks == 0 && ta.live_bytes == 0);
  return 0;
}
