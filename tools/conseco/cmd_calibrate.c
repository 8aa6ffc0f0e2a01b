/* SPDX-License-Identifier: Apache-2.0 */
/* `conseco calibrate`: scores of a calibration folder, k and lambda_hat; optional saved state. */
#include "args.h"
#include "cli.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"
#include "pairs.h"
#include "progress.h"
#include "shrinker_opts.h"

#include <conseco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char help[] =
    "usage: conseco calibrate --shrinker threshold|erosion [--se cross|square|disk]\n"
    "         [--border foreground|background] [--base 0.5] [--top 1] --tau T --alpha A\n"
    "         --pred DIR --gt DIR [--save STATE] [--strict] [--json] [--quiet]\n"
    "       conseco calibrate --guarantee risk --shrinker ... --alpha A --pred DIR --gt DIR\n"
    "         [...]\n"
    "\n"
    "Scores every calibration pair (prediction and mask with the same id), then\n"
    "prints the conformal rank k = ceil((n+1)(1-alpha)) and lambda_hat, the k-th\n"
    "smallest score (inf when k > n: only the empty mask is then guaranteed).\n"
    "\n"
    "With --guarantee risk (conformal risk control) the guarantee is on the expected\n"
    "false-positive fraction instead: E[AFP] <= alpha, no tau (--tau is an error).\n"
    "lambda_hat is the smallest lambda with n/(n+1) R(lambda) + 1/(n+1) <= alpha, R the\n"
    "mean AFP of the calibration images, decided exactly; inf if none.\n"
    "\n"
    "  --guarantee G    quantile (default: P(AFP <= tau) >= 1 - alpha) or risk\n"
    "  --shrinker NAME  threshold (raise the score cut-off) or erosion (erode Yhat)\n"
    "  --se NAME        erosion structuring element: cross (default), square, disk\n"
    "  --border NAME    erosion outside the image: foreground (default), background\n"
    "  --base B         threshold that makes the predicted mask Yhat = {s >= B} (0.5)\n"
    "  --top T          threshold shrinker: largest lambda (1); any finite B <= T. For\n"
    "                   logits or other unbounded scores: --base 0 --top <largest logit>\n"
    "  --tau T          tolerated fraction of false positives in the inner mask, [0, 1]\n"
    "  --alpha A        risk: the guarantee holds with probability >= 1 - A, (0, 1)\n"
    "  --pred DIR       score maps: <id>.png (8/16-bit gray) or <id>.npy, or one .npy stack;\n"
    "                   files are recognised by their first bytes\n"
    "  --gt DIR         ground-truth masks with the same ids (nonzero = inside)\n"
    "  --save STATE     write the calibrator state (all scores) for `conseco apply`;\n"
    "                   never over an input file\n"
    "  --strict         a mask without a prediction is an error (default: a warning)\n"
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

/* risk: the calibration risk at lambda; NULL for the quantile guarantee. */
static void print_json(const cli_shrinker_opts *o, double tau, double alpha, size_t n, size_t k,
                       double lambda, const cli_dataset *pred, const double *scores,
                       const double *risk)
{
    size_t i;
    printf("{\"shrinker\": \"%s\", ", cli_kind_name(o->kind));
    if (o->kind == CONSECO_KIND_EROSION)
        printf("\"se\": \"%s\", \"border\": \"%s\", ", cli_element_name(o->erosion.element),
               cli_border_name(o->erosion.border));
    else
        printf("\"se\": null, \"border\": null, ");
    printf("\"tau\": ");
    if (risk != NULL) printf("null");
    else cli_json_number(stdout, tau);
    printf(", \"alpha\": ");
    cli_json_number(stdout, alpha);
    printf(", \"n\": %lu, \"k\": ", (unsigned long)n);
    if (risk != NULL) printf("null");
    else printf("%lu", (unsigned long)k);
    printf(", \"lambda\": ");
    cli_json_number(stdout, lambda);
    if (risk != NULL) {
        /* the risk guarantee keeps a loss curve, not scores */
        printf(", \"scores\": null, \"side\": \"inner\", \"guarantee\": \"risk\", "
               "\"tau_outer\": null, \"risk\": ");
        cli_json_number(stdout, *risk);
        printf("}\n");
        return;
    }
    printf(", \"scores\": [");
    for (i = 0; i < n; i++) {
        printf(i ? ", {\"id\": " : "{\"id\": ");
        cli_json_string(stdout, pred->items[i].id);
        printf(", \"score\": ");
        cli_json_number(stdout, scores[i]);
        putchar('}');
    }
    printf("], \"side\": \"inner\", \"guarantee\": \"quantile\", \"tau_outer\": null}\n");
}

static void print_risk_summary(const cli_shrinker_opts *o, double alpha, size_t n, double lambda,
                               double risk, const double *losses)
{
    char buf[40];
    size_t i, n_min = 0;
    double mean = 0.0;
    for (i = 0; i < n; i++) mean += losses[i];
    if (o->kind == CONSECO_KIND_EROSION)
        printf("shrinker: erosion (se %s, border %s, base %g)\n",
               cli_element_name(o->erosion.element), cli_border_name(o->erosion.border),
               o->erosion.base);
    else
        printf("shrinker: threshold (base %g, top %g)\n", o->threshold.base, o->threshold.top);
    cli_format_double(alpha, buf, sizeof buf);
    printf("guarantee: risk, E[AFP] <= %s\n", buf);
    cli_format_double(n ? mean / (double)n : 0.0, buf, sizeof buf);
    printf("calibration images: %lu (mean AFP of Yhat %s)\n", (unsigned long)n, buf);
    cli_format_double(lambda, buf, sizeof buf);
    printf("lambda_hat: %s  ", buf);
    cli_format_double(risk, buf, sizeof buf);
    printf("calibration risk at lambda_hat: %s\n", buf);
    if (!(lambda <= 1.7976931348623157e308)) {
        if (conseco_min_calibration_size(alpha, &n_min) == CONSECO_OK && n < n_min)
            printf("note: lambda_hat is inf (the inner mask is empty): 1/(n+1) > alpha; "
                   "alpha = %g needs at least %lu calibration images\n",
                   alpha, (unsigned long)n_min);
        else
            printf("note: lambda_hat is inf: no lambda of the family brings the risk bound "
                   "to alpha; the inner mask is empty\n");
    }
}

static void print_summary(const cli_shrinker_opts *o, double tau, double alpha, size_t n,
                          size_t k, double lambda, const double *scores)
{
    char buf[40];
    size_t i, inf = 0, n_min = 0;
    for (i = 0; i < n; i++) inf += !(scores[i] <= 1.7976931348623157e308);
    if (o->kind == CONSECO_KIND_EROSION)
        printf("shrinker: erosion (se %s, border %s, base %g)\n",
               cli_element_name(o->erosion.element), cli_border_name(o->erosion.border),
               o->erosion.base);
    else
        printf("shrinker: threshold (base %g, top %g)\n", o->threshold.base, o->threshold.top);
    cli_format_double(tau, buf, sizeof buf);
    printf("tau: %s  ", buf);
    cli_format_double(alpha, buf, sizeof buf);
    printf("alpha: %s\n", buf);
    printf("calibration images: %lu (%lu with score inf)\n", (unsigned long)n,
           (unsigned long)inf);
    cli_format_double(lambda, buf, sizeof buf);
    printf("k: %lu  lambda_hat: %s\n", (unsigned long)k, buf);
    if (k > n) {
        if (conseco_min_calibration_size(alpha, &n_min) == CONSECO_OK)
            printf("note: k > n, so lambda_hat is inf and the inner mask is empty; "
                   "alpha = %g needs at least %lu calibration images\n",
                   alpha, (unsigned long)n_min);
        else
            printf("note: k > n, so lambda_hat is inf and the inner mask is empty\n");
    } else if (!(lambda <= 1.7976931348623157e308)) {
        printf("note: lambda_hat is inf (too many images never reach tau): the inner mask is "
               "empty\n");
    }
}

int cli_cmd_calibrate(int argc, char **argv)
{
    const char *shrinker = NULL, *se = NULL, *border = NULL, *base = NULL, *tau_s = NULL,
               *alpha_s = NULL, *pred_dir = NULL, *gt_dir = NULL, *save = NULL, *top = NULL,
               *guarantee_s = NULL;
    int json = 0, quiet = 0, want_help = 0, strict = 0, rc;
    cli_flag flags[] = {
        {"shrinker", 1, &shrinker, NULL}, {"se", 1, &se, NULL},
        {"border", 1, &border, NULL},     {"base", 1, &base, NULL},
        {"tau", 1, &tau_s, NULL},         {"alpha", 1, &alpha_s, NULL},
        {"pred", 1, &pred_dir, NULL},     {"gt", 1, &gt_dir, NULL},
        {"save", 1, &save, NULL},         {"json", 0, NULL, &json},
        {"quiet", 0, NULL, &quiet},       {"help", 0, NULL, &want_help},
        {"top", 1, &top, NULL},           {"strict", 0, NULL, &strict},
        {"guarantee", 1, &guarantee_s, NULL},
    };
    static const char *const guarantee_names[] = {"quantile", "risk"};
    size_t guarantee = CONSECO_GUARANTEE_QUANTILE;
    double risk = 0.0;
    cli_shrinker_opts opts;
    double tau, alpha, lambda = 0.0, *scores = NULL;
    cli_dataset pred, gt;
    size_t *ix = NULL, i, k = 0;
    conseco_calibrator_config cfg;
    conseco_calibrator *cal = NULL;
    cli_loader loader;
    cli_progress pg;
    int st;

    rc = cli_args_parse("calibrate", argc, argv, 1, flags, sizeof flags / sizeof flags[0]);
    if (rc != CLI_EXIT_OK) return rc;
    if (want_help) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
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
    if ((rc = cli_shrinker_parse(shrinker, se, border, base, top, &opts)) != CLI_EXIT_OK) return rc;
    tau = 0.0;
    if (tau_s != NULL && (rc = cli_parse_double("tau", tau_s, &tau)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_parse_double("alpha", alpha_s, &alpha)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_check_tau(tau)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_check_alpha(alpha)) != CLI_EXIT_OK) return rc;

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
        if (guarantee == CONSECO_GUARANTEE_RISK) {
            cfg.guarantee = CONSECO_GUARANTEE_RISK;
            cfg.capacity = 0; /* curve keys: grows as needed */
        }
        st = conseco_calibrator_create(&cfg, NULL, &cal);
        if (st != CONSECO_OK) rc = cli_fail_status(st, "calibrator");
    }
    cli_loader_init(&loader);
    cli_progress_begin(&pg, "calibrate: images", pred.count, quiet);
    for (i = 0; rc == CLI_EXIT_OK && i < pred.count; i++) {
        cli_map score, mask;
        conseco_image im;
        conseco_mask m;
        rc = cli_load_pair(&loader, &pred.items[i], &gt.items[ix[i]], &score, &mask);
        if (rc != CLI_EXIT_OK) break;
        im = cli_map_image(&score);
        m = cli_map_mask(&mask);
        st = conseco_calibrator_add(cal, &im, &m, &scores[i]);
        if (st != CONSECO_OK) rc = cli_fail_status(st, pred.items[i].path);
        cli_map_free(&score);
        cli_map_free(&mask);
        cli_progress_step(&pg, i + 1);
    }
    cli_progress_end(&pg);
    cli_loader_free(&loader);
    if (rc == CLI_EXIT_OK) {
        st = conseco_calibrator_lambda_hat(cal, alpha, &lambda, &k);
        if (st == CONSECO_OK && guarantee == CONSECO_GUARANTEE_RISK)
            st = conseco_calibrator_risk(cal, lambda, &risk);
        if (st != CONSECO_OK) rc = cli_fail_status(st, "lambda_hat");
    }
    if (rc == CLI_EXIT_OK && save != NULL) rc = save_state(cal, save);
    if (rc == CLI_EXIT_OK) {
        const double *rp = guarantee == CONSECO_GUARANTEE_RISK ? &risk : NULL;
        if (json) print_json(&opts, tau, alpha, pred.count, k, lambda, &pred, scores, rp);
        else if (rp != NULL) print_risk_summary(&opts, alpha, pred.count, lambda, risk, scores);
        else print_summary(&opts, tau, alpha, pred.count, k, lambda, scores);
        if (fflush(stdout) != 0) rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
    }
    conseco_calibrator_free(cal);
    free(scores);
    free(ix);
    cli_dataset_free(&pred);
    cli_dataset_free(&gt);
    return rc;
}
