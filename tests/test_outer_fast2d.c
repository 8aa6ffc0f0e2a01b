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
#include "outer_cases.h"
#include "outer_fast2d.h"
#include "ref_distance_mm.h"
#include "ref_outer.h"
#include "test_util.h"

static unsigned n_fast;

/* A random image of 1 to 70 pixels a side. */
static void gen(tu_rng *r, oc_case *c)
{
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
    c->d = 1;
    oc_draw(r, c, OC_ELLIPSES);
}

static int score_of(conseco_erosion_params *ep, uint32_t side, double tau, double tau2,
                    const oc_case *c, double *out)
{
    const conseco_image im = oc_view(c);
    const conseco_mask tm = oc_truth(c);
    size_t ss;
    const int rc = oc_side_score(ep, side, tau, tau2, &im, &tm, &ss, out);
    n_fast += (unsigned)conseco__outer2d_takes(ep, &im, ss);
    return rc;
}

static void test_random(void **state)
{
    tu_rng r = {2026};
    const size_t cases = tu_cases(2000);
    size_t k;
    (void)state;
    n_fast = oc_n_inf = oc_n_pos = 0;
    for (k = 0; k < cases; k++) {
        oc_case c;
        conseco_erosion_params ep;
        const double tau = oc_pick_tau(&r), tau2 = oc_pick_tau(&r);
        double got;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)tu_range(&r, CONSECO_ELEMENT_CROSS, CONSECO_ELEMENT_DISK);
        ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        ep.base = c.base;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, tau, 0.0, &c, &got), CONSECO_OK);
        oc_expect(got, ref_dilation_score(c.yhat, c.truth, c.w, c.h, 1, (int)ep.element, tau),
                  &c, "dilation");
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, tau, tau2, &c, &got), CONSECO_OK);
        oc_expect(got,
                  ref_band_erosion_score(c.yhat, c.truth, c.w, c.h, 1, (int)ep.element,
                                         (int)ep.border, tau, tau2),
                  &c, "erosion band");
        oc_release(&c);
    }
    print_message("fused: %u of %u scores, %u +inf, %u finite nonzero\n", n_fast,
                  (unsigned)(2 * cases), oc_n_inf, oc_n_pos);
    assert_true(n_fast >= cases); /* most scores take the fused path */
    assert_true(oc_n_inf >= cases / 50 && oc_n_pos >= cases / 2);
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
        oc_case c;
        conseco_erosion_params ep;
        const double tau = oc_pick_tau(&r), tau2 = oc_pick_tau(&r);
        const double *sp2 = spacings[tu_range(&r, 0, 3)];
        const double sp[3] = {sp2[0], sp2[1], 1.0};
        double got, inner, outer;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = CONSECO_ELEMENT_BALL_MM;
        ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        ep.base = c.base;
        c.sp[0] = sp[0];
        c.sp[1] = sp[1];
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, tau, 0.0, &c, &got), CONSECO_OK);
        outer = ref_mm_outer_score(c.yhat, c.truth, c.w, c.h, 1, sp, tau);
        oc_expect(got, outer, &c, "ball-mm dilation");
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, tau, tau2, &c, &got), CONSECO_OK);
        inner = ref_mm_score(c.yhat, c.truth, c.w, c.h, 1, sp, (int)ep.border, tau);
        outer = ref_mm_outer_score(c.yhat, c.truth, c.w, c.h, 1, sp, tau2);
        oc_expect(got, inner > outer ? inner : outer, &c, "ball-mm band");
        /* the fused path with its least scratch: no room to keep the distances, so
         * ball-mm's second pass over the rows */
        {
            const conseco_image im = oc_view(&c);
            const conseco_mask tm = oc_truth(&c);
            const size_t least = conseco__outer2d_scratch_size(c.w, c.h);
            void *scr = malloc(least);
            if (conseco__outer2d_takes(&ep, &im, (size_t)-1)) {
                assert_int_equal(conseco__outer2d_score(&ep, &im, &tm, 1, tau, tau2, scr, least,
                                                        &got),
                                 CONSECO_OK);
                oc_expect(got, inner > outer ? inner : outer, &c, "ball-mm band, least scratch");
                assert_int_equal(conseco__outer2d_score(&ep, &im, &tm, 0, tau2, 0.0, scr, least,
                                                        &got),
                                 CONSECO_OK);
                oc_expect(got, outer, &c, "ball-mm dilation, least scratch");
                assert_int_equal(conseco__outer2d_score(&ep, &im, &tm, 0, tau2, 0.0, scr,
                                                        least - 1, &got),
                                 CONSECO_E_SCRATCH_TOO_SMALL);
            }
            free(scr);
        }
        oc_release(&c);
    }
    print_message("ball-mm fused: %u of %u scores\n", n_fast, (unsigned)(2 * cases));
    assert_true(n_fast >= cases); /* three spacings of four are isotropic */
}

/* NaN and infinities anywhere in a float map: CONSECO_E_NONFINITE. */
static void gen_k(tu_rng *r, oc_case *c, size_t k)
{
    (void)k;
    gen(r, c);
}

static void test_nonfinite(void **state)
{
    static const uint32_t elements[] = {CONSECO_ELEMENT_CROSS, CONSECO_ELEMENT_SQUARE,
                                        CONSECO_ELEMENT_DISK};
    tu_rng r = {7};
    (void)state;
    oc_check_nonfinite(&r, 300, gen_k, elements, 3);
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
        oc_case c;
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
        c.d = 1;
        c.dtype = CONSECO_DTYPE_U8;
        c.base = 128.0 / 255.0;
        oc_alloc(&c);
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
        oc_expect(got, want, &c, "dilation (long)");
        /* band: isolated Yhat pixels have erosion level 0 (score 1) when false positives */
        {
            double inner = 0.0;
            for (j = 0; j < ny; j++)
                if (!c.truth[py[j]]) inner = 1.0;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            oc_expect(got, want > inner ? want : inner, &c, "band (long)");
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
            oc_expect(got, far, &c, "band, long erosion");
            /* no background at all: +inf under the foreground policy, 1 under background */
            ((uint8_t *)c.map)[0] = 200;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            oc_expect(got, INFINITY, &c, "band, no background");
            ep.border = CONSECO_BORDER_BACKGROUND;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            {
                /* the farthest pixel from the border */
                const size_t s = c.w < c.h ? c.w : c.h;
                const double deepest = (double)((s + 1) / 2);
                oc_expect(got, deepest, &c, "band, border background");
            }
        }
        oc_release(&c);
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
