# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the library (tests/fuzz/fuzz_*.c, LLVMFuzzerTestOneInput).
# Every build (gcc included) links each target with tests/fuzz/replay_main.c
# and ctest replays the checked-in corpus: every input that ever crashed stays
# a regression test. With -DCONSECO_FUZZ=ON (clang; ci/fuzz.sh also adds
# -fsanitize=fuzzer-no-link,address,undefined to CMAKE_C_FLAGS) the same
# sources also become libFuzzer executables named after the target.
include_guard(GLOBAL)
option(CONSECO_FUZZ "Also build the libFuzzer executables (clang only)" OFF)

# conseco_fuzz_target(NAME CORPUS_DIR SOURCES... [LIBS libs...])
function(conseco_fuzz_target name corpus)
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name}_replay ${F_SOURCES} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../fuzz/replay_main.c)
  target_include_directories(${name}_replay PRIVATE ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../fuzz)
  target_link_libraries(${name}_replay PRIVATE ${F_LIBS})
  add_test(NAME ${name}_corpus COMMAND ${name}_replay ${corpus})
  set_tests_properties(${name}_corpus PROPERTIES TIMEOUT 300)
  if(CONSECO_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../fuzz)
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()

set(_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
conseco_fuzz_target(fuzz_state ${_fuzz}/corpus/state
  SOURCES ${_fuzz}/fuzz_state.c LIBS conseco_testsupport)
conseco_fuzz_target(fuzz_shrink ${_fuzz}/corpus/shrink
  SOURCES ${_fuzz}/fuzz_shrink.c ${_fuzz}/fuzz_shrink_02.c LIBS conseco_testsupport m)
conseco_fuzz_target(fuzz_quantile ${_fuzz}/corpus/quantile
  SOURCES ${_fuzz}/fuzz_quantile.c LIBS conseco_testsupport m)
