/* SPDX-License-Identifier: Apache-2.0 */
/*
 * embed_minimal.c: the smallest useful embedding of libconseco.
 *
 * 1. Calibrate: give the calibrator a few labelled score maps (here made in
 *    memory by a stand-in "model") and read lambda_hat for a risk alpha.
 * 2. Apply: turn the score map of a new image into a confidence mask (the
 *    inner mask) and an uncertain region.
 * Guarantee: with probability >= 1 - alpha, the inner mask of a new image
 * holds at most a fraction tau of false-positive pixels (relative to the
 * predicted mask).
 */
#include <stdio.h>
#include <stdlib.h>

#include "conseco.h"

#define W 16
#define H 16
#define N_CAL 19 /* alpha = 0.1 needs at least 9 images for a finite lambda_hat */

/* A stand-in model: a round blob of scores around (cx, cy). Its prediction
 * {score >= 0.5} has radius ~5.5, the true object only 4: it over-segments. */
static void fake_model(int cx, int cy, float *scores, uint8_t *truth)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            scores[y * W + x] = 1.0f / (1.0f + (float)d2 / 30.0f);
            truth[y * W + x] = (x - 8) * (x - 8) + (y - 8) * (y - 8) <= 16;
        }
}

static size_t count(const uint8_t *m)
{
    size_t n = 0;
    for (int i = 0; i < W * H; i++) n += m[i] != 0;
    return n;
}

int main(void)
{
    static float scores[W * H];
    static uint8_t truth[W * H], inner[W * H], uncertain[W * H];
    const conseco_image pred = conseco_image_2d(scores, W, H, W * sizeof(float), CONSECO_DTYPE_F32);
    const conseco_mask gt = conseco_mask_2d(truth, W, H, W);
    conseco_threshold_params params;
    conseco_calibrator_config config;
    conseco_calibrator *cal = NULL;
    double lambda_hat;
    size_t k;
    int rc;

    conseco_threshold_params_default(&params); /* predicted mask = {score >= 0.5} */
    conseco_calibrator_config_init(&config);
    config.shrinker = conseco_shrinker_threshold(&params);
    config.tau = 0.1; /* tolerate 10% false positives in the inner mask */
    if ((rc = conseco_calibrator_create(&config, NULL, &cal)) != CONSECO_OK) goto fail;

    /* 1. Calibration: each labelled image adds one nonconformity score. */
    for (int i = 0; i < N_CAL; i++) {
        fake_model(7 + i % 3, 7 + (i / 3) % 3, scores, truth);
        if ((rc = conseco_calibrator_add(cal, &pred, &gt, NULL)) != CONSECO_OK) goto fail;
    }
    if ((rc = conseco_calibrator_lambda_hat(cal, 0.1, &lambda_hat, &k)) != CONSECO_OK) goto fail;

    /* 2. A new image: keep the pixels whose score is at least lambda_hat. */
    fake_model(9, 8, scores, truth);
    {
        const size_t need = conseco_scratch_size(&config.shrinker, W, H, 1);
        void *scratch = malloc(need);
        const conseco_mask_out in = conseco_mask_out_2d(inner, W, H, W);
        const conseco_mask_out un = conseco_mask_out_2d(uncertain, W, H, W);
        rc = scratch ? conseco_apply(&config.shrinker, &pred, lambda_hat, scratch, need, &in, &un)
                     : CONSECO_E_NO_MEMORY;
        free(scratch);
        if (rc != CONSECO_OK) goto fail;
    }
    conseco_calibrator_free(cal);

    /* inner and uncertain split the predicted mask {score >= 0.5} */
    {
        size_t predicted = 0;
        for (int i = 0; i < W * H; i++) predicted += scores[i] >= 0.5f;
        printf("lambda_hat = %.4f (rank k = %zu of %d), predicted %zu px: inner %zu px, "
               "uncertain %zu px %s\n",
               lambda_hat, k, N_CAL, predicted, count(inner), count(uncertain),
               count(inner) + count(uncertain) == predicted ? "OK" : "MISMATCH");
        return count(inner) + count(uncertain) == predicted ? 0 : 1;
    }
fail:
    fprintf(stderr, "embed_minimal: %s\n", conseco_strerror(rc));
    conseco_calibrator_free(cal);
    return 1;
}
