/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Minimal Cortex-M4 startup: the vector table, .data/.bss set-up, then
 * firmware_run(). Symbols come from cortex_m4.ld. Built with
 * -DFIRMWARE_LINUX_EXIT, firmware_halt() ends the process through the Linux
 * exit system call so CI can run the image under qemu-arm user emulation.
 */
#include <stdint.h>

#include "firmware.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void)
{
    for (;;) {
    }
}

void firmware_halt(int code)
{
#ifdef FIRMWARE_LINUX_EXIT
    register int r0 __asm__("r0") = code;
    register int r7 __asm__("r7") = 1; /* exit */
    __asm__ volatile("svc #0" : : "r"(r0), "r"(r7) : "memory");
#else
    (void)code; /* a real board would report it; here we just stop */
#endif
    for (;;) {
    }
}

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata) *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++) *dst = 0;
    firmware_halt(firmware_run());
}

/* Initial stack pointer, reset, then the 14 system exceptions. */
__attribute__((section(".isr_vector"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)&_estack,
    Reset_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    0, 0, 0, 0,
    Default_Handler, Default_Handler, 0, Default_Handler, Default_Handler,
};
