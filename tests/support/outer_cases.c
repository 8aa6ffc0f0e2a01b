/* SPDX-License-Identifier: Apache-2.0 */
#include "outer_cases.h"

#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

unsigned oc_n_inf, oc_n_pos;

/* Paints an ellipsoid (an ellipse in every slice under OC_ELLIPSES), its
 * centre possibly outside the volume. */
static void blob(tu_rng *r, const oc_case *c, unsigned style, uint8_t *m, uint8_t v)
{
    const size_t dim[3] = {c->w, c->h, c->d};
    double ctr[3] = {0.0, 0.0, 0.0}, rad[3] = {1.0, 1.0, INFINITY};
    size_t x, y, z, a;
    if (style & OC_ELLIPSES) {
        for (a = 0; a < 2; a++)
            ctr[a] = -0.3 * (double)dim[a] + 1.6 * (double)dim[a] * tu_uniform(r);
        for (a = 0; a < 2; a++) rad[a] = 0.5 + 0.4 * (double)dim[a] * tu_uniform(r);
    } else {
        for (a = 0; a < 3; a++) {
            ctr[a] = -0.3 * (double)dim[a] + 1.6 * (double)dim[a] * tu_uniform(r);
            rad[a] = 0.5 + 0.45 * (double)dim[a] * tu_uniform(r);
        }
    }
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) {
                const double u = ((double)x - ctr[0]) / rad[0], q = ((double)y - ctr[1]) / rad[1],
                             s = ((double)z - ctr[2]) / rad[2];
                if (u * u + q * q + s * s <= 1.0) m[x + c->w * (y + c->h * z)] = v;
            }
}

static void mask(tu_rng *r, const oc_case *c, unsigned style, uint8_t *m)
{
    const size_t n = c->n;
    size_t i, k, pick = tu_range(r, 0, style & OC_FACES ? 10 : 9);
    memset(m, 0, n);
    if (pick == 5 && !(style & OC_FACES)) pick = 6;
    switch (pick) {
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
        blob(r, c, style, m, 0);
        break;
    case 5: /* one corner voxel, or one face */
        if (tu_range(r, 0, 1)) {
            m[tu_range(r, 0, 1) ? 0 : n - 1] = 1;
        } else {
            for (i = 0; i < c->w * c->h; i++) m[i] = 1;
        }
        break;
    default:
        for (k = tu_range(r, 1, 3); k > 0; k--) blob(r, c, style, m, 1);
        if (tu_range(r, 0, 2) == 0) blob(r, c, style, m, 0);
        break;
    }
}

/* A map of the dtype whose Yhat at c->base is c->yhat (integer maps: the
 * base's own threshold), with ties at the threshold. */
static void make_map(tu_rng *r, oc_case *c)
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

void oc_alloc(oc_case *c)
{
    c->n = c->w * c->h * c->d;
    c->map = calloc(c->n, 8);
    c->yhat = calloc(c->n, 1);
    c->truth = calloc(c->n, 1);
    assert_non_null(c->map);
    assert_non_null(c->yhat);
    assert_non_null(c->truth);
    c->sp[0] = c->sp[1] = c->sp[2] = 1.0;
}

void oc_draw(tu_rng *r, oc_case *c, unsigned style)
{
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_F32, CONSECO_DTYPE_F64,
                                 CONSECO_DTYPE_U16, CONSECO_DTYPE_MASK8};
    c->dtype = dtypes[tu_range(r, 0, 4)];
    c->base = c->dtype == CONSECO_DTYPE_U8 ? 128.0 / 255.0 : 0.5;
    if (c->dtype == CONSECO_DTYPE_MASK8) c->base = 1.0;
    oc_alloc(c);
    mask(r, c, style, c->yhat);
    switch (tu_range(r, 0, 4)) {
    case 0: memcpy(c->truth, c->yhat, c->n); break;
    case 1: {
        size_t i;
        memcpy(c->truth, c->yhat, c->n);
        for (i = 0; i < c->n; i++)
            if (tu_uniform(r) < 0.15) c->truth[i] = (uint8_t)!c->truth[i];
        break;
    }
    default: mask(r, c, style, c->truth); break;
    }
    make_map(r, c);
}

void oc_release(oc_case *c)
{
    free(c->map);
    free(c->yhat);
    free(c->truth);
}

size_t oc_esize(int dtype)
{
    if (dtype == CONSECO_DTYPE_F64) return 8;
    if (dtype == CONSECO_DTYPE_F32) return 4;
    if (dtype == CONSECO_DTYPE_U16) return 2;
    return 1;
}

double oc_pick_tau(tu_rng *r)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0};
    if (tu_range(r, 0, 3) == 0) return tu_uniform(r);
    return taus[tu_range(r, 0, 7)];
}

conseco_image oc_view(const oc_case *c)
{
    const size_t es = oc_esize(c->dtype);
    conseco_image im = conseco_image_3d(c->map, c->w, c->h, c->d, c->w * es, c->w * c->h * es,
                                        c->dtype);
    im.spacing[0] = c->sp[0];
    im.spacing[1] = c->sp[1];
    im.spacing[2] = c->d > 1 ? c->sp[2] : 0.0; /* 2-D: not given */
    return im;
}

conseco_mask oc_truth(const oc_case *c)
{
    return conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
}

int oc_side_score(conseco_erosion_params *ep, uint32_t side, double tau, double tau2,
                  const conseco_image *im, const conseco_mask *tm, size_t *scratch, double *out)
{
    const conseco_shrinker sh = conseco_shrinker_erosion(ep);
    conseco_side_params sp;
    void *scr;
    int rc;
    conseco_side_params_default(&sp);
    sp.side = side;
    sp.tau_outer = side == CONSECO_SIDE_BAND ? tau2 : 0.0;
    *scratch = conseco_side_scratch_size(&sh, &sp, im->width, im->height, im->depth);
    assert_true(*scratch > 0);
    scr = malloc(*scratch);
    *out = NAN;
    rc = conseco_side_score(&sh, &sp, im, tm, tau, scr, *scratch, out);
    free(scr);
    return rc;
}

void oc_check_nonfinite(tu_rng *r, size_t count, oc_gen gen, const uint32_t *elements,
                        size_t n_elements)
{
    size_t k;
    for (k = 0; k < count; k++) {
        oc_case c;
        conseco_erosion_params ep;
        conseco_image im;
        conseco_mask tm;
        size_t ss;
        double got;
        const double bad = k % 3 == 0 ? NAN : k % 3 == 1 ? INFINITY : -INFINITY;
        for (;;) { /* a float map */
            gen(r, &c, k);
            if (c.dtype == CONSECO_DTYPE_F32 || c.dtype == CONSECO_DTYPE_F64) break;
            oc_release(&c);
        }
        if (c.dtype == CONSECO_DTYPE_F32) ((float *)c.map)[tu_range(r, 0, c.n - 1)] = (float)bad;
        else ((double *)c.map)[tu_range(r, 0, c.n - 1)] = bad;
        conseco_erosion_params_default(&ep);
        ep.element = elements[k % n_elements];
        ep.base = c.base;
        im = oc_view(&c);
        tm = oc_truth(&c);
        assert_int_equal(oc_side_score(&ep, CONSECO_SIDE_OUTER, 0.1, 0.0, &im, &tm, &ss, &got),
                         CONSECO_E_NONFINITE);
        assert_int_equal(oc_side_score(&ep, CONSECO_SIDE_BAND, 0.1, 0.1, &im, &tm, &ss, &got),
                         CONSECO_E_NONFINITE);
        oc_release(&c);
    }
}

void oc_check_side_sets(const conseco_shrinker *sh, const conseco_side_params *sp,
                        const conseco_image *im, const conseco_mask *tm, const uint8_t *ri,
                        const uint8_t *ro, uint64_t predicted, double lambda, double tau,
                        void *scr, size_t ss, conseco_side_metrics *met)
{
    const size_t w = im->width, h = im->height, d = im->depth, n = w * h * d;
    const uint8_t *truth = tm->data;
    uint8_t *gi = malloc(n), *go = malloc(n), *gb = malloc(n);
    const conseco_mask_out mi = conseco_mask_out_3d(gi, w, h, d, w, w * h),
                           mo = conseco_mask_out_3d(go, w, h, d, w, w * h),
                           mb = conseco_mask_out_3d(gb, w, h, d, w, w * h);
    uint64_t n_in = 0, n_fp = 0, n_tp = 0, n_t = 0, n_o = 0, missed = 0;
    size_t i;
    assert_int_equal(conseco_side_apply(sh, sp, im, lambda, scr, ss, &mi, &mo, &mb), CONSECO_OK);
    for (i = 0; i < n; i++) {
        if (gi[i] != ri[i] || go[i] != ro[i] || gb[i] != (uint8_t)(ro[i] && !ri[i])) {
            fprintf(stderr, "apply: voxel %zu of %zux%zux%zu side %u lambda %g: %d%d%d want %d%d\n",
                    i, w, h, d, (unsigned)sp->side, lambda, gi[i], go[i], gb[i], ri[i], ro[i]);
            fail();
        }
        n_t += truth[i] != 0;
        n_o += ro[i];
        missed += truth[i] && !ro[i];
        if (ri[i]) {
            n_in++;
            if (truth[i]) n_tp++;
            else n_fp++;
        }
    }
    assert_int_equal(conseco_side_evaluate(sh, sp, im, tm, lambda, tau, scr, ss, met), CONSECO_OK);
    assert_true(met->inner.predicted == predicted && met->inner.inner == n_in &&
                met->inner.inner_fp == n_fp && met->inner.inner_tp == n_tp);
    assert_true(met->truth == n_t && met->outer == n_o && met->outer_missed == missed);
    free(gi);
    free(go);
    free(gb);
}

void oc_expect(double got, double want, const oc_case *c, const char *what)
{
    oc_n_inf += got == INFINITY;
    oc_n_pos += got > 0.0 && got < INFINITY;
    if (got == want) return;
    fprintf(stderr, "%s: got %.17g want %.17g (%zux%zux%zu dtype %d spacing %g %g %g)\n", what,
            got, want, c->w, c->h, c->d, c->dtype, c->sp[0], c->sp[1], c->sp[2]);
    fail();
}
