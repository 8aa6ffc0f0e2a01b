/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dilation scores and erosion-band scores by the cross (6 neighbours) and the
 * square (26 neighbours) on volumes, fused (outer_fast3d.c): one 16-bit
 * transform on the bounding box of Yhat U Y gives every voxel its distance to
 * the nearest voxel of the other class, so a band costs one transform. Same
 * results as the general path of outer.c, which takes every other case.
 * Internal to lib/.
 */
#ifndef CONSECO_OUTER_FAST3D_H
#define CONSECO_OUTER_FAST3D_H

#include "kinds.h"

/* 1 if the fused path takes this image: depth > 1, the cross or the square,
 * w + h + d <= 0xFFFD (16-bit distances), fewer than 2^32 voxels, a base
 * that a float can hold, and its scratch within `available` bytes (the
 * side's own scratch size, so that the public scratch size does not depend
 * on this path). */
int conseco__outer3d_takes(const conseco_erosion_params *p, const conseco_image *pred,
                           size_t available);

/* Bytes of scratch the fused path needs (alignment slack included); 0 on
 * overflow. `square`: the 26-neighbour element (one more slice). */
size_t conseco__outer3d_scratch_size(size_t w, size_t h, size_t d, int square);

/* The dilation score (band = 0, tau the outer tau) or the erosion band's joint
 * score max(erosion score at tau, dilation score at tau_outer) (band = 1), as
 * outer.c and erosion.c define them. Views and taus checked by the callers;
 * scratch at least the size conseco__outer3d_takes() accepted. */
int conseco__outer3d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, int band, double tau, double tau_outer,
                           void *scratch, size_t scratch_size, double *score);

/* The maps of apply and evaluate on the whole volume, for a non-empty Yhat
 * (the caller's scan found one): d[i] = 0 on Yhat, else the distance to the
 * nearest Yhat voxel (outer.c's dilation distances); levels (NULL: not
 * wanted) the erosion levels as erosion.c's levels callback gives them (d_in -
 * 1 on Yhat, +inf without background, -inf elsewhere). Voxel i = x + w (y + h
 * z). Scratch: conseco__outer3d_scratch_size() bytes, which may overlap
 * `levels` (written last) but not d. Takes the images conseco__outer3d_takes()
 * takes. */
int conseco__outer3d_maps(const conseco_erosion_params *p, const conseco_image *pred,
                          void *scratch, size_t scratch_size, uint32_t *d, double *levels);

#endif /* CONSECO_OUTER_FAST3D_H */
