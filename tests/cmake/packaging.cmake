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
