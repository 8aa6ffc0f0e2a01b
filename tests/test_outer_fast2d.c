/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fused 2-D path of the dilation and erosion-band scores by the cross, the
 * square and the disk (lib/kinds/outer_fast2d.c) against the literal references of
 * tests/support/ref_outer.c: thousands of random images of 1 to 70 pixels a
 * side (every dtype, both border policies, thin images, empty and full Yhat
 * and truth, truth far outside Yhat, ties, +inf scores), NaN and infinities,
 * long images whose distances come near the 16-bit limit (checked against
 * brute-force distances), and ball-mm with one spacing along x and y.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"
#include "outer_fast2d.h"
#include "ref_distance_mm.h"
#include "ref_outer.h"
#include "test_util.h"

typedef struct fcase {
    size_t w, h, n;
    int dtype;
    void *map;
    uint8_t *yhat, *truth;
    double base;
} fcase;

/* Paints an ellipse, its centre possibly outside the image. */
static void blob(tu_rng *r, size_t w, size_t h, uint8_t *m, uint8_t v)
{
    const double cx = -0.3 * (double)w + 1.6 * (double)w * tu_uniform(r);
    const double cy = -0.3 * (double)h + 1.6 * (double)h * tu_uniform(r);
    const double rx = 0.5 + 0.4 * (double)w * tu_uniform(r);
    const double ry = 0.5 + 0.4 * (double)h * tu_uniform(r);
    size_t x, y;
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            const double u = ((double)x - cx) / rx, q = ((double)y - cy) / ry;
            if (u * u + q * q <= 1.0) m[x + w * y] = v;
        }
}

static void mask(tu_rng *r, size_t w, size_t h, uint8_t *m)
{
    const size_t n = w * h;
    size_t i, k;
    memset(m, 0, n);
    switch (tu_range(r, 0, 9)) {
    case 0: break;
    case 1: memset(m, 1, n); break;
    case 2:
        for (i = 0; i < n; i++) m[i] = (uint8_t)(tu_uniform(r) < 0.4);
        break;
    case 3: /* a few scattered pixels */
        for (k = tu_range(r, 1, 4); k > 0; k--) m[tu_range(r, 0, n - 1)] = 1;
        break;
    case 4: /* everything but a hole */
        memset(m, 1, n);
        blob(r, w, h, m, 0);
        break;
    default:
        for (k = tu_range(r, 1, 3); k > 0; k--) blob(r, w, h, m, 1);
        if (tu_range(r, 0, 2) == 0) blob(r, w, h, m, 0);
        break;
    }
}

/* A map of the dtype whose Yhat at c->base is c->yhat (integer maps: the
 * base's own threshold), with ties at the threshold. */
static void make_map(tu_rng *r, fcase *c)
{
    size_t i;
    for (i = 0; i < c->n; i++) {
        const int in = c->yhat[i] != 0;
        switch (c->dtype) {
        case CONSECO_DTYPE_U8:
            ((uint8_t *)c->map)[i] = (uint8_t)(in ? (tu_range(r, 0, 3) ? tu_range(r, 128, 255) : 128)
                                                  : tu_range(r, 0, 127));
            break;
        case CONSECO_DTYPE_U16:
            ((uint16_t *)c->map)[i] =
                (uint16_t)(in ? tu_range(r, 32768, 65535) : tu_range(r, 0, 32767));
            break;
        case CONSECO_DTYPE_MASK8:
            ((uint8_t *)c->map)[i] = (uint8_t)(in ? tu_range(r, 1, 255) : 0);
            break;
        case CONSECO_DTYPE_F32:
            ((float *)c->map)[i] =
                in ? (tu_range(r, 0, 3) ? (float)(0.5 + 0.5 * tu_uniform(r)) : 0.5f)
                   : (float)(0.4999 * tu_uniform(r));
            break;
        default:
            ((double *)c->map)[i] = in ? (tu_range(r, 0, 3) ? 0.5 + 0.5 * tu_uniform(r) : 0.5)
                                       : 0.4999 * tu_uniform(r);
            break;
        }
    }
}

static size_t esize(int dtype)
{
    if (dtype == CONSECO_DTYPE_F64) return 8;
    if (dtype == CONSECO_DTYPE_F32) return 4;
    if (dtype == CONSECO_DTYPE_U16) return 2;
    return 1;
}

static void gen(tu_rng *r, fcase *c)
{
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_F32, CONSECO_DTYPE_F64,
                                 CONSECO_DTYPE_U16, CONSECO_DTYPE_MASK8};
    switch (tu_range(r, 0, 5)) {
    case 0: /* thin */
        c->w = tu_range(r, 0, 1) ? 1 : tu_range(r, 1, 70);
        c->h = c->w == 1 ? tu_range(r, 1, 70) : tu_range(r, 1, 3);
        break;
    case 1:
        c->w = tu_range(r, 1, 12);
        c->h = tu_range(r, 1, 12);
        break;
    default:
        c->w = tu_range(r, 8, 40);
        c->h = tu_range(r, 8, 40);
        break;
    }
    c->n = c->w * c->h;
    c->dtype = dtypes[tu_range(r, 0, 4)];
    c->base = c->dtype == CONSECO_DTYPE_U8 ? 128.0 / 255.0 : 0.5;
    if (c->dtype == CONSECO_DTYPE_MASK8) c->base = 1.0;
    c->map = malloc(c->n * 8);
    c->yhat = malloc(c->n);
    c->truth = malloc(c->n);
    mask(r, c->w, c->h, c->yhat);
    switch (tu_range(r, 0, 4)) {
    case 0: memcpy(c->truth, c->yhat, c->n); break;
    case 1: {
        size_t i;
        memcpy(c->truth, c->yhat, c->n);
        for (i = 0; i < c->n; i++)
            if (tu_uniform(r) < 0.15) c->truth[i] = (uint8_t)!c->truth[i];
        break;
    }
    default: mask(r, c->w, c->h, c->truth); break;
    }
    make_map(r, c);
}

static void release(fcase *c)
{
    free(c->map);
    free(c->yhat);
    free(c->truth);
}

static double pick_tau(tu_rng *r)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0};
    if (tu_range(r, 0, 3) == 0) return tu_uniform(r);
    return taus[tu_range(r, 0, 7)];
}

static double g_spacing[2]; /* of the views; 0: not given */

static conseco_image view(const fcase *c)
{
    const size_t es = esize(c->dtype);
    conseco_image im = conseco_image_2d(c->map, c->w, c->h, c->w * es, c->dtype);
    im.spacing[0] = g_spacing[0];
    im.spacing[1] = g_spacing[1];
    return im;
}

static unsigned n_fast, n_inf, n_pos;

static int score_of(conseco_erosion_params *ep, uint32_t side, double tau, double tau2,
                    const fcase *c, double *out)
{
    const conseco_shrinker sh = conseco_shrinker_erosion(ep);
    const conseco_image im = view(c);
    const conseco_mask tm = conseco_mask_2d(c->truth, c->w, c->h, c->w);
    conseco_side_params sp;
    size_t ss;
    void *scr;
    int rc;
    conseco_side_params_default(&sp);
    sp.side = side;
    sp.tau_outer = side == CONSECO_SIDE_BAND ? tau2 : 0.0;
    ss = conseco_side_scratch_size(&sh, &sp, c->w, c->h, 1);
    assert_true(ss > 0);
    n_fast += (unsigned)conseco__outer2d_takes(ep, &im, ss);
    scr = malloc(ss);
    *out = NAN;
    rc = conseco_side_score(&sh, &sp, &im, &tm, tau, scr, ss, out);
    free(scr);
    return rc;
}

static void expect(double got, double want, const fcase *c, const char *what)
{
    n_inf += got == INFINITY;
    n_pos += got > 0.0 && got < INFINITY;
    if (got == want) return;
    fprintf(stderr, "%s: got %.17g want %.17g (%zux%zu dtype %d)\n", what, got, want, c->w, c->h,
            c->dtype);
    fail();
}

static void test_random(void **state)
{
    tu_rng r = {2026};
    const size_t cases = tu_cases(2000);
    size_t k;
    (void)state;
    n_fast = n_inf = n_pos = 0;
    for (k = 0; k < cases; k++) {
        fcase c;
        conseco_erosion_params ep;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        double got;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)tu_range(&r, CONSECO_ELEMENT_CROSS, CONSECO_ELEMENT_DISK);
        ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        ep.base = c.base;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, tau, 0.0, &c, &got), CONSECO_OK);
        expect(got, ref_dilation_score(c.yhat, c.truth, c.w, c.h, 1, (int)ep.element, tau), &c,
               "dilation");
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, tau, tau2, &c, &got), CONSECO_OK);
        expect(got,
               ref_band_erosion_score(c.yhat, c.truth, c.w, c.h, 1, (int)ep.element,
                                      (int)ep.border, tau, tau2),
               &c, "erosion band");
        release(&c);
    }
    print_message("fused: %u of %u scores, %u +inf, %u finite nonzero\n", n_fast,
                  (unsigned)(2 * cases), n_inf, n_pos);
    assert_true(n_fast >= cases); /* most scores take the fused path */
    assert_true(n_inf >= cases / 50 && n_pos >= cases / 2);
}

/* Ball-mm with one spacing along x and y (the fused path), and with two (the
 * general path), against the literal references of ref_distance_mm.c. */
static void test_ball_mm_2d(void **state)
{
    static const double spacings[][2] = {{1.0, 1.0}, {0.7, 0.7}, {3.25, 3.25}, {0.5, 1.5}};
    tu_rng r = {4242};
    const size_t cases = tu_cases(800);
    size_t k;
    (void)state;
    n_fast = 0;
    for (k = 0; k < cases; k++) {
        fcase c;
        conseco_erosion_params ep;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        const double *sp2 = spacings[tu_range(&r, 0, 3)];
        const double sp[3] = {sp2[0], sp2[1], 1.0};
        double got, inner, outer;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = CONSECO_ELEMENT_BALL_MM;
        ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        ep.base = c.base;
        g_spacing[0] = sp[0];
        g_spacing[1] = sp[1];
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, tau, 0.0, &c, &got), CONSECO_OK);
        outer = ref_mm_outer_score(c.yhat, c.truth, c.w, c.h, 1, sp, tau);
        expect(got, outer, &c, "ball-mm dilation");
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, tau, tau2, &c, &got), CONSECO_OK);
        inner = ref_mm_score(c.yhat, c.truth, c.w, c.h, 1, sp, (int)ep.border, tau);
        outer = ref_mm_outer_score(c.yhat, c.truth, c.w, c.h, 1, sp, tau2);
        expect(got, inner > outer ? inner : outer, &c, "ball-mm band");
        release(&c);
    }
    g_spacing[0] = g_spacing[1] = 0.0;
    print_message("ball-mm fused: %u of %u scores\n", n_fast, (unsigned)(2 * cases));
    assert_true(n_fast >= cases); /* three spacings of four are isotropic */
}

/* NaN and infinities anywhere in a float map: CONSECO_E_NONFINITE. */
static void test_nonfinite(void **state)
{
    tu_rng r = {7};
    size_t k;
    (void)state;
    for (k = 0; k < 300; k++) {
        fcase c;
        conseco_erosion_params ep;
        double got;
        const double bad = k % 3 == 0 ? NAN : k % 3 == 1 ? INFINITY : -INFINITY;
        for (;;) { /* a float map */
            gen(&r, &c);
            if (c.dtype == CONSECO_DTYPE_F32 || c.dtype == CONSECO_DTYPE_F64) break;
            release(&c);
        }
        if (c.dtype == CONSECO_DTYPE_F32) ((float *)c.map)[tu_range(&r, 0, c.n - 1)] = (float)bad;
        else ((double *)c.map)[tu_range(&r, 0, c.n - 1)] = bad;
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)(CONSECO_ELEMENT_CROSS + k % 3);
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, 0.1, 0.0, &c, &got),
                         CONSECO_E_NONFINITE);
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.1, 0.1, &c, &got),
                         CONSECO_E_NONFINITE);
        release(&c);
    }
}

/* Long images: distances up to about 65000 (the 16-bit lanes saturate at
 * 65535), checked against brute-force distances of the few Yhat and truth
 * pixels: the dilation score with tau = 0 is the largest distance from a
 * truth pixel to Yhat; the erosion side with tau = 0 the largest distance of
 * a false positive to the background (+ the image border under that policy). */
static double dist_of(int element, size_t x, size_t y, size_t u, size_t v)
{
    const unsigned long dx = x > u ? x - u : u - x, dy = y > v ? y - v : v - y;
    unsigned long long d2, c;
    if (element == CONSECO_ELEMENT_CROSS) return (double)(dx + dy);
    if (element == CONSECO_ELEMENT_SQUARE) return (double)(dx > dy ? dx : dy);
    d2 = (unsigned long long)dx * dx + (unsigned long long)dy * dy;
    if (element == CONSECO_ELEMENT_BALL_MM) return sqrt((double)d2); /* spacing 1: RN(sqrt) */
    /* disk: ceil(sqrt) */
    c = (unsigned long long)sqrt((double)d2);
    while (c * c < d2) c++;
    while (c > 0 && (c - 1) * (c - 1) >= d2) c--;
    return (double)c;
}

static void test_long(void **state)
{
    tu_rng r = {99};
    size_t k;
    (void)state;
    for (k = 0; k < tu_cases(40); k++) {
        fcase c;
        conseco_erosion_params ep;
        const int el = (int)(CONSECO_ELEMENT_CROSS + k % 4);
        size_t i, j, ny = 0, nt = 0, py[6], pt[6];
        double want = 0.0;
        double got;
        /* wide with a few rows (fused), tall and thin (fused), wide and thin (general) */
        c.h = k % 5 < 3 ? tu_range(&r, 16, 24) : tu_range(&r, 1, 3);
        c.w = 65535 - c.h - 1 - tu_range(&r, 0, 40);
        if (k % 5 == 3) { /* tall instead of wide */
            const size_t t = c.w;
            c.w = c.h;
            c.h = t;
        }
        c.n = c.w * c.h;
        c.dtype = CONSECO_DTYPE_U8;
        c.base = 128.0 / 255.0;
        c.map = calloc(c.n, 1);
        c.yhat = calloc(c.n, 1);
        c.truth = calloc(c.n, 1);
        /* Yhat: a few pixels near one end; truth: a few pixels, some near the other */
        for (i = tu_range(&r, 1, 3); i > 0; i--) py[ny++] = tu_range(&r, 0, c.n / 64);
        for (i = tu_range(&r, 1, 3); i > 0; i--) pt[nt++] = tu_range(&r, 0, c.n - 1);
        pt[nt++] = c.n - 1 - tu_range(&r, 0, 3);
        for (i = 0; i < ny; i++) ((uint8_t *)c.map)[py[i]] = c.yhat[py[i]] = 200;
        for (i = 0; i < nt; i++) c.truth[pt[i]] = 1;
        for (i = 0; i < c.n; i++) c.yhat[i] = (uint8_t)(c.yhat[i] != 0);
        for (i = 0; i < nt; i++) {
            double best = INFINITY;
            if (c.yhat[pt[i]]) continue;
            for (j = 0; j < ny; j++) {
                const double d = dist_of(el, pt[i] % c.w, pt[i] / c.w, py[j] % c.w,
                                                py[j] / c.w);
                if (d < best) best = d;
            }
            if (best > want) want = best;
        }
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)el;
        ep.base = c.base;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, 0.0, 0.0, &c, &got), CONSECO_OK);
        expect(got, want, &c, "dilation (long)");
        /* band: isolated Yhat pixels have erosion level 0 (score 1) when false positives */
        {
            double inner = 0.0;
            for (j = 0; j < ny; j++)
                if (!c.truth[py[j]]) inner = 1.0;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            expect(got, want > inner ? want : inner, &c, "band (long)");
        }
        /* everything Yhat but the truth: the erosion distances run the whole length */
        memset(c.map, 200, c.n);
        memset(c.truth, 0, c.n);
        c.truth[0] = 1;
        ep.border = CONSECO_BORDER_FOREGROUND;
        {
            /* false positives: every pixel but 0; the farthest from pixel 0 */
            const double far = dist_of(el, c.w - 1, c.h - 1, 0, 0);
            ((uint8_t *)c.map)[0] = 0;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            expect(got, far, &c, "band, long erosion");
            /* no background at all: +inf under the foreground policy, 1 under background */
            ((uint8_t *)c.map)[0] = 200;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            expect(got, INFINITY, &c, "band, no background");
            ep.border = CONSECO_BORDER_BACKGROUND;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            {
                /* the farthest pixel from the border */
                const size_t s = c.w < c.h ? c.w : c.h;
                const double deepest = (double)((s + 1) / 2);
                expect(got, deepest, &c, "band, border background");
            }
        }
        release(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_ball_mm_2d),
        cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
