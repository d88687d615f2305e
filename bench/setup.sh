#!/bin/sh
# Installs what the mpool benchmark needs (Debian/Ubuntu): the compiler and
# build tools, the peer allocators, valgrind (instruction counts), gnuplot
# (chart), Lua 5.4's development files (bench/lua, the real client) and
# those of the adapters' libraries (bench/clients: cJSON, Jansson, Expat,
# SQLite, zlib).
# Idempotent: when everything is installed it only checks with dpkg-query
# and exits, without touching apt.
#
#   sudo bench/setup.sh        (or as root)
set -eu

pkgs="build-essential cmake pkg-config valgrind gnuplot-nox
      libapr1-dev libtalloc-dev libmimalloc-dev libjemalloc-dev
      libgoogle-perftools-dev
      liblua5.4-dev
      libcjson-dev libjansson-dev libexpat1-dev libsqlite3-dev zlib1g-dev"

missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "bench/setup.sh: all packages are installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "bench/setup.sh: need root to install:$missing" >&2
  exit 1
fi

echo "bench/setup.sh: installing:$missing"
$sudo apt-get update
# shellcheck disable=SC2086 # word splitting of the package list is intended
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
