/* SPDX-License-Identifier: Apache-2.0 */
/* Experimental conseco_evaluate_lambdas(): out[i] equals what
 * conseco_evaluate_image() gives at lambdas[i], field by field and bit for
 * bit, for every kind (threshold on every dtype, erosion by every element and
 * border, custom with levels and black box), in 2-D and 3-D. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"
#include "test_util.h"

#define MAX_PIX 4096
#define MAX_LAMBDAS 40

typedef struct tcase {
    size_t w, h, d, n;
    double map_store[MAX_PIX]; /* 8-byte aligned for every dtype */
    int dtype;
    uint8_t truth[MAX_PIX];
    double lv[MAX_PIX]; /* custom shrinkers: the level of each pixel */
} tcase;

static size_t elem(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_U16: return 2;
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_F64: return 8;
    default: return 1;
    }
}

static void fill(tcase *c, tu_rng *r, int dtype, int volume)
{
    size_t i;
    c->w = tu_range(r, 1, 24);
    c->h = tu_range(r, 1, 24);
    c->d = volume ? tu_range(r, 2, 7) : 1;
    c->n = c->w * c->h * c->d;
    c->dtype = dtype;
    for (i = 0; i < c->n; i++) {
        /* a blob in the middle and noise, so erosion has work to do */
        const size_t x = i % c->w, y = (i / c->w) % c->h, z = i / (c->w * c->h);
        const double dx = (double)x - (double)c->w / 2.0, dy = (double)y - (double)c->h / 2.0;
        const double dz = (double)z - (double)c->d / 2.0;
        double s = 1.0 - (dx * dx + dy * dy + dz * dz) / (double)(c->w * c->w + c->h * c->h) * 2.0 +
                   0.3 * (tu_uniform(r) - 0.5);
        if (s < 0.0) s = 0.0;
        if (s > 1.0) s = 1.0;
        switch (dtype) {
        case CONSECO_DTYPE_U8: ((unsigned char *)c->map_store)[i] = (uint8_t)(s * 255.0); break;
        case CONSECO_DTYPE_MASK8: ((unsigned char *)c->map_store)[i] = (uint8_t)(s >= 0.5); break;
        case CONSECO_DTYPE_U16: {
            uint16_t v = (uint16_t)(s * 65535.0);
            memcpy(((unsigned char *)c->map_store) + 2 * i, &v, 2);
            break;
        }
        case CONSECO_DTYPE_F32: {
            float v = (float)s;
            memcpy(((unsigned char *)c->map_store) + 4 * i, &v, 4);
            break;
        }
        default: memcpy(((unsigned char *)c->map_store) + 8 * i, &s, 8); break;
        }
        c->truth[i] = (uint8_t)(tu_uniform(r) < (s > 0.4 ? 0.8 : 0.1));
        c->lv[i] = tu_uniform(r) < 0.3 ? -INFINITY : (double)tu_range(r, 0, 9) - 2.0;
    }
}

static conseco_image image_of(const tcase *c)
{
    const size_t row = c->w * elem(c->dtype);
    return conseco_image_3d(c->map_store, c->w, c->h, c->d, row, row * c->h, c->dtype);
}

static conseco_mask truth_of(const tcase *c)
{
    return conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void same_metrics(const conseco_image_metrics *a, const conseco_image_metrics *b)
{
    assert_true(a->predicted == b->predicted);
    assert_true(a->inner == b->inner);
    assert_true(a->inner_fp == b->inner_fp);
    assert_true(a->inner_tp == b->inner_tp);
    assert_true(same_bits(a->afp, b->afp));
    assert_true(same_bits(a->cr, b->cr));
    assert_true(same_bits(a->atp, b->atp));
    assert_int_equal(a->valid, b->valid);
}

/* Custom shrinkers on the level map held by the case. */
static int lv_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const tcase *c = (const tcase *)user;
    (void)pred;
    if (count < c->n) return 1;
    memcpy(levels, c->lv, c->n * sizeof(double));
    return 0;
}

static int lv_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                    size_t count)
{
    const tcase *c = (const tcase *)user;
    size_t i;
    (void)pred;
    if (count < c->n) return 1;
    for (i = 0; i < c->n; i++) inner[i] = (uint8_t)(c->lv[i] >= -2.0 && c->lv[i] >= lambda);
    return 0;
}

static conseco_shrinker_vtable custom_vt(int black_box)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = black_box ? "levels-bb" : "levels";
    vt.domain = CONSECO_DOMAIN_INTEGER;
    vt.lambda_min = -2.0;
    vt.lambda_max = INFINITY;
    if (black_box)
        vt.apply = lv_apply;
    else
        vt.levels = lv_levels;
    return vt;
}

/* The lambdas: below lambda_min, every level of interest, halves, +inf. */
static size_t pick_lambdas(tu_rng *r, double *l)
{
    size_t k = 0;
    l[k++] = INFINITY;
    l[k++] = -INFINITY;
    l[k++] = -3.0;
    l[k++] = 0.0;
    l[k++] = 0.5;
    l[k++] = 1.0;
    while (k < MAX_LAMBDAS) {
        switch (tu_range(r, 0, 3)) {
        case 0: l[k++] = (double)tu_range(r, 0, 12); break;
        case 1: l[k++] = (double)tu_range(r, 0, 255) / 255.0; break;
        case 2: l[k++] = tu_uniform(r) * 1.2 - 0.1; break;
        default: l[k++] = (double)tu_range(r, 0, 24) / 2.0 - 2.0; break;
        }
    }
    return k;
}

static void check_case(const conseco_shrinker *sh, const tcase *c, tu_rng *r)
{
    const conseco_image im = image_of(c);
    const conseco_mask t = truth_of(c);
    double lambdas[MAX_LAMBDAS];
    conseco_image_metrics got[MAX_LAMBDAS], want;
    const size_t k = pick_lambdas(r, lambdas);
    const double tau = (double)tu_range(r, 0, 4) / 8.0;
    const size_t need = conseco_evaluate_lambdas_scratch_size(sh, c->w, c->h, c->d);
    const size_t need1 = conseco_scratch_size(sh, c->w, c->h, c->d);
    unsigned char *scratch = malloc(need + 1), *scratch1 = malloc(need1 + 1);
    size_t i;
    assert_true(need > 0);
    assert_non_null(scratch);
    assert_non_null(scratch1);
    /* unaligned scratch on purpose */
    assert_int_equal(conseco_evaluate_lambdas(sh, &im, &t, lambdas, k, tau, scratch + 1, need, got),
                     CONSECO_OK);
    for (i = 0; i < k; i++) {
        assert_int_equal(conseco_evaluate_image(sh, &im, &t, lambdas[i], tau, scratch1 + 1, need1,
                                                &want),
                         CONSECO_OK);
        same_metrics(&got[i], &want);
    }
    free(scratch);
    free(scratch1);
}

static void test_matches_evaluate_image(void **state)
{
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_U16, CONSECO_DTYPE_F32,
                                 CONSECO_DTYPE_F64, CONSECO_DTYPE_MASK8};
    tcase *c = malloc(sizeof *c);
    tu_rng r = {0x5eed};
    int iter;
    (void)state;
    assert_non_null(c);
    for (iter = 0; iter < 240; iter++) {
        const int volume = iter % 2;
        const int dtype = dtypes[tu_range(&r, 0, 4)];
        const int which = iter % 6; /* threshold, erosion x3, custom levels, custom black box */
        conseco_shrinker sh;
        conseco_threshold_params tp;
        conseco_erosion_params ep;
        conseco_shrinker_vtable vt;
        fill(c, &r, dtype, volume);
        if (which == 0) {
            conseco_threshold_params_default(&tp);
            tp.base = (double)tu_range(&r, 2, 6) / 10.0;
            tp.top = tp.base + (double)tu_range(&r, 0, 5) / 10.0;
            sh = conseco_shrinker_threshold(&tp);
        } else if (which <= 3) {
            conseco_erosion_params_default(&ep);
            ep.element = (uint32_t)which;
            ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND;
            ep.base = (double)tu_range(&r, 3, 6) / 10.0;
            sh = conseco_shrinker_erosion(&ep);
        } else {
            vt = custom_vt(which == 5);
            sh.vtable = &vt;
            sh.user = c;
        }
        check_case(&sh, c, &r);
    }
    free(c);
}

static void test_arguments(void **state)
{
    static float map[4] = {0.9f, 0.6f, 0.2f, 0.7f};
    static uint8_t truth[4] = {1, 0, 0, 1};
    conseco_threshold_params tp;
    conseco_shrinker sh;
    conseco_image im = conseco_image_2d(map, 2, 2, 2 * sizeof(float), CONSECO_DTYPE_F32);
    conseco_mask t = conseco_mask_2d(truth, 2, 2, 2);
    double lambdas[2] = {0.65, NAN};
    conseco_image_metrics out[2];
    unsigned char scratch[8192];
    size_t need;
    (void)state;
    conseco_threshold_params_default(&tp);
    sh = conseco_shrinker_threshold(&tp);
    need = conseco_evaluate_lambdas_scratch_size(&sh, 2, 2, 1);
    assert_true(need > 0 && need <= sizeof scratch);
    assert_int_equal(conseco_evaluate_lambdas_scratch_size(&sh, 0, 2, 1), 0);
    assert_int_equal(conseco_evaluate_lambdas_scratch_size(NULL, 2, 2, 1), 0);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, lambdas, 1, 0.1, scratch, need, NULL),
                     CONSECO_E_NULL);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, NULL, 1, 0.1, scratch, need, out),
                     CONSECO_E_NULL);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, NULL, 0, 0.1, scratch, need, out),
                     CONSECO_OK);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, lambdas, 2, 0.1, scratch, need, out),
                     CONSECO_E_BAD_LAMBDA);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, lambdas, 1, 1.5, scratch, need, out),
                     CONSECO_E_BAD_TAU);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, lambdas, 1, 0.1, scratch, 8, out),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, lambdas, 1, 0.1, NULL, 8, out),
                     CONSECO_E_NULL);
    assert_int_equal(conseco_evaluate_lambdas(&sh, &im, &t, lambdas, 1, 0.1, scratch, need, out),
                     CONSECO_OK);
    /* Yhat = {0.9, 0.6, 0.7}; I at 0.65 = {0.9, 0.7}, both true */
    assert_true(out[0].predicted == 3 && out[0].inner == 2 && out[0].inner_fp == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_evaluate_image),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
