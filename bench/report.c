/*
 * mpool-bench's output: the headline table (every peer in the default
 * configuration), the matrix table (mpool against its best rival in every
 * cell, the worst cell called out), CSV and JSON with every sample, and the
 * data files of the two charts.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* PATH_MAX in driver.h */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"

/* ------------------------------------------------------------------------
 * Figures of a cell
 * ---------------------------------------------------------------------- */

static int head_mix(int w) { return work_has_mix[w] ? MPB_MIX_MIXED : 0; }

static const char *mix_label(int w, int m) {
  return work_has_mix[w] ? mpb_mix_name[m] : "-";
}

/* Median ns/op of peer p in the cell, or NAN. */
static double ns_of(int w, int m, int n, int mode, int p) {
  if (!peers[p].enabled)
    return NAN;
  const cell_t *c = cell_at(w, m, n, mode, p);
  return cell_ok(c) ? median(c->ns_per_op, c->n) : NAN;
}

int best_rival(int w, int m, int n, int mode, double *ns) {
  int best = -1;
  double bt = NAN;
  for (int p = 0; p < NPEER; p++) {
    if (!peers[p].rival || !peer_runs_in(p, w, m, n, mode))
      continue;
    double t = ns_of(w, m, n, mode, p);
    if (!isnan(t) && (best < 0 || t < bt)) {
      best = p;
      bt = t;
    }
  }
  *ns = bt;
  return best;
}

static void fmt_ratio(char *buf, size_t len, double num, double den) {
  if (isnan(num) || isnan(den) || den <= 0)
    snprintf(buf, len, "n/a");
  else
    snprintf(buf, len, "%.2f", num / den);
}

static void fmt_ns(char *buf, size_t len, double t) {
  if (isnan(t))
    snprintf(buf, len, "-");
  else if (t >= 1000)
    snprintf(buf, len, "%.0f", t);
  else
    snprintf(buf, len, "%.1f", t);
}

/* ------------------------------------------------------------------------
 * Terminal tables
 * ---------------------------------------------------------------------- */

void print_headline(FILE *f) {
  fprintf(f,
          "\nmpool benchmark, default configuration (node size: each peer's "
          "default; mixed sizes; warm): median of %d repetition%s, peers "
          "interleaved, objects touched at %s; x mpool = peer / mpool "
          "(>1: mpool is faster or smaller)\n\n",
          o.reps, o.reps == 1 ? "" : "s",
          strcmp(o.touch, "lines") == 0 ? "every 64th byte"
                                        : "their first and last byte");
  fprintf(f, "%-8s %-12s %12s %8s %9s %8s %9s %9s  %s\n", "workload", "peer",
          "ns/op", "x mpool", "peak MiB", "x mpool", "floor MiB", "faults/op",
          "op");
  for (int w = 0; w < NWORK; w++) {
    int m = head_mix(w);
    if (!cell_enabled(w, m, N_DEFAULT, M_WARM))
      continue;
    const cell_t *mc = cell_at(w, m, N_DEFAULT, M_WARM, P_MPOOL);
    int mok = peers[P_MPOOL].enabled && cell_ok(mc);
    double mt = mok ? median(mc->ns_per_op, mc->n) : 0,
           mr = mok ? median(mc->rss_mib, mc->n) : 0;
    for (int p = 0; p < NPEER; p++) {
      if (!peer_runs_in(p, w, m, N_DEFAULT, M_WARM))
        continue;
      const cell_t *c = cell_at(w, m, N_DEFAULT, M_WARM, p);
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
  print_icount(f);
}

void print_matrix(FILE *f) {
  fprintf(f,
          "\nbenchmark matrix: ns per operation, median of %d repetition%s; "
          "x best = best rival / mpool (>1: mpool is faster); "
          "4k/def = mpool at node 4096 / mpool at its default node; warm = "
          "%d runs in one process, the first untimed; cold = one run in a "
          "fresh process\n\n",
          o.reps, o.reps == 1 ? "" : "s", o.warm_runs);
  fprintf(f, "%-8s %-10s %-7s %-4s %9s %-11s %9s %7s %6s |", "workload", "mix",
          "node", "mode", "mpool", "best rival", "ns", "x best", "4k/def");
  for (int p = 0; p < NPEER; p++)
    if (peers[p].rival && peers[p].enabled)
      fprintf(f, " %11.11s", peers[p].name);
  fputc('\n', f);

  double worst = INFINITY, worst4k = 0;
  int ww = -1, wm = 0, wn = 0, wmode = 0, wp = -1, w4 = -1, m4 = 0, mo4 = 0;
  int cells = 0, losses = 0;
  for (int w = 0; w < NWORK; w++)
    for (int m = 0; m < NMIX; m++)
      for (int n = 0; n < NNODE; n++)
        for (int mode = 0; mode < NMODE; mode++) {
          if (!cell_enabled(w, m, n, mode))
            continue;
          double mt = ns_of(w, m, n, mode, P_MPOOL), bt;
          int b = best_rival(w, m, n, mode, &bt);
          double def = ns_of(w, m, N_DEFAULT, mode, P_MPOOL);
          char s_mt[16], s_bt[16], s_x[16], s_4k[16] = "";
          fmt_ns(s_mt, sizeof s_mt, mt);
          fmt_ns(s_bt, sizeof s_bt, bt);
          fmt_ratio(s_x, sizeof s_x, bt, mt);
          if (n == N_4K)
            fmt_ratio(s_4k, sizeof s_4k, mt, def);
          fprintf(f, "%-8s %-10s %-7s %-4s %9s %-11s %9s %7s %6s |",
                  work_name[w], mix_label(w, m), node_name[n], mode_name[mode],
                  s_mt, b >= 0 ? peers[b].name : "-", s_bt, s_x, s_4k);
          for (int p = 0; p < NPEER; p++)
            if (peers[p].rival && peers[p].enabled) {
              char s[16];
              fmt_ns(s, sizeof s, ns_of(w, m, n, mode, p));
              fprintf(f, " %11s", s);
            }
          fputc('\n', f);
          if (isnan(mt) || b < 0)
            continue;
          cells++;
          double x = bt / mt;
          losses += x < 1.0;
          if (x < worst) {
            worst = x;
            ww = w, wm = m, wn = n, wmode = mode, wp = b;
          }
          if (n == N_4K && !isnan(def) && def > 0 && mt / def > worst4k) {
            worst4k = mt / def;
            w4 = w, m4 = m, mo4 = mode;
          }
        }
  fputc('\n', f);
  if (ww < 0) {
    fprintf(f, "worst cell: n/a (no cell has figures for mpool and a "
               "rival)\n");
    return;
  }
  fprintf(f,
          "worst cell for mpool: %s %s node %s %s: mpool %.1f ns, %s %.1f "
          "ns (x best %.2f)\n",
          work_name[ww], mix_label(ww, wm), node_name[wn], mode_name[wmode],
          ns_of(ww, wm, wn, wmode, P_MPOOL), peers[wp].name,
          ns_of(ww, wm, wn, wmode, wp), worst);
  fprintf(f, "cells where a rival is faster than mpool: %d of %d\n", losses,
          cells);
  if (w4 >= 0)
    fprintf(f, "largest 4k/def: %.2f (%s %s %s)\n", worst4k, work_name[w4],
            mix_label(w4, m4), mode_name[mo4]);
}

/* ------------------------------------------------------------------------
 * CSV and JSON
 * ---------------------------------------------------------------------- */

static void csv_num(FILE *f, int ok, double v) {
  if (ok && !isnan(v))
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

void json_str(FILE *f, const char *s) {
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

static const char *status_name(const cell_t *c) {
  return cell_ok(c) ? "ok" : c->status == C_ERROR ? "error" : "n/a";
}

/* Calls fn for every (cell, peer) that ran. */
typedef void (*row_fn)(FILE *f, int w, int m, int n, int mode, int p,
                       int first);
static void each_row(FILE *f, row_fn fn) {
  int first = 1;
  for (int w = 0; w < NWORK; w++)
    for (int m = 0; m < NMIX; m++)
      for (int n = 0; n < NNODE; n++)
        for (int mode = 0; mode < NMODE; mode++)
          for (int p = 0; cell_enabled(w, m, n, mode) && p < NPEER; p++) {
            if (!peer_runs_in(p, w, m, n, mode))
              continue;
            fn(f, w, m, n, mode, p, first);
            first = 0;
          }
}

static void csv_row(FILE *f, int w, int m, int n, int mode, int p, int first) {
  (void)first;
  const cell_t *c = cell_at(w, m, n, mode, p), *fl = &floors[p];
  const cell_t *mc = cell_at(w, m, n, mode, P_MPOOL);
  int ok = cell_ok(c), mok = peers[P_MPOOL].enabled && cell_ok(mc);
  double t = ok ? median(c->ns_per_op, c->n) : NAN,
         r = ok ? median(c->rss_mib, c->n) : NAN;
  double mt = mok ? median(mc->ns_per_op, mc->n) : NAN,
         mr = mok ? median(mc->rss_mib, mc->n) : NAN;
  double bt;
  int b = best_rival(w, m, n, mode, &bt);
  fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%d", work_name[w], mix_label(w, m),
          node_name[n], mode_name[mode], work_op[w], peers[p].name,
          status_name(c), c->n);
  csv_num(f, ok, t);
  csv_num(f, ok, ok ? vmin(c->ns_per_op, c->n) : 0);
  csv_num(f, ok, ok ? vmax(c->ns_per_op, c->n) : 0);
  csv_num(f, ok && mode == M_WARM, ok ? median(c->first_ns_per_op, c->n) : 0);
  csv_num(f, ok && mok && mt > 0, t / mt);
  fprintf(f, ",%s", b >= 0 ? peers[b].name : "");
  csv_num(f, b >= 0, bt);
  csv_num(f, ok, r);
  csv_num(f, ok && mok && mr > 0, r / mr);
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

void write_csv(FILE *f) {
  fputs("workload,mix,node,mode,op,peer,status,reps,ns_per_op,ns_per_op_min,"
        "ns_per_op_max,first_run_ns_per_op,time_ratio,best_rival,"
        "best_rival_ns_per_op,peak_rss_mib,rss_ratio,floor_rss_mib,"
        "ru_maxrss_mib,minor_faults_per_op,instructions_per_op,note\n",
        f);
  each_row(f, csv_row);
  write_icount_csv(f);
}

static void json_row(FILE *f, int w, int m, int n, int mode, int p, int first) {
  const cell_t *c = cell_at(w, m, n, mode, p);
  fputs(first ? "\n    {" : ",\n    {", f);
  fprintf(f,
          "\"workload\": \"%s\", \"mix\": \"%s\", \"node\": \"%s\", "
          "\"mode\": \"%s\", \"op\": \"%s\", \"peer\": \"%s\", "
          "\"status\": \"%s\"",
          work_name[w], mix_label(w, m), node_name[n], mode_name[mode],
          work_op[w], peers[p].name, status_name(c));
  if (!cell_ok(c)) {
    fputs(", \"note\": ", f);
    json_str(f, c->note);
    fputc('}', f);
    return;
  }
  fprintf(f, ", \"ops\": %" PRIu64 ", \"ns_per_op\": %.3f", c->ops,
          median(c->ns_per_op, c->n));
  fprintf(f, ", \"peak_rss_mib\": %.3f", median(c->rss_mib, c->n));
  fputs(",\n     \"samples\": {\"ns_per_op\": ", f);
  json_arr(f, c->ns_per_op, c->n);
  if (mode == M_WARM) {
    fputs(", \"first_run_ns_per_op\": ", f);
    json_arr(f, c->first_ns_per_op, c->n);
  }
  fputs(", \"peak_rss_mib\": ", f);
  json_arr(f, c->rss_mib, c->n);
  fputs(", \"ru_maxrss_mib\": ", f);
  json_arr(f, c->maxrss_mib, c->n);
  fputs(", \"minor_faults_per_op\": ", f);
  json_arr(f, c->faults_per_op, c->n);
  fputs("}}", f);
}

void write_json(FILE *f) {
  const mpb_params_t *q = &o.params;
  fputs("{\n  \"machine\": ", f);
  write_machine_json(f);
  fprintf(f,
          ",\n  \"params\": {\"reps\": %d, \"warm_runs\": %d, \"seed\": "
          "%" PRIu64 ", \"requests\": %zu, \"burst_bytes\": %zu, "
          "\"churn_steps\": %zu, \"churn_live_bytes\": %zu, \"strings\": "
          "%zu, \"warmup\": %zu, \"trace_events\": %zu, \"trace\": ",
          o.reps, o.warm_runs, q->seed, q->requests, q->burst_bytes,
          q->churn_steps, q->churn_live, q->strings, q->warmup,
          q->trace_events);
  if (o.trace)
    json_str(f, o.trace);
  else
    fputs("null", f);
  fprintf(f, ", \"touch\": \"%s\", \"quick\": %s},\n", o.touch,
          o.quick ? "true" : "false");
  fputs("  \"results\": [", f);
  each_row(f, json_row);
  fputs("\n  ],\n  \"floor_rss_mib\": {", f);
  int first = 1;
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
  write_icount_json(f);
  fputs("\n}\n", f);
}

/* ------------------------------------------------------------------------
 * Chart data (bench/plot.gp, bench/matrix.gp)
 * ---------------------------------------------------------------------- */

/* Headline chart: one block per workload, rows in peer order:
 * peer ns_per_op peak_rss_mib floor_mib; NaN where a peer has no figure.
 * The first lines name the blocks and their operations. */
void write_plot_data(FILE *f) {
  char mach[512];
  machine_summary(mach, sizeof mach);
  fputs("# workloads:", f);
  for (int w = 0; w < NWORK; w++)
    if (cell_enabled(w, head_mix(w), N_DEFAULT, M_WARM))
      fprintf(f, " %s", work_name[w]);
  fputs("\n# ops:", f);
  for (int w = 0; w < NWORK; w++)
    if (cell_enabled(w, head_mix(w), N_DEFAULT, M_WARM))
      fprintf(f, " %s", work_op[w]);
  fprintf(f, "\n# reps: %d\n# machine: %s\n", o.reps, mach);
  int block = 0;
  for (int w = 0; w < NWORK; w++) {
    int m = head_mix(w);
    if (!cell_enabled(w, m, N_DEFAULT, M_WARM))
      continue;
    fprintf(f, "%s# %s (ns per %s)\n", block ? "\n\n" : "", work_name[w],
            work_op[w]);
    block++;
    for (int p = 0; p < NPEER; p++) {
      if (!peer_runs_in(p, w, m, N_DEFAULT, M_WARM))
        continue;
      const cell_t *c = cell_at(w, m, N_DEFAULT, M_WARM, p), *fl = &floors[p];
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
}

/* Matrix chart: one block per workload, one row per cell of it:
 * "mix/node/mode" x_best; NaN where there is no ratio. */
void write_matrix_data(FILE *f) {
  char mach[512];
  machine_summary(mach, sizeof mach);
  fputs("# workloads:", f);
  for (int w = 0; w < NWORK; w++)
    if (work_enabled[w])
      fprintf(f, " %s", work_name[w]);
  fprintf(f, "\n# reps: %d\n# machine: %s\n", o.reps, mach);
  int block = 0;
  for (int w = 0; w < NWORK; w++) {
    if (!work_enabled[w])
      continue;
    fprintf(f, "%s# %s\n", block ? "\n\n" : "", work_name[w]);
    block++;
    for (int m = 0; m < NMIX; m++)
      for (int n = 0; n < NNODE; n++)
        for (int mode = 0; mode < NMODE; mode++) {
          if (!cell_enabled(w, m, n, mode))
            continue;
          double bt, mt = ns_of(w, m, n, mode, P_MPOOL);
          int b = best_rival(w, m, n, mode, &bt);
          fprintf(f, "\"%s%s%s/%s\"", work_has_mix[w] ? mpb_mix_name[m] : "",
                  work_has_mix[w] ? "/" : "", node_name[n], mode_name[mode]);
          if (b >= 0 && !isnan(mt) && mt > 0)
            fprintf(f, " %.4f \"%s\"\n", bt / mt, peers[b].name);
          else
            fputs(" NaN \"\"\n", f);
        }
  }
}
