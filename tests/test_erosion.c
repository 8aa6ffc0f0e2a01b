/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Erosion shrinker: the level-map fast path (conseco_score, conseco_apply,
 * conseco_evaluate_image through conseco_shrinker_erosion) against the
 * literal one-erosion-at-a-time reference (tests/support/ref_erosion.c), on
 * random masks of every dtype, both border policies, 2-D and 3-D; the vtable
 * callbacks against the same reference; bad inputs to their status codes.
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

#include "conseco.h"
#include "ref_erosion.h"
#include "score_pixel.h"
#include "test_util.h"

#define PAD_BYTE 0xCD

/* ------------------------------------------------------------ generators */
typedef struct ecase {
    size_t w, h, d, n;
    uint8_t *yhat, *truth; /* dense 0/1 */
} ecase;

static size_t idx(const ecase *c, size_t x, size_t y, size_t z) { return x + c->w * (y + c->h * z); }

/* Union (or removal) of a random ellipse/ellipsoid, centres possibly
 * outside the image so that shapes touch or cross the border. */
static void paint_ellipse(tu_rng *r, const ecase *c, uint8_t *m, uint8_t value, double rmax)
{
    const double cx = -0.25 * (double)c->w + 1.5 * (double)c->w * tu_uniform(r);
    const double cy = -0.25 * (double)c->h + 1.5 * (double)c->h * tu_uniform(r);
    const double cz = c->d > 1 ? -0.25 * (double)c->d + 1.5 * (double)c->d * tu_uniform(r) : 0.0;
    const double rx = 0.5 + rmax * tu_uniform(r), ry = 0.5 + rmax * tu_uniform(r),
                 rz = c->d > 1 ? 0.5 + rmax * tu_uniform(r) : 1.0;
    size_t x, y, z;
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) {
                const double u = ((double)x - cx) / rx, v = ((double)y - cy) / ry,
                             t = ((double)z - cz) / rz;
                if (u * u + v * v + t * t <= 1.0) m[idx(c, x, y, z)] = value;
            }
}

static void paint_noise(tu_rng *r, const ecase *c, uint8_t *m, double density, int flip)
{
    size_t i;
    for (i = 0; i < c->n; i++)
        if (tu_uniform(r) < density) m[i] = flip ? (uint8_t)!m[i] : 1u;
}

/* Thin horizontal, vertical or diagonal lines one pixel wide. */
static void paint_line(tu_rng *r, const ecase *c, uint8_t *m)
{
    const int kind = (int)tu_range(r, 0, 2);
    const size_t z = tu_range(r, 0, c->d - 1);
    size_t x0 = tu_range(r, 0, c->w - 1), y0 = tu_range(r, 0, c->h - 1), k;
    if (kind == 0)
        for (k = 0; k < c->w; k++) m[idx(c, k, y0, z)] = 1;
    else if (kind == 1)
        for (k = 0; k < c->h; k++) m[idx(c, x0, k, z)] = 1;
    else
        for (k = 0; x0 + k < c->w && y0 + k < c->h; k++) m[idx(c, x0 + k, y0 + k, z)] = 1;
}

static void gen_yhat(tu_rng *r, const ecase *c, uint8_t *m, int big)
{
    const size_t dmax = c->w > c->h ? c->w : c->h;
    const double rmax = big ? 40.0 : 0.6 * (double)dmax;
    int kind = (int)tu_range(r, 0, 9);
    size_t i, k;
    /* large images keep their levels small so that the literal loop is quick */
    if (big && (kind == 6 || kind == 9)) kind = 2;
    memset(m, 0, c->n);
    switch (kind) {
    case 0: break; /* empty */
    case 1: memset(m, 1, c->n); break; /* full */
    case 2:
        for (k = tu_range(r, 1, 4); k > 0; k--) paint_ellipse(r, c, m, 1, rmax);
        break;
    case 3: /* blob with holes */
        paint_ellipse(r, c, m, 1, rmax);
        for (k = tu_range(r, 1, 3); k > 0; k--) paint_ellipse(r, c, m, 0, rmax / 3);
        break;
    case 4: paint_noise(r, c, m, tu_uniform(r), 0); break;
    case 5:
        for (k = tu_range(r, 1, 3); k > 0; k--) paint_line(r, c, m);
        break;
    case 6: { /* box touching at least one border */
        const size_t x1 = tu_range(r, big ? c->w - 60 : 0, c->w - 1),
                     y1 = tu_range(r, 0, big ? 59 : c->h - 1);
        size_t x, y, z;
        for (z = 0; z < c->d; z++)
            for (y = 0; y <= y1; y++)
                for (x = x1; x < c->w; x++) m[idx(c, x, y, z)] = 1;
        break;
    }
    case 7:
        paint_ellipse(r, c, m, 1, rmax);
        paint_noise(r, c, m, 0.1 * tu_uniform(r), 1);
        break;
    case 8:
        for (k = tu_range(r, 1, 3); k > 0; k--) paint_ellipse(r, c, m, 1, rmax);
        paint_line(r, c, m);
        paint_ellipse(r, c, m, 0, rmax / 4);
        break;
    default: /* nearly full */
        memset(m, 1, c->n);
        for (k = tu_range(r, 1, 3); k > 0; k--) m[tu_range(r, 0, c->n - 1)] = 0;
        break;
    }
    if (big && kind == 1) /* keep the literal loop short on large images */
        for (i = 0; i < c->n; i++) m[i] = (uint8_t)((i / 7) % 5 != 0);
}

static void gen_truth(tu_rng *r, const ecase *c, uint8_t *t, int big)
{
    const int kind = (int)tu_range(r, 0, 5);
    const size_t dmax = c->w > c->h ? c->w : c->h;
    size_t k;
    switch (kind) {
    case 0: memset(t, 0, c->n); break;          /* all predicted pixels are FP */
    case 1: memcpy(t, c->yhat, c->n); break;    /* no FP */
    case 2: /* truth = prediction with noisy edges */
        memcpy(t, c->yhat, c->n);
        paint_noise(r, c, t, 0.3 * tu_uniform(r), 1);
        break;
    case 3: /* an independent blob */
        memset(t, 0, c->n);
        for (k = tu_range(r, 1, 3); k > 0; k--)
            paint_ellipse(r, c, t, 1, big ? 40.0 : 0.6 * (double)dmax);
        break;
    case 4: /* part of the prediction */
        memcpy(t, c->yhat, c->n);
        paint_ellipse(r, c, t, 0, big ? 40.0 : 0.6 * (double)dmax);
        break;
    default: paint_noise(r, c, (memset(t, 0, c->n), t), tu_uniform(r), 0); break;
    }
}

/* ------------------------------------------------------ views of a case */
typedef struct views {
    void *pred_buf;
    uint8_t *truth_buf;
    conseco_image pred;
    conseco_mask truth;
    conseco_erosion_params params;
} views;

/* A score map whose {s >= base} is exactly c->yhat, in `dtype`, with row
 * (and slice) strides larger than the content and garbage in the padding. */
static void make_views(tu_rng *r, const ecase *c, int dtype, int element, int border,
                       views *v)
{
    const size_t elem = dtype == CONSECO_DTYPE_U16 ? 2
                        : dtype == CONSECO_DTYPE_F32 ? 4
                        : dtype == CONSECO_DTYPE_F64 ? 8
                                                     : 1;
    const size_t rs = (c->w + tu_range(r, 0, 3)) * elem;
    const size_t ss = c->h * rs + tu_range(r, 0, 2) * elem;
    const size_t trs = c->w + tu_range(r, 0, 5), tss = c->h * trs + tu_range(r, 0, 3);
    unsigned char *buf;
    size_t x, y, z, i;
    uint32_t k = 0;
    v->pred_buf = malloc(c->d * ss + 8);
    v->truth_buf = malloc(c->d * tss + 1);
    buf = v->pred_buf;
    for (i = 0; i < c->d * ss + 8; i++) buf[i] = (unsigned char)tu_next(r);
    if (dtype == CONSECO_DTYPE_F32 || dtype == CONSECO_DTYPE_F64) /* NaN padding is ignored */
        for (i = 0; i + elem <= c->d * ss; i += elem) {
            if (elem == 4) { float f = NAN; memcpy(buf + i, &f, 4); }
            else { double f = NAN; memcpy(buf + i, &f, 8); }
        }
    for (i = 0; i < c->d * tss + 1; i++) v->truth_buf[i] = (uint8_t)tu_next(r);
    conseco_erosion_params_default(&v->params);
    v->params.element = (uint32_t)element;
    v->params.border = (uint32_t)border;
    switch (dtype) {
    case CONSECO_DTYPE_U8: k = (uint32_t)tu_range(r, 1, 255); v->params.base = k / 255.0; break;
    case CONSECO_DTYPE_U16: k = (uint32_t)tu_range(r, 1, 65535); v->params.base = k / 65535.0; break;
    case CONSECO_DTYPE_MASK8: v->params.base = tu_range(r, 0, 1) ? 1.0 : 0.5; break;
    default: v->params.base = (double)(float)(0.05 + 0.9 * tu_uniform(r)); break;
    }
    if (tu_range(r, 0, 3) == 0 && (dtype == CONSECO_DTYPE_F32 || dtype == CONSECO_DTYPE_F64))
        v->params.base = 0.5; /* the default */
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) {
                const int in = c->yhat[idx(c, x, y, z)];
                unsigned char *px = buf + z * ss + y * rs + x * elem;
                const int tie = tu_range(r, 0, 4) == 0; /* exactly at base */
                const double b = v->params.base;
                sp_write_score(r, dtype, px, in, tie, b, k);
                v->truth_buf[z * tss + y * trs + x] =
                    c->truth[idx(c, x, y, z)] ? (uint8_t)tu_range(r, 1, 255) : 0u;
            }
    v->pred = conseco_image_3d(v->pred_buf, c->w, c->h, c->d, rs, ss, dtype);
    v->truth = conseco_mask_3d(v->truth_buf, c->w, c->h, c->d, trs, tss);
}

static void free_views(views *v)
{
    free(v->pred_buf);
    free(v->truth_buf);
}

static void free_case(ecase *c)
{
    free(c->yhat);
    free(c->truth);
}

static void new_case(tu_rng *r, ecase *c, size_t w, size_t h, size_t d, int big)
{
    c->w = w;
    c->h = h;
    c->d = d;
    c->n = w * h * d;
    c->yhat = malloc(c->n);
    c->truth = malloc(c->n);
    gen_yhat(r, c, c->yhat, big);
    gen_truth(r, c, c->truth, big);
}

/* Scratch at a random misalignment, exactly the advertised size. */
static void *scratch_for(tu_rng *r, const conseco_shrinker *s, const ecase *c, void **base,
                         size_t *size)
{
    const size_t off = tu_range(r, 0, 15);
    *size = conseco_scratch_size(s, c->w, c->h, c->d);
    assert_true(*size > 0);
    *base = malloc(*size + off);
    return (unsigned char *)*base + off;
}

static const double taus[] = {0.0, 0.001, 0.01, 0.1, 0.5, 1.0};
static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_U16, CONSECO_DTYPE_F32,
                             CONSECO_DTYPE_F64, CONSECO_DTYPE_MASK8};

static size_t popcount(const uint8_t *m, size_t n)
{
    size_t i, k = 0;
    for (i = 0; i < n; i++) k += m[i] != 0;
    return k;
}

/* Largest finite level + 1 of the case (so that random lambdas cover it). */
static unsigned long lambda_span(const ecase *c)
{
    size_t m = c->w > c->h ? c->w : c->h;
    if (c->d > m) m = c->d;
    if (c->n > 20000) return 45; /* large cases: levels are kept below 42 */
    return (unsigned long)(m / 2 + 2);
}

/* apply + evaluate at one lambda against the literal I_lambda. */
static void check_apply(tu_rng *r, const ecase *c, views *v, const conseco_shrinker *s,
                        void *scratch, size_t size, double lambda)
{
    const size_t rs = c->w + tu_range(r, 0, 4), ss = c->h * rs + tu_range(r, 0, 3);
    uint8_t *ib = malloc(c->d * ss), *ub = malloc(c->d * ss), *lit = malloc(c->n);
    conseco_mask_out inner = conseco_mask_out_3d(ib, c->w, c->h, c->d, rs, ss);
    conseco_mask_out unc = conseco_mask_out_3d(ub, c->w, c->h, c->d, rs, ss);
    conseco_image_metrics met;
    size_t x, y, z, i, kept = 0, fp = 0, tp = 0;
    unsigned long steps;
    memset(ib, PAD_BYTE, c->d * ss);
    memset(ub, PAD_BYTE, c->d * ss);
    if (lambda == INFINITY) {
        memset(lit, 0, c->n);
    } else {
        steps = lambda <= 0 ? 0ul : (unsigned long)ceil(lambda);
        ref_erosion_inner(c->yhat, c->w, c->h, c->d, (int)v->params.element,
                          (int)v->params.border, steps, lit);
    }
    assert_int_equal(conseco_apply(s, &v->pred, lambda, scratch, size, &inner, &unc), CONSECO_OK);
    for (i = 0; i < c->d * ss; i++) {
        x = i % ss % rs;
        y = i % ss / rs;
        z = i / ss;
        if (x >= c->w || y >= c->h) {
            assert_int_equal(ib[i], PAD_BYTE); /* padding untouched */
            assert_int_equal(ub[i], PAD_BYTE);
            continue;
        }
        assert_int_equal(ib[i], lit[idx(c, x, y, z)]);
        assert_int_equal(ub[i], c->yhat[idx(c, x, y, z)] && !lit[idx(c, x, y, z)]);
    }
    /* inner only */
    memset(ib, PAD_BYTE, c->d * ss);
    assert_int_equal(conseco_apply(s, &v->pred, lambda, scratch, size, &inner, NULL), CONSECO_OK);
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) assert_int_equal(ib[z * ss + y * rs + x], lit[idx(c, x, y, z)]);
    for (i = 0; i < c->n; i++) {
        kept += lit[i];
        fp += lit[i] && !c->truth[i];
        tp += lit[i] && c->truth[i];
    }
    assert_int_equal(conseco_evaluate_image(s, &v->pred, &v->truth, lambda, 0.1, scratch, size,
                                            &met),
                     CONSECO_OK);
    assert_int_equal(met.predicted, popcount(c->yhat, c->n));
    assert_int_equal(met.inner, kept);
    assert_int_equal(met.inner_fp, fp);
    assert_int_equal(met.inner_tp, tp);
    free(ib);
    free(ub);
    free(lit);
}

/* What the random cases covered; checked so that a generator change cannot
 * quietly stop exercising a branch. */
typedef struct coverage {
    int infinite, zero, deep, volumes, big, applies;
} coverage;
static coverage cov;

/* One random case: score against the reference, sometimes apply/evaluate. */
static void run_case(tu_rng *r, int element, int border, size_t w, size_t h, size_t d, int big)
{
    ecase c;
    views v;
    conseco_shrinker s;
    void *base;
    void *scratch;
    size_t size;
    double tau = taus[tu_range(r, 0, 5)], got = -1.0, want;
    new_case(r, &c, w, h, d, big);
    make_views(r, &c, dtypes[tu_range(r, 0, 4)], element, border, &v);
    s = conseco_shrinker_erosion(&v.params);
    scratch = scratch_for(r, &s, &c, &base, &size);
    want = ref_erosion_score(c.yhat, c.truth, w, h, d, element, border, tau);
    assert_int_equal(conseco_score(&s, &v.pred, &v.truth, tau, scratch, size, &got), CONSECO_OK);
    if (!(got == want)) {
        print_error("element %d border %d %zux%zux%zu tau %g dtype %d: got %g want %g\n",
                    element, border, w, h, d, tau, v.pred.dtype, got, want);
        fail();
    }
    cov.infinite += want == INFINITY;
    cov.zero += want == 0.0;
    cov.deep += want >= 4.0 && want != INFINITY;
    cov.volumes += d > 1;
    cov.big += big;
    if (tu_range(r, 0, big ? 1 : 4) == 0) {
        const int pick = (int)tu_range(r, 0, 5);
        const double lambdas[] = {-1.0, 0.0, 0.5, INFINITY, want, want - 1.0};
        double lambda = pick < 4 ? lambdas[pick]
                                 : (double)tu_range(r, 0, lambda_span(&c)) + (pick == 4 ? 0.0 : 0.25);
        if (pick >= 4 && want == want && want != INFINITY && tu_range(r, 0, 1)) lambda = lambdas[pick];
        check_apply(r, &c, &v, &s, scratch, size, lambda);
        cov.applies++;
    }
    free(base);
    free_views(&v);
    free_case(&c);
}

/* >= 10,000 cases per element, both policies: mostly small, some medium,
 * a few hundred volumes and some full-size 200 x 300 images. */
static void random_cases(int element, uint64_t seed)
{
    tu_rng r = {seed};
    int i;
    memset(&cov, 0, sizeof cov);
    for (i = 0; i < 10000; i++) {
        const int border = (i & 1) ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND;
        const size_t cls = tu_range(&r, 0, 99);
        if (i % 1000 == 999) run_case(&r, element, border, 200, 300, 1, 1);
        else if (i % 1000 == 500) run_case(&r, element, border, tu_range(&r, 100, 200), tu_range(&r, 100, 300), 1, 1);
        else if (cls < 3) /* volumes */
            run_case(&r, element, border, tu_range(&r, 1, 9), tu_range(&r, 1, 9), tu_range(&r, 2, 9), 0);
        else if (cls < 6)
            run_case(&r, element, border, tu_range(&r, 1, 60), tu_range(&r, 1, 60), 1, 0);
        else if (cls < 20)
            run_case(&r, element, border, tu_range(&r, 1, 24), tu_range(&r, 1, 24), 1, 0);
        else
            run_case(&r, element, border, tu_range(&r, 1, 10), tu_range(&r, 1, 10), 1, 0);
    }
    print_message("element %d: %d +inf, %d zero, %d >= 4, %d volumes, %d large, %d applies\n",
                  element, cov.infinite, cov.zero, cov.deep, cov.volumes, cov.big, cov.applies);
    assert_true(cov.infinite >= 100 && cov.zero >= 1000 && cov.deep >= 200);
    assert_true(cov.volumes >= 200 && cov.big >= 20 && cov.applies >= 1500);
}

static void test_cross_random(void **state) { (void)state; random_cases(CONSECO_ELEMENT_CROSS, 101); }
static void test_square_random(void **state) { (void)state; random_cases(CONSECO_ELEMENT_SQUARE, 202); }
static void test_disk_random(void **state) { (void)state; random_cases(CONSECO_ELEMENT_DISK, 303); }

/* ------------------------------------------------------- worked examples */
/* Score of a dense u8 0/1 map through the public API. */
static int score_dense(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h, size_t d,
                       int element, int border, double tau, double *score)
{
    conseco_erosion_params p;
    conseco_shrinker s;
    conseco_image im = conseco_image_3d(yhat, w, h, d, w, w * h, CONSECO_DTYPE_MASK8);
    conseco_mask t = conseco_mask_3d(truth, w, h, d, w, w * h);
    size_t size;
    void *scratch;
    int rc;
    conseco_erosion_params_default(&p);
    p.element = (uint32_t)element;
    p.border = (uint32_t)border;
    s = conseco_shrinker_erosion(&p);
    size = conseco_scratch_size(&s, w, h, d);
    scratch = malloc(size);
    rc = conseco_score(&s, &im, &t, tau, scratch, size, score);
    free(scratch);
    return rc;
}

static void test_worked_examples(void **state)
{
    /* 5x5 image, a 3x3 predicted square in the middle, no truth at all */
    uint8_t yhat[25] = {0}, truth[25] = {0}, one = 1, zero = 0;
    double s;
    size_t x, y;
    (void)state;
    for (y = 1; y < 4; y++)
        for (x = 1; x < 4; x++) yhat[y * 5 + x] = 1;
    /* cross: the centre survives one erosion, nothing survives two */
    assert_int_equal(score_dense(yhat, truth, 5, 5, 1, CONSECO_ELEMENT_CROSS,
                                 CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_OK);
    assert_true(s == 2.0);
    /* 1 FP of 9 allowed (1/9 <= 0.12): one erosion leaves exactly the centre */
    assert_int_equal(score_dense(yhat, truth, 5, 5, 1, CONSECO_ELEMENT_SQUARE,
                                 CONSECO_BORDER_FOREGROUND, 0.12, &s), CONSECO_OK);
    assert_true(s == 1.0);
    /* 8 of 9 allowed: the disk of radius 1 leaves the centre (D2 = 4) */
    assert_int_equal(score_dense(yhat, truth, 5, 5, 1, CONSECO_ELEMENT_DISK,
                                 CONSECO_BORDER_BACKGROUND, 8.0 / 9.0, &s), CONSECO_OK);
    assert_true(s == 1.0);
    assert_int_equal(score_dense(yhat, truth, 5, 5, 1, CONSECO_ELEMENT_DISK,
                                 CONSECO_BORDER_BACKGROUND, 1.0, &s), CONSECO_OK);
    assert_true(s == 0.0);
    /* 1x1 image, predicted, false positive: the foreground border never
     * erodes it (+inf), the background border removes it in one step */
    assert_int_equal(score_dense(&one, &zero, 1, 1, 1, CONSECO_ELEMENT_CROSS,
                                 CONSECO_BORDER_FOREGROUND, 0.5, &s), CONSECO_OK);
    assert_true(s == INFINITY);
    assert_int_equal(score_dense(&one, &zero, 1, 1, 1, CONSECO_ELEMENT_DISK,
                                 CONSECO_BORDER_BACKGROUND, 0.5, &s), CONSECO_OK);
    assert_true(s == 1.0);
    /* ... but a true positive there is fine at once */
    assert_int_equal(score_dense(&one, &one, 1, 1, 1, CONSECO_ELEMENT_CROSS,
                                 CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_OK);
    assert_true(s == 0.0);
    /* empty prediction scores 0 */
    assert_int_equal(score_dense(&zero, &one, 1, 1, 1, CONSECO_ELEMENT_SQUARE,
                                 CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_OK);
    assert_true(s == 0.0);
}

/* A 1 x 600 line with one background pixel at x = 0 under the foreground
 * border: pixel x is at distance x, so levels reach 598 (several apply_cb
 * chunks) and the literal loop is still cheap in 1-D. */
static void test_long_line(void **state)
{
    enum { W = 600 };
    uint8_t yhat[W] = {0}, truth[W] = {0}, lit[W], cb[W];
    conseco_erosion_params p;
    conseco_image im = conseco_image_2d(yhat, W, 1, W, CONSECO_DTYPE_MASK8);
    const unsigned long lambdas[] = {1, 252, 253, 254, 300, 506, 507, 597, 598, 599, 5000};
    double s;
    int e;
    size_t k;
    (void)state;
    memset(yhat, 1, W);
    yhat[0] = 0;
    for (e = CONSECO_ELEMENT_CROSS; e <= CONSECO_ELEMENT_DISK; e++) {
        assert_int_equal(score_dense(yhat, truth, W, 1, 1, e, CONSECO_BORDER_FOREGROUND, 0.0, &s),
                         CONSECO_OK);
        assert_true(s == 599.0);
        assert_true(s == ref_erosion_score(yhat, truth, W, 1, 1, e, CONSECO_BORDER_FOREGROUND, 0.0));
        if (e == CONSECO_ELEMENT_DISK) continue;
        conseco_erosion_params_default(&p);
        p.element = (uint32_t)e;
        for (k = 0; k < sizeof lambdas / sizeof lambdas[0]; k++) {
            ref_erosion_inner(yhat, W, 1, 1, e, CONSECO_BORDER_FOREGROUND, lambdas[k], lit);
            assert_int_equal(conseco_erosion_vtable()->apply(&p, &im, (double)lambdas[k], cb, W),
                             CONSECO_OK);
            assert_memory_equal(cb, lit, W);
        }
    }
}

/* ----------------------------------------------------------- callbacks */
/* levels: {L >= lambda} equals the literal I_lambda for every lambda up to
 * the largest level, -inf outside Yhat; apply: the literal I_lambda. */
static void test_callbacks_random(void **state)
{
    tu_rng r = {77};
    const conseco_shrinker_vtable *vt = conseco_erosion_vtable();
    int i;
    (void)state;
    for (i = 0; i < 1500; i++) {
        const int element = (int)tu_range(&r, 1, 3), border = (int)tu_range(&r, 1, 2);
        const int three_d = tu_range(&r, 0, 4) == 0;
        ecase c;
        views v;
        double *lv;
        uint8_t *lit, *cb;
        size_t k;
        unsigned long lambda, span;
        new_case(&r, &c, tu_range(&r, 1, three_d ? 7 : 16), tu_range(&r, 1, three_d ? 7 : 16),
                 three_d ? tu_range(&r, 2, 7) : 1, 0);
        make_views(&r, &c, dtypes[tu_range(&r, 0, 4)], element, border, &v);
        lv = malloc(c.n * sizeof *lv);
        lit = malloc(c.n);
        cb = malloc(c.n);
        assert_int_equal(vt->levels(&v.params, &v.pred, lv, c.n), CONSECO_OK);
        span = 0; /* one past the largest finite level */
        for (k = 0; k < c.n; k++)
            if (lv[k] != INFINITY && lv[k] + 1.0 > (double)span) span = (unsigned long)lv[k] + 1;
        for (lambda = 0; lambda <= span; lambda++) {
            ref_erosion_inner(c.yhat, c.w, c.h, c.d, element, border, lambda, lit);
            for (k = 0; k < c.n; k++) {
                assert_int_equal(lv[k] >= (double)lambda, lit[k]);
                if (!c.yhat[k]) assert_true(lv[k] == -INFINITY);
            }
            if (element != CONSECO_ELEMENT_DISK) {
                memset(cb, 0xEE, c.n);
                assert_int_equal(vt->apply(&v.params, &v.pred, (double)lambda - 0.5 * (double)(lambda > 0), cb, c.n),
                                 CONSECO_OK);
                assert_memory_equal(cb, lit, c.n);
            }
        }
        free(lv);
        free(lit);
        free(cb);
        free_views(&v);
        free_case(&c);
    }
}

static void test_callbacks_special(void **state)
{
    const conseco_shrinker_vtable *vt = conseco_erosion_vtable();
    uint8_t full[12], out[12];
    double lv[12];
    conseco_erosion_params p;
    conseco_image im = conseco_image_2d(full, 4, 3, 4, CONSECO_DTYPE_MASK8);
    size_t k;
    (void)state;
    memset(full, 1, sizeof full);
    conseco_erosion_params_default(&p);
    /* full image, foreground border: never removed */
    assert_int_equal(vt->levels(&p, &im, lv, 12), CONSECO_OK);
    for (k = 0; k < 12; k++) assert_true(lv[k] == INFINITY);
    p.border = CONSECO_BORDER_BACKGROUND;
    assert_int_equal(vt->levels(&p, &im, lv, 12), CONSECO_OK);
    assert_true(lv[0] == 0.0 && lv[5] == 1.0 && lv[6] == 1.0 && lv[11] == 0.0);
    /* the disk of radius 1 with the background border keeps the 2 inner pixels */
    p.element = CONSECO_ELEMENT_DISK;
    assert_int_equal(vt->apply(&p, &im, 1.0, out, 12), CONSECO_OK);
    for (k = 0; k < 12; k++) assert_int_equal(out[k], k == 5 || k == 6);
    assert_int_equal(vt->apply(&p, &im, 0.0, out, 12), CONSECO_OK);
    for (k = 0; k < 12; k++) assert_int_equal(out[k], 1);
    assert_int_equal(vt->apply(&p, &im, INFINITY, out, 12), CONSECO_OK);
    for (k = 0; k < 12; k++) assert_int_equal(out[k], 0);
    /* bad arguments */
    assert_int_equal(vt->levels(&p, &im, lv, 11), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(vt->levels(&p, &im, NULL, 12), CONSECO_E_NULL);
    assert_int_equal(vt->levels(NULL, &im, lv, 12), CONSECO_E_NULL);
    assert_int_equal(vt->apply(&p, &im, 0.0, out, 11), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(vt->apply(&p, &im, NAN, out, 12), CONSECO_E_BAD_LAMBDA);
    p.element = 9;
    assert_int_equal(vt->levels(&p, &im, lv, 12), CONSECO_E_BAD_SHRINKER);
}

/* The callbacks through the library's generic custom-shrinker paths (a copy
 * of the vtable is a custom shrinker): levels-only for every element,
 * apply-only (black-box search) for the cross and the square. */
static double score_via(const conseco_shrinker_vtable *vt, conseco_erosion_params *p,
                        const views *v, double tau)
{
    conseco_shrinker s;
    size_t size;
    void *scratch;
    double score = -1.0;
    s.vtable = vt;
    s.user = p;
    size = conseco_scratch_size(&s, v->pred.width, v->pred.height, v->pred.depth);
    assert_true(size > 0);
    scratch = malloc(size);
    assert_int_equal(conseco_score(&s, &v->pred, &v->truth, tau, scratch, size, &score),
                     CONSECO_OK);
    free(scratch);
    return score;
}

static void test_callbacks_through_custom_path(void **state)
{
    tu_rng r = {99};
    conseco_shrinker_vtable levels_only = *conseco_erosion_vtable(), apply_only;
    int i;
    (void)state;
    levels_only.name = "erosion-levels";
    levels_only.lambda_max = INFINITY;
    levels_only.apply = NULL;
    levels_only.breakpoints = NULL;
    apply_only = levels_only;
    apply_only.name = "erosion-apply";
    apply_only.levels = NULL;
    apply_only.apply = conseco_erosion_vtable()->apply;
    for (i = 0; i < 600; i++) {
        const int element = (int)tu_range(&r, 1, 3), border = (int)tu_range(&r, 1, 2);
        const int three_d = tu_range(&r, 0, 4) == 0;
        const double tau = taus[tu_range(&r, 0, 5)];
        ecase c;
        views v;
        double want;
        new_case(&r, &c, tu_range(&r, 1, three_d ? 6 : 20), tu_range(&r, 1, three_d ? 6 : 20),
                 three_d ? tu_range(&r, 2, 6) : 1, 0);
        make_views(&r, &c, dtypes[tu_range(&r, 0, 4)], element, border, &v);
        want = score_via(conseco_erosion_vtable(), &v.params, &v, tau);
        assert_true(want == ref_erosion_score(c.yhat, c.truth, c.w, c.h, c.d, element, border, tau));
        assert_true(score_via(&levels_only, &v.params, &v, tau) == want);
        if (element != CONSECO_ELEMENT_DISK)
            assert_true(score_via(&apply_only, &v.params, &v, tau) == want);
        free_views(&v);
        free_case(&c);
    }
}

/* ------------------------------------------------------------ bad input */
static void test_bad_inputs(void **state)
{
    float map[6] = {0.9f, 0.9f, 0.1f, 0.9f, 0.2f, 0.7f};
    uint8_t truth[6] = {0}, out[6];
    conseco_erosion_params p;
    conseco_shrinker s = conseco_shrinker_erosion(&p), s_null = conseco_shrinker_erosion(NULL);
    conseco_image im = conseco_image_2d(map, 3, 2, 3 * sizeof(float), CONSECO_DTYPE_F32);
    conseco_mask t = conseco_mask_2d(truth, 3, 2, 3), t_bad = conseco_mask_2d(truth, 2, 3, 2);
    conseco_mask_out o = conseco_mask_out_2d(out, 3, 2, 3);
    conseco_image_metrics met;
    unsigned char scratch[4096];
    size_t need;
    double score;
    (void)state;
    conseco_erosion_params_default(&p);
    need = conseco_scratch_size(&s, 3, 2, 1);
    assert_true(need > 0 && need <= sizeof scratch);
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_OK);
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need - 1, &score),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, NULL, 0, &score), CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_apply(&s, &im, 1.0, scratch, need - 1, &o, NULL),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_evaluate_image(&s, &im, &t, 1.0, 0.1, scratch, need - 1, &met),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, NULL), CONSECO_E_NULL);
    assert_int_equal(conseco_score(&s, NULL, &t, 0.1, scratch, need, &score), CONSECO_E_NULL);
    assert_int_equal(conseco_score(&s_null, &im, &t, 0.1, scratch, need, &score), CONSECO_E_NULL);
    assert_int_equal(conseco_score(&s, &im, &t_bad, 0.1, scratch, need, &score),
                     CONSECO_E_SIZE_MISMATCH);
    assert_int_equal(conseco_score(&s, &im, &t, NAN, scratch, need, &score), CONSECO_E_BAD_TAU);
    assert_int_equal(conseco_apply(&s, &im, NAN, scratch, need, &o, NULL), CONSECO_E_BAD_LAMBDA);
    p.element = 0;
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_E_BAD_SHRINKER);
    p.element = 5; /* 4 is ball-mm (tests/test_ball_mm.c) */
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_E_BAD_SHRINKER);
    assert_int_equal(conseco_scratch_size(&s, 3, 2, 1), 0);
    p.element = CONSECO_ELEMENT_DISK;
    p.border = 0;
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_E_BAD_SHRINKER);
    p.border = CONSECO_BORDER_BACKGROUND;
    p.base = NAN;
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_E_BAD_SHRINKER);
    p.base = 0.5;
    /* non-finite maps */
    map[4] = NAN;
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_E_NONFINITE);
    assert_int_equal(conseco_apply(&s, &im, 1.0, scratch, need, &o, NULL), CONSECO_E_NONFINITE);
    assert_int_equal(conseco_evaluate_image(&s, &im, &t, 1.0, 0.1, scratch, need, &met),
                     CONSECO_E_NONFINITE);
    assert_int_equal(conseco_erosion_vtable()->levels(&p, &im, (double *)(void *)scratch, 6),
                     CONSECO_E_NONFINITE);
    map[4] = -INFINITY;
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_E_NONFINITE);
    map[4] = 0.2f;
    assert_int_equal(conseco_score(&s, &im, &t, 0.1, scratch, need, &score), CONSECO_OK);
    /* sizes */
    assert_int_equal(conseco_scratch_size(&s, 0, 2, 1), 0);
    assert_int_equal(conseco_scratch_size(&s, (size_t)-1, (size_t)-1, 1), 0);
    assert_int_equal(conseco_scratch_size(&s, (size_t)-1 / 4, 1, 1), 0);
}

/* Squared Euclidean distances must fit their 32-bit cells: a 70000-pixel
 * line is too long for the disk (70000^2 > 2^32) but fine for the cross. */
static void test_overflow(void **state)
{
    enum { W = 70000 };
    uint8_t *yhat = malloc(W), *truth = calloc(W, 1);
    double s;
    (void)state;
    memset(yhat, 1, W);
    yhat[0] = 0;
    assert_int_equal(score_dense(yhat, truth, W, 1, 1, CONSECO_ELEMENT_DISK,
                                 CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_E_OVERFLOW);
    assert_int_equal(score_dense(yhat, truth, W, 1, 1, CONSECO_ELEMENT_CROSS,
                                 CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_OK);
    assert_true(s == (double)(W - 1));
    /* under the background border the far end is near the outside */
    assert_int_equal(score_dense(yhat, truth, W, 1, 1, CONSECO_ELEMENT_SQUARE,
                                 CONSECO_BORDER_BACKGROUND, 0.0, &s), CONSECO_OK);
    assert_true(s == 1.0); /* height 1: the rows above and below are outside */
    free(yhat);
    free(truth);
}

/* 4 bytes per pixel plus small per-axis terms: always within the bound the
 * static calibrator advertises (16 bytes per pixel + 4 KiB), monotone in
 * every dimension (scratch sized for a larger shape serves a smaller one). */
static void test_scratch_sizes(void **state)
{
    static const size_t shapes[][3] = {{1, 1, 1},     {1, 100000, 1}, {100000, 1, 1},
                                       {1, 1, 50000}, {3, 2, 1},      {200, 300, 1},
                                       {512, 512, 1}, {64, 64, 64},   {7, 1, 9}};
    conseco_erosion_params p;
    conseco_shrinker s = conseco_shrinker_erosion(&p);
    size_t i, e;
    (void)state;
    conseco_erosion_params_default(&p);
    for (e = 1; e <= 3; e++) {
        p.element = (uint32_t)e;
        for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            const size_t w = shapes[i][0], h = shapes[i][1], d = shapes[i][2], n = w * h * d;
            const size_t size = conseco_scratch_size(&s, w, h, d);
            assert_true(size >= 4 * n);
            assert_true(size <= 16 * n + 4096 + 64);
            assert_true(conseco_scratch_size(&s, w + 1, h, d) >= size);
            assert_true(conseco_scratch_size(&s, w, h + 1, d) >= size);
            assert_true(conseco_scratch_size(&s, w, h, d + 1) >= size);
        }
    }
    {
        /* a 5x4 image scored with scratch sized for 9x7 */
        uint8_t yhat[20], truth[20] = {0};
        conseco_image im = conseco_image_2d(yhat, 5, 4, 5, CONSECO_DTYPE_MASK8);
        conseco_mask t = conseco_mask_2d(truth, 5, 4, 5);
        const size_t size = conseco_scratch_size(&s, 9, 7, 1);
        void *scratch = malloc(size);
        double score;
        memset(yhat, 1, sizeof yhat);
        p.element = CONSECO_ELEMENT_SQUARE;
        p.border = CONSECO_BORDER_BACKGROUND;
        assert_int_equal(conseco_score(&s, &im, &t, 0.0, scratch, size, &score), CONSECO_OK);
        assert_true(score == 2.0);
        free(scratch);
    }
}

/* Volumes scored with the cross take the 16-bit path (erosion_cross3d.c):
 * boxes wider and taller than its groups of eight rows, thin ones (one voxel
 * deep, wide or tall), every dtype and both policies, against the literal
 * reference. */
static void test_cross_volumes_random(void **state)
{
    tu_rng r = {404};
    size_t i;
    const size_t n = tu_cases(3000);
    (void)state;
    memset(&cov, 0, sizeof cov);
    for (i = 0; i < n; i++) {
        const int border = (i & 1) ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND;
        const size_t cls = tu_range(&r, 0, 9);
        if (cls < 2) /* thin along one axis */
            run_case(&r, CONSECO_ELEMENT_CROSS, border, tu_range(&r, 1, 2), tu_range(&r, 1, 30),
                     tu_range(&r, 2, 12), 0);
        else if (cls < 4)
            run_case(&r, CONSECO_ELEMENT_CROSS, border, tu_range(&r, 1, 40), tu_range(&r, 1, 2),
                     tu_range(&r, 2, 12), 0);
        else
            run_case(&r, CONSECO_ELEMENT_CROSS, border, tu_range(&r, 1, 28), tu_range(&r, 1, 28),
                     tu_range(&r, 2, 10), 0);
    }
    print_message("cross volumes: %d +inf, %d zero, %d >= 4, %d applies\n", cov.infinite,
                  cov.zero, cov.deep, cov.applies);
    if (n >= 3000) assert_true(cov.infinite >= 30 && cov.zero >= 300 && cov.deep >= 100);
}

/* The 16-bit path's limit: w + h + d = 0xFFFD still takes it (distances up
 * to 0xFFFA), one more voxel of width goes the general way; both exact. */
static void test_cross_volume_long(void **state)
{
    size_t k;
    (void)state;
    for (k = 0; k < 2; k++) {
        const size_t w = 0xFFFDu - 3u + k, n = 2 * w; /* w x 1 x 2 */
        uint8_t *yhat = malloc(n), *truth = calloc(n, 1);
        double s;
        memset(yhat, 1, n);
        yhat[0] = 0; /* (0, 0, 0): the far corner (w - 1, 0, 1) is w away */
        assert_int_equal(score_dense(yhat, truth, w, 1, 2, CONSECO_ELEMENT_CROSS,
                                     CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_OK);
        assert_true(s == (double)w);
        truth[n - 1] = 1; /* the second farthest: (w - 2, 0, 1) and (w - 1, 0, 0) */
        assert_int_equal(score_dense(yhat, truth, w, 1, 2, CONSECO_ELEMENT_CROSS,
                                     CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_OK);
        assert_true(s == (double)(w - 1));
        assert_int_equal(score_dense(yhat, truth, w, 1, 2, CONSECO_ELEMENT_CROSS,
                                     CONSECO_BORDER_BACKGROUND, 0.0, &s), CONSECO_OK);
        assert_true(s == 1.0); /* every voxel touches the outside */
        memset(yhat, 1, n); /* all Yhat, foreground border: never removed */
        assert_int_equal(score_dense(yhat, truth, w, 1, 2, CONSECO_ELEMENT_CROSS,
                                     CONSECO_BORDER_FOREGROUND, 0.0, &s), CONSECO_OK);
        assert_true(s == INFINITY);
        free(yhat);
        free(truth);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_examples),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_callbacks_special),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_scratch_sizes),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_callbacks_random),
        cmocka_unit_test(test_callbacks_through_custom_path),
        cmocka_unit_test(test_cross_random),
        cmocka_unit_test(test_cross_volumes_random),
        cmocka_unit_test(test_cross_volume_long),
        cmocka_unit_test(test_square_random),
        cmocka_unit_test(test_disk_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
