/*
 * Instructions per mp_alloc(), counted with callgrind on mpool-icount
 * (icount.c), for mpool-bench's table.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* mkstemp */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"

/* Three variants, each one callgrind run of mpool-icount (see icount.c):
 * "inline" counts mp_alloc() as callers compile it (the header's inline
 * fast path, calling the library when a node is full); "call" counts the
 * library function itself; "const" counts an inline call site with a
 * compile-time size (48 bytes), the common case in C code. */
enum { IC_INLINE, IC_CALL, IC_CONST, NIC };
static const char *const ic_variant[NIC] = {"inline", "call", "const"};
static const char *const ic_toggle[NIC] = {"mpb_icount_site*", "mp_alloc",
                                           "mpb_icount_const*"};
static const char *const ic_what[NIC] = {
    "mp_alloc() as compiled into the caller (inline fast path + library)",
    "the library function mp_alloc() called through a pointer",
    "mp_alloc(pool, 48): a compile-time size, as in mp_alloc(p, sizeof *o)"};

static struct {
  int status; /* C_OK, C_NA, C_ERROR; meaningful if tried */
  char note[200];
  uint64_t calls, instructions;
  double per_call;
} ic[NIC];
static int ic_tried;

static void run_icount_variant(int v) {
  char outfile[] = "/tmp/mpool-icount.XXXXXX";
  int fd = mkstemp(outfile);
  if (fd < 0) {
    ic[v].status = C_ERROR;
    snprintf(ic[v].note, sizeof ic[v].note, "mkstemp: %s", strerror(errno));
    return;
  }
  close(fd);
  char outopt[sizeof outfile + 32], nreq[32], toggle[64];
  snprintf(outopt, sizeof outopt, "--callgrind-out-file=%s", outfile);
  snprintf(nreq, sizeof nreq, "%llu", o.icount_requests);
  snprintf(toggle, sizeof toggle, "--toggle-collect=%s", ic_toggle[v]);
  char *argv[] = {(char *)o.valgrind,
                  "--tool=callgrind",
                  toggle,
                  "--quiet",
                  outopt,
                  (char *)o.icount,
                  nreq,
                  (char *)ic_variant[v],
                  NULL};
  char buf[1024];
  struct rusage ru;
  fprintf(stderr, "callgrind: %s %s %s\n", o.icount, nreq, ic_variant[v]);
  int st = spawn_collect(argv, NULL, 1, buf, sizeof buf, &ru);
  if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
      sscanf(buf, "calls %" SCNu64, &ic[v].calls) != 1 || ic[v].calls == 0) {
    ic[v].status = C_NA;
    snprintf(ic[v].note, sizeof ic[v].note,
             st < 0 ? "cannot run %s" : "%s failed (is valgrind installed?)",
             o.valgrind);
    unlink(outfile);
    return;
  }
  FILE *f = fopen(outfile, "r");
  char line[512];
  int found = 0;
  while (f && fgets(line, sizeof line, f)) {
    /* "totals:" is the sum of collected events; "summary:" its synonym in
     * older files.  The first event is Ir. */
    if (strncmp(line, "totals:", 7) == 0 || strncmp(line, "summary:", 8) == 0) {
      ic[v].instructions = strtoull(strchr(line, ':') + 1, NULL, 10);
      found = 1;
      if (line[0] == 't')
        break;
    }
  }
  if (f)
    fclose(f);
  unlink(outfile);
  if (!found || ic[v].instructions == 0) {
    ic[v].status = C_NA;
    snprintf(ic[v].note, sizeof ic[v].note,
             "callgrind counted nothing inside %s", ic_toggle[v]);
    return;
  }
  ic[v].status = C_OK;
  ic[v].per_call = (double)ic[v].instructions / (double)ic[v].calls;
}

void run_icount(void) {
  if (!o.icount)
    return;
  ic_tried = 1;
  for (int v = 0; v < NIC; v++)
    run_icount_variant(v);
}

void print_icount(FILE *f) {
  if (!ic_tried)
    return;
  fprintf(f, "instructions per small mp_alloc, reset workload (callgrind, "
             "inclusive):\n");
  for (int v = 0; v < NIC; v++) {
    if (ic[v].status == C_OK)
      fprintf(f, "  %-6s %7.2f  (%" PRIu64 " / %" PRIu64 " calls): %s\n",
              ic_variant[v], ic[v].per_call, ic[v].instructions, ic[v].calls,
              ic_what[v]);
    else
      fprintf(f, "  %-6s     n/a  %s\n", ic_variant[v], ic[v].note);
  }
}

/* CSV rows in report.c's columns: the 12 figures after "reps" are empty,
 * then instructions_per_op and the note. */
void write_icount_csv(FILE *f) {
  for (int v = 0; ic_tried && v < NIC; v++) {
    fprintf(f, "icount,,,,mp_alloc %s,mpool,%s,1,,,,,,,,,,,,,", ic_variant[v],
            ic[v].status == C_OK ? "ok" : "n/a");
    if (ic[v].status == C_OK)
      fprintf(f, "%.3f", ic[v].per_call);
    char note[300];
    if (ic[v].status == C_OK)
      snprintf(note, sizeof note,
               "callgrind Ir per small call on the reset workload, %s: "
               "%" PRIu64 " / %" PRIu64,
               ic_what[v], ic[v].instructions, ic[v].calls);
    else
      snprintf(note, sizeof note, "%s", ic[v].note);
    fputs(",\"", f);
    for (const char *s = note; *s; s++) {
      if (*s == '"')
        fputc('"', f);
      fputc(*s, f);
    }
    fputs("\"\n", f);
  }
}

void write_icount_json(FILE *f) {
  if (!ic_tried) {
    fputs("null", f);
    return;
  }
  for (int v = 0; v < NIC; v++) {
    fprintf(f, "%s{\"variant\": \"%s\", \"workload\": \"reset\", ",
            v ? ",\n    " : "[\n    ", ic_variant[v]);
    fputs("\"what\": ", f);
    json_str(f, ic_what[v]);
    if (ic[v].status == C_OK)
      fprintf(f,
              ", \"status\": \"ok\", \"instructions_per_call\": %.3f, "
              "\"instructions\": %" PRIu64 ", \"calls\": %" PRIu64
              ", \"tool\": \"valgrind --tool=callgrind "
              "--toggle-collect=%s\"}",
              ic[v].per_call, ic[v].instructions, ic[v].calls, ic_toggle[v]);
    else {
      fputs(", \"status\": \"n/a\", \"note\": ", f);
      json_str(f, ic[v].note);
      fputc('}', f);
    }
  }
  fputs("\n  ]", f);
}
