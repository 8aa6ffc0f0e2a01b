/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Erosion shrinker (paper Eq. 2) through its level map (docs/DESIGN.md section 2).
 *
 * Yhat = {s >= base}. lambda erosions by the cross (square) remove exactly the
 * pixels within city-block (chessboard) distance lambda of the background;
 * one erosion by the disk of radius lambda removes those within Euclidean
 * distance lambda. So every pixel of Yhat has a level
 *     L = d - 1             (cross, square; d the distance to the background)
 *     L = isqrt(D2 - 1)     (disk; D2 the exact squared Euclidean distance)
 * with p in I_lambda <=> L(p) >= lambda, and L = +inf when there is no
 * background at all (Yhat fills the image under the foreground policy).
 * Score, apply and evaluate are then one pass over the levels.
 *
 * The transform only runs on the bounding box of Yhat: its one-pixel margin
 * is background (outside Yhat, or outside the image under the background
 * policy), and nothing farther can be nearer (clamping a background pixel's
 * coordinates onto the margin never increases its distance).
 *
 * A view with depth 1 is a 2-D image: no background above or below it.
 * A volume (depth > 1) faces the outside on all six sides.
 *
 * Scratch (16-byte aligned): N uint32 distances (4 bytes per pixel), then
 * 3 * (second-largest of w, h, d + 2) uint32 envelope cells, then
 * w + h + d + 1 size_t histogram bins for the levels of false-positive
 * pixels (each area rounded up to 8 bytes), plus CONSECO__ALIGN_SLACK.
 *
 * 2-D images eroded by the cross, the paper's shrinker, take the fused path
 * of erosion_cross2d.c (16-bit distances, about 2 bytes of scratch a pixel)
 * whenever its scratch fits in this one; volumes eroded by the cross take
 * erosion_cross3d.c (16-bit distances, about 2 bytes a voxel) for the score,
 * apply and evaluate, whose scratch is counted in this one's size. See the
 * dispatch at the end.
 */
#include "distance.h"
#include "erosion_cross2d.h"
#include "erosion_cross3d.h"
#include "common/bits.h"
#include "common/simd.h"
#include "common/yhat.h"

/* +inf as a constant expression for static initialisers (C11 has none without math.h). */
#if defined(__GNUC__) || defined(__clang__)
#define CONSECO__INF_CONSTANT __builtin_inf()
#else
#include <math.h> /* only for the HUGE_VAL constant; no libm function is called */
#define CONSECO__INF_CONSTANT HUGE_VAL
#endif

/* ------------------------------------------------------------- helpers */
static int metric_of(uint32_t element)
{
    switch (element) {
    case CONSECO_ELEMENT_SQUARE: return CONSECO__METRIC_LINF;
    case CONSECO_ELEMENT_DISK: return CONSECO__METRIC_L2SQ;
    default: return CONSECO__METRIC_L1;
    }
}


/* Level of a Yhat cell (d >= 1); CONSECO__DIST_INF stays "never removed". */
static uint32_t level_of(int metric, uint32_t d)
{
    if (d == CONSECO__DIST_INF) return CONSECO__DIST_INF;
    /* disk of radius r keeps p iff D2 > r^2 iff r <= ceil(sqrt(D2)) - 1 */
    if (metric == CONSECO__METRIC_L2SQ) return conseco__isqrt32(d - 1);
    return d - 1;
}

/* p in I_lambda: L >= lambda, and lambda = +inf keeps nothing (docs/DESIGN.md section 2). */
static int kept(uint32_t level, double lambda)
{
    if (lambda == conseco__inf()) return 0;
    if (level == CONSECO__DIST_INF) return 1;
    return (double)level >= lambda;
}

/* ------------------------------------------------------------ level map */
typedef struct level_map {
    const conseco_image *pred;
    int metric;
    uint64_t predicted; /* |Yhat| */
    size_t lo[3];       /* bounding box of Yhat, inclusive */
    conseco__box box;   /* n = hi - lo + 1, margins with the border policy */
    uint32_t *d;        /* distances of the box cells after build_distances */
} level_map;

static size_t box_cells(const conseco__box *box) { return box->n[0] * box->n[1] * box->n[2]; }

#ifdef CONSECO__SIMD
static unsigned popcount16(uint32_t v)
{
    v = v - ((v >> 1) & 0x5555u);
    v = (v & 0x3333u) + ((v >> 2) & 0x3333u);
    v = (v + (v >> 4)) & 0x0F0Fu;
    return (v + (v >> 8)) & 0x1Fu;
}
#endif

/* Running count and bounds of Yhat. */
typedef struct yhat_acc {
    uint64_t predicted;
    size_t lo[3], hi[3];
} yhat_acc;

static void acc_row(yhat_acc *a, size_t first, size_t last, size_t count, size_t y, size_t z)
{
    a->predicted += count;
    if (first < a->lo[0]) a->lo[0] = first;
    if (last > a->hi[0]) a->hi[0] = last;
    if (y < a->lo[1]) a->lo[1] = y;
    if (y > a->hi[1]) a->hi[1] = y;
    if (z < a->lo[2]) a->lo[2] = z;
    if (z > a->hi[2]) a->hi[2] = z;
}

/* One float32 row: Yhat = {s >= fb} (fb = conseco__f32_at_least(base): the
 * same test), and whether every value is finite, in one pass; groups of 16
 * with no value at or above fb (nor NaN, nor +inf) are skipped in a few
 * vector instructions, -inf shows in the running minimum. 0 on a
 * non-finite value. */
static int scan_f32_row(const float *s, size_t w, float fb, size_t y, size_t z, yhat_acc *a,
                        uint16_t *bits
#ifdef CONSECO__SIMD
                        , conseco__m128 *vmin
#endif
)
{
    size_t x = 0, count = 0, first = w, last = 0;
    int ok = 1;
#ifdef CONSECO__SIMD
    {
        const conseco__m128 vb = conseco__mm_set1_ps(fb), zero = conseco__mm_setzero_ps();
        conseco__m128 v[4];
        for (; x + 16 <= w; x += 16) {
            size_t j;
            conseco__prefetch(s + x, CONSECO__PREFETCH_AHEAD);
            uint32_t in = 0;
            int q;
            if (!conseco__f32x16_maybe_in(s + x, vb, v, vmin)) {
                if (bits != NULL) bits[x >> 4] = 0;
                continue;
            }
            for (q = 0; q < 4; q++) {
                /* v - v is 0 for finite lanes, NaN otherwise */
                const conseco__m128 fin =
                    conseco__mm_cmpge_ps(conseco__mm_sub_ps(v[q], v[q]), zero);
                ok &= conseco__mm_movemask_ps(fin) == 0xF;
                in |= (uint32_t)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[q], vb))
                      << (4 * q);
            }
            if (bits != NULL) bits[x >> 4] = (uint16_t)in;
            if (in == 0) continue;
            count += popcount16(in);
            j = x + conseco__ctz32(in);
            if (j < first) first = j;
            last = x + 31u - conseco__clz32(in);
        }
    }
#endif
    for (; x < w; x++) {
        const float f = s[x];
        ok &= f - f == 0.0f;
        if (bits != NULL) {
            if ((x & 15u) == 0) bits[x >> 4] = 0;
            bits[x >> 4] = (uint16_t)(bits[x >> 4] | (unsigned)(f >= fb) << (x & 15u));
        }
        if (f >= fb) {
            count++;
            if (x < first) first = x;
            last = x;
        }
    }
    if (count) acc_row(a, first, last, count, y, z);
    return ok;
}

/* The float32 scan of every row keeping Yhat's bits (see
 * conseco__erosion_yhat_box_bits); 0 on a non-finite value. */
static int scan_f32_bits(const conseco_image *pred, float fb, yhat_acc *acc, uint16_t *bits,
                         uint8_t *marks
#ifdef CONSECO__SIMD
                         , conseco__m128 *vmin
#endif
)
{
    uint16_t row_bits[CONSECO__YHAT_BITS_WORDS]; /* a row's bits, kept when it has Yhat */
    const size_t wpr = (pred->width + 15) / 16;
    size_t y, z;
    int ok = 1;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint64_t before = acc->predicted;
            ok &= scan_f32_row((const float *)(const void *)conseco__image_row(pred, y, z),
                               pred->width, fb, y, z, acc, row_bits
#ifdef CONSECO__SIMD
                               , vmin
#endif
            );
            /* only rows with Yhat are written: few bytes on small masks */
            marks[z * pred->height + y] = (uint8_t)(acc->predicted != before);
            if (acc->predicted != before)
                CONSECO_memcpy(bits + (z * pred->height + y) * wpr, row_bits,
                               wpr * sizeof(uint16_t));
        }
    return ok;
}

/* |Yhat| and its bounding box; sets up the box and its open margins. */
int conseco__erosion_yhat_box(const conseco_erosion_params *p, const conseco_image *pred,
                              conseco__yhat_box *out)
{
    return conseco__erosion_yhat_box_bits(p, pred, out, NULL, NULL);
}

int conseco__erosion_yhat_box_bits(const conseco_erosion_params *p, const conseco_image *pred,
                                   conseco__yhat_box *out, uint16_t *bits, uint8_t *marks)
{
    const size_t dims[3] = {pred->width, pred->height, pred->depth};
    const int f32 = pred->dtype == CONSECO_DTYPE_F32 && p->base > -3.0e38 && p->base < 3.0e38;
    yhat_acc acc;
    size_t x, y, z;
    int a, rc;
    acc.predicted = 0;
    for (a = 0; a < 3; a++) {
        acc.lo[a] = dims[a];
        acc.hi[a] = 0;
    }
    if (f32) { /* the finiteness check and the scan in one pass */
        const float fb = conseco__f32_at_least(p->base);
        int ok = 1;
#ifdef CONSECO__SIMD
        conseco__m128 vmin = conseco__mm_setzero_ps();
#endif
        if ((pred->width + 15) / 16 > CONSECO__YHAT_BITS_WORDS) bits = NULL;
        if (bits != NULL)
            ok = scan_f32_bits(pred, fb, &acc, bits, marks
#ifdef CONSECO__SIMD
                               , &vmin
#endif
            );
        else
            for (z = 0; z < pred->depth; z++)
                for (y = 0; y < pred->height; y++)
                    ok &= scan_f32_row(
                        (const float *)(const void *)conseco__image_row(pred, y, z),
                        pred->width, fb, y, z, &acc, NULL
#ifdef CONSECO__SIMD
                        , &vmin
#endif
                    );
#ifdef CONSECO__SIMD
        ok &= !conseco__f32_min_is_neg_inf(vmin);
#endif
        if (!ok) return CONSECO_E_NONFINITE;
    } else {
        if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
        for (z = 0; z < pred->depth; z++)
            for (y = 0; y < pred->height; y++) {
                const unsigned char *row = conseco__image_row(pred, y, z);
                size_t count = 0, first = pred->width, last = 0;
                for (x = 0; x < pred->width; x++) {
                    if (!conseco__in_yhat(pred->dtype, row, x, p->base)) continue;
                    count++;
                    if (x < first) first = x;
                    last = x;
                }
                if (count) acc_row(&acc, first, last, count, y, z);
            }
    }
    out->bits = f32 && bits != NULL && (pred->width + 15) / 16 <= CONSECO__YHAT_BITS_WORDS;
    out->predicted = acc.predicted;
    out->lo[0] = acc.lo[0];
    out->lo[1] = acc.lo[1];
    out->lo[2] = acc.lo[2];
    if (out->predicted == 0) return CONSECO_OK;
    for (a = 0; a < 3; a++) {
        /* a 2-D image has nothing above or below it, whatever the policy */
        const int faces = a < 2 || pred->depth > 1;
        const int outside_bg = faces && p->border == CONSECO_BORDER_BACKGROUND;
        out->box.n[a] = acc.hi[a] - acc.lo[a] + 1;
        out->box.open_lo[a] = (unsigned char)(acc.lo[a] > 0 || outside_bg);
        out->box.open_hi[a] = (unsigned char)(acc.hi[a] + 1 < dims[a] || outside_bg);
    }
    return CONSECO_OK;
}

static int find_yhat(const conseco_erosion_params *p, const conseco_image *pred,
                     level_map *m)
{
    conseco__yhat_box yb;
    int rc = conseco__erosion_yhat_box(p, pred, &yb);
    if (rc != CONSECO_OK) return rc;
    m->pred = pred;
    m->metric = metric_of(p->element);
    m->predicted = yb.predicted;
    if (m->predicted == 0) return CONSECO_OK;
    m->lo[0] = yb.lo[0];
    m->lo[1] = yb.lo[1];
    m->lo[2] = yb.lo[2];
    m->box = yb.box;
    return conseco__distance_fits(&m->box, m->metric);
}

/* Fills the box with 0 (background) / INF (Yhat) and runs the transform. */
static void build_distances(const conseco_erosion_params *p, level_map *m, uint32_t *d,
                            uint32_t *work)
{
    const conseco_image *pred = m->pred;
    size_t x, y, z, i = 0;
    const int f32 = pred->dtype == CONSECO_DTYPE_F32 && p->base > -3.0e38 && p->base < 3.0e38;
    const float fb = f32 ? conseco__f32_at_least(p->base) : 0.0f;
    for (z = 0; z < m->box.n[2]; z++)
        for (y = 0; y < m->box.n[1]; y++) {
            const unsigned char *row = conseco__image_row(pred, m->lo[1] + y, m->lo[2] + z);
            if (f32) { /* the same test, branch-free */
                const float *fr = (const float *)(const void *)row + m->lo[0];
                for (x = 0; x < m->box.n[0]; x++)
                    d[i++] = fr[x] >= fb ? CONSECO__DIST_INF : 0u;
                continue;
            }
            for (x = 0; x < m->box.n[0]; x++)
                d[i++] = conseco__in_yhat(pred->dtype, row, m->lo[0] + x, p->base)
                             ? CONSECO__DIST_INF
                             : 0;
        }
    m->d = d;
    conseco__distance_transform(d, &m->box, m->metric, work);
}

/* ---------------------------------------------------------------- scratch */
typedef struct layout {
    uint32_t *d;
    uint32_t *work;
    size_t work_len;
    size_t *hist;
    size_t hist_len;
} layout;

static size_t round8(size_t v) { return (v + 7u) & ~(size_t)7u; }

/* Byte sizes of the three areas for a w x h x d image; 0 on overflow.
 * The envelope only scans lines along the axes other than the longest one
 * of the box, whose lengths never exceed the image's second-largest
 * dimension. */
static int layout_sizes(size_t w, size_t h, size_t d, size_t *dist, size_t *work,
                        size_t *hist, size_t *hist_len)
{
    size_t n, len, second;
    const size_t big = w > h ? w : h, small = w > h ? h : w;
    second = d >= big ? big : d > small ? d : small;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n) ||
        !conseco__mul_size(n, sizeof(uint32_t), dist))
        return 0;
    *dist = round8(*dist);
    if (*dist == 0) return 0; /* round8 wrapped */
    if (!conseco__add_size(second, 2, &len) || !conseco__mul_size(len, 3, &len) ||
        !conseco__mul_size(len, sizeof(uint32_t), work))
        return 0;
    *work = round8(*work);
    if (*work == 0) return 0;
    if (!conseco__add_size(w, h, &len) || !conseco__add_size(len, d, &len) ||
        !conseco__add_size(len, 1, &len) || !conseco__mul_size(len, sizeof(size_t), hist))
        return 0;
    *hist_len = len;
    return 1;
}

size_t conseco__erosion_scratch_size(const conseco_erosion_params *p, size_t width,
                                     size_t height, size_t depth)
{
    size_t dist, work, hist, hist_len, total;
    if (p != NULL && p->element == CONSECO_ELEMENT_BALL_MM)
        return conseco__erosion_mm_scratch_size(width, height, depth);
    if (width == 0 || height == 0 || depth == 0) return 0;
    if (!layout_sizes(width, height, depth, &dist, &work, &hist, &hist_len)) return 0;
    if (!conseco__add_size(dist, work, &total) || !conseco__add_size(total, hist, &total) ||
        !conseco__add_size(total, CONSECO__ALIGN_SLACK, &total))
        return 0;
    /* volumes eroded by the cross: also room for the 16-bit score path
     * (erosion_cross3d.c), whatever the sides, so that sizes stay monotone */
    if (p != NULL && p->element == CONSECO_ELEMENT_CROSS && depth > 1) {
        const size_t c3 = conseco__cross3d_scratch_size(width, height, depth);
        if (c3 == 0) return 0;
        if (c3 > total) total = c3;
    }
    return total;
}

static int carve(const conseco_erosion_params *p, const conseco_image *pred, void *scratch,
                 size_t scratch_size, layout *lay)
{
    size_t dist, work, hist, need;
    unsigned char *base;
    need = conseco__erosion_scratch_size(p, pred->width, pred->height, pred->depth);
    if (need == 0 || !layout_sizes(pred->width, pred->height, pred->depth, &dist, &work,
                                   &hist, &lay->hist_len))
        return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    base = (unsigned char *)conseco__align16(scratch, &scratch_size);
    lay->d = (uint32_t *)(void *)base;
    lay->work = (uint32_t *)(void *)(base + dist);
    lay->work_len = work / sizeof(uint32_t);
    lay->hist = (size_t *)(void *)(base + dist + work);
    return CONSECO_OK;
}

/* Yhat, its box and the transform, all in scratch. */
static int build_map(const conseco_erosion_params *p, const conseco_image *pred,
                     void *scratch, size_t scratch_size, level_map *m, layout *lay)
{
    int rc = carve(p, pred, scratch, scratch_size, lay);
    if (rc != CONSECO_OK) return rc;
    if ((rc = find_yhat(p, pred, m)) != CONSECO_OK) return rc;
    if (m->predicted == 0) return CONSECO_OK;
    /* cannot fail (see layout_sizes); checked because a miss would corrupt memory */
    if (conseco__distance_work_len(&m->box) > lay->work_len) return CONSECO_E_SCRATCH_TOO_SMALL;
    build_distances(p, m, lay->d, lay->work);
    return CONSECO_OK;
}

/* ------------------------------------------------------------------ score */
static int general_score(const conseco_erosion_params *p, const conseco_image *pred,
                         const conseco_mask *truth, double tau, void *scratch,
                         size_t scratch_size, double *score)
{
    level_map m;
    layout lay;
    uint64_t fp = 0, fp_inf = 0, budget, need, acc;
    size_t x, y, z, i = 0, l;
    int rc = build_map(p, pred, scratch, scratch_size, &m, &lay);
    if (rc != CONSECO_OK) return rc;
    if (m.predicted == 0) {
        *score = 0.0; /* empty prediction: lambda_min */
        return CONSECO_OK;
    }
    CONSECO_memset(lay.hist, 0, lay.hist_len * sizeof(size_t));
    for (z = 0; z < m.box.n[2]; z++)
        for (y = 0; y < m.box.n[1]; y++) {
            const uint8_t *t = conseco__mask_row(truth, m.lo[1] + y, m.lo[2] + z) + m.lo[0];
            for (x = 0; x < m.box.n[0]; x++, i++) {
                uint32_t level;
                if (m.d[i] == 0 || t[x]) continue; /* not a false positive */
                fp++;
                level = level_of(m.metric, m.d[i]);
                if (level == CONSECO__DIST_INF) fp_inf++;
                else if ((size_t)level < lay.hist_len) lay.hist[level]++;
                else return CONSECO_E_OVERFLOW; /* cannot happen: levels < w + h + d */
            }
        }
    budget = conseco__fp_budget(m.predicted, tau);
    if (fp <= budget) {
        *score = 0.0;
        return CONSECO_OK;
    }
    /* the smallest lambda keeping at most `budget` FP pixels is one above
     * the (budget + 1)-th largest FP level */
    need = budget + 1;
    if (fp_inf >= need) {
        *score = conseco__inf();
        return CONSECO_OK;
    }
    acc = fp_inf;
    for (l = lay.hist_len; l-- > 0;) {
        acc += lay.hist[l];
        if (acc >= need) {
            *score = (double)l + 1.0;
            return CONSECO_OK;
        }
    }
    return CONSECO_E_OVERFLOW; /* unreachable: fp > budget pixels were counted */
}

/* ----------------------------------------------------------- apply, metrics */
static int general_apply(const conseco_erosion_params *p, const conseco_image *pred,
                         double lambda, void *scratch, size_t scratch_size,
                         const conseco_mask_out *inner, const conseco_mask_out *uncertain)
{
    level_map m;
    layout lay;
    size_t x, y, z, i = 0;
    int rc = build_map(p, pred, scratch, scratch_size, &m, &lay);
    if (rc != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *in = inner ? conseco__mask_out_row(inner, y, z) : NULL;
            uint8_t *un = uncertain ? conseco__mask_out_row(uncertain, y, z) : NULL;
            const int row_in_box = m.predicted != 0 && z >= m.lo[2] &&
                                   z - m.lo[2] < m.box.n[2] && y >= m.lo[1] &&
                                   y - m.lo[1] < m.box.n[1];
            for (x = 0; x < pred->width; x++) {
                int yhat = 0, keep = 0;
                if (row_in_box && x >= m.lo[0] && x - m.lo[0] < m.box.n[0]) {
                    const uint32_t dv = m.d[i++];
                    yhat = dv != 0;
                    keep = yhat && kept(level_of(m.metric, dv), lambda);
                }
                if (in) in[x] = (uint8_t)keep;
                if (un) un[x] = (uint8_t)(yhat && !keep);
            }
        }
    return CONSECO_OK;
}

static int general_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                            const conseco_mask *truth, double lambda, double tau,
                            void *scratch, size_t scratch_size, conseco_image_metrics *out)
{
    level_map m;
    layout lay;
    uint64_t n_in = 0, n_fp = 0, n_tp = 0;
    size_t x, y, z, i = 0;
    int rc = build_map(p, pred, scratch, scratch_size, &m, &lay);
    if (rc != CONSECO_OK) return rc;
    if (m.predicted != 0)
        for (z = 0; z < m.box.n[2]; z++)
            for (y = 0; y < m.box.n[1]; y++) {
                const uint8_t *t =
                    conseco__mask_row(truth, m.lo[1] + y, m.lo[2] + z) + m.lo[0];
                for (x = 0; x < m.box.n[0]; x++, i++) {
                    if (m.d[i] == 0 || !kept(level_of(m.metric, m.d[i]), lambda)) continue;
                    n_in++;
                    if (t[x]) n_tp++;
                    else n_fp++;
                }
            }
    conseco__metrics_fill(m.predicted, n_in, n_fp, n_tp, tau, out);
    return CONSECO_OK;
}

/* ------------------------------------------------------ vtable callbacks */
/* No scratch here: the levels callback works inside its output buffer. */

static int callback_start(void *user, const conseco_image *pred, const void *out,
                          size_t count, size_t *n)
{
    const conseco_erosion_params *p = (const conseco_erosion_params *)user;
    int rc;
    if (out == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__erosion_params_check(p)) != CONSECO_OK) return rc;
    if ((rc = conseco__image_check(pred, n)) != CONSECO_OK) return rc;
    return count < *n ? CONSECO_E_BUFFER_TOO_SMALL : CONSECO_OK;
}

/*
 * Dense levels. The box distances live as uint32 at the END of the levels
 * buffer (4 bytes per box cell, at most half of its 8 bytes per pixel), the
 * envelope cells at its start. The final pass writes double p after reading
 * distance b of the same or an earlier pixel; since at least as many pixels
 * follow p in the image as cells follow b in the box, 8 (N - p) >= 4 (B - b)
 * + 8, so no unread distance is overwritten. Reads go through memcpy because
 * the same bytes change type.
 */
int conseco__erosion_levels_cb(void *user, const conseco_image *pred, double *levels,
                               size_t count)
{
    const conseco_erosion_params *p = (const conseco_erosion_params *)user;
    unsigned char *bytes = (unsigned char *)levels;
    uint32_t local_work[48]; /* tiny boxes whose envelope does not fit in front */
    uint32_t *work;
    level_map m;
    size_t n, total, cells, d_off, wl, x, y, z, i = 0, b = 0;
    int rc = callback_start(user, pred, levels, count, &n);
    if (rc != CONSECO_OK) return rc;
    if (p->element == CONSECO_ELEMENT_BALL_MM) return conseco__erosion_mm_levels(p, pred, levels, n);
    if ((rc = find_yhat(p, pred, &m)) != CONSECO_OK) return rc;
    if (m.predicted == 0) {
        for (i = 0; i < n; i++) levels[i] = -conseco__inf();
        return CONSECO_OK;
    }
    cells = box_cells(&m.box);
    wl = conseco__distance_work_len(&m.box);
    total = n * sizeof(double); /* the caller holds n doubles: no overflow */
    d_off = total - cells * sizeof(uint32_t);
    if (wl <= d_off / sizeof(uint32_t)) work = (uint32_t *)(void *)levels;
    else if (wl <= sizeof local_work / sizeof local_work[0]) work = local_work;
    else return CONSECO_E_UNSUPPORTED; /* not reachable: the longest axis goes first */
    build_distances(p, &m, (uint32_t *)(void *)(bytes + d_off), work);
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const int row_in_box = z >= m.lo[2] && z - m.lo[2] < m.box.n[2] &&
                                   y >= m.lo[1] && y - m.lo[1] < m.box.n[1];
            for (x = 0; x < pred->width; x++, i++) {
                double v = -conseco__inf();
                if (row_in_box && x >= m.lo[0] && x - m.lo[0] < m.box.n[0]) {
                    uint32_t dv;
                    CONSECO_memcpy(&dv, bytes + d_off + b * sizeof(uint32_t), sizeof dv);
                    b++;
                    if (dv != 0) {
                        const uint32_t level = level_of(m.metric, dv);
                        v = level == CONSECO__DIST_INF ? conseco__inf() : (double)level;
                    }
                }
                levels[i] = v;
            }
        }
    return CONSECO_OK;
}

/* The apply callback (no level map: it only has the output byte per pixel)
 * lives in erosion_apply_cb.c. */

/* ------------------------------------------------------------- dispatch */
/* 2-D images eroded by the cross take the fused path of erosion_cross2d.c
 * (the paper's shrinker, and the hot case) when its scratch fits in this
 * file's, after the same scratch check as the general path: both accept and
 * reject the same calls, and return the same results. */
static int fused_takes(const conseco_erosion_params *p, const conseco_image *pred)
{
    size_t fused;
    if (!conseco__cross2d_applies(p, pred)) return 0;
    fused = conseco__cross2d_scratch_size(pred->width, pred->height);
    return fused != 0 &&
           fused <= conseco__erosion_scratch_size(p, pred->width, pred->height, pred->depth);
}

static int fused_scratch_check(const conseco_erosion_params *p, const conseco_image *pred,
                               const void *scratch, size_t scratch_size)
{
    const size_t need = conseco__erosion_scratch_size(p, pred->width, pred->height, pred->depth);
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    return CONSECO_OK;
}

/* Volumes with the cross (erosion_cross3d.c): the general path's checks, in
 * its order (overflow, then the scratch). */
static int cross3d_checks(const conseco_erosion_params *p, const conseco_image *pred,
                          const void *scratch, size_t scratch_size)
{
    if (conseco__erosion_scratch_size(p, pred->width, pred->height, pred->depth) == 0)
        return CONSECO_E_OVERFLOW;
    return fused_scratch_check(p, pred, scratch, scratch_size);
}

int conseco__erosion_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau, void *scratch,
                           size_t scratch_size, double *score)
{
    int rc;
    if (p->element == CONSECO_ELEMENT_BALL_MM)
        return conseco__erosion_mm_score(p, pred, truth, tau, scratch, scratch_size, score);
    if (conseco__cross3d_applies(p, pred)) {
        if ((rc = cross3d_checks(p, pred, scratch, scratch_size)) != CONSECO_OK) return rc;
        return conseco__cross3d_score(p, pred, truth, tau, scratch, scratch_size, score);
    }
    if (!fused_takes(p, pred))
        return general_score(p, pred, truth, tau, scratch, scratch_size, score);
    if ((rc = fused_scratch_check(p, pred, scratch, scratch_size)) != CONSECO_OK) return rc;
    return conseco__cross2d_score(p, pred, truth, tau, scratch, scratch_size, score);
}

int conseco__erosion_apply(const conseco_erosion_params *p, const conseco_image *pred,
                           double lambda, void *scratch, size_t scratch_size,
                           const conseco_mask_out *inner, const conseco_mask_out *uncertain)
{
    int rc;
    if (p->element == CONSECO_ELEMENT_BALL_MM)
        return conseco__erosion_mm_apply(p, pred, lambda, scratch, scratch_size, inner,
                                         uncertain);
    if (conseco__cross3d_applies(p, pred)) {
        if ((rc = cross3d_checks(p, pred, scratch, scratch_size)) != CONSECO_OK) return rc;
        return conseco__cross3d_apply(p, pred, lambda, scratch, scratch_size, inner, uncertain);
    }
    if (!fused_takes(p, pred))
        return general_apply(p, pred, lambda, scratch, scratch_size, inner, uncertain);
    if ((rc = fused_scratch_check(p, pred, scratch, scratch_size)) != CONSECO_OK) return rc;
    return conseco__cross2d_apply(p, pred, lambda, scratch, scratch_size, inner, uncertain);
}

int conseco__erosion_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double lambda, double tau,
                              void *scratch, size_t scratch_size, conseco_image_metrics *out)
{
    int rc;
    if (p->element == CONSECO_ELEMENT_BALL_MM)
        return conseco__erosion_mm_evaluate(p, pred, truth, lambda, tau, scratch,
                                            scratch_size, out);
    if (conseco__cross3d_applies(p, pred)) {
        if ((rc = cross3d_checks(p, pred, scratch, scratch_size)) != CONSECO_OK) return rc;
        return conseco__cross3d_evaluate(p, pred, truth, lambda, tau, scratch, scratch_size,
                                         out);
    }
    if (!fused_takes(p, pred))
        return general_evaluate(p, pred, truth, lambda, tau, scratch, scratch_size, out);
    if ((rc = fused_scratch_check(p, pred, scratch, scratch_size)) != CONSECO_OK) return rc;
    return conseco__cross2d_evaluate(p, pred, truth, lambda, tau, scratch, scratch_size, out);
}

/* ------------------------------------------------- vtable, params, ops */
static const conseco_shrinker_vtable erosion_vt = {
    sizeof(conseco_shrinker_vtable),
    CONSECO_SHRINKER_VERSION,
    "erosion",
    CONSECO_DOMAIN_INTEGER,
    0,
    0.0,
    CONSECO__INF_CONSTANT, /* so that a copied vtable still describes the erosion domain */
    conseco__erosion_levels_cb,
    conseco__erosion_apply_cb,
    NULL,
    NULL,
    NULL, /* the outer family (dilation) goes through the ops table */
};

const conseco_shrinker_vtable *conseco_erosion_vtable(void) { return &erosion_vt; }

void conseco_erosion_params_default(conseco_erosion_params *p)
{
    if (p == NULL) return;
    CONSECO_memset(p, 0, sizeof *p);
    p->struct_size = (uint32_t)sizeof *p;
    p->element = CONSECO_ELEMENT_CROSS;
    p->border = CONSECO_BORDER_FOREGROUND;
    p->base = 0.5;
}

conseco_shrinker conseco_shrinker_erosion(conseco_erosion_params *params)
{
    conseco_shrinker s;
    s.vtable = &erosion_vt;
    s.user = params;
    return s;
}

int conseco__erosion_params_check(const conseco_erosion_params *p)
{
    if (p == NULL) return CONSECO_E_NULL;
    /* the 0.2 layout at least (later members are appended; we read ours) */
    if (p->struct_size < sizeof *p || p->reserved != 0) return CONSECO_E_BAD_SHRINKER;
    if (p->element < CONSECO_ELEMENT_CROSS || p->element > CONSECO_ELEMENT_BALL_MM)
        return CONSECO_E_BAD_SHRINKER;
    if (p->border != CONSECO_BORDER_FOREGROUND && p->border != CONSECO_BORDER_BACKGROUND)
        return CONSECO_E_BAD_SHRINKER;
    if (!conseco__is_finite(p->base)) return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

static const conseco_erosion_params *params_of(const conseco__shrinker *s)
{
    return (const conseco_erosion_params *)s->user;
}

static int op_load(const conseco_shrinker *in, conseco__shrinker *out)
{
    int rc = conseco__erosion_params_check((const conseco_erosion_params *)in->user);
    if (rc != CONSECO_OK) return rc;
    out->vt = erosion_vt;
    /* ball-mm: lambda is any real >= 0 */
    if (((const conseco_erosion_params *)in->user)->element == CONSECO_ELEMENT_BALL_MM)
        out->vt.domain = CONSECO_DOMAIN_REAL;
    out->user = in->user;
    out->ops = &conseco__erosion_ops;
    return CONSECO_OK;
}

static size_t op_scratch_size(const conseco__shrinker *s, size_t width, size_t height,
                              size_t depth)
{
    return conseco__erosion_scratch_size(params_of(s), width, height, depth);
}

static int op_score(const conseco__shrinker *s, const conseco_image *pred,
                    const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                    double *score)
{
    return conseco__erosion_score(params_of(s), pred, truth, tau, scratch, scratch_size, score);
}

static int op_apply(const conseco__shrinker *s, const conseco_image *pred, double lambda,
                    void *scratch, size_t scratch_size, const conseco_mask_out *inner,
                    const conseco_mask_out *uncertain)
{
    return conseco__erosion_apply(params_of(s), pred, lambda, scratch, scratch_size, inner,
                                  uncertain);
}

static int op_evaluate(const conseco__shrinker *s, const conseco_image *pred,
                       const conseco_mask *truth, double lambda, double tau, void *scratch,
                       size_t scratch_size, conseco_image_metrics *out)
{
    return conseco__erosion_evaluate(params_of(s), pred, truth, lambda, tau, scratch,
                                     scratch_size, out);
}

static int op_levels(const conseco__shrinker *s, const conseco_image *pred, double *levels,
                     size_t n)
{
    return conseco__erosion_levels_cb(s->user, pred, levels, n);
}

static void op_params_save(const conseco__shrinker *s, conseco__saved_params *out)
{
    CONSECO_memset(out, 0, sizeof *out);
    out->element = params_of(s)->element;
    out->border = params_of(s)->border;
    out->base = conseco__double_bits(params_of(s)->base);
}

static int op_saved_check(const conseco__saved_params *p, uint32_t domain, double lambda_min,
                          double lambda_max, const char *name)
{
    conseco_erosion_params ep;
    conseco_shrinker pub;
    conseco__shrinker sh;
    if (p->top != 0) return CONSECO_E_CORRUPT;
    conseco_erosion_params_default(&ep);
    ep.element = p->element;
    ep.border = p->border;
    ep.base = conseco__bits_double(p->base);
    pub = conseco_shrinker_erosion(&ep);
    if (op_load(&pub, &sh) != CONSECO_OK) return CONSECO_E_CORRUPT;
    return conseco__builtin_saved_match(&sh.vt, domain, lambda_min, lambda_max, name);
}

static void op_params_info(const conseco__saved_params *p, conseco_state_info *info)
{
    conseco_erosion_params_default(&info->erosion);
    info->erosion.element = p->element;
    info->erosion.border = p->border;
    info->erosion.base = conseco__bits_double(p->base);
}

const conseco__ops conseco__erosion_ops = {
    CONSECO_KIND_EROSION,
    &erosion_vt,
    sizeof(conseco_erosion_params),
    op_load,
    op_scratch_size,
    op_score,
    op_apply,
    op_evaluate,
    op_levels,
    op_params_save,
    op_saved_check,
    op_params_info,
    0, /* outer scores: dilation steps (k-th smallest) */
    conseco__erosion_side_scratch_size,
    conseco__erosion_side_check,
    conseco__erosion_side_score,
    conseco__erosion_side_apply,
    conseco__erosion_side_evaluate,
    conseco__erosion_side_evaluate_many,
    conseco__erosion_outer_levels,
};
