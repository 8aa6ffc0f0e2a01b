#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static analysis of lib/ and tools/: cppcheck and clang-tidy, every finding
# fails the check.
#  - cppcheck: --enable=warning,style,performance,portability, run on the
#    hosted configuration and on the freestanding one (CONSECO_FREESTANDING=1,
#    CONSECO_NO_THREADS) separately, with the few suppressions listed and
#    justified in ci/cppcheck.supp;
#  - clang-tidy 14: the checks in the top-level .clang-tidy (the comment there
#    says why each family is in or out), on the compile commands of a clang
#    configure, so every file sees its real flags and include paths.
CI_NAME=static-analysis
source "$(dirname "$0")/common.sh"
ci_need make cppcheck clang clang-tidy cmake pkg-config libcmocka-dev libpng-dev zlib1g-dev libnifti2-dev python3

cd "$CI_ROOT" || exit 2
mapfile -t tool_dirs < <(find tools -type d 2>/dev/null | sort)
incs=(-I include -I lib)
for d in "${tool_dirs[@]}"; do incs+=(-I "$d"); done
srcs=(lib)
[ -d tools ] && srcs+=(tools)
fail=0

for cfg in hosted freestanding; do
  defs=()
  # __GNUC__: the compilers we support; lib/conseco_deps.h maps mem* to builtins with it
  defs=(-D__GNUC__=12)
  [ $cfg = freestanding ] && defs+=(-DCONSECO_FREESTANDING=1 -DCONSECO_NO_THREADS=1)
  [ $cfg = hosted ] && defs+=(-D__linux__)
  # freestanding has no tools (they do I/O): lib/ only
  targets=("${srcs[@]}")
  [ $cfg = freestanding ] && targets=(lib)
  ci_log "cppcheck ($cfg): ${targets[*]}"
  if ! cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
       --suppressions-list=ci/cppcheck.supp --error-exitcode=1 --quiet "${incs[@]}" "${defs[@]}" \
       -j "$CI_JOBS" --template='{file}:{line}: {severity} ({id}): {message}' "${targets[@]}"; then
    ci_log "FAIL: cppcheck ($cfg)"
    fail=1
  fi
done

# The compile commands of scripts/test.sh's clang build when it exists (it
# exports them); else a configure of our own. No source is generated at
# build time, so clang-tidy needs no build.
dir=$(ci_reuse_test_build clang)
if [ -z "$dir" ] || [ ! -f "$dir/compile_commands.json" ]; then
  dir=$CI_BUILD/ci-tidy
  ci_configure "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCONSECO_BUILD_BENCH=OFF
fi
mapfile -t files < <(python3 -c '
import json, os, sys
root = sys.argv[1]
seen = set()
for e in json.load(open(sys.argv[2])):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(f, root)
    if (rel.startswith("lib/") or rel.startswith("tools/")) and f not in seen:
        seen.add(f); print(rel)
' "$CI_ROOT" "$dir/compile_commands.json" | sort)
ci_log "clang-tidy: ${#files[@]} files"
if ! printf '%s\n' "${files[@]}" |
     xargs -P "$CI_JOBS" -n 1 clang-tidy -p "$dir" --quiet > "$dir.tidy.log" 2>&1; then
  grep -E '(warning|error):' "$dir.tidy.log" | grep -v 'warnings generated' >&2 || cat "$dir.tidy.log" >&2
  ci_log "FAIL: clang-tidy"
  fail=1
fi
[ $fail -eq 0 ] || ci_die "static analysis findings above"
ci_log "OK: cppcheck (hosted + freestanding) and clang-tidy clean on ${srcs[*]}"
