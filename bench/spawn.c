/*
 * Running one worker process for mpool-bench: posix_spawn with stdout on a
 * pipe, the output collected, the child's rusage returned.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* environ, wait4 */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"

extern char **environ;

int spawn_collect(char *const argv[], const char *preload, int use_path,
                  char *buf, size_t bufsz, struct rusage *ru) {
  int fds[2];
  if (pipe(fds))
    return -1;
  size_t nenv = 0;
  while (environ[nenv])
    nenv++;
  char **envp = calloc(nenv + 2, sizeof *envp);
  char pre[PATH_MAX + 16];
  size_t k = 0;
  for (size_t i = 0; i < nenv; i++)
    if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
      envp[k++] = environ[i];
  if (preload) {
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", preload);
    envp[k++] = pre;
  }
  envp[k] = NULL;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid;
  int rc = use_path ? posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp)
                    : posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  free(envp);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    errno = rc;
    return -1;
  }
  size_t have = 0;
  for (;;) {
    char tmp[512];
    ssize_t r = read(fds[0], tmp, sizeof tmp);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    size_t take = (size_t)r;
    if (have + take >= bufsz)
      take = bufsz - 1 - have;
    memcpy(buf + have, tmp, take);
    have += take;
  }
  buf[have] = '\0';
  close(fds[0]);
  int st;
  while (wait4(pid, &st, 0, ru) < 0)
    if (errno != EINTR)
      return -1;
  return st;
}
