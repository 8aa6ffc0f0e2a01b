/* SPDX-License-Identifier: Apache-2.0 */
/* Literal reference of the threshold shrinker (DESIGN.md 1, paper Eq. 1):
 * slow on purpose, written straight from the definitions. */
#ifndef REF_THRESHOLD_H
#define REF_THRESHOLD_H
#include <stddef.h>
#include <stdint.h>

#include "conseco.h"

/* Score of pixel (x, y, z) as the contract defines it (value/255, ...). */
double ref_pixel(const conseco_image *im, size_t x, size_t y, size_t z);

/* Walks every breakpoint of B in increasing order, counts F by scanning all
 * pixels, and returns the first with (double)kept / |Yhat| <= tau, else +inf. */
double ref_threshold_score(const conseco_threshold_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau);

/* B = {base} U {s in Yhat : s <= top} U {top}, sorted, distinct, into out
 * (room for pixel count + 2). Returns the count. */
size_t ref_threshold_breakpoints(const conseco_threshold_params *p, const conseco_image *pred,
                                 double *out);

/* Dense (x fastest) inner mask and uncertain region at lambda. */
void ref_threshold_apply(const conseco_threshold_params *p, const conseco_image *pred,
                         double lambda, uint8_t *inner, uint8_t *uncertain);

/* Counts at lambda and the metrics computed from them literally. */
void ref_threshold_metrics(const conseco_threshold_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double lambda, double tau,
                           conseco_image_metrics *out);
#endif
