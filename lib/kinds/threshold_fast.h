/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The threshold shrinker's score on the common model outputs, float32 and
 * 8-bit maps (threshold_fast.c). Same results as the general path of
 * threshold.c, which takes every other case. Internal to lib/.
 */
#ifndef CONSECO_THRESHOLD_FAST_H
#define CONSECO_THRESHOLD_FAST_H

#include "kinds.h"
#include "common/simd.h"
#include "common/yhat.h"

/* 1 if this path takes the map: U8 or MASK8; or F32 with base and top a
 * float can hold. */
int conseco__threshold_fast_applies(const conseco_threshold_params *p, const conseco_image *pred);

/* Bytes of scratch this path needs for a map of this dtype, `width` wide, of
 * `pixels` pixels (slack included); 0 on overflow. threshold.c takes this
 * path only when that fits in its own conseco_scratch_size(), so that the
 * public scratch size does not depend on it (tiny images keep the general
 * path). */
size_t conseco__threshold_fast_scratch_size(int dtype, size_t width, size_t pixels);

/* conseco__threshold_score for maps where it applies; views and tau checked. */
int conseco__threshold_fast_score(const conseco_threshold_params *p, const conseco_image *pred,
                                  const conseco_mask *truth, double tau, void *scratch,
                                  size_t scratch_size, double *score);

/* ------------------------------------------------ float32 keys (also outer.c) */
/* Keys: float bit patterns as unsigned integers in the order of the floats. */
#define CONSECO__KEY_DIGIT_BITS 11u
/* uint32_t buckets conseco__key_select needs */
#define CONSECO__KEY_BUCKETS (1u << CONSECO__KEY_DIGIT_BITS)

/* Order-preserving key of a finite float's bits; -0 and +0 (equal scores)
 * share one. */
static inline uint32_t conseco__key_of(uint32_t u)
{
    u = u == 0x80000000u ? 0u : u;
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float conseco__float_of_key(uint32_t k)
{
    return conseco__bits_f32((k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k);
}

#ifdef CONSECO__SIMD
/* conseco__key_of() on four floats. */
static inline conseco__m128i conseco__keys4(conseco__m128 v)
{
    const conseco__m128i m80 = conseco__mm_set1_epi32(INT32_MIN);
    conseco__m128i u = conseco__mm_castps_si128(v);
    u = conseco__mm_andnot_si128(conseco__mm_cmpeq_epi32(u, m80), u); /* -0 -> +0 */
    return conseco__mm_xor_si128(u, conseco__mm_or_si128(conseco__mm_srai_epi32(u, 31), m80));
}
#endif

/* The r-th smallest (0-based) of keys[0..n), all within [lo, hi], and in
 * *next the smallest key above it (0xFFFFFFFF, no float's key, if none).
 * Overwrites keys; hist: CONSECO__KEY_BUCKETS counters. */
uint32_t conseco__key_select(uint32_t *keys, size_t n, size_t r, uint32_t lo, uint32_t hi,
                            uint32_t *hist, uint32_t *next);

/* The smallest and largest of keys[0..n), n >= 1. */
void conseco__key_range(const uint32_t *keys, size_t n, uint32_t *lo, uint32_t *hi);

/* conseco__key_range that also copies keys[0..n) to dst (not overlapping), in the same pass. */
void conseco__key_copy_range(uint32_t *dst, const uint32_t *keys, size_t n, uint32_t *lo,
                             uint32_t *hi);

/* The smallest of keys[0..n) in (lo, hi], 0xFFFFFFFF (no float's key) if none. */
uint32_t conseco__key_min_between(const uint32_t *keys, size_t n, uint32_t lo, uint32_t hi);

#endif /* CONSECO_THRESHOLD_FAST_H */
