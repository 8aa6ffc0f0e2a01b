/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ground floor: IEEE-754 tests without libm, size arithmetic, scratch
 * alignment and the 2^53 limit of exact integers. Internal to lib/.
 */
#ifndef CONSECO_NUMBERS_H
#define CONSECO_NUMBERS_H

/* lib/ always sees the experimental block too (it implements it). */
#ifndef CONSECO_STATIC_LINKING_ONLY
#define CONSECO_STATIC_LINKING_ONLY
#endif
#include "conseco.h"
#include "conseco_deps.h"

/* ------------------------------------------------------------- numbers */
/* IEEE-754 special values and tests without libm (x != x is the NaN test). */
static inline double conseco__inf(void)
{
    const uint64_t bits = UINT64_C(0x7FF0000000000000);
    double d;
    CONSECO_memcpy(&d, &bits, sizeof d);
    return d;
}
static inline int conseco__is_nan(double x) { return x != x; }
static inline int conseco__is_finite(double x) { return x == x && x - x == 0.0; }

/* a * b into *out; 0 and no write on size_t overflow. */
static inline int conseco__mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > (size_t)-1 / a) return 0;
    *out = a * b;
    return 1;
}
static inline int conseco__add_size(size_t a, size_t b, size_t *out)
{
    if (b > (size_t)-1 - a) return 0;
    *out = a + b;
    return 1;
}

/* Rounds a scratch pointer up to 16 bytes; callers reserve CONSECO__ALIGN_SLACK extra. */
#define CONSECO__ALIGN_SLACK 16u
static inline void *conseco__align16(void *p, size_t *size)
{
    uintptr_t a = (uintptr_t)p;
    size_t pad = (size_t)((16u - (a & 15u)) & 15u);
    if (*size < pad) { *size = 0; return p; }
    *size -= pad;
    return (unsigned char *)p + pad;
}

/* Doubles as bit patterns and back (bitwise equality, saved state). */
static inline uint64_t conseco__double_bits(double d)
{
    uint64_t u;
    CONSECO_memcpy(&u, &d, sizeof u);
    return u;
}

static inline double conseco__bits_double(uint64_t u)
{
    double d;
    CONSECO_memcpy(&d, &u, sizeof d);
    return d;
}

/* Integers are exact doubles up to 2^53: integer lambdas stop there. */
#define CONSECO__INT_LIMIT 9007199254740992.0

/* x is an integer with |x| <= 2^53 (no libm: the cast is exact in that range). */
static inline int conseco__is_exact_integer(double x)
{
    return x >= -CONSECO__INT_LIMIT && x <= CONSECO__INT_LIMIT && (double)(int64_t)x == x;
}

/* floor(sqrt(v)), digit by digit: exact, no libm (the disk's and the ball's levels). */
static inline uint32_t conseco__isqrt32(uint32_t v)
{
    uint32_t r = 0, bit = UINT32_C(1) << 30;
    while (bit > v) bit >>= 2;
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

#endif /* CONSECO_NUMBERS_H */
