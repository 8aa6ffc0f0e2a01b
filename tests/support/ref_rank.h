/* SPDX-License-Identifier: Apache-2.0 */
/* Exact checks of the conformal rank k = ceil((n + 1)(1 - num/den)),
 * independent of the library: schoolbook arithmetic on 16-bit limbs. */
#ifndef REF_RANK_H
#define REF_RANK_H
#include <stdint.h>

/* 1 if k is exactly ceil((n + 1) * (den - num) / den), i.e.
 * (k - 1) * den < (n + 1) * (den - num) <= k * den. n + 1 may be 2^64
 * (n = UINT64_MAX); k is given as k_minus_1 + 1 for the same reason. */
int ref_rank_check(uint64_t n, uint64_t num, uint64_t den, uint64_t k_minus_1);

/* The exact rational value of alpha the way a user would have written it:
 * the shortest decimal with at most 15 digits after the point that reads
 * back as alpha (found with printf/strtod), else the binary value M / 2^q.
 * Returns 1 and num/den when the denominator fits 64 bits, 0 otherwise. */
int ref_alpha_rational(double alpha, uint64_t *num, uint64_t *den);
#endif
