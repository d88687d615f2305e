/*
 * Peer: APR pools.  Request pools are children of one long-lived root pool
 * (the way httpd makes a pool per connection and per request), using APR's
 * default allocator and block size.  APR has no setting for the block
 * size: a pool's blocks are at least 8 KiB (MIN_ALLOC in apr_pools.c, a
 * compile-time constant) and grow in 4 KiB steps, so --node is ignored.
 *
 * churn and trace are n/a: an APR pool cannot give back a single object,
 * so a long-lived pool with a changing live set only grows.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "worker.h"

#include <string.h>

#define PEER_NAME "apr"
typedef apr_pool_t peer_ctx_t;

static apr_pool_t *root;

static const char *peer_init(const char *label) {
  if (strcmp(label, PEER_NAME) != 0)
    return "worker started with a foreign peer label";
  if (apr_initialize() != APR_SUCCESS)
    return "apr_initialize() failed";
  if (apr_pool_create(&root, NULL) != APR_SUCCESS)
    return "apr_pool_create() failed";
  return NULL;
}

static inline peer_ctx_t *peer_open(void) {
  apr_pool_t *p = NULL;
  if (apr_pool_create(&p, root) != APR_SUCCESS)
    return NULL;
  return p;
}

static inline void peer_close(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  apr_pool_destroy(c);
}

static inline void peer_reset(peer_ctx_t *c, void **objs, size_t n) {
  (void)objs;
  (void)n;
  apr_pool_clear(c);
}

static inline void *peer_alloc(peer_ctx_t *c, size_t n) {
  return apr_palloc(c, n);
}

static inline void peer_track(peer_ctx_t *c, void *o) {
  (void)c;
  (void)o;
}

#define PEER_CHURN_NA                                                          \
  "APR pools cannot free single objects (memory would grow without bound)"

static inline char *peer_strdup(peer_ctx_t *c, const char *s) {
  return apr_pstrdup(c, s);
}

static inline char *peer_format(peer_ctx_t *c, const char *a, unsigned n,
                                const char *b) {
  return apr_psprintf(c, MPB_FORMAT, a, n, b);
}

#include "workloads.h"
