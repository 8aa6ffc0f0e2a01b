#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the build tree into a temporary prefix and builds a consumer against
# it four ways: CMake find_package (shared, static) and pkg-config (shared, static).
# usage: check_install.sh BUILD_DIR SOURCE_DIR C_COMPILER
set -euo pipefail
build=$1 src=$2 cc=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" > "$work/install.log"
# SONAME: libconseco.so.0.MINOR for 0.x (not binary compatible with each
# other), libconseco.so.MAJOR from 1.0 on.
major=$(sed -n 's/^#define CONSECO_VERSION_MAJOR \([0-9]*\)$/\1/p' "$src/include/conseco.h")
minor=$(sed -n 's/^#define CONSECO_VERSION_MINOR \([0-9]*\)$/\1/p' "$src/include/conseco.h")
if [ "$major" = 0 ]; then soname=libconseco.so.0.$minor; else soname=libconseco.so.$major; fi
libdir=$(find "$prefix" -name "$soname" -printf '%h\n' | head -n1)
test -n "$libdir" || { echo "$soname not installed"; exit 1; }
test -f "$prefix/include/conseco.h"
test -f "$libdir/libconseco.a"
test -f "$libdir/pkgconfig/conseco.pc"
test -f "$libdir/cmake/conseco/consecoConfig.cmake"
got=$(readelf -d "$libdir/$soname" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
[ "$got" = "$soname" ] || { echo "SONAME is '$got', expected $soname"; exit 1; }

for mode in OFF ON; do
  cmake -S "$src/tests/package/consumer" -B "$work/cm-$mode" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_PREFIX_PATH="$prefix" -DUSE_STATIC=$mode > "$work/cm-$mode.log"
  cmake --build "$work/cm-$mode" > "$work/cm-$mode-build.log"
  LD_LIBRARY_PATH="$libdir" "$work/cm-$mode/consumer"
done
# The static consumer must not need the shared library at run time.
if readelf -d "$work/cm-ON/consumer" | grep -q 'libconseco'; then
  echo "static consumer depends on libconseco.so"; exit 1
fi

# While the major version is 0 a request for another minor version must be refused
# (0.x minors are not binary compatible): ask the installed version file directly.
maj=$(sed -n 's/^#define CONSECO_VERSION_MAJOR \([0-9]*\)$/\1/p' "$src/include/conseco.h")
min=$(sed -n 's/^#define CONSECO_VERSION_MINOR \([0-9]*\)$/\1/p' "$src/include/conseco.h")
if [ "$maj" = 0 ]; then
  for want in "0.$min:TRUE" "0.$((min + 1)):FALSE"; do
    cat > "$work/ver.cmake" <<EOC
set(PACKAGE_FIND_VERSION ${want%%:*})
string(REPLACE "." ";" _v \${PACKAGE_FIND_VERSION})
list(GET _v 0 PACKAGE_FIND_VERSION_MAJOR)
list(GET _v 1 PACKAGE_FIND_VERSION_MINOR)
set(PACKAGE_FIND_VERSION_PATCH 0)
set(PACKAGE_FIND_VERSION_COUNT 2)
include("$libdir/cmake/conseco/consecoConfigVersion.cmake")
message("\${PACKAGE_VERSION_COMPATIBLE}")
EOC
    got=$(cmake -P "$work/ver.cmake" 2>&1)
    [ "$got" = "${want##*:}" ] || { echo "find_package(conseco ${want%%:*}): compatible=$got, expected ${want##*:}"; exit 1; }
  done
fi

export PKG_CONFIG_PATH="$libdir/pkgconfig"
test "$(pkg-config --modversion conseco)" = "$(sed -n 's/^#define CONSECO_VERSION_MAJOR \([0-9]*\)$/\1/p' "$src/include/conseco.h").$(sed -n 's/^#define CONSECO_VERSION_MINOR \([0-9]*\)$/\1/p' "$src/include/conseco.h").$(sed -n 's/^#define CONSECO_VERSION_PATCH \([0-9]*\)$/\1/p' "$src/include/conseco.h")"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/pc-shared" "$src/tests/package/consumer.c" $(pkg-config --cflags --libs conseco)
LD_LIBRARY_PATH="$libdir" "$work/pc-shared"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -static -o "$work/pc-static" "$src/tests/package/consumer.c" $(pkg-config --static --cflags --libs conseco)
"$work/pc-static"
echo "install tree ok: find_package shared+static, pkg-config shared+static"
