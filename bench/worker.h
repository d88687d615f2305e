/*
 * Interface between a peer's workloads (workloads.h) and the worker's
 * main() (worker.c).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPB_WORKER_H
#define MPB_WORKER_H

#include "common.h"

#include <stdint.h>

/* The format of the strings workload's formatted half, as a request path. */
#define MPB_FORMAT "/%s/item?id=%u&tag=%s"

/* Inputs of the workloads, built (untimed) before the workload runs; a
 * worker builds only those of the workload it runs. */
typedef struct mpb_data {
  mpb_plan_t plan;    /* request and reset: sizes from the mix */
  uint32_t *burst;    /* burst: MPB_SIZE_TABLE sizes from the mix */
  size_t burst_count; /* burst: allocations per burst */
  uint32_t *churn;    /* churn: MPB_SIZE_TABLE sizes from the mix */
  mpb_words_t words;  /* strings */
  mpb_trace_t trace;  /* trace */
} mpb_data_t;

/* The node size given with --node (0: the peer's default), for the peers
 * that have one; peer_open() reads it. */
extern size_t mpb_node_size;

enum { MPB_OK = 0, MPB_NA = 1, MPB_ERROR = 2 };

typedef struct mpb_result {
  int status;      /* MPB_OK, MPB_NA or MPB_ERROR */
  const char *why; /* reason for MPB_NA or MPB_ERROR */
  uint64_t ops;    /* operations timed */
  uint64_t ns;     /* wall time of those operations */
  uint64_t faults; /* minor page faults during those operations */
} mpb_result_t;

/* Start (or restart) and stop the timed section of a workload. */
static inline void mpb_start(mpb_result_t *r) {
  r->faults = mpb_minor_faults();
  r->ns = mpb_now_ns();
}
static inline void mpb_stop(mpb_result_t *r) {
  r->ns = mpb_now_ns() - r->ns;
  r->faults = mpb_minor_faults() - r->faults;
}

typedef void (*mpb_workload_fn)(const mpb_params_t *, const mpb_data_t *,
                                mpb_result_t *);

typedef struct mpb_peer {
  const char *name;
  const char *(*init)(const char *label);
  mpb_workload_fn request, reset, burst, churn, strings, trace;
} mpb_peer_t;

/* Defined by the peer file, through workloads.h. */
extern const mpb_peer_t mpb_peer;

#endif /* MPB_WORKER_H */
