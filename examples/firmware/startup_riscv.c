/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RV64 start-up in C: clear .bss, run, stop. With -DFIRMWARE_LINUX_EXIT,
 * firmware_halt() ends the process through the Linux exit system call so CI
 * can run the image under qemu-riscv64 user emulation.
 */
#include <stdint.h>

#include "firmware.h"

extern uint8_t _sbss[], _ebss[];

void firmware_reset(void);

void firmware_halt(int code)
{
#ifdef FIRMWARE_LINUX_EXIT
    register long a0 __asm__("a0") = code;
    register long a7 __asm__("a7") = 93; /* exit */
    __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
#else
    (void)code;
#endif
    for (;;) {
    }
}

void firmware_reset(void)
{
    uint8_t *p;
    for (p = _sbss; p < _ebss; p++) *p = 0;
    firmware_halt(firmware_run());
}
