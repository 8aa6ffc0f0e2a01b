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

# Volumes: NIfTI in and out, --volume .npy, per-volume reports (hand-made files, no nibabel).
get_property(_conseco_have_nifti GLOBAL PROPERTY CONSECO_CLI_HAVE_NIFTI)
if(Python3_Interpreter_FOUND AND _conseco_have_nifti)
  add_test(NAME cli_volumes
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_cli_volumes.py
            $<TARGET_FILE:conseco_tool> ${CMAKE_CURRENT_BINARY_DIR}/cli_volumes_work)
  set_tests_properties(cli_volumes PROPERTIES TIMEOUT 600)
  # nibabel (Debian's python3-nibabel) must see a mask's affine equal to its input's; the test
  # exits 77 (skipped) when nibabel is missing.
  add_test(NAME cli_nifti_affine
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_cli_nifti_affine.py
            $<TARGET_FILE:conseco_tool> ${CMAKE_CURRENT_BINARY_DIR}/cli_affine_work)
  set_tests_properties(cli_nifti_affine PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
elseif(NOT _conseco_have_nifti)
  message(STATUS "conseco tool built without NIfTI: the volume end-to-end tests are skipped")
endif()

# Fuzz target of the NIfTI reader and writer (seed corpus from tests/fuzz/make_nifti_corpus.py).
if(_conseco_have_nifti)
  conseco_fuzz_target(fuzz_nifti ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/nifti
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_nifti.c LIBS conseco_cli_core)
endif()
