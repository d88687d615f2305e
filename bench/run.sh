#!/usr/bin/env bash
# Builds and runs the mpool benchmark suite, and writes the results.
#
#   bench/run.sh                 the whole matrix (5 repetitions, about 5 minutes
#                                on 2 cores), results in docs/bench/
#   bench/run.sh --quick         smoke run (1 repetition, small counts), results
#                                in build-bench/bench-quick/ unless --out is given
#   bench/run.sh --reps 9        more repetitions
#   bench/run.sh --out DIR       write results to DIR
#   bench/run.sh -- ARGS...      pass ARGS to mpool-bench (see mpool-bench --help),
#                                e.g. -- --peers mpool,apr --workloads request
#
# Configures a Release build in build-bench/ with -DMPOOL_BUILD_BENCH=ON;
# after the tables, mpool-scale prints the thread-scaling table (scale.txt)
# and mpool-rt-bench the real-time pool's (rt.txt).
# Environment: MPOOL_SOURCE_DIR (source tree to configure, default: the
# repository), MPOOL_BENCH_BUILD_DIR (default: build-bench), CC,
# MPOOL_BENCH_TRACE (allocation trace for the trace workload; without it
# the trace cells are n/a; scripts/run.sh records one),
# MPOOL_SCALE_THREADS (thread counts for mpool-scale, default "1 2 4"),
# MPOOL_SHARED_SCALE_THREADS (for mpool-shared-scale, default "1 2 4 8 16").
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="${MPOOL_SOURCE_DIR:-$root}"
build="${MPOOL_BENCH_BUILD_DIR:-$root/build-bench}"
quick=0
out=""
args=()

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) args+=(--reps "$2"); shift ;;
    --out) out="$2"; shift ;;
    --help|-h) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; args+=("$@"); break ;;
    *) echo "run.sh: unknown option $1 (pass driver options after --)" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "$out" ]; then
  if [ "$quick" = 1 ]; then out="$build/bench-quick"; else out="$root/docs/bench"; fi
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [ ! -f "$src/CMakeLists.txt" ]; then
  echo "run.sh: no CMakeLists.txt in $src (set MPOOL_SOURCE_DIR)" >&2
  exit 1
fi

jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMPOOL_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target mpool-bench-all -j "$jobs"

driver="$(find "$build" -name mpool-bench -type f -perm -u+x | head -n 1)"
if [ -z "$driver" ]; then
  echo "run.sh: mpool-bench was not built" >&2
  exit 1
fi
bindir="$(dirname "$driver")"

# Shared libraries of the LD_PRELOAD peers.
# shellcheck source=bench/find-lib.sh
. "$root/bench/find-lib.sh"
je="$(find_lib libjemalloc.so.2)"
tc="$(find_lib libtcmalloc_minimal.so.4)"
[ -n "$je" ] && args+=(--jemalloc "$je")
[ -n "$tc" ] && args+=(--tcmalloc "$tc")

# Machine description: versions of the tools and of every peer library.
first_line() { "$@" 2>/dev/null | head -n 1 || true; }
pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
cc_ver="$(first_line "${CC:-cc}" --version)"
args+=(--env "cc=${cc_ver:-unknown}")
gcc_ver="$(first_line gcc --version)"
[ -n "$gcc_ver" ] && args+=(--env "gcc=$gcc_ver")
clang_ver="$(first_line clang --version)"
[ -n "$clang_ver" ] && args+=(--env "clang=$clang_ver")
args+=(--env "cmake=$(first_line cmake --version)")
vg="$(first_line valgrind --version)"
[ -n "$vg" ] && args+=(--env "valgrind=$vg")
if [ -r /etc/os-release ]; then
  args+=(--env "os=$(. /etc/os-release && echo "${PRETTY_NAME:-$NAME}")")
fi
for p in libc6 libapr1 libtalloc2 libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4; do
  v="$(pkgver "$p")"
  [ -n "$v" ] && args+=(--env "$p=$v")
done
args+=(--env "governor=$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo n/a)")
args+=(--env "thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo n/a)")

[ "$quick" = 1 ] && args+=(--quick)
if [ -n "${MPOOL_BENCH_TRACE:-}" ]; then
  args+=(--trace "$MPOOL_BENCH_TRACE")
else
  echo "run.sh: MPOOL_BENCH_TRACE is not set; the trace cells are n/a" >&2
fi
plotdata="$build/bench-plot.dat"
matrixdata="$build/bench-matrix.dat"

"$driver" --out-dir "$out" --plot-data "$plotdata" --matrix-data "$matrixdata" \
  --icount "$bindir/mpool-icount" "${args[@]}" | tee "$out/results.txt"

# Charts: bench.png (every peer, default configuration), matrix.png (mpool
# against its fastest rival in every cell).
chart() { # script, data, output
  if gnuplot -e "datafile='$2'; outfile='$3'" "$1"; then
    echo "wrote $3"
  else
    echo "run.sh: gnuplot failed on $1; no chart" >&2
  fi
}
if command -v gnuplot >/dev/null 2>&1; then
  chart "$root/bench/plot.gp" "$plotdata" "$out/bench.png"
  chart "$root/bench/matrix.gp" "$matrixdata" "$out/matrix.png"
else
  echo "run.sh: gnuplot not found; no charts (bench/setup.sh installs it)" >&2
fi

# Scaling: request cycles per second as threads are added (bench/scale.c),
# after the main table; thread counts from MPOOL_SCALE_THREADS (=1 2 4).
scale="$bindir/mpool-scale"
if [ -x "$scale" ]; then
  echo
  scale_args=()
  [ "$quick" = 1 ] && scale_args+=(--quick)
  # shellcheck disable=SC2086 # the thread counts are words
  "$scale" "${scale_args[@]}" ${MPOOL_SCALE_THREADS:-1 2 4} | tee "$out/scale.txt"
else
  echo "run.sh: mpool-scale was not built; no scaling table" >&2
fi

# One shared pool for all threads (bench/shared_scale.c): the lanes against
# a pool per thread and the locked design, thread counts from
# MPOOL_SHARED_SCALE_THREADS (=1 2 4 8 16); a full run adds the callgrind
# counts per step (bench/shared-scale-counts.sh).
shsc="$bindir/mpool-shared-scale"
if [ -x "$shsc" ]; then
  echo
  shsc_args=()
  [ "$quick" = 1 ] && shsc_args+=(--quick)
  {
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    # shellcheck disable=SC2086 # the thread counts are words
    "$shsc" "${shsc_args[@]}" ${MPOOL_SHARED_SCALE_THREADS:-1 2 4 8 16}
    if [ "$quick" = 0 ] && command -v valgrind >/dev/null 2>&1; then
      echo
      MPOOL_SOURCE_DIR="$src" MPOOL_BENCH_BUILD_DIR="$build" \
        bash "$root/bench/shared-scale-counts.sh"
    fi
  } | tee "$out/shared-scale.txt"
else
  echo "run.sh: mpool-shared-scale was not built; no shared-pool table" >&2
fi

# Real-time pools: mp_rt against malloc and mpool's reuse path on a random
# alloc/free workload (bench/rt.c), a few seconds (--quick: under one).
rtb="$bindir/mpool-rt-bench"
if [ -x "$rtb" ]; then
  echo
  rt_args=()
  [ "$quick" = 1 ] && rt_args+=(--quick)
  "$rtb" "${rt_args[@]}" | tee "$out/rt.txt"
else
  echo "run.sh: mpool-rt-bench was not built; no rt table" >&2
fi
