/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Outer sets and bands of custom shrinkers (docs/DESIGN.md 5.2), through the
 * version-2 vtable member outer_levels: p in O_mu <=> M(p) <= mu, with
 * O_lambda_min = Yhat.
 *
 * Score: with m the largest missed count FNR <= tau allows and l the
 * (m+1)-th largest outer level of the truth pixels outside Yhat (levels
 * > lambda_min), FNR_mu <= tau exactly when mu >= l; the score is the
 * smallest admissible mu >= l (lambda_min when at most m truth pixels lie
 * outside Yhat; +inf when l is +inf or beyond lambda_max). One selection.
 * A band takes max(inner score at tau, outer score at tau_outer) and needs
 * the inner level map too (vt.levels) for apply and evaluate, where the two
 * maps must agree on Yhat (else CONSECO_E_NOT_NESTED).
 *
 * Scratch: the custom inner scratch (a band scores the inner side first),
 * or two level maps of N doubles, whichever is larger.
 */
#include "kinds.h"

/* Bytes of `maps` levels per pixel: one map (outer) or two (band apply / evaluate). */
static size_t maps_bytes(size_t width, size_t height, size_t depth, size_t count)
{
    size_t n, bytes;
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n) ||
        !conseco__mul_size(n, count * sizeof(double), &bytes) ||
        !conseco__add_size(bytes, CONSECO__ALIGN_SLACK, &bytes))
        return 0;
    return bytes;
}

size_t conseco__custom_side_scratch_size(const conseco__shrinker *s, uint32_t side,
                                         int score_only, size_t width, size_t height,
                                         size_t depth)
{
    const size_t inner = conseco__custom_scratch_size(s, width, height, depth);
    const size_t maps_need = maps_bytes(width, height, depth, score_only ? 1u : 2u);
    (void)side;
    if (inner == 0 || maps_need == 0) return 0;
    return maps_need > inner ? maps_need : inner;
}

int conseco__custom_side_check(const conseco__shrinker *s, const conseco__side *side)
{
    if (s->vt.outer_levels == NULL) return CONSECO_E_UNSUPPORTED;
    if (side->side == CONSECO_SIDE_BAND && s->vt.levels == NULL) return CONSECO_E_UNSUPPORTED;
    return CONSECO_OK;
}

/* The level maps in scratch: outer (always), inner (band). */
static int maps(const conseco__shrinker *s, const conseco_image *pred, void *scratch,
                size_t scratch_size, int want_inner, double **outer, double **inner, size_t *n)
{
    const size_t need = maps_bytes(pred->width, pred->height, pred->depth, want_inner ? 2u : 1u);
    double *b;
    size_t i;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    *n = pred->width * pred->height * pred->depth;
    b = (double *)conseco__align16(scratch, &scratch_size);
    *outer = b;
    *inner = want_inner ? b + *n : NULL;
    if (s->vt.outer_levels(s->user, pred, *outer, *n) != 0) return CONSECO_E_CALLBACK;
    for (i = 0; i < *n; i++)
        if (conseco__is_nan((*outer)[i])) return CONSECO_E_CALLBACK;
    if (!want_inner) return CONSECO_OK;
    if (s->vt.levels(s->user, pred, *inner, *n) != 0) return CONSECO_E_CALLBACK;
    for (i = 0; i < *n; i++) {
        if (conseco__is_nan((*inner)[i])) return CONSECO_E_CALLBACK;
        /* both families start at Yhat */
        if (((*inner)[i] >= s->vt.lambda_min) != ((*outer)[i] <= s->vt.lambda_min))
            return CONSECO_E_NOT_NESTED;
    }
    return CONSECO_OK;
}

/* Smallest lambda of the domain at or above l (l > lambda_min); +inf past lambda_max. */
static double admissible_at_least(const conseco__shrinker *s, double l)
{
    double c = l;
    if (l == conseco__inf()) return l;
    if (s->vt.domain == CONSECO_DOMAIN_INTEGER) {
        if (!(l < CONSECO__INT_LIMIT)) return conseco__inf();
        c = (double)(int64_t)l; /* l > lambda_min >= -2^53: the cast is exact */
        if (c < l) c += 1.0;
    }
    if (c < s->vt.lambda_min) c = s->vt.lambda_min;
    return c > s->vt.lambda_max ? conseco__inf() : c;
}

static int outer_score(const conseco__shrinker *s, const conseco_image *pred,
                       const conseco_mask *truth, double tau, void *scratch,
                       size_t scratch_size, double *score)
{
    double *outer, *inner;
    size_t n, x, y, z, i = 0, k = 0;
    uint64_t ntruth = 0, m;
    int rc = maps(s, pred, scratch, scratch_size, 0, &outer, &inner, &n);
    if (rc != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < pred->width; x++, i++) {
                if (!t[x]) continue;
                ntruth++;
                if (outer[i] > s->vt.lambda_min) outer[k++] = outer[i]; /* k <= i */
            }
        }
    m = conseco__fp_budget(ntruth, tau);
    if ((uint64_t)k <= m) {
        *score = s->vt.lambda_min;
        return CONSECO_OK;
    }
    /* (m+1)-th largest = (k - m)-th smallest */
    *score = admissible_at_least(s, conseco__select(outer, k, k - (size_t)m));
    return CONSECO_OK;
}

int conseco__custom_side_score(const conseco__shrinker *s, const conseco__side *side,
                               const conseco_image *pred, const conseco_mask *truth, double tau,
                               void *scratch, size_t scratch_size, double *score)
{
    double inner = -conseco__inf(), outer;
    int rc;
    if (side->side == CONSECO_SIDE_BAND) {
        rc = conseco__custom_score(s, pred, truth, tau, scratch, scratch_size, &inner);
        if (rc != CONSECO_OK) return rc;
        if (inner == conseco__inf()) {
            *score = inner;
            return CONSECO_OK;
        }
        tau = side->tau_outer;
    }
    if ((rc = outer_score(s, pred, truth, tau, scratch, scratch_size, &outer)) != CONSECO_OK)
        return rc;
    *score = outer > inner ? outer : inner;
    return CONSECO_OK;
}

/* Outer levels for the risk guarantee: the callback's map as it is. */
int conseco__custom_outer_levels(const conseco__shrinker *s, const conseco__side *side,
                                 const conseco_image *pred, void *scratch, size_t scratch_size,
                                 double *levels, size_t n)
{
    size_t i;
    (void)side;
    (void)scratch;
    (void)scratch_size;
    if (s->vt.outer_levels == NULL) return CONSECO_E_UNSUPPORTED;
    if (s->vt.outer_levels(s->user, pred, levels, n) != 0) return CONSECO_E_CALLBACK;
    for (i = 0; i < n; i++)
        if (conseco__is_nan(levels[i])) return CONSECO_E_CALLBACK;
    return CONSECO_OK;
}

/* Membership at lambda (lambda below lambda_min reads as lambda_min). */
static int in_outer(const conseco__shrinker *s, double level, double mu)
{
    if (mu == conseco__inf()) return 1;
    return level <= (mu < s->vt.lambda_min ? s->vt.lambda_min : mu);
}

static int in_inner(const conseco__shrinker *s, const double *inner, const double *outer,
                    size_t i, double lambda)
{
    if (inner == NULL) /* outer side: Yhat (the outer map is always built) */
        return outer != NULL && outer[i] <= s->vt.lambda_min;
    if (lambda == conseco__inf()) return 0;
    return inner[i] >= s->vt.lambda_min && inner[i] >= lambda;
}

int conseco__custom_side_apply(const conseco__shrinker *s, const conseco__side *side,
                               const conseco_image *pred, double lambda, void *scratch,
                               size_t scratch_size, const conseco_mask_out *inner,
                               const conseco_mask_out *outer, const conseco_mask_out *band)
{
    double *om, *im;
    size_t n, x, y, z, i = 0;
    int rc = maps(s, pred, scratch, scratch_size, side->side == CONSECO_SIDE_BAND, &om, &im, &n);
    if (rc != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *oi = inner ? conseco__mask_out_row(inner, y, z) : NULL;
            uint8_t *oo = outer ? conseco__mask_out_row(outer, y, z) : NULL;
            uint8_t *ob = band ? conseco__mask_out_row(band, y, z) : NULL;
            for (x = 0; x < pred->width; x++, i++) {
                const int a = in_inner(s, im, om, i, lambda), b = in_outer(s, om[i], lambda);
                if (oi) oi[x] = (uint8_t)a;
                if (oo) oo[x] = (uint8_t)b;
                if (ob) ob[x] = (uint8_t)(b && !a);
            }
        }
    return CONSECO_OK;
}

int conseco__custom_side_evaluate(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, const conseco_mask *truth,
                                  double lambda, double tau, void *scratch, size_t scratch_size,
                                  conseco_side_metrics *out)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    double *om, *im;
    size_t n, x, y, z, i = 0;
    uint64_t predicted = 0, n_in = 0, n_fp = 0, n_tp = 0, n_truth = 0, n_out = 0, missed = 0;
    int rc = maps(s, pred, scratch, scratch_size, is_band, &om, &im, &n);
    if (rc != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < pred->width; x++, i++) {
                const int a = in_inner(s, im, om, i, lambda), b = in_outer(s, om[i], lambda);
                const int tr = t[x] != 0;
                predicted += (uint64_t)(om[i] <= s->vt.lambda_min);
                n_truth += (uint64_t)tr;
                n_out += (uint64_t)b;
                missed += (uint64_t)(tr && !b);
                if (a) {
                    n_in++;
                    if (tr) n_tp++;
                    else n_fp++;
                }
            }
        }
    CONSECO_memset(out, 0, sizeof *out);
    conseco__metrics_fill(predicted, n_in, n_fp, n_tp, is_band ? tau : 1.0, &out->inner);
    out->truth = n_truth;
    out->outer = n_out;
    out->outer_missed = missed;
    out->fnr = n_truth == 0 ? 0.0 : (double)missed / (double)n_truth;
    out->outer_ratio = predicted == 0 ? (n_out == 0 ? 1.0 : conseco__inf())
                                      : (double)n_out / (double)predicted;
    out->outer_valid = out->fnr <= (is_band ? side->tau_outer : tau);
    out->band_holds = out->outer_valid && (!is_band || out->inner.valid);
    return CONSECO_OK;
}
