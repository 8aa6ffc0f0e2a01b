/* SPDX-License-Identifier: Apache-2.0 */
/* Table 1 protocol under the risk guarantee: one curve per image, merged per split. */
#include "evaluate_risk.h"

#include "cli.h"
#include "json_out.h"
#include "progress.h"
#include "split_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One image's loss curve: a one-image risk calibrator. */
typedef struct curve_slot {
    conseco_calibrator *cal;
} curve_slot;

/* Metrics of one image at the lambdas its test splits need: entries [done, count) are wanted
 * but not yet measured (few distinct lambdas per run). */
typedef struct memo {
    double *lambda;
    conseco_image_metrics *m;
    size_t count, cap, done;
} memo;

/* The entry of lambda (added, not yet measured, when new). */
static int memo_find(memo *mo, double lambda, size_t *at)
{
    size_t i;
    for (i = 0; i < mo->count; i++)
        if (mo->lambda[i] == lambda) {
            *at = i;
            return CONSECO_OK;
        }
    if (mo->count == mo->cap) {
        size_t cap = mo->cap ? 2 * mo->cap : 8;
        double *l = (double *)realloc(mo->lambda, cap * sizeof *l);
        conseco_image_metrics *m;
        if (l == NULL) return CONSECO_E_NO_MEMORY;
        mo->lambda = l;
        m = (conseco_image_metrics *)realloc(mo->m, cap * sizeof *m);
        if (m == NULL) return CONSECO_E_NO_MEMORY;
        mo->m = m;
        mo->cap = cap;
    }
    mo->lambda[mo->count] = lambda;
    *at = mo->count++;
    return CONSECO_OK;
}

static int grow(void **scratch, size_t *scratch_size, size_t need)
{
    void *p;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (need <= *scratch_size) return CONSECO_OK;
    p = realloc(*scratch, need);
    if (p == NULL) return CONSECO_E_NO_MEMORY;
    *scratch = p;
    *scratch_size = need;
    return CONSECO_OK;
}

/* Measures the pending entries of one image in one call (one level map where the library has
 * one): what conseco_evaluate_image (inner) or conseco_side_evaluate (outer: m->afp = FNR,
 * m->cr = |O| / |Yhat|, m->predicted = |Yhat|) gives at each lambda with tau 0. */
static int memo_fill(memo *mo, const conseco_shrinker *sh, const conseco_side_params *sp,
                     const conseco_image *pred, const conseco_mask *truth, void **scratch,
                     size_t *scratch_size, conseco_side_metrics **side_buf, size_t *side_cap)
{
    const size_t count = mo->count - mo->done;
    size_t i;
    int st;
    if (count == 0) return CONSECO_OK;
    if (sp == NULL) {
        st = grow(scratch, scratch_size, conseco_evaluate_lambdas_scratch_size(
                                             sh, pred->width, pred->height, pred->depth));
        if (st == CONSECO_OK)
            st = conseco_evaluate_lambdas(sh, pred, truth, mo->lambda + mo->done, count, 0.0,
                                          *scratch, *scratch_size, mo->m + mo->done);
        if (st == CONSECO_OK) mo->done = mo->count;
        return st;
    }
    if (count > *side_cap) {
        conseco_side_metrics *p =
            (conseco_side_metrics *)realloc(*side_buf, count * sizeof *p);
        if (p == NULL) return CONSECO_E_NO_MEMORY;
        *side_buf = p;
        *side_cap = count;
    }
    st = grow(scratch, scratch_size,
              conseco_side_scratch_size(sh, sp, pred->width, pred->height, pred->depth));
    if (st == CONSECO_OK)
        st = conseco_side_evaluate_lambdas(sh, sp, pred, truth, mo->lambda + mo->done, count,
                                           0.0, *scratch, *scratch_size, *side_buf);
    if (st != CONSECO_OK) return st;
    for (i = 0; i < count; i++) {
        conseco_image_metrics *out = &mo->m[mo->done + i];
        memset(out, 0, sizeof *out);
        out->afp = (*side_buf)[i].fnr;
        out->cr = (*side_buf)[i].outer_ratio;
        out->predicted = (*side_buf)[i].inner.predicted;
    }
    mo->done = mo->count;
    return CONSECO_OK;
}

static void stat_of(const double *v, size_t n, cli_stat *s)
{
    double sum = 0.0, sq = 0.0, mean;
    size_t i;
    for (i = 0; i < n; i++) sum += v[i];
    mean = sum / (double)n;
    for (i = 0; i < n; i++) sq += (v[i] - mean) * (v[i] - mean);
    s->mean = mean;
    s->sd = sqrt(sq / (double)n);
}

/* A risk calibrator of shrinker sh (outer: E[FNR], lowering from bottom) with nothing added. */
static int risk_calibrator(const conseco_shrinker *sh, int outer, double bottom,
                           conseco_calibrator **cal)
{
    conseco_calibrator_config cc;
    conseco_calibrator_config_init(&cc);
    cc.shrinker = *sh;
    cc.guarantee = CONSECO_GUARANTEE_RISK;
    cc.capacity = 0;
    if (outer) {
        cc.side = CONSECO_SIDE_OUTER;
        cc.bottom = bottom;
    }
    return conseco_calibrator_create(&cc, NULL, cal);
}

int cli_evaluate_risk(const conseco_image *preds, const conseco_mask *truths,
                      const char *const *names, size_t n, const cli_eval_config *cfg,
                      uint32_t side, double bottom, cli_risk_result *out)
{
    const int outer = side == CONSECO_SIDE_OUTER;
    conseco_side_params sps[2];
    const size_t S = (size_t)cfg->splits;
    curve_slot *one = NULL;          /* [method 0/1][image]: one-image curves */
    conseco_calibrator *worker[2] = {NULL, NULL};
    memo *memos = NULL;              /* [method 0..2][image] */
    double *series = NULL;           /* [method][metric 3][split] */
    double *lams = NULL;             /* [split][method 0..2] */
    size_t *perm = NULL, n_cal = 0, n_test, i, s, k, j, done = 0, side_cap = 0, at;
    conseco_side_metrics *side_buf = NULL;
    void *scratch = NULL;
    size_t scratch_size = 0;
    conseco_shrinker sh[2];
    cli_progress pg;
    int rc, st;
    const char *what = "risk";

    memset(out, 0, sizeof *out);
    out->side = side;
    for (k = 0; k < 2; k++) {
        conseco_side_params_default(&sps[k]);
        sps[k].side = CONSECO_SIDE_OUTER;
        sps[k].bottom = k == 0 ? bottom : 0.0; /* lowering has a bottom, dilation none */
    }
    if ((rc = cli_eval_split_sizes(n, cfg->cal_fraction, &n_cal)) != CLI_EXIT_OK) return rc;
    if (S == 0) return cli_fail(CLI_EXIT_USAGE, "--splits must be at least 1");
    n_test = n - n_cal;
    out->n = n;
    out->n_cal = n_cal;
    out->n_test = n_test;
    sh[0] = conseco_shrinker_threshold(&cfg->shrinkers->threshold);
    sh[1] = conseco_shrinker_erosion(&cfg->shrinkers->erosion);
    one = (curve_slot *)calloc(2 * n, sizeof *one);
    memos = (memo *)calloc(3 * n, sizeof *memos);
    series = (double *)calloc((size_t)9 * S, sizeof *series);
    lams = S <= (size_t)-1 / (3 * sizeof *lams) ? (double *)malloc(3 * S * sizeof *lams) : NULL;
    perm = (size_t *)malloc(n * sizeof *perm);
    if (!one || !memos || !series || !lams || !perm) rc = cli_fail_nomem();

    /* pass 1: each image is decoded once (cfg->load) and keeps only its loss curves: one
     * one-image risk calibrator per shrinker, merged out of a worker calibrator that keeps the
     * image-sized scratch (a calibrator that adds an image keeps scratch for its size) */
    for (k = 0; rc == CLI_EXIT_OK && k < 2; k++)
        if ((st = risk_calibrator(&sh[k], outer, sps[k].bottom, &worker[k])) != CONSECO_OK)
            rc = cli_fail_status(st, what);
    cli_progress_begin(&pg, "evaluate: images", 2 * n, cfg->quiet);
    for (i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        conseco_image im;
        conseco_mask tm;
        void *h;
        if ((rc = cli_eval_get(cfg, preds, truths, i, &im, &tm, &h)) != CLI_EXIT_OK) break;
        for (k = 0; rc == CLI_EXIT_OK && k < 2; k++) {
            st = conseco_calibrator_reset(worker[k]);
            if (st == CONSECO_OK) st = conseco_calibrator_add(worker[k], &im, &tm, NULL);
            if (st == CONSECO_OK)
                st = risk_calibrator(&sh[k], outer, sps[k].bottom, &one[k * n + i].cal);
            if (st == CONSECO_OK) st = conseco_calibrator_merge(one[k * n + i].cal, worker[k]);
            if (st != CONSECO_OK) rc = cli_fail_status(st, names ? names[i] : "image");
        }
        cli_eval_put(cfg, h);
        cli_progress_step(&pg, ++done);
    }
    for (k = 0; k < 2; k++) {
        conseco_calibrator_free(worker[k]);
        worker[k] = NULL;
    }

    /* lambda_hat of every split (merged curves of its calibration images), and the lambdas
     * each test image is measured at */
    for (s = 0; rc == CLI_EXIT_OK && s < S; s++) {
        cli_split_permutation(cfg->seed, (uint64_t)s, perm, n);
        for (k = 0; rc == CLI_EXIT_OK && k < 3; k++) {
            /* baseline: lambda_min of the threshold family (Yhat); shrinkers: lambda_hat */
            const size_t sk = k == 2 ? 1 : 0;
            double lambda = cfg->shrinkers->threshold.base;
            if (k != 0) {
                conseco_calibrator *cal = NULL;
                st = risk_calibrator(&sh[sk], outer, sps[sk].bottom, &cal);
                for (j = 0; st == CONSECO_OK && j < n_cal; j++)
                    st = conseco_calibrator_merge(cal, one[sk * n + perm[j]].cal);
                if (st == CONSECO_OK) st = conseco_calibrator_lambda_hat(cal, cfg->alpha, &lambda, NULL);
                conseco_calibrator_free(cal);
                if (st != CONSECO_OK) {
                    rc = cli_fail_status(st, what);
                    break;
                }
            }
            lams[3 * s + k] = lambda;
            for (j = 0; rc == CLI_EXIT_OK && j < n_test; j++)
                if (memo_find(&memos[k * n + perm[n_cal + j]], lambda, &at) != CONSECO_OK)
                    rc = cli_fail_nomem();
        }
    }
    /* the curves are done with */
    if (one != NULL)
        for (i = 0; i < 2 * n; i++) {
            conseco_calibrator_free(one[i].cal);
            one[i].cal = NULL;
        }

    /* pass 2: each tested image is decoded once more and measured at all its lambdas */
    for (i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        conseco_image im;
        conseco_mask tm;
        void *h;
        for (k = 0; k < 3; k++)
            if (memos[k * n + i].done != memos[k * n + i].count) break;
        if (k == 3) {
            cli_progress_step(&pg, ++done);
            continue;
        }
        if ((rc = cli_eval_get(cfg, preds, truths, i, &im, &tm, &h)) != CLI_EXIT_OK) break;
        for (k = 0; rc == CLI_EXIT_OK && k < 3; k++) {
            const size_t sk = k == 2 ? 1 : 0;
            st = memo_fill(&memos[k * n + i], &sh[sk], outer ? &sps[sk] : NULL, &im, &tm,
                           &scratch, &scratch_size, &side_buf, &side_cap);
            if (st != CONSECO_OK) rc = cli_fail_status(st, names ? names[i] : "image");
        }
        cli_eval_put(cfg, h);
        cli_progress_step(&pg, ++done);
    }
    cli_progress_end(&pg);

    for (s = 0; rc == CLI_EXIT_OK && s < S; s++) {
        cli_split_permutation(cfg->seed, (uint64_t)s, perm, n);
        for (k = 0; rc == CLI_EXIT_OK && k < 3; k++) {
            double sums[3] = {0.0, 0.0, 0.0};
            size_t sized = 0;
            for (j = 0; j < n_test; j++) {
                memo *mo = &memos[k * n + perm[n_cal + j]];
                const conseco_image_metrics *m;
                if (memo_find(mo, lams[3 * s + k], &at) != CONSECO_OK || at >= mo->done) {
                    rc = cli_fail(CLI_EXIT_INTERNAL, "evaluate: a test lambda was not measured");
                    break;
                }
                m = &mo->m[at];
                sums[0] += m->afp;
                if (!outer) {
                    sums[1] += m->cr;
                    sums[2] += m->atp;
                } else if (m->predicted != 0) { /* |O| / |Yhat| needs a Yhat */
                    sums[1] += m->cr;
                    sized++;
                }
            }
            for (j = 0; j < 3; j++) series[(k * 3 + j) * S + s] = sums[j] / (double)n_test;
            if (outer) series[(k * 3 + 1) * S + s] = sized ? sums[1] / (double)sized : 1.0;
        }
    }
    if (rc == CLI_EXIT_OK)
        for (k = 0; k < 3; k++) {
            out->rows[k].method = (int)k;
            stat_of(series + (k * 3 + 0) * S, S, &out->rows[k].loss);
            if (outer) {
                stat_of(series + (k * 3 + 1) * S, S, &out->rows[k].outer_size);
            } else {
                stat_of(series + (k * 3 + 1) * S, S, &out->rows[k].cr);
                stat_of(series + (k * 3 + 2) * S, S, &out->rows[k].atp);
            }
        }
    if (one != NULL)
        for (i = 0; i < 2 * n; i++) conseco_calibrator_free(one[i].cal);
    if (memos != NULL)
        for (i = 0; i < 3 * n; i++) {
            free(memos[i].lambda);
            free(memos[i].m);
        }
    free(one);
    free(memos);
    free(series);
    free(lams);
    free(perm);
    free(scratch);
    free(side_buf);
    return rc;
}

static void stat_json(FILE *f, const char *name, const cli_stat *s)
{
    fprintf(f, "\"%s\": {\"mean\": ", name);
    cli_json_number(f, s->mean);
    fputs(", \"sd\": ", f);
    cli_json_number(f, s->sd);
    fputc('}', f);
}

void cli_risk_print_json(FILE *f, const cli_risk_result *r, const cli_eval_config *cfg)
{
    size_t i;
    const int outer = r->side == CONSECO_SIDE_OUTER;
    fprintf(f, "{\"guarantee\": \"risk\", \"side\": \"%s\", \"alpha\": ",
            outer ? "outer" : "inner");
    cli_json_number(f, cfg->alpha);
    fprintf(f, ", \"splits\": %llu, \"n_cal\": %lu, \"n_test\": %lu, \"rows\": [",
            (unsigned long long)cfg->splits, (unsigned long)r->n_cal, (unsigned long)r->n_test);
    for (i = 0; i < 3; i++) {
        const cli_risk_row *row = &r->rows[i];
        fprintf(f, "%s{\"method\": \"%s\", ", i ? ", " : "",
                outer && row->method == CLI_METHOD_EROSION ? "dilation"
                                                           : cli_method_name(row->method));
        stat_json(f, "loss", &row->loss);
        fputs(", ", f);
        if (outer) {
            stat_json(f, "outer_size", &row->outer_size);
        } else {
            stat_json(f, "cr", &row->cr);
            fputs(", ", f);
            stat_json(f, "atp", &row->atp);
        }
        fputc('}', f);
    }
    fputs("]}\n", f);
}

void cli_risk_print_table(FILE *f, const cli_risk_result *r, const cli_eval_config *cfg)
{
    static const char *const label[] = {"Baseline", "Threshold", "Erosion"};
    static const char *const outer_label[] = {"Baseline", "Threshold", "Dilation"};
    const int outer = r->side == CONSECO_SIDE_OUTER;
    char alpha[40];
    size_t i;
    const cli_shrinker_opts *o = cfg->shrinkers;
    cli_format_double(cfg->alpha, alpha, sizeof alpha);
    fprintf(f, "%lu images, %llu random splits (seed %llu): %lu calibrate, %lu test; "
               "risk guarantee E[%s] <= %s\n",
            (unsigned long)r->n, (unsigned long long)cfg->splits,
            (unsigned long long)cfg->seed, (unsigned long)r->n_cal, (unsigned long)r->n_test,
            outer ? "FNR" : "AFP", alpha);
    if (outer) {
        fprintf(f, "outer sets, Yhat = {score >= %g}; threshold lowering; dilation: %s; "
                   "size: |O| / |Yhat|\n\n",
                o->threshold.base, cli_element_name(o->erosion.element));
        fprintf(f, "%-10s  %-15s  %-15s\n", "Method", "Loss (FNR)", "Size");
        for (i = 0; i < 3; i++) {
            const cli_risk_row *row = &r->rows[i];
            fprintf(f, "%-10s  %.3f \u00b1 %.3f    %.3f \u00b1 %.3f\n", outer_label[row->method],
                    row->loss.mean, row->loss.sd, row->outer_size.mean, row->outer_size.sd);
        }
        return;
    }
    fprintf(f, "Yhat = {score >= %g}; erosion: %s, border %s\n\n", o->threshold.base,
            cli_element_name(o->erosion.element), cli_border_name(o->erosion.border));
    fprintf(f, "%-10s  %-15s  %-15s  %-15s\n", "Method", "Loss (AFP)", "CR", "ATP");
    for (i = 0; i < 3; i++) {
        const cli_risk_row *row = &r->rows[i];
        fprintf(f, "%-10s  %.3f \u00b1 %.3f    %.3f \u00b1 %.3f    %.3f \u00b1 %.3f\n",
                label[row->method], row->loss.mean, row->loss.sd, row->cr.mean, row->cr.sd,
                row->atp.mean, row->atp.sd);
    }
}
