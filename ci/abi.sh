#!/usr/bin/env bash
# ABI check of libconseco.so against the committed baseline in abi/:
#   abi/libconseco.abi  abidw --headers-dir include of a -g -Og build
#   abi/symbols.txt     nm -D --defined-only of the same build
# abidiff's exit status is a bit mask: 4 = some ABI change (for example an
# added function: compatible, reported), 8 = an incompatible change. The check
# fails on 8, and on any removed symbol, unless CONSECO_VERSION_MAJOR in
# include/conseco.h differs from the baseline's soname major. Appending a
# member to a versioned struct is allowed by abi/conseco.abignore.
#
#   bash ci/abi.sh            check
#   bash ci/abi.sh --update   regenerate the baseline after an intentional change
CI_NAME=abi
source "$(dirname "$0")/common.sh"
ci_need abigail-tools gcc cmake binutils

dir=$CI_BUILD/ci-abi
ci_configure "$dir" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -Og" \
  -DCONSECO_BUILD_SHARED=ON -DCONSECO_BUILD_STATIC=OFF -DCONSECO_BUILD_TESTS=OFF \
  -DCONSECO_BUILD_TOOLS=OFF -DCONSECO_BUILD_EXAMPLES=OFF -DCONSECO_BUILD_BENCH=OFF
ci_build "$dir" conseco
so=$(readlink -f "$dir/libconseco.so")
[ -f "$so" ] || ci_die "libconseco.so not built"

abidw_opts=(--headers-dir "$CI_ROOT/include" --no-corpus-path --no-comp-dir-path --short-locs)
symbols() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u; }
major_now=$(sed -n 's/^#define CONSECO_VERSION_MAJOR \([0-9]*\)$/\1/p' "$CI_ROOT/include/conseco.h")

howto() {
  cat >&2 <<MSG
abi: if this change is intentional:
abi:   - an incompatible change needs a new major version: bump CONSECO_VERSION_MAJOR in
abi:     include/conseco.h (the soname follows), then regenerate the baseline;
abi:   - a compatible addition only needs the baseline regenerated.
abi: regenerate with:  bash ci/abi.sh --update   and commit abi/libconseco.abi and abi/symbols.txt
MSG
}

if [ "${1:-}" = --update ]; then
  abidw "${abidw_opts[@]}" --out-file "$CI_ROOT/abi/libconseco.abi" "$so"
  symbols "$so" > "$CI_ROOT/abi/symbols.txt"
  ci_log "baseline regenerated from $(basename "$so"): abi/libconseco.abi, abi/symbols.txt ($(wc -l < "$CI_ROOT/abi/symbols.txt") symbols)"
  exit 0
fi

[ -f "$CI_ROOT/abi/libconseco.abi" ] && [ -f "$CI_ROOT/abi/symbols.txt" ] ||
  { howto; ci_die "no baseline in abi/"; }
major_base=$(sed -n "s/.*soname='libconseco\.so\.\([0-9]*\)'.*/\1/p" "$CI_ROOT/abi/libconseco.abi" | head -n 1)
[ -n "$major_base" ] || ci_die "cannot read the soname major of abi/libconseco.abi"
new_major=0
if [ "$major_now" != "$major_base" ]; then
  new_major=1
  ci_log "major version changed ($major_base -> $major_now): incompatible changes are allowed"
fi

fail=0
# 1. exported symbols
symbols "$so" > "$dir/symbols.txt"
removed=$(comm -23 "$CI_ROOT/abi/symbols.txt" "$dir/symbols.txt")
added=$(comm -13 "$CI_ROOT/abi/symbols.txt" "$dir/symbols.txt")
[ -z "$added" ] || ci_log "added symbols (compatible): $(echo $added)"
if [ -n "$removed" ]; then
  ci_log "removed symbols: $(echo $removed)"
  [ $new_major = 1 ] || fail=1
fi

# 2. types and functions
rc=0
abidiff --headers-dir2 "$CI_ROOT/include" --suppr "$CI_ROOT/abi/conseco.abignore" \
  "$CI_ROOT/abi/libconseco.abi" "$so" > "$dir/abidiff.txt" 2>&1 || rc=$?
if [ $((rc & 3)) -ne 0 ]; then
  cat "$dir/abidiff.txt" >&2
  ci_die "abidiff could not run (status $rc)"
fi
if [ $((rc & 8)) -ne 0 ]; then
  cat "$dir/abidiff.txt" >&2
  ci_log "abidiff: INCOMPATIBLE change (status $rc)"
  [ $new_major = 1 ] || fail=1
elif [ $((rc & 4)) -ne 0 ]; then
  cat "$dir/abidiff.txt" >&2
  ci_log "abidiff: compatible ABI change (status $rc): review the report above"
fi

if [ $fail -ne 0 ]; then
  howto
  ci_die "the ABI of libconseco.so.$major_now is not compatible with the baseline"
fi
if [ $rc -ne 0 ] || [ -n "$added" ]; then howto; fi
ci_log "OK: libconseco.so compatible with the baseline ($(wc -l < "$CI_ROOT/abi/symbols.txt") baseline symbols, abidiff status $rc)"
