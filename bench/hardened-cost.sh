#!/usr/bin/env bash
# What hardened mode costs: builds the mpool worker twice (Release, and
# Release with -DMPOOL_HARDENED=ON) and prints, for every cell of the
# matrix, the instructions (callgrind) and the times of both and their
# ratio hardened / release.  Prints figures; asserts nothing.
#
#   bench/hardened-cost.sh                  every cell, counts and times
#   bench/hardened-cost.sh --quick          smaller counts, fewer timing reps
#   bench/hardened-cost.sh --no-time        instruction counts only
#   bench/hardened-cost.sh --no-icount      timings only
#   bench/hardened-cost.sh --reps N         timing repetitions (default 5)
#   bench/hardened-cost.sh --workloads request,churn --mixes small
#                          --nodes 4096,default --modes warm
#
# Instructions are those callgrind counts inside the workload's function
# (--toggle-collect=mpb_run_<workload>), so the input tables are left out.
# Times are the worker's own ns/op, the two builds run one after the other
# for each repetition (interleaved), the median of the repetitions.
# Environment: MPOOL_SOURCE_DIR (default: this repository),
# MPOOL_HARD_BUILD_DIR (default: build-hardened-cost; two trees under it),
# MPOOL_BENCH_TRACE (the trace workload's file; without it trace is skipped).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${MPOOL_SOURCE_DIR:-$root}"
build="${MPOOL_HARD_BUILD_DIR:-$root/build-hardened-cost}"
workloads="request,reset,burst,churn,strings,trace"
mixes="small,mixed,loguniform"
nodes="4096,8192,default"
modes="warm,cold"
reps=5
quick=0
do_icount=1
do_time=1

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; reps=3 ;;
    --reps) reps="$2"; shift ;;
    --workloads) workloads="$2"; shift ;;
    --mixes) mixes="$2"; shift ;;
    --nodes) nodes="$2"; shift ;;
    --modes) modes="$2"; shift ;;
    --no-time) do_time=0 ;;
    --no-icount) do_icount=0 ;;
    --help|-h) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "hardened-cost.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

jobs="$(nproc 2>/dev/null || echo 2)"
for cfg in release hardened; do
  flag=OFF
  [ "$cfg" = hardened ] && flag=ON
  cmake -S "$src" -B "$build/$cfg" -DCMAKE_BUILD_TYPE=Release \
    -DMPOOL_BUILD_BENCH=ON -DMPOOL_BUILD_TESTS=OFF -DMPOOL_BUILD_EXAMPLES=OFF \
    -DMPOOL_HARDENED="$flag" >/dev/null
  cmake --build "$build/$cfg" --target mpb-worker-mpool -j "$jobs" >/dev/null
done
rel="$(find "$build/release" -name mpb-worker-mpool -type f -perm -u+x | head -n 1)"
hrd="$(find "$build/hardened" -name mpb-worker-mpool -type f -perm -u+x | head -n 1)"
if [ "$do_icount" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
  echo "hardened-cost.sh: valgrind not found; timings only" >&2
  do_icount=0
fi

# Per-workload counts: callgrind runs about 50 times slower, so its counts
# are smaller than the timed runs'.
counts() { # workload, icount(1)/time(0)
  local div=1
  [ "$2" = 1 ] && div=10
  [ "$quick" = 1 ] && div=$((div * 4))
  case "$1" in
    request|reset) echo "--requests $((20000 / div))" ;;
    burst) echo "--burst-bytes $(((32 << 20) / div))" ;;
    churn) echo "--churn-steps $((200000 / div)) --churn-live $(((4 << 20) / div))" ;;
    strings) echo "--strings $((5000 / div))" ;;
    trace) echo "--trace-events $((2000000 / div))" ;;
  esac
}

icount() { # worker, workload, args...
  local exe="$1" w="$2" out
  shift 2
  out="$(mktemp)"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    --toggle-collect="mpb_run_$w" "$exe" --workload "$w" --label mpool "$@" \
    >/dev/null 2>&1 || { rm -f "$out"; echo 0; return; }
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
  rm -f "$out"
}

ns_per_op() { # worker, workload, args...
  local exe="$1" w="$2" line
  shift 2
  line="$("$exe" --workload "$w" --label mpool "$@" 2>/dev/null || true)"
  case "$line" in
    ok\ *) read -r _ ops ns _ <<<"$line"
      awk -v o="$ops" -v t="$ns" 'BEGIN { printf "%.2f", t / o }' ;;
    *) echo 0 ;;
  esac
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2];
  else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a > 0) printf "%.3f", a / b; else printf "n/a" }'; }

printf '%-8s %-10s %-7s %-4s %14s %14s %7s %10s %10s %7s\n' workload mix node mode \
  "Ir release" "Ir hardened" "Ir x" "ns release" "ns hardened" "ns x"
worst_i=0 worst_t=0 over=0 cells=0
IFS=, read -r -a W <<<"$workloads"
IFS=, read -r -a M <<<"$mixes"
IFS=, read -r -a N <<<"$nodes"
IFS=, read -r -a D <<<"$modes"
for w in "${W[@]}"; do
  wargs=()
  if [ "$w" = trace ]; then
    if [ -z "${MPOOL_BENCH_TRACE:-}" ]; then
      echo "hardened-cost.sh: MPOOL_BENCH_TRACE is not set; no trace cells" >&2
      continue
    fi
    wargs=(--trace "$MPOOL_BENCH_TRACE")
  fi
  mlist=("${M[@]}")
  case "$w" in strings|trace) mlist=(mixed) ;; esac
  for m in "${mlist[@]}"; do
    for n in "${N[@]}"; do
      nb="$n"
      [ "$n" = default ] && nb=0
      for d in "${D[@]}"; do
        runs=1
        [ "$d" = warm ] && runs=3
        base=(--mix "$m" --node "$nb" --runs "$runs" "${wargs[@]}")
        ir_r=0 ir_h=0 t_r=0 t_h=0
        if [ "$do_icount" = 1 ]; then
          # shellcheck disable=SC2046 # the counts are words
          ir_r="$(icount "$rel" "$w" "${base[@]}" $(counts "$w" 1))"
          # shellcheck disable=SC2046
          ir_h="$(icount "$hrd" "$w" "${base[@]}" $(counts "$w" 1))"
        fi
        if [ "$do_time" = 1 ]; then
          sr="" sh=""
          for ((k = 0; k < reps; k++)); do
            # shellcheck disable=SC2046
            sr="$sr $(ns_per_op "$rel" "$w" "${base[@]}" $(counts "$w" 0))"
            # shellcheck disable=SC2046
            sh="$sh $(ns_per_op "$hrd" "$w" "${base[@]}" $(counts "$w" 0))"
          done
          t_r="$(echo "$sr" | median)"
          t_h="$(echo "$sh" | median)"
        fi
        xi="$(ratio "$ir_h" "$ir_r")"
        xt="$(ratio "$t_h" "$t_r")"
        printf '%-8s %-10s %-7s %-4s %14s %14s %7s %10s %10s %7s\n' "$w" "$m" "$n" "$d" \
          "$ir_r" "$ir_h" "$xi" "$t_r" "$t_h" "$xt"
        cells=$((cells + 1))
        if [ "$xi" != n/a ] && awk -v x="$xi" 'BEGIN { exit !(x > 1.25) }'; then
          over=$((over + 1))
        fi
        worst_i="$(awk -v a="$worst_i" -v x="$xi" 'BEGIN { print (x != "n/a" && x + 0 > a + 0) ? x : a }')"
        worst_t="$(awk -v a="$worst_t" -v x="$xt" 'BEGIN { print (x != "n/a" && x + 0 > a + 0) ? x : a }')"
      done
    done
  done
done
echo "cells: $cells; highest Ir x: $worst_i; highest ns x: $worst_t; cells above 1.25 (Ir): $over"
