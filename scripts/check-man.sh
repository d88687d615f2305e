#!/bin/sh
# Fails when the committed manual (docs/man) differs from what
# scripts/gen-man.sh makes of include/mpool.h and the adapters in
# adapters/mpool/, so that the headers and the manual cannot drift apart;
# also has groff check the pages when it is installed.  Fix a difference
# with:  sh scripts/gen-man.sh docs/man
#
#   check-man.sh [SCRATCH_DIR]
#
# SPDX-License-Identifier: BSD-2-Clause
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ge 1 ]; then
  scratch=$1
else
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
fi
sh "$root/scripts/gen-man.sh" "$scratch"
if ! diff -ru "$root/docs/man" "$scratch"; then
  echo "docs/man is out of date with include/mpool.h or adapters/mpool/;" \
    "regenerate it with: sh scripts/gen-man.sh docs/man" >&2
  exit 1
fi
if command -v groff >/dev/null 2>&1; then
  for page in "$scratch"/*.3; do
    msgs=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    if [ -n "$msgs" ]; then
      echo "$page: $msgs" >&2
      exit 1
    fi
  done
fi
echo "docs/man: up to date ($(ls "$scratch" | wc -l | tr -d ' ') pages)"
