/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fused 3-D path of the dilation and erosion-band scores by the cross
 * (6 neighbours) and the square (26 neighbours) (lib/kinds/outer_fast3d.c)
 * against the literal one-step-at-a-time references of
 * tests/support/ref_outer.c and ref_erosion.c: thousands of random volumes of
 * depth 2 to 9 (every dtype, both border policies, thin volumes, empty and
 * full Yhat and truth, truth far outside Yhat, boxes touching the faces,
 * ties, +inf scores), NaN and infinities, long volumes whose distances come
 * near the 16-bit limit (checked against brute-force distances) and volumes
 * past it (the general path), and the path's own scratch bound.
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
#include "outer_fast3d.h"
#include "ref_erosion.h"
#include "ref_outer.h"
#include "test_util.h"

static void gen(tu_rng *r, oc_case *c)
{
    c->d = tu_range(r, 2, tu_range(r, 0, 3) ? 4 : 9);
    switch (tu_range(r, 0, 5)) {
    case 0: /* thin: one or two voxels across x or y */
        if (tu_range(r, 0, 1)) {
            c->w = tu_range(r, 1, 2);
            c->h = tu_range(r, 1, 24);
        } else {
            c->w = tu_range(r, 1, 70);
            c->h = tu_range(r, 1, 2);
        }
        break;
    case 1:
        c->w = tu_range(r, 1, 6);
        c->h = tu_range(r, 1, 6);
        break;
    case 2: /* wider than a bitmap word */
        c->w = tu_range(r, 60, 140);
        c->h = tu_range(r, 1, 4);
        c->d = tu_range(r, 2, 3);
        break;
    default:
        c->w = tu_range(r, 5, 17);
        c->h = tu_range(r, 5, 14);
        break;
    }
    oc_draw(r, c, OC_FACES);
}

static unsigned n_fast;
static int g_padded; /* score_of: views with padded rows and slices */

static int score_of(conseco_erosion_params *ep, uint32_t side, double tau, double tau2,
                    const oc_case *c, double *out)
{
    conseco_image im = oc_view(c);
    conseco_mask tm = oc_truth(c);
    unsigned char *pm = NULL;
    uint8_t *pt = NULL;
    size_t ss;
    int rc;
    if (g_padded) { /* rows 3 elements longer, slices one row more; padding garbage */
        const size_t es = oc_esize(c->dtype), rs = (c->w + 3) * es, ss2 = (c->h + 1) * rs;
        const size_t trs = c->w + 5, tss = (c->h + 2) * trs;
        size_t y, z;
        pm = malloc(ss2 * c->d);
        pt = malloc(tss * c->d);
        memset(pm, 0xFF, ss2 * c->d); /* NaN or the largest value: in Yhat if read */
        memset(pt, 1, tss * c->d);
        for (z = 0; z < c->d; z++)
            for (y = 0; y < c->h; y++) {
                memcpy(pm + z * ss2 + y * rs,
                       (const unsigned char *)c->map + (z * c->h + y) * c->w * es, c->w * es);
                memcpy(pt + z * tss + y * trs, c->truth + (z * c->h + y) * c->w, c->w);
            }
        im = conseco_image_3d(pm, c->w, c->h, c->d, rs, ss2, c->dtype);
        tm = conseco_mask_3d(pt, c->w, c->h, c->d, trs, tss);
    }
    rc = oc_side_score(ep, side, tau, tau2, &im, &tm, &ss, out);
    n_fast += (unsigned)conseco__outer3d_takes(ep, &im, ss);
    free(pm);
    free(pt);
    return rc;
}

/* oc_expect, naming the element and the border when it fails. */
static void expect(double got, double want, const oc_case *c, const char *what, int element,
                   int border)
{
    if (got != want) fprintf(stderr, "element %d border %d: ", element, border);
    oc_expect(got, want, c, what);
}

static void test_random(void **state)
{
    tu_rng r = {31337};
    const size_t cases = tu_cases(3000);
    size_t k;
    (void)state;
    n_fast = oc_n_inf = oc_n_pos = 0;
    for (k = 0; k < cases; k++) {
        oc_case c;
        conseco_erosion_params ep;
        const double tau = oc_pick_tau(&r), tau2 = oc_pick_tau(&r);
        double got, want;
        int el, bd;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = tu_range(&r, 0, 1) ? CONSECO_ELEMENT_CROSS : CONSECO_ELEMENT_SQUARE;
        ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        ep.base = c.base;
        el = (int)ep.element;
        bd = (int)ep.border;
        g_padded = tu_range(&r, 0, 3) == 0;
        if (tu_range(&r, 0, 9) == 0) c.d = 1; /* the first slice as a 2-D image (2-D paths) */
        c.n = c.w * c.h * c.d;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, tau, 0.0, &c, &got), CONSECO_OK);
        expect(got, ref_dilation_score(c.yhat, c.truth, c.w, c.h, c.d, el, tau), &c, "dilation",
               el, bd);
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, tau, tau2, &c, &got), CONSECO_OK);
        if (c.n <= 600) {
            want = ref_band_erosion_score(c.yhat, c.truth, c.w, c.h, c.d, el, bd, tau, tau2);
        } else { /* the walk's joint condition is monotone: the max of both walks */
            const double in = ref_erosion_score(c.yhat, c.truth, c.w, c.h, c.d, el, bd, tau);
            const double out = ref_dilation_score(c.yhat, c.truth, c.w, c.h, c.d, el, tau2);
            want = in > out ? in : out;
        }
        expect(got, want, &c, "erosion band", el, bd);
        oc_release(&c);
    }
    g_padded = 0;
    print_message("fused 3-D: %u of %u scores, %u +inf, %u finite nonzero\n", n_fast,
                  (unsigned)(2 * cases), oc_n_inf, oc_n_pos);
    assert_true(n_fast >= cases); /* most scores take the fused path */
    assert_true(oc_n_inf >= cases / 50 && oc_n_pos >= cases / 2);
}

/* NaN and infinities anywhere in a float map: CONSECO_E_NONFINITE. */
static void gen_k(tu_rng *r, oc_case *c, size_t k)
{
    (void)k;
    gen(r, c);
}

static void test_nonfinite(void **state)
{
    static const uint32_t elements[] = {CONSECO_ELEMENT_SQUARE, CONSECO_ELEMENT_CROSS};
    tu_rng r = {77};
    (void)state;
    oc_check_nonfinite(&r, 300, gen_k, elements, 2);
}

/* Brute-force distances between voxels i and j of a w x h volume. */
static double dist_of(int element, const oc_case *c, size_t i, size_t j)
{
    const size_t xi = i % c->w, yi = (i / c->w) % c->h, zi = i / (c->w * c->h);
    const size_t xj = j % c->w, yj = (j / c->w) % c->h, zj = j / (c->w * c->h);
    const size_t dx = xi > xj ? xi - xj : xj - xi, dy = yi > yj ? yi - yj : yj - yi,
                 dz = zi > zj ? zi - zj : zj - zi;
    size_t m;
    if (element == CONSECO_ELEMENT_CROSS) return (double)(dx + dy + dz);
    m = dx > dy ? dx : dy;
    return (double)(m > dz ? m : dz);
}

/* Long volumes: w + h + d up to 0xFFFD (the fused path) and past it (the
 * general path), a few Yhat voxels near one end and truth anywhere; with
 * tau = 0 the dilation score is the largest distance from a missed truth
 * voxel to Yhat, and the erosion side of a band the largest distance of a
 * false positive to the background. */
static void test_long(void **state)
{
    tu_rng r = {99};
    size_t k;
    (void)state;
    for (k = 0; k < tu_cases(24); k++) {
        oc_case c;
        conseco_erosion_params ep;
        const int el = k % 2 ? CONSECO_ELEMENT_CROSS : CONSECO_ELEMENT_SQUARE;
        const int past = k % 4 >= 2; /* beyond the 16-bit limit: the general path */
        size_t i, j, ny = 0, nt = 0, py[6], pt[6];
        double want = 0.0, got;
        c.h = tu_range(&r, 1, 2);
        c.d = 2;
        c.w = 0xFFFDu - c.h - c.d - tu_range(&r, 0, 20);
        if (past) c.w = 0xFFFDu - c.h - c.d + 1u + tu_range(&r, 0, 20);
        c.dtype = CONSECO_DTYPE_U8;
        c.base = 128.0 / 255.0;
        oc_alloc(&c);
        for (i = tu_range(&r, 1, 3); i > 0; i--) py[ny++] = tu_range(&r, 0, c.w / 64);
        for (i = tu_range(&r, 1, 3); i > 0; i--) pt[nt++] = tu_range(&r, 0, c.n - 1);
        pt[nt++] = c.n - 1 - tu_range(&r, 0, 3);
        for (i = 0; i < ny; i++) ((uint8_t *)c.map)[py[i]] = c.yhat[py[i]] = 200;
        for (i = 0; i < nt; i++) c.truth[pt[i]] = 1;
        for (i = 0; i < nt; i++) {
            double best = INFINITY;
            if (c.yhat[pt[i]]) continue;
            for (j = 0; j < ny; j++) {
                const double dd = dist_of(el, &c, pt[i], py[j]);
                if (dd < best) best = dd;
            }
            if (best > want) want = best;
        }
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)el;
        ep.base = c.base;
        {
            const conseco_image im = oc_view(&c);
            assert_int_equal(conseco__outer3d_takes(&ep, &im, (size_t)-1), !past);
        }
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, 0.0, 0.0, &c, &got), CONSECO_OK);
        expect(got, want, &c, "dilation (long)", el, (int)ep.border);
        {
            /* isolated Yhat voxels: erosion level 0 (distance 1) when false positives */
            double inner = 0.0;
            for (j = 0; j < ny; j++)
                if (!c.truth[py[j]]) inner = 1.0;
            assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
            expect(got, want > inner ? want : inner, &c, "band (long)", el, (int)ep.border);
        }
        /* everything Yhat but voxel 0, no truth: the erosion distances run the
         * whole length (foreground policy) */
        memset(c.map, 200, c.n);
        memset(c.truth, 0, c.n);
        ep.border = CONSECO_BORDER_FOREGROUND;
        ((uint8_t *)c.map)[0] = 0;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
        expect(got, dist_of(el, &c, 0, c.n - 1), &c, "band, long erosion", el, (int)ep.border);
        /* no background at all: +inf under the foreground policy, 1 under background
         * (every voxel of a volume 1 or 2 thick touches a face) */
        ((uint8_t *)c.map)[0] = 200;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
        expect(got, INFINITY, &c, "band, no background", el, (int)ep.border);
        ep.border = CONSECO_BORDER_BACKGROUND;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, 0.0, &c, &got), CONSECO_OK);
        expect(got, 1.0, &c, "band, border background", el, (int)ep.border);
        oc_release(&c);
    }
}

/* The path's own scratch bound: enough at conseco__outer3d_scratch_size, too
 * small one byte below. */
static void test_scratch(void **state)
{
    tu_rng r = {5};
    size_t k;
    (void)state;
    for (k = 0; k < tu_cases(200); k++) {
        oc_case c;
        conseco_erosion_params ep;
        double got, want;
        const double tau = oc_pick_tau(&r), tau2 = oc_pick_tau(&r);
        int el;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = k % 2 ? CONSECO_ELEMENT_CROSS : CONSECO_ELEMENT_SQUARE;
        ep.base = c.base;
        el = (int)ep.element;
        {
            const conseco_image im = oc_view(&c);
            const conseco_mask tm = oc_truth(&c);
            const size_t least =
                conseco__outer3d_scratch_size(c.w, c.h, c.d, el == CONSECO_ELEMENT_SQUARE);
            void *scr = malloc(least);
            assert_true(least > 0);
            assert_int_equal(conseco__outer3d_score(&ep, &im, &tm, 0, tau2, 0.0, scr, least, &got),
                             CONSECO_OK);
            expect(got, ref_dilation_score(c.yhat, c.truth, c.w, c.h, c.d, el, tau2), &c,
                   "dilation, least scratch", el, (int)ep.border);
            assert_int_equal(conseco__outer3d_score(&ep, &im, &tm, 1, tau, tau2, scr, least, &got),
                             CONSECO_OK);
            {
                const double in =
                    ref_erosion_score(c.yhat, c.truth, c.w, c.h, c.d, el, (int)ep.border, tau);
                const double out = ref_dilation_score(c.yhat, c.truth, c.w, c.h, c.d, el, tau2);
                want = in > out ? in : out;
            }
            expect(got, want, &c, "band, least scratch", el, (int)ep.border);
            assert_int_equal(conseco__outer3d_score(&ep, &im, &tm, 0, tau2, 0.0, scr, least - 1,
                                                    &got),
                             CONSECO_E_SCRATCH_TOO_SMALL);
            free(scr);
        }
        oc_release(&c);
    }
}

/* Single distances, checked against brute force: one missed truth voxel and
 * a few Yhat voxels (the dilation score at tau = 0 is its distance to Yhat);
 * one false positive among Yhat = all but a few background voxels (the band's
 * score at tau = 0 is its distance to the background, the faces included
 * under the background policy). Every direction, the diagonals included. */
static double face_dist(const oc_case *c, size_t i)
{
    const size_t x = i % c->w, y = (i / c->w) % c->h, z = i / (c->w * c->h);
    size_t m = x + 1;
    if (c->w - x < m) m = c->w - x;
    if (y + 1 < m) m = y + 1;
    if (c->h - y < m) m = c->h - y;
    if (z + 1 < m) m = z + 1;
    if (c->d - z < m) m = c->d - z;
    return (double)m;
}

static void test_single(void **state)
{
    tu_rng r = {4711};
    const size_t cases = tu_cases(4000);
    size_t k;
    (void)state;
    n_fast = 0;
    for (k = 0; k < cases; k++) {
        oc_case c;
        conseco_erosion_params ep;
        size_t i, j, q, src[3], ns = tu_range(&r, 1, 3);
        double want, got;
        int el;
        c.w = tu_range(&r, 1, 9);
        c.h = tu_range(&r, 1, 9);
        c.d = tu_range(&r, 2, 9);
        c.dtype = CONSECO_DTYPE_U8;
        c.base = 128.0 / 255.0;
        oc_alloc(&c);
        if (c.n < 2) ns = 1;
        conseco_erosion_params_default(&ep);
        ep.element = k % 2 ? CONSECO_ELEMENT_CROSS : CONSECO_ELEMENT_SQUARE;
        ep.border = (k / 2) % 2 ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        ep.base = c.base;
        el = (int)ep.element;
        /* dilation: Yhat = a few voxels, one truth voxel elsewhere */
        for (i = 0; i < ns; i++) {
            src[i] = tu_range(&r, 0, c.n - 1);
            ((uint8_t *)c.map)[src[i]] = 200;
            c.yhat[src[i]] = 1;
        }
        do q = tu_range(&r, 0, c.n - 1); while (c.yhat[q] && c.n > ns);
        if (!c.yhat[q]) {
            c.truth[q] = 1;
            want = INFINITY;
            for (i = 0; i < ns; i++) {
                const double dd = dist_of(el, &c, q, src[i]);
                if (dd < want) want = dd;
            }
            assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, 0.0, 0.0, &c, &got), CONSECO_OK);
            expect(got, want, &c, "single dilation", el, (int)ep.border);
        }
        /* erosion: Yhat = all but a few voxels, one false positive */
        memset(c.map, 200, c.n);
        memset(c.truth, 1, c.n);
        for (i = 0; i < ns; i++) ((uint8_t *)c.map)[src[i]] = 0;
        do q = tu_range(&r, 0, c.n - 1); while (((uint8_t *)c.map)[q] == 0 && c.n > ns);
        if (((uint8_t *)c.map)[q] != 0) {
            c.truth[q] = 0;
            for (i = 0; i < ns; i++) c.truth[src[i]] = 0;
            want = ep.border == CONSECO_BORDER_BACKGROUND ? face_dist(&c, q) : INFINITY;
            for (i = 0; i < ns; i++) {
                const double dd = dist_of(el, &c, q, src[i]);
                if (dd < want) want = dd;
            }
            for (j = 0; j < 2; j++) {
                assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.0, j ? 1.0 : 0.0, &c, &got),
                                 CONSECO_OK);
                expect(got, want, &c, "single erosion", el, (int)ep.border);
            }
        }
        oc_release(&c);
    }
    print_message("single: %u fused\n", n_fast);
    assert_true(n_fast >= cases);
}

/* Apply, evaluate and evaluate at many lambdas of volumes (the maps of one
 * fused transform over the whole volume) against the literal sets: I = Yhat
 * eroded ceil(lambda) times (band; none at +inf), O = Yhat dilated
 * floor(lambda) times (everything at +inf). */
static void test_maps(void **state)
{
    tu_rng r = {2718};
    const size_t cases = tu_cases(2000);
    size_t k;
    (void)state;
    n_fast = 0;
    for (k = 0; k < cases; k++) {
        oc_case c;
        conseco_erosion_params ep;
        conseco_side_params sp;
        conseco_side_metrics met, many[6];
        conseco_shrinker sh;
        conseco_image im;
        conseco_mask tm;
        const double tau = oc_pick_tau(&r), tau2 = oc_pick_tau(&r);
        double lambda, lambdas[6];
        uint8_t *ri, *ro;
        uint64_t npred = 0;
        size_t i, ss;
        int el, bd, side, inf;
        void *scr;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = tu_range(&r, 0, 1) ? CONSECO_ELEMENT_CROSS : CONSECO_ELEMENT_SQUARE;
        ep.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        ep.base = c.base;
        el = (int)ep.element;
        bd = (int)ep.border;
        side = tu_range(&r, 0, 1) ? CONSECO_SIDE_BAND : CONSECO_SIDE_OUTER;
        sh = conseco_shrinker_erosion(&ep);
        conseco_side_params_default(&sp);
        sp.side = (uint32_t)side;
        sp.tau_outer = side == CONSECO_SIDE_BAND ? tau2 : 0.0;
        im = oc_view(&c);
        tm = oc_truth(&c);
        for (i = 0; i < 6; i++) {
            switch (tu_range(&r, 0, 5)) {
            case 0: lambdas[i] = INFINITY; break;
            case 1: lambdas[i] = -1.5; break;
            case 2: lambdas[i] = 6.0 * tu_uniform(&r); break;
            default: lambdas[i] = (double)tu_range(&r, 0, 7); break;
            }
        }
        lambda = lambdas[0];
        inf = lambda == INFINITY;
        ri = calloc(c.n, 1);
        ro = calloc(c.n, 1);
        for (i = 0; i < c.n; i++) npred += c.yhat[i];
        if (side == CONSECO_SIDE_BAND) {
            if (!inf)
                ref_erosion_inner(c.yhat, c.w, c.h, c.d, el, bd,
                                  lambda < 0.0 ? 0ul : (unsigned long)ceil(lambda), ri);
        } else {
            memcpy(ri, c.yhat, c.n);
        }
        if (inf) memset(ro, 1, c.n);
        else ref_dilation_outer(c.yhat, c.w, c.h, c.d, el,
                                lambda < 0.0 ? 0ul : (unsigned long)floor(lambda), ro);
        ss = conseco_side_scratch_size(&sh, &sp, c.w, c.h, c.d);
        n_fast += (unsigned)(npred != 0 && conseco__outer3d_takes(&ep, &im, c.n * sizeof(double)));
        scr = malloc(ss);
        oc_check_side_sets(&sh, &sp, &im, &tm, ri, ro, npred, lambda, tau, scr, ss, &met);
        assert_int_equal(conseco_side_evaluate_lambdas(&sh, &sp, &im, &tm, lambdas, 6, tau, scr,
                                                       ss, many),
                         CONSECO_OK);
        for (i = 0; i < 6; i++) {
            assert_int_equal(
                conseco_side_evaluate(&sh, &sp, &im, &tm, lambdas[i], tau, scr, ss, &met),
                CONSECO_OK);
            assert_memory_equal(&met, &many[i], sizeof met);
        }
        free(scr);
        free(ri);
        free(ro);
        oc_release(&c);
    }
    print_message("maps: %u of %u fused\n", n_fast, (unsigned)cases);
    assert_true(n_fast >= cases / 3); /* the rest: empty Yhat, or tiny volumes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_nonfinite),
        cmocka_unit_test(test_long),
        cmocka_unit_test(test_scratch),
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_maps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
