/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A firmware-style use of libconseco: no heap, no libc beyond memcpy/memset/
 * memmove, every buffer static and sized at compile time.
 *
 * At "the factory" the device calibrates a threshold shrinker on a few
 * labelled frames (here generated in place), keeps lambda_hat, and at run
 * time turns each new score map into a confidence mask. firmware_run()
 * returns 0 when every step succeeded and the results hold the guarantee's
 * invariants, or the number of the step that failed.
 */
#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"

#include "firmware.h"

#define W 24u
#define H 24u
#define N_CAL 24u

/* The calibrator lives in this caller workspace: nothing is allocated. */
static uint64_t workspace[CONSECO_CALIBRATOR_WORKSPACE_BOUND(N_CAL, W * H) / sizeof(uint64_t)];
/* Scratch for the pure functions (score, apply) of both shrinkers. */
static uint64_t scratch[(16u * W * H + 1024u) / sizeof(uint64_t)];

static uint8_t frame[W * H];
static uint8_t truth[W * H];
static uint8_t inner[W * H];
static uint8_t uncertain[W * H];

/* A tiny deterministic generator (no rand() on the device). */
static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* A blob-shaped score map and a truth mask slightly offset from it: the
 * model over-segments, so some predicted pixels are false positives. */
static void make_frame(uint32_t seed)
{
    uint32_t s = seed;
    const int cx = 8 + (int)(lcg(&s) % 8u), cy = 8 + (int)(lcg(&s) % 8u);
    const int r = 4 + (int)(lcg(&s) % 4u);
    unsigned x, y;
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++) {
            const int dx = (int)x - cx, dy = (int)y - cy;
            const int d2 = dx * dx + dy * dy;
            const int dt = (dx - 1) * (dx - 1) + dy * dy;
            int v = 255 - d2 * 6 + (int)(lcg(&s) % 41u) - 20;
            if (v < 0) v = 0;
            if (v > 255) v = 255;
            frame[y * W + x] = (uint8_t)v;
            truth[y * W + x] = (uint8_t)(dt <= (r - 1) * (r - 1));
        }
}

int firmware_run(void)
{
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_calibrator_config cfg;
    conseco_calibrator *cal = NULL;
    conseco_shrinker erosion;
    conseco_image img;
    conseco_mask gt;
    conseco_mask_out in_view, unc_view;
    double lambda_hat = 0.0, r = 0.0;
    size_t k = 0, i;
    unsigned p, kept = 0, predicted = 0;

    conseco_threshold_params_default(&tp);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_threshold(&tp);
    cfg.tau = 0.1;
    cfg.capacity = N_CAL;
    cfg.max_width = W;
    cfg.max_height = H;
    cfg.max_depth = 1;
    /* Freestanding builds have no malloc: create() without an allocator is refused. */
    if (conseco_calibrator_create(&cfg, NULL, &cal) != CONSECO_E_UNSUPPORTED || cal != NULL)
        return 15;
    if (conseco_calibrator_workspace_size(&cfg) > sizeof workspace) return 1;
    if (conseco_calibrator_init_static(workspace, sizeof workspace, &cfg, &cal) != CONSECO_OK)
        return 2;

    img = conseco_image_2d(frame, W, H, W, CONSECO_DTYPE_U8);
    gt = conseco_mask_2d(truth, W, H, W);
    for (i = 0; i < N_CAL; i++) {
        make_frame(0x1234u + (uint32_t)i * 77u);
        if (conseco_calibrator_add(cal, &img, &gt, NULL) != CONSECO_OK) return 3;
    }
    if (conseco_calibrator_count(cal) != N_CAL) return 4;
    /* n = 24, alpha = 0.1: k = ceil(25 * 0.9) = 23 <= n, so lambda_hat is finite. */
    if (conseco_calibrator_lambda_hat(cal, 0.1, &lambda_hat, &k) != CONSECO_OK) return 5;
    if (k != 23u || !(lambda_hat >= tp.base && lambda_hat <= tp.top)) return 6;

    /* Run time: a new frame becomes a confidence mask and an uncertain region. */
    make_frame(0xBEEFu);
    in_view = conseco_mask_out_2d(inner, W, H, W);
    unc_view = conseco_mask_out_2d(uncertain, W, H, W);
    if (conseco_scratch_size(&cfg.shrinker, W, H, 1) > sizeof scratch) return 7;
    if (conseco_apply(&cfg.shrinker, &img, lambda_hat, scratch, sizeof scratch, &in_view,
                      &unc_view) != CONSECO_OK)
        return 8;
    for (p = 0; p < W * H; p++) {
        const int in_pred = frame[p] >= 128u; /* value/255 >= 0.5 */
        if (inner[p] && !in_pred) return 9;               /* inner mask inside the prediction */
        if ((inner[p] != 0) + (uncertain[p] != 0) != in_pred) return 10; /* a partition */
        kept += inner[p] != 0;
        predicted += (unsigned)in_pred;
    }
    if (predicted == 0 || kept > predicted) return 11;

    /* The erosion shrinker (distance transform) on the same frame, same scratch. */
    conseco_erosion_params_default(&ep);
    erosion = conseco_shrinker_erosion(&ep);
    if (conseco_scratch_size(&erosion, W, H, 1) > sizeof scratch) return 12;
    if (conseco_score(&erosion, &img, &gt, 0.1, scratch, sizeof scratch, &r) != CONSECO_OK)
        return 13;
    if (!(r >= 0.0)) return 14;

    conseco_calibrator_free(cal); /* no-op for a static calibrator; harmless */
    return 0;
}
