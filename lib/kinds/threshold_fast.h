/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The threshold shrinker's score on the common model outputs, float32 and
 * 8-bit maps (threshold_fast.c). Same results as the general path of
 * threshold.c, which takes every other case. Internal to lib/.
 */
#ifndef CONSECO_THRESHOLD_FAST_H
#define CONSECO_THRESHOLD_FAST_H

#include "kinds.h"

/* 1 if this path takes the map: U8 or MASK8; or F32 with base and top a
 * float can hold. */
int conseco__threshold_fast_applies(const conseco_threshold_params *p, const conseco_image *pred);

/* Bytes of scratch this path needs for a map of this dtype, `width` wide, of
 * `pixels` pixels (slack included); 0 on overflow. threshold.c takes this
 * path only when that fits in its own conseco_scratch_size(), so that the
 * public scratch size does not depend on it (tiny images keep the general
 * path). */
size_t conseco__threshold_fast_scratch_size(int dtype, size_t width, size_t pixels);

/* conseco__threshold_score for maps where it applies; views and tau checked. */
int conseco__threshold_fast_score(const conseco_threshold_params *p, const conseco_image *pred,
                                  const conseco_mask *truth, double tau, void *scratch,
                                  size_t scratch_size, double *score);

#endif /* CONSECO_THRESHOLD_FAST_H */
