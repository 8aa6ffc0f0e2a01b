#!/usr/bin/env bash
# 32-bit: the unit tests cross-compiled for arm-linux-gnueabihf (size_t and
# pointers are 32 bits, so every size computation's overflow check is live)
# and run under qemu-arm user emulation through CMAKE_CROSSCOMPILING_EMULATOR.
CI_NAME=arm32
source "$(dirname "$0")/common.sh"
ci_need make cmake pkg-config gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user libc6:armhf libcmocka-dev:armhf

echo 'typedef char size_t_is_32_bits[sizeof(__SIZE_TYPE__) == 4 ? 1 : -1];' |
  arm-linux-gnueabihf-gcc -x c -c -o /dev/null - || ci_die "size_t is not 32-bit on arm-linux-gnueabihf?"

dir=$CI_BUILD/ci-arm32
# The command-line tool (libpng) and the benchmarks are host programs: off.
ci_configure "$dir" -DCMAKE_TOOLCHAIN_FILE="$CI_ROOT/cmake/toolchain-arm-linux-gnueabihf.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONSECO_BUILD_TOOLS=OFF -DCONSECO_BUILD_BENCH=OFF \
  -DCONSECO_BUILD_EXAMPLES=OFF
ci_build "$dir"

# install_consumer configures and runs a consumer project natively: it is a
# packaging test of the host build, not a 32-bit test.
(cd "$dir" && ctest --output-on-failure --timeout 300 -j "$CI_JOBS" -E '^install_consumer$') ||
  ci_die "ctest under qemu-arm"
ci_log "OK: $(cd "$dir" && ctest -N -E '^install_consumer$' | tail -n 1 | sed 's/^ *//') passed on arm-linux-gnueabihf under qemu-arm"
