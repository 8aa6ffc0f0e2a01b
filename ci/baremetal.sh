#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bare metal: the core (lib/, CONSECO_FREESTANDING=1: no calibrator malloc
# path, no threads) built as a static library for
#   - Cortex-M4: arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -ffreestanding
#   - RV64:      riscv64-unknown-elf-gcc -march=rv64imac -ffreestanding -nostdlib
# then:
#   1. the archive's undefined symbols must be memcpy, memset, memmove, or
#      compiler-runtime helpers that the same compiler's libgcc.a defines
#      (__aeabi_*, soft-float and 64-bit division routines: part of the
#      compiler, no OS, no libc). Anything else (malloc, libm, stdio, errno,
#      abort, pthread, ...) fails the check;
#   2. examples/firmware links with -nostdlib against only that archive, its
#      own memcpy/memset/memmove and -lgcc (so a missing symbol fails the link);
#   3. the firmware runs under qemu user emulation and must exit 0;
#   4. the code size of the core (-Os) is reported.
CI_NAME=baremetal
source "$(dirname "$0")/common.sh"
ci_need make cmake gcc-arm-none-eabi gcc-riscv64-unknown-elf qemu-user

fw=$CI_ROOT/examples/firmware
fail=0
summary=()

check_target() { # name toolchain-file cc prefix qemu "cflags" "startup files" linker-script
  local name=$1 tc=$2 cc=$3 prefix=$4 qemu=$5 cflags=$6 startup=$7 lds=$8
  local dir=$CI_BUILD/ci-baremetal-$name
  ci_log "== $name: build lib/ freestanding (-Os)"
  ci_configure "$dir" -DCMAKE_TOOLCHAIN_FILE="$CI_ROOT/cmake/$tc" -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DCONSECO_BUILD_SHARED=OFF -DCONSECO_BUILD_STATIC=ON -DCONSECO_BUILD_TESTS=OFF \
    -DCONSECO_BUILD_EXAMPLES=OFF -DCONSECO_BUILD_TOOLS=OFF -DCONSECO_BUILD_BENCH=OFF
  ci_build "$dir" conseco_static
  local lib=$dir/libconseco.a
  [ -f "$lib" ] || ci_die "$name: $lib not built"

  # 1. undefined symbols
  local libgcc
  libgcc=$($cc $cflags -print-libgcc-file-name)
  "$prefix-nm" --defined-only -g "$libgcc" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u > "$dir/libgcc.syms"
  # undefined in some member and defined in none (nm -u lists each member's)
  "$prefix-nm" --defined-only -g "$lib" | awk 'NF==3 {print $3}' | sort -u > "$dir/defined.syms"
  "$prefix-nm" -u "$lib" | awk 'NF==2 && $1=="U" {print $2}' | sort -u |
    comm -23 - "$dir/defined.syms" > "$dir/undefined.syms"
  local libc_used=() helpers=() bad=() s
  while read -r s; do
    case $s in
      memcpy|memset|memmove) libc_used+=("$s") ;;
      *) if grep -qx -- "$s" "$dir/libgcc.syms"; then helpers+=("$s"); else bad+=("$s"); fi ;;
    esac
  done < "$dir/undefined.syms"
  ci_log "$name: libc symbols used: ${libc_used[*]:-none}"
  ci_log "$name: libgcc helpers used (${#helpers[@]}): ${helpers[*]:-none}"
  if [ ${#bad[@]} -gt 0 ]; then
    ci_log "FAIL: $name: undefined symbols outside {memcpy, memset, memmove} and libgcc: ${bad[*]}"
    "$prefix-nm" -A -u "$lib" | grep -wE "$(IFS='|'; echo "${bad[*]}")" >&2 || true
    fail=1
  fi

  # 2. link the firmware example (and 3. run it)
  local common=(-std=c11 -Os $cflags -ffreestanding -nostdlib -ffunction-sections -fdata-sections
                -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror -I"$CI_ROOT/include" -I"$fw")
  local variant out
  for variant in board qemu; do
    out=$dir/firmware-$variant.elf
    local extra=()
    [ $variant = qemu ] && extra=(-DFIRMWARE_LINUX_EXIT)
    # one RAM region holds code and data on the RV64 board: RWX is intended
    if ! $cc "${common[@]}" "${extra[@]}" -T "$fw/$lds" -Wl,--gc-sections -Wl,--no-warn-rwx-segments \
         -Wl,--fatal-warnings -Wl,-Map="$out.map" \
         $startup "$fw/firmware.c" "$lib" -fno-tree-loop-distribute-patterns "$fw/mem.c" -lgcc \
         -o "$out" > "$dir/link-$variant.log" 2>&1; then
      cat "$dir/link-$variant.log" >&2
      ci_log "FAIL: $name: firmware link ($variant)"
      fail=1
      return
    fi
  done
  local rc=0
  $qemu "$dir/firmware-qemu.elf" || rc=$?
  if [ $rc -ne 0 ]; then
    ci_log "FAIL: $name: firmware under $qemu exited $rc (the failing step of firmware_run)"
    fail=1
  else
    ci_log "$name: firmware ran under $qemu: exit 0"
  fi

  # 4. sizes
  local lib_sizes fw_sizes
  lib_sizes=$("$prefix-size" -t "$lib" | awk '/\(TOTALS\)/ {printf "text %d, data %d, bss %d", $1, $2, $3}')
  fw_sizes=$("$prefix-size" "$dir/firmware-board.elf" | awk 'NR==2 {printf "text %d, data %d, bss %d", $1, $2, $3}')
  ci_log "$name: core libconseco.a (-Os): $lib_sizes bytes"
  ci_log "$name: firmware-board.elf (core + example, --gc-sections): $fw_sizes bytes"
  "$prefix-size" "$lib" > "$dir/size-per-object.txt"
  summary+=("$name core -Os: $lib_sizes; linked firmware: $fw_sizes")
}

check_target cortex-m4 toolchain-arm-none-eabi.cmake arm-none-eabi-gcc arm-none-eabi qemu-arm \
  "-mcpu=cortex-m4 -mthumb" "$fw/startup_cortex_m4.c" cortex_m4.ld
check_target rv64 toolchain-riscv64-unknown-elf.cmake riscv64-unknown-elf-gcc riscv64-unknown-elf \
  qemu-riscv64 "-march=rv64imac -mabi=lp64 -mcmodel=medany" \
  "$fw/startup_riscv.S $fw/startup_riscv.c" riscv.ld

for s in "${summary[@]}"; do ci_log "$s"; done
[ $fail -eq 0 ] || ci_die "bare-metal checks"
ci_log "OK: freestanding core clean on Cortex-M4 and RV64; firmware links and runs"
