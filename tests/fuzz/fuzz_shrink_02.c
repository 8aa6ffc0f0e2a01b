/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_shrink's modes for the 0.2 additions (see fuzz_shrink.c for the input
 * layout; byte 5 bits 5-7 select the mode, 4 parameter bytes follow byte 9):
 *
 *   1 smooth kind: Gaussian or min filter (cross/square/disk, radius 1-3),
 *     sigma in pixels or mm with anisotropic spacing (some too small: the
 *     sigma in pixels then exceeds its limit); built-in or a custom copy of
 *     its vtable. Levels = literal convolution / minimum (exact for the min
 *     filter, 1e-12 relative for the Gaussian), score = the literal walk
 *     over the levels, apply / evaluate / evaluate_lambdas = the levels.
 *   2 ball-mm erosion (inner), anisotropic spacing, both borders: score,
 *     apply and metrics against ref_distance_mm.c (exact distances).
 *   3 outer side: dilation by the cross, square, disk, ball-mm; threshold
 *     lowering with a bottom: side_score, side_apply, side_evaluate,
 *     side_evaluate_lambdas against ref_outer.c.
 *   4 band: erosion / dilation (cross, square, disk, ball-mm) and the
 *     threshold offset, with an outer tolerance.
 *   5 custom outer vtables (version 2, outer_levels): integer (the erosion
 *     inside, a literal dilation outside: the same answers as the built-in)
 *     and real (M = -s: threshold lowering seen ascending).
 *   6, 7 the risk guarantee: 1-4 calibration images made from the input;
 *     lambda_hat against ref_risk.c (threshold, erosion, dilation, ball-mm,
 *     lowering, custom integer inner and outer), conseco_calibrator_risk,
 *     conseco_loss_curve, state v3 save / inspect / load / merge / add_batch
 *     giving the very same bytes.
 * Scores are compared with == against the references (exact); the status of
 * a bad dtype or a NaN/inf map is checked on every path.
 */
#define CONSECO_STATIC_LINKING_ONLY
#include "fuzz_shrink_02.h"

#include <float.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ref_distance_mm.h"
#include "ref_erosion.h"
#include "ref_outer.h"
#include "ref_risk.h"
#include "ref_smooth.h"
#include "ref_threshold.h"

#define MAX_L 16

static unsigned more_byte(fz_bytes *b)
{
    if (b->n == 0) return 0;
    b->n--;
    return *b->p++;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    FUZZ_CHECK(p != NULL);
    return p;
}

static double base_of(const fz_case *c) { return ((double)c->base_b - 32.0) / 191.0; }

/* Spacings: 0 (= 1 mm), anisotropic ones, and 0.2, with which a sigma of
 * more than 3.2 mm exceeds CONSECO_SMOOTH_SIGMA_MAX pixels. */
static const double spacings[8] = {0.0, 0.5, 0.75, 1.7, 2.0, 3.0, 0.3, 0.2};

static void set_spacing(conseco_image *im, unsigned bits, double eff[3])
{
    int a;
    im->spacing[0] = spacings[bits & 7u];
    im->spacing[1] = spacings[(bits >> 3) & 7u];
    im->spacing[2] = spacings[(bits >> 6) & 3u];
    for (a = 0; a < 3; a++) eff[a] = im->spacing[a] == 0.0 ? 1.0 : im->spacing[a];
    if (im->depth == 1) eff[2] = 1.0;
}

/* Dense scores (the contract's value of every pixel) and Yhat. */
static void dense_scores(const fz_case *c, double base, double *s, uint8_t *yhat)
{
    size_t x, y, z, i = 0;
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++, i++) {
                s[i] = ref_pixel(&c->img, x, y, z);
                if (yhat) yhat[i] = (uint8_t)(s[i] >= base);
            }
}

static double tau_of_byte(unsigned b)
{
    return b == 255 ? 1.0 : b == 254 ? 0.0 : (double)b / 253.0;
}

/* Adds lambda to the list (room for MAX_L). */
static void push(double *l, size_t *n, double v)
{
    if (*n < MAX_L) l[(*n)++] = v;
}

/* The status an image that is not valid input must give (OK otherwise). */
static int input_status(const fz_case *c)
{
    return c->bad_dtype ? CONSECO_E_BAD_DTYPE : c->nonfinite ? CONSECO_E_NONFINITE : CONSECO_OK;
}

/* Metrics counted literally from dense sets. */
static void count_metrics(const fz_case *c, const uint8_t *yhat, const uint8_t *inner,
                          double tau, conseco_image_metrics *m)
{
    size_t i;
    memset(m, 0, sizeof *m);
    for (i = 0; i < c->n; i++) {
        m->predicted += yhat[i] != 0;
        if (inner[i]) {
            m->inner++;
            if (c->gt[i]) m->inner_tp++;
            else m->inner_fp++;
        }
    }
    m->afp = m->predicted ? (double)m->inner_fp / (double)m->predicted : 0.0;
    m->valid = m->afp <= tau;
}

static void same_counts(const conseco_image_metrics *a, const conseco_image_metrics *b)
{
    if (getenv("FZ_DEBUG"))
        fprintf(stderr, "lib %llu %llu %llu %llu %.17g %d / lit %llu %llu %llu %llu %.17g %d\n",
                (unsigned long long)a->predicted, (unsigned long long)a->inner,
                (unsigned long long)a->inner_fp, (unsigned long long)a->inner_tp, a->afp, a->valid,
                (unsigned long long)b->predicted, (unsigned long long)b->inner,
                (unsigned long long)b->inner_fp, (unsigned long long)b->inner_tp, b->afp, b->valid);
    FUZZ_CHECK(a->predicted == b->predicted && a->inner == b->inner &&
               a->inner_fp == b->inner_fp && a->inner_tp == b->inner_tp);
    FUZZ_CHECK(a->afp == b->afp && a->valid == b->valid);
}

/* An output mask with the truth's strides (row and slice padding): every
 * padding byte keeps its canary, the library writes the pixels only. */
#define CANARY02 0xA5u

typedef struct sout {
    uint8_t *buf;
    size_t bytes;
    conseco_mask_out view;
} sout;

static void sout_init(const fz_case *c, sout *o)
{
    o->bytes = c->d * c->truth.slice_stride;
    o->buf = (uint8_t *)xmalloc(o->bytes);
    o->view = conseco_mask_out_3d(o->buf, c->w, c->h, c->d, c->truth.row_stride,
                                  c->truth.slice_stride);
}

static const conseco_mask_out *sout_arm(sout *o)
{
    memset(o->buf, CANARY02, o->bytes);
    return &o->view;
}

/* The pixels, dense (x fastest), after checking the padding. */
static void sout_dense(const fz_case *c, const sout *o, uint8_t *dense)
{
    const size_t row = c->truth.row_stride, slice = c->truth.slice_stride;
    size_t b;
    for (b = 0; b < o->bytes; b++) {
        const size_t z = b / slice, y = (b % slice) / row, x = (b % slice) % row;
        if (y < c->h && x < c->w) dense[(z * c->h + y) * c->w + x] = o->buf[b];
        else FUZZ_CHECK(o->buf[b] == CANARY02);
    }
}

/* Inner-side apply / evaluate / evaluate_lambdas at every lambda of the list:
 * `want(lambda, out)` gives the literal inner set. */
typedef void (*want_fn)(const void *ctx, double lambda, uint8_t *out);

static void check_inner_lambdas(const fz_case *c, const conseco_shrinker *sh,
                                const conseco_image *img, const uint8_t *yhat,
                                const double *lambdas, size_t nl, want_fn want, const void *ctx)
{
    const size_t ss = conseco_scratch_size(sh, c->w, c->h, c->d);
    const size_t es = conseco_evaluate_lambdas_scratch_size(sh, c->w, c->h, c->d);
    void *scratch = xmalloc(ss), *escratch = xmalloc(es);
    uint8_t *in = (uint8_t *)xmalloc(c->n), *unc = (uint8_t *)xmalloc(c->n);
    uint8_t *ref = (uint8_t *)xmalloc(c->n);
    conseco_image_metrics many[MAX_L], one, lit;
    sout si, su;
    size_t k, i;
    sout_init(c, &si);
    sout_init(c, &su);
    FUZZ_CHECK(ss > 0 && es > 0);
    FUZZ_CHECK(conseco_evaluate_lambdas(sh, img, &c->truth, lambdas, nl, c->tau, escratch, es,
                                        many) == CONSECO_OK);
    for (k = 0; k < nl; k++) {
        want(ctx, lambdas[k], ref);
        FUZZ_CHECK(conseco_apply(sh, img, lambdas[k], scratch, ss, sout_arm(&si), sout_arm(&su)) ==
                   CONSECO_OK);
        sout_dense(c, &si, in);
        sout_dense(c, &su, unc);
        for (i = 0; i < c->n; i++) {
            FUZZ_CHECK(in[i] == (ref[i] != 0));
            FUZZ_CHECK(unc[i] == (yhat[i] && !ref[i]));
        }
        FUZZ_CHECK(conseco_evaluate_image(sh, img, &c->truth, lambdas[k], c->tau, scratch, ss,
                                          &one) == CONSECO_OK);
        count_metrics(c, yhat, ref, c->tau, &lit);
        same_counts(&one, &lit);
        same_counts(&many[k], &lit);
        /* the inner side through the side functions: the same set, band = Yhat minus I */
        {
            conseco_side_params sp;
            conseco_side_metrics sm;
            conseco_side_params_default(&sp);
            FUZZ_CHECK(conseco_side_scratch_size(sh, &sp, c->w, c->h, c->d) <= ss);
            FUZZ_CHECK(conseco_side_apply(sh, &sp, img, lambdas[k], scratch, ss, sout_arm(&si),
                                          NULL, sout_arm(&su)) == CONSECO_OK);
            sout_dense(c, &si, in);
            sout_dense(c, &su, unc);
            for (i = 0; i < c->n; i++)
                FUZZ_CHECK(in[i] == (ref[i] != 0) && unc[i] == (yhat[i] && !ref[i]));
            FUZZ_CHECK(conseco_side_apply(sh, &sp, img, lambdas[k], scratch, ss, &si.view,
                                          &su.view, NULL) == CONSECO_E_INVALID_ARG);
            FUZZ_CHECK(conseco_side_evaluate(sh, &sp, img, &c->truth, lambdas[k], c->tau, scratch,
                                             ss, &sm) == CONSECO_OK);
            same_counts(&sm.inner, &lit);
            FUZZ_CHECK(sm.outer_valid == 1 && sm.band_holds == lit.valid);
        }
    }
    /* the set metrics of these per-lambda metrics: means, literally */
    if (nl > 0) {
        conseco_set_metrics sm;
        double ev = 0.0, cr = 0.0, atp = 0.0;
        for (k = 0; k < nl; k++) {
            ev += many[k].valid ? 1.0 : 0.0;
            cr += many[k].cr;
            atp += many[k].atp;
        }
        FUZZ_CHECK(conseco_set_metrics_compute(many, nl, &sm) == CONSECO_OK);
        FUZZ_CHECK(sm.n == nl && sm.ev == ev / (double)nl && sm.cr == cr / (double)nl &&
                   sm.atp == atp / (double)nl);
    }
    free(scratch);
    free(escratch);
    free(in);
    free(unc);
    free(ref);
    free(si.buf);
    free(su.buf);
}

/* ------------------------------------------------------------- smooth */
typedef struct smooth_ctx {
    const double *lv;
    size_t n;
} smooth_ctx;

static void smooth_want(const void *ctx, double lambda, uint8_t *out)
{
    const smooth_ctx *s = (const smooth_ctx *)ctx;
    size_t i;
    for (i = 0; i < s->n; i++)
        out[i] = (uint8_t)(lambda <= DBL_MAX && s->lv[i] != -INFINITY && s->lv[i] >= lambda);
}

static void run_smooth(const fz_case *c)
{
    conseco_smooth_params sp;
    conseco_shrinker sh;
    conseco_shrinker_vtable wrap;
    conseco_image img = c->img;
    double eff[3], *lv, *rl, *s, score, walk, scale = 1.0, lambdas[MAX_L];
    uint8_t *yhat;
    const int path = (int)((c->sel >> 3) & 1u);
    size_t ss, i, nl = 0;
    void *scratch;
    int rc, too_big;
    conseco_smooth_params_default(&sp);
    sp.base = base_of(c);
    sp.filter = (c->prm[0] & 1u) ? CONSECO_SMOOTH_MIN : CONSECO_SMOOTH_GAUSS;
    sp.element = 1u + (c->prm[0] >> 1) % 3u;
    sp.radius = 1u + (c->prm[0] >> 3) % 3u;
    sp.units = (c->prm[0] & 0x20u) ? CONSECO_UNITS_MM : CONSECO_UNITS_PIXELS;
    sp.sigma = 0.25 + (double)c->prm[1] / 64.0;
    set_spacing(&img, c->prm[2], eff);
    sh = conseco_shrinker_smooth(&sp);
    FUZZ_CHECK(conseco_shrinker_validate(&sh) == CONSECO_OK);
    if (path) {
        wrap = *sh.vtable;
        wrap.name = "wrapped-smooth";
        sh.vtable = &wrap;
        FUZZ_CHECK(conseco_shrinker_validate(&sh) == CONSECO_OK);
    }
    ss = conseco_scratch_size(&sh, c->w, c->h, c->d);
    FUZZ_CHECK(ss > 0);
    scratch = xmalloc(ss);
    /* the smooth kind has no outer family: the outer side and the band are unsupported */
    {
        conseco_side_params osp;
        double x1 = 0.0;
        conseco_side_params_default(&osp);
        osp.side = (c->prm[3] & 1u) ? CONSECO_SIDE_OUTER : CONSECO_SIDE_BAND;
        FUZZ_CHECK(conseco_side_scratch_size(&sh, &osp, c->w, c->h, c->d) == 0);
        rc = conseco_side_score(&sh, &osp, &img, &c->truth, c->tau, scratch, ss, &x1);
        /* (a bad image may be reported first) */
        FUZZ_CHECK(rc == CONSECO_E_UNSUPPORTED || (rc != CONSECO_OK && rc == input_status(c)));
    }
    lv = (double *)xmalloc(c->n * sizeof *lv);
    rl = (double *)xmalloc(c->n * sizeof *rl);
    s = (double *)xmalloc(c->n * sizeof *s);
    yhat = (uint8_t *)xmalloc(c->n);
    rc = conseco_score(&sh, &img, &c->truth, c->tau, scratch, ss, &score);
    if (c->bad_dtype) {
        FUZZ_CHECK(rc == CONSECO_E_BAD_DTYPE);
        goto done;
    }
    too_big = ref_smooth_levels(&sp, &img, rl) != 0;
    if (c->nonfinite || too_big) {
        /* a custom vtable's failing callback is CONSECO_E_CALLBACK */
        if (path) FUZZ_CHECK(rc == CONSECO_E_CALLBACK);
        else if (c->nonfinite && too_big)
            FUZZ_CHECK(rc == CONSECO_E_NONFINITE || rc == CONSECO_E_BAD_SHRINKER);
        else FUZZ_CHECK(rc == (c->nonfinite ? CONSECO_E_NONFINITE : CONSECO_E_BAD_SHRINKER));
        goto done;
    }
    FUZZ_CHECK(rc == CONSECO_OK);
    FUZZ_CHECK(conseco_smooth_vtable()->levels(&sp, &img, lv, c->n) == CONSECO_OK);
    for (i = 0; i < c->n; i++) {
        const double a = fabs(rl[i]);
        if (a <= DBL_MAX && a > scale) scale = a;
    }
    for (i = 0; i < c->n; i++) {
        if (rl[i] == -INFINITY || lv[i] == -INFINITY) FUZZ_CHECK(rl[i] == lv[i]);
        else if (sp.filter == CONSECO_SMOOTH_MIN) FUZZ_CHECK(lv[i] == rl[i]);
        else FUZZ_CHECK(fabs(lv[i] - rl[i]) <= 1e-12 * scale);
    }
    walk = ref_smooth_score_walk(lv, &c->truth, c->tau);
    FUZZ_CHECK(score == walk);
    dense_scores(c, sp.base, s, yhat);
    for (i = 0; i < c->n; i++) FUZZ_CHECK(yhat[i] == (lv[i] != -INFINITY)); /* Yhat from the raw scores */
    push(lambdas, &nl, REF_SMOOTH_LAMBDA_MIN);
    push(lambdas, &nl, INFINITY);
    if (score <= DBL_MAX) push(lambdas, &nl, score);
    while (nl < MAX_L && c->more->n > 0) {
        const unsigned k = more_byte(c->more);
        const double v = lv[(k * 7919u) % c->n];
        push(lambdas, &nl, v == -INFINITY || (k & 1u) ? (double)k / 255.0 : v);
    }
    {
        smooth_ctx sc;
        sc.lv = lv;
        sc.n = c->n;
        check_inner_lambdas(c, &sh, &img, yhat, lambdas, nl, smooth_want, &sc);
    }
done:
    free(scratch);
    free(lv);
    free(rl);
    free(s);
    free(yhat);
}

/* ------------------------------------------------------------ ball-mm */
typedef struct mm_ctx {
    const uint8_t *yhat;
    size_t w, h, d;
    const double *eff;
    int border;
} mm_ctx;

static void mm_want(const void *ctx, double lambda, uint8_t *out)
{
    const mm_ctx *m = (const mm_ctx *)ctx;
    ref_mm_inner(m->yhat, m->w, m->h, m->d, m->eff, m->border, lambda, out);
}

/* A copy of the erosion vtable is a custom shrinker on the integer domain;
 * without levels the library searches lambda = 0, 1, ... through its apply
 * callback (erosion_apply_cb.c's ball-mm path): I_k = {d_mm > k}, so the
 * score is the ceiling of the real one (+inf stays +inf). */
static void check_ball_mm_black_box(const fz_case *c, const conseco_erosion_params *ep,
                                    const conseco_image *img, const uint8_t *yhat,
                                    const double eff[3], double real_score)
{
    conseco_shrinker_vtable vt = *conseco_erosion_vtable();
    conseco_shrinker sh;
    uint8_t *in = (uint8_t *)xmalloc(c->n), *ref = (uint8_t *)xmalloc(c->n);
    conseco_mask_out mi = conseco_mask_out_3d(in, c->w, c->h, c->d, c->w, c->w * c->h);
    size_t ss, i;
    void *scratch;
    double score, k;
    vt.name = "wrapped-ball-mm";
    vt.levels = NULL;
    sh.vtable = &vt;
    sh.user = (void *)ep;
    FUZZ_CHECK(conseco_shrinker_validate(&sh) == CONSECO_OK);
    ss = conseco_scratch_size(&sh, c->w, c->h, c->d);
    FUZZ_CHECK(ss > 0);
    scratch = xmalloc(ss);
    FUZZ_CHECK(conseco_score(&sh, img, &c->truth, c->tau, scratch, ss, &score) == CONSECO_OK);
    FUZZ_CHECK(score == (real_score <= DBL_MAX ? ceil(real_score) : real_score));
    for (k = 0.0; k <= 4.0; k += 1.0) {
        FUZZ_CHECK(conseco_apply(&sh, img, k, scratch, ss, &mi, NULL) == CONSECO_OK);
        ref_mm_inner(yhat, c->w, c->h, c->d, eff, (int)ep->border, k, ref);
        for (i = 0; i < c->n; i++) FUZZ_CHECK(in[i] == ref[i]);
    }
    free(scratch);
    free(in);
    free(ref);
}

static void run_ball_mm(const fz_case *c)
{
    conseco_erosion_params ep;
    conseco_shrinker sh;
    conseco_image img = c->img;
    double eff[3], *s, *dist, score, ref, lambdas[MAX_L];
    uint8_t *yhat;
    size_t ss, nl = 0;
    void *scratch;
    int rc;
    conseco_erosion_params_default(&ep);
    ep.element = CONSECO_ELEMENT_BALL_MM;
    ep.border = 1u + ((c->sel >> 3) & 1u);
    ep.base = base_of(c);
    set_spacing(&img, c->prm[2], eff);
    sh = conseco_shrinker_erosion(&ep);
    FUZZ_CHECK(conseco_shrinker_validate(&sh) == CONSECO_OK);
    ss = conseco_scratch_size(&sh, c->w, c->h, c->d);
    FUZZ_CHECK(ss > 0);
    scratch = xmalloc(ss);
    rc = conseco_score(&sh, &img, &c->truth, c->tau, scratch, ss, &score);
    if (input_status(c) != CONSECO_OK) {
        FUZZ_CHECK(rc == input_status(c));
        free(scratch);
        return;
    }
    FUZZ_CHECK(rc == CONSECO_OK);
    s = (double *)xmalloc(c->n * sizeof *s);
    dist = (double *)xmalloc(c->n * sizeof *dist);
    yhat = (uint8_t *)xmalloc(c->n);
    dense_scores(c, ep.base, s, yhat);
    ref = ref_mm_score(yhat, c->gt, c->w, c->h, c->d, eff, (int)ep.border, c->tau);
    FUZZ_CHECK(score == ref);
    ref_mm_distances(yhat, c->w, c->h, c->d, eff, (int)ep.border, dist);
    /* the level map on Yhat is the double just below d_mm, bit for bit (p in I_lambda
     * <=> L(p) >= lambda <=> d_mm(p) > lambda; +inf stays +inf); below 0 elsewhere */
    {
        double *lv = (double *)xmalloc(c->n * sizeof *lv);
        size_t i;
        FUZZ_CHECK(conseco_erosion_vtable()->levels(&ep, &img, lv, c->n) == CONSECO_OK);
        for (i = 0; i < c->n; i++) {
            const double want = dist[i] > DBL_MAX ? dist[i] : nextafter(dist[i], -INFINITY);
            if (yhat[i]) FUZZ_CHECK(memcmp(&lv[i], &want, sizeof want) == 0);
            else FUZZ_CHECK(lv[i] < 0.0);
        }
        free(lv);
    }
    push(lambdas, &nl, -1.0);
    push(lambdas, &nl, 0.0);
    push(lambdas, &nl, INFINITY);
    if (score <= DBL_MAX) push(lambdas, &nl, score);
    while (nl < MAX_L && c->more->n > 0) {
        const unsigned k = more_byte(c->more);
        const double v = dist[(k * 7919u) % c->n];
        /* a distance, just below one, or a value in between */
        push(lambdas, &nl,
             v > DBL_MAX || (k & 3u) == 3u ? (double)k / 16.0 : (k & 1u) ? nextafter(v, 0.0) : v);
    }
    {
        mm_ctx m;
        m.yhat = yhat;
        m.w = c->w;
        m.h = c->h;
        m.d = c->d;
        m.eff = eff;
        m.border = (int)ep.border;
        check_inner_lambdas(c, &sh, &img, yhat, lambdas, nl, mm_want, &m);
    }
    if (c->sel & 16u) check_ball_mm_black_box(c, &ep, &img, yhat, eff, ref);
    free(scratch);
    free(s);
    free(dist);
    free(yhat);
}

/* ------------------------------------------------------ outer and band */
/* The literal sets of a side at lambda. */
typedef struct side_ctx {
    const fz_case *c;
    int side;        /* CONSECO_SIDE_OUTER or BAND */
    int kind;        /* 0 dilation/erosion, 1 ball-mm, 2 threshold */
    int element, border;
    double base, bottom;
    const double *s, *eff, *din, *dout; /* scores; ball-mm distances inside / outside */
    const uint8_t *yhat;
} side_ctx;

static void side_sets(const side_ctx *x, double lambda, uint8_t *in, uint8_t *out)
{
    const fz_case *c = x->c;
    const double l = lambda < 0.0 ? 0.0 : lambda;
    size_t i;
    if (x->kind == 2) {
        for (i = 0; i < c->n; i++) {
            if (x->side == CONSECO_SIDE_BAND) {
                in[i] = (uint8_t)(x->s[i] >= x->base + l);
                out[i] = (uint8_t)(x->s[i] >= x->base - l);
            } else {
                in[i] = x->yhat[i];
                out[i] = (uint8_t)(x->s[i] >= (lambda < x->base ? lambda : x->base));
            }
        }
        return;
    }
    if (x->kind == 1) {
        for (i = 0; i < c->n; i++) {
            in[i] = x->side == CONSECO_SIDE_BAND ? (uint8_t)(x->yhat[i] && x->din[i] > l)
                                                 : x->yhat[i];
            out[i] = (uint8_t)(x->yhat[i] || x->dout[i] <= l);
        }
        return;
    }
    if (lambda > DBL_MAX) {
        memset(in, 0, c->n);
        if (x->side != CONSECO_SIDE_BAND) memcpy(in, x->yhat, c->n);
        memset(out, 1, c->n);
        return;
    }
    if (x->side == CONSECO_SIDE_BAND)
        ref_erosion_inner(x->yhat, c->w, c->h, c->d, x->element, x->border,
                          (unsigned long)ceil(l), in);
    else memcpy(in, x->yhat, c->n);
    ref_dilation_outer(x->yhat, c->w, c->h, c->d, x->element, (unsigned long)floor(l), out);
}

/* side_apply, side_evaluate and side_evaluate_lambdas at every lambda. */
static void check_side_lambdas(const side_ctx *x, const conseco_shrinker *sh,
                               const conseco_side_params *sp, const conseco_image *img,
                               const double *lambdas, size_t nl)
{
    const fz_case *c = x->c;
    const size_t ss = conseco_side_scratch_size(sh, sp, c->w, c->h, c->d);
    void *scratch = xmalloc(ss);
    uint8_t *ri = (uint8_t *)xmalloc(c->n), *ro = (uint8_t *)xmalloc(c->n);
    uint8_t *gi = (uint8_t *)xmalloc(c->n), *go = (uint8_t *)xmalloc(c->n);
    uint8_t *gb = (uint8_t *)xmalloc(c->n);
    sout si, so, sb;
    conseco_side_metrics many[MAX_L], one;
    const double tau_o = x->side == CONSECO_SIDE_BAND ? sp->tau_outer : c->tau;
    size_t k, i;
    sout_init(c, &si);
    sout_init(c, &so);
    sout_init(c, &sb);
    FUZZ_CHECK(ss > 0);
    FUZZ_CHECK(conseco_side_evaluate_lambdas(sh, sp, img, &c->truth, lambdas, nl, c->tau,
                                             scratch, ss, many) == CONSECO_OK);
    for (k = 0; k < nl; k++) {
        conseco_image_metrics lit;
        uint64_t nt = 0, no = 0, missed = 0;
        side_sets(x, lambdas[k], ri, ro);
        FUZZ_CHECK(conseco_side_apply(sh, sp, img, lambdas[k], scratch, ss, sout_arm(&si),
                                      sout_arm(&so), sout_arm(&sb)) == CONSECO_OK);
        sout_dense(c, &si, gi);
        sout_dense(c, &so, go);
        sout_dense(c, &sb, gb);
        for (i = 0; i < c->n; i++) {
            FUZZ_CHECK(gi[i] == ri[i] && go[i] == ro[i]);
            FUZZ_CHECK(gb[i] == (ro[i] && !ri[i]));
            FUZZ_CHECK(!ri[i] || ro[i]); /* nested */
            nt += c->gt[i];
            no += ro[i];
            missed += c->gt[i] && !ro[i];
        }
        /* the outer set alone is the same set */
        FUZZ_CHECK(conseco_side_apply(sh, sp, img, lambdas[k], scratch, ss, NULL, sout_arm(&sb),
                                      NULL) == CONSECO_OK);
        sout_dense(c, &sb, gb);
        FUZZ_CHECK(memcmp(gb, ro, c->n) == 0);
        FUZZ_CHECK(conseco_side_evaluate(sh, sp, img, &c->truth, lambdas[k], c->tau, scratch, ss,
                                         &one) == CONSECO_OK);
        FUZZ_CHECK(memcmp(&one, &many[k], sizeof one) == 0);
        /* the outer side's inner set is Yhat, whose AFP it does not bound:
         * its metrics are at tau 1 (always valid), as every family writes them */
        count_metrics(c, x->yhat, ri, x->side == CONSECO_SIDE_BAND ? c->tau : 1.0, &lit);
        same_counts(&one.inner, &lit);
        FUZZ_CHECK(one.truth == nt && one.outer == no && one.outer_missed == missed);
        FUZZ_CHECK(one.fnr == (nt ? (double)missed / (double)nt : 0.0));
        FUZZ_CHECK(one.outer_valid == ref_fnr_ok(missed, nt, tau_o));
        FUZZ_CHECK(one.band_holds ==
                   (x->side == CONSECO_SIDE_BAND ? one.outer_valid && lit.valid : one.outer_valid));
        if (lit.predicted) FUZZ_CHECK(one.outer_ratio == (double)no / (double)lit.predicted);
        else FUZZ_CHECK(one.outer_ratio == (no ? INFINITY : 1.0));
    }
    free(scratch);
    free(ri);
    free(ro);
    free(gi);
    free(go);
    free(gb);
    free(si.buf);
    free(so.buf);
    free(sb.buf);
}

/* A quantile calibrator of the side: add and add_batch store the side score,
 * lambda_hat is the k-th smallest (lowering: largest), the v2 state loads
 * back to the same bytes. */
static void check_side_calibrator(const fz_case *c, const conseco_shrinker *sh,
                                  const conseco_side_params *sp, const conseco_image *img,
                                  double score)
{
    conseco_calibrator_config cfg;
    conseco_calibrator *a = NULL, *b = NULL;
    conseco_image preds[3];
    conseco_mask truths[3];
    double got = NAN, batch[3], lh = NAN, lh2 = NAN;
    size_t i, k = 0, k2 = 0, size, size2, written;
    uint8_t *s1, *s2;
    conseco_state_info info;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = *sh;
    cfg.tau = c->tau;
    cfg.side = sp->side;
    cfg.tau_outer = sp->tau_outer;
    cfg.bottom = sp->bottom;
    FUZZ_CHECK(conseco_calibrator_create(&cfg, NULL, &a) == CONSECO_OK);
    FUZZ_CHECK(conseco_calibrator_add(a, img, &c->truth, &got) == CONSECO_OK);
    FUZZ_CHECK(got == score);
    FUZZ_CHECK(conseco_calibrator_add_score(a, score) == CONSECO_OK);
    /* the infinity no score can be: -inf, or +inf for threshold lowering (scores are thresholds) */
    FUZZ_CHECK(conseco_calibrator_add_score(a, sp->side == CONSECO_SIDE_OUTER &&
                                                       sh->vtable == conseco_threshold_vtable()
                                                   ? INFINITY
                                                   : -INFINITY) == CONSECO_E_BAD_SCORE);
    FUZZ_CHECK(conseco_calibrator_add_score(a, NAN) == CONSECO_E_BAD_SCORE);
    for (i = 0; i < 3; i++) {
        preds[i] = *img;
        truths[i] = c->truth;
    }
    FUZZ_CHECK(conseco_calibrator_create(&cfg, NULL, &b) == CONSECO_OK);
    FUZZ_CHECK(conseco_calibrator_add_batch(b, preds, truths, 2, 1u + (c->prm[3] & 1u), batch) ==
               CONSECO_OK);
    FUZZ_CHECK(batch[0] == score && batch[1] == score);
    FUZZ_CHECK(conseco_calibrator_lambda_hat(a, 0.5, &lh, &k) == CONSECO_OK);
    FUZZ_CHECK(conseco_calibrator_lambda_hat(b, 0.5, &lh2, &k2) == CONSECO_OK);
    /* k = ceil(3 * 0.5) = 2 of 2 equal scores */
    FUZZ_CHECK(k == 2 && k2 == 2 && lh == score && lh2 == score);
    size = conseco_calibrator_save_size(a);
    s1 = (uint8_t *)xmalloc(size);
    FUZZ_CHECK(conseco_calibrator_save(a, s1, size, &written) == CONSECO_OK && written == size);
    memset(&info, 0, sizeof info);
    info.struct_size = (uint32_t)sizeof info;
    FUZZ_CHECK(conseco_state_inspect(s1, size, &info) == CONSECO_OK);
    FUZZ_CHECK(info.format_version == 2 && info.side == sp->side && info.count == 2);
    FUZZ_CHECK(conseco_calibrator_load(b, s1, size) == CONSECO_OK);
    size2 = conseco_calibrator_save_size(b);
    s2 = (uint8_t *)xmalloc(size2);
    FUZZ_CHECK(conseco_calibrator_save(b, s2, size2, &written) == CONSECO_OK);
    FUZZ_CHECK(size2 == size && memcmp(s1, s2, size) == 0);
    FUZZ_CHECK(conseco_calibrator_merge(a, b) == CONSECO_OK && conseco_calibrator_count(a) == 4);
    free(s1);
    free(s2);
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);
}

/* Modes 3 (outer) and 4 (band). */
static void run_side(const fz_case *c, int side)
{
    const unsigned v = c->sel % 6u;
    side_ctx x;
    conseco_erosion_params ep;
    conseco_threshold_params tp;
    conseco_shrinker sh;
    conseco_side_params sp;
    conseco_image img = c->img;
    double eff[3], *s, *din = NULL, *dout = NULL, score, want, lambdas[MAX_L];
    uint8_t *yhat;
    size_t ss, nl = 0;
    void *scratch;
    int rc;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.side = side;
    x.kind = v <= 2u ? 0 : v == 3u ? 1 : 2;
    x.element = v <= 2u ? (int)v + 1 : CONSECO_ELEMENT_BALL_MM;
    x.border = 1 + (int)((c->sel >> 3) & 1u);
    x.base = base_of(c);
    set_spacing(&img, c->prm[2], eff);
    conseco_side_params_default(&sp);
    sp.side = (uint32_t)side;
    if (side == CONSECO_SIDE_BAND) sp.tau_outer = tau_of_byte(c->prm[1]);
    if (x.kind == 2) {
        conseco_threshold_params_default(&tp);
        tp.base = x.base;
        tp.top = x.base + 1.0;
        sh = conseco_shrinker_threshold(&tp);
        if (side == CONSECO_SIDE_OUTER) {
            /* bottom at base, a little or far below it */
            x.bottom = v == 5u ? x.base - 1000.0 : x.base - (double)c->prm[1] / 128.0;
            sp.bottom = x.bottom;
        }
    } else {
        conseco_erosion_params_default(&ep);
        ep.element = (uint32_t)x.element;
        ep.border = (uint32_t)x.border;
        ep.base = x.base;
        sh = conseco_shrinker_erosion(&ep);
    }
    FUZZ_CHECK(conseco_shrinker_validate(&sh) == CONSECO_OK);
    ss = conseco_side_scratch_size(&sh, &sp, c->w, c->h, c->d);
    FUZZ_CHECK(ss > 0);
    scratch = xmalloc(ss);
    if (x.kind == 2 && side == CONSECO_SIDE_OUTER) {
        /* a bottom above base or not finite is refused, by every entry point */
        conseco_side_params bad = sp;
        conseco_calibrator_config cfg;
        conseco_calibrator *cal = NULL;
        bad.bottom = (c->prm[3] & 1u) ? x.base + 0.25 : NAN;
        rc = conseco_side_score(&sh, &bad, &img, &c->truth, c->tau, scratch, ss, &score);
        /* (a bad image may be reported first) */
        FUZZ_CHECK(rc == CONSECO_E_BAD_BOTTOM || (rc != CONSECO_OK && rc == input_status(c)));
        FUZZ_CHECK(conseco_side_scratch_size(&sh, &bad, c->w, c->h, c->d) == 0);
        conseco_calibrator_config_init(&cfg);
        cfg.shrinker = sh;
        cfg.tau = c->tau;
        cfg.side = CONSECO_SIDE_OUTER;
        cfg.bottom = bad.bottom;
        FUZZ_CHECK(conseco_calibrator_create(&cfg, NULL, &cal) == CONSECO_E_BAD_BOTTOM && cal == NULL);
    }
    rc = conseco_side_score(&sh, &sp, &img, &c->truth, c->tau, scratch, ss, &score);
    if (input_status(c) != CONSECO_OK) {
        FUZZ_CHECK(rc == input_status(c));
        free(scratch);
        return;
    }
    FUZZ_CHECK(rc == CONSECO_OK);
    s = (double *)xmalloc(c->n * sizeof *s);
    yhat = (uint8_t *)xmalloc(c->n);
    dense_scores(c, x.base, s, yhat);
    x.s = s;
    x.yhat = yhat;
    x.eff = eff;
    if (x.kind == 1) {
        din = (double *)xmalloc(c->n * sizeof *din);
        dout = (double *)xmalloc(c->n * sizeof *dout);
        ref_mm_distances(yhat, c->w, c->h, c->d, eff, x.border, din);
        ref_mm_outer_distances(yhat, c->w, c->h, c->d, eff, dout);
        x.din = din;
        x.dout = dout;
    }
    if (side == CONSECO_SIDE_OUTER) {
        want = x.kind == 0   ? ref_dilation_score(yhat, c->gt, c->w, c->h, c->d, x.element, c->tau)
               : x.kind == 1 ? ref_mm_outer_score(yhat, c->gt, c->w, c->h, c->d, eff, c->tau)
                             : ref_lowering_score(s, c->gt, c->n, x.base, x.bottom, c->tau);
    } else if (x.kind == 0) {
        want = ref_band_erosion_score(yhat, c->gt, c->w, c->h, c->d, x.element, x.border, c->tau,
                                      sp.tau_outer);
    } else if (x.kind == 1) {
        const double a = ref_mm_score(yhat, c->gt, c->w, c->h, c->d, eff, x.border, c->tau);
        const double b = ref_mm_outer_score(yhat, c->gt, c->w, c->h, c->d, eff, sp.tau_outer);
        want = a > b ? a : b;
    } else {
        want = ref_band_threshold_score(s, c->gt, c->n, x.base, c->tau, sp.tau_outer);
    }
    FUZZ_CHECK(score == want);

    /* lambdas: the score, the ends, and values of the image */
    if (score <= DBL_MAX && score >= -DBL_MAX) push(lambdas, &nl, score);
    push(lambdas, &nl, INFINITY);
    if (x.kind == 2 && side == CONSECO_SIDE_OUTER) {
        push(lambdas, &nl, -INFINITY);
        push(lambdas, &nl, x.base);
        push(lambdas, &nl, x.bottom);
        push(lambdas, &nl, x.base + 0.5);
    } else {
        push(lambdas, &nl, -1.0);
        push(lambdas, &nl, 0.0);
    }
    while (nl < MAX_L && c->more->n > 0) {
        const unsigned k = more_byte(c->more);
        const size_t p = (k * 7919u) % c->n;
        double l;
        if (x.kind == 2)
            l = side == CONSECO_SIDE_BAND ? fabs(s[p] - x.base) : s[p];
        else if (x.kind == 1)
            l = (k & 1u) ? dout[p] : din[p];
        else
            l = (double)(k % 9u);
        if (!(l <= DBL_MAX) || (k & 6u) == 6u) l = (double)k / 32.0;
        push(lambdas, &nl, l);
    }
    check_side_lambdas(&x, &sh, &sp, &img, lambdas, nl);
    check_side_calibrator(c, &sh, &sp, &img, score);
    free(scratch);
    free(s);
    free(yhat);
    free(din);
    free(dout);
}

/* ------------------------------------------------ custom outer vtables */
typedef struct cust_user {
    conseco_erosion_params ep; /* inner levels (integer) and Yhat's base */
    double base;
} cust_user;

static uint8_t *yhat_of(const conseco_image *pred, double base)
{
    const size_t w = pred->width, h = pred->height, d = pred->depth;
    uint8_t *y = (uint8_t *)xmalloc(w * h * d);
    size_t i;
    for (i = 0; i < w * h * d; i++) y[i] = (uint8_t)(ref_pixel(pred, i % w, (i / w) % h, i / (w * h)) >= base);
    return y;
}

static int cust_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const cust_user *u = (const cust_user *)user;
    return conseco_erosion_vtable()->levels((void *)&u->ep, pred, levels, count);
}

/* M(p) = the smallest mu whose literal dilation reaches p (+inf: never). */
static int cust_outer_int(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const cust_user *u = (const cust_user *)user;
    const size_t w = pred->width, h = pred->height, d = pred->depth;
    uint8_t *y, *o;
    size_t i, filled = 0;
    unsigned long mu;
    for (i = 0; i < count; i++) {
        const double v = ref_pixel(pred, i % w, (i / w) % h, i / (w * h));
        if (!(v - v == 0.0)) return 1;
    }
    y = yhat_of(pred, u->ep.base);
    o = (uint8_t *)xmalloc(count);
    for (i = 0; i < count; i++) levels[i] = INFINITY;
    for (mu = 0; mu <= w + h + d + 2 && filled < count; mu++) {
        ref_dilation_outer(y, w, h, d, (int)u->ep.element, mu, o);
        for (i = 0; i < count; i++)
            if (o[i] && levels[i] == INFINITY) {
                levels[i] = (double)mu;
                filled++;
            }
    }
    free(y);
    free(o);
    return 0;
}

/* Real: inner levels +inf on Yhat, outer M = -s (lowering seen ascending). */
static int cust_levels_real(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const cust_user *u = (const cust_user *)user;
    const size_t w = pred->width, h = pred->height;
    size_t i;
    for (i = 0; i < count; i++) {
        const double v = ref_pixel(pred, i % w, (i / w) % h, i / (w * h));
        if (!(v - v == 0.0)) return 1;
        levels[i] = v >= u->base ? INFINITY : -INFINITY;
    }
    return 0;
}

static int cust_outer_real(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const size_t w = pred->width, h = pred->height;
    size_t i;
    (void)user;
    for (i = 0; i < count; i++) {
        const double v = ref_pixel(pred, i % w, (i / w) % h, i / (w * h));
        if (!(v - v == 0.0)) return 1;
        levels[i] = -v;
    }
    return 0;
}

static conseco_shrinker_vtable cust_vtable(int real, double lmin, double lmax)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = (uint32_t)sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = real ? "fuzz-neg-outer" : "fuzz-dilation";
    vt.domain = real ? CONSECO_DOMAIN_REAL : CONSECO_DOMAIN_INTEGER;
    vt.lambda_min = lmin;
    vt.lambda_max = lmax;
    vt.levels = real ? cust_levels_real : cust_levels;
    vt.outer_levels = real ? cust_outer_real : cust_outer_int;
    return vt;
}

static void run_custom_outer(const fz_case *c)
{
    const int real = (c->sel & 2u) != 0;
    const int side = real || !(c->sel & 4u) ? CONSECO_SIDE_OUTER : CONSECO_SIDE_BAND;
    cust_user u;
    conseco_shrinker_vtable vt;
    conseco_shrinker cs, bs;
    conseco_side_params sp, bsp;
    conseco_threshold_params tp;
    double *s, a, b, bottom = 0.0, lambdas[MAX_L];
    uint8_t *yhat;
    size_t ss, ss2, nl = 0, k;
    void *scratch;
    int rc;
    conseco_erosion_params_default(&u.ep);
    u.ep.element = 1u + (c->sel & 1u);
    u.ep.border = 1u + ((c->sel >> 3) & 1u);
    u.ep.base = base_of(c);
    u.base = u.ep.base;
    conseco_side_params_default(&sp);
    sp.side = (uint32_t)side;
    if (side == CONSECO_SIDE_BAND) sp.tau_outer = tau_of_byte(c->prm[1]);
    bsp = sp;
    if (real) {
        bottom = u.base - (1.0 + (double)c->prm[1]) / 128.0;
        vt = cust_vtable(1, 0.0 - u.base, 0.0 - bottom);
        conseco_threshold_params_default(&tp);
        tp.base = u.base;
        tp.top = u.base + 1.0;
        bs = conseco_shrinker_threshold(&tp);
        bsp.bottom = bottom;
    } else {
        vt = cust_vtable(0, 0.0, INFINITY);
        bs = conseco_shrinker_erosion(&u.ep);
    }
    cs.vtable = &vt;
    cs.user = &u;
    FUZZ_CHECK(conseco_shrinker_validate(&cs) == CONSECO_OK);
    /* the same vtable as version 1 (no outer_levels member) has no outer family */
    {
        conseco_shrinker_vtable v1 = vt;
        conseco_shrinker s1;
        double x1 = 0.0;
        unsigned char scr1[64];
        v1.version = 1;
        v1.struct_size = (uint32_t)offsetof(conseco_shrinker_vtable, outer_levels);
        s1.vtable = &v1;
        s1.user = &u;
        FUZZ_CHECK(conseco_shrinker_validate(&s1) == CONSECO_OK);
        FUZZ_CHECK(conseco_side_scratch_size(&s1, &sp, c->w, c->h, c->d) == 0);
        rc = conseco_side_score(&s1, &sp, &c->img, &c->truth, c->tau, scr1, sizeof scr1, &x1);
        FUZZ_CHECK(rc == CONSECO_E_UNSUPPORTED || (rc != CONSECO_OK && rc == input_status(c)));
    }
    ss = conseco_side_scratch_size(&cs, &sp, c->w, c->h, c->d);
    ss2 = conseco_side_scratch_size(&bs, &bsp, c->w, c->h, c->d);
    FUZZ_CHECK(ss > 0 && ss2 > 0);
    if (ss2 > ss) ss = ss2;
    scratch = xmalloc(ss);
    rc = conseco_side_score(&cs, &sp, &c->img, &c->truth, c->tau, scratch, ss, &a);
    if (input_status(c) != CONSECO_OK) {
        /* the library checks the dtype; the callbacks refuse NaN / inf */
        FUZZ_CHECK(rc == (c->bad_dtype ? CONSECO_E_BAD_DTYPE : CONSECO_E_CALLBACK));
        free(scratch);
        return;
    }
    FUZZ_CHECK(rc == CONSECO_OK);
    FUZZ_CHECK(conseco_side_score(&bs, &bsp, &c->img, &c->truth, c->tau, scratch, ss, &b) ==
               CONSECO_OK);
    s = (double *)xmalloc(c->n * sizeof *s);
    yhat = (uint8_t *)xmalloc(c->n);
    dense_scores(c, u.base, s, yhat);
    if (real) {
        /* mu = -t: the smallest passing mu is minus the largest passing t */
        const double t = ref_lowering_score(s, c->gt, c->n, u.base, bottom, c->tau);
        FUZZ_CHECK(b == t);
        FUZZ_CHECK(a == (t == -INFINITY ? INFINITY : 0.0 - t));
    } else {
        const double want =
            side == CONSECO_SIDE_OUTER
                ? ref_dilation_score(yhat, c->gt, c->w, c->h, c->d, (int)u.ep.element, c->tau)
                : ref_band_erosion_score(yhat, c->gt, c->w, c->h, c->d, (int)u.ep.element,
                                         (int)u.ep.border, c->tau, sp.tau_outer);
        FUZZ_CHECK(a == want && b == want);
    }
    /* the custom family's sets and metrics are the built-in ones (real: at t = -mu) */
    push(lambdas, &nl, a);
    push(lambdas, &nl, INFINITY);
    push(lambdas, &nl, real ? vt.lambda_min : 0.0);
    while (nl < MAX_L && c->more->n > 0) {
        const unsigned kb = more_byte(c->more);
        push(lambdas, &nl, real ? -s[(kb * 7919u) % c->n] : (double)(kb % 9u));
    }
    {
        uint8_t *o1 = (uint8_t *)xmalloc(c->n), *o2 = (uint8_t *)xmalloc(c->n);
        uint8_t *b1 = (uint8_t *)xmalloc(c->n), *b2 = (uint8_t *)xmalloc(c->n);
        conseco_mask_out m1 = conseco_mask_out_3d(o1, c->w, c->h, c->d, c->w, c->w * c->h);
        conseco_mask_out m2 = conseco_mask_out_3d(o2, c->w, c->h, c->d, c->w, c->w * c->h);
        conseco_mask_out n1 = conseco_mask_out_3d(b1, c->w, c->h, c->d, c->w, c->w * c->h);
        conseco_mask_out n2 = conseco_mask_out_3d(b2, c->w, c->h, c->d, c->w, c->w * c->h);
        for (k = 0; k < nl; k++) {
            const double l = lambdas[k];
            /* lowering's t for the custom mu; +inf (everything) is t = -inf */
            const double t = !real ? l : l > DBL_MAX ? -INFINITY : l < -DBL_MAX ? INFINITY : 0.0 - l;
            conseco_side_metrics mc, mb;
            if (real && l > vt.lambda_max) continue; /* beyond the range: no lowering twin */
            FUZZ_CHECK(conseco_side_apply(&cs, &sp, &c->img, l, scratch, ss, NULL, &m1, &n1) ==
                       CONSECO_OK);
            FUZZ_CHECK(conseco_side_apply(&bs, &bsp, &c->img, t, scratch, ss, NULL, &m2, &n2) ==
                       CONSECO_OK);
            FUZZ_CHECK(memcmp(o1, o2, c->n) == 0 && memcmp(b1, b2, c->n) == 0);
            FUZZ_CHECK(conseco_side_evaluate(&cs, &sp, &c->img, &c->truth, l, c->tau, scratch, ss,
                                             &mc) == CONSECO_OK);
            FUZZ_CHECK(conseco_side_evaluate(&bs, &bsp, &c->img, &c->truth, t, c->tau, scratch,
                                             ss, &mb) == CONSECO_OK);
            FUZZ_CHECK(memcmp(&mc, &mb, sizeof mc) == 0);
        }
        free(o1);
        free(o2);
        free(b1);
        free(b2);
    }
    free(scratch);
    free(s);
    free(yhat);
}

/* --------------------------------------------------------------- risk */
#define MAX_IMG 4

typedef struct alpha_q {
    uint64_t num, den;
} alpha_q;

static const alpha_q alphas[10] = {{1, 10}, {1, 20}, {1, 5},    {1, 4}, {1, 2},
                                   {3, 10}, {15, 100}, {1, 100}, {3, 4}, {7, 10}};

typedef struct rset {
    size_t n;
    conseco_image preds[MAX_IMG];
    conseco_mask truths[MAX_IMG];
    uint8_t *pbuf[MAX_IMG], *tbuf[MAX_IMG];
} rset;

static size_t elem_of(int dtype)
{
    return dtype == CONSECO_DTYPE_U16 ? 2 : dtype == CONSECO_DTYPE_F32 ? 4
                                          : dtype == CONSECO_DTYPE_F64 ? 8 : 1;
}

/* Image 0 is the input itself; image k > 0 a dense copy with the pixels in
 * reversed (k odd) or rotated order and the truth moved and flipped here
 * and there, so the set has ties across images and different answers. */
static void rset_make(const fz_case *c, rset *r, const double spacing[3])
{
    const size_t es = elem_of(c->img.dtype), n = c->n;
    size_t k, i, a;
    memset(r, 0, sizeof *r);
    r->n = 1 + c->prm[3] % MAX_IMG;
    r->preds[0] = c->img;
    r->truths[0] = c->truth;
    for (k = 1; k < r->n; k++) {
        r->pbuf[k] = (uint8_t *)xmalloc(n * es);
        r->tbuf[k] = (uint8_t *)xmalloc(n);
        for (i = 0; i < n; i++) {
            const size_t j = (k & 1u) ? n - 1 - i : (i + k) % n;
            const size_t x = j % c->w, y = (j / c->w) % c->h, z = j / (c->w * c->h);
            memcpy(r->pbuf[k] + i * es,
                   (const uint8_t *)c->img.data + z * c->img.slice_stride + y * c->img.row_stride +
                       x * es,
                   es);
            r->tbuf[k][i] = (uint8_t)(c->gt[(i + 3 * k) % n] ^ ((i * k) % 5u == 0));
        }
        r->preds[k] = conseco_image_3d(r->pbuf[k], c->w, c->h, c->d, c->w * es, c->w * c->h * es,
                                       c->img.dtype);
        r->truths[k] = conseco_mask_3d(r->tbuf[k], c->w, c->h, c->d, c->w, c->w * c->h);
    }
    for (k = 0; k < r->n; k++)
        for (a = 0; a < 3; a++) r->preds[k].spacing[a] = spacing[a];
}

static void rset_free(rset *r)
{
    size_t k;
    for (k = 1; k < r->n; k++) {
        free(r->pbuf[k]);
        free(r->tbuf[k]);
    }
}

static conseco_calibrator *risk_cal(const conseco_calibrator_config *cfg, const rset *r,
                                    size_t from, size_t to)
{
    conseco_calibrator *cal = NULL;
    size_t k;
    FUZZ_CHECK(conseco_calibrator_create(cfg, NULL, &cal) == CONSECO_OK);
    for (k = from; k < to; k++)
        FUZZ_CHECK(conseco_calibrator_add(cal, &r->preds[k], &r->truths[k], NULL) == CONSECO_OK);
    return cal;
}

static uint8_t *saved(const conseco_calibrator *cal, size_t *size)
{
    uint8_t *b;
    size_t written = 0;
    *size = conseco_calibrator_save_size(cal);
    FUZZ_CHECK(*size > 0);
    b = (uint8_t *)xmalloc(*size);
    FUZZ_CHECK(conseco_calibrator_save(cal, b, *size, &written) == CONSECO_OK && written == *size);
    return b;
}

/* The loss curve of one image: ascending keys, each with the AFP that
 * evaluate_image gives there. */
static void check_loss_curve(const conseco_shrinker *sh, const conseco_image *im,
                             const conseco_mask *t)
{
    const size_t np = im->width * im->height * im->depth;
    const size_t ls = conseco_loss_curve_scratch_size(sh, im->width, im->height, im->depth);
    const size_t ss = conseco_scratch_size(sh, im->width, im->height, im->depth);
    double *lam = (double *)xmalloc((np + 2) * sizeof *lam);
    double *loss = (double *)xmalloc((np + 2) * sizeof *loss);
    void *scratch = xmalloc(ls), *s2 = xmalloc(ss);
    size_t count = 0, j;
    FUZZ_CHECK(ls > 0 && ss > 0);
    FUZZ_CHECK(conseco_loss_curve(sh, im, t, scratch, ls, lam, loss, np + 2, &count) ==
               CONSECO_OK);
    FUZZ_CHECK(count >= 1 && count <= np + 2);
    for (j = 0; j < count; j++) {
        conseco_image_metrics m;
        if (j) FUZZ_CHECK(lam[j] > lam[j - 1]);
        FUZZ_CHECK(conseco_evaluate_image(sh, im, t, lam[j], 0.0, s2, ss, &m) == CONSECO_OK);
        if (lam[j] <= DBL_MAX) FUZZ_CHECK(loss[j] == m.afp);
    }
    if (count > 1) {
        size_t small = 0;
        FUZZ_CHECK(conseco_loss_curve(sh, im, t, scratch, ls, lam, loss, count - 1, &small) ==
                   CONSECO_E_BUFFER_TOO_SMALL);
        FUZZ_CHECK(small == count);
    }
    free(lam);
    free(loss);
    free(scratch);
    free(s2);
}

static void run_risk(const fz_case *c)
{
    /* variants: 0 threshold, 1 erosion, 2 lowering, 3 dilation (mode 6);
     * 4 ball-mm outer, 5 custom integer outer, 6 threshold with a top,
     * 7 erosion through a copy of its vtable (mode 7) */
    const unsigned v = (c->sel & 3u) + (c->ext == 7 ? 4u : 0u);
    const alpha_q aq = alphas[c->prm[1] % 10u];
    const double alpha = (double)aq.num / (double)aq.den;
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_shrinker_vtable vt;
    conseco_calibrator_config cfg;
    conseco_calibrator *full = NULL, *other, *part;
    conseco_image tmp = c->img;
    cust_user u;
    rset r;
    double eff[3], want, lh = NAN, lh2 = NAN, bottom = 0.0;
    size_t k = 99, i, size, size2;
    uint8_t *state, *state2;
    int rc = CONSECO_OK, outer = 0;
    memset(&u, 0, sizeof u);
    memset(&vt, 0, sizeof vt);
    conseco_threshold_params_default(&tp);
    tp.base = base_of(c);
    tp.top = v == 6u ? tp.base + (c->top_b == 255 ? 0.0 : (double)c->top_b / 128.0)
                     : tp.base + 1.0;
    conseco_erosion_params_default(&ep);
    ep.element = v == 4u ? CONSECO_ELEMENT_BALL_MM : 1u + (c->sel >> 2) % 3u;
    ep.border = 1u + ((c->sel >> 4) & 1u);
    ep.base = tp.base;
    set_spacing(&tmp, c->prm[2], eff);
    conseco_calibrator_config_init(&cfg);
    cfg.guarantee = CONSECO_GUARANTEE_RISK;
    switch (v) {
    case 0:
    case 6: cfg.shrinker = conseco_shrinker_threshold(&tp); break;
    case 1: cfg.shrinker = conseco_shrinker_erosion(&ep); break;
    case 2:
        bottom = tp.base - (double)c->prm[0] / 128.0;
        cfg.shrinker = conseco_shrinker_threshold(&tp);
        outer = 1;
        break;
    case 3:
    case 4:
        cfg.shrinker = conseco_shrinker_erosion(&ep);
        outer = 1;
        break;
    case 5:
        u.ep = ep;
        if (u.ep.element == CONSECO_ELEMENT_DISK) u.ep.element = CONSECO_ELEMENT_CROSS;
        u.base = ep.base;
        vt = cust_vtable(0, 0.0, INFINITY);
        cfg.shrinker.vtable = &vt;
        cfg.shrinker.user = &u;
        outer = 1;
        break;
    default:
        vt = *conseco_erosion_vtable();
        vt.name = "wrapped-erosion";
        cfg.shrinker.vtable = &vt;
        cfg.shrinker.user = &ep;
        break;
    }
    if (outer) {
        cfg.side = CONSECO_SIDE_OUTER;
        cfg.bottom = bottom;
    }
    rset_make(c, &r, tmp.spacing);
    /* a risk calibrator of the band does not exist */
    {
        conseco_calibrator_config band = cfg;
        band.side = CONSECO_SIDE_BAND;
        band.bottom = 0.0;
        FUZZ_CHECK(conseco_calibrator_create(&band, NULL, &full) == CONSECO_E_UNSUPPORTED &&
                   full == NULL);
    }
    FUZZ_CHECK(conseco_calibrator_create(&cfg, NULL, &full) == CONSECO_OK);
    for (i = 0; i < r.n && rc == CONSECO_OK; i++)
        rc = conseco_calibrator_add(full, &r.preds[i], &r.truths[i], NULL);
    if (input_status(c) != CONSECO_OK) {
        const int custom = v == 5u || v == 7u;
        if (c->bad_dtype) FUZZ_CHECK(rc == CONSECO_E_BAD_DTYPE);
        else FUZZ_CHECK(rc == (custom ? CONSECO_E_CALLBACK : CONSECO_E_NONFINITE));
        FUZZ_CHECK(conseco_calibrator_count(full) == 0);
        conseco_calibrator_free(full);
        rset_free(&r);
        return;
    }
    FUZZ_CHECK(rc == CONSECO_OK && conseco_calibrator_count(full) == r.n);
    FUZZ_CHECK(conseco_calibrator_lambda_hat(full, alpha, &lh, &k) == CONSECO_OK && k == 0);
    switch (v) {
    case 0:
    case 6: want = ref_risk_lambda_threshold(&tp, r.preds, r.truths, r.n, aq.num, aq.den); break;
    case 1:
    case 7: want = ref_risk_lambda_erosion(&ep, r.preds, r.truths, r.n, aq.num, aq.den); break;
    case 2:
        want = ref_risk_lambda_lowering(&tp, bottom, r.preds, r.truths, r.n, aq.num, aq.den);
        break;
    case 4: want = ref_risk_lambda_ball_mm(&ep, r.preds, r.truths, r.n, aq.num, aq.den); break;
    case 5: want = ref_risk_lambda_dilation(&u.ep, r.preds, r.truths, r.n, aq.num, aq.den); break;
    default: want = ref_risk_lambda_dilation(&ep, r.preds, r.truths, r.n, aq.num, aq.den); break;
    }
    FUZZ_CHECK(memcmp(&lh, &want, sizeof lh) == 0); /* bit for bit, as test_risk.c: -0.0 too */

    /* the risk it reports: the reference's mean, and the guarantee at lambda_hat */
    {
        double risk = -1.0;
        const double n1 = (double)r.n + 1.0;
        if (lh <= DBL_MAX && lh >= -DBL_MAX) {
            FUZZ_CHECK(conseco_calibrator_risk(full, lh, &risk) == CONSECO_OK);
            FUZZ_CHECK(risk >= 0.0 && risk <= 1.0);
            FUZZ_CHECK((double)r.n / n1 * risk + 1.0 / n1 <= alpha + 1e-12);
            if (v == 2u)
                FUZZ_CHECK(fabs(risk - ref_risk_mean_lowering(r.preds, r.truths, r.n, lh)) <= 1e-12);
        }
        if (v == 0u || v == 6u) {
            const double ls[4] = {tp.base, tp.top, 0.5 * (tp.base + tp.top), INFINITY};
            for (i = 0; i < 4; i++) {
                FUZZ_CHECK(conseco_calibrator_risk(full, ls[i], &risk) == CONSECO_OK);
                FUZZ_CHECK(fabs(risk - ref_risk_mean_threshold(&tp, r.preds, r.truths, r.n, ls[i])) <=
                           1e-12);
            }
        }
        FUZZ_CHECK(conseco_calibrator_risk(full, NAN, &risk) == CONSECO_E_BAD_LAMBDA);
    }
    if (!outer) check_loss_curve(&cfg.shrinker, &r.preds[0], &r.truths[0]);

    /* state v3: inspect, load into a fresh calibrator, save back the same bytes */
    state = saved(full, &size);
    {
        conseco_state_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = (uint32_t)sizeof info;
        FUZZ_CHECK(conseco_state_inspect(state, size, &info) == CONSECO_OK);
        FUZZ_CHECK(info.format_version == 3 && info.guarantee == CONSECO_GUARANTEE_RISK);
        FUZZ_CHECK(info.count == r.n && info.side == cfg.side && info.bottom == cfg.bottom);
        FUZZ_CHECK(conseco_state_inspect(state, size - 1, &info) == CONSECO_E_TRUNCATED);
    }
    other = risk_cal(&cfg, &r, 0, 0);
    FUZZ_CHECK(conseco_calibrator_load(other, state, size) == CONSECO_OK);
    state2 = saved(other, &size2);
    FUZZ_CHECK(size2 == size && memcmp(state, state2, size) == 0);
    free(state2);
    FUZZ_CHECK(conseco_calibrator_lambda_hat(other, alpha, &lh2, &k) == CONSECO_OK);
    FUZZ_CHECK(memcmp(&lh2, &lh, sizeof lh) == 0);
    conseco_calibrator_free(other);

    /* merge of a split: the same summed curve, the same bytes */
    {
        const size_t j = c->prm[0] % (r.n + 1);
        other = risk_cal(&cfg, &r, 0, j);
        part = risk_cal(&cfg, &r, j, r.n);
        FUZZ_CHECK(conseco_calibrator_merge(other, part) == CONSECO_OK);
        state2 = saved(other, &size2);
        FUZZ_CHECK(size2 == size && memcmp(state, state2, size) == 0);
        free(state2);
        conseco_calibrator_free(other);
        conseco_calibrator_free(part);
    }
    /* add_batch: the same bytes */
    other = risk_cal(&cfg, &r, 0, 0);
    FUZZ_CHECK(conseco_calibrator_add_batch(other, r.preds, r.truths, r.n, 1u + (c->prm[0] & 1u),
                                            NULL) == CONSECO_OK);
    state2 = saved(other, &size2);
    FUZZ_CHECK(size2 == size && memcmp(state, state2, size) == 0);
    free(state2);
    /* a risk calibrator keeps no scores */
    FUZZ_CHECK(conseco_calibrator_add_score(other, 0.5) == CONSECO_E_UNSUPPORTED);
    /* its settings as configured; reset, then the same images: the same bytes */
    {
        conseco_side_params got;
        uint32_t g = 99;
        double t = -1.0;
        conseco_shrinker shr;
        FUZZ_CHECK(conseco_calibrator_side(other, &got, &g) == CONSECO_OK);
        FUZZ_CHECK(g == CONSECO_GUARANTEE_RISK && got.side == cfg.side && got.bottom == cfg.bottom);
        FUZZ_CHECK(conseco_calibrator_settings(other, &t, &shr) == CONSECO_OK);
        FUZZ_CHECK(shr.vtable->lambda_min == cfg.shrinker.vtable->lambda_min);
        FUZZ_CHECK(conseco_calibrator_reset(other) == CONSECO_OK && conseco_calibrator_count(other) == 0);
        for (i = 0; i < r.n; i++)
            FUZZ_CHECK(conseco_calibrator_add(other, &r.preds[i], &r.truths[i], NULL) == CONSECO_OK);
        state2 = saved(other, &size2);
        FUZZ_CHECK(size2 == size && memcmp(state, state2, size) == 0);
        free(state2);
    }
    conseco_calibrator_free(other);
    /* in a static workspace (capacity: a bound on the keys): the same bytes */
    {
        conseco_calibrator_config scfg = cfg;
        size_t ws;
        void *work;
        scfg.capacity = r.n * (c->n + 2);
        scfg.max_width = c->w;
        scfg.max_height = c->h;
        scfg.max_depth = c->d;
        ws = conseco_calibrator_workspace_size(&scfg);
        FUZZ_CHECK(ws > 0);
        work = xmalloc(ws);
        FUZZ_CHECK(conseco_calibrator_init_static(work, ws, &scfg, &other) == CONSECO_OK);
        for (i = 0; i < r.n; i++)
            FUZZ_CHECK(conseco_calibrator_add(other, &r.preds[i], &r.truths[i], NULL) == CONSECO_OK);
        state2 = saved(other, &size2);
        FUZZ_CHECK(size2 == size && memcmp(state, state2, size) == 0);
        free(state2);
        conseco_calibrator_free(other);
        free(work);
    }
    free(state);
    conseco_calibrator_free(full);
    rset_free(&r);
}

/* ------------------------------------------------------------ modes */
int fz02_large_ok(unsigned ext, unsigned sel, const unsigned prm[4])
{
    switch (ext) {
    case 1: return (prm[0] & 1u) != 0;     /* the min filter: its literal minimum is cheap */
    case 3: return sel % 6u < 2u || sel % 6u >= 4u; /* dilation by cross, square; lowering */
    case 4: return sel % 6u >= 4u; /* threshold offset (the erosion band's walk is quadratic in size) */
    default: return 0;
    }
}

void fz02_run(const fz_case *c)
{
    switch (c->ext) {
    case 1: run_smooth(c); break;
    case 2: run_ball_mm(c); break;
    case 3: run_side(c, CONSECO_SIDE_OUTER); break;
    case 4: run_side(c, CONSECO_SIDE_BAND); break;
    case 5: run_custom_outer(c); break;
    default: run_risk(c); break;
    }
}
