/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Expected-risk control (docs/DESIGN.md 5.3): the risk calibrator (summed
 * loss curve, exact condition) against the literal reference
 * tests/support/ref_risk.c on thousands of random calibration sets (2-D and
 * 3-D, ties of levels and of the condition itself, empty Yhat, +inf), for
 * the threshold, the erosion (cross, square, disk; both borders) and a
 * custom shrinker with a levels callback; the same answer after add_batch,
 * merge in any split, save/load and in a static workspace; bad input; and a
 * statistical test of the guarantee (mean test loss <= alpha + 0.01).
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
#include "ref_crc32.h"
#include "ref_erosion.h"
#include "ref_threshold.h"
#include "ref_risk.h"
#include "risk_harness.h"
#include "test_util.h"

/* A coverage floor of the full run, scaled with the cases run (tu_cases). */
#define SCALED(floor, full) ((size_t)(floor) * tu_cases(full) / (size_t)(full))

#define MAXN 12

/* ------------------------------------------------------------ generators */
typedef rh_set rset;

/* A random calibration set: u8 maps from a small palette (ties), u16 or
 * f64 maps; some images with an empty Yhat; 2-D or (three = 1) 3-D. */
static void rset_make(tu_rng *r, rset *s, int three, double base)
{
    size_t i, p;
    memset(s, 0, sizeof *s);
    s->n = tu_range(r, 1, MAXN);
    for (i = 0; i < s->n; i++) {
        const size_t w = tu_range(r, 1, 9), h = tu_range(r, 1, 9);
        const size_t d = three ? tu_range(r, 1, 3) : 1;
        const size_t np = w * h * d;
        const int kind = (int)tu_range(r, 0, 5);
        const int empty = tu_range(r, 0, 9) == 0;
        const unsigned palette = (unsigned)tu_range(r, 1, 6);
        const double ptruth = tu_uniform(r);
        int dtype;
        s->tbuf[i] = malloc(np);
        for (p = 0; p < np; p++) s->tbuf[i][p] = tu_uniform(r) < ptruth ? 1 : 0;
        if (kind <= 3) {
            uint8_t *m = malloc(np);
            dtype = CONSECO_DTYPE_U8;
            for (p = 0; p < np; p++) {
                /* few distinct values: 0, and palette levels >= 100 */
                unsigned v = (unsigned)tu_range(r, 0, palette);
                m[p] = v == 0 ? (uint8_t)tu_range(r, 0, 120) : (uint8_t)(255 - 25 * (v - 1));
                if (empty) m[p] = (uint8_t)tu_range(r, 0, 60);
                if (kind == 3 && !empty) m[p] = (uint8_t)tu_range(r, 0, 255); /* many levels */
            }
            s->pbuf[i] = m;
        } else if (kind == 4) {
            uint16_t *m = malloc(np * 2);
            dtype = CONSECO_DTYPE_U16;
            for (p = 0; p < np; p++)
                m[p] = empty ? (uint16_t)tu_range(r, 0, 1000) : (uint16_t)tu_range(r, 0, 65535);
            s->pbuf[i] = m;
        } else {
            double *m = malloc(np * 8);
            dtype = CONSECO_DTYPE_F64;
            for (p = 0; p < np; p++) {
                m[p] = empty ? base - 0.5 * tu_uniform(r) - 1e-3 : tu_uniform(r);
                if (tu_range(r, 0, 7) == 0) m[p] = base; /* exactly at base */
            }
            s->pbuf[i] = m;
        }
        {
            const size_t es = dtype == CONSECO_DTYPE_U8 ? 1 : dtype == CONSECO_DTYPE_U16 ? 2 : 8;
            s->preds[i] = conseco_image_3d(s->pbuf[i], w, h, d, w * es, w * h * es, dtype);
        }
        s->truths[i] = conseco_mask_3d(s->tbuf[i], w, h, d, w, w * h);
        if (w > s->maxw) s->maxw = w;
        if (h > s->maxh) s->maxh = h;
        if (d > s->maxd) s->maxd = d;
        s->pixels += np;
    }
}

/* ---------------------------------------------------- custom levels shrinker */
static int thr_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    return conseco_threshold_vtable()->levels(user, pred, levels, count);
}

static conseco_shrinker_vtable thr_custom_vtable(const conseco_threshold_params *p)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = (uint32_t)sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = "thr-levels";
    vt.domain = CONSECO_DOMAIN_REAL;
    vt.lambda_min = p->base;
    vt.lambda_max = p->top;
    vt.levels = thr_levels;
    return vt;
}

static int ero_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    return conseco_erosion_vtable()->levels(user, pred, levels, count);
}

static int failing_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    (void)user;
    (void)pred;
    (void)levels;
    (void)count;
    return 7;
}

static conseco_shrinker_vtable ero_custom_vtable(void)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = (uint32_t)sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = "ero-levels";
    vt.domain = CONSECO_DOMAIN_INTEGER;
    vt.lambda_min = 0.0;
    vt.lambda_max = INFINITY;
    vt.levels = ero_levels;
    return vt;
}

/* -------------------------------------------------------------- helpers */
static conseco_calibrator_config risk_config(conseco_shrinker sh)
{
    conseco_calibrator_config cfg;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = sh;
    cfg.guarantee = CONSECO_GUARANTEE_RISK;
    return cfg;
}

/* Every way of building the calibrator gives the reference's lambda (risk_harness.c). */
static void check_all_paths(tu_rng *r, conseco_shrinker sh, const rset *s, double expect,
                            double alpha)
{
    rh_check_all_paths(r, risk_config(sh), s, expect, alpha, sh.vtable->lambda_min, 5);
}

/* ---------------------------------------------------------------- tests */
static void test_threshold_vs_reference(void **state)
{
    tu_rng r = {0x5151};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(2500); it++) {
        conseco_threshold_params p;
        conseco_shrinker_vtable vt;
        conseco_shrinker sh;
        rset s;
        const rh_alpha *aq = &rh_alphas[tu_range(&r, 0, sizeof rh_alphas / sizeof rh_alphas[0] - 1)];
        const double alpha = (double)aq->num / (double)aq->den;
        double expect;
        conseco_threshold_params_default(&p);
        if (tu_range(&r, 0, 3) == 0) p.base = 0.3;
        if (tu_range(&r, 0, 3) == 0) p.top = 0.9;
        rset_make(&r, &s, it % 3 == 0, p.base);
        expect = ref_risk_lambda_threshold(&p, s.preds, s.truths, s.n, aq->num, aq->den);
        sh = conseco_shrinker_threshold(&p);
        check_all_paths(&r, sh, &s, expect, alpha);
        /* a custom shrinker with the same levels gives the same answer */
        if (it % 4 == 0) {
            vt = thr_custom_vtable(&p);
            sh.vtable = &vt;
            sh.user = &p;
            check_all_paths(&r, sh, &s, expect, alpha);
        }
        rh_set_free(&s);
    }
    printf("threshold: %zu +inf, %zu lambda_min, %zu inside\n", rh_seen_inf, rh_seen_min, rh_seen_inside);
    assert_true(rh_seen_inf > SCALED(50, 2500) && rh_seen_min > SCALED(50, 2500) && rh_seen_inside > SCALED(300, 2500));
    rh_seen_reset();
}

static void test_erosion_vs_reference(void **state)
{
    tu_rng r = {0xE305};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(2500); it++) {
        conseco_erosion_params p;
        rset s;
        const rh_alpha *aq = &rh_alphas[tu_range(&r, 0, sizeof rh_alphas / sizeof rh_alphas[0] - 1)];
        const double alpha = (double)aq->num / (double)aq->den;
        double expect;
        conseco_erosion_params_default(&p);
        p.element = (uint32_t)tu_range(&r, 1, 3);
        p.border = (uint32_t)tu_range(&r, 1, 2);
        rset_make(&r, &s, it % 3 == 0, p.base);
        expect = ref_risk_lambda_erosion(&p, s.preds, s.truths, s.n, aq->num, aq->den);
        check_all_paths(&r, conseco_shrinker_erosion(&p), &s, expect, alpha);
        /* a custom integer-domain shrinker with the same levels */
        if (it % 4 == 0) {
            conseco_shrinker_vtable vt = ero_custom_vtable();
            conseco_shrinker sh;
            sh.vtable = &vt;
            sh.user = &p;
            check_all_paths(&r, sh, &s, expect, alpha);
        }
        rh_set_free(&s);
    }
    printf("erosion: %zu +inf, %zu lambda_min, %zu inside\n", rh_seen_inf, rh_seen_min, rh_seen_inside);
    assert_true(rh_seen_inf > SCALED(50, 2500) && rh_seen_min > SCALED(50, 2500) && rh_seen_inside > SCALED(300, 2500));
}

/* Images with more distinct levels than the library's hash table holds
 * (2048) take the sorted path: large float and 16-bit maps, mixed with
 * small ones in one calibration set. */
static void test_many_levels(void **state)
{
    tu_rng r = {0x1a26e};
    int it;
    (void)state;
    for (it = 0; it < 8; it++) {
        conseco_threshold_params p;
        rset s;
        size_t q;
        const rh_alpha *aq = &rh_alphas[tu_range(&r, 0, 5)];
        const double alpha = (double)aq->num / (double)aq->den;
        /* image 0: 48 x 48 = 2304 pixels, all in Yhat, (nearly) all distinct */
        const size_t w = 48, h = 48;
        conseco_threshold_params_default(&p);
        rset_make(&r, &s, 0, p.base);
        free(s.pbuf[0]);
        free(s.tbuf[0]);
        s.tbuf[0] = malloc(w * h);
        for (q = 0; q < w * h; q++) s.tbuf[0][q] = tu_range(&r, 0, 2) == 0;
        if (it % 2 == 0) {
            double *m = malloc(w * h * 8);
            for (q = 0; q < w * h; q++) m[q] = 0.5 + 0.5 * tu_uniform(&r);
            if (it % 4 == 0) m[0] = m[1] = m[2] = 0.75; /* ties too */
            s.pbuf[0] = m;
            s.preds[0] = conseco_image_2d(m, w, h, w * 8, CONSECO_DTYPE_F64);
        } else {
            uint16_t *m = malloc(w * h * 2);
            for (q = 0; q < w * h; q++) m[q] = (uint16_t)tu_range(&r, 32768, 65535);
            s.pbuf[0] = m;
            s.preds[0] = conseco_image_2d(m, w, h, w * 2, CONSECO_DTYPE_U16);
        }
        s.truths[0] = conseco_mask_2d(s.tbuf[0], w, h, w);
        s.pixels += w * h;
        if (w > s.maxw) s.maxw = w;
        if (h > s.maxh) s.maxh = h;
        check_all_paths(&r, conseco_shrinker_threshold(&p), &s,
                        ref_risk_lambda_threshold(&p, s.preds, s.truths, s.n, aq->num, aq->den),
                        alpha);
        rh_set_free(&s);
    }
}

/* The experimental one-image curve: keys = the breakpoints, losses = AFP there. */
static void test_loss_curve(void **state)
{
    tu_rng r = {0xC0B5E};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(400); it++) {
        conseco_threshold_params tp;
        conseco_erosion_params ep;
        rset s;
        size_t i, j, m, count;
        conseco_threshold_params_default(&tp);
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)tu_range(&r, 1, 3);
        ep.border = (uint32_t)tu_range(&r, 1, 2);
        rset_make(&r, &s, it % 2, tp.base);
        for (i = 0; i < s.n; i++) {
            const conseco_image *im = &s.preds[i];
            const size_t np = im->width * im->height * im->depth;
            conseco_shrinker sh = conseco_shrinker_threshold(&tp);
            size_t ss = conseco_loss_curve_scratch_size(&sh, im->width, im->height, im->depth);
            void *scratch = malloc(ss);
            double *lam = malloc((np + 2) * sizeof(double)), *loss = malloc((np + 2) * sizeof(double));
            double *bp = malloc((np + 2) * sizeof(double));
            assert_int_equal(conseco_loss_curve(&sh, im, &s.truths[i], scratch, ss, lam, loss, np + 2,
                                                &count),
                             CONSECO_OK);
            m = ref_threshold_breakpoints(&tp, im, bp);
            assert_int_equal(count, m);
            for (j = 0; j < m; j++) {
                conseco_image_metrics met;
                assert_true(rh_same(lam[j], bp[j]));
                ref_threshold_metrics(&tp, im, &s.truths[i], lam[j], 0.0, &met);
                assert_true(rh_same(loss[j], met.afp));
            }
            if (count > 1)
                assert_int_equal(conseco_loss_curve(&sh, im, &s.truths[i], scratch, ss, lam, loss,
                                                    count - 1, &m),
                                 CONSECO_E_BUFFER_TOO_SMALL);
            /* erosion: every key's loss is the AFP of that many erosions */
            sh = conseco_shrinker_erosion(&ep);
            free(scratch);
            ss = conseco_loss_curve_scratch_size(&sh, im->width, im->height, im->depth);
            scratch = malloc(ss);
            assert_int_equal(conseco_loss_curve(&sh, im, &s.truths[i], scratch, ss, lam, loss, np + 2,
                                                &count),
                             CONSECO_OK);
            assert_true(count >= 1 && lam[0] == 0.0);
            {
                uint8_t *yhat = malloc(np), *inner = malloc(np);
                size_t x, y, z, ny = 0;
                for (z = 0; z < im->depth; z++)
                    for (y = 0; y < im->height; y++)
                        for (x = 0; x < im->width; x++) {
                            const size_t q = x + im->width * (y + im->height * z);
                            yhat[q] = ref_pixel(im, x, y, z) >= ep.base;
                            ny += yhat[q];
                        }
                for (j = 0; j < count; j++) {
                    size_t fp = 0, q;
                    if (lam[j] == INFINITY) {
                        memcpy(inner, yhat, np); /* never removed */
                    } else {
                        assert_true(j == 0 || lam[j] > lam[j - 1]);
                        ref_erosion_inner(yhat, im->width, im->height, im->depth, (int)ep.element,
                                          (int)ep.border, (unsigned long)lam[j], inner);
                    }
                    for (q = 0; q < np; q++) fp += inner[q] && !s.truths[i].data[q];
                    assert_true(rh_same(loss[j], ny == 0 ? 0.0 : (double)fp / (double)ny));
                }
                free(yhat);
                free(inner);
            }
            free(scratch);
            free(lam);
            free(loss);
            free(bp);
        }
        rh_set_free(&s);
    }
}

/* -0 and +0 are one key: the curve (and its saved bytes) does not depend on
 * which image brought which zero. */
static void test_signed_zero(void **state)
{
    double a[2] = {-0.0, 0.9}, b[2] = {0.0, 0.9};
    uint8_t ta[2] = {0, 1}, tb[2] = {0, 1};
    conseco_threshold_params p;
    conseco_calibrator_config cfg;
    conseco_calibrator *c1 = NULL, *c2 = NULL;
    conseco_image ims[2];
    conseco_mask ms[2];
    unsigned char s1[1024], s2[1024];
    size_t n1, n2;
    double l;
    (void)state;
    conseco_threshold_params_default(&p);
    p.base = -1.0;
    ims[0] = conseco_image_2d(a, 2, 1, 16, CONSECO_DTYPE_F64);
    ims[1] = conseco_image_2d(b, 2, 1, 16, CONSECO_DTYPE_F64);
    ms[0] = conseco_mask_2d(ta, 2, 1, 2);
    ms[1] = conseco_mask_2d(tb, 2, 1, 2);
    cfg = risk_config(conseco_shrinker_threshold(&p));
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c1), CONSECO_OK);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c2), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(c1, &ims[0], &ms[0], NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(c1, &ims[1], &ms[1], NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(c2, &ims[1], &ms[1], NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(c2, &ims[0], &ms[0], NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(c1, s1, sizeof s1, &n1), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(c2, s2, sizeof s2, &n2), CONSECO_OK);
    assert_int_equal(n1, n2);
    assert_memory_equal(s1, s2, n1);
    /* keys: -1 (base), 0, 0.9, 1 (top) */
    assert_int_equal(n1, 144 + 4 * 32 + 4);
    /* the FPs at 0 leave after 0: S = 0 from 0.9 on; alpha 0.5, n = 2: 1/3 <= 0.5 */
    l = rh_lambda_of(c1, 0.5);
    assert_true(l == 0.9);
    conseco_calibrator_free(c1);
    conseco_calibrator_free(c2);
}

/* Ties of the condition itself: (S + 1) = alpha (n + 1) exactly. */
static void test_condition_ties(void **state)
{
    /* n = 3 images of one FP pixel out of 2 at the top level: S(base) = 1.5;
     * alpha = 0.5: (S + 1) = 2.5 > 2; at the next level the FP leaves: S = 1? */
    uint8_t pm[3][2] = {{255, 200}, {255, 200}, {200, 200}};
    uint8_t tm[3][2] = {{0, 1}, {0, 1}, {1, 1}};
    conseco_threshold_params p;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    conseco_image preds[3];
    conseco_mask truths[3];
    size_t i;
    double l, risk;
    (void)state;
    conseco_threshold_params_default(&p);
    for (i = 0; i < 3; i++) {
        preds[i] = conseco_image_2d(pm[i], 2, 1, 2, CONSECO_DTYPE_U8);
        truths[i] = conseco_mask_2d(tm[i], 2, 1, 2);
    }
    cfg = risk_config(conseco_shrinker_threshold(&p));
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_batch(c, preds, truths, 3, 1, NULL), CONSECO_OK);
    /* S(lambda) = 1/2 + 1/2 + 0 = 1 for lambda <= 1: (1 + 1) / 4 = 0.5 <= 0.5 exactly */
    l = rh_lambda_of(c, 0.5);
    assert_true(l == 0.5);
    assert_true(rh_same(l, ref_risk_lambda_threshold(&p, preds, truths, 3, 1, 2)));
    assert_int_equal(conseco_calibrator_risk(c, 0.5, &risk), CONSECO_OK);
    assert_true(risk == 1.0 / 3.0);
    /* just below: 0.49 needs S + 1 <= 1.96: only the empty mask (top keeps the 255s) */
    l = rh_lambda_of(c, 0.49);
    assert_true(l == INFINITY);
    assert_true(rh_same(l, ref_risk_lambda_threshold(&p, preds, truths, 3, 49, 100)));
    conseco_calibrator_free(c);
}

static void test_risk_value(void **state)
{
    tu_rng r = {0x77};
    int it;
    (void)state;
    for (it = 0; it < 300; it++) {
        conseco_threshold_params p;
        conseco_calibrator_config cfg;
        conseco_calibrator *c = NULL;
        rset s;
        size_t i;
        const double lambdas[] = {-1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.0, INFINITY};
        conseco_threshold_params_default(&p);
        rset_make(&r, &s, 0, p.base);
        cfg = risk_config(conseco_shrinker_threshold(&p));
        assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
        for (i = 0; i < s.n; i++)
            assert_int_equal(conseco_calibrator_add(c, &s.preds[i], &s.truths[i], NULL),
                             CONSECO_OK);
        for (i = 0; i < sizeof lambdas / sizeof lambdas[0]; i++) {
            double got, want = ref_risk_mean_threshold(&p, s.preds, s.truths, s.n, lambdas[i]);
            if (lambdas[i] > p.top && lambdas[i] != INFINITY)
                want = ref_risk_mean_threshold(&p, s.preds, s.truths, s.n, p.top); /* clamp: never asked */
            assert_int_equal(conseco_calibrator_risk(c, lambdas[i], &got), CONSECO_OK);
            if (lambdas[i] <= p.top || lambdas[i] == INFINITY)
                assert_true(fabs(got - want) <= 1e-12);
        }
        conseco_calibrator_free(c);
        rh_set_free(&s);
    }
}

static void test_bad_input(void **state)
{
    conseco_threshold_params p;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL, *q = NULL;
    conseco_shrinker_vtable vt;
    uint8_t pm[4] = {255, 200, 100, 0}, tm[4] = {0, 1, 1, 0};
    conseco_image im;
    conseco_mask tr;
    double x, out[4];
    size_t n = 7;
    (void)state;
    conseco_threshold_params_default(&p);
    im = conseco_image_2d(pm, 2, 2, 2, CONSECO_DTYPE_U8);
    tr = conseco_mask_2d(tm, 2, 2, 2);
    cfg = risk_config(conseco_shrinker_threshold(&p));
    cfg.tau = NAN; /* unused by risk */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, 0.5), CONSECO_E_UNSUPPORTED);
    assert_int_equal(conseco_calibrator_risk(c, NAN, &x), CONSECO_E_BAD_LAMBDA);
    assert_int_equal(conseco_calibrator_risk(NULL, 0.5, &x), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_risk(c, 0.5, NULL), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.0, &x, NULL), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 1.0, &x, NULL), CONSECO_E_BAD_ALPHA);
    /* no image: only the empty mask */
    assert_true(rh_lambda_of(c, 0.5) == INFINITY);
    assert_int_equal(conseco_calibrator_add(c, &im, &tr, &x), CONSECO_OK);
    assert_true(x == 0.5); /* the AFP of Yhat = {255, 200}: one FP of two */
    assert_int_equal(conseco_calibrator_scores(c, out, 4, &n), CONSECO_OK);
    assert_int_equal(n, 0);
    /* sides and guarantees */
    cfg.side = CONSECO_SIDE_OUTER; /* FNR of the outer family (test_outer_risk.c) */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_OK);
    conseco_calibrator_free(q);
    q = NULL;
    cfg.side = CONSECO_SIDE_BAND; /* two losses: not supported */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_E_UNSUPPORTED);
    cfg.side = 3;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_E_INVALID_ARG);
    cfg.side = CONSECO_SIDE_INNER;
    cfg.guarantee = 2;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_E_INVALID_ARG);
    assert_int_equal(conseco_calibrator_workspace_size(&cfg), 0);
    /* a black box has no level map to read a curve from */
    memset(&vt, 0, sizeof vt);
    vt = thr_custom_vtable(&p);
    vt.levels = NULL;
    vt.apply = conseco_threshold_vtable()->apply;
    vt.breakpoints = conseco_threshold_vtable()->breakpoints;
    cfg.guarantee = CONSECO_GUARANTEE_RISK;
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = &p;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_E_UNSUPPORTED);
    /* a failing levels callback: CONSECO_E_CALLBACK, nothing added */
    vt = thr_custom_vtable(&p);
    vt.levels = failing_levels;
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = &p;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(q, &im, &tr, NULL), CONSECO_E_CALLBACK);
    assert_int_equal(conseco_calibrator_add_batch(q, &im, &tr, 1, 1, NULL), CONSECO_E_CALLBACK);
    {
        conseco_image ims2[3] = {im, im, im};
        conseco_mask trs2[3] = {tr, tr, tr};
        double lo[3] = {-1, -1, -1};
        assert_int_equal(conseco_calibrator_add_batch(q, ims2, trs2, 3, 3, lo), CONSECO_E_CALLBACK);
        assert_true(lo[0] == -1 && lo[1] == -1 && lo[2] == -1); /* untouched on error */
    }
    assert_int_equal(conseco_calibrator_count(q), 0);
    conseco_calibrator_free(q);
    /* risk and quantile do not mix */
    cfg = risk_config(conseco_shrinker_threshold(&p));
    cfg.guarantee = CONSECO_GUARANTEE_QUANTILE;
    cfg.tau = 0.0;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_OK);
    assert_int_equal(conseco_calibrator_risk(q, 0.5, &x), CONSECO_E_UNSUPPORTED);
    assert_int_equal(conseco_calibrator_merge(c, q), CONSECO_E_INCOMPATIBLE);
    assert_int_equal(conseco_calibrator_merge(q, c), CONSECO_E_INCOMPATIBLE);
    /* an old caller's config (0.2 layout) is inner/quantile */
    cfg.guarantee = CONSECO_GUARANTEE_RISK;
    cfg.struct_size = (uint32_t)(offsetof(conseco_calibrator_config, max_depth) + sizeof(size_t));
    conseco_calibrator_free(q);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(q, 0.5), CONSECO_OK);
    conseco_calibrator_free(q);
    /* bad views: the same codes as the quantile calibrator */
    im.dtype = 99;
    assert_int_equal(conseco_calibrator_add(c, &im, &tr, NULL), CONSECO_E_BAD_DTYPE);
    im.dtype = CONSECO_DTYPE_U8;
    tr.width = 1;
    assert_int_equal(conseco_calibrator_add(c, &im, &tr, NULL), CONSECO_E_SIZE_MISMATCH);
    assert_int_equal(conseco_calibrator_add_batch(c, &im, &tr, 1, 1, NULL), CONSECO_E_SIZE_MISMATCH);
    assert_int_equal(conseco_calibrator_count(c), 1);
    /* reset empties the curve */
    assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(c), 0);
    assert_true(rh_lambda_of(c, 0.5) == INFINITY);
    conseco_calibrator_free(c);
}

static void test_state(void **state)
{
    conseco_erosion_params ep;
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL, *d = NULL, *q = NULL, *st = NULL;
    conseco_state_info info;
    uint8_t pm[9] = {255, 255, 255, 255, 255, 255, 255, 255, 0};
    uint8_t tm[9] = {0, 1, 0, 1, 1, 1, 0, 1, 0};
    conseco_image im;
    conseco_mask tr;
    unsigned char buf[4096], copy[4096], ws[8192];
    size_t size, i, qsize;
    (void)state;
    conseco_erosion_params_default(&ep);
    im = conseco_image_2d(pm, 3, 3, 3, CONSECO_DTYPE_U8);
    tr = conseco_mask_2d(tm, 3, 3, 3);
    cfg = risk_config(conseco_shrinker_erosion(&ep));
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    for (i = 0; i < 5; i++) assert_int_equal(conseco_calibrator_add(c, &im, &tr, NULL), CONSECO_OK);
    size = conseco_calibrator_save_size(c);
    assert_true(size > 144 && size < sizeof buf);
    assert_int_equal(conseco_calibrator_save(c, buf, size - 1, NULL), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(conseco_calibrator_save(c, buf, size, NULL), CONSECO_OK);
    memset(&info, 0, sizeof info);
    info.struct_size = (uint32_t)sizeof info;
    assert_int_equal(conseco_state_inspect(buf, size, &info), CONSECO_OK);
    assert_int_equal(info.format_version, 3);
    assert_int_equal(info.guarantee, CONSECO_GUARANTEE_RISK);
    assert_int_equal(info.side, CONSECO_SIDE_INNER);
    assert_true(info.tau_outer == 0.0 && info.tau == 0.0);
    assert_int_equal(info.count, 5);
    assert_int_equal(info.kind, CONSECO_KIND_EROSION);
    /* a 0.2 caller's struct: filled up to count, the newer members untouched */
    memset(&info, 0xAB, sizeof info);
    info.struct_size = (uint32_t)(offsetof(conseco_state_info, count) + sizeof(uint64_t));
    assert_int_equal(conseco_state_inspect(buf, size, &info), CONSECO_OK);
    assert_int_equal(info.count, 5);
    assert_int_equal(info.guarantee, 0xABABABABu);
    info.struct_size = (uint32_t)sizeof info;
    /* every single bit flip is refused */
    for (i = 0; i < size * 8; i += 3) {
        memcpy(copy, buf, size);
        copy[i / 8] ^= (unsigned char)(1u << (i % 8));
        assert_int_not_equal(conseco_state_inspect(copy, size, &info), CONSECO_OK);
    }
    assert_int_equal(conseco_state_inspect(buf, size - 1, &info), CONSECO_E_TRUNCATED);
    /* a wrong curve with a valid checksum: keys out of order, too large a sum */
    memcpy(copy, buf, size);
    rh_put64(copy + 144, 0x3FF0000000000000u); /* first key 1.0, not lambda_min 0 */
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    memcpy(copy, buf, size);
    rh_put64(copy + 144 + 24, 6); /* summed drop 6 > n = 5 */
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    memcpy(copy, buf, size);
    rh_put64(copy + 104, 0); /* n = 0 with keys */
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    memcpy(copy, buf, size);
    copy[128] = 1; /* bottom set on an inner state */
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    /* load: the same answer; a quantile calibrator refuses it and vice versa */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &d), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(d, buf, size), CONSECO_OK);
    assert_true(rh_same(rh_lambda_of(d, 0.3), rh_lambda_of(c, 0.3)));
    cfg.guarantee = CONSECO_GUARANTEE_QUANTILE;
    cfg.tau = 0.0;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(q, buf, size), CONSECO_E_INCOMPATIBLE);
    assert_int_equal(conseco_calibrator_add_score(q, 1.0), CONSECO_OK);
    qsize = conseco_calibrator_save_size(q);
    assert_int_equal(conseco_calibrator_save(q, copy, sizeof copy, NULL), CONSECO_OK);
    assert_int_equal(copy[4], 1); /* quantile keeps writing format version 1 */
    assert_int_equal(conseco_calibrator_load(d, copy, qsize), CONSECO_E_INCOMPATIBLE);
    assert_int_equal(conseco_calibrator_count(d), 5); /* unchanged */
    /* another shrinker's curve is incompatible */
    conseco_threshold_params_default(&tp);
    cfg = risk_config(conseco_shrinker_threshold(&tp));
    conseco_calibrator_free(q);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &q), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(q, buf, size), CONSECO_E_INCOMPATIBLE);
    assert_int_equal(conseco_calibrator_merge(q, c), CONSECO_E_INCOMPATIBLE);
    /* static: too few keys is CONSECO_E_FULL, nothing changes */
    cfg = risk_config(conseco_shrinker_erosion(&ep));
    cfg.capacity = 1;
    cfg.max_width = 3;
    cfg.max_height = 3;
    assert_true(conseco_calibrator_workspace_size(&cfg) <= sizeof ws);
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &st), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(st, buf, size), CONSECO_E_FULL);
    assert_int_equal(conseco_calibrator_add(st, &im, &tr, NULL), CONSECO_E_FULL);
    assert_int_equal(conseco_calibrator_count(st), 0);
    /* a merge with itself doubles the curve: same lambda for the mean */
    assert_int_equal(conseco_calibrator_merge(d, d), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(d), 10);
    conseco_calibrator_free(st);
    conseco_calibrator_free(q);
    conseco_calibrator_free(c);
    conseco_calibrator_free(d);
}

/* The compile-time bound covers every risk workspace. */
static void test_risk_workspace_bound(void **state)
{
    static const size_t sides[] = {1, 2, 3, 7, 16, 64, 100, 257, 1000};
    static const size_t depths[] = {0, 1, 2, 33};
    static const size_t caps[] = {0, 1, 258, 100000};
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    size_t wi, hi, di, ci, k;
    (void)state;
    conseco_threshold_params_default(&tp);
    conseco_erosion_params_default(&ep);
    for (wi = 0; wi < sizeof sides / sizeof sides[0]; wi++)
        for (hi = 0; hi < sizeof sides / sizeof sides[0]; hi++)
            for (di = 0; di < sizeof depths / sizeof depths[0]; di++)
                for (ci = 0; ci < sizeof caps / sizeof caps[0]; ci++)
                    for (k = 0; k < 2; k++) {
                        const size_t w = sides[wi], h = sides[hi];
                        const size_t d = depths[di] == 0 ? 1 : depths[di];
                        conseco_calibrator_config cfg = risk_config(
                            k ? conseco_shrinker_erosion(&ep) : conseco_shrinker_threshold(&tp));
                        size_t got;
                        cfg.capacity = caps[ci];
                        cfg.max_width = w;
                        cfg.max_height = h;
                        cfg.max_depth = depths[di];
                        got = conseco_calibrator_workspace_size(&cfg);
                        assert_true(got > 0);
                        assert_true(got <= CONSECO_CALIBRATOR_RISK_WORKSPACE_BOUND(caps[ci], w * h * d));
                    }
}

/* Allocation failures leave the calibrator as it was. */
static int fail_after;
static void *counting_alloc(void *opaque, size_t size)
{
    (void)opaque;
    if (fail_after-- <= 0) return NULL;
    return malloc(size);
}
static void counting_free(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}

static void test_allocation_failures(void **state)
{
    tu_rng r = {0xA11};
    conseco_threshold_params p;
    conseco_calibrator_config cfg;
    conseco_allocator a = {counting_alloc, counting_free, NULL};
    rset s;
    int k;
    (void)state;
    conseco_threshold_params_default(&p);
    do rset_make(&r, &s, 0, p.base); while (s.n < 4 && (rh_set_free(&s), 1));
    cfg = risk_config(conseco_shrinker_threshold(&p));
    cfg.capacity = 1;
    for (k = 0; k < 40; k++) {
        conseco_calibrator *c = NULL;
        double before, after;
        int rc;
        fail_after = 1000;
        assert_int_equal(conseco_calibrator_create(&cfg, &a, &c), CONSECO_OK);
        assert_int_equal(conseco_calibrator_add(c, &s.preds[0], &s.truths[0], NULL), CONSECO_OK);
        before = rh_lambda_of(c, 0.5);
        fail_after = k;
        rc = conseco_calibrator_add_batch(c, s.preds + 1, s.truths + 1, s.n - 1,
                                          k % 2 ? 3u : 1u, NULL);
        fail_after = 1000;
        after = rh_lambda_of(c, 0.5);
        if (rc != CONSECO_OK) {
            assert_int_equal(rc, CONSECO_E_NO_MEMORY);
            assert_int_equal(conseco_calibrator_count(c), 1);
            assert_true(rh_same(before, after));
        } else {
            assert_int_equal(conseco_calibrator_count(c), s.n);
        }
        conseco_calibrator_free(c);
    }
    rh_set_free(&s);
}

/* ------------------------------------------------------------ statistics */
/* Synthetic 16x16 maps: a disc of truth, a noisy score around it. */
#define SW 16
typedef struct synth {
    uint8_t pred[SW * SW];
    uint8_t truth[SW * SW];
} synth;

static void synth_make(tu_rng *r, synth *s)
{
    const double cx = 4 + 8 * tu_uniform(r), cy = 4 + 8 * tu_uniform(r);
    const double rad = 2 + 4 * tu_uniform(r), shift = 2.5 * tu_uniform(r);
    size_t x, y;
    for (y = 0; y < SW; y++)
        for (x = 0; x < SW; x++) {
            const double fx = (double)x - cx, fy = (double)y - cy;
            const double dd = sqrt(fx * fx + fy * fy);
            double v = 1.0 / (1.0 + exp(1.5 * (dd - rad - shift))) + 0.25 * (tu_uniform(r) - 0.5);
            if (v < 0) v = 0;
            if (v > 1) v = 1;
            s->pred[y * SW + x] = (uint8_t)(v * 255.0 + 0.5);
            s->truth[y * SW + x] = dd <= rad;
        }
}

static void test_validity(void **state)
{
    enum { POOL = 400, NCAL = 200, SPLITS = 300 };
    static synth pool[POOL];
    conseco_image preds[POOL];
    conseco_mask truths[POOL];
    tu_rng r = {0xBEEF};
    size_t perm[POOL], i, t;
    const double alphas_v[] = {0.1, 0.2};
    size_t ai;
    (void)state;
    for (i = 0; i < POOL; i++) {
        synth_make(&r, &pool[i]);
        preds[i] = conseco_image_2d(pool[i].pred, SW, SW, SW, CONSECO_DTYPE_U8);
        truths[i] = conseco_mask_2d(pool[i].truth, SW, SW, SW);
    }
    for (ai = 0; ai < 2; ai++) {
        const double alpha = alphas_v[ai];
        double mean_loss = 0.0;
        for (t = 0; t < SPLITS; t++) {
            conseco_threshold_params p;
            conseco_calibrator_config cfg;
            conseco_calibrator *c = NULL;
            conseco_image cp[NCAL];
            conseco_mask ct[NCAL];
            double lh, test_loss = 0.0;
            for (i = 0; i < POOL; i++) perm[i] = i;
            for (i = POOL - 1; i > 0; i--) {
                const size_t j = tu_range(&r, 0, i), tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            for (i = 0; i < NCAL; i++) {
                cp[i] = preds[perm[i]];
                ct[i] = truths[perm[i]];
            }
            conseco_threshold_params_default(&p);
            cfg = risk_config(conseco_shrinker_threshold(&p));
            assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
            assert_int_equal(conseco_calibrator_add_batch(c, cp, ct, NCAL, 1, NULL), CONSECO_OK);
            lh = rh_lambda_of(c, alpha);
            for (i = NCAL; i < POOL; i++) {
                conseco_image_metrics m;
                conseco_shrinker sh = conseco_shrinker_threshold(&p);
                assert_int_equal(conseco_evaluate_image(&sh, &preds[perm[i]], &truths[perm[i]], lh,
                                                        0.0, NULL, 0, &m),
                                 CONSECO_OK);
                test_loss += m.afp;
            }
            mean_loss += test_loss / (double)(POOL - NCAL);
            conseco_calibrator_free(c);
        }
        mean_loss /= SPLITS;
        printf("alpha %.2f: mean test loss over %d splits %.4f\n", alpha, SPLITS, mean_loss);
        assert_true(mean_loss <= alpha + 0.01);
        assert_true(mean_loss >= alpha - 0.05); /* not trivially conservative */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_condition_ties),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_risk_workspace_bound),
        cmocka_unit_test(test_risk_value),
        cmocka_unit_test(test_many_levels),
        cmocka_unit_test(test_loss_curve),
        cmocka_unit_test(test_signed_zero),
        cmocka_unit_test(test_threshold_vs_reference),
        cmocka_unit_test(test_erosion_vs_reference),
        cmocka_unit_test(test_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
