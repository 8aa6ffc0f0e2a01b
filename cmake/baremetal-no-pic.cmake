# SPDX-License-Identifier: Apache-2.0
# Included after project() by the bare-metal toolchain files (through
# CMAKE_PROJECT_INCLUDE): firmware is linked at fixed addresses, so the
# -fPIC that the static library asks for elsewhere would only add GOT
# indirection and .data.rel.ro to the core. Dropping it here keeps the size
# report honest without touching the top-level CMakeLists.txt.
set(CMAKE_C_COMPILE_OPTIONS_PIC "")
set(CMAKE_C_COMPILE_OPTIONS_PIE "")
