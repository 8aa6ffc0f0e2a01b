/* Per-image nonconformity score: argument checks, the exact F <= tau rule,
 * and dispatch to the fast path of each shrinker kind. */
#include "internal.h"

int conseco__check_tau(double tau)
{
    /* written so that NaN fails too */
    return (tau >= 0.0 && tau <= 1.0) ? CONSECO_OK : CONSECO_E_BAD_TAU;
}

uint64_t conseco__fp_budget(uint64_t predicted, double tau)
{
    const double n = (double)predicted;
    uint64_t m;
    double guess;
    if (predicted == 0) return 0;
    /* Start near tau * n, then walk to the exact edge of the predicate
     * (double)m / n <= tau, which is monotone in m. Only a step or two. */
    guess = tau * n;
    m = guess >= n ? predicted : (uint64_t)guess;
    while (m < predicted && (double)(m + 1) / n <= tau) m++;
    while (m > 0 && (double)m / n > tau) m--;
    return m;
}

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
    switch (s.kind) {
    case CONSECO_KIND_THRESHOLD: return conseco__threshold_scratch_size(width, height, depth);
    case CONSECO_KIND_EROSION:
        return conseco__erosion_scratch_size((const conseco_erosion_params *)s.user, width,
                                             height, depth);
    default: return conseco__custom_scratch_size(&s, width, height, depth);
    }
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
    switch (s.kind) {
    case CONSECO_KIND_THRESHOLD:
        return conseco__threshold_score((const conseco_threshold_params *)s.user, pred, truth,
                                        tau, scratch, scratch_size, score);
    case CONSECO_KIND_EROSION:
        return conseco__erosion_score((const conseco_erosion_params *)s.user, pred, truth, tau,
                                      scratch, scratch_size, score);
    default:
        return conseco__custom_score(&s, pred, truth, tau, scratch, scratch_size, score);
    }
}
