/* SPDX-License-Identifier: Apache-2.0 */
/* The fused fast paths (2-D erosion by the cross; threshold on float32 and
 * 8-bit maps) against the literal references, on images large and varied
 * enough to reach every branch: blob-shaped maps with noise, padded rows,
 * widths that are not multiples of 8, rows and columns without Yhat, the
 * whole image in Yhat, scores spread over the whole float range (several
 * radix rounds), and both border policies. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conseco.h"
#include "kinds/erosion_cross2d.h"
#include "ref_erosion.h"
#include "ref_threshold.h"
#include "kinds/threshold_fast.h"
#include "test_util.h"

#define MAX_W 130
#define MAX_H 90
#define PAD 3 /* extra elements at the end of every row */

/* One random calibration pair in a padded buffer of any dtype. */
typedef struct pair {
    size_t w, h;
    int dtype;
    _Alignas(8) unsigned char map[(MAX_W + PAD) * MAX_H * 8];
    uint8_t truth[(MAX_W + PAD) * MAX_H];
    uint8_t yhat[MAX_W * MAX_H]; /* dense, from the contract's pixel values */
    conseco_image pred;
    conseco_mask mask;
} pair;

static size_t elem_size(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_U16: return 2;
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_F64: return 8;
    default: return 1;
    }
}

/* Writes score v (in [0, 1] for integer maps) at pixel i of the padded map. */
static void put(pair *p, size_t x, size_t y, double v)
{
    const size_t e = elem_size(p->dtype);
    unsigned char *px = p->map + y * (p->w + PAD) * e + x * e;
    switch (p->dtype) {
    case CONSECO_DTYPE_U8: *px = (unsigned char)(v * 255.0 + 0.5); break;
    case CONSECO_DTYPE_MASK8: *px = (unsigned char)(v >= 0.5 ? 1 + (int)(v * 200) : 0); break;
    case CONSECO_DTYPE_U16: {
        const uint16_t u = (uint16_t)(v * 65535.0 + 0.5);
        memcpy(px, &u, 2);
        break;
    }
    case CONSECO_DTYPE_F32: {
        const float f = (float)v;
        memcpy(px, &f, 4);
        break;
    }
    default: memcpy(px, &v, 8); break;
    }
}

/* Blobs of score over a noisy background; the truth is a shifted, shrunk
 * copy of some blobs. `kind` varies the shape of the case. */
static void make_pair(pair *p, tu_rng *r, int dtype, int kind)
{
    double cx[3], cy[3], rad[3];
    const int blobs = 1 + (int)tu_range(r, 0, 2);
    size_t x, y;
    int b;
    p->w = tu_range(r, 1, MAX_W);
    p->h = tu_range(r, 1, MAX_H);
    p->dtype = dtype;
    for (b = 0; b < blobs; b++) {
        cx[b] = tu_uniform(r) * (double)p->w;
        cy[b] = tu_uniform(r) * (double)p->h;
        rad[b] = 1.0 + tu_uniform(r) * 0.6 * (double)(p->w > p->h ? p->w : p->h);
    }
    for (y = 0; y < p->h; y++)
        for (x = 0; x < p->w; x++) {
            double s = 0.0, dx, dy;
            int in_truth = 0;
            for (b = 0; b < blobs; b++) {
                double v;
                dx = (double)x - cx[b];
                dy = (double)y - cy[b];
                v = 1.0 - (dx * dx + dy * dy) / (rad[b] * rad[b]) * 0.5;
                if (v > s) s = v;
                dx -= rad[b] * 0.2;
                if (b != 1 && dx * dx + dy * dy < 0.5 * rad[b] * rad[b]) in_truth = 1;
            }
            s += 0.08 * (tu_uniform(r) - 0.5);
            if (kind == 1) s = 0.9;                       /* all of the image in Yhat */
            if (kind == 2) s = s > 0.5 ? 0.75 : 0.25;     /* two values only: ties */
            if (s < 0.0) s = 0.0;
            if (s > 1.0) s = 1.0;
            put(p, x, y, s);
            p->truth[y * (p->w + PAD) + x] = (uint8_t)(kind == 3 ? tu_range(r, 0, 1) : (size_t)in_truth);
        }
    p->pred = conseco_image_2d(p->map, p->w, p->h, (p->w + PAD) * elem_size(dtype), dtype);
    p->mask = conseco_mask_2d(p->truth, p->w, p->h, p->w + PAD);
}

static void dense_yhat(pair *p, double base)
{
    size_t x, y;
    for (y = 0; y < p->h; y++)
        for (x = 0; x < p->w; x++)
            p->yhat[y * p->w + x] = (uint8_t)(ref_pixel(&p->pred, x, y, 0) >= base);
}

static void dense_truth(const pair *p, uint8_t *out)
{
    size_t y;
    for (y = 0; y < p->h; y++) memcpy(out + y * p->w, p->truth + y * (p->w + PAD), p->w);
}

static int same(double a, double b) { return a == b || (isinf(a) && isinf(b) && a > 0 && b > 0); }

/* ------------------------------------------------------------------ erosion */
static void test_cross_2d_against_literal(void **state)
{
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_F32, CONSECO_DTYPE_MASK8,
                                 CONSECO_DTYPE_U16, CONSECO_DTYPE_F64};
    static pair p;
    static uint8_t truth[MAX_W * MAX_H], ref_in[MAX_W * MAX_H];
    static uint8_t in[MAX_W * MAX_H], un[MAX_W * MAX_H];
    static unsigned char scratch[1 << 20];
    tu_rng r;
    int i;
    (void)state;
    r.state = 4242;
    for (i = 0; i < 600; i++) {
        conseco_erosion_params ep;
        conseco_shrinker sh;
        conseco_image_metrics got;
        conseco_mask_out mi, mu;
        const double tau = (double)tu_range(&r, 0, 20) / 100.0;
        double s = -1, want, lambda;
        size_t k, need, n_in = 0, n_fp = 0;
        make_pair(&p, &r, dtypes[i % 5], (int)tu_range(&r, 0, 5));
        conseco_erosion_params_default(&ep);
        ep.border = (i / 5) % 2 ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND;
        sh = conseco_shrinker_erosion(&ep);
        need = conseco_scratch_size(&sh, p.w, p.h, 1);
        assert_true(need > 0 && need <= sizeof scratch);
        dense_yhat(&p, ep.base);
        dense_truth(&p, truth);
        want = ref_erosion_score(p.yhat, truth, p.w, p.h, 1, CONSECO_ELEMENT_CROSS,
                                 (int)ep.border, tau);
        assert_int_equal(conseco_score(&sh, &p.pred, &p.mask, tau, scratch, need, &s),
                         CONSECO_OK);
        assert_true(same(s, want));
        /* one byte short is refused, as for every path */
        assert_int_equal(conseco_score(&sh, &p.pred, &p.mask, tau, scratch, need - 1, &s),
                         CONSECO_E_SCRATCH_TOO_SMALL);

        /* apply and evaluate around the score, fractional and infinite lambdas too */
        switch (tu_range(&r, 0, 4)) {
        case 0: lambda = isinf(want) ? 3.0 : want; break;
        case 1: lambda = (double)tu_range(&r, 0, 40) + 0.5; break;
        case 2: lambda = INFINITY; break;
        case 3: lambda = -1.5; break;
        default: lambda = (double)tu_range(&r, 0, 12); break;
        }
        if (isinf(lambda)) memset(ref_in, 0, p.w * p.h);
        else
            ref_erosion_inner(p.yhat, p.w, p.h, 1, CONSECO_ELEMENT_CROSS, (int)ep.border,
                              lambda <= 0 ? 0ul : (unsigned long)ceil(lambda), ref_in);
        memset(in, 9, sizeof in);
        memset(un, 9, sizeof un);
        mi = conseco_mask_out_2d(in, p.w, p.h, p.w);
        mu = conseco_mask_out_2d(un, p.w, p.h, p.w);
        assert_int_equal(conseco_apply(&sh, &p.pred, lambda, scratch, need, &mi, &mu), CONSECO_OK);
        for (k = 0; k < p.w * p.h; k++) {
            assert_int_equal(in[k], ref_in[k] != 0);
            assert_int_equal(un[k], p.yhat[k] && !ref_in[k]);
            n_in += ref_in[k] != 0;
            n_fp += ref_in[k] != 0 && truth[k] == 0;
        }
        assert_int_equal(conseco_evaluate_image(&sh, &p.pred, &p.mask, lambda, tau, scratch,
                                                need, &got),
                         CONSECO_OK);
        assert_int_equal(got.inner, n_in);
        assert_int_equal(got.inner_fp, n_fp);
    }
}

/* A NaN anywhere in a float map is refused before anything is written. */
static void test_cross_2d_nonfinite(void **state)
{
    static float map[40 * 30];
    static uint8_t truth[40 * 30], in[40 * 30];
    static unsigned char scratch[1 << 16];
    conseco_erosion_params ep;
    conseco_shrinker sh;
    conseco_image im;
    conseco_mask m;
    conseco_mask_out mi;
    volatile float zero = 0.0f;
    double s = 7.0;
    size_t i;
    (void)state;
    for (i = 0; i < 40 * 30; i++) map[i] = (float)(i % 7) / 6.0f;
    map[40 * 29 + 39] = zero / zero;
    conseco_erosion_params_default(&ep);
    sh = conseco_shrinker_erosion(&ep);
    im = conseco_image_2d(map, 40, 30, 40 * sizeof(float), CONSECO_DTYPE_F32);
    m = conseco_mask_2d(truth, 40, 30, 40);
    mi = conseco_mask_out_2d(in, 40, 30, 40);
    memset(in, 9, sizeof in);
    assert_int_equal(conseco_score(&sh, &im, &m, 0.1, scratch, sizeof scratch, &s),
                     CONSECO_E_NONFINITE);
    assert_true(s == 7.0);
    assert_int_equal(conseco_apply(&sh, &im, 1.0, scratch, sizeof scratch, &mi, NULL),
                     CONSECO_E_NONFINITE);
    for (i = 0; i < 40 * 30; i++) assert_int_equal(in[i], 9);
    map[40 * 29 + 39] = 1.0f / zero;
    assert_int_equal(conseco_score(&sh, &im, &m, 0.1, scratch, sizeof scratch, &s),
                     CONSECO_E_NONFINITE);
}

/* ---------------------------------------------------------------- threshold */
static void test_threshold_against_literal(void **state)
{
    static const int dtypes[] = {CONSECO_DTYPE_F32, CONSECO_DTYPE_U8, CONSECO_DTYPE_MASK8};
    static pair p;
    static unsigned char scratch[1 << 20];
    tu_rng r;
    int i;
    (void)state;
    r.state = 777;
    for (i = 0; i < 900; i++) {
        conseco_threshold_params tp;
        conseco_shrinker sh;
        const double tau = (double)tu_range(&r, 0, 20) / 100.0;
        double s = -1, want;
        size_t need;
        make_pair(&p, &r, dtypes[i % 3], (int)tu_range(&r, 0, 5));
        if (p.dtype == CONSECO_DTYPE_F32 && i % 2 == 0) { /* 64 levels: few breakpoints */
            size_t x, y;
            for (y = 0; y < p.h; y++)
                for (x = 0; x < p.w; x++) {
                    float *f = (float *)(void *)(p.map + y * p.pred.row_stride) + x;
                    *f = (float)((double)(int)(*f * 63.0f) / 63.0);
                }
        }
        /* the literal walk costs pixels x breakpoints: keep the images with
         * many distinct scores small (the others reach the fast paths, which
         * take images of a few thousand pixels and more) */
        if (p.w * p.h > 600 && p.dtype == CONSECO_DTYPE_F32 && i % 2 == 1) {
            p.w = 1 + (p.w - 1) % 30; /* never wider or taller than made */
            p.h = 1 + (p.h - 1) % 20;
            p.pred.width = p.mask.width = p.w;
            p.pred.height = p.mask.height = p.h;
        }
        conseco_threshold_params_default(&tp);
        if (i % 4 == 1) tp.base = (double)tu_range(&r, 0, 100) / 101.0;
        if (i % 4 == 2) tp.top = tp.base + (double)tu_range(&r, 0, 50) / 101.0;
        sh = conseco_shrinker_threshold(&tp);
        need = conseco_scratch_size(&sh, p.w, p.h, 1);
        assert_true(need > 0 && need <= sizeof scratch);
        want = ref_threshold_score(&tp, &p.pred, &p.mask, tau);
        assert_int_equal(conseco_score(&sh, &p.pred, &p.mask, tau, scratch, need, &s),
                         CONSECO_OK);
        assert_true(same(s, want));
        assert_int_equal(conseco_score(&sh, &p.pred, &p.mask, tau, scratch, need - 1, &s),
                         CONSECO_E_SCRATCH_TOO_SMALL);
    }
}

/* Float scores over the whole finite range (both signs, subnormals, -0):
 * the radix selection needs all its rounds; ties at the cut are common. */
static void test_threshold_f32_wide_range(void **state)
{
    enum { W = 37, H = 23 };
    static float map[W * H];
    static uint8_t truth[W * H];
    static unsigned char scratch[1 << 18];
    tu_rng r;
    int i;
    (void)state;
    r.state = 99;
    for (i = 0; i < 400; i++) {
        conseco_threshold_params tp;
        conseco_shrinker sh;
        conseco_image im = conseco_image_2d(map, W, H, W * sizeof(float), CONSECO_DTYPE_F32);
        conseco_mask m = conseco_mask_2d(truth, W, H, W);
        const double tau = (double)tu_range(&r, 0, 30) / 100.0;
        double s = -1, want;
        size_t k;
        for (k = 0; k < (size_t)W * H; k++) {
            uint32_t bits;
            do {
                bits = (uint32_t)tu_next(&r);
            } while ((bits & 0x7F800000u) == 0x7F800000u); /* finite only */
            if (tu_range(&r, 0, 9) == 0) bits &= 0x807FFFFFu; /* subnormals and zeros */
            if (tu_range(&r, 0, 5) == 0 && k > 0) memcpy(&bits, &map[k - 1], 4); /* ties */
            memcpy(&map[k], &bits, 4);
            truth[k] = (uint8_t)tu_range(&r, 0, 1);
        }
        conseco_threshold_params_default(&tp);
        tp.base = i % 2 ? -1e30 : -0.0;
        tp.top = i % 3 ? 1e30 : 1e-20;
        sh = conseco_shrinker_threshold(&tp);
        want = ref_threshold_score(&tp, &im, &m, tau);
        assert_int_equal(conseco_score(&sh, &im, &m, tau, scratch, sizeof scratch, &s),
                         CONSECO_OK);
        assert_true(same(s, want));
    }
}

/* ---------------------------------------------------- white box, tiny images */
/* Tiny and thin images keep the general path through the public API (the
 * fused paths take an image only when their scratch fits in the public
 * size), so the fused entry points are also called directly here. */
static void test_fused_entry_points_tiny(void **state)
{
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_F32, CONSECO_DTYPE_MASK8,
                                 CONSECO_DTYPE_U16, CONSECO_DTYPE_F64};
    static pair p;
    static uint8_t truth[MAX_W * MAX_H], ref_in[MAX_W * MAX_H], in[MAX_W * MAX_H];
    static unsigned char scratch[1 << 20];
    tu_rng r;
    int i;
    (void)state;
    r.state = 31337;
    for (i = 0; i < 3000; i++) {
        conseco_erosion_params ep;
        conseco_threshold_params tp;
        conseco_mask_out mi;
        conseco_image_metrics got;
        const double tau = (double)tu_range(&r, 0, 20) / 100.0;
        const double lambda = (double)tu_range(&r, 0, 6);
        double s = -1, want;
        size_t k, n_in = 0, n_fp = 0;
        make_pair(&p, &r, dtypes[i % 5], (int)tu_range(&r, 0, 5));
        /* tiny shapes, lines and single pixels */
        p.w = 1 + (p.w - 1) % (i % 3 == 0 ? 1 : 9); /* never wider or taller than made */
        p.h = 1 + (p.h - 1) % (i % 3 == 1 ? 1 : 7);
        p.pred.width = p.mask.width = p.w;
        p.pred.height = p.mask.height = p.h;
        conseco_erosion_params_default(&ep);
        ep.border = i % 2 ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND;
        assert_true(conseco__cross2d_applies(&ep, &p.pred));
        {   /* the dense copies the references read */
            size_t x, y;
            for (y = 0; y < p.h; y++)
                for (x = 0; x < p.w; x++) {
                    p.yhat[y * p.w + x] = (uint8_t)(ref_pixel(&p.pred, x, y, 0) >= ep.base);
                    truth[y * p.w + x] = p.truth[y * p.mask.row_stride + x];
                }
        }
        want = ref_erosion_score(p.yhat, truth, p.w, p.h, 1, CONSECO_ELEMENT_CROSS,
                                 (int)ep.border, tau);
        assert_int_equal(conseco__cross2d_score(&ep, &p.pred, &p.mask, tau, scratch,
                                                sizeof scratch, &s),
                         CONSECO_OK);
        assert_true(same(s, want));
        ref_erosion_inner(p.yhat, p.w, p.h, 1, CONSECO_ELEMENT_CROSS, (int)ep.border,
                          (unsigned long)lambda, ref_in);
        mi = conseco_mask_out_2d(in, p.w, p.h, p.w);
        assert_int_equal(conseco__cross2d_apply(&ep, &p.pred, lambda, scratch, sizeof scratch,
                                                &mi, NULL),
                         CONSECO_OK);
        for (k = 0; k < p.w * p.h; k++) {
            assert_int_equal(in[k], ref_in[k] != 0);
            n_in += ref_in[k] != 0;
            n_fp += ref_in[k] != 0 && truth[k] == 0;
        }
        assert_int_equal(conseco__cross2d_evaluate(&ep, &p.pred, &p.mask, lambda, tau, scratch,
                                                   sizeof scratch, &got),
                         CONSECO_OK);
        assert_int_equal(got.inner, n_in);
        assert_int_equal(got.inner_fp, n_fp);

        conseco_threshold_params_default(&tp);
        if (i % 4 == 1) tp.base = (double)tu_range(&r, 0, 100) / 101.0;
        if (conseco__threshold_fast_applies(&tp, &p.pred)) {
            want = ref_threshold_score(&tp, &p.pred, &p.mask, tau);
            assert_int_equal(conseco__threshold_fast_score(&tp, &p.pred, &p.mask, tau, scratch,
                                                           sizeof scratch, &s),
                             CONSECO_OK);
            assert_true(same(s, want));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_2d_against_literal),
        cmocka_unit_test(test_cross_2d_nonfinite),
        cmocka_unit_test(test_threshold_against_literal),
        cmocka_unit_test(test_threshold_f32_wide_range),
        cmocka_unit_test(test_fused_entry_points_tiny),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
