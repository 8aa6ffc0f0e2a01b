/* SPDX-License-Identifier: Apache-2.0 */
/* `conseco apply`: inner masks (and uncertain regions, overlays) for a folder of predictions. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "args.h"
#include "cli.h"
#include "inputs.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"
#include "loader.h"
#include "overlay.h"
#include "png_io.h"
#include "progress.h"
#include "shrinker_opts.h"
#include "slices.h"
#include "staging.h"

#define CONSECO_STATIC_LINKING_ONLY /* sides (experimental) */
#include <conseco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: conseco apply (--state STATE --alpha A | [--side inner|outer|band]\n"
    "         --shrinker threshold|erosion|dilation|smooth [--se ...] [--border ...]\n"
    "         [--base 0.5] [--top 1] [--sigma S] [--filter F] [--radius R] --lambda L)\n"
    "         --pred DIR [--out DIR] [--outer DIR] [--uncertain DIR]\n"
    "         [--overlay DIR [--image DIR]] [--gt DIR [--metrics FILE.csv|FILE.json\n"
    "         [--tau T]]] [--volume] [--spacing X,Y,Z] [--force] [--quiet]\n"
    "\n"
    "Writes an inner mask for every prediction in --pred, in the prediction's format\n"
    "and geometry: <id>.png (0/255) for PNG inputs, <id>.npy (bool) for .npy inputs,\n"
    "<id>.nii.gz (uint8 0/1, the input's header geometry) for NIfTI inputs.\n"
    "lambda_hat comes from a state saved by `conseco calibrate --save` at risk\n"
    "--alpha (either guarantee: the state says which), or from an explicit --lambda (a number >= the shrinker's smallest\n"
    "lambda: --base for threshold, 0 for erosion, any number for smooth; or inf). All outputs are written to\n"
    "temporary files first and renamed into place only if every image succeeded;\n"
    "Ctrl-C (SIGINT) or SIGTERM removes everything staged and every folder the run\n"
    "created, then exits with 130 or 143.\n"
    "\n"
    "  --out DIR        the inner mask (an outer state: Yhat itself)\n"
    "  --outer DIR      outer and band states (or --side outer|band): the outer set\n"
    "  --uncertain DIR  also write the uncertain region Yhat minus the inner mask; for an\n"
    "                   outer state the outer set minus Yhat, for a band the band: the\n"
    "                   outer set minus the inner mask. Overlays then show the core\n"
    "                   (inner), the band and, untouched, the outside.\n"
    "  --side NAME      with --lambda: inner (default), outer (--shrinker dilation, or\n"
    "                   threshold: lambda is the threshold t, -inf = the whole image) or\n"
    "                   band (lambda >= 0; the threshold band is {s >= base +- lambda})\n"
    "  At least one of --out, --outer and --uncertain.\n"
    "  --overlay DIR    also write RGB overlay pictures <id>.png (colours: see the README);\n"
    "                   for a volume the mid-slices <id>-axial.png, <id>-coronal.png and\n"
    "                   <id>-sagittal.png (slice direction stretched to the voxel size)\n"
    "  --image DIR      pictures to draw on (PNG, same ids); default: the score map in gray\n"
    "  --gt DIR         ground truth (same ids): colours true and false positives in the\n"
    "                   overlays, and is what --metrics measures against\n"
    "  --metrics FILE   per-volume metrics at lambda_hat: |Yhat|, |I|, accepted false and\n"
    "                   true positives, AFP, CR, ATP and valid (AFP <= tau), as CSV (FILE.csv)\n"
    "                   or JSON (FILE.json, with EV, CR and ATP over the set); needs --gt\n"
    "  --tau T          tau for \"valid\" with --lambda (a --state carries its own)\n"
    "  --base B, --top T  threshold family: Yhat = {s >= B}, lambda in [B, T]; any finite\n"
    "                   B <= T (logits: --base 0 --top <largest logit>)\n"
    CLI_INPUTS_HELP
    "  --force          an output folder that exists and is not empty is replaced as a\n"
    "                   whole (built next to it, then swapped in; its old files are\n"
    "                   deleted). Without --force such a folder is refused.\n"
    "\n"
    "Every output folder must differ from the others and from every input folder.\n";

/* lambda_hat from a saved state: a matching calibrator is rebuilt from the state's header. */
static int lambda_from_state(const char *path, double alpha, cli_shrinker_opts *o,
                             conseco_side_params *side, double *lambda, double *tau)
{
    unsigned char *buf;
    size_t size, k;
    conseco_state_info info;
    conseco_calibrator_config cfg;
    conseco_calibrator *cal = NULL;
    int st, rc = cli_read_file(path, &buf, &size);
    if (rc != CLI_EXIT_OK) return rc;
    memset(&info, 0, sizeof info);
    info.struct_size = (uint32_t)sizeof info; /* the caller states the size of its struct */
    st = conseco_state_inspect(buf, size, &info);
    if (st != CONSECO_OK) {
        free(buf);
        return cli_fail(st == CONSECO_E_UNSUPPORTED ? CLI_EXIT_LIBRARY : CLI_EXIT_DATA,
                        "%s: not a usable state: %s", path, conseco_strerror(st));
    }
    cli_shrinker_defaults(o);
    if (info.kind == CONSECO_KIND_THRESHOLD) {
        o->kind = CONSECO_KIND_THRESHOLD;
        o->threshold = info.threshold;
    } else if (info.kind == CONSECO_KIND_EROSION) {
        o->kind = CONSECO_KIND_EROSION;
        o->erosion = info.erosion;
    } else if (info.kind == CONSECO_KIND_SMOOTH) {
        o->kind = CONSECO_KIND_SMOOTH;
        o->smooth = info.smooth;
    } else {
        free(buf);
        return cli_fail(CLI_EXIT_DATA, "%s: made with the custom shrinker \"%s\", which this "
                        "tool cannot run", path, info.name);
    }
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = cli_shrinker_of(o, o->kind);
    cfg.tau = info.tau;
    *tau = info.tau;
    cfg.capacity = (size_t)info.count;
    cfg.side = info.side;
    cfg.guarantee = info.guarantee;
    cfg.tau_outer = info.tau_outer;
    cfg.bottom = info.bottom;
    conseco_side_params_default(side);
    side->side = info.side;
    side->tau_outer = info.tau_outer;
    side->bottom = info.bottom;
    st = conseco_calibrator_create(&cfg, NULL, &cal);
    if (st == CONSECO_OK) st = conseco_calibrator_load(cal, buf, size);
    if (st == CONSECO_OK) st = conseco_calibrator_lambda_hat(cal, alpha, lambda, &k);
    conseco_calibrator_free(cal);
    free(buf);
    if (st != CONSECO_OK) return cli_fail_status(st, path);
    return CLI_EXIT_OK;
}

/* A number or "inf" (strtod reads inf and infinity). */
static int parse_lambda(const char *text, double *lambda)
{
    return cli_parse_double("lambda", text, lambda);
}

/* Writes a 0/1 mask like the input map `like` (its format and geometry) to a staged file. */
static int stage_mask(cli_staging *s, const char *dir, const char *name, const cli_map *like,
                      const uint8_t *mask)
{
    FILE *f;
    cli_tmpfile *t;
    cli_out_file out;
    char *shown;
    int rc = cli_staging_open(s, dir, name, &f);
    if (rc != CLI_EXIT_OK) return rc;
    t = cli_staging_last(s);
    shown = cli_path_join(dir, name);
    if (shown == NULL) return cli_fail_nomem();
    out.f = f;
    out.tmp_path = t->tmp_path;
    out.final_path = shown;
    rc = like->format->write_mask_like(like, mask, &out);
    free(shown);
    if (rc != CLI_EXIT_OK) return rc;
    return cli_staging_close_last(s);
}

typedef struct apply_job {
    const char *out_dir, *outer_dir, *uncertain_dir, *overlay_dir, *metrics_path;
    conseco_side_params side;
    cli_dataset pred, image, gt;
    int have_image, have_gt;
    double tau;                       /* for the metrics' "valid" */
    conseco_image_metrics *metrics;   /* [pred.count] when metrics_path */
} apply_job;

/* Per-volume metrics as CSV (by the name's extension) or JSON, staged like the masks. */
static int write_metrics(const apply_job *job, double lambda, cli_staging *stage)
{
    const char *path = job->metrics_path, *slash = strrchr(path, '/');
    size_t len = strlen(path), i;
    int csv = len >= 4 && strcmp(path + len - 4, ".csv") == 0;
    char dir[4096], num[40];
    FILE *f;
    conseco_set_metrics set;
    int rc, st;
    if (slash == NULL) strcpy(dir, ".");
    else if ((size_t)(slash - path) + 1 > sizeof dir)
        return cli_fail(CLI_EXIT_USAGE, "--metrics: path too long");
    else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash == path ? 1 : slash - path] = '\0';
        if (slash == path) dir[0] = '/';
    }
    if ((rc = cli_staging_open(stage, dir, slash ? slash + 1 : path, &f)) != CLI_EXIT_OK) return rc;
    if (csv) {
        fputs("id,predicted,inner,inner_fp,inner_tp,afp,cr,atp,valid\n", f);
        for (i = 0; i < job->pred.count; i++) {
            const conseco_image_metrics *m = &job->metrics[i];
            const char *id = job->pred.items[i].id;
            if (strpbrk(id, ",\"\n\r") != NULL) { /* quote as RFC 4180 says */
                const char *c;
                fputc('"', f);
                for (c = id; *c; c++) {
                    if (*c == '"') fputc('"', f);
                    fputc(*c, f);
                }
                fputc('"', f);
            } else {
                fputs(id, f);
            }
            fprintf(f, ",%llu,%llu,%llu,%llu", (unsigned long long)m->predicted,
                    (unsigned long long)m->inner, (unsigned long long)m->inner_fp,
                    (unsigned long long)m->inner_tp);
            cli_format_double(m->afp, num, sizeof num);
            fprintf(f, ",%s", num);
            cli_format_double(m->cr, num, sizeof num);
            fprintf(f, ",%s", num);
            cli_format_double(m->atp, num, sizeof num);
            fprintf(f, ",%s,%d\n", num, m->valid ? 1 : 0);
        }
    } else {
        fputs("{\"lambda\": ", f);
        cli_json_number(f, lambda);
        fputs(", \"tau\": ", f);
        cli_json_number(f, job->tau);
        st = conseco_set_metrics_compute(job->metrics, job->pred.count, &set);
        if (st != CONSECO_OK) return cli_fail_status(st, path);
        fputs(", \"ev\": ", f);
        cli_json_number(f, set.ev);
        fputs(", \"cr\": ", f);
        cli_json_number(f, set.cr);
        fputs(", \"atp\": ", f);
        cli_json_number(f, set.atp);
        fputs(", \"volumes\": [", f);
        for (i = 0; i < job->pred.count; i++) {
            const conseco_image_metrics *m = &job->metrics[i];
            fputs(i ? ", {\"id\": " : "{\"id\": ", f);
            cli_json_string(f, job->pred.items[i].id);
            fprintf(f, ", \"predicted\": %llu, \"inner\": %llu, \"inner_fp\": %llu, "
                    "\"inner_tp\": %llu, \"afp\": ", (unsigned long long)m->predicted,
                    (unsigned long long)m->inner, (unsigned long long)m->inner_fp,
                    (unsigned long long)m->inner_tp);
            cli_json_number(f, m->afp);
            fputs(", \"cr\": ", f);
            cli_json_number(f, m->cr);
            fputs(", \"atp\": ", f);
            cli_json_number(f, m->atp);
            fprintf(f, ", \"valid\": %s}", m->valid ? "true" : "false");
        }
        fputs("]}\n", f);
    }
    return cli_staging_close_last(stage);
}

static int find_same_size(cli_loader *l, const cli_dataset *d, const cli_entry *pred,
                          const cli_map *like, int rgb, cli_map *out)
{
    size_t j = cli_dataset_find(d, pred->id);
    int rc;
    if (j == (size_t)-1)
        return cli_fail(CLI_EXIT_DATA, "%s: no file with id \"%s\" in %s", pred->path, pred->id,
                        d->dir);
    rc = rgb ? cli_load_rgb(l, &d->items[j], out) : cli_load_mask(l, &d->items[j], out);
    if (rc != CLI_EXIT_OK) return rc;
    if (!cli_map_same_shape(out, like)) {
        char a[80], b[80];
        rc = cli_fail(CLI_EXIT_DATA, "%s is %s but %s is %s", pred->path,
                      cli_map_shape(like, a, sizeof a), d->items[j].path,
                      cli_map_shape(out, b, sizeof b));
        cli_map_free(out);
    } else if (!rgb && !cli_map_same_spacing(like, out)) {
        rc = cli_fail(CLI_EXIT_DATA, "%s has voxel size %gx%gx%g mm but %s has %gx%gx%g mm (they "
                      "must agree within 1e-4, relative)", pred->path, like->spacing[0],
                      like->spacing[1], like->spacing[2], d->items[j].path, out->spacing[0],
                      out->spacing[1], out->spacing[2]);
        cli_map_free(out);
    }
    return rc;
}

static int apply_all(apply_job *job, conseco_shrinker *sh, double lambda, int quiet,
                     cli_staging *stage)
{
    cli_loader l;
    cli_progress pg;
    void *scratch = NULL;
    size_t cap = 0, i;
    int rc = CLI_EXIT_OK;
    cli_loader_init(&l);
    cli_progress_begin(&pg, "apply: images", job->pred.count, quiet);
    for (i = 0; rc == CLI_EXIT_OK && i < job->pred.count; i++) {
        const cli_entry *e = &job->pred.items[i];
        cli_map score, picture, truth;
        uint8_t *inner = NULL, *unc = NULL, *outer = NULL;
        unsigned char *tmp = NULL;
        size_t w, h, d, n, need;
        char name[1024], ov_name[1024];
        conseco_image im;
        conseco_mask_out mi, mu, mo;
        int st;
        memset(&picture, 0, sizeof picture);
        memset(&truth, 0, sizeof truth);
        if ((rc = cli_load_score(&l, e, &score)) != CLI_EXIT_OK) break;
        w = score.width;
        h = score.height;
        d = score.depth;
        n = cli_map_count(&score);
        im = cli_map_image(&score);
        need = conseco_side_scratch_size(sh, &job->side, w, h, d);
        if (need > cap) {
            void *ns = realloc(scratch, need);
            if (ns == NULL) rc = cli_fail_nomem();
            else {
                scratch = ns;
                cap = need;
            }
        }
        inner = (uint8_t *)malloc(n ? n : 1);
        unc = (uint8_t *)malloc(n ? n : 1);
        if (job->outer_dir) outer = (uint8_t *)malloc(n ? n : 1);
        if (job->overlay_dir) tmp = (unsigned char *)malloc(3 * (n ? n : 1));
        if (rc == CLI_EXIT_OK && (inner == NULL || unc == NULL || (job->overlay_dir && !tmp) ||
                                  (job->outer_dir && !outer)))
            rc = cli_fail_nomem();
        if (rc == CLI_EXIT_OK) {
            /* one pass: inner (core), outer, and the region between (uncertain / band) */
            mi = conseco_mask_out_3d(inner, w, h, d, w, w * h);
            mu = conseco_mask_out_3d(unc, w, h, d, w, w * h);
            mo = conseco_mask_out_3d(outer, w, h, d, w, w * h);
            st = conseco_side_apply(sh, &job->side, &im, lambda, scratch, cap, &mi,
                                    outer ? &mo : NULL, &mu);
            if (st != CONSECO_OK) rc = cli_fail_status(st, e->path);
        }
        if (rc == CLI_EXIT_OK && job->have_gt)
            rc = find_same_size(&l, &job->gt, e, &score, 0, &truth);
        if (rc == CLI_EXIT_OK && job->metrics_path) {
            conseco_mask tm = cli_map_mask(&truth);
            st = conseco_evaluate_image(sh, &im, &tm, lambda, job->tau, scratch, cap,
                                        &job->metrics[i]);
            if (st != CONSECO_OK) rc = cli_fail_status(st, e->path);
        }
        if (rc == CLI_EXIT_OK && (cli_format_output_name(score.format, e->id, name, sizeof name) ||
                                  strlen(e->id) + 5 > sizeof ov_name))
            rc = cli_fail(CLI_EXIT_DATA, "%s: id too long", e->path);
        if (rc == CLI_EXIT_OK && job->out_dir)
            rc = stage_mask(stage, job->out_dir, name, &score, inner);
        if (rc == CLI_EXIT_OK && job->outer_dir)
            rc = stage_mask(stage, job->outer_dir, name, &score, outer);
        if (rc == CLI_EXIT_OK && job->uncertain_dir)
            rc = stage_mask(stage, job->uncertain_dir, name, &score, unc);
        if (rc == CLI_EXIT_OK && job->overlay_dir && d != 1 && job->have_image)
            rc = cli_fail(CLI_EXIT_DATA, "%s: --image pictures are 2-D, this volume has %lu "
                          "slices (its overlays are drawn on the score map)", e->path,
                          (unsigned long)d);
        if (rc == CLI_EXIT_OK && job->overlay_dir && d != 1) {
            /* a volume: its three mid-slices, <id>-axial.png, <id>-coronal.png, ... */
            size_t zoom = w >= 256 ? 1 : (256 + w - 1) / w, plane;
            double sp[3];
            sp[0] = score.spacing[0];
            sp[1] = score.spacing[1];
            sp[2] = score.spacing[2];
            for (plane = 0; rc == CLI_EXIT_OK && plane < CLI_PLANES; plane++) {
                cli_picture pic;
                FILE *f;
                char why[160];
                if (snprintf(ov_name, sizeof ov_name, "%s-%s.png", e->id,
                             cli_plane_names[plane]) >= (int)sizeof ov_name) {
                    rc = cli_fail(CLI_EXIT_DATA, "%s: id too long", e->path);
                    break;
                }
                rc = cli_slice_overlay(&im, inner, unc, job->have_gt ? truth.data : NULL, sp,
                                       (int)plane, zoom > 8 ? 8 : zoom, &pic);
                if (rc == CLI_EXIT_OK) rc = cli_staging_open(stage, job->overlay_dir, ov_name, &f);
                if (rc == CLI_EXIT_OK &&
                    cli_png_write(f, pic.rgb, pic.width, pic.height, 3, why, sizeof why) != 0)
                    rc = cli_fail(CLI_EXIT_IO, "%s/%s: cannot write PNG: %s", job->overlay_dir,
                                  ov_name, why);
                if (rc == CLI_EXIT_OK) rc = cli_staging_close_last(stage);
                cli_picture_free(&pic);
            }
        } else if (rc == CLI_EXIT_OK && job->overlay_dir) {
            FILE *f;
            char why[160];
            snprintf(ov_name, sizeof ov_name, "%s.png", e->id); /* overlays are RGB pictures */
            if (job->have_image) rc = find_same_size(&l, &job->image, e, &score, 1, &picture);
            if (rc == CLI_EXIT_OK) {
                cli_overlay_draw(picture.data, &im, inner, unc, truth.data, w, tmp);
                rc = cli_staging_open(stage, job->overlay_dir, ov_name, &f);
            }
            if (rc == CLI_EXIT_OK && cli_png_write(f, tmp, w, h, 3, why, sizeof why) != 0)
                rc = cli_fail(CLI_EXIT_IO, "%s/%s: cannot write PNG: %s", job->overlay_dir,
                              ov_name, why);
            if (rc == CLI_EXIT_OK) rc = cli_staging_close_last(stage);
        }
        cli_map_free(&picture);
        cli_map_free(&truth);
        cli_map_free(&score);
        free(inner);
        free(unc);
        free(outer);
        free(tmp);
        cli_progress_step(&pg, i + 1);
    }
    cli_progress_end(&pg);
    cli_loader_free(&l);
    free(scratch);
    return rc;
}

/* An absolute, symlink-free spelling of `path` (which may not exist yet: then its parent's
 * real path plus its last component). malloc'ed; NULL if even the parent cannot be resolved. */
static char *canonical(const char *path)
{
    char *r = realpath(path, NULL), *parent, *full;
    const char *slash, *base;
    size_t len = strlen(path);
    if (r != NULL) return r;
    while (len > 1 && path[len - 1] == '/') len--;
    parent = (char *)malloc(len + 2);
    if (parent == NULL) return NULL;
    memcpy(parent, path, len);
    parent[len] = '\0';
    slash = strrchr(parent, '/');
    if (slash == NULL) {
        base = parent;
        r = realpath(".", NULL);
    } else {
        base = slash + 1;
        parent[slash - parent] = '\0';
        r = realpath(slash == parent ? "/" : parent, NULL);
    }
    if (r == NULL) {
        free(parent);
        return NULL;
    }
    full = cli_path_join(r, base);
    free(r);
    free(parent);
    return full;
}

/* 1 if a is b or a folder inside b. */
static int within(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (strncmp(a, b, n) != 0) return 0;
    return a[n] == '\0' || a[n] == '/' || (n > 0 && b[n - 1] == '/');
}

typedef struct named_dir {
    const char *flag;
    const char *path;
} named_dir;

/* Every output folder must differ from every other output and from every input folder (and
 * may not contain an input folder: replacing it would delete the inputs). */
static int check_outputs(const named_dir *outs, size_t n_out, const named_dir *ins, size_t n_in)
{
    char *co[5] = {NULL, NULL, NULL, NULL, NULL}, *ci[4] = {NULL, NULL, NULL, NULL};
    size_t i, j;
    int rc = CLI_EXIT_OK;
    for (i = 0; i < n_out && i < 5; i++)
        if (outs[i].path != NULL && (co[i] = canonical(outs[i].path)) == NULL)
            co[i] = cli_path_join(outs[i].path, ""); /* unresolvable: compare as written */
    for (i = 0; i < n_in && i < 4; i++)
        if (ins[i].path != NULL && (ci[i] = canonical(ins[i].path)) == NULL)
            ci[i] = cli_path_join(ins[i].path, "");
    for (i = 0; rc == CLI_EXIT_OK && i < n_out; i++) {
        if (co[i] == NULL) continue;
        for (j = 0; rc == CLI_EXIT_OK && j < i; j++)
            if (co[j] != NULL && strcmp(co[i], co[j]) == 0)
                rc = cli_fail(CLI_EXIT_USAGE, "apply: %s folder %s is also the %s folder %s; "
                              "every output needs its own folder", outs[i].flag, outs[i].path,
                              outs[j].flag, outs[j].path);
        for (j = 0; rc == CLI_EXIT_OK && j < n_in; j++) {
            if (ci[j] == NULL) continue;
            if (strcmp(co[i], ci[j]) == 0)
                rc = cli_fail(CLI_EXIT_USAGE, "apply: output folder %s (%s) is the input folder "
                              "%s (%s); pick another", outs[i].path, outs[i].flag, ins[j].path,
                              ins[j].flag);
            else if (within(ci[j], co[i]))
                rc = cli_fail(CLI_EXIT_USAGE, "apply: output folder %s (%s) contains the input "
                              "folder %s (%s); pick another", outs[i].path, outs[i].flag,
                              ins[j].path, ins[j].flag);
        }
    }
    for (i = 0; i < 5; i++) free(co[i]);
    for (i = 0; i < 4; i++) free(ci[i]);
    return rc;
}

int cli_cmd_apply(int argc, char **argv)
{
    const char *spacing_s = NULL;
    const char *state = NULL, *alpha_s = NULL, *shrinker = NULL, *se = NULL, *border = NULL,
               *base = NULL, *top = NULL, *lambda_s = NULL, *pred_dir = NULL, *out_dir = NULL,
               *unc_dir = NULL, *overlay_dir = NULL, *image_dir = NULL, *gt_dir = NULL,
               *metrics_path = NULL, *tau_s = NULL, *sigma = NULL, *filter = NULL,
               *radius = NULL, *outer_dir = NULL, *side_s = NULL;
    int volume = 0, quiet = 0, want_help = 0, force = 0, rc;
    cli_flag flags[] = {
        {"sigma", 1, &sigma, NULL},         {"filter", 1, &filter, NULL},
        {"radius", 1, &radius, NULL},
        {"state", 1, &state, NULL},         {"alpha", 1, &alpha_s, NULL},
        {"shrinker", 1, &shrinker, NULL},   {"se", 1, &se, NULL},
        {"border", 1, &border, NULL},       {"base", 1, &base, NULL},
        {"lambda", 1, &lambda_s, NULL},     {"pred", 1, &pred_dir, NULL},
        {"out", 1, &out_dir, NULL},         {"uncertain", 1, &unc_dir, NULL},
        {"overlay", 1, &overlay_dir, NULL}, {"image", 1, &image_dir, NULL},
        {"gt", 1, &gt_dir, NULL},           {"quiet", 0, NULL, &quiet},
        {"help", 0, NULL, &want_help},    {"volume", 0, NULL, &volume},
        {"spacing", 1, &spacing_s, NULL},      {"top", 1, &top, NULL},
        {"force", 0, NULL, &force},         {"metrics", 1, &metrics_path, NULL},
        {"tau", 1, &tau_s, NULL},
        {"outer", 1, &outer_dir, NULL},     {"side", 1, &side_s, NULL},
    };
    conseco_side_params side;
    static const char *const side_words[] = {"inner", "outer", "band"};
    cli_shrinker_opts opts;
    conseco_shrinker sh;
    double lambda = 0.0, tau = 0.0;
    apply_job job;
    cli_staging stage;
    char lam_text[40];

    rc = cli_args_parse("apply", argc, argv, 1, flags, sizeof flags / sizeof flags[0]);
    if (rc != CLI_EXIT_OK) return rc;
    if (want_help) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    if ((rc = cli_inputs_parse(volume, spacing_s)) != CLI_EXIT_OK) return rc;
    if (!pred_dir || (!out_dir && !outer_dir && !unc_dir))
        return cli_fail(CLI_EXIT_USAGE, "apply: --pred and one of --out, --outer and --uncertain "
                                        "are required (see --help)");
    if (image_dir && !overlay_dir)
        return cli_fail(CLI_EXIT_USAGE, "apply: --image needs --overlay DIR");
    if (gt_dir && !overlay_dir && !metrics_path)
        return cli_fail(CLI_EXIT_USAGE, "apply: --gt needs --overlay DIR or --metrics FILE");
    if (metrics_path) {
        size_t len = strlen(metrics_path);
        if (!gt_dir) return cli_fail(CLI_EXIT_USAGE, "apply: --metrics needs --gt DIR");
        if (!(len > 4 && (strcmp(metrics_path + len - 4, ".csv") == 0 ||
                          (len > 5 && strcmp(metrics_path + len - 5, ".json") == 0))))
            return cli_fail(CLI_EXIT_USAGE, "apply: --metrics FILE must end in .csv or .json");
    }
    if (tau_s && state)
        return cli_fail(CLI_EXIT_USAGE, "apply: --state already fixes tau; do not give --tau");
    if (tau_s && !metrics_path)
        return cli_fail(CLI_EXIT_USAGE, "apply: --tau only goes with --metrics");
    if (metrics_path && !state && !tau_s)
        return cli_fail(CLI_EXIT_USAGE, "apply: --metrics with --lambda needs --tau T (for "
                                        "\"valid\": AFP <= T)");
    if (tau_s) {
        if ((rc = cli_parse_double("tau", tau_s, &tau)) != CLI_EXIT_OK) return rc;
        if ((rc = cli_check_tau(tau)) != CLI_EXIT_OK) return rc;
    }
    if (state != NULL) {
        double alpha;
        if (shrinker || se || border || base || top || lambda_s || sigma || filter || radius ||
            side_s)
            return cli_fail(CLI_EXIT_USAGE, "apply: --state already fixes the shrinker; "
                                            "do not combine it with --shrinker/--lambda/--side");
        if (!alpha_s) return cli_fail(CLI_EXIT_USAGE, "apply: --state needs --alpha");
        if ((rc = cli_parse_double("alpha", alpha_s, &alpha)) != CLI_EXIT_OK) return rc;
        if ((rc = cli_check_alpha(alpha)) != CLI_EXIT_OK) return rc;
        if ((rc = lambda_from_state(state, alpha, &opts, &side, &lambda, &tau)) != CLI_EXIT_OK)
            return rc;
    } else {
        if (!shrinker || !lambda_s)
            return cli_fail(CLI_EXIT_USAGE,
                            "apply: give --state STATE --alpha A, or --shrinker and --lambda");
        if (alpha_s) return cli_fail(CLI_EXIT_USAGE, "apply: --alpha only goes with --state");
        conseco_side_params_default(&side);
        if ((rc = cli_side_parse(side_s, &side.side)) != CLI_EXIT_OK) return rc;
        if ((rc = cli_side_shrinker(side.side, &shrinker, border)) != CLI_EXIT_OK) return rc;
        if ((rc = cli_shrinker_parse(shrinker, se, border, base, top, &opts)) != CLI_EXIT_OK)
            return rc;
        if ((rc = cli_smooth_tune(&opts, 1, sigma, filter, radius)) != CLI_EXIT_OK) return rc;
        if ((rc = parse_lambda(lambda_s, &lambda)) != CLI_EXIT_OK) return rc;
        if (side.side == CONSECO_SIDE_INNER) {
            if ((rc = cli_check_lambda(&opts, opts.kind, lambda)) != CLI_EXIT_OK) return rc;
        } else if (!(side.side == CONSECO_SIDE_OUTER && opts.kind == CONSECO_KIND_THRESHOLD) &&
                   !(lambda >= 0.0)) {
            return cli_fail(CLI_EXIT_USAGE, "apply: --lambda %s is below 0, the smallest "
                            "lambda of this family", lambda_s);
        }
        /* outer threshold lowering: lambda is the threshold t, any number (-inf: the
         * whole image; t >= base: Yhat) */
    }
    if (metrics_path && side.side != CONSECO_SIDE_INNER)
        return cli_fail(CLI_EXIT_USAGE, "apply: --metrics reports the inner mask: it goes with "
                                        "an inner calibration");
    if (outer_dir && side.side == CONSECO_SIDE_INNER)
        return cli_fail(CLI_EXIT_USAGE, "apply: --outer needs an outer or band calibration "
                                        "(or --side outer|band with --lambda)");
    sh = cli_shrinker_of(&opts, opts.kind);
    {
        const named_dir outs[4] = {{"--out", out_dir}, {"--uncertain", unc_dir},
                                   {"--overlay", overlay_dir}, {"--outer", outer_dir}};
        const named_dir ins[3] = {{"--pred", pred_dir}, {"--image", image_dir},
                                  {"--gt", gt_dir}};
        if ((rc = check_outputs(outs, 4, ins, 3)) != CLI_EXIT_OK) return rc;
    }

    memset(&job, 0, sizeof job);
    job.out_dir = out_dir;
    job.outer_dir = outer_dir;
    job.side = side;
    job.uncertain_dir = unc_dir;
    job.overlay_dir = overlay_dir;
    job.metrics_path = metrics_path;
    job.tau = tau;
    if ((rc = cli_dataset_scan(pred_dir, &job.pred)) != CLI_EXIT_OK) return rc;
    if (image_dir) {
        rc = cli_dataset_scan(image_dir, &job.image);
        job.have_image = rc == CLI_EXIT_OK;
    }
    if (rc == CLI_EXIT_OK && gt_dir) {
        rc = cli_dataset_scan(gt_dir, &job.gt);
        job.have_gt = rc == CLI_EXIT_OK;
    }
    cli_staging_arm_signals();
    cli_staging_init(&stage);
    {
        const int mode = force ? CLI_STAGE_REPLACE : CLI_STAGE_REFUSE;
        if (rc == CLI_EXIT_OK && out_dir) rc = cli_staging_dir(&stage, out_dir, mode);
        if (rc == CLI_EXIT_OK && outer_dir) rc = cli_staging_dir(&stage, outer_dir, mode);
        if (rc == CLI_EXIT_OK && unc_dir) rc = cli_staging_dir(&stage, unc_dir, mode);
        if (rc == CLI_EXIT_OK && overlay_dir) rc = cli_staging_dir(&stage, overlay_dir, mode);
    }
    if (rc == CLI_EXIT_OK && metrics_path) {
        job.metrics = (conseco_image_metrics *)calloc(job.pred.count ? job.pred.count : 1,
                                                      sizeof *job.metrics);
        if (job.metrics == NULL) rc = cli_fail_nomem();
    }
    if (rc == CLI_EXIT_OK) rc = apply_all(&job, &sh, lambda, quiet, &stage);
    if (rc == CLI_EXIT_OK && metrics_path) rc = write_metrics(&job, lambda, &stage);
    if (rc == CLI_EXIT_OK) rc = cli_staging_commit(&stage);
    else cli_staging_abort(&stage);
    if (rc == CLI_EXIT_OK && !quiet) {
        cli_format_double(lambda, lam_text, sizeof lam_text);
        if (side.side == CONSECO_SIDE_INNER && out_dir)
            printf("%s shrinker, lambda = %s: wrote %lu inner masks to %s\n",
                   cli_kind_name(opts.kind), lam_text, (unsigned long)job.pred.count, out_dir);
        else
            printf("%s side, %s shrinker, lambda = %s: wrote %lu images' sets (%s%s%s%s%s%s)\n",
                   side_words[side.side < 3 ? side.side : 0],
                   side.side == CONSECO_SIDE_OUTER && opts.kind == CONSECO_KIND_EROSION
                       ? "dilation"
                       : cli_kind_name(opts.kind),
                   lam_text, (unsigned long)job.pred.count, out_dir ? "inner: " : "",
                   out_dir ? out_dir : "", outer_dir ? (out_dir ? ", outer: " : "outer: ") : "",
                   outer_dir ? outer_dir : "",
                   unc_dir ? ((out_dir || outer_dir) ? ", between: " : "between: ") : "",
                   unc_dir ? unc_dir : "");
    }
    cli_dataset_free(&job.pred);
    cli_dataset_free(&job.image);
    cli_dataset_free(&job.gt);
    free(job.metrics);
    return rc;
}
