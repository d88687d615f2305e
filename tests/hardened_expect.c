/*
 * Usage: hardened_expect PROGRAM CASE FORM
 * Runs PROGRAM CASE (tests/hardened_cases.c) and checks that it died of
 * SIGABRT, that its stderr is exactly the one line it printed on stdout
 * before its bug, and that this line has the form FORM, where each %p
 * stands for a pointer as printf() prints it (0x and hex digits), e.g.
 *   mpool: mp_free_sized: double free of %p (pool %p)
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads what f holds from its start into buf (cap bytes, NUL-terminated). */
static void slurp(FILE *f, char *buf, size_t cap) {
  rewind(f);
  size_t n = fread(buf, 1, cap - 1, f);
  buf[n] = '\0';
}

/* Whether line (one line, with its newline) has the form of form. */
static bool has_form(const char *line, const char *form) {
  while (*form != '\0') {
    if (form[0] == '%' && form[1] == 'p') {
      if (line[0] != '0' || line[1] != 'x' || !isxdigit((unsigned char)line[2]))
        return false;
      line += 2;
      while (isxdigit((unsigned char)*line))
        line++;
      form += 2;
    } else if (*line++ != *form++) {
      return false;
    }
  }
  return strcmp(line, "\n") == 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: hardened_expect PROGRAM CASE FORM\n");
    return 2;
  }
  const char *name = argv[2], *form = argv[3];
  FILE *out = tmpfile(), *err = tmpfile();
  if (out == NULL || err == NULL) {
    perror("hardened_expect: tmpfile");
    return 2;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    perror("hardened_expect: fork");
    return 2;
  }
  if (pid == 0) {
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    char *args[] = {argv[1], argv[2], NULL};
    execv(argv[1], args);
    perror("hardened_expect: exec");
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid) {
    perror("hardened_expect: waitpid");
    return 2;
  }
  static char want[4096], got[4096];
  slurp(out, want, sizeof want);
  slurp(err, got, sizeof got);
  bool ok = true;
  if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
    if (WIFSIGNALED(status))
      printf("%s: died of signal %d, expected SIGABRT\n", name,
             WTERMSIG(status));
    else
      printf("%s: exited with %d, expected SIGABRT\n", name,
             WEXITSTATUS(status));
    ok = false;
  }
  size_t len = strlen(want);
  if (len == 0 || strchr(want, '\n') != want + len - 1 ||
      strcmp(got, want) != 0) {
    printf("%s: stderr is not the one line expected\n", name);
    ok = false;
  }
  if (!has_form(got, form)) {
    printf("%s: stderr does not have the form \"%s\"\n", name, form);
    ok = false;
  }
  if (!ok) {
    printf("stdout (the line expected): \"%s\"\nstderr: \"%s\"\n", want, got);
    return 1;
  }
  printf("%s: SIGABRT and %s", name, got);
  return 0;
}
