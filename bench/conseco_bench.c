/* SPDX-License-Identifier: Apache-2.0 */
/* conseco_bench: libconseco against what users would write instead.
 *
 * Every row is a ratio measured in one run on the same inputs: our time per
 * image (or per batch, per quantile) against a baseline's. Each baseline's
 * answers (scores, masks) are checked against the library's on its first
 * timed run: a mismatch is reported and makes the exit status 1.
 *
 * Times are medians over repetitions of the mean per input. Single-thread
 * rows use the CPU time of the thread (other load on the machine does not
 * leak in); the batch rows use wall-clock time, since they measure threads.
 *
 *   conseco_bench [--quick] [--json] [--data DIR] [--smooth-only]
 *
 * --quick: fewer repetitions and 5 instead of 10 deep images (same sizes),
 *          under a minute.
 * --json:  one object {"cores": c, "rows": [{task, size, ours_s, vs, vs_s, ratio}]}.
 * --smooth-only: only the smooth_score rows (smooth and threshold scores,
 *          every data set), a few seconds per data set: issue 14's target.
 * --data:  the infnet-ct folder (default: ../shared/data/infnet-ct from the
 *          working directory, then from the source tree). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "bench_util.h"
#include "conseco.h"
#include "conseco_synth.h"
#include "deep_synth.h"
#include "real_maps.h"

#define TAU 0.01
#define ALPHA 0.1
#define BASE 0.5
#define TOP 1.0
#define MAX_ROWS 64

/* ------------------------------------------------------------------ setup */
typedef struct options {
    int quick;
    int json;
    int smooth_only;
    const char *data;
} options;

typedef struct dataset {
    const char *size; /* the row label */
    bench_pair *pairs;
    size_t n;
    size_t max_w, max_h;
} dataset;

typedef struct row {
    const char *task;
    char size[48];
    const char *vs;
    size_t images; /* inputs the row was measured on */
    double ours_s, vs_s, ratio;
    int available;
    char note[160];
} row;

static row g_rows[MAX_ROWS];
static size_t g_nrows;
static int g_mismatch;

static row *add_row(const char *task, const char *size, const char *vs, size_t images)
{
    row *r;
    if (g_nrows == MAX_ROWS) {
        fprintf(stderr, "conseco_bench: too many rows\n");
        exit(2);
    }
    r = &g_rows[g_nrows++];
    memset(r, 0, sizeof *r);
    r->task = task;
    snprintf(r->size, sizeof r->size, "%s", size);
    r->vs = vs;
    r->images = images;
    return r;
}

/* ratio = vs / ours: a speed-up, or for read_floor rows the floor's time over
 * ours (below 1). */
static void set_times(row *r, double ours, double vs)
{
    r->ours_s = ours;
    r->vs_s = vs;
    r->ratio = vs / ours;
    r->available = 1;
}

static void mismatch(const char *what, const char *size, size_t i, double ours, double theirs)
{
    fprintf(stderr, "conseco_bench: MISMATCH %s on %s image %zu: ours %.17g, baseline %.17g\n",
            what, size, i, ours, theirs);
    g_mismatch = 1;
}

static int same(double a, double b) { return a == b || (isinf(a) && isinf(b)); }

static void dataset_dims(dataset *d)
{
    size_t i;
    d->max_w = d->max_h = 0;
    for (i = 0; i < d->n; i++) {
        if (d->pairs[i].pred.width > d->max_w) d->max_w = d->pairs[i].pred.width;
        if (d->pairs[i].pred.height > d->max_h) d->max_h = d->pairs[i].pred.height;
    }
}

static void make_synth(dataset *d, size_t n, size_t side)
{
    conseco_synth_config cfg;
    size_t i;
    conseco_synth_config_default(&cfg);
    cfg.count = n;
    cfg.width = cfg.height = side;
    d->pairs = bench_alloc(n * sizeof *d->pairs);
    d->n = n;
    for (i = 0; i < n; i++) {
        float *s = bench_alloc(side * side * sizeof *s);
        uint8_t *t = bench_alloc(side * side);
        if (conseco_synth_image(&cfg, i, s, NULL, t, NULL) != 0) {
            fprintf(stderr, "conseco_bench: conseco_synth_image failed\n");
            exit(2);
        }
        d->pairs[i].pred = conseco_image_2d(s, side, side, side * sizeof *s, CONSECO_DTYPE_F32);
        d->pairs[i].truth = conseco_mask_2d(t, side, side, side);
    }
    dataset_dims(d);
}

static void make_deep(dataset *d, size_t n, size_t side, double margin_lo, double margin_hi)
{
    size_t i;
    d->pairs = bench_alloc(n * sizeof *d->pairs);
    d->n = n;
    for (i = 0; i < n; i++) {
        float *s = bench_alloc(side * side * sizeof *s);
        uint8_t *t = bench_alloc(side * side);
        deep_synth_image(7, i, side, side, margin_lo, margin_hi, s, t);
        d->pairs[i].pred = conseco_image_2d(s, side, side, side * sizeof *s, CONSECO_DTYPE_F32);
        d->pairs[i].truth = conseco_mask_2d(t, side, side, side);
    }
    dataset_dims(d);
}

/* ---------------------------------------------------------------- methods */
/* Everything a per-image method may need, sized for the dataset's largest image. */
typedef struct ctx {
    conseco_threshold_params thr;
    conseco_erosion_params ero;
    conseco_smooth_params smo;
    conseco_shrinker thr_sh, ero_sh, smo_sh;
    void *scratch;
    size_t scratch_size;
    uint8_t *work8;    /* literal erosion work */
    double *workd;     /* doubles for the threshold baselines */
    uint8_t *out;      /* apply output */
    double lambda;     /* apply: lambda_hat */
    volatile uint64_t sink;
} ctx;

typedef double (*method_fn)(ctx *c, const bench_pair *p);

static double ours_erosion(ctx *c, const bench_pair *p)
{
    double s = -1.0;
    int rc = conseco_score(&c->ero_sh, &p->pred, &p->truth, TAU, c->scratch, c->scratch_size, &s);
    if (rc != CONSECO_OK) {
        fprintf(stderr, "conseco_bench: conseco_score(erosion): %s\n", conseco_strerror(rc));
        exit(2);
    }
    return s;
}

static double ours_threshold(ctx *c, const bench_pair *p)
{
    double s = -1.0;
    int rc = conseco_score(&c->thr_sh, &p->pred, &p->truth, TAU, c->scratch, c->scratch_size, &s);
    if (rc != CONSECO_OK) {
        fprintf(stderr, "conseco_bench: conseco_score(threshold): %s\n", conseco_strerror(rc));
        exit(2);
    }
    return s;
}

static double ours_smooth(ctx *c, const bench_pair *p)
{
    double s = -1.0;
    int rc = conseco_score(&c->smo_sh, &p->pred, &p->truth, TAU, c->scratch, c->scratch_size, &s);
    if (rc != CONSECO_OK) {
        fprintf(stderr, "conseco_bench: conseco_score(smooth): %s\n", conseco_strerror(rc));
        exit(2);
    }
    return s;
}

static double m_literal_erosion(ctx *c, const bench_pair *p)
{
    return literal_erosion_score(p, BASE, TAU, c->work8);
}
static double m_opencv_erosion(ctx *c, const bench_pair *p)
{
    (void)c;
    return opencv_erosion_score(p, BASE, TAU);
}
static double m_literal_threshold(ctx *c, const bench_pair *p)
{
    return literal_threshold_score(p, BASE, TOP, TAU, c->workd);
}
static double m_qsort_threshold(ctx *c, const bench_pair *p)
{
    return sortscan_threshold_score_qsort(p, BASE, TOP, TAU, c->workd);
}
static double m_stdsort_threshold(ctx *c, const bench_pair *p)
{
    return sortscan_threshold_score_stdsort(p, BASE, TOP, TAU, c->workd);
}
static double m_floor(ctx *c, const bench_pair *p)
{
    c->sink += read_floor(p);
    return 0.0;
}

static double ours_apply(ctx *c, const bench_pair *p)
{
    conseco_mask_out inner =
        conseco_mask_out_2d(c->out, p->pred.width, p->pred.height, p->pred.width);
    int rc = conseco_apply(&c->ero_sh, &p->pred, c->lambda, c->scratch, c->scratch_size, &inner,
                           NULL);
    if (rc != CONSECO_OK) {
        fprintf(stderr, "conseco_bench: conseco_apply: %s\n", conseco_strerror(rc));
        exit(2);
    }
    return 0.0;
}
static double m_literal_apply(ctx *c, const bench_pair *p)
{
    literal_erosion_apply(p, BASE, (unsigned)c->lambda, c->work8, c->out);
    return 0.0;
}
static double m_opencv_apply(ctx *c, const bench_pair *p)
{
    opencv_erosion_apply(p, BASE, (unsigned)c->lambda, c->out);
    return 0.0;
}

static void ctx_init(ctx *c, const dataset *d)
{
    const size_t n = d->max_w * d->max_h;
    size_t s1, s2, s3;
    memset(c, 0, sizeof *c);
    conseco_threshold_params_default(&c->thr);
    conseco_erosion_params_default(&c->ero);
    conseco_smooth_params_default(&c->smo); /* Gaussian, sigma 1 pixel */
    c->thr_sh = conseco_shrinker_threshold(&c->thr);
    c->ero_sh = conseco_shrinker_erosion(&c->ero);
    c->smo_sh = conseco_shrinker_smooth(&c->smo);
    s1 = conseco_scratch_size(&c->thr_sh, d->max_w, d->max_h, 1);
    s2 = conseco_scratch_size(&c->ero_sh, d->max_w, d->max_h, 1);
    s3 = conseco_scratch_size(&c->smo_sh, d->max_w, d->max_h, 1);
    c->scratch_size = s1 > s2 ? s1 : s2;
    if (s3 > c->scratch_size) c->scratch_size = s3;
    c->scratch = bench_alloc(c->scratch_size);
    c->work8 = bench_alloc(literal_erosion_work_size(n));
    c->workd = bench_alloc((n + 2) * sizeof(double));
    c->out = bench_alloc(n);
}

static void ctx_free(ctx *c)
{
    free(c->scratch);
    free(c->work8);
    free(c->workd);
    free(c->out);
}

/* Median over `reps` runs of the mean CPU time per image over pairs[0..n).
 * One untimed warm-up run first when warm is set. The results of the first
 * run go to `results` when it is not NULL (the check against ours). */
static double time_method(ctx *c, method_fn fn, const bench_pair *pairs, size_t n, int reps,
                          int warm, double *results)
{
    double *t = bench_alloc((size_t)reps * sizeof *t), med;
    volatile double sink = 0.0;
    size_t i;
    int r;
    if (warm)
        for (i = 0; i < n; i++) sink += fn(c, &pairs[i]);
    for (r = 0; r < reps; r++) {
        const double t0 = bench_cpu_now();
        if (r == 0 && results != NULL)
            for (i = 0; i < n; i++) results[i] = fn(c, &pairs[i]);
        else
            for (i = 0; i < n; i++) sink += fn(c, &pairs[i]);
        t[r] = (bench_cpu_now() - t0) / (double)n;
    }
    (void)sink;
    med = bench_median(t, (size_t)reps);
    free(t);
    return med;
}

static void check_all(const char *what, const dataset *d, const double *ours,
                      const double *theirs, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!same(ours[i], theirs[i])) mismatch(what, d->size, i, ours[i], theirs[i]);
}

/* ------------------------------------------------------------------- rows */
typedef struct rep_counts {
    int fast; /* our paths and the floor */
    int slow; /* literal loops and OpenCV */
    double literal_budget; /* pixel-passes the literal threshold walk may take */
    size_t check_slow;     /* images on which the literal apply is checked */
} rep_counts;

static void erosion_rows(ctx *c, const dataset *d, const rep_counts *rp, double *scores)
{
    double *theirs = bench_alloc(d->n * sizeof *theirs), ours;
    size_t i;
    row *r;
    for (i = 0; i < d->n; i++) scores[i] = ours_erosion(c, &d->pairs[i]);
    ours = time_method(c, ours_erosion, d->pairs, d->n, rp->fast, 1, NULL);

    r = add_row("erosion_score", d->size, "literal_loop", d->n);
    set_times(r, ours, time_method(c, m_literal_erosion, d->pairs, d->n, rp->slow, 0, theirs));
    check_all("erosion literal", d, scores, theirs, d->n);

    r = add_row("erosion_score", d->size, "opencv_loop", d->n);
    if (opencv_available()) {
        set_times(r, ours, time_method(c, m_opencv_erosion, d->pairs, d->n, rp->slow, 0, theirs));
        check_all("erosion opencv", d, scores, theirs, d->n);
    } else {
        snprintf(r->note, sizeof r->note, "OpenCV not found at build time");
    }

    r = add_row("erosion_score", d->size, "read_floor", d->n);
    set_times(r, ours, time_method(c, m_floor, d->pairs, d->n, rp->fast, 1, NULL));
    snprintf(r->note, sizeof r->note, "ours = %.2fx the floor", ours / r->vs_s);
    free(theirs);
}

static void threshold_rows(ctx *c, const dataset *d, const rep_counts *rp)
{
    double *mine = bench_alloc(d->n * sizeof *mine);
    double *theirs = bench_alloc(d->n * sizeof *theirs);
    double ours, tq, ts, work = 0.0;
    size_t i, n_lit = 0;
    row *r;
    for (i = 0; i < d->n; i++) {
        mine[i] = ours_threshold(c, &d->pairs[i]);
        /* the literal walk: as many leading images as its budget allows */
        if (n_lit == i) {
            const double steps =
                (double)literal_threshold_steps(&d->pairs[i], BASE, TOP, mine[i], c->workd);
            const double cost = steps * (double)bench_pixels(&d->pairs[i]);
            if (work + cost <= rp->literal_budget) {
                work += cost;
                n_lit++;
            }
        }
    }

    r = add_row("threshold_score", d->size, "literal_loop", n_lit);
    if (n_lit > 0) {
        ours = time_method(c, ours_threshold, d->pairs, n_lit, rp->fast, 1, NULL);
        set_times(r, ours, time_method(c, m_literal_threshold, d->pairs, n_lit, 1, 0, theirs));
        check_all("threshold literal", d, mine, theirs, n_lit);
        if (n_lit < d->n)
            snprintf(r->note, sizeof r->note, "first %zu of %zu images (time budget)", n_lit,
                     d->n);
    } else {
        snprintf(r->note, sizeof r->note,
                 "not run: one full pass per breakpoint (1e%.0f pixel visits per image)",
                 log10((double)literal_threshold_steps(&d->pairs[0], BASE, TOP, INFINITY,
                                                       c->workd) *
                       (double)bench_pixels(&d->pairs[0])));
    }

    ours = time_method(c, ours_threshold, d->pairs, d->n, rp->fast, 1, NULL);
    r = add_row("threshold_score", d->size, "sort_scan", d->n);
    tq = time_method(c, m_qsort_threshold, d->pairs, d->n, rp->slow, 0, theirs);
    check_all("threshold sort_scan (qsort)", d, mine, theirs, d->n);
    if (cxx_available()) {
        ts = time_method(c, m_stdsort_threshold, d->pairs, d->n, rp->slow, 0, theirs);
        check_all("threshold sort_scan (std::sort)", d, mine, theirs, d->n);
        set_times(r, ours, ts < tq ? ts : tq);
        snprintf(r->note, sizeof r->note, "faster of qsort (%.3g ms) and std::sort (%.3g ms)",
                 tq * 1e3, ts * 1e3);
    } else {
        set_times(r, ours, tq);
        snprintf(r->note, sizeof r->note, "qsort");
    }

    r = add_row("threshold_score", d->size, "read_floor", d->n);
    set_times(r, ours, time_method(c, m_floor, d->pairs, d->n, rp->fast, 1, NULL));
    snprintf(r->note, sizeof r->note, "ours = %.2fx the floor", ours / r->vs_s);
    free(mine);
    free(theirs);
}

/* The smooth shrinker (Gaussian, sigma 1 pixel) against our plain threshold
 * score on the same maps, timed in the same run: the ratio is threshold time
 * over smooth time (below 1: smooth is slower). Different families: the
 * answers are not compared (test_smooth checks smooth against its literal
 * reference). */
static void smooth_rows(ctx *c, const dataset *d, const rep_counts *rp)
{
    double ours, thr;
    row *r;
    ours = time_method(c, ours_smooth, d->pairs, d->n, rp->fast, 1, NULL);
    thr = time_method(c, ours_threshold, d->pairs, d->n, rp->fast, 1, NULL);
    r = add_row("smooth_score", d->size, "threshold_ours", d->n);
    set_times(r, ours, thr);
    snprintf(r->note, sizeof r->note, "smooth = %.2fx our threshold score (sigma 1 px)",
             ours / thr);
}

/* lambda_hat of the set's erosion scores at alpha; the largest finite score
 * when the set is too small for a finite one. */
static double lambda_hat_of(const double *scores, size_t n, int *fallback)
{
    double *tmp = bench_alloc(n * sizeof *tmp), lam = 0.0, big = 0.0;
    size_t i;
    memcpy(tmp, scores, n * sizeof *tmp);
    if (conseco_quantile(tmp, n, ALPHA, &lam, NULL) != CONSECO_OK) lam = INFINITY;
    *fallback = 0;
    if (isinf(lam)) {
        for (i = 0; i < n; i++)
            if (!isinf(scores[i]) && scores[i] > big) big = scores[i];
        lam = big;
        *fallback = 1;
    }
    free(tmp);
    return lam;
}

/* Writes each pair's inner mask with `fn` and compares it with ours. */
static void check_apply(ctx *c, const dataset *d, method_fn fn, const char *what, size_t n)
{
    uint8_t *ref = bench_alloc(d->max_w * d->max_h);
    size_t i, k;
    for (i = 0; i < n && i < d->n; i++) {
        const size_t np = bench_pixels(&d->pairs[i]);
        ours_apply(c, &d->pairs[i]);
        memcpy(ref, c->out, np);
        fn(c, &d->pairs[i]);
        for (k = 0; k < np; k++)
            if ((ref[k] != 0) != (c->out[k] != 0)) break;
        if (k < np) mismatch(what, d->size, i, (double)k, 0);
    }
    free(ref);
}

static void apply_rows(ctx *c, const dataset *d, const rep_counts *rp, const double *scores)
{
    int fallback;
    double ours;
    row *r;
    c->lambda = lambda_hat_of(scores, d->n, &fallback);
    check_apply(c, d, m_literal_apply, "apply literal (first differing pixel)", rp->check_slow);
    ours = time_method(c, ours_apply, d->pairs, d->n, rp->fast, 1, NULL);
    r = add_row("apply_erosion", d->size, "opencv_loop", d->n);
    if (opencv_available()) {
        check_apply(c, d, m_opencv_apply, "apply opencv (first differing pixel)", d->n);
        set_times(r, ours, time_method(c, m_opencv_apply, d->pairs, d->n, rp->slow, 0, NULL));
        snprintf(r->note, sizeof r->note, "lambda_hat = %.0f%s", c->lambda,
                 fallback ? " (largest finite score: set too small for alpha)" : "");
    } else {
        snprintf(r->note, sizeof r->note, "OpenCV not found at build time");
    }
    r = add_row("apply_erosion", d->size, "literal_loop", d->n);
    set_times(r, ours, time_method(c, m_literal_apply, d->pairs, d->n, rp->slow, 0, NULL));
    snprintf(r->note, sizeof r->note, "lambda_hat = %.0f", c->lambda);
}

/* Batch calibration: 2 threads against 1 on n pairs cycled from the pool. */
static void batch_rows(const dataset *pool, size_t n, int reps, double *scores_out)
{
    conseco_erosion_params ep;
    conseco_shrinker sh;
    conseco_calibrator_config cfg;
    conseco_calibrator *cal = NULL;
    conseco_image *preds = bench_alloc(n * sizeof *preds);
    conseco_mask *truths = bench_alloc(n * sizeof *truths);
    double *t1 = bench_alloc((size_t)reps * sizeof *t1);
    double *t2 = bench_alloc((size_t)reps * sizeof *t2);
    double *s2 = bench_alloc(n * sizeof *s2);
    char size[48];
    size_t i;
    int r, rc, pass;
    row *rw;
    for (i = 0; i < n; i++) {
        preds[i] = pool->pairs[i % pool->n].pred;
        truths[i] = pool->pairs[i % pool->n].truth;
    }
    conseco_erosion_params_default(&ep);
    sh = conseco_shrinker_erosion(&ep);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = sh;
    cfg.tau = TAU;
    cfg.capacity = n;
    if ((rc = conseco_calibrator_create(&cfg, NULL, &cal)) != CONSECO_OK) {
        fprintf(stderr, "conseco_bench: conseco_calibrator_create: %s\n", conseco_strerror(rc));
        exit(2);
    }
    /* alternate 1 and 2 threads so that drifts of the machine hit both */
    for (r = reps > 1 ? -1 : 0; r < reps; r++) {
        for (pass = 1; pass <= 2; pass++) {
            double t0;
            conseco_calibrator_reset(cal);
            t0 = bench_now();
            rc = conseco_calibrator_add_batch(cal, preds, truths, n, (unsigned)pass,
                                              pass == 1 ? scores_out : s2);
            t0 = bench_now() - t0;
            if (rc != CONSECO_OK) {
                fprintf(stderr, "conseco_bench: add_batch: %s\n", conseco_strerror(rc));
                exit(2);
            }
            if (r >= 0) (pass == 1 ? t1 : t2)[r] = t0;
        }
    }
    for (i = 0; i < n; i++)
        if (!same(scores_out[i], s2[i])) mismatch("batch 1 vs 2 threads", "batch", i, scores_out[i], s2[i]);
    snprintf(size, sizeof size, "%s n=%zu", pool->size, n);
    rw = add_row("batch", size, "one_thread", n);
    set_times(rw, bench_median(t2, (size_t)reps), bench_median(t1, (size_t)reps));
    snprintf(rw->note, sizeof rw->note, "2 threads vs 1, erosion, whole batch");
    conseco_calibrator_free(cal);
    free(preds);
    free(truths);
    free(t1);
    free(t2);
    free(s2);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* lambda_hat from n scores: O(n) selection against sorting first. */
static void quantile_row(const double *scores, size_t n, int reps)
{
    double *tmp = bench_alloc(n * sizeof *tmp);
    double *to = bench_alloc((size_t)reps * sizeof *to);
    double *tv = bench_alloc((size_t)reps * sizeof *tv);
    const int inner = n < 1000 ? 200 : 10;
    double ours = 0.0, theirs = 0.0;
    char size[32];
    size_t k = 0;
    int r, j;
    row *rw;
    conseco_rank(n, ALPHA, &k);
    for (r = 0; r < reps; r++) {
        double t0 = bench_now();
        for (j = 0; j < inner; j++) {
            memcpy(tmp, scores, n * sizeof *tmp);
            conseco_quantile(tmp, n, ALPHA, &ours, NULL);
        }
        to[r] = (bench_now() - t0) / inner;
        t0 = bench_now();
        for (j = 0; j < inner; j++) {
            memcpy(tmp, scores, n * sizeof *tmp);
            qsort(tmp, n, sizeof *tmp, cmp_double);
            theirs = k <= n ? tmp[k - 1] : INFINITY;
        }
        tv[r] = (bench_now() - t0) / inner;
    }
    if (!same(ours, theirs)) mismatch("quantile", "scores", n, ours, theirs);
    snprintf(size, sizeof size, "n=%zu", n);
    rw = add_row("quantile", size, "sort_scan", n);
    set_times(rw, bench_median(to, (size_t)reps), bench_median(tv, (size_t)reps));
    snprintf(rw->note, sizeof rw->note, "lambda_hat at alpha 0.1 vs qsort + index (incl. copy)");
    free(tmp);
    free(to);
    free(tv);
}

/* ----------------------------------------------------------------- output */
static void print_json(void)
{
    size_t i;
    int first = 1;
    printf("{\"cores\": %u, \"rows\": [", bench_cores());
    for (i = 0; i < g_nrows; i++) {
        const row *r = &g_rows[i];
        if (!r->available) continue;
        printf("%s\n  {\"task\": \"%s\", \"size\": \"%s\", \"ours_s\": %.9g, \"vs\": \"%s\", "
               "\"vs_s\": %.9g, \"ratio\": %.6g}",
               first ? "" : ",", r->task, r->size, r->ours_s, r->vs, r->vs_s, r->ratio);
        first = 0;
    }
    printf("\n]}\n");
}

static void print_table(void)
{
    size_t i;
    printf("| task | size | inputs | ours (ms) | vs | vs (ms) | ratio | note |\n");
    printf("|---|---|---:|---:|---|---:|---:|---|\n");
    for (i = 0; i < g_nrows; i++) {
        const row *r = &g_rows[i];
        if (r->available)
            printf("| %s | %s | %zu | %.4g | %s | %.4g | %.3g | %s |\n", r->task, r->size,
                   r->images, r->ours_s * 1e3, r->vs, r->vs_s * 1e3, r->ratio, r->note);
        else
            printf("| %s | %s | - | - | %s | - | n/a | %s |\n", r->task, r->size, r->vs,
                   r->note);
    }
}

static const row *find_row(const char *task, const char *size, const char *vs)
{
    size_t i;
    for (i = 0; i < g_nrows; i++)
        if (!strcmp(g_rows[i].task, task) && !strcmp(g_rows[i].size, size) &&
            !strcmp(g_rows[i].vs, vs) && g_rows[i].available)
            return &g_rows[i];
    return NULL;
}

/* One line per target of the issue: met or not, and by how much. */
static void target(const char *what, const char *task, const char *size, const char *vs,
                   double want, int floor_row)
{
    const row *r = find_row(task, size, vs);
    if (r == NULL) {
        printf("- %s: not measured\n", what);
        return;
    }
    if (floor_row) {
        const double multiple = 1.0 / r->ratio;
        printf("- %s: %.2fx %s (target <= %.0fx): %s\n", what, multiple,
               floor_row == 2 ? "our threshold" : "the floor", want,
               multiple <= want ? "MET" : "NOT MET");
    } else {
        printf("- %s: %.2fx (target >= %.1fx): %s\n", what, r->ratio, want,
               r->ratio >= want ? "MET" : "NOT MET");
    }
}

static void print_targets(void)
{
    printf("\nTargets:\n");
    target("erosion score vs OpenCV loop, 352x352", "erosion_score", "352x352", "opencv_loop", 3.0, 0);
    target("erosion score vs OpenCV loop, 352x352-shallow (about 8 erosions)", "erosion_score",
           "352x352-shallow", "opencv_loop", 3.0, 0);
    target("erosion score vs OpenCV loop, 2048x2048-deep", "erosion_score", "2048x2048-deep",
           "opencv_loop", 10.0, 0);
    target("erosion score vs read floor, 2048x2048-deep", "erosion_score", "2048x2048-deep",
           "read_floor", 4.0, 1);
    target("threshold score vs sort-and-scan, 352x352", "threshold_score", "352x352", "sort_scan", 5.0, 0);
    target("threshold score vs sort-and-scan, 352x352-shallow", "threshold_score",
           "352x352-shallow", "sort_scan", 5.0, 0);
    target("threshold score vs sort-and-scan, 2048x2048-deep", "threshold_score", "2048x2048-deep",
           "sort_scan", 5.0, 0);
    target("threshold score vs sort-and-scan, infnet-ct", "threshold_score", "infnet-ct",
           "sort_scan", 5.0, 0);
    target("threshold score vs read floor, 2048x2048-deep", "threshold_score", "2048x2048-deep",
           "read_floor", 3.0, 1);
    target("smooth score (sigma 1) vs our threshold score, 2048x2048-deep", "smooth_score",
           "2048x2048-deep", "threshold_ours", 3.0, 2);
    target("batch calibration, 2 threads vs 1, n=250", "batch", "352x352 n=250", "one_thread", 1.7, 0);
    target("batch calibration, 2 threads vs 1, n=10000", "batch", "352x352 n=10000", "one_thread",
           1.7, 0);
}

static void print_memory(void)
{
    static const size_t sides[] = {352, 2048};
    static const char *names[] = {"threshold", "erosion cross", "erosion square", "erosion disk",
                                  "smooth"};
    size_t si;
    int k;
    printf("\nScratch per image (conseco_scratch_size / pixels):\n");
    for (k = 0; k < 5; k++) {
        conseco_threshold_params tp;
        conseco_erosion_params ep;
        conseco_smooth_params mp;
        conseco_shrinker sh;
        conseco_threshold_params_default(&tp);
        conseco_erosion_params_default(&ep);
        conseco_smooth_params_default(&mp);
        ep.element = (uint32_t)k;
        sh = k == 0   ? conseco_shrinker_threshold(&tp)
             : k == 4 ? conseco_shrinker_smooth(&mp)
                      : conseco_shrinker_erosion(&ep);
        printf("- %s:", names[k]);
        for (si = 0; si < 2; si++) {
            const size_t px = sides[si] * sides[si];
            const size_t bytes = conseco_scratch_size(&sh, sides[si], sides[si], 1);
            printf(" %zux%zu %zu bytes (%.2f B/px)%s", sides[si], sides[si], bytes,
                   (double)bytes / (double)px, si == 0 ? ";" : "\n");
        }
    }
}

/* ------------------------------------------------------------------- main */
static int parse(int argc, char **argv, options *o)
{
    int i;
    memset(o, 0, sizeof *o);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) o->quick = 1;
        else if (!strcmp(argv[i], "--json")) o->json = 1;
        else if (!strcmp(argv[i], "--smooth-only")) o->smooth_only = 1;
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) o->data = argv[++i];
        else {
            fprintf(stderr,
                    "usage: conseco_bench [--quick] [--json] [--data DIR] [--smooth-only]\n");
            return 0;
        }
    }
    return 1;
}

static double g_t0;

static void progress(const char *what, const char *size)
{
    fprintf(stderr, "[%6.1f s] %s %s\n", bench_now() - g_t0, what, size);
}

/* Risk guarantee (docs/DESIGN.md 5.3): conseco_calibrator_add on a risk
 * calibrator (the image's loss curve merged into the summed curve) against
 * the same add on a quantile calibrator (one score), same images, same run.
 * ratio = quantile / risk: below 1 when the risk add is slower. */
static conseco_calibrator *g_cal;

static double m_add(ctx *c, const bench_pair *p)
{
    double s = 0.0;
    int rc = conseco_calibrator_add(g_cal, &p->pred, &p->truth, &s);
    (void)c;
    if (rc != CONSECO_OK) {
        fprintf(stderr, "conseco_bench: conseco_calibrator_add: %s\n", conseco_strerror(rc));
        exit(2);
    }
    return s;
}

static double time_add(ctx *c, const dataset *d, conseco_shrinker sh, uint32_t guarantee,
                       int reps)
{
    conseco_calibrator_config cfg;
    double t;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = sh;
    cfg.tau = TAU;
    cfg.guarantee = guarantee;
    if (conseco_calibrator_create(&cfg, NULL, &g_cal) != CONSECO_OK) {
        fprintf(stderr, "conseco_bench: calibrator_create failed\n");
        exit(2);
    }
    t = time_method(c, m_add, d->pairs, d->n, reps, 1, NULL);
    conseco_calibrator_free(g_cal);
    g_cal = NULL;
    return t;
}

static void risk_rows(ctx *c, const dataset *d, const rep_counts *rp, int with_threshold)
{
    row *r;
    if (with_threshold) {
        r = add_row("risk_add_threshold", d->size, "quantile_add", d->n);
        set_times(r, time_add(c, d, c->thr_sh, CONSECO_GUARANTEE_RISK, rp->fast),
                  time_add(c, d, c->thr_sh, CONSECO_GUARANTEE_QUANTILE, rp->fast));
        snprintf(r->note, sizeof r->note, "risk add = %.2fx a quantile add", r->ours_s / r->vs_s);
    }
    r = add_row("risk_add_erosion", d->size, "quantile_add", d->n);
    set_times(r, time_add(c, d, c->ero_sh, CONSECO_GUARANTEE_RISK, rp->fast),
              time_add(c, d, c->ero_sh, CONSECO_GUARANTEE_QUANTILE, rp->fast));
    snprintf(r->note, sizeof r->note, "risk add = %.2fx a quantile add", r->ours_s / r->vs_s);
}

static int g_smooth_only; /* --smooth-only */

static void run_dataset(const dataset *d, const rep_counts *rp, double *erosion_scores)
{
    ctx c;
    ctx_init(&c, d);
    if (g_smooth_only) {
        progress("smooth score", d->size);
        smooth_rows(&c, d, rp);
        ctx_free(&c);
        return;
    }
    progress("erosion score", d->size);
    erosion_rows(&c, d, rp, erosion_scores);
    progress("threshold score", d->size);
    threshold_rows(&c, d, rp);
    progress("smooth score", d->size);
    smooth_rows(&c, d, rp);
    progress("apply", d->size);
    apply_rows(&c, d, rp, erosion_scores);
    /* risk adds: float maps keep every distinct level (many keys), so the
     * threshold row only runs on 8-bit maps (infnet-ct) */
    if (strcmp(d->size, "352x352") == 0 || strcmp(d->size, "infnet-ct") == 0) {
        progress("risk add", d->size);
        risk_rows(&c, d, rp, strcmp(d->size, "infnet-ct") == 0);
    }
    ctx_free(&c);
}

static double mean_finite(const double *v, size_t n, size_t *n_inf)
{
    double s = 0.0;
    size_t i, k = 0;
    *n_inf = 0;
    for (i = 0; i < n; i++) {
        if (isinf(v[i])) (*n_inf)++;
        else {
            s += v[i];
            k++;
        }
    }
    return k ? s / (double)k : 0.0;
}

int main(int argc, char **argv)
{
    options o;
    rep_counts rp;
    dataset small, shallow, deep, real;
    double *scores, *batch_scores;
    const double t_start = g_t0 = bench_now();
    size_t n_inf;
    if (!parse(argc, argv, &o)) return 2;
    g_smooth_only = o.smooth_only;
    rp.fast = o.quick ? 3 : 15;
    rp.slow = o.quick ? 1 : 5;
    rp.literal_budget = o.quick ? 3e8 : 4e9;
    rp.check_slow = o.quick ? 3 : (size_t)-1;
    opencv_available(); /* also pins OpenCV to one thread */

    if (!o.json)
        printf("conseco_bench %s: %u cores, %s%s\n\n", conseco_version_string(), bench_cores(),
               o.quick ? "--quick, " : "", opencv_available() ? "OpenCV baseline on" :
                                                                "OpenCV baseline unavailable");

    memset(&real, 0, sizeof real);
    small.size = "352x352";
    make_synth(&small, 250, 352);
    deep.size = "2048x2048-deep";
    make_deep(&deep, o.quick ? 5 : 10, 2048, 90.0, 150.0);
    shallow.size = "352x352-shallow";
    make_deep(&shallow, 250, 352, 1.0, 3.0);
    real.size = "infnet-ct";
    if (o.data) real.n = real_maps_load(o.data, &real.pairs);
    if (real.n == 0) real.n = real_maps_load("../shared/data/infnet-ct", &real.pairs);
#ifdef CONSECO_BENCH_SOURCE_DIR
    if (real.n == 0)
        real.n = real_maps_load(CONSECO_BENCH_SOURCE_DIR "/../../shared/data/infnet-ct",
                                &real.pairs);
#endif
    if (real.n) dataset_dims(&real);

    scores = bench_alloc(250 * sizeof *scores);
    run_dataset(&small, &rp, scores);
    if (!o.json && !g_smooth_only) {
        const double m = mean_finite(scores, small.n, &n_inf);
        printf("352x352: %zu synthetic images, mean erosion score %.1f (%zu infinite)\n",
               small.n, m, n_inf);
    }
    free(scores);
    scores = bench_alloc(shallow.n * sizeof *scores);
    run_dataset(&shallow, &rp, scores);
    if (!o.json && !g_smooth_only)
        printf("352x352-shallow: %zu images, mean erosion score %.1f\n", shallow.n,
               mean_finite(scores, shallow.n, &n_inf));
    free(scores);
    scores = bench_alloc(deep.n * sizeof *scores);
    run_dataset(&deep, &rp, scores);
    if (!o.json && !g_smooth_only)
        printf("2048x2048-deep: %zu images, mean erosion score %.1f\n", deep.n,
               mean_finite(scores, deep.n, &n_inf));
    free(scores);
    if (real.n) {
        scores = bench_alloc(real.n * sizeof *scores);
        run_dataset(&real, &rp, scores);
        if (!o.json && !g_smooth_only)
            printf("infnet-ct: %zu real maps, mean erosion score %.1f\n", real.n,
                   mean_finite(scores, real.n, &n_inf));
        free(scores);
    } else if (!o.json) {
        printf("infnet-ct: folder not found%s: rows skipped\n",
               real_maps_supported() ? "" : " (built without libpng)");
    }

    if (g_smooth_only) goto report;
    progress("batch and quantile", "352x352");
    batch_scores = bench_alloc(10000 * sizeof *batch_scores);
    batch_rows(&small, 250, o.quick ? 3 : 9, batch_scores);
    quantile_row(batch_scores, 250, o.quick ? 5 : 31);
    batch_rows(&small, 10000, o.quick ? 1 : 3, batch_scores);
    quantile_row(batch_scores, 10000, o.quick ? 5 : 31);
    free(batch_scores);

report:
    if (o.json) {
        print_json();
    } else {
        printf("\n");
        print_table();
        print_targets();
        print_memory();
        printf("\nTotal run time %.1f s.%s\n", bench_now() - t_start,
               g_mismatch ? " MISMATCHES FOUND (see stderr)." : "");
    }
    return g_mismatch ? 1 : 0;
}
