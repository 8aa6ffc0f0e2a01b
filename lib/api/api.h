/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Third floor: the API files (score, apply, metrics, quantile, shrinker
 * loading). Internal to lib/.
 */
#ifndef CONSECO_API_H
#define CONSECO_API_H

#include "kinds/kinds.h"

/* Validate and normalise a public shrinker: picks its kind's ops from the
 * registry by vtable identity (custom otherwise), then ops->load. */
int conseco__shrinker_load(const conseco_shrinker *in, conseco__shrinker *out);

/* The ops of a saved kind, NULL if unknown. */
const conseco__ops *conseco__ops_for_kind(uint32_t kind);

/* The checks shared by score and evaluate: shrinker, prediction view, truth
 * view and equal shapes, in that order (so errors are reported consistently). */
int conseco__check_pair(const conseco_shrinker *shrinker, const conseco_image *pred,
                        const conseco_mask *truth, conseco__shrinker *s);

/* alpha as conseco_rank() reads it: num / den exactly (the shortest decimal,
 * den <= 10^15), or num / 2^shift with den = 0 (its binary value).
 * CONSECO_E_BAD_ALPHA unless 0 < alpha < 1. */
int conseco__alpha_exact(double alpha, uint64_t *num, uint64_t *den, unsigned *shift);

/* Sides (sides.c): the public side params checked into the internal form;
 * whether the loaded shrinker offers that side (and accepts its settings);
 * the scratch a side needs (score_only: for conseco_side_score alone, the
 * calibrator's need; else for every side function), 0 on overflow. */
int conseco__side_from_params(const conseco_side_params *in, conseco__side *out);
int conseco__side_supported(const conseco__shrinker *s, const conseco__side *side);
size_t conseco__side_scratch(const conseco__shrinker *s, const conseco__side *side,
                             int score_only, size_t width, size_t height, size_t depth);

#endif /* CONSECO_API_H */
