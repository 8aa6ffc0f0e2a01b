/* SPDX-License-Identifier: Apache-2.0 */
/*
 * no_malloc.c: libconseco without a heap, firmware style.
 *
 * Every buffer is static and sized at compile time: the calibrator lives in
 * a caller workspace (conseco_calibrator_init_static), the pure functions
 * get caller scratch. Nothing here or in the library calls malloc. (printf
 * is only for the report at the end.)
 */
#define CONSECO_STATIC_LINKING_ONLY /* for CONSECO_CALIBRATOR_WORKSPACE_BOUND */
#include <stdio.h>

#include "conseco.h"

#define W 16
#define H 16
#define N_CAL 19

/* 8-byte aligned storage, as conseco_calibrator_init_static() asks. */
static uint64_t workspace[CONSECO_CALIBRATOR_WORKSPACE_BOUND(N_CAL, W * H) / 8 + 1];
static uint64_t scratch[(16 * W * H + 64) / 8];

static uint8_t frame[W * H]; /* an 8-bit score map: value / 255 */
static uint8_t truth[W * H], inner[W * H], uncertain[W * H];

/* A stand-in camera + model: an over-segmenting blob around (cx, cy). */
static void next_frame(int cx, int cy)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            frame[y * W + x] = (uint8_t)(d2 >= 64 ? 0 : 255 - d2 * 255 / 64);
            truth[y * W + x] = (x - 8) * (x - 8) + (y - 8) * (y - 8) <= 9;
        }
}

static int run(double *lambda_hat, size_t *n_inner, size_t *n_uncertain)
{
    const conseco_image pred = conseco_image_2d(frame, W, H, W, CONSECO_DTYPE_U8);
    const conseco_mask gt = conseco_mask_2d(truth, W, H, W);
    const conseco_mask_out in = conseco_mask_out_2d(inner, W, H, W);
    const conseco_mask_out un = conseco_mask_out_2d(uncertain, W, H, W);
    conseco_erosion_params params;
    conseco_calibrator_config config;
    conseco_calibrator *cal;
    int rc;

    conseco_erosion_params_default(&params); /* Yhat = {value/255 >= 0.5}, eroded lambda times */
    conseco_calibrator_config_init(&config);
    config.shrinker = conseco_shrinker_erosion(&params);
    config.tau = 0.05;
    config.capacity = N_CAL; /* the static calibrator holds at most this many scores */
    config.max_width = W;
    config.max_height = H;
    if (conseco_calibrator_workspace_size(&config) > sizeof workspace) return CONSECO_E_TOO_LARGE;
    if (conseco_scratch_size(&config.shrinker, W, H, 1) > sizeof scratch) return CONSECO_E_TOO_LARGE;
    rc = conseco_calibrator_init_static(workspace, sizeof workspace, &config, &cal);
    if (rc != CONSECO_OK) return rc;

    /* Factory calibration on labelled frames. */
    for (int i = 0; i < N_CAL; i++) {
        next_frame(7 + i % 3, 7 + (i / 3) % 3);
        if ((rc = conseco_calibrator_add(cal, &pred, &gt, NULL)) != CONSECO_OK) return rc;
    }
    if ((rc = conseco_calibrator_lambda_hat(cal, 0.1, lambda_hat, NULL)) != CONSECO_OK) return rc;

    /* In the field: one new frame, one confidence mask. */
    next_frame(9, 8);
    rc = conseco_apply(&config.shrinker, &pred, *lambda_hat, scratch, sizeof scratch, &in, &un);
    if (rc != CONSECO_OK) return rc;
    *n_inner = *n_uncertain = 0;
    for (int i = 0; i < W * H; i++) {
        if (inner[i] && uncertain[i]) return CONSECO_E_NOT_NESTED; /* they must be disjoint */
        *n_inner += inner[i];
        *n_uncertain += uncertain[i];
    }
    return CONSECO_OK;
}

int main(void)
{
    double lambda_hat = 0.0;
    size_t n_inner = 0, n_uncertain = 0;
    const int rc = run(&lambda_hat, &n_inner, &n_uncertain);
    if (rc != CONSECO_OK) {
        printf("no_malloc: failed: %s\n", conseco_strerror(rc));
        return 1;
    }
    printf("no_malloc: lambda_hat = %.0f erosions, inner %zu px, uncertain %zu px, "
           "workspace %zu bytes OK\n",
           lambda_hat, n_inner, n_uncertain, sizeof workspace);
    return 0;
}
