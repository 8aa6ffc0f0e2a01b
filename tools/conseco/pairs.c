/* SPDX-License-Identifier: Apache-2.0 */
/* Pairs of (score map, mask) loaded and size-checked. */
#include "pairs.h"

#include "cli.h"
#include "progress.h"
#include "score_pool.h"

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

/* The maps move into the arrays (fn owns them: the signature is cli_pair_fn's). */
/* cppcheck-suppress constParameter */
static int keep_fn(void *ctx, size_t i, cli_map *score, cli_map *mask, void **scratch,
                   size_t *cap)
{
    cli_pairs *p = (cli_pairs *)ctx;
    (void)scratch;
    (void)cap;
    p->scores[i] = *score;
    p->masks[i] = *mask;
    return CLI_EXIT_OK;
}

int cli_pairs_scan(const char *pred_dir, const char *gt_dir, int strict, cli_pairs *out,
                   size_t **ix)
{
    int rc;
    memset(out, 0, sizeof *out);
    *ix = NULL;
    if ((rc = cli_dataset_scan(pred_dir, &out->pred)) != CLI_EXIT_OK) return rc;
    if ((rc = cli_dataset_scan(gt_dir, &out->gt)) != CLI_EXIT_OK) {
        cli_pairs_free(out);
        return rc;
    }
    if ((rc = cli_dataset_pair(&out->pred, &out->gt, strict, ix)) != CLI_EXIT_OK) {
        cli_pairs_free(out);
        return rc;
    }
    return CLI_EXIT_OK;
}

int cli_pairs_load_scanned(cli_pairs *p, const size_t *ix, int quiet)
{
    p->scores = (cli_map *)calloc(p->pred.count ? p->pred.count : 1, sizeof *p->scores);
    p->masks = (cli_map *)calloc(p->pred.count ? p->pred.count : 1, sizeof *p->masks);
    if (p->scores == NULL || p->masks == NULL) return cli_fail_nomem();
    /* decoded on two threads; maps not loaded stay zeroed, so freeing all of them is safe */
    p->count = p->pred.count;
    return cli_for_each_pair(&p->pred, &p->gt, ix, cli_default_threads(), "loading", quiet,
                             keep_fn, p);
}

int cli_pairs_load(const char *pred_dir, const char *gt_dir, int quiet, int strict,
                   cli_pairs *out)
{
    size_t *ix = NULL;
    int rc = cli_pairs_scan(pred_dir, gt_dir, strict, out, &ix);
    if (rc != CLI_EXIT_OK) return rc;
    rc = cli_pairs_load_scanned(out, ix, quiet);
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
