#!/bin/sh
# Usage: valgrind-expect.sh VALGRIND PROGRAM MODE STATUS [PATTERN]
# Runs PROGRAM MODE under memcheck and checks that it exits with STATUS
# (99 when memcheck reported an error), that memcheck found the library's
# mempool records consistent (its sanity checks print without counting an
# error) and, when given, that the log has PATTERN.
set -u
valgrind=$1 prog=$2 mode=$3 want=$4 pattern=${5-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$valgrind" --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --log-file="$log" "$prog" "$mode"
status=$?
if [ "$status" != "$want" ]; then
  cat "$log"
  echo "$mode: exit status $status, expected $want"
  exit 1
fi
if grep -q -E 'Bad mempool|overlaps with its successor|out of order wrt' "$log"; then
  cat "$log"
  echo "$mode: memcheck found overlapping or disordered mempool chunks"
  exit 1
fi
if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$log"; then
  cat "$log"
  echo "$mode: no \"$pattern\" in the memcheck log"
  exit 1
fi
echo "$mode: ok"
