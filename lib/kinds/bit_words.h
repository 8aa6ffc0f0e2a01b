/* SPDX-License-Identifier: Apache-2.0 */
/* Bitmap words of the fused outer paths (outer_fast2d.c, outer_fast3d.c):
 * bit k of byte i is pixel 8 i + k of a row; a word holds bytes 8 j .. 8 j + 7
 * with byte 8 j + b in bits 8 b .. 8 b + 7, whatever the byte order. Also
 * the counts and ends of a word's bits, the packing of byte flags and the
 * words of a row shifted by one pixel. */
#ifndef CONSECO_BIT_WORDS_H
#define CONSECO_BIT_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "common/bits.h"

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

/* Set bits of a word (generic x86-64 has no popcnt). */
static inline unsigned conseco__pop64(uint64_t v)
{
    v = v - ((v >> 1) & UINT64_C(0x5555555555555555));
    v = (v & UINT64_C(0x3333333333333333)) + ((v >> 2) & UINT64_C(0x3333333333333333));
    v = (v + (v >> 4)) & UINT64_C(0x0F0F0F0F0F0F0F0F);
    return (unsigned)((v * UINT64_C(0x0101010101010101)) >> 56);
}

/* Lowest and highest set bit of a nonzero word. */
static inline unsigned conseco__low64(uint64_t v)
{
    const uint32_t lo = (uint32_t)v;
    return lo ? conseco__ctz32(lo) : 32u + conseco__ctz32((uint32_t)(v >> 32));
}

static inline unsigned conseco__high64(uint64_t v)
{
    const uint32_t hi = (uint32_t)(v >> 32);
    return hi ? 63u - conseco__clz32(hi) : 31u - conseco__clz32((uint32_t)v);
}

/* n <= 8 flags (bytes 0/1) to one bitmap byte: bit k = flag k. */
static inline uint8_t conseco__pack_flags(const unsigned char *f, size_t n)
{
    uint64_t v = 0;
    size_t k;
    for (k = 0; k < n; k++) v |= (uint64_t)(f[k] & 1u) << (8u * k);
    return (uint8_t)((v * UINT64_C(0x0102040810204080)) >> 56);
}

/* Flags of pixels from .. w - 1 into a row's bits (from a multiple of 8). */
static inline void conseco__pack_row(const unsigned char *flags, size_t from, size_t w, uint8_t *bm)
{
    size_t x;
    for (x = from; x < w; x += 8)
        bm[x / 8u] = conseco__pack_flags(flags + x, w - x < 8u ? w - x : 8u);
}

/* Word i of a row of w pixels (nw words) shifted by one pixel: bit x of the
 * result is bit x - 1 (shl) or x + 1 (shr) of the row, with `fill` (0 or 1)
 * beyond the row's left (right) end. */
static inline uint64_t conseco__shl_row(const uint8_t *row, size_t i, uint64_t fill)
{
    return wload(row + 8u * i) << 1 | (i > 0 ? wload(row + 8u * i - 8u) >> 63 : fill);
}

static inline uint64_t conseco__shr_row(const uint8_t *row, size_t i, size_t nw, size_t w,
                                        uint64_t fill)
{
    uint64_t v = wload(row + 8u * i) >> 1;
    if (i + 1 < nw) v |= wload(row + 8u * i + 8u) << 63;
    if (i == (w - 1u) / 64u) { /* pixel w - 1: its right neighbour is outside */
        const unsigned b = (unsigned)((w - 1u) % 64u);
        v = (v & ~(UINT64_C(1) << b)) | fill << b;
    }
    return v;
}

#endif /* CONSECO_BIT_WORDS_H */
