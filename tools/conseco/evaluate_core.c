/* SPDX-License-Identifier: Apache-2.0 */
/* Table 1 protocol: per-image precomputation once, then cheap splits. */
#include "evaluate_core.h"

#include "cli.h"
#include "progress.h"
#include "split_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Counts of one image for one (shrinker, tau): at candidate j, kept_tp[j], kept_fp[j]. */
typedef struct table {
    double *cand;      /* sorted distinct finite scores of all images */
    size_t cand_count;
    uint64_t *kept_tp; /* [image * cand_count + j] */
    uint64_t *kept_fp;
    double *scores;    /* [image] */
} table;

typedef struct image_totals {
    uint64_t predicted;
    uint64_t tp;
} image_totals;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static const char *const method_names[CLI_METHOD_COUNT] = {"baseline", "threshold", "erosion",
                                                            "smooth"};

const char *cli_method_name(int method)
{
    return method >= 0 && method < CLI_METHOD_COUNT ? method_names[method] : "?";
}

int cli_parse_methods(const char *text, unsigned *methods)
{
    const char *p = text;
    unsigned set = 0;
    while (1) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p), m;
        for (m = 0; m < CLI_METHOD_COUNT; m++)
            if (strlen(method_names[m]) == len && strncmp(p, method_names[m], len) == 0) break;
        if (m == CLI_METHOD_COUNT)
            return cli_fail(CLI_EXIT_USAGE, "--methods: unknown method \"%.*s\" (choose from "
                            "baseline, threshold, erosion, smooth, comma-separated)", (int)len, p);
        set |= 1u << m;
        if (end == NULL) break;
        p = end + 1;
    }
    *methods = set;
    return CLI_EXIT_OK;
}

int cli_eval_split_sizes(size_t n, double cal_fraction, size_t *n_cal)
{
    double c;
    if (!(cal_fraction > 0.0 && cal_fraction < 1.0))
        return cli_fail(CLI_EXIT_USAGE, "--cal-fraction must be in (0, 1)");
    c = floor((double)n * cal_fraction);
    if (c < 1.0 || c >= (double)n)
        return cli_fail(CLI_EXIT_DATA,
                        "%lu images: need at least one calibration and one test image",
                        (unsigned long)n);
    *n_cal = (size_t)c;
    return CLI_EXIT_OK;
}

/* Same arithmetic as the library's per-image metrics (conseco_evaluate_image). */
static void fill(conseco_image_metrics *m, uint64_t predicted, uint64_t tp, uint64_t fp,
                 double tau)
{
    m->predicted = predicted;
    m->inner = tp + fp;
    m->inner_fp = fp;
    m->inner_tp = tp;
    if (predicted == 0) {
        m->afp = 0.0;
        m->cr = 1.0;
        m->atp = 1.0;
    } else {
        m->afp = (double)fp / (double)predicted;
        m->cr = (double)(tp + fp) / (double)predicted;
        m->atp = (double)tp / (double)predicted;
    }
    m->valid = m->afp <= tau;
    m->reserved = 0;
}

static void table_free(table *t)
{
    free(t->cand);
    free(t->kept_tp);
    free(t->kept_fp);
    free(t->scores);
    memset(t, 0, sizeof *t);
}

static size_t upper_bound(const double *v, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= x) lo = mid + 1;
        else hi = mid;
    }
    return lo; /* number of candidates <= x */
}

static size_t find_exact(const double *v, size_t n, double x)
{
    size_t c = upper_bound(v, n, x);
    return c > 0 && v[c - 1] == x ? c - 1 : (size_t)-1;
}

/* Image i of the set: from the arrays, or decoded by the caller's loader (released after use). */
typedef struct source {
    const conseco_image *preds;
    const conseco_mask *truths;
    const cli_eval_config *cfg;
} source;

int cli_eval_get(const cli_eval_config *cfg, const conseco_image *preds,
                 const conseco_mask *truths, size_t i, conseco_image *pred, conseco_mask *truth,
                 void **handle)
{
    *handle = NULL;
    if (cfg->load != NULL) return cfg->load(cfg->load_ctx, i, pred, truth, handle);
    *pred = preds[i];
    *truth = truths[i];
    return CLI_EXIT_OK;
}

void cli_eval_put(const cli_eval_config *cfg, void *handle)
{
    if (cfg->load != NULL) cfg->release(cfg->load_ctx, handle);
}

static int get_image(const source *src, size_t i, conseco_image *im, conseco_mask *m, void **h)
{
    return cli_eval_get(src->cfg, src->preds, src->truths, i, im, m, h);
}

static void put_image(const source *src, void *h)
{
    cli_eval_put(src->cfg, h);
}

static int grow(void **scratch, size_t *cap, size_t need, const char *name)
{
    void *ns;
    if (need == 0) return cli_fail(CLI_EXIT_DATA, "%s: image too large", name);
    if (need <= *cap) return CLI_EXIT_OK;
    ns = realloc(*scratch, need);
    if (ns == NULL) return cli_fail_nomem();
    *scratch = ns;
    *cap = need;
    return CLI_EXIT_OK;
}

/* Step 1: scores of every image for every shrinker and tau (via the library); each image is
 * fetched once. */
static int score_all(const source *src, const char *const *names, size_t n,
                     const conseco_shrinker *sh, size_t nsh, const cli_eval_config *cfg,
                     table *tabs, cli_progress *pg, size_t *done)
{
    void *scratch = NULL;
    size_t cap = 0, i, t, m;
    const size_t T = cfg->tau_count;
    int rc = CLI_EXIT_OK;
    for (i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        conseco_image im;
        conseco_mask tm;
        void *h;
        const char *name = names ? names[i] : "image";
        if ((rc = get_image(src, i, &im, &tm, &h)) != CLI_EXIT_OK) break;
        for (m = 0; rc == CLI_EXIT_OK && m < nsh; m++) {
            rc = grow(&scratch, &cap, conseco_scratch_size(&sh[m], im.width, im.height, im.depth),
                      name);
            for (t = 0; rc == CLI_EXIT_OK && t < T; t++) {
                int st = conseco_score(&sh[m], &im, &tm, cfg->taus[t], scratch, cap,
                                       &tabs[m * T + t].scores[i]);
                if (st != CONSECO_OK) rc = cli_fail_status(st, names ? names[i] : "score");
            }
        }
        put_image(src, h);
        *done += nsh;
        cli_progress_step(pg, *done);
    }
    free(scratch);
    return rc;
}

static int make_candidates(table *tb, size_t n)
{
    size_t i, m = 0, rows = n ? n : 1, cells;
    tb->cand = (double *)malloc(rows * sizeof(double));
    if (tb->cand == NULL) return cli_fail_nomem();
    for (i = 0; i < n; i++)
        if (tb->scores[i] <= 1.7976931348623157e308) tb->cand[m++] = tb->scores[i];
    qsort(tb->cand, m, sizeof(double), cmp_double);
    tb->cand_count = 0;
    for (i = 0; i < m; i++)
        if (tb->cand_count == 0 || tb->cand[tb->cand_count - 1] != tb->cand[i])
            tb->cand[tb->cand_count++] = tb->cand[i];
    /* one row of cand_count + 1 counters per image (at least one cell: calloc(0) may be NULL) */
    if (tb->cand_count + 1 > (size_t)-1 / rows) return cli_fail_nomem();
    cells = rows * (tb->cand_count + 1);
    tb->kept_tp = (uint64_t *)calloc(cells, sizeof(uint64_t));
    tb->kept_fp = (uint64_t *)calloc(cells, sizeof(uint64_t));
    if (tb->kept_tp == NULL || tb->kept_fp == NULL) return cli_fail_nomem();
    return CLI_EXIT_OK;
}

/* Step 2: per image, the library's counts of the inner set at lambda_min (Yhat: the baseline)
 * and at every candidate of every tau, in one conseco_evaluate_lambdas call per shrinker; each
 * image is fetched once. */
typedef struct lambda_list {
    double *lambdas; /* lambdas[0] = lambda_min, then the sorted union of the candidates */
    size_t *where;   /* where[off + j]: index in lambdas of candidate j of tau t */
    size_t u;        /* number of candidates in lambdas (after lambda_min) */
} lambda_list;

static int make_lambda_list(const table *tabs, const cli_eval_config *cfg, double lambda_min,
                            lambda_list *ll)
{
    size_t total = 0, u = 0, i, j, t, off;
    for (t = 0; t < cfg->tau_count; t++) total += tabs[t].cand_count;
    ll->lambdas = (double *)malloc((total + 1) * sizeof *ll->lambdas);
    ll->where = (size_t *)calloc(total + 1, sizeof *ll->where);
    if (ll->lambdas == NULL || ll->where == NULL) return cli_fail_nomem();
    for (t = 0; t < cfg->tau_count; t++)
        for (j = 0; j < tabs[t].cand_count; j++) ll->lambdas[1 + u++] = tabs[t].cand[j];
    qsort(ll->lambdas + 1, u, sizeof(double), cmp_double);
    for (i = 0, j = 0; i < u; i++)
        if (j == 0 || ll->lambdas[j] != ll->lambdas[1 + i]) ll->lambdas[1 + j++] = ll->lambdas[1 + i];
    ll->u = j;
    ll->lambdas[0] = lambda_min;
    for (t = 0, off = 0; t < cfg->tau_count; off += tabs[t].cand_count, t++)
        for (j = 0; j < tabs[t].cand_count; j++)
            ll->where[off + j] = 1 + find_exact(ll->lambdas + 1, ll->u, tabs[t].cand[j]);
    return CLI_EXIT_OK;
}

static int count_all(const source *src, const char *const *names, size_t n,
                     const conseco_shrinker *sh, size_t nsh, const double *lambda_min,
                     const cli_eval_config *cfg, table *tabs, image_totals *totals,
                     cli_progress *pg, size_t *done)
{
    const size_t T = cfg->tau_count;
    lambda_list ll[CLI_METHOD_COUNT];
    size_t cap = 0, i, t, j, off, m, most = 0;
    conseco_image_metrics *met = NULL;
    void *scratch = NULL;
    int rc = CLI_EXIT_OK;
    memset(ll, 0, sizeof ll);
    for (m = 0; rc == CLI_EXIT_OK && m < nsh; m++) {
        rc = make_lambda_list(tabs + m * T, cfg, lambda_min[m], &ll[m]);
        if (rc == CLI_EXIT_OK && ll[m].u + 1 > most) most = ll[m].u + 1;
    }
    if (rc == CLI_EXIT_OK) {
        met = (conseco_image_metrics *)malloc((most ? most : 1) * sizeof *met);
        if (met == NULL) rc = cli_fail_nomem();
    }
    for (i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        conseco_image im;
        conseco_mask tm;
        void *h;
        const char *name = names ? names[i] : "image";
        if ((rc = get_image(src, i, &im, &tm, &h)) != CLI_EXIT_OK) break;
        for (m = 0; rc == CLI_EXIT_OK && m < nsh; m++) {
            int st;
            rc = grow(&scratch, &cap,
                      conseco_evaluate_lambdas_scratch_size(&sh[m], im.width, im.height, im.depth),
                      name);
            if (rc != CLI_EXIT_OK) break;
            st = conseco_evaluate_lambdas(&sh[m], &im, &tm, ll[m].lambdas, ll[m].u + 1,
                                          cfg->taus[0], scratch, cap, met);
            if (st != CONSECO_OK) {
                rc = cli_fail_status(st, names ? names[i] : "evaluate");
                break;
            }
            if (m == 0) {
                totals[i].predicted = met[0].predicted;
                totals[i].tp = met[0].inner_tp;
            }
            for (t = 0, off = 0; t < T; off += tabs[m * T + t].cand_count, t++) {
                table *tb = &tabs[m * T + t];
                const size_t stride = tb->cand_count + 1;
                for (j = 0; j < tb->cand_count; j++) {
                    tb->kept_tp[i * stride + j] = met[ll[m].where[off + j]].inner_tp;
                    tb->kept_fp[i * stride + j] = met[ll[m].where[off + j]].inner_fp;
                }
            }
        }
        put_image(src, h);
        *done += nsh;
        cli_progress_step(pg, *done);
    }
    free(scratch);
    for (m = 0; m < nsh; m++) {
        free(ll[m].lambdas);
        free(ll[m].where);
    }
    free(met);
    return rc;
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

int cli_evaluate(const conseco_image *preds, const conseco_mask *truths,
                 const char *const *names, size_t n, const cli_eval_config *cfg,
                 cli_eval_result *out)
{
    static const int kinds[CLI_METHOD_COUNT] = {0, CONSECO_KIND_THRESHOLD, CONSECO_KIND_EROSION,
                                                CONSECO_KIND_SMOOTH};
    const size_t T = cfg->tau_count, S = (size_t)cfg->splits;
    const unsigned methods = cfg->methods ? cfg->methods : CLI_METHODS_DEFAULT;
    table *tabs = NULL; /* [shrinker][tau] */
    image_totals *totals = NULL;
    size_t *perm = NULL, n_cal = 0, n_test, i, t, s, m, done = 0, M = 0, nsh = 0;
    double *buf = NULL, *series = NULL; /* series: [row][metric 3][split] */
    conseco_image_metrics *items = NULL;
    conseco_shrinker sh[CLI_METHOD_COUNT];
    double lambda_min[CLI_METHOD_COUNT];
    int sel[CLI_METHOD_COUNT];       /* the chosen methods, in order */
    size_t tab_of[CLI_METHOD_COUNT]; /* method -> its shrinker's index in sh */
    source src;
    cli_progress pg;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = cli_eval_split_sizes(n, cfg->cal_fraction, &n_cal)) != CLI_EXIT_OK) return rc;
    if (S == 0) return cli_fail(CLI_EXIT_USAGE, "--splits must be at least 1");
    n_test = n - n_cal;
    for (m = 0; m < CLI_METHOD_COUNT; m++) {
        if (!(methods & (1u << m))) continue;
        sel[M++] = (int)m;
        if (m == CLI_METHOD_BASELINE) continue;
        tab_of[m] = nsh;
        sh[nsh] = cli_shrinker_of(cfg->shrinkers, kinds[m]);
        lambda_min[nsh] = cli_shrinker_lambda_min(cfg->shrinkers, kinds[m]);
        nsh++;
    }
    if (M == 0) return cli_fail(CLI_EXIT_USAGE, "--methods: choose at least one method");
    if (nsh == 0) { /* baseline only: Yhat's counts come through the threshold shrinker */
        sh[0] = cli_shrinker_of(cfg->shrinkers, CONSECO_KIND_THRESHOLD);
        lambda_min[0] = cli_shrinker_lambda_min(cfg->shrinkers, CONSECO_KIND_THRESHOLD);
        nsh = 1;
    }
    for (m = 0; m < nsh; m++) {
        int st = conseco_shrinker_validate(&sh[m]);
        if (st != CONSECO_OK) return cli_fail_status(st, "shrinker");
    }
    if (S > (size_t)-1 / ((size_t)12 * T + 1)) return cli_fail_nomem();

    tabs = (table *)calloc(nsh * T, sizeof *tabs);
    totals = (image_totals *)calloc(n, sizeof *totals);
    perm = (size_t *)malloc(n * sizeof *perm);
    buf = (double *)malloc(n * sizeof *buf);
    items = (conseco_image_metrics *)malloc(n * sizeof *items);
    series = (double *)malloc(M * T * 3 * S * sizeof *series);
    out->rows = (cli_eval_row *)calloc(M * T, sizeof *out->rows);
    out->predicted = (uint64_t *)calloc(n, sizeof *out->predicted);
    out->volume_rows = (cli_eval_volume_row *)calloc(n * M * T, sizeof *out->volume_rows);
    rc = CLI_EXIT_OK;
    if (!tabs || !totals || !perm || !buf || !items || !series || !out->rows ||
        !out->predicted || !out->volume_rows)
        rc = cli_fail_nomem();
    for (i = 0; rc == CLI_EXIT_OK && i < nsh * T; i++) {
        tabs[i].scores = (double *)malloc(n * sizeof(double));
        if (tabs[i].scores == NULL) rc = cli_fail_nomem();
    }

    src.preds = preds;
    src.truths = truths;
    src.cfg = cfg;
    cli_progress_begin(&pg, "evaluate: images", 2 * nsh * n, cfg->quiet);
    if (rc == CLI_EXIT_OK) rc = score_all(&src, names, n, sh, nsh, cfg, tabs, &pg, &done);
    for (i = 0; rc == CLI_EXIT_OK && i < nsh * T; i++) rc = make_candidates(&tabs[i], n);
    if (rc == CLI_EXIT_OK)
        rc = count_all(&src, names, n, sh, nsh, lambda_min, cfg, tabs, totals, &pg, &done);
    cli_progress_end(&pg);

    for (s = 0; rc == CLI_EXIT_OK && s < S; s++) {
        cli_split_permutation(cfg->seed, (uint64_t)s, perm, n);
        for (t = 0; rc == CLI_EXIT_OK && t < T; t++) {
            for (m = 0; rc == CLI_EXIT_OK && m < M; m++) {
                conseco_set_metrics set;
                size_t row = t * M + m, j;
                int st;
                if (sel[m] == CLI_METHOD_BASELINE) {
                    for (j = 0; j < n_test; j++) {
                        const image_totals *it = &totals[perm[n_cal + j]];
                        fill(&items[j], it->predicted, it->tp, it->predicted - it->tp,
                             cfg->taus[t]);
                    }
                } else {
                    const table *tb = &tabs[tab_of[sel[m]] * T + t];
                    double lam;
                    size_t k, c;
                    for (j = 0; j < n_cal; j++) buf[j] = tb->scores[perm[j]];
                    st = conseco_quantile(buf, n_cal, cfg->alpha, &lam, &k);
                    if (st != CONSECO_OK) {
                        rc = cli_fail_status(st, "quantile");
                        break;
                    }
                    c = lam <= 1.7976931348623157e308 ? find_exact(tb->cand, tb->cand_count, lam)
                                                      : (size_t)-1;
                    if (lam <= 1.7976931348623157e308 && c == (size_t)-1) {
                        rc = cli_fail(CLI_EXIT_INTERNAL, "lambda_hat is not a calibration score");
                        break;
                    }
                    for (j = 0; j < n_test; j++) {
                        size_t im = perm[n_cal + j];
                        const size_t stride = tb->cand_count + 1;
                        uint64_t tp = 0, fp = 0;
                        if (c != (size_t)-1) { /* +inf: the empty inner mask */
                            tp = tb->kept_tp[im * stride + c];
                            fp = tb->kept_fp[im * stride + c];
                        }
                        fill(&items[j], totals[im].predicted, tp, fp, cfg->taus[t]);
                    }
                }
                for (j = 0; j < n_test; j++) { /* per volume */
                    cli_eval_volume_row *vr = &out->volume_rows[perm[n_cal + j] * M * T + row];
                    vr->tested++;
                    vr->valid += items[j].valid != 0;
                    vr->cr_sum += items[j].cr;
                    vr->atp_sum += items[j].atp;
                }
                st = conseco_set_metrics_compute(items, n_test, &set);
                if (st != CONSECO_OK) {
                    rc = cli_fail_status(st, "metrics");
                    break;
                }
                series[(row * 3 + 0) * S + s] = set.ev;
                series[(row * 3 + 1) * S + s] = set.cr;
                series[(row * 3 + 2) * S + s] = set.atp;
            }
        }
    }
    if (rc == CLI_EXIT_OK) {
        for (i = 0; i < n; i++) {
            out->predicted[i] = totals[i].predicted;
            for (t = 0; t < T; t++)
                for (m = 0; m < M; m++)
                    out->volume_rows[(i * T + t) * M + m].score =
                        sel[m] == CLI_METHOD_BASELINE ? NAN
                                                      : tabs[tab_of[sel[m]] * T + t].scores[i];
        }
        out->n = n;
        out->n_cal = n_cal;
        out->n_test = n_test;
        out->row_count = M * T;
        for (t = 0; t < T; t++)
            for (m = 0; m < M; m++) {
                cli_eval_row *r = &out->rows[t * M + m];
                size_t row = t * M + m;
                r->tau = cfg->taus[t];
                r->method = sel[m];
                stat_of(series + (row * 3 + 0) * S, S, &r->ev);
                stat_of(series + (row * 3 + 1) * S, S, &r->cr);
                stat_of(series + (row * 3 + 2) * S, S, &r->atp);
            }
    } else {
        cli_eval_result_free(out);
    }
    for (i = 0; tabs != NULL && i < nsh * T; i++) table_free(&tabs[i]);
    free(tabs);
    free(totals);
    free(perm);
    free(buf);
    free(items);
    free(series);
    return rc;
}

void cli_eval_result_free(cli_eval_result *r)
{
    if (r == NULL) return;
    free(r->rows);
    free(r->predicted);
    free(r->volume_rows);
    memset(r, 0, sizeof *r);
}
