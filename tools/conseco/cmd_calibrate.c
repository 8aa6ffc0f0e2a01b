/* SPDX-License-Identifier: Apache-2.0 */
/* `conseco calibrate`: scores of a calibration folder, k and lambda_hat; optional saved state. */
#include "args.h"
#include "cli.h"
#include "inputs.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"
#include "loader.h"
#include "pairs.h"
#include "progress.h"
#include "score_pool.h"
#include "shrinker_opts.h"

#define CONSECO_STATIC_LINKING_ONLY /* sides (experimental) */
#include <conseco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: conseco calibrate [--side inner|outer|band] --shrinker NAME\n"
    "         [--se cross|square|disk|ball-mm] [--border foreground|background]\n"
    "         [--base 0.5] [--top 1] [--bottom 0] [--sigma S] [--filter gauss|min]\n"
    "         [--radius R] --tau T [--tau-outer T2] --alpha A --pred DIR --gt DIR\n"
    "         [--save STATE] [--strict] [--volume] [--spacing X,Y,Z] [--threads N]\n"
    "         [--json] [--quiet]\n"
    "\n"
    "Scores every calibration pair (prediction and mask with the same id), then\n"
    "prints the conformal rank k = ceil((n+1)(1-alpha)) and lambda_hat, the k-th\n"
    "smallest score (inf when k > n: only the empty mask is then guaranteed).\n"
    "\n"
    "  --side NAME      inner (default): a mask inside Yhat with at most tau false\n"
    "                   positives; outer: a set around Yhat missing at most tau of the\n"
    "                   truth (FNR); band: both at once with one width lambda\n"
    "  --shrinker NAME  inner: threshold (raise the cut-off), erosion (erode Yhat) or\n"
    "                   smooth (raise a cut-off on the blurred score map);\n"
    "                   outer: dilation (dilate Yhat) or threshold (lower the cut-off\n"
    "                   from --base down to --bottom: scores and lambda are thresholds,\n"
    "                   lambda_hat the k-th LARGEST, -inf = the whole image);\n"
    "                   band: erosion (erode / dilate by the same element) or threshold\n"
    "                   (inner {s >= base + lambda}, outer {s >= base - lambda})\n"
    "  --tau-outer T2   band: tolerated fraction of missed truth in the outer set\n"
    "  --bottom B       outer threshold: the lowest threshold (0); finite, <= --base\n"
    "  --guarantee NAME quantile (default: P(loss <= tau) >= 1 - alpha) or risk\n"
    "                   (inner side: E[AFP] <= alpha by conformal risk control, no --tau;\n"
    "                   lambda_hat = the smallest candidate lambda with\n"
    "                   n/(n+1) R(lambda) + 1/(n+1) <= alpha, R the mean AFP, decided\n"
    "                   exactly; inf if none. --side outer: E[FNR] <= alpha;\n"
    "                   lowering: the LARGEST t passing, -inf if none)\n"
    "  --se NAME        erosion structuring element: cross (default), square, disk,\n"
    "                   ball-mm (Euclidean ball in millimetres, uses the spacing)\n"
    "  --border NAME    erosion outside the image: foreground (default), background\n"
    "  --sigma S        smooth: Gaussian sigma in pixels (1), or in mm as e.g. 1.5mm\n"
    "  --filter NAME    smooth: gauss (default) or min (grey erosion of the scores by\n"
    "                   --se of radius --radius R, default 1)\n"
    "  --base B         threshold that makes the predicted mask Yhat = {s >= B} (0.5)\n"
    "  --top T          threshold shrinker: largest lambda (1); any finite B <= T. For\n"
    "                   logits or other unbounded scores: --base 0 --top <largest logit>\n"
    "  --tau T          tolerated fraction of false positives in the inner mask, [0, 1]\n"
    "  --alpha A        risk: the guarantee holds with probability >= 1 - A, (0, 1)\n"
    "  --pred DIR       score maps: <id>.png (8/16-bit gray), <id>.npy (or one .npy stack),\n"
    "                   <id>.nii or <id>.nii.gz (one volume each, any integer or float type,\n"
    "                   scl_slope/scl_inter applied);\n"
    "                   files are recognised by their first bytes\n"
    "  --gt DIR         ground-truth masks with the same ids (nonzero = inside)\n"
    "  --save STATE     write the calibrator state (all scores) for `conseco apply`;\n"
    "                   never over an input file\n"
    "  --strict         a mask without a prediction is an error (default: a warning)\n"
    CLI_INPUTS_HELP
    "  --threads N      decode and score N pairs at a time (default: 2 on a machine with\n"
    "                   two or more cores, else 1; risk: decode N, add one curve at a\n"
    "                   time); the results do not depend on N\n"
    "  --json           print one JSON object instead of the summary\n"
    "  --quiet          no progress on stderr\n";

int cli_check_tau(double tau)
{
    if (!(tau >= 0.0 && tau <= 1.0)) return cli_fail(CLI_EXIT_USAGE, "--tau must be in [0, 1]");
    return CLI_EXIT_OK;
}

int cli_check_alpha(double alpha)
{
    if (!(alpha > 0.0 && alpha < 1.0))
        return cli_fail(CLI_EXIT_USAGE, "--alpha must be in (0, 1)");
    return CLI_EXIT_OK;
}

static int save_state(const conseco_calibrator *cal, const char *path)
{
    size_t size = conseco_calibrator_save_size(cal), written = 0;
    unsigned char *buf;
    cli_tmpfile t;
    int st, rc;
    if (size == 0) return cli_fail(CLI_EXIT_LIBRARY, "%s: cannot size the state", path);
    buf = (unsigned char *)malloc(size);
    if (buf == NULL) return cli_fail_nomem();
    st = conseco_calibrator_save(cal, buf, size, &written);
    if (st != CONSECO_OK) {
        free(buf);
        return cli_fail_status(st, path);
    }
    if ((rc = cli_tmp_open(path, &t)) != CLI_EXIT_OK) {
        free(buf);
        return rc;
    }
    if (fwrite(buf, 1, written, t.f) != written) {
        cli_tmp_discard(&t);
        free(buf);
        return cli_fail(CLI_EXIT_IO, "%s: write error", path);
    }
    free(buf);
    rc = cli_tmp_commit(&t);
    if (rc != CLI_EXIT_OK) cli_tmp_discard(&t);
    return rc;
}

/* 1 if a and b are the same file (same device and inode). */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* --save may not replace an input file. */
static int check_save(const char *save, const cli_dataset *pred, const cli_dataset *gt)
{
    const cli_dataset *sets[2];
    size_t i, k;
    sets[0] = pred;
    sets[1] = gt;
    for (k = 0; k < 2; k++)
        for (i = 0; i < sets[k]->count; i++)
            if (same_file(save, sets[k]->items[i].path))
                return cli_fail(CLI_EXIT_USAGE, "calibrate: --save %s is the input file %s; "
                                "pick another name", save, sets[k]->items[i].path);
    return CLI_EXIT_OK;
}

/* The smooth shrinker's params as JSON members (after "shrinker"). */
static void print_smooth_json(const conseco_smooth_params *p)
{
    printf("\"se\": ");
    if (p->filter == CONSECO_SMOOTH_MIN) printf("\"%s\"", cli_element_name(p->element));
    else printf("null");
    printf(", \"border\": null, \"filter\": \"%s\", \"sigma\": ",
           p->filter == CONSECO_SMOOTH_MIN ? "min" : "gauss");
    cli_json_number(stdout, p->sigma);
    printf(", \"sigma_units\": \"%s\", \"radius\": %u, ",
           p->units == CONSECO_UNITS_MM ? "mm" : "px", (unsigned)p->radius);
}

static const char *side_name(uint32_t side)
{
    return side == CONSECO_SIDE_OUTER ? "outer" : side == CONSECO_SIDE_BAND ? "band" : "inner";
}

/* The family as the command line names it: erosion dilates on the outer side. */
static const char *family_name(const cli_shrinker_opts *o, uint32_t side)
{
    if (o->kind == CONSECO_KIND_EROSION && side == CONSECO_SIDE_OUTER) return "dilation";
    return cli_kind_name(o->kind);
}

/* "shrinker", then its parameters ("se" and "border", or the smooth ones). */
static void print_shrinker_json(const cli_shrinker_opts *o, uint32_t side)
{
    printf("\"shrinker\": \"%s\", ", family_name(o, side));
    if (o->kind == CONSECO_KIND_SMOOTH)
        print_smooth_json(&o->smooth);
    else if (o->kind == CONSECO_KIND_EROSION && side == CONSECO_SIDE_OUTER)
        printf("\"se\": \"%s\", \"border\": null, ", cli_element_name(o->erosion.element));
    else if (o->kind == CONSECO_KIND_EROSION)
        printf("\"se\": \"%s\", \"border\": \"%s\", ", cli_element_name(o->erosion.element),
               cli_border_name(o->erosion.border));
    else
        printf("\"se\": null, \"border\": null, ");
}

static void print_json(const cli_shrinker_opts *o, uint32_t side, double tau, double tau_outer,
                       double alpha, size_t n, size_t k, double lambda, const cli_dataset *pred,
                       const double *scores)
{
    size_t i;
    printf("{\"side\": \"%s\", \"guarantee\": \"quantile\", ", side_name(side));
    print_shrinker_json(o, side);
    printf("\"tau\": ");
    cli_json_number(stdout, tau);
    printf(", \"tau_outer\": ");
    if (side == CONSECO_SIDE_BAND) cli_json_number(stdout, tau_outer);
    else printf("null");
    printf(", \"alpha\": ");
    cli_json_number(stdout, alpha);
    printf(", \"n\": %lu, \"k\": %lu, \"lambda\": ", (unsigned long)n, (unsigned long)k);
    cli_json_number(stdout, lambda);
    printf(", \"scores\": [");
    for (i = 0; i < n; i++) {
        printf(i ? ", {\"id\": " : "{\"id\": ");
        cli_json_string(stdout, pred->items[i].id);
        printf(", \"score\": ");
        cli_json_number(stdout, scores[i]);
        putchar('}');
    }
    printf("]}\n");
}

/* The risk guarantee: no tau, k or scores; "risk" = the calibration risk at lambda
 * (inner side: mean AFP; outer side: mean FNR). */
static void print_risk_json(const cli_shrinker_opts *o, uint32_t side, double alpha, size_t n,
                            double lambda, double risk)
{
    printf("{\"side\": \"%s\", \"guarantee\": \"risk\", ", side_name(side));
    print_shrinker_json(o, side);
    printf("\"tau\": null, \"tau_outer\": null, \"alpha\": ");
    cli_json_number(stdout, alpha);
    printf(", \"n\": %lu, \"k\": null, \"lambda\": ", (unsigned long)n);
    cli_json_number(stdout, lambda);
    printf(", \"scores\": null, \"risk\": ");
    cli_json_number(stdout, risk);
    printf("}\n");
}

static void print_risk_summary(const cli_shrinker_opts *o, uint32_t side, double alpha, size_t n,
                               double lambda, double risk, const double *losses)
{
    char buf[40];
    size_t i, n_min = 0;
    double mean = 0.0;
    const int outer = side == CONSECO_SIDE_OUTER;
    const char *loss = outer ? "FNR" : "AFP";
    for (i = 0; i < n; i++) mean += losses[i];
    if (o->kind == CONSECO_KIND_SMOOTH) {
        char d[80];
        printf("shrinker: smooth (%s, base %g)\n", cli_smooth_describe(&o->smooth, d, sizeof d),
               o->smooth.base);
    } else if (o->kind == CONSECO_KIND_EROSION && outer)
        printf("shrinker: dilation (se %s, base %g)\n", cli_element_name(o->erosion.element),
               o->erosion.base);
    else if (o->kind == CONSECO_KIND_EROSION)
        printf("shrinker: erosion (se %s, border %s, base %g)\n",
               cli_element_name(o->erosion.element), cli_border_name(o->erosion.border),
               o->erosion.base);
    else if (outer)
        printf("shrinker: threshold lowering (base %g)\n", o->threshold.base);
    else
        printf("shrinker: threshold (base %g, top %g)\n", o->threshold.base, o->threshold.top);
    cli_format_double(alpha, buf, sizeof buf);
    printf("guarantee: risk, E[%s] <= %s (side %s)\n", loss, buf, side_name(side));
    cli_format_double(n ? mean / (double)n : 0.0, buf, sizeof buf);
    printf("calibration images: %lu (mean %s of Yhat %s)\n", (unsigned long)n, loss, buf);
    cli_format_double(lambda, buf, sizeof buf);
    printf("lambda_hat: %s  ", buf);
    cli_format_double(risk, buf, sizeof buf);
    printf("calibration risk at lambda_hat: %s\n", buf);
    if (outer && !(lambda <= 1.7976931348623157e308 && lambda >= -1.7976931348623157e308)) {
        if (conseco_min_calibration_size(alpha, &n_min) == CONSECO_OK && n < n_min)
            printf("note: lambda_hat is %s (the outer mask is the whole image): 1/(n+1) > "
                   "alpha; alpha = %g needs at least %lu calibration images\n",
                   lambda > 0.0 ? "inf" : "-inf", alpha, (unsigned long)n_min);
        else
            printf("note: lambda_hat is %s: no set of the family brings the risk bound to "
                   "alpha; the outer mask is the whole image\n",
                   lambda > 0.0 ? "inf" : "-inf");
    } else if (!(lambda <= 1.7976931348623157e308)) {
        if (conseco_min_calibration_size(alpha, &n_min) == CONSECO_OK && n < n_min)
            printf("note: lambda_hat is inf (the inner mask is empty): 1/(n+1) > alpha; "
                   "alpha = %g needs at least %lu calibration images\n",
                   alpha, (unsigned long)n_min);
        else
            printf("note: lambda_hat is inf: no lambda of the family brings the risk bound "
                   "to alpha; the inner mask is empty\n");
    }
}

static void print_summary(const cli_shrinker_opts *o, uint32_t side, double tau,
                          double tau_outer, double bottom, double alpha, size_t n, size_t k,
                          double lambda, const double *scores)
{
    char buf[40];
    size_t i, inf = 0, n_min = 0;
    const int lowering = side == CONSECO_SIDE_OUTER && o->kind == CONSECO_KIND_THRESHOLD;
    const char *empty = side == CONSECO_SIDE_INNER ? "the inner mask is empty"
                        : side == CONSECO_SIDE_OUTER ? "the outer set is the whole image"
                                                     : "the inner mask is empty and the outer "
                                                       "set the whole image";
    for (i = 0; i < n; i++) inf += !(scores[i] <= 1.7976931348623157e308 &&
                                     scores[i] >= -1.7976931348623157e308);
    if (side != CONSECO_SIDE_INNER) printf("side: %s\n", side_name(side));
    if (o->kind == CONSECO_KIND_SMOOTH) {
        char d[80];
        printf("shrinker: smooth (%s, base %g)\n", cli_smooth_describe(&o->smooth, d, sizeof d),
               o->smooth.base);
    } else if (lowering)
        printf("shrinker: threshold lowering (base %g, bottom %g)\n", o->threshold.base, bottom);
    else if (o->kind == CONSECO_KIND_EROSION && side == CONSECO_SIDE_OUTER)
        printf("shrinker: dilation (se %s, base %g)\n", cli_element_name(o->erosion.element),
               o->erosion.base);
    else if (o->kind == CONSECO_KIND_EROSION)
        printf("shrinker: erosion (se %s, border %s, base %g)\n",
               cli_element_name(o->erosion.element), cli_border_name(o->erosion.border),
               o->erosion.base);
    else
        printf("shrinker: threshold (base %g, top %g)\n", o->threshold.base, o->threshold.top);
    cli_format_double(tau, buf, sizeof buf);
    printf("tau: %s  ", buf);
    if (side == CONSECO_SIDE_BAND) {
        cli_format_double(tau_outer, buf, sizeof buf);
        printf("tau_outer: %s  ", buf);
    }
    cli_format_double(alpha, buf, sizeof buf);
    printf("alpha: %s\n", buf);
    printf("calibration images: %lu (%lu with score %s)\n", (unsigned long)n,
           (unsigned long)inf, lowering ? "-inf" : "inf");
    cli_format_double(lambda, buf, sizeof buf);
    printf("k: %lu  lambda_hat: %s%s\n", (unsigned long)k, buf,
           lowering ? " (the k-th largest threshold)" : "");
    if (k > n) {
        if (conseco_min_calibration_size(alpha, &n_min) == CONSECO_OK)
            printf("note: k > n, so lambda_hat is %s and %s; "
                   "alpha = %g needs at least %lu calibration images\n",
                   lowering ? "-inf" : "inf", empty, alpha, (unsigned long)n_min);
        else
            printf("note: k > n, so lambda_hat is %s and %s\n", lowering ? "-inf" : "inf",
                   empty);
    } else if (!(lambda <= 1.7976931348623157e308 && lambda >= -1.7976931348623157e308)) {
        printf("note: lambda_hat is %s (too many images never reach tau): %s\n",
               lowering ? "-inf" : "inf", empty);
    }
}

int cli_cmd_calibrate(int argc, char **argv)
{
    const char *spacing_s = NULL, *threads_s = NULL;
    const char *shrinker = NULL, *se = NULL, *border = NULL, *base = NULL, *tau_s = NULL,
               *alpha_s = NULL, *pred_dir = NULL, *gt_dir = NULL, *save = NULL, *top = NULL,
               *sigma = NULL, *filter = NULL, *radius = NULL, *side_s = NULL,
               *tau_outer_s = NULL, *bottom_s = NULL, *guarantee_s = NULL;
    int volume = 0, json = 0, quiet = 0, want_help = 0, strict = 0, rc;
    cli_flag flags[] = {
        {"sigma", 1, &sigma, NULL},       {"filter", 1, &filter, NULL},
        {"radius", 1, &radius, NULL},
        {"shrinker", 1, &shrinker, NULL}, {"se", 1, &se, NULL},
        {"border", 1, &border, NULL},     {"base", 1, &base, NULL},
        {"tau", 1, &tau_s, NULL},         {"alpha", 1, &alpha_s, NULL},
        {"pred", 1, &pred_dir, NULL},     {"gt", 1, &gt_dir, NULL},
        {"save", 1, &save, NULL},         {"json", 0, NULL, &json},
        {"quiet", 0, NULL, &quiet},       {"help", 0, NULL, &want_help},    {"volume", 0, NULL, &volume},
        {"spacing", 1, &spacing_s, NULL},
        {"top", 1, &top, NULL},           {"strict", 0, NULL, &strict},
        {"threads", 1, &threads_s, NULL},
        {"side", 1, &side_s, NULL},       {"tau-outer", 1, &tau_outer_s, NULL},
        {"bottom", 1, &bottom_s, NULL},   {"guarantee", 1, &guarantee_s, NULL},
    };
    uint32_t side = CONSECO_SIDE_INNER;
    static const char *const guarantee_names[] = {"quantile", "risk"};
    size_t guarantee = CONSECO_GUARANTEE_QUANTILE;
    double tau_outer = 0.0, bottom = 0.0, risk = 0.0;
    cli_shrinker_opts opts;
    double tau, alpha, lambda = 0.0, *scores = NULL;
    cli_dataset pred, gt;
    size_t *ix = NULL, i, k = 0;
    conseco_calibrator_config cfg;
    conseco_calibrator *cal = NULL;
    unsigned threads = cli_default_threads();
    int st;

    rc = cli_args_parse("calibrate", argc, argv, 1, flags, sizeof flags / sizeof flags[0]);
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
        return cli_fail(CLI_EXIT_USAGE, "calibrate: --tau is not used with --guarantee risk "
                        "(it bounds the expected false-positive fraction by --alpha)");
    if ((guarantee == CONSECO_GUARANTEE_QUANTILE && !tau_s) || !alpha_s || !pred_dir || !gt_dir)
        return cli_fail(CLI_EXIT_USAGE,
                        guarantee == CONSECO_GUARANTEE_RISK
                            ? "calibrate: --alpha, --pred and --gt are required (see --help)"
                            : "calibrate: --tau, --alpha, --pred and --gt are required (see "
                              "--help)");
    if ((rc = cli_side_parse(side_s, &side)) != CLI_EXIT_OK) return rc;
    if (guarantee == CONSECO_GUARANTEE_RISK && side == CONSECO_SIDE_BAND)
        return cli_fail(CLI_EXIT_USAGE, "calibrate: --guarantee risk takes --side inner (AFP) "
                        "or outer (FNR); a band has two losses and is not supported");
    if ((rc = cli_side_shrinker(side, &shrinker, border)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_shrinker_parse(shrinker, se, border, base, top, &opts)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_smooth_tune(&opts, 1, sigma, filter, radius)) != CLI_EXIT_OK) return rc;
    if (tau_outer_s != NULL && side != CONSECO_SIDE_BAND)
        return cli_fail(CLI_EXIT_USAGE, "calibrate: --tau-outer goes with --side band");
    if (side == CONSECO_SIDE_BAND && tau_outer_s == NULL)
        return cli_fail(CLI_EXIT_USAGE, "calibrate: --side band needs --tau-outer");
    if (bottom_s != NULL && !(side == CONSECO_SIDE_OUTER && opts.kind == CONSECO_KIND_THRESHOLD))
        return cli_fail(CLI_EXIT_USAGE,
                        "calibrate: --bottom goes with --side outer --shrinker threshold");
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
    tau = 0.0;
    if (tau_s != NULL && (rc = cli_parse_double("tau", tau_s, &tau)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_parse_double("alpha", alpha_s, &alpha)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_check_tau(tau)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_check_alpha(alpha)) != CLI_EXIT_OK) return rc;
    if (threads_s != NULL) {
        unsigned long long v;
        if ((rc = cli_parse_uint("threads", threads_s, 64, &v)) != CLI_EXIT_OK) return rc;
        if (v == 0) return cli_fail(CLI_EXIT_USAGE, "--threads must be at least 1");
        threads = (unsigned)v;
    }

    if ((rc = cli_dataset_scan(pred_dir, &pred)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_dataset_scan(gt_dir, &gt)) != CLI_EXIT_OK) {
        cli_dataset_free(&pred);
        return rc;
    }
    rc = cli_dataset_pair(&pred, &gt, strict, &ix);
    if (rc == CLI_EXIT_OK && save != NULL) rc = check_save(save, &pred, &gt);
    if (rc == CLI_EXIT_OK) {
        scores = (double *)malloc(pred.count * sizeof *scores);
        if (scores == NULL) rc = cli_fail_nomem();
    }
    if (rc == CLI_EXIT_OK) {
        conseco_calibrator_config_init(&cfg);
        cfg.shrinker = cli_shrinker_of(&opts, opts.kind);
        cfg.tau = tau;
        cfg.capacity = pred.count;
        cfg.side = side;
        cfg.tau_outer = tau_outer;
        cfg.bottom = bottom;
        if (guarantee == CONSECO_GUARANTEE_RISK) {
            cfg.guarantee = CONSECO_GUARANTEE_RISK;
            cfg.capacity = 0; /* curve keys: grows as needed */
        }
        st = conseco_calibrator_create(&cfg, NULL, &cal);
        if (st != CONSECO_OK) rc = cli_fail_status(st, "calibrator");
    }
    if (rc == CLI_EXIT_OK && guarantee == CONSECO_GUARANTEE_RISK) {
        /* decoded on `threads` threads, each curve added under a lock: the summed curve is exact
         * and order-free, so the state is the same bytes as with one thread */
        rc = cli_add_pairs(&pred, &gt, ix, cal, threads, quiet, scores);
        if (rc == CLI_EXIT_OK) {
            st = conseco_calibrator_lambda_hat(cal, alpha, &lambda, &k);
            if (st == CONSECO_OK) st = conseco_calibrator_risk(cal, lambda, &risk);
            if (st != CONSECO_OK) rc = cli_fail_status(st, "lambda_hat");
        }
        if (rc == CLI_EXIT_OK && save != NULL) rc = save_state(cal, save);
        if (rc == CLI_EXIT_OK) {
            if (json) print_risk_json(&opts, side, alpha, pred.count, lambda, risk);
            else print_risk_summary(&opts, side, alpha, pred.count, lambda, risk, scores);
            if (fflush(stdout) != 0) rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
        }
        conseco_calibrator_free(cal);
        free(scores);
        free(ix);
        cli_dataset_free(&pred);
        cli_dataset_free(&gt);
        return rc;
    }
    /* decode and score on `threads` threads, then add the scores in input order: the
     * calibrator ends up exactly as with one conseco_calibrator_add per pair */
    if (rc == CLI_EXIT_OK)
        {
        conseco_side_params sp;
        conseco_side_params_default(&sp);
        sp.side = side;
        sp.tau_outer = tau_outer;
        sp.bottom = bottom;
        rc = cli_score_pairs(&pred, &gt, ix, &cfg.shrinker, &sp, tau, threads, quiet, scores);
    }
    for (i = 0; rc == CLI_EXIT_OK && i < pred.count; i++) {
        st = conseco_calibrator_add_score(cal, scores[i]);
        if (st != CONSECO_OK) rc = cli_fail_status(st, pred.items[i].path);
    }
    if (rc == CLI_EXIT_OK) {
        st = conseco_calibrator_lambda_hat(cal, alpha, &lambda, &k);
        if (st != CONSECO_OK) rc = cli_fail_status(st, "lambda_hat");
    }
    if (rc == CLI_EXIT_OK && save != NULL) rc = save_state(cal, save);
    if (rc == CLI_EXIT_OK) {
        if (json)
            print_json(&opts, side, tau, tau_outer, alpha, pred.count, k, lambda, &pred, scores);
        else
            print_summary(&opts, side, tau, tau_outer, bottom, alpha, pred.count, k, lambda,
                          scores);
        if (fflush(stdout) != 0) rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
    }
    conseco_calibrator_free(cal);
    free(scores);
    free(ix);
    cli_dataset_free(&pred);
    cli_dataset_free(&gt);
    return rc;
}
