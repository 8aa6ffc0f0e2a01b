/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unsigned 128-bit sums of squares of 64-bit values, without a compiler
 * extension: the disk erosion compares dx^2 + dy^2 + dz^2 with r^2 exactly
 * for any offsets a size_t image can hold. Internal to lib/ (and its tests).
 */
#ifndef CONSECO_WIDE128_H
#define CONSECO_WIDE128_H

#include <stdint.h>

typedef struct conseco__wide {
    uint64_t hi, lo;
} conseco__wide;

/* a^2 (always < 2^128). */
static inline conseco__wide conseco__wide_sq(uint64_t a)
{
    const uint64_t a1 = a >> 32, a0 = a & UINT64_C(0xFFFFFFFF);
    const uint64_t mid = a0 * a1; /* appears twice, at 2^32: mid * 2^33 */
    const uint64_t add = mid << 33;
    conseco__wide w;
    w.lo = a0 * a0;
    w.hi = a1 * a1 + (mid >> 31);
    w.lo += add;
    w.hi += w.lo < add;
    return w;
}

/* a + b; the caller keeps the sum below 2^128. */
static inline conseco__wide conseco__wide_add(conseco__wide a, conseco__wide b)
{
    conseco__wide s;
    s.lo = a.lo + b.lo;
    s.hi = a.hi + b.hi + (s.lo < a.lo);
    return s;
}

static inline int conseco__wide_le(conseco__wide a, conseco__wide b)
{
    return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
}

/* Largest a in [0, cap] with a^2 + s <= r2, given s <= r2 and cap^2 + s
 * below 2^128 (bisection: no square root needed). */
static inline uint64_t conseco__half_width(conseco__wide r2, conseco__wide s, uint64_t cap)
{
    uint64_t lo = 0, hi = cap;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2 + ((hi - lo) & 1); /* rounds up, no overflow */
        if (conseco__wide_le(conseco__wide_add(conseco__wide_sq(mid), s), r2)) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

#endif /* CONSECO_WIDE128_H */
