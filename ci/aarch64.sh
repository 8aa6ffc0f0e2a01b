#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 64-bit ARM (aarch64, the boards many imaging devices run on): the suite
# cross-compiled with gcc-aarch64-linux-gnu against multiarch arm64 CMocka and
# run under qemu-aarch64 (Debian's qemu-user) through
# CMAKE_CROSSCOMPILING_EMULATOR, as ci/arm32.sh does for armhf. Checks that
# the library's NEON path is the one compiled (arm_neon.h in the objects'
# dependency files) when lib/ has one.
CI_NAME=aarch64
source "$(dirname "$0")/common.sh"
ci_need make cmake pkg-config gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libc6:arm64 libcmocka-dev:arm64

# What can differ on aarch64 is the NEON code: every test of the pixel loops
# (fast paths, groups, threshold, erosion, the erosion callback) runs, with
# the API, state and thread tests. Left out: the distance, statistical and
# synthetic-data tests, whose scalar double/integer arithmetic is the same on
# every LP64 IEEE target (x86-64 runs them four times; ci/arm32.sh the rank
# arithmetic with 32-bit size_t). Every other test, and every new one, runs.
CI_EMU_EXCLUDE=${CI_EMU_EXCLUDE-'^(test_distance|test_validity|test_quantile|test_synth_volume)$'} \
  ci_emulated_suite aarch64 toolchain-aarch64-linux-gnu.cmake
if grep -rqs --include='*.[ch]' -e '<arm_neon.h>' "$CI_ROOT/lib"; then
  ci_target_includes "$CI_DIR" conseco_static arm_neon.h ||
    ci_die "lib/ has a NEON path, but no object of the aarch64 build includes arm_neon.h"
  ci_log "NEON: the aarch64 build compiles lib/'s NEON path (arm_neon.h included)"
else
  ci_log "NEON: lib/ has no NEON path yet (no <arm_neon.h>): the scalar code ran"
fi
