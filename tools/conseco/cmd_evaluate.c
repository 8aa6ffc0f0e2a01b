/* SPDX-License-Identifier: Apache-2.0 */
/* `conseco evaluate`: the paper's Table 1 protocol on a folder of predictions and masks. */
#include "args.h"
#include "cli.h"
#include "inputs.h"
#include "loader.h"
#include "commands.h"
#include "evaluate_core.h"
#include "evaluate_report.h"
#include "evaluate_risk.h"
#include "evaluate_sides.h"
#include "pairs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAUS 32

static const char help[] =
    "usage: conseco evaluate --tau T[,T...] --alpha A --pred DIR --gt DIR [--splits 10]\n"
    "         [--seed 0] [--cal-fraction 0.5] [--se cross|square|disk|ball-mm]\n"
    "         [--border foreground|background] [--base 0.5] [--top 1] [--strict]\n"
    "         [--methods baseline,threshold,erosion,smooth] [--sigma S]\n"
    "         [--filter gauss|min] [--radius R] [--volume] [--spacing X,Y,Z]\n"
    "         [--side inner|outer|band [--tau-outer T2] [--bottom B]] [--json] [--quiet]\n"
    "       conseco evaluate --guarantee risk --alpha A --pred DIR --gt DIR [...]\n"
    "\n"
    "The paper's protocol: for each split a seeded random permutation of the images;\n"
    "the first floor(n * cal-fraction) calibrate, the rest are tested. Prints EV, CR\n"
    "and ATP (mean \u00b1 sd over splits) of the chosen methods per tau.\n"
    "Split s uses splitmix64 seeded with seed + s and a Fisher-Yates shuffle; the\n"
    "numbers differ from numpy-made splits by sampling noise only.\n"
    "\n"
    "  --base B, --top T  Yhat = {s >= B}; the threshold shrinker's lambda in [B, T]: any\n"
    "                   finite B <= T (logits: --base 0 --top <largest logit>)\n"
    "  --methods LIST   any of baseline, threshold, erosion, smooth, comma-separated\n"
    "                   (rows come in that order); default: the paper's three\n"
    "  --sigma S        smooth: Gaussian sigma in pixels (1), or in mm as e.g. 1.5mm\n"
    "  --filter NAME    smooth: gauss (default) or min (grey erosion of the scores by\n"
    "                   --se of radius --radius R, default 1)\n"
    "  --strict         a mask without a prediction is an error (default: a warning)\n"
    "  --guarantee G    quantile (default) or risk: lambda_hat from conformal risk control\n"
    "                   (E[AFP] <= alpha, no --tau, Baseline / Threshold / Erosion); the\n"
    "                   table then reports the mean test loss (AFP), CR and ATP instead of\n"
    "                   EV. --side outer: E[FNR] <= alpha, Baseline / Threshold lowering /\n"
    "                   Dilation, mean test FNR and outer size\n"
    "  --side NAME      outer: outer sets (threshold lowering down to --bottom, and\n"
    "                   dilation by --se), EV = FNR <= tau; band: bands (threshold offset,\n"
    "                   erosion/dilation), EV = AFP <= tau and FNR <= --tau-outer jointly.\n"
    "                   Both report the outer set's size relative to Yhat and its FNR.\n"
    CLI_INPUTS_HELP
    "Volumes (NIfTI, or --volume) are decoded one at a time, twice (scores or loss\n"
    "curves, then the test metrics), so memory does not grow with their number;\n"
    "CONSECO_EVALUATE_HOLD=1 in the environment holds them all (same output).\n"
    "With fewer calibration images than alpha needs, lambda_hat is inf (empty inner\n"
    "masks) in every split; a warning says so.\n";

/* Volumes are decoded on demand (twice: scores, then counts) instead of all held in memory. */
typedef struct stream_ctx {
    const cli_pairs *pairs;
    const size_t *ix;
    cli_loader loader;
} stream_ctx;

static int stream_load(void *ctx, size_t i, conseco_image *pred, conseco_mask *truth,
                       void **handle)
{
    stream_ctx *c = (stream_ctx *)ctx;
    cli_map *maps = (cli_map *)calloc(2, sizeof *maps);
    int rc;
    *handle = NULL;
    if (maps == NULL) return cli_fail_nomem();
    rc = cli_load_pair(&c->loader, &c->pairs->pred.items[i], &c->pairs->gt.items[c->ix[i]],
                       &maps[0], &maps[1]);
    if (rc != CLI_EXIT_OK) {
        free(maps);
        return rc;
    }
    *pred = cli_map_image(&maps[0]);
    *truth = cli_map_mask(&maps[1]);
    *handle = maps;
    return CLI_EXIT_OK;
}

static void stream_release(void *ctx, void *handle)
{
    cli_map *maps = (cli_map *)handle;
    (void)ctx;
    if (maps == NULL) return;
    cli_map_free(&maps[0]);
    cli_map_free(&maps[1]);
    free(maps);
}

int cli_cmd_evaluate(int argc, char **argv)
{
    const char *spacing_s = NULL;
    const char *tau_s = NULL, *alpha_s = NULL, *pred_dir = NULL, *gt_dir = NULL,
               *splits_s = NULL, *seed_s = NULL, *frac_s = NULL, *se = NULL, *border = NULL,
               *base = NULL, *top = NULL, *methods = NULL, *sigma = NULL, *filter = NULL,
               *radius = NULL, *side_s = NULL, *tau_outer_s = NULL, *bottom_s = NULL,
               *guarantee_s = NULL;
    static const char *const guarantee_names[] = {"quantile", "risk"};
    size_t guarantee = CONSECO_GUARANTEE_QUANTILE;
    int volume = 0, json = 0, quiet = 0, want_help = 0, strict = 0, rc;
    cli_flag flags[] = {
        {"tau", 1, &tau_s, NULL},         {"alpha", 1, &alpha_s, NULL},
        {"guarantee", 1, &guarantee_s, NULL},
        {"pred", 1, &pred_dir, NULL},     {"gt", 1, &gt_dir, NULL},
        {"splits", 1, &splits_s, NULL},   {"seed", 1, &seed_s, NULL},
        {"cal-fraction", 1, &frac_s, NULL}, {"se", 1, &se, NULL},
        {"border", 1, &border, NULL},     {"base", 1, &base, NULL},
        {"json", 0, NULL, &json},         {"quiet", 0, NULL, &quiet},
        {"help", 0, NULL, &want_help},    {"volume", 0, NULL, &volume},
        {"spacing", 1, &spacing_s, NULL}, {"top", 1, &top, NULL},
        {"strict", 0, NULL, &strict},     {"methods", 1, &methods, NULL},
        {"sigma", 1, &sigma, NULL},       {"filter", 1, &filter, NULL},
        {"radius", 1, &radius, NULL},
        {"side", 1, &side_s, NULL},       {"tau-outer", 1, &tau_outer_s, NULL},
        {"bottom", 1, &bottom_s, NULL},
    };
    uint32_t side = CONSECO_SIDE_INNER;
    double tau_outer = 0.0, bottom = 0.0;
    double taus[MAX_TAUS];
    unsigned long long v;
    cli_shrinker_opts opts;
    cli_eval_config cfg;
    cli_eval_result res;
    cli_pairs pairs;
    conseco_image *ims = NULL;
    conseco_mask *ms = NULL;
    const char **names = NULL, **ids = NULL;
    size_t *ix = NULL, n;
    int stream;
    stream_ctx sctx;
    size_t i, n_cal;

    rc = cli_args_parse("evaluate", argc, argv, 1, flags, sizeof flags / sizeof flags[0]);
    if (rc != CLI_EXIT_OK) return rc;
    if (want_help) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    if ((rc = cli_inputs_parse(volume, spacing_s)) != CLI_EXIT_OK) return rc;
    if (guarantee_s != NULL &&
        (rc = cli_parse_choice("guarantee", guarantee_s, guarantee_names, 2, &guarantee)) !=
            CLI_EXIT_OK)
        return rc;
    if (guarantee == CONSECO_GUARANTEE_RISK && tau_s != NULL)
        return cli_fail(CLI_EXIT_USAGE, "evaluate: --tau is not used with --guarantee risk "
                        "(it bounds the expected false-positive fraction by --alpha)");
    if (guarantee == CONSECO_GUARANTEE_RISK && side_s != NULL && !strcmp(side_s, "band"))
        return cli_fail(CLI_EXIT_USAGE, "evaluate: --guarantee risk takes --side inner (AFP) or "
                        "outer (FNR); a band has two losses and is not supported");
    if (guarantee == CONSECO_GUARANTEE_RISK && methods != NULL)
        return cli_fail(CLI_EXIT_USAGE, "evaluate: --guarantee risk runs Baseline, Threshold "
                        "and Erosion (outer side: Dilation) (no --methods)");
    if ((guarantee == CONSECO_GUARANTEE_QUANTILE && !tau_s) || !alpha_s || !pred_dir || !gt_dir)
        return cli_fail(CLI_EXIT_USAGE,
                        guarantee == CONSECO_GUARANTEE_RISK
                            ? "evaluate: --alpha, --pred and --gt are required (see --help)"
                            : "evaluate: --tau, --alpha, --pred and --gt are required (see "
                              "--help)");
    memset(&cfg, 0, sizeof cfg); /* every option not set below: off */
    cfg.taus = taus;
    cfg.splits = 10;
    cfg.seed = 0;
    cfg.cal_fraction = 0.5;
    cfg.quiet = quiet;
    cfg.shrinkers = &opts;
    cfg.ids = NULL;
    cfg.methods = 0;
    if (methods && (rc = cli_parse_methods(methods, &cfg.methods)) != CLI_EXIT_OK) return rc;
    cfg.tau_count = 0;
    if (tau_s != NULL &&
        (rc = cli_parse_double_list("tau", tau_s, taus, MAX_TAUS, &cfg.tau_count)) != 0)
        return rc;
    for (i = 0; i < cfg.tau_count; i++)
        if ((rc = cli_check_tau(taus[i])) != CLI_EXIT_OK) return rc;
    if ((rc = cli_parse_double("alpha", alpha_s, &cfg.alpha)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_check_alpha(cfg.alpha)) != CLI_EXIT_OK) return rc;
    if (splits_s) {
        if ((rc = cli_parse_uint("splits", splits_s, 1000000, &v)) != CLI_EXIT_OK) return rc;
        if (v == 0) return cli_fail(CLI_EXIT_USAGE, "--splits must be at least 1");
        cfg.splits = v;
    }
    if (seed_s) {
        if ((rc = cli_parse_uint("seed", seed_s, ~0ull, &v)) != CLI_EXIT_OK) return rc;
        cfg.seed = v;
    }
    if (frac_s && (rc = cli_parse_double("cal-fraction", frac_s, &cfg.cal_fraction)) != 0)
        return rc;
    if (!(cfg.cal_fraction > 0.0 && cfg.cal_fraction < 1.0))
        return cli_fail(CLI_EXIT_USAGE, "--cal-fraction must be in (0, 1)");
    cli_shrinker_defaults(&opts);
    if ((rc = cli_shrinker_tune(&opts, se, border, base, top)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_smooth_tune(&opts, 0, sigma, filter, radius)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_side_parse(side_s, &side)) != CLI_EXIT_OK) return rc;
    if ((tau_outer_s != NULL) != (side == CONSECO_SIDE_BAND))
        return cli_fail(CLI_EXIT_USAGE, "evaluate: --side band needs --tau-outer, and "
                                        "--tau-outer needs --side band");
    if (bottom_s != NULL && side != CONSECO_SIDE_OUTER)
        return cli_fail(CLI_EXIT_USAGE, "evaluate: --bottom goes with --side outer");
    if (tau_outer_s != NULL) {
        if ((rc = cli_parse_double("tau-outer", tau_outer_s, &tau_outer)) != CLI_EXIT_OK)
            return rc;
        if (!(tau_outer >= 0.0 && tau_outer <= 1.0))
            return cli_fail(CLI_EXIT_USAGE, "--tau-outer must be in [0, 1]");
    }
    if (bottom_s != NULL) {
        if ((rc = cli_parse_double("bottom", bottom_s, &bottom)) != CLI_EXIT_OK) return rc;
        if (!(bottom <= opts.threshold.base) || !(bottom >= -1.7976931348623157e308))
            return cli_fail(CLI_EXIT_USAGE, "--bottom must be finite and <= --base");
    }

    if ((rc = cli_pairs_scan(pred_dir, gt_dir, strict, &pairs, &ix)) != CLI_EXIT_OK) return rc;
    n = pairs.pred.count;
    /* volumes (NIfTI, or --volume) are streamed: memory is one pair, not the whole set */
    stream = cli_inputs()->volume;
    for (i = 0; i < n; i++) stream |= pairs.pred.items[i].format == &cli_format_nifti;
    /* CONSECO_EVALUATE_HOLD=1 (for tests): hold every decoded pair in memory instead */
    if (stream && getenv("CONSECO_EVALUATE_HOLD") != NULL &&
        !strcmp(getenv("CONSECO_EVALUATE_HOLD"), "1"))
        stream = 0;
    rc = cli_eval_split_sizes(n, cfg.cal_fraction, &n_cal);
    if (rc == CLI_EXIT_OK && !stream) rc = cli_pairs_load_scanned(&pairs, ix, quiet);
    ims = (conseco_image *)calloc(n ? n : 1, sizeof *ims);
    ms = (conseco_mask *)calloc(n ? n : 1, sizeof *ms);
    names = (const char **)malloc((n ? n : 1) * sizeof *names);
    ids = (const char **)malloc((n ? n : 1) * sizeof *ids);
    if (rc == CLI_EXIT_OK && (!ims || !ms || !names || !ids)) rc = cli_fail_nomem();
    for (i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        if (!stream) {
            ims[i] = cli_map_image(&pairs.scores[i]);
            ms[i] = cli_map_mask(&pairs.masks[i]);
        }
        names[i] = pairs.pred.items[i].path;
        ids[i] = pairs.pred.items[i].id;
    }
    cfg.ids = ids;
    if (stream) { /* every protocol decodes image i on demand, releasing it after use */
        sctx.pairs = &pairs;
        sctx.ix = ix;
        cli_loader_init(&sctx.loader);
        cfg.load = stream_load;
        cfg.release = stream_release;
        cfg.load_ctx = &sctx;
    }
    if (rc == CLI_EXIT_OK && guarantee == CONSECO_GUARANTEE_RISK) {
        cli_risk_result risk_res;
        rc = cli_evaluate_risk(ims, ms, names, n, &cfg, side, bottom, &risk_res);
        if (rc == CLI_EXIT_OK) {
            size_t n_min = 0;
            if (conseco_min_calibration_size(cfg.alpha, &n_min) == CONSECO_OK && n_cal < n_min)
                fprintf(stderr, "conseco: warning: %lu calibration images, but alpha = %g "
                        "needs at least %lu: lambda_hat is %s in every split for that reason\n",
                        (unsigned long)n_cal, cfg.alpha,
                        (unsigned long)n_min,
                        side == CONSECO_SIDE_OUTER ? "+inf / -inf (whole-image outer sets)"
                                                   : "+inf (empty inner masks)");
            if (json) cli_risk_print_json(stdout, &risk_res, &cfg);
            else cli_risk_print_table(stdout, &risk_res, &cfg);
            if (fflush(stdout) != 0) rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
        }
        if (stream) cli_loader_free(&sctx.loader);
        free(ims);
        free(ms);
        free(names);
        free(ids);
        free(ix);
        cli_pairs_free(&pairs);
        return rc;
    }
    if (rc == CLI_EXIT_OK && side != CONSECO_SIDE_INNER) {
        cli_side_result sres;
        rc = cli_evaluate_sides(ims, ms, names, n, &cfg, side, tau_outer, bottom,
                                &sres);
        if (rc == CLI_EXIT_OK) {
            if (json) cli_side_print_json(stdout, &sres, &cfg, side, tau_outer);
            else cli_side_print_table(stdout, &sres, &cfg, side, tau_outer);
            if (fflush(stdout) != 0) rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
            cli_side_result_free(&sres);
        }
        if (stream) cli_loader_free(&sctx.loader);
        free(ims);
        free(ms);
        free(names);
        free(ids);
        free(ix);
        cli_pairs_free(&pairs);
        return rc;
    }
    if (rc == CLI_EXIT_OK) rc = cli_evaluate(ims, ms, names, n, &cfg, &res);
    if (stream) cli_loader_free(&sctx.loader);
    if (rc == CLI_EXIT_OK) {
        size_t n_min = 0;
        if (conseco_min_calibration_size(cfg.alpha, &n_min) == CONSECO_OK && n_cal < n_min)
            fprintf(stderr, "conseco: warning: %lu calibration images, but alpha = %g needs at "
                    "least %lu: lambda_hat is +inf (empty inner masks) in every split for that "
                    "reason\n", (unsigned long)n_cal, cfg.alpha, (unsigned long)n_min);
        if (json) cli_eval_print_json(stdout, &res, &cfg);
        else cli_eval_print_table(stdout, &res, &cfg);
        if (fflush(stdout) != 0) rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
        cli_eval_result_free(&res);
    }
    free(ims);
    free(ms);
    free(names);
    free(ids);
    free(ix);
    cli_pairs_free(&pairs);
    return rc;
}
