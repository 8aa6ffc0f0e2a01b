/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCORE_PIXEL_H
#define SCORE_PIXEL_H
#include <stddef.h>
#include "test_util.h"

/* Writes one random score-map element of `dtype` at px that lies inside
 * Yhat = {s >= base} iff `in` (exactly at base when `tie`). `k` is the
 * first integer level inside Yhat for the u8/u16 types (base = k/255 or
 * k/65535). Used by the erosion suites to build maps for a known Yhat. */
void sp_write_score(tu_rng *r, int dtype, unsigned char *px, int in, int tie, double base,
                    size_t k);
#endif
