/* SPDX-License-Identifier: Apache-2.0 */
/* The 16-pixel group code of the float32 and 8-bit fast paths (threshold
 * score; erosion by the cross, pass 1a) against the literal references, on
 * maps built to reach its edges: widths on both sides of multiples of 16
 * (full groups, tails, images narrower than a group, 1xN and Nx1), padded
 * rows whose padding holds NaN and nonzero truth, values equal to base and
 * one float step either side, -0.0 and +0.0, subnormals, long runs that
 * fill whole groups with false positives or with other Yhat pixels, mixed
 * groups, empty predictions, and a NaN or an infinity at every kind of
 * position. A CONSECO_NO_SIMD build runs the same cases on the plain C code,
 * which must give the same answers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conseco.h"
#include "kinds/erosion_cross2d.h"
#include "ref_erosion.h"
#include "ref_threshold.h"
#include "test_util.h"
#include "kinds/threshold_fast.h"

#define MAX_W 70
#define MAX_H 12
#define PAD 5

static float fmap[(MAX_W + PAD) * MAX_H];
static uint8_t bmap[(MAX_W + PAD) * MAX_H];
static uint8_t truth[(MAX_W + PAD) * MAX_H];
static uint8_t dense_yhat[MAX_W * MAX_H], dense_truth[MAX_W * MAX_H];
static uint8_t ref_in[MAX_W * MAX_H], in[MAX_W * MAX_H];
static unsigned char scratch[1 << 18];

static int same(double a, double b) { return a == b || (isinf(a) && isinf(b) && a > 0 && b > 0); }

static float step(float f, int up)
{
    return nextafterf(f, up ? INFINITY : -INFINITY);
}

/* One float of the class `k` around base b. */
static float value(tu_rng *r, int k, float b)
{
    switch (k) {
    case 0: return b - 1.0f + (float)tu_uniform(r); /* below */
    case 1: return b;
    case 2: return step(b, 0);
    case 3: return step(b, 1);
    case 4: return -0.0f;
    case 5: return 0.0f;
    case 6: return (float)tu_range(r, 1, 5) * 1e-45f; /* subnormal */
    case 7: return 1.0f;
    default: return b + (float)tu_uniform(r); /* above */
    }
}

/* Runs of equal classes and of equal truth, so that whole groups are below
 * base, false positives or true positives, and their edges fall anywhere. */
static void make_f32(tu_rng *r, size_t w, size_t h, float b)
{
    size_t i, n = w * h, left = 0, tleft = 0;
    int k = 0;
    uint8_t t = 0;
    for (i = 0; i < (MAX_W + PAD) * MAX_H; i++) {
        fmap[i] = NAN; /* padding: never read */
        truth[i] = 7;
    }
    for (i = 0; i < n; i++) {
        const size_t at = (i / w) * (w + PAD) + i % w;
        if (left == 0) {
            k = (int)tu_range(r, 0, 9);
            left = tu_range(r, 1, 40);
        }
        if (tleft == 0) {
            t = (uint8_t)tu_range(r, 0, 1);
            tleft = tu_range(r, 1, 40);
        }
        fmap[at] = value(r, tu_range(r, 0, 7) == 0 ? (int)tu_range(r, 0, 9) : k, b);
        truth[at] = t;
        left--;
        tleft--;
    }
}

static void make_u8(tu_rng *r, size_t w, size_t h)
{
    static const uint8_t near[] = {0, 1, 126, 127, 128, 129, 254, 255};
    size_t i, n = w * h, left = 0, tleft = 0;
    uint8_t v = 0, t = 0;
    memset(bmap, 200, sizeof bmap); /* padding */
    memset(truth, 7, sizeof truth);
    for (i = 0; i < n; i++) {
        const size_t at = (i / w) * (w + PAD) + i % w;
        if (left == 0) {
            v = tu_range(r, 0, 1) ? near[tu_range(r, 0, 7)] : (uint8_t)tu_range(r, 0, 255);
            left = tu_range(r, 1, 40);
        }
        if (tleft == 0) {
            t = (uint8_t)tu_range(r, 0, 1);
            tleft = tu_range(r, 1, 40);
        }
        bmap[at] = tu_range(r, 0, 5) == 0 ? (uint8_t)tu_range(r, 0, 255) : v;
        truth[at] = t;
        left--;
        tleft--;
    }
}

static void shape(tu_rng *r, int i, size_t *w, size_t *h)
{
    *w = tu_range(r, 1, MAX_W);
    *h = tu_range(r, 1, MAX_H);
    if (i % 7 == 0) *w = 16 * tu_range(r, 1, 4) + tu_range(r, 0, 2) - 1; /* around groups */
    if (i % 11 == 0) *h = 1;
    if (i % 13 == 0) *w = 1;
}

static void densify(const conseco_image *pred, const conseco_mask *m, double base)
{
    size_t x, y;
    for (y = 0; y < pred->height; y++)
        for (x = 0; x < pred->width; x++) {
            dense_yhat[y * pred->width + x] = (uint8_t)(ref_pixel(pred, x, y, 0) >= base);
            dense_truth[y * pred->width + x] = m->data[y * m->row_stride + x];
        }
}

/* Threshold (public and fast entry) and erosion by the cross (score and
 * apply) on one map, against the references. */
static void check_map(const conseco_image *pred, const conseco_mask *m, double base, double top,
                      double tau, int border)
{
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_shrinker sh;
    conseco_mask_out mo;
    const size_t n = pred->width * pred->height;
    const unsigned long lambda = 2;
    double s = -1.0, want;
    size_t k;
    conseco_threshold_params_default(&tp);
    tp.base = base;
    tp.top = top;
    sh = conseco_shrinker_threshold(&tp);
    want = ref_threshold_score(&tp, pred, m, tau);
    assert_true(conseco__threshold_fast_applies(&tp, pred));
    assert_int_equal(
        conseco__threshold_fast_score(&tp, pred, m, tau, scratch, sizeof scratch, &s), CONSECO_OK);
    assert_true(same(s, want));
    s = -1.0;
    assert_int_equal(conseco_score(&sh, pred, m, tau, scratch,
                                   conseco_scratch_size(&sh, pred->width, pred->height, 1), &s),
                     CONSECO_OK);
    assert_true(same(s, want));

    conseco_erosion_params_default(&ep);
    ep.base = base;
    ep.border = (uint32_t)border;
    densify(pred, m, base);
    want = ref_erosion_score(dense_yhat, dense_truth, pred->width, pred->height, 1,
                             CONSECO_ELEMENT_CROSS, border, tau);
    assert_true(conseco__cross2d_applies(&ep, pred));
    s = -1.0;
    assert_int_equal(conseco__cross2d_score(&ep, pred, m, tau, scratch, sizeof scratch, &s),
                     CONSECO_OK);
    assert_true(same(s, want));
    ref_erosion_inner(dense_yhat, pred->width, pred->height, 1, CONSECO_ELEMENT_CROSS, border,
                      lambda, ref_in);
    mo = conseco_mask_out_2d(in, pred->width, pred->height, pred->width);
    assert_int_equal(conseco__cross2d_apply(&ep, pred, (double)lambda, scratch, sizeof scratch,
                                            &mo, NULL),
                     CONSECO_OK);
    for (k = 0; k < n; k++) assert_int_equal(in[k], ref_in[k] != 0);
}

static void test_f32_groups(void **state)
{
    static const float bases[] = {0.5f, 0.0f, -0.0f, -0.25f, 1e-45f};
    tu_rng r;
    int i;
    (void)state;
    r.state = 2718;
    for (i = 0; i < 2500; i++) {
        const float b = bases[i % 5];
        const double tau = (double)tu_range(&r, 0, 25) / 100.0;
        const double top = i % 3 == 0 ? (double)b + 0.3 : 1.0;
        size_t w, h;
        conseco_image pred;
        conseco_mask m;
        shape(&r, i, &w, &h);
        make_f32(&r, w, h, b);
        if (i % 17 == 0) { /* an empty prediction */
            size_t x, y;
            for (y = 0; y < h; y++)
                for (x = 0; x < w; x++) fmap[y * (w + PAD) + x] = step(b, 0);
        }
        pred = conseco_image_2d(fmap, w, h, (w + PAD) * sizeof(float), CONSECO_DTYPE_F32);
        m = conseco_mask_2d(truth, w, h, w + PAD);
        check_map(&pred, &m, (double)b, top, tau,
                  i % 2 ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND);
    }
}

/* One NaN, +inf or -inf anywhere in the image (in a group or a tail, in or
 * out of Yhat, first or last pixel): every float path reports it. */
static void test_f32_nonfinite_anywhere(void **state)
{
    const float zero = 0.0f;
    tu_rng r;
    int i;
    (void)state;
    r.state = 1618;
    for (i = 0; i < 3000; i++) {
        conseco_threshold_params tp;
        conseco_erosion_params ep;
        conseco_shrinker sh;
        conseco_image pred;
        conseco_mask m;
        size_t w, h, x, y;
        double s = -1.0;
        const int kind = i % 3;
        shape(&r, i, &w, &h);
        make_f32(&r, w, h, 0.5f);
        x = i % 5 == 0 ? 0 : i % 5 == 1 ? w - 1 : tu_range(&r, 0, w - 1);
        y = tu_range(&r, 0, h - 1);
        fmap[y * (w + PAD) + x] = kind == 0 ? zero / zero : kind == 1 ? 1.0f / zero : -1.0f / zero;
        pred = conseco_image_2d(fmap, w, h, (w + PAD) * sizeof(float), CONSECO_DTYPE_F32);
        m = conseco_mask_2d(truth, w, h, w + PAD);
        conseco_threshold_params_default(&tp);
        sh = conseco_shrinker_threshold(&tp);
        assert_int_equal(
            conseco__threshold_fast_score(&tp, &pred, &m, 0.05, scratch, sizeof scratch, &s),
            CONSECO_E_NONFINITE);
        assert_int_equal(conseco_score(&sh, &pred, &m, 0.05, scratch, sizeof scratch, &s),
                         CONSECO_E_NONFINITE);
        conseco_erosion_params_default(&ep);
        assert_int_equal(conseco__cross2d_score(&ep, &pred, &m, 0.05, scratch, sizeof scratch, &s),
                         CONSECO_E_NONFINITE);
    }
}

static void test_u8_groups(void **state)
{
    static const double bases[] = {0.5, 0.0, 128.0 / 255.0, 1.0, 0.3};
    tu_rng r;
    int i;
    (void)state;
    r.state = 1414;
    for (i = 0; i < 2500; i++) {
        const int dtype = i % 3 == 2 ? CONSECO_DTYPE_MASK8 : CONSECO_DTYPE_U8;
        const double base = bases[i % 5];
        const double tau = (double)tu_range(&r, 0, 25) / 100.0;
        const double top = i % 4 == 0 ? base + 0.2 : 1.0;
        size_t w, h;
        conseco_image pred;
        conseco_mask m;
        shape(&r, i, &w, &h);
        make_u8(&r, w, h);
        pred = conseco_image_2d(bmap, w, h, w + PAD, dtype);
        m = conseco_mask_2d(truth, w, h, w + PAD);
        check_map(&pred, &m, base, top, tau,
                  i % 2 ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_groups),
        cmocka_unit_test(test_f32_nonfinite_anywhere),
        cmocka_unit_test(test_u8_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
