/*
 * Ground floor: the one platform switch of lib/ for vector code.
 *
 *   CONSECO__SSE2  x86-64 with SSE2: gcc/clang (__SSE2__, every x86-64) and
 *                  MSVC (_M_X64/_M_AMD64, where SSE2 is always there); also
 *                  32-bit x86 built with -msse2.
 *   CONSECO__NEON  aarch64 (<arm_neon.h>): detected, but the vector paths of
 *                  the kinds are written against the SSE2 helpers below and
 *                  have no NEON port yet, so aarch64 takes the plain C code
 *                  (same results, measured slower on the float32 fast paths).
 *   neither        plain C: CONSECO_NO_SIMD, freestanding builds (emmintrin.h
 *                  pulls in stdlib.h) and every other target.
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
#elif defined(__aarch64__) || defined(_M_ARM64)
#define CONSECO__NEON 1 /* detected only: see above */
#endif
#endif

#ifdef CONSECO__SSE2
#include <emmintrin.h>
#include <stddef.h>
#include <stdint.h>

/* Maps are prefetched this far ahead of their reading: on maps that stream
 * from memory the hardware prefetcher alone falls behind. */
#define CONSECO__PREFETCH_AHEAD 4096u

/* Prefetches p + ahead. Integer arithmetic: the address may lie past the
 * buffer (a prefetch never faults). */
static inline void conseco__prefetch(const void *p, size_t ahead)
{
    _mm_prefetch((const char *)(uintptr_t)((uintptr_t)p + ahead), _MM_HINT_T0);
}

/* Loads the 16 floats at s into v[0..3], folds them into the running
 * minimum *vmin and returns nonzero if any is not below vb: in Yhat, or NaN
 * or +inf, which the exact test that follows reports. -inf is below vb and
 * shows in the minimum instead (conseco__f32_min_is_neg_inf); min() may
 * drop -inf only for a NaN, itself caught. */
static inline int conseco__f32x16_maybe_in(const float *s, __m128 vb, __m128 v[4], __m128 *vmin)
{
    v[0] = _mm_loadu_ps(s);
    v[1] = _mm_loadu_ps(s + 4);
    v[2] = _mm_loadu_ps(s + 8);
    v[3] = _mm_loadu_ps(s + 12);
    *vmin = _mm_min_ps(*vmin, _mm_min_ps(_mm_min_ps(v[0], v[1]), _mm_min_ps(v[2], v[3])));
    return _mm_movemask_ps(_mm_or_ps(_mm_or_ps(_mm_cmpnlt_ps(v[0], vb), _mm_cmpnlt_ps(v[1], vb)),
                                     _mm_or_ps(_mm_cmpnlt_ps(v[2], vb), _mm_cmpnlt_ps(v[3], vb))));
}

/* Nonzero if a lane of the running minimum is -inf. */
static inline int conseco__f32_min_is_neg_inf(__m128 vmin)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi32(_mm_castps_si128(vmin), _mm_set1_epi32(-0x800000)));
}
#endif /* CONSECO__SSE2 */

#endif /* CONSECO_SIMD_H */
