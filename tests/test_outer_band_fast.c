/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fast paths of the band scores against the literal references of
 * tests/support/ref_outer.c, on inputs aimed at them:
 * - the float32 threshold offset band (lib/kinds/outer_threshold.c): rows
 *   of several 128-pixel segments and tails, scores spread over many orders
 *   of magnitude (so that segments straddle X_lo lane by lane and are read
 *   again), -0 and +0, denormals, FLT_MAX and -FLT_MAX, pixels at base and
 *   next to it, mirrored pairs base +- d, ties; empty and full truth and
 *   Yhat; 2-D and 3-D; results 0, +inf and in between; lowering on the same
 *   maps;
 * - the dilation and the erosion band by the cross on 2-D 8-bit maps
 *   (lib/kinds/outer_fast2d.c, whose sweeps run 32 rows at once in four
 *   groups of eight): boxes of 1 to 100 rows (short and missing groups)
 *   and of every width modulo 8, both border policies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"
#include "kinds/outer_fast2d.h"
#include "ref_erosion.h"
#include "ref_outer.h"
#include "test_util.h"

typedef struct fcase {
    size_t w, h, d, n, pad;
    float *map; /* rows of w + pad floats; the padding holds NaN */
    double *s;  /* the scores as doubles, no padding */
    uint8_t *truth;
    double base;
} fcase;

static void fset(fcase *c, size_t i, float v)
{
    c->map[(i / c->w) * (c->w + c->pad) + i % c->w] = v;
    c->s[i] = (double)v;
}

/* A score like a model's: a sigmoid of a smooth logit plus noise, over many
 * orders of magnitude below base. */
static float model_value(tu_rng *r, size_t x, size_t y, size_t z, double cx, double cy,
                         double rad, double noise)
{
    const double dx = (double)x - cx, dy = (double)y - cy, dz = 3.0 * (double)z;
    const double logit = 4.0 * (1.0 - sqrt(dx * dx + dy * dy + dz * dz) / rad) +
                         noise * (tu_uniform(r) - 0.5) + 3.0 * sin(0.05 * (double)(x + 2 * y));
    return (float)(1.0 / (1.0 + exp(-4.0 * logit)));
}

static float odd_value(tu_rng *r, double base)
{
    const float fb = (float)base;
    switch (tu_range(r, 0, 13)) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return 1e-45f; /* the smallest denormal */
    case 3: return -1e-45f;
    case 4: return 1.1754942e-38f; /* the largest denormal */
    case 5: return FLT_MIN;
    case 6: return FLT_MAX;
    case 7: return -FLT_MAX;
    case 8: return fb;
    case 9: return nextafterf(fb, INFINITY);
    case 10: return nextafterf(fb, -INFINITY);
    case 11: return (float)(2.0 * base) - nextafterf(fb, INFINITY); /* mirror of the next one up */
    case 12: return (float)tu_range(r, 0, 8) / 8.0f;
    default: return (float)(tu_uniform(r) * 1e-30);
    }
}

static void gen_fcase(tu_rng *r, fcase *c, int three_d)
{
    const double cx = tu_uniform(r) * 300.0, cy = tu_uniform(r) * 12.0,
                 rad = 2.0 + 60.0 * tu_uniform(r), noise = 8.0 * tu_uniform(r);
    const int style = (int)tu_range(r, 0, 5), tkind = (int)tu_range(r, 0, 6);
    const double p = tu_uniform(r);
    size_t i, rows;
    if (three_d) {
        c->w = tu_range(r, 16, 150);
        c->h = tu_range(r, 2, 9);
        c->d = (2000 + c->w * c->h - 1) / (c->w * c->h) + tu_range(r, 0, 2);
    } else {
        c->w = tu_range(r, 1, 4) == 1 ? tu_range(r, 1, 140) : tu_range(r, 120, 900);
        c->h = (2500 + c->w - 1) / c->w + tu_range(r, 0, 4);
        c->d = 1;
    }
    c->n = c->w * c->h * c->d;
    c->pad = tu_range(r, 0, 2) == 0 ? tu_range(r, 1, 7) : 0;
    rows = c->h * c->d;
    c->map = malloc(rows * (c->w + c->pad) * sizeof(float));
    c->s = malloc(c->n * sizeof(double));
    c->truth = malloc(c->n);
    for (i = 0; i < rows * (c->w + c->pad); i++) c->map[i] = NAN;
    switch (tu_range(r, 0, 6)) {
    case 0: case 1: case 2: c->base = 0.5; break;
    case 3: c->base = tu_uniform(r); break;
    case 4: c->base = 0.0; break;
    case 5: c->base = 1e-40; break; /* a denormal base */
    default: c->base = (double)(float)tu_uniform(r); break; /* a float's value */
    }
    for (i = 0; i < c->n; i++) {
        const size_t x = i % c->w, y = (i / c->w) % c->h, z = i / (c->w * c->h);
        float v = model_value(r, x, y, z, cx, cy, rad, noise);
        switch (style) {
        case 0: break;
        case 1: /* special values here and there */
            if (tu_range(r, 0, 9) == 0) v = odd_value(r, c->base);
            break;
        case 2: /* quantised: many ties */
            v = (float)floor((double)v * 16.0) / 16.0f;
            break;
        case 3: /* everything small: denormals and zeros of both signs */
            v = (float)((double)v * 1e-38) * (tu_range(r, 0, 3) == 0 ? -1.0f : 1.0f);
            break;
        case 4: /* huge magnitudes of both signs */
            v = tu_range(r, 0, 3) == 0 ? (tu_range(r, 0, 1) ? FLT_MAX : -FLT_MAX) * v : v;
            break;
        default: /* mostly one value far below base, a few others */
            v = tu_range(r, 0, 20) == 0 ? v : 0.0f;
            break;
        }
        fset(c, i, v);
    }
    if (tu_range(r, 0, 2) == 0) { /* pairs at base +- d */
        const float d = (float)(0.4 * tu_uniform(r));
        for (i = 0; i + 1 < c->n; i += tu_range(r, 2, 200)) {
            fset(c, i, (float)(c->base + (double)d));
            fset(c, i + 1, (float)(c->base - (double)d));
        }
    }
    for (i = 0; i < c->n; i++) {
        const int yh = c->s[i] >= c->base;
        switch (tkind) {
        case 0: c->truth[i] = 0; break;
        case 1: c->truth[i] = (uint8_t)(1 + tu_range(r, 0, 254)); break;
        case 2: c->truth[i] = (uint8_t)(tu_uniform(r) < p); break;
        case 3: c->truth[i] = (uint8_t)yh; break;
        case 4: c->truth[i] = (uint8_t)(yh ? tu_uniform(r) < 0.9 : tu_uniform(r) < 0.02); break;
        case 5: c->truth[i] = (uint8_t)!yh; break;
        default: c->truth[i] = (uint8_t)(c->s[i] >= c->base - 0.3 * p); break;
        }
    }
}

static void free_fcase(fcase *c)
{
    free(c->map);
    free(c->s);
    free(c->truth);
}

static int fscore(const conseco_shrinker *sh, const conseco_side_params *sp, const fcase *c,
                  double tau, double *s)
{
    const size_t stride = (c->w + c->pad) * sizeof(float);
    const conseco_image im =
        conseco_image_3d(c->map, c->w, c->h, c->d, stride, stride * c->h, CONSECO_DTYPE_F32);
    const conseco_mask tm = conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
    const size_t ss = conseco_side_scratch_size(sh, sp, c->w, c->h, c->d);
    void *scr = malloc(ss);
    int rc;
    assert_true(ss > 0);
    *s = NAN;
    rc = conseco_side_score(sh, sp, &im, &tm, tau, scr, ss, s);
    free(scr);
    return rc;
}

static double pick_tau(tu_rng *r)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0};
    if (tu_range(r, 0, 3) == 0) return tu_uniform(r);
    return taus[tu_range(r, 0, 7)];
}

static unsigned n_inf, n_zero, n_other;

static void same(double got, double want, const char *what, const fcase *c, double tau,
                 double tau2)
{
    if (got == want) return; /* -0 and +0: equal scores (ties), as the contract compares them */
    fprintf(stderr, "%s: got %.17g want %.17g (%zux%zux%zu pad %zu base %.17g tau %g %g)\n", what,
            got, want, c->w, c->h, c->d, c->pad, c->base, tau, tau2);
    fail();
}

static void check_f32(int three_d, unsigned cases, uint64_t seed)
{
    tu_rng r = {seed};
    unsigned k;
    for (k = 0; k < cases; k++) {
        fcase c;
        conseco_threshold_params tp;
        conseco_shrinker sh;
        conseco_side_params sp;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        double got, want;
        gen_fcase(&r, &c, three_d);
        conseco_threshold_params_default(&tp);
        tp.base = c.base;
        if (tp.top < c.base) tp.top = c.base;
        sh = conseco_shrinker_threshold(&tp);
        conseco_side_params_default(&sp);
        sp.side = CONSECO_SIDE_BAND;
        sp.tau_outer = tau2;
        assert_int_equal(fscore(&sh, &sp, &c, tau, &got), CONSECO_OK);
        want = ref_band_threshold_score(c.s, c.truth, c.n, c.base, tau, tau2);
        same(got, want, "f32 band", &c, tau, tau2);
        n_inf += got == INFINITY;
        n_zero += got == 0.0;
        n_other += got != 0.0 && got != INFINITY;
        sp.side = CONSECO_SIDE_OUTER;
        sp.tau_outer = 0.0;
        sp.bottom = c.base - 1.0;
        assert_int_equal(fscore(&sh, &sp, &c, tau2, &got), CONSECO_OK);
        same(got, ref_lowering_score(c.s, c.truth, c.n, c.base, sp.bottom, tau2), "f32 lowering",
             &c, tau2, 0.0);
        free_fcase(&c);
    }
}

static void test_f32_band_2d(void **state)
{
    (void)state;
    check_f32(0, (unsigned)tu_cases(700), 301);
}

static void test_f32_band_3d(void **state)
{
    (void)state;
    check_f32(1, (unsigned)tu_cases(250), 302);
    print_message("f32 band: %u +inf, %u zero, %u other\n", n_inf, n_zero, n_other);
    if (tu_cases(250) == 250) assert_true(n_inf > 10 && n_zero > 50 && n_other > 400);
}

/* The nearest score at or below X_lo in each lane position of a segment, the
 * other lanes holding scores between X_lo and base or at most X_lo: a false
 * positive at 0.9 binds the band (tau 0), X_lo is about 0.1. */
static void test_f32_band_lanes(void **state)
{
    const size_t w = 300, h = 3;
    fcase c;
    size_t at, other;
    (void)state;
    memset(&c, 0, sizeof c);
    c.w = w;
    c.h = h;
    c.d = 1;
    c.n = w * h;
    c.base = 0.5;
    c.map = malloc(c.n * sizeof(float));
    c.s = malloc(c.n * sizeof(double));
    c.truth = calloc(c.n, 1);
    for (at = 0; at < 2 * w; at += 7)
        for (other = 0; other < 3; other++) {
            conseco_threshold_params tp;
            conseco_side_params sp;
            conseco_shrinker sh;
            double got;
            size_t i;
            for (i = 0; i < c.n; i++) fset(&c, i, other == 2 ? 0.3f : 0.0f);
            fset(&c, 2 * w + 5, 0.9f); /* the one false positive */
            if (other == 1) fset(&c, at ^ 1u, 0.3f); /* a straddling neighbour lane */
            fset(&c, at, 0.05f);                     /* the answer: 0.5 - 0.05 */
            conseco_threshold_params_default(&tp);
            sh = conseco_shrinker_threshold(&tp);
            conseco_side_params_default(&sp);
            sp.side = CONSECO_SIDE_BAND;
            sp.tau_outer = 1.0;
            assert_int_equal(fscore(&sh, &sp, &c, 0.0, &got), CONSECO_OK);
            same(got, ref_band_threshold_score(c.s, c.truth, c.n, c.base, 0.0, 1.0), "f32 lanes",
                 &c, 0.0, 1.0);
        }
    free_fcase(&c);
}

/* ------------------------------------------------- 8-bit maps, the cross */
/* An ellipse of value v in m (w x h), maybe cut by the border. */
static void blob8(tu_rng *r, size_t w, size_t h, uint8_t *m, uint8_t v)
{
    const double cx = -0.3 * (double)w + 1.6 * (double)w * tu_uniform(r);
    const double cy = -0.3 * (double)h + 1.6 * (double)h * tu_uniform(r);
    const double rx = 0.5 + 0.5 * (double)w * tu_uniform(r);
    const double ry = 0.5 + 0.5 * (double)h * tu_uniform(r);
    size_t x, y;
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            const double u = ((double)x - cx) / rx, q = ((double)y - cy) / ry;
            if (u * u + q * q <= 1.0) m[x + w * y] = v;
        }
}

static void mask8(tu_rng *r, size_t w, size_t h, uint8_t *m)
{
    const size_t n = w * h;
    size_t i, k;
    memset(m, 0, n);
    switch (tu_range(r, 0, 7)) {
    case 0: break;
    case 1: memset(m, 1, n); break;
    case 2:
        for (i = 0; i < n; i++) m[i] = (uint8_t)(tu_uniform(r) < 0.3);
        break;
    case 3:
        for (k = tu_range(r, 1, 4); k > 0; k--) m[tu_range(r, 0, n - 1)] = 1;
        break;
    case 4:
        memset(m, 1, n);
        blob8(r, w, h, m, 0);
        break;
    default:
        for (k = tu_range(r, 1, 3); k > 0; k--) blob8(r, w, h, m, 1);
        if (tu_range(r, 0, 2) == 0) blob8(r, w, h, m, 0);
        break;
    }
}

static void test_u8_cross(void **state)
{
    tu_rng r = {303};
    const size_t cases = tu_cases(400);
    unsigned fused = 0, inf = 0, pos = 0;
    size_t k, i;
    (void)state;
    for (k = 0; k < cases; k++) {
        const size_t w = tu_range(&r, 0, 3) == 0 ? tu_range(&r, 1, 20) : tu_range(&r, 20, 60);
        const size_t h = tu_range(&r, 0, 2) == 0 ? tu_range(&r, 1, 40) : tu_range(&r, 30, 100);
        const size_t n = w * h;
        uint8_t *yhat = malloc(n), *truth = malloc(n), *map = malloc(n);
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        conseco_erosion_params ep;
        conseco_shrinker sh;
        conseco_image im;
        conseco_mask tm;
        uint32_t side;
        mask8(&r, w, h, yhat);
        if (tu_range(&r, 0, 3) == 0) { /* truth near Yhat: small distances both ways */
            memcpy(truth, yhat, n);
            for (i = 0; i < n; i++)
                if (tu_range(&r, 0, 9) == 0) truth[i] ^= 1u;
        } else {
            mask8(&r, w, h, truth);
        }
        for (i = 0; i < n; i++) /* base 0.5: Yhat is {v >= 128}; ties at 128 */
            map[i] = (uint8_t)(yhat[i] ? (tu_range(&r, 0, 3) ? tu_range(&r, 128, 255) : 128)
                                       : tu_range(&r, 0, 127));
        conseco_erosion_params_default(&ep);
        ep.element = CONSECO_ELEMENT_CROSS;
        ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        sh = conseco_shrinker_erosion(&ep);
        im = conseco_image_2d(map, w, h, w, CONSECO_DTYPE_U8);
        tm = conseco_mask_2d(truth, w, h, w);
        for (side = CONSECO_SIDE_OUTER; side <= CONSECO_SIDE_BAND; side++) {
            conseco_side_params sp;
            size_t ss;
            void *scr;
            double got = NAN, want;
            conseco_side_params_default(&sp);
            sp.side = side;
            sp.tau_outer = side == CONSECO_SIDE_BAND ? tau2 : 0.0;
            ss = conseco_side_scratch_size(&sh, &sp, w, h, 1);
            assert_true(ss > 0);
            fused += (unsigned)conseco__outer2d_takes(&ep, &im, ss);
            scr = malloc(ss);
            assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, tau, scr, ss, &got),
                             CONSECO_OK);
            free(scr);
            want = side == CONSECO_SIDE_OUTER
                       ? ref_dilation_score(yhat, truth, w, h, 1, CONSECO_ELEMENT_CROSS, tau)
                       : ref_band_erosion_score(yhat, truth, w, h, 1, CONSECO_ELEMENT_CROSS,
                                                (int)ep.border, tau, tau2);
            inf += got == INFINITY;
            pos += got > 0.0 && got < INFINITY;
            if (got != want) {
                fprintf(stderr, "u8 cross %s: got %.17g want %.17g (%zux%zu border %u tau %g %g)\n",
                        side == CONSECO_SIDE_OUTER ? "dilation" : "band", got, want, w, h,
                        (unsigned)ep.border, tau, tau2);
                fail();
            }
        }
        free(yhat);
        free(truth);
        free(map);
    }
    print_message("u8 cross: %u of %u scores fused, %u +inf, %u finite nonzero\n", fused,
                  (unsigned)(2 * cases), inf, pos);
    assert_true(fused >= cases && pos >= cases / 2);
    if (cases == 400) assert_true(inf >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_band_2d),
        cmocka_unit_test(test_f32_band_3d),
        cmocka_unit_test(test_f32_band_lanes),
        cmocka_unit_test(test_u8_cross),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
