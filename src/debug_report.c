/*
 * Debug builds' reports: the live objects of a pool (and its descendants)
 * by call site, for mp_stats_print() and for the leak report that
 * MP_POOL_REPORT_LEAKS prints at mp_destroy_pool() (debug.c records the
 * sites).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MP_DEBUG

struct site_sum {
  const char *file;
  int line;
  size_t count;
  size_t bytes;
};

static int by_site(const void *a, const void *b) {
  const struct site_sum *x = a, *y = b;
  if (x->file != y->file) {
    if (x->file == NULL || y->file == NULL)
      return x->file == NULL ? 1 : -1;
    int c = strcmp(x->file, y->file);
    if (c != 0)
      return c;
  }
  return (x->line > y->line) - (x->line < y->line);
}

/* Sums the live objects of pool (and with tree, its descendants) by call
 * site, leaving out the library's own records if `user`; returns a sorted
 * array of *n sites (malloc'd) or NULL with *n 0 (none, or no memory:
 * then *n is SIZE_MAX). */
static struct site_sum *sum_sites(const mp_pool_t *pool, bool tree, bool user,
                                  size_t *n) {
  size_t total = 0;
  int depth = 0;
  const mp_pool_t *p;
  for (p = pool; p != NULL; p = tree ? mp__walk_next(pool, p, &depth) : NULL)
    for (const struct mp_large *l = p->large; l != NULL; l = l->next)
      total += !(user && l->internal);
  *n = 0;
  if (total == 0)
    return NULL;
  struct site_sum *s = malloc(total * sizeof *s);
  if (s == NULL) {
    *n = SIZE_MAX;
    return NULL;
  }
  size_t k = 0;
  for (p = pool; p != NULL; p = tree ? mp__walk_next(pool, p, &depth) : NULL)
    for (const struct mp_large *l = p->large; l != NULL; l = l->next)
      if (!(user && l->internal))
        s[k++] = (struct site_sum){l->internal ? "(mpool)" : l->file, l->line,
                                   1, l->size};
  qsort(s, k, sizeof *s, by_site);
  size_t m = 0;
  for (size_t i = 0; i < k; i++) {
    if (m > 0 && by_site(&s[m - 1], &s[i]) == 0) {
      s[m - 1].count++;
      s[m - 1].bytes += s[i].bytes;
    } else {
      s[m++] = s[i];
    }
  }
  *n = m;
  return s;
}

static const char *site_name(const struct site_sum *s, char *buf, size_t n) {
  if (s->file == NULL)
    return "(unknown site)";
  snprintf(buf, n, "%s:%d", s->file, s->line);
  return buf;
}

int mp__dbg_report(const mp_pool_t *pool, FILE *out) {
  size_t n;
  struct site_sum *s = sum_sites(pool, true, false, &n);
  if (n == SIZE_MAX) {
    errno = ENOMEM;
    return -1;
  }
  int r = 0;
  errno = 0;
  if (n > 0 && fprintf(out, "live objects by call site:\n") < 0)
    r = -1;
  for (size_t i = 0; i < n && r == 0; i++) {
    char buf[256];
    if (fprintf(out, "  %s: %zu live, %zu bytes\n",
                site_name(&s[i], buf, sizeof buf), s[i].count, s[i].bytes) < 0)
      r = -1;
  }
  free(s);
  if (r != 0 && errno == 0)
    errno = EIO;
  return r;
}

void mp__dbg_leaks(const mp_pool_t *pool) {
  if (!(pool->flags & MP_F_LEAKS))
    return;
  size_t n;
  struct site_sum *s = sum_sites(pool, false, true, &n);
  if (n == SIZE_MAX) {
    fprintf(stderr, "mpool: leak report of pool %p: out of memory\n",
            (const void *)pool);
    return;
  }
  size_t count = 0, bytes = 0;
  for (size_t i = 0; i < n; i++) {
    char buf[256];
    fprintf(stderr, "mpool: leak: pool %p: %s: %zu objects, %zu bytes\n",
            (const void *)pool, site_name(&s[i], buf, sizeof buf), s[i].count,
            s[i].bytes);
    count += s[i].count;
    bytes += s[i].bytes;
  }
  if (count > 0)
    fprintf(stderr,
            "mpool: leak: pool %p: %zu objects, %zu bytes live at "
            "mp_destroy_pool\n",
            (const void *)pool, count, bytes);
  fflush(stderr);
  free(s);
}

#endif /* MP_DEBUG */
