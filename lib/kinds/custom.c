/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generic paths for custom shrinkers (docs/DESIGN.md section 2).
 *
 * Fast path (vt.levels): the score is an order statistic of the levels of
 * the false-positive pixels; apply is one comparison per pixel.
 * Black-box path (vt.apply only): the library searches lambda itself,
 * doubling then bisection on the integer domain, bisection over the sorted
 * breakpoints on the real domain. For a nested family both paths give the
 * same score.
 *
 * Scratch layout (one block, 16-byte aligned): N + 2 doubles (levels, or
 * breakpoints: every pixel's level plus lambda_min and lambda_max); the
 * black-box path adds N bytes for Yhat and N bytes for an inner set. With
 * levels, apply and evaluate read membership off the level map, so a custom
 * shrinker with levels needs one level map per image and nothing more.
 */
#include "kinds.h"

/* The integer domain stops at 2^53 (CONSECO__INT_LIMIT), so that every
 * lambda the library returns is the integer it stands for. */

typedef struct layout {
    double *values;  /* N levels, or up to N + 2 breakpoints */
    uint8_t *yhat;   /* black box only: I_lambda_min, dense 0/1 */
    uint8_t *inner;  /* black box only: I_lambda, dense 0/1 */
    size_t n;
} layout;

/* One double per pixel and two more; two bytes per pixel for the black box's masks. */
static int layout_bytes(size_t n, int masks, size_t *bytes)
{
    return conseco__mul_size(n, sizeof(double) + (masks ? 2u : 0u), bytes) &&
           conseco__add_size(*bytes, 2u * sizeof(double), bytes);
}

size_t conseco__custom_scratch_size(const conseco__shrinker *s, size_t width, size_t height,
                                    size_t depth)
{
    size_t n, bytes;
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n) ||
        !layout_bytes(n, s->vt.levels == NULL, &bytes) ||
        !conseco__add_size(bytes, CONSECO__ALIGN_SLACK, &bytes))
        return 0;
    return bytes;
}

static int layout_carve(const conseco__shrinker *s, void *scratch, size_t size, size_t n,
                        layout *out)
{
    const int masks = s->vt.levels == NULL;
    size_t need;
    unsigned char *p;
    if (!layout_bytes(n, masks, &need)) return CONSECO_E_OVERFLOW;
    if (scratch == NULL) return CONSECO_E_SCRATCH_TOO_SMALL;
    p = (unsigned char *)conseco__align16(scratch, &size);
    if (size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    out->values = (double *)(void *)p;
    out->yhat = masks ? p + sizeof(double) * (n + 2u) : NULL;
    out->inner = masks ? out->yhat + n : NULL;
    out->n = n;
    return CONSECO_OK;
}

/* floor() for |x| < 2^63 without libm: truncate, then step down for negative fractions. */
static double floor_small(double x)
{
    double t = (double)(int64_t)x;
    return t > x ? t - 1.0 : t;
}

/* --------------------------------------------------------------- levels */
static int fetch_levels(const conseco__shrinker *s, const conseco_image *pred, double *levels,
                        size_t n)
{
    size_t i;
    if (s->vt.levels(s->user, pred, levels, n) != 0) return CONSECO_E_CALLBACK;
    for (i = 0; i < n; i++)
        if (conseco__is_nan(levels[i])) return CONSECO_E_CALLBACK;
    return CONSECO_OK;
}

/* Smallest integer lambda of [lambda_min, min(lambda_max, 2^53)] strictly above l, or +inf. */
static double integer_above(double l, double lambda_min, double lambda_max)
{
    double c;
    if (!(l < CONSECO__INT_LIMIT)) return conseco__inf();
    c = floor_small(l) + 1.0; /* l >= lambda_min >= -2^53: the cast in floor_small is safe */
    if (c < lambda_min) c = lambda_min;
    if (c > lambda_max || c > CONSECO__INT_LIMIT) return conseco__inf();
    return c;
}

/* The contract's score from the level map. Yhat = {L >= lambda_min};
 * F_lambda <= tau  <=>  #{FP with L >= lambda} <= m  <=>  lambda > l, where
 * l is the (m+1)-th largest FP level. So the score is the smallest admissible
 * lambda strictly above l. */
static int levels_score(const conseco__shrinker *s, const conseco_image *pred,
                        const conseco_mask *truth, double tau, const layout *lay,
                        double *score)
{
    double *lv = lay->values;
    const double lmin = s->vt.lambda_min, lmax = s->vt.lambda_max;
    size_t i = 0, x, y, z, predicted = 0, fp = 0;
    uint64_t m;
    double l, best;
    int rc = fetch_levels(s, pred, lv, lay->n);
    if (rc != CONSECO_OK) return rc;
    /* Swap FP levels to the front; the array keeps every level for the
     * breakpoint pass below. */
    for (z = 0; z < truth->depth; z++)
        for (y = 0; y < truth->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < truth->width; x++, i++) {
                const double v = lv[i];
                if (!(v >= lmin)) continue;
                predicted++;
                if (t[x] == 0) {
                    lv[i] = lv[fp];
                    lv[fp++] = v;
                }
            }
        }
    m = conseco__fp_budget((uint64_t)predicted, tau);
    if ((uint64_t)fp <= m) {
        *score = lmin;
        return CONSECO_OK;
    }
    /* (m+1)-th largest of fp values = (fp-m)-th smallest; reorders lv[0..fp) only */
    l = conseco__select(lv, fp, fp - (size_t)m);
    if (s->vt.domain == CONSECO_DOMAIN_INTEGER) {
        *score = integer_above(l, lmin, lmax);
        return CONSECO_OK;
    }
    /* Real domain: smallest breakpoint of {L_p : p in Yhat, L_p <= lmax} U {lmax}
     * above l (lambda_min <= l never qualifies). */
    best = lmax > l ? lmax : conseco__inf();
    for (i = 0; i < lay->n; i++)
        if (lv[i] > l && lv[i] <= lmax && lv[i] < best) best = lv[i];
    *score = best;
    return CONSECO_OK;
}

/* ------------------------------------------------------------ black box */
/* Counts of one probed inner set. */
typedef struct probe {
    size_t kept;
    size_t kept_fp;
} probe;

typedef struct search {
    const conseco__shrinker *s;
    const conseco_image *pred;
    const conseco_mask *truth;
    const layout *lay;
    uint64_t budget; /* m: most FP pixels allowed by F <= tau */
} search;

/* Calls apply(lambda) into `dst` and makes it 0/1. */
static int call_apply(const conseco__shrinker *s, const conseco_image *pred, double lambda,
                      uint8_t *dst, size_t n)
{
    size_t i;
    if (s->vt.apply(s->user, pred, lambda, dst, n) != 0) return CONSECO_E_CALLBACK;
    for (i = 0; i < n; i++) dst[i] = dst[i] != 0;
    return CONSECO_OK;
}

/* Counts a dense set against the truth, checking that it lies inside Yhat. */
static int count_set(const search *sr, const uint8_t *set, probe *out)
{
    const conseco_mask *truth = sr->truth;
    const uint8_t *yhat = sr->lay->yhat;
    size_t i = 0, x, y, z;
    out->kept = 0;
    out->kept_fp = 0;
    for (z = 0; z < truth->depth; z++)
        for (y = 0; y < truth->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < truth->width; x++, i++) {
                if (!set[i]) continue;
                if (!yhat[i]) return CONSECO_E_NOT_NESTED;
                out->kept++;
                out->kept_fp += t[x] == 0;
            }
        }
    return CONSECO_OK;
}

/* I_lambda into lay->inner, then counted. */
static int probe_at(const search *sr, double lambda, probe *out)
{
    int rc = call_apply(sr->s, sr->pred, lambda, sr->lay->inner, sr->lay->n);
    return rc != CONSECO_OK ? rc : count_set(sr, sr->lay->inner, out);
}

static int passes(const search *sr, const probe *p) { return (uint64_t)p->kept_fp <= sr->budget; }

/* Cheap nestedness check: a probe between lo and hi must not grow past lo
 * nor shrink below hi (hi may be NULL while it is unknown). */
static int between(const probe *lo, const probe *mid, const probe *hi)
{
    if (mid->kept > lo->kept || mid->kept_fp > lo->kept_fp) return 0;
    if (hi != NULL && (mid->kept < hi->kept || mid->kept_fp < hi->kept_fp)) return 0;
    return 1;
}

/* Integer domain: lambda = lambda_min + j, j = 0 .. jmax. j = 0 is known to fail. */
static int search_integer(const search *sr, const probe *at_min, double *score)
{
    const double lmin = sr->s->vt.lambda_min, lmax = sr->s->vt.lambda_max;
    const int64_t base = (int64_t)lmin; /* integral, |lmin| <= 2^53 (checked at load) */
    const double top = lmax < CONSECO__INT_LIMIT ? floor_small(lmax) : CONSECO__INT_LIMIT;
    const uint64_t jmax = (uint64_t)((int64_t)top - base);
    uint64_t lo = 0, hi, step = 1;
    probe p_lo = *at_min, p_hi, p;
    int rc;
    if (jmax == 0) {
        *score = conseco__inf();
        return CONSECO_OK;
    }
    /* doubling: lambda_min + 1, + 2, + 4, ... until F <= tau or the range ends */
    for (;;) {
        const uint64_t j = step < jmax ? step : jmax;
        if ((rc = probe_at(sr, (double)(base + (int64_t)j), &p)) != CONSECO_OK) return rc;
        if (!between(&p_lo, &p, NULL)) return CONSECO_E_NOT_NESTED;
        if (passes(sr, &p)) {
            hi = j;
            p_hi = p;
            break;
        }
        if (j == jmax) {
            *score = conseco__inf();
            return CONSECO_OK;
        }
        lo = j;
        p_lo = p;
        step *= 2u;
    }
    /* bisection: lo fails, hi passes */
    while (hi - lo > 1u) {
        const uint64_t mid = lo + (hi - lo) / 2u;
        if ((rc = probe_at(sr, (double)(base + (int64_t)mid), &p)) != CONSECO_OK) return rc;
        if (!between(&p_lo, &p, &p_hi)) return CONSECO_E_NOT_NESTED;
        if (passes(sr, &p)) {
            hi = mid;
            p_hi = p;
        } else {
            lo = mid;
            p_lo = p;
        }
    }
    *score = (double)(base + (int64_t)hi);
    return CONSECO_OK;
}

/* Candidate i of the real domain: lambda_min, the k sorted breakpoints strictly
 * inside (lambda_min, lambda_max), then lambda_max. */
static double candidate(const double *sorted, size_t k, size_t i, double lmin, double lmax)
{
    if (i == 0) return lmin;
    return i <= k ? sorted[i - 1u] : lmax;
}

/* Real domain: bisection over the sorted candidates. Candidate 0 is known to fail. */
static int search_real(const search *sr, const probe *at_min, double *score)
{
    const conseco__shrinker *s = sr->s;
    const double lmin = s->vt.lambda_min, lmax = s->vt.lambda_max;
    double *bp = sr->lay->values;
    size_t count = 0, i, k = 0, lo = 0, hi;
    probe p_lo = *at_min, p_hi, p;
    int rc;
    if (s->vt.breakpoints(s->user, sr->pred, bp, sr->lay->n + 2u, &count) != 0 ||
        count > sr->lay->n + 2u)
        return CONSECO_E_CALLBACK;
    for (i = 0; i < count; i++) {
        const double v = bp[i];
        if (conseco__is_nan(v)) return CONSECO_E_CALLBACK;
        if (v > lmin && v < lmax) bp[k++] = v;
    }
    conseco__sort_doubles(bp, k);
    if (!(lmax > lmin)) {
        *score = conseco__inf();
        return CONSECO_OK;
    }
    hi = k + 1u;
    if (lmax == conseco__inf()) {
        /* lambda = +inf is the empty mask: it always passes */
        p_hi.kept = 0;
        p_hi.kept_fp = 0;
    } else {
        if ((rc = probe_at(sr, lmax, &p_hi)) != CONSECO_OK) return rc;
        if (!between(&p_lo, &p_hi, NULL)) return CONSECO_E_NOT_NESTED;
        if (!passes(sr, &p_hi)) {
            *score = conseco__inf();
            return CONSECO_OK;
        }
    }
    while (hi - lo > 1u) {
        const size_t mid = lo + (hi - lo) / 2u;
        if ((rc = probe_at(sr, candidate(bp, k, mid, lmin, lmax), &p)) != CONSECO_OK) return rc;
        if (!between(&p_lo, &p, &p_hi)) return CONSECO_E_NOT_NESTED;
        if (passes(sr, &p)) {
            hi = mid;
            p_hi = p;
        } else {
            lo = mid;
            p_lo = p;
        }
    }
    *score = candidate(bp, k, hi, lmin, lmax);
    return CONSECO_OK;
}

static int blackbox_score(const conseco__shrinker *s, const conseco_image *pred,
                          const conseco_mask *truth, double tau, const layout *lay,
                          double *score)
{
    search sr;
    probe at_min;
    int rc = call_apply(s, pred, s->vt.lambda_min, lay->yhat, lay->n);
    if (rc != CONSECO_OK) return rc;
    sr.s = s;
    sr.pred = pred;
    sr.truth = truth;
    sr.lay = lay;
    if ((rc = count_set(&sr, lay->yhat, &at_min)) != CONSECO_OK) return rc;
    sr.budget = conseco__fp_budget((uint64_t)at_min.kept, tau);
    if (passes(&sr, &at_min)) {
        *score = s->vt.lambda_min;
        return CONSECO_OK;
    }
    return s->vt.domain == CONSECO_DOMAIN_INTEGER ? search_integer(&sr, &at_min, score)
                                                  : search_real(&sr, &at_min, score);
}

int conseco__custom_score(const conseco__shrinker *s, const conseco_image *pred,
                          const conseco_mask *truth, double tau, void *scratch,
                          size_t scratch_size, double *score)
{
    layout lay;
    size_t n;
    int rc;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    if ((rc = layout_carve(s, scratch, scratch_size, n, &lay)) != CONSECO_OK) return rc;
    return s->vt.levels != NULL ? levels_score(s, pred, truth, tau, &lay, score)
                                : blackbox_score(s, pred, truth, tau, &lay, score);
}

/* ---------------------------------------------------- apply and evaluate */
/* Where pixel i stands at one lambda: bit 0 set if it is in Yhat, bit 1 if
 * it is in I_lambda. Read off the level map when there is one, otherwise off
 * the black box's dense masks. */
typedef struct membership {
    int dense;                        /* black box: read yhat and inner, not levels */
    const double *levels;             /* NULL on the black-box path */
    const uint8_t *yhat, *inner;      /* black box only */
    double lmin, lambda;
    int empty;                        /* lambda = +inf: I_lambda is empty */
} membership;

#define IN_YHAT 1u
#define IN_INNER 2u

static unsigned member_of(const membership *m, size_t i)
{
    if (!m->dense) {
        const double v = m->levels[i];
        const unsigned in_yhat = v >= m->lmin;
        return in_yhat | (unsigned)(in_yhat && !m->empty && v >= m->lambda) << 1;
    }
    return (unsigned)m->yhat[i] | (unsigned)m->inner[i] << 1;
}

/* Prepares membership at lambda: the level map, or dense Yhat and I_lambda
 * from the black box. lambda <= lambda_min gives Yhat; +inf the empty set. */
static int membership_at(const conseco__shrinker *s, const conseco_image *pred, double lambda,
                         const layout *lay, membership *m)
{
    const double lmin = s->vt.lambda_min;
    const int empty = lambda == conseco__inf();
    size_t i;
    int rc;
    m->dense = lay->yhat != NULL;
    m->levels = NULL;
    m->yhat = lay->yhat;
    m->inner = lay->inner;
    m->lmin = lmin;
    m->lambda = lambda;
    m->empty = empty;
    if (!m->dense) { /* layout_carve() left out the masks: there is a level map */
        if ((rc = fetch_levels(s, pred, lay->values, lay->n)) != CONSECO_OK) return rc;
        m->levels = lay->values;
        return CONSECO_OK;
    }
    if ((rc = call_apply(s, pred, lmin, lay->yhat, lay->n)) != CONSECO_OK) return rc;
    if (empty) {
        CONSECO_memset(lay->inner, 0, lay->n);
    } else if (lambda <= lmin) {
        CONSECO_memcpy(lay->inner, lay->yhat, lay->n);
    } else {
        if ((rc = call_apply(s, pred, lambda, lay->inner, lay->n)) != CONSECO_OK) return rc;
        for (i = 0; i < lay->n; i++)
            if (lay->inner[i] && !lay->yhat[i]) return CONSECO_E_NOT_NESTED;
    }
    return CONSECO_OK;
}

/* Writes one membership test per pixel into a strided output view:
 * (member & mask) == want. */
static void write_mask(const membership *m, unsigned mask, unsigned want,
                       const conseco_mask_out *out)
{
    size_t x, y, z, i = 0;
    for (z = 0; z < out->depth; z++)
        for (y = 0; y < out->height; y++) {
            uint8_t *row = conseco__mask_out_row(out, y, z);
            for (x = 0; x < out->width; x++, i++)
                row[x] = (uint8_t)((member_of(m, i) & mask) == want);
        }
}

int conseco__custom_apply(const conseco__shrinker *s, const conseco_image *pred, double lambda,
                          void *scratch, size_t scratch_size, const conseco_mask_out *inner,
                          const conseco_mask_out *uncertain)
{
    layout lay;
    membership m;
    size_t n;
    int rc;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    if ((rc = layout_carve(s, scratch, scratch_size, n, &lay)) != CONSECO_OK) return rc;
    if ((rc = membership_at(s, pred, lambda, &lay, &m)) != CONSECO_OK) return rc;
    if (inner != NULL) write_mask(&m, IN_INNER, IN_INNER, inner);
    /* U = Yhat \ I */
    if (uncertain != NULL) write_mask(&m, IN_YHAT | IN_INNER, IN_YHAT, uncertain);
    return CONSECO_OK;
}

int conseco__custom_evaluate(const conseco__shrinker *s, const conseco_image *pred,
                             const conseco_mask *truth, double lambda, double tau,
                             void *scratch, size_t scratch_size, conseco_image_metrics *out)
{
    layout lay;
    membership m;
    size_t n, i = 0, x, y, z;
    uint64_t predicted = 0, kept = 0, kept_fp = 0;
    int rc;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    if ((rc = layout_carve(s, scratch, scratch_size, n, &lay)) != CONSECO_OK) return rc;
    if ((rc = membership_at(s, pred, lambda, &lay, &m)) != CONSECO_OK) return rc;
    for (z = 0; z < truth->depth; z++)
        for (y = 0; y < truth->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < truth->width; x++, i++) {
                const unsigned member = member_of(&m, i);
                predicted += member & IN_YHAT;
                if (member & IN_INNER) {
                    kept++;
                    kept_fp += t[x] == 0;
                }
            }
        }
    conseco__metrics_fill(predicted, kept, kept_fp, kept - kept_fp, tau, out);
    return CONSECO_OK;
}

/* ----------------------------------------------------------- operations */
static int custom_load(const conseco_shrinker *in, conseco__shrinker *out)
{
    int rc;
    if ((rc = conseco__vtable_load(in->vtable, &out->vt)) != CONSECO_OK) return rc;
    out->user = in->user;
    out->ops = &conseco__custom_ops;
    if (conseco__custom_range_check(out->vt.domain, out->vt.lambda_min, out->vt.lambda_max) !=
        CONSECO_OK)
        return CONSECO_E_BAD_SHRINKER;
    if (out->vt.levels == NULL && out->vt.apply == NULL) return CONSECO_E_BAD_SHRINKER;
    /* the black-box search on a real domain needs the candidate lambdas */
    if (out->vt.levels == NULL && out->vt.domain == CONSECO_DOMAIN_REAL &&
        out->vt.breakpoints == NULL)
        return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

static int custom_levels(const conseco__shrinker *s, const conseco_image *pred, double *levels,
                         size_t n)
{
    if (s->vt.levels == NULL) return CONSECO_E_UNSUPPORTED; /* black box */
    return fetch_levels(s, pred, levels, n);
}

static void custom_params_save(const conseco__shrinker *s, conseco__saved_params *out)
{
    (void)s;
    CONSECO_memset(out, 0, sizeof *out);
}

static int custom_saved_check(const conseco__saved_params *p, uint32_t domain, double lambda_min,
                              double lambda_max, const char *name)
{
    if (p->element != 0 || p->border != 0 || p->base != 0 || p->top != 0)
        return CONSECO_E_CORRUPT;
    /* the same range and name rules as a custom vtable */
    if (conseco__custom_range_check(domain, lambda_min, lambda_max) != CONSECO_OK)
        return CONSECO_E_CORRUPT;
    return conseco__name_ok(name) ? CONSECO_OK : CONSECO_E_CORRUPT;
}

static void custom_params_info(const conseco__saved_params *p, conseco_state_info *info)
{
    (void)p;
    (void)info;
}

const conseco__ops conseco__custom_ops = {
    CONSECO_KIND_CUSTOM,
    NULL,
    0,
    custom_load,
    conseco__custom_scratch_size,
    conseco__custom_score,
    conseco__custom_apply,
    conseco__custom_evaluate,
    custom_levels,
    custom_params_save,
    custom_saved_check,
    custom_params_info,
    0, /* outer levels ascend with mu (custom_outer.c; needs vt.outer_levels) */
    conseco__custom_side_scratch_size,
    conseco__custom_side_check,
    conseco__custom_side_score,
    conseco__custom_side_apply,
    conseco__custom_side_evaluate,
    NULL,
    conseco__custom_outer_levels,
};
