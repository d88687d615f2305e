#!/usr/bin/env bash
# Proves that every regression input of the fuzz corpus still finds its
# bug: for each fuzz/corpus/regress-NAME, fuzz/regress/NAME.patch reverts
# the fix that input guards, against today's source.  The script copies
# src/, include/ and fuzz/ into build-test/refind/NAME, applies the patch,
# builds the replay binary (fuzz/fuzz_ops.c and fuzz/replay_main.c over
# src/mpool_unity.c) with clang and the sanitizers fuzz/run.sh uses, and
# requires the input to fail there: a non-zero exit, a signal (the model
# check's abort, a sanitizer report) or a time-out, whose output matches
# the patch's Expect: line.  The same input must pass the build of the
# unpatched copy.
#
# A patch names its build in its header, before the diff:
#   Sanitize: address,undefined   (the -fsanitize= list; fuzz/run.sh's two
#                                  passes use address,undefined and undefined)
#   Expect: <extended regex>      (what the failing run must print)
#
# Prints one line per input (re-found / NOT re-found) and exits non-zero if
# any input is not re-found, has no patch, or its patch no longer applies,
# or if a patch has no input.  FUZZ_CC picks the compiler (default clang);
# REFIND_TIMEOUT the seconds one run may take (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
cc=${FUZZ_CC:-clang}
limit=${REFIND_TIMEOUT:-60}
out=build-test/refind
rm -rf "$out"
mkdir -p "$out"

# The value of header field $2 of patch $1 (before its first diff line).
field() {
  sed -n -e '/^diff --git /q' -e "s/^$2: *//p" "$1" | head -n 1
}

# Builds $1/replay from the sources in $1 with sanitizers $2, as fuzz/run.sh
# builds the fuzzer (without libFuzzer: replay_main.c feeds the input).
# Two compilers at a time; the log goes to $1/build.log.
build() {
  local dir=$1 san=$2
  local flags=(-std=c11 -O1 -g -Wall -Wextra -Wpedantic -Werror
    -fsanitize="$san" -fno-sanitize-recover=all -fno-omit-frame-pointer
    -I"$dir/include" -I"$dir/src")
  local pid ok=1
  "$cc" "${flags[@]}" -c "$dir/src/mpool_unity.c" -o "$dir/mpool.o" \
    >"$dir/build-lib.log" 2>&1 &
  pid=$!
  "$cc" "${flags[@]}" -c "$dir/fuzz/fuzz_ops.c" -o "$dir/fuzz_ops.o" \
    >"$dir/build.log" 2>&1 &&
    "$cc" "${flags[@]}" -c "$dir/fuzz/replay_main.c" -o "$dir/replay_main.o" \
      >>"$dir/build.log" 2>&1 || ok=0
  wait "$pid" || ok=0
  cat "$dir/build-lib.log" >>"$dir/build.log"
  ((ok)) && "$cc" -fsanitize="$san" "$dir/mpool.o" "$dir/fuzz_ops.o" \
    "$dir/replay_main.o" -o "$dir/replay" -lpthread >>"$dir/build.log" 2>&1
}

# Runs replay binary $1 on input $2 with sanitizers $3, output to $4;
# returns its status (124 after a time-out, which the log then says).
# AddressSanitizer ends a run past 1 GiB of RSS (an endless allocation
# loop); without it the address space is bounded instead.
run() {
  local status=0
  (
    case $3 in
    *address*) ;;
    *) ulimit -v $((4 << 20)) ;;
    esac
    # Not the subshell's last command, so the status is an exit status
    # and the shell here reports no signal.
    ASAN_OPTIONS=hard_rss_limit_mb=1024 UBSAN_OPTIONS=print_stacktrace=1 \
      timeout "$limit" "$1" "$2" || exit $?
  ) >"$4" 2>&1 || status=$?
  if ((status == 124)); then
    echo "refind: timed out after $limit s" >>"$4"
  fi
  return "$status"
}

# The first line of log $1 that says what went wrong.
reason() {
  grep -a -m 1 -E 'check failed|ERROR:|runtime error|rss limit|SEGV|free\(\)|timed out|Abort' "$1" |
    cut -c 1-120 || echo "(no report)"
}

# One source copy per input, patched; an unpatched copy per sanitizer set.
declare -A base_built=()
failed=0
inputs=0
for input in fuzz/corpus/regress-*; do
  [[ -f $input ]] || continue
  inputs=$((inputs + 1))
  name=$(basename "$input")
  patch=fuzz/regress/$name.patch
  if [[ ! -f $patch ]]; then
    echo "NOT re-found: $name (no fuzz/regress/$name.patch)"
    failed=1
    continue
  fi
  san=$(field "$patch" Sanitize)
  expect=$(field "$patch" Expect)
  if [[ -z $san || -z $expect ]]; then
    echo "NOT re-found: $name ($patch has no Sanitize: or Expect: line)"
    failed=1
    continue
  fi

  # The unpatched build of these sanitizers must pass the input.
  base=$out/unpatched-${san//,/-}
  if [[ -z ${base_built[$san]:-} ]]; then
    mkdir -p "$base"
    cp -r src include fuzz "$base"/
    if build "$base" "$san"; then
      base_built[$san]=ok
    else
      base_built[$san]=failed
      tail -n 20 "$base/build.log"
    fi
  fi
  if [[ ${base_built[$san]} != ok ]]; then
    echo "NOT re-found: $name (the unpatched $san build failed)"
    failed=1
    continue
  fi
  if ! run "$base/replay" "$input" "$san" "$out/$name.unpatched.log"; then
    echo "NOT re-found: $name (fails without the patch too: $(reason "$out/$name.unpatched.log"))"
    failed=1
    continue
  fi

  dir=$out/$name
  mkdir -p "$dir"
  cp -r src include fuzz "$dir"/
  if ! patch -d "$dir" -p1 -s -f --fuzz=0 --no-backup-if-mismatch \
    <"$patch" >"$dir/patch.log" 2>&1; then
    echo "NOT re-found: $name ($patch no longer applies)"
    cat "$dir/patch.log"
    failed=1
    continue
  fi
  if ! build "$dir" "$san"; then
    echo "NOT re-found: $name (the patched $san build failed)"
    tail -n 20 "$dir/build.log"
    failed=1
    continue
  fi
  log=$out/$name.log
  if run "$dir/replay" "$input" "$san" "$log"; then
    echo "NOT re-found: $name (passes with the fix reverted, $san)"
    failed=1
  elif ! grep -a -q -E -e "$expect" "$log"; then
    echo "NOT re-found: $name (fails otherwise than expected: $(reason "$log"))"
    failed=1
  else
    echo "re-found: $name ($san: $(reason "$log"))"
  fi
done

# A patch whose input is gone is a mistake too.
for patch in fuzz/regress/*.patch; do
  [[ -f $patch ]] || continue
  name=$(basename "$patch" .patch)
  if [[ ! -f fuzz/corpus/$name ]]; then
    echo "NOT re-found: $name ($patch has no input fuzz/corpus/$name)"
    failed=1
  fi
done

if ((inputs == 0)); then
  echo "refind: no fuzz/corpus/regress-* inputs"
  exit 1
fi
if ((failed)); then
  echo "refind: some regression inputs no longer find their bugs"
  exit 1
fi
echo "refind: all $inputs regression inputs re-found their bugs"
