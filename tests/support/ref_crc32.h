/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-32 (IEEE 802.3 / ISO 3309 / PNG: reflected polynomial 0xEDB88320),
 * bit by bit, written independently of lib/crc32.c: tests forge states and
 * PNG chunks whose checksum is right but whose fields are not. */
#ifndef REF_CRC32_H
#define REF_CRC32_H
#include <stddef.h>
#include <stdint.h>

uint32_t ref_crc32(const uint8_t *p, size_t n);

#endif
