/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-32 (IEEE 802.3, as zlib and PNG): the checksum of saved state. */
#include "crc32.h"

/* CRC of each 4-bit value under the reflected polynomial 0xEDB88320: a
 * 64-byte table, two lookups per byte, small enough for any firmware. */
static const uint32_t nibble_table[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t conseco__crc32(uint32_t crc, const unsigned char *data, size_t size)
{
    size_t i;
    crc = ~crc;
    for (i = 0; i < size; i++) {
        crc ^= data[i];
        crc = (crc >> 4) ^ nibble_table[crc & 15u];
        crc = (crc >> 4) ^ nibble_table[crc & 15u];
    }
    return ~crc;
}
