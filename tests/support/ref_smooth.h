/* SPDX-License-Identifier: Apache-2.0 */
/* Literal reference of the smooth shrinker (docs/DESIGN.md, "Smooth
 * shrinker"): slow on purpose, written straight from the definitions. */
#ifndef REF_SMOOTH_H
#define REF_SMOOTH_H
#include <stddef.h>
#include <stdint.h>

#include "conseco.h"

/* The level map by a literal per-pixel convolution (every offset of the full
 * (2R+1)^d box, product weights from libm exp, positions clamped) or a
 * literal minimum over every offset of the element; -inf outside Yhat. Axes
 * of length 1 are not blurred. Returns 0, or -1 if sigma in mm is too large. */
int ref_smooth_levels(const conseco_smooth_params *p, const conseco_image *pred, double *out);

/* The score by walking every breakpoint of B = {lambda_min} U {levels of the
 * Yhat pixels} in increasing order over the GIVEN level map (-inf = outside
 * Yhat), counting F at each by a full scan: the first with
 * (double)kept / |Yhat| <= tau, else +inf. */
double ref_smooth_score_walk(const double *levels, const conseco_mask *truth, double tau);

/* The same walk in the same order, F at each breakpoint counted by a sweep
 * over the sorted false-positive levels instead of a full scan (for maps
 * too big for the quadratic walk; the tests check the two agree). */
double ref_smooth_score_sweep(const double *levels, const conseco_mask *truth, double tau);

/* The lowest finite double: the smooth shrinker's lambda_min. */
#define REF_SMOOTH_LAMBDA_MIN (-1.7976931348623157e308)
#endif
