#!/usr/bin/env bash
# Builds and runs every test: a warning-free Release build with gcc, the
# suite against the shared library, clang with ASan+UBSan, clang with TSan,
# and Valgrind memcheck; then checks the shared library's exported symbols.
# Build trees go to build-test/<config>.  Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
out=build-test
failed=()

config() { # name, CC, cmake args...
  local name=$1 cc=$2
  shift 2
  echo "=== $name"
  if CC=$cc cmake -S . -B "$out/$name" -DMPOOL_WERROR=ON "$@" >"$out/$name.log" 2>&1 &&
    cmake --build "$out/$name" -j"$jobs" >>"$out/$name.log" 2>&1; then
    ctest --test-dir "$out/$name" --output-on-failure -j"$jobs" || failed+=("$name")
  else
    cat "$out/$name.log"
    failed+=("$name (build)")
  fi
}

mkdir -p "$out"
config gcc-release gcc -DCMAKE_BUILD_TYPE=Release
config gcc-shared gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPOOL_TEST_SHARED=ON
config clang-asan-ubsan clang -DCMAKE_BUILD_TYPE=Debug -DMPOOL_SANITIZE=address,undefined
config clang-tsan clang -DCMAKE_BUILD_TYPE=Debug -DMPOOL_SANITIZE=thread
config valgrind gcc -DCMAKE_BUILD_TYPE=Debug -DMPOOL_TEST_VALGRIND=ON -DMPOOL_TEST_SHARED=ON

echo "=== exported symbols"
lib=$(ls "$out"/gcc-release/libmpool.so.*.*.* | head -n 1)
if diff -u scripts/exported-symbols.txt \
  <(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort); then
  echo "exported symbols: ok"
else
  failed+=("exported symbols")
fi

if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test configurations passed"
