/* SPDX-License-Identifier: Apache-2.0 */
/* `conseco apply`: inner masks (and uncertain regions, overlays) for a folder of predictions. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "args.h"
#include "cli.h"
#include "commands.h"
#include "file_io.h"
#include "json_out.h"
#include "loader.h"
#include "overlay.h"
#include "png_io.h"
#include "progress.h"
#include "shrinker_opts.h"
#include "staging.h"

#include <conseco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
    "usage: conseco apply (--state STATE --alpha A | --shrinker threshold|erosion\n"
    "         [--se ...] [--border ...] [--base 0.5] [--top 1] --lambda L) --pred DIR\n"
    "         --out DIR [--uncertain DIR] [--overlay DIR [--image DIR] [--gt DIR]]\n"
    "         [--force] [--quiet]\n"
    "\n"
    "Writes an inner mask for every prediction in --pred, in the prediction's format\n"
    "and geometry: <id>.png (0/255) for PNG inputs, <id>.npy (bool) for .npy inputs.\n"
    "lambda_hat comes from a state saved by `conseco calibrate --save` at risk\n"
    "--alpha (either guarantee: the state says which), or from an explicit --lambda (a number >= the shrinker's smallest\n"
    "lambda: --base for threshold, 0 for erosion; or inf). All outputs are written to\n"
    "temporary files first and renamed into place only if every image succeeded;\n"
    "Ctrl-C (SIGINT) or SIGTERM removes everything staged and every folder the run\n"
    "created, then exits with 130 or 143.\n"
    "\n"
    "  --uncertain DIR  also write the uncertain region Yhat minus the inner mask\n"
    "  --overlay DIR    also write RGB overlay pictures <id>.png (colours: see the README)\n"
    "  --image DIR      pictures to draw on (PNG, same ids); default: the score map in gray\n"
    "  --gt DIR         ground truth: colours accepted/rejected true and false positives\n"
    "  --base B, --top T  threshold family: Yhat = {s >= B}, lambda in [B, T]; any finite\n"
    "                   B <= T (logits: --base 0 --top <largest logit>)\n"
    "  --force          an output folder that exists and is not empty is replaced as a\n"
    "                   whole (built next to it, then swapped in; its old files are\n"
    "                   deleted). Without --force such a folder is refused.\n"
    "\n"
    "Every output folder must differ from the others and from every input folder.\n";

/* lambda_hat from a saved state: a matching calibrator is rebuilt from the state's header. */
static int lambda_from_state(const char *path, double alpha, cli_shrinker_opts *o,
                             double *lambda)
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
    } else {
        free(buf);
        return cli_fail(CLI_EXIT_DATA, "%s: made with the custom shrinker \"%s\", which this "
                        "tool cannot run", path, info.name);
    }
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = cli_shrinker_of(o, o->kind);
    cfg.tau = info.tau;
    cfg.capacity = (size_t)info.count;
    cfg.side = info.side;
    cfg.guarantee = info.guarantee; /* risk: the state holds a loss curve */
    cfg.tau_outer = info.tau_outer;
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
    const char *out_dir, *uncertain_dir, *overlay_dir;
    cli_dataset pred, image, gt;
    int have_image, have_gt;
} apply_job;

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
        uint8_t *inner = NULL, *unc = NULL;
        unsigned char *tmp = NULL;
        size_t w, h, d, n, need;
        char name[1024], ov_name[1024];
        conseco_image im;
        conseco_mask_out mi, mu;
        int st;
        memset(&picture, 0, sizeof picture);
        memset(&truth, 0, sizeof truth);
        if ((rc = cli_load_score(&l, e, &score)) != CLI_EXIT_OK) break;
        w = score.width;
        h = score.height;
        d = score.depth;
        n = cli_map_count(&score);
        im = cli_map_image(&score);
        need = conseco_scratch_size(sh, w, h, d);
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
        if (job->overlay_dir) tmp = (unsigned char *)malloc(3 * (n ? n : 1));
        if (rc == CLI_EXIT_OK && (inner == NULL || unc == NULL || (job->overlay_dir && !tmp)))
            rc = cli_fail_nomem();
        if (rc == CLI_EXIT_OK) {
            mi = conseco_mask_out_3d(inner, w, h, d, w, w * h);
            mu = conseco_mask_out_3d(unc, w, h, d, w, w * h);
            st = conseco_apply(sh, &im, lambda, scratch, cap, &mi, &mu);
            if (st != CONSECO_OK) rc = cli_fail_status(st, e->path);
        }
        if (rc == CLI_EXIT_OK && (cli_format_output_name(score.format, e->id, name, sizeof name) ||
                                  strlen(e->id) + 5 > sizeof ov_name))
            rc = cli_fail(CLI_EXIT_DATA, "%s: id too long", e->path);
        if (rc == CLI_EXIT_OK) rc = stage_mask(stage, job->out_dir, name, &score, inner);
        if (rc == CLI_EXIT_OK && job->uncertain_dir)
            rc = stage_mask(stage, job->uncertain_dir, name, &score, unc);
        if (rc == CLI_EXIT_OK && job->overlay_dir && d != 1)
            rc = cli_fail(CLI_EXIT_DATA, "%s: overlays are drawn on 2-D images, this one has "
                          "%lu slices", e->path, (unsigned long)d);
        if (rc == CLI_EXIT_OK && job->overlay_dir) {
            FILE *f;
            char why[160];
            snprintf(ov_name, sizeof ov_name, "%s.png", e->id); /* overlays are RGB pictures */
            if (job->have_image) rc = find_same_size(&l, &job->image, e, &score, 1, &picture);
            if (rc == CLI_EXIT_OK && job->have_gt)
                rc = find_same_size(&l, &job->gt, e, &score, 0, &truth);
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
    char *co[4] = {NULL, NULL, NULL, NULL}, *ci[4] = {NULL, NULL, NULL, NULL};
    size_t i, j;
    int rc = CLI_EXIT_OK;
    for (i = 0; i < n_out && i < 4; i++)
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
    for (i = 0; i < 4; i++) {
        free(co[i]);
        free(ci[i]);
    }
    return rc;
}

int cli_cmd_apply(int argc, char **argv)
{
    const char *state = NULL, *alpha_s = NULL, *shrinker = NULL, *se = NULL, *border = NULL,
               *base = NULL, *top = NULL, *lambda_s = NULL, *pred_dir = NULL, *out_dir = NULL,
               *unc_dir = NULL, *overlay_dir = NULL, *image_dir = NULL, *gt_dir = NULL;
    int quiet = 0, want_help = 0, force = 0, rc;
    cli_flag flags[] = {
        {"state", 1, &state, NULL},         {"alpha", 1, &alpha_s, NULL},
        {"shrinker", 1, &shrinker, NULL},   {"se", 1, &se, NULL},
        {"border", 1, &border, NULL},       {"base", 1, &base, NULL},
        {"lambda", 1, &lambda_s, NULL},     {"pred", 1, &pred_dir, NULL},
        {"out", 1, &out_dir, NULL},         {"uncertain", 1, &unc_dir, NULL},
        {"overlay", 1, &overlay_dir, NULL}, {"image", 1, &image_dir, NULL},
        {"gt", 1, &gt_dir, NULL},           {"quiet", 0, NULL, &quiet},
        {"help", 0, NULL, &want_help},      {"top", 1, &top, NULL},
        {"force", 0, NULL, &force},
    };
    cli_shrinker_opts opts;
    conseco_shrinker sh;
    double lambda = 0.0;
    apply_job job;
    cli_staging stage;
    char lam_text[40];

    rc = cli_args_parse("apply", argc, argv, 1, flags, sizeof flags / sizeof flags[0]);
    if (rc != CLI_EXIT_OK) return rc;
    if (want_help) {
        fputs(help, stdout);
        return CLI_EXIT_OK;
    }
    if (!pred_dir || !out_dir)
        return cli_fail(CLI_EXIT_USAGE, "apply: --pred and --out are required (see --help)");
    if ((image_dir || gt_dir) && !overlay_dir)
        return cli_fail(CLI_EXIT_USAGE, "apply: --image and --gt need --overlay DIR");
    if (state != NULL) {
        double alpha;
        if (shrinker || se || border || base || top || lambda_s)
            return cli_fail(CLI_EXIT_USAGE, "apply: --state already fixes the shrinker; "
                                            "do not combine it with --shrinker/--lambda");
        if (!alpha_s) return cli_fail(CLI_EXIT_USAGE, "apply: --state needs --alpha");
        if ((rc = cli_parse_double("alpha", alpha_s, &alpha)) != CLI_EXIT_OK) return rc;
        if ((rc = cli_check_alpha(alpha)) != CLI_EXIT_OK) return rc;
        if ((rc = lambda_from_state(state, alpha, &opts, &lambda)) != CLI_EXIT_OK) return rc;
    } else {
        if (!shrinker || !lambda_s)
            return cli_fail(CLI_EXIT_USAGE,
                            "apply: give --state STATE --alpha A, or --shrinker and --lambda");
        if (alpha_s) return cli_fail(CLI_EXIT_USAGE, "apply: --alpha only goes with --state");
        if ((rc = cli_shrinker_parse(shrinker, se, border, base, top, &opts)) != CLI_EXIT_OK)
            return rc;
        if ((rc = parse_lambda(lambda_s, &lambda)) != CLI_EXIT_OK) return rc;
        if ((rc = cli_check_lambda(&opts, opts.kind, lambda)) != CLI_EXIT_OK) return rc;
    }
    sh = cli_shrinker_of(&opts, opts.kind);
    {
        const named_dir outs[3] = {{"--out", out_dir}, {"--uncertain", unc_dir},
                                   {"--overlay", overlay_dir}};
        const named_dir ins[3] = {{"--pred", pred_dir}, {"--image", image_dir},
                                  {"--gt", gt_dir}};
        if ((rc = check_outputs(outs, 3, ins, 3)) != CLI_EXIT_OK) return rc;
    }

    memset(&job, 0, sizeof job);
    job.out_dir = out_dir;
    job.uncertain_dir = unc_dir;
    job.overlay_dir = overlay_dir;
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
        if (rc == CLI_EXIT_OK) rc = cli_staging_dir(&stage, out_dir, mode);
        if (rc == CLI_EXIT_OK && unc_dir) rc = cli_staging_dir(&stage, unc_dir, mode);
        if (rc == CLI_EXIT_OK && overlay_dir) rc = cli_staging_dir(&stage, overlay_dir, mode);
    }
    if (rc == CLI_EXIT_OK) rc = apply_all(&job, &sh, lambda, quiet, &stage);
    if (rc == CLI_EXIT_OK) rc = cli_staging_commit(&stage);
    else cli_staging_abort(&stage);
    if (rc == CLI_EXIT_OK && !quiet) {
        cli_format_double(lambda, lam_text, sizeof lam_text);
        printf("%s shrinker, lambda = %s: wrote %lu inner masks to %s\n",
               cli_kind_name(opts.kind), lam_text, (unsigned long)job.pred.count, out_dir);
    }
    cli_dataset_free(&job.pred);
    cli_dataset_free(&job.image);
    cli_dataset_free(&job.gt);
    return rc;
}
