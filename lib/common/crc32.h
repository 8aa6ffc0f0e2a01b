/* SPDX-License-Identifier: Apache-2.0 */
/* Ground floor: CRC-32 of the saved state. Internal to lib/. */
#ifndef CONSECO_CRC32_H
#define CONSECO_CRC32_H

#include "numbers.h"

/* CRC-32 of IEEE 802.3 (reflected 0xEDB88320, init and final xor ~0),
 * continued from `crc` (start with 0). */
uint32_t conseco__crc32(uint32_t crc, const unsigned char *data, size_t size);

#endif /* CONSECO_CRC32_H */
