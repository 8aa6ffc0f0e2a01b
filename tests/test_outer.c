/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Outer sets and bands (DESIGN.md 5.2): conseco_side_score, conseco_side_apply
 * and conseco_side_evaluate against the literal references of
 * tests/support/ref_outer.c on thousands of random 2-D and 3-D cases (ties,
 * empty Y, empty Yhat, full images, +inf / -inf scores), and bad inputs to
 * their status codes.
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
#include "outer_cases.h"
#include "ref_distance_mm.h"
#include "ref_erosion.h"
#include "ref_outer.h"
#include "test_util.h"

typedef struct ocase {
    size_t w, h, d, n;
    int dtype;
    void *map;         /* the score map in its dtype */
    double *s;         /* the same scores as doubles */
    uint8_t *yhat;     /* s >= base */
    uint8_t *truth;
    double base;
} ocase;

static void paint_blob(tu_rng *r, const ocase *c, uint8_t *m, uint8_t v)
{
    const double cx = -0.2 * (double)c->w + 1.4 * (double)c->w * tu_uniform(r);
    const double cy = -0.2 * (double)c->h + 1.4 * (double)c->h * tu_uniform(r);
    const double cz = c->d > 1 ? (double)c->d * tu_uniform(r) : 0.0;
    const double rx = 0.5 + 0.6 * (double)c->w * tu_uniform(r),
                 ry = 0.5 + 0.6 * (double)c->h * tu_uniform(r),
                 rz = c->d > 1 ? 0.5 + (double)c->d * tu_uniform(r) : 1.0;
    size_t x, y, z;
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) {
                const double u = ((double)x - cx) / rx, q = ((double)y - cy) / ry,
                             t = ((double)z - cz) / rz;
                if (u * u + q * q + t * t <= 1.0) m[x + c->w * (y + c->h * z)] = v;
            }
}

static void gen_mask(tu_rng *r, const ocase *c, uint8_t *m)
{
    const int kind = (int)tu_range(r, 0, 7);
    size_t i, k;
    memset(m, 0, c->n);
    switch (kind) {
    case 0: break;                      /* empty */
    case 1: memset(m, 1, c->n); break;  /* full */
    case 2:
        for (i = 0; i < c->n; i++) m[i] = (uint8_t)(tu_uniform(r) < 0.3);
        break;
    default:
        for (k = tu_range(r, 1, 3); k > 0; k--) paint_blob(r, c, m, 1);
        if (kind == 7) paint_blob(r, c, m, 0);
        break;
    }
}

/* A score map whose Yhat (s >= 0.5) is a random mask, with many ties. */
static void gen_case(tu_rng *r, ocase *c, int three_d)
{
    static const uint8_t levels8[] = {0, 1, 60, 127, 128, 129, 200, 254, 255};
    uint8_t *shape;
    size_t i;
    c->w = tu_range(r, 1, three_d ? 6 : 12);
    c->h = tu_range(r, 1, three_d ? 6 : 12);
    c->d = three_d ? tu_range(r, 2, 5) : 1;
    c->n = c->w * c->h * c->d;
    c->base = 0.5;
    c->dtype = tu_range(r, 0, 2) == 0 ? CONSECO_DTYPE_F64
               : tu_range(r, 0, 3) == 0 ? CONSECO_DTYPE_F32
                                         : CONSECO_DTYPE_U8;
    shape = malloc(c->n);
    gen_mask(r, c, shape);
    c->s = malloc(c->n * sizeof(double));
    c->yhat = malloc(c->n);
    c->truth = malloc(c->n);
    c->map = malloc(c->n * sizeof(double));
    for (i = 0; i < c->n; i++) {
        if (c->dtype == CONSECO_DTYPE_U8) {
            uint8_t v = tu_range(r, 0, 2) == 0 ? levels8[tu_range(r, 0, 8)]
                                               : (uint8_t)tu_range(r, 0, 127);
            if (shape[i]) v = (uint8_t)(tu_range(r, 0, 2) == 0 ? levels8[tu_range(r, 4, 8)]
                                                                : tu_range(r, 128, 255));
            ((uint8_t *)c->map)[i] = v;
            c->s[i] = (double)v / 255.0;
        } else {
            double v = shape[i] ? 0.5 + 0.5 * tu_uniform(r) : 0.5 * tu_uniform(r);
            if (tu_range(r, 0, 5) == 0) v = shape[i] ? 0.5 : 0.25; /* ties */
            if (c->dtype == CONSECO_DTYPE_F32) {
                ((float *)c->map)[i] = (float)v;
                c->s[i] = (double)(float)v;
            } else {
                ((double *)c->map)[i] = v;
                c->s[i] = v;
            }
        }
        c->yhat[i] = (uint8_t)(c->s[i] >= c->base);
    }
    /* truth: empty, the prediction with noise, or independent blobs */
    switch (tu_range(r, 0, 4)) {
    case 0: memset(c->truth, 0, c->n); break;
    case 1: memcpy(c->truth, c->yhat, c->n); break;
    case 2:
        memcpy(c->truth, c->yhat, c->n);
        for (i = 0; i < c->n; i++)
            if (tu_uniform(r) < 0.2) c->truth[i] = (uint8_t)!c->truth[i];
        break;
    default: gen_mask(r, c, c->truth); break;
    }
    free(shape);
}

static void free_case(ocase *c)
{
    free(c->map);
    free(c->s);
    free(c->yhat);
    free(c->truth);
}

static conseco_image view(const ocase *c)
{
    const size_t es = c->dtype == CONSECO_DTYPE_F64 ? 8 : c->dtype == CONSECO_DTYPE_F32 ? 4 : 1;
    return conseco_image_3d(c->map, c->w, c->h, c->d, c->w * es, c->w * c->h * es, c->dtype);
}

static conseco_mask tview(const ocase *c)
{
    return conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
}

static double pick_tau(tu_rng *r)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.1, 0.25, 0.3, 0.5, 1.0};
    if (tu_range(r, 0, 3) == 0) return tu_uniform(r);
    return taus[tu_range(r, 0, 7)];
}

static double side_score(const conseco_shrinker *sh, const conseco_side_params *sp,
                         const ocase *c, double tau)
{
    const conseco_image im = view(c);
    const conseco_mask tm = tview(c);
    const size_t ss = conseco_side_scratch_size(sh, sp, c->w, c->h, c->d);
    void *scr = malloc(ss);
    double s = NAN;
    assert_true(ss > 0);
    assert_int_equal(conseco_side_score(sh, sp, &im, &tm, tau, scr, ss, &s), CONSECO_OK);
    free(scr);
    return s;
}

static unsigned n_inf, n_minus_inf, n_pos;

static void same(double got, double want, const ocase *c, const char *what)
{
    n_inf += got == INFINITY;
    n_minus_inf += got == -INFINITY;
    n_pos += got > 0.0 && got < INFINITY && got != 0.5;
    if (got == want) return;
    fprintf(stderr, "%s: got %.17g want %.17g (%zux%zux%zu dtype %d)\n", what, got, want, c->w,
            c->h, c->d, c->dtype);
    fail();
}

/* ---------------------------------------------------------- scores */
static void check_scores(int three_d, unsigned cases, uint64_t seed)
{
    tu_rng r = {seed};
    unsigned k;
    for (k = 0; k < cases; k++) {
        ocase c;
        conseco_erosion_params ep;
        conseco_threshold_params tp;
        conseco_shrinker sh;
        conseco_side_params sp;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        const int element = (int)tu_range(&r, 1, 3);
        const int border = (int)tu_range(&r, 1, 2);
        gen_case(&r, &c, three_d);
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)element;
        ep.border = (uint32_t)border;
        conseco_threshold_params_default(&tp);
        conseco_side_params_default(&sp);

        /* outer dilation */
        sh = conseco_shrinker_erosion(&ep);
        sp.side = CONSECO_SIDE_OUTER;
        same(side_score(&sh, &sp, &c, tau),
             ref_dilation_score(c.yhat, c.truth, c.w, c.h, c.d, element, tau), &c, "dilation");
        /* erosion band */
        sp.side = CONSECO_SIDE_BAND;
        sp.tau_outer = tau2;
        same(side_score(&sh, &sp, &c, tau),
             ref_band_erosion_score(c.yhat, c.truth, c.w, c.h, c.d, element, border, tau, tau2),
             &c, "erosion band");
        /* threshold lowering, bottom sometimes above some scores */
        sh = conseco_shrinker_threshold(&tp);
        sp.side = CONSECO_SIDE_OUTER;
        sp.tau_outer = 0.0;
        sp.bottom = tu_range(&r, 0, 1) ? 0.0 : 0.5 * tu_uniform(&r);
        if (tu_range(&r, 0, 5) == 0) sp.bottom = 0.5; /* bottom = base */
        same(side_score(&sh, &sp, &c, tau),
             ref_lowering_score(c.s, c.truth, c.n, c.base, sp.bottom, tau), &c, "lowering");
        /* threshold offset band */
        sp.side = CONSECO_SIDE_BAND;
        sp.tau_outer = tau2;
        sp.bottom = 0.0;
        same(side_score(&sh, &sp, &c, tau),
             ref_band_threshold_score(c.s, c.truth, c.n, c.base, tau, tau2), &c,
             "threshold band");
        /* the band is the max of the two one-sided scores (same index) */
        free_case(&c);
    }
}

static void test_scores_2d(void **state)
{
    (void)state;
    check_scores(0, 6000, 11);
}

static void test_scores_3d(void **state)
{
    (void)state;
    check_scores(1, 600, 12);
    /* the cases reach every kind of answer */
    print_message("scores: %u +inf, %u -inf, %u finite nonzero\n", n_inf, n_minus_inf, n_pos);
    assert_true(n_inf > 100 && n_minus_inf > 50 && n_pos > 1000);
}

/* Larger 2-D images (the raster distance passes over long rows and columns). */
static void test_scores_large_2d(void **state)
{
    tu_rng r = {13};
    unsigned k;
    (void)state;
    for (k = 0; k < 80; k++) {
        ocase c;
        conseco_erosion_params ep;
        conseco_side_params sp;
        conseco_shrinker sh;
        const double tau = pick_tau(&r);
        const int element = (int)tu_range(&r, 1, 2);
        uint8_t *sparse;
        size_t i;
        gen_case(&r, &c, 0);
        free_case(&c);
        /* regenerate at a larger size: a few pixels of Yhat, truth spread out */
        c.w = tu_range(&r, 20, 48);
        c.h = tu_range(&r, 20, 48);
        c.d = 1;
        c.n = c.w * c.h;
        c.base = 0.5;
        c.dtype = CONSECO_DTYPE_U8;
        c.map = calloc(c.n, 1);
        c.s = calloc(c.n, sizeof(double));
        c.yhat = calloc(c.n, 1);
        c.truth = calloc(c.n, 1);
        sparse = (uint8_t *)c.map;
        for (i = 0; i < c.n; i++) {
            if (tu_uniform(&r) < 0.01) sparse[i] = 200;
            c.s[i] = (double)sparse[i] / 255.0;
            c.yhat[i] = (uint8_t)(c.s[i] >= 0.5);
            c.truth[i] = (uint8_t)(tu_uniform(&r) < 0.05);
        }
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)element;
        sh = conseco_shrinker_erosion(&ep);
        conseco_side_params_default(&sp);
        sp.side = CONSECO_SIDE_OUTER;
        same(side_score(&sh, &sp, &c, tau),
             ref_dilation_score(c.yhat, c.truth, c.w, c.h, c.d, element, tau), &c,
             "dilation (large)");
        /* 8-bit threshold sides on images large enough for the two-copy histogram */
        if (k % 4 == 0) {
            conseco_threshold_params tp;
            const double tau2 = pick_tau(&r);
            for (i = 0; i < c.n; i++) {
                sparse[i] = (uint8_t)tu_range(&r, 0, 255);
                c.s[i] = (double)sparse[i] / 255.0;
                c.yhat[i] = (uint8_t)(c.s[i] >= 0.5);
            }
            conseco_threshold_params_default(&tp);
            sh = conseco_shrinker_threshold(&tp);
            sp.bottom = 0.1;
            same(side_score(&sh, &sp, &c, tau),
                 ref_lowering_score(c.s, c.truth, c.n, c.base, 0.1, tau), &c, "lowering (large)");
            sp.side = CONSECO_SIDE_BAND;
            sp.bottom = 0.0;
            sp.tau_outer = tau2;
            same(side_score(&sh, &sp, &c, tau),
                 ref_band_threshold_score(c.s, c.truth, c.n, c.base, tau, tau2), &c,
                 "threshold band (large)");
        }
        free_case(&c);
    }
}

/* ---------------------------------------------------- apply, evaluate */
static void check_apply(int three_d, unsigned cases, uint64_t seed)
{
    tu_rng r = {seed};
    unsigned k;
    for (k = 0; k < cases; k++) {
        ocase c;
        conseco_erosion_params ep;
        conseco_threshold_params tp;
        conseco_shrinker sh;
        conseco_side_params sp;
        conseco_side_metrics met;
        const int element = (int)tu_range(&r, 1, 3), border = (int)tu_range(&r, 1, 2);
        const int use_threshold = (int)tu_range(&r, 0, 1);
        const int side = (int)tu_range(&r, 1, 2);
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        uint8_t *ri, *ro;
        conseco_image im;
        conseco_mask tm;
        double lambda;
        size_t i, ss;
        void *scr;
        uint64_t n_fp, n_t, n_o, missed, npred = 0;
        gen_case(&r, &c, three_d);
        im = view(&c);
        tm = tview(&c);
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)element;
        ep.border = (uint32_t)border;
        conseco_threshold_params_default(&tp);
        conseco_side_params_default(&sp);
        sp.side = (uint32_t)side;
        sp.tau_outer = side == CONSECO_SIDE_BAND ? tau2 : 0.0;
        sh = use_threshold ? conseco_shrinker_threshold(&tp) : conseco_shrinker_erosion(&ep);
        ri = calloc(c.n, 1);
        ro = calloc(c.n, 1);
        /* lambda: a score of this image, an integer, or +-inf */
        switch (tu_range(&r, 0, 4)) {
        case 0: lambda = INFINITY; break;
        case 1: lambda = use_threshold && side == CONSECO_SIDE_OUTER ? -INFINITY : 0.0; break;
        case 2:
            lambda = use_threshold ? c.s[tu_range(&r, 0, c.n - 1)] : (double)tu_range(&r, 0, 8);
            if (use_threshold && side == CONSECO_SIDE_BAND) lambda = fabs(lambda - c.base);
            break;
        default: lambda = use_threshold ? tu_uniform(&r) : 5.0 * tu_uniform(&r); break;
        }
        /* the literal sets */
        for (i = 0; i < c.n; i++) npred += c.yhat[i];
        if (use_threshold) {
            const double l = lambda < 0.0 ? 0.0 : lambda;
            for (i = 0; i < c.n; i++) {
                if (side == CONSECO_SIDE_BAND) {
                    ri[i] = (uint8_t)(c.s[i] >= c.base + l);
                    ro[i] = (uint8_t)(c.s[i] >= c.base - l);
                } else {
                    ri[i] = c.yhat[i];
                    ro[i] = (uint8_t)(c.s[i] >= (lambda < c.base ? lambda : c.base));
                }
            }
        } else {
            const int inf = lambda == INFINITY;
            const unsigned long steps = inf ? 0 : (unsigned long)ceil(lambda);
            if (side == CONSECO_SIDE_BAND) {
                if (inf) memset(ri, 0, c.n);
                else ref_erosion_inner(c.yhat, c.w, c.h, c.d, element, border, steps, ri);
            } else {
                memcpy(ri, c.yhat, c.n);
            }
            if (inf) memset(ro, 1, c.n);
            else ref_dilation_outer(c.yhat, c.w, c.h, c.d, element,
                                    (unsigned long)floor(lambda), ro);
        }
        ss = conseco_side_scratch_size(&sh, &sp, c.w, c.h, c.d);
        scr = malloc(ss);
        oc_check_side_sets(&sh, &sp, &im, &tm, ri, ro, npred, lambda, tau, scr, ss, &met);
        /* the counts are those of the literal sets (checked): the derived metrics */
        n_t = met.truth;
        n_o = met.outer;
        missed = met.outer_missed;
        n_fp = met.inner.inner_fp;
        assert_true(met.fnr == (n_t ? (double)missed / (double)n_t : 0.0));
        assert_int_equal(met.outer_valid,
                         ref_fnr_ok(missed, n_t, side == CONSECO_SIDE_BAND ? tau2 : tau));
        if (side == CONSECO_SIDE_BAND)
            assert_int_equal(met.band_holds,
                             met.outer_valid &&
                                 (npred == 0 || (double)n_fp / (double)npred <= tau));
        else
            assert_int_equal(met.band_holds, met.outer_valid);
        if (npred) assert_true(met.outer_ratio == (double)n_o / (double)npred);
        else assert_true(met.outer_ratio == (n_o ? INFINITY : 1.0));
        free(scr);
        free(ri);
        free(ro);
        free_case(&c);
    }
}

static void test_apply_2d(void **state)
{
    (void)state;
    check_apply(0, 4000, 21);
}

static void test_apply_3d(void **state)
{
    (void)state;
    check_apply(1, 400, 22);
}

/* The scores at the calibrated lambda: a score r means the sets at r hold. */
static void test_score_sets_hold(void **state)
{
    tu_rng r = {31};
    unsigned k;
    (void)state;
    for (k = 0; k < tu_cases(500); k++) {
        ocase c;
        conseco_threshold_params tp;
        conseco_erosion_params ep;
        conseco_side_params sp;
        conseco_side_metrics met;
        conseco_shrinker sh;
        conseco_image im;
        conseco_mask tm;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        double s;
        size_t ss;
        void *scr;
        gen_case(&r, &c, 0);
        im = view(&c);
        tm = tview(&c);
        conseco_threshold_params_default(&tp);
        conseco_erosion_params_default(&ep);
        conseco_side_params_default(&sp);
        sp.side = (uint32_t)tu_range(&r, 1, 2);
        sp.tau_outer = sp.side == CONSECO_SIDE_BAND ? tau2 : 0.0;
        sh = tu_range(&r, 0, 1) ? conseco_shrinker_threshold(&tp) : conseco_shrinker_erosion(&ep);
        ss = conseco_side_scratch_size(&sh, &sp, c.w, c.h, c.d);
        scr = malloc(ss);
        assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, tau, scr, ss, &s), CONSECO_OK);
        if (isfinite(s)) {
            assert_int_equal(
                conseco_side_evaluate(&sh, &sp, &im, &tm, s, tau, scr, ss, &met), CONSECO_OK);
            assert_true(met.band_holds);
        }
        free(scr);
        free_case(&c);
    }
}

/* Metrics at many lambdas (one level map) equal the per-lambda evaluation. */
static void test_evaluate_lambdas(void **state)
{
    tu_rng r = {41};
    unsigned k;
    (void)state;
    for (k = 0; k < tu_cases(1500); k++) {
        ocase c;
        conseco_threshold_params tp;
        conseco_erosion_params ep;
        conseco_side_params sp;
        conseco_side_metrics many[20], one;
        conseco_shrinker sh;
        conseco_image im;
        conseco_mask tm;
        double lambdas[20]; /* more than one 16-lambda group of ball-mm */
        const double tau = pick_tau(&r);
        size_t ss, i;
        void *scr;
        gen_case(&r, &c, k % 4 == 0);
        im = view(&c);
        tm = tview(&c);
        conseco_threshold_params_default(&tp);
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)tu_range(&r, 1, 4); /* ball-mm too */
        ep.border = (uint32_t)tu_range(&r, 1, 2);
        conseco_side_params_default(&sp);
        sp.side = (uint32_t)tu_range(&r, 1, 2);
        sp.tau_outer = sp.side == CONSECO_SIDE_BAND ? pick_tau(&r) : 0.0;
        sh = tu_range(&r, 0, 3) ? conseco_shrinker_erosion(&ep) : conseco_shrinker_threshold(&tp);
        for (i = 0; i < 20; i++) {
            switch (tu_range(&r, 0, 5)) {
            case 0: lambdas[i] = INFINITY; break;
            case 1: lambdas[i] = -1.5; break;
            case 2: lambdas[i] = 1e300; break;
            case 3: lambdas[i] = 12.0 * tu_uniform(&r); break;
            default: lambdas[i] = (double)tu_range(&r, 0, 14); break;
            }
        }
        ss = conseco_side_scratch_size(&sh, &sp, c.w, c.h, c.d);
        scr = malloc(ss);
        assert_int_equal(conseco_side_evaluate_lambdas(&sh, &sp, &im, &tm, lambdas, 20, tau, scr,
                                                       ss, many),
                         CONSECO_OK);
        for (i = 0; i < 20; i++) {
            assert_int_equal(
                conseco_side_evaluate(&sh, &sp, &im, &tm, lambdas[i], tau, scr, ss, &one),
                CONSECO_OK);
            if (memcmp(&one, &many[i], sizeof one) != 0) {
                fprintf(stderr, "lambda %g side %u: inner %llu/%llu outer %llu/%llu vs %llu/%llu %llu/%llu\n",
                        lambdas[i], sp.side, (unsigned long long)many[i].inner.inner,
                        (unsigned long long)many[i].inner.inner_fp,
                        (unsigned long long)many[i].outer,
                        (unsigned long long)many[i].outer_missed,
                        (unsigned long long)one.inner.inner, (unsigned long long)one.inner.inner_fp,
                        (unsigned long long)one.outer, (unsigned long long)one.outer_missed);
                fail();
            }
        }
        assert_int_equal(conseco_side_evaluate_lambdas(&sh, &sp, &im, &tm, lambdas, 0, tau, scr,
                                                       ss, NULL),
                         CONSECO_OK);
        lambdas[3] = NAN;
        assert_int_equal(conseco_side_evaluate_lambdas(&sh, &sp, &im, &tm, lambdas, 20, tau, scr,
                                                       ss, many),
                         CONSECO_E_BAD_LAMBDA);
        free(scr);
        free_case(&c);
    }
}

/* ------------------------------------------------------- ball in millimetres */
static void test_ball_mm(void **state)
{
    static const double spacings[][3] = {{1, 1, 1}, {0.5, 1.7, 2.3}, {2.0, 0.75, 1.0},
                                         {0.3, 0.3, 3.0}};
    tu_rng r = {71};
    unsigned k;
    (void)state;
    for (k = 0; k < tu_cases(600); k++) {
        ocase c;
        conseco_erosion_params ep;
        conseco_side_params sp;
        conseco_shrinker sh;
        conseco_image im;
        conseco_mask tm;
        conseco_side_metrics met;
        const double *spc = spacings[tu_range(&r, 0, 3)];
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        double got, want, inner, mu, *dist;
        size_t ss, i, pick;
        uint8_t *o, *b;
        conseco_mask_out mo, mb;
        void *scr;
        uint64_t n_o = 0, missed = 0, nt = 0;
        gen_case(&r, &c, k % 3 == 0);
        im = view(&c);
        im.spacing[0] = spc[0];
        im.spacing[1] = spc[1];
        im.spacing[2] = spc[2];
        tm = tview(&c);
        conseco_erosion_params_default(&ep);
        ep.element = CONSECO_ELEMENT_BALL_MM;
        ep.border = (uint32_t)tu_range(&r, 1, 2);
        sh = conseco_shrinker_erosion(&ep);
        conseco_side_params_default(&sp);
        sp.side = CONSECO_SIDE_OUTER;
        ss = conseco_side_scratch_size(&sh, &sp, c.w, c.h, c.d);
        scr = malloc(ss);
        assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, tau, scr, ss, &got), CONSECO_OK);
        want = ref_mm_outer_score(c.yhat, c.truth, c.w, c.h, c.d,
                                  (const double[3]){spc[0], spc[1], c.d > 1 ? spc[2] : 1.0}, tau);
        same(got, want, &c, "ball-mm outer");
        /* the band: the larger of the two one-sided scores */
        sp.side = CONSECO_SIDE_BAND;
        sp.tau_outer = tau2;
        assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, tau, scr, ss, &got), CONSECO_OK);
        inner = ref_mm_score(c.yhat, c.truth, c.w, c.h, c.d,
                             (const double[3]){spc[0], spc[1], c.d > 1 ? spc[2] : 1.0},
                             (int)ep.border, tau);
        want = ref_mm_outer_score(c.yhat, c.truth, c.w, c.h, c.d,
                                  (const double[3]){spc[0], spc[1], c.d > 1 ? spc[2] : 1.0},
                                  tau2);
        same(got, inner > want ? inner : want, &c, "ball-mm band");
        /* apply and evaluate of the outer side at a distance of the image */
        sp.side = CONSECO_SIDE_OUTER;
        dist = malloc(c.n * sizeof(double));
        ref_mm_outer_distances(c.yhat, c.w, c.h, c.d,
                               (const double[3]){spc[0], spc[1], c.d > 1 ? spc[2] : 1.0}, dist);
        pick = tu_range(&r, 0, c.n - 1);
        mu = tu_range(&r, 0, 5) == 0 ? INFINITY : dist[pick] < INFINITY ? dist[pick] : 1.5;
        o = malloc(c.n);
        b = malloc(c.n);
        mo = conseco_mask_out_3d(o, c.w, c.h, c.d, c.w, c.w * c.h);
        mb = conseco_mask_out_3d(b, c.w, c.h, c.d, c.w, c.w * c.h);
        assert_int_equal(conseco_side_apply(&sh, &sp, &im, mu, scr, ss, NULL, &mo, &mb),
                         CONSECO_OK);
        for (i = 0; i < c.n; i++) {
            const int want_o = mu == INFINITY || c.yhat[i] || dist[i] <= mu;
            assert_int_equal(o[i], want_o);
            assert_int_equal(b[i], want_o && !c.yhat[i]);
            n_o += (uint64_t)want_o;
            nt += c.truth[i] != 0;
            missed += c.truth[i] && !want_o;
        }
        assert_int_equal(conseco_side_evaluate(&sh, &sp, &im, &tm, mu, tau, scr, ss, &met),
                         CONSECO_OK);
        assert_true(met.outer == n_o && met.outer_missed == missed && met.truth == nt);
        free(dist);
        free(o);
        free(b);
        free(scr);
        free_case(&c);
    }
}

/* ------------------------------------------------------- custom outer */
/* A custom shrinker (vtable version 2) that is the built-in erosion inside and
 * the dilation outside, its outer levels computed by the literal reference:
 * its scores, sets and metrics must equal the built-in ones. */
typedef struct custom_user {
    conseco_erosion_params ep;
    const ocase *c;
    int break_nesting;
} custom_user;

static int cu_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    custom_user *u = (custom_user *)user;
    return conseco_erosion_vtable()->levels(&u->ep, pred, levels, count);
}

static int cu_outer_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    custom_user *u = (custom_user *)user;
    const ocase *c = u->c;
    uint8_t *o = malloc(c->n);
    size_t i, filled = 0;
    unsigned long mu;
    (void)pred;
    for (i = 0; i < count; i++) levels[i] = INFINITY;
    for (mu = 0; mu <= c->w + c->h + c->d + 2 && filled < count; mu++) {
        ref_dilation_outer(c->yhat, c->w, c->h, c->d, (int)u->ep.element, mu, o);
        for (i = 0; i < count; i++)
            if (o[i] && levels[i] == INFINITY) {
                levels[i] = (double)mu;
                filled++;
            }
    }
    if (u->break_nesting && count > 0) levels[0] = levels[0] == 0.0 ? 5.0 : 0.0;
    free(o);
    return 0;
}

static conseco_shrinker_vtable custom_vt(void)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = "erosion-dilation";
    vt.domain = CONSECO_DOMAIN_INTEGER;
    vt.lambda_min = 0.0;
    vt.lambda_max = INFINITY;
    vt.levels = cu_levels;
    vt.outer_levels = cu_outer_levels;
    return vt;
}

static void test_custom_outer(void **state)
{
    tu_rng r = {51};
    unsigned k;
    const conseco_shrinker_vtable vt = custom_vt();
    (void)state;
    for (k = 0; k < tu_cases(600); k++) {
        ocase c;
        custom_user u;
        conseco_shrinker cs, bs;
        conseco_side_params sp;
        conseco_side_metrics mc, mb;
        conseco_image im;
        conseco_mask tm;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        double a, b, lambda;
        size_t ss, ss2, i;
        void *scr;
        uint8_t *o1, *o2, *b1, *b2;
        conseco_mask_out m1, m2, n1, n2;
        gen_case(&r, &c, k % 5 == 0);
        im = view(&c);
        tm = tview(&c);
        conseco_erosion_params_default(&u.ep);
        u.ep.element = (uint32_t)tu_range(&r, 1, 3);
        u.ep.border = (uint32_t)tu_range(&r, 1, 2);
        u.c = &c;
        u.break_nesting = 0;
        cs.vtable = &vt;
        cs.user = &u;
        bs = conseco_shrinker_erosion(&u.ep);
        conseco_side_params_default(&sp);
        sp.side = (uint32_t)tu_range(&r, 1, 2);
        sp.tau_outer = sp.side == CONSECO_SIDE_BAND ? tau2 : 0.0;
        ss = conseco_side_scratch_size(&cs, &sp, c.w, c.h, c.d);
        ss2 = conseco_side_scratch_size(&bs, &sp, c.w, c.h, c.d);
        if (ss2 > ss) ss = ss2;
        scr = malloc(ss);
        assert_int_equal(conseco_side_score(&cs, &sp, &im, &tm, tau, scr, ss, &a), CONSECO_OK);
        assert_int_equal(conseco_side_score(&bs, &sp, &im, &tm, tau, scr, ss, &b), CONSECO_OK);
        same(a, b, &c, "custom outer vs built-in");
        lambda = tu_range(&r, 0, 4) == 0 ? INFINITY : (double)tu_range(&r, 0, 6);
        o1 = malloc(c.n);
        o2 = malloc(c.n);
        b1 = malloc(c.n);
        b2 = malloc(c.n);
        m1 = conseco_mask_out_3d(o1, c.w, c.h, c.d, c.w, c.w * c.h);
        m2 = conseco_mask_out_3d(o2, c.w, c.h, c.d, c.w, c.w * c.h);
        n1 = conseco_mask_out_3d(b1, c.w, c.h, c.d, c.w, c.w * c.h);
        n2 = conseco_mask_out_3d(b2, c.w, c.h, c.d, c.w, c.w * c.h);
        assert_int_equal(conseco_side_apply(&cs, &sp, &im, lambda, scr, ss, NULL, &m1, &n1),
                         CONSECO_OK);
        assert_int_equal(conseco_side_apply(&bs, &sp, &im, lambda, scr, ss, NULL, &m2, &n2),
                         CONSECO_OK);
        for (i = 0; i < c.n; i++) assert_true(o1[i] == o2[i] && b1[i] == b2[i]);
        assert_int_equal(conseco_side_evaluate(&cs, &sp, &im, &tm, lambda, tau, scr, ss, &mc),
                         CONSECO_OK);
        assert_int_equal(conseco_side_evaluate(&bs, &sp, &im, &tm, lambda, tau, scr, ss, &mb),
                         CONSECO_OK);
        assert_memory_equal(&mc, &mb, sizeof mc);
        /* outer and inner maps that disagree on Yhat are not one family */
        if (sp.side == CONSECO_SIDE_BAND) {
            u.break_nesting = 1;
            assert_int_equal(conseco_side_apply(&cs, &sp, &im, lambda, scr, ss, NULL, &m1, NULL),
                             CONSECO_E_NOT_NESTED);
        }
        free(o1);
        free(o2);
        free(b1);
        free(b2);
        free(scr);
        free_case(&c);
    }
}

/* Real domain: the score against a literal walk over the outer levels. */
typedef struct real_user {
    const double *m;
} real_user;

static int ru_outer(void *user, const conseco_image *pred, double *levels, size_t count)
{
    (void)pred;
    memcpy(levels, ((real_user *)user)->m, count * sizeof(double));
    return 0;
}

static int ru_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t i;
    (void)pred;
    for (i = 0; i < count; i++) levels[i] = ((real_user *)user)->m[i] <= 0.0 ? 1.0 : -INFINITY;
    return 0;
}

static void test_custom_outer_real(void **state)
{
    tu_rng r = {61};
    unsigned k;
    (void)state;
    for (k = 0; k < tu_cases(3000); k++) {
        const size_t w = tu_range(&r, 1, 9), h = tu_range(&r, 1, 9), n = w * h;
        double m[81], cand[83], score, want = INFINITY, lmax = tu_range(&r, 0, 3) ? 0.8 : INFINITY;
        const double tau = pick_tau(&r);
        uint8_t t[81], px[81] = {0};
        size_t i, j, nc = 0;
        real_user u;
        conseco_shrinker_vtable vt = custom_vt();
        conseco_shrinker sh;
        conseco_side_params sp;
        conseco_image im = conseco_image_2d(px, w, h, w, CONSECO_DTYPE_U8);
        conseco_mask tm = conseco_mask_2d(t, w, h, w);
        unsigned char scr[4096];
        for (i = 0; i < n; i++) {
            const int kind = (int)tu_range(&r, 0, 5);
            m[i] = kind == 0 ? -INFINITY : kind == 1 ? 0.0 : kind == 2 ? INFINITY
                 : (double)tu_range(&r, 1, 6) / 8.0; /* ties */
            t[i] = (uint8_t)(tu_range(&r, 0, 2) == 0);
        }
        vt.domain = CONSECO_DOMAIN_REAL;
        vt.levels = ru_levels;
        vt.outer_levels = ru_outer;
        vt.lambda_max = lmax;
        u.m = m;
        sh.vtable = &vt;
        sh.user = &u;
        conseco_side_params_default(&sp);
        sp.side = CONSECO_SIDE_OUTER;
        assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, tau, scr, sizeof scr, &score),
                         CONSECO_OK);
        cand[nc++] = 0.0;
        for (i = 0; i < n; i++)
            if (m[i] > 0.0 && m[i] <= lmax) cand[nc++] = m[i];
        for (i = 0; i < nc && want == INFINITY; i++) {
            uint64_t nt = 0, missed = 0;
            double best = INFINITY;
            for (j = 0; j < nc; j++) /* the i-th smallest candidate, walked in order */
                if (cand[j] < best) best = cand[j];
            for (j = 0; j < nc; j++)
                if (cand[j] == best) cand[j] = INFINITY;
            if (best == INFINITY) break;
            for (j = 0; j < n; j++) {
                if (!t[j]) continue;
                nt++;
                if (!(m[j] <= best)) missed++;
            }
            if (ref_fnr_ok(missed, nt, tau)) want = best;
        }
        if (score != want) {
            fprintf(stderr, "custom real outer: got %g want %g\n", score, want);
            fail();
        }
    }
}

/* A version-1 vtable (0.2 layout: no outer_levels) still loads; it has no outer family. */
static void test_custom_v1(void **state)
{
    conseco_shrinker_vtable vt = custom_vt();
    conseco_side_params sp;
    conseco_shrinker sh;
    custom_user u;
    (void)state;
    vt.version = 1;
    vt.struct_size = (uint32_t)offsetof(conseco_shrinker_vtable, outer_levels);
    vt.outer_levels = cu_outer_levels; /* past struct_size: never read */
    conseco_erosion_params_default(&u.ep);
    sh.vtable = &vt;
    sh.user = &u;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_OK);
    conseco_side_params_default(&sp);
    sp.side = CONSECO_SIDE_OUTER;
    assert_int_equal(conseco_side_scratch_size(&sh, &sp, 4, 4, 1), 0);
    sp.side = CONSECO_SIDE_INNER;
    assert_true(conseco_side_scratch_size(&sh, &sp, 4, 4, 1) > 0);
    /* version 2 must cover outer_levels */
    vt.version = 2;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_E_BAD_SHRINKER);
}

/* ------------------------------------------------------------ bad input */
static int dummy_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t i;
    (void)user;
    (void)pred;
    for (i = 0; i < count; i++) levels[i] = 0.0;
    return 0;
}

static void test_bad_input(void **state)
{
    uint8_t px[4] = {0, 200, 255, 10}, t[4] = {0, 1, 0, 1}, o[4];
    const conseco_image im = conseco_image_2d(px, 2, 2, 2, CONSECO_DTYPE_U8);
    const conseco_mask tm = conseco_mask_2d(t, 2, 2, 2);
    const conseco_mask_out om = conseco_mask_out_2d(o, 2, 2, 2);
    conseco_threshold_params tp;
    conseco_side_params sp;
    conseco_shrinker sh;
    conseco_shrinker_vtable vt;
    unsigned char scr[20000];
    double s;
    (void)state;
    conseco_threshold_params_default(&tp);
    sh = conseco_shrinker_threshold(&tp);
    conseco_side_params_default(&sp);
    sp.side = CONSECO_SIDE_OUTER;
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, sizeof scr, &s), CONSECO_OK);
    assert_true(s == 10.0 / 255.0);
    sp.bottom = 0.6; /* above base */
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, sizeof scr, &s),
                     CONSECO_E_BAD_BOTTOM);
    assert_int_equal(conseco_side_scratch_size(&sh, &sp, 2, 2, 1), 0);
    sp.bottom = NAN;
    assert_int_equal(conseco_side_apply(&sh, &sp, &im, 0.2, scr, sizeof scr, NULL, &om, NULL),
                     CONSECO_E_BAD_BOTTOM);
    sp.bottom = 0.2; /* 10/255 is below bottom: -inf at tau 0 */
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.0, scr, sizeof scr, &s), CONSECO_OK);
    assert_true(s == -INFINITY);
    sp.bottom = 0.0;
    sp.side = 3;
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, sizeof scr, &s),
                     CONSECO_E_INVALID_ARG);
    sp.side = CONSECO_SIDE_BAND;
    sp.tau_outer = 1.5;
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, sizeof scr, &s),
                     CONSECO_E_BAD_TAU);
    sp.tau_outer = 0.1;
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 1.5, scr, sizeof scr, &s),
                     CONSECO_E_BAD_TAU);
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, 3, &s),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_side_score(&sh, NULL, &im, &tm, 0.1, scr, sizeof scr, &s),
                     CONSECO_E_NULL);
    sp.struct_size = 4;
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, sizeof scr, &s),
                     CONSECO_E_INVALID_ARG);
    conseco_side_params_default(&sp);
    assert_int_equal(conseco_side_apply(&sh, &sp, &im, 0.7, scr, sizeof scr, NULL, NULL, NULL),
                     CONSECO_E_NULL);
    assert_int_equal(conseco_side_apply(&sh, &sp, &im, 0.7, scr, sizeof scr, NULL, &om, NULL),
                     CONSECO_E_INVALID_ARG); /* inner side has no outer set */
    sp.side = CONSECO_SIDE_OUTER;
    assert_int_equal(conseco_side_apply(&sh, &sp, &im, NAN, scr, sizeof scr, NULL, &om, NULL),
                     CONSECO_E_BAD_LAMBDA);
    /* a custom shrinker has no outer family (yet) */
    memset(&vt, 0, sizeof vt);
    vt.struct_size = sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = "custom";
    vt.domain = CONSECO_DOMAIN_INTEGER;
    vt.lambda_max = INFINITY;
    vt.levels = dummy_levels;
    sh.vtable = &vt;
    sh.user = NULL;
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, sizeof scr, &s),
                     CONSECO_E_UNSUPPORTED);
    sp.side = CONSECO_SIDE_INNER; /* the inner side is the plain score */
    assert_int_equal(conseco_side_score(&sh, &sp, &im, &tm, 0.1, scr, sizeof scr, &s), CONSECO_OK);
    /* NaN or inf in a float map, for every built-in side */
    {
        float fm[4] = {0.9f, 0.2f, 0.7f, 0.1f};
        const conseco_image fim = conseco_image_2d(fm, 2, 2, 2 * sizeof(float), CONSECO_DTYPE_F32);
        conseco_erosion_params ep;
        int which, bad;
        conseco_erosion_params_default(&ep);
        for (bad = 0; bad < 2; bad++)
            for (which = 0; which < 4; which++) {
                conseco_shrinker b = which < 2 ? conseco_shrinker_threshold(&tp)
                                               : conseco_shrinker_erosion(&ep);
                conseco_side_metrics met;
                fm[3] = bad ? INFINITY : NAN;
                conseco_side_params_default(&sp);
                sp.side = which % 2 ? CONSECO_SIDE_BAND : CONSECO_SIDE_OUTER;
                sp.tau_outer = 0.1;
                assert_int_equal(conseco_side_score(&b, &sp, &fim, &tm, 0.1, scr, sizeof scr, &s),
                                 CONSECO_E_NONFINITE);
                assert_int_equal(conseco_side_apply(&b, &sp, &fim, 1.0, scr, sizeof scr, NULL,
                                                    &om, NULL),
                                 CONSECO_E_NONFINITE);
                assert_int_equal(conseco_side_evaluate(&b, &sp, &fim, &tm, 1.0, 0.1, scr,
                                                       sizeof scr, &met),
                                 CONSECO_E_NONFINITE);
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_2d),   cmocka_unit_test(test_scores_3d),
        cmocka_unit_test(test_scores_large_2d),
        cmocka_unit_test(test_apply_2d),    cmocka_unit_test(test_apply_3d),
        cmocka_unit_test(test_score_sets_hold), cmocka_unit_test(test_evaluate_lambdas),
        cmocka_unit_test(test_ball_mm),
        cmocka_unit_test(test_custom_outer), cmocka_unit_test(test_custom_outer_real),
        cmocka_unit_test(test_custom_v1),      cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
