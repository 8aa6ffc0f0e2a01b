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
#endif
