/* SPDX-License-Identifier: Apache-2.0 */
/* The firmware example's one entry point (see firmware.c). */
#ifndef FIRMWARE_H
#define FIRMWARE_H
/* 0 on success, else the number of the failing step. */
int firmware_run(void);
/* Provided by the board's startup code: report and stop. */
void firmware_halt(int code);
#endif
