/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `conseco demo --3d`: the whole story on built-in synthetic anisotropic volumes
 * (tools/synth conseco_synth_volume): evaluate per scan, and with --out the data set as NIfTI
 * (usable with every other command) plus overlay PNGs of the mid-slices (axial, coronal,
 * sagittal) of a few test volumes, with the slice direction stretched to the voxel size.
 *
 * Scores are vote fractions stored as in NIfTI vote maps: count * (double)(float)(1/raters),
 * so the files written here read back with exactly the scores evaluated here.
 */
#include "cli.h"
#include "commands.h"
#include "demo_common.h"
#include "evaluate_core.h"
#include "evaluate_report.h"
#include "formats.h"
#include "json_out.h"
#include "overlay.h"
#include "png_io.h"
#include "progress.h"
#include "shrinker_opts.h"
#include "slices.h"
#include "staging.h"

#include <conseco.h>
#include <conseco_synth_volume.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO3D_COUNT 30       /* 15 calibrate, 15 test: enough for alpha = 0.1 */
#define DEMO3D_OVERLAYS 2     /* test volumes drawn */
#define DEMO3D_OVERLAY_TAU 0.01

typedef struct demo3d {
    conseco_synth_volume_config cfg;
    size_t voxels;
    float slope;
    uint8_t *votes; /* count * voxels */
    uint8_t *truth;
    double *scores;
    conseco_synth_volume_info *info;
    conseco_image *ims;
    conseco_mask *ms;
    char (*ids)[16];
    const char **id_ptrs;
} demo3d;

static void demo3d_free(demo3d *d)
{
    free(d->votes);
    free(d->truth);
    free(d->scores);
    free(d->info);
    free(d->ims);
    free(d->ms);
    free(d->ids);
    free(d->id_ptrs);
}

static int demo3d_generate(demo3d *d)
{
    size_t i, j, n, w, h, z;
    memset(d, 0, sizeof *d);
    conseco_synth_volume_config_default(&d->cfg);
    d->cfg.count = DEMO3D_COUNT;
    n = d->cfg.count;
    w = d->cfg.width;
    h = d->cfg.height;
    z = d->cfg.depth;
    d->voxels = w * h * z;
    d->slope = (float)(1.0 / (double)d->cfg.raters);
    d->votes = (uint8_t *)malloc(n * d->voxels);
    d->truth = (uint8_t *)malloc(n * d->voxels);
    d->scores = (double *)malloc(n * d->voxels * sizeof(double));
    d->info = (conseco_synth_volume_info *)calloc(n, sizeof *d->info);
    d->ims = (conseco_image *)malloc(n * sizeof *d->ims);
    d->ms = (conseco_mask *)malloc(n * sizeof *d->ms);
    d->ids = (char (*)[16])malloc(n * sizeof *d->ids);
    d->id_ptrs = (const char **)malloc(n * sizeof *d->id_ptrs);
    if (!d->votes || !d->truth || !d->scores || !d->info || !d->ims || !d->ms || !d->ids ||
        !d->id_ptrs)
        return cli_fail_nomem();
    for (i = 0; i < n; i++) {
        uint8_t *v = d->votes + i * d->voxels, *t = d->truth + i * d->voxels;
        double *s = d->scores + i * d->voxels;
        if (conseco_synth_volume(&d->cfg, i, v, t, &d->info[i]) != 0)
            return cli_fail(CLI_EXIT_INTERNAL, "synthetic volume generator failed");
        for (j = 0; j < d->voxels; j++) s[j] = (double)v[j] * (double)d->slope;
        d->ims[i] = conseco_image_3d(s, w, h, z, w * sizeof(double), w * h * sizeof(double),
                                     CONSECO_DTYPE_F64);
#if CONSECO_VERSION_NUMBER >= 200 /* images carry their voxel size */
        d->ims[i].spacing[0] = d->info[i].spacing[0];
        d->ims[i].spacing[1] = d->info[i].spacing[1];
        d->ims[i].spacing[2] = d->info[i].spacing[2];
#endif
        d->ms[i] = conseco_mask_3d(t, w, h, z, w, w * h);
        snprintf(d->ids[i], sizeof d->ids[i], "%03lu", (unsigned long)i);
        d->id_ptrs[i] = d->ids[i];
    }
    return CLI_EXIT_OK;
}

static int stage_nifti(cli_staging *st, const char *dir, const char *name, const demo3d *d,
                       size_t i, const uint8_t *voxels, float slope)
{
    FILE *f;
    cli_out_file out;
    char *shown;
    int rc = cli_staging_open(st, dir, name, &f);
    if (rc != CLI_EXIT_OK) return rc;
    shown = cli_path_join(dir, name);
    if (shown == NULL) return cli_fail_nomem();
    out.f = f;
    out.tmp_path = cli_staging_last(st)->tmp_path;
    out.final_path = shown;
    rc = cli_nifti_write_u8(&out, d->cfg.width, d->cfg.height, d->cfg.depth, d->info[i].spacing,
                            slope, voxels);
    free(shown);
    if (rc != CLI_EXIT_OK) return rc;
    return cli_staging_close_last(st);
}

/* Calibrates `kind` at tau 0.01 on the first half, then draws the three mid-slices of the first
 * test volumes that have a prediction. */
static int demo3d_overlays(const demo3d *d, cli_shrinker_opts *o, int kind, const char *dir,
                           cli_staging *st, double *lambda_out, char *ids, size_t ids_cap)
{
    const size_t W = d->cfg.width, H = d->cfg.height, Z = d->cfg.depth, n_cal = d->cfg.count / 2;
    conseco_calibrator_config cc;
    conseco_shrinker sh = cli_shrinker_of(o, kind);
    size_t i, drawn = 0, cap = conseco_scratch_size(&sh, W, H, Z);
    uint8_t *inner = (uint8_t *)malloc(d->voxels), *unc = (uint8_t *)malloc(d->voxels);
    void *scratch = malloc(cap ? cap : 1);
    double lambda = 0.0;
    int status = CONSECO_OK, rc = CLI_EXIT_OK;
    if (!inner || !unc || !scratch) rc = cli_fail_nomem();
    conseco_calibrator_config_init(&cc);
    cc.shrinker = sh;
    cc.tau = DEMO3D_OVERLAY_TAU;
    if (rc == CLI_EXIT_OK) status = cli_demo_lambda(cc, d->ims, d->ms, n_cal, 0.1, &lambda);
    if (rc == CLI_EXIT_OK && status != CONSECO_OK) rc = cli_fail_status(status, "demo --3d");
    if (ids_cap > 0) ids[0] = '\0';
    for (i = n_cal; rc == CLI_EXIT_OK && drawn < DEMO3D_OVERLAYS && i < d->cfg.count; i++) {
        conseco_mask_out mi = conseco_mask_out_3d(inner, W, H, Z, W, W * H);
        conseco_mask_out mu = conseco_mask_out_3d(unc, W, H, Z, W, W * H);
        int plane;
        if (d->info[i].predicted_voxels == 0) continue;
        status = conseco_apply(&sh, &d->ims[i], lambda, scratch, cap, &mi, &mu);
        if (status != CONSECO_OK) {
            rc = cli_fail_status(status, "demo --3d");
            break;
        }
        drawn++;
        if (ids_cap > 0) {
            size_t used = strlen(ids);
            snprintf(ids + used, ids_cap - used, "%s%s", used ? ", " : "", d->ids[i]);
        }
        for (plane = 0; rc == CLI_EXIT_OK && plane < CLI_PLANES; plane++) {
            cli_picture pic;
            char name[96];
            rc = cli_slice_overlay(&d->ims[i], inner, unc, d->truth + i * d->voxels,
                                   d->info[i].spacing, plane, 3, &pic);
            if (rc == CLI_EXIT_OK) {
                snprintf(name, sizeof name, "%s-%s%s-%s.png", d->ids[i], cli_kind_name(kind),
                         kind == CONSECO_KIND_EROSION &&
                                 o->erosion.element == CONSECO_ELEMENT_BALL_MM
                             ? "-ball-mm"
                             : "",
                         cli_plane_names[plane]);
                rc = cli_demo_stage_png(st, dir, name, pic.rgb, pic.width, pic.height, 3);
            }
            cli_picture_free(&pic);
        }
    }
    free(inner);
    free(unc);
    free(scratch);
    *lambda_out = lambda;
    return rc;
}

static int demo3d_write(const demo3d *d, const char *out, int quiet)
{
    cli_staging st;
    cli_shrinker_opts o;
    char *pred = cli_path_join(out, "pred"), *gt = cli_path_join(out, "gt"),
         *ov = cli_path_join(out, "overlays");
    double lam_t = 0.0, lam_e = 0.0, lam_b = 0.0;
    char ids[96];
    size_t i;
    int rc = CLI_EXIT_OK;
    cli_progress pg;
    cli_staging_arm_signals();
    cli_staging_init(&st);
    cli_shrinker_defaults(&o);
    if (!pred || !gt || !ov) rc = cli_fail_nomem();
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, out, CLI_STAGE_MERGE);
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, pred, CLI_STAGE_MERGE);
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, gt, CLI_STAGE_MERGE);
    if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&st, ov, CLI_STAGE_MERGE);
    cli_progress_begin(&pg, "demo --3d: writing volumes", d->cfg.count, quiet);
    for (i = 0; rc == CLI_EXIT_OK && i < d->cfg.count; i++) {
        char name[32];
        cli_progress_step(&pg, i + 1);
        snprintf(name, sizeof name, "%s.nii.gz", d->ids[i]);
        rc = stage_nifti(&st, pred, name, d, i, d->votes + i * d->voxels, d->slope);
        if (rc == CLI_EXIT_OK)
            rc = stage_nifti(&st, gt, name, d, i, d->truth + i * d->voxels, 0.0f);
    }
    cli_progress_end(&pg);
    if (rc == CLI_EXIT_OK)
        rc = demo3d_overlays(d, &o, CONSECO_KIND_THRESHOLD, ov, &st, &lam_t, ids, sizeof ids);
    if (rc == CLI_EXIT_OK)
        rc = demo3d_overlays(d, &o, CONSECO_KIND_EROSION, ov, &st, &lam_e, ids, sizeof ids);
    if (rc == CLI_EXIT_OK) {
        o.erosion.element = CONSECO_ELEMENT_BALL_MM;
        rc = demo3d_overlays(d, &o, CONSECO_KIND_EROSION, ov, &st, &lam_b, ids, sizeof ids);
    }
    if (rc == CLI_EXIT_OK) rc = cli_staging_commit(&st);
    else cli_staging_abort(&st);
    if (rc == CLI_EXIT_OK && !quiet) {
        char a[40], b[40], c[40];
        cli_format_double(lam_t, a, sizeof a);
        cli_format_double(lam_e, b, sizeof b);
        cli_format_double(lam_b, c, sizeof c);
        printf("\nwrote %s/pred, %s/gt (%lu NIfTI volumes, vote counts with scl_slope "
               "1/%u) and %s/overlays\n", out, out, (unsigned long)d->cfg.count,
               d->cfg.raters, out);
        printf("overlays: mid-slices (axial, coronal, sagittal) of test volumes %s, tau 0.01, "
               "alpha 0.1, calibrated on volumes 000..%03lu: threshold lambda_hat = %s, "
               "erosion (cross) lambda_hat = %s, erosion (ball-mm) lambda_hat = %s mm\n", ids,
               (unsigned long)(d->cfg.count / 2 - 1), a, b, c);
        printf("next: conseco calibrate --shrinker erosion --tau 0.1 --alpha 0.1 "
               "--pred %s --gt %s\n", pred, gt);
    }
    free(pred);
    free(gt);
    free(ov);
    return rc;
}

int cli_demo_3d(const char *out, int quiet)
{
    static const double taus[] = {0.1, 0.01};
    cli_shrinker_opts opts;
    cli_eval_config cfg;
    cli_eval_result res;
    demo3d d;
    int rc = demo3d_generate(&d);
    cli_shrinker_defaults(&opts);
    cli_demo_eval_config(&cfg, taus, sizeof taus / sizeof taus[0], &opts, quiet);
    if (rc == CLI_EXIT_OK) rc = cli_evaluate(d.ims, d.ms, NULL, d.cfg.count, &cfg, &res);
    if (rc == CLI_EXIT_OK) {
        printf("synthetic anisotropic volumes (conseco_synth_volume, seed %llu): %lu volumes of "
               "%lux%lux%lu voxels, 0.6..1 mm in-plane, 1.5..5 mm between slices; one score "
               "per volume\n", (unsigned long long)d.cfg.seed, (unsigned long)d.cfg.count,
               (unsigned long)d.cfg.width, (unsigned long)d.cfg.height,
               (unsigned long)d.cfg.depth);
        cli_eval_print_table(stdout, &res, &cfg);
        cli_eval_result_free(&res);
        /* The same splits with the ball in millimetres (the element that suits anisotropic
         * voxels) and the smooth shrinker: with 34 vote levels the plain threshold keeps
         * nothing here. */
        opts.erosion.element = CONSECO_ELEMENT_BALL_MM;
        cfg.methods = (1u << CLI_METHOD_EROSION) | (1u << CLI_METHOD_SMOOTH);
        rc = cli_evaluate(d.ims, d.ms, NULL, d.cfg.count, &cfg, &res);
        if (rc == CLI_EXIT_OK) {
            printf("\nthe same splits with the ball in millimetres and the smooth shrinker:\n");
            cli_eval_print_table(stdout, &res, &cfg);
            cli_eval_result_free(&res);
        }
    }
    if (rc == CLI_EXIT_OK && out != NULL) rc = demo3d_write(&d, out, quiet);
    else if (rc == CLI_EXIT_OK && !quiet)
        printf("\n(run `conseco demo --3d --out DIR` to also write the volumes as NIfTI and "
               "overlay pictures of their mid-slices)\n");
    demo3d_free(&d);
    if (rc == CLI_EXIT_OK && fflush(stdout) != 0)
        rc = cli_fail(CLI_EXIT_IO, "cannot write to stdout");
    return rc;
}
