/* SPDX-License-Identifier: Apache-2.0 */
/* The risk guarantee's calibrator (docs/DESIGN.md 5.3): instead of scores it
 * keeps the summed loss curve of its calibration images, as ascending keys
 * lambda with the exact summed drop D there; the summed loss at lambda is
 * the sum of D over the keys >= lambda.
 *
 * Every change (add, batch, merge, load) builds the new curve into `spare`
 * by one merge from the largest key down and then swaps the two arrays, so a
 * failure leaves the calibrator as it was. Sums are exact (api/risk.c): the
 * curve does not depend on the order of images or merges. */
#include "calibrator_impl.h"

/* --------------------------------------------------------------- memory */
static int alloc_keys(conseco_calibrator *c, size_t cap, conseco__curve_key **out)
{
    size_t bytes;
    void *p;
    if (!conseco__mul_size(cap, sizeof(conseco__curve_key), &bytes)) return CONSECO_E_OVERFLOW;
    p = c->alloc.alloc(c->alloc.opaque, bytes);
    if (p == NULL) return CONSECO_E_NO_MEMORY;
    if ((uintptr_t)p % 8u != 0) {
        c->alloc.free(c->alloc.opaque, p);
        return CONSECO_E_MISALIGNED;
    }
    *out = (conseco__curve_key *)p;
    return CONSECO_OK;
}

int conseco__risk_reserve(conseco_calibrator *c, size_t total, size_t keep_spare)
{
    conseco__curve_key *k, *s;
    size_t cap;
    int rc;
    if (total <= c->key_capacity) return CONSECO_OK;
    if (c->is_static) return CONSECO_E_FULL;
    cap = c->key_capacity < 16u ? 16u : c->key_capacity;
    while (cap < total && cap <= (size_t)-1 / 4u) cap *= 2u;
    if (cap < total) cap = total;
    if ((rc = alloc_keys(c, cap, &k)) != CONSECO_OK) return rc;
    if ((rc = alloc_keys(c, cap, &s)) != CONSECO_OK) {
        c->alloc.free(c->alloc.opaque, k);
        return rc;
    }
    if (c->nkeys != 0) CONSECO_memcpy(k, c->keys, c->nkeys * sizeof *k);
    if (keep_spare != 0) CONSECO_memcpy(s, c->spare, keep_spare * sizeof *s);
    if (c->keys != NULL) c->alloc.free(c->alloc.opaque, c->keys);
    if (c->spare != NULL) c->alloc.free(c->alloc.opaque, c->spare);
    c->keys = k;
    c->spare = s;
    c->key_capacity = cap;
    return CONSECO_OK;
}

/* ------------------------------------------------- a curve, largest first */
/* Either an image's curve (a walk) or a stored curve (an array). */
typedef struct desc_source {
    conseco__curve_walk walk;
    const conseco__image_curve *image;
    const conseco__curve_key *arr;
    size_t left;
    int has;
    double key;
    conseco__fix drop;
} desc_source;

static void source_next(desc_source *s)
{
    if (s->image != NULL) {
        s->has = conseco__curve_walk_next(&s->walk, &s->key, &s->drop);
    } else if (s->left != 0) {
        s->left--;
        s->key = s->arr[s->left].lambda;
        s->drop = s->arr[s->left].drop;
        s->has = 1;
    } else {
        s->has = 0;
    }
}

static void source_image(desc_source *s, const conseco__image_curve *image)
{
    CONSECO_memset(s, 0, sizeof *s);
    s->image = image;
    conseco__curve_walk_start(image, &s->walk);
    source_next(s);
}

static void source_array(desc_source *s, const conseco__curve_key *arr, size_t n)
{
    CONSECO_memset(s, 0, sizeof *s);
    s->arr = arr;
    s->left = n;
    source_next(s);
}

/* Keys of base[0..nb) united with the source's. */
static size_t union_size(const conseco__curve_key *base, size_t nb, desc_source *s)
{
    size_t i = nb, u = nb;
    while (s->has) {
        while (i != 0 && base[i - 1].lambda > s->key) i--;
        if (i == 0 || base[i - 1].lambda != s->key) u++;
        source_next(s);
    }
    return u;
}

/* out[0..u) = base[0..nb) + source, merged from the largest key down. out
 * may be base itself: the write index never falls below the read index. */
static void merge_down(const conseco__curve_key *base, size_t nb, desc_source *s,
                       conseco__curve_key *out, size_t u)
{
    size_t i = nb, w = u;
    while (w != 0) {
        conseco__curve_key k;
        if (s->has && (i == 0 || s->key > base[i - 1].lambda)) {
            k.lambda = s->key;
            k.drop = s->drop;
            source_next(s);
        } else if (s->has && s->key == base[i - 1].lambda) {
            k = base[--i];
            conseco__fix_add(&k.drop, &s->drop);
            source_next(s);
        } else {
            k = base[--i];
        }
        out[--w] = k;
    }
}

/* ------------------------------------------------------------- images */
/* Scratch for one image of n pixels (static: sized for its largest shape). */
static int curve_scratch(conseco_calibrator *c, const conseco_image *pred)
{
    const size_t need = conseco__risk_scratch(&c->sh, &c->side, pred->width, pred->height,
                                              pred->depth);
    void *p;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (need <= c->scratch_size) return CONSECO_OK;
    if (c->is_static) return CONSECO_E_TOO_LARGE;
    p = c->alloc.alloc(c->alloc.opaque, need);
    if (p == NULL) return CONSECO_E_NO_MEMORY;
    if (c->scratch != NULL) c->alloc.free(c->alloc.opaque, c->scratch);
    c->scratch = (unsigned char *)p;
    c->scratch_size = need;
    return CONSECO_OK;
}

/* The checks of conseco_calibrator_add(), in its order. */
int conseco__risk_check_pair(const conseco_calibrator *c, const conseco_image *pred,
                             const conseco_mask *truth, size_t *n)
{
    size_t n_truth;
    int rc;
    if ((rc = conseco__image_check(pred, n)) != CONSECO_OK) return rc;
    if ((rc = conseco__mask_check(truth, &n_truth)) != CONSECO_OK) return rc;
    if ((rc = conseco__same_shape(pred->width, pred->height, pred->depth, truth->width,
                                  truth->height, truth->depth)) != CONSECO_OK)
        return rc;
    if (c->is_static && (pred->width > c->max_width || pred->height > c->max_height ||
                         pred->depth > c->max_depth))
        return CONSECO_E_TOO_LARGE;
    return CONSECO_OK;
}

/* Adds one image's curve to the curve base[0..nb) into c->spare (base may be
 * c->spare itself); *nspare receives the new key count. */
static int add_one(conseco_calibrator *c, const conseco__curve_key *base_in, size_t nb,
                   const conseco_image *pred, const conseco_mask *truth, size_t *nspare,
                   double *loss_out)
{
    conseco__image_curve curve;
    desc_source s;
    size_t n, u;
    int rc;
    const int in_place = base_in == c->spare;
    if ((rc = conseco__risk_check_pair(c, pred, truth, &n)) != CONSECO_OK) return rc;
    if ((rc = curve_scratch(c, pred)) != CONSECO_OK) return rc;
    rc = conseco__risk_curve_build(&c->sh, &c->side, pred, truth, c->scratch, c->scratch_size,
                                   &curve);
    if (rc != CONSECO_OK) return rc;
    source_image(&s, &curve);
    u = union_size(base_in, nb, &s);
    /* growing moves the arrays: keep the in-progress spare */
    if ((rc = conseco__risk_reserve(c, u, in_place ? nb : 0)) != CONSECO_OK) return rc;
    source_image(&s, &curve);
    merge_down(in_place ? c->spare : c->keys, nb, &s, c->spare, u);
    *nspare = u;
    if (loss_out != NULL) {
        /* the image's loss at lambda_min: AFP of Yhat (outer: FNR of Yhat) */
        *loss_out = curve.yhat == 0 ? 0.0 : (double)curve.total_fp / (double)curve.yhat;
    }
    return CONSECO_OK;
}

/* Batches on threads (batch.c): the committed curve copied into the spare,
 * then each image merged into the spare in place. */
int conseco__risk_spare_begin(conseco_calibrator *c)
{
    int rc = conseco__risk_reserve(c, c->nkeys, 0);
    if (rc != CONSECO_OK) return rc;
    if (c->nkeys != 0) CONSECO_memcpy(c->spare, c->keys, c->nkeys * sizeof *c->spare);
    return CONSECO_OK;
}

int conseco__risk_spare_merge(conseco_calibrator *c, const conseco__image_curve *curve,
                              size_t *nspare)
{
    desc_source s;
    size_t u;
    int rc;
    source_image(&s, curve);
    u = union_size(c->spare, *nspare, &s);
    if ((rc = conseco__risk_reserve(c, u, *nspare)) != CONSECO_OK) return rc;
    source_image(&s, curve);
    merge_down(c->spare, *nspare, &s, c->spare, u);
    *nspare = u;
    return CONSECO_OK;
}

static void commit(conseco_calibrator *c, size_t nspare, size_t images)
{
    conseco__risk_commit(c, nspare, images);
}

void conseco__risk_commit(conseco_calibrator *c, size_t nspare, size_t images)
{
    conseco__curve_key *t = c->keys;
    c->keys = c->spare;
    c->spare = t;
    c->nkeys = nspare;
    c->count += images;
}

int conseco__risk_add(conseco_calibrator *c, const conseco_image *pred,
                      const conseco_mask *truth, double *loss_out)
{
    size_t total, nspare;
    double loss;
    int rc;
    if (!conseco__add_size(c->count, 1u, &total)) return CONSECO_E_OVERFLOW;
    rc = add_one(c, c->keys, c->nkeys, pred, truth, &nspare, &loss);
    if (rc != CONSECO_OK) return rc;
    commit(c, nspare, 1u);
    if (loss_out != NULL) *loss_out = loss;
    return CONSECO_OK;
}

int conseco__risk_add_batch(conseco_calibrator *c, const conseco_image *preds,
                            const conseco_mask *truths, size_t count, double *loss_out)
{
    size_t total, i, n, nspare = 0;
    int rc;
    if (!conseco__add_size(c->count, count, &total)) return CONSECO_E_OVERFLOW;
    /* the views first, so the lowest failing index is reported */
    for (i = 0; i < count; i++)
        if ((rc = conseco__risk_check_pair(c, &preds[i], &truths[i], &n)) != CONSECO_OK) return rc;
    for (i = 0; i < count; i++) {
        double loss;
        if (i == 0)
            rc = add_one(c, c->keys, c->nkeys, &preds[i], &truths[i], &nspare, &loss);
        else
            rc = add_one(c, c->spare, nspare, &preds[i], &truths[i], &nspare, &loss);
        if (rc != CONSECO_OK) return rc; /* keys untouched: nothing was added */
        if (loss_out != NULL) loss_out[i] = loss;
    }
    commit(c, nspare, count);
    return CONSECO_OK;
}

int conseco__risk_merge(conseco_calibrator *dst, const conseco_calibrator *src)
{
    desc_source s;
    size_t total, u;
    int rc;
    if (!conseco__add_size(dst->count, src->count, &total)) return CONSECO_E_OVERFLOW;
    source_array(&s, src->keys, src->nkeys);
    u = union_size(dst->keys, dst->nkeys, &s);
    if ((rc = conseco__risk_reserve(dst, u, 0)) != CONSECO_OK) return rc;
    /* read src->keys only now: when src == dst they may just have moved */
    source_array(&s, src->keys, src->nkeys);
    merge_down(dst->keys, dst->nkeys, &s, dst->spare, u);
    commit(dst, u, src->count);
    return CONSECO_OK;
}

/* ------------------------------------------------------------ decisions */
int conseco__risk_lambda_hat(const conseco_calibrator *c, double alpha, double *lambda_hat)
{
    conseco__risk_bound b;
    conseco__fix sum = {{0, 0, 0}};
    size_t j;
    int rc;
    if ((rc = conseco__risk_bound_init(alpha, (uint64_t)c->count, &b)) != CONSECO_OK) return rc;
    if (c->count == 0 || c->nkeys == 0) {
        /* no image: 1/(n+1) = 1 > alpha, only the empty mask (outer: the whole
         * image; threshold lowering says so with -inf) */
        *lambda_hat = c->side.side == CONSECO_SIDE_OUTER && c->descending ? -conseco__inf()
                                                                         : conseco__inf();
        return CONSECO_OK;
    }
    /* from the largest key down, the summed loss only grows: find the
     * largest key where the condition fails; the answer is the next candidate */
    for (j = c->nkeys; j != 0; j--) {
        conseco__fix_add(&sum, &c->keys[j - 1].drop);
        if (!conseco__risk_pass(&b, &sum)) break;
    }
    if (j == 0) {
        /* passes at lambda_min: Yhat itself (lowering: t = base) */
        *lambda_hat = c->keys[0].lambda;
        if (c->side.side == CONSECO_SIDE_OUTER && c->descending) *lambda_hat = 0.0 - *lambda_hat;
        return CONSECO_OK;
    }
    if (c->side.side == CONSECO_SIDE_OUTER) {
        /* FNR: keys[j - 1] is the largest mu that fails; the answer is the
         * next candidate above it (a truth pixel's level: it is then kept) */
        conseco__outer_range r;
        const conseco__fix zero = {{0, 0, 0}};
        const double k = c->keys[j - 1].lambda;
        double mu;
        conseco__outer_range_of(&c->sh, &c->side, &r);
        if (j == c->nkeys && !conseco__risk_pass(&b, &zero))
            mu = conseco__inf();
        else if (r.integer)
            mu = conseco__integer_after(k, r.hi);
        else
            mu = k < r.hi ? conseco__next_up(k) : conseco__inf();
        /* lowering: the threshold t = -mu (+inf: -inf, every pixel) */
        *lambda_hat = r.negated ? 0.0 - mu : mu;
        return CONSECO_OK;
    }
    /* keys[j - 1] fails */
    if (c->sh.vt.domain == CONSECO_DOMAIN_INTEGER) {
        /* the next integer has the summed loss of keys[j] (passed), or 0
         * above the largest key, where 1/(n+1) <= alpha may still fail */
        const conseco__fix zero = {{0, 0, 0}};
        if (j == c->nkeys && !conseco__risk_pass(&b, &zero))
            *lambda_hat = conseco__inf();
        else
            *lambda_hat = conseco__integer_after(c->keys[j - 1].lambda, c->sh.vt.lambda_max);
    }
    else
        *lambda_hat = j < c->nkeys ? c->keys[j].lambda : conseco__inf();
    return CONSECO_OK;
}

int conseco_calibrator_risk(const conseco_calibrator *c, double lambda, double *risk)
{
    conseco__fix sum = {{0, 0, 0}};
    size_t j;
    if (c == NULL || risk == NULL) return CONSECO_E_NULL;
    if (c->guarantee != CONSECO_GUARANTEE_RISK) return CONSECO_E_UNSUPPORTED;
    if (conseco__is_nan(lambda)) return CONSECO_E_BAD_LAMBDA;
    if (c->side.side == CONSECO_SIDE_OUTER) {
        /* FNR at mu = the drops of the keys >= mu (integer: mu read as
         * floor(mu), as dilation reads it); lowering: mu = -t */
        conseco__outer_range r;
        conseco__outer_range_of(&c->sh, &c->side, &r);
        if (r.negated) lambda = 0.0 - lambda;
        if (r.integer && lambda > -4503599627370496.0 && lambda < 4503599627370496.0) {
            const double t = (double)(int64_t)lambda;
            lambda = t > lambda ? t - 1.0 : t;
        }
    }
    if (c->count == 0 || lambda == conseco__inf()) {
        *risk = 0.0;
        return CONSECO_OK;
    }
    for (j = c->nkeys; j != 0 && c->keys[j - 1].lambda >= lambda; j--)
        conseco__fix_add(&sum, &c->keys[j - 1].drop);
    *risk = conseco__fix_to_double(&sum) / (double)c->count;
    return CONSECO_OK;
}

int conseco__risk_curve_check(void (*get)(const void *ctx, size_t j, conseco__curve_key *out),
                              const void *ctx, size_t m, uint64_t n, uint32_t domain,
                              double lambda_min, double lambda_max)
{
    conseco__fix sum = {{0, 0, 0}};
    conseco__curve_key key;
    double first = lambda_min, prev = 0.0;
    size_t j;
    if ((n == 0) != (m == 0)) return CONSECO_E_CORRUPT;
    for (j = 0; j < m; j++) {
        double k;
        get(ctx, j, &key);
        k = key.lambda;
        if (j == 0) first = k;
        if (k != k || k < lambda_min || k > lambda_max) return CONSECO_E_CORRUPT;
        if (j != 0 && !(prev < k)) return CONSECO_E_CORRUPT;
        prev = k;
        if (domain == CONSECO_DOMAIN_INTEGER && k > -4503599627370496.0 &&
            k < 4503599627370496.0 && !conseco__is_exact_integer(k))
            return CONSECO_E_CORRUPT;
        if (k == 0.0 && conseco__double_bits(k) != 0) return CONSECO_E_CORRUPT; /* -0 */
        /* each image's loss is at most 1: the summed loss at most n */
        {
            conseco__fix room = {{0, 0, n}};
            conseco__fix_sub(&room, &sum);
            if (conseco__fix_cmp(&key.drop, &room) > 0) return CONSECO_E_CORRUPT;
        }
        conseco__fix_add(&sum, &key.drop);
    }
    if (first != lambda_min) return CONSECO_E_CORRUPT;
    return CONSECO_OK;
}
