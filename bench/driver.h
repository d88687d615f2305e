/*
 * State of mpool-bench, the benchmark matrix driver, shared by its files:
 * driver.c (options, the run loop), spawn.c (running a worker process),
 * machine.c (the machine description), callgrind.c (instruction counts)
 * and report.c (tables, CSV, JSON and chart data).
 *
 * A cell of the matrix is one (workload, size mix, node size, mode); each
 * cell holds one sample list per peer.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPB_DRIVER_H
#define MPB_DRIVER_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>

#include "common.h"

/* ------------------------------------------------------------------------
 * Dimensions of the matrix
 * ---------------------------------------------------------------------- */

enum { W_REQUEST, W_RESET, W_BURST, W_CHURN, W_STRINGS, W_TRACE, NWORK };
extern const char *const work_name[NWORK];
extern const char *const work_op[NWORK]; /* what one operation is */
/* Whether the workload draws its sizes from a mix (strings and trace have
 * their own sizes: they run in the first mix slot only, shown as "-"). */
extern const int work_has_mix[NWORK];

#define NMIX MPB_NMIX
/* Node sizes: the seed's 4096, 8 KiB and the peer's default (0). */
enum { N_4K, N_8K, N_DEFAULT, NNODE };
extern const char *const node_name[NNODE];
extern const size_t node_bytes[NNODE];
/* warm: the workload repeated in one process (the first run untimed);
 * cold: one run in a fresh process. */
enum { M_WARM, M_COLD, NMODE };
extern const char *const mode_name[NMODE];

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
  int has_node; /* takes a node (block, chunk) size: run at every size */
  int headline; /* runs in the headline slice only (variants, reference) */
  int rival;    /* counts as a peer mpool must beat */
} peer_def_t;
extern peer_def_t peers[NPEER];

/* ------------------------------------------------------------------------
 * Samples
 * ---------------------------------------------------------------------- */

enum { C_OK, C_NA, C_ERROR };

#define MAX_REPS 51

typedef struct cell {
  int status;     /* C_OK, C_NA, C_ERROR */
  char note[160]; /* reason for n/a or error */
  int n;          /* samples collected */
  double ns_per_op[MAX_REPS];
  double first_ns_per_op[MAX_REPS]; /* warm: the untimed first run */
  double rss_mib[MAX_REPS];         /* VmHWM reported by the worker */
  double maxrss_mib[MAX_REPS];      /* ru_maxrss from wait4() */
  double faults_per_op[MAX_REPS];   /* minor faults in the timed part */
  uint64_t ops;
} cell_t;

/* The samples of peer p in a cell; peers without a node size share the
 * default node's slot in every node row. */
cell_t *cell_at(int w, int m, int n, int mode, int p);
extern cell_t floors[NPEER]; /* the "empty" run of each peer's worker */

/* Which parts of each dimension run (--workloads, --mixes, ...). */
extern int work_enabled[NWORK], mix_enabled[NMIX], node_enabled[NNODE],
    mode_enabled[NMODE];

/* Whether cell (w, m, n, mode) is part of the run, and whether peer p runs
 * in it (the headline-only peers run at the default node, mixed, warm). */
int cell_enabled(int w, int m, int n, int mode);
int peer_runs_in(int p, int w, int m, int n, int mode);
/* The headline slice: default node, the mixed mix (or none), warm. */
int cell_is_headline(int m, int n, int mode);

int cell_ok(const cell_t *c);
double median(const double *v, int n);
double vmin(const double *v, int n);
double vmax(const double *v, int n);

/* ------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------- */

typedef struct opts {
  char bin_dir[PATH_MAX];
  const char *out_dir;
  const char *plot_data;   /* headline chart data */
  const char *matrix_data; /* matrix chart data */
  const char *icount;
  const char *valgrind;
  const char *trace; /* allocation trace file for the trace workload */
  unsigned long long icount_requests;
  int reps;
  int warm_runs; /* runs of a warm worker, the first untimed */
  int quick;
  const char *touch; /* "ends" or "lines", passed to every worker */
  mpb_params_t params;
  const char *env[32]; /* extra machine lines, KEY=VALUE */
  int nenv;
} opts_t;
extern opts_t o;

void die(const char *fmt, ...);

/* ------------------------------------------------------------------------
 * The parts
 * ---------------------------------------------------------------------- */

/* spawn.c: runs argv[0] with stdout on a pipe and, if preload, LD_PRELOAD
 * set (an inherited LD_PRELOAD dropped otherwise); collects stdout into
 * buf and the child's rusage.  Returns the wait status, or -1. */
int spawn_collect(char *const argv[], const char *preload, int use_path,
                  char *buf, size_t bufsz, struct rusage *ru);

/* machine.c */
void gather_machine(void);
void mach_add(const char *key, const char *value);
void write_machine(FILE *f);
/* "key: value" lines of cpu, cores and date, for chart titles */
void machine_summary(char *buf, size_t len);
void write_machine_json(FILE *f);

/* callgrind.c: instructions per mp_alloc() (o.icount, when set) */
void run_icount(void);
void print_icount(FILE *f);
void write_icount_csv(FILE *f);
void write_icount_json(FILE *f);

/* report.c */
/* The fastest rival of mpool in the cell by median ns/op (-1 if none has
 * a figure; *ns gets its median, or NAN). */
int best_rival(int w, int m, int n, int mode, double *ns);
void json_str(FILE *f, const char *s); /* a JSON string literal */
void print_headline(FILE *f);
void print_matrix(FILE *f);
void write_csv(FILE *f);
void write_json(FILE *f);
void write_plot_data(FILE *f);
void write_matrix_data(FILE *f);

#endif /* MPB_DRIVER_H */
