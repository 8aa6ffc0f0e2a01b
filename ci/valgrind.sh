#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# valgrind memcheck over every ctest test whose command is one of our compiled
# programs (CMocka suites, examples, CLI unit checks), once: zero errors and
# zero definite/indirect leaks, or the test fails. The fuzz corpus replays
# (*_corpus) are not run again here: ci/sanitizers.sh replays every corpus
# under ASan+UBSan and ci/fuzz.sh runs the same targets under libFuzzer.
# Tests driven through a script interpreter (bash/cmake wrappers such as the
# packaging checks) are listed and skipped: valgrind would check the
# interpreter, not our code.
CI_NAME=valgrind
source "$(dirname "$0")/common.sh"
ci_need make valgrind gcc cmake pkg-config libcmocka-dev libpng-dev zlib1g-dev libnifti2-dev python3

# scripts/test.sh's gcc build (RelWithDebInfo, the same flags) when it exists.
dir=$(ci_reuse_test_build gcc)
if [ -z "$dir" ]; then
  dir=$CI_BUILD/ci-valgrind
  ci_configure "$dir" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONSECO_BUILD_BENCH=OFF
fi
ci_build "$dir"

# Names of tests whose first command word is an ELF file inside the build tree.
mapfile -t native < <(cd "$dir" && ctest --show-only=json-v1 | python3 -c '
import json, sys, os
build = os.path.realpath(sys.argv[1])
for t in json.load(sys.stdin)["tests"]:
    cmd = t.get("command") or []
    if not cmd: continue
    exe = os.path.realpath(cmd[0])
    try:
        with open(exe, "rb") as f: elf = f.read(4) == b"\x7fELF"
    except OSError: elf = False
    print(("Y " if elf and exe.startswith(build + os.sep) else "N ") + t["name"])
' "$dir")
run=() skip=() replays=()
for line in "${native[@]}"; do
  case $line in
    "Y "*_corpus) replays+=("${line#Y }") ;;
    "Y "*) run+=("${line#Y }") ;;
    *) skip+=("${line#N }") ;;
  esac
done
[ ${#run[@]} -gt 0 ] || ci_die "no native tests found"
[ ${#skip[@]} -eq 0 ] || ci_log "not under valgrind (script-driven): ${skip[*]}"
[ ${#replays[@]} -eq 0 ] || ci_log "not under valgrind (replayed under ASan+UBSan by ci/sanitizers.sh): ${replays[*]}"
regex="^($(IFS='|'; echo "${run[*]}"))\$"

# The command-line tool's end-to-end test is a Python driver: run it again
# with the tool replaced by a wrapper that starts it under valgrind (-q, its
# reports in files), so every tool invocation of the suite is checked too.
# The driver runs one tool at a time, so it runs in the background while
# ctest's memcheck runs below (the two use the machine's cores together).
cli=$(cd "$dir" && ctest --show-only=json-v1 | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    if t["name"] == "cli_end_to_end": print("\t".join(t["command"]))')
cli_pid=
if [ -n "$cli" ]; then
  IFS=$'\t' read -r -a cmd <<< "$cli"   # python, script, TOOL, HELPER, WORKDIR
  vgdir=$dir/valgrind-cli
  rm -rf "$vgdir"; mkdir -p "$vgdir"
  cat > "$vgdir/conseco" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
  --show-leak-kinds=definite,indirect --num-callers=30 --log-file="$vgdir/%p.log" "${cmd[2]}" "\$@"
WRAP
  chmod +x "$vgdir/conseco"
  "${cmd[0]}" "${cmd[1]}" "$vgdir/conseco" "${cmd[3]}" "$vgdir/work" > "$vgdir.log" 2>&1 &
  cli_pid=$!
fi

fail=0
opts="--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
opts="$opts --show-leak-kinds=definite,indirect --track-origins=yes --num-callers=30"
# A twentieth of the random cases (tu_cases): memcheck checks every code path's memory use; the
# breadth of the random search runs in the native and sanitizer suites.
(cd "$dir" && CONSECO_TEST_SCALE=${CONSECO_TEST_SCALE:-20} \
   ctest -T memcheck -R "$regex" -j "$CI_JOBS" --output-on-failure \
   --overwrite MemoryCheckCommand="$(command -v valgrind)" \
   --overwrite MemoryCheckCommandOptions="$opts") > "$dir.memcheck.log" 2>&1 || fail=1
if [ $fail -ne 0 ]; then
  cat "$dir.memcheck.log" >&2
  for f in "$dir"/Testing/Temporary/MemoryChecker.*.log; do
    grep -qE 'ERROR SUMMARY: [1-9]|(definitely|indirectly) lost: [1-9]' "$f" 2>/dev/null &&
      { echo "== $f" >&2; head -n 80 "$f" >&2; }
  done
  ci_log "FAIL: ctest memcheck (errors or leaks: per-test logs in $dir/Testing/Temporary/MemoryChecker.*.log)"
else
  tail -n 4 "$dir.memcheck.log" >&2
fi

if [ -n "$cli_pid" ]; then
  if ! wait "$cli_pid"; then
    tail -n 40 "$vgdir.log" >&2
    for f in "$vgdir"/*.log; do [ -s "$f" ] && { echo "== $f" >&2; head -n 60 "$f" >&2; }; done
    ci_log "FAIL: the conseco tool's end-to-end suite under valgrind (exit 99 = a valgrind error)"
    fail=1
  else
    runs=$(ls "$vgdir"/*.log 2>/dev/null | wc -l)
    ci_log "cli_end_to_end: $runs runs of the conseco tool under valgrind, no error or leak"
  fi
fi
[ $fail -eq 0 ] || ci_die "valgrind found errors or leaks (see above)"
ci_log "OK: ${#run[@]} tests under valgrind memcheck with zero errors and leaks"
