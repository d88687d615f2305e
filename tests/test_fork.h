/*
 * Runs a deliberate bug in a child process and captures what it printed on
 * stderr, so tests can check that a tool or the library reported it.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_TEST_FORK_H
#define MPOOL_TEST_FORK_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a child did: its wait status and up to 16 KiB of its stderr. */
typedef struct {
  int status;
  char err[16384];
} child_result_t;

/* Runs bug(arg) in a child whose stderr goes to r->err; the child exits 0
 * if bug returns.  The child dies of the signals a fault raises (cmocka's
 * handlers for them, inherited, would carry on with the next test in the
 * child).  Returns 0, or -1 if the child could not be run. */
static int run_child(void (*bug)(void *), void *arg, child_result_t *r) {
  int fd[2];
  memset(r, 0, sizeof *r);
  if (pipe(fd) != 0)
    return -1;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    close(fd[0]);
    dup2(fd[1], 2);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGILL, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    bug(arg);
    _exit(0);
  }
  close(fd[1]);
  size_t len = 0;
  for (;;) {
    ssize_t n = read(fd[0], r->err + len, sizeof r->err - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
    if (len == sizeof r->err - 1) { /* keep draining, drop the rest */
      char sink[512];
      while (read(fd[0], sink, sizeof sink) > 0)
        ;
      break;
    }
  }
  r->err[len] = '\0';
  close(fd[0]);
  if (waitpid(pid, &r->status, 0) != pid)
    return -1;
  return 0;
}

/* True if the child died of SIGABRT. */
static inline int child_aborted(const child_result_t *r) {
  return WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGABRT;
}

/* True if the child failed: a non-zero exit or a signal. */
static inline int child_failed(const child_result_t *r) {
  return WIFSIGNALED(r->status) ||
         (WIFEXITED(r->status) && WEXITSTATUS(r->status) != 0);
}

#endif
