/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The score of volumes eroded by the cross (6 neighbours) with 16-bit
 * distances (erosion_cross3d.c). Internal to lib/kinds (erosion.c).
 */
#ifndef CONSECO_EROSION_CROSS3D_H
#define CONSECO_EROSION_CROSS3D_H

#include "kinds.h"

/* 1 if the 16-bit path scores this image: depth > 1, the cross, and
 * w + h + d <= 0xFFFD (every finite distance fits below 0xFFFF). */
int conseco__cross3d_applies(const conseco_erosion_params *p, const conseco_image *pred);

/* Bytes of scratch it needs for a w x h x d volume (alignment slack
 * included; about 2 bytes a voxel); 0 on overflow. */
size_t conseco__cross3d_scratch_size(size_t width, size_t height, size_t depth);

/* conseco__erosion_score, _apply and _evaluate where it applies; the caller
 * has checked the parameters and that scratch_size is at least the erosion
 * scratch size (which covers this one). Same results as the general path. */
int conseco__cross3d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau, void *scratch,
                           size_t scratch_size, double *score);

int conseco__cross3d_apply(const conseco_erosion_params *p, const conseco_image *pred,
                           double lambda, void *scratch, size_t scratch_size,
                           const conseco_mask_out *inner, const conseco_mask_out *uncertain);
int conseco__cross3d_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double lambda, double tau,
                              void *scratch, size_t scratch_size, conseco_image_metrics *out);

#endif /* CONSECO_EROSION_CROSS3D_H */
