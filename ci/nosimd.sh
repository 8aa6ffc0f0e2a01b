#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CONSECO_NO_SIMD on x86-64: the plain C code in place of every SSE2/NEON
# path, whole suite (gcc), so both sides of each platform switch are tested
# on every push. Checks that no library object includes an intrinsics header.
CI_NAME=nosimd
source "$(dirname "$0")/common.sh"
ci_need make gcc cmake pkg-config libcmocka-dev libpng-dev zlib1g-dev libnifti2-dev python3

dir=$CI_BUILD/ci-nosimd
ci_configure "$dir" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCONSECO_NO_SIMD=ON -DCONSECO_BUILD_BENCH=OFF
ci_build "$dir"
for h in emmintrin.h immintrin.h arm_neon.h; do
  ! ci_target_includes "$dir" conseco_static "$h" ||
    ci_die "CONSECO_NO_SIMD build: a library object still includes $h"
done
# Packaging tests configure separate consumer projects: nothing SIMD-specific.
skip='^(install_consumer|embed_add_subdirectory)$'
# Half of the random cases (tu_cases): the plain C paths are the same algorithms as the vector
# ones, compared with the literal references; the full search runs in the gcc and clang suites.
(cd "$dir" && CONSECO_TEST_SCALE=${CONSECO_TEST_SCALE:-2} ctest --output-on-failure -j "$CI_JOBS" -E "$skip") ||
  ci_die "ctest with CONSECO_NO_SIMD"
ci_log "OK: $(cd "$dir" && ctest -N -E "$skip" | tail -n 1 | sed 's/^ *//') passed with CONSECO_NO_SIMD (no intrinsics header in lib objects)"
