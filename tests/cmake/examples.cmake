# SPDX-License-Identifier: Apache-2.0
# Tests that need more than tests/support: the synthetic data set, and the
# example programs run as ctest tests (included from tests/CMakeLists.txt
# after the test targets exist).
if(TARGET test_validity)
  target_link_libraries(test_validity PRIVATE conseco_synth)
  target_link_libraries(test_synth_volume PRIVATE conseco_synth)
  target_link_libraries(test_sides PRIVATE conseco_synth)
endif()

# Each example prints a line the check looks for, and exits 0 only when its
# own sanity checks held.
if(TARGET example_embed_minimal)
  add_test(NAME example_embed_minimal COMMAND example_embed_minimal)
  set_tests_properties(example_embed_minimal PROPERTIES
    PASS_REGULAR_EXPRESSION "lambda_hat = [0-9.]+.*inner [0-9]+ px, uncertain [0-9]+ px")
endif()
if(TARGET example_custom_shrinker)
  add_test(NAME example_custom_shrinker COMMAND example_custom_shrinker)
  set_tests_properties(example_custom_shrinker PROPERTIES
    PASS_REGULAR_EXPRESSION "custom shrinker: lambda_hat = [0-9.]+.*OK")
endif()
if(TARGET example_no_malloc)
  add_test(NAME example_no_malloc COMMAND example_no_malloc)
  set_tests_properties(example_no_malloc PROPERTIES
    PASS_REGULAR_EXPRESSION "no_malloc: lambda_hat = [0-9.]+.*OK")
endif()
