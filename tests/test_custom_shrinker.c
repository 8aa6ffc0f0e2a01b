/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Custom shrinkers through the vtable: the levels fast path, the black-box
 * search (apply + breakpoints), callback errors, vtable versioning and
 * validation, nestedness checks.
 *
 * Every score is compared three ways: the levels path, the black-box path
 * and a literal walk over Lambda written here from the definition; where a
 * built-in shrinker defines the same family, with the built-in too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conseco.h"
#include "test_util.h"

#define MAXW 12
#define MAXN (MAXW * MAXW)
#define LIMIT53 9007199254740992.0

static double inf(void) { return (double)INFINITY; }

/* ----------------------------------------------------------- test cases */
typedef struct tcase {
    size_t w, h, n;
    float s[MAXN];       /* score map (threshold and erosion families) */
    double lv[MAXN];     /* explicit level map (general families) */
    uint8_t truth[MAXN];
    double lmin, lmax, tau;
    int integer_lambdas; /* black box: every probed lambda must be an integer */
    int all_breakpoints; /* black box: report every pixel's level, not only Yhat's */
} tcase;

static double pick_tau(tu_rng *r)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0};
    if (tu_range(r, 0, 4) == 0) return tu_uniform(r);
    return taus[tu_range(r, 0, sizeof taus / sizeof taus[0] - 1)];
}

static void random_shape(tu_rng *r, tcase *c)
{
    size_t i;
    const double density = tu_uniform(r);
    c->w = tu_range(r, 1, MAXW);
    c->h = tu_range(r, 1, MAXW);
    c->n = c->w * c->h;
    c->integer_lambdas = 0;
    c->all_breakpoints = 0;
    for (i = 0; i < c->n; i++) c->truth[i] = tu_uniform(r) < density;
    c->tau = pick_tau(r);
}

/* Scores with many exact ties (k/16) or continuous values. */
static void random_scores(tu_rng *r, tcase *c)
{
    size_t i;
    const int quantised = tu_range(r, 0, 1) == 0;
    for (i = 0; i < c->n; i++)
        c->s[i] = quantised ? (float)tu_range(r, 0, 16) / 16.0f : (float)tu_uniform(r);
}

static conseco_image image_of(const tcase *c)
{
    return conseco_image_2d(c->s, c->w, c->h, c->w * sizeof(float), CONSECO_DTYPE_F32);
}

static conseco_mask truth_of(const tcase *c) { return conseco_mask_2d(c->truth, c->w, c->h, c->w); }

static conseco_shrinker_vtable make_vt(uint32_t domain, double lmin, double lmax)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = "test";
    vt.domain = domain;
    vt.lambda_min = lmin;
    vt.lambda_max = lmax;
    return vt;
}

/* Runs conseco_score with freshly sized scratch (offset by one byte: no alignment needed). */
static int score_with(const conseco_shrinker_vtable *vt, void *user, const conseco_image *im,
                      const conseco_mask *truth, double tau, double *out)
{
    conseco_shrinker sh;
    size_t need;
    unsigned char *scratch;
    int rc;
    sh.vtable = vt;
    sh.user = user;
    need = conseco_scratch_size(&sh, im->width, im->height, im->depth);
    if (need == 0) return conseco_shrinker_validate(&sh) != CONSECO_OK
                              ? conseco_shrinker_validate(&sh)
                              : CONSECO_E_OVERFLOW;
    scratch = malloc(need + 1);
    assert_non_null(scratch);
    rc = conseco_score(&sh, im, truth, tau, scratch + 1, need, out);
    free(scratch);
    return rc;
}

static int apply_with(const conseco_shrinker_vtable *vt, void *user, const conseco_image *im,
                      double lambda, uint8_t *inner, uint8_t *uncertain)
{
    conseco_shrinker sh;
    conseco_mask_out mi = conseco_mask_out_3d(inner, im->width, im->height, im->depth,
                                              im->width, im->width * im->height);
    conseco_mask_out mu = conseco_mask_out_3d(uncertain, im->width, im->height, im->depth,
                                              im->width, im->width * im->height);
    size_t need;
    unsigned char *scratch;
    int rc;
    sh.vtable = vt;
    sh.user = user;
    need = conseco_scratch_size(&sh, im->width, im->height, im->depth);
    assert_true(need > 0);
    scratch = malloc(need);
    assert_non_null(scratch);
    rc = conseco_apply(&sh, im, lambda, scratch, need, inner ? &mi : NULL,
                       uncertain ? &mu : NULL);
    free(scratch);
    return rc;
}

static int evaluate_with(const conseco_shrinker_vtable *vt, void *user, const conseco_image *im,
                         const conseco_mask *truth, double lambda, double tau,
                         conseco_image_metrics *out)
{
    conseco_shrinker sh;
    size_t need;
    unsigned char *scratch;
    int rc;
    sh.vtable = vt;
    sh.user = user;
    need = conseco_scratch_size(&sh, im->width, im->height, im->depth);
    assert_true(need > 0);
    scratch = malloc(need);
    assert_non_null(scratch);
    rc = conseco_evaluate_image(&sh, im, truth, lambda, tau, scratch, need, out);
    free(scratch);
    return rc;
}

/* -------------------------------------------------- literal references */
/* F_lambda <= tau exactly as docs/DESIGN.md says: a double division. */
static int f_ok(size_t kept_fp, size_t predicted, double tau)
{
    return predicted == 0 || (double)kept_fp / (double)predicted <= tau;
}

/* F of the level family {L >= lambda} restricted to Yhat = {L >= lmin}; lambda = +inf: empty. */
static int f_ok_levels(const tcase *c, double lambda)
{
    size_t i, predicted = 0, kept_fp = 0;
    for (i = 0; i < c->n; i++) {
        if (!(c->lv[i] >= c->lmin)) continue;
        predicted++;
        if (lambda != inf() && c->lv[i] >= lambda && !c->truth[i]) kept_fp++;
    }
    return f_ok(kept_fp, predicted, c->tau);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Real domain: walk every breakpoint {lmin} U {L_p in Yhat, <= lmax} U {lmax} upwards. */
static double literal_real(const tcase *c)
{
    double b[MAXN + 2];
    size_t i, k = 0;
    b[k++] = c->lmin;
    for (i = 0; i < c->n; i++)
        if (c->lv[i] >= c->lmin && c->lv[i] <= c->lmax) b[k++] = c->lv[i];
    b[k++] = c->lmax;
    qsort(b, k, sizeof b[0], cmp_double);
    for (i = 0; i < k; i++)
        if (f_ok_levels(c, b[i])) return b[i];
    return inf();
}

/* Integer domain: lmin, lmin + 1, ... up to lmax and 2^53. Levels here are either
 * small (< 1e6) or beyond 2^53, so past the largest small level + 1 nothing changes. */
static double literal_integer(const tcase *c)
{
    double top = -inf(), lambda;
    size_t i;
    for (i = 0; i < c->n; i++)
        if (c->lv[i] < 1e6 && c->lv[i] > top) top = c->lv[i];
    top = top < c->lmin ? c->lmin : top + 1.0;
    for (lambda = c->lmin; lambda <= c->lmax && lambda <= top; lambda += 1.0)
        if (f_ok_levels(c, lambda)) return lambda;
    return inf();
}

/* ------------------------------------------- a general level-map family */
/* user = the tcase; levels are c->lv, apply is {L >= lmin and L >= lambda},
 * breakpoints are the levels of Yhat. */
static int lv_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const tcase *c = (const tcase *)user;
    (void)pred;
    assert_int_equal(count, c->n);
    memcpy(levels, c->lv, count * sizeof(double));
    return 0;
}

static int lv_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                    size_t count)
{
    const tcase *c = (const tcase *)user;
    size_t i;
    (void)pred;
    assert_int_equal(count, c->n);
    assert_false(lambda != lambda);
    assert_true(lambda >= c->lmin && lambda <= c->lmax); /* the search stays inside Lambda */
    if (c->integer_lambdas) assert_true(lambda == (double)(int64_t)lambda);
    for (i = 0; i < count; i++) inner[i] = c->lv[i] >= c->lmin && c->lv[i] >= lambda;
    return 0;
}

static int lv_breakpoints(void *user, const conseco_image *pred, double *out, size_t capacity,
                          size_t *count)
{
    const tcase *c = (const tcase *)user;
    size_t i, k = 0;
    (void)pred;
    assert_int_equal(capacity, c->n + 2);
    for (i = 0; i < c->n; i++)
        if (c->all_breakpoints || c->lv[i] >= c->lmin) out[k++] = c->lv[i];
    *count = k;
    return 0;
}

static void compare_level_family(tcase *c, uint32_t domain)
{
    conseco_shrinker_vtable fast = make_vt(domain, c->lmin, c->lmax);
    conseco_shrinker_vtable box = make_vt(domain, c->lmin, c->lmax);
    conseco_image im = image_of(c);
    conseco_mask truth = truth_of(c);
    double r_fast = -1.0, r_box = -2.0;
    const double r_lit = domain == CONSECO_DOMAIN_REAL ? literal_real(c) : literal_integer(c);
    fast.levels = lv_levels;
    box.apply = lv_apply;
    box.breakpoints = lv_breakpoints;
    c->integer_lambdas = domain == CONSECO_DOMAIN_INTEGER;
    c->all_breakpoints = (int)(c->n % 2);
    assert_int_equal(score_with(&fast, c, &im, &truth, c->tau, &r_fast), CONSECO_OK);
    assert_int_equal(score_with(&box, c, &im, &truth, c->tau, &r_box), CONSECO_OK);
    if (!(r_fast == r_lit) || !(r_box == r_lit))
        print_message("domain %u lmin %g lmax %g tau %g: literal %g fast %g box %g\n",
                      (unsigned)domain, c->lmin, c->lmax, c->tau, r_lit, r_fast, r_box);
    assert_true(r_fast == r_lit);
    assert_true(r_box == r_lit);
}

static void test_real_domain_paths_agree(void **state)
{
    tu_rng r = {11};
    int iter;
    (void)state;
    for (iter = 0; iter < 4000; iter++) {
        tcase c;
        size_t i;
        random_shape(&r, &c);
        c.lmin = tu_range(&r, 0, 2) == 0 ? -1.0 : (double)tu_range(&r, 0, 8) / 8.0;
        switch (tu_range(&r, 0, 3)) {
        case 0: c.lmax = inf(); break;
        case 1: c.lmax = c.lmin; break;
        default: c.lmax = c.lmin + (double)tu_range(&r, 0, 8) / 8.0; break;
        }
        for (i = 0; i < c.n; i++) {
            const size_t k = tu_range(&r, 0, 20);
            c.lv[i] = k == 0 ? -inf() : k == 1 ? inf() : (double)tu_range(&r, 0, 20) / 8.0 - 0.5;
        }
        compare_level_family(&c, CONSECO_DOMAIN_REAL);
    }
}

static void test_integer_domain_paths_agree(void **state)
{
    tu_rng r = {12};
    int iter;
    (void)state;
    for (iter = 0; iter < 4000; iter++) {
        tcase c;
        size_t i;
        random_shape(&r, &c);
        c.lmin = (double)tu_range(&r, 0, 6) - 3.0;
        switch (tu_range(&r, 0, 3)) {
        case 0: c.lmax = inf(); break;
        case 1: c.lmax = c.lmin; break;
        case 2: c.lmax = c.lmin + (double)tu_range(&r, 0, 12) + 0.5; break; /* non-integral */
        default: c.lmax = c.lmin + (double)tu_range(&r, 0, 12); break;
        }
        for (i = 0; i < c.n; i++) {
            const size_t k = tu_range(&r, 0, 30);
            c.lv[i] = k == 0   ? -inf()
                      : k == 1 ? inf()
                      : k == 2 ? 1e18 /* beyond 2^53: never removed inside the domain */
                      : k < 6  ? (double)tu_range(&r, 0, 40) / 4.0 - 4.0 /* fractional */
                               : (double)tu_range(&r, 0, 16) - 4.0;
        }
        compare_level_family(&c, CONSECO_DOMAIN_INTEGER);
    }
}

/* Applying and evaluating: both paths write the same masks, consistent with evaluate. */
static void test_apply_and_evaluate_agree(void **state)
{
    tu_rng r = {13};
    int iter;
    (void)state;
    for (iter = 0; iter < 400; iter++) {
        tcase c;
        size_t i;
        const uint32_t domain = tu_range(&r, 0, 1) ? CONSECO_DOMAIN_REAL : CONSECO_DOMAIN_INTEGER;
        conseco_shrinker_vtable fast, box;
        uint8_t in_f[MAXN], un_f[MAXN], in_b[MAXN], un_b[MAXN];
        conseco_image im;
        conseco_mask truth;
        conseco_image_metrics mf, mb;
        double lambda;
        size_t predicted = 0, kept = 0, kept_fp = 0;
        random_shape(&r, &c);
        c.lmin = 0.0;
        c.lmax = inf();
        for (i = 0; i < c.n; i++) c.lv[i] = (double)tu_range(&r, 0, 12) - 3.0;
        fast = make_vt(domain, c.lmin, c.lmax);
        box = make_vt(domain, c.lmin, c.lmax);
        fast.levels = lv_levels;
        box.apply = lv_apply;
        box.breakpoints = lv_breakpoints;
        im = image_of(&c);
        truth = truth_of(&c);
        switch (tu_range(&r, 0, 3)) {
        case 0: lambda = inf(); break;
        case 1: lambda = -2.0; break; /* below lambda_min: Yhat */
        default: lambda = (double)tu_range(&r, 0, 10); break;
        }
        assert_int_equal(apply_with(&fast, &c, &im, lambda, in_f, un_f), CONSECO_OK);
        assert_int_equal(apply_with(&box, &c, &im, lambda, in_b, un_b), CONSECO_OK);
        assert_memory_equal(in_f, in_b, c.n);
        assert_memory_equal(un_f, un_b, c.n);
        for (i = 0; i < c.n; i++) {
            const int yhat = c.lv[i] >= c.lmin;
            const int want = yhat && lambda != inf() && c.lv[i] >= lambda;
            assert_int_equal(in_f[i], want);
            assert_int_equal(un_f[i], yhat && !want);
            predicted += (size_t)yhat;
            kept += (size_t)want;
            kept_fp += (size_t)(want && !c.truth[i]);
        }
        assert_int_equal(evaluate_with(&fast, &c, &im, &truth, lambda, c.tau, &mf), CONSECO_OK);
        assert_int_equal(evaluate_with(&box, &c, &im, &truth, lambda, c.tau, &mb), CONSECO_OK);
        assert_int_equal(mf.predicted, predicted);
        assert_int_equal(mf.inner, kept);
        assert_int_equal(mf.inner_fp, kept_fp);
        assert_int_equal(mf.inner_tp, kept - kept_fp);
        assert_int_equal(mf.valid, f_ok(kept_fp, predicted, c.tau));
        assert_memory_equal(&mf, &mb, sizeof mf);
        /* inner only / uncertain only */
        assert_int_equal(apply_with(&box, &c, &im, lambda, in_b, NULL), CONSECO_OK);
        assert_memory_equal(in_f, in_b, c.n);
        assert_int_equal(apply_with(&fast, &c, &im, lambda, NULL, un_b), CONSECO_OK);
        assert_memory_equal(un_f, un_b, c.n);
    }
}

/* The score is consistent with evaluate: valid at the score, invalid just below it. */
static void test_score_is_the_infimum(void **state)
{
    tu_rng r = {14};
    int iter;
    (void)state;
    for (iter = 0; iter < 500; iter++) {
        tcase c;
        size_t i;
        conseco_shrinker_vtable vt = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf());
        conseco_image im;
        conseco_mask truth;
        conseco_image_metrics m;
        double score;
        random_shape(&r, &c);
        c.lmin = 0.0;
        c.lmax = inf();
        for (i = 0; i < c.n; i++) c.lv[i] = (double)tu_range(&r, 0, 9) - 1.0;
        vt.levels = lv_levels;
        im = image_of(&c);
        truth = truth_of(&c);
        assert_int_equal(score_with(&vt, &c, &im, &truth, c.tau, &score), CONSECO_OK);
        assert_true(score <= 9.0); /* every level is at most 8: lambda 9 empties the mask */
        assert_int_equal(evaluate_with(&vt, &c, &im, &truth, score, c.tau, &m), CONSECO_OK);
        assert_true(m.valid);
        if (score > 0.0) {
            assert_int_equal(evaluate_with(&vt, &c, &im, &truth, score - 1.0, c.tau, &m),
                             CONSECO_OK);
            assert_false(m.valid);
        }
    }
}

/* -------------------------------------- custom threshold vs the built-in */
typedef struct thr_user {
    double base;
} thr_user;

static double f32_at(const conseco_image *im, size_t i)
{
    const size_t x = i % im->width, y = (i / im->width) % im->height;
    const size_t z = i / (im->width * im->height);
    const unsigned char *p =
        (const unsigned char *)im->data + z * im->slice_stride + y * im->row_stride;
    return (double)((const float *)(const void *)p)[x];
}

static int thr_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t i;
    (void)user;
    for (i = 0; i < count; i++) levels[i] = f32_at(pred, i);
    return 0;
}

static int thr_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                     size_t count)
{
    const thr_user *u = (const thr_user *)user;
    size_t i;
    for (i = 0; i < count; i++) {
        const double s = f32_at(pred, i);
        inner[i] = s >= u->base && s >= lambda;
    }
    return 0;
}

static int thr_breakpoints(void *user, const conseco_image *pred, double *out, size_t capacity,
                           size_t *count)
{
    const thr_user *u = (const thr_user *)user;
    const size_t n = pred->width * pred->height * pred->depth;
    size_t i, k = 0;
    assert_int_equal(capacity, n + 2); /* every pixel, lambda_min and lambda_max */
    for (i = 0; i < n; i++)
        if (f32_at(pred, i) >= u->base) out[k++] = f32_at(pred, i);
    *count = k;
    return 0;
}

static void test_threshold_blackbox_matches_builtin(void **state)
{
    tu_rng r = {21};
    int iter;
    (void)state;
    for (iter = 0; iter < 1500; iter++) {
        tcase c;
        thr_user u;
        conseco_threshold_params p;
        conseco_shrinker_vtable fast, box;
        conseco_image im;
        conseco_mask truth;
        double r_builtin = -1.0, r_fast = -2.0, r_box = -3.0;
        random_shape(&r, &c);
        random_scores(&r, &c);
        conseco_threshold_params_default(&p);
        if (tu_range(&r, 0, 1)) {
            p.base = (double)tu_range(&r, 0, 16) / 16.0;
            p.top = p.base + (1.0 - p.base) * (double)tu_range(&r, 0, 4) / 4.0;
        }
        u.base = p.base;
        fast = make_vt(CONSECO_DOMAIN_REAL, p.base, p.top);
        box = fast;
        fast.levels = thr_levels;
        box.apply = thr_apply;
        box.breakpoints = thr_breakpoints;
        im = image_of(&c);
        truth = truth_of(&c);
        assert_int_equal(score_with(conseco_threshold_vtable(), &p, &im, &truth, c.tau,
                                    &r_builtin),
                         CONSECO_OK);
        assert_int_equal(score_with(&fast, &u, &im, &truth, c.tau, &r_fast), CONSECO_OK);
        assert_int_equal(score_with(&box, &u, &im, &truth, c.tau, &r_box), CONSECO_OK);
        if (!(r_fast == r_builtin) || !(r_box == r_builtin))
            print_message("threshold base %.17g top %.17g tau %.17g n %zu: builtin %.17g "
                          "fast %.17g box %.17g\n",
                          p.base, p.top, c.tau, c.n, r_builtin, r_fast, r_box);
        assert_true(r_fast == r_builtin);
        assert_true(r_box == r_builtin);
    }
}

/* --------------------------------------- custom erosion vs the built-in */
typedef struct ero_user {
    double base;
    int border; /* conseco_border */
} ero_user;

/* One literal erosion by the cross; returns 1 if anything changed. */
static int erode_once(const uint8_t *in, uint8_t *out, size_t w, size_t h, int border)
{
    const int outside = border == CONSECO_BORDER_FOREGROUND;
    size_t x, y;
    int changed = 0;
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            const size_t i = y * w + x;
            int keep = in[i] != 0;
            if (keep) {
                keep = (x > 0 ? in[i - 1] != 0 : outside) && (x + 1 < w ? in[i + 1] != 0 : outside) &&
                       (y > 0 ? in[i - w] != 0 : outside) && (y + 1 < h ? in[i + w] != 0 : outside);
            }
            out[i] = (uint8_t)keep;
            changed |= keep != (in[i] != 0);
        }
    return changed;
}

/* Black box: erode lambda times, one step at a time (stops early at a fixed point). */
static int ero_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                     size_t count)
{
    const ero_user *u = (const ero_user *)user;
    uint8_t tmp[MAXN];
    double step;
    size_t i;
    assert_true(count <= MAXN);
    for (i = 0; i < count; i++) inner[i] = f32_at(pred, i) >= u->base;
    for (step = 0.0; step < lambda; step += 1.0) {
        if (!erode_once(inner, tmp, pred->width, pred->height, u->border)) break;
        memcpy(inner, tmp, count);
    }
    return 0;
}

/* Levels by the same literal loop: L(p) = the number of erosions p survives. */
static int ero_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    uint8_t cur[MAXN], nxt[MAXN];
    const ero_user *u = (const ero_user *)user;
    double k = 0.0;
    size_t i;
    for (i = 0; i < count; i++) {
        cur[i] = f32_at(pred, i) >= u->base;
        levels[i] = cur[i] ? 0.0 : -inf();
    }
    for (;;) {
        const int changed = erode_once(cur, nxt, pred->width, pred->height, u->border);
        k += 1.0;
        for (i = 0; i < count; i++) {
            if (!changed && nxt[i]) levels[i] = inf(); /* a fixed point: never removed */
            else if (nxt[i]) levels[i] = k;
        }
        if (!changed) return 0;
        memcpy(cur, nxt, count);
    }
}

static void test_erosion_blackbox_matches_builtin(void **state)
{
    tu_rng r = {31};
    int iter;
    (void)state;
    for (iter = 0; iter < 1500; iter++) {
        tcase c;
        ero_user u;
        conseco_erosion_params p;
        conseco_shrinker_vtable fast = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf()), box;
        conseco_image im;
        conseco_mask truth;
        double r_builtin = -1.0, r_fast = -2.0, r_box = -3.0;
        size_t i;
        random_shape(&r, &c);
        /* blobby masks: a high density keeps several erosion steps interesting */
        {
            const double dens = tu_range(&r, 0, 5) == 0 ? 1.0 : 0.5 + 0.5 * tu_uniform(&r);
            for (i = 0; i < c.n; i++) c.s[i] = tu_uniform(&r) < dens ? 0.75f : 0.25f;
        }
        conseco_erosion_params_default(&p);
        p.border = tu_range(&r, 0, 1) ? CONSECO_BORDER_FOREGROUND : CONSECO_BORDER_BACKGROUND;
        u.base = p.base;
        u.border = (int)p.border;
        box = fast;
        fast.levels = ero_levels;
        box.apply = ero_apply;
        im = image_of(&c);
        truth = truth_of(&c);
        assert_int_equal(score_with(&fast, &u, &im, &truth, c.tau, &r_fast), CONSECO_OK);
        assert_int_equal(score_with(&box, &u, &im, &truth, c.tau, &r_box), CONSECO_OK);
        assert_true(r_fast == r_box);
        assert_int_equal(score_with(conseco_erosion_vtable(), &p, &im, &truth, c.tau,
                                    &r_builtin),
                         CONSECO_OK);
        if (!(r_box == r_builtin)) {
            print_message("erosion %zux%zu border %u tau %.17g: builtin %g literal %g\n", c.w,
                          c.h, (unsigned)p.border, c.tau, r_builtin, r_box);
            for (i = 0; i < c.n; i++)
                print_message("%c%s", c.s[i] >= 0.5f ? (c.truth[i] ? '#' : '+') : '.',
                              (i + 1) % c.w == 0 ? "\n" : "");
        }
        assert_true(r_box == r_builtin);
    }
}

/* ---------------------------------------------- mocks: callback errors */
static int mock_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    const double *src = (const double *)user;
    (void)pred;
    function_called();
    check_expected(count);
    memcpy(levels, src, count * sizeof(double));
    return mock_type(int);
}

static int mock_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                      size_t count)
{
    const double *lv = (const double *)user;
    size_t i;
    (void)pred;
    function_called();
    check_expected(count);
    for (i = 0; i < count; i++) inner[i] = lv[i] >= 0.0 && lv[i] >= lambda;
    return mock_type(int);
}

/* Returns the mocked status and count; the values are 0.5 and, if asked, a NaN. */
static int mock_breakpoints(void *user, const conseco_image *pred, double *out, size_t capacity,
                            size_t *count)
{
    size_t i;
    const size_t n = mock_type(size_t);
    (void)user;
    (void)pred;
    function_called();
    check_expected(capacity);
    for (i = 0; i < n && i < capacity; i++) out[i] = 0.5;
    if (mock_type(int) && n > 0) out[0] = (double)NAN;
    *count = n;
    return mock_type(int);
}

/* A 2x2 image whose pixels are all false positives with level 10. */
typedef struct fixture {
    float s[4];
    uint8_t truth[4];
    double lv[4];
    conseco_image im;
    conseco_mask mask;
} fixture;

static void fixture_init(fixture *f)
{
    size_t i;
    for (i = 0; i < 4; i++) {
        f->s[i] = 0.0f;
        f->truth[i] = 0;
        f->lv[i] = 10.0;
    }
    f->im = conseco_image_2d(f->s, 2, 2, 2 * sizeof(float), CONSECO_DTYPE_F32);
    f->mask = conseco_mask_2d(f->truth, 2, 2, 2);
}

static void test_levels_callback_error(void **state)
{
    fixture f;
    conseco_shrinker_vtable vt = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf());
    uint8_t inner[4];
    conseco_image_metrics m;
    double score = 123.0;
    (void)state;
    fixture_init(&f);
    vt.levels = mock_levels;

    expect_function_call(mock_levels);
    expect_value(mock_levels, count, 4);
    will_return(mock_levels, 7);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.1, &score), CONSECO_E_CALLBACK);
    assert_true(score == 123.0); /* untouched on error */

    expect_function_call(mock_levels);
    expect_value(mock_levels, count, 4);
    will_return(mock_levels, -1);
    assert_int_equal(apply_with(&vt, f.lv, &f.im, 1.0, inner, NULL), CONSECO_E_CALLBACK);

    expect_function_call(mock_levels);
    expect_value(mock_levels, count, 4);
    will_return(mock_levels, 1);
    assert_int_equal(evaluate_with(&vt, f.lv, &f.im, &f.mask, 1.0, 0.1, &m), CONSECO_E_CALLBACK);

    /* a NaN level is bad data from the callback */
    f.lv[2] = (double)NAN;
    expect_function_call(mock_levels);
    expect_value(mock_levels, count, 4);
    will_return(mock_levels, 0);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.1, &score), CONSECO_E_CALLBACK);

    /* and a good run for contrast: four FP at level 10, tau 0 -> 11 */
    f.lv[2] = 10.0;
    expect_function_call(mock_levels);
    expect_value(mock_levels, count, 4);
    will_return(mock_levels, 0);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_OK);
    assert_true(score == 11.0);
}

static void test_apply_callback_error(void **state)
{
    fixture f;
    conseco_shrinker_vtable vt = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf());
    double score = 123.0;
    uint8_t inner[4];
    (void)state;
    fixture_init(&f);
    vt.apply = mock_apply;

    /* calls: Yhat (lambda_min), lambda 1 fails F, lambda 2 reports an error */
    expect_function_calls(mock_apply, 3);
    expect_value_count(mock_apply, count, 4, 3);
    will_return(mock_apply, 0);
    will_return(mock_apply, 0);
    will_return(mock_apply, 5);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_E_CALLBACK);
    assert_true(score == 123.0);

    /* an error on the very first call */
    expect_function_call(mock_apply);
    expect_value(mock_apply, count, 4);
    will_return(mock_apply, -3);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_E_CALLBACK);

    /* conseco_apply: Yhat then I_lambda; the second call fails */
    expect_function_calls(mock_apply, 2);
    expect_value_count(mock_apply, count, 4, 2);
    will_return(mock_apply, 0);
    will_return(mock_apply, 2);
    assert_int_equal(apply_with(&vt, f.lv, &f.im, 3.0, inner, NULL), CONSECO_E_CALLBACK);

    /* the full search for contrast: 0, 1, 2, 4, 8, 16 then bisection 12, 10, 11 -> 11 */
    expect_function_calls(mock_apply, 9);
    expect_value_count(mock_apply, count, 4, 9);
    will_return_count(mock_apply, 0, 9);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_OK);
    assert_true(score == 11.0);
}

static void test_breakpoints_callback_error(void **state)
{
    fixture f;
    conseco_shrinker_vtable vt = make_vt(CONSECO_DOMAIN_REAL, 0.0, 20.0);
    double score = 123.0;
    (void)state;
    fixture_init(&f);
    vt.apply = mock_apply;
    vt.breakpoints = mock_breakpoints;

    /* Yhat first, then the breakpoints, which fail */
    expect_function_call(mock_apply);
    expect_value(mock_apply, count, 4);
    will_return(mock_apply, 0);
    expect_function_call(mock_breakpoints);
    expect_value(mock_breakpoints, capacity, 6);
    will_return(mock_breakpoints, 1);  /* count */
    will_return(mock_breakpoints, 0);  /* no NaN */
    will_return(mock_breakpoints, 9);  /* status */
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_E_CALLBACK);

    /* a count larger than the capacity is bad data */
    expect_function_call(mock_apply);
    expect_value(mock_apply, count, 4);
    will_return(mock_apply, 0);
    expect_function_call(mock_breakpoints);
    expect_value(mock_breakpoints, capacity, 6);
    will_return(mock_breakpoints, 7);
    will_return(mock_breakpoints, 0);
    will_return(mock_breakpoints, 0);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_E_CALLBACK);

    /* so is a NaN breakpoint */
    expect_function_call(mock_apply);
    expect_value(mock_apply, count, 4);
    will_return(mock_apply, 0);
    expect_function_call(mock_breakpoints);
    expect_value(mock_breakpoints, capacity, 6);
    will_return(mock_breakpoints, 2);
    will_return(mock_breakpoints, 1);
    will_return(mock_breakpoints, 0);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_E_CALLBACK);
    assert_true(score == 123.0);

    /* a good run: candidates 0, 0.5, 20; only lambda_max = 20 (> level 10) passes */
    expect_function_call(mock_apply); /* Yhat */
    expect_function_call(mock_breakpoints);
    expect_function_calls(mock_apply, 2); /* lambda_max, then 0.5 by bisection */
    expect_value_count(mock_apply, count, 4, 3);
    will_return_count(mock_apply, 0, 3);
    expect_value(mock_breakpoints, capacity, 6);
    will_return(mock_breakpoints, 1);
    will_return(mock_breakpoints, 0);
    will_return(mock_breakpoints, 0);
    assert_int_equal(score_with(&vt, f.lv, &f.im, &f.mask, 0.0, &score), CONSECO_OK);
    assert_true(score == 20.0);
}

/* ------------------------------------------------- vtable versioning */
/* The layout of a vtable compiled against an older header: no breakpoints, no destroy. */
typedef struct legacy_vtable {
    uint32_t struct_size;
    uint32_t version;
    const char *name;
    uint32_t domain;
    uint32_t reserved;
    double lambda_min;
    double lambda_max;
    int (*levels)(void *user, const conseco_image *pred, double *levels, size_t count);
    int (*apply)(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                 size_t count);
} legacy_vtable;

static int never_called_breakpoints(void *user, const conseco_image *pred, double *out,
                                    size_t capacity, size_t *count)
{
    (void)user;
    (void)pred;
    (void)out;
    (void)capacity;
    (void)count;
    fail_msg("a member beyond struct_size was used");
    return 0;
}

static void test_old_size_vtable(void **state)
{
    tu_rng r = {41};
    int iter;
    (void)state;
    for (iter = 0; iter < 300; iter++) {
        tcase c;
        size_t i;
        /* exactly sizeof(legacy_vtable) on the heap: reading past it is caught by ASan */
        legacy_vtable *old = malloc(sizeof *old);
        conseco_shrinker_vtable now = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf());
        conseco_image im;
        conseco_mask truth;
        double r_old = -1.0, r_now = -2.0;
        assert_non_null(old);
        random_shape(&r, &c);
        c.lmin = 0.0;
        c.lmax = inf();
        for (i = 0; i < c.n; i++) c.lv[i] = (double)tu_range(&r, 0, 8) - 1.0;
        memset(old, 0, sizeof *old);
        old->struct_size = (uint32_t)sizeof *old;
        old->version = CONSECO_SHRINKER_VERSION;
        old->name = "legacy";
        old->domain = CONSECO_DOMAIN_INTEGER;
        old->lambda_min = 0.0;
        old->lambda_max = inf();
        if (iter % 2) old->levels = lv_levels;
        else old->apply = lv_apply;
        now.levels = lv_levels;
        im = image_of(&c);
        truth = truth_of(&c);
        /* 0.2: version 1 declares breakpoints and destroy, so this short
         * struct_size is refused, and nothing past it is read */
        assert_int_equal(score_with((const conseco_shrinker_vtable *)(const void *)old, &c, &im,
                                    &truth, c.tau, &r_old),
                         CONSECO_E_BAD_SHRINKER);
        assert_int_equal(score_with(&now, &c, &im, &truth, c.tau, &r_now), CONSECO_OK);
        assert_true(r_old == -1.0);
        free(old);
    }
}

/* Members beyond struct_size are ignored even when the memory holds pointers. */
static void test_members_beyond_size_ignored(void **state)
{
    fixture f;
    conseco_shrinker_vtable vt = make_vt(CONSECO_DOMAIN_REAL, 0.0, 20.0);
    conseco_shrinker sh;
    double score;
    (void)state;
    fixture_init(&f);
    vt.apply = lv_apply;
    vt.breakpoints = never_called_breakpoints;
    vt.struct_size = (uint32_t)offsetof(conseco_shrinker_vtable, breakpoints);
    sh.vtable = &vt;
    sh.user = NULL;
    /* version 1 declares breakpoints and destroy: a struct_size that cuts
     * them off is invalid on either domain (0.2 rule) */
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_E_BAD_SHRINKER);
    vt.domain = CONSECO_DOMAIN_INTEGER;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_E_BAD_SHRINKER);
    /* the full version-1 size: valid (the integer domain needs no breakpoints) */
    vt.struct_size = (uint32_t)sizeof vt;
    vt.breakpoints = NULL;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_OK);
    {
        /* a larger struct_size (compiled against a newer header, same version):
         * valid, and the members past our sizeof are never read */
        struct {
            conseco_shrinker_vtable vt;
            void *future;
        } newer;
        memset(&newer, 0, sizeof newer);
        newer.vt = vt;
        newer.vt.struct_size = (uint32_t)sizeof newer;
        newer.future = &newer;
        sh.vtable = &newer.vt;
        assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_OK);
        sh.vtable = &vt;
    }
    {
        tcase c;
        memset(&c, 0, sizeof c);
        c.w = c.h = 2;
        c.n = 4;
        c.lmin = 0.0;
        c.lmax = 20.0;
        c.tau = 0.0;
        memcpy(c.lv, f.lv, sizeof f.lv);
        assert_int_equal(score_with(&vt, &c, &f.im, &f.mask, 0.0, &score), CONSECO_OK);
        assert_true(score == 11.0);
    }
}

/* --------------------------------------------------- invalid vtables */
static void expect_bad(const conseco_shrinker_vtable *vt)
{
    fixture f;
    conseco_shrinker sh;
    unsigned char scratch[256];
    double score = 5.0;
    fixture_init(&f);
    sh.vtable = vt;
    sh.user = f.lv;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_E_BAD_SHRINKER);
    assert_int_equal(conseco_score(&sh, &f.im, &f.mask, 0.1, scratch, sizeof scratch, &score),
                     CONSECO_E_BAD_SHRINKER);
    assert_true(score == 5.0);
    assert_int_equal(conseco_scratch_size(&sh, 2, 2, 1), 0);
}

static void test_invalid_vtables(void **state)
{
    const conseco_shrinker_vtable good = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, 5.0);
    conseco_shrinker_vtable vt;
    conseco_shrinker sh;
    (void)state;

    vt = good;
    vt.levels = lv_levels;
    sh.vtable = &vt;
    sh.user = NULL;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_OK);

    vt = good; vt.levels = lv_levels; vt.struct_size = 0; expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.struct_size = 8; expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.version = 0; expect_bad(&vt);
    vt = good; expect_bad(&vt); /* no callback at all */
    vt = good; vt.breakpoints = lv_breakpoints; expect_bad(&vt); /* breakpoints alone */
    vt = good; vt.levels = lv_levels; vt.domain = 0; expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.domain = 3; expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.lambda_min = 6.0; expect_bad(&vt); /* min > max */
    vt = good; vt.levels = lv_levels; vt.lambda_min = (double)NAN; expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.lambda_max = (double)NAN; expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.lambda_min = -inf(); expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.lambda_min = inf(); vt.lambda_max = inf(); expect_bad(&vt);
    /* the integer domain needs an integral lambda_min within 2^53 */
    vt = good; vt.levels = lv_levels; vt.lambda_min = 0.5; expect_bad(&vt);
    vt = good; vt.levels = lv_levels; vt.lambda_min = -2.0 * LIMIT53; expect_bad(&vt);
    /* ... which the real domain does not */
    vt = good; vt.levels = lv_levels; vt.domain = CONSECO_DOMAIN_REAL; vt.lambda_min = 0.5;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_OK);
    /* black box on the real domain needs breakpoints */
    vt = good; vt.apply = lv_apply; vt.domain = CONSECO_DOMAIN_REAL; expect_bad(&vt);
    vt.breakpoints = lv_breakpoints;
    assert_int_equal(conseco_shrinker_validate(&sh), CONSECO_OK);
}

/* ------------------------------------------------------ non-nested */
/* Yhat = {0, 1} (all FP); larger lambdas return pixel 2, outside Yhat. */
static int escaping_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                          size_t count)
{
    (void)user;
    (void)pred;
    memset(inner, 0, count);
    if (lambda <= 0.0) inner[0] = inner[1] = 1;
    else inner[2] = 1;
    return 0;
}

/* Inside Yhat, but growing: lambda 1 keeps 2 pixels, lambda 2 keeps 3. */
static int growing_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                         size_t count)
{
    size_t i, keep;
    (void)user;
    (void)pred;
    keep = lambda <= 0.0 ? 4 : lambda <= 1.0 ? 2 : 3;
    for (i = 0; i < count; i++) inner[i] = i < keep;
    return 0;
}

static void test_not_nested(void **state)
{
    fixture f;
    conseco_shrinker_vtable vt = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf());
    double score;
    uint8_t inner[4], unc[4];
    conseco_image_metrics m;
    (void)state;
    fixture_init(&f);
    vt.apply = escaping_apply;
    assert_int_equal(score_with(&vt, NULL, &f.im, &f.mask, 0.0, &score), CONSECO_E_NOT_NESTED);
    assert_int_equal(apply_with(&vt, NULL, &f.im, 1.0, inner, unc), CONSECO_E_NOT_NESTED);
    assert_int_equal(evaluate_with(&vt, NULL, &f.im, &f.mask, 1.0, 0.0, &m),
                     CONSECO_E_NOT_NESTED);
    /* at lambda_min there is nothing to compare: fine */
    assert_int_equal(apply_with(&vt, NULL, &f.im, 0.0, inner, unc), CONSECO_OK);
    assert_int_equal(inner[0] + inner[1] + inner[2] + inner[3], 2);

    /* tau 0.25 of 4 pixels allows 1 FP: lambda 1 (2 FP) fails, lambda 2 grows to 3 */
    vt.apply = growing_apply;
    assert_int_equal(score_with(&vt, NULL, &f.im, &f.mask, 0.25, &score), CONSECO_E_NOT_NESTED);
}

/* ------------------------------------------------ scratch and layout */
static void test_scratch_rules(void **state)
{
    fixture f;
    conseco_shrinker_vtable vt = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf());
    conseco_shrinker sh;
    unsigned char buf[512];
    size_t need;
    double score;
    tcase c;
    (void)state;
    fixture_init(&f);
    memset(&c, 0, sizeof c);
    c.w = c.h = 2;
    c.n = 4;
    memcpy(c.lv, f.lv, sizeof f.lv);
    vt.levels = lv_levels;
    sh.vtable = &vt;
    sh.user = &c;
    need = conseco_scratch_size(&sh, 2, 2, 1);
    assert_true(need > 0 && need + 15 <= sizeof buf);
    /* with levels, one level map (a double per pixel) and a constant: no masks */
    assert_true(conseco_scratch_size(&sh, 1000, 1000, 1) <= 1000u * 1000u * sizeof(double) + 64u);
    /* any alignment works with exactly the reported size */
    {
        size_t off;
        for (off = 0; off < 16; off++) {
            assert_int_equal(conseco_score(&sh, &f.im, &f.mask, 0.0, buf + off, need, &score),
                             CONSECO_OK);
            assert_true(score == 11.0);
        }
    }
    assert_int_equal(conseco_score(&sh, &f.im, &f.mask, 0.0, buf, 8, &score),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_score(&sh, &f.im, &f.mask, 0.0, NULL, 0, &score),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    assert_int_equal(conseco_score(&sh, &f.im, &f.mask, 0.0, buf, need - 17, &score),
                     CONSECO_E_SCRATCH_TOO_SMALL);
    {
        uint8_t inner[4];
        conseco_image_metrics m;
        const conseco_mask_out out = conseco_mask_out_2d(inner, 2, 2, 2);
        assert_int_equal(conseco_apply(&sh, &f.im, 1.0, buf, 8, &out, NULL),
                         CONSECO_E_SCRATCH_TOO_SMALL);
        assert_int_equal(conseco_evaluate_image(&sh, &f.im, &f.mask, 1.0, 0.1, buf, 8, &m),
                         CONSECO_E_SCRATCH_TOO_SMALL);
        assert_int_equal(conseco_apply(&sh, &f.im, 10.0, buf, need, &out, NULL), CONSECO_OK);
        assert_int_equal(inner[0] + inner[1] + inner[2] + inner[3], 4);
        assert_int_equal(conseco_apply(&sh, &f.im, 10.5, buf, need, &out, NULL), CONSECO_OK);
        assert_int_equal(inner[0] + inner[1] + inner[2] + inner[3], 0);
    }
    /* sizes that overflow size_t report 0 */
    assert_int_equal(conseco_scratch_size(&sh, (size_t)-1 / 4, 2, 1), 0);
    assert_int_equal(conseco_scratch_size(&sh, (size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4 - 3), 1), 0);
}

/* Strided 3-D views: levels arrive dense (x fastest), truth is read through its strides. */
static void test_strided_volume(void **state)
{
    tu_rng r = {51};
    int iter;
    (void)state;
    for (iter = 0; iter < 200; iter++) {
        enum { W = 3, H = 4, D = 2, RS = 5, SS = 23 };
        uint8_t truth_padded[SS * D];
        tcase c;
        size_t x, y, z, i = 0;
        conseco_shrinker_vtable fast = make_vt(CONSECO_DOMAIN_INTEGER, 0.0, inf()), box;
        conseco_image im;
        conseco_mask truth;
        double r_fast, r_box, r_lit;
        memset(&c, 0, sizeof c);
        c.w = W;
        c.h = H * D; /* the literal reference sees the volume as a flat list */
        c.n = W * H * D;
        c.lmin = 0.0;
        c.lmax = inf();
        c.tau = pick_tau(&r);
        memset(truth_padded, 0xAA, sizeof truth_padded); /* padding must never be read as 0 */
        for (z = 0; z < D; z++)
            for (y = 0; y < H; y++)
                for (x = 0; x < W; x++, i++) {
                    c.truth[i] = tu_range(&r, 0, 1) == 0;
                    truth_padded[z * SS + y * RS + x] = c.truth[i];
                    c.lv[i] = (double)tu_range(&r, 0, 6) - 1.0;
                }
        im = conseco_image_3d(c.s, W, H, D, W * sizeof(float), W * H * sizeof(float),
                              CONSECO_DTYPE_F32);
        truth = conseco_mask_3d(truth_padded, W, H, D, RS, SS);
        box = fast;
        fast.levels = lv_levels;
        box.apply = lv_apply;
        r_lit = literal_integer(&c);
        assert_int_equal(score_with(&fast, &c, &im, &truth, c.tau, &r_fast), CONSECO_OK);
        assert_int_equal(score_with(&box, &c, &im, &truth, c.tau, &r_box), CONSECO_OK);
        assert_true(r_fast == r_lit);
        assert_true(r_box == r_lit);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_domain_paths_agree),
        cmocka_unit_test(test_integer_domain_paths_agree),
        cmocka_unit_test(test_apply_and_evaluate_agree),
        cmocka_unit_test(test_score_is_the_infimum),
        cmocka_unit_test(test_levels_callback_error),
        cmocka_unit_test(test_apply_callback_error),
        cmocka_unit_test(test_breakpoints_callback_error),
        cmocka_unit_test(test_old_size_vtable),
        cmocka_unit_test(test_members_beyond_size_ignored),
        cmocka_unit_test(test_invalid_vtables),
        cmocka_unit_test(test_not_nested),
        cmocka_unit_test(test_scratch_rules),
        cmocka_unit_test(test_strided_volume),
        cmocka_unit_test(test_threshold_blackbox_matches_builtin),
        cmocka_unit_test(test_erosion_blackbox_matches_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
