/* SPDX-License-Identifier: Apache-2.0 */
/* Smooth shrinker: the level map against a literal per-pixel convolution
 * (or a literal min over the element), the score against a literal
 * breakpoint walk over the library's own levels, apply and evaluate against
 * the levels, on thousands of random 2-D and 3-D cases; bad params; state. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CONSECO_STATIC_LINKING_ONLY /* CONSECO_CALIBRATOR_WORKSPACE_BOUND */
#include "conseco.h"
#include "ref_smooth.h"
#include "ref_threshold.h"
#include "test_util.h"

/* test_golden_bits: measured on x86-64 (SSE2, NO_SIMD, -march=native; gcc and clang) and
 * aarch64 (gcc, c11 and gnu11, under qemu): all equal. */
#define GOLDEN_HASH 0x19fc8c2b4bf86cb4ull

typedef struct scase {
    size_t w, h, d, n, elem;
    unsigned char *pred_buf;
    uint8_t *truth_buf;
    conseco_image img;
    conseco_mask truth;
    conseco_smooth_params params;
    double tau;
} scase;

static size_t elem_size(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_U16: return 2;
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_F64: return 8;
    default: return 1;
    }
}

/* Padded rows and slices filled with 0xFF (NaN for floats): reading padding shows. */
static void case_alloc(scase *c, tu_rng *r, size_t w, size_t h, size_t d, int dtype)
{
    size_t rs, ss, ts, tss;
    c->w = w;
    c->h = h;
    c->d = d;
    c->n = w * h * d;
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
    memset(c->truth_buf, 0x00, tss * d);
    c->img = conseco_image_3d(c->pred_buf, w, h, d, rs, ss, dtype);
    c->truth = conseco_mask_3d(c->truth_buf, w, h, d, ts, tss);
}

static void case_free(scase *c)
{
    free(c->pred_buf);
    free(c->truth_buf);
}

static void put_score(scase *c, size_t x, size_t y, size_t z, double v)
{
    unsigned char *p = c->pred_buf + z * c->img.slice_stride + y * c->img.row_stride + x * c->elem;
    switch (c->img.dtype) {
    case CONSECO_DTYPE_U8: *p = (unsigned char)lround(v < 0 ? 0 : v > 1.0 ? 255.0 : v * 255.0); break;
    case CONSECO_DTYPE_U16: {
        const uint16_t u = (uint16_t)lround(v < 0 ? 0 : v > 1.0 ? 65535.0 : v * 65535.0);
        memcpy(p, &u, 2);
        break;
    }
    case CONSECO_DTYPE_F32: {
        const float f = (float)v;
        memcpy(p, &f, 4);
        break;
    }
    case CONSECO_DTYPE_F64: memcpy(p, &v, 8); break;
    default: *p = v >= 0.5 ? 7 : 0; break;
    }
}

/* Scores: noise, blobs, heavy ties, saturated plateaus, logits, empty Yhat. */
static void fill(scase *c, tu_rng *r)
{
    const unsigned pattern = (unsigned)tu_range(r, 0, 6);
    const double few = (double)tu_range(r, 1, 5);
    const double cx = tu_uniform(r) * (double)c->w, cy = tu_uniform(r) * (double)c->h;
    const double cz = tu_uniform(r) * (double)c->d, rad = 1.0 + tu_uniform(r) * (double)c->w;
    const unsigned tpat = (unsigned)tu_range(r, 0, 4);
    size_t x, y, z;
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++)
            for (x = 0; x < c->w; x++) {
                const double dx = (double)x - cx, dy = (double)y - cy, dz = (double)z - cz;
                const double blob = 1.0 - sqrt(dx * dx + dy * dy + dz * dz) / rad;
                double v;
                int t;
                switch (pattern) {
                case 0: v = tu_uniform(r); break;
                case 1: v = blob + 0.3 * (tu_uniform(r) - 0.5); break;
                case 2: v = floor(tu_uniform(r) * (few + 1.0)) / few; break;
                case 3: v = blob > 0.3 ? 1.0 : tu_uniform(r); break;
                case 4: v = 8.0 * (tu_uniform(r) - 0.5); break; /* logits */
                case 5: v = tu_uniform(r) * 0.3; break;         /* nothing at base 0.5 */
                default: v = tu_range(r, 0, 1) ? 1.0 : 0.0; break;
                }
                put_score(c, x, y, z, v);
                switch (tpat) {
                case 0: t = tu_uniform(r) < 0.5; break;
                case 1: t = blob > 0.2; break;
                case 2: t = 0; break;
                case 3: t = 1; break;
                default: t = blob > 0.0 || tu_uniform(r) < 0.05; break;
                }
                c->truth_buf[z * c->truth.slice_stride + y * c->truth.row_stride + x] =
                    (uint8_t)(t ? tu_range(r, 1, 255) : 0);
            }
}

static void random_params(scase *c, tu_rng *r)
{
    static const double taus[] = {0.0, 0.01, 0.05, 0.1, 0.2, 0.5, 1.0};
    conseco_smooth_params_default(&c->params);
    c->params.base = tu_range(r, 0, 3) ? 0.5 : tu_uniform(r);
    if (c->img.dtype != CONSECO_DTYPE_MASK8 && tu_range(r, 0, 4) == 0) c->params.base = -0.5;
    c->params.filter = tu_range(r, 0, 3) ? CONSECO_SMOOTH_GAUSS : CONSECO_SMOOTH_MIN;
    c->params.sigma = tu_range(r, 0, 2) == 0 ? 1.0 : 0.1 + 2.5 * tu_uniform(r);
    c->params.element = (uint32_t)tu_range(r, 1, 3);
    c->params.radius = (uint32_t)tu_range(r, 1, 3);
    if (tu_range(r, 0, 3) == 0) {
        c->params.units = CONSECO_UNITS_MM;
        c->img.spacing[0] = 0.5 + tu_uniform(r);
        c->img.spacing[1] = tu_range(r, 0, 1) ? 0.0 : 0.5 + tu_uniform(r);
        c->img.spacing[2] = 1.0 + 3.0 * tu_uniform(r);
    }
    c->tau = tu_range(r, 0, 1) ? taus[tu_range(r, 0, 6)] : tu_uniform(r) * 0.3;
}

static void *scratch_for(const conseco_shrinker *sh, const scase *c, size_t *size)
{
    void *p;
    *size = conseco_scratch_size(sh, c->w, c->h, c->d);
    assert_true(*size > 0);
    p = malloc(*size);
    assert_non_null(p);
    return p;
}

/* One case: levels vs literal convolution, score vs literal walk, apply and
 * evaluate vs the levels. */
static void check_case(scase *c, tu_rng *r)
{
    const conseco_shrinker sh = conseco_shrinker_smooth(&c->params);
    double *lv = malloc(c->n * sizeof *lv), *ref = malloc(c->n * sizeof *ref);
    uint8_t *inner = malloc(c->n), *unc = malloc(c->n);
    double score, walk, scale = 1.0, lambda;
    size_t ss, i, x, y, z, predicted = 0, kept = 0, kept_fp = 0;
    void *scratch;
    conseco_mask_out mi, mu;
    conseco_image_metrics met;
    int rc;
    assert_non_null(lv);
    assert_non_null(ref);
    assert_non_null(inner);
    assert_non_null(unc);
    scratch = scratch_for(&sh, c, &ss);
    rc = conseco_smooth_vtable()->levels(&c->params, &c->img, lv, c->n);
    assert_int_equal(rc, CONSECO_OK);
    assert_int_equal(ref_smooth_levels(&c->params, &c->img, ref), 0);
    for (i = 0; i < c->n; i++) {
        const double a = fabs(ref[i]);
        if (isfinite(a) && a > scale) scale = a;
    }
    for (i = 0; i < c->n; i++) {
        if (ref[i] == -INFINITY || lv[i] == -INFINITY) {
            assert_true(ref[i] == lv[i]);
            continue;
        }
        if (c->params.filter == CONSECO_SMOOTH_MIN)
            assert_true(lv[i] == ref[i]);
        else if (!(fabs(lv[i] - ref[i]) <= 1e-12 * scale)) {
            fail_msg("level %zu: %.17g vs literal %.17g (%zux%zux%zu dtype %d sigma %g units %u "
                     "spacing %g %g %g)",
                     i, lv[i], ref[i], c->w, c->h, c->d, c->img.dtype, c->params.sigma,
                     c->params.units, c->img.spacing[0], c->img.spacing[1], c->img.spacing[2]);
        }
    }
    rc = conseco_score(&sh, &c->img, &c->truth, c->tau, scratch, ss, &score);
    assert_int_equal(rc, CONSECO_OK);
    walk = ref_smooth_score_walk(lv, &c->truth, c->tau);
    if (!(score == walk || (isinf(score) && isinf(walk) && score > 0 && walk > 0)))
        fail_msg("score %.17g vs literal walk %.17g", score, walk);
    /* apply and evaluate at the score, at a level, and at random lambdas */
    for (i = 0; i < 3; i++) {
        size_t j = 0;
        lambda = i == 0 ? score : i == 1 ? lv[tu_range(r, 0, c->n - 1)] : tu_uniform(r);
        if (lambda == -INFINITY) lambda = REF_SMOOTH_LAMBDA_MIN;
        mi = conseco_mask_out_3d(inner, c->w, c->h, c->d, c->w, c->w * c->h);
        mu = conseco_mask_out_3d(unc, c->w, c->h, c->d, c->w, c->w * c->h);
        assert_int_equal(conseco_apply(&sh, &c->img, lambda, scratch, ss, &mi, &mu), CONSECO_OK);
        assert_int_equal(
            conseco_evaluate_image(&sh, &c->img, &c->truth, lambda, c->tau, scratch, ss, &met),
            CONSECO_OK);
        predicted = kept = kept_fp = 0;
        for (z = 0; z < c->d; z++)
            for (y = 0; y < c->h; y++)
                for (x = 0; x < c->w; x++, j++) {
                    const int in = lv[j] != -INFINITY, k = in && lv[j] >= lambda;
                    const int t = c->truth_buf[z * c->truth.slice_stride + y * c->truth.row_stride + x] != 0;
                    assert_int_equal(inner[j], k);
                    assert_int_equal(unc[j], in && !k);
                    predicted += (size_t)in;
                    kept += (size_t)k;
                    kept_fp += (size_t)(k && !t);
                }
        assert_int_equal(met.predicted, predicted);
        assert_int_equal(met.inner, kept);
        assert_int_equal(met.inner_fp, kept_fp);
        if (i == 0 && predicted > 0) assert_true(met.valid || isinf(score));
        /* the experimental many-lambda path (the tool's evaluate) agrees */
        {
            conseco_image_metrics many;
            const size_t es = conseco_evaluate_lambdas_scratch_size(&sh, c->w, c->h, c->d);
            void *ebuf = malloc(es);
            assert_non_null(ebuf);
            assert_int_equal(conseco_evaluate_lambdas(&sh, &c->img, &c->truth, &lambda, 1, c->tau,
                                                      ebuf, es, &many),
                             CONSECO_OK);
            assert_int_equal(many.predicted, met.predicted);
            assert_int_equal(many.inner, met.inner);
            assert_int_equal(many.inner_fp, met.inner_fp);
            assert_int_equal(many.valid, met.valid);
            free(ebuf);
        }
    }
    free(scratch);
    free(lv);
    free(ref);
    free(inner);
    free(unc);
}

static void test_random_2d(void **state)
{
    tu_rng r = {0x5300D1u};
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_U16, CONSECO_DTYPE_F32,
                                 CONSECO_DTYPE_F64, CONSECO_DTYPE_MASK8};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(3000); it++) {
        scase c;
        case_alloc(&c, &r, tu_range(&r, 1, 24), tu_range(&r, 1, 20), 1, dtypes[tu_range(&r, 0, 4)]);
        random_params(&c, &r);
        fill(&c, &r);
        check_case(&c, &r);
        case_free(&c);
    }
}

static void test_random_3d(void **state)
{
    tu_rng r = {0x5300D3u};
    static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_F32, CONSECO_DTYPE_F64};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(1500); it++) {
        scase c;
        case_alloc(&c, &r, tu_range(&r, 1, 10), tu_range(&r, 1, 9), tu_range(&r, 2, 7),
                   dtypes[tu_range(&r, 0, 2)]);
        random_params(&c, &r);
        fill(&c, &r);
        check_case(&c, &r);
        case_free(&c);
    }
}

/* A wider image so the interior (unclamped) loops run, sigma up to 4. */
static void test_random_wide(void **state)
{
    tu_rng r = {0x5300D5u};
    int it;
    (void)state;
    for (it = 0; it < 60; it++) {
        scase c;
        case_alloc(&c, &r, tu_range(&r, 30, 70), tu_range(&r, 20, 40), 1,
                   tu_range(&r, 0, 1) ? CONSECO_DTYPE_F32 : CONSECO_DTYPE_U8);
        random_params(&c, &r);
        if (c.params.units == CONSECO_UNITS_PIXELS) c.params.sigma = 0.2 + 3.8 * tu_uniform(&r);
        fill(&c, &r);
        check_case(&c, &r);
        case_free(&c);
    }
}

/* Float32 maps tall enough for the score's ring of converted rows (at least
 * four rings high), with patterns where Yhat covers (nearly) every pixel so
 * that the keys reclaim the ring part-way through the map. */
static void test_random_tall(void **state)
{
    tu_rng r = {0x5300D7u};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(300); it++) {
        scase c;
        case_alloc(&c, &r, tu_range(&r, 1, 40), tu_range(&r, 36, 160), 1, CONSECO_DTYPE_F32);
        random_params(&c, &r);
        c.params.filter = CONSECO_SMOOTH_GAUSS;
        if (tu_range(&r, 0, 2) == 0) c.params.base = -1.0; /* all of Yhat */
        fill(&c, &r);
        check_case(&c, &r);
        case_free(&c);
    }
}

/* Score only (the level map is the dense path's, checked above): the score
 * against the walk over the library's levels (the sweep; the literal walk
 * too on small maps). */
static void check_score(scase *c)
{
    const conseco_shrinker sh = conseco_shrinker_smooth(&c->params);
    double *lv = malloc(c->n * sizeof *lv), score, walk;
    size_t ss;
    void *scratch = scratch_for(&sh, c, &ss);
    assert_non_null(lv);
    assert_int_equal(conseco_smooth_vtable()->levels(&c->params, &c->img, lv, c->n), CONSECO_OK);
    assert_int_equal(conseco_score(&sh, &c->img, &c->truth, c->tau, scratch, ss, &score),
                     CONSECO_OK);
    walk = ref_smooth_score_sweep(lv, &c->truth, c->tau);
    if (c->n <= 3000u) { /* the sweep is the literal walk */
        const double lit = ref_smooth_score_walk(lv, &c->truth, c->tau);
        assert_true(lit == walk || (isinf(lit) && isinf(walk)));
    }
    if (!(score == walk || (isinf(score) && isinf(walk) && score > 0 && walk > 0)))
        fail_msg("score %.17g vs literal walk %.17g (%zux%zux%zu sigma %g units %u tau %g)", score,
                 walk, c->w, c->h, c->d, c->params.sigma, c->params.units, c->tau);
    free(scratch);
    free(lv);
}

/* Float32 maps like segmentations (round objects or boxes whose prediction
 * is wider than the truth, shifted), big enough that the score's banded path
 * (pass A bounds, only the blocks near the cut computed exactly) skips blocks
 * below and above the cut: objects touching the border, sparse false
 * positives, plateaus (ties), logits, noise, Yhat everywhere (the full path),
 * a NaN or an infinity anywhere (CONSECO_E_NONFINITE); 2-D and 3-D with z not
 * blurred (sigma in mm, thick slices); sigma in pixels up to 3; narrow maps
 * (partial blocks), maps of 2^19 pixels and more (the most histogram
 * buckets), and a few below 2^18 pixels (the full path). */
static void test_random_band(void **state)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.05, 0.1, 0.3, 1.0};
    tu_rng r = {0x5300D9u};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(120); it++) {
        const size_t d = tu_range(&r, 0, 3) ? 1u : (size_t)tu_range(&r, 2, 3);
        const unsigned pattern = (unsigned)tu_range(&r, 0, 10);
        const unsigned shape = (unsigned)tu_range(&r, 0, 9);
        const int bad = it % 10 == 3; /* a NaN or an infinity somewhere */
        const unsigned objects = (unsigned)tu_range(&r, 1, 3);
        double ocx[3], ocy[3], oa[3], om[3], odx[3], ody[3];
        size_t x, y, z, k;
        scase c;
        /* at least 2^18 pixels (the banded path) but now and then fewer */
        if (shape == 0) { /* small: the full path */
            case_alloc(&c, &r, tu_range(&r, 1, 200), tu_range(&r, 2, 200), d, CONSECO_DTYPE_F32);
        } else if (shape == 1) { /* narrow: partial blocks */
            const size_t w = (size_t)tu_range(&r, 1, 40);
            case_alloc(&c, &r, w, ((size_t)1 << 18) / (w * d) + (size_t)tu_range(&r, 0, 50), d,
                       CONSECO_DTYPE_F32);
        } else if (shape == 2) { /* 2^19 pixels and more: 2^16 histogram buckets */
            case_alloc(&c, &r, tu_range(&r, 725, 800), tu_range(&r, 725, 800) / d, d,
                       CONSECO_DTYPE_F32);
        } else {
            const size_t w = (size_t)tu_range(&r, 260, 1100);
            case_alloc(&c, &r, w, ((size_t)1 << 18) / (w * d) + (size_t)tu_range(&r, 0, 60), d,
                       CONSECO_DTYPE_F32);
        }
        conseco_smooth_params_default(&c.params);
        c.params.sigma = tu_range(&r, 0, 1) ? 1.0 : 0.2 + 2.8 * tu_uniform(&r);
        if (d == 1u && tu_range(&r, 0, 7) == 0) /* wide kernels, to the 16-pixel limit (R = 64) */
            c.params.sigma = 8.0 + 8.0 * tu_uniform(&r);
        if (d > 1u || (c.params.sigma <= 3.0 && tu_range(&r, 0, 4) == 0)) {
            c.params.units = CONSECO_UNITS_MM;
            c.img.spacing[0] = 0.5 + tu_uniform(&r);
            c.img.spacing[1] = 0.5 + tu_uniform(&r);
            c.img.spacing[2] = 13.0 * c.params.sigma; /* R_z = 0: z not blurred */
        }
        c.tau = taus[tu_range(&r, 0, 6)];
        for (k = 0; k < objects; k++) {
            const double side = (double)(c.w < c.h ? c.w : c.h);
            ocx[k] = tu_uniform(&r) * (double)c.w;
            ocy[k] = tu_uniform(&r) * (double)c.h;
            if (tu_range(&r, 0, 3) == 0) ocx[k] = 0.0; /* touching the border */
            oa[k] = 2.0 + side * 0.3 * tu_uniform(&r);
            om[k] = side * 0.15 * tu_uniform(&r);
            odx[k] = 6.0 * (tu_uniform(&r) - 0.5);
            ody[k] = 6.0 * (tu_uniform(&r) - 0.5);
        }
        for (z = 0; z < d; z++)
            for (y = 0; y < c.h; y++)
                for (x = 0; x < c.w; x++) {
                    double best = 0.0, v;
                    int t = 0;
                    for (k = 0; k < objects; k++) {
                        const double dx = (double)x - ocx[k], dy = (double)y - ocy[k];
                        const double rp = sqrt(dx * dx + dy * dy) / (oa[k] + om[k]);
                        const double tx = dx - odx[k], ty = dy - ody[k];
                        const double bx = fabs(dx) > fabs(dy) ? fabs(dx) : fabs(dy);
                        const double s1 = pattern == 6
                                              ? 1.0 - 0.5 * bx / (oa[k] + om[k]) /* boxes */
                                              : 1.0 - 0.5 * rp * rp + 0.02 * (double)z;
                        if (s1 > best) best = s1;
                        if (pattern == 6 ? fabs(tx) <= oa[k] && fabs(ty) <= 0.7 * oa[k]
                                         : sqrt(tx * tx + ty * ty) <= oa[k])
                            t = 1;
                    }
                    switch (pattern) {
                    case 0: v = best + 0.004 * (tu_uniform(&r) - 0.5); break;
                    case 1: v = floor(best * 8.0) / 8.0; break; /* plateaus: ties */
                    case 2: v = 12.0 * (best - 0.5); break;      /* logits */
                    case 3: v = best + 0.3 * (tu_uniform(&r) - 0.5); break;
                    case 4: /* sparse false positives */
                        v = best;
                        t = best >= 0.5 && tu_uniform(&r) > 0.01;
                        break;
                    case 8: /* near the largest float */
                    case 9: /* float denormals */
                    default: v = best; break;
                    case 10: /* windows of +-0 only (M = 0) in Yhat, -1 around */
                        v = best >= 0.5 ? (tu_range(&r, 0, 1) ? 0.0 : -0.0) : -1.0;
                        break;
                    }
                    if (pattern != 2 && pattern != 10) v = v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
                    if (pattern == 8) v *= 3e38;
                    if (pattern == 9) v *= 1e-39;
                    put_score(&c, x, y, z, v);
                    c.truth_buf[z * c.truth.slice_stride + y * c.truth.row_stride + x] =
                        (uint8_t)(t ? tu_range(&r, 1, 255) : 0);
                }
        if (pattern == 2) c.params.base = 0.0;
        if (pattern == 7) c.params.base = -1.0; /* Yhat everywhere: the full path */
        if (pattern == 8) c.params.base = 0.5 * 3e38;
        if (pattern == 9) c.params.base = (double)(float)(0.5 * 1e-39);
        if (pattern == 10) c.params.base = 0.0;
        if (bad) {
            static const double nonfinite[] = {NAN, INFINITY, -INFINITY};
            const conseco_shrinker sh = conseco_shrinker_smooth(&c.params);
            size_t ss;
            void *scratch = scratch_for(&sh, &c, &ss);
            double score;
            put_score(&c, tu_range(&r, 0, c.w - 1), tu_range(&r, 0, c.h - 1),
                      tu_range(&r, 0, c.d - 1), nonfinite[tu_range(&r, 0, 2)]);
            assert_int_equal(conseco_score(&sh, &c.img, &c.truth, c.tau, scratch, ss, &score),
                             CONSECO_E_NONFINITE);
            free(scratch);
        } else {
            check_score(&c);
        }
        case_free(&c);
    }
}

static void test_empty_and_nonfinite(void **state)
{
    float px[12] = {0.1f, 0.2f, 0.3f, 0.1f, 0.2f, 0.3f, 0.1f, 0.2f, 0.3f, 0.1f, 0.2f, 0.3f};
    uint8_t t[12] = {0};
    conseco_smooth_params p;
    conseco_shrinker sh;
    conseco_image img = conseco_image_2d(px, 4, 3, 4 * sizeof(float), CONSECO_DTYPE_F32);
    conseco_mask m = conseco_mask_2d(t, 4, 3, 4);
    double score, scratch[1024];
    (void)state;
    conseco_smooth_params_default(&p);
    sh = conseco_shrinker_smooth(&p);
    assert_true(conseco_scratch_size(&sh, 4, 3, 1) <= sizeof scratch);
    assert_int_equal(conseco_score(&sh, &img, &m, 0.1, scratch, sizeof scratch, &score), CONSECO_OK);
    assert_true(score == REF_SMOOTH_LAMBDA_MIN); /* empty prediction: lambda_min */
    /* one false positive alone, tau 0: removed above its level */
    px[5] = 0.9f;
    assert_int_equal(conseco_score(&sh, &img, &m, 0.0, scratch, sizeof scratch, &score), CONSECO_OK);
    assert_true(isinf(score) && score > 0); /* no Yhat level above the only FP level */
    px[6] = 0.95f;
    t[6] = 1;
    assert_int_equal(conseco_score(&sh, &img, &m, 0.0, scratch, sizeof scratch, &score), CONSECO_OK);
    assert_true(isfinite(score));
    px[2] = NAN;
    assert_int_equal(conseco_score(&sh, &img, &m, 0.0, scratch, sizeof scratch, &score),
                     CONSECO_E_NONFINITE);
    assert_int_equal(conseco_score(&sh, &img, &m, 0.0, scratch, 8, &score),
                     CONSECO_E_SCRATCH_TOO_SMALL);
}

static void test_bad_params(void **state)
{
    conseco_smooth_params p;
    conseco_shrinker sh;
    float px[4] = {0.9f, 0.9f, 0.9f, 0.9f};
    uint8_t t[4] = {0};
    conseco_image img = conseco_image_2d(px, 2, 2, 2 * sizeof(float), CONSECO_DTYPE_F32);
    conseco_mask m = conseco_mask_2d(t, 2, 2, 2);
    double score, scratch[1024];
    int i;
    (void)state;
    for (i = 0; i < 22; i++) {
        conseco_smooth_params_default(&p);
        switch (i) {
        case 0: p.sigma = 0.0; break;
        case 1: p.sigma = -1.0; break;
        case 2: p.sigma = NAN; break;
        case 3: p.sigma = INFINITY; break;
        case 4: p.sigma = 16.5; break;
        case 5: p.radius = 0; break;
        case 6: p.radius = CONSECO_SMOOTH_RADIUS_MAX + 1; break;
        case 7: p.filter = 0; break;
        case 8: p.filter = 3; break;
        case 9: p.element = 0; break;
        case 10: p.element = 4; break;
        case 11: p.units = 0; break;
        case 12: p.units = 3; break;
        case 13: p.reserved = 1; break;
        case 14: p.struct_size = 8; break;
        case 15: p.base = NAN; break;
        case 16: p.base = INFINITY; break;
        case 17: p.filter = CONSECO_SMOOTH_MIN; p.sigma = 0.0; break; /* every member counts */
        case 18: p.filter = CONSECO_SMOOTH_GAUSS; p.radius = 0; break;
        case 19: p.sigma = -0.0; break;
        case 20: p.units = CONSECO_UNITS_MM; p.sigma = NAN; break;
        default: p.units = CONSECO_UNITS_MM; p.sigma = -2.0; break;
        }
        sh = conseco_shrinker_smooth(&p);
        assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_E_BAD_SHRINKER);
        assert_int_equal(conseco_score(&sh, &img, &m, 0.1, scratch, sizeof scratch, &score),
                         CONSECO_E_BAD_SHRINKER);
    }
    /* sigma in mm too wide for this image's spacing: refused when the image is seen */
    conseco_smooth_params_default(&p);
    p.units = CONSECO_UNITS_MM;
    p.sigma = 5.0;
    sh = conseco_shrinker_smooth(&p);
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_OK);
    img.spacing[0] = 0.5;
    assert_int_equal(conseco_score(&sh, &img, &m, 0.1, scratch, sizeof scratch, &score), CONSECO_OK);
    img.spacing[0] = 0.1; /* 100 pixels */
    assert_int_equal(conseco_score(&sh, &img, &m, 0.1, scratch, sizeof scratch, &score),
                     CONSECO_E_BAD_SHRINKER);
    /* ... but not along an axis of length 1, which is never blurred */
    img.spacing[0] = 1.0;
    img.spacing[2] = 0.01;
    assert_int_equal(conseco_score(&sh, &img, &m, 0.1, scratch, sizeof scratch, &score), CONSECO_OK);
    /* the largest sigma in pixels is accepted */
    conseco_smooth_params_default(&p);
    p.sigma = CONSECO_SMOOTH_SIGMA_MAX;
    sh = conseco_shrinker_smooth(&p);
    assert_int_equal(conseco_score(&sh, &img, &m, 0.1, scratch, sizeof scratch, &score), CONSECO_OK);
}

/* Calibrator, saved state (kind 3) and state inspect. */
static void test_state(void **state)
{
    tu_rng r = {0x5300D7u};
    conseco_smooth_params p, q;
    conseco_calibrator_config cfg;
    conseco_calibrator *a = NULL, *b = NULL;
    conseco_state_info info;
    unsigned char *buf;
    size_t size, written, i;
    double direct, stored[8], scratch_d;
    scase c;
    (void)state;
    (void)scratch_d;
    conseco_smooth_params_default(&p);
    p.sigma = 1.25;
    p.filter = CONSECO_SMOOTH_MIN;
    p.element = CONSECO_ELEMENT_DISK;
    p.radius = 2;
    p.units = CONSECO_UNITS_MM;
    p.base = 0.4;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_smooth(&p);
    cfg.tau = 0.05;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &a), CONSECO_OK);
    for (i = 0; i < 8; i++) {
        size_t ss;
        void *scr;
        case_alloc(&c, &r, 12, 10, 1, CONSECO_DTYPE_F32);
        c.params = p;
        c.tau = cfg.tau;
        fill(&c, &r);
        assert_int_equal(conseco_calibrator_add(a, &c.img, &c.truth, &stored[i]), CONSECO_OK);
        scr = scratch_for(&cfg.shrinker, &c, &ss);
        assert_int_equal(conseco_score(&cfg.shrinker, &c.img, &c.truth, cfg.tau, scr, ss, &direct),
                         CONSECO_OK);
        assert_true(direct == stored[i] || (isinf(direct) && isinf(stored[i])));
        free(scr);
        case_free(&c);
    }
    size = conseco_calibrator_save_size(a);
    buf = malloc(size);
    assert_non_null(buf);
    assert_int_equal(conseco_calibrator_save(a, buf, size, &written), CONSECO_OK);
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(conseco_state_inspect(buf, written, &info), CONSECO_OK);
    assert_int_equal(info.kind, CONSECO_KIND_SMOOTH);
    assert_string_equal(info.name, "smooth");
    assert_int_equal(info.count, 8);
    assert_true(info.smooth.struct_size == sizeof(conseco_smooth_params));
    assert_true(info.smooth.sigma == 1.25 && info.smooth.base == 0.4);
    assert_int_equal(info.smooth.filter, CONSECO_SMOOTH_MIN);
    assert_int_equal(info.smooth.element, CONSECO_ELEMENT_DISK);
    assert_int_equal(info.smooth.radius, 2);
    assert_int_equal(info.smooth.units, CONSECO_UNITS_MM);
    /* a caller compiled against the 0.2 layout (no smooth member) still works */
    {
        conseco_state_info old;
        memset(&old, 0xAB, sizeof old);
        old.struct_size = (uint32_t)offsetof(conseco_state_info, smooth);
        assert_int_equal(conseco_state_inspect(buf, written, &old), CONSECO_OK);
        assert_int_equal(old.kind, CONSECO_KIND_SMOOTH);
        assert_int_equal(((unsigned char *)&old)[offsetof(conseco_state_info, smooth)], 0xAB);
    }
    /* the same params load; another sigma does not */
    q = info.smooth;
    cfg.shrinker = conseco_shrinker_smooth(&q);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &b), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(b, buf, written), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(b), 8);
    conseco_calibrator_free(b);
    q.sigma = 1.5;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &b), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(b, buf, written), CONSECO_E_INCOMPATIBLE);
    conseco_calibrator_free(b);
    /* bad packed fields are corrupt: filter byte 3, then a stray high byte */
    {
        static const size_t off_element = 12;
        unsigned char *bad = malloc(written);
        uint32_t crc_fix;
        (void)crc_fix;
        assert_non_null(bad);
        memcpy(bad, buf, written);
        bad[off_element] = 3;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        /* checksum fails first; either way it is refused */
        assert_int_not_equal(conseco_state_inspect(bad, written, &info), CONSECO_OK);
        free(bad);
    }
    free(buf);
    conseco_calibrator_free(a);
}


/* The same bits on every build: a hash of the levels and scores of fixed
 * maps, compared with the value every platform must give (x86-64 with SSE2
 * or CONSECO_NO_SIMD, aarch64, gcc or clang, any -march). The inputs are made
 * with exact operations only, so they are the same everywhere too. */
static uint64_t golden_state = 88172645463325252ull;
static uint64_t golden_next(void)
{
    golden_state ^= golden_state << 13;
    golden_state ^= golden_state >> 7;
    golden_state ^= golden_state << 17;
    return golden_state;
}

static void test_golden_bits(void **state)
{
    uint64_t h = 1469598103934665603ull;
    int it;
    (void)state;
    golden_state = 88172645463325252ull;
    for (it = 0; it < 200; it++) { /* fixed: the golden hash covers all 200 */
        const size_t w = 1 + (size_t)(golden_next() % 70), hh = 1 + (size_t)(golden_next() % 50);
        const size_t d = it % 3 == 0 ? 1 + (size_t)(golden_next() % 5) : 1, n = w * hh * d;
        const int dt = (int)(golden_next() % 3);
        float *f = malloc(n * 4);
        double *g = malloc(n * 8), *lv = malloc(n * 8), sc;
        unsigned char *u = malloc(n);
        uint8_t *t = malloc(n);
        conseco_image im;
        conseco_mask m;
        conseco_smooth_params p;
        conseco_shrinker sh;
        size_t i, ss;
        void *scr;
        assert_true(f && g && lv && u && t);
        for (i = 0; i < n; i++) {
            const uint64_t b = golden_next();
            const double v = (double)(b >> 11) / 9007199254740992.0; /* exact */
            f[i] = (float)v;
            g[i] = v - 0.25;
            u[i] = (unsigned char)(b & 0xFFu);
            t[i] = (uint8_t)((b >> 8) & 1u);
        }
        im = dt == 0   ? conseco_image_3d(f, w, hh, d, w * 4, w * hh * 4, CONSECO_DTYPE_F32)
             : dt == 1 ? conseco_image_3d(g, w, hh, d, w * 8, w * hh * 8, CONSECO_DTYPE_F64)
                       : conseco_image_3d(u, w, hh, d, w, w * hh, CONSECO_DTYPE_U8);
        m = conseco_mask_3d(t, w, hh, d, w, w * hh);
        conseco_smooth_params_default(&p);
        p.sigma = 0.25 * (double)(1 + golden_next() % 16); /* exact: 0.25 .. 4 */
        sh = conseco_shrinker_smooth(&p);
        assert_int_equal(conseco_smooth_vtable()->levels(&p, &im, lv, n), CONSECO_OK);
        for (i = 0; i < n; i++) {
            uint64_t b;
            memcpy(&b, &lv[i], 8);
            h = (h ^ b) * 1099511628211ull;
        }
        ss = conseco_scratch_size(&sh, w, hh, d);
        scr = malloc(ss);
        assert_non_null(scr);
        assert_int_equal(conseco_score(&sh, &im, &m, 0.05, scr, ss, &sc), CONSECO_OK);
        {
            uint64_t b;
            memcpy(&b, &sc, 8);
            h = (h ^ b) * 1099511628211ull;
        }
        free(f);
        free(g);
        free(lv);
        free(u);
        free(t);
        free(scr);
    }
    if (h != GOLDEN_HASH) fail_msg("levels hash %016llx, expected %016llx", (unsigned long long)h,
                                   (unsigned long long)GOLDEN_HASH);
}

/* The firmware bound of conseco.h holds for the smooth shrinker too. */
static void test_workspace_bound(void **state)
{
    static const size_t sides[] = {1, 2, 3, 7, 16, 64, 257, 1000};
    static const size_t depths[] = {1, 2, 33};
    static const size_t caps[] = {0, 1, 1000};
    conseco_smooth_params p;
    size_t wi, hi, di, ci;
    (void)state;
    conseco_smooth_params_default(&p);
    for (wi = 0; wi < sizeof sides / sizeof sides[0]; wi++)
        for (hi = 0; hi < sizeof sides / sizeof sides[0]; hi++)
            for (di = 0; di < sizeof depths / sizeof depths[0]; di++)
                for (ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
                    const size_t w = sides[wi], h = sides[hi], d = depths[di];
                    conseco_calibrator_config cfg;
                    size_t got;
                    conseco_calibrator_config_init(&cfg);
                    cfg.shrinker = conseco_shrinker_smooth(&p);
                    cfg.tau = 0.1;
                    cfg.capacity = caps[ci];
                    cfg.max_width = w;
                    cfg.max_height = h;
                    cfg.max_depth = d;
                    got = conseco_calibrator_workspace_size(&cfg);
                    assert_true(got > 0);
                    if (got > CONSECO_CALIBRATOR_WORKSPACE_BOUND(caps[ci], w * h * d))
                        fail_msg("%zux%zux%zu cap %zu: %zu > bound %zu", w, h, d, caps[ci], got,
                                 (size_t)CONSECO_CALIBRATOR_WORKSPACE_BOUND(caps[ci], w * h * d));
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_2d),     cmocka_unit_test(test_random_3d),
        cmocka_unit_test(test_random_wide),   cmocka_unit_test(test_random_tall),
        cmocka_unit_test(test_random_band),
        cmocka_unit_test(test_empty_and_nonfinite),
        cmocka_unit_test(test_bad_params),    cmocka_unit_test(test_state),
        cmocka_unit_test(test_golden_bits),   cmocka_unit_test(test_workspace_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
