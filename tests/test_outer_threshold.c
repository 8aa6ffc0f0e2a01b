/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The threshold sides' scores (lowering, threshold offset band) on images
 * large enough for the 8-bit and float32 paths of lib/kinds/outer_threshold.c,
 * against the literal references of tests/support/ref_outer.c: every dtype,
 * random bases (exact pixel values, between values, negative, huge, out of
 * the float range), ties at the breakpoints (pixels at base +- d), -0, tiny
 * and huge scores, empty and full truth and Yhat, strided rows whose padding
 * holds NaN, 2-D and 3-D; NaN and +-inf in the map give CONSECO_E_NONFINITE.
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
#include "kinds/threshold_fast.h"
#include "ref_outer.h"
#include "test_util.h"

typedef struct tcase {
    size_t w, h, d, n, pad;
    int dtype;
    void *map;       /* rows of w + pad pixels */
    double *s;       /* the scores as doubles, no padding */
    uint8_t *truth;
    double base;
    int nonfinite;
} tcase;

static size_t esize(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_F64: return 8;
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_U16: return 2;
    default: return 1;
    }
}

static double pick_tau(tu_rng *r)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0};
    if (tu_range(r, 0, 3) == 0) return tu_uniform(r);
    return taus[tu_range(r, 0, 7)];
}

/* A smooth blob map in [0, 1] with noise: most of the image far below 0.5. */
static double blob_value(tu_rng *r, const tcase *c, size_t x, size_t y, size_t z, double cx,
                         double cy, double rad)
{
    const double dx = (double)x - cx, dy = (double)y - cy, dz = (double)z;
    double v = 1.0 - sqrt(dx * dx + dy * dy + dz * dz) / rad;
    (void)c;
    v += 0.1 * (tu_uniform(r) - 0.5);
    return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
}

static void set_pixel(tcase *c, size_t i, double v)
{
    const size_t row = i / c->w, x = i % c->w, at = row * (c->w + c->pad) + x;
    switch (c->dtype) {
    case CONSECO_DTYPE_F64:
        ((double *)c->map)[at] = v;
        c->s[i] = v;
        break;
    case CONSECO_DTYPE_F32:
        ((float *)c->map)[at] = (float)v;
        c->s[i] = (double)(float)v;
        break;
    case CONSECO_DTYPE_U16: {
        const double q = v < 0.0 ? 0.0 : v > 1.0 ? 65535.0 : floor(v * 65535.0 + 0.5);
        ((uint16_t *)c->map)[at] = (uint16_t)q;
        c->s[i] = q / 65535.0;
        break;
    }
    case CONSECO_DTYPE_MASK8: {
        /* any nonzero byte is Yhat; clamp before converting (v may be far above 1) */
        const double t = v * 100.0;
        const uint8_t q = (uint8_t)(v >= 0.5 ? 1.0 + (t < 254.0 ? floor(t) : 254.0) : 0.0);
        ((uint8_t *)c->map)[at] = q;
        c->s[i] = q ? 1.0 : 0.0;
        break;
    }
    default: {
        const double q = v < 0.0 ? 0.0 : v > 1.0 ? 255.0 : floor(v * 255.0 + 0.5);
        ((uint8_t *)c->map)[at] = (uint8_t)q;
        c->s[i] = q / 255.0;
        break;
    }
    }
}

static void gen_truth(tu_rng *r, tcase *c)
{
    size_t i;
    const int kind = (int)tu_range(r, 0, 6);
    const double p = tu_uniform(r);
    for (i = 0; i < c->n; i++) {
        const int yh = c->s[i] >= c->base;
        switch (kind) {
        case 0: c->truth[i] = 0; break;
        case 1: c->truth[i] = (uint8_t)(1 + tu_range(r, 0, 254)); break; /* full, any nonzero */
        case 2: c->truth[i] = (uint8_t)(tu_uniform(r) < p); break;
        case 3: c->truth[i] = (uint8_t)yh; break;
        case 4: c->truth[i] = (uint8_t)(yh ? tu_uniform(r) < 0.9 : tu_uniform(r) < 0.03); break;
        case 5: c->truth[i] = (uint8_t)!yh; break;
        default: c->truth[i] = (uint8_t)(c->s[i] >= c->base - 0.2 * p); break;
        }
    }
}

static void gen_case(tu_rng *r, tcase *c, int three_d)
{
    static const int dtypes[] = {CONSECO_DTYPE_F32, CONSECO_DTYPE_F32, CONSECO_DTYPE_F32,
                                 CONSECO_DTYPE_U8,  CONSECO_DTYPE_U8,  CONSECO_DTYPE_F64,
                                 CONSECO_DTYPE_U16, CONSECO_DTYPE_MASK8};
    const int style = (int)tu_range(r, 0, 5);
    const double cx = tu_uniform(r) * 60.0, cy = tu_uniform(r) * 60.0,
                 rad = 3.0 + 40.0 * tu_uniform(r);
    double mirror_d = 0.0;
    size_t i, es, rows, stride;
    c->dtype = dtypes[tu_range(r, 0, 7)];
    if (three_d) {
        c->w = tu_range(r, 16, 24);
        c->h = tu_range(r, 12, 20);
        c->d = (2048 + c->w * c->h - 1) / (c->w * c->h) + tu_range(r, 0, 2);
    } else if (tu_range(r, 0, 3) == 0) { /* wide rows: several 128-pixel segments per row */
        c->w = tu_range(r, 250, 700);
        c->h = (2048 + c->w - 1) / c->w + tu_range(r, 0, 3);
        c->d = 1;
    } else {
        c->w = tu_range(r, 9, 90);
        c->h = (2048 + c->w - 1) / c->w + tu_range(r, 0, 12);
        c->d = 1;
    }
    c->n = c->w * c->h * c->d;
    c->pad = tu_range(r, 0, 2) == 0 ? tu_range(r, 1, 5) : 0;
    es = esize(c->dtype);
    rows = c->h * c->d;
    stride = c->w + c->pad;
    c->map = malloc(rows * stride * es);
    c->s = malloc(c->n * sizeof(double));
    c->truth = malloc(c->n);
    c->nonfinite = 0;
    /* padding: NaN for floats, 0xA5 otherwise; never read */
    memset(c->map, 0xFF, rows * stride * es);
    if (c->dtype != CONSECO_DTYPE_F32 && c->dtype != CONSECO_DTYPE_F64)
        memset(c->map, 0xA5, rows * stride * es);
    /* base */
    switch (tu_range(r, 0, 7)) {
    case 0: case 1: case 2: c->base = 0.5; break;
    case 3: c->base = tu_uniform(r); break;
    case 4: c->base = (double)tu_range(r, 0, 255) / 255.0; break;
    case 5: c->base = tu_range(r, 0, 1) ? 0.0 : -0.25; break;
    case 6: c->base = tu_range(r, 0, 1) ? 1.0 : 1.0 + tu_uniform(r); break;
    default: c->base = 0.1; break;
    }
    if (c->dtype == CONSECO_DTYPE_F32 && style == 5) /* huge scores and bases */
        c->base = tu_range(r, 0, 2) == 0 ? 3.2e38 : tu_range(r, 0, 1) ? 1.0e30 : -2.0e37;
    if (tu_range(r, 0, 1)) mirror_d = 0.05 + 0.3 * tu_uniform(r);
    for (i = 0; i < c->n; i++) {
        const size_t x = i % c->w, y = (i / c->w) % c->h, z = i / (c->w * c->h);
        double v;
        switch (style) {
        case 0: v = blob_value(r, c, x, y, z, cx, cy, rad); break;
        case 1: v = (double)tu_range(r, 0, 16) / 16.0; break; /* many ties */
        case 2: v = tu_uniform(r); break;
        case 3: /* ties at breakpoints: base +- d */
            v = c->base + (tu_range(r, 0, 1) ? 1.0 : -1.0) * (double)tu_range(r, 0, 8) / 16.0;
            break;
        case 4: { /* signs, zeros, tiny and large magnitudes */
            static const double odd[] = {0.0, -0.0, 1e-42, -1e-42, 1e-30, -3.0, 7.0, 1e20,
                                         -1e20, 0.5, 0.4999999, 0.5000001};
            v = tu_range(r, 0, 2) ? blob_value(r, c, x, y, z, cx, cy, rad)
                                  : odd[tu_range(r, 0, 11)];
            break;
        }
        default: {
            static const double huge[] = {3.3e38, -3.3e38, 1.0e30, -1.0e30, 0.0, 2.0e37, 1e-3};
            v = tu_range(r, 0, 1) ? blob_value(r, c, x, y, z, cx, cy, rad)
                                  : huge[tu_range(r, 0, 6)];
            break;
        }
        }
        set_pixel(c, i, v);
    }
    if (mirror_d > 0.0 && c->dtype != CONSECO_DTYPE_MASK8) /* some pairs at base +- d */
        for (i = 0; i + 1 < c->n; i += tu_range(r, 2, 40)) {
            set_pixel(c, i, c->base + mirror_d);
            set_pixel(c, i + 1, c->base - mirror_d);
        }
    gen_truth(r, c);
    if ((c->dtype == CONSECO_DTYPE_F32 || c->dtype == CONSECO_DTYPE_F64) && tu_range(r, 0, 30) == 0) {
        static const double bad[] = {NAN, INFINITY, -INFINITY};
        set_pixel(c, tu_range(r, 0, c->n - 1), bad[tu_range(r, 0, 2)]);
        c->nonfinite = 1;
    }
}

static void free_case(tcase *c)
{
    free(c->map);
    free(c->s);
    free(c->truth);
}

static int side_score(const conseco_shrinker *sh, const conseco_side_params *sp, const tcase *c,
                      double tau, double *s)
{
    const size_t es = esize(c->dtype), stride = (c->w + c->pad) * es;
    const conseco_image im =
        conseco_image_3d(c->map, c->w, c->h, c->d, stride, stride * c->h, c->dtype);
    const conseco_mask tm = conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
    const size_t ss = conseco_side_scratch_size(sh, sp, c->w, c->h, c->d);
    void *scr = malloc(ss);
    int rc;
    assert_true(ss > 0);
    *s = NAN;
    rc = conseco_side_score(sh, sp, &im, &tm, tau, scr, ss, s);
    free(scr);
    return rc;
}

static unsigned n_inf, n_minus_inf, n_zero, n_other, n_nonfinite;

static void same(double got, double want, const tcase *c, const char *what, double tau,
                 double tau2)
{
    n_inf += got == INFINITY;
    n_minus_inf += got == -INFINITY;
    n_zero += got == 0.0;
    n_other += got != 0.0 && got != INFINITY && got != -INFINITY;
    if (got == want) return;
    fprintf(stderr, "%s: got %.17g want %.17g (%zux%zux%zu pad %zu dtype %d base %.17g tau %g %g)\n",
            what, got, want, c->w, c->h, c->d, c->pad, c->dtype, c->base, tau, tau2);
    fail();
}

static void check(int three_d, unsigned cases, uint64_t seed)
{
    tu_rng r = {seed};
    unsigned k;
    for (k = 0; k < cases; k++) {
        tcase c;
        conseco_threshold_params tp;
        conseco_shrinker sh;
        conseco_side_params sp;
        const double tau = pick_tau(&r), tau2 = pick_tau(&r);
        double got;
        int rc;
        gen_case(&r, &c, three_d);
        conseco_threshold_params_default(&tp);
        tp.base = c.base;
        if (tp.top < c.base) tp.top = c.base;
        sh = conseco_shrinker_threshold(&tp);
        conseco_side_params_default(&sp);
        /* lowering, bottom at or below base */
        sp.side = CONSECO_SIDE_OUTER;
        sp.bottom = c.base - (tu_range(&r, 0, 2) == 0 ? 0.0 : tu_uniform(&r) * 0.6);
        if (tu_range(&r, 0, 3) == 0) sp.bottom = c.base < 0.0 ? c.base - 1.0 : 0.0;
        if (sp.bottom > c.base) sp.bottom = c.base;
        rc = side_score(&sh, &sp, &c, tau, &got);
        if (c.nonfinite) {
            assert_int_equal(rc, CONSECO_E_NONFINITE);
            n_nonfinite++;
        } else {
            assert_int_equal(rc, CONSECO_OK);
            same(got, ref_lowering_score(c.s, c.truth, c.n, c.base, sp.bottom, tau), &c,
                 "lowering", tau, 0.0);
        }
        /* threshold offset band */
        sp.side = CONSECO_SIDE_BAND;
        sp.tau_outer = tau2;
        sp.bottom = 0.0 < c.base ? 0.0 : c.base;
        rc = side_score(&sh, &sp, &c, tau, &got);
        if (c.nonfinite) {
            assert_int_equal(rc, CONSECO_E_NONFINITE);
        } else {
            assert_int_equal(rc, CONSECO_OK);
            same(got, ref_band_threshold_score(c.s, c.truth, c.n, c.base, tau, tau2), &c,
                 "band", tau, tau2);
        }
        free_case(&c);
    }
}

static void test_threshold_sides_2d(void **state)
{
    (void)state;
    check(0, (unsigned)tu_cases(1000), 101);
}

static void test_threshold_sides_3d(void **state)
{
    (void)state;
    check(1, (unsigned)tu_cases(200), 102);
    print_message("threshold sides: %u +inf, %u -inf, %u zero, %u other, %u nonfinite\n", n_inf,
                  n_minus_inf, n_zero, n_other, n_nonfinite);
    if (tu_cases(200) == 200)
        assert_true(n_inf > 20 && n_minus_inf > 20 && n_zero > 100 && n_other > 600 &&
                    n_nonfinite > 8);
}

/* The nearest score below X_lo at every position of a row's segments (first,
 * last, across their boundaries): a false positive at 0.9 binds the band
 * (tau 0), so X_lo is about 0.1; a 0.3 in the same row makes its segments
 * straddle X_lo, so they are read again. */
static void test_band_segment_edges(void **state)
{
    static const size_t xs[] = {0, 1, 15, 16, 127, 128, 129, 255, 256, 300, 383, 384, 398, 399};
    const size_t w = 400, h = 6;
    tcase c;
    size_t q;
    (void)state;
    memset(&c, 0, sizeof c);
    c.w = w;
    c.h = h;
    c.d = 1;
    c.n = w * h;
    c.dtype = CONSECO_DTYPE_F32;
    c.base = 0.5;
    c.map = malloc(c.n * sizeof(float));
    c.s = malloc(c.n * sizeof(double));
    c.truth = calloc(c.n, 1);
    for (q = 0; q < sizeof xs / sizeof xs[0]; q++) {
        conseco_threshold_params tp;
        conseco_side_params sp;
        conseco_shrinker sh;
        double got;
        size_t i;
        for (i = 0; i < c.n; i++) set_pixel(&c, i, 0.0);
        set_pixel(&c, 0, 0.9);                 /* the one false positive */
        { /* between X_lo and base, in the same 128-pixel segment (the last one takes the rest) */
            const size_t g = xs[q] / 128 < w / 128 - 1 ? xs[q] / 128 : w / 128 - 1;
            const size_t start = g * 128, len = g == w / 128 - 1 ? w - start : 128;
            set_pixel(&c, 2 * w + start + (xs[q] - start + 40) % len, 0.3);
        }
        set_pixel(&c, 2 * w + xs[q], 0.05);    /* the answer: 0.5 - 0.05 */
        set_pixel(&c, 4 * w + 7, 0.04);
        conseco_threshold_params_default(&tp);
        sh = conseco_shrinker_threshold(&tp);
        conseco_side_params_default(&sp);
        sp.side = CONSECO_SIDE_BAND;
        sp.tau_outer = 1.0;
        assert_int_equal(side_score(&sh, &sp, &c, 0.0, &got), CONSECO_OK);
        same(got, ref_band_threshold_score(c.s, c.truth, c.n, c.base, 0.0, 1.0), &c,
             "band segment edge", 0.0, 1.0);
        assert_true(got == 0.5 - (double)0.05f);
    }
    free_case(&c);
}

static int cmp_u32(const void *a, const void *b)
{
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The radix selection shared by the threshold scores, on key sets large
 * enough for its interleaved histograms: against a sort. */
static void test_key_select(void **state)
{
    tu_rng r = {103};
    const unsigned cases = (unsigned)tu_cases(60);
    unsigned k;
    uint32_t hist[CONSECO__KEY_BUCKETS];
    (void)state;
    for (k = 0; k < cases; k++) {
        const size_t n = tu_range(&r, k % 3 == 0 ? 33 : 8192, 40000);
        uint32_t *keys = malloc(n * sizeof *keys), *sorted = malloc(n * sizeof *sorted);
        uint32_t lo, hi, next, got, want_next = 0xFFFFFFFFu;
        const int kind = (int)tu_range(&r, 0, 4);
        const uint32_t centre = (uint32_t)tu_next(&r);
        size_t i, rank;
        for (i = 0; i < n; i++) {
            switch (kind) {
            case 0: keys[i] = (uint32_t)tu_next(&r); break;                      /* full range */
            case 1: keys[i] = centre + (uint32_t)tu_range(&r, 0, 40); break;     /* many ties */
            case 2: keys[i] = 0x3F000000u + (uint32_t)(i * 37u % 100003u); break; /* smooth runs */
            case 3: keys[i] = i % 7 == 0 ? (uint32_t)tu_next(&r) : centre; break;
            default: /* a few values far apart (quantised maps): kept sets of equal keys */
                keys[i] = (centre >> 1) + (uint32_t)tu_range(&r, 0, 33) * 0x7C1F0u;
                break;
            }
            if (keys[i] == 0xFFFFFFFFu) keys[i] = 0xFFFFFFFEu; /* no float's key is all ones */
        }
        memcpy(sorted, keys, n * sizeof *keys);
        qsort(sorted, n, sizeof *sorted, cmp_u32);
        rank = tu_range(&r, 0, 3) == 0 ? n - 1u - tu_range(&r, 0, n / 50) : tu_range(&r, 0, n - 1);
        for (i = rank + 1u; i < n; i++)
            if (sorted[i] != sorted[rank]) {
                want_next = sorted[i];
                break;
            }
        conseco__key_range(keys, n, &lo, &hi);
        assert_true(lo == sorted[0] && hi == sorted[n - 1u]);
        {
            /* the smallest key in (a, b] against a scan of the sorted keys */
            const uint32_t a = sorted[tu_range(&r, 0, n - 1u)] - (uint32_t)tu_range(&r, 0, 1);
            const uint32_t b = tu_range(&r, 0, 3) == 0 ? 0xFFFFFFFEu : sorted[tu_range(&r, 0, n - 1u)];
            uint32_t want = 0xFFFFFFFFu;
            const size_t from = tu_range(&r, 0, 9); /* unaligned starts */
            for (i = from; i < n; i++)
                if (keys[i] > a && keys[i] <= b && keys[i] < want) want = keys[i];
            assert_true(conseco__key_min_between(keys + from, n - from, a, b) == want);
        }
        if (k % 2 == 1) { /* loose bounds, as the inner score passes them */
            lo = lo > 1000u ? lo - (uint32_t)tu_range(&r, 0, 1000) : 0u;
            hi = hi < 0xFFFFFFFEu - 1000u ? hi + (uint32_t)tu_range(&r, 0, 1000) : 0xFFFFFFFEu;
        }
        got = conseco__key_select(keys, n, rank, lo, hi, hist, &next);
        assert_true(got == sorted[rank]);
        assert_true(next == want_next);
        free(keys);
        free(sorted);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_select),
        cmocka_unit_test(test_band_segment_edges),
        cmocka_unit_test(test_threshold_sides_2d),
        cmocka_unit_test(test_threshold_sides_3d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
