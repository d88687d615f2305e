/*
 * pool_tree_signal: a toy server that prints its live pool tree when it
 * receives SIGUSR1, as a long-running program would for its operators.
 *
 * The server keeps a root pool ("server") with a long-lived "config"
 * child, a child pool per request in flight ("request", identified by its
 * path) with a "parser" child of its own, a MP_POOL_SHARED pool of
 * sessions, and an unnamed scratch pool.  The SIGUSR1 handler only sets a
 * flag (a volatile sig_atomic_t: nothing else is async-signal-safe); the
 * main loop sees the flag between requests, when none of its pools is in
 * use, and prints the tree with mp_tree_print() -- as text, or as JSON
 * with --json.
 *
 *   pool_tree_signal [--json]                 runs until SIGINT or SIGTERM;
 *                                             kill -USR1 <pid> prints the tree
 *   pool_tree_signal [--json] --self-signal N raises SIGUSR1 itself after N
 *                                             requests, prints, and exits
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include <mpool.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t print_requested;
static volatile sig_atomic_t stop_requested;

static void on_usr1(int sig) {
  (void)sig;
  print_requested = 1;
}

static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int install(int sig, void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  return sigaction(sig, &sa, NULL);
}

#define IN_FLIGHT 2 /* requests kept open at once */

struct server {
  mp_pool_t *root;     /* "server": everything per request lives under it */
  mp_pool_t *config;   /* "config", a child of root, lives as long */
  mp_pool_t *sessions; /* "sessions", MP_POOL_SHARED, a root of its own */
  mp_pool_t *scratch;  /* unnamed, reset after every request */
  mp_pool_t *open[IN_FLIGHT]; /* the requests in flight, oldest first */
};

/* One request: a child of the server with a parser child, some parsing
 * done in both.  NULL on out of memory. */
static mp_pool_t *start_request(struct server *s, unsigned long n) {
  mp_pool_t *req = mp_create_child(s->root, 0);
  if (req == NULL)
    return NULL;
  char path[48];
  snprintf(path, sizeof path, "GET /item/%lu", n);
  mp_pool_t *parser = mp_create_child(req, 0);
  if (mp_pool_set_name(req, "request", path) != 0 || parser == NULL ||
      mp_pool_set_name(parser, "parser", NULL) != 0 ||
      mp_strdup(req, path) == NULL ||
      mp_alloc(parser, 64 + 32 * (n % 8)) == NULL ||
      mp_printf(s->scratch, "%lu", n) == NULL) {
    mp_destroy_pool(req); /* and its parser */
    return NULL;
  }
  /* A session record every few requests, in the shared pool. */
  if (n % 3 == 0 && mp_alloc(s->sessions, 48) == NULL) {
    mp_destroy_pool(req);
    return NULL;
  }
  return req;
}

/* Opens request n and closes the oldest one: 0, or -1 on out of memory. */
static int serve(struct server *s, unsigned long n) {
  mp_pool_t *req = start_request(s, n);
  if (req == NULL)
    return -1;
  mp_destroy_pool(s->open[0]); /* NULL while the first ones arrive */
  memmove(&s->open[0], &s->open[1], sizeof s->open - sizeof s->open[0]);
  s->open[IN_FLIGHT - 1] = req;
  mp_reset_pool(s->scratch);
  return 0;
}

static int set_up(struct server *s) {
  memset(s, 0, sizeof *s);
  mp_options_t o;
  mp_options_init(&o);
  o.flags = MP_POOL_SHARED;
  s->root = mp_create_pool(0);
  s->sessions = mp_create_pool_ex(&o);
  s->scratch = mp_create_pool(0);
  if (s->root == NULL || s->sessions == NULL || s->scratch == NULL)
    return -1;
  s->config = mp_create_child(s->root, 0);
  if (s->config == NULL || mp_pool_set_name(s->root, "server", "toy") != 0 ||
      mp_pool_set_name(s->config, "config", NULL) != 0 ||
      mp_pool_set_name(s->sessions, "sessions", "shared") != 0 ||
      mp_strdup(s->config, "listen=127.0.0.1:8080") == NULL)
    return -1;
  return 0;
}

static void tear_down(struct server *s) {
  mp_destroy_pool(s->root); /* with config and the open requests */
  mp_destroy_pool(s->sessions);
  mp_destroy_pool(s->scratch);
}

static void usage(void) {
  fprintf(stderr, "usage: pool_tree_signal [--json] [--self-signal N]\n");
}

int main(int argc, char **argv) {
  int flags = 0;
  long self_signal = -1; /* raise SIGUSR1 after this many requests */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      flags = MP_TREE_JSON;
    } else if (strcmp(argv[i], "--self-signal") == 0 && i + 1 < argc) {
      char *end;
      self_signal = strtol(argv[++i], &end, 10);
      if (*end != '\0' || self_signal < 1 || self_signal > 1000000) {
        usage();
        return 2;
      }
    } else {
      usage();
      return 2;
    }
  }
  if (install(SIGUSR1, on_usr1) != 0 || install(SIGINT, on_stop) != 0 ||
      install(SIGTERM, on_stop) != 0) {
    perror("pool_tree_signal: sigaction");
    return 1;
  }
  struct server s;
  if (set_up(&s) != 0) {
    fprintf(stderr, "pool_tree_signal: out of memory\n");
    tear_down(&s);
    return 1;
  }
  if (self_signal < 0)
    fprintf(stderr,
            "pool_tree_signal: pid %ld; kill -USR1 %ld prints the pool "
            "tree, Ctrl-C stops\n",
            (long)getpid(), (long)getpid());
  int status = 0;
  for (unsigned long n = 1; !stop_requested; n++) {
    if (serve(&s, n) != 0) {
      fprintf(stderr, "pool_tree_signal: out of memory\n");
      status = 1;
      break;
    }
    if (self_signal > 0 && n == (unsigned long)self_signal)
      raise(SIGUSR1); /* the handler has run when raise() returns */
    if (print_requested) {
      /* Between requests: no pool is in use, so the walk may read them
       * all.  (A signal handler must not walk: it could interrupt an
       * allocation, and the walk takes a lock.) */
      print_requested = 0;
      printf("pool tree after %lu requests:\n", n);
      if (mp_tree_print(NULL, stdout, flags) != 0) {
        perror("pool_tree_signal: mp_tree_print");
        status = 1;
        break;
      }
      if (self_signal > 0) {
        printf("pool_tree_signal: ok\n");
        break;
      }
    }
    if (self_signal < 0) {
      struct timespec pause = {0, 50 * 1000 * 1000}; /* a request per 50 ms */
      nanosleep(&pause, NULL); /* a signal cuts it short: fine */
    }
  }
  tear_down(&s);
  return status;
}
