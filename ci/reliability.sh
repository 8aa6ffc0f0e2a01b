#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# All reliability checks, one after the other, each timed; a failing check
# does not stop the others, and the exit status is non-zero if any failed.
#   bash ci/reliability.sh                    everything (.ci/run calls this)
#   RELIABILITY_CHECKS="abi fuzz" bash ci/reliability.sh   a subset
# Each check's full output is in build/ci-logs/<check>.log; the console gets
# the checks' own summary lines, and the log's tail when a check fails.
# RELIABILITY_TIMES=FILE appends "name seconds result" per check.
# Order matters only for speed: sanitizers before fuzz (one shared build),
# and after scripts/test.sh, valgrind and static-analysis reuse its builds.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
read -r -a checks <<< "${RELIABILITY_CHECKS:-static-analysis abi baremetal arm32 aarch64 nosimd sanitizers fuzz tsan valgrind}"
logs=$root/build/ci-logs
mkdir -p "$logs"

names=() secs=() results=()
total_start=$(date +%s)
for c in "${checks[@]}"; do
  script=$root/ci/$c.sh
  [ -f "$script" ] || { echo "reliability: no such check: $c" >&2; exit 2; }
  echo "== $c"
  start=$(date +%s)
  bash "$script" > "$logs/$c.log" 2>&1
  rc=$?
  t=$(( $(date +%s) - start ))
  grep -E "^$c: " "$logs/$c.log" | grep -vE ': (apt-get|installing|dpkg)' || true
  if [ $rc -ne 0 ]; then
    echo "---- $c failed (exit $rc); last lines of $logs/$c.log:"
    tail -n 60 "$logs/$c.log"
    echo "----"
    results+=(FAIL)
  else
    results+=(ok)
  fi
  names+=("$c") secs+=("$t")
  echo "== $c: ${results[-1]} in ${t} s"
  [ -z "${RELIABILITY_TIMES:-}" ] || echo "$c $t ${results[-1]}" >> "$RELIABILITY_TIMES"
done

echo
echo "reliability summary"
failed=0
for i in "${!names[@]}"; do
  printf '  %-16s %-4s %5s s\n' "${names[$i]}" "${results[$i]}" "${secs[$i]}"
  [ "${results[$i]}" = ok ] || failed=1
done
printf '  %-16s %-4s %5s s\n' total "" "$(( $(date +%s) - total_start ))"
if [ $failed -ne 0 ]; then
  echo "reliability: FAILED (logs in $logs)"
  exit 1
fi
echo "reliability: all checks passed"
