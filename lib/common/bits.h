/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ground floor: count trailing / leading zero bits of a nonzero 32-bit word.
 * gcc and clang builtins, MSVC's _BitScanForward/_BitScanReverse, and a
 * portable loop for every other compiler (same answers). Internal to lib/.
 */
#ifndef CONSECO_BITS_H
#define CONSECO_BITS_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
/* v != 0 */
static inline unsigned conseco__ctz32(uint32_t v) { return (unsigned)__builtin_ctz(v); }
static inline unsigned conseco__clz32(uint32_t v) { return (unsigned)__builtin_clz(v); }
#elif defined(_MSC_VER)
#include <intrin.h>
static inline unsigned conseco__ctz32(uint32_t v)
{
    unsigned long i;
    _BitScanForward(&i, (unsigned long)v);
    return (unsigned)i;
}
static inline unsigned conseco__clz32(uint32_t v)
{
    unsigned long i;
    _BitScanReverse(&i, (unsigned long)v);
    return 31u - (unsigned)i;
}
#else
static inline unsigned conseco__ctz32(uint32_t v)
{
    unsigned n = 0;
    while ((v & 1u) == 0) {
        v >>= 1;
        n++;
    }
    return n;
}
static inline unsigned conseco__clz32(uint32_t v)
{
    unsigned n = 0;
    while ((v & 0x80000000u) == 0) {
        v <<= 1;
        n++;
    }
    return n;
}
#endif

#endif /* CONSECO_BITS_H */
