/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `conseco evaluate --side outer|band`: the Table 1 protocol for outer sets
 * and bands. Per split (the same seeded permutations as evaluate_core.c),
 * lambda_hat is calibrated on the first part (the k-th smallest score; the
 * k-th largest threshold for outer threshold lowering) and the sets at
 * lambda_hat are measured on the rest with conseco_side_evaluate: EV (the
 * fraction of test images where the side holds: FNR <= tau for outer,
 * AFP <= tau and FNR <= tau_outer jointly for a band), the outer set's size
 * relative to Yhat (images with an empty Yhat are left out of that mean), the
 * FNR of the outer set and, for a band, the inner set's CR. Mean and
 * population sd over splits. Each image is scored once per family and tau;
 * metrics at a lambda already seen for that image are reused.
 *
 * Two passes over the images, each fetched through cfg->load when set (one
 * decoded pair in memory at a time): pass 1 keeps only each image's scores;
 * every split's lambda_hat follows from them; pass 2 measures each tested
 * image at all the lambdas its splits need, in one
 * conseco_side_evaluate_lambdas call per family.
 */
#ifndef CONSECO_CLI_EVALUATE_SIDES_H
#define CONSECO_CLI_EVALUATE_SIDES_H

#include "evaluate_core.h"

#include <stdio.h>

typedef struct cli_side_row {
    double tau;
    int method; /* CLI_METHOD_THRESHOLD or CLI_METHOD_EROSION (dilation on the outer side) */
    cli_stat ev;
    cli_stat outer_size;
    cli_stat fnr;
    cli_stat cr;
} cli_side_row;

typedef struct cli_side_result {
    size_t n, n_cal, n_test;
    cli_side_row *rows; /* per tau: threshold, erosion/dilation */
    size_t row_count;
} cli_side_result;

/* side: CONSECO_SIDE_OUTER or CONSECO_SIDE_BAND; tau_outer for the band; bottom for lowering. */
int cli_evaluate_sides(const conseco_image *preds, const conseco_mask *truths,
                       const char *const *names, size_t n, const cli_eval_config *cfg,
                       uint32_t side, double tau_outer, double bottom, cli_side_result *out);

void cli_side_result_free(cli_side_result *r);

void cli_side_print_json(FILE *f, const cli_side_result *r, const cli_eval_config *cfg,
                         uint32_t side, double tau_outer);
void cli_side_print_table(FILE *f, const cli_side_result *r, const cli_eval_config *cfg,
                          uint32_t side, double tau_outer);

#endif
