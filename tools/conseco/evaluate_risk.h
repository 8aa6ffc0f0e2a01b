/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Table 1 protocol for the risk guarantee (`conseco evaluate --guarantee
 * risk`): the same splits as cli_evaluate(); per split, lambda_hat of a risk
 * calibrator (E[AFP] <= alpha) on the calibration part, then the mean over
 * the test part of the loss (AFP), CR and ATP; mean and sd over the splits
 * for Baseline (Yhat), Threshold and Erosion. The outer side (E[FNR] <=
 * alpha): Baseline (Yhat), threshold lowering and dilation, the mean test FNR
 * and the mean outer size |O| / |Yhat|.
 *
 * Fast: each image's loss curve is computed once per shrinker (a one-image
 * risk calibrator); a split merges the curves of its calibration images
 * (exact, order-free) and looks the test metrics up in a per-image memo.
 *
 * Two passes over the images, each fetched through cfg->load when set (one
 * decoded pair in memory at a time): pass 1 keeps only each image's curves;
 * every split's lambda_hat follows from them; pass 2 measures each tested
 * image at all the lambdas its splits need, in one conseco_evaluate_lambdas
 * (outer: conseco_side_evaluate_lambdas) call per method.
 */
#ifndef CONSECO_CLI_EVALUATE_RISK_H
#define CONSECO_CLI_EVALUATE_RISK_H

#include "evaluate_core.h"

#include <stdio.h>

typedef struct cli_risk_row {
    int method; /* cli_method */
    cli_stat loss;
    cli_stat cr;         /* inner side */
    cli_stat atp;        /* inner side */
    cli_stat outer_size; /* outer side: mean |O| / |Yhat| over test images with a Yhat */
} cli_risk_row;

typedef struct cli_risk_result {
    size_t n, n_cal, n_test;
    uint32_t side; /* CONSECO_SIDE_INNER (AFP) or CONSECO_SIDE_OUTER (FNR) */
    cli_risk_row rows[3]; /* baseline, threshold, erosion (outer: lowering, dilation) */
} cli_risk_result;

/* cfg->taus is unused; side INNER or OUTER (bottom: threshold lowering's).
 * @return a cli_exit code. */
int cli_evaluate_risk(const conseco_image *preds, const conseco_mask *truths,
                      const char *const *names, size_t n, const cli_eval_config *cfg,
                      uint32_t side, double bottom, cli_risk_result *out);

void cli_risk_print_json(FILE *f, const cli_risk_result *r, const cli_eval_config *cfg);
void cli_risk_print_table(FILE *f, const cli_risk_result *r, const cli_eval_config *cfg);

#endif /* CONSECO_CLI_EVALUATE_RISK_H */
