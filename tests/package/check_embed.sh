#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ctest embed_add_subdirectory: tests/package/embed (a C++ application) embeds
# this source tree with add_subdirectory() in a fresh binary directory where
# CMocka cannot be found, links conseco::conseco and runs. Checks:
#   - control: the same configure with CONSECO_BUILD_TESTS=ON fails on CMocka
#     (so CMocka really is invisible to CMake here);
#   - the consumer's CMakeCache.txt has no CMOCKA entry;
#   - only the library is built: no test, tool, example, bench or synth target;
#   - every compile command carries the consumer's -Wall and none -Werror;
#   - the shared library's SONAME is libconseco.so.0.MINOR for 0.x (MAJOR after);
#   - the consumer runs and prints the rank.
# usage: check_embed.sh SOURCE_DIR WORK_DIR C_COMPILER [CXX_COMPILER]
set -euo pipefail
src=$1 work=$2 cc=$3 cxx=${4:-}
fail() { echo "embed: FAIL: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/no-pkgconfig"
# CMocka is found only through pkg-config (tests/CMakeLists.txt): an empty
# pkg-config search path hides it, and anything else a .pc file would offer.
export PKG_CONFIG_LIBDIR=$work/no-pkgconfig PKG_CONFIG_PATH=
if command -v pkg-config > /dev/null && pkg-config --exists cmocka; then
  fail "pkg-config still finds cmocka with PKG_CONFIG_LIBDIR=$PKG_CONFIG_LIBDIR"
fi
args=(-S "$src/tests/package/embed" -DCONSECO_SOURCE_DIR="$src" -DCMAKE_C_COMPILER="$cc"
      -DCMAKE_BUILD_TYPE=Release)
[ -n "$cxx" ] && args+=(-DCMAKE_CXX_COMPILER="$cxx")

# Control: asking for the tests in this environment must fail, on CMocka.
if cmake "${args[@]}" -B "$work/control" -DCONSECO_BUILD_TESTS=ON > "$work/control.log" 2>&1; then
  fail "configure with CONSECO_BUILD_TESTS=ON succeeded: CMocka is not hidden"
fi
grep -qi cmocka "$work/control.log" || { cat "$work/control.log"; fail "control failed, but not on CMocka"; }
echo "embed: control: CONSECO_BUILD_TESTS=ON fails here on CMocka, as it must"

b=$work/build
cmake "${args[@]}" -B "$b" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > "$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure of the consumer"; }
! grep -q CMOCKA "$b/CMakeCache.txt" || { grep CMOCKA "$b/CMakeCache.txt"; fail "CMakeCache.txt has CMOCKA entries"; }

targets=$(cmake --build "$b" --target help | sed -n 's/^\.\.\. \([A-Za-z0-9_:.-]*\).*/\1/p')
bad=$(grep -E '^(test_|fuzz_|cli_|example_|conseco_tool$|conseco_bench$|conseco_synth$|conseco_testsupport$|conseco_cli_core$)' <<< "$targets" || true)
[ -z "$bad" ] || fail "targets beyond the library: $(echo $bad)"
grep -qx conseco <<< "$targets" || fail "no conseco target"

cmake --build "$b" -j "${CTEST_PARALLEL_LEVEL:-2}" > "$work/build.log" 2>&1 ||
  { tail -n 60 "$work/build.log"; fail "build of the consumer"; }

python3 - "$b/compile_commands.json" <<'PY' || fail "compile flags (above)"
import json, sys
cmds = json.load(open(sys.argv[1]))
bad = [c["file"] for c in cmds if "-Werror" in c["command"].split()]
nowall = [c["file"] for c in cmds if "-Wall" not in c["command"].split()]
if bad: print("embed: -Werror on:", *bad); sys.exit(1)
if nowall: print("embed: no -Wall on:", *nowall); sys.exit(1)
if not any(c["file"].endswith("main.cpp") for c in cmds): print("embed: main.cpp not compiled"); sys.exit(1)
print("embed: %d compile commands, all with -Wall, none with -Werror" % len(cmds))
PY

so=$(find "$b" -name 'libconseco.so' -print -quit)
[ -n "$so" ] || fail "libconseco.so not built"
ver=$(sed -n 's/^#define CONSECO_VERSION_\(MAJOR\|MINOR\) \([0-9]*\)$/\2/p' "$src/include/conseco.h" | tr '\n' ' ')
read -r major minor <<< "$ver"
if [ "$major" = 0 ]; then want=libconseco.so.0.$minor; else want=libconseco.so.$major; fi
soname=$(objdump -p "$so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = "$want" ] || fail "SONAME $soname, expected $want"
for exe in "$b"/conseco/tests "$b"/conseco/tools "$b"/conseco/bench "$b"/conseco/examples; do
  [ ! -e "$exe" ] || fail "$exe exists: a subproject was configured"
done

out=$("$b/embed_consumer") || fail "embed_consumer exited non-zero: $out"
echo "$out"
echo "embed: OK: library only, SONAME $soname, consumer links and runs"
