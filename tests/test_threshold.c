/* SPDX-License-Identifier: Apache-2.0 */
/* Threshold shrinker: the fast score/apply/evaluate paths against the literal
 * reference on thousands of random images, plus known answers and bad input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conseco.h"
#include "ref_threshold.h"
#include "test_util.h"

/* ------------------------------------------------------------ test images */
typedef struct tcase {
    size_t w, h, d, elem;
    unsigned char *pred_buf;
    uint8_t *truth_buf;
    conseco_image img;
    conseco_mask truth;
    conseco_threshold_params params;
    double tau;
} tcase;

static size_t elem_size(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_U16: return 2;
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_F64: return 8;
    default: return 1;
    }
}

/* Allocates a view with padded rows and slices; padding bytes are 0xFF
 * (NaN for floats, 255 for bytes) so reading them would change results. */
static void case_alloc(tcase *c, tu_rng *r, size_t w, size_t h, size_t d, int dtype)
{
    size_t rs, ss, ts, tss;
    c->w = w;
    c->h = h;
    c->d = d;
    c->elem = elem_size(dtype);
    rs = (w + tu_range(r, 0, 3)) * c->elem;
    ss = (h + tu_range(r, 0, 2)) * rs;
    ts = w + tu_range(r, 0, 5);
    tss = (h + tu_range(r, 0, 2)) * ts;
    c->pred_buf = malloc(ss * d);
    c->truth_buf = malloc(tss * d);
    assert_non_null(c->pred_buf);
    assert_non_null(c->truth_buf);
    memset(c->pred_buf, 0xFF, ss * d);
    memset(c->truth_buf, (int)tu_range(r, 0, 1) ? 0x01 : 0x00, tss * d);
    c->img = conseco_image_3d(c->pred_buf, w, h, d, rs, ss, dtype);
    c->truth = conseco_mask_3d(c->truth_buf, w, h, d, ts, tss);
}

static void case_free(tcase *c)
{
    free(c->pred_buf);
    free(c->truth_buf);
}

/* Writes raw score v (in [0, 1] or a float) at pixel (x, y, z) in the case's dtype. */
static void put_score(tcase *c, tu_rng *r, size_t x, size_t y, size_t z, double v)
{
    unsigned char *p = c->pred_buf + z * c->img.slice_stride + y * c->img.row_stride + x * c->elem;
    if (v < 0.0) v = 0.0;
    switch (c->img.dtype) {
    case CONSECO_DTYPE_U8: *p = (unsigned char)lround(v > 1.0 ? 255.0 : v * 255.0); break;
    case CONSECO_DTYPE_U16: {
        const uint16_t u = (uint16_t)lround(v > 1.0 ? 65535.0 : v * 65535.0);
        memcpy(p, &u, 2);
        break;
    }
    case CONSECO_DTYPE_F32: {
        const float f = (float)v;
        memcpy(p, &f, 4);
        break;
    }
    case CONSECO_DTYPE_F64: memcpy(p, &v, 8); break;
    default: *p = v >= 0.5 ? (unsigned char)tu_range(r, 1, 255) : 0; break;
    }
}

static void put_truth(tcase *c, size_t x, size_t y, size_t z, int inside)
{
    c->truth_buf[z * c->truth.slice_stride + y * c->truth.row_stride + x] = (uint8_t)inside;
}

typedef struct ellipse {
    double cx, cy, cz, rx, ry, rz;
} ellipse;

static void random_ellipses(tu_rng *r, const tcase *c, ellipse *e, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        e[i].cx = tu_uniform(r) * (double)c->w;
        e[i].cy = tu_uniform(r) * (double)c->h;
        e[i].cz = tu_uniform(r) * (double)c->d;
        e[i].rx = 0.5 + tu_uniform(r) * (double)c->w * 0.6;
        e[i].ry = 0.5 + tu_uniform(r) * (double)c->h * 0.6;
        e[i].rz = 0.5 + tu_uniform(r) * (double)c->d * 0.6;
    }
}

/* 1 at an ellipse centre, 0 at its rim, max over ellipses, clipped to >= 0. */
static double ellipse_value(const ellipse *e, size_t n, size_t x, size_t y, size_t z)
{
    double best = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        const double dx = ((double)x + 0.5 - e[i].cx) / e[i].rx;
        const double dy = ((double)y + 0.5 - e[i].cy) / e[i].ry;
        const double dz = ((double)z + 0.5 - e[i].cz) / e[i].rz;
        const double v = 1.0 - sqrt(dx * dx + dy * dy + dz * dz);
        if (v > best) best = v;
    }
    return best;
}

/* Fills scores with one of several patterns. `levels` > 0 quantises to
 * that many steps (bounds the literal reference's work on large maps). */
static void fill_scores(tcase *c, tu_rng *r, unsigned levels)
{
    const unsigned pattern = (unsigned)tu_range(r, 0, 7);
    const double few = (double)tu_range(r, 1, 6);
    const double gain = 0.8 + tu_uniform(r);
    ellipse e[4];
    const size_t ne = tu_range(r, 1, 4);
    double lo = INFINITY, hi = -INFINITY;
    size_t x, y, z, pass;
    random_ellipses(r, c, e, ne);
    /* pattern 6 is min-max normalised: a first pass finds the range */
    for (pass = (pattern == 6 ? 0 : 1); pass < 2; pass++) {
        tu_rng keep = *r;
        for (z = 0; z < c->d; z++)
            for (y = 0; y < c->h; y++)
                for (x = 0; x < c->w; x++) {
                    double v;
                    switch (pattern) {
                    case 0: v = tu_uniform(r); break;
                    case 1: v = ellipse_value(e, ne, x, y, z) * gain; break;
                    case 2: v = ellipse_value(e, ne, x, y, z) + 0.3 * (tu_uniform(r) - 0.5); break;
                    case 3:
                        v = floor(tu_uniform(r) * (few + 1.0)) / few;
                        break; /* heavy ties, 1.0 */
                    case 4: v = tu_uniform(r) * 0.49; break; /* empty prediction at base 0.5 */
                    case 5: v = tu_range(r, 0, 3) == 0 ? 1.0 : tu_uniform(r); break; /* saturated */
                    case 6: v = ellipse_value(e, ne, x, y, z) + 0.2 * tu_uniform(r); break;
                    default: v = tu_range(r, 0, 1) ? 1.0 : 0.0; break;
                    }
                    if (pass == 0) {
                        if (v < lo) lo = v;
                        if (v > hi) hi = v;
                        continue;
                    }
                    if (pattern == 6) v = hi > lo ? (v - lo) / (hi - lo) : 1.0;
                    if (levels > 0 && v >= 0.0 && v <= 1.0)
                        v = floor(v * (double)levels) / (double)levels;
                    put_score(c, r, x, y, z, v);
                }
        if (pass == 0) *r = keep;
    }
}

static void fill_truth(tcase *c, tu_rng *r)
{
    const unsigned pattern = (unsigned)tu_range(r, 0, 5);
    const double density = tu_uniform(r);
    ellipse e[3];
    const size_t ne = tu_range(r, 1, 3);
    size_t x, y, z;
    random_ellipses(r, c, e, ne);
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) {
                const double s = ref_pixel(&c->img, x, y, z);
                int in;
                switch (pattern) {
                case 0: in = tu_uniform(r) < density; break;
                case 1: in = ellipse_value(e, ne, x, y, z) > 0.0; break;
                case 2: in = s >= c->params.base; break; /* no false positives */
                case 3: in = (s >= 0.7) != (tu_uniform(r) < 0.1); break;
                case 4: in = 0; break;
                default: in = ellipse_value(e, ne, x, y, z) > 0.0 || tu_uniform(r) < 0.05; break;
                }
                /* any nonzero byte means inside */
                put_truth(c, x, y, z, in ? (int)tu_range(r, 1, 255) : 0);
            }
}

/* A score of some pixel of the map (for params and lambdas at exact ties). */
static double some_pixel(const tcase *c, tu_rng *r)
{
    return ref_pixel(&c->img, tu_range(r, 0, c->w - 1), tu_range(r, 0, c->h - 1),
                     tu_range(r, 0, c->d - 1));
}

static void pick_params(tcase *c, tu_rng *r)
{
    conseco_threshold_params_default(&c->params);
    switch (tu_range(r, 0, 9)) {
    case 0:
        c->params.base = 0.3;
        c->params.top = 0.9;
        break;
    case 1: c->params.base = c->params.top = tu_range(r, 0, 1) ? 0.5 : some_pixel(c, r); break;
    case 2: {
        const double a = some_pixel(c, r), b = some_pixel(c, r);
        c->params.base = a < b ? a : b;
        c->params.top = a < b ? b : a;
        break;
    }
    case 3:
        c->params.base = -0.25;
        c->params.top = 1.5;
        break;
    case 4:
        c->params.base = 0.1 + 0.5 * tu_uniform(r);
        c->params.top = 0.75;
        break;
    default: conseco_threshold_params_default(&c->params); break;
    }
    if (c->params.base > c->params.top) c->params.top = c->params.base;
}

static size_t count_predicted(const tcase *c)
{
    size_t x, y, z, n = 0;
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) n += ref_pixel(&c->img, x, y, z) >= c->params.base;
    return n;
}

static void pick_tau(tcase *c, tu_rng *r)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.1, 0.5, 1.0};
    const size_t k = tu_range(r, 0, 8);
    if (k < 6) {
        c->tau = taus[k];
    } else if (k == 6) {
        c->tau = tu_uniform(r);
    } else {
        /* exactly at an edge of the rule (double)kept / |Yhat| <= tau */
        const size_t n = count_predicted(c);
        c->tau = n ? (double)tu_range(r, 0, n) / (double)n : 0.0;
    }
}

/* ------------------------------------------------------------- comparisons */
static void *scratch_for(size_t size, unsigned off, void **base)
{
    /* an odd offset proves the library aligns scratch itself */
    *base = malloc(size + 16);
    assert_non_null(*base);
    return (unsigned char *)*base + off;
}

static int same(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static void check_apply(const tcase *c, tu_rng *r, double lambda)
{
    conseco_threshold_params params = c->params;
    const conseco_shrinker shr = conseco_shrinker_threshold(&params);
    const size_t n = c->w * c->h * c->d;
    const size_t rs = c->w + tu_range(r, 0, 3), ss = rs * c->h + tu_range(r, 0, 7);
    uint8_t *inner = malloc(ss * c->d), *unc = malloc(ss * c->d);
    uint8_t *ri = malloc(n), *ru = malloc(n);
    conseco_mask_out mi = conseco_mask_out_3d(inner, c->w, c->h, c->d, rs, ss);
    conseco_mask_out mu = conseco_mask_out_3d(unc, c->w, c->h, c->d, rs, ss);
    const unsigned which = (unsigned)tu_range(r, 0, 2); /* both, inner only, uncertain only */
    size_t x, y, z, i = 0;
    conseco_image_metrics got, want;
    memset(inner, 0xAA, ss * c->d);
    memset(unc, 0xAA, ss * c->d);
    assert_int_equal(conseco_apply(&shr, &c->img, lambda, NULL, 0, which == 2 ? NULL : &mi,
                                   which == 1 ? NULL : &mu),
                     CONSECO_OK);
    ref_threshold_apply(&c->params, &c->img, lambda, ri, ru);
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < rs; x++) {
                const size_t at = z * ss + y * rs + x;
                if (x >= c->w) { /* padding untouched */
                    assert_int_equal(inner[at], 0xAA);
                    assert_int_equal(unc[at], 0xAA);
                    continue;
                }
                assert_int_equal(inner[at], which == 2 ? 0xAA : ri[i]);
                assert_int_equal(unc[at], which == 1 ? 0xAA : ru[i]);
                i++;
            }
    assert_int_equal(
        conseco_evaluate_image(&shr, &c->img, &c->truth, lambda, c->tau, NULL, 0, &got),
        CONSECO_OK);
    ref_threshold_metrics(&c->params, &c->img, &c->truth, lambda, c->tau, &want);
    assert_true(got.predicted == want.predicted);
    assert_true(got.inner == want.inner);
    assert_true(got.inner_fp == want.inner_fp);
    assert_true(got.inner_tp == want.inner_tp);
    assert_true(got.afp == want.afp);
    assert_true(got.cr == want.cr);
    assert_true(got.atp == want.atp);
    assert_int_equal(got.valid, want.valid);
    free(inner);
    free(unc);
    free(ri);
    free(ru);
}

/* The vtable callbacks against the reference: levels, dense apply, breakpoints. */
static void check_callbacks(const tcase *c, tu_rng *r)
{
    conseco_threshold_params params = c->params;
    const conseco_shrinker_vtable *vt = conseco_threshold_vtable();
    const size_t n = c->w * c->h * c->d;
    double *lv = malloc(n * sizeof *lv), *bp = malloc((n + 2) * sizeof *bp);
    double *rb = malloc((n + 2) * sizeof *rb);
    uint8_t *in = malloc(n), *ri = malloc(n), *ru = malloc(n);
    const double lambda = some_pixel(c, r);
    size_t x, y, z, i = 0, nb, rnb;
    assert_int_equal(vt->levels(&params, &c->img, lv, n), CONSECO_OK);
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++, i++) {
                const double s = ref_pixel(&c->img, x, y, z);
                assert_true(lv[i] == (s >= c->params.base ? s : -INFINITY));
            }
    assert_int_equal(vt->apply(&params, &c->img, lambda, in, n), CONSECO_OK);
    ref_threshold_apply(&c->params, &c->img, lambda, ri, ru);
    assert_memory_equal(in, ri, n);
    rnb = ref_threshold_breakpoints(&c->params, &c->img, rb);
    assert_int_equal(vt->breakpoints(&params, &c->img, bp, n + 2, &nb), CONSECO_OK);
    assert_int_equal(nb, rnb);
    assert_memory_equal(bp, rb, nb * sizeof *bp);
    /* exactly the distinct count fits (forces compaction); one less does not */
    nb = 0;
    assert_int_equal(vt->breakpoints(&params, &c->img, bp, rnb, &nb), CONSECO_OK);
    assert_int_equal(nb, rnb);
    assert_memory_equal(bp, rb, nb * sizeof *bp);
    assert_int_equal(vt->breakpoints(&params, &c->img, bp, rnb - 1, &nb),
                     CONSECO_E_BUFFER_TOO_SMALL);
    free(lv);
    free(bp);
    free(rb);
    free(in);
    free(ri);
    free(ru);
}

typedef struct stats {
    size_t cases, inf_scores, base_scores, mid_scores, large, volumes, empty, no_fp;
    size_t by_dtype[6];
} stats;

static void run_case(tu_rng *r, size_t w, size_t h, size_t d, int dtype, unsigned levels, int deep,
                     stats *st)
{
    tcase c;
    conseco_shrinker shr;
    size_t need;
    void *base;
    unsigned char *scratch;
    double got = -1.0, want;
    case_alloc(&c, r, w, h, d, dtype);
    fill_scores(&c, r, levels);
    pick_params(&c, r);
    fill_truth(&c, r);
    pick_tau(&c, r);
    shr = conseco_shrinker_threshold(&c.params);
    need = conseco_scratch_size(&shr, w, h, d);
    assert_true(need > 0);
    scratch = scratch_for(need, (unsigned)tu_range(r, 0, 15), &base);
    assert_int_equal(conseco_score(&shr, &c.img, &c.truth, c.tau, scratch, need, &got), CONSECO_OK);
    want = ref_threshold_score(&c.params, &c.img, &c.truth, c.tau);
    if (!same(got, want)) {
        fprintf(stderr,
                "mismatch: %zux%zux%zu dtype %d base %.17g top %.17g tau %.17g: "
                "got %.17g want %.17g\n",
                w, h, d, dtype, c.params.base, c.params.top, c.tau, got, want);
    }
    assert_true(same(got, want));
    st->cases++;
    st->by_dtype[dtype]++;
    if (isinf(got))
        st->inf_scores++;
    else if (got == c.params.base)
        st->base_scores++;
    else
        st->mid_scores++;
    if (w * h * d > 5000) st->large++;
    if (d > 1) st->volumes++;
    {
        conseco_image_metrics at_base;
        ref_threshold_metrics(&c.params, &c.img, &c.truth, c.params.base, c.tau, &at_base);
        if (at_base.predicted == 0) st->empty++;
        else if (at_base.inner_fp == 0) st->no_fp++;
    }
    /* apply and evaluate at the score, +inf, and other lambdas */
    check_apply(&c, r, got);
    check_apply(&c, r, INFINITY);
    if (deep) {
        check_apply(&c, r, -INFINITY);
        check_apply(&c, r, some_pixel(&c, r));
        check_apply(&c, r, c.params.base - 0.1);
        check_apply(&c, r, nextafter(some_pixel(&c, r), 2.0));
        check_apply(&c, r, tu_uniform(r) * 1.4 - 0.2);
        if (isfinite(got)) {
            /* the score is admissible on its own image */
            conseco_image_metrics m;
            assert_int_equal(
                conseco_evaluate_image(&shr, &c.img, &c.truth, got, c.tau, NULL, 0, &m),
                CONSECO_OK);
            assert_true(m.valid);
        }
        check_callbacks(&c, r);
        /* one byte short of the advertised scratch is refused */
        assert_int_equal(conseco_score(&shr, &c.img, &c.truth, c.tau, scratch, need - 1, &got),
                         CONSECO_E_SCRATCH_TOO_SMALL);
    }
    free(base);
    case_free(&c);
}

static int random_dtype(tu_rng *r)
{
    return (int)tu_range(r, CONSECO_DTYPE_U8, CONSECO_DTYPE_MASK8);
}

static void test_random_small(void **state)
{
    tu_rng r = {0x7E5E0001u};
    stats st;
    size_t i;
    (void)state;
    memset(&st, 0, sizeof st);
    for (i = 0; i < 10000; i++) {
        const size_t kind = tu_range(&r, 0, 19);
        if (kind < 17) {
            run_case(&r, tu_range(&r, 1, 16), tu_range(&r, 1, 16), 1, random_dtype(&r), 0,
                     i % 4 == 0, &st);
        } else {
            /* 3-D volumes */
            run_case(&r, tu_range(&r, 1, 9), tu_range(&r, 1, 9), tu_range(&r, 2, 6),
                     random_dtype(&r), 0, i % 4 == 0, &st);
        }
    }
    /* the generator really produced every kind of outcome */
    assert_true(st.cases == 10000);
    assert_true(st.inf_scores > 200);
    assert_true(st.base_scores > 200);
    assert_true(st.mid_scores > 2000);
    assert_true(st.volumes > 500);
    assert_true(st.empty > 200);
    assert_true(st.no_fp > 200);
    fprintf(stderr, "random: %zu cases, %zu +inf, %zu base, %zu between, %zu empty, %zu no FP\n",
            st.cases, st.inf_scores, st.base_scores, st.mid_scores, st.empty, st.no_fp);
    for (i = CONSECO_DTYPE_U8; i <= CONSECO_DTYPE_MASK8; i++) assert_true(st.by_dtype[i] > 1000);
}

static void test_random_large(void **state)
{
    tu_rng r = {0x7E5E0002u};
    stats st;
    size_t i;
    (void)state;
    memset(&st, 0, sizeof st);
    for (i = 0; i < 120; i++) {
        /* quantised scores keep the literal reference at a few hundred breakpoints */
        const unsigned levels = (unsigned)tu_range(&r, 16, 200);
        if (i % 10 == 9)
            run_case(&r, tu_range(&r, 20, 60), tu_range(&r, 20, 60), tu_range(&r, 4, 16),
                     random_dtype(&r), levels, i % 20 == 9, &st);
        else
            run_case(&r, tu_range(&r, 40, 200), tu_range(&r, 40, 300), 1, random_dtype(&r), levels,
                     i % 20 == 0, &st);
    }
    /* 16-bit maps above 73728 pixels take the 65536-bin histogram */
    for (i = 0; i < 12; i++)
        run_case(&r, tu_range(&r, 272, 300), 280, 1, CONSECO_DTYPE_U16,
                 (unsigned)tu_range(&r, 50, 300), i < 2, &st);
    /* many distinct float scores on a mid-sized map */
    for (i = 0; i < 30; i++)
        run_case(&r, tu_range(&r, 30, 60), tu_range(&r, 30, 60), 1,
                 (int)tu_range(&r, CONSECO_DTYPE_F32, CONSECO_DTYPE_F64), 0, i % 5 == 0, &st);
    assert_true(st.large > 100);
    assert_true(st.mid_scores > 20);
}

/* ------------------------------------------------------------ known answers */
static double score_f64(const double *s, const uint8_t *t, size_t n, double base, double top,
                        double tau)
{
    conseco_threshold_params p;
    conseco_shrinker shr;
    conseco_image img = conseco_image_2d(s, n, 1, n * sizeof(double), CONSECO_DTYPE_F64);
    conseco_mask truth = conseco_mask_2d(t, n, 1, n);
    unsigned char scratch[4096];
    double out = -1.0;
    conseco_threshold_params_default(&p);
    p.base = base;
    p.top = top;
    shr = conseco_shrinker_threshold(&p);
    assert_true(conseco_scratch_size(&shr, n, 1, 1) <= sizeof scratch);
    assert_int_equal(conseco_score(&shr, &img, &truth, tau, scratch, sizeof scratch, &out),
                     CONSECO_OK);
    return out;
}

static void test_known_answers(void **state)
{
    const double s[4] = {0.6, 0.7, 0.8, 0.9};
    const double sat[4] = {0.6, 0.7, 0.8, 1.0};
    const uint8_t none[4] = {0, 0, 0, 0}, all[4] = {1, 1, 1, 1}, low[4] = {1, 1, 0, 0};
    (void)state;
    /* 4 predicted, all false: tau 0.5 allows 2 kept, so lambda must pass 0.7 */
    assert_true(score_f64(s, none, 4, 0.5, 1.0, 0.5) == 0.8);
    assert_true(score_f64(s, none, 4, 0.5, 1.0, 0.25) == 0.9);
    /* tau 0: everything must go; top removes 0.9 */
    assert_true(score_f64(s, none, 4, 0.5, 1.0, 0.0) == 1.0);
    /* a false positive at exactly top can never be removed: +inf */
    assert_true(isinf(score_f64(sat, none, 4, 0.5, 1.0, 0.0)));
    /* a good prediction scores base */
    assert_true(score_f64(s, all, 4, 0.5, 1.0, 0.0) == 0.5);
    /* false positives at the top go only with top itself */
    assert_true(score_f64(s, low, 4, 0.5, 1.0, 0.0) == 1.0);
    /* false positives at the bottom: the first true pixel's score */
    assert_true(score_f64(s, (const uint8_t[]){0, 0, 1, 1}, 4, 0.5, 1.0, 0.0) == 0.8);
    /* empty prediction scores base */
    assert_true(score_f64(s, none, 4, 0.95, 1.0, 0.0) == 0.95);
    /* base == top: one breakpoint, else +inf */
    assert_true(isinf(score_f64(s, none, 4, 0.7, 0.7, 0.0)));
    assert_true(score_f64(s, none, 4, 0.7, 0.7, 1.0) == 0.7);
    /* the double-division rule: 1/3 <= 0.33333333333333331 (the double nearest 1/3) */
    {
        const double three[3] = {0.6, 0.7, 0.8};
        assert_true(score_f64(three, none, 3, 0.5, 1.0, 1.0 / 3.0) == 0.8);
        assert_true(score_f64(three, none, 3, 0.5, 1.0, nextafter(1.0 / 3.0, 0.0)) == 1.0);
    }
}

static void test_u8_ties(void **state)
{
    /* 8-bit map with heavy ties: 10 pixels at 200, 10 at 250, 5 at 255 (1.0) */
    uint8_t map[25], truth[25];
    unsigned char scratch[8192];
    conseco_threshold_params p;
    conseco_shrinker shr = conseco_shrinker_threshold(&p);
    conseco_image img = conseco_image_2d(map, 25, 1, 25, CONSECO_DTYPE_U8);
    conseco_mask t = conseco_mask_2d(truth, 25, 1, 25);
    double out;
    size_t i;
    (void)state;
    conseco_threshold_params_default(&p);
    for (i = 0; i < 25; i++) {
        map[i] = (uint8_t)(i < 10 ? 200 : i < 20 ? 250 : 255);
        truth[i] = i >= 20; /* the saturated pixels are true, the rest false */
    }
    /* 20 FP of 25: tau 0.4 allows 10 -> must pass 200 -> 250/255 */
    assert_int_equal(conseco_score(&shr, &img, &t, 0.4, scratch, sizeof scratch, &out), CONSECO_OK);
    assert_true(out == 250.0 / 255.0);
    /* tau 0.39 allows 9 -> must pass 250 -> 1.0 (pixel and top) */
    assert_int_equal(conseco_score(&shr, &img, &t, 0.39, scratch, sizeof scratch, &out),
                     CONSECO_OK);
    assert_true(out == 1.0);
    /* all false: 1.0 pixels can never go */
    memset(truth, 0, sizeof truth);
    assert_int_equal(conseco_score(&shr, &img, &t, 0.1, scratch, sizeof scratch, &out), CONSECO_OK);
    assert_true(isinf(out));
    /* MASK8: score 1 for every nonzero byte; all-false Yhat -> +inf unless tau = 1 */
    img.dtype = CONSECO_DTYPE_MASK8;
    assert_int_equal(conseco_score(&shr, &img, &t, 0.5, scratch, sizeof scratch, &out), CONSECO_OK);
    assert_true(isinf(out));
    assert_int_equal(conseco_score(&shr, &img, &t, 1.0, scratch, sizeof scratch, &out), CONSECO_OK);
    assert_true(out == 0.5);
}

/* --------------------------------------------------------------- bad input */
static void test_bad_input(void **state)
{
    double map[6] = {0.1, 0.6, 0.7, 0.8, 0.9, 1.0};
    float fmap[6] = {0.1f, 0.6f, 0.7f, 0.8f, 0.9f, 1.0f};
    uint8_t truth[6] = {0, 0, 1, 1, 0, 0}, out_buf[6], unc_buf[6];
    unsigned char scratch[4096];
    double levels[6], bps[8], score = -1.0;
    size_t nb = 0;
    conseco_threshold_params p, bad;
    conseco_shrinker shr = conseco_shrinker_threshold(&p),
                     badshr = conseco_shrinker_threshold(&bad);
    conseco_image img = conseco_image_2d(map, 3, 2, 3 * sizeof(double), CONSECO_DTYPE_F64);
    conseco_image fimg = conseco_image_2d(fmap, 3, 2, 3 * sizeof(float), CONSECO_DTYPE_F32);
    conseco_mask t = conseco_mask_2d(truth, 3, 2, 3), t_small = conseco_mask_2d(truth, 2, 2, 3);
    conseco_mask_out o = conseco_mask_out_2d(out_buf, 3, 2, 3);
    conseco_mask_out u = conseco_mask_out_2d(unc_buf, 3, 2, 3);
    conseco_mask_out o_small = conseco_mask_out_2d(out_buf, 3, 1, 3);
    const conseco_shrinker_vtable *vt = conseco_threshold_vtable();
    conseco_image_metrics m;
    size_t need;
    (void)state;
    conseco_threshold_params_default(&p);
    conseco_threshold_params_default(&bad); /* a valid header; only base/top are made bad */
    need = conseco_scratch_size(&shr, 3, 2, 1); /* after the params are set */
    assert_true(need > 0 && need <= sizeof scratch);
    assert_int_equal(conseco_score(&shr, &img, &t, 0.1, scratch, need, &score), CONSECO_OK);
    assert_int_equal(conseco_score(&shr, &fimg, &t, 0.1, scratch, need, &score), CONSECO_OK);
    /* NULLs */
    assert_int_equal(conseco_score(NULL, &img, &t, 0.1, scratch, need, &score), CONSECO_E_NULL);
    assert_int_equal(conseco_score(&shr, NULL, &t, 0.1, scratch, need, &score), CONSECO_E_NULL);
    assert_int_equal(conseco_score(&shr, &img, NULL, 0.1, scratch, need, &score), CONSECO_E_NULL);
    assert_int_equal(conseco_score(&shr, &img, &t, 0.1, scratch, need, NULL), CONSECO_E_NULL);
    assert_int_equal(conseco_score(&shr, &img, &t, 0.1, NULL, need, &score), CONSECO_E_NULL);
    /* scratch too small, or none */
    assert_int_equal(conseco_score(&shr, &img, &t, 0.1, scratch, need - 1, &score),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_score(&shr, &img, &t, 0.1, NULL, 0, &score),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    /* tau outside [0, 1] or NaN */
    assert_int_equal(conseco_score(&shr, &img, &t, -0.01, scratch, need, &score),
                     CONSECO_E_BAD_TAU);
    assert_int_equal(conseco_score(&shr, &img, &t, 1.01, scratch, need, &score), CONSECO_E_BAD_TAU);
    assert_int_equal(conseco_score(&shr, &img, &t, NAN, scratch, need, &score), CONSECO_E_BAD_TAU);
    assert_int_equal(conseco_evaluate_image(&shr, &img, &t, 0.7, NAN, NULL, 0, &m),
                     CONSECO_E_BAD_TAU);
    /* size mismatch */
    assert_int_equal(conseco_score(&shr, &img, &t_small, 0.1, scratch, need, &score),
                     CONSECO_E_SIZE_MISMATCH);
    assert_int_equal(conseco_apply(&shr, &img, 0.7, NULL, 0, &o_small, NULL),
                     CONSECO_E_SIZE_MISMATCH);
    assert_int_equal(conseco_evaluate_image(&shr, &img, &t_small, 0.7, 0.1, NULL, 0, &m),
                     CONSECO_E_SIZE_MISMATCH);
    /* bad params: base > top, NaN, infinite */
    bad.base = 0.9;
    bad.top = 0.8;
    assert_int_equal(conseco_score(&badshr, &img, &t, 0.1, scratch, need, &score),
                     CONSECO_E_BAD_SHRINKER);
    assert_int_equal(conseco_apply(&badshr, &img, 0.7, NULL, 0, &o, NULL), CONSECO_E_BAD_SHRINKER);
    assert_int_equal(vt->levels(&bad, &img, levels, 6), CONSECO_E_BAD_SHRINKER);
    bad.base = NAN;
    bad.top = 1.0;
    assert_int_equal(conseco_score(&badshr, &img, &t, 0.1, scratch, need, &score),
                     CONSECO_E_BAD_SHRINKER);
    bad.base = 0.5;
    bad.top = INFINITY;
    assert_int_equal(conseco_score(&badshr, &img, &t, 0.1, scratch, need, &score),
                     CONSECO_E_BAD_SHRINKER);
    assert_int_equal(vt->levels(NULL, &img, levels, 6), CONSECO_E_NULL);
    /* NaN lambda */
    assert_int_equal(conseco_apply(&shr, &img, NAN, NULL, 0, &o, &u), CONSECO_E_BAD_LAMBDA);
    assert_int_equal(conseco_evaluate_image(&shr, &img, &t, NAN, 0.1, NULL, 0, &m),
                     CONSECO_E_BAD_LAMBDA);
    assert_int_equal(vt->apply(&p, &img, NAN, out_buf, 6), CONSECO_E_BAD_LAMBDA);
    /* non-finite scores, wherever they are in the map, in every entry point */
    {
        const double specials[3] = {NAN, INFINITY, -INFINITY};
        size_t i, at;
        for (i = 0; i < 3; i++)
            for (at = 0; at < 6; at++) {
                const double keep = map[at];
                const float fkeep = fmap[at];
                map[at] = specials[i];
                fmap[at] = (float)specials[i];
                assert_int_equal(conseco_score(&shr, &img, &t, 0.1, scratch, need, &score),
                                 CONSECO_E_NONFINITE);
                assert_int_equal(conseco_score(&shr, &fimg, &t, 0.1, scratch, need, &score),
                                 CONSECO_E_NONFINITE);
                memset(out_buf, 7, sizeof out_buf);
                assert_int_equal(conseco_apply(&shr, &img, 0.7, NULL, 0, &o, NULL),
                                 CONSECO_E_NONFINITE);
                assert_int_equal(out_buf[0], 7); /* nothing written on failure */
                assert_int_equal(conseco_evaluate_image(&shr, &fimg, &t, 0.7, 0.1, NULL, 0, &m),
                                 CONSECO_E_NONFINITE);
                assert_int_equal(vt->levels(&p, &img, levels, 6), CONSECO_E_NONFINITE);
                assert_int_equal(vt->apply(&p, &fimg, 0.7, out_buf, 6), CONSECO_E_NONFINITE);
                assert_int_equal(vt->breakpoints(&p, &img, bps, 8, &nb), CONSECO_E_NONFINITE);
                map[at] = keep;
                fmap[at] = fkeep;
            }
    }
    /* NaN in the row padding is never read */
    {
        double padded[2][4] = {{0.6, 0.7, 0.8, NAN}, {0.9, 0.2, 1.0, NAN}};
        conseco_image pimg = conseco_image_2d(padded, 3, 2, 4 * sizeof(double), CONSECO_DTYPE_F64);
        assert_int_equal(conseco_score(&shr, &pimg, &t, 0.1, scratch, need, &score), CONSECO_OK);
        assert_int_equal(conseco_apply(&shr, &pimg, 0.7, NULL, 0, &o, &u), CONSECO_OK);
    }
    /* callback buffers too small */
    assert_int_equal(vt->levels(&p, &img, levels, 5), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(vt->apply(&p, &img, 0.7, out_buf, 5), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(vt->breakpoints(&p, &img, bps, 1, &nb), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(vt->breakpoints(&p, &img, bps, 5, &nb), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(vt->breakpoints(&p, &img, bps, 6, &nb), CONSECO_OK); /* 0.5 .. 1.0 */
    assert_int_equal(nb, 6);
    assert_int_equal(vt->breakpoints(&p, &img, bps, 6, NULL), CONSECO_E_NULL);
    assert_int_equal(vt->levels(&p, &img, NULL, 6), CONSECO_E_NULL);
    /* scratch size: 0 for zero or overflowing dimensions */
    assert_int_equal(conseco_scratch_size(&shr, 0, 5, 1), 0);
    assert_int_equal(conseco_scratch_size(&shr, SIZE_MAX / 2, 3, 1), 0);
    assert_int_equal(conseco_scratch_size(&shr, SIZE_MAX / 8, 1, 1), 0);
    assert_true(conseco_scratch_size(&shr, 1, 1, 1) > 0);
}

/* Scratch grows with pixels at 8 bytes each, and has a fixed floor for the 8-bit histogram. */
static void test_scratch_size(void **state)
{
    conseco_threshold_params p;
    conseco_shrinker shr = conseco_shrinker_threshold(&p);
    size_t small, big;
    (void)state;
    conseco_threshold_params_default(&p);
    small = conseco_scratch_size(&shr, 1, 1, 1);
    big = conseco_scratch_size(&shr, 1000, 1000, 2);
    assert_true(small >= 256 && small <= 4096);
    assert_true(big >= 16000000 && big <= 16000000 + 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers), cmocka_unit_test(test_u8_ties),
        cmocka_unit_test(test_bad_input),     cmocka_unit_test(test_scratch_size),
        cmocka_unit_test(test_random_small),  cmocka_unit_test(test_random_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
