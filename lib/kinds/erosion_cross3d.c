/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The score of volumes eroded by the cross (6 neighbours), with 16-bit
 * distances.
 *
 * lambda erosions by the cross remove exactly the voxels within city-block
 * distance lambda of the background (docs/DESIGN.md section 2): the level of
 * a Yhat voxel is d - 1, and the score one above the (m + 1)-th largest
 * level of the false positives (m the budget), read off a histogram of
 * their distances (distances are below w + h + d). The general path
 * (erosion.c, distance.c) takes every metric with 32-bit distances and
 * strided lines; this one takes the cross on volumes with w + h + d <=
 * 0xFFFD, on the bounding box of Yhat as the general path:
 *
 *   0  (every voxel, read only, vectorised): finiteness, |Yhat|, its box
 *      (conseco__erosion_yhat_box, shared with the general path);
 *   A  (slices of the box, z upwards): Yhat as 0 / 0xFFFF (vectorised for
 *      float32), both sweeps along x (eight rows at a time, transposed into
 *      SSE2 lanes), both sweeps along y and the upward sweep along z
 *      (whole rows per instruction);
 *   B  (slices, z downwards): the downward sweep along z, and each finished
 *      row's false positives go to the histogram.
 *
 * The sweeps are the cross's transform of cross_sweep.c (shared with
 * outer_fast3d.c): exact for the city-block distance, 0xFFFF "no background
 * reachable". The open margins of the box are rows or slices of zeros,
 * closed ones rows of 0xFFFF (or nothing).
 *
 * Scratch: the box as uint16 (2 bytes a voxel), two rows, interleaved
 * histograms and, with SIMD, 16 bytes per column for the transposed rows.
 */
#include "erosion_cross3d.h"

#include "cross_sweep.h"
#include "distance.h"
#include "common/bits.h"
#include "common/simd.h"
#include "common/yhat.h"

#define C3_INF 0xFFFFu
#define HISTS 2u /* interleaved histograms: neighbours rarely hit the same counter */

static size_t round16(size_t v) { return (v + 15u) & ~(size_t)15u; }

/* The sides bound the distances below 0xFFFF; fewer than 2^32 voxels keep
 * the uint32 histogram counts from wrapping. */
int conseco__cross3d_applies(const conseco_erosion_params *p, const conseco_image *pred)
{
    return pred->depth > 1 && p->element == CONSECO_ELEMENT_CROSS && pred->width <= 0xFFFDu &&
           pred->height <= 0xFFFDu - pred->width &&
           pred->depth <= 0xFFFDu - pred->width - pred->height &&
           (uint64_t)pred->width * pred->height * pred->depth < UINT64_C(0xFFFFFFFF);
}

/* Areas: the box (up to w*h*d u16), two rows of w u16 (zeros, 0xFFFF), HISTS histograms of w + h + d + 1 u32, the lanes (16 bytes per
 * column). */
static int areas(size_t w, size_t h, size_t d, size_t sz[4])
{
    size_t n, bins;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n) ||
        !conseco__mul_size(n, 2u, &sz[0]) || sz[0] > (size_t)-1 - 64u)
        return 0;
    sz[0] = round16(sz[0]);
    if (!conseco__add_size(w, h, &bins) || !conseco__add_size(bins, d, &bins) ||
        !conseco__add_size(bins, 1u, &bins) ||
        !conseco__mul_size(bins, HISTS * sizeof(uint32_t), &sz[2]) ||
        !conseco__mul_size(w, 16u, &sz[3]) || sz[2] > (size_t)-1 - 64u)
        return 0;
    sz[1] = round16(4u * w); /* 4w <= 2 * sz[0]: no overflow */
    sz[2] = round16(sz[2]);
    return 1;
}

size_t conseco__cross3d_scratch_size(size_t width, size_t height, size_t depth)
{
    size_t sz[4], total;
    if (width == 0 || height == 0 || depth == 0) return 0;
    if (!areas(width, height, depth, sz)) return 0;
    if (!conseco__add_size(sz[0], sz[1], &total) || !conseco__add_size(total, sz[2], &total) ||
        !conseco__add_size(total, sz[3], &total) ||
        !conseco__add_size(total, CONSECO__ALIGN_SLACK, &total))
        return 0;
    return total;
}

typedef struct cross3d {
    conseco__yhat_box yb;
    size_t n0, n1, n2, slice; /* box sides, n0 * n1 */
    uint16_t *g;              /* the box, x fastest */
    uint16_t *zero, *inf;     /* rows of n0 */
    uint32_t *hist;           /* HISTS * bins */
    size_t bins;              /* n0 + n1 + n2 + 1: finite distances are <= n0 + n1 + n2 */
    void *lanes;              /* 16 * n0 bytes, 16-aligned */
    uint64_t fp_inf;
    conseco__cross_box cb;    /* the box's transform (cross_sweep.c) */
} cross3d;

/* ------------------------------------------------------------ row helpers */
/* Yhat of a box row: 0xFFFF in Yhat, 0 outside. */
static void fill_row(const conseco_erosion_params *p, const conseco_image *pred, int f32,
                     float fb, size_t x0, size_t y, size_t z, size_t n, uint16_t *out)
{
    const unsigned char *row = conseco__image_row(pred, y, z);
    size_t k = 0;
    if (f32) { /* the same test as conseco__in_yhat (yhat.h) */
        const float *fr = (const float *)(const void *)row + x0;
#ifdef CONSECO__SIMD
        const conseco__m128 vb = conseco__mm_set1_ps(fb);
        for (; k + 8 <= n; k += 8) {
            const conseco__m128 a = conseco__mm_cmpge_ps(conseco__mm_loadu_ps(fr + k), vb);
            const conseco__m128 b = conseco__mm_cmpge_ps(conseco__mm_loadu_ps(fr + k + 4), vb);
            /* lanes of all ones or zeros: the signed pack keeps -1 and 0 */
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(out + k),
                                     conseco__mm_packs_epi32(conseco__mm_castps_si128(a),
                                                             conseco__mm_castps_si128(b)));
        }
#endif
        for (; k < n; k++) out[k] = (uint16_t)(fr[k] >= fb ? C3_INF : 0u);
        return;
    }
    for (; k < n; k++)
        out[k] = (uint16_t)(conseco__in_yhat(pred->dtype, row, x0 + k, p->base) ? C3_INF : 0u);
}

/* ---------------------------------------------------------------- passes */
/* Pass A: slices upwards; each ends with its 2-D distances min the slice
 * below's (plus one). */
static void pass_a(const conseco_erosion_params *p, const conseco_image *pred, cross3d *c)
{
    const int f32 = pred->dtype == CONSECO_DTYPE_F32 && p->base > -3.0e38 && p->base < 3.0e38;
    const float fb = f32 ? conseco__f32_at_least(p->base) : 0.0f;
    size_t z, y;
    for (z = 0; z < c->n2; z++) {
        uint16_t *s = c->g + z * c->slice;
        for (y = 0; y < c->n1; y++)
            fill_row(p, pred, f32, fb, c->yb.lo[0], c->yb.lo[1] + y, c->yb.lo[2] + z, c->n0,
                     s + y * c->n0);
        conseco__cross_slice_up(&c->cb, z);
    }
}

/* One voxel: a false positive (Yhat, truth 0) counts its distance. */
static void count_one(cross3d *c, const uint8_t *t, const uint16_t *d, size_t k)
{
    if (t[k] != 0 || d[k] == 0) return;
    if (d[k] == C3_INF) c->fp_inf++;
    else c->hist[(k & (HISTS - 1u)) * c->bins + d[k]]++;
}

/* A finished row's false positives; groups of 8 voxels that are all true or
 * all background are skipped after one test each. */
static void count_row(cross3d *c, const uint8_t *t, const uint16_t *d)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    size_t k, j;
    for (k = 0; k + 8 <= c->n0; k += 8) {
        uint64_t tw, d0, d1;
        CONSECO_memcpy(&tw, t + k, 8);
        CONSECO_memcpy(&d0, d + k, 8);
        CONSECO_memcpy(&d1, d + k + 4, 8);
        if (((tw - ones) & ~tw & highs) == 0 || (d0 | d1) == 0) continue; /* no 0 byte */
        for (j = k; j < k + 8; j++) count_one(c, t, d, j);
    }
    for (; k < c->n0; k++) count_one(c, t, d, k);
}

/* Receives each finished box row: image row (y, z), d[k] for voxel
 * (x0 + k, y, z), k < n0. */
typedef void (*row_fn)(cross3d *c, void *ctx, size_t y, size_t z, const uint16_t *d);

/* Pass B: slices downwards, min the slice above (plus one); each finished
 * row goes to fn. */
static void pass_b(cross3d *c, row_fn fn, void *ctx)
{
    size_t z, y;
    for (z = c->n2; z-- > 0;)
        for (y = 0; y < c->n1; y++)
            fn(c, ctx, c->yb.lo[1] + y, c->yb.lo[2] + z, conseco__cross_row_down(&c->cb, z, y));
}

static void score_row(cross3d *c, void *ctx, size_t y, size_t z, const uint16_t *d)
{
    const conseco_mask *truth = (const conseco_mask *)ctx;
    count_row(c, conseco__mask_row(truth, y, z) + c->yb.lo[0], d);
}

/* Yhat's box and pass A, all in scratch (c->yb.predicted = 0: nothing else). */
static int build(const conseco_erosion_params *p, const conseco_image *pred, void *scratch,
                 size_t scratch_size, cross3d *c)
{
    size_t sz[4];
    unsigned char *base;
    int rc = conseco__erosion_yhat_box(p, pred, &c->yb);
    if (rc != CONSECO_OK) return rc;
    if (c->yb.predicted == 0) return CONSECO_OK;
    if (!areas(pred->width, pred->height, pred->depth, sz)) return CONSECO_E_OVERFLOW;
    if (scratch == NULL ||
        scratch_size < conseco__cross3d_scratch_size(pred->width, pred->height, pred->depth))
        return CONSECO_E_SCRATCH_TOO_SMALL; /* not reachable: the caller checked */
    base = (unsigned char *)conseco__align16(scratch, &scratch_size);
    c->n0 = c->yb.box.n[0];
    c->n1 = c->yb.box.n[1];
    c->n2 = c->yb.box.n[2];
    c->slice = c->n0 * c->n1;
    c->g = (uint16_t *)(void *)base;
    c->zero = (uint16_t *)(void *)(base + sz[0]);
    c->inf = c->zero + c->n0;
    c->hist = (uint32_t *)(void *)(base + sz[0] + sz[1]);
    c->lanes = base + sz[0] + sz[1] + sz[2];
    c->bins = c->n0 + c->n1 + c->n2 + 1u;
    c->fp_inf = 0;
    CONSECO_memset(c->zero, 0, c->n0 * sizeof(uint16_t));
    CONSECO_memset(c->inf, 0xFF, c->n0 * sizeof(uint16_t));
    c->cb.g = c->g;
    c->cb.n0 = c->n0;
    c->cb.n1 = c->n1;
    c->cb.n2 = c->n2;
    c->cb.slice = c->slice;
    c->cb.x_lo_none = !c->yb.box.open_lo[0];
    c->cb.x_hi_none = !c->yb.box.open_hi[0];
    c->cb.ylo = c->yb.box.open_lo[1] ? c->zero : c->inf;
    c->cb.yhi = c->yb.box.open_hi[1] ? c->zero : c->inf;
    c->cb.zlo = c->yb.box.open_lo[2] ? c->zero : NULL;
    c->cb.zhi = c->yb.box.open_hi[2] ? c->zero : NULL;
    c->cb.lanes = c->lanes;
    pass_a(p, pred, c);
    return CONSECO_OK;
}

/* ------------------------------------------------------------------ score */
int conseco__cross3d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau, void *scratch,
                           size_t scratch_size, double *score)
{
    cross3d c;
    size_t b, k;
    uint64_t fp, budget, acc;
    int rc = build(p, pred, scratch, scratch_size, &c);
    if (rc != CONSECO_OK) return rc;
    if (c.yb.predicted == 0) {
        *score = 0.0; /* empty prediction: lambda_min */
        return CONSECO_OK;
    }
    CONSECO_memset(c.hist, 0, HISTS * c.bins * sizeof(uint32_t));
    pass_b(&c, score_row, (void *)(uintptr_t)truth);
    fp = c.fp_inf;
    for (b = 1; b < c.bins; b++) {
        for (k = 1; k < HISTS; k++) c.hist[b] += c.hist[k * c.bins + b];
        fp += c.hist[b];
    }
    budget = conseco__fp_budget(c.yb.predicted, tau);
    if (fp <= budget) {
        *score = 0.0;
        return CONSECO_OK;
    }
    /* one above the (budget + 1)-th largest level; level = d - 1 */
    if (c.fp_inf > budget) {
        *score = conseco__inf();
        return CONSECO_OK;
    }
    acc = c.fp_inf;
    for (b = c.bins; b-- > 1;) {
        acc += c.hist[b];
        if (acc > budget) break;
    }
    *score = (double)b;
    return CONSECO_OK;
}

/* --------------------------------------------------------- apply, metrics */
/* p in I_lambda <=> level = d - 1 >= lambda <=> d >= dmin; +inf keeps
 * nothing and 0xFFFF ("never removed") is kept by every finite lambda
 * (finite distances are below 0xFFFF). */
static uint32_t min_kept_distance(double lambda)
{
    uint32_t v;
    if (lambda == conseco__inf()) return 0x10000u;
    if (!(lambda > 0.0)) return 1u;
    if (lambda >= 65534.0) return C3_INF;
    v = (uint32_t)lambda;
    if ((double)v < lambda) v++; /* ceil */
    return v + 1u;
}

typedef struct apply_ctx {
    const conseco_mask_out *inner, *uncertain;
    uint32_t dmin;
} apply_ctx;

static void apply_row(cross3d *c, void *ctx, size_t y, size_t z, const uint16_t *d)
{
    const apply_ctx *a = (const apply_ctx *)ctx;
    size_t k;
    if (a->inner != NULL) {
        uint8_t *in = conseco__mask_out_row(a->inner, y, z) + c->yb.lo[0];
        for (k = 0; k < c->n0; k++) in[k] = (uint8_t)(d[k] >= a->dmin);
    }
    if (a->uncertain != NULL) {
        uint8_t *un = conseco__mask_out_row(a->uncertain, y, z) + c->yb.lo[0];
        for (k = 0; k < c->n0; k++) un[k] = (uint8_t)((d[k] != 0) & (d[k] < a->dmin));
    }
}

/* Zeros every voxel of m outside the box (everything when predicted = 0). */
static void zero_outside(const cross3d *c, const conseco_image *pred, const conseco_mask_out *m)
{
    size_t y, z;
    if (m == NULL) return;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *row = conseco__mask_out_row(m, y, z);
            const int in_box = c->yb.predicted != 0 && z >= c->yb.lo[2] &&
                               z - c->yb.lo[2] < c->n2 && y >= c->yb.lo[1] &&
                               y - c->yb.lo[1] < c->n1;
            if (!in_box) {
                CONSECO_memset(row, 0, pred->width);
                continue;
            }
            CONSECO_memset(row, 0, c->yb.lo[0]);
            CONSECO_memset(row + c->yb.lo[0] + c->n0, 0, pred->width - c->yb.lo[0] - c->n0);
        }
}

int conseco__cross3d_apply(const conseco_erosion_params *p, const conseco_image *pred,
                           double lambda, void *scratch, size_t scratch_size,
                           const conseco_mask_out *inner, const conseco_mask_out *uncertain)
{
    cross3d c;
    apply_ctx a;
    int rc = build(p, pred, scratch, scratch_size, &c);
    if (rc != CONSECO_OK) return rc;
    if (c.yb.predicted == 0) c.n0 = c.n1 = c.n2 = 0;
    zero_outside(&c, pred, inner);
    zero_outside(&c, pred, uncertain);
    if (c.yb.predicted == 0) return CONSECO_OK;
    a.inner = inner;
    a.uncertain = uncertain;
    a.dmin = min_kept_distance(lambda);
    pass_b(&c, apply_row, &a);
    return CONSECO_OK;
}

typedef struct eval_ctx {
    const conseco_mask *truth;
    uint32_t dmin;
    uint64_t in, fp, tp;
} eval_ctx;

static void eval_row(cross3d *c, void *ctx, size_t y, size_t z, const uint16_t *d)
{
    eval_ctx *e = (eval_ctx *)ctx;
    const uint8_t *t = conseco__mask_row(e->truth, y, z) + c->yb.lo[0];
    uint64_t in = 0, fp = 0;
    size_t k;
    for (k = 0; k < c->n0; k++) {
        const uint32_t kept = d[k] >= e->dmin; /* d = 0 (background) is never kept */
        in += kept;
        fp += kept & (uint32_t)(t[k] == 0);
    }
    e->in += in;
    e->fp += fp;
    e->tp += in - fp;
}

int conseco__cross3d_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double lambda, double tau,
                              void *scratch, size_t scratch_size, conseco_image_metrics *out)
{
    cross3d c;
    eval_ctx e;
    int rc = build(p, pred, scratch, scratch_size, &c);
    if (rc != CONSECO_OK) return rc;
    e.truth = truth;
    e.dmin = min_kept_distance(lambda);
    e.in = e.fp = e.tp = 0;
    if (c.yb.predicted != 0) pass_b(&c, eval_row, &e);
    conseco__metrics_fill(c.yb.predicted, e.in, e.fp, e.tp, tau, out);
    return CONSECO_OK;
}
