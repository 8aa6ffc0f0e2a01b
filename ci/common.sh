# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Shared helpers for the ci/*.sh checks; sourced, never run.
# Every check installs what it needs (fresh Debian machine), builds in its own
# directory under build/ci-*, and exits non-zero on any failure.

set -euo pipefail

CI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CI_JOBS=${CI_JOBS:-$(nproc 2>/dev/null || echo 2)}
CI_BUILD=${CI_BUILD:-$CI_ROOT/build}
mkdir -p "$CI_BUILD"

ci_log() { printf '%s: %s\n' "${CI_NAME:-ci}" "$*" >&2; }
ci_die() { ci_log "FAIL: $*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then CI_SUDO=sudo; else CI_SUDO=; fi

# apt-get update at most once per CI run (the stamp lives in the build tree).
# A failing index (a mirror mid-sync) is a warning, not a failure: the
# install below fails loudly if a package really cannot be fetched.
ci_apt_update() {
  local stamp="$CI_BUILD/.ci-apt-updated"
  if [ ! -f "$stamp" ] || [ "${1:-}" = force ]; then
    ci_log "apt-get update"
    $CI_SUDO apt-get update -qq || ci_log "warning: apt-get update reported errors (continuing)"
    touch "$stamp"
  fi
}

# ci_need PKG...: installs the packages that are not installed yet.
# PKG may carry an architecture (libcmocka-dev:armhf): the architecture is
# added to dpkg first.
ci_need() {
  local missing=() p arch
  for p in "$@"; do
    if [[ $p == *:* ]]; then
      arch=${p#*:}
      if ! dpkg --print-foreign-architectures | grep -qx "$arch" &&
         [ "$(dpkg --print-architecture)" != "$arch" ]; then
        ci_log "dpkg --add-architecture $arch"
        $CI_SUDO dpkg --add-architecture "$arch"
        ci_apt_update force
      fi
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  ci_apt_update
  ci_log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $CI_SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" > "$CI_BUILD/.ci-apt-$$.log" 2>&1 ||
    { cat "$CI_BUILD/.ci-apt-$$.log" >&2; ci_die "apt-get install ${missing[*]}"; }
}

# ci_configure DIR [cmake args...]: a fresh configure, log shown only on failure.
# CI_CMAKE_ARGS adds arguments to every configure (local experiments only).
ci_configure() {
  local dir=$1; shift
  rm -rf "$dir"
  # shellcheck disable=SC2086
  cmake -S "$CI_ROOT" -B "$dir" "$@" ${CI_CMAKE_ARGS:-} > "$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log" >&2; ci_die "cmake configure of $dir"; }
}

# ci_build DIR [targets...]
ci_build() {
  local dir=$1; shift
  local args=()
  local t
  for t in "$@"; do args+=(--target "$t"); done
  cmake --build "$dir" -j "$CI_JOBS" "${args[@]}" > "$dir.build.log" 2>&1 ||
    { tail -n 80 "$dir.build.log" >&2; ci_die "build of $dir"; }
}

# ci_need_all: installs, in one apt-get transaction, every package that any
# ci/*.sh check lists on its `ci_need` line plus scripts/deps.sh's (.ci/run's
# first step; each check's own ci_need is then a no-op). Foreign
# architectures (pkg:armhf, pkg:arm64) are added first, so one apt-get update
# covers them all.
ci_need_all() {
  local pkgs=() p arch added=0
  # shellcheck disable=SC2046
  read -r -a pkgs <<< "$(grep -h '^ci_need ' "$CI_ROOT"/ci/*.sh | sed 's/^ci_need //' | tr ' ' '\n' |
                         sort -u | tr '\n' ' ')"
  read -r -a more <<< "$(bash "$CI_ROOT/scripts/deps.sh" --list)"
  pkgs+=("${more[@]}")
  for p in "${pkgs[@]}"; do
    [[ $p == *:* ]] || continue
    arch=${p#*:}
    if ! dpkg --print-foreign-architectures | grep -qx "$arch" &&
       [ "$(dpkg --print-architecture)" != "$arch" ]; then
      ci_log "dpkg --add-architecture $arch"
      $CI_SUDO dpkg --add-architecture "$arch"
      added=1
    fi
  done
  [ $added -eq 0 ] || rm -f "$CI_BUILD/.ci-apt-updated"
  ci_need "${pkgs[@]}"
}

# ci_shared_build NAME CMAKE-ARGS...: the build directory $CI_BUILD/ci-NAME,
# configured with these arguments once; a later check asking for the same
# NAME and arguments reuses it (its ci_build is then incremental). Sets
# CI_DIR. Used by sanitizers + fuzz (one ASan/UBSan/libFuzzer build).
ci_shared_build() {
  local name=$1; shift
  CI_DIR=$CI_BUILD/ci-$name
  local key="$* ${CI_CMAKE_ARGS:-}"
  if [ -f "$CI_DIR/CMakeCache.txt" ] && [ -f "$CI_DIR/.ci-args" ] &&
     [ "$(cat "$CI_DIR/.ci-args")" = "$key" ]; then
    ci_log "reusing the shared build $CI_DIR"
  else
    ci_configure "$CI_DIR" "$@"
    printf '%s' "$key" > "$CI_DIR/.ci-args"
  fi
}

# The ASan + UBSan + libFuzzer-instrumented clang build: the sanitizers check
# runs the suite in it, the fuzz check runs its libFuzzer executables.
CI_ASAN_FUZZ_ARGS=(-DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
  -DCONSECO_ASAN=ON -DCONSECO_UBSAN=ON -DCONSECO_FUZZ=ON -DCONSECO_BUILD_BENCH=OFF
  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link)

# ci_reuse_test_build CC: scripts/test.sh's build/test-CC when it exists
# (same flags as a check's own RelWithDebInfo build), else empty.
ci_reuse_test_build() {
  local d=$CI_BUILD/test-$1
  if [ "${CI_REUSE_TEST_BUILDS:-1}" = 1 ] && [ -f "$d/CMakeCache.txt" ] &&
     grep -q '^CMAKE_BUILD_TYPE:STRING=RelWithDebInfo$' "$d/CMakeCache.txt"; then
    echo "$d"
  fi
}

# ci_target_includes DIR TARGET HEADER: whether some object of TARGET
# includes HEADER (the compiler's own dependency files), e.g. that the
# NEON path (arm_neon.h) really is compiled, or that CONSECO_NO_SIMD leaves
# no intrinsics header.
ci_target_includes() {
  local dir=$1 target=$2 header=$3
  grep -rqs --include='*.d' -e "/$header" "$dir/CMakeFiles/$target.dir"
}

# ci_emulated_suite NAME TOOLCHAIN-FILE [cmake args...]: cross-builds the
# library and its test programs for a Linux target with Debian's cross gcc and
# multiarch CMocka, and runs the ctest suite under qemu user emulation
# (CMAKE_CROSSCOMPILING_EMULATOR in the toolchain file). The tool (libpng)
# and the bench are host programs: off. Host-only tests (packaging: they
# configure and run consumer projects natively) are excluded; CI_EMU_EXCLUDE
# adds a regex of tests to leave out (each check says why; CI_EMU_EXCLUDE=
# runs them all). Sets CI_DIR.
ci_emulated_suite() {
  local name=$1 tc=$2; shift 2
  CI_DIR=$CI_BUILD/ci-$name
  ci_configure "$CI_DIR" -DCMAKE_TOOLCHAIN_FILE="$CI_ROOT/cmake/$tc" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONSECO_BUILD_TOOLS=OFF -DCONSECO_BUILD_BENCH=OFF \
    -DCONSECO_BUILD_EXAMPLES=OFF "$@"
  ci_build "$CI_DIR"
  local skip="^(install_consumer|embed_add_subdirectory|export_list|spdx_headers)\$"
  [ -z "${CI_EMU_EXCLUDE:-}" ] || skip="$skip|$CI_EMU_EXCLUDE"
  [ -z "${CI_EMU_EXCLUDE:-}" ] || ci_log "not emulated (see ci/$name.sh): $CI_EMU_EXCLUDE"
  # A twentieth of the random cases (tests/support/test_util.h, tu_cases): emulation checks the
  # platform's arithmetic and code paths; the breadth of the search runs natively.
  (cd "$CI_DIR" && CONSECO_TEST_SCALE=${CONSECO_TEST_SCALE:-20} \
     ctest --output-on-failure --timeout 600 -j "$CI_JOBS" -E "$skip") ||
    ci_die "ctest under emulation ($name)"
  ci_log "OK: $(cd "$CI_DIR" && ctest -N -E "$skip" | tail -n 1 | sed 's/^ *//') passed on $name under qemu"
}
