#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: installs what is missing, builds libconseco with gcc and
# with clang (warnings are errors in both), and runs the whole CMocka/ctest
# suite with each; then, when python/run_tests.sh exists, the Python
# package's tests (against the gcc build). Exits non-zero on the first failure.
# TEST_TIMES=FILE appends "name seconds" per step (.ci/run's time table).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
step_start=$(date +%s)
step_done() { # name
  local now; now=$(date +%s)
  [ -z "${TEST_TIMES:-}" ] || echo "$1 $(( now - step_start ))" >> "$TEST_TIMES"
  step_start=$now
}

mkdir -p build
for cc in gcc clang; do
  dir=build/test-$cc
  echo "== $cc: configure and build ($dir)"
  # compile_commands.json: ci/static-analysis.sh runs clang-tidy on them
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER=$cc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCONSECO_WERROR=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > "$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs"
  echo "== $cc: ctest"
  # The packaging checks (install tree, add_subdirectory embedding) configure and build
  # consumer projects with the host compiler: once, in the gcc build, is enough.
  skip='^$'
  [ $cc = gcc ] || skip='^(install_consumer|embed_add_subdirectory)$'
  (cd "$dir" && ctest --output-on-failure -j "$jobs" -E "$skip")
  step_done "test-$cc"
done

# The Python package (python/), when there is one: its own runner, pointed at
# the library just built and tested.
if [ -f python/run_tests.sh ]; then
  echo "== python: python/run_tests.sh"
  lib=$(find "$root/build/test-gcc" -maxdepth 1 -name 'libconseco.so' -print -quit)
  CONSECO_BUILD_DIR=$root/build/test-gcc CONSECO_LIBRARY=$lib bash python/run_tests.sh
  step_done python
fi
