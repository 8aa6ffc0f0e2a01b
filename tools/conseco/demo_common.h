/* SPDX-License-Identifier: Apache-2.0 */
/* What `conseco demo` and `conseco demo --3d` share: calibrating on the first half of a
 * built-in set, and staging an overlay PNG. */
#ifndef CONSECO_DEMO_COMMON_H
#define CONSECO_DEMO_COMMON_H

#include "evaluate_core.h"
#include "staging.h"

#include <conseco.h>
#include <stddef.h>

/* lambda_hat at `alpha` of a calibrator made from `cc` (its capacity set to n) over the first
 * n images; a libconseco status (the caller reports it). */
int cli_demo_lambda(conseco_calibrator_config cc, const conseco_image *ims,
                    const conseco_mask *truths, size_t n, double alpha, double *lambda);

/* The demos' Table 1 protocol: alpha 0.1, 10 splits of seed 0 into halves, the given taus
 * and shrinker options; every other option off. */
void cli_demo_eval_config(cli_eval_config *cfg, const double *taus, size_t tau_count,
                          cli_shrinker_opts *opts, int quiet);

/* Writes an 8-bit PNG (1 or 3 channels) as dir/name through the staging area; an exit code. */
int cli_demo_stage_png(cli_staging *st, const char *dir, const char *name,
                       const unsigned char *px, size_t w, size_t h, int channels);

#endif /* CONSECO_DEMO_COMMON_H */
