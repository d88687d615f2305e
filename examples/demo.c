/*
 * demo: one pool per request, reused with reset.
 *
 * Splits a few request lines into words held in the pool, keeps a large
 * body buffer that is released early with mp_free(), and resets the pool
 * between requests so that steady state allocates nothing from the system.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.h>

#include <stdio.h>
#include <string.h>

struct word {
  const char *text;
  struct word *next;
};

/* Copies each space-separated word of line into the pool. */
static struct word *split(mp_pool_t *pool, const char *line) {
  struct word *head = NULL, **tail = &head;
  while (*line) {
    size_t n = strcspn(line, " ");
    if (n > 0) {
      char *text = mp_nalloc(pool, n + 1);
      struct word *w = mp_alloc(pool, sizeof *w);
      if (text == NULL || w == NULL)
        return NULL;
      memcpy(text, line, n);
      text[n] = '\0';
      w->text = text;
      w->next = NULL;
      *tail = w;
      tail = &w->next;
    }
    line += n;
    line += strspn(line, " ");
  }
  return head;
}

int main(void) {
  static const char *requests[] = {
      "GET /index.html HTTP/1.1",
      "POST /upload HTTP/1.1 with a body",
      "GET /favicon.ico HTTP/1.1",
  };
  mp_pool_t *pool = mp_create_pool(0);
  if (pool == NULL) {
    perror("mp_create_pool");
    return 1;
  }
  for (size_t r = 0; r < sizeof requests / sizeof requests[0]; r++) {
    struct word *words = split(pool, requests[r]);
    if (words == NULL) {
      perror("split");
      mp_destroy_pool(pool);
      return 1;
    }
    /* A large body buffer, done with before the request ends. */
    char *body = mp_alloc(pool, 64 * 1024);
    if (body == NULL) {
      perror("mp_alloc");
      mp_destroy_pool(pool);
      return 1;
    }
    memset(body, 'x', 64 * 1024);
    mp_free(pool, body);

    printf("request %zu:", r + 1);
    for (struct word *w = words; w != NULL; w = w->next)
      printf(" [%s]", w->text);
    printf("\n");
    mp_reset_pool(pool); /* everything from this request is gone */
  }
  mp_destroy_pool(pool);
  printf("demo: ok\n");
  return 0;
}
