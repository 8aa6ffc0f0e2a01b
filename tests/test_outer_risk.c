/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Expected-risk control of OUTER families (docs/DESIGN.md 5.3): loss = FNR =
 * |Y minus O_mu| / |Y| (0 for an empty Y). The risk calibrator against the
 * literal references of tests/support/ref_risk.c (O_mu built step by step,
 * or by the threshold, every candidate walked, exact sums) on thousands of
 * random 2-D and 3-D calibration sets (ties, empty Y, empty Yhat, +inf and
 * -inf answers): dilation by the cross, square, disk and ball-mm, threshold
 * lowering (lambda runs DOWN: the largest passing threshold), custom
 * shrinkers with outer_levels (integer and real); the same answer after
 * add_batch, merge, save/load and in a static workspace; the band stays
 * unsupported; and a statistical test (mean test FNR <= alpha + 0.01).
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
#include "ref_outer.h"
#include "ref_risk.h"
#include "risk_harness.h"
#include "ref_threshold.h"
#include "test_util.h"

/* A coverage floor of the full run, scaled with the cases run (tu_cases). */
#define SCALED(floor, full) ((size_t)(floor) * tu_cases(full) / (size_t)(full))

#define MAXN 10

typedef rh_set rset;

/* Random sets: u8 palettes (ties), u8 many levels, f64; empty Yhat, empty
 * or full Y; optional spacing (ball-mm). */
static void rset_make(tu_rng *r, rset *s, int three, double base, int spaced)
{
    static const double spacings[][3] = {{0, 0, 0}, {0.5, 1.7, 2.3}, {2.0, 0.75, 1.0}, {1, 1, 3}};
    size_t i, p;
    memset(s, 0, sizeof *s);
    s->n = tu_range(r, 1, MAXN);
    for (i = 0; i < s->n; i++) {
        const size_t w = tu_range(r, 1, 8), h = tu_range(r, 1, 8);
        const size_t d = three ? tu_range(r, 1, 3) : 1;
        const size_t np = w * h * d;
        const int kind = (int)tu_range(r, 0, 4);
        const int empty = tu_range(r, 0, 7) == 0;
        const int tmode = (int)tu_range(r, 0, 9); /* 0: empty Y, 1: full Y */
        const unsigned palette = (unsigned)tu_range(r, 1, 5);
        const double ptruth = tu_uniform(r);
        int dtype;
        s->tbuf[i] = malloc(np);
        for (p = 0; p < np; p++)
            s->tbuf[i][p] = tmode == 0 ? 0 : tmode == 1 ? 1 : tu_uniform(r) < ptruth ? 1 : 0;
        if (kind <= 3) {
            uint8_t *m = malloc(np);
            dtype = CONSECO_DTYPE_U8;
            for (p = 0; p < np; p++) {
                const unsigned v = (unsigned)tu_range(r, 0, palette);
                m[p] = (uint8_t)(v * 50u); /* 0, 50, ..., 250: ties across images */
                if (kind == 3) m[p] = (uint8_t)tu_range(r, 0, 255);
                if (empty) m[p] = (uint8_t)tu_range(r, 0, 100);
            }
            s->pbuf[i] = m;
        } else {
            double *m = malloc(np * 8);
            dtype = CONSECO_DTYPE_F64;
            for (p = 0; p < np; p++) {
                m[p] = empty ? base - 0.5 * tu_uniform(r) - 1e-3 : tu_uniform(r);
                if (tu_range(r, 0, 7) == 0) m[p] = base;
            }
            s->pbuf[i] = m;
        }
        {
            const size_t es = dtype == CONSECO_DTYPE_U8 ? 1 : 8;
            s->preds[i] = conseco_image_3d(s->pbuf[i], w, h, d, w * es, w * h * es, dtype);
            if (spaced) {
                const double *sp = spacings[tu_range(r, 0, 3)];
                s->preds[i].spacing[0] = sp[0];
                s->preds[i].spacing[1] = sp[1];
                s->preds[i].spacing[2] = sp[2];
            }
        }
        s->truths[i] = conseco_mask_3d(s->tbuf[i], w, h, d, w, w * h);
        if (w > s->maxw) s->maxw = w;
        if (h > s->maxh) s->maxh = h;
        if (d > s->maxd) s->maxd = d;
        s->pixels += np;
    }
}

/* ------------------------------------------------- custom outer shrinkers */
typedef struct cust {
    double base;
} cust;

/* Integer: M = city-block distance to the nearest Yhat pixel (the cross). */
static int cross_outer(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const double base = ((const cust *)user)->base;
    const size_t w = pred->width, h = pred->height, d = pred->depth;
    size_t p, q;
    (void)count;
    for (p = 0; p < w * h * d; p++) {
        double best = INFINITY;
        for (q = 0; q < w * h * d; q++) {
            const size_t qx = q % w, qy = (q / w) % h, qz = q / (w * h);
            const size_t px = p % w, py = (p / w) % h, pz = p / (w * h);
            double dist;
            if (!(ref_pixel(pred, qx, qy, qz) >= base)) continue;
            dist = (double)(px > qx ? px - qx : qx - px) + (double)(py > qy ? py - qy : qy - py) +
                   (double)(pz > qz ? pz - qz : qz - pz);
            if (dist < best) best = dist;
        }
        levels[p] = best;
    }
    return 0;
}

/* Real: M = -s (lowering seen ascending), range [-base, -bottom]. */
static int neg_outer(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t p, w = pred->width, h = pred->height;
    (void)user;
    for (p = 0; p < count; p++) levels[p] = -ref_pixel(pred, p % w, (p / w) % h, p / (w * h));
    return 0;
}

static int yhat_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const double base = ((const cust *)user)->base;
    size_t p, w = pred->width, h = pred->height;
    for (p = 0; p < count; p++)
        levels[p] = ref_pixel(pred, p % w, (p / w) % h, p / (w * h)) >= base ? INFINITY : -INFINITY;
    return 0;
}

static conseco_shrinker_vtable custom_vt(int integer, double lmin, double lmax)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = (uint32_t)sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = integer ? "cross-outer" : "neg-outer";
    vt.domain = integer ? CONSECO_DOMAIN_INTEGER : CONSECO_DOMAIN_REAL;
    vt.lambda_min = lmin;
    vt.lambda_max = lmax;
    vt.levels = yhat_levels;
    vt.outer_levels = integer ? cross_outer : neg_outer;
    return vt;
}

/* -------------------------------------------------------------- helpers */
static conseco_calibrator_config outer_config(conseco_shrinker sh, double bottom)
{
    conseco_calibrator_config cfg;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = sh;
    cfg.guarantee = CONSECO_GUARANTEE_RISK;
    cfg.side = CONSECO_SIDE_OUTER;
    cfg.bottom = bottom;
    return cfg;
}

/* Every way of building the calibrator gives the reference's lambda (risk_harness.c). */
static void check_all_paths(tu_rng *r, conseco_calibrator_config cfg, const rset *s,
                            double expect, double alpha, double at_min)
{
    rh_check_all_paths(r, cfg, s, expect, alpha, at_min, 4);
}

/* ---------------------------------------------------------------- tests */
static void test_dilation_vs_reference(void **state)
{
    tu_rng r = {0xD11A};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(2400); it++) {
        conseco_erosion_params p;
        rset s;
        const rh_alpha *aq = &rh_alphas[tu_range(&r, 0, sizeof rh_alphas / sizeof rh_alphas[0] - 1)];
        const double alpha = (double)aq->num / (double)aq->den;
        double expect;
        conseco_erosion_params_default(&p);
        p.element = (uint32_t)tu_range(&r, 1, 3);
        p.border = (uint32_t)tu_range(&r, 1, 2); /* the border does not touch dilation */
        rset_make(&r, &s, it % 3 == 0, p.base, 0);
        expect = ref_risk_lambda_dilation(&p, s.preds, s.truths, s.n, aq->num, aq->den);
        check_all_paths(&r, outer_config(conseco_shrinker_erosion(&p), 0.0), &s, expect, alpha,
                        0.0);
        if (p.element == CONSECO_ELEMENT_CROSS && it % 3 == 0) {
            /* a custom integer outer family with the same levels */
            cust u = {p.base};
            conseco_shrinker_vtable vt = custom_vt(1, 0.0, INFINITY);
            conseco_shrinker sh;
            sh.vtable = &vt;
            sh.user = &u;
            check_all_paths(&r, outer_config(sh, 0.0), &s, expect, alpha, 0.0);
        }
        rh_set_free(&s);
    }
    printf("dilation: %zu +inf, %zu at 0, %zu inside\n", rh_seen_inf, rh_seen_min, rh_seen_inside);
    assert_true(rh_seen_inf > SCALED(50, 2400) && rh_seen_min > SCALED(50, 2400) && rh_seen_inside > SCALED(300, 2400));
    rh_seen_reset();
}

static void test_ball_mm_vs_reference(void **state)
{
    tu_rng r = {0xBA11};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(1200); it++) {
        conseco_erosion_params p;
        rset s;
        const rh_alpha *aq = &rh_alphas[tu_range(&r, 0, sizeof rh_alphas / sizeof rh_alphas[0] - 1)];
        const double alpha = (double)aq->num / (double)aq->den;
        double expect;
        conseco_erosion_params_default(&p);
        p.element = CONSECO_ELEMENT_BALL_MM;
        rset_make(&r, &s, it % 2 == 0, p.base, 1);
        expect = ref_risk_lambda_ball_mm(&p, s.preds, s.truths, s.n, aq->num, aq->den);
        check_all_paths(&r, outer_config(conseco_shrinker_erosion(&p), 0.0), &s, expect, alpha,
                        0.0);
        rh_set_free(&s);
    }
    printf("ball-mm: %zu +inf, %zu at 0, %zu inside\n", rh_seen_inf, rh_seen_min, rh_seen_inside);
    assert_true(rh_seen_inf > SCALED(20, 1200) && rh_seen_min > SCALED(20, 1200) && rh_seen_inside > SCALED(100, 1200));
    rh_seen_reset();
}

static void test_lowering_vs_reference(void **state)
{
    static const double bottoms[] = {0.0, 0.2, 0.45, 0.5, -1.0, 0.3};
    tu_rng r = {0x10E5};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(2400); it++) {
        conseco_threshold_params p;
        rset s;
        const rh_alpha *aq = &rh_alphas[tu_range(&r, 0, sizeof rh_alphas / sizeof rh_alphas[0] - 1)];
        const double alpha = (double)aq->num / (double)aq->den;
        double bottom, expect;
        conseco_threshold_params_default(&p);
        if (tu_range(&r, 0, 3) == 0) p.base = 0.0; /* -0 and +0 keys */
        bottom = bottoms[tu_range(&r, 0, 5)];
        if (bottom > p.base) bottom = p.base;
        rset_make(&r, &s, it % 3 == 0, p.base, 0);
        expect = ref_risk_lambda_lowering(&p, bottom, s.preds, s.truths, s.n, aq->num, aq->den);
        check_all_paths(&r, outer_config(conseco_shrinker_threshold(&p), bottom), &s, expect,
                        alpha, p.base);
        /* the risk the calibrator reports at its answer */
        if (expect != -INFINITY) {
            conseco_calibrator_config cfg = outer_config(conseco_shrinker_threshold(&p), bottom);
            conseco_calibrator *c = NULL;
            double risk = -1.0, want = ref_risk_mean_lowering(s.preds, s.truths, s.n, expect);
            size_t i;
            assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
            for (i = 0; i < s.n; i++)
                assert_int_equal(conseco_calibrator_add(c, &s.preds[i], &s.truths[i], NULL),
                                 CONSECO_OK);
            assert_int_equal(conseco_calibrator_risk(c, expect, &risk), CONSECO_OK);
            assert_true(fabs(risk - want) <= 1e-12);
            assert_true((double)s.n / (double)(s.n + 1) * risk + 1.0 / (double)(s.n + 1) <=
                        alpha + 1e-12);
            conseco_calibrator_free(c);
        }
        if (it % 4 == 0) {
            /* a custom real outer family: M = -s on [-base, -bottom]: mu = -t */
            cust u = {p.base};
            conseco_shrinker_vtable vt = custom_vt(0, 0.0 - p.base, 0.0 - bottom);
            conseco_shrinker sh;
            sh.vtable = &vt;
            sh.user = &u;
            check_all_paths(&r, outer_config(sh, 0.0), &s, 0.0 - expect, alpha, 0.0 - p.base);
        }
        rh_set_free(&s);
    }
    printf("lowering: %zu -inf/+inf, %zu at base, %zu inside\n", rh_seen_inf, rh_seen_min,
           rh_seen_inside);
    assert_true(rh_seen_inf > SCALED(50, 2400) && rh_seen_min > SCALED(50, 2400) && rh_seen_inside > SCALED(300, 2400));
    rh_seen_reset();
}

/* More distinct keys than the per-image hash table holds (2048): a float map
 * of 72x72 with distinct scores, mostly truth below base, takes the sorted
 * path, mixed with small images in one set. */
static void test_many_levels(void **state)
{
    tu_rng r = {0x3A11};
    int it;
    (void)state;
    for (it = 0; it < 8; it++) {
        conseco_threshold_params p;
        rset s;
        const rh_alpha *aq = &rh_alphas[tu_range(&r, 0, sizeof rh_alphas / sizeof rh_alphas[0] - 1)];
        const double alpha = (double)aq->num / (double)aq->den;
        const double bottom = it % 2 ? 0.0 : 0.1;
        double expect;
        size_t i, q;
        conseco_threshold_params_default(&p);
        rset_make(&r, &s, 0, p.base, 0);
        for (i = 0; i < 1; i++) {
            const size_t w = 72, h = 72;
            double *m = malloc(w * h * 8);
            free(s.pbuf[i]);
            free(s.tbuf[i]);
            s.tbuf[i] = malloc(w * h);
            for (q = 0; q < w * h; q++) {
                m[q] = 0.55 * tu_uniform(&r);
                s.tbuf[i][q] = tu_uniform(&r) < 0.6 + m[q] * 0.6;
            }
            s.pbuf[i] = m;
            s.pixels += w * h;
            s.preds[i] = conseco_image_2d(m, w, h, w * 8, CONSECO_DTYPE_F64);
            s.truths[i] = conseco_mask_2d(s.tbuf[i], w, h, w);
            s.maxw = s.maxw > w ? s.maxw : w;
            s.maxh = s.maxh > h ? s.maxh : h;
        }
        expect = ref_risk_lambda_lowering(&p, bottom, s.preds, s.truths, s.n, aq->num, aq->den);
        check_all_paths(&r, outer_config(conseco_shrinker_threshold(&p), bottom), &s, expect,
                        alpha, p.base);
        rh_set_free(&s);
    }
    printf("many levels: %zu -inf/+inf, %zu at base, %zu inside\n", rh_seen_inf, rh_seen_min,
           rh_seen_inside);
    assert_true(rh_seen_inside >= 2);
    rh_seen_reset();
}

/* Band + risk, smooth (no outer family), a custom without outer_levels; no
 * image; the static workspace. */
static void test_unsupported(void **state)
{
    conseco_erosion_params p, ep;
    conseco_threshold_params tp;
    conseco_smooth_params sp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    conseco_shrinker_vtable vt = custom_vt(1, 0.0, INFINITY);
    cust u = {0.5};
    (void)state;
    conseco_erosion_params_default(&p);
    conseco_erosion_params_default(&ep);
    cfg = outer_config(conseco_shrinker_erosion(&p), 0.0);
    cfg.side = CONSECO_SIDE_BAND;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_UNSUPPORTED);
    conseco_smooth_params_default(&sp);
    cfg = outer_config(conseco_shrinker_smooth(&sp), 0.0);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_UNSUPPORTED);
    /* no image: no set but the whole image (dilation +inf, lowering -inf) */
    cfg = outer_config(conseco_shrinker_erosion(&ep), 0.0);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_true(rh_lambda_of(c, 0.5) == INFINITY);
    conseco_calibrator_free(c);
    c = NULL;
    conseco_threshold_params_default(&tp);
    cfg = outer_config(conseco_shrinker_threshold(&tp), 0.0);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_true(rh_lambda_of(c, 0.5) == -INFINITY);
    conseco_calibrator_free(c);
    c = NULL;
    /* the workspace of a static outer risk calibrator: the inner bound plus the side scratch */
    {
        conseco_side_params osp;
        size_t ws, side_scratch;
        const uint32_t elements[4] = {CONSECO_ELEMENT_CROSS, CONSECO_ELEMENT_SQUARE,
                                      CONSECO_ELEMENT_DISK, CONSECO_ELEMENT_BALL_MM};
        int e;
        conseco_side_params_default(&osp);
        osp.side = CONSECO_SIDE_OUTER;
        for (e = 0; e < 5; e++) {
            cfg = e < 4 ? outer_config(conseco_shrinker_erosion(&ep), 0.0)
                        : outer_config(conseco_shrinker_threshold(&tp), 0.0);
            ep.element = e < 4 ? elements[e] : CONSECO_ELEMENT_CROSS;
            cfg.capacity = 1000;
            cfg.max_width = 37;
            cfg.max_height = 23;
            cfg.max_depth = 5;
            ws = conseco_calibrator_workspace_size(&cfg);
            side_scratch = conseco_side_scratch_size(&cfg.shrinker, &osp, 37, 23, 5);
            assert_true(ws > 0 && side_scratch > 0);
            assert_true(ws <= CONSECO_CALIBRATOR_RISK_WORKSPACE_BOUND(1000, 37 * 23 * 5) +
                                  side_scratch);
        }
        ep.element = CONSECO_ELEMENT_CROSS;
    }
    vt.outer_levels = NULL;
    cfg = outer_config(conseco_shrinker_threshold(NULL), 0.0);
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = &u;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_UNSUPPORTED);
    assert_null(c);
}

/* ------------------------------------------------------------ saved state */

static void put32(unsigned char *p, uint32_t v)
{
    int i;
    for (i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Forged outer risk states are refused; a state of another side does not load. */
static void test_state_forged(void **state)
{
    conseco_erosion_params ep;
    conseco_threshold_params tp;
    conseco_calibrator_config cfg, icfg;
    conseco_calibrator *c = NULL, *d = NULL;
    conseco_state_info info;
    uint8_t pm[9] = {255, 255, 0, 255, 0, 0, 0, 0, 0};
    uint8_t tm[9] = {0, 1, 1, 1, 1, 0, 0, 0, 1};
    conseco_image im = conseco_image_2d(pm, 3, 3, 3, CONSECO_DTYPE_U8);
    conseco_mask tr = conseco_mask_2d(tm, 3, 3, 3);
    unsigned char buf[2048], copy[2048];
    size_t size, m;
    (void)state;
    conseco_erosion_params_default(&ep);
    cfg = outer_config(conseco_shrinker_erosion(&ep), 0.0);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(c, &im, &tr, NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, &size), CONSECO_OK);
    m = (size - 148) / 32;
    assert_int_equal(size, 148 + 32 * m);
    assert_true(m >= 2);
    memset(&info, 0, sizeof info);
    info.struct_size = (uint32_t)sizeof info;
    assert_int_equal(conseco_state_inspect(buf, size, &info), CONSECO_OK);
    assert_int_equal(info.side, CONSECO_SIDE_OUTER);
    /* an inner risk calibrator does not take it */
    icfg = cfg;
    icfg.side = CONSECO_SIDE_INNER;
    assert_int_equal(conseco_calibrator_create(&icfg, NULL, &d), CONSECO_OK);
    assert_int_not_equal(conseco_calibrator_load(d, buf, size), CONSECO_OK);
    conseco_calibrator_free(d);
    d = NULL;
    /* side band, a tau_outer, a first key other than 0, a non-integer key */
    memcpy(copy, buf, size);
    put32(copy + 112, CONSECO_SIDE_BAND);
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    memcpy(copy, buf, size);
    rh_put64(copy + 120, bits_of(0.1));
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    memcpy(copy, buf, size);
    rh_put64(copy + 144, bits_of(-1.0));
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    memcpy(copy, buf, size);
    rh_put64(copy + 144 + 32, bits_of(0.5));
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    conseco_calibrator_free(c);
    /* lowering: keys in mu = -t from -base; bottom saved */
    conseco_threshold_params_default(&tp);
    cfg = outer_config(conseco_shrinker_threshold(&tp), 0.25);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(c, &im, &tr, NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, &size), CONSECO_OK);
    assert_int_equal(conseco_state_inspect(buf, size, &info), CONSECO_OK);
    assert_true(info.bottom == 0.25);
    memcpy(copy, buf, size);
    rh_put64(copy + 144, bits_of(-0.25)); /* the first key must be -base */
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    memcpy(copy, buf, size);
    rh_put64(copy + 128, bits_of(0.75)); /* bottom above base */
    rh_reseal(copy, size);
    assert_int_equal(conseco_state_inspect(copy, size, &info), CONSECO_E_CORRUPT);
    /* another bottom does not load into this calibrator */
    icfg = outer_config(conseco_shrinker_threshold(&tp), 0.0);
    assert_int_equal(conseco_calibrator_create(&icfg, NULL, &d), CONSECO_OK);
    assert_int_not_equal(conseco_calibrator_load(d, buf, size), CONSECO_OK);
    conseco_calibrator_free(d);
    conseco_calibrator_free(c);
}

/* Guarantee: calibrate on n images, mean FNR on held-out ones <= alpha + 0.01.
 * Images: a noisy blob predicted, the truth a slightly larger, shifted blob. */
#define POOL 240
#define SIDE 14
#define KMAX 30

static void test_validity(void **state)
{
    static uint8_t maps[POOL][SIDE * SIDE], truths[POOL][SIDE * SIDE];
    static double fnr[POOL][KMAX + 1];
    tu_rng r = {0x7A11};
    conseco_erosion_params p;
    size_t i, k, q;
    int a;
    (void)state;
    conseco_erosion_params_default(&p);
    p.element = CONSECO_ELEMENT_CROSS;
    for (i = 0; i < POOL; i++) {
        const double cx = 3.0 + 8.0 * tu_uniform(&r), cy = 3.0 + 8.0 * tu_uniform(&r);
        const double rad = 1.5 + 3.0 * tu_uniform(&r), grow = 2.5 * tu_uniform(&r);
        const double sx = tu_uniform(&r) * 2.0 - 1.0, sy = tu_uniform(&r) * 2.0 - 1.0;
        uint8_t yhat[SIDE * SIDE], cur[SIDE * SIDE], next[SIDE * SIDE];
        conseco_image im;
        conseco_mask tm;
        for (q = 0; q < SIDE * SIDE; q++) {
            const double x = (double)(q % SIDE), y = (double)(q / SIDE);
            const double d1 = sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
            const double d2 = sqrt((x - cx - sx) * (x - cx - sx) + (y - cy - sy) * (y - cy - sy));
            double v = 1.0 - d1 / (2.0 * rad) + 0.15 * (tu_uniform(&r) - 0.5);
            v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
            maps[i][q] = (uint8_t)(v * 255.0);
            truths[i][q] = d2 <= rad + grow;
        }
        im = conseco_image_2d(maps[i], SIDE, SIDE, SIDE, CONSECO_DTYPE_U8);
        tm = conseco_mask_2d(truths[i], SIDE, SIDE, SIDE);
        for (q = 0; q < SIDE * SIDE; q++) yhat[q] = ref_pixel(&im, q % SIDE, q / SIDE, 0) >= p.base;
        memcpy(cur, yhat, sizeof cur);
        for (k = 0; k <= KMAX; k++) {
            size_t nt = 0, missed = 0;
            if (k > 0) {
                ref_dilation_outer(cur, SIDE, SIDE, 1, CONSECO_ELEMENT_CROSS, 1ul, next);
                memcpy(cur, next, sizeof cur);
            }
            for (q = 0; q < SIDE * SIDE; q++) {
                nt += truths[i][q];
                missed += truths[i][q] && !cur[q];
            }
            fnr[i][k] = nt == 0 ? 0.0 : (double)missed / (double)nt;
        }
        (void)tm;
    }
    for (a = 0; a < 2; a++) {
        const double alpha = a == 0 ? 0.1 : 0.2;
        const size_t ncal = 60, splits = 300;
        double total = 0.0;
        size_t sidx;
        for (sidx = 0; sidx < splits; sidx++) {
            size_t perm[POOL], t;
            conseco_calibrator_config cfg = outer_config(conseco_shrinker_erosion(&p), 0.0);
            conseco_calibrator *c = NULL;
            double lam, sum = 0.0;
            for (q = 0; q < POOL; q++) perm[q] = q;
            for (q = POOL - 1; q > 0; q--) {
                const size_t j = tu_range(&r, 0, q);
                t = perm[q];
                perm[q] = perm[j];
                perm[j] = t;
            }
            assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
            for (q = 0; q < ncal; q++) {
                conseco_image im = conseco_image_2d(maps[perm[q]], SIDE, SIDE, SIDE, CONSECO_DTYPE_U8);
                conseco_mask tm = conseco_mask_2d(truths[perm[q]], SIDE, SIDE, SIDE);
                assert_int_equal(conseco_calibrator_add(c, &im, &tm, NULL), CONSECO_OK);
            }
            lam = rh_lambda_of(c, alpha);
            assert_true(lam < (double)KMAX);
            for (q = ncal; q < POOL; q++) sum += fnr[perm[q]][(size_t)lam];
            total += sum / (double)(POOL - ncal);
            conseco_calibrator_free(c);
        }
        printf("dilation, alpha %.2f: mean test FNR over %zu splits %.4f\n", alpha, splits,
               total / (double)splits);
        assert_true(total / (double)splits <= alpha + 0.01);
    }
    /* threshold lowering on the same pool (bottom 0): FNR of {s >= t} */
    for (a = 0; a < 2; a++) {
        const double alpha = a == 0 ? 0.1 : 0.2;
        const size_t ncal = 60, splits = 300;
        conseco_threshold_params tp;
        double total = 0.0;
        size_t sidx;
        conseco_threshold_params_default(&tp);
        for (sidx = 0; sidx < splits; sidx++) {
            size_t perm[POOL], t;
            conseco_calibrator_config cfg = outer_config(conseco_shrinker_threshold(&tp), 0.0);
            conseco_calibrator *c = NULL;
            double lam, sum = 0.0;
            for (q = 0; q < POOL; q++) perm[q] = q;
            for (q = POOL - 1; q > 0; q--) {
                const size_t j = tu_range(&r, 0, q);
                t = perm[q];
                perm[q] = perm[j];
                perm[j] = t;
            }
            assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
            for (q = 0; q < ncal; q++) {
                conseco_image im = conseco_image_2d(maps[perm[q]], SIDE, SIDE, SIDE, CONSECO_DTYPE_U8);
                conseco_mask tm = conseco_mask_2d(truths[perm[q]], SIDE, SIDE, SIDE);
                assert_int_equal(conseco_calibrator_add(c, &im, &tm, NULL), CONSECO_OK);
            }
            lam = rh_lambda_of(c, alpha);
            for (q = ncal; q < POOL; q++) {
                const size_t im = perm[q];
                size_t nt = 0, missed = 0, x;
                for (x = 0; x < SIDE * SIDE; x++) {
                    nt += truths[im][x];
                    missed += truths[im][x] && !((double)maps[im][x] / 255.0 >= lam);
                }
                sum += nt == 0 ? 0.0 : (double)missed / (double)nt;
            }
            total += sum / (double)(POOL - ncal);
            conseco_calibrator_free(c);
        }
        printf("lowering, alpha %.2f: mean test FNR over %zu splits %.4f\n", alpha, splits,
               total / (double)splits);
        assert_true(total / (double)splits <= alpha + 0.01);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_state_forged),
        cmocka_unit_test(test_dilation_vs_reference),
        cmocka_unit_test(test_ball_mm_vs_reference),
        cmocka_unit_test(test_lowering_vs_reference),
        cmocka_unit_test(test_many_levels),
        cmocka_unit_test(test_validity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
