#!/usr/bin/env sh
# Fails if any C or C++ source or header of the project is not as clang-format
# (.clang-format, Debian 12's clang-format 14) would write it.  With --fix,
# rewrites them instead.  Third-party sources are not ours to format.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | grep -v '^third_party/' || true)
if [ "${1:-}" = "--fix" ]; then
  # shellcheck disable=SC2086
  clang-format -i $files
  exit 0
fi
bad=""
for f in $files; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
done
if [ -n "$bad" ]; then
  echo "not clang-format clean (fix: sh scripts/check-format.sh --fix):$bad"
  exit 1
fi
echo "format: $(echo "$files" | wc -l) files clang-format clean"
