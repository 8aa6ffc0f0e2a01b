/* SPDX-License-Identifier: Apache-2.0 */
/* Small shared helpers for the suites: a deterministic PRNG. */
#include "test_util.h"

#include <stdlib.h>

uint64_t tu_next(tu_rng *r)
{
    /* splitmix64: tiny, good enough for test case generation, identical everywhere */
    uint64_t z = (r->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

size_t tu_range(tu_rng *r, size_t lo, size_t hi)
{
    return lo + (size_t)(tu_next(r) % (uint64_t)(hi - lo + 1));
}

double tu_uniform(tu_rng *r)
{
    return (double)(tu_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

size_t tu_cases(size_t n)
{
    const char *e = getenv("CONSECO_TEST_SCALE");
    unsigned long d = e != NULL ? strtoul(e, NULL, 10) : 1ul;
    size_t k;
    if (d == 0) d = 1;
    k = n / (size_t)d;
    return k > 0 ? k : 1;
}
