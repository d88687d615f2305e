#!/bin/sh
# Usage: rt-icount.sh VALGRIND DRIVER PATH=LIMIT...
# Runs DRIVER (tests/rt_icount.c) under callgrind, counting only the
# instructions inside mp_rt_alloc() and mp_rt_free(), with a dump after
# every call, and fails if the most instructions any one call of a PATH
# took exceeds its LIMIT (for example alloc=60 free=40).  Exits 77 (the
# test's SKIP_RETURN_CODE) when valgrind or the driver is not there.
set -u
valgrind=$1 driver=$2
shift 2
if [ ! -x "$valgrind" ] || [ ! -x "$driver" ]; then
  echo "rt-icount: valgrind or the driver is not available: skipped"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! "$valgrind" --tool=callgrind --collect-atstart=no \
  --toggle-collect=mp_rt_alloc --toggle-collect=mp_rt_free \
  --callgrind-out-file="$dir/cg" -q "$driver" >"$dir/out" 2>&1; then
  cat "$dir/out"
  echo "rt-icount: the driver failed under callgrind"
  exit 1
fi
# Every dump file holds one call: its trigger names the path, its totals
# line the instructions.  The last file (program end) holds none.
find "$dir" -name 'cg.*' -exec cat {} + | awk -v limits="$*" '
  /^desc: Trigger: Client Request: / { path = $5 }
  /^totals: / {
    if (path != "") {
      n[path]++
      if ($2 > max[path]) max[path] = $2
    }
    path = ""
  }
  END {
    bad = 0
    k = split(limits, lim, " ")
    for (i = 1; i <= k; i++) {
      split(lim[i], kv, "=")
      p = kv[1]
      if (!(p in n)) {
        printf "rt-icount: no calls of path %s were counted\n", p
        bad = 1
        continue
      }
      ok = max[p] <= kv[2] + 0
      printf "rt-icount: %-11s %6d calls, at most %4d instructions (limit %d)%s\n",
             p, n[p], max[p], kv[2], ok ? "" : ": OVER"
      if (!ok) bad = 1
    }
    exit bad
  }'
