#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The floor rule of lib/ (docs/DESIGN.md): common < kinds < api < calibrator.
# A floor may use (call, include) its own floor and the floors below it only.
#
#   check_floors.sh LIB_SOURCE_DIR STATIC_ARCHIVE [NM]
#
# 1. Symbols: every undefined conseco__* symbol of an object of a floor must be
#    defined by an object of the same or a lower floor (nm on the archive
#    members; a member is placed on the floor of the lib/<floor>/<name>.c it
#    was compiled from).
# 2. Headers: every #include "floor/x.h" in lib/<floor>/ names the same or a
#    lower floor, and every bare #include "x.h" is a header of its own folder.
# Exit status 1 and one line per violation otherwise.
set -eu
lib=$1
archive=$2
nm=${3:-nm}
floors="common kinds api calibrator"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

rank() {
    r=0
    for f in $floors; do
        [ "$f" = "$1" ] && { echo $r; return; }
        r=$((r + 1))
    done
    echo 99
}

# member (x.c.o / x.o) -> floor
: >"$tmp/member_floor"
for f in $floors; do
    for src in "$lib/$f"/*.c; do
        [ -e "$src" ] || continue
        b=$(basename "$src" .c)
        printf '%s %s\n%s %s\n' "$b.c.o" "$f" "$b.o" "$f" >>"$tmp/member_floor"
    done
done

# nm -A prints "archive:member: [addr] type name"
"$nm" -A "$archive" 2>/dev/null | sed 's/^[^:]*:\([^:]*\):/\1 /' >"$tmp/nm"
awk '$NF ~ /^conseco__/ && NF >= 4 && $(NF-1) ~ /^[TDBRV]$|^[tdbr]$/ { print $NF, $1 }' \
    "$tmp/nm" | sort -u >"$tmp/defs"
awk '$NF ~ /^conseco__/ && $(NF-1) == "U" { print $1, $NF }' "$tmp/nm" | sort -u >"$tmp/uses"
[ -s "$tmp/defs" ] || { echo "check_floors: no conseco__ symbols found in $archive"; exit 1; }

# one awk pass: rank of every member, then every use against its definition
awk -v floors="$floors" '
    BEGIN { n = split(floors, fl, " "); for (i = 1; i <= n; i++) rank[fl[i]] = i }
    FILENAME == ARGV[1] { floor[$1] = $2; next }
    FILENAME == ARGV[2] { if (!($1 in def)) def[$1] = $2; next }
    {
        member = $1; sym = $2; uf = floor[member]
        if (uf == "") { print "member " member " is on no floor (not in lib/<floor>/)"; bad = 1; next }
        if (!(sym in def)) next # defined outside the library: not ours to check
        df = floor[def[sym]]
        if (rank[df] > rank[uf]) {
            print "floor violation: " uf "/" member " uses " sym " defined on the higher floor " df " (" def[sym] ")"
            bad = 1
        }
    }
    END { exit bad }
' "$tmp/member_floor" "$tmp/defs" "$tmp/uses" || bad=1

for f in $floors; do
    for file in "$lib/$f"/*.[ch]; do
        [ -e "$file" ] || continue
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
            sed 's/^\([0-9]*\):.*"\(.*\)".*/\1 \2/' >"$tmp/inc" || true
        while read -r line inc; do
            case $inc in
            */*)
                hf=${inc%%/*}
                if [ "$(rank "$hf")" -eq 99 ]; then
                    echo "$file:$line: includes $inc from no floor"
                    bad=1
                elif [ "$(rank "$hf")" -gt "$(rank "$f")" ]; then
                    echo "$file:$line: includes $inc from the higher floor $hf"
                    bad=1
                fi
                ;;
            conseco.h) ;;
            *)
                if [ ! -e "$lib/$f/$inc" ]; then
                    echo "$file:$line: bare include \"$inc\" is not a header of $f/ (write floor/$inc)"
                    bad=1
                fi
                ;;
            esac
        done <"$tmp/inc"
    done
done

if [ $bad -ne 0 ]; then
    echo "check_floors: FAILED"
    exit 1
fi
echo "check_floors: $(wc -l <"$tmp/uses") internal uses and every include follow common < kinds < api < calibrator"
