/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Literal erosion shrinker (paper Eq. 2, DESIGN.md): erode one step at a
 * time and count the accepted false positives after each step. Slow on
 * purpose; the library's level-map fast path is compared against it.
 * Masks are dense uint8 (x fastest, then y, then z); nonzero = inside.
 * element / border take the conseco_element / conseco_border values.
 * depth 1 is a 2-D image (4/8 neighbours, disk); depth > 1 a volume
 * (6/26 neighbours, ball) whose six faces see the outside.
 */
#ifndef REF_EROSION_H
#define REF_EROSION_H
#include <stddef.h>
#include <stdint.h>

/* I_lambda for integer lambda >= 0 into `out` (same shape as yhat). */
void ref_erosion_inner(const uint8_t *yhat, size_t w, size_t h, size_t d, int element,
                       int border, unsigned long lambda, uint8_t *out);

/* Smallest lambda = 0, 1, ... with (double)kept_fp / |Yhat| <= tau; 0 for an
 * empty Yhat; +INFINITY when the mask stops changing without becoming empty. */
double ref_erosion_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                         size_t d, int element, int border, double tau);
#endif
