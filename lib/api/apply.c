/* SPDX-License-Identifier: Apache-2.0 */
/* Apply lambda: inner mask and uncertain region; argument checks, then one
 * call through the kind's ops. */
#include "api.h"

int conseco_apply(const conseco_shrinker *shrinker, const conseco_image *pred, double lambda,
                  void *scratch, size_t scratch_size, const conseco_mask_out *inner,
                  const conseco_mask_out *uncertain)
{
    conseco__shrinker s;
    size_t n_pred, n_out;
    int rc;
    if (inner == NULL && uncertain == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__shrinker_load(shrinker, &s)) != CONSECO_OK) return rc;
    if ((rc = conseco__image_check(pred, &n_pred)) != CONSECO_OK) return rc;
    if (inner != NULL) {
        if ((rc = conseco__mask_out_check(inner, &n_out)) != CONSECO_OK) return rc;
        if ((rc = conseco__same_shape(pred->width, pred->height, pred->depth, inner->width,
                                      inner->height, inner->depth)) != CONSECO_OK)
            return rc;
    }
    if (uncertain != NULL) {
        if ((rc = conseco__mask_out_check(uncertain, &n_out)) != CONSECO_OK) return rc;
        if ((rc = conseco__same_shape(pred->width, pred->height, pred->depth, uncertain->width,
                                      uncertain->height, uncertain->depth)) != CONSECO_OK)
            return rc;
    }
    if (conseco__is_nan(lambda)) return CONSECO_E_BAD_LAMBDA;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    return s.ops->apply(&s, pred, lambda, scratch, scratch_size, inner, uncertain);
}
