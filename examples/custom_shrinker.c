/* SPDX-License-Identifier: Apache-2.0 */
/*
 * custom_shrinker.c: plugging your own nested shrinker into libconseco.
 *
 * The shrinker here is "score x prior": polyps sit near the centre of the
 * field of view, so when the library has to shrink the predicted mask it
 * should first drop the pixels that are both less confident and far from
 * the centre. A shrinker is nested when it is a level map: each predicted
 * pixel p gets a level L(p) and I_lambda = {p : L(p) >= lambda}. We give
 * the library the levels (the fast path); it does the rest exactly.
 */
#include <math.h> /* INFINITY only: nothing from libm is called */
#include <stdio.h>

#include "conseco.h"

#define W 16
#define H 16
#define N_CAL 19

/* levels callback: L = score * prior inside the prediction {score >= 0.5},
 * -inf outside. The prior is 1 at the centre and decreases outwards but
 * stays > 0, so the predicted mask is exactly {L >= 0} = I_lambda_min. */
static int prior_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    (void)user;
    if (pred->dtype != CONSECO_DTYPE_F32 || count != pred->width * pred->height) return 1;
    const double cx = (double)(pred->width - 1) / 2, cy = (double)(pred->height - 1) / 2;
    const double far = cx * cx + cy * cy + 1.0;
    for (size_t y = 0, i = 0; y < pred->height; y++) {
        const float *row = (const float *)((const char *)pred->data + y * pred->row_stride);
        for (size_t x = 0; x < pred->width; x++, i++) {
            const double d2 = ((double)x - cx) * ((double)x - cx) + ((double)y - cy) * ((double)y - cy);
            levels[i] = row[x] >= 0.5f ? (double)row[x] * (1.0 - d2 / far) : -INFINITY;
        }
    }
    return 0; /* nonzero would surface as CONSECO_E_CALLBACK */
}

static const conseco_shrinker_vtable prior_vtable = {
    sizeof(conseco_shrinker_vtable), CONSECO_SHRINKER_VERSION,
    "score_x_prior",      /* name, stored in saved calibrator state */
    CONSECO_DOMAIN_REAL, 0,
    0.0, 1.0,             /* lambda ranges over [0, 1]; lambda = 0 keeps the whole prediction */
    prior_levels, NULL, NULL, NULL,
    NULL,                 /* no outer family (outer_levels, version 2) */
};

/* The same stand-in model as embed_minimal.c: an over-segmenting blob. */
static void fake_model(int cx, int cy, float *scores, uint8_t *truth)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            scores[y * W + x] = 1.0f / (1.0f + (float)d2 / 30.0f);
            truth[y * W + x] = (x - 8) * (x - 8) + (y - 8) * (y - 8) <= 16;
        }
}

int main(void)
{
    static float scores[W * H];
    static uint8_t truth[W * H], inner[W * H], uncertain[W * H];
    static unsigned char scratch[16 * W * H + 64]; /* checked against conseco_scratch_size below */
    const conseco_image pred = conseco_image_2d(scores, W, H, W * sizeof(float), CONSECO_DTYPE_F32);
    const conseco_mask gt = conseco_mask_2d(truth, W, H, W);
    const conseco_shrinker shrinker = {&prior_vtable, NULL};
    double cal_scores[N_CAL], lambda_hat;
    size_t n_inner = 0, n_unc = 0, n_pred = 0;
    int rc = conseco_shrinker_validate(&shrinker);

    if (rc == CONSECO_OK && conseco_scratch_size(&shrinker, W, H, 1) > sizeof scratch)
        rc = CONSECO_E_SCRATCH_TOO_SMALL;
    /* Calibration with the pure functions: one score per labelled image, then the quantile. */
    for (int i = 0; i < N_CAL && rc == CONSECO_OK; i++) {
        fake_model(7 + i % 3, 7 + (i / 3) % 3, scores, truth);
        rc = conseco_score(&shrinker, &pred, &gt, 0.1, scratch, sizeof scratch, &cal_scores[i]);
    }
    if (rc == CONSECO_OK) rc = conseco_quantile(cal_scores, N_CAL, 0.1, &lambda_hat, NULL);
    /* A new image. */
    fake_model(9, 8, scores, truth);
    const conseco_mask_out in = conseco_mask_out_2d(inner, W, H, W);
    const conseco_mask_out un = conseco_mask_out_2d(uncertain, W, H, W);
    if (rc == CONSECO_OK)
        rc = conseco_apply(&shrinker, &pred, lambda_hat, scratch, sizeof scratch, &in, &un);
    if (rc != CONSECO_OK) {
        fprintf(stderr, "custom_shrinker: %s\n", conseco_strerror(rc));
        return 1;
    }
    for (int i = 0; i < W * H; i++) {
        n_inner += inner[i];
        n_unc += uncertain[i];
        n_pred += scores[i] >= 0.5f;
    }
    printf("custom shrinker: lambda_hat = %.4f, predicted %zu px: inner %zu px, uncertain %zu px %s\n",
           lambda_hat, n_pred, n_inner, n_unc, n_inner + n_unc == n_pred ? "OK" : "MISMATCH");
    return n_inner + n_unc == n_pred ? 0 : 1;
}
