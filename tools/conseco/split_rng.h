/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The random splits of `conseco evaluate`. Split s (0-based) with --seed S is
 * the permutation made by a Fisher-Yates shuffle (from the last position
 * down; each draw uniform by rejection) driven by splitmix64 started at state
 * S + s (mod 2^64). It is deterministic and platform-independent; it cannot
 * reproduce numpy's generator, so numbers differ from numpy splits by noise.
 */
#ifndef CONSECO_CLI_SPLIT_RNG_H
#define CONSECO_CLI_SPLIT_RNG_H

#include <stddef.h>
#include <stdint.h>

/* One splitmix64 step: advances *state and returns the next 64-bit output. */
uint64_t cli_splitmix64(uint64_t *state);

/* Uniform integer in [0, bound) (bound >= 1), unbiased. */
uint64_t cli_uniform_below(uint64_t *state, uint64_t bound);

/* perm[0..n) = the permutation of 0..n-1 for split `split` under `seed`. */
void cli_split_permutation(uint64_t seed, uint64_t split, size_t *perm, size_t n);

#endif /* CONSECO_CLI_SPLIT_RNG_H */
