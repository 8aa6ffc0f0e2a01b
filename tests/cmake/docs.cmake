# SPDX-License-Identifier: Apache-2.0
# The bad-input tables in README.md and ci/README.md must list exactly what
# test_bad_input tests: the script compares them with the test's own table.
# Not when cross-compiling: the script runs the test program directly.
if(TARGET test_bad_input AND NOT CMAKE_CROSSCOMPILING)
  add_test(NAME bad_input_tables_documented
    COMMAND ${CMAKE_COMMAND} -DTABLE_PROGRAM=$<TARGET_FILE:test_bad_input>
            -DREADME=${PROJECT_SOURCE_DIR}/README.md -DCI_README=${PROJECT_SOURCE_DIR}/ci/README.md
            -P ${CMAKE_CURRENT_SOURCE_DIR}/docs/check_bad_input_tables.cmake)
endif()
