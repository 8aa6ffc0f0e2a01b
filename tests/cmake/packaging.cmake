# SPDX-License-Identifier: Apache-2.0
# Packaging checks: exported symbols == header == map; the installed tree works
# for find_package and pkg-config consumers, shared and static.
if(TARGET conseco)
  add_test(NAME export_list
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package/check_exports.sh $<TARGET_FILE:conseco> ${PROJECT_SOURCE_DIR})
endif()
if(TARGET conseco AND TARGET conseco_static)
  add_test(NAME install_consumer
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package/check_install.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR} ${CMAKE_C_COMPILER})
  set_tests_properties(install_consumer PROPERTIES TIMEOUT 300)
endif()

# Embedding: a C++ consumer add_subdirectory()s this source tree in a fresh
# binary directory with CMocka hidden, and gets the library only, without
# -Werror (tests/package/check_embed.sh). Host builds only.
include(CheckLanguage)
check_language(CXX)
if(NOT CMAKE_CROSSCOMPILING AND CMAKE_CXX_COMPILER)
  add_test(NAME embed_add_subdirectory
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/package/check_embed.sh ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/embed ${CMAKE_C_COMPILER} ${CMAKE_CXX_COMPILER})
  set_tests_properties(embed_add_subdirectory PROPERTIES TIMEOUT 600 LABELS package)
elseif(NOT CMAKE_CROSSCOMPILING)
  message(STATUS "no C++ compiler: the embed_add_subdirectory test is not registered")
endif()
