/*
 * http_parser: an HTTP/1.1 request parser with a pool per request.
 *
 * Each connection has a pool for what lives as long as the connection (its
 * peer name, its request count).  Each request gets a child pool of it,
 * which holds the request line, the headers (as pool strings) and a
 * temporary file the body is spooled to; a cleanup on the request pool
 * closes that file.  The request pool is reset between requests, so a
 * connection reuses the same memory for every request it carries, and
 * destroying the connection pool destroys the request pool with it.
 *
 * The input is a few canned connections, including pipelined requests
 * (several in one read) and a malformed one.  At the end the program checks
 * that every temporary file it opened was closed.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct header {
  const char *name; /* lower-cased */
  const char *value;
  struct header *next;
};

struct request {
  const char *method;
  const char *target;
  const char *version;
  struct header *headers, **tail;
  size_t nheaders;
  size_t body_len;
  FILE *body; /* spooled to a temporary file, closed by a cleanup */
};

static int files_opened, files_closed;

static void close_file(void *data) {
  FILE **f = data;
  if (*f != NULL) {
    fclose(*f);
    *f = NULL;
    files_closed++;
  }
}

/* The header `name` of r, or NULL. */
static const char *header(const struct request *r, const char *name) {
  for (const struct header *h = r->headers; h != NULL; h = h->next)
    if (strcmp(h->name, name) == 0)
      return h->value;
  return NULL;
}

/* One line of buf[*pos, len) without its CRLF, or NULL if the line is not
 * complete; *pos moves past it. */
static const char *line(const char *buf, size_t len, size_t *pos, size_t *n) {
  const char *start = buf + *pos;
  const char *cr = NULL;
  for (size_t i = *pos; i + 1 < len; i++) {
    if (buf[i] == '\r' && buf[i + 1] == '\n') {
      cr = buf + i;
      break;
    }
  }
  if (cr == NULL)
    return NULL;
  *n = (size_t)(cr - start);
  *pos += *n + 2;
  return start;
}

/* Parses one request from buf[*pos, len) into pool.  Returns the request,
 * or NULL with *error set to a status line (400) for a malformed one. */
static struct request *parse(mp_pool_t *pool, const char *buf, size_t len,
                             size_t *pos, const char **error) {
  struct request *r = mp_calloc(pool, sizeof *r);
  if (r == NULL)
    return NULL;
  r->tail = &r->headers;
  *error = "400 Bad Request";

  size_t n;
  const char *l = line(buf, len, pos, &n);
  if (l == NULL)
    return NULL;
  const char *sp1 = memchr(l, ' ', n);
  const char *sp2 =
      sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l)) : NULL;
  if (sp1 == NULL || sp2 == NULL)
    return NULL;
  r->method = mp_strndup(pool, l, (size_t)(sp1 - l));
  r->target = mp_strndup(pool, sp1 + 1, (size_t)(sp2 - sp1 - 1));
  r->version = mp_strndup(pool, sp2 + 1, n - (size_t)(sp2 + 1 - l));
  if (r->method == NULL || r->target == NULL || r->version == NULL ||
      strncmp(r->version, "HTTP/1.", 7) != 0)
    return NULL;

  while ((l = line(buf, len, pos, &n)) != NULL && n > 0) {
    const char *colon = memchr(l, ':', n);
    if (colon == NULL || colon == l)
      return NULL;
    struct header *h = mp_alloc(pool, sizeof *h);
    char *name = mp_strndup(pool, l, (size_t)(colon - l));
    const char *v = colon + 1;
    while (v < l + n && (*v == ' ' || *v == '\t'))
      v++;
    const char *value = mp_strndup(pool, v, (size_t)(l + n - v));
    if (h == NULL || name == NULL || value == NULL)
      return NULL;
    for (char *c = name; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    h->name = name;
    h->value = value;
    h->next = NULL;
    *r->tail = h;
    r->tail = &h->next;
    r->nheaders++;
  }
  if (l == NULL)
    return NULL; /* no empty line: truncated */

  const char *cl = header(r, "content-length");
  if (cl != NULL) {
    char *end;
    unsigned long v = strtoul(cl, &end, 10);
    if (*end != '\0' || v > len - *pos)
      return NULL;
    r->body_len = v;
  }
  /* Spool the body to a temporary file the request pool will close.  The
   * cleanup is registered first, so the file cannot escape it. */
  if (mp_cleanup_add(pool, close_file, &r->body) == NULL)
    return NULL;
  r->body = tmpfile();
  if (r->body == NULL)
    return NULL;
  files_opened++;
  if (fwrite(buf + *pos, 1, r->body_len, r->body) != r->body_len)
    return NULL;
  *pos += r->body_len;
  *error = NULL;
  return r;
}

struct connection {
  mp_pool_t *pool;     /* lives as long as the connection */
  mp_pool_t *requests; /* child of pool, reset per request */
  const char *peer;
  unsigned served;
};

/* Handles every request in one read of a connection. */
static int serve(struct connection *c, const char *input) {
  size_t len = strlen(input), pos = 0;
  while (pos < len) {
    const char *error;
    struct request *r = parse(c->requests, input, len, &pos, &error);
    char *response;
    if (r == NULL) {
      response = mp_printf(c->requests, "HTTP/1.1 %s", error);
      pos = len; /* a malformed request ends the read */
    } else {
      const char *names[16];
      size_t k = 0;
      for (struct header *h = r->headers; h != NULL && k < 16; h = h->next)
        names[k++] = h->name;
      char *list = mp_join(c->requests, names, k, ",");
      if (list == NULL)
        return -1;
      response = mp_printf(c->requests,
                           "HTTP/1.1 200 OK (%s %s, %zu header%s [%s], "
                           "%zu body bytes, host %s)",
                           r->method, r->target, r->nheaders,
                           r->nheaders == 1 ? "" : "s", list, r->body_len,
                           header(r, "host") ? header(r, "host") : "-");
    }
    if (response == NULL)
      return -1;
    c->served++;
    printf("  %s #%u: %s\n", c->peer, c->served, response);
    /* Everything the request used is released, its file closed. */
    mp_reset_pool(c->requests);
  }
  return 0;
}

int main(void) {
  static const char *const connections[][3] = {
      {"GET /index.html HTTP/1.1\r\nHost: example.org\r\n"
       "Accept: text/html\r\n\r\n",
       NULL},
      /* Pipelined: three requests in one read, one with a body. */
      {"GET /a HTTP/1.1\r\nHost: example.org\r\n\r\n"
       "POST /form HTTP/1.1\r\nHost: example.org\r\n"
       "Content-Type: application/x-www-form-urlencoded\r\n"
       "Content-Length: 11\r\n\r\nname=value&"
       "GET /c HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n",
       NULL},
      /* Two reads on one connection; the second is malformed. */
      {"PUT /upload HTTP/1.1\r\nHost: files.example.org\r\n"
       "Content-Length: 5\r\n\r\nhello",
       "NOT-HTTP\r\n\r\n", NULL},
  };
  mp_pool_t *server = mp_create_pool(0);
  if (server == NULL) {
    perror("mp_create_pool");
    return 1;
  }
  for (size_t i = 0; i < sizeof connections / sizeof connections[0]; i++) {
    struct connection c = {0};
    c.pool = mp_create_child(server, 4096);
    c.requests = c.pool ? mp_create_child(c.pool, 0) : NULL;
    c.peer = c.pool ? mp_printf(c.pool, "peer-%zu", i + 1) : NULL;
    if (c.peer == NULL || c.requests == NULL) {
      perror("connection");
      mp_destroy_pool(server);
      return 1;
    }
    printf("connection %zu\n", i + 1);
    for (const char *const *read = connections[i]; *read != NULL; read++) {
      if (serve(&c, *read) != 0) {
        perror("serve");
        mp_destroy_pool(server);
        return 1;
      }
    }
    /* Closing the connection destroys its request pool as well. */
    mp_destroy_pool(c.pool);
  }
  mp_stats_t st = {.size = sizeof st};
  if (mp_stats(server, &st, MP_STATS_CHILDREN) != 0 || st.children != 0) {
    fprintf(stderr, "connections left behind\n");
    return 1;
  }
  mp_destroy_pool(server);
  printf("temporary files: %d opened, %d closed\n", files_opened, files_closed);
  if (files_opened != 5 || files_closed != files_opened) {
    fprintf(stderr, "a temporary file was not closed\n");
    return 1;
  }
  printf("http_parser: ok\n");
  return 0;
}
