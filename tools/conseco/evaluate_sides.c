/* SPDX-License-Identifier: Apache-2.0 */
/* The Table 1 protocol for outer sets and bands: see evaluate_sides.h. */
#include "evaluate_sides.h"

#include "cli.h"
#include "json_out.h"
#include "progress.h"
#include "split_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Metrics of one image at lambdas already evaluated (a short list: lambda_hat takes few values). */
typedef struct memo {
    double *lambda;
    conseco_side_metrics *m;
    size_t count, cap;
    size_t done; /* entries [done, count) are wanted but not yet evaluated */
} memo;

typedef struct family {
    conseco_shrinker sh;
    conseco_side_params sp;
    int lowering; /* outer threshold: lambda_hat is the k-th largest */
} family;

static void stat_of(const double *v, size_t n, cli_stat *s)
{
    double mean = 0.0, sq = 0.0;
    size_t i;
    for (i = 0; i < n; i++) mean += v[i];
    mean /= (double)n;
    for (i = 0; i < n; i++) sq += (v[i] - mean) * (v[i] - mean);
    s->mean = mean;
    s->sd = sqrt(sq / (double)n);
}

static int ensure_scratch(void **scratch, size_t *cap, size_t need)
{
    void *p;
    if (need <= *cap) return CLI_EXIT_OK;
    p = realloc(*scratch, need);
    if (p == NULL) return cli_fail_nomem();
    *scratch = p;
    *cap = need;
    return CLI_EXIT_OK;
}

/* The entry of lambda (added, not yet evaluated, when new). */
static int memo_find(memo *mm, double lambda, size_t *at)
{
    size_t i;
    for (i = mm->count; i-- > 0;)
        if (mm->lambda[i] == lambda) {
            *at = i;
            return CLI_EXIT_OK;
        }
    if (mm->count == mm->cap) {
        size_t nc = mm->cap ? 2 * mm->cap : 8;
        double *nl = (double *)realloc(mm->lambda, nc * sizeof *nl);
        conseco_side_metrics *nm;
        if (nl == NULL) return cli_fail_nomem();
        mm->lambda = nl;
        nm = (conseco_side_metrics *)realloc(mm->m, nc * sizeof *nm);
        if (nm == NULL) return cli_fail_nomem();
        mm->m = nm;
        mm->cap = nc;
    }
    mm->lambda[mm->count] = lambda;
    *at = mm->count++;
    return CLI_EXIT_OK;
}

/* Evaluates the pending entries of one image in one call (one level map). */
static int memo_fill(const family *f, const conseco_image *im, const conseco_mask *tm,
                     const char *name, double tau, memo *mm, void **scratch, size_t *cap)
{
    size_t need;
    int st, rc;
    if (mm->done == mm->count) return CLI_EXIT_OK;
    need = conseco_side_scratch_size(&f->sh, &f->sp, im->width, im->height, im->depth);
    if (need == 0) return cli_fail(CLI_EXIT_DATA, "%s: image too large", name);
    if ((rc = ensure_scratch(scratch, cap, need)) != CLI_EXIT_OK) return rc;
    st = conseco_side_evaluate_lambdas(&f->sh, &f->sp, im, tm, mm->lambda + mm->done,
                                       mm->count - mm->done, tau, *scratch, *cap,
                                       mm->m + mm->done);
    if (st != CONSECO_OK) return cli_fail_status(st, name);
    mm->done = mm->count;
    return CLI_EXIT_OK;
}

/* lambda_hat of a split: the k-th smallest calibration score, or the k-th largest (lowering). */
static int lambda_hat(const family *f, double *buf, size_t n_cal, double alpha, double *lam)
{
    size_t k, i;
    int st;
    if (f->lowering)
        for (i = 0; i < n_cal; i++) buf[i] = -buf[i];
    st = conseco_quantile(buf, n_cal, alpha, lam, &k);
    if (st != CONSECO_OK) return cli_fail_status(st, "quantile");
    if (f->lowering) *lam = -*lam; /* k > n: +inf becomes -inf, the whole image */
    return CLI_EXIT_OK;
}

int cli_evaluate_sides(const conseco_image *preds, const conseco_mask *truths,
                       const char *const *names, size_t n, const cli_eval_config *cfg,
                       uint32_t side, double tau_outer, double bottom, cli_side_result *out)
{
    const size_t T = cfg->tau_count, S = (size_t)cfg->splits;
    family fam[2];
    double *scores = NULL, *buf = NULL, *series = NULL, *lams = NULL; /* scores[(t, m), image] */
    size_t *perm = NULL, n_cal, n_test, t, m, s, i, j, cap = 0, done = 0;
    memo *memos = NULL;
    void *scratch = NULL;
    cli_progress pg;
    int rc, st;
    memset(out, 0, sizeof *out);
    if ((rc = cli_eval_split_sizes(n, cfg->cal_fraction, &n_cal)) != CLI_EXIT_OK) return rc;
    n_test = n - n_cal;
    for (m = 0; m < 2; m++) {
        family *f = &fam[m];
        const int kind = m == 0 ? CONSECO_KIND_THRESHOLD : CONSECO_KIND_EROSION;
        f->sh = cli_shrinker_of(cfg->shrinkers, kind);
        conseco_side_params_default(&f->sp);
        f->sp.side = side;
        f->sp.tau_outer = side == CONSECO_SIDE_BAND ? tau_outer : 0.0;
        f->lowering = side == CONSECO_SIDE_OUTER && kind == CONSECO_KIND_THRESHOLD;
        f->sp.bottom = f->lowering ? bottom : 0.0;
    }
    out->n = n;
    out->n_cal = n_cal;
    out->n_test = n_test;
    out->row_count = 2 * T;
    out->rows = (cli_side_row *)calloc(out->row_count, sizeof *out->rows);
    if (T == 0) {
        rc = cli_fail(CLI_EXIT_USAGE, "evaluate: --tau is required");
        goto done;
    }
    if (n > (size_t)-1 / (2 * T * sizeof *scores)) {
        rc = cli_fail_nomem();
        goto done;
    }
    scores = (double *)malloc(2 * T * n * sizeof *scores);
    buf = (double *)malloc(n * sizeof *buf);
    perm = (size_t *)malloc(n * sizeof *perm);
    series = (double *)malloc(4 * S * sizeof *series);
    lams = (double *)malloc(S * sizeof *lams);
    memos = (memo *)calloc(2 * n, sizeof *memos); /* per family and image, for every tau */
    if (!out->rows || !scores || !buf || !perm || !series || !memos || !lams) {
        rc = cli_fail_nomem();
        goto done;
    }
    /* pass 1: each image is decoded once (cfg->load) and keeps only its scores */
    cli_progress_begin(&pg, "evaluate: images", 2 * n, cfg->quiet);
    for (i = 0; i < n; i++) {
        conseco_image im;
        conseco_mask tm;
        void *h;
        const char *name = names ? names[i] : "image";
        if ((rc = cli_eval_get(cfg, preds, truths, i, &im, &tm, &h)) != CLI_EXIT_OK) break;
        for (m = 0; rc == CLI_EXIT_OK && m < 2; m++) {
            const family *f = &fam[m];
            size_t need = conseco_side_scratch_size(&f->sh, &f->sp, im.width, im.height,
                                                    im.depth);
            if (need == 0) rc = cli_fail(CLI_EXIT_DATA, "%s: image too large", name);
            else rc = ensure_scratch(&scratch, &cap, need);
            for (t = 0; rc == CLI_EXIT_OK && t < T; t++) {
                st = conseco_side_score(&f->sh, &f->sp, &im, &tm, cfg->taus[t], scratch, cap,
                                        &scores[(2 * t + m) * n + i]);
                if (st != CONSECO_OK) rc = cli_fail_status(st, name);
            }
        }
        cli_eval_put(cfg, h);
        cli_progress_step(&pg, ++done);
    }
    /* lambda_hat of every split, and the lambdas each test image is measured at */
    for (t = 0; rc == CLI_EXIT_OK && t < T; t++)
        for (m = 0; rc == CLI_EXIT_OK && m < 2; m++)
            for (s = 0; rc == CLI_EXIT_OK && s < S; s++) {
                size_t at;
                double lam;
                cli_split_permutation(cfg->seed, (uint64_t)s, perm, n);
                for (j = 0; j < n_cal; j++) buf[j] = scores[(2 * t + m) * n + perm[j]];
                rc = lambda_hat(&fam[m], buf, n_cal, cfg->alpha, &lam);
                for (j = n_cal; rc == CLI_EXIT_OK && j < n; j++)
                    rc = memo_find(&memos[m * n + perm[j]], lam, &at);
            }
    /* pass 2: each image that is ever tested is decoded once more and measured at all its
     * lambdas (the sets do not depend on tau: any tau gives the same counts) */
    for (i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        conseco_image im;
        conseco_mask tm;
        void *h;
        const char *name = names ? names[i] : "image";
        if (memos[i].done == memos[i].count && memos[n + i].done == memos[n + i].count) {
            cli_progress_step(&pg, ++done);
            continue;
        }
        if ((rc = cli_eval_get(cfg, preds, truths, i, &im, &tm, &h)) != CLI_EXIT_OK) break;
        for (m = 0; rc == CLI_EXIT_OK && m < 2; m++)
            rc = memo_fill(&fam[m], &im, &tm, name, cfg->taus[0], &memos[m * n + i], &scratch,
                           &cap);
        cli_eval_put(cfg, h);
        cli_progress_step(&pg, ++done);
    }
    cli_progress_end(&pg);
    if (rc != CLI_EXIT_OK) goto done;
    for (t = 0; t < T; t++)
        for (m = 0; m < 2; m++) {
            const family *f = &fam[m];
            const double tau = cfg->taus[t];
            cli_side_row *row = &out->rows[2 * t + m];
            /* lambda_hat of every split again (the same selection: the same values) */
            for (s = 0; s < S; s++) {
                cli_split_permutation(cfg->seed, (uint64_t)s, perm, n);
                for (j = 0; j < n_cal; j++) buf[j] = scores[(2 * t + m) * n + perm[j]];
                if ((rc = lambda_hat(f, buf, n_cal, cfg->alpha, &lams[s])) != CLI_EXIT_OK)
                    goto done;
            }
            for (s = 0; s < S; s++) {
                double held = 0.0, size = 0.0, fnr = 0.0, cr = 0.0;
                size_t sized = 0;
                cli_split_permutation(cfg->seed, (uint64_t)s, perm, n);
                for (j = 0; j < n_test; j++) {
                    const size_t im = perm[n_cal + j];
                    const conseco_side_metrics *mt;
                    size_t at;
                    if ((rc = memo_find(&memos[m * n + im], lams[s], &at)) != CLI_EXIT_OK)
                        goto done;
                    if (at >= memos[m * n + im].done) {
                        rc = cli_fail(CLI_EXIT_INTERNAL, "evaluate: a test lambda was not "
                                      "measured");
                        goto done;
                    }
                    mt = &memos[m * n + im].m[at];
                    /* the sets at lambda do not depend on tau: decide from the counts with
                     * the library's rule (the same double divisions) */
                    if (side == CONSECO_SIDE_OUTER) held += mt->fnr <= tau ? 1.0 : 0.0;
                    else held += (mt->inner.afp <= tau && mt->fnr <= tau_outer) ? 1.0 : 0.0;
                    fnr += mt->fnr;
                    cr += mt->inner.cr;
                    if (mt->inner.predicted != 0) {
                        size += mt->outer_ratio;
                        sized++;
                    }
                }
                series[s] = held / (double)n_test;
                series[S + s] = sized ? size / (double)sized : 1.0;
                series[2 * S + s] = fnr / (double)n_test;
                series[3 * S + s] = cr / (double)n_test;
            }
            row->tau = tau;
            row->method = m == 0 ? CLI_METHOD_THRESHOLD : CLI_METHOD_EROSION;
            stat_of(series, S, &row->ev);
            stat_of(series + S, S, &row->outer_size);
            stat_of(series + 2 * S, S, &row->fnr);
            stat_of(series + 3 * S, S, &row->cr);
        }
    rc = CLI_EXIT_OK;
done:
    if (memos != NULL)
        for (i = 0; i < 2 * n; i++) {
            free(memos[i].lambda);
            free(memos[i].m);
        }
    free(memos);
    free(scores);
    free(buf);
    free(perm);
    free(series);
    free(lams);
    free(scratch);
    if (rc != CLI_EXIT_OK) cli_side_result_free(out);
    return rc;
}

void cli_side_result_free(cli_side_result *r)
{
    free(r->rows);
    r->rows = NULL;
    r->row_count = 0;
}

static const char *method_word(uint32_t side, int method)
{
    if (method == CLI_METHOD_THRESHOLD) return "threshold";
    return side == CONSECO_SIDE_OUTER ? "dilation" : "erosion";
}

static void stat_json(FILE *f, const char *name, const cli_stat *s)
{
    fprintf(f, ", \"%s\": {\"mean\": ", name);
    cli_json_number(f, s->mean);
    fputs(", \"sd\": ", f);
    cli_json_number(f, s->sd);
    fputc('}', f);
}

void cli_side_print_json(FILE *f, const cli_side_result *r, const cli_eval_config *cfg,
                         uint32_t side, double tau_outer)
{
    size_t i;
    fprintf(f, "{\"side\": \"%s\", \"guarantee\": \"quantile\", \"alpha\": ",
            side == CONSECO_SIDE_OUTER ? "outer" : "band");
    cli_json_number(f, cfg->alpha);
    fputs(", \"tau_outer\": ", f);
    if (side == CONSECO_SIDE_BAND) cli_json_number(f, tau_outer);
    else fputs("null", f);
    fprintf(f, ", \"splits\": %llu, \"n_cal\": %lu, \"n_test\": %lu, \"rows\": [",
            (unsigned long long)cfg->splits, (unsigned long)r->n_cal, (unsigned long)r->n_test);
    for (i = 0; i < r->row_count; i++) {
        const cli_side_row *row = &r->rows[i];
        fputs(i ? ", {\"tau\": " : "{\"tau\": ", f);
        cli_json_number(f, row->tau);
        fprintf(f, ", \"method\": \"%s\"", method_word(side, row->method));
        stat_json(f, "ev", &row->ev);
        stat_json(f, "outer_size", &row->outer_size);
        stat_json(f, "fnr", &row->fnr);
        if (side == CONSECO_SIDE_BAND) stat_json(f, "cr", &row->cr);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

void cli_side_print_table(FILE *f, const cli_side_result *r, const cli_eval_config *cfg,
                          uint32_t side, double tau_outer)
{
    const cli_shrinker_opts *o = cfg->shrinkers;
    char alpha[40], to[40];
    size_t i;
    cli_format_double(cfg->alpha, alpha, sizeof alpha);
    cli_format_double(tau_outer, to, sizeof to);
    fprintf(f, "%lu images, %llu random splits (seed %llu): %lu calibrate, %lu test; "
               "alpha = %s\n",
            (unsigned long)r->n, (unsigned long long)cfg->splits,
            (unsigned long long)cfg->seed, (unsigned long)r->n_cal, (unsigned long)r->n_test,
            alpha);
    if (side == CONSECO_SIDE_OUTER)
        fprintf(f, "outer sets, Yhat = {score >= %g}; dilation: %s. EV: FNR <= tau; size: "
                   "|O| / |Yhat|\n\n",
                o->threshold.base, cli_element_name(o->erosion.element));
    else
        fprintf(f, "bands, Yhat = {score >= %g}; erosion/dilation: %s, border %s. EV: AFP <= "
                   "tau and FNR <= %s; size: |O| / |Yhat|\n\n",
                o->threshold.base, cli_element_name(o->erosion.element),
                cli_border_name(o->erosion.border), to);
    fprintf(f, "%-12s %-10s  %-15s  %-15s  %-15s%s\n", "tau", "Method", "EV", "Size", "FNR",
            side == CONSECO_SIDE_BAND ? "  CR" : "");
    for (i = 0; i < r->row_count; i++) {
        const cli_side_row *row = &r->rows[i];
        char tau[40] = "";
        if (i % 2 == 0) cli_format_double(row->tau, tau, sizeof tau);
        fprintf(f, "%-12s %-10s  %.3f \u00b1 %.3f    %.3f \u00b1 %.3f    %.3f \u00b1 %.3f", tau,
                method_word(side, row->method), row->ev.mean, row->ev.sd, row->outer_size.mean,
                row->outer_size.sd, row->fnr.mean, row->fnr.sd);
        if (side == CONSECO_SIDE_BAND) fprintf(f, "    %.3f \u00b1 %.3f", row->cr.mean, row->cr.sd);
        fputc('\n', f);
    }
}
