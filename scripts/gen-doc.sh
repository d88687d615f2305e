#!/bin/sh
# Builds the HTML API reference from include/mpool.h, include/mpool.hpp and
# adapters/mpool/*.h with Doxygen (docs/Doxyfile), and fails on any Doxygen
# warning: an undocumented function, type, field, macro or enum value, a
# parameter that is not in the declaration, a broken reference.
#
#   gen-doc.sh [OUTDIR]   write OUTDIR/html (default: build-doc); open
#                         OUTDIR/html/index.html
#
# SPDX-License-Identifier: BSD-2-Clause
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build-doc}
command -v doxygen >/dev/null 2>&1 || {
  echo "$0: doxygen not found (scripts/setup.sh installs it)" >&2
  exit 2
}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/html" "$out/warnings.log"

MPOOL_VERSION=$(awk '
  $1 == "#define" && $2 ~ /^MPOOL_VERSION_(MAJOR|MINOR|PATCH)$/ { v[$2] = $3 }
  END { print v["MPOOL_VERSION_MAJOR"] "." v["MPOOL_VERSION_MINOR"] "." \
              v["MPOOL_VERSION_PATCH"] }' "$root/include/mpool.h")
MPOOL_DOC_OUT=$out
export MPOOL_VERSION MPOOL_DOC_OUT

# Doxygen exits non-zero on warnings (WARN_AS_ERROR = FAIL_ON_WARNINGS) and
# writes them to warnings.log; anything there fails too.
rc=0
(cd "$root" && doxygen docs/Doxyfile) || rc=$?
if [ -s "$out/warnings.log" ]; then
  cat "$out/warnings.log" >&2
  rc=1
fi
if [ $rc -ne 0 ]; then
  echo "$0: doxygen reported problems in the API documentation" >&2
  exit 1
fi
echo "API reference: $out/html/index.html" \
  "(doxygen $(doxygen --version), no warnings)"
