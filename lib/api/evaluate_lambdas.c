/* SPDX-License-Identifier: Apache-2.0 */
/* Experimental: metrics at many lambdas on one image from one level map.
 *
 * The level map is computed once (through the kind's ops); the levels of
 * the Yhat pixels are split into false and true positives and each part is
 * sorted, so every lambda is then two binary searches:
 * O(N log N + count log N). A custom black-box shrinker (no level map) is
 * evaluated once per lambda instead. Both give exactly what
 * conseco_evaluate_image() gives at each lambda (the same membership rule:
 * p in Yhat <=> L(p) >= lambda_min, p in I_lambda <=> also L(p) >= lambda,
 * and lambda = +inf keeps nothing). */
#define CONSECO_STATIC_LINKING_ONLY
#include "api.h"

/* Bytes of the level map: one double per pixel, aligned; 0 on overflow. */
static size_t levels_bytes(size_t n)
{
    size_t bytes;
    if (!conseco__mul_size(n, sizeof(double), &bytes) ||
        !conseco__add_size(bytes, CONSECO__ALIGN_SLACK, &bytes))
        return 0;
    return bytes;
}

size_t conseco_evaluate_lambdas_scratch_size(const conseco_shrinker *shrinker, size_t width,
                                             size_t height, size_t depth)
{
    conseco__shrinker s;
    size_t n, lv, per;
    if (width == 0 || height == 0 || depth == 0) return 0;
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n)) return 0;
    if (conseco__shrinker_load(shrinker, &s) != CONSECO_OK) return 0;
    lv = levels_bytes(n);
    per = s.ops->scratch_size(&s, width, height, depth); /* the black-box fallback */
    if (lv == 0 || per == 0) return 0;
    return lv > per ? lv : per;
}

/* Number of the ascending a[0..n) that are >= v. */
static size_t count_at_least(const double *a, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2u;
        if (a[mid] < v)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return n - lo;
}

int conseco_evaluate_lambdas(const conseco_shrinker *shrinker, const conseco_image *pred,
                             const conseco_mask *truth, const double *lambdas, size_t count,
                             double tau, void *scratch, size_t scratch_size,
                             conseco_image_metrics *out)
{
    conseco__shrinker s;
    double *lv;
    size_t n, i, x, y, z, nfp = 0, ntp = 0, work_size = scratch_size;
    double lmin;
    int rc;
    if (out == NULL || (lambdas == NULL && count != 0)) return CONSECO_E_NULL;
    if ((rc = conseco__check_pair(shrinker, pred, truth, &s)) != CONSECO_OK) return rc;
    for (i = 0; i < count; i++)
        if (conseco__is_nan(lambdas[i])) return CONSECO_E_BAD_LAMBDA;
    if ((rc = conseco__check_tau(tau)) != CONSECO_OK) return rc;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    if (levels_bytes(n) == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < levels_bytes(n)) return CONSECO_E_SCRATCH_TOO_SMALL;
    lv = (double *)conseco__align16(scratch, &work_size);
    rc = s.ops->levels(&s, pred, lv, n);
    if (rc == CONSECO_E_UNSUPPORTED) {
        /* black box: one evaluation per lambda */
        for (i = 0; i < count; i++) {
            rc = s.ops->evaluate(&s, pred, truth, lambdas[i], tau, scratch, scratch_size, &out[i]);
            if (rc != CONSECO_OK) return rc;
        }
        return CONSECO_OK;
    }
    if (rc != CONSECO_OK) return rc;
    /* Keep the Yhat levels: false positives to the front [0, nfp), true
     * positives packed after them; the write index never passes the read one. */
    lmin = s.vt.lambda_min;
    i = 0;
    for (z = 0; z < truth->depth; z++)
        for (y = 0; y < truth->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < truth->width; x++, i++) {
                const double v = lv[i];
                if (!(v >= lmin)) continue;
                if (t[x] == 0) {
                    /* move the first true positive (if any) to the end of the run */
                    if (ntp != 0) lv[nfp + ntp] = lv[nfp];
                    lv[nfp++] = v;
                } else {
                    lv[nfp + ntp++] = v;
                }
            }
        }
    conseco__sort_doubles(lv, nfp);
    conseco__sort_doubles(lv + nfp, ntp);
    for (i = 0; i < count; i++) {
        uint64_t kept_fp = 0, kept_tp = 0;
        if (lambdas[i] != conseco__inf()) { /* +inf keeps nothing, not even level +inf */
            kept_fp = (uint64_t)count_at_least(lv, nfp, lambdas[i]);
            kept_tp = (uint64_t)count_at_least(lv + nfp, ntp, lambdas[i]);
        }
        conseco__metrics_fill((uint64_t)(nfp + ntp), kept_fp + kept_tp, kept_fp, kept_tp, tau,
                              &out[i]);
    }
    return CONSECO_OK;
}
