# SPDX-License-Identifier: Apache-2.0
# Bare-metal Cortex-M4 (Thumb-2, soft-float ABI): the freestanding core only.
# Builds lib/ as a static library; nothing is linked by CMake (no libc here).
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-arm-none-eabi.cmake \
#         -DCONSECO_BUILD_SHARED=OFF -DCONSECO_BUILD_TESTS=OFF ...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT
  "-mcpu=cortex-m4 -mthumb -ffreestanding -ffunction-sections -fdata-sections -DCONSECO_FREESTANDING=1 -DCONSECO_NO_THREADS=1")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# No -fPIC for firmware (see baremetal-no-pic.cmake).
set(CMAKE_PROJECT_INCLUDE ${CMAKE_CURRENT_LIST_DIR}/baremetal-no-pic.cmake)
