/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The paper's Table 1 protocol on images in memory: for each split, a seeded
 * permutation; the first floor(n * cal_fraction) images calibrate, the rest
 * are tested; EV, CR and ATP of Baseline (lambda_min, i.e. Yhat itself),
 * Threshold and Erosion, as mean and population standard deviation (ddof 0,
 * numpy's default) over the splits.
 *
 * Fast: each image is scored once per shrinker and tau; the library then
 * gives, in one call per image and shrinker (conseco_evaluate_lambdas), the
 * counts |I|, |I minus Y|, |I intersect Y| at every score any image produced
 * (lambda_hat is always one of them, or +inf). A split then costs one
 * selection and table look-ups. Images may be 2-D or 3-D (depth > 1).
 */
#ifndef CONSECO_CLI_EVALUATE_CORE_H
#define CONSECO_CLI_EVALUATE_CORE_H

#include "shrinker_opts.h"

/* The experimental block of conseco.h (conseco_evaluate_lambdas, spec 0.2 item 5). */
#define CONSECO_STATIC_LINKING_ONLY
#include <conseco.h>
#include <stddef.h>
#include <stdint.h>

enum cli_method {
    CLI_METHOD_BASELINE = 0,
    CLI_METHOD_THRESHOLD = 1,
    CLI_METHOD_EROSION = 2,
    CLI_METHOD_SMOOTH = 3
};
#define CLI_METHOD_COUNT 4
/* The paper's three, the default of --methods. */
#define CLI_METHODS_DEFAULT ((1u << CLI_METHOD_BASELINE) | (1u << CLI_METHOD_THRESHOLD) | \
                             (1u << CLI_METHOD_EROSION))

typedef struct cli_stat {
    double mean;
    double sd;
} cli_stat;

typedef struct cli_eval_row {
    double tau;
    int method; /* cli_method */
    cli_stat ev;
    cli_stat cr;
    cli_stat atp;
} cli_eval_row;

typedef struct cli_eval_config {
    const double *taus;
    size_t tau_count;
    double alpha;
    uint64_t splits;
    uint64_t seed;
    double cal_fraction;
    cli_shrinker_opts *shrinkers; /* threshold, erosion and smooth params (kind ignored) */
    int quiet;
    const char *const *ids; /* per image (volume) ids for the per-volume report; NULL: none */
    unsigned methods; /* bit m: method m is evaluated; 0 means CLI_METHODS_DEFAULT */
    /* Optional: image i decoded on demand (each image is fetched twice: scores, then counts),
     * so that a set of volumes need not fit in memory; cli_evaluate's arrays are then unused.
     * *handle is given back to release. NULL: the arrays. */
    int (*load)(void *ctx, size_t i, conseco_image *pred, conseco_mask *truth, void **handle);
    void (*release)(void *ctx, void *handle);
    void *load_ctx;
} cli_eval_config;

/* One volume (image) at one (tau, method): its calibration score and how it fared in the splits
 * that tested it. */
typedef struct cli_eval_volume_row {
    double score;     /* the volume's score (NaN for the baseline, which has none) */
    uint64_t tested;  /* splits in which it was a test volume */
    uint64_t valid;   /* ... and its inner mask met AFP <= tau */
    double cr_sum;    /* sums over those splits (means = sum / tested) */
    double atp_sum;
} cli_eval_volume_row;

typedef struct cli_eval_result {
    size_t n;
    size_t n_cal;
    size_t n_test;
    cli_eval_row *rows; /* per tau, the chosen methods in the order of enum cli_method */
    size_t row_count;
    uint64_t *predicted;               /* [volume] |Yhat| */
    cli_eval_volume_row *volume_rows;  /* [volume * row_count + row], rows as above */
} cli_eval_result;

/* Image i of a protocol's set: decoded by cfg->load when set (give the handle back with
 * cli_eval_put as soon as the image is done), else preds[i] and truths[i] (handle NULL).
 * The outer/band and risk protocols stream the same way as cli_evaluate. @return a cli_exit
 * code. */
int cli_eval_get(const cli_eval_config *cfg, const conseco_image *preds,
                 const conseco_mask *truths, size_t i, conseco_image *pred, conseco_mask *truth,
                 void **handle);
void cli_eval_put(const cli_eval_config *cfg, void *handle);

/* Number of calibration images floor(n * cal_fraction); usage error unless 1 <= c < n. */
int cli_eval_split_sizes(size_t n, double cal_fraction, size_t *n_cal);

/* `names` (may be NULL) label errors per image. @return a cli_exit code. */
int cli_evaluate(const conseco_image *preds, const conseco_mask *truths,
                 const char *const *names, size_t n, const cli_eval_config *cfg,
                 cli_eval_result *out);

void cli_eval_result_free(cli_eval_result *r);

const char *cli_method_name(int method);

/* --methods a,b,...: any subset of baseline, threshold, erosion, smooth; rows come in that
 * order whatever the order given. @return a cli_exit code. */
int cli_parse_methods(const char *text, unsigned *methods);

#endif /* CONSECO_CLI_EVALUATE_CORE_H */
