/* SPDX-License-Identifier: Apache-2.0 */
/* Literal order statistic of 64-bit keys (conseco__select_key): sort a copy. */
#ifndef REF_SELECT_KEYS_H
#define REF_SELECT_KEYS_H
#include <stddef.h>
#include <stdint.h>

/* The r-th smallest (0-based) of keys[0..n), n >= 1, and in *above the
 * smallest key larger than it (all ones if none). keys is not modified. */
uint64_t ref_select_key(const uint64_t *keys, size_t n, size_t r, uint64_t *above);

#endif
