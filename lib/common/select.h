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

#endif /* CONSECO_SELECT_H */
