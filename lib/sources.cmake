# SPDX-License-Identifier: Apache-2.0
# Sources of libconseco, floor by floor (each floor includes only its own and
# lower floors' headers: common < kinds < api < calibrator). Included by the
# top-level CMakeLists.txt; tests/floors/check_floors.sh keeps the rule true.
set(_conseco_lib "${CMAKE_CURRENT_LIST_DIR}")

set(CONSECO_FLOOR_COMMON_SOURCES
  ${_conseco_lib}/common/crc32.c
  ${_conseco_lib}/common/decision.c
  ${_conseco_lib}/common/image.c
  ${_conseco_lib}/common/select.c
  ${_conseco_lib}/common/status.c)

set(CONSECO_FLOOR_KINDS_SOURCES
  ${_conseco_lib}/kinds/custom.c
  ${_conseco_lib}/kinds/outer_fast2d.c
  ${_conseco_lib}/kinds/outer_euclid.c
  ${_conseco_lib}/kinds/outer_fast3d.c
  ${_conseco_lib}/kinds/custom_outer.c
  ${_conseco_lib}/kinds/cross_sweep.c
  ${_conseco_lib}/kinds/distance.c
  ${_conseco_lib}/kinds/distance_mm.c
  ${_conseco_lib}/kinds/distance_mm_int.c
  ${_conseco_lib}/kinds/distance_mm_pair.c
  ${_conseco_lib}/kinds/erosion.c
  ${_conseco_lib}/kinds/erosion_apply_cb.c
  ${_conseco_lib}/kinds/erosion_cross2d.c
  ${_conseco_lib}/kinds/erosion_cross3d.c
  ${_conseco_lib}/kinds/erosion_mm.c
  ${_conseco_lib}/kinds/smooth.c
  ${_conseco_lib}/kinds/smooth_levels.c
  ${_conseco_lib}/kinds/outer.c
  ${_conseco_lib}/kinds/outer_threshold.c
  ${_conseco_lib}/kinds/threshold.c
  ${_conseco_lib}/kinds/threshold_fast.c
  ${_conseco_lib}/kinds/vtable.c)

set(CONSECO_FLOOR_API_SOURCES
  ${_conseco_lib}/api/apply.c
  ${_conseco_lib}/api/evaluate_lambdas.c
  ${_conseco_lib}/api/metrics.c
  ${_conseco_lib}/api/quantile.c
  ${_conseco_lib}/api/risk.c
  ${_conseco_lib}/api/score.c
  ${_conseco_lib}/api/shrinker.c
  ${_conseco_lib}/api/sides.c)

set(CONSECO_FLOOR_CALIBRATOR_SOURCES
  ${_conseco_lib}/calibrator/batch.c
  ${_conseco_lib}/calibrator/calibrator.c
  ${_conseco_lib}/calibrator/risk_curve.c
  ${_conseco_lib}/calibrator/state.c)

# Include directories of the floors, lowest first.
set(CONSECO_LIB_INCLUDE_DIRS
  ${_conseco_lib}/common
  ${_conseco_lib}/kinds
  ${_conseco_lib}/api
  ${_conseco_lib}/calibrator)

set(CONSECO_LIB_SOURCES
  ${CONSECO_FLOOR_COMMON_SOURCES}
  ${CONSECO_FLOOR_KINDS_SOURCES}
  ${CONSECO_FLOOR_API_SOURCES}
  ${CONSECO_FLOOR_CALIBRATOR_SOURCES})
unset(_conseco_lib)
