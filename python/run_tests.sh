#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the Python package's tests against a built libconseco.
# scripts/test.sh calls it with CONSECO_BUILD_DIR (the CMake build dir) and
# CONSECO_LIBRARY (its libconseco.so). Without them, build/test-gcc is tried.
# Builds the cffi extension in the tree (python/conseco/_conseco_cffi*.so),
# then runs pytest (unit, property and leak tests, and the Dask example on a
# 2-worker LocalCluster). Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
if [ -z "${CONSECO_LIBRARY:-}" ]; then
  bdir=${CONSECO_BUILD_DIR:-$root/build/test-gcc}
  CONSECO_LIBRARY=$(find "$bdir" -maxdepth 1 -name 'libconseco.so' -print -quit)
fi
if [ -z "${CONSECO_LIBRARY:-}" ] || [ ! -f "$CONSECO_LIBRARY" ]; then
  echo "run_tests.sh: libconseco.so not found (set CONSECO_LIBRARY or CONSECO_BUILD_DIR)" >&2
  exit 2
fi
export CONSECO_LIBRARY
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "python: building the cffi extension against $root/include"
CONSECO_INCLUDE_DIR=$root/include "$PY" "$here/conseco/_build_cffi.py" "$tmp/cffi" >/dev/null
export PYTHONPATH=$here${PYTHONPATH:+:$PYTHONPATH}
export PYTHONDONTWRITEBYTECODE=1
cd "$root"
"$PY" -m pytest -q -p no:cacheprovider "$here/tests" "$@"
