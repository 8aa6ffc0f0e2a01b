# SPDX-License-Identifier: Apache-2.0
# Licence headers: every tracked source file starts with the Apache-2.0 SPDX
# line (ci/check_spdx.sh). Skipped (exit 77) only outside a git checkout.
find_program(CONSECO_GIT git)
if(CONSECO_GIT)
  add_test(NAME spdx_headers
    COMMAND bash ${PROJECT_SOURCE_DIR}/ci/check_spdx.sh ${PROJECT_SOURCE_DIR})
  set_tests_properties(spdx_headers PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()
