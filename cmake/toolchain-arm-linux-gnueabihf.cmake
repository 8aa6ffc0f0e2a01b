# SPDX-License-Identifier: Apache-2.0
# 32-bit ARM Linux (size_t is 32 bits): Debian's cross compiler, CMocka from
# multiarch (libcmocka-dev:armhf), tests run under qemu-arm user emulation.
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-arm-linux-gnueabihf.cmake ...
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)

set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must describe armhf libraries, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# ctest runs every test executable through the emulator. No -L sysroot: the
# programs load /lib/ld-linux-armhf.so.3 and the libraries of multiarch
# libc6:armhf (pulled in by libcmocka-dev:armhf). Mixing the cross sysroot's
# loader (libc6-armhf-cross) with multiarch libraries of another build crashes
# threaded programs.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm)
