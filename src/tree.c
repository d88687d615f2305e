/*
 * Named pools and the pool tree: mp_pool_set_name(), and walks of the
 * live pools (the process's root pools and their descendants) told to a
 * callback, or written as text or JSON to a FILE or a buffer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"
#include "mp_platform.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- names ---- */

struct names {
  const char *name, *ident;
};

static int rename_inner(mp_pool_t *pool, void *arg) {
  const struct names *n = arg;
  return mp__tree_rename(pool, n->name, n->ident);
}

int mp_pool_set_name(mp_pool_t *pool, const char *name, const char *ident) {
  if (pool == NULL) {
    errno = EINVAL;
    return -1;
  }
  struct names n = {name, ident};
  if (MP_SHARED(pool))
    return mp__sh_with(pool, rename_inner, &n);
  MP_OWN(pool, "mp_pool_set_name");
  return mp__tree_rename(pool, name, ident);
}

/* The pool behind a public handle. */
static const mp_pool_t *tree_real(const mp_pool_t *pool) {
  return MP_SHARED(pool) ? mp__sh_inner(pool) : pool;
}

const char *mp_pool_name(const mp_pool_t *pool) {
  if (pool == NULL)
    return NULL;
  const struct mp_ext *x = tree_real(pool)->tree.ext;
  return x != NULL ? x->name : NULL;
}

const char *mp_pool_ident(const mp_pool_t *pool) {
  if (pool == NULL)
    return NULL;
  const struct mp_ext *x = tree_real(pool)->tree.ext;
  return x != NULL ? x->ident : NULL;
}

/* ---- walks ---- */

static const mp_pool_t *tree_face(const mp_pool_t *p) {
  return p == NULL ? NULL : mp__hook_face((mp_pool_t *)(uintptr_t)p);
}

/* Tells fn of every pool under root (depth 0 there); lock held. */
static int walk_one(const mp_pool_t *root, mp_walk_fn fn, void *arg) {
  int depth = 0;
  for (const mp_pool_t *p = root; p != NULL;
       p = mp__walk_next(root, p, &depth)) {
    mp_stats_t st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    (void)mp__stats(p, &st, 0); /* a shared pool's lanes counted too */
    const struct mp_ext *x = p->tree.ext;
    mp_pool_info_t in;
    in.pool = tree_face(p);
    in.parent = tree_face(p->life.parent);
    in.name = x != NULL ? x->name : NULL;
    in.ident = x != NULL ? x->ident : NULL;
    in.depth = depth;
    in.bytes_reserved = st.bytes_reserved;
    in.bytes_used = st.bytes_used;
    in.bytes_free = st.bytes_reserved > st.bytes_used
                        ? st.bytes_reserved - st.bytes_used
                        : 0;
    in.blocks = st.nodes + st.large_blocks;
    in.peak_reserved = st.peak_reserved;
    int r = fn(&in, arg);
    if (r != 0)
      return r;
  }
  return 0;
}

int mp_walk(const mp_pool_t *root, mp_walk_fn fn, void *arg) {
  if (fn == NULL) {
    errno = EINVAL;
    return -1;
  }
  int r = 0;
  mp__tree_lock();
  if (root != NULL)
    r = walk_one(tree_real(root), fn, arg);
  else
    for (const mp_pool_t *p = mp__tree_roots(); p != NULL && r == 0;
         p = p->tree.next)
      r = walk_one(p, fn, arg);
  mp__tree_unlock();
  return r;
}

/* ---- text and JSON ---- */

/* Where output goes: a FILE, or a buffer of cap bytes (len counts all). */
struct sink {
  FILE *out;
  char *buf;
  size_t cap, len;
  int err; /* a write failed: its errno */
  bool json, first;
};

static void sink_put(struct sink *k, const char *s, size_t n) {
  if (k->out != NULL) {
    if (k->err == 0 && n != 0 && fwrite(s, 1, n, k->out) != n)
      k->err = errno != 0 ? errno : EIO;
    return;
  }
  if (k->len < k->cap) {
    size_t room = k->cap - k->len;
    memcpy(k->buf + k->len, s, n < room ? n : room);
  }
  k->len = n > SIZE_MAX - k->len ? SIZE_MAX : k->len + n;
}

static void sink_puts(struct sink *k, const char *s) {
  sink_put(k, s, strlen(s));
}

/* Numbers and addresses: formatted into a small buffer, then put. */
static void sink_num(struct sink *k, const char *fmt, size_t v) {
  char b[32];
  int n = snprintf(b, sizeof b, fmt, v);
  if (n > 0)
    sink_put(k, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

static void sink_addr(struct sink *k, const mp_pool_t *p) {
  char b[32];
  int n = snprintf(b, sizeof b, "\"0x%" PRIxPTR "\"", (uintptr_t)p);
  if (n > 0)
    sink_put(k, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

/* A JSON string (or null): quotes, backslashes and control bytes
 * escaped; other bytes as they are. */
static void sink_jstr(struct sink *k, const char *s) {
  if (s == NULL) {
    sink_puts(k, "null");
    return;
  }
  sink_put(k, "\"", 1);
  const char *run = s;
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c != '"' && c != '\\' && c >= 0x20)
      continue;
    sink_put(k, run, (size_t)(s - run));
    char e[8];
    if (c == '"' || c == '\\')
      snprintf(e, sizeof e, "\\%c", c);
    else
      snprintf(e, sizeof e, "\\u%04x", c);
    sink_puts(k, e);
    run = s + 1;
  }
  sink_put(k, run, (size_t)(s - run));
  sink_put(k, "\"", 1);
}

static void sink_field(struct sink *k, const char *key, size_t v) {
  sink_puts(k, ", \"");
  sink_puts(k, key);
  sink_num(k, "\": %zu", v);
}

static int write_one(const mp_pool_info_t *in, void *arg) {
  struct sink *k = arg;
  if (k->json) {
    sink_puts(k, k->first ? "\n  {\"pool\": " : ",\n  {\"pool\": ");
    k->first = false;
    sink_addr(k, in->pool);
    sink_puts(k, ", \"parent\": ");
    if (in->parent != NULL)
      sink_addr(k, in->parent);
    else
      sink_puts(k, "null");
    sink_puts(k, ", \"name\": ");
    sink_jstr(k, in->name);
    sink_puts(k, ", \"ident\": ");
    sink_jstr(k, in->ident);
    sink_field(k, "depth", (size_t)in->depth);
    sink_field(k, "bytes_reserved", in->bytes_reserved);
    sink_field(k, "bytes_used", in->bytes_used);
    sink_field(k, "bytes_free", in->bytes_free);
    sink_field(k, "blocks", in->blocks);
    sink_field(k, "peak_reserved", in->peak_reserved);
    sink_puts(k, "}");
  } else {
    for (int i = 0; i < in->depth; i++)
      sink_puts(k, "  ");
    sink_puts(k, in->name != NULL ? in->name : "(unnamed)");
    if (in->ident != NULL) {
      sink_puts(k, " [");
      sink_puts(k, in->ident);
      sink_puts(k, "]");
    }
    sink_num(k, ": reserved %zu", in->bytes_reserved);
    sink_num(k, ", used %zu", in->bytes_used);
    sink_num(k, ", free %zu", in->bytes_free);
    sink_num(k, ", blocks %zu", in->blocks);
    sink_num(k, ", peak %zu\n", in->peak_reserved);
  }
  return k->err;
}

static int write_tree(const mp_pool_t *root, struct sink *k) {
  k->first = true;
  if (k->json)
    sink_puts(k, "[");
  int r = mp_walk(root, write_one, k);
  if (k->json)
    sink_puts(k, k->first ? "]\n" : "\n]\n");
  return r != 0 ? r : k->err;
}

int mp_tree_print(const mp_pool_t *root, FILE *out, int flags) {
  if (out == NULL || (flags & ~MP_TREE_JSON) != 0) {
    errno = EINVAL;
    return -1;
  }
  struct sink k = {out, NULL, 0, 0, 0, (flags & MP_TREE_JSON) != 0, true};
  errno = 0;
  int err = write_tree(root, &k);
  if (err == 0 && fflush(out) != 0)
    err = errno != 0 ? errno : EIO;
  if (err != 0) {
    errno = err;
    return -1;
  }
  return 0;
}

int mp_tree_format(const mp_pool_t *root, char *buf, size_t cap, size_t *len,
                   int flags) {
  if (len == NULL || (buf == NULL && cap != 0) ||
      (flags & ~MP_TREE_JSON) != 0) {
    errno = EINVAL;
    return -1;
  }
  struct sink k = {NULL, buf, cap, 0, 0, (flags & MP_TREE_JSON) != 0, true};
  (void)write_tree(root, &k);
  if (cap != 0)
    buf[k.len < cap ? k.len : cap - 1] = '\0';
  *len = k.len;
  return 0;
}
