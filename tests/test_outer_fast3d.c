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
#include "outer_fast3d.h"
#include "ref_erosion.h"
#include "ref_outer.h"
#include "test_util.h"

typedef struct vcase {
    size_t w, h, d, n;
    int dtype;
    void *map;
    uint8_t *yhat, *truth;
    double base;
} vcase;

/* Paints an ellipsoid, its centre possibly outside the volume. */
static void blob(tu_rng *r, const vcase *c, uint8_t *m, uint8_t v)
{
    const size_t dims[3] = {c->w, c->h, c->d};
    double cen[3], rad[3];
    size_t x, y, z;
    int a;
    for (a = 0; a < 3; a++) {
        cen[a] = -0.3 * (double)dims[a] + 1.6 * (double)dims[a] * tu_uniform(r);
        rad[a] = 0.5 + 0.45 * (double)dims[a] * tu_uniform(r);
    }
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) {
                const double u = ((double)x - cen[0]) / rad[0], q = ((double)y - cen[1]) / rad[1],
                             s = ((double)z - cen[2]) / rad[2];
                if (u * u + q * q + s * s <= 1.0) m[x + c->w * (y + c->h * z)] = v;
            }
}

static void mask(tu_rng *r, const vcase *c, uint8_t *m)
{
    const size_t n = c->n;
    size_t i, k;
    memset(m, 0, n);
    switch (tu_range(r, 0, 10)) {
    case 0: break;
    case 1: memset(m, 1, n); break;
    case 2:
        for (i = 0; i < n; i++) m[i] = (uint8_t)(tu_uniform(r) < 0.4);
        break;
    case 3: /* a few scattered voxels */
        for (k = tu_range(r, 1, 4); k > 0; k--) m[tu_range(r, 0, n - 1)] = 1;
        break;
    case 4: /* everything but a hole */
        memset(m, 1, n);
        blob(r, c, m, 0);
        break;
    case 5: /* one corner voxel, or one face */
        if (tu_range(r, 0, 1)) {
            m[tu_range(r, 0, 1) ? 0 : n - 1] = 1;
        } else {
            for (i = 0; i < c->w * c->h; i++) m[i] = 1;
        }
        break;
    default:
        for (k = tu_range(r, 1, 3); k > 0; k--) blob(r, c, m, 1);
        if (tu_range(r, 0, 2) == 0) blob(r, c, m, 0);
        break;
    }
}

/* A map of the dtype whose Yhat at c->base is c->yhat, with ties at the
 * threshold. */
static void make_map(tu_rng *r, vcase *c)
{
    size_t i;
    for (i = 0; i < c->n; i++) {
        const int in = c->yhat[i] != 0;
        switch (c->dtype) {
        case CONSECO_DTYPE_U8:
            ((uint8_t *)c->map)[i] =
                (uint8_t)(in ? (tu_range(r, 0, 3) ? tu_range(r, 128, 255) : 128)
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

static void alloc_case(vcase *c)
{
    c->n = c->w * c->h * c->d;
    c->map = calloc(c->n, 8);
    c->yhat = calloc(c->n, 1);
    c->truth = calloc(c->n, 1);
    assert_non_null(c->map);
    assert_non_null(c->yhat);
    assert_non_null(c->truth);
}

static void gen(tu_rng *r, vcase *c)
{
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_F32, CONSECO_DTYPE_F64,
                                 CONSECO_DTYPE_U16, CONSECO_DTYPE_MASK8};
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
    c->dtype = dtypes[tu_range(r, 0, 4)];
    c->base = c->dtype == CONSECO_DTYPE_U8 ? 128.0 / 255.0 : 0.5;
    if (c->dtype == CONSECO_DTYPE_MASK8) c->base = 1.0;
    alloc_case(c);
    mask(r, c, c->yhat);
    switch (tu_range(r, 0, 4)) {
    case 0: memcpy(c->truth, c->yhat, c->n); break;
    case 1: {
        size_t i;
        memcpy(c->truth, c->yhat, c->n);
        for (i = 0; i < c->n; i++)
            if (tu_uniform(r) < 0.15) c->truth[i] = (uint8_t)!c->truth[i];
        break;
    }
    default: mask(r, c, c->truth); break;
    }
    make_map(r, c);
}

static void release(vcase *c)
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

static conseco_image view(const vcase *c)
{
    const size_t es = esize(c->dtype);
    return conseco_image_3d(c->map, c->w, c->h, c->d, c->w * es, c->w * c->h * es, c->dtype);
}

static unsigned n_fast, n_inf, n_pos;
static int g_padded; /* score_of: views with padded rows and slices */

static int score_of(conseco_erosion_params *ep, uint32_t side, double tau, double tau2,
                    const vcase *c, double *out)
{
    const conseco_shrinker sh = conseco_shrinker_erosion(ep);
    conseco_image im = view(c);
    conseco_mask tm = conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
    conseco_side_params sp;
    unsigned char *pm = NULL;
    uint8_t *pt = NULL;
    size_t ss;
    void *scr;
    int rc;
    if (g_padded) { /* rows 3 elements longer, slices one row more; padding garbage */
        const size_t es = esize(c->dtype), rs = (c->w + 3) * es, ss2 = (c->h + 1) * rs;
        const size_t trs = c->w + 5, tss = (c->h + 2) * trs;
        size_t y, z;
        pm = malloc(ss2 * c->d);
        pt = malloc(tss * c->d);
        memset(pm, 0xFF, ss2 * c->d); /* NaN or the largest value: in Yhat if read */
        memset(pt, 1, tss * c->d);
        for (z = 0; z < c->d; z++)
            for (y = 0; y < c->h; y++) {
                memcpy(pm + z * ss2 + y * rs, (const unsigned char *)c->map + (z * c->h + y) * c->w * es,
                       c->w * es);
                memcpy(pt + z * tss + y * trs, c->truth + (z * c->h + y) * c->w, c->w);
            }
        im = conseco_image_3d(pm, c->w, c->h, c->d, rs, ss2, c->dtype);
        tm = conseco_mask_3d(pt, c->w, c->h, c->d, trs, tss);
    }
    conseco_side_params_default(&sp);
    sp.side = side;
    sp.tau_outer = side == CONSECO_SIDE_BAND ? tau2 : 0.0;
    ss = conseco_side_scratch_size(&sh, &sp, c->w, c->h, c->d);
    assert_true(ss > 0);
    n_fast += (unsigned)conseco__outer3d_takes(ep, &im, ss);
    scr = malloc(ss);
    *out = NAN;
    rc = conseco_side_score(&sh, &sp, &im, &tm, tau, scr, ss, out);
    free(scr);
    free(pm);
    free(pt);
    return rc;
}

static void expect(double got, double want, const vcase *c, const char *what, int element,
                   int border)
{
    n_inf += got == INFINITY;
    n_pos += got > 0.0 && got < INFINITY;
    if (got == want) return;
    fprintf(stderr, "%s: got %.17g want %.17g (%zux%zux%zu dtype %d element %d border %d)\n",
            what, got, want, c->w, c->h, c->d, c->dtype, element, border);
    fail();
}

static void test_random(void **state)
{
    tu_rng r = {31337};
    const size_t cases = tu_cases(3000);
    size_t k;
    (void)state;
    n_fast = n_inf = n_pos = 0;
    for (k = 0; k < cases; k++) {
        vcase c;
        conseco_erosion_params ep;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
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
        release(&c);
    }
    g_padded = 0;
    print_message("fused 3-D: %u of %u scores, %u +inf, %u finite nonzero\n", n_fast,
                  (unsigned)(2 * cases), n_inf, n_pos);
    assert_true(n_fast >= cases); /* most scores take the fused path */
    assert_true(n_inf >= cases / 50 && n_pos >= cases / 2);
}

/* NaN and infinities anywhere in a float map: CONSECO_E_NONFINITE. */
static void test_nonfinite(void **state)
{
    tu_rng r = {77};
    size_t k;
    (void)state;
    for (k = 0; k < 300; k++) {
        vcase c;
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
        ep.element = k % 2 ? CONSECO_ELEMENT_CROSS : CONSECO_ELEMENT_SQUARE;
        assert_int_equal(score_of(&ep, CONSECO_SIDE_OUTER, 0.1, 0.0, &c, &got),
                         CONSECO_E_NONFINITE);
        assert_int_equal(score_of(&ep, CONSECO_SIDE_BAND, 0.1, 0.1, &c, &got),
                         CONSECO_E_NONFINITE);
        release(&c);
    }
}

/* Brute-force distances between voxels i and j of a w x h volume. */
static double dist_of(int element, const vcase *c, size_t i, size_t j)
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
        vcase c;
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
        alloc_case(&c);
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
            const conseco_image im = view(&c);
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
        release(&c);
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
        vcase c;
        conseco_erosion_params ep;
        double got, want;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        int el;
        gen(&r, &c);
        conseco_erosion_params_default(&ep);
        ep.element = k % 2 ? CONSECO_ELEMENT_CROSS : CONSECO_ELEMENT_SQUARE;
        ep.base = c.base;
        el = (int)ep.element;
        {
            const conseco_image im = view(&c);
            const conseco_mask tm =
                conseco_mask_3d(c.truth, c.w, c.h, c.d, c.w, c.w * c.h);
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
        release(&c);
    }
}

/* Single distances, checked against brute force: one missed truth voxel and
 * a few Yhat voxels (the dilation score at tau = 0 is its distance to Yhat);
 * one false positive among Yhat = all but a few background voxels (the band's
 * score at tau = 0 is its distance to the background, the faces included
 * under the background policy). Every direction, the diagonals included. */
static double face_dist(const vcase *c, size_t i)
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
        vcase c;
        conseco_erosion_params ep;
        size_t i, j, q, src[3], ns = tu_range(&r, 1, 3);
        double want, got;
        int el;
        c.w = tu_range(&r, 1, 9);
        c.h = tu_range(&r, 1, 9);
        c.d = tu_range(&r, 2, 9);
        c.dtype = CONSECO_DTYPE_U8;
        c.base = 128.0 / 255.0;
        alloc_case(&c);
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
        release(&c);
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
        vcase c;
        conseco_erosion_params ep;
        conseco_side_params sp;
        conseco_side_metrics met, many[6];
        conseco_shrinker sh;
        conseco_mask_out mi, mo, mb;
        conseco_image im;
        conseco_mask tm;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        double lambda, lambdas[6];
        uint8_t *ri, *ro, *gi, *go, *gb;
        uint64_t n_in = 0, n_fp = 0, n_tp = 0, n_t = 0, n_o = 0, missed = 0, npred = 0;
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
        im = view(&c);
        tm = conseco_mask_3d(c.truth, c.w, c.h, c.d, c.w, c.w * c.h);
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
        gi = malloc(c.n);
        go = malloc(c.n);
        gb = malloc(c.n);
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
        mi = conseco_mask_out_3d(gi, c.w, c.h, c.d, c.w, c.w * c.h);
        mo = conseco_mask_out_3d(go, c.w, c.h, c.d, c.w, c.w * c.h);
        mb = conseco_mask_out_3d(gb, c.w, c.h, c.d, c.w, c.w * c.h);
        assert_int_equal(conseco_side_apply(&sh, &sp, &im, lambda, scr, ss, &mi, &mo, &mb),
                         CONSECO_OK);
        for (i = 0; i < c.n; i++) {
            if (gi[i] != ri[i] || go[i] != ro[i] || gb[i] != (uint8_t)(ro[i] && !ri[i])) {
                fprintf(stderr,
                        "apply: voxel %zu of %zux%zux%zu side %d element %d border %d lambda %g: "
                        "%d%d%d want %d%d\n",
                        i, c.w, c.h, c.d, side, el, bd, lambda, gi[i], go[i], gb[i], ri[i], ro[i]);
                fail();
            }
            n_t += c.truth[i] != 0;
            n_o += ro[i];
            missed += c.truth[i] && !ro[i];
            if (ri[i]) {
                n_in++;
                if (c.truth[i]) n_tp++;
                else n_fp++;
            }
        }
        assert_int_equal(conseco_side_evaluate(&sh, &sp, &im, &tm, lambda, tau, scr, ss, &met),
                         CONSECO_OK);
        assert_true(met.inner.predicted == npred && met.inner.inner == n_in &&
                    met.inner.inner_fp == n_fp && met.inner.inner_tp == n_tp);
        assert_true(met.truth == n_t && met.outer == n_o && met.outer_missed == missed);
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
        free(gi);
        free(go);
        free(gb);
        release(&c);
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
