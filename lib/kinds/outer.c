/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Outer sets and the band of the built-in kinds (docs/DESIGN.md section 5.2).
 *
 * Dilation (erosion params): mu dilations by the cross (square) add exactly
 * the pixels within city-block (chessboard) distance mu of Yhat, one dilation
 * by the disk (ball) of radius mu those within Euclidean distance mu; inside
 * the image these are the plain distances (the image is a box, so the
 * geodesic and the free distance agree). So every pixel has an outer level
 *     M = d          (cross, square; d the distance to the nearest Yhat pixel)
 *     M = ceil(sqrt(D2)) = isqrt(D2 - 1) + 1  (disk; D2 the squared distance)
 * with p in O_mu <=> M(p) <= mu. With m the largest missed count FNR <= tau
 * allows, the score is the (m+1)-th largest level of the truth pixels (0 if
 * at most m of them lie outside Yhat): one distance transform on the bounding
 * box of Yhat and Y (nothing outside it is needed: the nearest Yhat pixel of a
 * box cell is in the box) and a histogram of integer levels.
 * An element whose levels are real (ball in millimetres, element 4) plugs in
 * as another `outer level of a truth pixel` and the same order statistic.
 *
 * Threshold lowering (threshold params): O_t = {s >= t}. A truth pixel with
 * s >= base is never missed; with v the (m+1)-th smallest truth score below
 * base, FNR <= tau exactly when t <= v, so the score is v (a breakpoint:
 * a score in [bottom, base)), base when at most m truth pixels are below
 * base, and -inf when v < bottom. One O(N) selection.
 *
 * Bands: erosion + dilation by the same element give max(erosion score,
 * dilation score). The threshold offset I = {s >= base + l}, O = {s >= base - l}
 * (l >= 0 over B = {0} U {|s_p - base|}, additions in double as written): with
 * f the (m_in+1)-th largest false-positive score and v the (m_out+1)-th
 * smallest truth score below base, the inner side holds iff base + l > f and
 * the outer side iff base - l <= v; both are monotone in l, so the joint
 * score is the smallest breakpoint l satisfying both, found in one pass.
 */
#include "distance.h"
#include "distance_mm.h"
#include "distance_mm_pair.h"
#include "outer_euclid.h"
#include "outer_fast2d.h"
#include "outer_fast3d.h"
#include "common/yhat.h"

/* ------------------------------------------------------------- helpers */
#define TH_BINS 256u /* histogram bins of 8-bit maps (threshold sides) */

static int metric_of(uint32_t element)
{
    if (element == CONSECO_ELEMENT_SQUARE) return CONSECO__METRIC_LINF;
    if (element == CONSECO_ELEMENT_DISK) return CONSECO__METRIC_L2SQ;
    return CONSECO__METRIC_L1;
}


/* Outer level of a cell at distance d (finite) from Yhat. */
static uint32_t outer_level(int metric, uint32_t d)
{
    if (metric == CONSECO__METRIC_L2SQ) return d == 0 ? 0 : conseco__isqrt32(d - 1) + 1;
    return d;
}

static size_t round8(size_t v) { return (v + 7u) & ~(size_t)7u; }

/* Largest missed count with (double)missed / |Y| <= tau: the F <= tau rule. */
static uint64_t missed_budget(uint64_t truth, double tau)
{
    return conseco__fp_budget(truth, tau);
}

static double ratio(uint64_t a, uint64_t b)
{
    if (b == 0) return a == 0 ? 1.0 : conseco__inf();
    return (double)a / (double)b;
}

/* Outer metrics from counts. */
static void outer_fill(uint64_t predicted, uint64_t truth, uint64_t outer, uint64_t missed,
                       double tol, conseco_side_metrics *out)
{
    out->truth = truth;
    out->outer = outer;
    out->outer_missed = missed;
    out->fnr = truth == 0 ? 0.0 : (double)missed / (double)truth;
    out->outer_ratio = ratio(outer, predicted);
    out->outer_valid = out->fnr <= tol;
}

/* ===================================================== erosion / dilation */
/*
 * Scratch of the erosion kind's sides: the erosion's own scratch (its score
 * runs first for a band), which holds N uint32 distances, the envelope cells
 * and w + h + d + 1 histogram bins, and for apply / evaluate of a band one
 * double per pixel in front of it (the inner levels).
 */
typedef struct dlayout {
    double *levels;  /* band apply / evaluate only */
    uint32_t *d;
    uint32_t *work;
    size_t work_len;
    size_t *hist;
    size_t hist_len;
    uint64_t *many;  /* evaluate at many lambdas: 4 count arrays of hist_len + 1 */
} dlayout;

static int dil_sizes(size_t w, size_t h, size_t dd, size_t *levels, size_t *dist, size_t *work,
                     size_t *hist_len)
{
    size_t n, len, second;
    const size_t big = w > h ? w : h, small = w > h ? h : w;
    second = dd >= big ? big : dd > small ? dd : small;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, dd, &n) ||
        !conseco__mul_size(n, sizeof(double), levels) ||
        !conseco__mul_size(n, sizeof(uint32_t), dist))
        return 0;
    *dist = round8(*dist);
    if (*dist == 0) return 0;
    if (!conseco__add_size(second, 2, &len) || !conseco__mul_size(len, 3, &len) ||
        !conseco__mul_size(len, sizeof(uint32_t), work))
        return 0;
    *work = round8(*work);
    if (*work == 0) return 0;
    if (!conseco__add_size(w, h, &len) || !conseco__add_size(len, dd, &len) ||
        !conseco__add_size(len, 1, &len))
        return 0;
    *hist_len = len;
    return 1;
}

size_t conseco__erosion_side_scratch_size(const conseco__shrinker *s, uint32_t side,
                                          int score_only, size_t width, size_t height,
                                          size_t depth)
{
    size_t levels, dist, work, hist_len, total, base, many;
    (void)side;
    if (!dil_sizes(width, height, depth, &levels, &dist, &work, &hist_len)) return 0;
    base = conseco__erosion_scratch_size((const conseco_erosion_params *)s->user, width, height,
                                         depth);
    if (base == 0) return 0;
    if (score_only) return base; /* scores: the erosion's areas, reused by the dilation */
    /* the dilation's areas fit in the erosion's (same N uint32, work, bins); then the
     * band's inner levels and the count arrays of evaluate at many lambdas */
    if (!conseco__add_size(hist_len, 1, &many) || !conseco__mul_size(many, 4 * sizeof(uint64_t), &many) ||
        !conseco__add_size(base, levels, &total) || !conseco__add_size(total, many, &total))
        return 0;
    return total;
}

/* score_only: [distances][envelope][bins] (the erosion's own layout sizes);
 * else [inner levels][distances][envelope][bins][count arrays]. */
static int dil_carve(const conseco__shrinker *s, const conseco_image *pred, void *scratch,
                     size_t scratch_size, int score_only, dlayout *lay)
{
    size_t levels, dist, work, need;
    unsigned char *b;
    need = conseco__erosion_side_scratch_size(s, CONSECO_SIDE_BAND, score_only, pred->width,
                                              pred->height, pred->depth);
    if (need == 0 || !dil_sizes(pred->width, pred->height, pred->depth, &levels, &dist, &work,
                                &lay->hist_len))
        return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    b = (unsigned char *)conseco__align16(scratch, &scratch_size);
    lay->levels = score_only ? NULL : (double *)(void *)b;
    if (!score_only) b += levels;
    lay->d = (uint32_t *)(void *)b;
    lay->work = (uint32_t *)(void *)(b + dist);
    lay->work_len = work / sizeof(uint32_t);
    lay->hist = (size_t *)(void *)(b + dist + work);
    lay->many = score_only ? NULL
                           : (uint64_t *)(void *)(b + dist + work +
                                                  round8(lay->hist_len * sizeof(size_t)));
    return CONSECO_OK;
}

typedef struct dscan {
    uint64_t predicted, truth, missed0; /* |Yhat|, |Y|, |Y \ Yhat| */
    size_t lo[3], hi[3];                /* box of Yhat and Y, inclusive */
} dscan;

/* One row of the scan: counts, and the first and last x of Yhat U Y (w if none);
 * 0 if a float score is not finite. */
static inline int scan_row(int dtype, const unsigned char *row, const uint8_t *t, size_t w,
                           double base, dscan *sc, size_t *xlo, size_t *xhi)
{
    size_t x, lo = w, hi = 0;
    uint64_t pr = 0, tr_n = 0, miss = 0;
    int finite = 1;
    for (x = 0; x < w; x++) {
        const double sv = conseco__pixel(dtype, row, x);
        const int yh = sv >= base;
        const int tr = t != NULL && t[x] != 0;
        if (dtype == CONSECO_DTYPE_F32 || dtype == CONSECO_DTYPE_F64)
            finite &= conseco__is_finite(sv);
        pr += (uint64_t)yh;
        tr_n += (uint64_t)tr;
        miss += (uint64_t)(tr && !yh);
        if (yh || tr) {
            if (lo == w) lo = x;
            hi = x;
        }
    }
    sc->predicted += pr;
    sc->truth += tr_n;
    sc->missed0 += miss;
    *xlo = lo;
    *xhi = hi;
    return finite;
}

/* One pass: counts and the bounding box of Yhat U Y (truth may be NULL);
 * CONSECO_E_NONFINITE for NaN or +-inf in a float map. */
static int dil_scan(const conseco_erosion_params *p, const conseco_image *pred,
                    const conseco_mask *truth, dscan *sc)
{
    size_t y, z;
    int finite = 1;
    sc->predicted = sc->truth = sc->missed0 = 0;
    sc->lo[0] = pred->width;
    sc->lo[1] = pred->height;
    sc->lo[2] = pred->depth;
    sc->hi[0] = sc->hi[1] = sc->hi[2] = 0;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            const uint8_t *t = truth ? conseco__mask_row(truth, y, z) : NULL;
            size_t xlo, xhi;
            switch (pred->dtype) {
            case CONSECO_DTYPE_U8:
                finite &= scan_row(CONSECO_DTYPE_U8, row, t, pred->width, p->base, sc, &xlo, &xhi);
                break;
            case CONSECO_DTYPE_F32:
                finite &= scan_row(CONSECO_DTYPE_F32, row, t, pred->width, p->base, sc, &xlo, &xhi);
                break;
            case CONSECO_DTYPE_F64:
                finite &= scan_row(CONSECO_DTYPE_F64, row, t, pred->width, p->base, sc, &xlo, &xhi);
                break;
            default:
                finite &= scan_row(pred->dtype, row, t, pred->width, p->base, sc, &xlo, &xhi);
                break;
            }
            if (xlo == pred->width) continue;
            if (xlo < sc->lo[0]) sc->lo[0] = xlo;
            if (xhi > sc->hi[0]) sc->hi[0] = xhi;
            if (y < sc->lo[1]) sc->lo[1] = y;
            if (y > sc->hi[1]) sc->hi[1] = y;
            if (z < sc->lo[2]) sc->lo[2] = z;
            if (z > sc->hi[2]) sc->hi[2] = z;
        }
    return finite ? CONSECO_OK : CONSECO_E_NONFINITE;
}

/* d[x] = 0 on Yhat, `far` elsewhere, for one row of the box. */
static inline void fill_row(int dtype, const unsigned char *row, size_t x0, size_t n,
                            double base, uint32_t far, uint32_t *d)
{
    size_t x;
    for (x = 0; x < n; x++) d[x] = conseco__in_yhat(dtype, row, x0 + x, base) ? 0u : far;
}

/* Sentinel of the raster passes: far above every distance, and +1 does not wrap. */
#define CHAMFER_FAR 0x7FFFFFFFu

static inline void relax_from(uint32_t *r, const uint32_t *u, size_t w, int linf)
{
    size_t x;
    for (x = 0; x < w; x++) {
        const uint32_t c = u[x] + 1u;
        r[x] = c < r[x] ? c : r[x];
    }
    if (!linf) return;
    for (x = 1; x < w; x++) {
        const uint32_t c = u[x - 1] + 1u;
        r[x] = c < r[x] ? c : r[x];
    }
    for (x = 0; x + 1 < w; x++) {
        const uint32_t c = u[x + 1] + 1u;
        r[x] = c < r[x] ? c : r[x];
    }
}

static inline void relax_rightwards(uint32_t *r, size_t w)
{
    size_t x;
    for (x = 1; x < w; x++)
        if (r[x - 1] + 1u < r[x]) r[x] = r[x - 1] + 1u;
}

static inline void relax_leftwards(uint32_t *r, size_t w)
{
    size_t x;
    for (x = w - 1; x-- > 0;)
        if (r[x + 1] + 1u < r[x]) r[x] = r[x + 1] + 1u;
}

/*
 * Exact city-block (linf = 0) or chessboard (linf = 1) distance to the
 * nearest 0 cell of a 2-D box whose other cells hold CHAMFER_FAR, in the two
 * raster passes of Rosenfeld and Pfaltz: forwards with the row above (and its
 * diagonal neighbours for the chessboard) and the left neighbour, then
 * backwards with the row below and the right neighbour. Requires a 0 cell in
 * the box.
 */
static void chamfer2d(uint32_t *d, size_t w, size_t h, int linf)
{
    size_t y;
    for (y = 0; y < h; y++) {
        if (y > 0) relax_from(d + y * w, d + (y - 1) * w, w, linf);
        relax_rightwards(d + y * w, w);
    }
    for (y = h; y-- > 0;) {
        if (y + 1 < h) relax_from(d + y * w, d + (y + 1) * w, w, linf);
        relax_leftwards(d + y * w, w);
    }
}

/* Distances to Yhat (0 on Yhat) on the box lo..lo+n-1, closed margins;
 * Yhat has a pixel in the box. */
static int dil_distances(const conseco_erosion_params *p, const conseco_image *pred,
                         const size_t lo[3], const size_t n[3], dlayout *lay, int metric)
{
    conseco__box box;
    const int raster = n[2] == 1 && metric != CONSECO__METRIC_L2SQ;
    const uint32_t far = raster ? CHAMFER_FAR : CONSECO__DIST_INF;
    size_t y, z, i = 0;
    int a, rc;
    for (a = 0; a < 3; a++) {
        box.n[a] = n[a];
        box.open_lo[a] = box.open_hi[a] = 0;
    }
    if ((rc = conseco__distance_fits(&box, metric)) != CONSECO_OK) return rc;
    if (conseco__distance_work_len(&box) > lay->work_len) return CONSECO_E_SCRATCH_TOO_SMALL;
    for (z = 0; z < n[2]; z++)
        for (y = 0; y < n[1]; y++, i += n[0]) {
            const unsigned char *row = conseco__image_row(pred, lo[1] + y, lo[2] + z);
            switch (pred->dtype) {
            case CONSECO_DTYPE_U8:
                fill_row(CONSECO_DTYPE_U8, row, lo[0], n[0], p->base, far, lay->d + i);
                break;
            case CONSECO_DTYPE_F32:
                fill_row(CONSECO_DTYPE_F32, row, lo[0], n[0], p->base, far, lay->d + i);
                break;
            default: fill_row(pred->dtype, row, lo[0], n[0], p->base, far, lay->d + i); break;
            }
        }
    if (raster) chamfer2d(lay->d, n[0], n[1], metric == CONSECO__METRIC_LINF);
    else conseco__distance_transform(lay->d, &box, metric, lay->work);
    return CONSECO_OK;
}

static int dilation_score(const conseco_erosion_params *p, const conseco_image *pred,
                          const conseco_mask *truth, double tau, dlayout *lay, double *score)
{
    const int metric = metric_of(p->element);
    dscan sc;
    size_t n[3], x, y, z, i = 0, l;
    uint64_t m, need, acc = 0;
    int a, rc;
    if ((rc = dil_scan(p, pred, truth, &sc)) != CONSECO_OK) return rc;
    m = missed_budget(sc.truth, tau);
    if (sc.missed0 <= m) {
        *score = 0.0;
        return CONSECO_OK;
    }
    if (sc.predicted == 0) {
        *score = conseco__inf(); /* nothing to dilate: only the whole image is safe */
        return CONSECO_OK;
    }
    for (a = 0; a < 3; a++) n[a] = sc.hi[a] - sc.lo[a] + 1;
    if ((rc = dil_distances(p, pred, sc.lo, n, lay, metric)) != CONSECO_OK) return rc;
    CONSECO_memset(lay->hist, 0, lay->hist_len * sizeof(size_t));
    for (z = 0; z < n[2]; z++)
        for (y = 0; y < n[1]; y++) {
            const uint8_t *t = conseco__mask_row(truth, sc.lo[1] + y, sc.lo[2] + z) + sc.lo[0];
            for (x = 0; x < n[0]; x++, i++) {
                uint32_t lev;
                if (!t[x] || lay->d[i] == 0) continue; /* not missed at mu = 0 */
                lev = outer_level(metric, lay->d[i]);
                if ((size_t)lev >= lay->hist_len) return CONSECO_E_OVERFLOW; /* cannot happen */
                lay->hist[lev]++;
            }
        }
    /* the (m+1)-th largest level of the missed-at-0 truth pixels */
    need = m + 1;
    for (l = lay->hist_len; l-- > 0;) {
        acc += lay->hist[l];
        if (acc >= need) {
            *score = (double)l;
            return CONSECO_OK;
        }
    }
    return CONSECO_E_OVERFLOW; /* unreachable: missed0 > m pixels were counted */
}

/* ------------------------------------------- ball in millimetres (element 4) */
/*
 * O_mu = {p : d_mm(p, Yhat) <= mu} (docs/DESIGN.md 5.1, 5.2), d_mm the
 * correctly rounded Euclidean distance with the image spacing from p's centre
 * to the nearest Yhat voxel centre: the exact transform of distance_mm.c run
 * with Yhat as the sources (codes 0) over the bounding box of Yhat U Y, closed
 * margins. The score is the (m+1)-th largest d_mm of the truth voxels outside
 * Yhat, itself a member of {0} U {d_mm(p, Yhat) : p in Y}.
 */
typedef struct mm_outer {
    conseco__mm m;
    conseco__mm_box b;
    uint32_t *code;
    void *work;
    uint32_t *counts; /* 256 */
} mm_outer;

/* Carves codes, work and counts from `scratch` as erosion_mm.c sizes them. */
static int mm_carve(const conseco_image *pred, unsigned char *scratch, size_t scratch_size,
                    mm_outer *o)
{
    const size_t need = conseco__erosion_mm_scratch_size(pred->width, pred->height, pred->depth);
    size_t codes, work;
    unsigned char *b;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    codes = round8(pred->width * pred->height * pred->depth * sizeof(uint32_t) + 7u);
    work = conseco__mm_work_bytes_image(pred->width, pred->height, pred->depth);
    b = (unsigned char *)conseco__align16(scratch, &scratch_size);
    o->code = (uint32_t *)(void *)b;
    o->work = b + codes;
    o->counts = (uint32_t *)(void *)(b + codes + work);
    return CONSECO_OK;
}

/* Codes of the box lo..lo+n-1: 0 on Yhat, then the nearest-Yhat offsets. */
static int mm_build(const conseco_erosion_params *p, const conseco_image *pred,
                    const size_t lo[3], const size_t n[3], mm_outer *o)
{
    conseco__box box;
    double sp[3];
    size_t y, z, x, i = 0;
    int a, rc;
    conseco__image_spacing(pred, sp);
    if (pred->depth == 1) sp[2] = 1.0; /* a 2-D image has no z offsets */
    if ((rc = conseco__mm_init(&o->m, sp)) != CONSECO_OK) return rc;
    for (a = 0; a < 3; a++) {
        box.n[a] = n[a];
        box.open_lo[a] = box.open_hi[a] = 0;
    }
    if ((rc = conseco__mm_box_init(&o->b, &box)) != CONSECO_OK) return rc;
    if (conseco__mm_work_bytes(&o->b) >
        conseco__mm_work_bytes_image(pred->width, pred->height, pred->depth))
        return CONSECO_E_SCRATCH_TOO_SMALL; /* cannot happen: the box is inside the image */
    for (z = 0; z < n[2]; z++)
        for (y = 0; y < n[1]; y++) {
            const unsigned char *row = conseco__image_row(pred, lo[1] + y, lo[2] + z);
            for (x = 0; x < n[0]; x++)
                o->code[i++] = conseco__in_yhat(pred->dtype, row, lo[0] + x, p->base)
                                   ? 0u
                                   : CONSECO__MM_NONE;
        }
    conseco__mm_transform(o->code, &o->b, &o->m, o->work);
    return CONSECO_OK;
}

static uint64_t mm_key(const mm_outer *o, uint32_t code)
{
    return conseco__double_bits(conseco__mm_code_distance(&o->b, &o->m, code));
}

/* The need-th largest distance of codes[0..k) (1 <= need <= k): radix
 * selection on the bits of the non-negative doubles, 8 bits a pass. */
static double mm_select_largest(const mm_outer *o, uint32_t *codes, size_t k, uint64_t need)
{
    int shift = 56;
    for (;;) {
        size_t i, j = 0;
        uint64_t acc = 0;
        unsigned digit = 255;
        CONSECO_memset(o->counts, 0, 256 * sizeof(uint32_t));
        for (i = 0; i < k; i++) o->counts[(mm_key(o, codes[i]) >> shift) & 255u]++;
        for (;; digit--) {
            if (acc + o->counts[digit] >= need) break;
            acc += o->counts[digit];
        }
        need -= acc;
        for (i = 0; i < k; i++)
            if (((mm_key(o, codes[i]) >> shift) & 255u) == digit) codes[j++] = codes[i];
        k = j;
        if (shift == 0 || k == 1) break;
        shift -= 8;
    }
    return conseco__bits_double(mm_key(o, codes[0]));
}

static int mm_dilation_score(const conseco_erosion_params *p, const conseco_image *pred,
                             const conseco_mask *truth, double tau, void *scratch,
                             size_t scratch_size, double *score)
{
    mm_outer o;
    dscan sc;
    size_t n[3], x, y, z, i = 0, k = 0;
    uint64_t m;
    int a, rc;
    if ((rc = mm_carve(pred, (unsigned char *)scratch, scratch_size, &o)) != CONSECO_OK)
        return rc;
    if ((rc = dil_scan(p, pred, truth, &sc)) != CONSECO_OK) return rc;
    m = missed_budget(sc.truth, tau);
    if (sc.missed0 <= m) {
        *score = 0.0;
        return CONSECO_OK;
    }
    if (sc.predicted == 0) {
        *score = conseco__inf();
        return CONSECO_OK;
    }
    for (a = 0; a < 3; a++) n[a] = sc.hi[a] - sc.lo[a] + 1;
    if ((rc = mm_build(p, pred, sc.lo, n, &o)) != CONSECO_OK) return rc;
    for (z = 0; z < n[2]; z++)
        for (y = 0; y < n[1]; y++) {
            const uint8_t *t = conseco__mask_row(truth, sc.lo[1] + y, sc.lo[2] + z) + sc.lo[0];
            for (x = 0; x < n[0]; x++, i++)
                if (t[x] && o.code[i] != 0) o.code[k++] = o.code[i]; /* k <= i */
        }
    /* k = missed0 > m; every code is finite (Yhat is in the box) */
    *score = mm_select_largest(&o, o.code, k, m + 1);
    return CONSECO_OK;
}

/* Apply / evaluate: [inner levels (band)][the ball-mm scratch] over the whole image. */
static int mm_maps(const conseco__shrinker *s, const conseco_image *pred, void *scratch,
                   size_t scratch_size, int band, double **levels, mm_outer *o, dscan *sc)
{
    const conseco_erosion_params *p = (const conseco_erosion_params *)s->user;
    const size_t need = conseco__erosion_side_scratch_size(s, CONSECO_SIDE_BAND, 0, pred->width,
                                                           pred->height, pred->depth);
    const size_t N = pred->width * pred->height * pred->depth, lo[3] = {0, 0, 0};
    size_t n[3], lv;
    unsigned char *b;
    int rc;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    b = (unsigned char *)conseco__align16(scratch, &scratch_size);
    lv = round8(N * sizeof(double));
    *levels = (double *)(void *)b;
    if ((rc = mm_carve(pred, b + lv, scratch_size - lv, o)) != CONSECO_OK) return rc;
    if ((rc = dil_scan(p, pred, NULL, sc)) != CONSECO_OK) return rc;
    if (band && (rc = conseco__erosion_levels_cb(s->user, pred, *levels, N)) != CONSECO_OK)
        return rc;
    if (sc->predicted == 0) return CONSECO_OK;
    n[0] = pred->width;
    n[1] = pred->height;
    n[2] = pred->depth;
    return mm_build(p, pred, lo, n, o);
}

static int mm_in_outer(const mm_outer *o, const dscan *sc, uint32_t code, double mu)
{
    if (mu == conseco__inf()) return 1;
    if (sc->predicted == 0) return 0;
    if (code == 0) return 1;
    return conseco__mm_code_distance(&o->b, &o->m, code) <= (mu < 0.0 ? 0.0 : mu);
}

static int lev_in_inner(double level, double lambda);

static int mm_side_apply(const conseco__shrinker *s, const conseco__side *side,
                         const conseco_image *pred, double lambda, void *scratch,
                         size_t scratch_size, const conseco_mask_out *inner,
                         const conseco_mask_out *outer, const conseco_mask_out *band)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    double *levels;
    mm_outer o;
    dscan sc;
    size_t x, y, z, i = 0;
    int rc = mm_maps(s, pred, scratch, scratch_size, is_band, &levels, &o, &sc);
    if (rc != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *oi = inner ? conseco__mask_out_row(inner, y, z) : NULL;
            uint8_t *oo = outer ? conseco__mask_out_row(outer, y, z) : NULL;
            uint8_t *ob = band ? conseco__mask_out_row(band, y, z) : NULL;
            for (x = 0; x < pred->width; x++, i++) {
                const uint32_t c = sc.predicted ? o.code[i] : CONSECO__MM_NONE;
                const int in_o = mm_in_outer(&o, &sc, c, lambda);
                const int in_i = is_band ? lev_in_inner(levels[i], lambda) : c == 0;
                if (oi) oi[x] = (uint8_t)in_i;
                if (oo) oo[x] = (uint8_t)in_o;
                if (ob) ob[x] = (uint8_t)(in_o && !in_i);
            }
        }
    return CONSECO_OK;
}

/* Lambdas a metrics pass handles at once: d_mm (a software square root) is
 * computed once per voxel and pass, not once per lambda. */
#define MM_GROUP 16

typedef struct mm_counts {
    uint64_t in, fp, tp, out, missed;
} mm_counts;

/* Metrics at lambdas[0..g) (g <= MM_GROUP) from built maps, in one pass. */
static void mm_metrics(const conseco_image *pred, const conseco_mask *truth,
                       const conseco__side *side, const mm_outer *o, const dscan *sc,
                       const double *levels, const double *lambdas, size_t g, double tau,
                       conseco_side_metrics *out)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    mm_counts c[MM_GROUP];
    double mu[MM_GROUP]; /* outer radius: +inf takes all, below 0 reads as 0 */
    uint64_t n_truth = 0;
    size_t x, y, z, i = 0, q;
    CONSECO_memset(c, 0, sizeof c);
    for (q = 0; q < g; q++) mu[q] = lambdas[q] < 0.0 ? 0.0 : lambdas[q];
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < pred->width; x++, i++) {
                const uint32_t code = sc->predicted ? o->code[i] : CONSECO__MM_NONE;
                const int tr = t[x] != 0;
                /* mm_in_outer's rule; an empty Yhat: O_mu is empty for finite mu */
                const int in_yhat = sc->predicted != 0 && code == 0;
                const double d = sc->predicted == 0 || code == 0
                                     ? conseco__inf()
                                     : conseco__mm_code_distance(&o->b, &o->m, code);
                n_truth += (uint64_t)tr;
                for (q = 0; q < g; q++) {
                    const int in_o = lambdas[q] == conseco__inf() || in_yhat || d <= mu[q];
                    const int in_i = is_band ? lev_in_inner(levels[i], lambdas[q]) : in_yhat;
                    c[q].out += (uint64_t)in_o;
                    c[q].missed += (uint64_t)(tr && !in_o);
                    c[q].in += (uint64_t)in_i;
                    c[q].tp += (uint64_t)(in_i && tr);
                    c[q].fp += (uint64_t)(in_i && !tr);
                }
            }
        }
    for (q = 0; q < g; q++) {
        conseco_side_metrics *m = &out[q];
        CONSECO_memset(m, 0, sizeof *m);
        conseco__metrics_fill(sc->predicted, c[q].in, c[q].fp, c[q].tp, is_band ? tau : 1.0,
                              &m->inner);
        outer_fill(sc->predicted, n_truth, c[q].out, c[q].missed,
                   is_band ? side->tau_outer : tau, m);
        m->band_holds = m->outer_valid && (!is_band || m->inner.valid);
    }
}

/* Metrics at count lambdas from one transform, MM_GROUP lambdas a pass. */
static int mm_side_evaluate_many(const conseco__shrinker *s, const conseco__side *side,
                                 const conseco_image *pred, const conseco_mask *truth,
                                 const double *lambdas, size_t count, double tau, void *scratch,
                                 size_t scratch_size, conseco_side_metrics *out)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    double *levels;
    mm_outer o;
    dscan sc;
    size_t q;
    int rc = mm_maps(s, pred, scratch, scratch_size, is_band, &levels, &o, &sc);
    if (rc != CONSECO_OK) return rc;
    for (q = 0; q < count; q += MM_GROUP) {
        const size_t g = count - q < MM_GROUP ? count - q : MM_GROUP;
        mm_metrics(pred, truth, side, &o, &sc, levels, lambdas + q, g, tau, out + q);
    }
    return CONSECO_OK;
}

static int mm_side_evaluate(const conseco__shrinker *s, const conseco__side *side,
                            const conseco_image *pred, const conseco_mask *truth, double lambda,
                            double tau, void *scratch, size_t scratch_size,
                            conseco_side_metrics *out)
{
    return mm_side_evaluate_many(s, side, pred, truth, &lambda, 1, tau, scratch, scratch_size,
                                 out);
}

int conseco__erosion_side_check(const conseco__shrinker *s, const conseco__side *side)
{
    const uint32_t e = ((const conseco_erosion_params *)s->user)->element;
    (void)side; /* bottom is a threshold setting: ignored here */
    /* the elements whose dilation levels this file computes; another element
     * (ball in millimetres, element 4) needs its own outer levels first */
    if (e != CONSECO_ELEMENT_CROSS && e != CONSECO_ELEMENT_SQUARE && e != CONSECO_ELEMENT_DISK &&
        e != CONSECO_ELEMENT_BALL_MM)
        return CONSECO_E_UNSUPPORTED;
    return CONSECO_OK;
}

/* A ball-mm band on a volume whose two-class transform would need 128-bit
 * values (float32 spacings) while the inner score has its pruned pair path
 * (distance_mm_pair.c: equal in-plane spacings and the like): the inner
 * score plus the dilation alone costs less than the wide band (about 1.2x
 * against 1.6x the inner score on conseco_bench_sides' volumes). Either way
 * the score is max(erosion score at tau, dilation score at tau_outer). */
static int mm_band_split(const conseco_erosion_params *p, const conseco_image *pred)
{
    conseco__mm_pair pr;
    conseco__box box;
    double sp[3];
    if (p->element != CONSECO_ELEMENT_BALL_MM || pred->depth < 2 ||
        !conseco__outer_euclid_wide(p, pred))
        return 0;
    CONSECO_memset(&box, 0, sizeof box);
    box.n[0] = pred->width;
    box.n[1] = pred->height;
    box.n[2] = pred->depth;
    conseco__image_spacing(pred, sp);
    return conseco__mm_pair_init(&pr, sp, &box) && pr.can_mark && pr.bits > 0;
}

int conseco__erosion_side_score(const conseco__shrinker *s, const conseco__side *side,
                                const conseco_image *pred, const conseco_mask *truth,
                                double tau, void *scratch, size_t scratch_size, double *score)
{
    const conseco_erosion_params *p = (const conseco_erosion_params *)s->user;
    dlayout lay;
    double inner = 0.0, outer;
    int rc;
    if (p->element != CONSECO_ELEMENT_BALL_MM &&
        (rc = dil_carve(s, pred, scratch, scratch_size, 1, &lay)) != CONSECO_OK)
        return rc;
    {
        /* 2-D images with the cross, the square, the disk or ball-mm with one
         * spacing along x and y: one fused transform for both sides (outer_fast2d.c) */
        const size_t avail = conseco__erosion_side_scratch_size(s, side->side, 1, pred->width,
                                                                pred->height, pred->depth);
        if (conseco__outer2d_takes(p, pred, avail)) {
            if (scratch == NULL || scratch_size < avail) return CONSECO_E_SCRATCH_TOO_SMALL;
            return conseco__outer2d_score(p, pred, truth, side->side == CONSECO_SIDE_BAND, tau,
                                          side->tau_outer, scratch, scratch_size, score);
        }
        /* the ball in voxels on volumes, ball-mm on volumes and with two 2-D
         * spacings: one two-class Euclidean transform (outer_euclid.c) */
        if (conseco__outer_euclid_takes(p, pred, avail)) {
            if (scratch == NULL || scratch_size < avail) return CONSECO_E_SCRATCH_TOO_SMALL;
            if (side->side == CONSECO_SIDE_BAND && mm_band_split(p, pred)) {
                /* the inner score's own path, then the dilation alone (below) */
                rc = conseco__erosion_score(p, pred, truth, tau, scratch, scratch_size, &inner);
                if (rc != CONSECO_OK) return rc;
                if (inner == conseco__inf()) { /* the joint score cannot be smaller */
                    *score = inner;
                    return CONSECO_OK;
                }
                rc = conseco__outer_euclid_score(p, pred, truth, 0, side->tau_outer, 0.0, scratch,
                                                 scratch_size, &outer);
                if (rc == CONSECO_OK) *score = outer > inner ? outer : inner;
                return rc;
            }
            return conseco__outer_euclid_score(p, pred, truth, side->side == CONSECO_SIDE_BAND,
                                               tau, side->tau_outer, scratch, scratch_size, score);
        }
        /* volumes with the cross or the square: the fused transform of the 2-D
         * path in 3-D, 16-bit distances (outer_fast3d.c) */
        if (conseco__outer3d_takes(p, pred, avail)) {
            if (scratch == NULL || scratch_size < avail) return CONSECO_E_SCRATCH_TOO_SMALL;
            return conseco__outer3d_score(p, pred, truth, side->side == CONSECO_SIDE_BAND, tau,
                                          side->tau_outer, scratch, scratch_size, score);
        }
    }
    /* the scans check finiteness (the erosion's for a band, then the dilation's) */
    if (side->side == CONSECO_SIDE_BAND) {
        rc = conseco__erosion_score(p, pred, truth, tau, scratch, scratch_size, &inner);
        if (rc != CONSECO_OK) return rc;
        if (inner == conseco__inf()) { /* the joint score cannot be smaller */
            *score = inner;
            return CONSECO_OK;
        }
        tau = side->tau_outer;
    }
    if (p->element == CONSECO_ELEMENT_BALL_MM)
        rc = mm_dilation_score(p, pred, truth, tau, scratch, scratch_size, &outer);
    else
        rc = dilation_score(p, pred, truth, tau, &lay, &outer);
    if (rc != CONSECO_OK) return rc;
    *score = outer > inner ? outer : inner;
    return CONSECO_OK;
}

/* Dense inner levels (band) and whole-image distances to Yhat. */
static int dil_maps(const conseco__shrinker *s, const conseco_image *pred, void *scratch,
                    size_t scratch_size, int band, dlayout *lay, dscan *sc, int *metric)
{
    const conseco_erosion_params *p = (const conseco_erosion_params *)s->user;
    const size_t lo[3] = {0, 0, 0};
    size_t n[3], count;
    int rc;
    if ((rc = dil_carve(s, pred, scratch, scratch_size, 0, lay)) != CONSECO_OK) return rc;
    *metric = metric_of(p->element);
    if ((rc = dil_scan(p, pred, NULL, sc)) != CONSECO_OK) return rc;
    count = pred->width * pred->height * pred->depth;
    if (sc->predicted != 0 && conseco__outer3d_takes(p, pred, count * sizeof(double))) {
        /* volumes with the cross or the square: both maps from one 16-bit transform
         * (outer_fast3d.c), its scratch in the inner levels' area */
        return conseco__outer3d_maps(p, pred, lay->levels, count * sizeof(double), lay->d,
                                     band ? lay->levels : NULL);
    }
    if (band && (rc = conseco__erosion_levels_cb(s->user, pred, lay->levels, count)) != CONSECO_OK)
        return rc;
    if (sc->predicted == 0) return CONSECO_OK;
    n[0] = pred->width;
    n[1] = pred->height;
    n[2] = pred->depth;
    return dil_distances(p, pred, lo, n, lay, *metric);
}

/* p in O_mu: mu = +inf takes everything; mu below 0 reads as 0 (Yhat). */
static int dil_in_outer(int metric, const dscan *sc, uint32_t d, double mu)
{
    if (mu == conseco__inf()) return 1;
    if (sc->predicted == 0) return 0;
    if (d == 0) return 1;
    return (double)outer_level(metric, d) <= mu;
}

/* p in I_lambda from its inner level (erosion.c's rule). */
static int lev_in_inner(double level, double lambda)
{
    if (lambda == conseco__inf()) return 0;
    return level >= 0.0 && level >= lambda;
}

int conseco__erosion_side_apply(const conseco__shrinker *s, const conseco__side *side,
                                const conseco_image *pred, double lambda, void *scratch,
                                size_t scratch_size, const conseco_mask_out *inner,
                                const conseco_mask_out *outer, const conseco_mask_out *band)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    dlayout lay;
    dscan sc;
    size_t x, y, z, i = 0;
    int metric, rc;
    if (((const conseco_erosion_params *)s->user)->element == CONSECO_ELEMENT_BALL_MM)
        return mm_side_apply(s, side, pred, lambda, scratch, scratch_size, inner, outer, band);
    if ((rc = dil_maps(s, pred, scratch, scratch_size, is_band, &lay, &sc, &metric)) != CONSECO_OK)
        return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *oi = inner ? conseco__mask_out_row(inner, y, z) : NULL;
            uint8_t *oo = outer ? conseco__mask_out_row(outer, y, z) : NULL;
            uint8_t *ob = band ? conseco__mask_out_row(band, y, z) : NULL;
            for (x = 0; x < pred->width; x++, i++) {
                const uint32_t d = sc.predicted ? lay.d[i] : CONSECO__DIST_INF;
                const int in_o = dil_in_outer(metric, &sc, d, lambda);
                const int in_i = is_band ? lev_in_inner(lay.levels[i], lambda) : d == 0;
                if (oi) oi[x] = (uint8_t)in_i;
                if (oo) oo[x] = (uint8_t)in_o;
                if (ob) ob[x] = (uint8_t)(in_o && !in_i);
            }
        }
    return CONSECO_OK;
}

int conseco__erosion_side_evaluate(const conseco__shrinker *s, const conseco__side *side,
                                   const conseco_image *pred, const conseco_mask *truth,
                                   double lambda, double tau, void *scratch,
                                   size_t scratch_size, conseco_side_metrics *out)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    dlayout lay;
    dscan sc;
    uint64_t n_in = 0, n_fp = 0, n_tp = 0, n_truth = 0, n_out = 0, missed = 0;
    size_t x, y, z, i = 0;
    int metric, rc;
    if (((const conseco_erosion_params *)s->user)->element == CONSECO_ELEMENT_BALL_MM)
        return mm_side_evaluate(s, side, pred, truth, lambda, tau, scratch, scratch_size, out);
    if ((rc = dil_maps(s, pred, scratch, scratch_size, is_band, &lay, &sc, &metric)) != CONSECO_OK)
        return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < pred->width; x++, i++) {
                const uint32_t d = sc.predicted ? lay.d[i] : CONSECO__DIST_INF;
                const int in_o = dil_in_outer(metric, &sc, d, lambda);
                const int in_i = is_band ? lev_in_inner(lay.levels[i], lambda) : d == 0;
                const int tr = t[x] != 0;
                n_truth += (uint64_t)tr;
                n_out += (uint64_t)in_o;
                missed += (uint64_t)(tr && !in_o);
                if (in_i) {
                    n_in++;
                    if (tr) n_tp++;
                    else n_fp++;
                }
            }
        }
    CONSECO_memset(out, 0, sizeof *out);
    conseco__metrics_fill(sc.predicted, n_in, n_fp, n_tp, is_band ? tau : 1.0, &out->inner);
    outer_fill(sc.predicted, n_truth, n_out, missed, is_band ? side->tau_outer : tau, out);
    out->band_holds = out->outer_valid && (!is_band || out->inner.valid);
    return CONSECO_OK;
}

/* Outer levels for the risk guarantee: M = d's level (cross, square, disk),
 * d_mm (ball-mm), 0 in Yhat; +inf everywhere when Yhat is empty (O_mu is
 * empty for every finite mu, as dil_in_outer and mm_in_outer say). */
int conseco__erosion_outer_levels(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, void *scratch, size_t scratch_size,
                                  double *levels, size_t n)
{
    dscan sc;
    size_t i;
    int rc;
    (void)side;
    if (((const conseco_erosion_params *)s->user)->element == CONSECO_ELEMENT_BALL_MM) {
        double *unused;
        mm_outer o;
        if ((rc = mm_maps(s, pred, scratch, scratch_size, 0, &unused, &o, &sc)) != CONSECO_OK)
            return rc;
        for (i = 0; i < n; i++) {
            if (!sc.predicted) levels[i] = conseco__inf();
            else if (o.code[i] == 0) levels[i] = 0.0;
            else levels[i] = conseco__mm_code_distance(&o.b, &o.m, o.code[i]);
        }
    } else {
        dlayout lay;
        int metric;
        if ((rc = dil_maps(s, pred, scratch, scratch_size, 0, &lay, &sc, &metric)) != CONSECO_OK)
            return rc;
        for (i = 0; i < n; i++)
            levels[i] = sc.predicted ? (double)outer_level(metric, lay.d[i]) : conseco__inf();
    }
    return CONSECO_OK;
}

/* ============================================================= threshold */
static double th_base(const conseco__shrinker *s)
{
    return ((const conseco_threshold_params *)s->user)->base;
}

int conseco__threshold_side_check(const conseco__shrinker *s, const conseco__side *side)
{
    if (side->side == CONSECO_SIDE_OUTER &&
        (!conseco__is_finite(side->bottom) || side->bottom > th_base(s)))
        return CONSECO_E_BAD_BOTTOM;
    return CONSECO_OK;
}

/* The scores of the threshold sides: outer_threshold.c. */

/* Membership of the threshold sides at lambda. */
typedef struct th_cut {
    double in_at;  /* inner: s >= in_at */
    double out_at; /* outer: s >= out_at */
} th_cut;

static th_cut th_cuts(double base, const conseco__side *side, double lambda)
{
    th_cut c;
    if (side->side == CONSECO_SIDE_BAND) {
        const double l = lambda < 0.0 ? 0.0 : lambda;
        c.in_at = base + l;
        c.out_at = base - l;
    } else {
        c.in_at = base;
        c.out_at = lambda < base ? lambda : base;
    }
    return c;
}

/* Outer levels of lowering: M = -s (p in O_t <=> s >= t <=> -s <= -t). */
int conseco__threshold_outer_levels(const conseco__shrinker *s, const conseco__side *side,
                                    const conseco_image *pred, void *scratch,
                                    size_t scratch_size, double *levels, size_t n)
{
    size_t x, y, z, i = 0;
    int rc;
    (void)s;
    (void)side;
    (void)scratch;
    (void)scratch_size;
    (void)n;
    if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            for (x = 0; x < pred->width; x++, i++)
                levels[i] = 0.0 - conseco__pixel(pred->dtype, row, x);
        }
    return CONSECO_OK;
}

int conseco__threshold_side_apply(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, double lambda, void *scratch,
                                  size_t scratch_size, const conseco_mask_out *inner,
                                  const conseco_mask_out *outer, const conseco_mask_out *band)
{
    const th_cut c = th_cuts(th_base(s), side, lambda);
    size_t x, y, z;
    int rc;
    (void)scratch;
    (void)scratch_size;
    if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            uint8_t *oi = inner ? conseco__mask_out_row(inner, y, z) : NULL;
            uint8_t *oo = outer ? conseco__mask_out_row(outer, y, z) : NULL;
            uint8_t *ob = band ? conseco__mask_out_row(band, y, z) : NULL;
            for (x = 0; x < pred->width; x++) {
                const double sv = conseco__pixel(pred->dtype, row, x);
                const int in_i = sv >= c.in_at, in_o = sv >= c.out_at;
                if (oi) oi[x] = (uint8_t)in_i;
                if (oo) oo[x] = (uint8_t)in_o;
                if (ob) ob[x] = (uint8_t)(in_o && !in_i);
            }
        }
    return CONSECO_OK;
}

int conseco__threshold_side_evaluate(const conseco__shrinker *s, const conseco__side *side,
                                     const conseco_image *pred, const conseco_mask *truth,
                                     double lambda, double tau, void *scratch,
                                     size_t scratch_size, conseco_side_metrics *out)
{
    const double base = th_base(s);
    const int is_band = side->side == CONSECO_SIDE_BAND;
    const th_cut c = th_cuts(base, side, lambda);
    uint64_t predicted = 0, n_in = 0, n_fp = 0, n_tp = 0, n_truth = 0, n_out = 0, missed = 0;
    size_t x, y, z;
    int rc;
    (void)scratch;
    (void)scratch_size;
    if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < pred->width; x++) {
                const double sv = conseco__pixel(pred->dtype, row, x);
                const int in_i = sv >= c.in_at, in_o = sv >= c.out_at, tr = t[x] != 0;
                predicted += (uint64_t)(sv >= base);
                n_truth += (uint64_t)tr;
                n_out += (uint64_t)in_o;
                missed += (uint64_t)(tr && !in_o);
                if (in_i) {
                    n_in++;
                    if (tr) n_tp++;
                    else n_fp++;
                }
            }
        }
    CONSECO_memset(out, 0, sizeof *out);
    conseco__metrics_fill(predicted, n_in, n_fp, n_tp, is_band ? tau : 1.0, &out->inner);
    outer_fill(predicted, n_truth, n_out, missed, is_band ? side->tau_outer : tau, out);
    out->band_holds = out->outer_valid && (!is_band || out->inner.valid);
    return CONSECO_OK;
}

/* ------------------------------------------------ many lambdas (erosion kind) */
/*
 * The sets at many lambdas from one pair of level maps: every pixel's outer
 * level (0 on Yhat, the dilation level elsewhere) and, for a band, its inner
 * level (erosion) go into count arrays; each lambda is then a prefix or suffix
 * sum. Bucket L - 1 = hist_len holds "never" (outer: empty Yhat; inner: +inf).
 */
int conseco__erosion_side_evaluate_many(const conseco__shrinker *s, const conseco__side *side,
                                        const conseco_image *pred, const conseco_mask *truth,
                                        const double *lambdas, size_t count, double tau,
                                        void *scratch, size_t scratch_size,
                                        conseco_side_metrics *out)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    dlayout lay;
    dscan sc;
    size_t x, y, z, i = 0, L, l, q;
    uint64_t *all_o, *tr_o, *fp_i, *tp_i, n_truth = 0, n_pix = 0, yh_tp = 0;
    int metric, rc;
    if (((const conseco_erosion_params *)s->user)->element == CONSECO_ELEMENT_BALL_MM) {
        /* real distances: no integer count arrays; one transform, a pass per lambda */
        return mm_side_evaluate_many(s, side, pred, truth, lambdas, count, tau, scratch,
                                     scratch_size, out);
    }
    if ((rc = dil_maps(s, pred, scratch, scratch_size, is_band, &lay, &sc, &metric)) != CONSECO_OK)
        return rc;
    L = lay.hist_len + 1;
    all_o = lay.many;
    tr_o = all_o + L;
    fp_i = tr_o + L;
    tp_i = fp_i + L;
    CONSECO_memset(all_o, 0, 4 * L * sizeof(uint64_t));
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < pred->width; x++, i++) {
                const int tr = t[x] != 0;
                size_t ob;
                n_pix++;
                n_truth += (uint64_t)tr;
                if (sc.predicted == 0) ob = L - 1;
                else {
                    ob = lay.d[i] == 0 ? 0 : (size_t)outer_level(metric, lay.d[i]);
                    if (ob >= L - 1) return CONSECO_E_OVERFLOW; /* cannot happen */
                }
                all_o[ob]++;
                if (tr) tr_o[ob]++;
                if (!is_band) {
                    if (sc.predicted != 0 && lay.d[i] == 0 && tr) yh_tp++;
                } else if (lay.levels[i] >= 0.0) {
                    const double lv = lay.levels[i];
                    const size_t ib = lv == conseco__inf() ? L - 1 : (size_t)lv;
                    if (ib >= L) return CONSECO_E_OVERFLOW; /* cannot happen */
                    if (tr) tp_i[ib]++;
                    else fp_i[ib]++;
                }
            }
        }
    /* outer: prefix sums over finite levels; inner: suffix sums (the +inf bucket included) */
    for (l = 1; l + 1 < L; l++) {
        all_o[l] += all_o[l - 1];
        tr_o[l] += tr_o[l - 1];
    }
    for (l = L - 1; l-- > 0;) {
        fp_i[l] += fp_i[l + 1];
        tp_i[l] += tp_i[l + 1];
    }
    for (q = 0; q < count; q++) {
        const double lambda = lambdas[q];
        uint64_t n_out, covered, n_fp = 0, n_tp = 0;
        conseco_side_metrics m;
        if (lambda == conseco__inf()) {
            n_out = n_pix;
            covered = n_truth;
        } else if (sc.predicted == 0) {
            n_out = covered = 0;
        } else {
            const double mu = lambda < 0.0 ? 0.0 : lambda;
            const size_t top = mu >= (double)(L - 2) ? L - 2 : (size_t)mu; /* floor */
            n_out = all_o[top];
            covered = tr_o[top];
        }
        if (!is_band) {
            n_tp = yh_tp;
            n_fp = sc.predicted - yh_tp;
        } else if (lambda != conseco__inf()) {
            size_t from = 0;
            if (lambda > 0.0) {
                const double c = lambda >= (double)(L - 1) ? (double)(L - 1) : lambda;
                from = (size_t)c;
                if ((double)from < c) from++; /* ceil: integer levels >= lambda */
                if (from > L - 1) from = L - 1;
            }
            n_fp = fp_i[from]; /* from = L - 1: only the +inf levels are kept */
            n_tp = tp_i[from];
        }
        CONSECO_memset(&m, 0, sizeof m);
        conseco__metrics_fill(sc.predicted, n_fp + n_tp, n_fp, n_tp, is_band ? tau : 1.0,
                              &m.inner);
        outer_fill(sc.predicted, n_truth, n_out, n_truth - covered,
                   is_band ? side->tau_outer : tau, &m);
        m.band_holds = m.outer_valid && (!is_band || m.inner.valid);
        out[q] = m;
    }
    return CONSECO_OK;
}
