#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on a built-in default: installs what is missing, builds, and
# runs `conseco demo` (a deterministic synthetic polyp-like data set:
# calibration, the paper's Table 1 protocol, and overlay pictures in ./demo-out).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh
dir=build/release
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCONSECO_BUILD_TESTS=OFF > /dev/null
cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" --target conseco_tool > /dev/null
"$dir/tools/conseco/conseco" demo --out "${1:-demo-out}"
