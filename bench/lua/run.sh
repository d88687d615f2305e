#!/usr/bin/env bash
# Runs the Lua 5.4 interpreter (mpool-lua, bench/lua/host.c) on its
# benchmark programs with every allocator and writes the table.
#
#   bench/lua/run.sh                 full run (5 repetitions): docs/bench/lua.txt, lua.csv
#   bench/lua/run.sh --quick         tiny arguments, 3 repetitions, seconds;
#                                    results in build-bench/bench-quick/
#   bench/lua/run.sh --reps N        N repetitions
#   bench/lua/run.sh --out DIR       write lua.txt and lua.csv to DIR
#   bench/lua/run.sh --record-trace [FILE]
#                                    record the allocation trace of a small
#                                    binary_trees run (default FILE:
#                                    build-bench/lua-trace.txt) and print its path
#
# Allocators: glibc, mpool (mp_allocf, default nodes), mpool-4k (4 KiB nodes,
# MP_POOL_EXACT_NODES), and mimalloc, jemalloc, tcmalloc by LD_PRELOAD.
# Runs are interleaved (every allocator once per program and repetition,
# the order rotating by one each repetition); the table gives medians.
# Every run's checksum must equal glibc's, or the run fails.
# Environment: MPOOL_SOURCE_DIR (source tree, default: the repository),
# MPOOL_BENCH_BUILD_DIR (build tree, default: build-bench), as bench/run.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${MPOOL_SOURCE_DIR:-$root}"
build="${MPOOL_BENCH_BUILD_DIR:-$root/build-bench}"
here="$root/bench/lua"
quick=0
reps=""
out=""
record=""

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="$2"; shift ;;
    --out) out="$2"; shift ;;
    --record-trace)
      record="$build/lua-trace.txt"
      if [ $# -gt 1 ] && [ "${2#-}" = "$2" ]; then record="$2"; shift; fi ;;
    --help|-h) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "lua/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$reps" ]; then
  if [ "$quick" = 1 ]; then reps=3; else reps=5; fi
fi
case "$reps" in
  '' | *[!0-9]* | 0) echo "lua/run.sh: --reps needs a positive number" >&2; exit 2 ;;
esac

# Build mpool-lua in the benchmark's build tree.  All build output goes to
# stderr: with --record-trace, stdout is the trace's path alone.
jobs="$(nproc 2>/dev/null || echo 2)"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMPOOL_BUILD_BENCH=ON >&2
if ! cmake --build "$build" --target mpool-lua -j "$jobs" >&2; then
  echo "lua/run.sh: mpool-lua did not build (Lua 5.4 missing? scripts/setup.sh installs liblua5.4-dev)" >&2
  exit 1
fi
host="$(find "$build" -name mpool-lua -type f -perm -u+x | head -n 1)"
if [ -z "$host" ]; then
  echo "lua/run.sh: mpool-lua was not built" >&2
  exit 1
fi

if [ -n "$record" ]; then
  # 2.4 million events, about 23 MB: binary_trees of depth 12.
  mkdir -p "$(dirname "$record")"
  "$host" --alloc glibc --record "$record" "$here/binary_trees.lua" 12 >&2
  echo "lua/run.sh: trace in $record ($(wc -l <"$record") events, $(du -h "$record" | cut -f1))" >&2
  printf '%s\n' "$(cd "$(dirname "$record")" && pwd)/$(basename "$record")"
  exit 0
fi

if [ -z "$out" ]; then
  if [ "$quick" = 1 ]; then out="$build/bench-quick"; else out="$root/docs/bench"; fi
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Shared libraries of the LD_PRELOAD allocators, found as bench/run.sh does.
# shellcheck source=bench/find-lib.sh
. "$root/bench/find-lib.sh"

# name, --alloc value, extra options, library to preload
allocs=(glibc mpool mpool-4k)
declare -A a_alloc=([glibc]=glibc [mpool]=mpool [mpool-4k]=mpool)
declare -A a_opts=([mpool-4k]="--node-size 4096 --exact-nodes")
declare -A a_lib=()
for spec in mimalloc:libmimalloc.so.2 jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
  name="${spec%%:*}"
  lib="$(find_lib "${spec#*:}")"
  if [ -n "$lib" ]; then
    allocs+=("$name")
    a_alloc[$name]="$name"
    a_lib[$name]="$lib"
  else
    echo "lua/run.sh: ${spec#*:} not found, $name is n/a (bench/setup.sh installs it)" >&2
  fi
done

# program, arguments: ~1-3 s each on glibc for a full run, a blink for --quick
programs=(binary_trees k_nucleotide strings)
if [ "$quick" = 1 ]; then
  declare -A p_args=([binary_trees]="8" [k_nucleotide]="20000 1" [strings]="3")
else
  declare -A p_args=([binary_trees]="15" [k_nucleotide]="250000 3" [strings]="90")
fi

samples="$(mktemp)"
runout="$(mktemp)"
trap 'rm -f "$samples" "$runout"' EXIT
declare -A checksum=()
n=${#allocs[@]}
start=$SECONDS

echo "lua/run.sh: ${#programs[@]} programs x $n allocators x $reps repetitions" >&2
for ((rep = 0; rep < reps; rep++)); do
  for prog in "${programs[@]}"; do
    for ((k = 0; k < n; k++)); do
      name="${allocs[$(((k + rep) % n))]}"
      preload="${a_lib[$name]:-}"
      # shellcheck disable=SC2086 # options and arguments are words
      if ! env ${preload:+LD_PRELOAD="$preload"} "$host" --alloc "${a_alloc[$name]}" \
             ${a_opts[$name]:-} "$here/$prog.lua" ${p_args[$prog]} >"$runout"; then
        echo "lua/run.sh: $prog with $name failed" >&2
        exit 1
      fi
      sum="$(awk '$1 == "checksum" { print $2 }' "$runout")"
      line="$(grep '^mpool-lua alloc=' "$runout" || true)"
      if [ -z "$sum" ] || [ -z "$line" ]; then
        echo "lua/run.sh: $prog with $name printed no checksum or result line:" >&2
        cat "$runout" >&2
        exit 1
      fi
      if [ -z "${checksum[$prog]:-}" ]; then
        checksum[$prog]="$sum"
      elif [ "${checksum[$prog]}" != "$sum" ]; then
        echo "lua/run.sh: $prog checksum mismatch: $name gave $sum, earlier runs ${checksum[$prog]}" >&2
        exit 1
      fi
      sec="$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$line")"
      kib="$(sed -n 's/.* peak_rss_kib=\([0-9]*\).*/\1/p' <<<"$line")"
      node="$(sed -n 's/.* node_size=\([0-9]*\).*/\1/p' <<<"$line")"
      echo "$prog $name $rep $sec $kib ${node:--}" >>"$samples"
    done
  done
  echo "lua/run.sh: repetition $((rep + 1))/$reps done ($((SECONDS - start)) s)" >&2
done
elapsed=$((SECONDS - start))

luaver="$(pkg-config --modversion lua5.4 2>/dev/null || dpkg-query -W -f='${Version}' liblua5.4-0 2>/dev/null || echo '?')"
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
versions=""
for p in libc6 libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4; do
  v="$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)"
  [ -n "$v" ] && versions="$versions $p=$v"
done
args_desc=""
for prog in "${programs[@]}"; do args_desc="$args_desc $prog ${p_args[$prog]};"; done

awk -v reps="$reps" -v txt="$out/lua.txt" -v csv="$out/lua.csv" \
    -v allocs="${allocs[*]}" -v programs="${programs[*]}" \
    -v luaver="$luaver" -v cpu="${cpu:-?}" -v cores="$jobs" \
    -v versions="${versions# }" -v args_desc="${args_desc# }" \
    -v elapsed="$elapsed" -v quick="$quick" -v date="$(date -u '+%Y-%m-%d %H:%M UTC')" '
function median(arr, m,    i, j, t, a) {
  for (i = 1; i <= m; i++) a[i] = arr[i]
  for (i = 2; i <= m; i++) {            # insertion sort, m is small
    t = a[i]
    for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
    a[j + 1] = t
  }
  return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function ratio(x, y) { return (x == "" || y == "" || y <= 0) ? "n/a" : sprintf("%.2f", x / y) }
function verdict(x, y, limit) { return (x == "" || y == "" || y <= 0) ? "n/a" : (x / y <= limit ? "met" : "missed") }
function ratio3(x, y) { return (x == "" || y == "" || y <= 0) ? "n/a" : sprintf("%.3f", x / y) }
{
  key = $1 SUBSEP $2
  cnt[key]++
  t[key, cnt[key]] = $4; r[key, cnt[key]] = $5
  if (!(key in tmin) || $4 < tmin[key]) tmin[key] = $4
  if (!(key in tmax) || $4 > tmax[key]) tmax[key] = $4
  node[key] = $6
}
END {
  na = split(allocs, al, " "); np = split(programs, pr, " ")
  for (i = 1; i <= np; i++) for (j = 1; j <= na; j++) {
    key = pr[i] SUBSEP al[j]
    if (!cnt[key]) continue
    m = cnt[key]
    for (k = 1; k <= m; k++) { tt[k] = t[key, k]; rr[k] = r[key, k] }
    tmed[key] = median(tt, m); rmed[key] = median(rr, m)
  }
  # geometric means over the programs
  for (j = 1; j <= na; j++) {
    lt = 0; lr = 0; ok = 1
    for (i = 1; i <= np; i++) {
      key = pr[i] SUBSEP al[j]
      if (!(key in tmed) || tmed[key] <= 0 || rmed[key] <= 0) { ok = 0; break }
      lt += log(tmed[key]); lr += log(rmed[key])
    }
    if (ok) { tmed["geomean" SUBSEP al[j]] = exp(lt / np); rmed["geomean" SUBSEP al[j]] = exp(lr / np) }
  }
  pr[np + 1] = "geomean"

  printf "Lua %s interpreter (mpool-lua) on each allocator: median of %d runs, interleaved%s\n", \
    luaver, reps, quick ? " (quick arguments)" : "" > txt
  printf "machine: %s, %s cores; %s\n", cpu, cores, date > txt
  printf "libraries: %s\n", versions > txt
  printf "programs:%s\n", " " args_desc > txt
  printf "time: CLOCK_MONOTONIC around the script run; peak: VmHWM of the process\n\n" > txt
  printf "%-13s %-9s %9s %9s %8s %9s %9s\n", "program", "alloc", "time s", "peak MiB", \
    "t/glibc", "t/mimal", "rss/glibc" > txt
  print "program,alloc,node_size,reps,time_median_s,time_min_s,time_max_s,peak_rss_median_kib,time_vs_glibc,time_vs_mimalloc,rss_vs_glibc" > csv
  for (i = 1; i <= np + 1; i++) {
    p = pr[i]
    g = p SUBSEP "glibc"; mi = p SUBSEP "mimalloc"
    if (i == np + 1) printf "\n" > txt
    for (j = 1; j <= na; j++) {
      key = p SUBSEP al[j]
      if (!(key in tmed)) continue
      rg = ratio(tmed[key], tmed[g]); rm = ratio(tmed[key], tmed[mi]); rs = ratio(rmed[key], rmed[g])
      printf "%-13s %-9s %9.3f %9.1f %8s %9s %9s\n", p, al[j], tmed[key], rmed[key] / 1024, \
        rg, rm, rs > txt
      if (p == "geomean")
        printf "%s,%s,,%d,%.6f,,,%.0f,%s,%s,%s\n", p, al[j], reps, tmed[key], rmed[key], rg, rm, rs > csv
      else
        printf "%s,%s,%s,%d,%.6f,%.6f,%.6f,%.0f,%s,%s,%s\n", p, al[j], node[key] == "-" ? "" : node[key], \
          cnt[key], tmed[key], tmin[key], tmax[key], rmed[key], rg, rm, rs > csv
    }
  }
  printf "\nratios are row / glibc or row / mimalloc, of the medians; < 1 means less time or memory\n" > txt
  printf "\ntargets: time <= 0.90 x glibc, time <= 1.00 x mimalloc, peak RSS <= 1.10 x glibc\n" > txt
  for (j = 1; j <= na; j++) {
    if (al[j] !~ /^mpool/) continue
    for (i = 1; i <= np + 1; i++) {
      p = pr[i]; key = p SUBSEP al[j]
      if (!(key in tmed)) continue
      tg = tmed[p SUBSEP "glibc"]; tm = tmed[p SUBSEP "mimalloc"]; sg = rmed[p SUBSEP "glibc"]
      printf "%-9s %-13s time/glibc %5s %-6s  time/mimalloc %5s %-6s  rss/glibc %5s %s\n", al[j], p, \
        ratio3(tmed[key], tg), verdict(tmed[key], tg, 0.90), ratio3(tmed[key], tm), \
        verdict(tmed[key], tm, 1.00), ratio3(rmed[key], sg), verdict(rmed[key], sg, 1.10) > txt
    }
  }
  printf "\nwhole run: %d s\n", elapsed > txt
}' "$samples"

cat "$out/lua.txt"
echo "wrote $out/lua.txt and $out/lua.csv"
