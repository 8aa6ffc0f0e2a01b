#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ThreadSanitizer (clang -fsanitize=thread, CONSECO_TSAN): the threaded tests,
# i.e. every tests/test_*.c that calls conseco_calibrator_add_batch (the one
# entry point that runs shrinker callbacks on several threads), built and run
# under TSan. Any report fails the test (halt_on_error).
CI_NAME=tsan
source "$(dirname "$0")/common.sh"
ci_need make clang libclang-rt-14-dev cmake pkg-config libcmocka-dev libpng-dev zlib1g-dev libnifti2-dev python3

mapfile -t tests < <(cd "$CI_ROOT/tests" && grep -l 'conseco_calibrator_add_batch' test_*.c | sed 's/\.c$//' | sort)
[ ${#tests[@]} -gt 0 ] || ci_die "no threaded test found (tests/test_*.c calling conseco_calibrator_add_batch)"

dir=$CI_BUILD/ci-tsan
ci_configure "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONSECO_TSAN=ON \
  -DCONSECO_BUILD_TOOLS=OFF -DCONSECO_BUILD_BENCH=OFF -DCONSECO_BUILD_EXAMPLES=OFF
ci_build "$dir" "${tests[@]}"

export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:history_size=4
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
# clang 14's TSan runtime cannot map its shadow memory with the address-space
# randomisation of recent kernels (vm.mmap_rnd_bits > 28): run without ASLR.
run=()
setarch "$(uname -m)" -R true 2> /dev/null && run=(setarch "$(uname -m)" -R)
(cd "$dir" && "${run[@]}" ctest --output-on-failure -j "$CI_JOBS" -R "$regex") ||
  ci_die "ctest under ThreadSanitizer"
ci_log "OK: ${tests[*]} passed under ThreadSanitizer"
