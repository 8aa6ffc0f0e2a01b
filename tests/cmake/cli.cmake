# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of the `conseco` tool and fuzz targets of its file parsers.
# The tool is only built with libpng (tools/conseco/CMakeLists.txt); without it
# these tests are skipped at configure time with a message.
if(NOT TARGET conseco_tool)
  message(STATUS "conseco tool not built: its end-to-end tests are skipped")
  return()
endif()

find_package(Python3 COMPONENTS Interpreter)
find_package(PNG REQUIRED)
find_library(CONSECO_CLI_TEST_LIBM m)

# Data generator and reference (libpng + the library's public API).
add_executable(cli_testdata ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_testdata.c
                            ${PROJECT_SOURCE_DIR}/tools/conseco/split_rng.c)
target_include_directories(cli_testdata PRIVATE ${PROJECT_SOURCE_DIR}/tools/conseco)
target_link_libraries(cli_testdata PRIVATE ${CONSECO_INTREE_LIB} PNG::PNG)
if(CONSECO_CLI_TEST_LIBM)
  target_link_libraries(cli_testdata PRIVATE ${CONSECO_CLI_TEST_LIBM})
endif()

if(Python3_Interpreter_FOUND)
  add_test(NAME cli_end_to_end
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_cli_tests.py
            $<TARGET_FILE:conseco_tool> $<TARGET_FILE:cli_testdata>
            ${CMAKE_CURRENT_BINARY_DIR}/cli_work)
  set_tests_properties(cli_end_to_end PROPERTIES TIMEOUT 600)
else()
  message(WARNING "python3 not found: the conseco end-to-end test is not registered")
endif()

# Unit checks of the tool's own pieces (natural order, number format, .npy).
add_executable(cli_units ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_units.c)
target_link_libraries(cli_units PRIVATE conseco_cli_core)
add_test(NAME cli_units COMMAND cli_units)

# Fuzz targets of the .npy parser and the PNG wrapper (corpus replay under ctest).
include(${CMAKE_CURRENT_LIST_DIR}/fuzz.cmake)
conseco_fuzz_target(fuzz_npy ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/npy
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_npy.c LIBS conseco_cli_core)
conseco_fuzz_target(fuzz_png ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/png
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_png.c LIBS conseco_cli_core conseco_testsupport)
