#!/usr/bin/env bash
# The main job: builds mpool in Release and runs the demo program.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build-run -DCMAKE_BUILD_TYPE=Release -DMPOOL_BUILD_TESTS=OFF >/dev/null
cmake --build build-run -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
./build-run/examples/demo
