# SPDX-License-Identifier: Apache-2.0
# Bare-metal RV64 (rv64imac, lp64: no FPU assumed): the freestanding core only,
# compiled -ffreestanding -nostdlib. Builds lib/ as a static library.
#   cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-riscv64-unknown-elf.cmake \
#         -DCONSECO_BUILD_SHARED=OFF -DCONSECO_BUILD_TESTS=OFF ...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv64)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_AR riscv64-unknown-elf-ar)
set(CMAKE_RANLIB riscv64-unknown-elf-ranlib)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT
  "-march=rv64imac -mabi=lp64 -mcmodel=medany -ffreestanding -nostdlib -ffunction-sections -fdata-sections -DCONSECO_FREESTANDING=1 -DCONSECO_NO_THREADS=1")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# No -fPIC for firmware (see baremetal-no-pic.cmake).
set(CMAKE_PROJECT_INCLUDE ${CMAKE_CURRENT_LIST_DIR}/baremetal-no-pic.cmake)
