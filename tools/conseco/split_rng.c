/* SPDX-License-Identifier: Apache-2.0 */
/* Seeded permutations for the evaluation protocol (see split_rng.h for the exact definition). */
#include "split_rng.h"

uint64_t cli_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t cli_uniform_below(uint64_t *state, uint64_t bound)
{
    /* reject the lowest 2^64 mod bound outputs so every residue is equally likely */
    const uint64_t threshold = (0 - bound) % bound;
    uint64_t r;
    do r = cli_splitmix64(state);
    while (r < threshold);
    return r % bound;
}

void cli_split_permutation(uint64_t seed, uint64_t split, size_t *perm, size_t n)
{
    uint64_t state = seed + split;
    size_t i;
    for (i = 0; i < n; i++) perm[i] = i;
    for (i = n; i > 1; i--) {
        size_t j = (size_t)cli_uniform_below(&state, (uint64_t)i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}
