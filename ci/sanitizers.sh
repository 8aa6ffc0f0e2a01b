#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# AddressSanitizer + UndefinedBehaviorSanitizer: the whole ctest suite built
# with clang, -fsanitize=address,undefined -fno-sanitize-recover=all (the
# top-level CONSECO_ASAN/CONSECO_UBSAN options). Any report aborts the test.
# The build is shared with ci/fuzz.sh (also instrumented for libFuzzer,
# CI_ASAN_FUZZ_ARGS in common.sh): one clang build serves both checks.
CI_NAME=sanitizers
source "$(dirname "$0")/common.sh"
ci_need make clang libclang-rt-14-dev cmake pkg-config libcmocka-dev libpng-dev zlib1g-dev libnifti2-dev python3

ci_shared_build asan-fuzz "${CI_ASAN_FUZZ_ARGS[@]}"
dir=$CI_DIR
ci_build "$dir"

# Leaks count as errors; UBSan stops at the first report with a stack.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# install_consumer builds an outside consumer without sanitizer flags against
# the sanitized library: that link cannot work and proves nothing here (the
# plain gcc/clang builds run it). embed_add_subdirectory configures its own
# unsanitized build: likewise.
skip='^(install_consumer|embed_add_subdirectory)$'
# A quarter of the random cases (tu_cases): every code path runs instrumented many times over; the
# full random search runs in the plain gcc and clang suites.
(cd "$dir" && CONSECO_TEST_SCALE=${CONSECO_TEST_SCALE:-4} ctest --output-on-failure -j "$CI_JOBS" -E "$skip") ||
  ci_die "ctest under ASan+UBSan"
ci_log "OK: $(cd "$dir" && ctest -N -E "$skip" | tail -n 1 | sed 's/^ *//') passed under ASan+UBSan"
