#!/usr/bin/env bash
# 32-bit: the unit tests cross-compiled for arm-linux-gnueabihf (size_t and
# pointers are 32 bits, so every size computation's overflow check is live)
# and run under qemu-arm user emulation through CMAKE_CROSSCOMPILING_EMULATOR.
CI_NAME=arm32
source "$(dirname "$0")/common.sh"
ci_need make cmake pkg-config gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user libc6:armhf libcmocka-dev:armhf

echo 'typedef char size_t_is_32_bits[sizeof(__SIZE_TYPE__) == 4 ? 1 : -1];' |
  arm-linux-gnueabihf-gcc -x c -c -o /dev/null - || ci_die "size_t is not 32-bit on arm-linux-gnueabihf?"

ci_emulated_suite arm32 toolchain-arm-linux-gnueabihf.cmake
