/*
 * mpool-bench: runs every (workload, peer) pair of the benchmark, each in a
 * worker process of its own, interleaving the peers within each repetition,
 * and writes the results as a terminal table, CSV, JSON, a machine
 * description and a data file for the chart.
 *
 * One repetition runs every workload once for every peer; the peer order
 * rotates from one repetition to the next, so slow drifts of the machine
 * (frequency, other load) fall on all peers alike.  Each run is a fresh
 * process (posix_spawn of the peer's worker), which reports its wall time
 * and its peak resident set (VmHWM) when the workload is done.  The
 * driver also runs each worker once per repetition with no workload, which
 * gives that worker's floor.
 *
 * Run with --help for the options.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* environ, wait4 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

/* ------------------------------------------------------------------------
 * What is measured
 * ---------------------------------------------------------------------- */

enum { W_REQUEST, W_RESET, W_BURST, W_CHURN, W_STRINGS, NWORK };

static const char *const work_name[NWORK] = {"request", "reset", "burst",
                                             "churn", "strings"};
/* What one operation is, for "ns per operation". */
static const char *const work_op[NWORK] = {"request", "request", "alloc",
                                           "step", "request"};

enum {
  P_MPOOL,
  P_MPOOL_BUDGET,
  P_MPOOL_WIPE,
  P_APR,
  P_TALLOC,
  P_TALLOC_POOL,
  P_MIMALLOC,
  P_OBSTACK,
  P_GLIBC,
  P_JEMALLOC,
  P_TCMALLOC,
  P_BUMP, /* reference: the workload alone */
  NPEER
};

typedef struct peer_def {
  const char *name;
  const char *worker;  /* executable in the bin dir */
  const char *preload; /* LD_PRELOAD, or NULL */
  const char *missing; /* set when the peer cannot run at all */
  int enabled;
} peer_def_t;

static peer_def_t peers[NPEER] = {
    {"mpool", "mpb-worker-mpool", NULL, NULL, 1},
    {"mpool-budget", "mpb-worker-mpool-budget", NULL, NULL, 1},
    {"mpool-wipe", "mpb-worker-mpool-wipe", NULL, NULL, 1},
    {"apr", "mpb-worker-apr", NULL, NULL, 1},
    {"talloc", "mpb-worker-talloc", NULL, NULL, 1},
    {"talloc-pool", "mpb-worker-talloc-pool", NULL, NULL, 1},
    {"mimalloc", "mpb-worker-mimalloc", NULL, NULL, 1},
    {"obstack", "mpb-worker-obstack", NULL, NULL, 1},
    {"glibc", "mpb-worker-malloc", NULL, NULL, 1},
    {"jemalloc", "mpb-worker-malloc", NULL, NULL, 1},
    {"tcmalloc", "mpb-worker-malloc", NULL, NULL, 1},
    {"bump", "mpb-worker-bump", NULL, NULL, 1},
};

enum { C_OK, C_NA, C_ERROR };

#define MAX_REPS 101

typedef struct cell {
  int status;            /* C_OK, C_NA, C_ERROR */
  char note[160];        /* reason for n/a or error */
  int n;                 /* samples collected */
  double ns_per_op[MAX_REPS];
  double rss_mib[MAX_REPS];    /* VmHWM reported by the worker */
  double maxrss_mib[MAX_REPS]; /* ru_maxrss from wait4() */
  double faults_per_op[MAX_REPS]; /* minor page faults in the timed part */
  uint64_t ops;
} cell_t;

static cell_t cells[NWORK][NPEER];
static cell_t floors[NPEER]; /* the "empty" run of each peer's worker */
static int work_enabled[NWORK] = {1, 1, 1, 1, 1};

/* ------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------- */

typedef struct opts {
  char bin_dir[PATH_MAX];
  const char *out_dir;
  const char *plot_data;
  const char *icount;
  const char *valgrind;
  unsigned long long icount_requests;
  int reps;
  int quick;
  const char *touch; /* "ends" or "lines", passed to every worker */
  mpb_params_t params;
  const char *env[32]; /* extra machine lines, KEY=VALUE */
  int nenv;
} opts_t;

static opts_t o;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("mpool-bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void usage(FILE *f) {
  fputs(
      "usage: mpool-bench [options]\n"
      "  --reps N            repetitions per (workload, peer) (default 5)\n"
      "  --quick             1 repetition and small counts (smoke test)\n"
      "  --out-dir DIR       write results.csv, results.json, machine.txt\n"
      "                      here (default: no files, table only)\n"
      "  --plot-data FILE    write gnuplot data (one block per workload)\n"
      "  --bin-dir DIR       where the mpb-worker-* programs are\n"
      "                      (default: this program's directory)\n"
      "  --jemalloc SO       preload library for the jemalloc peer\n"
      "  --tcmalloc SO       preload library for the tcmalloc peer\n"
      "  --icount PROG       callgrind driver (mpool-icount); without it no\n"
      "                      instruction count is taken\n"
      "  --icount-requests N requests the callgrind driver runs\n"
      "  --valgrind PROG     valgrind to use (default: valgrind in PATH)\n"
      "  --peers LIST        comma-separated peers to run\n"
      "  --workloads LIST    comma-separated workloads to run\n"
      "  --env KEY=VALUE     add a line to the machine description\n"
      "  --seed N --requests N --burst N --churn-steps N --churn-live BYTES\n"
      "  --strings N --warmup N\n"
      "                      workload sizes (see bench/README.md)\n"
      "  --touch ends|lines  how workloads touch each object: its first and\n"
      "                      last byte (default), or a byte per 64\n",
      f);
}

static unsigned long long num_arg(const char *opt, const char *v) {
  char *end;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 0);
  if (errno || end == v || *end)
    die("%s: not a number: %s", opt, v);
  return n;
}

static void select_list(const char *opt, const char *list, int *flags,
                        const char *const *names, size_t stride, int n) {
  for (int i = 0; i < n; i++)
    flags[i] = 0;
  char buf[512];
  snprintf(buf, sizeof buf, "%s", list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
       t = strtok_r(NULL, ",", &save)) {
    int found = 0;
    for (int i = 0; i < n; i++) {
      const char *name = *(const char *const *)((const char *)names +
                                                (size_t)i * stride);
      if (strcmp(t, name) == 0) {
        flags[i] = 1;
        found = 1;
      }
    }
    if (!found)
      die("%s: unknown name: %s", opt, t);
  }
}

static void parse_args(int argc, char **argv) {
  mpb_params_default(&o.params);
  o.reps = 5;
  o.touch = "ends";
  o.valgrind = "valgrind";
  o.icount_requests = 20000;
  int reps_set = 0;
  const char *peer_list = NULL, *work_list = NULL;
  mpb_params_t set;
  memset(&set, 0, sizeof set);

  ssize_t len = readlink("/proc/self/exe", o.bin_dir, sizeof o.bin_dir - 1);
  if (len > 0) {
    o.bin_dir[len] = '\0';
    char *slash = strrchr(o.bin_dir, '/');
    if (slash)
      *slash = '\0';
  } else {
    snprintf(o.bin_dir, sizeof o.bin_dir, ".");
  }

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      exit(0);
    }
    if (strcmp(a, "--quick") == 0) {
      o.quick = 1;
      continue;
    }
    if (i + 1 >= argc) {
      usage(stderr);
      exit(2);
    }
    const char *v = argv[++i];
    if (strcmp(a, "--touch") == 0) {
      if (strcmp(v, "ends") != 0 && strcmp(v, "lines") != 0)
        die("--touch wants ends or lines: %s", v);
      o.touch = v;
    } else if (strcmp(a, "--reps") == 0) {
      unsigned long long n = num_arg(a, v);
      if (n < 1 || n > MAX_REPS)
        die("--reps must be 1..%d", MAX_REPS);
      o.reps = (int)n;
      reps_set = 1;
    } else if (strcmp(a, "--out-dir") == 0) {
      o.out_dir = v;
    } else if (strcmp(a, "--plot-data") == 0) {
      o.plot_data = v;
    } else if (strcmp(a, "--bin-dir") == 0) {
      snprintf(o.bin_dir, sizeof o.bin_dir, "%s", v);
    } else if (strcmp(a, "--jemalloc") == 0) {
      peers[P_JEMALLOC].preload = v;
    } else if (strcmp(a, "--tcmalloc") == 0) {
      peers[P_TCMALLOC].preload = v;
    } else if (strcmp(a, "--icount") == 0) {
      o.icount = v;
    } else if (strcmp(a, "--icount-requests") == 0) {
      o.icount_requests = num_arg(a, v);
    } else if (strcmp(a, "--valgrind") == 0) {
      o.valgrind = v;
    } else if (strcmp(a, "--peers") == 0) {
      peer_list = v;
    } else if (strcmp(a, "--workloads") == 0) {
      work_list = v;
    } else if (strcmp(a, "--env") == 0) {
      if (o.nenv == (int)(sizeof o.env / sizeof o.env[0]))
        die("too many --env");
      if (!strchr(v, '='))
        die("--env wants KEY=VALUE: %s", v);
      o.env[o.nenv++] = v;
    } else if (strcmp(a, "--seed") == 0) {
      set.seed = o.params.seed = num_arg(a, v);
    } else if (strcmp(a, "--requests") == 0) {
      set.requests = o.params.requests = num_arg(a, v);
    } else if (strcmp(a, "--burst") == 0) {
      set.burst = o.params.burst = num_arg(a, v);
    } else if (strcmp(a, "--churn-steps") == 0) {
      set.churn_steps = o.params.churn_steps = num_arg(a, v);
    } else if (strcmp(a, "--churn-live") == 0) {
      set.churn_live = o.params.churn_live = num_arg(a, v);
    } else if (strcmp(a, "--strings") == 0) {
      set.strings = o.params.strings = num_arg(a, v);
    } else if (strcmp(a, "--warmup") == 0) {
      set.warmup = o.params.warmup = num_arg(a, v);
    } else {
      usage(stderr);
      exit(2);
    }
  }

  if (o.quick) { /* small counts unless given explicitly */
    if (!reps_set)
      o.reps = 1;
    if (!set.requests)
      o.params.requests = 5000;
    if (!set.burst)
      o.params.burst = 200000;
    if (!set.churn_steps)
      o.params.churn_steps = 100000;
    if (!set.churn_live)
      o.params.churn_live = (size_t)1 << 20;
    if (!set.strings)
      o.params.strings = 1000;
    if (!set.warmup)
      o.params.warmup = 200;
    o.icount_requests = o.icount_requests == 20000 ? 1000 : o.icount_requests;
  }
  if (!o.params.requests || !o.params.burst || !o.params.churn_steps ||
      !o.params.churn_live || !o.params.strings)
    die("workload counts must be positive");
  if (peer_list) {
    int f[NPEER];
    select_list("--peers", peer_list, f, &peers[0].name, sizeof peers[0],
                NPEER);
    for (int p = 0; p < NPEER; p++)
      peers[p].enabled = f[p];
  }
  if (work_list)
    select_list("--workloads", work_list, work_enabled, work_name,
                sizeof work_name[0], NWORK);
}

/* ------------------------------------------------------------------------
 * Running one worker
 * ---------------------------------------------------------------------- */

typedef struct run_out {
  int status; /* C_OK, C_NA, C_ERROR */
  char note[160];
  uint64_t ops, ns, hwm_kib, faults;
  long maxrss_kib;
} run_out_t;

/* Spawns argv[0] with stdout on a pipe and, if preload, LD_PRELOAD set (and
 * any inherited LD_PRELOAD dropped otherwise).  Collects stdout into buf and
 * the rusage of the child.  Returns the wait status, or -1. */
static int spawn_collect(char *const argv[], const char *preload, int use_path,
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
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY,
                                   0);
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

static void run_worker(int p, const char *workload, run_out_t *out) {
  memset(out, 0, sizeof *out);
  char exe[PATH_MAX + 64];
  snprintf(exe, sizeof exe, "%s/%s", o.bin_dir, peers[p].worker);
  char a[8][32];
  snprintf(a[0], sizeof a[0], "%" PRIu64, o.params.seed);
  snprintf(a[1], sizeof a[1], "%zu", o.params.requests);
  snprintf(a[2], sizeof a[2], "%zu", o.params.burst);
  snprintf(a[3], sizeof a[3], "%zu", o.params.churn_steps);
  snprintf(a[4], sizeof a[4], "%zu", o.params.churn_live);
  snprintf(a[5], sizeof a[5], "%zu", o.params.strings);
  snprintf(a[6], sizeof a[6], "%zu", o.params.warmup);
  char *argv[] = {exe,           "--workload",    (char *)workload,
                  "--label",     (char *)peers[p].name,
                  "--seed",      a[0],            "--requests",
                  a[1],          "--burst",       a[2],
                  "--churn-steps", a[3],          "--churn-live",
                  a[4],          "--strings",     a[5],
                  "--warmup",    a[6],            "--touch",
                  (char *)o.touch, NULL};
  char buf[1024];
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  int st = spawn_collect(argv, peers[p].preload, 0, buf, sizeof buf, &ru);
  out->maxrss_kib = ru.ru_maxrss;
  char *nl = strchr(buf, '\n');
  if (nl)
    *nl = '\0';
  if (st < 0) {
    out->status = C_ERROR;
    snprintf(out->note, sizeof out->note, "cannot run %.100s: %.40s",
             peers[p].worker, strerror(errno));
    return;
  }
  if (strncmp(buf, "na ", 3) == 0) {
    out->status = C_NA;
    snprintf(out->note, sizeof out->note, "%.159s", buf + 3);
    return;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
      sscanf(buf, "ok %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
             &out->ops, &out->ns, &out->hwm_kib, &out->faults) == 4) {
    out->status = C_OK;
    return;
  }
  out->status = C_ERROR;
  if (WIFSIGNALED(st))
    snprintf(out->note, sizeof out->note, "worker killed by signal %d",
             WTERMSIG(st));
  else if (strncmp(buf, "error ", 6) == 0)
    snprintf(out->note, sizeof out->note, "%.159s", buf + 6);
  else
    snprintf(out->note, sizeof out->note, "worker exit %d: %.100s",
             WIFEXITED(st) ? WEXITSTATUS(st) : -1, buf);
}

static void record(cell_t *c, const run_out_t *r) {
  if (c->status != C_OK) /* an n/a or error sticks */
    return;
  if (r->status != C_OK) {
    c->status = r->status;
    snprintf(c->note, sizeof c->note, "%s", r->note);
    return;
  }
  c->ns_per_op[c->n] = r->ops ? (double)r->ns / (double)r->ops : 0.0;
  c->rss_mib[c->n] = (double)r->hwm_kib / 1024.0;
  c->maxrss_mib[c->n] = (double)r->maxrss_kib / 1024.0;
  c->faults_per_op[c->n] =
      r->ops ? (double)r->faults / (double)r->ops : 0.0;
  c->ops = r->ops;
  c->n++;
}

/* ------------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const double *v, int n) {
  double t[MAX_REPS];
  memcpy(t, v, (size_t)n * sizeof *t);
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2.0;
}

static double vmin(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++)
    m = v[i] < m ? v[i] : m;
  return m;
}

static double vmax(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++)
    m = v[i] > m ? v[i] : m;
  return m;
}

static int cell_ok(const cell_t *c) { return c->status == C_OK && c->n > 0; }

/* ------------------------------------------------------------------------
 * Instruction count (callgrind)
 * ---------------------------------------------------------------------- */

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

static void run_icount(void) {
  if (!o.icount)
    return;
  ic_tried = 1;
  for (int v = 0; v < NIC; v++)
    run_icount_variant(v);
}

/* ------------------------------------------------------------------------
 * Machine description
 * ---------------------------------------------------------------------- */

#define NMACH 40
static char mach_key[NMACH][32];
static char mach_val[NMACH][256];
static int nmach;

static void mach_add(const char *k, const char *v) {
  if (nmach == NMACH)
    return;
  snprintf(mach_key[nmach], sizeof mach_key[nmach], "%s", k);
  snprintf(mach_val[nmach], sizeof mach_val[nmach], "%s", v);
  nmach++;
}

/* Cost of a first touch of a fresh anonymous page: on some virtual
 * machines it dominates every workload that grows, so it belongs in the
 * machine description.  Median of three probes. */
static double page_fault_ns(void) {
  const size_t len = (size_t)64 << 20;
  long psz = sysconf(_SC_PAGESIZE);
  double t[3];
  for (int k = 0; k < 3; k++) {
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || psz <= 0)
      return 0;
    uint64_t t0 = mpb_now_ns();
    for (size_t i = 0; i < len; i += (size_t)psz)
      m[i] = 1;
    t[k] = (double)(mpb_now_ns() - t0) / (double)(len / (size_t)psz);
    munmap(m, len);
  }
  return median(t, 3);
}

static void gather_machine(void) {
  char v[256] = "unknown";
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      char *c = strchr(line, ':');
      if (c) {
        c++;
        while (*c == ' ' || *c == '\t')
          c++;
        c[strcspn(c, "\n")] = '\0';
        snprintf(v, sizeof v, "%s", c);
      }
      break;
    }
  }
  if (f)
    fclose(f);
  mach_add("cpu", v);
  snprintf(v, sizeof v, "%ld online", sysconf(_SC_NPROCESSORS_ONLN));
  mach_add("cores", v);
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  snprintf(v, sizeof v, "%.1f GiB",
           (double)pages * (double)psz / (1024.0 * 1024 * 1024));
  mach_add("memory", v);
  struct utsname u;
  if (uname(&u) == 0) {
    snprintf(v, sizeof v, "%.40s %.60s %.100s %.20s", u.sysname, u.release,
             u.version, u.machine);
    mach_add("kernel", v);
  }
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(v, sizeof v, "%Y-%m-%dT%H:%M:%SZ", &tm);
  mach_add("date", v);
#if defined(__clang__)
  snprintf(v, sizeof v, "clang %s", __clang_version__);
#elif defined(__GNUC__)
  snprintf(v, sizeof v, "gcc %s", __VERSION__);
#else
  snprintf(v, sizeof v, "unknown");
#endif
  mach_add("bench compiler", v);
  double pf = page_fault_ns();
  if (pf > 0) {
    snprintf(v, sizeof v, "%.0f ns per first touch of a page (64 MiB probe)",
             pf);
    mach_add("page fault", v);
  }
  for (int i = 0; i < o.nenv; i++) {
    const char *eq = strchr(o.env[i], '=');
    char k[32];
    snprintf(k, sizeof k, "%.*s", (int)(eq - o.env[i]), o.env[i]);
    mach_add(k, eq + 1);
  }
}

/* ------------------------------------------------------------------------
 * Output
 * ---------------------------------------------------------------------- */

static void print_table(FILE *f) {
  fprintf(f,
          "\nmpool benchmark: median of %d repetition%s, peers interleaved, "
          "objects touched at %s; "
          "x mpool = peer / mpool (>1: mpool is faster or smaller)\n\n",
          o.reps, o.reps == 1 ? "" : "s",
          strcmp(o.touch, "lines") == 0 ? "every 64th byte"
                                        : "their first and last byte");
  fprintf(f, "%-8s %-12s %12s %8s %9s %8s %9s %9s  %s\n", "workload",
          "peer", "ns/op", "x mpool", "peak MiB", "x mpool", "floor MiB",
          "faults/op", "op");
  for (int w = 0; w < NWORK; w++) {
    if (!work_enabled[w])
      continue;
    const cell_t *m = &cells[w][P_MPOOL];
    int mok = peers[P_MPOOL].enabled && cell_ok(m);
    double mt = mok ? median(m->ns_per_op, m->n) : 0,
           mr = mok ? median(m->rss_mib, m->n) : 0;
    for (int p = 0; p < NPEER; p++) {
      if (!peers[p].enabled)
        continue;
      const cell_t *c = &cells[w][p];
      const cell_t *fl = &floors[p];
      char floor_s[32] = "n/a";
      if (cell_ok(fl))
        snprintf(floor_s, sizeof floor_s, "%.1f", median(fl->rss_mib, fl->n));
      if (!cell_ok(c)) {
        fprintf(f, "%-8s %-12s %12s  %s\n", work_name[w], peers[p].name,
                c->status == C_ERROR ? "error" : "n/a", c->note);
        continue;
      }
      double t = median(c->ns_per_op, c->n), r = median(c->rss_mib, c->n);
      char tr[16] = "n/a", rr[16] = "n/a";
      if (mok && mt > 0)
        snprintf(tr, sizeof tr, "%.2f", t / mt);
      if (mok && mr > 0)
        snprintf(rr, sizeof rr, "%.2f", r / mr);
      fprintf(f, "%-8s %-12s %12.1f %8s %9.1f %8s %9s %9.4f  %s\n",
              work_name[w], peers[p].name, t, tr, r, rr, floor_s,
              median(c->faults_per_op, c->n), work_op[w]);
    }
  }
  fprintf(f, "\nfloor MiB: peak RSS of the same worker with its input tables "
             "built and no workload run.\nfaults/op: minor page faults per "
             "operation in the timed part.\n");
  if (ic_tried) {
    fprintf(f, "instructions per small mp_alloc, reset workload (callgrind, "
               "inclusive):\n");
    for (int v = 0; v < NIC; v++) {
      if (ic[v].status == C_OK)
        fprintf(f,
                "  %-6s %7.2f  (%" PRIu64 " / %" PRIu64 " calls): %s\n",
                ic_variant[v], ic[v].per_call, ic[v].instructions,
                ic[v].calls, ic_what[v]);
      else
        fprintf(f, "  %-6s     n/a  %s\n", ic_variant[v], ic[v].note);
    }
  }
}

static void csv_num(FILE *f, int ok, double v) {
  if (ok)
    fprintf(f, ",%.3f", v);
  else
    fputs(",", f);
}

static void csv_str(FILE *f, const char *s) {
  fputc(',', f);
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static FILE *open_out(const char *name) {
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/%s", o.out_dir, name);
  FILE *f = fopen(path, "w");
  if (!f)
    die("cannot write %s: %s", path, strerror(errno));
  return f;
}

static void write_csv(void) {
  FILE *f = open_out("results.csv");
  fputs("workload,op,peer,status,reps,ns_per_op,ns_per_op_min,ns_per_op_max,"
        "time_ratio,peak_rss_mib,rss_ratio,floor_rss_mib,ru_maxrss_mib,"
        "minor_faults_per_op,instructions_per_op,note\n",
        f);
  for (int w = 0; w < NWORK; w++) {
    if (!work_enabled[w])
      continue;
    const cell_t *m = &cells[w][P_MPOOL];
    int mok = peers[P_MPOOL].enabled && cell_ok(m);
    double mt = mok ? median(m->ns_per_op, m->n) : 0,
           mr = mok ? median(m->rss_mib, m->n) : 0;
    for (int p = 0; p < NPEER; p++) {
      if (!peers[p].enabled)
        continue;
      const cell_t *c = &cells[w][p], *fl = &floors[p];
      int ok = cell_ok(c);
      fprintf(f, "%s,%s,%s,%s,%d", work_name[w], work_op[w], peers[p].name,
              ok ? "ok" : c->status == C_ERROR ? "error" : "n/a", c->n);
      double t = ok ? median(c->ns_per_op, c->n) : 0,
             r = ok ? median(c->rss_mib, c->n) : 0;
      csv_num(f, ok, t);
      csv_num(f, ok, ok ? vmin(c->ns_per_op, c->n) : 0);
      csv_num(f, ok, ok ? vmax(c->ns_per_op, c->n) : 0);
      csv_num(f, ok && mok && mt > 0, mt > 0 ? t / mt : 0);
      csv_num(f, ok, r);
      csv_num(f, ok && mok && mr > 0, mr > 0 ? r / mr : 0);
      csv_num(f, cell_ok(fl), cell_ok(fl) ? median(fl->rss_mib, fl->n) : 0);
      csv_num(f, ok, ok ? median(c->maxrss_mib, c->n) : 0);
      if (ok)
        fprintf(f, ",%.4f", median(c->faults_per_op, c->n));
      else
        fputs(",", f);
      fputs(",", f); /* instructions_per_op */
      csv_str(f, ok ? "" : c->note);
      fputc('\n', f);
    }
  }
  for (int v = 0; ic_tried && v < NIC; v++) {
    fprintf(f, "icount,mp_alloc %s,mpool,%s,1,,,,,,,,,,", ic_variant[v],
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
    csv_str(f, note);
    fputc('\n', f);
  }
  fclose(f);
}

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

static void json_arr(FILE *f, const double *v, int n) {
  fputc('[', f);
  for (int i = 0; i < n; i++)
    fprintf(f, "%s%.6g", i ? ", " : "", v[i]);
  fputc(']', f);
}

static void write_json(void) {
  FILE *f = open_out("results.json");
  fputs("{\n  \"machine\": {", f);
  for (int i = 0; i < nmach; i++) {
    fputs(i ? ",\n    " : "\n    ", f);
    json_str(f, mach_key[i]);
    fputs(": ", f);
    json_str(f, mach_val[i]);
  }
  fprintf(f,
          "\n  },\n  \"params\": {\"reps\": %d, \"seed\": %" PRIu64
          ", \"requests\": %zu, \"burst\": %zu, \"churn_steps\": %zu, "
          "\"churn_live_bytes\": %zu, \"strings\": %zu, \"warmup\": %zu, "
          "\"touch\": \"%s\", \"quick\": %s},\n",
          o.reps, o.params.seed, o.params.requests, o.params.burst,
          o.params.churn_steps, o.params.churn_live, o.params.strings,
          o.params.warmup, o.touch, o.quick ? "true" : "false");
  fputs("  \"results\": [", f);
  int first = 1;
  for (int w = 0; w < NWORK; w++) {
    if (!work_enabled[w])
      continue;
    const cell_t *m = &cells[w][P_MPOOL];
    int mok = peers[P_MPOOL].enabled && cell_ok(m);
    double mt = mok ? median(m->ns_per_op, m->n) : 0,
           mr = mok ? median(m->rss_mib, m->n) : 0;
    for (int p = 0; p < NPEER; p++) {
      if (!peers[p].enabled)
        continue;
      const cell_t *c = &cells[w][p];
      int ok = cell_ok(c);
      fputs(first ? "\n    {" : ",\n    {", f);
      first = 0;
      fprintf(f, "\"workload\": \"%s\", \"op\": \"%s\", \"peer\": \"%s\", "
                 "\"status\": \"%s\"",
              work_name[w], work_op[w], peers[p].name,
              ok ? "ok" : c->status == C_ERROR ? "error" : "n/a");
      if (!ok) {
        fputs(", \"note\": ", f);
        json_str(f, c->note);
        fputc('}', f);
        continue;
      }
      double t = median(c->ns_per_op, c->n), r = median(c->rss_mib, c->n);
      fprintf(f, ", \"ops\": %" PRIu64 ", \"ns_per_op\": %.3f", c->ops, t);
      if (mok && mt > 0)
        fprintf(f, ", \"time_ratio\": %.4f", t / mt);
      else
        fputs(", \"time_ratio\": null", f);
      fprintf(f, ", \"peak_rss_mib\": %.3f", r);
      fprintf(f, ", \"minor_faults_per_op\": %.4f",
              median(c->faults_per_op, c->n));
      if (mok && mr > 0)
        fprintf(f, ", \"rss_ratio\": %.4f", r / mr);
      else
        fputs(", \"rss_ratio\": null", f);
      fputs(",\n     \"samples\": {\"ns_per_op\": ", f);
      json_arr(f, c->ns_per_op, c->n);
      fputs(", \"peak_rss_mib\": ", f);
      json_arr(f, c->rss_mib, c->n);
      fputs(", \"ru_maxrss_mib\": ", f);
      json_arr(f, c->maxrss_mib, c->n);
      fputs(", \"minor_faults_per_op\": ", f);
      json_arr(f, c->faults_per_op, c->n);
      fputs("}}", f);
    }
  }
  fputs("\n  ],\n  \"floor_rss_mib\": {", f);
  first = 1;
  for (int p = 0; p < NPEER; p++) {
    if (!peers[p].enabled)
      continue;
    fprintf(f, "%s\"%s\": ", first ? "" : ", ", peers[p].name);
    first = 0;
    if (cell_ok(&floors[p]))
      fprintf(f, "%.3f", median(floors[p].rss_mib, floors[p].n));
    else
      fputs("null", f);
  }
  fputs("},\n  \"icount\": ", f);
  if (!ic_tried)
    fputs("null", f);
  for (int v = 0; ic_tried && v < NIC; v++) {
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
    if (v == NIC - 1)
      fputs("\n  ]", f);
  }
  fputs("\n}\n", f);
  fclose(f);
}

static void write_machine(void) {
  FILE *f = open_out("machine.txt");
  for (int i = 0; i < nmach; i++)
    fprintf(f, "%s: %s\n", mach_key[i], mach_val[i]);
  fclose(f);
}

/* gnuplot data: one block per workload (index 0..), rows in peer order:
 * peer ns_per_op peak_rss_mib floor_mib; NaN where a peer has no figure.
 * The first lines name the blocks and their operations for bench/plot.gp. */
static void write_plot_data(void) {
  FILE *f = fopen(o.plot_data, "w");
  if (!f)
    die("cannot write %s: %s", o.plot_data, strerror(errno));
  fputs("# workloads:", f);
  for (int w = 0; w < NWORK; w++)
    if (work_enabled[w])
      fprintf(f, " %s", work_name[w]);
  fputs("\n# ops:", f);
  for (int w = 0; w < NWORK; w++)
    if (work_enabled[w])
      fprintf(f, " %s", work_op[w]);
  fprintf(f, "\n# reps: %d\n", o.reps);
  /* cpu, cores and date for the chart's title */
  fputs("# machine:", f);
  for (int i = 0; i < nmach; i++)
    if (!strcmp(mach_key[i], "cpu") || !strcmp(mach_key[i], "cores") ||
        !strcmp(mach_key[i], "date"))
      fprintf(f, "%s %s", i ? "," : "", mach_val[i]);
  fputc('\n', f);
  int block = 0;
  for (int w = 0; w < NWORK; w++) {
    if (!work_enabled[w])
      continue;
    fprintf(f, "%s# %s (ns per %s)\n", block ? "\n\n" : "", work_name[w],
            work_op[w]);
    block++;
    for (int p = 0; p < NPEER; p++) {
      if (!peers[p].enabled)
        continue;
      const cell_t *c = &cells[w][p], *fl = &floors[p];
      fprintf(f, "\"%s\"", peers[p].name);
      if (cell_ok(c))
        fprintf(f, " %.3f %.3f", median(c->ns_per_op, c->n),
                median(c->rss_mib, c->n));
      else
        fputs(" NaN NaN", f);
      if (cell_ok(fl))
        fprintf(f, " %.3f\n", median(fl->rss_mib, fl->n));
      else
        fputs(" NaN\n", f);
    }
  }
  fclose(f);
}

/* ------------------------------------------------------------------------
 * main
 * ---------------------------------------------------------------------- */

int main(int argc, char **argv) {
  parse_args(argc, argv);
  gather_machine();

  for (int p = 0; p < NPEER; p++) {
    if (!peers[p].enabled)
      continue;
    char exe[PATH_MAX + 64];
    snprintf(exe, sizeof exe, "%s/%s", o.bin_dir, peers[p].worker);
    if (access(exe, X_OK) != 0)
      peers[p].missing = "worker not built (library not found at configure)";
    else if ((p == P_JEMALLOC || p == P_TCMALLOC) && !peers[p].preload)
      peers[p].missing = p == P_JEMALLOC
                             ? "no jemalloc library given (--jemalloc SO)"
                             : "no tcmalloc library given (--tcmalloc SO)";
    else if (peers[p].preload && access(peers[p].preload, R_OK) != 0)
      peers[p].missing = "preload library not found";
    if (peers[p].preload) {
      char k[32];
      snprintf(k, sizeof k, "%s preload", peers[p].name);
      mach_add(k, peers[p].preload);
    }
  }

  for (int w = 0; w < NWORK; w++)
    for (int p = 0; p < NPEER; p++) {
      cells[w][p].status = peers[p].missing ? C_NA : C_OK;
      if (peers[p].missing)
        snprintf(cells[w][p].note, sizeof cells[w][p].note, "%s",
                 peers[p].missing);
    }
  for (int p = 0; p < NPEER; p++) {
    floors[p].status = peers[p].missing ? C_NA : C_OK;
    if (peers[p].missing)
      snprintf(floors[p].note, sizeof floors[p].note, "%s", peers[p].missing);
  }

  uint64_t t0 = mpb_now_ns();
  for (int rep = 0; rep < o.reps; rep++) {
    for (int w = -1; w < NWORK; w++) { /* -1: the empty (floor) run */
      if (w >= 0 && !work_enabled[w])
        continue;
      for (int i = 0; i < NPEER; i++) {
        int p = (i + rep) % NPEER; /* rotate the order per repetition */
        if (!peers[p].enabled || peers[p].missing)
          continue;
        cell_t *c = w < 0 ? &floors[p] : &cells[w][p];
        if (c->status != C_OK)
          continue; /* n/a once is n/a always */
        run_out_t r;
        run_worker(p, w < 0 ? "empty" : work_name[w], &r);
        record(c, &r);
        if (w < 0)
          continue;
        if (r.status == C_OK)
          fprintf(stderr,
                  "[rep %d/%d] %-8s %-12s %12.1f ns/%-7s %7.1f MiB %9.3f "
                  "faults/op\n",
                  rep + 1, o.reps, work_name[w], peers[p].name,
                  r.ops ? (double)r.ns / (double)r.ops : 0.0, work_op[w],
                  (double)r.hwm_kib / 1024.0,
                  r.ops ? (double)r.faults / (double)r.ops : 0.0);
        else
          fprintf(stderr, "[rep %d/%d] %-8s %-12s %s: %s\n", rep + 1, o.reps,
                  work_name[w], peers[p].name,
                  r.status == C_NA ? "n/a" : "error", r.note);
      }
    }
  }
  double secs = (double)(mpb_now_ns() - t0) / 1e9;

  run_icount();

  print_table(stdout);
  printf("timed runs took %.1f s\n", secs);
  if (o.out_dir) {
    mkdir(o.out_dir, 0777);
    write_csv();
    write_json();
    write_machine();
    printf("wrote %s/results.csv, results.json, machine.txt\n", o.out_dir);
  }
  if (o.plot_data)
    write_plot_data();

  int errors = 0;
  for (int w = 0; w < NWORK; w++)
    for (int p = 0; p < NPEER; p++)
      errors += work_enabled[w] && peers[p].enabled &&
                cells[w][p].status == C_ERROR;
  return errors ? 1 : 0;
}
