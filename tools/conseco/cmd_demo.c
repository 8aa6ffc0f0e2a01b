/* SPDX-License-Identifier: Apache-2.0 */
/* `conseco demo`: the whole pipeline on built-in synthetic polyp-like data, no files needed. */
#include "args.h"
#include "cli.h"
#include "commands.h"
#include "demo_common.h"
#include "evaluate_core.h"
#include "evaluate_report.h"
#include "evaluate_sides.h"
#include "json_out.h"
#include "overlay.h"
#include "png_io.h"
#include "progress.h"
#include "shrinker_opts.h"
#include "staging.h"

#include <conseco.h>
#include <conseco_synth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_OVERLAYS 4       /* overlays of the first test images */
#define DEMO_OVERLAY_TAU 0.01 /* as in the paper's Figure 2 */
#define DEMO_BAND_TAU_OUTER 0.05 /* the band: at most 5 % of the truth outside the outer set */

static const char help[] =
    "usage: conseco demo [--3d] [--out DIR] [--quiet]\n"
    "\n"
    "Generates a deterministic synthetic data set (100 polyp-like 352x352 images with\n"
    "8-bit score maps and masks), runs `conseco evaluate` on it (tau 0.1, 0.01, 0.001,\n"
    "alpha 0.1, 10 splits) and prints the Table 1 layout, then the same protocol for\n"
    "bands (a sure core with AFP <= tau and an outer set missing at most 5 % of the\n"
    "truth, jointly). With --out DIR it also writes the data set (DIR/pred, DIR/gt,\n"
    "usable with every other command) and overlays of a few test images for the three\n"
    "shrinkers at tau 0.01 and for the erosion band (core, band, outside;\n"
    "DIR/overlays).\n"
    "\n"
    "  --3d   the same story on 30 synthetic anisotropic CT-like volumes (96x96x32\n"
    "         voxels, 0.6..1 mm in-plane, 1.5..5 mm between slices, scores = votes of 33\n"
    "         simulated networks): one score per volume, tau 0.1 and 0.01; --out writes\n"
    "         them as NIfTI (DIR/pred, DIR/gt) and overlays of their mid-slices (axial,\n"
    "         coronal, sagittal; slice direction stretched to the voxel size).\n";

typedef struct demo_data {
    conseco_synth_config cfg;
    size_t pixels;
    uint8_t *scores; /* count * pixels */
    uint8_t *truth;
    conseco_image *ims;
    conseco_mask *ms;
} demo_data;

static void demo_free(demo_data *d)
{
    free(d->scores);
    free(d->truth);
    free(d->ims);
    free(d->ms);
}

static int demo_generate(demo_data *d)
{
    size_t i, n;
    memset(d, 0, sizeof *d);
    conseco_synth_config_default(&d->cfg);
    n = d->cfg.count;
    d->pixels = d->cfg.width * d->cfg.height;
    d->scores = (uint8_t *)malloc(n * d->pixels);
    d->truth = (uint8_t *)malloc(n * d->pixels);
    d->ims = (conseco_image *)malloc(n * sizeof *d->ims);
    d->ms = (conseco_mask *)malloc(n * sizeof *d->ms);
    if (!d->scores || !d->truth || !d->ims || !d->ms) return cli_fail_nomem();
    for (i = 0; i < n; i++) {
        uint8_t *s = d->scores + i * d->pixels, *t = d->truth + i * d->pixels;
        if (conseco_synth_image(&d->cfg, i, NULL, s, t, NULL) != 0)
            return cli_fail(CLI_EXIT_INTERNAL, "synthetic generator failed");
        d->ims[i] = conseco_image_2d(s, d->cfg.width, d->cfg.height, d->cfg.width,
                                     CONSECO_DTYPE_U8);
        d->ms[i] = conseco_mask_2d(t, d->cfg.width, d->cfg.height, d->cfg.width);
    }
    return CLI_EXIT_OK;
}

/* 1 if the prediction Yhat (= inner + uncertain) has any pixel. */
static int any_predicted(const uint8_t *inner, const uint8_t *unc, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (inner[i] | unc[i]) return 1;
    return 0;
}

/* Calibrates `kind` on the first half and draws overlays of the first test
 * images that have a prediction (an empty one would show nothing); their ids
 * are listed in `ids`. */
static int demo_overlays(demo_data *d, cli_shrinker_opts *o, int kind, uint32_t side,
                         const char *dir, cli_staging *st, double *lambda_out, char *ids,
                         size_t ids_cap)
{
    size_t drawn = 0;
    const size_t w = d->cfg.width, h = d->cfg.height, n_cal = d->cfg.count / 2;
    conseco_calibrator_config cc;
    conseco_shrinker sh = cli_shrinker_of(o, kind);
    conseco_side_params sp;
    size_t i, cap;
    uint8_t *inner = (uint8_t *)malloc(d->pixels), *unc = (uint8_t *)malloc(d->pixels);
    unsigned char *rgb = (unsigned char *)malloc(3 * d->pixels);
    void *scratch = NULL;
    double lambda = 0.0;
    int status = CONSECO_OK, rc = CLI_EXIT_OK;
    conseco_side_params_default(&sp);
    sp.side = side;
    sp.tau_outer = side == CONSECO_SIDE_BAND ? DEMO_BAND_TAU_OUTER : 0.0;
    cap = conseco_side_scratch_size(&sh, &sp, w, h, 1);
    scratch = malloc(cap ? cap : 1);
    if (!inner || !unc || !rgb || !scratch) rc = cli_fail_nomem();
    conseco_calibrator_config_init(&cc);
    cc.side = side;
    cc.tau_outer = sp.tau_outer;
    cc.shrinker = sh;
    cc.tau = DEMO_OVERLAY_TAU;
    if (rc == CLI_EXIT_OK) status = cli_demo_lambda(cc, d->ims, d->ms, n_cal, 0.1, &lambda);
    if (rc == CLI_EXIT_OK && status != CONSECO_OK) rc = cli_fail_status(status, "demo");
    if (ids_cap > 0) ids[0] = '\0';
    for (i = n_cal; rc == CLI_EXIT_OK && drawn < DEMO_OVERLAYS && i < d->cfg.count; i++) {
        conseco_mask_out mi = conseco_mask_out_2d(inner, w, h, w);
        conseco_mask_out mu = conseco_mask_out_2d(unc, w, h, w);
        char name[64];
        /* inner (core) and the region between it and the outer set (uncertain / band) */
        status = conseco_side_apply(&sh, &sp, &d->ims[i], lambda, scratch, cap, &mi, NULL, &mu);
        if (status != CONSECO_OK) {
            rc = cli_fail_status(status, "demo");
            break;
        }
        if (!any_predicted(inner, unc, d->pixels)) continue;
        drawn++;
        if (ids_cap > 0) {
            size_t used = strlen(ids);
            snprintf(ids + used, ids_cap - used, "%s%lu", used ? ", " : "", (unsigned long)i);
        }
        cli_overlay_draw(NULL, &d->ims[i], inner, unc, d->truth + i * d->pixels, w, rgb);
        snprintf(name, sizeof name, "%lu-%s%s.png", (unsigned long)i,
                 side == CONSECO_SIDE_BAND ? "band-" : "", cli_kind_name(kind));
        rc = cli_demo_stage_png(st, dir, name, rgb, w, h, 3);
    }
    free(inner);
    free(unc);
    free(rgb);
    free(scratch);
    *lambda_out = lambda;
    return rc;
}

static int demo_write(demo_data *d, const char *out, int quiet)
{
    cli_staging st;
    cli_shrinker_opts o;
    char *pred = cli_path_join(out, "pred"), *gt = cli_path_join(out, "gt"),
         *ov = cli_path_join(out, "overlays");
    unsigned char *tmp = (unsigned char *)malloc(d->pixels);
    double lam_t = 0.0, lam_e = 0.0, lam_s = 0.0, lam_b = 0.0;
    char ids[96];
    size_t i, j;
    int rc = CLI_EXIT_OK;
    cli_progress pg;
    cli_staging_arm_signals();
    cli_staging_init(&st);
    cli_shrinker_defaults(&o);
    if (!pred || !gt || !ov || !tmp) rc = cli_fail_nomem();
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, out, CLI_STAGE_MERGE);
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, pred, CLI_STAGE_MERGE);
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, gt, CLI_STAGE_MERGE);
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, ov, CLI_STAGE_MERGE);
    cli_progress_begin(&pg, "demo: writing images", d->cfg.count, quiet);
    for (i = 0; rc == CLI_EXIT_OK && i < d->cfg.count; i++) {
        char name[32];
        cli_progress_step(&pg, i + 1);
        snprintf(name, sizeof name, "%lu.png", (unsigned long)i);
        rc = cli_demo_stage_png(&st, pred, name, d->scores + i * d->pixels, d->cfg.width,
                                d->cfg.height, 1);
        for (j = 0; rc == CLI_EXIT_OK && j < d->pixels; j++)
            tmp[j] = d->truth[i * d->pixels + j] ? 255 : 0;
        if (rc == CLI_EXIT_OK)
            rc = cli_demo_stage_png(&st, gt, name, tmp, d->cfg.width, d->cfg.height, 1);
    }
    cli_progress_end(&pg);
    if (rc == CLI_EXIT_OK)
        rc = demo_overlays(d, &o, CONSECO_KIND_THRESHOLD, CONSECO_SIDE_INNER, ov, &st, &lam_t,
                           ids, sizeof ids);
    if (rc == CLI_EXIT_OK)
        rc = demo_overlays(d, &o, CONSECO_KIND_EROSION, CONSECO_SIDE_INNER, ov, &st, &lam_e,
                           ids, sizeof ids);
    if (rc == CLI_EXIT_OK)
        rc = demo_overlays(d, &o, CONSECO_KIND_SMOOTH, CONSECO_SIDE_INNER, ov, &st, &lam_s,
                           ids, sizeof ids);
    if (rc == CLI_EXIT_OK)
        rc = demo_overlays(d, &o, CONSECO_KIND_EROSION, CONSECO_SIDE_BAND, ov, &st, &lam_b,
                           ids, sizeof ids);
    if (rc == CLI_EXIT_OK) rc = cli_staging_commit(&st);
    else cli_staging_abort(&st);
    if (rc == CLI_EXIT_OK && !quiet) {
        char a[40], b[40], c[40];
        cli_format_double(lam_t, a, sizeof a);
        cli_format_double(lam_e, b, sizeof b);
        cli_format_double(lam_s, c, sizeof c);
        printf("\nwrote %s/pred, %s/gt (%lu images) and %s/overlays\n", out, out,
               (unsigned long)d->cfg.count, out);
        printf("overlays: test images %s, tau 0.01, alpha 0.1, calibrated on images 0..%lu: "
               "threshold lambda_hat = %s, erosion lambda_hat = %s, smooth (sigma 1) "
               "lambda_hat = %s\n",
               ids, (unsigned long)(d->cfg.count / 2 - 1), a, b, c);
        cli_format_double(lam_b, c, sizeof c);
        printf("band overlays (<id>-band-erosion.png: core, band, outside): tau 0.01, "
               "tau_outer %g, lambda_hat = %s\n", DEMO_BAND_TAU_OUTER, c);
        printf("next: conseco calibrate --shrinker threshold --tau 0.1 --alpha 0.1 "
               "--pred %s --gt %s\n", pred, gt);
    }
    free(pred);
    free(gt);
    free(ov);
    free(tmp);
    return rc;
}

int cli_cmd_demo(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, want_help = 0, three_d = 0, rc;
    cli_flag flags[] = {
        {"out", 1, &out, NULL},             {"3d", 0, NULL, &three_d},
        {"quiet", 0, NULL, &quiet},
        {"help", 0, NULL, &want_help},
    };
    static const double taus[] = {0.1, 0.01, 0.001};
    cli_shrinker_opts opts;
    cli_eval_config cfg;
    cli_eval_result res;
    demo_data d;

    rc = cli_args_parse("demo", argc, argv, 1, flags, sizeof flags / sizeof flags[0]);
    if (rc != CLI_EXIT_OK) return rc;
    if (want_help) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    if (three_d) return cli_demo_3d(out, quiet);
    rc = demo_generate(&d);
    cli_shrinker_defaults(&opts);
    cli_demo_eval_config(&cfg, taus, sizeof taus / sizeof taus[0], &opts, quiet);
    cfg.methods = CLI_METHODS_DEFAULT | (1u << CLI_METHOD_SMOOTH); /* smooth next to the paper's */
    if (rc == CLI_EXIT_OK) rc = cli_evaluate(d.ims, d.ms, NULL, d.cfg.count, &cfg, &res);
    if (rc == CLI_EXIT_OK) {
        printf("synthetic polyp-like data (conseco_synth, seed %llu)\n",
               (unsigned long long)d.cfg.seed);
        cli_eval_print_table(stdout, &res, &cfg);
        cli_eval_result_free(&res);
        /* then the band: a sure core and a safe envelope at one guarantee */
        cli_side_result band;
        cfg.tau_count = 2; /* 0.1 and 0.01 */
        rc = cli_evaluate_sides(d.ims, d.ms, NULL, d.cfg.count, &cfg, CONSECO_SIDE_BAND,
                                DEMO_BAND_TAU_OUTER, 0.0, &band);
        if (rc == CLI_EXIT_OK) {
            printf("\n");
            cli_side_print_table(stdout, &band, &cfg, CONSECO_SIDE_BAND, DEMO_BAND_TAU_OUTER);
            cli_side_result_free(&band);
        }
    }
    if (rc == CLI_EXIT_OK && out != NULL) rc = demo_write(&d, out, quiet);
    else if (rc == CLI_EXIT_OK && !quiet)
        printf("\n(run `conseco demo --out DIR` to also write the data and overlay pictures)\n");
    demo_free(&d);
    if (rc == CLI_EXIT_OK && fflush(stdout) != 0)
        rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
    return rc;
}
