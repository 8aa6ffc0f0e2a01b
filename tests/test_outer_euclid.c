/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two-class Euclidean path of the dilation and erosion-band scores
 * (lib/kinds/outer_euclid.c: the ball in voxels on volumes, ball-mm on
 * volumes and on 2-D images with two spacings) against the literal
 * references of tests/support (ref_outer.c, ref_distance_mm.c): thousands of
 * random volumes and images (every dtype, both border policies, thin
 * shapes, empty and full Yhat and truth, boxes touching the border, ties,
 * +inf scores), dyadic spacings (the path) and float32-like ones (the
 * general path, same answers), NaN and infinities, the scratch bound, and
 * sparse volumes with long distances checked against brute force.
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
#include "outer_euclid.h"
#include "ref_distance_mm.h"
#include "ref_outer.h"
#include "test_util.h"

/* Spacings: dyadic ones (the integer form) and float32-like ones (longer
 * mantissas: the general path). */
static void pick_spacing(tu_rng *r, int volume, double sp[3])
{
    static const double dyadic[][3] = {{1.0, 1.0, 1.0},     {0.5, 0.5, 2.5},  {0.78125, 0.78125, 2.5},
                                       {1.0, 2.0, 3.0},     {3.25, 0.5, 1.0}, {0.609375, 0.609375, 5.0},
                                       {0.5, 1.5, 0.75},    {2.0, 2.0, 0.5}};
    /* float32 values, 30-bit mantissas (squared distances beyond 2^64), and
     * 53-bit ones (0.7: the general path) */
    static const double floaty[][3] = {{0.8632810115814209, 0.8632810115814209, 2.5},
                                       {0.7, 0.7, 1.0000000149011612},
                                       {0.699999988079071, 1.25, 3.0},
                                       {0.699999988079071, 0.699999988079071, 2.200000047683716},
                                       {0.6999999992549419, 0.6999999992549419, 2.5},
                                       {0.6999999992549419, 2.5000000055879354, 0.75}};
    const double *s;
    if (tu_range(r, 0, 4) == 0) s = floaty[tu_range(r, 0, 5)];
    else s = dyadic[tu_range(r, 0, 7)];
    sp[0] = s[0];
    sp[1] = s[1];
    sp[2] = volume ? s[2] : 1.0;
    if (!volume && sp[0] == sp[1]) sp[1] = 2.0 * sp[0]; /* two spacings (one: outer_fast2d.c) */
}

static void gen(tu_rng *r, oc_case *c, int volume)
{
    switch (tu_range(r, 0, 5)) {
    case 0: /* thin */
        c->w = tu_range(r, 0, 1) ? 1 : tu_range(r, 1, 24);
        c->h = c->w == 1 ? tu_range(r, 1, 24) : tu_range(r, 1, 2);
        break;
    case 1:
        c->w = tu_range(r, 1, 5);
        c->h = tu_range(r, 1, 5);
        break;
    default:
        c->w = tu_range(r, 3, volume ? 11 : 30);
        c->h = tu_range(r, 3, volume ? 11 : 30);
        break;
    }
    c->d = volume ? tu_range(r, 2, tu_range(r, 0, 3) ? 7 : 16) : 1;
    oc_draw(r, c, 0);
    pick_spacing(r, volume, c->sp);
}

static unsigned n_path;

/* The score through the public API (counting the scores this path takes). */
static int score_of(conseco_erosion_params *ep, uint32_t side, double tau, double tau2,
                    const oc_case *c, double *out)
{
    const conseco_image im = oc_view(c);
    const conseco_mask tm = oc_truth(c);
    size_t ss;
    const int rc = oc_side_score(ep, side, tau, tau2, &im, &tm, &ss, out);
    n_path += (unsigned)(conseco__outer_euclid_takes(ep, &im, ss) &&
                         !(c->d == 1 && ep->element == CONSECO_ELEMENT_DISK));
    return rc;
}

/* This path called directly with its least scratch (and one byte less). */
static void direct(conseco_erosion_params *ep, const oc_case *c, int band, double tau, double tau2,
                   double want)
{
    const conseco_image im = oc_view(c);
    const conseco_mask tm = oc_truth(c);
    const size_t least = conseco__outer_euclid_scratch_size(ep, &im);
    void *scr;
    double got = NAN;
    if (!conseco__outer_euclid_takes(ep, &im, (size_t)-1)) return;
    assert_true(least > 0);
    scr = malloc(least);
    assert_int_equal(conseco__outer_euclid_score(ep, &im, &tm, band, tau, tau2, scr, least, &got),
                     CONSECO_OK);
    oc_expect(got, want, c, band ? "band (direct)" : "dilation (direct)");
    assert_int_equal(
        conseco__outer_euclid_score(ep, &im, &tm, band, tau, tau2, scr, least - 1, &got),
        CONSECO_E_SCRATCH_TOO_SMALL);
    free(scr);
}

static void check_case(tu_rng *r, oc_case *c, uint32_t element)
{
    conseco_erosion_params ep;
    const double tau = oc_pick_tau(r), tau2 = oc_pick_tau(r);
    double got, want, inner, outer;
    conseco_erosion_params_default(&ep);
    ep.element = element;
    ep.border = tu_range(r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
    ep.base = c->base;
    if (element == CONSECO_ELEMENT_DISK) {
        want = ref_dilation_score(c->yhat, c->truth, c->w, c->h, c->d, (int)element, tau);
    } else {
        want = ref_mm_outer_score(c->yhat, c->truth, c->w, c->h, c->d, c->sp, tau);
    }
    assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, tau, 0.0, c, &got), CONSECO_OK);
    oc_expect(got, want, c, "dilation");
    direct(&ep, c, 0, tau, 0.0, want);
    if (element == CONSECO_ELEMENT_DISK) {
        want = ref_band_erosion_score(c->yhat, c->truth, c->w, c->h, c->d, (int)element,
                                      (int)ep.border, tau, tau2);
    } else {
        inner = ref_mm_score(c->yhat, c->truth, c->w, c->h, c->d, c->sp, (int)ep.border, tau);
        outer = ref_mm_outer_score(c->yhat, c->truth, c->w, c->h, c->d, c->sp, tau2);
        want = inner > outer ? inner : outer;
    }
    assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, tau, tau2, c, &got), CONSECO_OK);
    oc_expect(got, want, c, "band");
    direct(&ep, c, 1, tau, tau2, want);
}

static void test_volumes(void **state)
{
    tu_rng r = {20261203};
    const size_t cases = tu_cases(1500);
    size_t k;
    (void)state;
    n_path = oc_n_inf = oc_n_pos = 0;
    for (k = 0; k < cases; k++) {
        oc_case c;
        gen(&r, &c, 1);
        check_case(&r, &c, k % 2 ? CONSECO_ELEMENT_DISK : CONSECO_ELEMENT_BALL_MM);
        oc_release(&c);
    }
    print_message("volumes: %u of %u scores on this path, %u +inf, %u finite nonzero\n", n_path,
                  (unsigned)(2 * cases), oc_n_inf, oc_n_pos);
    assert_true(n_path >= cases);
    assert_true(oc_n_inf >= cases / 50 && oc_n_pos >= cases / 2);
}

static void test_images_two_spacings(void **state)
{
    tu_rng r = {77};
    const size_t cases = tu_cases(2000);
    size_t k;
    (void)state;
    n_path = oc_n_inf = oc_n_pos = 0;
    for (k = 0; k < cases; k++) {
        oc_case c;
        gen(&r, &c, 0);
        /* ball-mm through the API; the 2-D disk directly (outer_fast2d.c takes it) */
        check_case(&r, &c, k % 4 == 3 ? CONSECO_ELEMENT_DISK : CONSECO_ELEMENT_BALL_MM);
        oc_release(&c);
    }
    print_message("images: %u of %u scores on this path, %u +inf, %u finite nonzero\n", n_path,
                  (unsigned)(2 * cases), oc_n_inf, oc_n_pos);
    assert_true(n_path >= cases);
    assert_true(oc_n_inf >= cases / 50 && oc_n_pos >= cases / 2);
}

/* NaN and infinities anywhere in a float map (volumes and images in turn):
 * CONSECO_E_NONFINITE. */
static void gen_k(tu_rng *r, oc_case *c, size_t k)
{
    gen(r, c, (int)(k % 2));
}

static void test_nonfinite(void **state)
{
    static const uint32_t elements[] = {CONSECO_ELEMENT_DISK, CONSECO_ELEMENT_DISK,
                                        CONSECO_ELEMENT_BALL_MM, CONSECO_ELEMENT_BALL_MM};
    tu_rng r = {7};
    (void)state;
    oc_check_nonfinite(&r, 300, gen_k, elements, 4);
}

/* Sparse volumes with long distances: with tau = 0 the dilation score is the
 * largest distance from a truth voxel to its nearest Yhat voxel (brute force). */
static void test_sparse(void **state)
{
    tu_rng r = {31337};
    size_t k;
    (void)state;
    for (k = 0; k < tu_cases(60); k++) {
        oc_case c;
        conseco_erosion_params ep;
        size_t i, j, ny = 0, nt = 0, py[5], pt[6];
        double want = 0.0, got;
        c.w = tu_range(&r, 20, 90);
        c.h = tu_range(&r, 20, 90);
        c.d = tu_range(&r, 2, 40);
        c.dtype = CONSECO_DTYPE_U8;
        c.base = 128.0 / 255.0;
        oc_alloc(&c);
        pick_spacing(&r, 1, c.sp);
        for (i = tu_range(&r, 1, 5); i > 0; i--) py[ny++] = tu_range(&r, 0, c.n - 1);
        for (i = tu_range(&r, 1, 6); i > 0; i--) pt[nt++] = tu_range(&r, 0, c.n - 1);
        for (i = 0; i < ny; i++) {
            ((uint8_t *)c.map)[py[i]] = 200;
            c.yhat[py[i]] = 1;
        }
        for (i = 0; i < nt; i++) c.truth[pt[i]] = 1;
        conseco_erosion_params_default(&ep);
        ep.element = k % 2 ? CONSECO_ELEMENT_DISK : CONSECO_ELEMENT_BALL_MM;
        ep.base = c.base;
        for (i = 0; i < nt; i++) {
            const size_t x = pt[i] % c.w, y = pt[i] / c.w % c.h, z = pt[i] / (c.w * c.h);
            double best = INFINITY;
            if (c.yhat[pt[i]]) continue;
            for (j = 0; j < ny; j++) {
                const size_t u = py[j] % c.w, v = py[j] / c.w % c.h, s = py[j] / (c.w * c.h);
                const uint64_t dx = x > u ? x - u : u - x, dy = y > v ? y - v : v - y,
                               dz = z > s ? z - s : s - z;
                double dd;
                if (ep.element == CONSECO_ELEMENT_DISK) {
                    const uint64_t d2 = dx * dx + dy * dy + dz * dz;
                    uint64_t cr = (uint64_t)sqrt((double)d2);
                    while (cr * cr < d2) cr++;
                    while (cr > 0 && (cr - 1) * (cr - 1) >= d2) cr--;
                    dd = (double)cr;
                } else {
                    dd = ref_mm_distance(c.sp, dx, dy, dz);
                }
                if (dd < best) best = dd;
            }
            if (best > want) want = best;
        }
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, 0.0, 0.0, &c, &got), CONSECO_OK);
        oc_expect(got, want, &c, "dilation (sparse)");
        direct(&ep, &c, 0, 0.0, 0.0, want);
        oc_release(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volumes),
        cmocka_unit_test(test_images_two_spacings),
        cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_sparse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
