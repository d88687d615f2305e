#!/usr/bin/env bash
# Installs what building, testing and benchmarking mpool need on Debian 12.
# Idempotent: installs only what is missing.  Run as root (or with sudo).
set -euo pipefail

pkgs=(build-essential cmake pkg-config python3 clang libclang-rt-dev valgrind libcmocka-dev liblua5.4-dev
  libcjson-dev libexpat1-dev libsqlite3-dev zlib1g-dev libjansson-dev # libcjson-dev and on, with liblua5.4-dev: tests/adapters
  doxygen      # scripts/gen-doc.sh: the HTML reference
  clang-format) # scripts/check-format.sh
if [[ "${1:-}" == "--bench" ]]; then
  sh "$(dirname "$0")/../bench/setup.sh" # the peer allocators and gnuplot
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
