# SPDX-License-Identifier: Apache-2.0
# 64-bit ARM Linux (aarch64: the NEON path of lib/): Debian's cross compiler, CMocka from
# multiarch (libcmocka-dev:arm64), tests run under qemu-aarch64 user emulation.
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must describe arm64 libraries, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# ctest runs every test executable through the emulator. No -L sysroot: the
# programs load /lib/ld-linux-aarch64.so.1 and the libraries of multiarch
# libc6:arm64 (pulled in by libcmocka-dev:arm64), as the armhf toolchain does.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
