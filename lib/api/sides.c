/* SPDX-License-Identifier: Apache-2.0 */
/* Experimental: outer sets and bands (docs/DESIGN.md section 5.2). Argument
 * checks, then one call through the kind's side ops; the inner side is the
 * plain score / apply / evaluate. */
#include "api.h"

void conseco_side_params_default(conseco_side_params *params)
{
    if (params == NULL) return;
    CONSECO_memset(params, 0, sizeof *params);
    params->struct_size = (uint32_t)sizeof *params;
    params->side = CONSECO_SIDE_INNER;
}

int conseco__side_from_params(const conseco_side_params *in, conseco__side *out)
{
    conseco_side_params p;
    if (in == NULL) return CONSECO_E_NULL;
    if (in->struct_size < sizeof p) return CONSECO_E_INVALID_ARG;
    CONSECO_memcpy(&p, in, sizeof p);
    if (p.side > CONSECO_SIDE_BAND) return CONSECO_E_INVALID_ARG;
    CONSECO_memset(out, 0, sizeof *out);
    out->side = p.side;
    out->tau_outer = p.side == CONSECO_SIDE_BAND ? p.tau_outer : 0.0;
    out->bottom = p.side == CONSECO_SIDE_OUTER ? p.bottom : 0.0;
    if (p.side == CONSECO_SIDE_BAND) return conseco__check_tau(p.tau_outer);
    if (p.side == CONSECO_SIDE_OUTER && !conseco__is_finite(p.bottom))
        return CONSECO_E_BAD_BOTTOM;
    return CONSECO_OK;
}

int conseco__side_supported(const conseco__shrinker *s, const conseco__side *side)
{
    if (side->side == CONSECO_SIDE_INNER) return CONSECO_OK;
    if (s->ops->side_score == NULL || s->ops->side_apply == NULL ||
        s->ops->side_evaluate == NULL || s->ops->side_scratch_size == NULL ||
        s->ops->side_check == NULL)
        return CONSECO_E_UNSUPPORTED;
    return s->ops->side_check(s, side);
}

size_t conseco__side_scratch(const conseco__shrinker *s, const conseco__side *side,
                             int score_only, size_t width, size_t height, size_t depth)
{
    size_t inner, n;
    if (width == 0 || height == 0 || depth == 0) return 0;
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n)) return 0;
    inner = s->ops->scratch_size(s, width, height, depth);
    if (side->side == CONSECO_SIDE_INNER || inner == 0) return inner;
    n = s->ops->side_scratch_size(s, side->side, score_only, width, height, depth);
    return n > inner || n == 0 ? n : inner;
}

size_t conseco_side_scratch_size(const conseco_shrinker *shrinker,
                                 const conseco_side_params *side, size_t width, size_t height,
                                 size_t depth)
{
    conseco__shrinker s;
    conseco__side sd;
    if (conseco__shrinker_load(shrinker, &s) != CONSECO_OK) return 0;
    if (conseco__side_from_params(side, &sd) != CONSECO_OK) return 0;
    if (conseco__side_supported(&s, &sd) != CONSECO_OK) return 0;
    return conseco__side_scratch(&s, &sd, 0, width, height, depth);
}

/* Shrinker, side and the pair, in that order. */
static int side_pair(const conseco_shrinker *shrinker, const conseco_side_params *side,
                     const conseco_image *pred, const conseco_mask *truth, conseco__shrinker *s,
                     conseco__side *sd)
{
    int rc;
    if ((rc = conseco__check_pair(shrinker, pred, truth, s)) != CONSECO_OK) return rc;
    if ((rc = conseco__side_from_params(side, sd)) != CONSECO_OK) return rc;
    return conseco__side_supported(s, sd);
}

int conseco_side_score(const conseco_shrinker *shrinker, const conseco_side_params *side,
                       const conseco_image *pred, const conseco_mask *truth, double tau,
                       void *scratch, size_t scratch_size, double *score)
{
    conseco__shrinker s;
    conseco__side sd;
    int rc;
    if (score == NULL) return CONSECO_E_NULL;
    if ((rc = side_pair(shrinker, side, pred, truth, &s, &sd)) != CONSECO_OK) return rc;
    if ((rc = conseco__check_tau(tau)) != CONSECO_OK) return rc;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    if (sd.side == CONSECO_SIDE_INNER)
        return s.ops->score(&s, pred, truth, tau, scratch, scratch_size, score);
    return s.ops->side_score(&s, &sd, pred, truth, tau, scratch, scratch_size, score);
}

static int out_check(const conseco_image *pred, const conseco_mask_out *m)
{
    size_t n;
    int rc;
    if (m == NULL) return CONSECO_OK;
    if ((rc = conseco__mask_out_check(m, &n)) != CONSECO_OK) return rc;
    return conseco__same_shape(pred->width, pred->height, pred->depth, m->width, m->height,
                               m->depth);
}

int conseco_side_apply(const conseco_shrinker *shrinker, const conseco_side_params *side,
                       const conseco_image *pred, double lambda, void *scratch,
                       size_t scratch_size, const conseco_mask_out *inner,
                       const conseco_mask_out *outer, const conseco_mask_out *band)
{
    conseco__shrinker s;
    conseco__side sd;
    size_t n;
    int rc;
    if (inner == NULL && outer == NULL && band == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__shrinker_load(shrinker, &s)) != CONSECO_OK) return rc;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    if ((rc = conseco__side_from_params(side, &sd)) != CONSECO_OK) return rc;
    if ((rc = conseco__side_supported(&s, &sd)) != CONSECO_OK) return rc;
    if ((rc = out_check(pred, inner)) != CONSECO_OK) return rc;
    if ((rc = out_check(pred, outer)) != CONSECO_OK) return rc;
    if ((rc = out_check(pred, band)) != CONSECO_OK) return rc;
    if (conseco__is_nan(lambda)) return CONSECO_E_BAD_LAMBDA;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    if (sd.side == CONSECO_SIDE_INNER) {
        if (outer != NULL) return CONSECO_E_INVALID_ARG;
        return s.ops->apply(&s, pred, lambda, scratch, scratch_size, inner, band);
    }
    return s.ops->side_apply(&s, &sd, pred, lambda, scratch, scratch_size, inner, outer, band);
}

int conseco_side_evaluate_lambdas(const conseco_shrinker *shrinker,
                                  const conseco_side_params *side, const conseco_image *pred,
                                  const conseco_mask *truth, const double *lambdas,
                                  size_t count, double tau, void *scratch, size_t scratch_size,
                                  conseco_side_metrics *out)
{
    conseco__shrinker s;
    conseco__side sd;
    size_t i;
    int rc;
    if ((rc = side_pair(shrinker, side, pred, truth, &s, &sd)) != CONSECO_OK) return rc;
    if ((rc = conseco__check_tau(tau)) != CONSECO_OK) return rc;
    if (count == 0) return CONSECO_OK;
    if (out == NULL || lambdas == NULL) return CONSECO_E_NULL;
    for (i = 0; i < count; i++)
        if (conseco__is_nan(lambdas[i])) return CONSECO_E_BAD_LAMBDA;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    if (sd.side != CONSECO_SIDE_INNER && s.ops->side_evaluate_many != NULL)
        return s.ops->side_evaluate_many(&s, &sd, pred, truth, lambdas, count, tau, scratch,
                                         scratch_size, out);
    for (i = 0; i < count; i++)
        if ((rc = conseco_side_evaluate(shrinker, side, pred, truth, lambdas[i], tau, scratch,
                                        scratch_size, &out[i])) != CONSECO_OK)
            return rc;
    return CONSECO_OK;
}

int conseco_side_evaluate(const conseco_shrinker *shrinker, const conseco_side_params *side,
                          const conseco_image *pred, const conseco_mask *truth, double lambda,
                          double tau, void *scratch, size_t scratch_size,
                          conseco_side_metrics *out)
{
    conseco__shrinker s;
    conseco__side sd;
    int rc;
    if (out == NULL) return CONSECO_E_NULL;
    if ((rc = side_pair(shrinker, side, pred, truth, &s, &sd)) != CONSECO_OK) return rc;
    if ((rc = conseco__check_tau(tau)) != CONSECO_OK) return rc;
    if (conseco__is_nan(lambda)) return CONSECO_E_BAD_LAMBDA;
    if (scratch == NULL && scratch_size != 0) return CONSECO_E_NULL;
    if (sd.side == CONSECO_SIDE_INNER) {
        conseco_side_metrics m;
        CONSECO_memset(&m, 0, sizeof m);
        rc = s.ops->evaluate(&s, pred, truth, lambda, tau, scratch, scratch_size, &m.inner);
        if (rc != CONSECO_OK) return rc;
        m.outer_valid = 1;
        m.band_holds = m.inner.valid;
        *out = m;
        return CONSECO_OK;
    }
    return s.ops->side_evaluate(&s, &sd, pred, truth, lambda, tau, scratch, scratch_size, out);
}
