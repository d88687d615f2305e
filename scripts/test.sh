#!/usr/bin/env bash
# Checks that every C source is clang-format clean (scripts/check-format.sh),
# then builds and runs every test: a warning-free Release build with gcc, the
# suite against the shared library built source by source (MPOOL_UNITY=OFF,
# and MPOOL_HUGE_PAGES=ON, the non-default),
# clang with ASan+UBSan, clang with TSan,
# Valgrind memcheck (plain, and with the library's mempool client requests),
# a hardened build (plain, and with clang ASan+UBSan), a debug build with ASan+UBSan and one without a memory
# tool, where quarantined pages are protected (each replays the fuzz
# corpus); fuzzes for two
# minutes (fuzz/run.sh, with and without ASan); proves that every
# regression input of the corpus finds its bug again with its fix reverted
# (scripts/refind-regressions.sh); then checks that no new loop
# of source files calling each other appeared (scripts/check-layers.py, on
# the source-by-source release and debug builds), the shared library's exported symbols,
# builds the HTML API reference with Doxygen, which must report no warning
# (scripts/gen-doc.sh), builds programs against an installed copy (scripts/consumer-test.sh) and
# runs the benchmark briefly (scripts/run.sh --quick; figures not judged).
# Build trees go to build-test/<config>.  Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

jobs=$(nproc 2>/dev/null || echo 2)
out=build-test
failed=()

config() { # name, CC, cmake args...
  local name=$1 cc=$2 cxx
  shift 2
  # The C++ compiler of the same family: the sanitizer runtimes must match.
  case $cc in
  clang*) cxx=clang++${cc#clang} ;;
  gcc*) cxx=g++${cc#gcc} ;;
  *) cxx=c++ ;;
  esac
  echo "=== $name"
  if CC=$cc CXX=$cxx cmake -S . -B "$out/$name" -DMPOOL_WERROR=ON "$@" >"$out/$name.log" 2>&1 &&
    cmake --build "$out/$name" -j"$jobs" >>"$out/$name.log" 2>&1; then
    ctest --test-dir "$out/$name" --output-on-failure -j"$jobs" || failed+=("$name")
  else
    cat "$out/$name.log"
    failed+=("$name (build)")
  fi
}

mkdir -p "$out"
echo "=== format (scripts/check-format.sh)"
sh scripts/check-format.sh || failed+=("format")

config gcc-release gcc -DCMAKE_BUILD_TYPE=Release
config gcc-shared gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPOOL_TEST_SHARED=ON -DMPOOL_UNITY=OFF \
  -DMPOOL_HUGE_PAGES=ON
config clang-asan-ubsan clang -DCMAKE_BUILD_TYPE=Debug -DMPOOL_SANITIZE=address,undefined
config clang-tsan clang -DCMAKE_BUILD_TYPE=Debug -DMPOOL_SANITIZE=thread
config valgrind gcc -DCMAKE_BUILD_TYPE=Debug -DMPOOL_TEST_VALGRIND=ON -DMPOOL_TEST_SHARED=ON
config valgrind-mempool gcc -DCMAKE_BUILD_TYPE=Debug -DMPOOL_VALGRIND=ON -DMPOOL_TEST_VALGRIND=ON
config hardened gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMPOOL_HARDENED=ON
config clang-hardened-asan-ubsan clang -DCMAKE_BUILD_TYPE=Debug -DMPOOL_HARDENED=ON \
  -DMPOOL_SANITIZE=address,undefined
config debug clang -DCMAKE_BUILD_TYPE=Debug -DMPOOL_DEBUG=ON -DMPOOL_SANITIZE=address,undefined
config debug-plain gcc -DCMAKE_BUILD_TYPE=Debug -DMPOOL_DEBUG=ON -DMPOOL_UNITY=OFF

# Coverage-guided fuzzing of the whole API for two minutes (the corpus in
# fuzz/corpus is also replayed by CTest in every configuration above):
# 80 s under ASan+UBSan, then 40 s under UBSan alone, where the library
# keeps the fast paths that ASan's red zones turn off.
for pass in "address,undefined 80" "undefined 40"; do
  set -- $pass
  echo "=== fuzzing (FUZZ_SANITIZE=$1 fuzz/run.sh $2)"
  if FUZZ_SANITIZE=$1 bash fuzz/run.sh "$2" >"$out/fuzz.log" 2>&1; then
    grep -a '^stat::' "$out/fuzz.log" || true
    echo "fuzzing ($1): ok"
  else
    tail -n 60 "$out/fuzz.log"
    failed+=("fuzzing ($1)")
  fi
done

# Every fuzz/corpus/regress-* input must find its bug again in a copy of
# the source with that bug's fix reverted (fuzz/regress/*.patch), and pass
# without: about 30 s, two compilers at a time.
echo "=== regression inputs (scripts/refind-regressions.sh)"
if bash scripts/refind-regressions.sh >"$out/refind.log" 2>&1; then
  grep -a '^re-found' "$out/refind.log" || true
  echo "regression inputs: ok"
else
  cat "$out/refind.log"
  failed+=("regression inputs")
fi

echo "=== layers (scripts/check-layers.py: no new loop of files calling each other)"
python3 scripts/check-layers.py "$out/gcc-shared" || failed+=("layers")
python3 scripts/check-layers.py "$out/debug-plain" || failed+=("layers (debug)")

echo "=== exported symbols"
lib=$(ls "$out"/gcc-release/libmpool.so.*.*.* | head -n 1)
if diff -u scripts/exported-symbols.txt \
  <(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort); then
  echo "exported symbols: ok"
else
  failed+=("exported symbols")
fi

# Every public function, type, field, macro and enum value of the headers
# is documented, and the comments are valid Doxygen.
echo "=== API reference (scripts/gen-doc.sh)"
if sh scripts/gen-doc.sh "$out/doc" >"$out/doc.log" 2>&1; then
  tail -n 1 "$out/doc.log"
else
  cat "$out/doc.log"
  failed+=("API reference")
fi

echo "=== consumers (install, find_package, pkg-config, subproject)"
MPOOL_SETUP_DONE=1 bash scripts/consumer-test.sh || failed+=("consumers")

# The benchmark must build against every peer and run: the README's first
# command in its short form (a Lua trace recorded, every cell of the matrix
# with small counts, the Lua programs), whose figures are not judged (speed
# lives in scripts/run.sh's full run, not in tests).
echo "=== benchmark smoke run"
if MPOOL_BENCH_BUILD_DIR="$PWD/$out/bench" bash scripts/run.sh --quick \
    >"$out/bench-quick.log" 2>&1; then
  echo "benchmark smoke run: ok"
else
  tail -n 40 "$out/bench-quick.log"
  failed+=("benchmark smoke run")
fi

if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test configurations passed"
