/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Decoding and scoring calibration pairs on several threads: each thread takes the next pair,
 * decodes it (the slow part for .nii.gz) and scores it with the library's pure conseco_score,
 * so that one volume is inflated while another is scored. Scores land in input order; memory
 * is one pair (plus scratch) per thread. Errors are those a sequential run would report: the
 * first failing pair's, printed once.
 */
#ifndef CONSECO_CLI_SCORE_POOL_H
#define CONSECO_CLI_SCORE_POOL_H

#include "dataset.h"
#include "formats.h"

#ifndef CONSECO_STATIC_LINKING_ONLY
#define CONSECO_STATIC_LINKING_ONLY /* conseco_side_score (experimental) */
#endif
#include <conseco.h>
#include <stddef.h>

/* Threads to use when the user gave none: the online processors, at most 2. */
unsigned cli_default_threads(void);

/* Calls fn(ctx, i, score, mask, scratch) for every pair i = (pred->items[i], gt->items[ix[i]]),
 * decoded and size-checked, on `threads` threads (several calls run at once, each i once). fn
 * owns the two maps (cli_map_free them, or keep them); *scratch is a per-thread buffer of *cap
 * bytes fn may grow with realloc. @return a cli_exit code: the first failing pair's. */
typedef int (*cli_pair_fn)(void *ctx, size_t i, cli_map *score, cli_map *mask, void **scratch,
                           size_t *cap);
int cli_for_each_pair(const cli_dataset *pred, const cli_dataset *gt, const size_t *ix,
                      unsigned threads, const char *label, int quiet, cli_pair_fn fn, void *ctx);

/* scores[i] = the score of (pred->items[i], gt->items[ix[i]]) under `shrinker` on `side`
 * (inner, outer or band: conseco_side_score) at `tau`.
 * @return a cli_exit code (message printed). */
int cli_score_pairs(const cli_dataset *pred, const cli_dataset *gt, const size_t *ix,
                    const conseco_shrinker *shrinker, const conseco_side_params *side,
                    double tau, unsigned threads, int quiet, double *scores);

/* Adds every pair to `cal` with conseco_calibrator_add (a risk calibrator: its loss curve), the
 * pairs decoded on `threads` threads and added one at a time under a lock; losses[i] receives
 * pair i's score_out (risk: its loss at lambda_min). Only for calibrators whose result does not
 * depend on the order of the adds (the risk guarantee's exact summed curve).
 * @return a cli_exit code: the first failing pair's (message printed). */
int cli_add_pairs(const cli_dataset *pred, const cli_dataset *gt, const size_t *ix,
                  conseco_calibrator *cal, unsigned threads, int quiet, double *losses);

#endif /* CONSECO_CLI_SCORE_POOL_H */
