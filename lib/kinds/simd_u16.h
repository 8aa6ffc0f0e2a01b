/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 16-bit lane helpers shared by the cross transforms with 16-bit distances
 * (erosion_cross2d.c, erosion_cross3d.c, outer_fast2d.c): an unsigned min with SSE2 only and
 * an 8 x 8 transpose, through the SSE2/NEON layer of common/simd.h.
 * Internal to lib/kinds.
 */
#ifndef CONSECO_SIMD_U16_H
#define CONSECO_SIMD_U16_H

#include "common/simd.h"

#ifdef CONSECO__SIMD
/* min of unsigned 16-bit lanes with SSE2 only: a - max(a - b, 0) */
static inline conseco__m128i conseco__min_u16(conseco__m128i a, conseco__m128i b)
{
    return conseco__mm_sub_epi16(a, conseco__mm_subs_epu16(a, b));
}

/* 8 x 8 transpose of 16-bit lanes: v[i] lane j <-> v[j] lane i. */
static inline void conseco__transpose8_u16(conseco__m128i v[8])
{
    const conseco__m128i a0 = conseco__mm_unpacklo_epi16(v[0], v[1]), a1 = conseco__mm_unpackhi_epi16(v[0], v[1]);
    const conseco__m128i a2 = conseco__mm_unpacklo_epi16(v[2], v[3]), a3 = conseco__mm_unpackhi_epi16(v[2], v[3]);
    const conseco__m128i a4 = conseco__mm_unpacklo_epi16(v[4], v[5]), a5 = conseco__mm_unpackhi_epi16(v[4], v[5]);
    const conseco__m128i a6 = conseco__mm_unpacklo_epi16(v[6], v[7]), a7 = conseco__mm_unpackhi_epi16(v[6], v[7]);
    const conseco__m128i b0 = conseco__mm_unpacklo_epi32(a0, a2), b1 = conseco__mm_unpackhi_epi32(a0, a2);
    const conseco__m128i b2 = conseco__mm_unpacklo_epi32(a1, a3), b3 = conseco__mm_unpackhi_epi32(a1, a3);
    const conseco__m128i b4 = conseco__mm_unpacklo_epi32(a4, a6), b5 = conseco__mm_unpackhi_epi32(a4, a6);
    const conseco__m128i b6 = conseco__mm_unpacklo_epi32(a5, a7), b7 = conseco__mm_unpackhi_epi32(a5, a7);
    v[0] = conseco__mm_unpacklo_epi64(b0, b4);
    v[1] = conseco__mm_unpackhi_epi64(b0, b4);
    v[2] = conseco__mm_unpacklo_epi64(b1, b5);
    v[3] = conseco__mm_unpackhi_epi64(b1, b5);
    v[4] = conseco__mm_unpacklo_epi64(b2, b6);
    v[5] = conseco__mm_unpackhi_epi64(b2, b6);
    v[6] = conseco__mm_unpacklo_epi64(b3, b7);
    v[7] = conseco__mm_unpackhi_epi64(b3, b7);
}
#endif /* CONSECO__SIMD */

#endif /* CONSECO_SIMD_U16_H */
