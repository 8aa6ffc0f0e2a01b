/* SPDX-License-Identifier: Apache-2.0 */
/* Threshold shrinker (paper Eq. 1): Yhat = {s >= base}, I_lambda = {s >= lambda}.
 *
 * Score: with m the largest false-positive count allowed by F <= tau and l
 * the (m+1)-th largest false-positive score, F_lambda <= tau exactly when
 * lambda > l. The score is therefore the smallest breakpoint above l, where
 * the breakpoints are base, the scores in Yhat that are <= top, and top.
 * Integer maps find l with a histogram, float maps with an O(n) selection;
 * float32 and 8-bit maps, the usual model outputs, take the faster paths of
 * threshold_fast.c (same results). */
#include "kinds.h"
#include "common/yhat.h"
#include "threshold_fast.h"

/* Histogram sizes: 8-bit maps (u8 and MASK8) and 16-bit maps. */
#define BINS8 256u
#define BINS16 65536u

static size_t hist_bytes(size_t bins)
{
    /* a false-positive count per bin and a "some Yhat pixel has it" flag */
    return bins * (sizeof(size_t) + 1u);
}

/* Bytes the float (selection) path needs: one double per pixel, 0 on overflow. */
static size_t select_bytes(size_t w, size_t h, size_t d)
{
    size_t n, bytes;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n) ||
        !conseco__mul_size(n, sizeof(double), &bytes))
        return 0;
    return bytes;
}

/* 16-bit maps use the histogram only when it is not larger than the
 * selection buffer, so small images do not pay for 65536 bins. */
static int u16_uses_histogram(size_t select_size)
{
    return select_size >= hist_bytes(BINS16);
}

size_t conseco__threshold_scratch_size(size_t width, size_t height, size_t depth)
{
    size_t need = select_bytes(width, height, depth);
    if (need == 0) return 0;
    if (need < hist_bytes(BINS8)) need = hist_bytes(BINS8);
    return conseco__add_size(need, CONSECO__ALIGN_SLACK, &need) ? need : 0;
}

/* --------------------------------------------------------------- helpers */
/* Histogram bin of pixel x: MASK8 maps to the u8 bins 0 and 255 (1.0). */
static size_t bin_of(int dtype, const unsigned char *row, size_t x)
{
    switch (dtype) {
    case CONSECO_DTYPE_U16: return ((const uint16_t *)(const void *)row)[x];
    case CONSECO_DTYPE_MASK8: return row[x] ? 255u : 0u;
    default: return row[x];
    }
}

static double bin_score(int dtype, size_t bin)
{
    return dtype == CONSECO_DTYPE_U16 ? (double)bin / 65535.0 : (double)bin / 255.0;
}

static int is_float(int dtype)
{
    return dtype == CONSECO_DTYPE_F32 || dtype == CONSECO_DTYPE_F64;
}

/* The score once l is known: the smallest breakpoint strictly above l.
 * `above` is the smallest Yhat score in (l, top], +inf if none. */
static double smallest_breakpoint_above(double l, double above, double top)
{
    if (above <= top) return above; /* above <= top < inf: a pixel breakpoint */
    return top > l ? top : conseco__inf();
}

/* The row loops below take the dtype as a parameter and are called with a
 * constant, so each inlines into a loop specialised for one element type.
 * They are branch-free: truth masks and scores are noisy near the edges. */

/* ---------------------------------------------------------- integer maps */
static inline void hist_row(int dtype, const unsigned char *row, const uint8_t *t, size_t w,
                            size_t first_in, size_t *fp, unsigned char *seen, size_t *predicted)
{
    size_t x, count = 0;
    for (x = 0; x < w; x++) {
        const size_t b = bin_of(dtype, row, x);
        const size_t in = (size_t)(b >= first_in);
        count += in;
        fp[b] += in & (size_t)(t[x] == 0); /* counts <= pixel count: no overflow */
        seen[b] |= (unsigned char)in;
    }
    *predicted += count;
}

static int score_histogram(const conseco_threshold_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau, size_t bins, void *scratch,
                           double *score)
{
    size_t *fp = (size_t *)scratch;
    unsigned char *seen = (unsigned char *)scratch + bins * sizeof(size_t);
    size_t first_in; /* smallest bin with score >= base, bins if none */
    size_t predicted = 0, nfp = 0, acc = 0, b, y, z;
    uint64_t m;
    double l;

    /* scores rise with the bin, so Yhat is a range of bins (bins - 1 is the top value) */
    first_in = conseco__int_at_least(p->base, (uint32_t)(bins - 1u));
    CONSECO_memset(fp, 0, bins * sizeof(size_t));
    CONSECO_memset(seen, 0, bins);
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            const uint8_t *t = conseco__mask_row(truth, y, z);
            const size_t w = pred->width;
            switch (pred->dtype) {
            case CONSECO_DTYPE_U16:
                hist_row(CONSECO_DTYPE_U16, row, t, w, first_in, fp, seen, &predicted);
                break;
            case CONSECO_DTYPE_MASK8:
                hist_row(CONSECO_DTYPE_MASK8, row, t, w, first_in, fp, seen, &predicted);
                break;
            default: hist_row(CONSECO_DTYPE_U8, row, t, w, first_in, fp, seen, &predicted); break;
            }
        }
    for (b = first_in; b < bins; b++) nfp += fp[b];
    m = conseco__fp_budget((uint64_t)predicted, tau);
    if ((uint64_t)nfp <= m) {
        *score = p->base;
        return CONSECO_OK;
    }
    /* l = the (m+1)-th largest false-positive score; m < nfp fits size_t */
    for (b = bins; b-- > first_in;) {
        acc += fp[b];
        if ((uint64_t)acc > m) break;
    }
    l = bin_score(pred->dtype, b);
    for (b = b + 1; b < bins; b++)
        if (seen[b]) break;
    *score =
        smallest_breakpoint_above(l, b < bins ? bin_score(pred->dtype, b) : conseco__inf(), p->top);
    return CONSECO_OK;
}

/* ------------------------------------------------------------ float maps */
/* Appends the false-positive scores of a row to fp; 0 if a score is not finite. */
static inline int collect_row(int dtype, const unsigned char *row, const uint8_t *t, size_t w,
                              double base, double *fp, size_t *nfp, size_t *predicted)
{
    size_t x, k = *nfp, count = 0;
    int finite = 1;
    for (x = 0; x < w; x++) {
        const double s = conseco__pixel(dtype, row, x);
        const size_t in = (size_t)(s >= base); /* NaN is out, and caught below */
        if (is_float(dtype)) finite &= conseco__is_finite(s);
        count += in;
        fp[k] = s; /* k < pixels seen so far: always inside the buffer */
        k += in & (size_t)(t[x] == 0);
    }
    *nfp = k;
    *predicted += count;
    return finite;
}

/* Lowers *above to the smallest score of the row in (l, top]. */
static inline void min_above_row(int dtype, const unsigned char *row, size_t w, double l,
                                 double top, double *above)
{
    double best = *above;
    size_t x;
    for (x = 0; x < w; x++) {
        const double s = conseco__pixel(dtype, row, x);
        /* s > l implies s >= base: l is a Yhat score */
        if (s > l && s <= top && s < best) best = s;
    }
    *above = best;
}

static int score_select(const conseco_threshold_params *p, const conseco_image *pred,
                        const conseco_mask *truth, double tau, double *fp, double *score)
{
    const size_t w = pred->width;
    size_t predicted = 0, nfp = 0, y, z;
    double l, above = conseco__inf();
    uint64_t m;
    int finite = 1;

    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height && finite; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            const uint8_t *t = conseco__mask_row(truth, y, z);
            switch (pred->dtype) {
            case CONSECO_DTYPE_F32:
                finite = collect_row(CONSECO_DTYPE_F32, row, t, w, p->base, fp, &nfp, &predicted);
                break;
            case CONSECO_DTYPE_F64:
                finite = collect_row(CONSECO_DTYPE_F64, row, t, w, p->base, fp, &nfp, &predicted);
                break;
            default:
                finite = collect_row(CONSECO_DTYPE_U16, row, t, w, p->base, fp, &nfp, &predicted);
                break;
            }
        }
    if (!finite) return CONSECO_E_NONFINITE;
    m = conseco__fp_budget((uint64_t)predicted, tau);
    if ((uint64_t)nfp <= m) {
        *score = p->base;
        return CONSECO_OK;
    }
    /* (m+1)-th largest = (nfp - m)-th smallest */
    l = conseco__select(fp, nfp, nfp - (size_t)m);
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            switch (pred->dtype) {
            case CONSECO_DTYPE_F32:
                min_above_row(CONSECO_DTYPE_F32, row, w, l, p->top, &above);
                break;
            case CONSECO_DTYPE_F64:
                min_above_row(CONSECO_DTYPE_F64, row, w, l, p->top, &above);
                break;
            default: min_above_row(CONSECO_DTYPE_U16, row, w, l, p->top, &above); break;
            }
        }
    *score = smallest_breakpoint_above(l, above, p->top);
    return CONSECO_OK;
}

int conseco__threshold_score(const conseco_threshold_params *p, const conseco_image *pred,
                             const conseco_mask *truth, double tau, void *scratch,
                             size_t scratch_size, double *score)
{
    const size_t sel = select_bytes(pred->width, pred->height, pred->depth);
    const size_t need = conseco__threshold_scratch_size(pred->width, pred->height, pred->depth);
    void *work;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    /* float32 and 8-bit maps: threshold_fast.c, when its scratch fits in ours
     * (tiny images stay here); sel / 8 is the pixel count */
    if (conseco__threshold_fast_applies(p, pred)) {
        const size_t fast =
            conseco__threshold_fast_scratch_size(pred->dtype, pred->width, sel / sizeof(double));
        if (fast != 0 && fast <= need)
            return conseco__threshold_fast_score(p, pred, truth, tau, scratch, scratch_size,
                                                 score);
    }
    work = conseco__align16(scratch, &scratch_size);
    switch (pred->dtype) {
    case CONSECO_DTYPE_U8:
    case CONSECO_DTYPE_MASK8: return score_histogram(p, pred, truth, tau, BINS8, work, score);
    case CONSECO_DTYPE_U16:
        if (u16_uses_histogram(sel))
            return score_histogram(p, pred, truth, tau, BINS16, work, score);
        return score_select(p, pred, truth, tau, (double *)work, score);
    default: return score_select(p, pred, truth, tau, (double *)work, score);
    }
}

/* ----------------------------------------------------------------- apply */
static inline void apply_row(int dtype, const unsigned char *row, size_t w, double base,
                             double lambda, uint8_t *in, uint8_t *un)
{
    size_t x;
    for (x = 0; x < w; x++) {
        const double s = conseco__pixel(dtype, row, x);
        const int in_yhat = s >= base;
        /* lambda below base cannot add pixels outside Yhat */
        const int kept = in_yhat && s >= lambda;
        if (in) in[x] = (uint8_t)kept;
        if (un) un[x] = (uint8_t)(in_yhat && !kept);
    }
}

int conseco__threshold_apply(const conseco_threshold_params *p, const conseco_image *pred,
                             double lambda, const conseco_mask_out *inner,
                             const conseco_mask_out *uncertain)
{
    const size_t w = pred->width;
    const double base = p->base;
    size_t y, z;
    int rc;
    /* validate every pixel before writing anything */
    if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            uint8_t *in = inner ? conseco__mask_out_row(inner, y, z) : NULL;
            uint8_t *un = uncertain ? conseco__mask_out_row(uncertain, y, z) : NULL;
            switch (pred->dtype) {
            case CONSECO_DTYPE_U8: apply_row(CONSECO_DTYPE_U8, row, w, base, lambda, in, un); break;
            case CONSECO_DTYPE_U16:
                apply_row(CONSECO_DTYPE_U16, row, w, base, lambda, in, un);
                break;
            case CONSECO_DTYPE_F32:
                apply_row(CONSECO_DTYPE_F32, row, w, base, lambda, in, un);
                break;
            case CONSECO_DTYPE_F64:
                apply_row(CONSECO_DTYPE_F64, row, w, base, lambda, in, un);
                break;
            default: apply_row(CONSECO_DTYPE_MASK8, row, w, base, lambda, in, un); break;
            }
        }
    return CONSECO_OK;
}

int conseco__threshold_evaluate(const conseco_threshold_params *p, const conseco_image *pred,
                                const conseco_mask *truth, double lambda, double tau,
                                conseco_image_metrics *out)
{
    uint64_t predicted = 0, kept = 0, kept_fp = 0;
    size_t x, y, z;
    int rc;
    if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < pred->width; x++) {
                const double s = conseco__pixel(pred->dtype, row, x);
                const unsigned in_yhat = s >= p->base;
                const unsigned in = in_yhat & (s >= lambda);
                predicted += in_yhat;
                kept += in;
                kept_fp += in & (t[x] == 0);
            }
        }
    conseco__metrics_fill(predicted, kept, kept_fp, kept - kept_fp, tau, out);
    return CONSECO_OK;
}

/* ------------------------------------------------------ vtable callbacks */
/* Common checks of the callbacks: params, view, dense buffer size. */
static int cb_check(void *user, const conseco_image *pred, const void *buf, size_t count)
{
    size_t n;
    int rc;
    if (buf == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__threshold_params_check((const conseco_threshold_params *)user)) !=
        CONSECO_OK)
        return rc;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    if (count < n) return CONSECO_E_BUFFER_TOO_SMALL;
    return conseco__image_check_finite(pred);
}

int conseco__threshold_levels_cb(void *user, const conseco_image *pred, double *levels,
                                 size_t count)
{
    const conseco_threshold_params *p = (const conseco_threshold_params *)user;
    size_t i = 0, x, y, z;
    int rc;
    if ((rc = cb_check(user, pred, levels, count)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            for (x = 0; x < pred->width; x++) {
                const double s = conseco__pixel(pred->dtype, row, x);
                const int in = conseco__in_yhat(pred->dtype, row, x, p->base);
                levels[i++] = in ? s : -conseco__inf();
            }
        }
    return CONSECO_OK;
}

int conseco__threshold_apply_cb(void *user, const conseco_image *pred, double lambda,
                                uint8_t *inner, size_t count)
{
    const conseco_threshold_params *p = (const conseco_threshold_params *)user;
    size_t i = 0, x, y, z;
    int rc;
    if ((rc = cb_check(user, pred, inner, count)) != CONSECO_OK) return rc;
    if (conseco__is_nan(lambda)) return CONSECO_E_BAD_LAMBDA;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            for (x = 0; x < pred->width; x++) {
                const double s = conseco__pixel(pred->dtype, row, x);
                const int in = conseco__in_yhat(pred->dtype, row, x, p->base);
                inner[i++] = (uint8_t)(in && s >= lambda);
            }
        }
    return CONSECO_OK;
}

static size_t sort_unique(double *a, size_t n)
{
    size_t i, out;
    if (n < 2) return n;
    conseco__sort_doubles(a, n);
    for (out = 1, i = 1; i < n; i++)
        if (a[i] != a[out - 1u]) a[out++] = a[i];
    return out;
}

/* Is v in the sorted prefix a[0..n)? */
static int sorted_contains(const double *a, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2u;
        if (a[mid] < v)
            lo = mid + 1u;
        else
            hi = mid;
    }
    return lo < n && a[lo] == v;
}

/* The set B = {base} U {s in Yhat : s <= top} U {top}, sorted, without
 * duplicates. The buffer is compacted when it fills, so `capacity` only has
 * to hold the distinct breakpoints (at most pixel count + 2). */
int conseco__threshold_breakpoints_cb(void *user, const conseco_image *pred, double *out,
                                      size_t capacity, size_t *count)
{
    const conseco_threshold_params *p = (const conseco_threshold_params *)user;
    size_t n = 0, sorted = 0, x, y, z;
    int rc;
    if (count == NULL) return CONSECO_E_NULL;
    if ((rc = cb_check(user, pred, out, (size_t)-1)) != CONSECO_OK) return rc;
    if (capacity < (p->top != p->base ? 2u : 1u)) return CONSECO_E_BUFFER_TOO_SMALL;
    out[n++] = p->base;
    if (p->top != p->base) out[n++] = p->top;
    n = sorted = sort_unique(out, n);
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            for (x = 0; x < pred->width; x++) {
                const double s = conseco__pixel(pred->dtype, row, x);
                if (!(s >= p->base && s <= p->top)) continue;
                if (n > sorted && out[n - 1u] == s) continue; /* runs of equal pixels */
                if (sorted_contains(out, sorted, s)) continue;
                if (n == capacity) {
                    n = sorted = sort_unique(out, n);
                    if (sorted_contains(out, sorted, s)) continue; /* was in the tail */
                    if (n == capacity) return CONSECO_E_BUFFER_TOO_SMALL;
                }
                out[n++] = s;
            }
        }
    *count = sort_unique(out, n);
    return CONSECO_OK;
}

/* ------------------------------------------------- vtable, params, ops */
static const conseco_shrinker_vtable threshold_vt = {
    sizeof(conseco_shrinker_vtable),
    CONSECO_SHRINKER_VERSION,
    "threshold",
    CONSECO_DOMAIN_REAL,
    0,
    0.5, /* real range comes from the params; these are the defaults */
    1.0,
    conseco__threshold_levels_cb,
    conseco__threshold_apply_cb,
    conseco__threshold_breakpoints_cb,
    NULL,
    NULL, /* the outer family (lowering) goes through the ops table */
};

const conseco_shrinker_vtable *conseco_threshold_vtable(void) { return &threshold_vt; }

void conseco_threshold_params_default(conseco_threshold_params *p)
{
    if (p == NULL) return;
    CONSECO_memset(p, 0, sizeof *p);
    p->struct_size = (uint32_t)sizeof *p;
    p->base = 0.5;
    p->top = 1.0;
}

conseco_shrinker conseco_shrinker_threshold(conseco_threshold_params *params)
{
    conseco_shrinker s;
    s.vtable = &threshold_vt;
    s.user = params;
    return s;
}

int conseco__threshold_params_check(const conseco_threshold_params *p)
{
    if (p == NULL) return CONSECO_E_NULL;
    /* the 0.2 layout at least (later members are appended; we read ours) */
    if (p->struct_size < sizeof *p || p->reserved != 0) return CONSECO_E_BAD_SHRINKER;
    if (!conseco__is_finite(p->base) || !conseco__is_finite(p->top) || p->base > p->top)
        return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

static const conseco_threshold_params *params_of(const conseco__shrinker *s)
{
    return (const conseco_threshold_params *)s->user;
}

static int op_load(const conseco_shrinker *in, conseco__shrinker *out)
{
    const conseco_threshold_params *p = (const conseco_threshold_params *)in->user;
    int rc = conseco__threshold_params_check(p);
    if (rc != CONSECO_OK) return rc;
    out->vt = threshold_vt;
    out->vt.lambda_min = p->base;
    out->vt.lambda_max = p->top;
    out->user = in->user;
    out->ops = &conseco__threshold_ops;
    return CONSECO_OK;
}

static size_t op_scratch_size(const conseco__shrinker *s, size_t width, size_t height,
                              size_t depth)
{
    (void)s;
    return conseco__threshold_scratch_size(width, height, depth);
}

static int op_score(const conseco__shrinker *s, const conseco_image *pred,
                    const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                    double *score)
{
    return conseco__threshold_score(params_of(s), pred, truth, tau, scratch, scratch_size, score);
}

static int op_apply(const conseco__shrinker *s, const conseco_image *pred, double lambda,
                    void *scratch, size_t scratch_size, const conseco_mask_out *inner,
                    const conseco_mask_out *uncertain)
{
    (void)scratch;
    (void)scratch_size;
    return conseco__threshold_apply(params_of(s), pred, lambda, inner, uncertain);
}

static int op_evaluate(const conseco__shrinker *s, const conseco_image *pred,
                       const conseco_mask *truth, double lambda, double tau, void *scratch,
                       size_t scratch_size, conseco_image_metrics *out)
{
    (void)scratch;
    (void)scratch_size;
    return conseco__threshold_evaluate(params_of(s), pred, truth, lambda, tau, out);
}

static int op_levels(const conseco__shrinker *s, const conseco_image *pred, double *levels,
                     size_t n)
{
    return conseco__threshold_levels_cb(s->user, pred, levels, n);
}

static void op_params_save(const conseco__shrinker *s, conseco__saved_params *out)
{
    CONSECO_memset(out, 0, sizeof *out);
    out->base = conseco__double_bits(params_of(s)->base);
    out->top = conseco__double_bits(params_of(s)->top);
}

static int op_saved_check(const conseco__saved_params *p, uint32_t domain, double lambda_min,
                          double lambda_max, const char *name)
{
    conseco_threshold_params tp;
    conseco_shrinker pub;
    conseco__shrinker sh;
    if (p->element != 0 || p->border != 0) return CONSECO_E_CORRUPT;
    conseco_threshold_params_default(&tp);
    tp.base = conseco__bits_double(p->base);
    tp.top = conseco__bits_double(p->top);
    pub = conseco_shrinker_threshold(&tp);
    if (op_load(&pub, &sh) != CONSECO_OK) return CONSECO_E_CORRUPT;
    return conseco__builtin_saved_match(&sh.vt, domain, lambda_min, lambda_max, name);
}

static void op_params_info(const conseco__saved_params *p, conseco_state_info *info)
{
    conseco_threshold_params_default(&info->threshold);
    info->threshold.base = conseco__bits_double(p->base);
    info->threshold.top = conseco__bits_double(p->top);
}

const conseco__ops conseco__threshold_ops = {
    CONSECO_KIND_THRESHOLD,
    &threshold_vt,
    sizeof(conseco_threshold_params),
    op_load,
    op_scratch_size,
    op_score,
    op_apply,
    op_evaluate,
    op_levels,
    op_params_save,
    op_saved_check,
    op_params_info,
    1, /* outer scores: thresholds (k-th largest) */
    conseco__threshold_side_scratch_size,
    conseco__threshold_side_check,
    conseco__threshold_side_score,
    conseco__threshold_side_apply,
    conseco__threshold_side_evaluate,
    NULL, /* per lambda: one pass each, no level map to reuse */
    conseco__threshold_outer_levels,
};
