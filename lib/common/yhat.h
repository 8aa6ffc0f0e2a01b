/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ground floor: the one test "pixel in Yhat" (score >= base, docs/DESIGN.md
 * section 1) and its exact forms per element type, so that every kind and
 * every fast path decides membership the same way:
 *   any dtype    conseco__in_yhat(): the pixel's score as a double >= base
 *   float32      s >= conseco__f32_at_least(base)  <=>  (double)s >= base
 *   integer      v >= conseco__int_at_least(base, top) <=> v / top >= base
 * Internal to lib/.
 */
#ifndef CONSECO_YHAT_H
#define CONSECO_YHAT_H

#include "views.h"

/* Pixel x of a row is in Yhat = {s >= base} (NaN is not). */
static inline int conseco__in_yhat(int dtype, const unsigned char *row, size_t x, double base)
{
    return conseco__pixel(dtype, row, x) >= base;
}

static inline uint32_t conseco__f32_bits(float f)
{
    uint32_t u;
    CONSECO_memcpy(&u, &f, sizeof u);
    return u;
}

static inline float conseco__bits_f32(uint32_t u)
{
    float f;
    CONSECO_memcpy(&f, &u, sizeof f);
    return f;
}

/* One float step up (up != 0) or down from a finite float. */
static inline float conseco__f32_step(float f, int up)
{
    uint32_t u = conseco__f32_bits(f);
    if (f == 0.0f) return conseco__bits_f32(up ? 1u : 0x80000001u);
    if ((f > 0.0f) == (up != 0))
        u++;
    else
        u--;
    return conseco__bits_f32(u);
}

/* The smallest float f with (double)f >= v: s >= f <=> (double)s >= v.
 * v finite with |v| < 3e38. */
static inline float conseco__f32_at_least(double v)
{
    const float f = (float)v;
    return (double)f < v ? conseco__f32_step(f, 1) : f;
}

/* The largest float f with (double)f <= v: s <= f <=> (double)s <= v. */
static inline float conseco__f32_at_most(double v)
{
    const float f = (float)v;
    return (double)f > v ? conseco__f32_step(f, 0) : f;
}

/* The smallest integer v in [0, top] with (double)v / (double)top >= base,
 * top + 1 if none (the predicate rises with v: a binary search). top >= 1. */
static inline uint32_t conseco__int_at_least(double base, uint32_t top)
{
    uint32_t lo = 0, hi = top + 1u; /* answer in [lo, hi] */
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2u;
        if ((double)mid / (double)top >= base)
            hi = mid;
        else
            lo = mid + 1u;
    }
    return lo;
}

#endif /* CONSECO_YHAT_H */
