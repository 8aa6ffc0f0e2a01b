/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dilation scores and erosion-band scores by the Euclidean elements on the
 * images outer_fast2d.c does not take: the ball in voxels (element disk) on
 * volumes, and ball-mm on volumes and on 2-D images with different x and y
 * spacings, exactly in integers (squared spacings as integer multiples of
 * one power of two: dyadic and float32 spacings; outer_euclid.c). One
 * two-class separable transform on
 * the bounding box of Yhat U Y gives every false positive its distance to
 * the background and every missed truth voxel its distance to Yhat. Same
 * results as the general path of outer.c and erosion.c, which takes every
 * other case. Internal to lib/.
 */
#ifndef CONSECO_OUTER_EUCLID_H
#define CONSECO_OUTER_EUCLID_H

#include "kinds.h"

/* 1 if this path takes the image: the disk or ball-mm (spacing accepted by
 * conseco__mm_init; the squared spacings of the axes with extent are integer
 * multiples w_a of one power of two, with sum_a w_a n_a^2 < 2^31 - 1 for the
 * image sides n_a, or, for ball-mm where unsigned __int128 exists, w_a <
 * 2^63 and the offsets of all axes packed in 30 bits), a base a float can
 * hold, and its scratch within `available` bytes (the side's own scratch
 * size). The caller tries outer_fast2d.c first. */
int conseco__outer_euclid_takes(const conseco_erosion_params *p, const conseco_image *pred,
                                size_t available);

/* 1 if this path would hold 128-bit values for the image (the wide form:
 * float32 and other long-mantissa spacings), 0 otherwise. */
int conseco__outer_euclid_wide(const conseco_erosion_params *p, const conseco_image *pred);

/* Bytes of scratch the path needs for this image; 0 when it does not take
 * it (or on overflow). */
size_t conseco__outer_euclid_scratch_size(const conseco_erosion_params *p,
                                          const conseco_image *pred);

/* The dilation score (band = 0, tau the outer tau) or the erosion band's joint
 * score max(erosion score at tau, dilation score at tau_outer) (band = 1), as
 * outer.c and erosion.c define them. Views and taus checked by the callers;
 * taken by conseco__outer_euclid_takes(); scratch at least
 * conseco__outer_euclid_scratch_size() bytes. */
int conseco__outer_euclid_score(const conseco_erosion_params *p, const conseco_image *pred,
                                const conseco_mask *truth, int band, double tau,
                                double tau_outer, void *scratch, size_t scratch_size,
                                double *score);

#endif /* CONSECO_OUTER_EUCLID_H */
