# Licence headers: every tracked source file starts with the Apache-2.0 SPDX
# line (ci/check_spdx.sh). Skipped (exit 77) while no file has one yet: once
# the lines are in, drop --skip-if-none and SKIP_RETURN_CODE here.
find_program(CONSECO_GIT git)
if(CONSECO_GIT)
  add_test(NAME spdx_headers
    COMMAND bash ${PROJECT_SOURCE_DIR}/ci/check_spdx.sh --skip-if-none ${PROJECT_SOURCE_DIR})
  set_tests_properties(spdx_headers PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()
