/*
 * json_tree: a JSON document parsed into pool nodes, printed back, and
 * released in one call.
 *
 * Every node, key and string of a document lives in the document's pool,
 * so the tree needs no free function: mp_destroy_pool() releases it all.
 * Printing uses a scratch child pool for its pieces (mp_printf for
 * numbers, mp_join for members), which the document's destruction takes
 * with it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct json {
  enum kind kind;
  double number;
  const char *string; /* J_STRING, and the key of an object member */
  const char *key;    /* set on members of an object */
  struct json *first; /* J_ARRAY and J_OBJECT: the elements */
  struct json *next;  /* the next sibling */
  size_t count;
};

struct parser {
  mp_pool_t *pool;
  const char *s;
  const char *error;
};

static void skip_ws(struct parser *p) {
  while (isspace((unsigned char)*p->s))
    p->s++;
}

static struct json *fail(struct parser *p, const char *why) {
  if (p->error == NULL)
    p->error = why;
  return NULL;
}

/* A string literal at p->s (after its quote); escapes are decoded, \u
 * escapes only for ASCII. */
static const char *parse_string(struct parser *p) {
  const char *start = p->s;
  size_t n = 0;
  for (const char *c = start; *c != '"'; c++, n++) {
    if (*c == '\0')
      return (const char *)fail(p, "unterminated string");
    if (*c == '\\' && *++c == 'u') {
      if (c[1] == '\0' || c[2] == '\0' || c[3] == '\0' || c[4] == '\0')
        return (const char *)fail(p, "bad escape");
      c += 4;
    } else if (*c == '\0') {
      return (const char *)fail(p, "bad escape");
    }
  }
  char *out = mp_nalloc(p->pool, n + 1), *d = out;
  if (out == NULL)
    return (const char *)fail(p, "out of memory");
  const char *c = start;
  for (; *c != '"'; c++) {
    if (*c != '\\') {
      *d++ = *c;
      continue;
    }
    switch (*++c) {
    case 'n':
      *d++ = '\n';
      break;
    case 't':
      *d++ = '\t';
      break;
    case 'r':
      *d++ = '\r';
      break;
    case 'b':
      *d++ = '\b';
      break;
    case 'f':
      *d++ = '\f';
      break;
    case 'u': {
      char hex[5] = {c[1], c[2], c[3], c[4], 0};
      long v = strtol(hex, NULL, 16);
      if (v <= 0 || v > 0x7f)
        return (const char *)fail(p, "non-ASCII \\u escape");
      *d++ = (char)v;
      c += 4;
      break;
    }
    default:
      *d++ = *c;
      break; /* \" \\ \/ */
    }
  }
  *d = '\0';
  p->s = c + 1;
  return out;
}

static struct json *parse_value(struct parser *p, int depth);

/* The elements of an array or the members of an object, up to `close`. */
static struct json *parse_list(struct parser *p, struct json *v, char close,
                               int depth) {
  struct json **tail = &v->first;
  skip_ws(p);
  if (*p->s == close) {
    p->s++;
    return v;
  }
  for (;;) {
    const char *key = NULL;
    skip_ws(p);
    if (close == '}') {
      if (*p->s != '"')
        return fail(p, "expected a key");
      p->s++;
      if ((key = parse_string(p)) == NULL)
        return NULL;
      skip_ws(p);
      if (*p->s++ != ':')
        return fail(p, "expected ':'");
    }
    struct json *e = parse_value(p, depth + 1);
    if (e == NULL)
      return NULL;
    e->key = key;
    *tail = e;
    tail = &e->next;
    v->count++;
    skip_ws(p);
    if (*p->s == ',') {
      p->s++;
    } else if (*p->s == close) {
      p->s++;
      return v;
    } else {
      return fail(p, "expected ',' or a closing bracket");
    }
  }
}

static struct json *parse_value(struct parser *p, int depth) {
  if (depth > 64)
    return fail(p, "nested too deeply");
  skip_ws(p);
  struct json *v = mp_calloc(p->pool, sizeof *v);
  if (v == NULL)
    return fail(p, "out of memory");
  static const struct {
    const char *word;
    enum kind kind;
  } words[] = {{"null", J_NULL}, {"false", J_FALSE}, {"true", J_TRUE}};
  for (size_t i = 0; i < 3; i++) {
    size_t n = strlen(words[i].word);
    if (strncmp(p->s, words[i].word, n) == 0) {
      p->s += n;
      v->kind = words[i].kind;
      return v;
    }
  }
  switch (*p->s) {
  case '"':
    p->s++;
    v->kind = J_STRING;
    v->string = parse_string(p);
    return v->string != NULL ? v : NULL;
  case '[':
    p->s++;
    v->kind = J_ARRAY;
    return parse_list(p, v, ']', depth);
  case '{':
    p->s++;
    v->kind = J_OBJECT;
    return parse_list(p, v, '}', depth);
  default: {
    char *end;
    errno = 0;
    v->number = strtod(p->s, &end);
    if (end == p->s || errno != 0)
      return fail(p, "unexpected character");
    p->s = end;
    v->kind = J_NUMBER;
    return v;
  }
  }
}

/* Parses text into a new pool; NULL (and *error) on failure. */
static struct json *parse(mp_pool_t *pool, const char *text,
                          const char **error) {
  struct parser p = {pool, text, NULL};
  struct json *v = parse_value(&p, 0);
  skip_ws(&p);
  if (v != NULL && *p.s != '\0')
    v = fail(&p, "trailing characters");
  *error = p.error;
  return v;
}

/* A string literal for s, quoted and escaped. */
static char *quote(mp_pool_t *pool, const char *s) {
  size_t n = 2;
  for (const char *c = s; *c; c++)
    n += strchr("\"\\\n\t\r\b\f", *c) ? 2 : 1;
  char *out = mp_nalloc(pool, n + 1), *d = out;
  if (out == NULL)
    return NULL;
  *d++ = '"';
  for (const char *c = s; *c; c++) {
    const char *esc = strchr("\"\\\n\t\r\b\f", *c);
    if (esc != NULL) {
      *d++ = '\\';
      *d++ = "\"\\ntrbf"[esc - "\"\\\n\t\r\b\f"];
    } else {
      *d++ = *c;
    }
  }
  *d++ = '"';
  *d = '\0';
  return out;
}

/* v printed compactly, into the scratch pool. */
static char *print(mp_pool_t *scratch, const struct json *v) {
  switch (v->kind) {
  case J_NULL:
    return mp_strdup(scratch, "null");
  case J_FALSE:
    return mp_strdup(scratch, "false");
  case J_TRUE:
    return mp_strdup(scratch, "true");
  case J_NUMBER:
    return mp_printf(scratch, "%.17g", v->number);
  case J_STRING:
    return quote(scratch, v->string);
  case J_ARRAY:
  case J_OBJECT:
    break;
  }
  const char **parts = mp_alloc(scratch, (v->count + 1) * sizeof *parts);
  if (parts == NULL)
    return NULL;
  size_t i = 0;
  for (const struct json *e = v->first; e != NULL; e = e->next, i++) {
    char *s = print(scratch, e);
    if (s != NULL && v->kind == J_OBJECT) {
      char *k = quote(scratch, e->key);
      s = k != NULL ? mp_strcat(scratch, k, ":", s, (char *)NULL) : NULL;
    }
    if (s == NULL)
      return NULL;
    parts[i] = s;
  }
  char *inner = mp_join(scratch, parts, v->count, ",");
  if (inner == NULL)
    return NULL;
  return v->kind == J_ARRAY ? mp_strcat(scratch, "[", inner, "]", (char *)NULL)
                            : mp_strcat(scratch, "{", inner, "}", (char *)NULL);
}

int main(void) {
  static const struct {
    const char *in, *out;
  } docs[] = {
      {" { \"name\" : \"mpool\", \"version\": [0, 1, 0],\n"
       "   \"tags\": [\"pool\", \"region\", \"arena\"],\n"
       "   \"stable\": false, \"license\": null,\n"
       "   \"ratio\": 0.25, \"nested\": {\"a\": {\"b\": [[], {}]}},\n"
       "   \"escaped\": \"tab\\there \\\"quoted\\\" \\u0041\" } ",
       "{\"name\":\"mpool\",\"version\":[0,1,0],"
       "\"tags\":[\"pool\",\"region\",\"arena\"],"
       "\"stable\":false,\"license\":null,"
       "\"ratio\":0.25,\"nested\":{\"a\":{\"b\":[[],{}]}},"
       "\"escaped\":\"tab\\there \\\"quoted\\\" A\"}"},
      {"[1e3, -2.5, true]", "[1000,-2.5,true]"},
      {"\"just a string\"", "\"just a string\""},
      {"{\"unterminated\": [1, 2}", NULL},
  };
  for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
    mp_pool_t *doc = mp_create_pool(4096);
    mp_pool_t *scratch = doc ? mp_create_child(doc, 0) : NULL;
    if (scratch == NULL) {
      perror("mp_create_pool");
      mp_destroy_pool(doc);
      return 1;
    }
    const char *error;
    struct json *v = parse(doc, docs[i].in, &error);
    if (v == NULL) {
      printf("document %zu: error: %s\n", i + 1, error);
      mp_destroy_pool(doc);
      if (docs[i].out != NULL)
        return 1;
      continue;
    }
    char *text = print(scratch, v);
    if (text == NULL || docs[i].out == NULL || strcmp(text, docs[i].out) != 0) {
      fprintf(stderr, "document %zu: printed %s\n", i + 1, text ? text : "?");
      mp_destroy_pool(doc);
      return 1;
    }
    mp_stats_t st = {.size = sizeof st};
    if (mp_stats(doc, &st, 0) != 0) {
      mp_destroy_pool(doc);
      return 1;
    }
    printf("document %zu: %s\n  (%zu bytes of tree in %zu node%s)\n", i + 1,
           text, st.bytes_used, st.nodes, st.nodes == 1 ? "" : "s");
    /* The tree, its strings and the scratch pool go in one call. */
    mp_destroy_pool(doc);
  }
  printf("json_tree: ok\n");
  return 0;
}
