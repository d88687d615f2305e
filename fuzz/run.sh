#!/usr/bin/env bash
# Builds the libFuzzer target fuzz/fuzz_ops.c with clang (ASan + UBSan) in
# build-test/fuzz and runs it for the given number of seconds (default 120),
# starting from the committed corpus in fuzz/corpus/.  New inputs go to
# build-test/fuzz/corpus (the committed corpus is not modified); a crash
# leaves its input in build-test/fuzz/ and makes the script fail.
# Extra arguments after the seconds are passed to the fuzzer (e.g. -jobs=1).
# FUZZ_SANITIZE picks the sanitizers (default address,undefined); with
# undefined alone the library keeps the paths that AddressSanitizer's red
# zones turn off (the inline window, the hot cache of freed chunks), and
# the fuzzer's model checks are what finds a fault there.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
shift || true
cc=${FUZZ_CC:-clang}
san=${FUZZ_SANITIZE:-address,undefined}
out=build-test/fuzz
mkdir -p "$out/corpus"
"$cc" -std=c11 -O1 -g -Wall -Wextra -Wpedantic -Werror \
  -fsanitize=fuzzer,"$san" -fno-sanitize-recover=all \
  -fno-omit-frame-pointer -Iinclude -Isrc \
  src/mpool_unity.c fuzz/fuzz_ops.c -o "$out/fuzz_ops" -lpthread
echo "fuzz: running $out/fuzz_ops ($san) for ${secs}s"
"$out/fuzz_ops" -max_len=4096 -timeout=10 -rss_limit_mb=4096 \
  -max_total_time="$secs" -print_final_stats=1 \
  -artifact_prefix="$out/" "$@" "$out/corpus" fuzz/corpus
