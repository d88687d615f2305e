#!/usr/bin/env bash
# The main job: builds mpool and runs the benchmark suite against its peers
# (APR pools, talloc, mimalloc heaps, obstack, glibc, jemalloc, tcmalloc),
# printing the table and writing docs/bench/ (CSV, JSON, chart).  Options go
# to bench/run.sh, e.g. --quick for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --bench
exec bash bench/run.sh "$@"
