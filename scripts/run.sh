#!/usr/bin/env bash
# The main job: builds mpool and runs the benchmark suite against its peers
# (APR pools, talloc, mimalloc heaps, obstack, glibc, jemalloc, tcmalloc),
# printing the table and writing docs/bench/ (CSV, JSON, chart).  Options go
# to bench/run.sh, e.g. --quick for a short run.
#
# Before the suite, records the allocation trace of a small Lua run
# (bench/lua/run.sh --record-trace) and exports its path as
# MPOOL_BENCH_TRACE, unless that is set already.  After it, runs the Lua
# interpreter on each allocator (bench/lua/run.sh, docs/bench/lua.txt);
# --quick and --out DIR are passed on to that step too.
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

# Real client: the Lua 5.4 interpreter on mpool and on the malloc peers.
lua_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) lua_args+=(--quick) ;;
    --out) lua_args+=(--out "$2"); shift ;;
    --reps) shift ;;
    --) break ;;
  esac
  shift
done
echo
bash bench/lua/run.sh "${lua_args[@]}"
