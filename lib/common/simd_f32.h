/*
 * SSE2 pieces shared by the float32 fast paths (threshold_fast.c,
 * erosion_cross2d.c): when to use SSE2, the prefetch, and the test that lets
 * a group of 16 pixels with no pixel in Yhat be skipped. Internal to lib/.
 */
#ifndef CONSECO_SIMD_F32_H
#define CONSECO_SIMD_F32_H

/* SSE2 (every x86-64); plain C elsewhere, same results. Freestanding builds
 * and CONSECO_NO_SIMD take the plain C code (emmintrin.h pulls in stdlib.h). */
#if defined(__SSE2__) && !defined(CONSECO_NO_SIMD) && \
    !(defined(CONSECO_FREESTANDING) && CONSECO_FREESTANDING)
#define CONSECO__SSE2 1
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
#endif

#endif
