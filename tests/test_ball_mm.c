/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ball-mm erosion element (docs/DESIGN.md 5.1) against the literal
 * reference of tests/support/ref_distance_mm.c on thousands of random small
 * 2-D and 3-D volumes with random anisotropic spacings (equal spacings,
 * small dyadic ratios that make ties, full 53-bit mantissas, float32
 * values), both border policies, empty / full / one-voxel-thin masks:
 * score, apply, evaluate, the levels and apply callbacks, the exact
 * distance itself, and the inputs it refuses.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"
#include "kinds/distance_mm.h"
#include "kinds/distance_mm_int.h"
#include "kinds/distance_mm_pair.h"
#include "ref_distance_mm.h"
#include "test_util.h"

typedef struct mcase {
    size_t w, h, d, n;
    double sp[3];
    int border;
    uint8_t *yhat, *truth;
    float *pred;
} mcase;

static double random_spacing(tu_rng *r)
{
    static const double nice[] = {1.0, 0.5, 2.0, 0.25, 3.0, 1.5, 0.75, 2.5, 5.0, 0.7, 0.8};
    switch (tu_range(r, 0, 3)) {
    case 0: return nice[tu_range(r, 0, sizeof nice / sizeof nice[0] - 1)];
    case 1: return 0.25 + 3.75 * tu_uniform(r); /* full mantissa */
    case 2: return (double)(float)(0.3 + 4.0 * tu_uniform(r)); /* NIfTI pixdim */
    default: return (double)tu_range(r, 1, 64) / 16.0; /* small dyadic: many ties */
    }
}

static void make_case(tu_rng *r, mcase *c, int three_d)
{
    size_t i;
    int kind;
    c->w = tu_range(r, 1, 9);
    c->h = tu_range(r, 1, 9);
    c->d = three_d ? tu_range(r, 1, 6) : 1;
    c->n = c->w * c->h * c->d;
    switch (tu_range(r, 0, 3)) {
    case 0: { /* all equal */
        const double s = random_spacing(r);
        c->sp[0] = c->sp[1] = c->sp[2] = s;
        break;
    }
    case 1: /* in-plane equal */
        c->sp[0] = c->sp[1] = random_spacing(r);
        c->sp[2] = random_spacing(r);
        break;
    default:
        for (i = 0; i < 3; i++) c->sp[i] = random_spacing(r);
    }
    if (tu_range(r, 0, 15) == 0) c->sp[tu_range(r, 0, 2)] = 0.0; /* "not given" = 1 */
    c->border = tu_range(r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
    c->yhat = calloc(c->n, 1);
    c->truth = calloc(c->n, 1);
    c->pred = calloc(c->n, sizeof(float));
    kind = (int)tu_range(r, 0, 7);
    for (i = 0; i < c->n; i++) {
        switch (kind) {
        case 0: c->yhat[i] = 0; break;
        case 1: c->yhat[i] = 1; break;
        case 2: c->yhat[i] = (uint8_t)(i % c->w == c->w / 2); break; /* one voxel thin */
        case 3: c->yhat[i] = (uint8_t)(tu_uniform(r) < 0.9); break;
        default: c->yhat[i] = (uint8_t)(tu_uniform(r) < 0.6); break;
        }
        c->truth[i] = (uint8_t)(tu_uniform(r) < (kind == 4 ? 0.9 : 0.5));
        /* scores around base 0.5, exactly at it for some */
        c->pred[i] = c->yhat[i] ? (tu_range(r, 0, 3) ? 0.5f : 0.9f) : 0.25f;
    }
}

static void free_case(mcase *c)
{
    free(c->yhat);
    free(c->truth);
    free(c->pred);
}

static conseco_image view_of(const mcase *c)
{
    conseco_image im = conseco_image_3d(c->pred, c->w, c->h, c->d, c->w * sizeof(float),
                                        c->w * c->h * sizeof(float), CONSECO_DTYPE_F32);
    im.spacing[0] = c->sp[0];
    im.spacing[1] = c->sp[1];
    im.spacing[2] = c->sp[2];
    return im;
}

static void params_of(const mcase *c, conseco_erosion_params *p)
{
    conseco_erosion_params_default(p);
    p->element = CONSECO_ELEMENT_BALL_MM;
    p->border = (uint32_t)c->border;
}

static int same(double a, double b) { return a == b || (a != a && b != b); }

/* The border policy and spacings of a random small case, its masks dropped:
 * the start of the larger cases, which draw their own sizes and masks. */
static void draw_policy(tu_rng *r, mcase *c)
{
    make_case(r, c, 1);
    free_case(c);
}

/* Zeroed Yhat, truth and map of c->w x c->h x c->d voxels (sets c->n). */
static void alloc_case(mcase *c)
{
    c->n = c->w * c->h * c->d;
    c->yhat = calloc(c->n, 1);
    c->truth = calloc(c->n, 1);
    c->pred = calloc(c->n, sizeof(float));
}

/* The levels callback: the double just below d_mm (L >= lambda <=> d > lambda)
 * of the literal distances ref_d. */
static void check_levels(const mcase *c, const conseco_shrinker *s, const conseco_image *im,
                         const double *ref_d, const char *what)
{
    double *levels = malloc(c->n * sizeof(double));
    size_t i;
    assert_int_equal(s->vtable->levels(s->user, im, levels, c->n), 0);
    for (i = 0; i < c->n; i++) {
        const double want = !c->yhat[i]          ? -INFINITY
                            : ref_d[i] == INFINITY ? INFINITY
                                                   : nextafter(ref_d[i], 0.0);
        if (!same(levels[i], want))
            fail_msg("%slevel %zu: %.17g want %.17g (d %.17g) %zux%zux%zu sp %.17g %.17g %.17g",
                     what, i, levels[i], want, ref_d[i], c->w, c->h, c->d, c->sp[0], c->sp[1],
                     c->sp[2]);
    }
    free(levels);
}

/* A score from a case, its distances and tau. */
typedef double (*score_fn)(const mcase *c, const double *dist, double tau);

/* The literal reference's score. */
static double literal_score(const mcase *c, const double *dist, double tau)
{
    return ref_mm_score_of(c->yhat, c->truth, c->n, dist, tau);
}

/* conseco_score at each of the taus against want(c, dist, tau). */
static void check_scores(const mcase *c, const double *dist, const double *taus, size_t n_taus,
                         score_fn want_of, const char *what)
{
    conseco_erosion_params p;
    conseco_shrinker s;
    const conseco_image im = view_of(c);
    const conseco_mask truth = conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
    size_t ss, t;
    void *scratch;
    params_of(c, &p);
    s = conseco_shrinker_erosion(&p);
    ss = conseco_scratch_size(&s, c->w, c->h, c->d);
    assert_true(ss > 0);
    scratch = malloc(ss);
    for (t = 0; t < n_taus; t++) {
        double got = -1.0;
        const double want = want_of(c, dist, taus[t]);
        assert_int_equal(conseco_score(&s, &im, &truth, taus[t], scratch, ss, &got), CONSECO_OK);
        if (!same(got, want))
            fail_msg("%sscore %.17g want %.17g sp %.17g %.17g %.17g %zux%zux%zu border %d tau %g",
                     what, got, want, c->sp[0], c->sp[1], c->sp[2], c->w, c->h, c->d, c->border,
                     taus[t]);
    }
    free(scratch);
}

/* Every path on one case. */
static void check_case(tu_rng *r, const mcase *c)
{
    conseco_erosion_params p;
    conseco_shrinker s;
    const conseco_image im = view_of(c);
    const conseco_mask truth = conseco_mask_3d(c->truth, c->w, c->h, c->d, c->w, c->w * c->h);
    double *ref_d = malloc(c->n * sizeof(double)), taus[4];
    uint8_t *in = malloc(c->n), *un = malloc(c->n), *ref_in = malloc(c->n), *cb = malloc(c->n);
    size_t scratch_size, i, k;
    void *scratch;
    double lambdas[8];
    int t;
    params_of(c, &p);
    s = conseco_shrinker_erosion(&p);
    scratch_size = conseco_scratch_size(&s, c->w, c->h, c->d);
    assert_true(scratch_size > 0);
    scratch = malloc(scratch_size);
    ref_mm_distances(c->yhat, c->w, c->h, c->d, c->sp, c->border, ref_d);

    check_levels(c, &s, &im, ref_d, "");

    /* scores at several tau */
    for (t = 0; t < 4; t++) {
        static const double round_taus[] = {0.0, 0.05, 0.2, 0.5};
        taus[t] = t < 3 && tu_range(r, 0, 1) ? round_taus[t] : tu_uniform(r) * 0.6;
    }
    check_scores(c, ref_d, taus, 4, literal_score, "");

    /* apply, evaluate and the apply callback at breakpoints and around them */
    k = 0;
    lambdas[k++] = 0.0;
    lambdas[k++] = INFINITY;
    for (i = 0; i < 3; i++) {
        const double v = ref_d[tu_range(r, 0, c->n - 1)];
        lambdas[k++] = v;
        if (v > 0.0 && v != INFINITY) lambdas[k - 1] = tu_range(r, 0, 1) ? nextafter(v, 0.0) : v;
    }
    lambdas[k++] = 4.0 * tu_uniform(r);
    lambdas[k++] = -1.0;
    lambdas[k++] = 1e300;
    for (i = 0; i < k; i++) {
        const conseco_mask_out mi = conseco_mask_out_3d(in, c->w, c->h, c->d, c->w, c->w * c->h),
                               mu = conseco_mask_out_3d(un, c->w, c->h, c->d, c->w, c->w * c->h);
        conseco_image_metrics mt;
        uint64_t n_in = 0, n_fp = 0;
        size_t j;
        for (j = 0; j < c->n; j++) /* the definition, from the literal distances */
            ref_in[j] = (uint8_t)(c->yhat[j] && lambdas[i] != INFINITY && ref_d[j] > lambdas[i]);
        assert_int_equal(conseco_apply(&s, &im, lambdas[i], scratch, scratch_size, &mi, &mu),
                         CONSECO_OK);
        assert_int_equal(s.vtable->apply(s.user, &im, lambdas[i], cb, c->n), 0);
        for (j = 0; j < c->n; j++) {
            if (in[j] != ref_in[j] || cb[j] != ref_in[j])
                fail_msg("apply lambda %.17g voxel %zu: %d cb %d want %d", lambdas[i], j, in[j],
                         cb[j], ref_in[j]);
            assert_int_equal(un[j], c->yhat[j] && !ref_in[j]);
            n_in += ref_in[j];
            n_fp += ref_in[j] && !c->truth[j];
        }
        assert_int_equal(conseco_evaluate_image(&s, &im, &truth, lambdas[i], 0.1, scratch,
                                                scratch_size, &mt),
                         CONSECO_OK);
        assert_int_equal(mt.inner, n_in);
        assert_int_equal(mt.inner_fp, n_fp);
    }
    { /* conseco_evaluate_lambdas: one level map, the same metrics at every lambda */
        conseco_image_metrics many[8], one;
        const size_t es = conseco_evaluate_lambdas_scratch_size(&s, c->w, c->h, c->d);
        void *escr = malloc(es);
        assert_int_equal(conseco_evaluate_lambdas(&s, &im, &truth, lambdas, k, 0.1, escr, es,
                                                  many),
                         CONSECO_OK);
        for (i = 0; i < k; i++) {
            assert_int_equal(conseco_evaluate_image(&s, &im, &truth, lambdas[i], 0.1, scratch,
                                                    scratch_size, &one),
                             CONSECO_OK);
            assert_int_equal(many[i].inner, one.inner);
            assert_int_equal(many[i].inner_fp, one.inner_fp);
            assert_int_equal(many[i].predicted, one.predicted);
        }
        free(escr);
    }
    free(scratch);
    free(ref_d);
    free(in);
    free(un);
    free(ref_in);
    free(cb);
}

static void random_cases(int three_d, uint64_t seed, int count)
{
    tu_rng r = {seed};
    int i;
    for (i = 0; i < count; i++) {
        mcase c;
        make_case(&r, &c, three_d);
        check_case(&r, &c);
        free_case(&c);
    }
}

static void test_random_2d(void **state)
{
    (void)state;
    random_cases(0, 11, (int)tu_cases(4000));
}

static void test_random_3d(void **state)
{
    (void)state;
    random_cases(1, 12, (int)tu_cases(4000));
}

/* Medium volumes (up to 48 x 40 x 12, blobs with holes): long envelope lines
 * where the estimated crossings of the transform matter; levels and scores. */
static void test_medium(void **state)
{
    tu_rng r = {14};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(40); it++) {
        mcase c;
        conseco_erosion_params p;
        conseco_shrinker s;
        conseco_image im;
        double *ref_d, tau;
        size_t i;
        const double cx = 0.5, cy = 0.5, cz = 0.5;
        draw_policy(&r, &c);
        c.w = tu_range(&r, 16, 48);
        c.h = tu_range(&r, 16, 40);
        c.d = it % 4 == 0 ? 1 : tu_range(&r, 2, 12);
        alloc_case(&c);
        for (i = 0; i < c.n; i++) {
            const double x = (double)(i % c.w) / (double)c.w - cx,
                         y = (double)(i / c.w % c.h) / (double)c.h - cy,
                         z = c.d > 1 ? (double)(i / (c.w * c.h)) / (double)c.d - cz : 0.0;
            const double q = x * x * 4.0 + y * y * 5.0 + z * z * 3.0;
            c.yhat[i] = (uint8_t)(q < 0.9 && tu_uniform(&r) > 0.01);
            c.truth[i] = (uint8_t)(q < 0.5 + 0.1 * tu_uniform(&r));
            c.pred[i] = c.yhat[i] ? 0.75f : 0.0f;
        }
        im = view_of(&c);
        params_of(&c, &p);
        s = conseco_shrinker_erosion(&p);
        ref_d = malloc(c.n * sizeof(double));
        ref_mm_distances(c.yhat, c.w, c.h, c.d, c.sp, c.border, ref_d);
        check_levels(&c, &s, &im, ref_d, "medium ");
        tau = tu_uniform(&r) * 0.3;
        check_scores(&c, ref_d, &tau, 1, literal_score, "medium ");
        free(ref_d);
        free_case(&c);
    }
}

/* The exact distance against the literal one, offsets up to 2^24. */
static void test_distance_exact(void **state)
{
    tu_rng r = {13};
    int i;
    (void)state;
    for (i = 0; i < (int)tu_cases(100000); i++) {
        double sp[3];
        conseco__mm m;
        uint32_t k[3];
        int a;
        const int range = (int)tu_range(&r, 0, 3);
        for (a = 0; a < 3; a++) {
            sp[a] = random_spacing(&r);
            k[a] = (uint32_t)tu_range(&r, 0, range == 0 ? 3 : range == 1 ? 40 : range == 2 ? 5000
                                                                                         : (1u << 24));
        }
        if (i % 3 == 0) sp[1] = sp[0];
        assert_int_equal(conseco__mm_init(&m, sp), CONSECO_OK);
        {
            const double got = conseco__mm_distance(&m, k[0], k[1], k[2]),
                         want = ref_mm_distance(sp, k[0], k[1], k[2]);
            if (got != want)
                fail_msg("distance %u %u %u sp %.17g %.17g %.17g: %.17g want %.17g", k[0], k[1],
                         k[2], sp[0], sp[1], sp[2], got, want);
        }
    }
}

/* Exact ties of the sign: sums that cancel exactly, and near misses. */
static void test_sign_exact(void **state)
{
    conseco__mm m;
    const double sp[3] = {0.1, 0.2, 0.30000000000000004};
    int64_t c[3];
    (void)state;
    assert_int_equal(conseco__mm_init(&m, sp), CONSECO_OK);
    c[0] = 4;
    c[1] = -1;
    c[2] = 0;
    /* 0.1^2 * 4 vs 0.2^2: 0.2 = 2 * 0.1 exactly in binary */
    assert_int_equal(conseco__mm_sign(&m, c), 0);
    c[0] = 0;
    c[1] = 0;
    c[2] = 0;
    assert_int_equal(conseco__mm_sign(&m, c), 0);
    c[0] = 1;
    assert_int_equal(conseco__mm_sign(&m, c), 1);
    c[0] = -1;
    assert_int_equal(conseco__mm_sign(&m, c), -1);
    /* 9 * 0.1^2 vs 0.30000000000000004^2: not equal in exact arithmetic */
    c[0] = 9;
    c[1] = 0;
    c[2] = -1;
    assert_int_not_equal(conseco__mm_sign(&m, c), 0);
}

/* A midpoint tie: sqrt(D2) exactly halfway between two doubles rounds to even. */
static void test_rounding_tie(void **state)
{
    /* s0 = 1 + 2^-52 = r, so d(1,0,0) = r exactly; and a constructed midpoint:
     * spacing m = 1 + 2^-53 is not a double, so take s0 = 2^-26 * (2^27 + 1)
     * whose square is 1 + 2^-26 + 2^-54: compare with the reference. */
    const double sp[3] = {(134217728.0 + 1.0) / 67108864.0, 1.0, 1.0};
    conseco__mm m;
    (void)state;
    assert_int_equal(conseco__mm_init(&m, sp), CONSECO_OK);
    assert_true(conseco__mm_distance(&m, 1, 0, 0) == sp[0]);
    assert_true(conseco__mm_distance(&m, 3, 0, 0) == ref_mm_distance(sp, 3, 0, 0));
    assert_true(conseco__mm_distance(&m, 1, 1, 1) == ref_mm_distance(sp, 1, 1, 1));
}

static void test_bad_inputs(void **state)
{
    float px[4] = {1, 1, 0, 1};
    uint8_t t[4] = {0, 0, 0, 0};
    conseco_erosion_params p;
    conseco_shrinker s;
    conseco_image im = conseco_image_2d(px, 2, 2, 2 * sizeof(float), CONSECO_DTYPE_F32);
    const conseco_mask truth = conseco_mask_2d(t, 2, 2, 2);
    unsigned char scratch[4096];
    double score, lv[4];
    uint8_t out[4];
    (void)state;
    conseco_erosion_params_default(&p);
    p.element = CONSECO_ELEMENT_BALL_MM;
    s = conseco_shrinker_erosion(&p);
    assert_int_equal(conseco_shrinker_validate(&s), CONSECO_OK);
    im.spacing[0] = 1e-200; /* below 2^-256 */
    assert_int_equal(conseco_score(&s, &im, &truth, 0.1, scratch, sizeof scratch, &score),
                     CONSECO_E_BAD_SPACING);
    assert_int_equal(s.vtable->levels(s.user, &im, lv, 4), CONSECO_E_BAD_SPACING);
    assert_int_equal(s.vtable->apply(s.user, &im, 1.0, out, 4), CONSECO_E_BAD_SPACING);
    im.spacing[0] = 1e100;
    assert_int_equal(conseco_score(&s, &im, &truth, 0.1, scratch, sizeof scratch, &score),
                     CONSECO_E_BAD_SPACING);
    im.spacing[0] = 0.5;
    im.spacing[2] = 1e300; /* ignored: a 2-D image has no z offsets */
    assert_int_equal(conseco_score(&s, &im, &truth, 0.0, scratch, sizeof scratch, &score),
                     CONSECO_OK);
    /* foreground border: d = 1, sqrt(0.25 + 1), 0.5; tau 0 keeps no FP */
    assert_true(score == ref_mm_score((const uint8_t[]){1, 1, 0, 1}, t, 2, 2, 1,
                                      (const double[]){0.5, 1.0, 1.0},
                                      CONSECO_BORDER_FOREGROUND, 0.0));
    assert_true(score == sqrt(1.25));
    p.element = 5;
    assert_int_equal(conseco_shrinker_validate(&s), CONSECO_E_BAD_SHRINKER);
    assert_int_equal(conseco_scratch_size(&s, 2, 2, 1), 0);
}

/* The fused float32 scan (bounding box and finiteness in one pass): a NaN,
 * +inf or -inf anywhere (in a skipped group of 16, a group with Yhat pixels,
 * the row tail) is CONSECO_E_NONFINITE for ball-mm and the 3-D cross alike;
 * counts and bounds match the scalar test on float32 and float64 copies. */
static void test_nonfinite_and_f32_scan(void **state)
{
    tu_rng r = {15};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(400); it++) {
        const size_t w = tu_range(&r, 1, 70), h = tu_range(&r, 1, 5), d = tu_range(&r, 1, 4);
        const size_t n = w * h * d;
        float *f = calloc(n, sizeof(float));
        double *g = calloc(n, sizeof(double));
        uint8_t *t = calloc(n, 1);
        conseco_erosion_params p;
        conseco_shrinker s;
        conseco_image imf = conseco_image_3d(f, w, h, d, w * 4, w * h * 4, CONSECO_DTYPE_F32),
                      img = conseco_image_3d(g, w, h, d, w * 8, w * h * 8, CONSECO_DTYPE_F64);
        const conseco_mask m = conseco_mask_3d(t, w, h, d, w, w * h);
        size_t i, ss;
        void *scratch;
        double a, b;
        int el;
        for (i = 0; i < n; i++) {
            f[i] = tu_range(&r, 0, 9) == 0 ? 0.5f + (float)tu_uniform(&r) : (float)tu_uniform(&r) * 0.5f;
            if (tu_range(&r, 0, 30) == 0) f[i] = nextafterf(0.5f, 0.0f);
            g[i] = f[i];
            t[i] = (uint8_t)tu_range(&r, 0, 1);
        }
        for (el = 0; el < 2; el++) {
            conseco_erosion_params_default(&p);
            p.element = el ? CONSECO_ELEMENT_BALL_MM : CONSECO_ELEMENT_CROSS;
            s = conseco_shrinker_erosion(&p);
            ss = conseco_scratch_size(&s, w, h, d);
            scratch = malloc(ss);
            assert_int_equal(conseco_score(&s, &imf, &m, 0.1, scratch, ss, &a), CONSECO_OK);
            assert_int_equal(conseco_score(&s, &img, &m, 0.1, scratch, ss, &b), CONSECO_OK);
            assert_true(same(a, b));
            if (it % 2 == 0) {
                const size_t at = tu_range(&r, 0, n - 1);
                static const float bad[3] = {NAN, INFINITY, -INFINITY};
                f[at] = bad[tu_range(&r, 0, 2)];
                assert_int_equal(conseco_score(&s, &imf, &m, 0.1, scratch, ss, &a),
                                 CONSECO_E_NONFINITE);
                f[at] = (float)g[at];
            }
            free(scratch);
        }
        free(f);
        free(g);
        free(t);
    }
}

/* Saved state keeps element 4 and loads back; the scores are reals. */
static void test_state(void **state)
{
    conseco_erosion_params p;
    conseco_calibrator *cal = NULL, *cal2 = NULL;
    conseco_calibrator_config cfg;
    conseco_state_info info;
    float px[9] = {1, 1, 1, 1, 1, 1, 1, 1, 0};
    uint8_t t[9] = {0, 0, 0, 0, 1, 0, 0, 0, 0};
    conseco_image im = conseco_image_2d(px, 3, 3, 3 * sizeof(float), CONSECO_DTYPE_F32);
    const conseco_mask truth = conseco_mask_2d(t, 3, 3, 3);
    unsigned char buf[4096];
    size_t len = 0;
    double score = 0.0, lh = 0.0;
    (void)state;
    conseco_erosion_params_default(&p);
    p.element = CONSECO_ELEMENT_BALL_MM;
    p.border = CONSECO_BORDER_BACKGROUND;
    im.spacing[0] = 0.7;
    im.spacing[1] = 2.5;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_erosion(&p);
    cfg.tau = 0.1;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &cal), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(cal, &im, &truth, &score), CONSECO_OK);
    /* false positives at distance 0.7 (x border), 1.4 (x), 2.5 (y) ... budget 0 of 8:
     * the largest FP distance: pixel (1,0)? the centre is truth; the rest touch the border */
    assert_true(score == ref_mm_score((const uint8_t[]){1, 1, 1, 1, 1, 1, 1, 1, 0}, t, 3, 3, 1,
                                      (const double[]){0.7, 2.5, 1.0},
                                      CONSECO_BORDER_BACKGROUND, 0.1));
    assert_true(score != floor(score)); /* a real lambda, not an integer step */
    assert_int_equal(conseco_calibrator_save(cal, buf, sizeof buf, &len), CONSECO_OK);
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(conseco_state_inspect(buf, len, &info), CONSECO_OK);
    assert_int_equal(info.kind, CONSECO_KIND_EROSION);
    assert_int_equal(info.erosion.element, CONSECO_ELEMENT_BALL_MM);
    assert_int_equal(info.erosion.border, CONSECO_BORDER_BACKGROUND);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &cal2), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(cal2, buf, len), CONSECO_OK);
    assert_int_equal(conseco_calibrator_lambda_hat(cal2, 0.5, &lh, NULL), CONSECO_OK);
    assert_true(lh == score);
    /* a state of another element does not load into a ball-mm calibrator */
    p.element = CONSECO_ELEMENT_DISK;
    conseco_calibrator_free(cal2);
    cal2 = NULL;
    cfg.shrinker = conseco_shrinker_erosion(&p);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &cal2), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(cal2, buf, len), CONSECO_E_INCOMPATIBLE);
    conseco_calibrator_free(cal);
    conseco_calibrator_free(cal2);
}

/* The whole volume of c as a box, its sides open (or closed) on every axis. */
static void whole_box(conseco__box *box, const mcase *c, int open)
{
    box->n[0] = c->w;
    box->n[1] = c->h;
    box->n[2] = c->d;
    memset(box->open_lo, open, 3);
    memset(box->open_hi, open, 3);
}

/* A spacing m * 2^e with an odd m of up to `bits` bits (or a power of two). */
static double dyadic_spacing(tu_rng *r, int bits)
{
    const double m = (double)(tu_range(r, 0, ((size_t)1 << (bits - 1)) - 1) * 2 + 1);
    const int e = (int)tu_range(r, 0, (size_t)bits + 6) - (bits + 3);
    return ldexp(m, e);
}

/* The score's integer path (distance_mm_int.c): medium volumes with
 * spacings whose squares share a power-of-two unit (mantissas of 1 to 16
 * bits, so that some weights are near the 2^32 limit and some boxes fall
 * back to the general path), groups of 16 gathered lines with a short last
 * one, thin boxes; against the literal reference. */
static void test_integer_path(void **state)
{
    tu_rng r = {15};
    int it, took = 0, fell = 0;
    (void)state;
    for (it = 0; it < (int)tu_cases(120); it++) {
        static const double taus[3] = {0.0, 0.02, 0.2};
        mcase c;
        conseco__mm_box mb;
        conseco__mm_int mi;
        conseco__box box;
        double *ref_d;
        size_t i;
        const int bits = (int)tu_range(&r, 1, 16);
        draw_policy(&r, &c);
        c.w = tu_range(&r, 1, 6) == 1 ? tu_range(&r, 1, 3) : tu_range(&r, 17, 40);
        c.h = tu_range(&r, 1, 6) == 1 ? tu_range(&r, 1, 3) : tu_range(&r, 2, 26);
        c.d = it % 5 == 0 ? 1 : tu_range(&r, 2, 9);
        for (i = 0; i < 3; i++) c.sp[i] = dyadic_spacing(&r, bits);
        if (it % 3 == 0) c.sp[1] = c.sp[0];
        alloc_case(&c);
        for (i = 0; i < c.n; i++) {
            const double x = (double)(i % c.w) / (double)c.w - 0.4,
                         y = (double)(i / c.w % c.h) / (double)c.h - 0.5,
                         z = c.d > 1 ? (double)(i / (c.w * c.h)) / (double)c.d - 0.6 : 0.0;
            const double q = x * x * 3.0 + y * y * 4.0 + z * z * 2.0;
            c.yhat[i] = (uint8_t)(q < (it % 7 == 0 ? 3.0 : 0.8) && tu_uniform(&r) > 0.005);
            c.truth[i] = (uint8_t)(q < 0.4 + 0.2 * tu_uniform(&r));
            c.pred[i] = c.yhat[i] ? 0.75f : 0.0f;
        }
        /* which path the score takes: the box of the whole volume bounds it */
        whole_box(&box, &c, 1);
        if (c.d == 1) box.open_lo[2] = box.open_hi[2] = 0;
        assert_int_equal(conseco__mm_box_init(&mb, &box), CONSECO_OK);
        if (conseco__mm_int_init(&mi, c.sp, &mb)) took++;
        else fell++;
        ref_d = malloc(c.n * sizeof(double));
        ref_mm_distances(c.yhat, c.w, c.h, c.d, c.sp, c.border, ref_d);
        check_scores(&c, ref_d, taus, 3, literal_score, "integer path ");
        free(ref_d);
        free_case(&c);
    }
    print_message("integer path: %d volumes, %d general\n", took, fell);
    if (tu_cases(120) == 120) assert_true(took >= 40 && fell >= 5);
}

/* The integer weights and their limit; the exact square root. */
static void test_integer_weights(void **state)
{
    conseco__box box;
    conseco__mm_box mb;
    conseco__mm_int mi;
    double sp[3] = {0.78125, 0.78125, 2.5};
    tu_rng r = {16};
    int i;
    (void)state;
    box.n[0] = 265;
    box.n[1] = 212;
    box.n[2] = 140;
    memset(box.open_lo, 1, 3);
    memset(box.open_hi, 0, 3);
    assert_int_equal(conseco__mm_box_init(&mb, &box), CONSECO_OK);
    assert_true(conseco__mm_int_init(&mi, sp, &mb));
    assert_true(mi.w[0] == 625 && mi.w[1] == 625 && mi.w[2] == 6400);
    assert_true(mi.unit == 1.0 / 1024.0);
    sp[0] = sp[1] = 0.8632810115814209; /* a float32 pixdim: 22-bit mantissa */
    assert_false(conseco__mm_int_init(&mi, sp, &mb));
    /* w = 1 on one axis only: offsets up to n, n^2 just below / at 2^32 - 1 */
    sp[0] = sp[1] = sp[2] = 1.0;
    box.n[0] = 65535;
    box.n[1] = box.n[2] = 1;
    memset(box.open_lo, 0, 3);
    box.open_lo[0] = 1;
    assert_int_equal(conseco__mm_box_init(&mb, &box), CONSECO_OK);
    assert_true(conseco__mm_int_init(&mi, sp, &mb)); /* 65535^2 = 2^32 - 2^17 + 1 */
    assert_true(mi.w[1] == 0 && mi.w[2] == 0);
    box.n[1] = 2; /* + 1 * 1^2 ... still below */
    assert_int_equal(conseco__mm_box_init(&mb, &box), CONSECO_OK);
    assert_true(conseco__mm_int_init(&mi, sp, &mb));
    sp[1] = 256.0; /* w = 2^16 on y: 65535^2 + 2^16 < 2^32 - 1 */
    assert_true(conseco__mm_int_init(&mi, sp, &mb));
    sp[1] = 512.0; /* w = 2^18 on y: 65535^2 + 2^18 >= 2^32 - 1 */
    assert_false(conseco__mm_int_init(&mi, sp, &mb));
    for (i = 0; i < 20000; i++) {
        const double v = ldexp((double)(tu_next(&r) >> 11), (int)tu_range(&r, 0, 80) - 60);
        assert_true(conseco__mm_sqrt_exact(v) == sqrt(v));
    }
    assert_true(conseco__mm_sqrt_exact(0.0) == 0.0);
}

/* Spacings for the pair path (distance_mm_pair.c): two axes whose squared
 * spacings are small integer multiples of one s_u^2 (equal float32 or double
 * values, ratios of small odd integers times powers of two), the third
 * anything (float32, full double, dyadic, a huge ratio up to 2^36, the
 * reference's range); sometimes three unrelated values (the general path).
 * Returns the axis meant to be real. */
static int pair_spacing(tu_rng *r, double sp[3])
{
    const int c = (int)tu_range(r, 0, 5) < 3 ? 2 : (int)tu_range(r, 0, 1);
    const int a = c == 0 ? 1 : 0, b = c == 2 ? 1 : 2;
    double base;
    switch (tu_range(r, 0, 3)) {
    case 0: base = (double)(float)(0.3 + 2.0 * tu_uniform(r)); break;
    case 1: base = 0.3 + 2.0 * tu_uniform(r); break;
    case 2: base = dyadic_spacing(r, (int)tu_range(r, 1, 12)); break;
    default: base = random_spacing(r); break;
    }
    sp[a] = base;
    switch (tu_range(r, 0, 3)) {
    case 0:
    case 1: sp[b] = base; break;
    case 2: /* a ratio of small odd integers and a power of two */
        sp[a] = base * (double)(2 * tu_range(r, 0, 4) + 1);
        sp[b] = ldexp(base * (double)(2 * tu_range(r, 0, 4) + 1), (int)tu_range(r, 0, 4) - 2);
        break;
    default: sp[b] = random_spacing(r); break; /* usually unrelated */
    }
    switch (tu_range(r, 0, 5)) {
    case 0: sp[c] = (double)(float)(0.5 + 5.0 * tu_uniform(r)); break;
    case 1: sp[c] = 0.5 + 5.0 * tu_uniform(r); break;
    case 2: sp[c] = sp[a] * ldexp(1.0, (int)tu_range(r, 0, 72) - 36); break; /* huge ratios */
    case 3: sp[c] = sp[a] * (tu_range(r, 0, 1) ? 1e6 : 1e-6) * (1.0 + tu_uniform(r)); break;
    case 4: sp[c] = sp[a]; break;
    default: sp[c] = random_spacing(r); break;
    }
    return c;
}

/* The score's pair path on thousands of random small and some medium
 * volumes (blobs with holes, thin, empty, full, Yhat touching the borders,
 * both policies) against the literal reference. */
static void test_pair_path(void **state)
{
    tu_rng r = {18};
    int it, took = 0, fell = 0;
    const int count = (int)tu_cases(2500);
    (void)state;
    for (it = 0; it < count; it++) {
        mcase c;
        conseco__mm_pair pr;
        conseco__box box;
        double *ref_d, taus[3] = {0.0, 0.03, 0.0};
        size_t i;
        const int medium = it % 25 == 0;
        const int kind = (int)tu_range(&r, 0, 9);
        const double ox = tu_uniform(&r), oy = tu_uniform(&r), oz = tu_uniform(&r);
        draw_policy(&r, &c);
        c.w = medium ? tu_range(&r, 20, 44) : tu_range(&r, 1, 14);
        c.h = medium ? tu_range(&r, 16, 36) : tu_range(&r, 1, 12);
        c.d = medium ? tu_range(&r, 2, 12) : tu_range(&r, 1, 9);
        (void)pair_spacing(&r, c.sp);
        if (c.d > 1 && tu_range(&r, 0, 7) == 0) { /* scaled far from 1 (2-D: z stays 1) */
            const double sc = ldexp(1.0, tu_range(&r, 0, 1) ? 150 : -150);
            for (i = 0; i < 3; i++) c.sp[i] *= sc;
        }
        alloc_case(&c);
        for (i = 0; i < c.n; i++) {
            const double x = ((double)(i % c.w) + 0.5) / (double)c.w - ox,
                         y = ((double)(i / c.w % c.h) + 0.5) / (double)c.h - oy,
                         z = ((double)(i / (c.w * c.h)) + 0.5) / (double)c.d - oz;
            const double q = x * x * 3.0 + y * y * 4.0 + z * z * 2.0;
            switch (kind) {
            case 0: c.yhat[i] = 0; break;
            case 1: c.yhat[i] = 1; break;
            case 2: c.yhat[i] = (uint8_t)(tu_uniform(&r) < 0.97); break; /* few holes */
            case 3: c.yhat[i] = (uint8_t)(tu_uniform(&r) < 0.5); break;
            default: c.yhat[i] = (uint8_t)(q < 0.6 && tu_uniform(&r) > 0.01); break;
            }
            c.truth[i] = (uint8_t)(kind == 4 ? q < 0.2 : tu_uniform(&r) < 0.4);
            c.pred[i] = c.yhat[i] ? 0.75f : 0.0f;
        }
        whole_box(&box, &c, 1);
        if (conseco__mm_pair_init(&pr, c.sp, &box) && /* and its work fits (erosion_mm.c) */
            conseco__mm_pair_fit(&pr, &box, conseco__mm_int_work_bytes_image(c.w, c.h, c.d)))
            took++;
        else
            fell++;
        ref_d = malloc(c.n * sizeof(double));
        ref_mm_distances(c.yhat, c.w, c.h, c.d, c.sp, c.border, ref_d);
        taus[2] = 0.5 * tu_uniform(&r);
        check_scores(&c, ref_d, taus, 3, literal_score, "pair path ");
        free(ref_d);
        free_case(&c);
    }
    print_message("pair path: %d volumes, %d other\n", took, fell);
    if (count == 2500) assert_true(took >= 1000 && fell >= 100);
}

/* The pair form's weights and limits. */
static void test_pair_weights(void **state)
{
    conseco__box box;
    conseco__mm_pair pr;
    double sp[3] = {0.8632810115814209, 0.8632810115814209, 2.5};
    (void)state;
    box.n[0] = 512;
    box.n[1] = 512;
    box.n[2] = 300;
    memset(box.open_lo, 1, 3);
    memset(box.open_hi, 1, 3);
    assert_true(conseco__mm_pair_init(&pr, sp, &box));
    assert_true(pr.c == 2 && pr.wa == 1 && pr.wb == 1 && pr.bits == 9);
    assert_true(pr.unit == sp[0] * sp[0]);
    assert_true(conseco__mm_pair_distance(&pr, 0) == 0.0);
    assert_true(conseco__mm_pair_distance(&pr, CONSECO__MM_NONE) == INFINITY);
    assert_true(conseco__mm_pair_distance(&pr, 1u << 9) == sp[0]); /* G = 1, k = 0 */
    assert_true(conseco__mm_pair_distance(&pr, 1u) == 2.5);         /* G = 0, k = 1 */
    assert_true(pr.a == 1 && pr.b == 0); /* the sweep along y, the envelopes along rows */
    sp[1] = 3.0 * sp[0]; /* w = 1 (x) and 9 (y) */
    assert_true(conseco__mm_pair_init(&pr, sp, &box));
    assert_true(pr.c == 2 && pr.wa == 9 && pr.wb == 1);
    sp[1] = sp[0] * 0.5 * 0.5; /* w = 16 (x) and 1 (y) */
    assert_true(conseco__mm_pair_init(&pr, sp, &box));
    assert_true(pr.c == 2 && pr.wa == 1 && pr.wb == 16);
    sp[0] = 0.7;
    sp[1] = 0.9;
    sp[2] = 0.7; /* x and z pair: y is the real axis */
    assert_true(conseco__mm_pair_init(&pr, sp, &box));
    assert_true(pr.c == 1 && pr.wa == 1 && pr.wb == 1);
    sp[2] = 0.8; /* three unrelated doubles: the general path */
    assert_false(conseco__mm_pair_init(&pr, sp, &box));
    sp[0] = sp[1] = 1.0; /* G = 2 * 65535^2 does not fit */
    box.n[0] = box.n[1] = 65535;
    box.n[2] = 1;
    box.open_lo[2] = box.open_hi[2] = 0;
    assert_false(conseco__mm_pair_init(&pr, sp, &box));
    box.n[1] = 2; /* G = 65535^2 + 4 (w = 1, 1 ...) and no bits for z */
    assert_true(conseco__mm_pair_init(&pr, sp, &box));
    assert_true(pr.bits == 0);
}

/* The score's transforms themselves, every cell against the literal
 * distances: the integer form (conseco__mm_int_transform), the pair form
 * unpruned in one go and, with z real, slice by slice; the whole volume as
 * the box, its sides open under the background policy. */
static void test_transforms_direct(void **state)
{
    tu_rng r = {19};
    int it, n_int = 0, n_pair = 0, n_plane = 0;
    const int count = (int)tu_cases(1500);
    (void)state;
    for (it = 0; it < count; it++) {
        mcase c;
        conseco__box box;
        conseco__mm_box mb;
        conseco__mm_int mi;
        conseco__mm_pair pr;
        double sp[3], *ref_d;
        uint32_t *cells;
        void *work;
        size_t i, z, a;
        int open, form;
        make_case(&r, &c, 1);
        if (it % 15 == 0) { /* medium: long envelopes, 16-line groups and a short last one */
            free_case(&c);
            c.w = tu_range(&r, 17, 41);
            c.h = tu_range(&r, 17, 35);
            c.d = tu_range(&r, 1, 3) == 1 ? 1 : tu_range(&r, 2, 11);
            alloc_case(&c);
            for (i = 0; i < c.n; i++) {
                const double x = (double)(i % c.w) / (double)c.w - 0.45,
                             y = (double)(i / c.w % c.h) / (double)c.h - 0.5,
                             zz = (double)(i / (c.w * c.h)) / (double)c.d - 0.5;
                c.yhat[i] = (uint8_t)(x * x * 3.0 + y * y * 4.0 + zz * zz * 2.0 < 0.7 &&
                                      tu_uniform(&r) > 0.01);
            }
        }
        if (it % 2) { /* spacings for the pair form, or dyadic ones for both */
            (void)pair_spacing(&r, c.sp);
        } else {
            const int bits = (int)tu_range(&r, 1, 10);
            for (i = 0; i < 3; i++) c.sp[i] = dyadic_spacing(&r, bits);
        }
        for (a = 0; a < 3; a++) sp[a] = c.sp[a] == 0.0 ? 1.0 : c.sp[a];
        if (c.d == 1) sp[2] = 1.0;
        open = c.border == CONSECO_BORDER_BACKGROUND;
        whole_box(&box, &c, open);
        if (c.d == 1) box.open_lo[2] = box.open_hi[2] = 0;
        assert_int_equal(conseco__mm_box_init(&mb, &box), CONSECO_OK);
        ref_d = malloc(c.n * sizeof(double));
        ref_mm_distances(c.yhat, c.w, c.h, c.d, c.sp, c.border, ref_d);
        cells = malloc(c.n * sizeof(uint32_t));
        work = malloc(conseco__mm_int_work_bytes_image(c.w, c.h, c.d) +
                      24u * 4u * (c.w + c.h + c.d + 4u)); /* more than the pair form needs */
        for (form = 0; form < 3; form++) {
            if (form == 0 && !conseco__mm_int_init(&mi, sp, &mb)) continue;
            if (form > 0 && !conseco__mm_pair_init(&pr, sp, &box)) continue;
            if (form == 2 && pr.c != 2) continue;
            for (i = 0; i < c.n; i++) cells[i] = c.yhat[i] ? CONSECO__MM_NONE : 0u;
            if (form == 0) {
                conseco__mm_int_transform(cells, &mb, &mi, work);
                n_int++;
            } else if (form == 1) {
                if (it % 3 == 0) (void)conseco__mm_pair_fit(&pr, &box, 0); /* a, b swapped */
                assert_int_equal(conseco__mm_pair_transform(cells, &box, &pr, work, NULL), 0);
                n_pair++;
            } else {
                for (z = 0; z < c.d; z++)
                    conseco__mm_pair_plane(cells + z * c.w * c.h, &box, &pr, work, z == 0);
                assert_int_equal(conseco__mm_pair_last(cells, &box, &pr, work, NULL), 0);
                n_plane++;
            }
            for (i = 0; i < c.n; i++) {
                const double got = form == 0 ? conseco__mm_int_distance(&mi, cells[i])
                                             : conseco__mm_pair_distance(&pr, cells[i]);
                if (!same(got, ref_d[i]))
                    fail_msg("form %d voxel %zu: %.17g want %.17g sp %.17g %.17g %.17g "
                             "%zux%zux%zu border %d",
                             form, i, got, ref_d[i], sp[0], sp[1], sp[2], c.w, c.h, c.d,
                             c.border);
            }
        }
        free(work);
        free(cells);
        free(ref_d);
        free_case(&c);
    }
    print_message("direct: integer %d, pair %d, by slices %d\n", n_int, n_pair, n_plane);
    if (count == 1500) assert_true(n_int >= 300 && n_pair >= 800 && n_plane >= 300);
}

static int cmp_dbl(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The definition's walk over the breakpoints {0} and d(p), p in Yhat, with
 * the false positives' distances sorted (O(n log n), for large volumes):
 * the smallest with #{FP : d > lambda} / |Yhat| <= tau. */
static double walk_score(const mcase *c, const double *dist, double tau)
{
    double *bp = malloc((c->n + 1) * sizeof *bp), *fp = malloc((c->n + 1) * sizeof *fp), score;
    size_t i, nb = 0, nf = 0, predicted = 0, b, j = 0;
    bp[nb++] = 0.0;
    for (i = 0; i < c->n; i++)
        if (c->yhat[i]) {
            predicted++;
            bp[nb++] = dist[i];
            if (!c->truth[i]) fp[nf++] = dist[i];
        }
    qsort(bp, nb, sizeof *bp, cmp_dbl);
    qsort(fp, nf, sizeof *fp, cmp_dbl);
    score = predicted == 0 ? 0.0 : INFINITY;
    for (b = 0; b < nb && predicted > 0; b++) {
        if (bp[b] == INFINITY) break; /* lambda = +inf keeps nothing: the default */
        while (j < nf && fp[j] <= bp[b]) j++; /* fp[j..) are > bp[b] */
        if ((double)(nf - j) / (double)predicted <= tau) {
            score = bp[b];
            break;
        }
    }
    free(bp);
    free(fp);
    return score;
}

/* Large volumes (up to 96 x 80 x 24, tens of thousands of false positives)
 * so that the score's selection narrows approximate buckets before its exact
 * step (erosion_mm.c), on both paths (float32 and dyadic spacings, scaled by
 * large and small powers of two): the score against the one the literal walk
 * gives from the exact levels of the levels callback. */
static void test_large_selection(void **state)
{
    tu_rng r = {17};
    int it;
    (void)state;
    for (it = 0; it < (int)tu_cases(24); it++) {
        static const double taus[3] = {0.0, 0.01, 0.05};
        mcase c;
        conseco_erosion_params p;
        conseco_shrinker s;
        conseco_image im;
        double *dist;
        size_t i;
        const double scale = ldexp(1.0, it % 4 == 1 ? 200 : it % 4 == 2 ? -200 : 0);
        draw_policy(&r, &c);
        c.w = tu_range(&r, 40, 96);
        c.h = tu_range(&r, 40, 80);
        c.d = tu_range(&r, 6, 24);
        c.border = it & 1 ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        if (it % 3 == 0) {
            c.sp[0] = c.sp[1] = 0.78125 * scale;
            c.sp[2] = 2.5 * scale;
        } else {
            c.sp[0] = c.sp[1] = (double)(float)(0.6 + 0.4 * tu_uniform(&r)) * scale;
            c.sp[2] = (double)(float)(1.0 + 4.0 * tu_uniform(&r)) * scale;
        }
        alloc_case(&c);
        for (i = 0; i < c.n; i++) {
            const double x = (double)(i % c.w) / (double)c.w - 0.5,
                         y = (double)(i / c.w % c.h) / (double)c.h - 0.45,
                         z = (double)(i / (c.w * c.h)) / (double)c.d - 0.5;
            const double q = x * x * 4.0 + y * y * 5.0 + z * z * 3.0;
            const double x2 = x - 0.05;
            c.yhat[i] = (uint8_t)(q < 0.7 && tu_uniform(&r) > 0.002);
            c.truth[i] = (uint8_t)(x2 * x2 * 5.0 + y * y * 6.0 + z * z * 4.0 < 0.45);
            c.pred[i] = c.yhat[i] ? 0.75f : 0.0f;
        }
        im = view_of(&c);
        params_of(&c, &p);
        s = conseco_shrinker_erosion(&p);
        dist = malloc(c.n * sizeof(double));
        assert_int_equal(s.vtable->levels(s.user, &im, dist, c.n), 0);
        for (i = 0; i < c.n; i++) /* level = the double just below d */
            if (dist[i] > 0.0 && dist[i] != INFINITY) dist[i] = nextafter(dist[i], INFINITY);
        check_scores(&c, dist, taus, 3, walk_score, "large ");
        free(dist);
        free_case(&c);
    }
}

/* The pair path's flagged pruned pass (distance_mm_pair.c: equal or
 * integer-ratio in-plane spacings, z real, boxes 16 or more wide so that
 * groups of lines are checked unread): volumes whose Yhat is an ellipsoid
 * (with holes, clipped by the image, full, empty or random) and whose truth
 * is a padded view (row and slice strides beyond the data), both borders,
 * several tau, against the literal reference. */
static void test_pair_flagged(void **state)
{
    tu_rng r = {19};
    int it, flagged = 0;
    const int count = (int)tu_cases(1200);
    (void)state;
    for (it = 0; it < count; it++) {
        mcase c;
        conseco_erosion_params p;
        conseco_shrinker s;
        conseco_image im;
        conseco_mask truth;
        conseco__mm_pair pr;
        conseco__box box;
        double *ref_d, got, want;
        size_t i, ss, rs, sls;
        uint8_t *tpad;
        void *scratch;
        const int kind = (int)tu_range(&r, 0, 11);
        const double ox = 0.3 + 0.4 * tu_uniform(&r), oy = 0.3 + 0.4 * tu_uniform(&r),
                     oz = 0.2 + 0.6 * tu_uniform(&r), rad = 0.2 + 0.6 * tu_uniform(&r),
                     shift = 0.2 * tu_uniform(&r), tfrac = 0.3 + 0.8 * tu_uniform(&r);
        make_case(&r, &c, 1);
        free_case(&c);
        c.w = tu_range(&r, 16, 30);
        /* h >= w mostly: the rows' work fits (else a and b swap, no slices) */
        c.h = tu_range(&r, 0, 5) ? c.w + tu_range(&r, 0, 6) : tu_range(&r, 1, 12);
        c.d = tu_range(&r, 2, 8);
        c.n = c.w * c.h * c.d;
        if (tu_range(&r, 0, 2) == 0) {
            c.sp[0] = c.sp[1] = 0.78125;
            c.sp[2] = tu_range(&r, 0, 1) ? 2.5 : 0.78125 * (double)tu_range(&r, 1, 6);
        } else {
            (void)pair_spacing(&r, c.sp);
            c.sp[1] = c.sp[0]; /* in plane equal: z real, slice by slice */
        }
        c.yhat = calloc(c.n, 1);
        c.truth = calloc(c.n, 1);
        c.pred = calloc(c.n, sizeof(float));
        for (i = 0; i < c.n; i++) {
            const double x = ((double)(i % c.w) + 0.5) / (double)c.w - ox,
                         y = ((double)(i / c.w % c.h) + 0.5) / (double)c.h - oy,
                         z = ((double)(i / (c.w * c.h)) + 0.5) / (double)c.d - oz;
            const double q = (x * x * 3.0 + y * y * 4.0 + z * z * 2.0) / (rad * rad),
                         xs = x - shift;
            const double qt = (xs * xs * 3.0 + y * y * 4.0 + z * z * 2.0) / (rad * rad);
            switch (kind) {
            case 0: c.yhat[i] = 0; break;
            case 1: c.yhat[i] = 1; break;
            case 2: c.yhat[i] = (uint8_t)(tu_uniform(&r) < 0.6); break;
            case 3: c.yhat[i] = (uint8_t)(q < 1.0 && tu_uniform(&r) > 0.05); break;
            default: c.yhat[i] = (uint8_t)(q < 1.0 && tu_uniform(&r) > 0.003); break;
            }
            switch (kind % 4) {
            case 0: c.truth[i] = (uint8_t)(qt < tfrac); break;
            case 1: c.truth[i] = (uint8_t)(qt < tfrac || tu_uniform(&r) < 0.1); break;
            case 2: c.truth[i] = (uint8_t)(tu_uniform(&r) < 0.3); break;
            default: c.truth[i] = (uint8_t)(qt < tfrac && tu_uniform(&r) < 0.98); break;
            }
            c.pred[i] = c.yhat[i] ? (tu_range(&r, 0, 3) ? 0.5f : 0.9f) : 0.25f;
        }
        /* the truth through padded strides, the padding nonzero */
        rs = c.w + tu_range(&r, 0, 5);
        sls = rs * c.h + tu_range(&r, 0, 7);
        tpad = malloc(sls * c.d);
        memset(tpad, 1, sls * c.d);
        for (i = 0; i < c.n; i++)
            tpad[i / (c.w * c.h) * sls + i / c.w % c.h * rs + i % c.w] = c.truth[i];
        box.n[0] = c.w;
        box.n[1] = c.h;
        box.n[2] = c.d;
        memset(box.open_lo, 1, 3);
        memset(box.open_hi, 1, 3);
        if (conseco__mm_pair_init(&pr, c.sp, &box) &&
            conseco__mm_pair_fit(&pr, &box, conseco__mm_int_work_bytes_image(c.w, c.h, c.d)) &&
            pr.c == 2 && pr.a == 1 && pr.can_flag && pr.bits > 0)
            flagged++;
        im = view_of(&c);
        truth = conseco_mask_3d(tpad, c.w, c.h, c.d, rs, sls);
        params_of(&c, &p);
        s = conseco_shrinker_erosion(&p);
        ref_d = malloc(c.n * sizeof(double));
        ref_mm_distances(c.yhat, c.w, c.h, c.d, c.sp, c.border, ref_d);
        ss = conseco_scratch_size(&s, c.w, c.h, c.d);
        scratch = malloc(ss);
        for (i = 0; i < 4; i++) {
            static const double taus[4] = {0.0, 0.01, 0.05};
            const double tau = i < 3 ? taus[i] : 0.4 * tu_uniform(&r);
            assert_int_equal(conseco_score(&s, &im, &truth, tau, scratch, ss, &got), CONSECO_OK);
            want = ref_mm_score_of(c.yhat, c.truth, c.n, ref_d, tau);
            if (!same(got, want))
                fail_msg("flagged pair score %.17g want %.17g sp %.17g %.17g %.17g %zux%zux%zu "
                         "border %d tau %g kind %d",
                         got, want, c.sp[0], c.sp[1], c.sp[2], c.w, c.h, c.d, c.border, tau,
                         kind);
        }
        free(scratch);
        free(ref_d);
        free(tpad);
        free_case(&c);
    }
    print_message("flagged pair path: %d of %d volumes\n", flagged, count);
    if (count == 1200) assert_true(flagged >= 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_exact),
        cmocka_unit_test(test_rounding_tie),
        cmocka_unit_test(test_distance_exact),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_nonfinite_and_f32_scan),
        cmocka_unit_test(test_medium),
        cmocka_unit_test(test_integer_weights),
        cmocka_unit_test(test_integer_path),
        cmocka_unit_test(test_large_selection),
        cmocka_unit_test(test_pair_weights),
        cmocka_unit_test(test_pair_path),
        cmocka_unit_test(test_pair_flagged),
        cmocka_unit_test(test_transforms_direct),
        cmocka_unit_test(test_random_2d),
        cmocka_unit_test(test_random_3d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
