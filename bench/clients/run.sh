#!/usr/bin/env bash
# Runs the libraries of the adapters (mpool-clients, bench/clients/host.c)
# with every allocator and writes the table.
#
#   bench/clients/run.sh             full run (3 repetitions, about a minute):
#                                    docs/bench/clients.txt, clients.csv
#   bench/clients/run.sh --quick     small documents, 2 repetitions, seconds;
#                                    results in build-bench/bench-quick/
#   bench/clients/run.sh --reps N    N repetitions
#   bench/clients/run.sh --out DIR   write clients.txt and clients.csv to DIR
#
# Clients: cjson, jansson (parse and dump a JSON document), expat (parse an
# XML document), sqlite (the SQL workload of the adapter test), zlib
# (deflate and inflate messages), as mpool-clients --list reports them.
# Allocators: glibc, mpool (the adapter's pool, reset after each document),
# mpool-free (cjson, jansson, expat: every object freed, then the reset),
# mpool-1t (sqlite: a plain pool), memsys5 (sqlite: SQLITE_CONFIG_HEAP, when
# the library has it), and mimalloc, jemalloc, tcmalloc by LD_PRELOAD.
# Runs are interleaved (every allocator once per client and repetition,
# the order rotating by one each repetition); the table gives medians.
# Every run's checksum must equal the first run's of its client.
# Environment: MPOOL_SOURCE_DIR (source tree, default: the repository),
# MPOOL_BENCH_BUILD_DIR (build tree, default: build-bench), as bench/run.sh.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${MPOOL_SOURCE_DIR:-$root}"
build="${MPOOL_BENCH_BUILD_DIR:-$root/build-bench}"
quick=0
reps=""
out=""

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="$2"; shift ;;
    --out) out="$2"; shift ;;
    --help|-h) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "clients/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$reps" ]; then
  if [ "$quick" = 1 ]; then reps=2; else reps=3; fi
fi
case "$reps" in
  '' | *[!0-9]* | 0) echo "clients/run.sh: --reps needs a positive number" >&2; exit 2 ;;
esac

jobs="$(nproc 2>/dev/null || echo 2)"
# Configure unless the tree is already a benchmark build (bench/run.sh has
# just configured it when scripts/run.sh calls this); the build step
# reconfigures by itself when a CMakeLists.txt changed.
if ! grep -q '^MPOOL_BUILD_BENCH:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMPOOL_BUILD_BENCH=ON >/dev/null
fi
if ! cmake --build "$build" --target mpool-clients -j "$jobs" >&2; then
  echo "clients/run.sh: mpool-clients did not build (libraries missing? scripts/setup.sh installs them)" >&2
  exit 1
fi
host="$(find "$build" -name mpool-clients -type f -perm -u+x | head -n 1)"
if [ -z "$host" ]; then
  echo "clients/run.sh: mpool-clients was not built" >&2
  exit 1
fi

if [ -z "$out" ]; then
  if [ "$quick" = 1 ]; then out="$build/bench-quick"; else out="$root/docs/bench"; fi
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Shared libraries of the LD_PRELOAD allocators, found as bench/run.sh does.
# shellcheck source=bench/find-lib.sh
. "$root/bench/find-lib.sh"
declare -A a_lib=()
preloaded=()
for spec in mimalloc:libmimalloc.so.2 jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
  name="${spec%%:*}"
  lib="$(find_lib "${spec#*:}")"
  if [ -n "$lib" ]; then
    preloaded+=("$name")
    a_lib[$name]="$lib"
  else
    echo "clients/run.sh: ${spec#*:} not found, $name is n/a (bench/setup.sh installs it)" >&2
  fi
done

# Inputs: documents of 4 MiB (zlib: 1 MiB in 16 KiB messages), 10 000
# orders; each process handles 4 documents and reports the median of the
# last 3.  --quick: 256 KiB, 1000 orders, 2 documents.
if [ "$quick" = 1 ]; then
  docbytes=262144; zbytes=262144; orders=1000; docs=2
else
  docbytes=4194304; zbytes=1048576; orders=10000; docs=4
fi
declare -A c_args=(
  [cjson]="--bytes $docbytes" [jansson]="--bytes $docbytes"
  [expat]="--bytes $docbytes --piece 65536" [sqlite]="--orders $orders"
  [zlib]="--bytes $zbytes --piece 16384")
declare -A c_desc=(
  [cjson]="cjson $((docbytes / 1024)) KiB JSON, cJSON_Parse + cJSON_PrintUnformatted"
  [jansson]="jansson $((docbytes / 1024)) KiB JSON, json_loads + json_dumps(JSON_COMPACT)"
  [expat]="expat $((docbytes / 1024)) KiB XML fed 64 KiB at a time, namespaces on"
  [sqlite]="sqlite $orders orders on :memory:, sqlite3_initialize to sqlite3_shutdown"
  [zlib]="zlib $((zbytes / 1024)) KiB in 16 KiB messages, a deflate and an inflate stream each, level 6")

read -r -a built <<<"$("$host" --list)"
clients=()
for c in cjson jansson expat sqlite zlib; do
  for b in "${built[@]}"; do
    if [ "$b" = "$c" ]; then clients+=("$c"); fi
  done
done
if [ ${#clients[@]} -eq 0 ]; then
  echo "clients/run.sh: mpool-clients has no client built in" >&2
  exit 1
fi

samples="$(mktemp)"
runout="$(mktemp)"
trap 'rm -f "$samples" "$runout"' EXIT

# The allocators of each client; memsys5 only if the library has it.
declare -A c_allocs=()
unavail=""
for c in "${clients[@]}"; do
  case "$c" in
    cjson | jansson | expat) list="glibc mpool mpool-free" ;;
    sqlite)
      list="glibc mpool mpool-1t"
      set +e
      "$host" --client sqlite --alloc memsys5 --docs 1 --orders 10 >"$runout"
      rc=$?
      set -e
      if [ "$rc" = 0 ]; then
        list="$list memsys5"
      elif [ "$rc" = 3 ]; then
        why="$(sed -n 's/.* unavailable=//p' "$runout")"
        echo "clients/run.sh: sqlite memsys5 unavailable: $why" >&2
        unavail="sqlite memsys5 $why"
      else
        echo "clients/run.sh: sqlite with memsys5 failed" >&2
        cat "$runout" >&2
        exit 1
      fi ;;
    *) list="glibc mpool" ;;
  esac
  c_allocs[$c]="$list ${preloaded[*]}"
done

declare -A checksum=()
start=$SECONDS
echo "clients/run.sh: ${#clients[@]} clients x $reps repetitions, allocators interleaved" >&2
for ((rep = 0; rep < reps; rep++)); do
  for c in "${clients[@]}"; do
    read -r -a al <<<"${c_allocs[$c]}"
    n=${#al[@]}
    for ((k = 0; k < n; k++)); do
      name="${al[$(((k + rep) % n))]}"
      preload="${a_lib[$name]:-}"
      # shellcheck disable=SC2086 # the arguments are words
      if ! env ${preload:+LD_PRELOAD="$preload"} "$host" --client "$c" --alloc "$name" \
             --docs "$docs" ${c_args[$c]} >"$runout"; then
        echo "clients/run.sh: $c with $name failed" >&2
        cat "$runout" >&2
        exit 1
      fi
      line=""
      while IFS= read -r l; do
        case "$l" in "mpool-clients client="*) line="$l" ;; esac
      done <"$runout"
      sum=""
      [[ "$line" =~ checksum=([0-9a-f]+) ]] && sum="${BASH_REMATCH[1]}"
      if [ -z "$sum" ]; then
        echo "clients/run.sh: $c with $name printed no result line:" >&2
        cat "$runout" >&2
        exit 1
      fi
      if [ -z "${checksum[$c]:-}" ]; then
        checksum[$c]="$sum"
      elif [ "${checksum[$c]}" != "$sum" ]; then
        echo "clients/run.sh: $c checksum mismatch: $name gave $sum, earlier runs ${checksum[$c]}" >&2
        exit 1
      fi
      echo "rep=$rep $line" >>"$samples"
    done
  done
  echo "clients/run.sh: repetition $((rep + 1))/$reps done ($((SECONDS - start)) s)" >&2
done
elapsed=$((SECONDS - start))

cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
versions=""
for p in libc6 libcjson1 libjansson4 libexpat1 libsqlite3-0 zlib1g libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4; do
  v="$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)"
  [ -n "$v" ] && versions="$versions $p=$v"
done
desc=""
order=""
for c in "${clients[@]}"; do
  desc="$desc${c_desc[$c]};"
  order="$order $c:${c_allocs[$c]// /,}"
done

awk -v reps="$reps" -v docs="$docs" -v txt="$out/clients.txt" -v csv="$out/clients.csv" \
    -v order="${order# }" -v desc="$desc" -v unavail="$unavail" \
    -v cpu="${cpu:-?}" -v cores="$jobs" -v versions="${versions# }" \
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
function ms(x) { return x == 0 ? "-" : sprintf("%.2f", x) }
# A line: rep=R mpool-clients client=C alloc=A bytes=B ... (host.c),
# rewritten as: client alloc rep bytes doc parse dump free first faults
# floor peak (fields 1 to 12).
BEGIN { split("bytes doc_ms parse_ms dump_ms free_ms first_ms faults floor_rss_kib peak_rss_kib", fn, " ") }
{
  delete kv
  for (i = 1; i <= NF; i++) if ((e = index($i, "=")) > 0) kv[substr($i, 1, e - 1)] = substr($i, e + 1)
  $0 = kv["client"] " " kv["alloc"] " " kv["rep"]
  for (i = 1; i <= 9; i++) $0 = $0 " " kv[fn[i]]
  key = $1 SUBSEP $2
  m = ++cnt[key]
  bytes[key] = $4
  for (f = 5; f <= 12; f++) v[key, f, m] = $f
  if (!(key in tmin) || $5 < tmin[key]) tmin[key] = $5
  if (!(key in tmax) || $5 > tmax[key]) tmax[key] = $5
}
END {
  nc = split(order, co, " ")
  for (i = 1; i <= nc; i++) {
    split(co[i], parts, ":"); cl[i] = parts[1]
    na[i] = split(parts[2], tmp, ","); for (j = 1; j <= na[i]; j++) al[i, j] = tmp[j]
  }
  for (key in cnt) {
    m = cnt[key]
    for (f = 5; f <= 12; f++) { for (k = 1; k <= m; k++) s[k] = v[key, f, k]; med[key, f] = median(s, m) }
  }
  split(unavail, un, " ")
  nd = split(desc, dl, ";")

  printf "Adapter clients on each allocator: median of %d runs, interleaved%s\n", reps, \
    quick ? " (quick inputs)" : "" > txt
  printf "machine: %s, %s cores; %s\n", cpu, cores, date > txt
  printf "libraries: %s\n", versions > txt
  printf "inputs:\n" > txt
  for (i = 1; i <= nd; i++) if (dl[i] != "") printf "  %s\n", dl[i] > txt
  printf "each run: a fresh process builds the input (untimed), handles %d documents and reports\n", docs > txt
  printf "the median of those after the first; ms/doc = parse + dump + free (the pool rows: the reset)\n\n" > txt
  printf "%-8s %-10s %9s %8s %8s %8s %7s %7s %8s %7s %7s %7s %7s %7s\n", "client", "alloc", "ms/doc", "MB/s", \
    "parse", "dump", "free", "flt/doc", "peak MiB", "+doc", "t/glibc", "t/mimal", "m/glibc", "m/mimal" > txt
  print "client,alloc,reps,docs,bytes,doc_ms_median,doc_ms_min,doc_ms_max,parse_ms,dump_ms,free_ms,first_ms,faults_per_doc,floor_rss_kib,peak_rss_kib,mb_per_s,time_vs_glibc,time_vs_mimalloc,rss_vs_glibc,rss_vs_mimalloc,note" > csv
  for (i = 1; i <= nc; i++) {
    c = cl[i]; g = c SUBSEP "glibc"; mi = c SUBSEP "mimalloc"
    for (j = 1; j <= na[i]; j++) {
      a = al[i, j]; key = c SUBSEP a
      if (!(key in cnt)) continue
      t = med[key, 5]; pk = med[key, 12]; fl = med[key, 11]
      mbs = (bytes[key] > 0 && t > 0) ? sprintf("%.1f", bytes[key] / 1e6 / (t / 1e3)) : "-"
      rg = ratio(t, med[g, 5]); rm = ratio(t, med[mi, 5])
      sg = ratio(pk, med[g, 12]); sm = ratio(pk, med[mi, 12])
      printf "%-8s %-10s %9.2f %8s %8s %8s %7s %7d %8.1f %7.1f %7s %7s %7s %7s\n", c, a, t, mbs, \
        ms(med[key, 6]), ms(med[key, 7]), ms(med[key, 8]), med[key, 10], pk / 1024, (pk - fl) / 1024, \
        rg, rm, sg, sm > txt
      printf "%s,%s,%d,%d,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%d,%d,%d,%s,%s,%s,%s,%s,\n", c, a, cnt[key], \
        docs, bytes[key], t, tmin[key], tmax[key], med[key, 6], med[key, 7], med[key, 8], med[key, 9], \
        med[key, 10], fl, pk, mbs == "-" ? "" : mbs, rg, rm, sg, sm > csv
      if (rg != "n/a") { lg[a] += log(t / med[g, 5]); ng[a]++ }
      if (rm != "n/a") { lm[a] += log(t / med[mi, 5]); nm[a]++ }
      if (sg != "n/a") { lsg[a] += log(pk / med[g, 12]); nsg[a]++ }
      if (sm != "n/a") { lsm[a] += log(pk / med[mi, 12]); nsm[a]++ }
      if (!(a in seen)) { seen[a] = 1; alist[++nal] = a }
    }
    if (un[1] == c) {
      why = unavail; sub(/^[^ ]+ [^ ]+ /, "", why)
      printf "%-8s %-10s unavailable: %s\n", c, un[2], why > txt
      gsub(/"/, "\"\"", why)
      printf "%s,%s,0,,,,,,,,,,,,,,,,,,\"unavailable: %s\"\n", c, un[2], why > csv
    }
  }
  printf "\n" > txt
  for (k = 1; k <= nal; k++) {
    a = alist[k]
    if (ng[a] < 2) continue
    printf "%-8s %-10s %9s %8s %8s %8s %7s %7s %8s %7s %7s %7s %7s %7s\n", "geomean", a, ng[a] " clients", "", "", "", "", "", "", "", \
      sprintf("%.2f", exp(lg[a] / ng[a])), nm[a] ? sprintf("%.2f", exp(lm[a] / nm[a])) : "n/a", \
      sprintf("%.2f", exp(lsg[a] / nsg[a])), nsm[a] ? sprintf("%.2f", exp(lsm[a] / nsm[a])) : "n/a" > txt
  }
  printf "\nms/doc, parse, dump, free: milliseconds per document (zlib: deflate, inflate, reset; sqlite: the whole\n" > txt
  printf "workload under parse); MB/s: input bytes (10^6) per second of ms/doc; flt/doc: minor page faults per\n" > txt
  printf "document; peak MiB: VmHWM of the process; +doc: peak minus the VmHWM once the input was built;\n" > txt
  printf "t/glibc, t/mimal: ms/doc over glibc%ss or mimalloc%ss; m/glibc, m/mimal: the same for peak MiB.\n", "\047", "\047" > txt
  printf "Below 1 the row took less time (or memory); geomean: geometric mean of the ratios over the clients\n" > txt
  printf "the row has (at least two).\n" > txt
  printf "\nwhole run: %d s\n", elapsed > txt
}' "$samples"

cat "$out/clients.txt"
echo "wrote $out/clients.txt and $out/clients.csv"
