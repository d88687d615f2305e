#!/usr/bin/env bash
# Instructions and atomic (locked bus) events per step of mpool-shared-scale
# under callgrind: the lanes, per-thread and locked rows at 1, 2 and 4
# threads.  A step is one mp_free_sized() and one mp_alloc() (and the
# write of the object's first byte).  Prints figures; asserts nothing.
#
#   bench/shared-scale-counts.sh                 20 000 steps per thread
#   bench/shared-scale-counts.sh --ops 50000     more steps
#   bench/shared-scale-counts.sh --threads "1 2" other thread counts
#
# Each (row, threads) runs twice under valgrind --tool=callgrind
# --collect-bus=yes, with --ops N and with --ops 0 (the threads, the pool,
# the filled ring and the untimed warm-up steps alone); the table gives
# (Ir(N) - Ir(0)) / (threads * N) and the same for Ge, callgrind's count of
# global bus events (lock-prefixed and atomic read-modify-write
# instructions).  Callgrind runs one thread at a time, so the counts show
# the work each step does, not contention.
# Environment: MPOOL_SOURCE_DIR (default: this repository),
# MPOOL_BENCH_BUILD_DIR (default: build-bench; configured and built as
# bench/run.sh does).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${MPOOL_SOURCE_DIR:-$root}"
build="${MPOOL_BENCH_BUILD_DIR:-$root/build-bench}"
ops=20000
threads="1 2 4"

while [ $# -gt 0 ]; do
  case "$1" in
    --ops) ops="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --help|-h) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "shared-scale-counts.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$ops" in
  '' | *[!0-9]* | 0) echo "shared-scale-counts.sh: --ops needs a positive count" >&2; exit 2 ;;
esac

command -v valgrind >/dev/null 2>&1 || {
  echo "shared-scale-counts.sh: valgrind not found (bench/setup.sh installs it)" >&2
  exit 1
}

jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMPOOL_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target mpool-shared-scale -j "$jobs" >/dev/null
main="$(find "$build" -name mpool-shared-scale -type f -perm -u+x | head -n 1)"
if [ -z "$main" ]; then
  echo "shared-scale-counts.sh: mpool-shared-scale was not built" >&2
  exit 1
fi
locked="$(dirname "$main")/mpb-shared-scale-locked"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# "Ir Ge" totals of one run: program, row, threads, steps.
totals() {
  local out="$tmp/cg.out"
  valgrind --tool=callgrind --collect-bus=yes --callgrind-out-file="$out" \
    "$1" --raw --rows "$2" --ops "$4" --reps 1 "$3" >/dev/null 2>"$tmp/cg.err" || {
    echo "shared-scale-counts.sh: callgrind run of $2 failed:" >&2
    cat "$tmp/cg.err" >&2
    exit 1
  }
  awk '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
       /^totals:/ { print $(col["Ir"]), (("Ge" in col) ? $(col["Ge"]) : 0) }' "$out"
}

echo "mpool-shared-scale under callgrind --collect-bus=yes: per step (one"
echo "mp_free_sized + one mp_alloc), setup (--ops 0) subtracted; $ops steps per thread"
echo "(ring of 64 live objects, 7/8 of the sizes 8-511 B, 1/8 512-4095 B)"
printf '%-12s %8s %10s %10s\n' row threads Ir/step bus/step
for row in lanes per-thread locked; do
  prog="$main"
  if [ "$row" = locked ]; then
    prog="$locked"
    if [ ! -x "$prog" ]; then
      printf '%-12s %8s %10s %10s\n' "$row" - n/a n/a
      continue
    fi
  fi
  for t in $threads; do
    with="$(totals "$prog" "$row" "$t" "$ops")"
    without="$(totals "$prog" "$row" "$t" 0)"
    read -r ir1 ge1 <<<"$with"
    read -r ir0 ge0 <<<"$without"
    if [ -z "$ir1" ] || [ -z "$ir0" ]; then
      echo "shared-scale-counts.sh: no callgrind totals for $row at $t threads" >&2
      exit 1
    fi
    awk -v r="$row" -v t="$t" -v n="$ops" -v i1="$ir1" -v i0="$ir0" \
      -v g1="$ge1" -v g0="$ge0" 'BEGIN {
        d = t * n
        printf "%-12s %8d %10.1f %10.3f\n", r, t, (i1 - i0) / d, (g1 - g0) / d
      }'
  done
done
