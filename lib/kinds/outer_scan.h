/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pieces of the first pass over the score map and the truth of the outer
 * paths on volumes (outer_fast3d.c, outer_euclid.c): Yhat's threshold in
 * each dtype's own terms, the test of one pixel, the Yhat and truth bits of
 * sixteen pixels at a time, the bounding boxes grown row by row, and a
 * row's Yhat and truth bitmaps (bit_words.h; outer_fast3d.c).
 * Internal to lib/kinds.
 */
#ifndef CONSECO_OUTER_SCAN_H
#define CONSECO_OUTER_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "bit_words.h"
#include "common/simd.h"
#include "common/yhat.h"

/* Yhat = {s >= base} as one comparison per dtype (yhat.h). */
typedef struct conseco__outer_thr {
    double base; /* F64 */
    float f32;   /* F32: the smallest float >= base */
    uint32_t i;  /* U8, U16, MASK8 (as 0/1): the smallest value >= base */
} conseco__outer_thr;

/* The threshold of a map of dtype; base finite with |base| < 3e38. */
static inline void conseco__outer_thr_init(conseco__outer_thr *t, int dtype, double base)
{
    t->base = base;
    t->f32 = dtype == CONSECO_DTYPE_F32 ? conseco__f32_at_least(base) : 0.0f;
    switch (dtype) {
    case CONSECO_DTYPE_U8: t->i = conseco__int_at_least(base, 255u); break;
    case CONSECO_DTYPE_U16: t->i = conseco__int_at_least(base, 65535u); break;
    case CONSECO_DTYPE_MASK8: t->i = conseco__int_at_least(base, 1u); break;
    default: t->i = 0; break;
    }
}

/* Pixel x of a row in Yhat; clears *ok on a float NaN or infinity. */
static inline int conseco__outer_in(int dtype, const unsigned char *row, size_t x,
                                    const conseco__outer_thr *t, unsigned *ok)
{
    switch (dtype) {
    case CONSECO_DTYPE_F32: {
        const float s = ((const float *)(const void *)row)[x];
        *ok &= (unsigned)(s - s == 0.0f);
        return s >= t->f32;
    }
    case CONSECO_DTYPE_F64: {
        const double s = ((const double *)(const void *)row)[x];
        *ok &= (unsigned)(s - s == 0.0);
        return s >= t->base;
    }
    case CONSECO_DTYPE_U16: return (uint32_t)((const uint16_t *)(const void *)row)[x] >= t->i;
    case CONSECO_DTYPE_MASK8: return (uint32_t)(row[x] != 0) >= t->i;
    default: return (uint32_t)row[x] >= t->i;
    }
}

/* Grows the box lo .. hi (per axis) by voxels x0 .. x1 of row (y, z). */
static inline void conseco__outer_grow(size_t lo[3], size_t hi[3], size_t x0, size_t x1, size_t y,
                                       size_t z)
{
    if (x0 < lo[0]) lo[0] = x0;
    if (x1 > hi[0]) hi[0] = x1;
    if (y < lo[1]) lo[1] = y;
    if (y > hi[1]) hi[1] = y;
    if (z < lo[2]) lo[2] = z;
    if (z > hi[2]) hi[2] = z;
}

#ifdef CONSECO__SIMD
/* Bit k: value k of the sixteen float32 values v (as conseco__f32x16_maybe_in
 * loaded them) is at or above vb. Their NaN and infinities go into *bad
 * (v - v is 0 in finite lanes, NaN otherwise). */
static inline unsigned conseco__f32x16_bits(const conseco__m128 v[4], conseco__m128 vb,
                                            conseco__m128 *bad)
{
    *bad = conseco__mm_or_ps(
        *bad, conseco__mm_or_ps(conseco__mm_or_ps(conseco__mm_sub_ps(v[0], v[0]),
                                                  conseco__mm_sub_ps(v[1], v[1])),
                                conseco__mm_or_ps(conseco__mm_sub_ps(v[2], v[2]),
                                                  conseco__mm_sub_ps(v[3], v[3]))));
    return (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[0], vb)) |
           (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[1], vb)) << 4 |
           (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[2], vb)) << 8 |
           (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[3], vb)) << 12;
}

/* Nonzero if a NaN or an infinity went into `bad` (conseco__f32x16_bits). */
static inline int conseco__f32_bad(conseco__m128 bad)
{
    return conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi32(conseco__mm_castps_si128(bad),
                                                             conseco__mm_setzero_si128())) !=
           0xFFFF;
}

/* Bit k: unsigned byte k from p is at or above the byte of vt (all lanes
 * the threshold): v >= thr <=> max(v, thr) == v. */
static inline unsigned conseco__u8x16_bits(const unsigned char *p, conseco__m128i vt)
{
    const conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)p);
    return (unsigned)conseco__mm_movemask_epi8(
        conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, vt), v));
}

/* Bit k: byte k from p is nonzero. */
static inline unsigned conseco__nonzero16_bits(const uint8_t *p)
{
    const conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)p);
    return (unsigned)conseco__mm_movemask_epi8(
               conseco__mm_cmpeq_epi8(v, conseco__mm_setzero_si128())) ^
           0xFFFFu;
}
#endif /* CONSECO__SIMD */

/* ------------------------------------------------------------ row bitmaps */
/* flags[x] = pixel x in Yhat for from <= x < w; clears *finite on NaN / inf.
 * One loop per dtype, so that the test's switch folds away. */
static inline void conseco__outer_yhat_flags(int dtype, const unsigned char *row, size_t from,
                                             size_t w, const conseco__outer_thr *t,
                                             unsigned char *flags, int *finite)
{
    size_t x;
    unsigned ok = 1;
    switch (dtype) {
    case CONSECO_DTYPE_F32:
        for (x = from; x < w; x++)
            flags[x] = (unsigned char)conseco__outer_in(CONSECO_DTYPE_F32, row, x, t, &ok);
        break;
    case CONSECO_DTYPE_F64:
        for (x = from; x < w; x++)
            flags[x] = (unsigned char)conseco__outer_in(CONSECO_DTYPE_F64, row, x, t, &ok);
        break;
    case CONSECO_DTYPE_U16:
        for (x = from; x < w; x++)
            flags[x] = (unsigned char)conseco__outer_in(CONSECO_DTYPE_U16, row, x, t, &ok);
        break;
    case CONSECO_DTYPE_MASK8:
        for (x = from; x < w; x++)
            flags[x] = (unsigned char)conseco__outer_in(CONSECO_DTYPE_MASK8, row, x, t, &ok);
        break;
    default:
        for (x = from; x < w; x++)
            flags[x] = (unsigned char)conseco__outer_in(CONSECO_DTYPE_U8, row, x, t, &ok);
        break;
    }
    if (!ok) *finite = 0;
}

/* The Yhat bits of one row of w pixels (bytes up to rbp, the padding 0;
 * flags: w bytes of room); clears *finite on NaN / inf. Float32: groups of
 * 16 with nothing at or above the threshold (nor NaN, nor +inf) cost a few
 * vector instructions; -inf shows in the running minimum *vmin instead
 * (the caller tests it, conseco__f32_min_is_neg_inf). stream: the map
 * streams from memory (volumes), so float32 rows are prefetched ahead; on
 * 2-D maps that costs more than it saves (A/B on 352 x 352 float32 maps). */
static inline void conseco__outer_yhat_bits(int dtype, const unsigned char *row, size_t w,
                                            size_t rbp, const conseco__outer_thr *t, uint8_t *bm,
                                            unsigned char *flags, int *finite, int stream
#ifdef CONSECO__SIMD
                                            , conseco__m128 *vmin
#endif
)
{
    size_t x = 0, k;
#ifdef CONSECO__SIMD
    if (dtype == CONSECO_DTYPE_F32) {
        const float *s = (const float *)(const void *)row;
        const conseco__m128 vb = conseco__mm_set1_ps(t->f32);
        conseco__m128 v[4], bad = conseco__mm_setzero_ps();
        for (; x + 16 <= w; x += 16) {
            unsigned m;
            if (stream) conseco__prefetch(s + x, CONSECO__PREFETCH_AHEAD);
            if (!conseco__f32x16_maybe_in(s + x, vb, v, vmin)) {
                bm[x / 8u] = 0;
                bm[x / 8u + 1u] = 0;
                continue;
            }
            m = conseco__f32x16_bits(v, vb, &bad);
            bm[x / 8u] = (uint8_t)m;
            bm[x / 8u + 1u] = (uint8_t)(m >> 8);
        }
        if (conseco__f32_bad(bad)) *finite = 0;
    } else if ((dtype == CONSECO_DTYPE_U8 && t->i >= 1u && t->i <= 255u) ||
               (dtype == CONSECO_DTYPE_MASK8 && t->i == 1u)) {
        /* unsigned bytes; a mask's nonzero is >= 1 */
        const conseco__m128i vt = conseco__mm_set1_epi8((char)(unsigned char)t->i);
        for (; x + 16 <= w; x += 16) {
            const unsigned m = conseco__u8x16_bits(row + x, vt);
            bm[x / 8u] = (uint8_t)m;
            bm[x / 8u + 1u] = (uint8_t)(m >> 8);
        }
    }
#else
    (void)stream;
#endif
    if (x < w) {
        conseco__outer_yhat_flags(dtype, row, x, w, t, flags, finite);
        conseco__pack_row(flags, x, w, bm);
    }
    for (k = (w + 7u) / 8u; k < rbp; k++) bm[k] = 0;
}

/* The truth bits of one row (nonzero = truth). */
static inline void conseco__outer_truth_bits(const uint8_t *tr, size_t w, size_t rbp,
                                             uint8_t *bm, unsigned char *flags)
{
    size_t x = 0, k;
#ifdef CONSECO__SIMD
    for (; x + 16 <= w; x += 16) {
        const unsigned m = conseco__nonzero16_bits(tr + x);
        bm[x / 8u] = (uint8_t)m;
        bm[x / 8u + 1u] = (uint8_t)(m >> 8);
    }
#endif
    if (x < w) {
        for (k = x; k < w; k++) flags[k] = (unsigned char)(tr[k] != 0);
        conseco__pack_row(flags, x, w, bm);
    }
    for (k = (w + 7u) / 8u; k < rbp; k++) bm[k] = 0;
}

#endif /* CONSECO_OUTER_SCAN_H */
