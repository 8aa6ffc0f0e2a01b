/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Literal reference of expected-risk control (docs/DESIGN.md 5.3): for each
 * candidate lambda in increasing order, apply the shrinker to every image,
 * take each image's loss as the double AFP = kept_fp / |Yhat| (0 for an
 * empty Yhat), sum the n losses EXACTLY (a wide integer, independent of the
 * library's fixed point) and return the first lambda with
 * (S + 1) * den <= num * (n + 1), i.e. n/(n+1) R + 1/(n+1) <= alpha for
 * alpha = num / den; +INFINITY if none. Slow on purpose.
 */
#ifndef REF_RISK_H
#define REF_RISK_H
#include <stddef.h>
#include <stdint.h>
#include "conseco.h"

/* An exact sum of non-negative doubles, in units of 2^-1120. */
typedef struct ref_bigsum {
    uint32_t limb[48];
} ref_bigsum;

void ref_bigsum_zero(ref_bigsum *s);
void ref_bigsum_add(ref_bigsum *s, double d);
/* (S + 1) * den <= num * (n + 1) */
int ref_risk_condition(const ref_bigsum *s, size_t n, uint64_t num, uint64_t den);
/* S as a double (nearest below; for reporting checks). */
double ref_bigsum_value(const ref_bigsum *s);

double ref_risk_lambda_threshold(const conseco_threshold_params *p, const conseco_image *preds,
                                 const conseco_mask *truths, size_t n, uint64_t num,
                                 uint64_t den);
double ref_risk_lambda_erosion(const conseco_erosion_params *p, const conseco_image *preds,
                               const conseco_mask *truths, size_t n, uint64_t num,
                               uint64_t den);
/* Mean loss (as ref_bigsum_value(S) / n) of the threshold family at lambda. */
double ref_risk_mean_threshold(const conseco_threshold_params *p, const conseco_image *preds,
                               const conseco_mask *truths, size_t n, double lambda);

/* Outer sets (FNR = |Y minus O| / |Y|, 0 for an empty Y), the same exact
 * condition. Dilation: mu = 0, 1, ... upwards, O_mu built step by step
 * (disk: one dilation of radius mu), +INFINITY if none. Ball-mm: mu over
 * {0} U {d_mm(p, Yhat)} upwards, O_mu = {d_mm <= mu}. Lowering: t over
 * {base} U {s_p : bottom <= s_p < base} U {bottom} from the largest DOWN,
 * O_t = {s >= t}: the first (largest) t that passes, -INFINITY if none. */
double ref_risk_lambda_dilation(const conseco_erosion_params *p, const conseco_image *preds,
                                const conseco_mask *truths, size_t n, uint64_t num,
                                uint64_t den);
double ref_risk_lambda_ball_mm(const conseco_erosion_params *p, const conseco_image *preds,
                               const conseco_mask *truths, size_t n, uint64_t num,
                               uint64_t den);
double ref_risk_lambda_lowering(const conseco_threshold_params *p, double bottom,
                                const conseco_image *preds, const conseco_mask *truths,
                                size_t n, uint64_t num, uint64_t den);
/* Mean FNR of {s >= t} over the images. */
double ref_risk_mean_lowering(const conseco_image *preds, const conseco_mask *truths, size_t n,
                              double t);
#endif
