#!/bin/sh
# Fails when a list that must name every public function of include/mpool.h
# (every MP_API declaration) misses one, names one twice, or names a
# function the header does not declare.  POSIX sh and awk only.
#
#   check-api-coverage.sh --oom-table HEADER FILE
#       FILE is tests/test_oom_every.c: each function has one row,
#       OOM_ROW(name, ...), in its table.
#   check-api-coverage.sh --bad-inputs HEADER FILE
#       FILE is docs/bad-inputs.md: each function is named, as `name`, in
#       the first cell of at least one table row.
#
# SPDX-License-Identifier: BSD-2-Clause
set -eu

if [ $# -ne 3 ]; then
  echo "usage: $0 --oom-table|--bad-inputs HEADER FILE" >&2
  exit 2
fi
mode=$1
header=$2
file=$3
for f in "$header" "$file"; do
  [ -r "$f" ] || {
    echo "$0: cannot read $f" >&2
    exit 2
  }
done

# The functions the header declares: each MP_API declaration runs from a
# line that starts with MP_API to its semicolon; attribute macros
# (MP_ALLOC_SIZE(2) and the like) are upper case, the function's name the
# first lower-case mp_ or mpool_ name followed by "(".
api=$(awk '
  /^MP_API/ { decl = ""; on = 1 }
  on {
    decl = decl " " $0
    if (index($0, ";")) {
      on = 0
      gsub(/MP_[A-Z0-9_]+\([^)]*\)/, "", decl)
      if (match(decl, /(mp_|mpool_)[a-z0-9_]*[ \t]*\(/)) {
        name = substr(decl, RSTART, RLENGTH)
        sub(/[ \t]*\($/, "", name)
        print name
      } else {
        print "unparsed: " decl > "/dev/stderr"
        exit 1
      }
    }
  }' "$header" | sort)

case $mode in
--oom-table)
  listed=$(sed -n 's/^[ \t]*OOM_ROW(\([a-z0-9_]*\),.*/\1/p' "$file" | sort)
  what="OOM_ROW() of $file"
  dups=$(printf '%s\n' "$listed" | uniq -d)
  ;;
--bad-inputs)
  # The first cell of each table row; every `name` in it.
  listed=$(awk -F'|' '
    /^\| `/ {
      cell = $2
      while (match(cell, /`[a-z0-9_]+`/)) {
        print substr(cell, RSTART + 1, RLENGTH - 2)
        cell = substr(cell, RSTART + RLENGTH)
      }
    }' "$file" | sort -u)
  what="the rows of $file"
  dups=
  ;;
*)
  echo "$0: unknown mode $mode" >&2
  exit 2
  ;;
esac

status=0
missing=$(printf '%s\n' "$api" | while read -r f; do
  printf '%s\n' "$listed" | grep -qx "$f" || echo "$f"
done)
if [ -n "$missing" ]; then
  echo "public functions of $header missing from $what:" >&2
  printf '  %s\n' $missing >&2
  status=1
fi
extra=$(printf '%s\n' "$listed" | grep '^mp' | while read -r f; do
  printf '%s\n' "$api" | grep -qx "$f" || echo "$f"
done)
if [ "$mode" = --oom-table ] && [ -n "$extra" ]; then
  echo "$what names functions $header does not declare:" >&2
  printf '  %s\n' $extra >&2
  status=1
fi
if [ -n "$dups" ]; then
  echo "$what names functions more than once:" >&2
  printf '  %s\n' $dups >&2
  status=1
fi
if [ $status -eq 0 ]; then
  echo "$what: all $(printf '%s\n' "$api" | wc -l | tr -d ' ') public functions"
fi
exit $status
