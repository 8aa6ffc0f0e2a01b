#!/usr/bin/env bash
# The test command: installs what is missing, builds libconseco with gcc and
# with clang (warnings are errors in both), and runs the whole CMocka/ctest
# suite with each. Exits non-zero on the first failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

mkdir -p build
for cc in gcc clang; do
  dir=build/test-$cc
  echo "== $cc: configure and build ($dir)"
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER=$cc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCONSECO_WERROR=ON > "$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs"
  echo "== $cc: ctest"
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
done
