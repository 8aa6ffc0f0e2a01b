#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ABI check of libconseco.so against the committed baseline in abi/:
#   abi/libconseco.abi  abidw --headers-dir include of a -g -Og build
#   abi/symbols.txt     nm -D --defined-only of the same build
# Compatible (reported, passes): added functions and symbols, enumerators
# appended to an enum, members appended to a versioned struct (the structs
# listed in abi/conseco.abignore, which carry struct_size). Anything else
# fails: removed symbols, changed functions or variables, changed types,
# unless the SOVERSION (0.MINOR for 0.x, MAJOR from 1.0) differs from the
# baseline's soname.
#
#   bash ci/abi.sh            check
#   bash ci/abi.sh --update   regenerate the baseline after an intentional change
CI_NAME=abi
source "$(dirname "$0")/common.sh"
ci_need make abigail-tools gcc cmake binutils python3

dir=$CI_BUILD/ci-abi
ci_configure "$dir" -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -Og" \
  -DCONSECO_BUILD_SHARED=ON -DCONSECO_BUILD_STATIC=OFF -DCONSECO_BUILD_TESTS=OFF \
  -DCONSECO_BUILD_TOOLS=OFF -DCONSECO_BUILD_EXAMPLES=OFF -DCONSECO_BUILD_BENCH=OFF
ci_build "$dir" conseco
so=$(readlink -f "$dir/libconseco.so")
[ -f "$so" ] || ci_die "libconseco.so not built"

abidw_opts=(--headers-dir "$CI_ROOT/include" --no-corpus-path --no-comp-dir-path --short-locs)
symbols() { nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u; }
# The SOVERSION (CMakeLists.txt): 0.MINOR for 0.x, MAJOR from 1.0 on. A new
# SOVERSION is where incompatible changes are allowed.
major_now=$(sed -n 's/^#define CONSECO_VERSION_MAJOR \([0-9]*\)$/\1/p' "$CI_ROOT/include/conseco.h")
minor_now=$(sed -n 's/^#define CONSECO_VERSION_MINOR \([0-9]*\)$/\1/p' "$CI_ROOT/include/conseco.h")
[ "$major_now" = 0 ] && major_now=0.$minor_now

howto() {
  cat >&2 <<MSG
abi: if this change is intentional:
abi:   - an incompatible change needs a new SOVERSION: while the major version is 0, bump
abi:     CONSECO_VERSION_MINOR in include/conseco.h (libconseco.so.0.MINOR); from 1.0 on,
abi:     CONSECO_VERSION_MAJOR; then regenerate the baseline;
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
major_base=$(sed -n "s/.*soname='libconseco\.so\.\([0-9.]*\)'.*/\1/p" "$CI_ROOT/abi/libconseco.abi" | head -n 1)
[ -n "$major_base" ] || ci_die "cannot read the soname version of abi/libconseco.abi"
new_major=0
if [ "$major_now" != "$major_base" ]; then
  new_major=1
  ci_log "SOVERSION changed ($major_base -> $major_now): incompatible changes are allowed"
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

# 2. types and functions. abidiff's own verdict is not enough: a changed
# member type deep inside a struct only sets bit 4, and libabigail 2.2 applies
# a has_data_member_inserted_at=end suppression even when the struct changed
# in other ways. So abidiff runs without suppressions, in leaf mode, and each
# changed type is judged here: the structs named in abi/conseco.abignore may
# only grow at the end, enums may only gain enumerators; anything else (and
# any removed or changed function or variable) is incompatible.
rc=0
abidiff --leaf-changes-only --headers-dir2 "$CI_ROOT/include" \
  "$CI_ROOT/abi/libconseco.abi" "$so" > "$dir/abidiff.txt" 2>&1 || rc=$?
if [ $((rc & 3)) -ne 0 ]; then
  cat "$dir/abidiff.txt" >&2
  ci_die "abidiff could not run (status $rc)"
fi
verdict=$(python3 - "$dir/abidiff.txt" "$CI_ROOT/abi/conseco.abignore" <<'PY'
import re, sys
report = open(sys.argv[1]).read().splitlines()
versioned, current = set(), None
for line in open(sys.argv[2]):
    line = line.strip()
    if line.startswith('['): current = {}
    m = re.match(r'name\s*=\s*(\S+)', line)
    if m and current is not None: current['name'] = m.group(1)
    if re.match(r'has_data_member_inserted_at\s*=\s*end', line) and current is not None and 'name' in current:
        versioned.add(current['name'])
bad = []
for line in report:
    m = re.match(r'Removed/Changed/Added (functions|variables) summary: (\d+) Removed, (\d+) Changed', line)
    if m and (int(m.group(2)) or int(m.group(3))):
        bad.append(line.strip())
# blocks: "'struct foo at x.h:1:1' changed:" followed by indented lines
i = 0
while i < len(report):
    m = re.match(r"^'(struct|union|enum|typedef|class) (\S+) at [^']*' changed:", report[i])
    if not m:
        i += 1
        continue
    kind, name = m.group(1), m.group(2)
    body, i = [], i + 1
    while i < len(report) and report[i].startswith(' '):
        body.append(report[i].strip()); i += 1
    old_size, ok = None, True
    for b in body:
        sm = re.match(r'type size changed from (\d+) to (\d+)', b)
        if sm:
            old_size = int(sm.group(1))
            ok = ok and int(sm.group(2)) > old_size and kind == 'struct' and name in versioned
            continue
        if b == "type size hasn't changed": continue
        if re.match(r'\d+ data member insertions?:', b):
            ok = ok and kind == 'struct' and name in versioned; continue
        om = re.match(r"'.*', at offset (\d+) \(in bits\)", b)
        if om and kind == 'struct' and name in versioned:
            ok = ok and old_size is not None and int(om.group(1)) >= old_size; continue
        if kind == 'enum' and (re.match(r'\d+ enumerator insertions?:', b) or re.match(r"'.*' value '", b)):
            continue
        ok = False
    if not ok: bad.append('%s %s: %s' % (kind, name, ' / '.join(body)))
print('\n'.join(bad) if bad else 'compatible')
PY
)
if [ "$verdict" != compatible ]; then
  cat "$dir/abidiff.txt" >&2
  ci_log "INCOMPATIBLE: $verdict"
  [ $new_major = 1 ] || fail=1
elif [ $rc -ne 0 ]; then
  cat "$dir/abidiff.txt" >&2
  ci_log "abidiff: compatible changes only (additions, versioned-struct appends): status $rc"
fi

if [ $fail -ne 0 ]; then
  howto
  ci_die "the ABI of libconseco.so.$major_now is not compatible with the baseline"
fi
if [ $rc -ne 0 ] || [ -n "$added" ]; then howto; fi
if [ $new_major = 1 ]; then
  ci_log "OK: new SOVERSION $major_now: the baseline (SOVERSION $major_base) must be regenerated"
  exit 0
fi
ci_log "OK: libconseco.so compatible with the baseline ($(wc -l < "$CI_ROOT/abi/symbols.txt") baseline symbols, abidiff status $rc)"
