#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libFuzzer (clang 14) with ASan + UBSan on every fuzz target: each runs for
# FUZZ_SECONDS (default 30 s) starting from its checked-in corpus in
# tests/fuzz/corpus/<name>/; new inputs go to a scratch corpus in the build
# tree. A crash, leak, timeout or failed invariant fails the check and prints
# how to turn the input into a regression test (ctest replays every corpus
# file under gcc, see tests/cmake/fuzz.cmake).
#
#   FUZZ_SECONDS=300 bash ci/fuzz.sh          longer run
#   FUZZ_UPDATE_CORPUS=1 bash ci/fuzz.sh      merge inputs with new edges into tests/fuzz/corpus
#   FUZZ_TARGETS="fuzz_state" bash ci/fuzz.sh only these targets
CI_NAME=fuzz
source "$(dirname "$0")/common.sh"
ci_need make clang libclang-rt-14-dev llvm-14 cmake pkg-config libcmocka-dev libpng-dev zlib1g-dev libnifti2-dev python3

seconds=${FUZZ_SECONDS:-30}
# The same build as ci/sanitizers.sh (reused when that check ran first).
ci_shared_build asan-fuzz "${CI_ASAN_FUZZ_ARGS[@]}"
dir=$CI_DIR

# Every libFuzzer executable the build defines: fuzz_<name> (not *_replay).
mapfile -t targets < <(cmake --build "$dir" --target help | sed -n 's/^\.\.\. \(fuzz_[a-z0-9_]*\).*/\1/p' |
                       grep -v '_replay$' | sort -u)
[ -n "${FUZZ_TARGETS:-}" ] && read -r -a targets <<< "$FUZZ_TARGETS"
[ ${#targets[@]} -gt 0 ] || ci_die "no fuzz targets defined (CONSECO_FUZZ=ON)"
ci_build "$dir" "${targets[@]}"
ci_log "targets: ${targets[*]}; ${seconds} s each, ${CI_JOBS} at a time"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

bin_of() { find "$dir" -name "$1" -type f -perm -u+x -print -quit; }

run_one() { # target
  local t=$1 name=${1#fuzz_}
  local src=$CI_ROOT/tests/fuzz/corpus/$name work=$dir/corpus-$name art=$dir/artifacts-$name
  rm -rf "$work" "$art"; mkdir -p "$work" "$art" "$src"
  "$(bin_of "$t")" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$art/" "$work" "$src" > "$dir/$t.log" 2>&1
}

pids=() names=()
for t in "${targets[@]}"; do
  [ -n "$(bin_of "$t")" ] || ci_die "$t was not built"
  run_one "$t" & pids+=($!) names+=("$t")
  if [ ${#pids[@]} -ge "$CI_JOBS" ]; then wait "${pids[0]}" || true; pids=("${pids[@]:1}"); fi
done
wait || true

fail=0
: > "$dir/summary.txt"
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  log=$dir/$t.log
  art=$dir/artifacts-$name
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse|INITED)' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$done_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$done_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<< "$done_line")
  line="$t: ${execs:-?} executions in ${seconds} s (${rate:-?}/s), coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}"
  echo "$line" >> "$dir/summary.txt"
  if ls "$art"/* > /dev/null 2>&1 || ! grep -q '^Done [0-9]* runs' "$log"; then
    fail=1
    ci_log "FAIL: $t"
    grep -E 'ERROR|invariant failed|runtime error|SUMMARY|Test unit written' "$log" | head -n 20 >&2 || true
    for a in "$art"/*; do
      [ -f "$a" ] || continue
      ci_log "input $a ($(stat -c %s "$a") bytes):"
      od -A d -t x1 "$a" | head -n 8 >&2
      ci_log "to keep it as a regression test: cp '$a' tests/fuzz/corpus/$name/regress-$(sha1sum "$a" | cut -c1-12)"
      ci_log "reproduce: $(bin_of "$t") '$a'   (or under gcc: <build>/tests/${t}_replay '$a')"
    done
    tail -n 30 "$log" >&2
  else
    ci_log "$line"
    if [ "${FUZZ_UPDATE_CORPUS:-0}" = 1 ]; then
      "$(bin_of "$t")" -merge=1 -use_counters=0 "$CI_ROOT/tests/fuzz/corpus/$name" "$dir/corpus-$name" > "$dir/$t.merge.log" 2>&1 ||
        ci_die "corpus merge for $t"
      ci_log "$t: merged new coverage into tests/fuzz/corpus/$name ($(ls "$CI_ROOT/tests/fuzz/corpus/$name" | wc -l) files)"
    fi
  fi
done
[ $fail -eq 0 ] || ci_die "fuzzing found failures (logs: $dir/fuzz_*.log)"

# Source coverage reached by the corpora (checked in + found in this run):
# the replay programs built with clang's source-based coverage, run once over
# every corpus file, reported by llvm-cov for lib/ (and tools/ when a target
# covers it).
cov=$CI_BUILD/ci-fuzz-cov
ci_configure "$cov" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCONSECO_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping"
replays=()
help=$(cmake --build "$cov" --target help)
for t in "${targets[@]}"; do
  grep -qx "\.\.\. ${t}_replay" <<< "$help" && replays+=("${t}_replay")
done
if [ ${#replays[@]} -gt 0 ]; then
  ci_build "$cov" "${replays[@]}"
  rm -f "$cov"/*.profraw
  objs=()
  for r in "${replays[@]}"; do
    name=${r#fuzz_}; name=${name%_replay}
    bin=$(find "$cov" -name "$r" -type f -perm -u+x -print -quit)
    LLVM_PROFILE_FILE="$cov/$r.profraw" "$bin" "$CI_ROOT/tests/fuzz/corpus/$name" "$dir/corpus-$name" \
      > /dev/null 2>&1 || ci_die "$r failed on the corpus"
    objs+=(-object "$bin")
  done
  llvm-profdata-14 merge -sparse "$cov"/*.profraw -o "$cov/fuzz.profdata"
  # lib/ is in floors (lib/common, lib/kinds, ...): its sources are found, not globbed
  mapfile -t lib_sources < <(cd "$CI_ROOT" && find lib -name '*.c' | sort)
  [ ${#lib_sources[@]} -gt 0 ] || ci_die "no lib/ sources found for the coverage report"
  mapfile -t covered < <(printf '%s\n' "${lib_sources[@]}"; cd "$CI_ROOT" && find tools -name '*.c' 2>/dev/null)
  (cd "$CI_ROOT" && llvm-cov-14 report -instr-profile "$cov/fuzz.profdata" "${objs[@]:1}" \
     "${covered[@]}") > "$dir/coverage.txt" 2>&1 || true
  lib_total=$(cd "$CI_ROOT" && llvm-cov-14 report -instr-profile "$cov/fuzz.profdata" "${objs[@]:1}" \
     "${lib_sources[@]}" 2>/dev/null | awk '/^TOTAL/ {print "regions " $4 ", functions " $7 ", lines " $10}')
  ci_log "coverage of lib/ by the fuzz corpora: ${lib_total:-unavailable} (per file: $dir/coverage.txt)"
  echo "coverage of lib/: ${lib_total:-unavailable}" >> "$dir/summary.txt"
fi
ci_log "OK: no crash, leak, timeout or failed invariant"
