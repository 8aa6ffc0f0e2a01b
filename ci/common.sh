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
