/* Minimal RV64 entry: global pointer, stack from riscv.ld, then C. */
    .section .text.start
    .global _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, _estack
    call firmware_reset
1:  j 1b
