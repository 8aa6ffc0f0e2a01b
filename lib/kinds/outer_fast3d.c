/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dilation and erosion-band scores on volumes (depth > 1) by the cross
 * (6 neighbours, city-block distance) and the square (26 neighbours,
 * chessboard distance), with 16-bit distances: the 3-D form of the fused
 * 2-D path (outer_fast2d.c).
 *
 * Both sides of a band need a distance to "the other class": a false
 * positive (Yhat, truth 0) its distance d_in to the nearest background voxel
 * (its erosion level is d_in - 1 and the erosion score the (m+1)-th largest
 * d_in, docs/DESIGN.md section 2), a missed truth voxel (truth, not Yhat) its
 * distance d_out to the nearest Yhat voxel (its dilation level, section 5.2).
 * Under the background policy the voxels just outside the volume are
 * background (other class for Yhat, own class for the rest: they are never
 * Yhat, and the dilation never leaves the volume); under the foreground policy
 * they are of the class of the voxel next to them, i.e. never "other".
 *
 * Seeds. Call a voxel a seed when one of its 6 (cross) or 26 (square)
 * neighbours is of the other class, with the outside as above. For a voxel p
 * of either class let d(p) be its distance to the nearest voxel q of the
 * other class (an outside voxel for Yhat under the background policy). The
 * metric is the path length in steps between neighbours of the element
 * (city-block: 6-neighbour steps; chessboard: 26-neighbour steps), and a
 * shortest path from p to q can be taken monotone along every axis, so it
 * stays in the bounding box of p and q. Every voxel r on it before q is of
 * p's class (else r would be a nearer voxel of the other class), so the voxel
 * just before q is a seed of p's class at distance d(p) - 1: the nearest
 * seed is at most d(p) - 1 away. Conversely a seed s of p's class has a
 * neighbour of the other class, so d(p) <= dist(p, s) + 1, and a seed of the
 * other class is itself of the other class, so d(p) <= dist(p, s) <= dist + 1.
 * Hence for every voxel
 *     d(p) = 1 + (distance from p to the nearest seed),
 * one plain distance transform from the seeds serves both classes (the
 * neighbourhood defining seeds is the element's, so the argument holds for the
 * 6- and the 26-neighbourhood alike, and under both policies, the outside
 * entering only through which voxels are seeds).
 * The box. Outside the bounding box of Yhat U Y no voxel is Yhat or truth.
 * For a missed voxel p the nearest Yhat voxel q is in the box and so is the
 * monotone path between them, with the seed before q. For a false positive p
 * the seed before q is Yhat, hence in the box, and the monotone path from p
 * to it too. So the transform runs on that box alone (on Yhat's box when only
 * the erosion side is needed), with the seeds found from the whole volume's
 * bitmaps (a seed's neighbour may lie outside the box); no seed outside the
 * box is ever nearer.
 *
 *   1 (every row, vectorised for float32 and bytes): Yhat and truth as
 *     bitmaps (1/8 byte a voxel each), finiteness, |Yhat|, |Y|, |Y \ Yhat|,
 *     |Yhat \ Y| and the boxes. Scores that need no distance stop here.
 *   2 (box, slice by slice): each box row's seed word from the neighbour rows'
 *     bits (64 voxels a word; the square as the OR and the AND of the 27
 *     bits), expanded to 0 (seed) / 0xFFFF.
 *   3 the transform in 16-bit lanes. Cross: the city-block distance is
 *     separable; per slice upwards both sweeps along x (eight rows at a time,
 *     transposed into SSE2 lanes), both along y and the upward step along z;
 *     then slices downwards with the downward step along z, each finished row
 *     counted (cross_sweep.c, shared with erosion_cross3d.c). Square: the two raster passes
 *     of Rosenfeld and Pfaltz with the 26-neighbourhood (13 earlier
 *     neighbours, then 13 later ones), exact for the chessboard distance: the
 *     k steps of a monotone shortest path can be ordered with all steps
 *     lexicographically positive in (z, y, x) first, the negative ones after,
 *     and each order stays in the box; the 9 neighbours in the adjacent slice
 *     come from one 3 x 3 minimum of that slice (x, then y), the 3 in the
 *     adjacent row from its 3-minimum along x.
 *     A finished row adds its missed and false-positive voxels' d = 1 +
 *     distance to two histograms (read from the bitmaps, 64 voxels a test);
 *     0xFFFF (no seed: a box entirely Yhat under the foreground policy)
 *     counts as +inf.
 * Distances stay below w + h + d <= 0xFFFD, so 0xFFFF is never a finite
 * distance and saturating adds keep it; larger volumes take the general path.
 * The results are those of outer.c's general path and erosion.c (the tests
 * compare all of them with the literal one-step-at-a-time references).
 */
#include "outer_fast3d.h"

#include "bit_words.h"
#include "common/bits.h"
#include "common/simd.h"
#include "common/yhat.h"
#include "cross_sweep.h"
#include "outer_levels.h"
#include "outer_scan.h"
#include "simd_u16.h"

#define F3_INF CONSECO__OUTER_NO_SEED /* no seed at all (outer_levels.h) */

typedef struct fast3d {
    size_t w, h, d, rbp, nw;      /* bitmap row bytes (ceil(w / 8) rounded up to 8), words */
    int bg, linf;                 /* background border; the square */
    uint8_t *ybm, *tbm;           /* Yhat and truth bitmaps, h d rows of rbp bytes */
    uint8_t *zero, *srow;         /* rbp zero bytes; one row of seed bits */
    unsigned char *flags;         /* w + 16 bytes */
    uint16_t *g;                  /* the box's distances, x fastest */
    uint16_t *spare;              /* a row: sweep8's padding, a row's 3-minimum */
    uint16_t *slab;               /* square: the 3-minimum along x of a slice */
    void *lanes;                  /* 16 bytes a column, 16-aligned */
    uint32_t *hin, *hout;         /* bins each: false positives, missed voxels */
    size_t bins;                  /* w + h + d + 1 */
    uint64_t predicted, truth, missed0, fp0, in_inf, out_inf;
    size_t ylo[3], yhi[3];        /* box of Yhat (when predicted > 0) */
    size_t ulo[3], uhi[3];        /* box of Yhat U Y */
    size_t lo[3], n[3], slice;    /* the box of the transform; n[0] n[1] */
    uint32_t *out;                /* maps: the whole volume's codes (else NULL) */
} fast3d;

static size_t round16(size_t v) { return (v + 15u) & ~(size_t)15u; }
static size_t round8b(size_t v) { return (v + 7u) & ~(size_t)7u; }

/* Areas: g (w h d u16), the bitmaps (2 h d + 2 rows of rbp bytes), flags
 * (w + 16), lanes (16 w), a spare row (w u16), two histograms of w + h + d + 1
 * u32, and for the square a slice of w h u16. */
#define F3_AREAS 7
static int f3_areas(size_t w, size_t h, size_t d, int square, size_t sz[F3_AREAS])
{
    size_t n, rows, bins, k;
    const size_t rbp = round8b((w + 7u) / 8u);
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, square ? 2u : 0u, &sz[6]) ||
        !conseco__mul_size(n, d, &n) || !conseco__mul_size(n, 2u, &sz[0]))
        return 0;
    if (!conseco__mul_size(h, d, &rows) || !conseco__mul_size(rows, 2u, &rows) ||
        !conseco__add_size(rows, 2u, &rows) || !conseco__mul_size(rows, rbp, &sz[1]))
        return 0;
    if (!conseco__add_size(w, 16u, &sz[2]) || !conseco__mul_size(w, 16u, &sz[3]) ||
        !conseco__mul_size(w, 2u, &sz[4]))
        return 0;
    if (!conseco__add_size(w, h, &bins) || !conseco__add_size(bins, d, &bins) ||
        !conseco__add_size(bins, 1u, &bins) ||
        !conseco__mul_size(bins, 2u * sizeof(uint32_t), &sz[5]))
        return 0;
    for (k = 0; k < F3_AREAS; k++) {
        if (sz[k] > (size_t)-1 - 64u) return 0;
        sz[k] = round16(sz[k]);
    }
    return 1;
}

size_t conseco__outer3d_scratch_size(size_t w, size_t h, size_t d, int square)
{
    size_t sz[F3_AREAS], total = CONSECO__ALIGN_SLACK;
    int k;
    if (w == 0 || h == 0 || d == 0 || !f3_areas(w, h, d, square, sz)) return 0;
    for (k = 0; k < F3_AREAS; k++)
        if (!conseco__add_size(total, sz[k], &total)) return 0;
    return total;
}

int conseco__outer3d_takes(const conseco_erosion_params *p, const conseco_image *pred,
                           size_t available)
{
    size_t need;
    if (pred->depth <= 1 ||
        (p->element != CONSECO_ELEMENT_CROSS && p->element != CONSECO_ELEMENT_SQUARE) ||
        pred->width > 0xFFFDu || pred->height > 0xFFFDu - pred->width ||
        pred->depth > 0xFFFDu - pred->width - pred->height ||
        (uint64_t)pred->width * pred->height * pred->depth >= UINT64_C(0xFFFFFFFF) ||
        !(p->base > -3.0e38 && p->base < 3.0e38))
        return 0;
    need = conseco__outer3d_scratch_size(pred->width, pred->height, pred->depth,
                                         p->element == CONSECO_ELEMENT_SQUARE);
    return need != 0 && need <= available;
}

/* ---------------------------------------------------------------- pass 1 */
/* Pass 1: bitmaps, counts, boxes; CONSECO_E_NONFINITE on NaN or inf. */
static int f3_scan(const conseco_erosion_params *p, const conseco_image *pred,
                   const conseco_mask *truth, fast3d *c)
{
    const size_t w = c->w, rbp = c->rbp, nw = c->nw;
    conseco__outer_thr t;
    size_t y, z, i, a;
    int finite = 1;
#ifdef CONSECO__SIMD
    conseco__m128 vmin = conseco__mm_setzero_ps();
#endif
    conseco__outer_thr_init(&t, pred->dtype, p->base);
    c->predicted = c->truth = c->missed0 = c->fp0 = 0;
    c->ylo[0] = c->ulo[0] = c->w;
    c->ylo[1] = c->ulo[1] = c->h;
    c->ylo[2] = c->ulo[2] = c->d;
    for (a = 0; a < 3; a++) c->yhi[a] = c->uhi[a] = 0;
    for (z = 0; z < c->d; z++)
        for (y = 0; y < c->h; y++) {
            const size_t r = z * c->h + y;
            uint8_t *yb = c->ybm + r * rbp, *tb = c->tbm + r * rbp;
            size_t fy = nw, ly = 0, fu = nw, lu = 0;
            conseco__outer_yhat_bits(pred->dtype, conseco__image_row(pred, y, z), w, rbp, &t, yb,
                                     c->flags, &finite, 1
#ifdef CONSECO__SIMD
                                     , &vmin
#endif
            );
            if (truth != NULL)
                conseco__outer_truth_bits(conseco__mask_row(truth, y, z), w, rbp, tb, c->flags);
            else
                CONSECO_memset(tb, 0, rbp);
            for (i = 0; i < nw; i++) {
                const uint64_t Y = wload(yb + 8u * i), T = wload(tb + 8u * i);
                if ((Y | T) == 0) continue;
                c->predicted += conseco__pop64(Y);
                c->truth += conseco__pop64(T);
                c->missed0 += conseco__pop64(T & ~Y);
                if (Y) {
                    if (fy == nw) fy = i;
                    ly = i;
                }
                if (fu == nw) fu = i;
                lu = i;
            }
            if (fy != nw)
                conseco__outer_grow(c->ylo, c->yhi, 64u * fy + conseco__low64(wload(yb + 8u * fy)),
                                    64u * ly + conseco__high64(wload(yb + 8u * ly)), y, z);
            if (fu != nw)
                conseco__outer_grow(c->ulo, c->uhi,
                                    64u * fu + conseco__low64(wload(yb + 8u * fu) | wload(tb + 8u * fu)),
                                    64u * lu + conseco__high64(wload(yb + 8u * lu) | wload(tb + 8u * lu)),
                                    y, z);
        }
#ifdef CONSECO__SIMD
    if (pred->dtype == CONSECO_DTYPE_F32 && conseco__f32_min_is_neg_inf(vmin)) finite = 0;
#endif
    c->fp0 = c->predicted - (c->truth - c->missed0); /* |Yhat \ Y| = |Yhat| - |Yhat & Y| */
    return finite ? CONSECO_OK : CONSECO_E_NONFINITE;
}

/* ---------------------------------------------------------------- pass 2 */
/* The Yhat bits of row (y, z) (indices may be -1 as SIZE_MAX, or h / d):
 * outside the volume, background (zeros) or the centre row `cur` (foreground
 * policy: the outside is of each voxel's own class; `cur` shifted by one
 * along x holds the centre voxel's in-row neighbours, already counted). */
static inline const uint8_t *nrow(const fast3d *c, const uint8_t *cur, size_t y, size_t z)
{
    if (y >= c->h || z >= c->d) return c->bg ? c->zero : cur;
    return c->ybm + (z * c->h + y) * c->rbp;
}

/* The seed bits of image row (y, z) over the box's words, into c->srow. */
static void seeds_row(const fast3d *c, size_t y, size_t z)
{
    const size_t w = c->w, nw = c->nw;
    const size_t i0 = c->lo[0] / 64u, i1 = (c->lo[0] + c->n[0] - 1u) / 64u;
    const uint8_t *cur = c->ybm + (z * c->h + y) * c->rbp;
    const uint64_t fl = c->bg ? 0u : (uint64_t)(cur[0] & 1u);
    const uint64_t fr = c->bg ? 0u : (uint64_t)((cur[(w - 1u) / 8u] >> ((w - 1u) % 8u)) & 1u);
    size_t i;
    if (!c->linf) {
        const uint8_t *up = nrow(c, cur, y - 1u, z), *dn = nrow(c, cur, y + 1u, z);
        const uint8_t *fw = nrow(c, cur, y, z - 1u), *bk = nrow(c, cur, y, z + 1u);
        for (i = i0; i <= i1; i++) {
            const uint64_t v = wload(cur + 8u * i);
            const uint64_t s =
                (v ^ conseco__shl_row(cur, i, fl)) | (v ^ conseco__shr_row(cur, i, nw, w, fr)) |
                (v ^ wload(up + 8u * i)) | (v ^ wload(dn + 8u * i)) | (v ^ wload(fw + 8u * i)) |
                (v ^ wload(bk + 8u * i));
            wstore(c->srow + 8u * i, s);
        }
    } else {
        const uint8_t *r[9];
        size_t k = 0, dy, dz;
        for (dz = 0; dz < 3; dz++)
            for (dy = 0; dy < 3; dy++) r[k++] = nrow(c, cur, y + dy - 1u, z + dz - 1u);
        for (i = i0; i <= i1; i++) {
            /* some neighbour differs from v <=> v and not all 27 bits set, or
             * not v and some bit set */
            const uint64_t v = wload(cur + 8u * i);
            uint64_t any = 0, all = ~UINT64_C(0);
            for (k = 0; k < 9; k++) {
                const uint64_t a = wload(r[k] + 8u * i), l = conseco__shl_row(r[k], i, fl),
                               q = conseco__shr_row(r[k], i, nw, w, fr);
                any |= a | l | q;
                all &= a & l & q;
            }
            wstore(c->srow + 8u * i, (v & ~all) | (~v & any));
        }
    }
}

/* g[k] = 0 for a seed, 0xFFFF otherwise (voxel lo[0] + k of the seed row). */
static void fill_row(const fast3d *c, uint16_t *g)
{
    const uint8_t *sb = c->srow;
    const size_t x0 = c->lo[0], n = c->n[0];
    size_t k = 0;
#ifdef CONSECO__SIMD
    const conseco__m128i bit = conseco__mm_set_epi16(128, 64, 32, 16, 8, 4, 2, 1);
    const conseco__m128i inf = conseco__mm_set1_epi16(-1);
    for (; k + 8 <= n; k += 8) {
        const size_t x = x0 + k;
        const unsigned bits =
            (((unsigned)sb[x / 8u] | (unsigned)sb[(x + 7u) / 8u] << 8) >> (x & 7u)) & 0xFFu;
        const conseco__m128i m = conseco__mm_cmpeq_epi16(
            conseco__mm_and_si128(conseco__mm_set1_epi16((short)bits), bit), bit);
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(g + k), conseco__mm_andnot_si128(m, inf));
    }
#endif
    for (; k < n; k++) {
        const size_t x = x0 + k;
        g[k] = (uint16_t)(((sb[x / 8u] >> (x & 7u)) & 1u) ? 0u : F3_INF);
    }
}

/* ---------------------------------------------------------------- pass 3 */
/* out[k] = min(in[k - 1], in[k], in[k + 1]) over the cells that exist. */
static void row_min3(const uint16_t *in, size_t n, uint16_t *out)
{
    size_t k = 1;
    if (n == 1) {
        out[0] = in[0];
        return;
    }
    out[0] = in[0] < in[1] ? in[0] : in[1];
#ifdef CONSECO__SIMD
    for (; k + 9 <= n; k += 8) {
        const conseco__m128i l = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(in + k - 1));
        const conseco__m128i m = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(in + k));
        const conseco__m128i r = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(in + k + 1));
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(out + k),
                                 conseco__min_u16(conseco__min_u16(l, m), r));
    }
#endif
    for (; k + 1 < n; k++) {
        uint16_t v = in[k - 1] < in[k] ? in[k - 1] : in[k];
        out[k] = in[k + 1] < v ? in[k + 1] : v;
    }
    out[n - 1] = in[n - 2] < in[n - 1] ? in[n - 2] : in[n - 1];
}

/* A finished box row (image row y, slice z): its missed voxels (outer) and
 * false positives (inner) to the histograms. Outside the box no voxel is
 * Yhat or truth (or, for Yhat's box, none is counted). */
static void count_row(fast3d *c, size_t y, size_t z, const uint16_t *d, int outer, int inner)
{
    const size_t r = (z * c->h + y) * c->rbp, x0 = c->lo[0];
    conseco__outer_count_row(c->ybm + r, c->tbm + r, x0, x0 + c->n[0] - 1u, d, outer, inner,
                             c->hout, &c->out_inf, c->hin, &c->in_inf);
}

/* A finished row: counted (scores) or written out (maps). */
static void finish_row(fast3d *c, size_t y, size_t z, const uint16_t *d, int outer, int inner)
{
    if (c->out == NULL) {
        count_row(c, y, z, d, outer, inner);
    } else { /* the box is the whole volume */
        const uint8_t *yr = c->ybm + (z * c->h + y) * c->rbp;
        uint32_t *o = c->out + (z * c->h + y) * c->w;
        size_t x;
        for (x = 0; x < c->w; x++)
            o[x] = (uint32_t)d[x] | (((uint32_t)yr[x / 8u] >> (x & 7u)) & 1u) << 31;
    }
}

/* The cross (cross_sweep.c): per slice upwards the 2-D distances (x, then y)
 * min the slice below plus one; then downwards min the slice above plus one,
 * counted. Nothing lies beyond the box's faces. */
static void cross_transform(fast3d *c, int outer, int inner)
{
    conseco__cross_box b;
    size_t zz, yy;
    b.g = c->g;
    b.n0 = c->n[0];
    b.n1 = c->n[1];
    b.n2 = c->n[2];
    b.slice = c->slice;
    b.x_lo_none = b.x_hi_none = 1;
    b.ylo = b.yhi = b.zlo = b.zhi = NULL;
    b.lanes = c->lanes;
    for (zz = 0; zz < b.n2; zz++) {
        for (yy = 0; yy < b.n1; yy++) {
            seeds_row(c, c->lo[1] + yy, c->lo[2] + zz);
            fill_row(c, b.g + zz * b.slice + yy * b.n0);
        }
        conseco__cross_slice_up(&b, zz);
    }
    for (zz = b.n2; zz-- > 0;)
        for (yy = 0; yy < b.n1; yy++)
            finish_row(c, c->lo[1] + yy, c->lo[2] + zz, conseco__cross_row_down(&b, zz, yy),
                       outer, inner);
}

/* Rows y - 1 .. y + 1 (those in the box) of the 3-minimum slice, plus one. */
static void slab_min(const fast3d *c, uint16_t *row, size_t yy)
{
    const size_t n0 = c->n[0];
    conseco__row_min1(row, c->slab + yy * n0, n0);
    if (yy > 0) conseco__row_min1(row, c->slab + (yy - 1u) * n0, n0);
    if (yy + 1 < c->n[1]) conseco__row_min1(row, c->slab + (yy + 1u) * n0, n0);
}

/* The square: the two raster passes with the 26-neighbourhood. */
static void square_transform(fast3d *c, int outer, int inner)
{
    const size_t n0 = c->n[0], n1 = c->n[1], n2 = c->n[2], slice = c->slice;
    size_t zz, yy;
    for (zz = 0; zz < n2; zz++) { /* forward: the 13 earlier neighbours */
        uint16_t *s = c->g + zz * slice;
        if (zz > 0)
            for (yy = 0; yy < n1; yy++) row_min3(s - slice + yy * n0, n0, c->slab + yy * n0);
        for (yy = 0; yy < n1; yy++) {
            uint16_t *row = s + yy * n0;
            seeds_row(c, c->lo[1] + yy, c->lo[2] + zz);
            fill_row(c, row);
            if (zz > 0) slab_min(c, row, yy);
            if (yy > 0) {
                row_min3(row - n0, n0, c->spare);
                conseco__row_min1(row, c->spare, n0);
            }
            conseco__sweep_right(row, n0, CONSECO__SWEEP_NONE);
        }
    }
    for (zz = n2; zz-- > 0;) { /* backward: the 13 later neighbours */
        uint16_t *s = c->g + zz * slice;
        if (zz + 1 < n2)
            for (yy = 0; yy < n1; yy++) row_min3(s + slice + yy * n0, n0, c->slab + yy * n0);
        for (yy = n1; yy-- > 0;) {
            uint16_t *row = s + yy * n0;
            if (zz + 1 < n2) slab_min(c, row, yy);
            if (yy + 1 < n1) {
                row_min3(row + n0, n0, c->spare);
                conseco__row_min1(row, c->spare, n0);
            }
            conseco__sweep_left(row, n0, CONSECO__SWEEP_NONE);
            finish_row(c, c->lo[1] + yy, c->lo[2] + zz, row, outer, inner);
        }
    }
}

/* Carves the areas from scratch; CONSECO_E_SCRATCH_TOO_SMALL if it is short. */
static int f3_setup(const conseco_erosion_params *p, const conseco_image *pred, void *scratch,
                    size_t scratch_size, fast3d *c)
{
    const int square = p->element == CONSECO_ELEMENT_SQUARE;
    size_t sz[F3_AREAS], off[F3_AREAS];
    unsigned char *b;
    int k;
    if (!f3_areas(pred->width, pred->height, pred->depth, square, sz)) return CONSECO_E_OVERFLOW;
    if (scratch == NULL ||
        scratch_size < conseco__outer3d_scratch_size(pred->width, pred->height, pred->depth, square))
        return CONSECO_E_SCRATCH_TOO_SMALL;
    b = (unsigned char *)conseco__align16(scratch, &scratch_size);
    off[0] = 0;
    for (k = 1; k < F3_AREAS; k++) off[k] = off[k - 1] + sz[k - 1];
    c->w = pred->width;
    c->h = pred->height;
    c->d = pred->depth;
    c->rbp = round8b((c->w + 7u) / 8u);
    c->nw = c->rbp / 8u;
    c->bg = p->border == CONSECO_BORDER_BACKGROUND;
    c->linf = square;
    c->g = (uint16_t *)(void *)(b + off[0]);
    c->ybm = b + off[1];
    c->tbm = c->ybm + c->h * c->d * c->rbp;
    c->zero = c->tbm + c->h * c->d * c->rbp;
    c->srow = c->zero + c->rbp;
    c->flags = b + off[2];
    c->lanes = b + off[3];
    c->spare = (uint16_t *)(void *)(b + off[4]);
    c->hin = (uint32_t *)(void *)(b + off[5]);
    c->bins = c->w + c->h + c->d + 1u;
    c->hout = c->hin + c->bins;
    c->slab = (uint16_t *)(void *)(b + off[6]);
    c->out = NULL;
    CONSECO_memset(c->zero, 0, c->rbp);
    return CONSECO_OK;
}

int conseco__outer3d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, int band, double tau, double tau_outer,
                           void *scratch, size_t scratch_size, double *score)
{
    const int square = p->element == CONSECO_ELEMENT_SQUARE;
    size_t a;
    fast3d c;
    uint64_t m, budget;
    int need_out, need_in, rc;
    if ((rc = f3_setup(p, pred, scratch, scratch_size, &c)) != CONSECO_OK) return rc;
    if ((rc = f3_scan(p, pred, truth, &c)) != CONSECO_OK) return rc;
    if (!band) tau_outer = tau;
    m = conseco__fp_budget(c.truth, tau_outer); /* missed voxels FNR <= tau_outer allows */
    budget = conseco__fp_budget(c.predicted, tau);
    need_out = c.missed0 > m;
    need_in = band && c.predicted > 0 && c.fp0 > budget;
    if (!need_out && !need_in) {
        *score = 0.0;
        return CONSECO_OK;
    }
    if (c.predicted == 0) { /* nothing to dilate: only the whole volume is safe */
        *score = conseco__inf();
        return CONSECO_OK;
    }
    /* the box: Yhat U Y for the outer side, Yhat alone suffices for the inner */
    for (a = 0; a < 3; a++) {
        c.lo[a] = need_out ? c.ulo[a] : c.ylo[a];
        c.n[a] = (need_out ? c.uhi[a] : c.yhi[a]) - c.lo[a] + 1u;
    }
    c.slice = c.n[0] * c.n[1];
    CONSECO_memset(c.hin, 0, 2u * c.bins * sizeof(uint32_t));
    c.in_inf = c.out_inf = 0;
    if (square) square_transform(&c, need_out, need_in);
    else cross_transform(&c, need_out, need_in);
    return conseco__outer_levels_score(c.hin, c.hout, c.bins, c.in_inf, c.out_inf, need_in,
                                       budget, need_out, m, score);
}

/* ------------------------------------------------------------------ maps */
int conseco__outer3d_maps(const conseco_erosion_params *p, const conseco_image *pred,
                          void *scratch, size_t scratch_size, uint32_t *d, double *levels)
{
    const size_t n = pred->width * pred->height * pred->depth;
    fast3d c;
    size_t i;
    int rc, a;
    if ((rc = f3_setup(p, pred, scratch, scratch_size, &c)) != CONSECO_OK) return rc;
    if ((rc = f3_scan(p, pred, NULL, &c)) != CONSECO_OK) return rc;
    if (c.predicted == 0) return CONSECO_E_UNSUPPORTED; /* the callers do not come here */
    for (a = 0; a < 3; a++) c.lo[a] = 0;
    c.n[0] = c.w;
    c.n[1] = c.h;
    c.n[2] = c.d;
    c.slice = c.w * c.h;
    c.out = d;
    if (c.linf) square_transform(&c, 0, 0);
    else cross_transform(&c, 0, 0);
    /* the scratch may lie in `levels`: read only d from here on */
    for (i = 0; i < n; i++) { /* d_other = 1 + the distance to the nearest seed */
        const uint32_t v = d[i], seed = v & 0xFFFFu;
        if (v >> 31) { /* Yhat: the erosion level d_in - 1, +inf without background */
            if (levels != NULL) levels[i] = seed == F3_INF ? conseco__inf() : (double)seed;
            d[i] = 0;
        } else { /* the rest: the distance to Yhat (finite: Yhat is not empty) */
            if (levels != NULL) levels[i] = -conseco__inf();
            d[i] = seed + 1u;
        }
    }
    return CONSECO_OK;
}
