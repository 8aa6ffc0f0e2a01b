/* SPDX-License-Identifier: Apache-2.0 */
/* Per-image nonconformity score and scratch size: argument checks, then one
 * call through the kind's ops. */
#include "api.h"

int conseco__check_pair(const conseco_shrinker *shrinker, const conseco_image *pred,
                        const conseco_mask *truth, conseco__shrinker *s)
{
    size_t n_pred, n_truth;
    int rc;
    if ((rc = conseco__shrinker_load(shrinker, s)) != CONSECO_OK) return rc;
    if ((rc = conseco__image_check(pred, &n_pred)) != CONSECO_OK) return rc;
    if ((rc = conseco__mask_check(truth, &n_truth)) != CONSECO_OK) return rc;
    return conseco__same_shape(pred->width, pred->height, pred->depth, truth->width,
                               truth->height, truth->depth);
}

size_t conseco_scratch_size(const conseco_shrinker *shrinker, size_t width, size_t height,
                            size_t depth)
{
    conseco__shrinker s;
    size_t n;
    if (width == 0 || height == 0 || depth == 0) return 0;
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n)) return 0;
    if (conseco__shrinker_load(shrinker, &s) != CONSECO_OK) return 0;
    return s.ops->scratch_size(&s, width, height, depth);
}

int conseco_score(const conseco_shrinker *shrinker, const conseco_image *pred,
                  const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                  double *score)
{
    conseco__shrinker s;
    int rc;
    if (score == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__check_pair(shrinker, pred, truth, &s)) != CONSECO_OK) return rc;
    if ((rc = conseco__check_tau(tau)) != CONSECO_OK) return rc;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    return s.ops->score(&s, pred, truth, tau, scratch, scratch_size, score);
}
