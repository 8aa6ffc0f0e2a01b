#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 32-bit: the unit tests cross-compiled for arm-linux-gnueabihf (size_t and
# pointers are 32 bits, so every size computation's overflow check is live)
# and run under qemu-arm user emulation through CMAKE_CROSSCOMPILING_EMULATOR.
CI_NAME=arm32
source "$(dirname "$0")/common.sh"
ci_need make cmake pkg-config gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user libc6:armhf libcmocka-dev:armhf

echo 'typedef char size_t_is_32_bits[sizeof(__SIZE_TYPE__) == 4 ? 1 : -1];' |
  arm-linux-gnueabihf-gcc -x c -c -o /dev/null - || ci_die "size_t is not 32-bit on arm-linux-gnueabihf?"

# What can differ on 32-bit ARM is word size (size_t, pointers: overflow
# checks, rank arithmetic, state sizes, views) and the threads; armhf has no
# SIMD path (no NEON by default), so its pixel loops are the plain C code that
# ci/nosimd.sh runs whole on x86-64. Left out here, as they test nothing that
# depends on the word size and take most of the emulated time: the long
# randomised comparisons of the SIMD/fast paths and erosion against their
# references, and the statistical and synthetic-data tests (double
# arithmetic, IEEE everywhere). Every other test, and every new one, runs.
CI_EMU_EXCLUDE=${CI_EMU_EXCLUDE-'^(test_erosion_apply_cb|test_erosion|test_fast_paths|test_fast_groups|test_distance|test_validity|test_synth_volume)$'} \
  ci_emulated_suite arm32 toolchain-arm-linux-gnueabihf.cmake
