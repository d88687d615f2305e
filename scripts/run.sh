#!/usr/bin/env bash
# The main job: builds mpool and runs the benchmark suite against its peers
# (APR pools, talloc, mimalloc heaps, obstack, glibc, jemalloc, tcmalloc),
# printing the table and writing docs/bench/ (CSV, JSON, chart).  Options go
# to bench/run.sh, e.g. --quick for a short run.
#
# Before the suite, records the allocation trace of a small Lua run
# (bench/lua/run.sh --record-trace) and exports its path as
# MPOOL_BENCH_TRACE, unless that is set already.  After it, runs the Lua
# interpreter on each allocator (bench/lua/run.sh, docs/bench/lua.txt),
# then the libraries of the adapters (bench/clients/run.sh,
# docs/bench/clients.txt); --quick and --out DIR are passed on to those
# steps too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --bench

if [ -z "${MPOOL_BENCH_TRACE:-}" ]; then
  if trace="$(bash bench/lua/run.sh --record-trace)" && [ -n "$trace" ]; then
    export MPOOL_BENCH_TRACE="$trace"
  else
    echo "run.sh: no Lua allocation trace; MPOOL_BENCH_TRACE stays unset" >&2
  fi
fi

bash bench/run.sh "$@"

# Real clients, first the Lua 5.4 interpreter, on mpool and on the malloc
# peers: --quick and --out go to these steps too.
step_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) step_args+=(--quick) ;;
    --out) step_args+=(--out "$2"); shift ;;
    --reps) shift ;;
    --) break ;;
  esac
  shift
done
echo
bash bench/lua/run.sh "${step_args[@]}"

# Real clients: cJSON, Jansson, Expat, SQLite and zlib through their
# adapters.
echo
bash bench/clients/run.sh "${step_args[@]}"
