/*
 * mpool-bench: runs the benchmark matrix, every (workload, size mix, node
 * size, mode) cell for every peer, each run in a worker process of its
 * own, and writes the results (report.c).
 *
 * One repetition runs every cell once; within a cell the peers run one
 * after another, in an order that rotates from one repetition to the next,
 * so slow drifts of the machine (frequency, other load) fall on all peers
 * alike.  A warm worker runs its workload --warm-runs times and reports the
 * median of all runs but the first; a cold worker runs it once, in a fresh
 * process.  Peers without a node size (APR, talloc, mimalloc heaps,
 * malloc) run once per (workload, mix, mode) and their figures stand in
 * every node row.  The driver also runs each worker once per repetition
 * with no workload, which gives that worker's floor.
 *
 * Run with --help for the options.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* readlink, strtok_r */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"

/* ------------------------------------------------------------------------
 * The matrix
 * ---------------------------------------------------------------------- */

const char *const work_name[NWORK] = {"request", "reset",   "burst",
                                      "churn",   "strings", "trace"};
const char *const work_op[NWORK] = {"request", "request", "alloc",
                                    "step",    "request", "event"};
const int work_has_mix[NWORK] = {1, 1, 1, 1, 0, 0};
const char *const node_name[NNODE] = {"4096", "8192", "default"};
const size_t node_bytes[NNODE] = {4096, 8192, 0};
const char *const mode_name[NMODE] = {"warm", "cold"};

/* name, worker, preload, missing, enabled, has_node, headline, rival */
peer_def_t peers[NPEER] = {
    {"mpool", "mpb-worker-mpool", NULL, NULL, 1, 1, 0, 0},
    {"mpool-budget", "mpb-worker-mpool-budget", NULL, NULL, 1, 1, 1, 0},
    {"mpool-wipe", "mpb-worker-mpool-wipe", NULL, NULL, 1, 1, 1, 0},
    {"apr", "mpb-worker-apr", NULL, NULL, 1, 0, 0, 1},
    {"talloc", "mpb-worker-talloc", NULL, NULL, 1, 0, 0, 1},
    {"talloc-pool", "mpb-worker-talloc-pool", NULL, NULL, 1, 1, 0, 1},
    {"mimalloc", "mpb-worker-mimalloc", NULL, NULL, 1, 0, 0, 1},
    {"obstack", "mpb-worker-obstack", NULL, NULL, 1, 1, 0, 1},
    {"glibc", "mpb-worker-malloc", NULL, NULL, 1, 0, 0, 1},
    {"jemalloc", "mpb-worker-malloc", NULL, NULL, 1, 0, 0, 1},
    {"tcmalloc", "mpb-worker-malloc", NULL, NULL, 1, 0, 0, 1},
    {"bump", "mpb-worker-bump", NULL, NULL, 1, 0, 1, 0},
};

static cell_t cells[NWORK][NMIX][NNODE][NMODE][NPEER];
cell_t floors[NPEER];
int work_enabled[NWORK] = {1, 1, 1, 1, 1, 1};
int mix_enabled[NMIX] = {1, 1, 1};
int node_enabled[NNODE] = {1, 1, 1};
int mode_enabled[NMODE] = {1, 1};

cell_t *cell_at(int w, int m, int n, int mode, int p) {
  return &cells[w][m][peers[p].has_node ? n : N_DEFAULT][mode][p];
}

int cell_is_headline(int m, int n, int mode) {
  return n == N_DEFAULT && mode == M_WARM && m == MPB_MIX_MIXED;
}

int cell_enabled(int w, int m, int n, int mode) {
  return work_enabled[w] && node_enabled[n] && mode_enabled[mode] &&
         (work_has_mix[w] ? mix_enabled[m] : m == 0);
}

int peer_runs_in(int p, int w, int m, int n, int mode) {
  if (!peers[p].enabled || !cell_enabled(w, m, n, mode))
    return 0;
  return !peers[p].headline ||
         cell_is_headline(work_has_mix[w] ? m : MPB_MIX_MIXED, n, mode);
}

/* Whether peer p's run in this cell fills its slot: a peer without a node
 * size runs in the first enabled node row only. */
static int peer_runs_here(int p, int w, int m, int n, int mode) {
  if (!peer_runs_in(p, w, m, n, mode))
    return 0;
  if (peers[p].has_node)
    return 1;
  for (int k = 0; k < n; k++)
    if (node_enabled[k])
      return 0;
  return 1;
}

int cell_ok(const cell_t *c) { return c->status == C_OK && c->n > 0; }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double median(const double *v, int n) {
  double t[MAX_REPS];
  memcpy(t, v, (size_t)n * sizeof *t);
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2.0;
}

double vmin(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++)
    m = v[i] < m ? v[i] : m;
  return m;
}

double vmax(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++)
    m = v[i] > m ? v[i] : m;
  return m;
}

/* ------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------- */

opts_t o;

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("mpool-bench: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void usage(FILE *f) {
  fputs("usage: mpool-bench [options]\n"
        "  --reps N            repetitions of the matrix (default 5)\n"
        "  --warm-runs K       runs of a warm worker, the first untimed\n"
        "                      (default 3)\n"
        "  --quick             1 repetition and small counts (smoke test)\n"
        "  --out-dir DIR       write results.csv, results.json, machine.txt\n"
        "                      here (default: no files, tables only)\n"
        "  --plot-data FILE    write the headline chart's data\n"
        "  --matrix-data FILE  write the matrix chart's data\n"
        "  --bin-dir DIR       where the mpb-worker-* programs are\n"
        "                      (default: this program's directory)\n"
        "  --jemalloc SO       preload library for the jemalloc peer\n"
        "  --tcmalloc SO       preload library for the tcmalloc peer\n"
        "  --trace FILE        allocation trace for the trace workload\n"
        "                      (without it, trace is n/a)\n"
        "  --icount PROG       callgrind driver (mpool-icount); without it no\n"
        "                      instruction count is taken\n"
        "  --icount-requests N requests the callgrind driver runs\n"
        "  --valgrind PROG     valgrind to use (default: valgrind in PATH)\n"
        "  --peers LIST        comma-separated peers to run\n"
        "  --workloads LIST    request,reset,burst,churn,strings,trace\n"
        "  --mixes LIST        small,mixed,loguniform\n"
        "  --nodes LIST        4096,8192,default\n"
        "  --modes LIST        warm,cold\n"
        "  --env KEY=VALUE     add a line to the machine description\n"
        "  --seed N --requests N --burst-bytes N --churn-steps N\n"
        "  --churn-live BYTES --strings N --warmup N --trace-events N\n"
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
      const char *name =
          *(const char *const *)((const char *)names + (size_t)i * stride);
      if (strcmp(t, name) == 0) {
        flags[i] = 1;
        found = 1;
      }
    }
    if (!found)
      die("%s: unknown name: %s", opt, t);
  }
}

/* The numeric options: name, field, default in --quick. */
static const struct {
  const char *opt;
  size_t offset;
  size_t quick;
} size_opts[] = {
    {"--requests", offsetof(mpb_params_t, requests), 1000},
    {"--burst-bytes", offsetof(mpb_params_t, burst_bytes), (size_t)2 << 20},
    {"--churn-steps", offsetof(mpb_params_t, churn_steps), 10000},
    {"--churn-live", offsetof(mpb_params_t, churn_live), (size_t)512 << 10},
    {"--strings", offsetof(mpb_params_t, strings), 300},
    {"--warmup", offsetof(mpb_params_t, warmup), 0},
    {"--trace-events", offsetof(mpb_params_t, trace_events), 100000},
};
#define NSIZE_OPTS (sizeof size_opts / sizeof size_opts[0])

static size_t *size_field(mpb_params_t *q, size_t i) {
  return (size_t *)(void *)((char *)q + size_opts[i].offset);
}

static void parse_args(int argc, char **argv) {
  mpb_params_default(&o.params);
  o.reps = 5;
  o.warm_runs = 3;
  o.touch = "ends";
  o.valgrind = "valgrind";
  o.icount_requests = 20000;
  int reps_set = 0, warm_set = 0, size_set[NSIZE_OPTS] = {0};
  const char *lists[5] = {NULL, NULL, NULL, NULL, NULL};

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
    size_t k = 0;
    while (k < NSIZE_OPTS && strcmp(a, size_opts[k].opt) != 0)
      k++;
    if (k < NSIZE_OPTS) {
      *size_field(&o.params, k) = (size_t)num_arg(a, v);
      size_set[k] = 1;
    } else if (strcmp(a, "--touch") == 0) {
      if (strcmp(v, "ends") != 0 && strcmp(v, "lines") != 0)
        die("--touch wants ends or lines: %s", v);
      o.touch = v;
    } else if (strcmp(a, "--reps") == 0) {
      unsigned long long n = num_arg(a, v);
      if (n < 1 || n > MAX_REPS)
        die("--reps must be 1..%d", MAX_REPS);
      o.reps = (int)n;
      reps_set = 1;
    } else if (strcmp(a, "--warm-runs") == 0) {
      unsigned long long n = num_arg(a, v);
      if (n < 2 || n > 64)
        die("--warm-runs must be 2..64");
      o.warm_runs = (int)n;
      warm_set = 1;
    } else if (strcmp(a, "--out-dir") == 0) {
      o.out_dir = v;
    } else if (strcmp(a, "--plot-data") == 0) {
      o.plot_data = v;
    } else if (strcmp(a, "--matrix-data") == 0) {
      o.matrix_data = v;
    } else if (strcmp(a, "--bin-dir") == 0) {
      snprintf(o.bin_dir, sizeof o.bin_dir, "%s", v);
    } else if (strcmp(a, "--jemalloc") == 0) {
      peers[P_JEMALLOC].preload = v;
    } else if (strcmp(a, "--tcmalloc") == 0) {
      peers[P_TCMALLOC].preload = v;
    } else if (strcmp(a, "--trace") == 0) {
      o.trace = v;
    } else if (strcmp(a, "--icount") == 0) {
      o.icount = v;
    } else if (strcmp(a, "--icount-requests") == 0) {
      o.icount_requests = num_arg(a, v);
    } else if (strcmp(a, "--valgrind") == 0) {
      o.valgrind = v;
    } else if (strcmp(a, "--peers") == 0) {
      lists[0] = v;
    } else if (strcmp(a, "--workloads") == 0) {
      lists[1] = v;
    } else if (strcmp(a, "--mixes") == 0) {
      lists[2] = v;
    } else if (strcmp(a, "--nodes") == 0) {
      lists[3] = v;
    } else if (strcmp(a, "--modes") == 0) {
      lists[4] = v;
    } else if (strcmp(a, "--env") == 0) {
      if (o.nenv == (int)(sizeof o.env / sizeof o.env[0]))
        die("too many --env");
      if (!strchr(v, '='))
        die("--env wants KEY=VALUE: %s", v);
      o.env[o.nenv++] = v;
    } else if (strcmp(a, "--seed") == 0) {
      o.params.seed = num_arg(a, v);
    } else {
      usage(stderr);
      exit(2);
    }
  }

  if (o.quick) { /* small counts unless given explicitly */
    if (!reps_set)
      o.reps = 1;
    if (!warm_set)
      o.warm_runs = 2;
    for (size_t k = 0; k < NSIZE_OPTS; k++)
      if (!size_set[k])
        *size_field(&o.params, k) = size_opts[k].quick;
    o.icount_requests = o.icount_requests == 20000 ? 1000 : o.icount_requests;
  }
  for (size_t k = 0; k < NSIZE_OPTS; k++)
    if (*size_field(&o.params, k) == 0 &&
        strcmp(size_opts[k].opt, "--warmup") != 0)
      die("%s must be positive", size_opts[k].opt);
  if (lists[0]) {
    int f[NPEER];
    select_list("--peers", lists[0], f, &peers[0].name, sizeof peers[0], NPEER);
    for (int p = 0; p < NPEER; p++)
      peers[p].enabled = f[p];
  }
  if (lists[1])
    select_list("--workloads", lists[1], work_enabled, work_name,
                sizeof work_name[0], NWORK);
  if (lists[2])
    select_list("--mixes", lists[2], mix_enabled, mpb_mix_name,
                sizeof mpb_mix_name[0], NMIX);
  if (lists[3])
    select_list("--nodes", lists[3], node_enabled, node_name,
                sizeof node_name[0], NNODE);
  if (lists[4])
    select_list("--modes", lists[4], mode_enabled, mode_name,
                sizeof mode_name[0], NMODE);
}

/* ------------------------------------------------------------------------
 * Running one worker
 * ---------------------------------------------------------------------- */

typedef struct run_out {
  int status; /* C_OK, C_NA, C_ERROR */
  char note[160];
  uint64_t ops, ns, hwm_kib, faults, first_ns;
  long maxrss_kib;
} run_out_t;

/* w < 0: the empty (floor) run. */
static void run_worker(int p, int w, int m, int n, int mode, run_out_t *out) {
  memset(out, 0, sizeof *out);
  char exe[PATH_MAX + 64];
  snprintf(exe, sizeof exe, "%s/%s", o.bin_dir, peers[p].worker);
  char *argv[64];
  char num[NSIZE_OPTS + 4][32];
  int k = 0;
  argv[k++] = exe;
  argv[k++] = "--workload";
  argv[k++] = (char *)(w < 0 ? "empty" : work_name[w]);
  argv[k++] = "--label";
  argv[k++] = (char *)peers[p].name;
  argv[k++] = "--touch";
  argv[k++] = (char *)o.touch;
  argv[k++] = "--mix";
  argv[k++] = (char *)mpb_mix_name[w >= 0 && work_has_mix[w] ? m : 1];
  for (size_t i = 0; i < NSIZE_OPTS; i++) {
    snprintf(num[i], sizeof num[i], "%zu", *size_field(&o.params, i));
    argv[k++] = (char *)size_opts[i].opt;
    argv[k++] = num[i];
  }
  snprintf(num[NSIZE_OPTS], sizeof num[0], "%" PRIu64, o.params.seed);
  argv[k++] = "--seed";
  argv[k++] = num[NSIZE_OPTS];
  snprintf(num[NSIZE_OPTS + 1], sizeof num[0], "%zu",
           peers[p].has_node ? node_bytes[n] : (size_t)0);
  argv[k++] = "--node";
  argv[k++] = num[NSIZE_OPTS + 1];
  snprintf(num[NSIZE_OPTS + 2], sizeof num[0], "%d",
           mode == M_WARM ? o.warm_runs : 1);
  argv[k++] = "--runs";
  argv[k++] = num[NSIZE_OPTS + 2];
  if (w == W_TRACE && o.trace) {
    argv[k++] = "--trace";
    argv[k++] = (char *)o.trace;
  }
  argv[k] = NULL;

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
      sscanf(buf, "ok %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
             &out->ops, &out->ns, &out->hwm_kib, &out->faults,
             &out->first_ns) == 5) {
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
  double ops = r->ops ? (double)r->ops : 1.0;
  c->ns_per_op[c->n] = (double)r->ns / ops;
  c->first_ns_per_op[c->n] = (double)r->first_ns / ops;
  c->rss_mib[c->n] = (double)r->hwm_kib / 1024.0;
  c->maxrss_mib[c->n] = (double)r->maxrss_kib / 1024.0;
  c->faults_per_op[c->n] = (double)r->faults / ops;
  c->ops = r->ops;
  c->n++;
}

/* ------------------------------------------------------------------------
 * The run
 * ---------------------------------------------------------------------- */

static void check_peers(void) {
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
  for (int p = 0; p < NPEER; p++) {
    const char *why = peers[p].missing;
    for (int w = 0; w < NWORK; w++)
      for (int m = 0; m < NMIX; m++)
        for (int n = 0; n < NNODE; n++)
          for (int mode = 0; mode < NMODE; mode++) {
            cell_t *c = &cells[w][m][n][mode][p];
            c->status = why ? C_NA : C_OK;
            if (why)
              snprintf(c->note, sizeof c->note, "%s", why);
          }
    floors[p].status = why ? C_NA : C_OK;
    if (why)
      snprintf(floors[p].note, sizeof floors[p].note, "%s", why);
  }
}

static int count_cells(void) {
  int k = 0;
  for (int w = 0; w < NWORK; w++)
    for (int m = 0; m < NMIX; m++)
      for (int n = 0; n < NNODE; n++)
        for (int mode = 0; mode < NMODE; mode++)
          k += cell_enabled(w, m, n, mode);
  return k;
}

/* Runs every peer of one cell once (rotation rot) and prints its line. */
static void run_cell(int w, int m, int n, int mode, int rot, int rep, int at,
                     int total) {
  for (int i = 0; i < NPEER; i++) {
    int p = (i + rot) % NPEER;
    if (peers[p].missing || !peer_runs_here(p, w, m, n, mode))
      continue;
    cell_t *c = cell_at(w, m, n, mode, p);
    if (c->status != C_OK)
      continue; /* n/a once is n/a always */
    run_out_t r;
    run_worker(p, w, m, n, mode, &r);
    record(c, &r);
  }
  /* progress: mpool's figure of this repetition, and the fastest rival's
   * median so far */
  const cell_t *mc = cell_at(w, m, n, mode, P_MPOOL);
  double mt = cell_ok(mc) ? mc->ns_per_op[mc->n - 1] : -1, bt;
  int b = best_rival(w, m, n, mode, &bt);
  fprintf(stderr, "[rep %d/%d, cell %3d/%d] %-8s %-10s %-7s %-4s mpool ",
          rep + 1, o.reps, at, total, work_name[w],
          work_has_mix[w] ? mpb_mix_name[m] : "-", node_name[n],
          mode_name[mode]);
  if (mt >= 0)
    fprintf(stderr, "%9.1f", mt);
  else
    fprintf(stderr, "%9s", mc->status == C_ERROR ? "error" : "n/a");
  if (b >= 0)
    fprintf(stderr, "  best rival %-11s %9.1f ns/%s%s\n", peers[b].name, bt,
            work_op[w], mt > 0 && bt < mt ? "  (mpool slower)" : "");
  else
    fprintf(stderr, "  no rival ran\n");
  if (mc->status == C_ERROR)
    fprintf(stderr, "  mpool: %s\n", mc->note);
}

static FILE *open_out(const char *dir, const char *name) {
  char path[PATH_MAX];
  if (dir)
    snprintf(path, sizeof path, "%s/%s", dir, name);
  else
    snprintf(path, sizeof path, "%s", name);
  FILE *f = fopen(path, "w");
  if (!f)
    die("cannot write %s: %s", path, strerror(errno));
  return f;
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  gather_machine();
  check_peers();
  if (o.trace)
    mach_add("trace", o.trace);

  int total = count_cells();
  uint64_t t0 = mpb_now_ns();
  for (int rep = 0; rep < o.reps; rep++) {
    for (int p = 0; p < NPEER; p++) /* the floors */
      if (peers[p].enabled && !peers[p].missing && floors[p].status == C_OK) {
        run_out_t r;
        run_worker(p, -1, MPB_MIX_MIXED, N_DEFAULT, M_COLD, &r);
        record(&floors[p], &r);
      }
    int at = 0;
    for (int w = 0; w < NWORK; w++)
      for (int m = 0; m < NMIX; m++)
        for (int n = 0; n < NNODE; n++)
          for (int mode = 0; mode < NMODE; mode++)
            if (cell_enabled(w, m, n, mode)) {
              at++;
              run_cell(w, m, n, mode, rep + at, rep, at, total);
            }
  }
  double secs = (double)(mpb_now_ns() - t0) / 1e9;

  run_icount();

  print_headline(stdout);
  print_matrix(stdout);
  printf("timed runs took %.1f s\n", secs);
  if (o.out_dir) {
    mkdir(o.out_dir, 0777);
    FILE *f = open_out(o.out_dir, "results.csv");
    write_csv(f);
    fclose(f);
    f = open_out(o.out_dir, "results.json");
    write_json(f);
    fclose(f);
    f = open_out(o.out_dir, "machine.txt");
    write_machine(f);
    fclose(f);
    printf("wrote %s/results.csv, results.json, machine.txt\n", o.out_dir);
  }
  if (o.plot_data) {
    FILE *f = open_out(NULL, o.plot_data);
    write_plot_data(f);
    fclose(f);
  }
  if (o.matrix_data) {
    FILE *f = open_out(NULL, o.matrix_data);
    write_matrix_data(f);
    fclose(f);
  }

  int errors = 0;
  for (int w = 0; w < NWORK; w++)
    for (int m = 0; m < NMIX; m++)
      for (int n = 0; n < NNODE; n++)
        for (int mode = 0; mode < NMODE; mode++)
          for (int p = 0; p < NPEER; p++)
            errors += peer_runs_here(p, w, m, n, mode) &&
                      cell_at(w, m, n, mode, p)->status == C_ERROR;
  return errors ? 1 : 0;
}
