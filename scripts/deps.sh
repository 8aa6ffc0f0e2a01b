#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs, with Debian's apt-get, whatever a fresh machine lacks to build and
# test libconseco. Packages already present are not touched (fast re-runs).
# With a python/ folder, the Python package's test dependencies too.
# usage: scripts/deps.sh [extra-package ...]
#        scripts/deps.sh --list     print the package list and exit
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pkgs=(build-essential cmake pkg-config libcmocka-dev libpng-dev zlib1g-dev libnifti2-dev clang python3 python3-nibabel)
if [ -d "$root/python" ]; then
  pkgs+=(python3-numpy python3-pytest python3-hypothesis python3-dask python3-distributed python3-nibabel
        python3-cffi python3-dev python3-venv python3-pip python3-setuptools python3-wheel)
fi
if [ "${1:-}" = --list ]; then echo "${pkgs[*]}"; exit 0; fi
pkgs+=("$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
