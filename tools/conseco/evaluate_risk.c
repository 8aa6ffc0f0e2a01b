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

/* Metrics of one image at the lambdas asked so far (few distinct per run). */
typedef struct memo {
    double *lambda;
    conseco_image_metrics *m;
    size_t count, cap;
} memo;

/* The outer side's metrics at lambda: m->afp = FNR, m->cr = |O| / |Yhat|,
 * m->predicted = |Yhat| (the memo keeps image metrics). */
static int side_metrics(const conseco_shrinker *sh, const conseco_side_params *sp,
                        const conseco_image *pred, const conseco_mask *truth, double lambda,
                        void **scratch, size_t *scratch_size, conseco_image_metrics *out)
{
    conseco_side_metrics sm;
    size_t need = conseco_side_scratch_size(sh, sp, pred->width, pred->height, pred->depth);
    int st;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (need > *scratch_size) {
        void *p = realloc(*scratch, need);
        if (p == NULL) return CONSECO_E_NO_MEMORY;
        *scratch = p;
        *scratch_size = need;
    }
    st = conseco_side_evaluate(sh, sp, pred, truth, lambda, 0.0, *scratch, *scratch_size, &sm);
    if (st != CONSECO_OK) return st;
    memset(out, 0, sizeof *out);
    out->afp = sm.fnr;
    out->cr = sm.outer_ratio;
    out->predicted = sm.inner.predicted;
    return CONSECO_OK;
}

static int memo_get(memo *mo, const conseco_shrinker *sh, const conseco_side_params *sp,
                    const conseco_image *pred, const conseco_mask *truth, double lambda,
                    void **scratch, size_t *scratch_size, conseco_image_metrics *out)
{
    size_t i, need;
    int st;
    for (i = 0; i < mo->count; i++)
        if (mo->lambda[i] == lambda) {
            *out = mo->m[i];
            return CONSECO_OK;
        }
    if (sp != NULL) {
        st = side_metrics(sh, sp, pred, truth, lambda, scratch, scratch_size, out);
        if (st != CONSECO_OK) return st;
        goto keep;
    }
    need = conseco_scratch_size(sh, pred->width, pred->height, pred->depth);
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (need > *scratch_size) {
        void *p = realloc(*scratch, need);
        if (p == NULL) return CONSECO_E_NO_MEMORY;
        *scratch = p;
        *scratch_size = need;
    }
    st = conseco_evaluate_image(sh, pred, truth, lambda, 0.0, *scratch, *scratch_size, out);
    if (st != CONSECO_OK) return st;
keep:
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
    mo->m[mo->count++] = *out;
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

int cli_evaluate_risk(const conseco_image *preds, const conseco_mask *truths,
                      const char *const *names, size_t n, const cli_eval_config *cfg,
                      uint32_t side, double bottom, cli_risk_result *out)
{
    const int outer = side == CONSECO_SIDE_OUTER;
    conseco_side_params sps[2];
    const size_t S = (size_t)cfg->splits;
    curve_slot *one = NULL;          /* [method 0/1][image]: one-image curves */
    memo *memos = NULL;              /* [method 0..2][image] */
    double *series = NULL;           /* [method][metric 3][split] */
    size_t *perm = NULL, n_cal = 0, n_test, i, s, k, j, done = 0;
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
    perm = (size_t *)malloc(n * sizeof *perm);
    if (!one || !memos || !series || !perm) rc = cli_fail_nomem();

    /* one curve per image and shrinker */
    cli_progress_begin(&pg, "evaluate: loss curves", 2 * n, cfg->quiet);
    for (k = 0; rc == CLI_EXIT_OK && k < 2; k++)
        for (i = 0; rc == CLI_EXIT_OK && i < n; i++) {
            conseco_calibrator_config cc;
            conseco_calibrator_config_init(&cc);
            cc.shrinker = sh[k];
            cc.guarantee = CONSECO_GUARANTEE_RISK;
            cc.capacity = 0;
            if (outer) {
                cc.side = CONSECO_SIDE_OUTER;
                cc.bottom = sps[k].bottom;
            }
            st = conseco_calibrator_create(&cc, NULL, &one[k * n + i].cal);
            if (st == CONSECO_OK)
                st = conseco_calibrator_add(one[k * n + i].cal, &preds[i], &truths[i], NULL);
            if (st != CONSECO_OK) rc = cli_fail_status(st, names ? names[i] : "image");
            cli_progress_step(&pg, ++done);
        }
    cli_progress_end(&pg);

    for (s = 0; rc == CLI_EXIT_OK && s < S; s++) {
        cli_split_permutation(cfg->seed, (uint64_t)s, perm, n);
        for (k = 0; rc == CLI_EXIT_OK && k < 3; k++) {
            /* baseline: lambda_min of the threshold family (Yhat); shrinkers: lambda_hat */
            const size_t sk = k == 2 ? 1 : 0;
            double lambda = cfg->shrinkers->threshold.base;
            double sums[3] = {0.0, 0.0, 0.0};
            size_t sized = 0;
            if (k != 0) {
                conseco_calibrator *cal = NULL;
                conseco_calibrator_config cc;
                conseco_calibrator_config_init(&cc);
                cc.shrinker = sh[sk];
                cc.guarantee = CONSECO_GUARANTEE_RISK;
                cc.capacity = 0;
                if (outer) {
                    cc.side = CONSECO_SIDE_OUTER;
                    cc.bottom = sps[sk].bottom;
                }
                st = conseco_calibrator_create(&cc, NULL, &cal);
                for (j = 0; st == CONSECO_OK && j < n_cal; j++)
                    st = conseco_calibrator_merge(cal, one[sk * n + perm[j]].cal);
                if (st == CONSECO_OK) st = conseco_calibrator_lambda_hat(cal, cfg->alpha, &lambda, NULL);
                conseco_calibrator_free(cal);
                if (st != CONSECO_OK) {
                    rc = cli_fail_status(st, what);
                    break;
                }
            }
            for (j = 0; j < n_test; j++) {
                const size_t im = perm[n_cal + j];
                conseco_image_metrics m;
                st = memo_get(&memos[k * n + im], &sh[sk], outer ? &sps[sk] : NULL, &preds[im],
                              &truths[im], lambda, &scratch, &scratch_size, &m);
                if (st != CONSECO_OK) {
                    rc = cli_fail_status(st, names ? names[im] : "image");
                    break;
                }
                sums[0] += m.afp;
                if (!outer) {
                    sums[1] += m.cr;
                    sums[2] += m.atp;
                } else if (m.predicted != 0) { /* |O| / |Yhat| needs a Yhat */
                    sums[1] += m.cr;
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
    free(perm);
    free(scratch);
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
