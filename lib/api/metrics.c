/* SPDX-License-Identifier: Apache-2.0 */
/* AFP, contraction ratio and accepted-true-positive fraction, per image and over a set. */
#include "api.h"

int conseco_metrics_from_masks(const conseco_mask *yhat, const conseco_mask *inner,
                               const conseco_mask *truth, double tau,
                               conseco_image_metrics *out)
{
    size_t n, x, y, z;
    uint64_t predicted = 0, kept = 0, kept_fp = 0, kept_tp = 0;
    int rc;
    if (out == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__mask_check(yhat, &n)) != CONSECO_OK) return rc;
    if ((rc = conseco__mask_check(inner, &n)) != CONSECO_OK) return rc;
    if ((rc = conseco__mask_check(truth, &n)) != CONSECO_OK) return rc;
    if ((rc = conseco__same_shape(yhat->width, yhat->height, yhat->depth, inner->width,
                                  inner->height, inner->depth)) != CONSECO_OK)
        return rc;
    if ((rc = conseco__same_shape(yhat->width, yhat->height, yhat->depth, truth->width,
                                  truth->height, truth->depth)) != CONSECO_OK)
        return rc;
    if ((rc = conseco__check_tau(tau)) != CONSECO_OK) return rc;
    for (z = 0; z < yhat->depth; z++)
        for (y = 0; y < yhat->height; y++) {
            const uint8_t *p = conseco__mask_row(yhat, y, z);
            const uint8_t *i = conseco__mask_row(inner, y, z);
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < yhat->width; x++) {
                if (i[x] && !p[x]) return CONSECO_E_NOT_NESTED; /* I must lie in Yhat */
                predicted += p[x] != 0;
                if (i[x]) {
                    kept++;
                    if (t[x]) kept_tp++;
                    else kept_fp++;
                }
            }
        }
    conseco__metrics_fill(predicted, kept, kept_fp, kept_tp, tau, out);
    return CONSECO_OK;
}

int conseco_evaluate_image(const conseco_shrinker *shrinker, const conseco_image *pred,
                           const conseco_mask *truth, double lambda, double tau, void *scratch,
                           size_t scratch_size, conseco_image_metrics *out)
{
    conseco__shrinker s;
    int rc;
    if (out == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__check_pair(shrinker, pred, truth, &s)) != CONSECO_OK) return rc;
    if (conseco__is_nan(lambda)) return CONSECO_E_BAD_LAMBDA;
    if ((rc = conseco__check_tau(tau)) != CONSECO_OK) return rc;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    return s.ops->evaluate(&s, pred, truth, lambda, tau, scratch, scratch_size, out);
}

int conseco_set_metrics_compute(const conseco_image_metrics *items, size_t n,
                                conseco_set_metrics *out)
{
    size_t i;
    double valid = 0.0, cr = 0.0, atp = 0.0;
    if (items == NULL || out == NULL) return CONSECO_E_NULL;
    if (n == 0) return CONSECO_E_BAD_SIZE;
    for (i = 0; i < n; i++) {
        valid += items[i].valid ? 1.0 : 0.0;
        cr += items[i].cr;
        atp += items[i].atp;
    }
    out->n = (uint64_t)n;
    out->ev = valid / (double)n;
    out->cr = cr / (double)n;
    out->atp = atp / (double)n;
    return CONSECO_OK;
}
