#!/usr/bin/env bash
# Checks mpool the way its users consume it: installs a Release build into a
# staging prefix, checks the installed layout, then builds and runs each
# project in tests/consumer against it -- cmake/ (find_package), pkgconfig/
# (pkg-config, shared, rpath and static) -- and subproject/ with
# add_subdirectory and with FetchContent.  Work goes to build-test/consumer.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n "${MPOOL_SETUP_DONE:-}" ]] || bash scripts/setup.sh

src=$PWD
out=$src/build-test/consumer
stage=$out/stage
jobs=$(nproc 2>/dev/null || echo 2)
failed=()

# step NAME COMMAND...: runs COMMAND in a subshell that stops at the first
# failing command, with its output in $out/NAME.log.
step() {
  local name=$1 rc
  shift
  set +e
  (
    set -e
    "$@"
  ) >"$out/$name.log" 2>&1
  rc=$?
  set -e
  if ((rc == 0)); then
    echo "consumer $name: ok"
  else
    echo "consumer $name: FAILED"
    cat "$out/$name.log"
    failed+=("$name")
  fi
}

version() { # the version from include/mpool.h
  awk '$1 == "#define" && $2 ~ /^MPOOL_VERSION_(MAJOR|MINOR|PATCH)$/ {
         v[$2] = $3 }
       END { print v["MPOOL_VERSION_MAJOR"] "." v["MPOOL_VERSION_MINOR"] "." \
                   v["MPOOL_VERSION_PATCH"] }' include/mpool.h
}
ver=$(version)
major=${ver%%.*}

install_lib() {
  rm -rf "$stage"
  cmake -S . -B "$out/lib" -DCMAKE_BUILD_TYPE=Release -DMPOOL_WERROR=ON \
    -DMPOOL_BUILD_TESTS=OFF -DMPOOL_BUILD_EXAMPLES=OFF
  cmake --build "$out/lib" -j"$jobs"
  cmake --install "$out/lib" --prefix "$stage"
}

fail() {
  echo "$*" >&2
  return 1
}

check_layout() {
  local f
  for f in include/mpool.h include/mpool.hpp; do
    [[ -f $stage/$f ]] || fail "missing $f"
  done
  for f in libmpool.a "libmpool.so.$ver" pkgconfig/mpool.pc \
    cmake/mpool/mpoolConfig.cmake cmake/mpool/mpoolConfigVersion.cmake \
    cmake/mpool/mpoolTargets.cmake; do
    [[ -f $libdir/$f ]] || fail "missing ${libdir#"$stage"/}/$f"
  done
  [[ $(readlink "$libdir/libmpool.so") == "libmpool.so.$major" ]] ||
    fail "libmpool.so does not link to libmpool.so.$major"
  [[ $(readlink "$libdir/libmpool.so.$major") == "libmpool.so.$ver" ]] ||
    fail "libmpool.so.$major does not link to libmpool.so.$ver"
  readelf -d "$libdir/libmpool.so.$ver" |
    grep -q "SONAME.*\[libmpool\.so\.$major\]" || fail "SONAME is not libmpool.so.$major"
  # Every exported function has a manual page.
  while read -r f; do
    [[ -f $stage/share/man/man3/$f.3 ]] || fail "missing share/man/man3/$f.3"
  done <scripts/exported-symbols.txt
  # So does every page of docs/man: mpool(3), the adapters' overviews and
  # their functions.
  for f in docs/man/*.3; do
    [[ -f $stage/share/man/man3/${f##*/} ]] || fail "missing share/man/man3/${f##*/}"
  done
  echo "layout ok: $libdir"
}

# needs PROGRAM yes|no: whether PROGRAM loads libmpool.so at run time.
needs() {
  if readelf -d "$1" | grep -q 'NEEDED.*libmpool\.so'; then
    [[ $2 == yes ]] || fail "$1 needs libmpool.so"
  else
    [[ $2 == no ]] || fail "$1 does not need libmpool.so"
  fi
}

consumer_cmake() {
  local b=$out/cmake
  rm -rf "$b"
  cmake -S tests/consumer/cmake -B "$b" -DCMAKE_PREFIX_PATH="$stage" \
    -DCMAKE_BUILD_TYPE=Release
  cmake --build "$b" -j"$jobs"
  "$b/app_shared"
  "$b/app_static"
  "$b/app_cpp"
  needs "$b/app_shared" yes
  needs "$b/app_static" no
  # The version file rejects an incompatible request.
  local next="$major.$(($(echo "$ver" | cut -d. -f2) + 1))"
  if cmake -S tests/consumer/cmake -B "$out/cmake-version" \
    -DCMAKE_PREFIX_PATH="$stage" -DMPOOL_CONSUMER_REQUIRE="$next"; then
    fail "find_package(mpool $next) accepted mpool $ver"
  fi
  echo "find_package(mpool $next) rejected, as it should be"
}

consumer_pkgconfig() {
  local b=$out/pkgconfig
  rm -rf "$b"
  mkdir -p "$b"
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  [[ $(pkg-config --modversion mpool) == "$ver" ]] || fail "mpool.pc: wrong version"
  [[ $(cd "$(pkg-config --variable=prefix mpool)" && pwd -P) == \
    "$(cd "$stage" && pwd -P)" ]] || fail "mpool.pc: prefix is not the stage"
  make -C "$b" -f "$src/tests/consumer/pkgconfig/Makefile" \
    SRCDIR="$src/tests/consumer/pkgconfig" check
  needs "$b/app-shared" yes
  needs "$b/app-rpath" yes
  needs "$b/app-static" no
}

# The header in every language mode a consumer may use: C89 with GNU
# extensions, C99, C11, C2x, C++11 and C++17, with gcc and clang, warnings
# as errors; each program links the installed static library and runs.
consumer_modes() {
  local b=$out/modes cc std x
  mkdir -p "$b"
  for cc in gcc clang g++ clang++; do
    command -v "$cc" >/dev/null || continue
    case $cc in
    *++) set -- c++11 c++17; x=(-x c++) ;;
    *) set -- gnu89 c99 c11 c2x; x=() ;;
    esac
    for std in "$@"; do
      "$cc" "${x[@]}" -std="$std" -Wall -Wextra -Wpedantic -Werror \
        -I"$stage/include" -c tests/consumer/modes/app.c -o "$b/$cc-$std.o"
      "$cc" -o "$b/$cc-$std" "$b/$cc-$std.o" "$libdir/libmpool.a" -lpthread
      "$b/$cc-$std" >/dev/null
      echo "header mode ok: $cc -std=$std"
    done
  done
}

consumer_subproject() { # mode
  local b=$out/subproject-$1
  rm -rf "$b"
  local where=-DMPOOL_SOURCE_DIR="$src"
  [[ $1 != FetchContent ]] || where=-DFETCHCONTENT_SOURCE_DIR_MPOOL="$src"
  cmake -S tests/consumer/subproject -B "$b" -DMPOOL_CONSUMER_MODE="$1" "$where"
  cmake --build "$b" -j"$jobs"
  "$b/app_shared"
  "$b/app_static"
  needs "$b/app_shared" yes
  needs "$b/app_static" no
}

mkdir -p "$out"
step install install_lib
if ((${#failed[@]} == 0)); then
  # The library directory: lib, or lib/<multiarch> for a /usr prefix.
  libdir=$(dirname "$(dirname "$(find "$stage" -name mpool.pc | head -n 1)")")
  step layout check_layout
  step cmake consumer_cmake
  step pkgconfig consumer_pkgconfig
  step modes consumer_modes
fi
step add_subdirectory consumer_subproject add_subdirectory
step fetchcontent consumer_subproject FetchContent

if ((${#failed[@]})); then
  echo "consumer tests FAILED: ${failed[*]}"
  exit 1
fi
echo "consumer tests passed"
