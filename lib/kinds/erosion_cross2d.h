/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The erosion shrinker's hot case, fused: 2-D images eroded by the cross
 * (erosion_cross2d.c). Same results as the general path of erosion.c, which
 * takes every other case. Internal to lib/.
 */
#ifndef CONSECO_EROSION_CROSS2D_H
#define CONSECO_EROSION_CROSS2D_H

#include "kinds.h"

/* 1 if the fused path takes this image: depth 1, the cross, w + h < 65535
 * (16-bit distances) and a base that a float can hold. */
int conseco__cross2d_applies(const conseco_erosion_params *p, const conseco_image *pred);

/* Bytes of scratch it needs for a w x h image (alignment slack included); 0
 * on overflow. erosion.c takes this path only when that fits in its own
 * conseco_scratch_size(), so that the public scratch size does not depend on
 * it (tiny and very thin images keep the general path). */
size_t conseco__cross2d_scratch_size(size_t w, size_t h);

/* conseco__erosion_score/apply/evaluate for images where it applies; views,
 * tau and lambda already checked by the callers. */
int conseco__cross2d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau, void *scratch,
                           size_t scratch_size, double *score);
int conseco__cross2d_apply(const conseco_erosion_params *p, const conseco_image *pred,
                           double lambda, void *scratch, size_t scratch_size,
                           const conseco_mask_out *inner, const conseco_mask_out *uncertain);
int conseco__cross2d_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double lambda, double tau,
                              void *scratch, size_t scratch_size, conseco_image_metrics *out);

#endif /* CONSECO_EROSION_CROSS2D_H */
