#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The shared library exports exactly the functions the header declares with
# CONSECO_API (outside the static-only block), and lib/conseco.map lists the same.
# usage: check_exports.sh LIBCONSECO_SO SOURCE_DIR
set -euo pipefail
so=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# declarations in the stable part of the header
sed '/^#if defined(CONSECO_STATIC_LINKING_ONLY)/,$d' "$src/include/conseco.h" | tr '\n' ' ' |
  grep -oE 'CONSECO_API [^;(]*\(' | grep -oE 'conseco_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u > "$work/header"
nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u > "$work/exported"
sed -n 's/^ *\(conseco_[a-z0-9_]*\);$/\1/p' "$src/lib/conseco.map" | sort -u > "$work/map"
status=0
if ! diff -u "$work/header" "$work/exported"; then echo "exports differ from the header (- header, + exported)"; status=1; fi
if ! diff -u "$work/header" "$work/map"; then echo "lib/conseco.map differs from the header (- header, + map)"; status=1; fi
[ $status -eq 0 ] && echo "$(wc -l < "$work/exported") symbols exported, all conseco_*, matching the header and the map"
exit $status
