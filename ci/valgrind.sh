#!/usr/bin/env bash
# valgrind memcheck over every ctest test whose command is one of our compiled
# programs (CMocka suites, fuzz corpus replays, CLI runs started directly):
# zero errors and zero definite/indirect leaks, or the test fails.
# Tests driven through a script interpreter (bash/cmake wrappers such as the
# packaging checks) are listed and skipped: valgrind would check the
# interpreter, not our code.
CI_NAME=valgrind
source "$(dirname "$0")/common.sh"
ci_need valgrind gcc cmake pkg-config libcmocka-dev libpng-dev python3

dir=$CI_BUILD/ci-valgrind
ci_configure "$dir" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCONSECO_BUILD_BENCH=OFF
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
run=() skip=()
for line in "${native[@]}"; do
  case $line in "Y "*) run+=("${line#Y }") ;; *) skip+=("${line#N }") ;; esac
done
[ ${#run[@]} -gt 0 ] || ci_die "no native tests found"
[ ${#skip[@]} -eq 0 ] || ci_log "not under valgrind (script-driven): ${skip[*]}"
regex="^($(IFS='|'; echo "${run[*]}"))\$"

opts="--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
opts="$opts --show-leak-kinds=definite,indirect --track-origins=yes --num-callers=30"
(cd "$dir" && ctest -T memcheck -R "$regex" -j "$CI_JOBS" --output-on-failure \
   --overwrite MemoryCheckCommand="$(command -v valgrind)" \
   --overwrite MemoryCheckCommandOptions="$opts") > "$dir.memcheck.log" 2>&1 || {
  cat "$dir.memcheck.log" >&2
  ci_die "valgrind memcheck (errors or leaks: see the per-test logs in $dir/Testing/Temporary/MemoryChecker.*.log)"
}
tail -n 4 "$dir.memcheck.log" >&2
ci_log "OK: ${#run[@]} tests under valgrind memcheck with zero errors and leaks"
