# SPDX-License-Identifier: Apache-2.0
# lib/ floors: internal symbols and includes only go down (tests/floors/check_floors.sh).
if(TARGET conseco_static AND CMAKE_NM)
  add_test(NAME lib_floors
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/floors/check_floors.sh
            ${PROJECT_SOURCE_DIR}/lib $<TARGET_FILE:conseco_static> ${CMAKE_NM})
endif()
