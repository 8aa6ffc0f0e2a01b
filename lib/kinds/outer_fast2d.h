/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dilation scores and erosion-band scores by the cross, the square, the disk
 * and ball-mm (one spacing along x and y) on 2-D images, fused
 * (outer_fast2d.c): one transform on the bounding box of Yhat U Y gives every
 * pixel its distance to the nearest pixel of the other class, so a band costs
 * one transform. Same results as
 * the general path of outer.c, which takes every other case. Internal to lib/.
 */
#ifndef CONSECO_OUTER_FAST2D_H
#define CONSECO_OUTER_FAST2D_H

#include "kinds.h"

/* 1 if the fused path takes this image: depth 1, the cross, the square, the
 * disk or ball-mm with spacing[0] == spacing[1] (valid), w + h < 65535
 * (16-bit distances), a base that a float can hold, and its
 * scratch within `available` bytes (the side's own scratch size, so that the
 * public scratch size does not depend on this path). */
int conseco__outer2d_takes(const conseco_erosion_params *p, const conseco_image *pred,
                           size_t available);

/* The dilation score (band = 0, tau the outer tau) or the erosion band's joint
 * score max(erosion score at tau, dilation score at tau_outer) (band = 1), as
 * outer.c and erosion.c define them. Views and taus checked by the callers;
 * scratch at least the size conseco__outer2d_takes() accepted. */
int conseco__outer2d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, int band, double tau, double tau_outer,
                           void *scratch, size_t scratch_size, double *score);

#endif /* CONSECO_OUTER_FAST2D_H */
