/* SPDX-License-Identifier: Apache-2.0 */
/* Shared steps of the two demos (see demo_common.h). */
#include "demo_common.h"

#include "cli.h"
#include "png_io.h"

#include <stdio.h>
#include <string.h>

int cli_demo_lambda(conseco_calibrator_config cc, const conseco_image *ims,
                    const conseco_mask *truths, size_t n, double alpha, double *lambda)
{
    conseco_calibrator *cal = NULL;
    size_t i, k;
    int status;
    cc.capacity = n;
    status = conseco_calibrator_create(&cc, NULL, &cal);
    for (i = 0; status == CONSECO_OK && i < n; i++)
        status = conseco_calibrator_add(cal, &ims[i], &truths[i], NULL);
    if (status == CONSECO_OK) status = conseco_calibrator_lambda_hat(cal, alpha, lambda, &k);
    conseco_calibrator_free(cal);
    return status;
}

int cli_demo_stage_png(cli_staging *st, const char *dir, const char *name,
                       const unsigned char *px, size_t w, size_t h, int channels)
{
    FILE *f;
    char why[160];
    int rc = cli_staging_open(st, dir, name, &f);
    if (rc != CLI_EXIT_OK) return rc;
    if (cli_png_write(f, px, w, h, channels, why, sizeof why) != 0)
        return cli_fail(CLI_EXIT_IO, "%s/%s: cannot write PNG: %s", dir, name, why);
    return cli_staging_close_last(st);
}

void cli_demo_eval_config(cli_eval_config *cfg, const double *taus, size_t tau_count,
                          cli_shrinker_opts *opts, int quiet)
{
    memset(cfg, 0, sizeof *cfg); /* every option not set below: off */
    cfg->taus = taus;
    cfg->tau_count = tau_count;
    cfg->alpha = 0.1;
    cfg->splits = 10;
    cfg->seed = 0;
    cfg->cal_fraction = 0.5;
    cfg->shrinkers = opts;
    cfg->ids = NULL;
    cfg->quiet = quiet;
}
