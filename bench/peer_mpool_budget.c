/*
 * Peer: mpool-budget.  The mpool peer (peer_mpool.c) with every pool
 * created with a generous byte budget (1 GiB), which no workload reaches:
 * the difference from "mpool" is the cost of budget accounting.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define MPB_MPOOL_BUDGET ((size_t)1 << 30)
#include "peer_mpool.c"
