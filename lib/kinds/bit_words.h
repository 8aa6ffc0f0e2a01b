/* SPDX-License-Identifier: Apache-2.0 */
/* Bitmap words of the fused outer paths (outer_fast2d.c, outer_fast3d.c):
 * bit k of byte i is pixel 8 i + k of a row; a word holds bytes 8 j .. 8 j + 7
 * with byte 8 j + b in bits 8 b .. 8 b + 7, whatever the byte order. */
#ifndef CONSECO_BIT_WORDS_H
#define CONSECO_BIT_WORDS_H

#include <stdint.h>

static inline uint64_t wload(const uint8_t *b)
{
    return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 | (uint64_t)b[3] << 24 |
           (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 | (uint64_t)b[6] << 48 |
           (uint64_t)b[7] << 56;
}

static inline void wstore(uint8_t *b, uint64_t v)
{
    unsigned k;
    for (k = 0; k < 8; k++) b[k] = (uint8_t)(v >> (8u * k));
}

#endif /* CONSECO_BIT_WORDS_H */
