/* SPDX-License-Identifier: Apache-2.0 */
/* Loading prediction/mask pairs with the size check that names both files. */
#ifndef CONSECO_CLI_PAIRS_H
#define CONSECO_CLI_PAIRS_H

#include "dataset.h"
#include "loader.h"

/* Loads one pair; a size mismatch is a data error naming both files. */
int cli_load_pair(cli_loader *l, const cli_entry *pred, const cli_entry *gt, cli_map *score,
                  cli_map *mask);

/* Every pair of two folders, in natural id order, all in memory. */
typedef struct cli_pairs {
    cli_dataset pred;
    cli_dataset gt;
    size_t count;
    cli_map *scores;
    cli_map *masks;
} cli_pairs;

/* strict: a mask without a prediction is an error (else a warning). */
int cli_pairs_load(const char *pred_dir, const char *gt_dir, int quiet, int strict,
                   cli_pairs *out);
void cli_pairs_free(cli_pairs *p);

/* cli_pairs_load in two steps: list and pair the folders (no map loaded: count 0, *ix receives
 * the index of each prediction's mask, malloc'ed), then decode every pair. */
int cli_pairs_scan(const char *pred_dir, const char *gt_dir, int strict, cli_pairs *out,
                   size_t **ix);
int cli_pairs_load_scanned(cli_pairs *p, const size_t *ix, int quiet);

#endif /* CONSECO_CLI_PAIRS_H */
