/* SPDX-License-Identifier: Apache-2.0 */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H
#include <stddef.h>
#include <stdint.h>

typedef struct tu_rng { uint64_t state; } tu_rng;
uint64_t tu_next(tu_rng *r);
/* uniform integer in [lo, hi] */
size_t tu_range(tu_rng *r, size_t lo, size_t hi);
/* uniform double in [0, 1) */
double tu_uniform(tu_rng *r);
/* The number of random cases to run: n divided by the CONSECO_TEST_SCALE
 * environment variable (a positive integer, default 1), at least 1. CI sets it
 * for the slow executions (valgrind, qemu) that check memory or the platform,
 * not the breadth of the random search, which the native suites cover. */
size_t tu_cases(size_t n);
#endif
