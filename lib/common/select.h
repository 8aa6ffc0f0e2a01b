/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ground floor: order statistics and sorting of doubles. Internal to lib/.
 */
#ifndef CONSECO_SELECT_H
#define CONSECO_SELECT_H

#include "numbers.h"

/* k-th smallest (1-based) in place; values must be NaN-free; 1 <= k <= n. */
double conseco__select(double *values, size_t n, size_t k);

/* Sorts n NaN-free doubles ascending in place: heapsort, O(n log n), no
 * recursion and no scratch. */
void conseco__sort_doubles(double *a, size_t n);

/* Counters of the histogram conseco__select_key needs (1 KiB). */
#define CONSECO__SELECT_KEY_BUCKETS 256u

/* The r-th smallest (0-based) of the n >= 1 keys (unsigned 64-bit, e.g.
 * order-preserving images of doubles), and in *above the smallest key larger
 * than it (all ones if none). Permutes and overwrites keys; `hist` holds
 * CONSECO__SELECT_KEY_BUCKETS counters. O(n): a sample brackets rank r, one pass
 * keeps the bracket, radix rounds finish it (all keys if the bracket missed). */
uint64_t conseco__select_key(uint64_t *keys, size_t n, size_t r, uint32_t *hist,
                             uint64_t *above);

/* Smallest of keys[0..n) above l, or all ones if none. */
uint64_t conseco__min_key_above(const uint64_t *keys, size_t n, uint64_t l);

#endif /* CONSECO_SELECT_H */
