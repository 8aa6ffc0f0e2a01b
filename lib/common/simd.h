/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ground floor: the one platform switch of lib/ for vector code.
 *
 *   CONSECO__SSE2  x86-64 with SSE2: gcc/clang (__SSE2__, every x86-64) and
 *                  MSVC (_M_X64/_M_AMD64, where SSE2 is always there); also
 *                  32-bit x86 built with -msse2.
 *   CONSECO__NEON  aarch64 with <arm_neon.h> (NEON is part of ARMv8-A).
 *   CONSECO__SIMD  either of them: the kinds' vector paths are written once
 *                  against the conseco__mm_* helpers below, which are the
 *                  SSE2 intrinsics themselves on x86-64 and exact NEON
 *                  equivalents on aarch64 (same lanes, same NaN rules, same
 *                  saturation), so every result is the same on both.
 *   neither        plain C, same results: CONSECO_NO_SIMD, freestanding
 *                  builds (the intrinsic headers pull in libc) and every
 *                  other target.
 *
 * Also the prefetch and the test that lets a group of 16 float32 pixels with
 * no pixel in Yhat be skipped (threshold_fast.c, erosion_cross2d.c).
 * Internal to lib/.
 */
#ifndef CONSECO_SIMD_H
#define CONSECO_SIMD_H

#if !defined(CONSECO_NO_SIMD) && !(defined(CONSECO_FREESTANDING) && CONSECO_FREESTANDING)
#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)
#define CONSECO__SSE2 1
#define CONSECO__SIMD 1
#elif (defined(__aarch64__) || defined(_M_ARM64)) && !defined(__ARM_BIG_ENDIAN)
#define CONSECO__NEON 1
#define CONSECO__SIMD 1
#endif
#endif

#ifdef CONSECO__SIMD
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef CONSECO__SSE2
#include <emmintrin.h>
typedef __m128i conseco__m128i;
typedef __m128 conseco__m128;
#define conseco__mm_loadu_si128 _mm_loadu_si128
#define conseco__mm_storeu_si128 _mm_storeu_si128
#define conseco__mm_movemask_epi8 _mm_movemask_epi8
#define conseco__mm_cmpeq_epi8 _mm_cmpeq_epi8
#define conseco__mm_cmpeq_epi16 _mm_cmpeq_epi16
#define conseco__mm_cmpeq_epi32 _mm_cmpeq_epi32
#define conseco__mm_cmpgt_epi32 _mm_cmpgt_epi32
#define conseco__mm_cmplt_epi32 _mm_cmplt_epi32
#define conseco__mm_setzero_si128 _mm_setzero_si128
#define conseco__mm_set1_epi8 _mm_set1_epi8
#define conseco__mm_set1_epi16 _mm_set1_epi16
#define conseco__mm_set1_epi32 _mm_set1_epi32
#define conseco__mm_set_epi16 _mm_set_epi16
#define conseco__mm_and_si128 _mm_and_si128
#define conseco__mm_andnot_si128 _mm_andnot_si128
#define conseco__mm_or_si128 _mm_or_si128
#define conseco__mm_xor_si128 _mm_xor_si128
#define conseco__mm_add_epi32 _mm_add_epi32
#define conseco__mm_sub_epi16 _mm_sub_epi16
#define conseco__mm_adds_epu16 _mm_adds_epu16
#define conseco__mm_subs_epu16 _mm_subs_epu16
#define conseco__mm_max_epu8 _mm_max_epu8
#define conseco__mm_min_epu8 _mm_min_epu8
#define conseco__mm_srai_epi32 _mm_srai_epi32
#define conseco__mm_packs_epi32 _mm_packs_epi32
#define conseco__mm_packs_epi16 _mm_packs_epi16
#define conseco__mm_unpacklo_epi16 _mm_unpacklo_epi16
#define conseco__mm_unpackhi_epi16 _mm_unpackhi_epi16
#define conseco__mm_unpacklo_epi32 _mm_unpacklo_epi32
#define conseco__mm_unpackhi_epi32 _mm_unpackhi_epi32
#define conseco__mm_unpacklo_epi64 _mm_unpacklo_epi64
#define conseco__mm_unpackhi_epi64 _mm_unpackhi_epi64
#define conseco__mm_castps_si128 _mm_castps_si128
#define conseco__mm_loadu_ps _mm_loadu_ps
#define conseco__mm_storeu_ps _mm_storeu_ps
#define conseco__mm_set1_ps _mm_set1_ps
#define conseco__mm_setzero_ps _mm_setzero_ps
#define conseco__mm_or_ps _mm_or_ps
#define conseco__mm_sub_ps _mm_sub_ps
#define conseco__mm_min_ps _mm_min_ps
#define conseco__mm_max_ps _mm_max_ps
#define conseco__mm_cmpge_ps _mm_cmpge_ps
#define conseco__mm_cmpnlt_ps _mm_cmpnlt_ps
#define conseco__mm_movemask_ps _mm_movemask_ps
static inline void conseco__prefetch_at(const void *p)
{
    _mm_prefetch((const char *)p, _MM_HINT_T0);
}
/* Two doubles (the smooth shrinker's blur): plain IEEE multiply and add per
 * lane, the same bits as the C expressions (never fused). */
typedef __m128d conseco__m128d;
#define conseco__mm_set1_pd _mm_set1_pd
#define conseco__mm_add_pd _mm_add_pd
#define conseco__mm_mul_pd _mm_mul_pd
#define conseco__mm_loadu_pd _mm_loadu_pd
#define conseco__mm_storeu_pd _mm_storeu_pd
/* (a[1], b[0]): the pair between two adjacent pairs */
#define conseco__mm_mid_pd(a, b) _mm_shuffle_pd((a), (b), 1)
/* Order-preserving keys of two doubles (no NaN): ~u if negative, else u with
 * the sign bit set; u the bits of the double. */
static inline __m128i conseco__pd_keys(__m128d v)
{
    const __m128i u = _mm_castpd_si128(v);
    const __m128i neg = _mm_shuffle_epi32(_mm_srai_epi32(u, 31), _MM_SHUFFLE(3, 3, 1, 1));
    return _mm_xor_si128(u, _mm_or_si128(neg, _mm_set_epi32((int)0x80000000, 0,
                                                             (int)0x80000000, 0)));
}
/* The 2 floats at p, exactly, as doubles (one cvtps2pd from memory). */
static inline conseco__m128d conseco__f32x2_to_pd(const float *p)
{
    return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p)));
}
#endif /* CONSECO__SSE2 */

#ifdef CONSECO__NEON
#include <arm_neon.h>
/* Integer vectors are kept as 16 bytes and reinterpreted per operation. */
typedef uint8x16_t conseco__m128i;
typedef float32x4_t conseco__m128;
#define CONSECO__U16(v) vreinterpretq_u16_u8(v)
#define CONSECO__S16(v) vreinterpretq_s16_u8(v)
#define CONSECO__U32(v) vreinterpretq_u32_u8(v)
#define CONSECO__S32(v) vreinterpretq_s32_u8(v)
#define CONSECO__U64(v) vreinterpretq_u64_u8(v)

static inline conseco__m128i conseco__mm_loadu_si128(const conseco__m128i *p)
{
    return vld1q_u8((const uint8_t *)(const void *)p);
}
static inline void conseco__mm_storeu_si128(conseco__m128i *p, conseco__m128i v)
{
    vst1q_u8((uint8_t *)(void *)p, v);
}
/* bit k = top bit of byte k */
static inline int conseco__mm_movemask_epi8(conseco__m128i v)
{
    static const int8_t shift[16] = {0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7};
    const uint8x16_t bits = vshlq_u8(vshrq_n_u8(v, 7), vld1q_s8(shift));
    return (int)((unsigned)vaddv_u8(vget_low_u8(bits)) |
                 ((unsigned)vaddv_u8(vget_high_u8(bits)) << 8));
}
static inline conseco__m128i conseco__mm_cmpeq_epi8(conseco__m128i a, conseco__m128i b)
{
    return vceqq_u8(a, b);
}
static inline conseco__m128i conseco__mm_cmpeq_epi16(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u16(vceqq_u16(CONSECO__U16(a), CONSECO__U16(b)));
}
static inline conseco__m128i conseco__mm_cmpeq_epi32(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u32(vceqq_u32(CONSECO__U32(a), CONSECO__U32(b)));
}
static inline conseco__m128i conseco__mm_cmpgt_epi32(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u32(vcgtq_s32(CONSECO__S32(a), CONSECO__S32(b)));
}
static inline conseco__m128i conseco__mm_cmplt_epi32(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u32(vcltq_s32(CONSECO__S32(a), CONSECO__S32(b)));
}
static inline conseco__m128i conseco__mm_setzero_si128(void) { return vdupq_n_u8(0); }
static inline conseco__m128i conseco__mm_set1_epi8(char v) { return vdupq_n_u8((uint8_t)v); }
static inline conseco__m128i conseco__mm_set1_epi16(short v)
{
    return vreinterpretq_u8_s16(vdupq_n_s16(v));
}
static inline conseco__m128i conseco__mm_set1_epi32(int v)
{
    return vreinterpretq_u8_s32(vdupq_n_s32(v));
}
/* lanes from the last argument (lane 0) to the first (lane 7), as SSE2 */
static inline conseco__m128i conseco__mm_set_epi16(short e7, short e6, short e5, short e4,
                                                   short e3, short e2, short e1, short e0)
{
    const int16_t lanes[8] = {e0, e1, e2, e3, e4, e5, e6, e7};
    return vreinterpretq_u8_s16(vld1q_s16(lanes));
}
static inline conseco__m128i conseco__mm_and_si128(conseco__m128i a, conseco__m128i b)
{
    return vandq_u8(a, b);
}
/* (~a) & b */
static inline conseco__m128i conseco__mm_andnot_si128(conseco__m128i a, conseco__m128i b)
{
    return vbicq_u8(b, a);
}
static inline conseco__m128i conseco__mm_or_si128(conseco__m128i a, conseco__m128i b)
{
    return vorrq_u8(a, b);
}
static inline conseco__m128i conseco__mm_xor_si128(conseco__m128i a, conseco__m128i b)
{
    return veorq_u8(a, b);
}
static inline conseco__m128i conseco__mm_add_epi32(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u32(vaddq_u32(CONSECO__U32(a), CONSECO__U32(b))); /* wraps */
}
static inline conseco__m128i conseco__mm_sub_epi16(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u16(vsubq_u16(CONSECO__U16(a), CONSECO__U16(b))); /* wraps */
}
static inline conseco__m128i conseco__mm_adds_epu16(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u16(vqaddq_u16(CONSECO__U16(a), CONSECO__U16(b)));
}
static inline conseco__m128i conseco__mm_subs_epu16(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u16(vqsubq_u16(CONSECO__U16(a), CONSECO__U16(b)));
}
static inline conseco__m128i conseco__mm_max_epu8(conseco__m128i a, conseco__m128i b)
{
    return vmaxq_u8(a, b);
}
static inline conseco__m128i conseco__mm_min_epu8(conseco__m128i a, conseco__m128i b)
{
    return vminq_u8(a, b);
}
/* arithmetic shift right by an immediate */
#define conseco__mm_srai_epi32(v, n) vreinterpretq_u8_s32(vshrq_n_s32(CONSECO__S32(v), (n)))
/* signed saturation to the narrower lanes, a's lanes first */
static inline conseco__m128i conseco__mm_packs_epi32(conseco__m128i a, conseco__m128i b)
{
    const int16x8_t ab = vcombine_s16(vqmovn_s32(CONSECO__S32(a)), vqmovn_s32(CONSECO__S32(b)));
    return vreinterpretq_u8_s16(ab);
}
static inline conseco__m128i conseco__mm_packs_epi16(conseco__m128i a, conseco__m128i b)
{
    const int8x16_t ab = vcombine_s8(vqmovn_s16(CONSECO__S16(a)), vqmovn_s16(CONSECO__S16(b)));
    return vreinterpretq_u8_s8(ab);
}
static inline conseco__m128i conseco__mm_unpacklo_epi16(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u16(vzip1q_u16(CONSECO__U16(a), CONSECO__U16(b)));
}
static inline conseco__m128i conseco__mm_unpackhi_epi16(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u16(vzip2q_u16(CONSECO__U16(a), CONSECO__U16(b)));
}
static inline conseco__m128i conseco__mm_unpacklo_epi32(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u32(vzip1q_u32(CONSECO__U32(a), CONSECO__U32(b)));
}
static inline conseco__m128i conseco__mm_unpackhi_epi32(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u32(vzip2q_u32(CONSECO__U32(a), CONSECO__U32(b)));
}
static inline conseco__m128i conseco__mm_unpacklo_epi64(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u64(vzip1q_u64(CONSECO__U64(a), CONSECO__U64(b)));
}
static inline conseco__m128i conseco__mm_unpackhi_epi64(conseco__m128i a, conseco__m128i b)
{
    return vreinterpretq_u8_u64(vzip2q_u64(CONSECO__U64(a), CONSECO__U64(b)));
}
static inline conseco__m128i conseco__mm_castps_si128(conseco__m128 v)
{
    return vreinterpretq_u8_f32(v);
}
static inline conseco__m128 conseco__mm_loadu_ps(const float *p) { return vld1q_f32(p); }
static inline void conseco__mm_storeu_ps(float *p, conseco__m128 v) { vst1q_f32(p, v); }
static inline conseco__m128 conseco__mm_set1_ps(float v) { return vdupq_n_f32(v); }
static inline conseco__m128 conseco__mm_setzero_ps(void) { return vdupq_n_f32(0.0f); }
static inline conseco__m128 conseco__mm_or_ps(conseco__m128 a, conseco__m128 b)
{
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(a), vreinterpretq_u32_f32(b)));
}
static inline conseco__m128 conseco__mm_sub_ps(conseco__m128 a, conseco__m128 b)
{
    return vsubq_f32(a, b);
}
/* SSE2's rule: a < b ? a : b (b when either is NaN), not vminq's */
static inline conseco__m128 conseco__mm_min_ps(conseco__m128 a, conseco__m128 b)
{
    return vbslq_f32(vcltq_f32(a, b), a, b);
}
/* SSE2's rule: a > b ? a : b (b when either is NaN), not vmaxq's */
static inline conseco__m128 conseco__mm_max_ps(conseco__m128 a, conseco__m128 b)
{
    return vbslq_f32(vcgtq_f32(a, b), a, b);
}
static inline conseco__m128 conseco__mm_cmpge_ps(conseco__m128 a, conseco__m128 b)
{
    return vreinterpretq_f32_u32(vcgeq_f32(a, b)); /* false on NaN, as SSE2 */
}
/* !(a < b): true on NaN, as SSE2 */
static inline conseco__m128 conseco__mm_cmpnlt_ps(conseco__m128 a, conseco__m128 b)
{
    return vreinterpretq_f32_u32(vmvnq_u32(vcltq_f32(a, b)));
}
/* bit k = sign bit of lane k */
static inline int conseco__mm_movemask_ps(conseco__m128 v)
{
    static const int32_t shift[4] = {0, 1, 2, 3};
    const uint32x4_t bits =
        vshlq_u32(vshrq_n_u32(vreinterpretq_u32_f32(v), 31), vld1q_s32(shift));
    return (int)vaddvq_u32(bits);
}
/* Two doubles: vmulq/vaddq are plain IEEE operations per lane; the files
 * using them switch contraction into fmla off (smooth_levels.c). */
typedef float64x2_t conseco__m128d;
static inline conseco__m128d conseco__mm_set1_pd(double v) { return vdupq_n_f64(v); }
static inline conseco__m128d conseco__mm_add_pd(conseco__m128d a, conseco__m128d b)
{
    return vaddq_f64(a, b);
}
static inline conseco__m128d conseco__mm_mul_pd(conseco__m128d a, conseco__m128d b)
{
    return vmulq_f64(a, b);
}
static inline conseco__m128d conseco__mm_loadu_pd(const double *p) { return vld1q_f64(p); }
static inline void conseco__mm_storeu_pd(double *p, conseco__m128d v) { vst1q_f64(p, v); }
static inline conseco__m128d conseco__mm_mid_pd(conseco__m128d a, conseco__m128d b)
{
    return vextq_f64(a, b, 1);
}
static inline conseco__m128i conseco__pd_keys(conseco__m128d v)
{
    const uint64x2_t u = vreinterpretq_u64_f64(v);
    const uint64x2_t neg = vreinterpretq_u64_s64(vshrq_n_s64(vreinterpretq_s64_f64(v), 63));
    return vreinterpretq_u8_u64(veorq_u64(u, vorrq_u64(neg, vdupq_n_u64(UINT64_C(1) << 63))));
}
static inline conseco__m128d conseco__f32x2_to_pd(const float *p)
{
    return vcvt_f64_f32(vld1_f32(p));
}
static inline void conseco__prefetch_at(const void *p)
{
#if defined(__GNUC__) || defined(__clang__)
    __builtin_prefetch(p);
#else
    (void)p;
#endif
}
#endif /* CONSECO__NEON */

#ifdef CONSECO__SIMD
/* Maps are prefetched this far ahead of their reading: on maps that stream
 * from memory the hardware prefetcher alone falls behind. */
#define CONSECO__PREFETCH_AHEAD 4096u

/* Prefetches p + ahead. Integer arithmetic: the address may lie past the
 * buffer (a prefetch never faults). */
static inline void conseco__prefetch(const void *p, size_t ahead)
{
    conseco__prefetch_at((const void *)(uintptr_t)((uintptr_t)p + ahead));
}

/* Loads the 16 floats at s into v[0..3], folds them into the running
 * minimum *vmin and returns nonzero if any is not below vb: in Yhat, or NaN
 * or +inf, which the exact test that follows reports. -inf is below vb and
 * shows in the minimum instead (conseco__f32_min_is_neg_inf); min() may
 * drop -inf only for a NaN, itself caught. */
static inline int conseco__f32x16_maybe_in(const float *s, conseco__m128 vb, conseco__m128 v[4],
                                           conseco__m128 *vmin)
{
    conseco__m128 lo, hi;
    v[0] = conseco__mm_loadu_ps(s);
    v[1] = conseco__mm_loadu_ps(s + 4);
    v[2] = conseco__mm_loadu_ps(s + 8);
    v[3] = conseco__mm_loadu_ps(s + 12);
    lo = conseco__mm_min_ps(v[0], v[1]);
    hi = conseco__mm_min_ps(v[2], v[3]);
    *vmin = conseco__mm_min_ps(*vmin, conseco__mm_min_ps(lo, hi));
    lo = conseco__mm_or_ps(conseco__mm_cmpnlt_ps(v[0], vb), conseco__mm_cmpnlt_ps(v[1], vb));
    hi = conseco__mm_or_ps(conseco__mm_cmpnlt_ps(v[2], vb), conseco__mm_cmpnlt_ps(v[3], vb));
    return conseco__mm_movemask_ps(conseco__mm_or_ps(lo, hi));
}

/* Nonzero if a lane of the running minimum is -inf. */
static inline int conseco__f32_min_is_neg_inf(conseco__m128 vmin)
{
    const conseco__m128i neg_inf = conseco__mm_set1_epi32(-0x800000);
    return conseco__mm_movemask_epi8(
        conseco__mm_cmpeq_epi32(conseco__mm_castps_si128(vmin), neg_inf));
}
#endif /* CONSECO__SIMD */

#endif /* CONSECO_SIMD_H */
