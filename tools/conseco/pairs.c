/* SPDX-License-Identifier: Apache-2.0 */
/* Pairs of (score map, mask) loaded and size-checked. */
#include "pairs.h"

#include "cli.h"
#include "progress.h"

#include <stdlib.h>
#include <string.h>

int cli_load_pair(cli_loader *l, const cli_entry *pred, const cli_entry *gt, cli_map *score,
                  cli_map *mask)
{
    int rc = cli_load_score(l, pred, score);
    if (rc != CLI_EXIT_OK) return rc;
    rc = cli_load_mask(l, gt, mask);
    if (rc != CLI_EXIT_OK) {
        cli_map_free(score);
        return rc;
    }
    if (!cli_map_same_shape(score, mask)) {
        char a[80], b[80];
        rc = cli_fail(CLI_EXIT_DATA, "%s is %s but its mask %s is %s", pred->path,
                      cli_map_shape(score, a, sizeof a), gt->path, cli_map_shape(mask, b, sizeof b));
        cli_map_free(score);
        cli_map_free(mask);
    } else if (!cli_map_same_spacing(score, mask)) {
        rc = cli_fail(CLI_EXIT_DATA, "%s has voxel size %gx%gx%g mm but its mask %s has "
                      "%gx%gx%g mm (they must agree within 1e-4, relative)", pred->path,
                      score->spacing[0], score->spacing[1], score->spacing[2], gt->path,
                      mask->spacing[0], mask->spacing[1], mask->spacing[2]);
        cli_map_free(score);
        cli_map_free(mask);
    }
    return rc;
}

int cli_pairs_load(const char *pred_dir, const char *gt_dir, int quiet, int strict,
                   cli_pairs *out)
{
    size_t *ix = NULL, i;
    cli_loader l;
    cli_progress pg;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = cli_dataset_scan(pred_dir, &out->pred)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_dataset_scan(gt_dir, &out->gt)) != CLI_EXIT_OK) {
        cli_pairs_free(out);
        return rc;
    }
    if ((rc = cli_dataset_pair(&out->pred, &out->gt, strict, &ix)) != CLI_EXIT_OK) {
        cli_pairs_free(out);
        return rc;
    }
    out->scores = (cli_map *)calloc(out->pred.count, sizeof *out->scores);
    out->masks = (cli_map *)calloc(out->pred.count, sizeof *out->masks);
    if (out->scores == NULL || out->masks == NULL) {
        free(ix);
        cli_pairs_free(out);
        return cli_fail_nomem();
    }
    cli_loader_init(&l);
    cli_progress_begin(&pg, "loading", out->pred.count, quiet);
    for (i = 0; i < out->pred.count; i++) {
        rc = cli_load_pair(&l, &out->pred.items[i], &out->gt.items[ix[i]], &out->scores[i],
                           &out->masks[i]);
        if (rc != CLI_EXIT_OK) break;
        out->count = i + 1;
        cli_progress_step(&pg, i + 1);
    }
    cli_progress_end(&pg);
    cli_loader_free(&l);
    free(ix);
    if (rc != CLI_EXIT_OK) cli_pairs_free(out);
    return rc;
}

void cli_pairs_free(cli_pairs *p)
{
    size_t i;
    for (i = 0; i < p->count; i++) {
        cli_map_free(&p->scores[i]);
        cli_map_free(&p->masks[i]);
    }
    free(p->scores);
    free(p->masks);
    cli_dataset_free(&p->pred);
    cli_dataset_free(&p->gt);
    memset(p, 0, sizeof *p);
}
