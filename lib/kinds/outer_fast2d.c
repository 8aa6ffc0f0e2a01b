/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dilation and erosion-band scores on 2-D images by the cross (city-block),
 * the square (chessboard), the disk and ball-mm with one spacing along x and
 * y (Euclidean; see "the disk" below), with 16-bit distances.
 *
 * Both sides of a band need a distance to "the other class": a false
 * positive (Yhat, truth 0) its distance d_in to the nearest background pixel
 * (the erosion level is d_in - 1, docs/DESIGN.md section 2), a missed truth
 * pixel (truth, not Yhat) its distance d_out to the nearest Yhat pixel (its
 * dilation level, section 5.2). Call a pixel a seed when one of its 4
 * neighbours (cross) or 8 neighbours (square) is of the other class, the
 * image border counting as background under the background policy. A
 * shortest path from p to the nearest pixel q of the other class stays in p's
 * class until q, so the pixel before q is a seed of p's class at distance
 * d - 1; and every seed of p's class has a pixel of the other class next to
 * it, while a path from p to a seed of the other class passes a seed of p's
 * class first. So for every pixel
 *     d_other(p) = 1 + (distance from p to the nearest seed),
 * one plain distance transform from the seeds serves both classes, and a band
 * costs one transform. The paths are monotone, so they stay in the bounding
 * box of Yhat U Y (outside it there is no Yhat, and a false positive's path
 * leaves the box only at its last step): the transform runs on that box
 * alone, with no seed outside it.
 *
 *   1 (every row, vectorised): Yhat and truth as bitmaps (1/8 byte a pixel
 *     each), finiteness, |Yhat|, |Y|, |Y \ Yhat|, |Yhat \ Y| and the boxes.
 *     Scores that need no distance (nothing missed beyond the budget, no
 *     false positive beyond it, empty Yhat) stop here.
 *   2 (box rows, 64 pixels a word): the seed bitmap from the neighbours'
 *     bits.
 *   3 (box): the transform in 16-bit lanes; the cross as the erosion's
 *     fused path does it (column passes, then both sweeps along 32 rows at
 *     once, four independent groups of eight), the square in the two raster passes of Rosenfeld and Pfaltz;
 *     each finished row adds its missed and false-positive pixels' distances
 *     to two histograms (read from the bitmaps, 64 pixels a test).
 * The disk and ball-mm replace passes 2 and 3 by the separable transform of
 * the section "the disk" below.
 * The results are those of outer.c's general path and erosion.c (the tests
 * compare all of them with the literal one-step-at-a-time references).
 */
#include "outer_fast2d.h"

#include "distance_mm.h"

#include "bit_words.h"
#include "cross_sweep.h"
#include "outer_levels.h"
#include "outer_scan.h"
#include "simd_u16.h"
#include "common/bits.h"
#include "common/simd.h"
#include "common/yhat.h"

#define F2_INF CONSECO__OUTER_NO_SEED /* no seed at all (outer_levels.h) */

typedef struct fast2d {
    size_t w, h, rbp;             /* bitmap row bytes: ceil(w / 8) rounded up to 8 */
    int bg, linf, l2, mm;         /* background border; the square; disk or ball-mm; ball-mm */
    conseco__mm metric;           /* ball-mm: the (isotropic) spacing */
    int pass2;                    /* ball-mm: the second pass, inside the target bins */
    uint32_t target_in, target_out; /* their levels (0: side not selected) */
    uint8_t *ybm, *tbm, *sbm;     /* Yhat, truth and seed bitmaps, rbp bytes a row */
    uint8_t *zero;                /* rbp zero bytes */
    unsigned char *flags;         /* w + 16 bytes */
    uint16_t *g, *spare;          /* box distances; a spare row */
    void *lanes;                  /* w x 64 bytes, 16-aligned */
    uint32_t *hin, *hout;         /* bins each: false positives, missed pixels */
    uint32_t *fin, *fout;         /* ball-mm: 2 bins each, inside one level */
    uint16_t *vr;                 /* ball-mm: per box row, the least and largest level of
                                   * its false positives, then of its missed pixels */
    int store;                    /* ball-mm: every D2 kept (when the scratch has room) */
    uint32_t *din, *dout;         /* the D2 of the false positives, of the missed pixels */
    size_t nin, nout;
    int64_t *zn;                  /* the disk's envelope, w + 2 entries: where each */
    int32_t *zd, *site;           /* piece starts (zn / zd), its site */
    uint32_t *val;                /* and value */
    size_t bins;                  /* w + h + 1 */
    uint64_t predicted, truth, missed0, fp0, in_inf, out_inf;
    size_t ylo[3], yhi[3];        /* box of Yhat: x, y, 0 (when predicted > 0) */
    size_t ulo[3], uhi[3];        /* box of Yhat U Y */
    size_t x0, x1, y0, y1, bw, bh; /* the box of the transform */
} fast2d;

static size_t round16(size_t v) { return (v + 15u) & ~(size_t)15u; }
static size_t round8b(size_t v) { return (v + 7u) & ~(size_t)7u; }

/* Areas: g (w*h u16), the bitmaps (3 h + 1 rows of rbp bytes), flags (w + 16),
 * lanes (64 w), a spare row (w u16), two histograms of w + h + 1 u32 and two
 * of 2 (w + h + 1) (ball-mm), the disk's envelope (w + 2 entries of 20 bytes)
 * and 4 u16 a row (ball-mm). */
#define F2_AREAS 7
static int f2_areas(size_t w, size_t h, size_t sz[F2_AREAS])
{
    size_t n, rbp = round8b((w + 7u) / 8u), rows;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, 2u, &sz[0])) return 0;
    if (!conseco__mul_size(h, 3u, &rows) || !conseco__add_size(rows, 1u, &rows) ||
        !conseco__mul_size(rows, rbp, &sz[1]))
        return 0;
    sz[2] = w + 16u;
    sz[3] = 64u * w;
    sz[4] = 2u * w;
    sz[5] = 6u * (w + h + 1u) * sizeof(uint32_t); /* w + h < 65535 */
    sz[6] = 24u * (w + 2u) + 8u * h;
    if (sz[0] > (size_t)-1 - 64u || sz[1] > (size_t)-1 - 64u) return 0;
    sz[0] = round16(sz[0]);
    sz[1] = round16(sz[1]);
    sz[2] = round16(sz[2]);
    sz[4] = round16(sz[4]);
    sz[5] = round16(sz[5]);
    sz[6] = round16(sz[6]);
    return 1;
}

size_t conseco__outer2d_scratch_size(size_t w, size_t h)
{
    size_t sz[F2_AREAS], total = CONSECO__ALIGN_SLACK;
    int k;
    if (!f2_areas(w, h, sz)) return 0;
    for (k = 0; k < F2_AREAS; k++)
        if (!conseco__add_size(total, sz[k], &total)) return 0;
    return total;
}

/* Ball-mm: 2-D with the same spacing along x and y (then the nearest voxel in
 * millimetres is the nearest in pixels, and d_mm a rising function of the
 * integer D2), accepted by conseco__mm_init. */
static int iso_spacing(const conseco_image *pred, conseco__mm *m)
{
    double sp[3];
    conseco__image_spacing(pred, sp);
    sp[2] = 1.0; /* a 2-D image has no z offsets */
    return sp[0] == sp[1] && conseco__mm_init(m, sp) == CONSECO_OK;
}

int conseco__outer2d_takes(const conseco_erosion_params *p, const conseco_image *pred,
                           size_t available)
{
    conseco__mm m;
    size_t need;
    if (pred->depth != 1 ||
        (p->element != CONSECO_ELEMENT_CROSS && p->element != CONSECO_ELEMENT_SQUARE &&
         p->element != CONSECO_ELEMENT_DISK &&
         !(p->element == CONSECO_ELEMENT_BALL_MM && iso_spacing(pred, &m))) ||
        pred->width >= 65535u || pred->height >= 65535u - pred->width ||
        !(p->base > -3.0e38 && p->base < 3.0e38))
        return 0;
    need = conseco__outer2d_scratch_size(pred->width, pred->height);
    return need != 0 && need <= available;
}


/* Pass 1: bitmaps, counts, boxes; CONSECO_E_NONFINITE on NaN or inf. */
static int f2_scan(const conseco_erosion_params *p, const conseco_image *pred,
                   const conseco_mask *truth, fast2d *c)
{
    const size_t w = c->w, h = c->h, rbp = c->rbp, nw = rbp / 8u;
    conseco__outer_thr t;
    size_t y, i;
    int finite = 1;
#ifdef CONSECO__SIMD
    conseco__m128 vmin = conseco__mm_setzero_ps();
#endif
    conseco__outer_thr_init(&t, pred->dtype, p->base);
    c->predicted = c->truth = c->missed0 = c->fp0 = 0;
    c->ylo[0] = c->ulo[0] = w;
    c->ylo[1] = c->ulo[1] = h;
    c->ylo[2] = c->ulo[2] = 0;
    c->yhi[0] = c->yhi[1] = c->yhi[2] = c->uhi[0] = c->uhi[1] = c->uhi[2] = 0;
    for (y = 0; y < h; y++) {
        uint8_t *yb = c->ybm + y * rbp, *tb = c->tbm + y * rbp;
        uint64_t any_y = 0, any_u = 0;
        size_t fy = nw, ly = 0, fu = nw, lu = 0;
        conseco__outer_yhat_bits(pred->dtype, conseco__image_row(pred, y, 0), w, rbp, &t, yb,
                                 c->flags, &finite, 0
#ifdef CONSECO__SIMD
                                 , &vmin
#endif
        );
        conseco__outer_truth_bits(conseco__mask_row(truth, y, 0), w, rbp, tb, c->flags);
        for (i = 0; i < nw; i++) {
            const uint64_t Y = wload(yb + 8u * i), T = wload(tb + 8u * i);
            if ((Y | T) == 0) continue;
            c->predicted += conseco__pop64(Y);
            c->truth += conseco__pop64(T);
            c->missed0 += conseco__pop64(T & ~Y);
            if (Y) {
                if (fy == nw) fy = i;
                ly = i;
                any_y = 1;
            }
            if (fu == nw) fu = i;
            lu = i;
            any_u = 1;
        }
        if (any_y)
            conseco__outer_grow(c->ylo, c->yhi, 64u * fy + conseco__low64(wload(yb + 8u * fy)),
                                64u * ly + conseco__high64(wload(yb + 8u * ly)), y, 0);
        if (any_u) {
            const uint64_t U0 = wload(yb + 8u * fu) | wload(tb + 8u * fu),
                           U1 = wload(yb + 8u * lu) | wload(tb + 8u * lu);
            conseco__outer_grow(c->ulo, c->uhi, 64u * fu + conseco__low64(U0),
                                64u * lu + conseco__high64(U1), y, 0);
        }
    }
    c->fp0 = c->predicted - (c->truth - c->missed0); /* |Yhat \ Y| = |Yhat| - |Yhat & Y| */
#ifdef CONSECO__SIMD
    if (pred->dtype == CONSECO_DTYPE_F32 && conseco__f32_min_is_neg_inf(vmin)) finite = 0;
#endif
    return finite ? CONSECO_OK : CONSECO_E_NONFINITE;
}

/* ---------------------------------------------------------------- pass 2 */
/* Seeds of the box rows: a neighbour of the other class. Outside the image
 * the neighbours are background (background policy) or of the pixel's own
 * class (foreground policy: no seed from there). */
static void f2_seeds(fast2d *c)
{
    const size_t w = c->w, rbp = c->rbp, nw = rbp / 8u;
    const size_t i0 = c->x0 / 64u, i1 = c->x1 / 64u;
    size_t y, i;
    for (y = c->y0; y <= c->y1; y++) {
        const uint8_t *cur = c->ybm + y * rbp;
        const uint8_t *up = y > 0 ? cur - rbp : c->bg ? c->zero : cur;
        const uint8_t *dn = y + 1 < c->h ? cur + rbp : c->bg ? c->zero : cur;
        const uint64_t fl = c->bg ? 0u : (uint64_t)(cur[0] & 1u);
        const uint64_t fr = c->bg ? 0u : (uint64_t)((cur[(w - 1u) / 8u] >> ((w - 1u) % 8u)) & 1u);
        uint8_t *sb = c->sbm + y * rbp;
        for (i = i0; i <= i1; i++) {
            const uint64_t v = wload(cur + 8u * i);
            uint64_t s = (v ^ conseco__shl_row(cur, i, fl)) |
                         (v ^ conseco__shr_row(cur, i, nw, w, fr)) | (v ^ wload(up + 8u * i)) |
                         (v ^ wload(dn + 8u * i));
            if (c->linf)
                s |= (v ^ conseco__shl_row(up, i, fl)) | (v ^ conseco__shr_row(up, i, nw, w, fr)) |
                     (v ^ conseco__shl_row(dn, i, fl)) |
                     (v ^ conseco__shr_row(dn, i, nw, w, fr));
            wstore(sb + 8u * i, s);
        }
    }
}

/* ---------------------------------------------------------------- pass 3 */
/* g[k] = seed ? 0 : above[k] + 1 (saturating; above NULL: none), pixel x0 + k. */
static void col_down(const uint8_t *sb, size_t x0, size_t bw, const uint16_t *above, uint16_t *g)
{
    size_t k = 0;
#ifdef CONSECO__SIMD
    const conseco__m128i bit = conseco__mm_set_epi16(128, 64, 32, 16, 8, 4, 2, 1);
    const conseco__m128i one = conseco__mm_set1_epi16(1), inf = conseco__mm_set1_epi16(-1);
    for (; k + 8 <= bw; k += 8) {
        const size_t x = x0 + k;
        const unsigned bits = ((unsigned)sb[x / 8u] | (unsigned)sb[(x + 7u) / 8u] << 8) >> (x & 7u);
        const conseco__m128i m = conseco__mm_cmpeq_epi16(
            conseco__mm_and_si128(conseco__mm_set1_epi16((short)(bits & 0xFFu)), bit), bit);
        const conseco__m128i a =
            above ? conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(above + k)) : inf;
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(g + k),
                                 conseco__mm_andnot_si128(m, conseco__mm_adds_epu16(a, one)));
    }
#endif
    for (; k < bw; k++) {
        const size_t x = x0 + k;
        const unsigned up = above ? above[k] : F2_INF;
        g[k] = (uint16_t)(((sb[x / 8u] >> (x & 7u)) & 1u) ? 0u : up + (up != F2_INF));
    }
}

/* g[k] = min(g[k], min(u[k-1], u[k], u[k+1]) + 1), saturating (square). */
static void relax3(uint16_t *g, const uint16_t *u, size_t n)
{
    size_t k;
    if (n == 1) {
        const uint32_t c = (uint32_t)u[0] + 1u;
        if (c < g[0]) g[0] = (uint16_t)c;
        return;
    }
    for (k = 0; k < n; k++) {
        uint32_t m = u[k], c;
        if (k > 0 && u[k - 1] < m) m = u[k - 1];
        if (k + 1 < n && u[k + 1] < m) m = u[k + 1];
        c = m + 1u;
        if (c < g[k]) g[k] = (uint16_t)c;
    }
}

/* A finished box row: its missed pixels (and false positives, band) to the
 * histograms. Outside the box no pixel is Yhat or truth. */
static void count_row(fast2d *c, size_t y, const uint16_t *d, int outer, int inner)
{
    conseco__outer_count_row(c->ybm + y * c->rbp, c->tbm + y * c->rbp, c->x0, c->x1, d, outer,
                             inner, c->hout, &c->out_inf, c->hin, &c->in_inf);
}

/* Pass 3: the distances of the box, each finished row counted. */
static void f2_transform(fast2d *c, int outer, int inner)
{
    const size_t bw = c->bw, bh = c->bh, rbp = c->rbp;
    size_t r;
    CONSECO_memset(c->hin, 0, 2u * c->bins * sizeof(uint32_t));
    c->in_inf = c->out_inf = 0;
    if (c->linf) { /* two raster passes */
        for (r = 0; r < bh; r++) {
            uint16_t *g = c->g + r * bw;
            col_down(c->sbm + (c->y0 + r) * rbp, c->x0, bw, NULL, g);
            if (r > 0) relax3(g, g - bw, bw);
            conseco__sweep_right(g, bw, CONSECO__SWEEP_NONE);
        }
        for (r = bh; r-- > 0;) {
            uint16_t *g = c->g + r * bw;
            if (r + 1 < bh) relax3(g, g + bw, bw);
            conseco__sweep_left(g, bw, CONSECO__SWEEP_NONE);
            count_row(c, c->y0 + r, g, outer, inner);
        }
        return;
    }
    /* the cross: columns down and up, then the rows */
    for (r = 0; r < bh; r++)
        col_down(c->sbm + (c->y0 + r) * rbp, c->x0, bw, r ? c->g + (r - 1) * bw : NULL,
                 c->g + r * bw);
    for (r = bh - 1; r-- > 0;) conseco__row_min1(c->g + r * bw, c->g + (r + 1) * bw, bw);
#ifdef CONSECO__SIMD
    /* 32 rows at a time; rows past the box are the spare row (defined values,
     * so that memory checkers see no use of uninitialised data) */
    CONSECO_memset(c->spare, 0, bw * sizeof(uint16_t));
    for (r = 0; r < bh; r += 32) {
        uint16_t *q[32];
        size_t k;
        for (k = 0; k < 32; k++) q[k] = r + k < bh ? c->g + (r + k) * bw : c->spare;
        conseco__sweep32(q, bw, 1, 1, (conseco__m128i *)c->lanes);
        for (k = 0; k < 32 && r + k < bh; k++) count_row(c, c->y0 + r + k, q[k], outer, inner);
    }
#else
    for (r = 0; r < bh; r++) {
        uint16_t *g = c->g + r * bw;
        conseco__sweep_right(g, bw, CONSECO__SWEEP_NONE);
        conseco__sweep_left(g, bw, CONSECO__SWEEP_NONE);
        count_row(c, c->y0 + r, g, outer, inner);
    }
#endif
}

/* ------------------------------------------------------------- the disk */
/*
 * The Euclidean distance does not come from the seeds, but it is separable
 * (Meijster, Roerdink & Hesselink 2000), and each class needs only its own
 * runs: along a column, g = the distance to the nearest cell of the other
 * class (1 at a class change; the box's top and bottom margins are
 * background for Yhat cells when open, nothing for the others); along a row,
 * a cell's squared distance is min over columns j of (x - j)^2 + g_j^2 over
 * the cells of its own class, and no column beyond the nearest cell of the
 * other class (distance 0 there) can do better, so each run of one class is
 * its own envelope, with the other class's cells at its ends (or the open
 * margins, Yhat runs only) as sites of value 0. Runs holding no missed pixel
 * or false positive to count are skipped. The level of a squared distance
 * D2 is ceil(sqrt(D2)) = isqrt(D2 - 1) + 1 on both sides (erosion.c,
 * outer.c), and the score its order statistic.
 */

/* ceil(sqrt(d2)) for d2 >= 1, from a nearby guess (neighbours differ little). */
static uint32_t ceil_root(uint64_t d2, uint32_t *guess)
{
    uint64_t v = *guess;
    if (v >= 1 && (v - 1) * (v - 1) < d2 && d2 <= v * v) return (uint32_t)v;
    if (v * v < d2 && d2 <= (v + 1) * (v + 1)) {
        *guess = (uint32_t)(v + 1);
        return *guess;
    }
    *guess = conseco__isqrt32((uint32_t)(d2 - 1)) + 1u;
    return *guess;
}

static inline unsigned bit_at(const uint8_t *row, size_t x)
{
    return ((unsigned)row[x / 8u] >> (x & 7u)) & 1u;
}

#ifdef CONSECO__SIMD
/* Bits x .. x + 7 of a bitmap row (x + 7 inside the row). */
static inline unsigned bits8(const uint8_t *row, size_t x)
{
    return (((unsigned)row[x / 8u] | (unsigned)row[(x + 7u) / 8u] << 8) >> (x & 7u)) & 0xFFu;
}

/* Lane j all ones where bit j of `bits` is set. */
static inline conseco__m128i lanes_of(unsigned bits)
{
    const conseco__m128i sel = conseco__mm_set_epi16(128, 64, 32, 16, 8, 4, 2, 1);
    return conseco__mm_cmpeq_epi16(conseco__mm_and_si128(conseco__mm_set1_epi16((short)bits), sel),
                                   sel);
}

/* d ? 1 : near + 1 (saturating), lane by lane. */
static inline conseco__m128i step_or_one(conseco__m128i d, conseco__m128i near)
{
    const conseco__m128i one = conseco__mm_set1_epi16(1);
    return conseco__mm_or_si128(conseco__mm_andnot_si128(d, conseco__mm_adds_epu16(near, one)),
                                conseco__mm_and_si128(d, one));
}
#endif

/* Column distances to the other class, down then up (class bits from ybm). */
static void disk_columns(fast2d *c)
{
    const size_t bw = c->bw, bh = c->bh, rbp = c->rbp, x0 = c->x0;
    const int open_top = c->y0 > 0 || c->bg, open_bottom = c->y1 + 1 < c->h || c->bg;
    size_t r, k;
    for (r = 0; r < bh; r++) {
        const uint8_t *cur = c->ybm + (c->y0 + r) * rbp, *up = cur - rbp;
        uint16_t *g = c->g + r * bw;
        k = 0;
#ifdef CONSECO__SIMD
        for (; k + 8 <= bw; k += 8) {
            const size_t x = x0 + k;
            conseco__m128i v;
            if (r == 0) {
                const conseco__m128i cl = lanes_of(bits8(cur, x));
                v = open_top ? conseco__mm_or_si128(conseco__mm_andnot_si128(cl, conseco__mm_set1_epi16(-1)),
                                                    conseco__mm_and_si128(cl, conseco__mm_set1_epi16(1)))
                             : conseco__mm_set1_epi16(-1);
            } else {
                v = step_or_one(lanes_of(bits8(cur, x) ^ bits8(up, x)),
                                conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(g + k - bw)));
            }
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(g + k), v);
        }
#endif
        for (; k < bw; k++) {
            const unsigned cl = bit_at(cur, x0 + k);
            if (r == 0) {
                g[k] = (uint16_t)(cl && open_top ? 1u : F2_INF);
            } else if (cl != bit_at(up, x0 + k)) {
                g[k] = 1u;
            } else {
                const unsigned a = (g - bw)[k]; /* the row above; g[k - bw] would wrap the index */
                g[k] = (uint16_t)(a + (a != F2_INF));
            }
        }
    }
    for (r = bh; r-- > 0;) {
        const uint8_t *cur = c->ybm + (c->y0 + r) * rbp, *dn = cur + rbp;
        uint16_t *g = c->g + r * bw;
        k = 0;
#ifdef CONSECO__SIMD
        for (; k + 8 <= bw; k += 8) {
            const size_t x = x0 + k;
            const conseco__m128i a = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(g + k));
            conseco__m128i b;
            if (r + 1 == bh) {
                const conseco__m128i cl = lanes_of(bits8(cur, x));
                b = open_bottom ? conseco__mm_or_si128(conseco__mm_andnot_si128(cl, conseco__mm_set1_epi16(-1)),
                                                       conseco__mm_and_si128(cl, conseco__mm_set1_epi16(1)))
                                : conseco__mm_set1_epi16(-1);
            } else {
                b = step_or_one(lanes_of(bits8(cur, x) ^ bits8(dn, x)),
                                conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(g + k + bw)));
            }
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(g + k), conseco__min_u16(a, b));
        }
#endif
        for (; k < bw; k++) {
            const unsigned cl = bit_at(cur, x0 + k);
            uint32_t b;
            if (r + 1 == bh) b = cl && open_bottom ? 1u : F2_INF;
            else if (cl != bit_at(dn, x0 + k)) b = 1u;
            else b = (uint32_t)g[k + bw] + 1u;
            if (b < g[k]) g[k] = (uint16_t)b;
        }
    }
}

/* Value at x of the parabola of site s (value v). */
static inline uint64_t para(int64_t x, int32_t s, uint32_t v)
{
    const int64_t dx = x - (int64_t)s;
    return (uint64_t)(dx * dx) + v;
}

/* The cells a..b (box columns) of a row, one class, whose queries are the set
 * bits of q (row bits, image columns); sites at the ends as above. The lower
 * envelope of the parabolas (Felzenszwalb and Huttenlocher's form): piece k
 * starts at the real crossing zn[k] / zd[k] with piece k - 1 (the first at
 * a), compared by cross-multiplication (|zn| < 2^34, zd < 2^18: exact in
 * int64, no division). At a crossing both pieces give the same D2. */
static void disk_run(fast2d *c, const uint16_t *g, const uint8_t *q, size_t a, size_t b, int yhat,
                     int left_site, int right_site, uint32_t *guess, uint16_t *range)
{
    int64_t *zn = c->zn;
    int32_t *zd = c->zd, *site = c->site;
    uint32_t *val = c->val;
    uint32_t *hist = yhat ? c->hin : c->hout;
    uint64_t *inf = yhat ? &c->in_inf : &c->out_inf;
    const uint32_t target = yhat ? c->target_in : c->target_out;
    uint32_t *fine = yhat ? c->fin : c->fout;
    size_t n = 0, j = 0, i;
    int64_t u;
    const int64_t lo = left_site ? (int64_t)a - 1 : (int64_t)a,
                  hi = right_site ? (int64_t)b + 1 : (int64_t)b;
    for (u = lo; u <= hi; u++) {
        int64_t num = 0, den = 1;
        uint32_t gu;
        if (u < (int64_t)a || u > (int64_t)b) {
            gu = 0;
        } else {
            const uint32_t v = g[u];
            if (v == F2_INF) continue;
            gu = v * v;
        }
        while (n > 0) { /* where u crosses the last piece; that piece goes if no later */
            const int64_t st = site[n - 1];
            num = u * u - st * st + (int64_t)gu - (int64_t)val[n - 1];
            den = 2 * (u - st);
            if (num * zd[n - 1] > zn[n - 1] * den) break;
            n--;
        }
        if (n == 0) {
            zn[0] = (int64_t)a;
            zd[0] = 1;
        } else {
            if (num >= (int64_t)b * den) continue; /* never below within a..b */
            zn[n] = num;
            zd[n] = (int32_t)den;
        }
        site[n] = (int32_t)u;
        val[n] = gu;
        n++;
    }
    /* the queries, in increasing x, a word of bits at a time */
    for (i = (c->x0 + a) / 64u; i <= (c->x0 + b) / 64u; i++) {
        uint64_t bits = wload(q + 8u * i);
        const size_t first = 64u * i;
        if (first < c->x0 + a) bits &= ~UINT64_C(0) << (c->x0 + a - first);
        if (c->x0 + b - first < 63u) bits &= (UINT64_C(2) << (c->x0 + b - first)) - 1u;
        for (; bits; bits &= bits - 1u) {
            const int64_t k = (int64_t)(first + conseco__low64(bits) - c->x0);
            uint64_t d2;
            uint32_t v;
            if (n == 0) {
                (*inf)++;
                continue;
            }
            while (j + 1 < n && zn[j + 1] < k * zd[j + 1]) j++;
            d2 = para(k, site[j], val[j]);
            v = ceil_root(d2, guess);
            if (!c->pass2) {
                hist[v]++;
                if (c->store) {
                    if (yhat) c->din[c->nin++] = (uint32_t)d2;
                    else c->dout[c->nout++] = (uint32_t)d2;
                }
                if (v < range[0]) range[0] = (uint16_t)v;
                if (v > range[1]) range[1] = (uint16_t)v;
            } else if (v == target) /* D2 in ((v - 1)^2, v^2]: 2 v - 1 fine bins */
                fine[d2 - (uint64_t)(v - 1u) * (v - 1u) - 1u]++;
        }
    }
}

/* The last x' >= x (x' <= xmax) with bits x..x' all equal to cl. */
static size_t run_end(const uint8_t *row, size_t x, unsigned cl, size_t xmax)
{
    size_t i = x / 64u;
    uint64_t d = (cl ? ~wload(row + 8u * i) : wload(row + 8u * i)) & (~UINT64_C(0) << (x % 64u));
    while (d == 0) {
        if (64u * (i + 1u) > xmax) return xmax;
        i++;
        d = cl ? ~wload(row + 8u * i) : wload(row + 8u * i);
    }
    x = 64u * i + conseco__low64(d);
    return x - 1u < xmax ? x - 1u : xmax;
}

/* The first x' <= x (x' >= xmin) with bits x'..x all equal to cl. */
static size_t run_start(const uint8_t *row, size_t x, unsigned cl, size_t xmin)
{
    size_t i = x / 64u;
    const unsigned sh = 63u - (unsigned)(x % 64u);
    uint64_t d = ((cl ? ~wload(row + 8u * i) : wload(row + 8u * i)) << sh) >> sh;
    while (d == 0) {
        if (i == 0 || 64u * i <= xmin) return xmin;
        i--;
        d = cl ? ~wload(row + 8u * i) : wload(row + 8u * i);
    }
    x = 64u * i + conseco__high64(d) + 1u;
    return x > xmin ? x : xmin;
}

static void disk_transform(fast2d *c, int outer, int inner)
{
    const size_t bw = c->bw, rbp = c->rbp, x0 = c->x0, x1 = c->x1;
    const int open_left = x0 > 0 || c->bg, open_right = x1 + 1 < c->w || c->bg;
    uint8_t *q = c->sbm; /* one row of query bits */
    size_t r, i;
    uint32_t guess = 1;
    if (c->pass2) {
        CONSECO_memset(c->fin, 0, 4u * c->bins * sizeof(uint32_t));
        outer = c->target_out != 0;
        inner = c->target_in != 0;
    } else {
        CONSECO_memset(c->hin, 0, 2u * c->bins * sizeof(uint32_t));
        c->in_inf = c->out_inf = 0;
        disk_columns(c);
    }
    for (r = 0; r < c->bh; r++) {
        const size_t y = c->y0 + r;
        const uint8_t *yr = c->ybm + y * rbp, *tr = c->tbm + y * rbp;
        const uint16_t *g = c->g + r * bw;
        uint16_t *vr = c->vr + 4u * r;
        size_t done = 0; /* queries below image column `done` are counted */
        int out_r = outer, in_r = inner;
        if (c->pass2) { /* only rows holding a level selected */
            in_r = inner && vr[0] <= c->target_in && c->target_in <= vr[1];
            out_r = outer && vr[2] <= c->target_out && c->target_out <= vr[3];
            if (!in_r && !out_r) continue;
        } else {
            vr[0] = vr[2] = 0xFFFFu;
            vr[1] = vr[3] = 0;
        }
        for (i = x0 / 64u; i <= x1 / 64u; i++) {
            const uint64_t Y = wload(yr + 8u * i), T = wload(tr + 8u * i);
            wstore(q + 8u * i, (out_r ? T & ~Y : 0u) | (in_r ? Y & ~T : 0u));
        }
        /* each query's run of one class, once */
        for (i = x0 / 64u; i <= x1 / 64u; i++) {
            uint64_t bits = wload(q + 8u * i);
            for (; bits; bits &= bits - 1u) {
                const size_t x = 64u * i + conseco__low64(bits);
                unsigned cl;
                size_t a, b;
                if (x < done) continue;
                cl = bit_at(yr, x);
                a = run_start(yr, x, cl, x0);
                b = run_end(yr, x, cl, x1);
                disk_run(c, g, q, a - x0, b - x0, (int)cl, a > x0 || (cl && open_left),
                         b < x1 || (cl && open_right), &guess, cl ? vr : vr + 2);
                done = b + 1u;
            }
        }
    }
}

/* Ball-mm: the level v (ceil(sqrt(D2))) holding the need-th largest D2 and
 * its rank there (1 = the largest); 0 when it is +inf. */
static uint32_t coarse_bin(const uint32_t *hist, size_t bins, uint64_t inf, uint64_t need,
                           uint64_t *rank)
{
    uint64_t acc = inf;
    size_t b;
    if (acc >= need) return 0;
    for (b = bins; b-- > 1;) {
        if (acc + hist[b] >= need) {
            *rank = need - acc;
            return (uint32_t)b;
        }
        acc += hist[b];
    }
    return 0; /* unreachable */
}

/* The rank-th largest D2 of level v from its fine bins, as d_mm: RN(sqrt(s^2 D2))
 * through conseco__mm_distance with some k0^2 + k1^2 = D2 (the spacing is
 * the same along both axes, so any pair gives the same distance). */
static double fine_distance(const fast2d *c, const uint32_t *fine, uint32_t v, uint64_t rank)
{
    const uint64_t base = (uint64_t)(v - 1u) * (v - 1u) + 1u;
    uint64_t acc = 0, d2 = 0, k0;
    size_t i;
    for (i = 2u * (size_t)v - 1u; i-- > 0;) {
        acc += fine[i];
        if (acc >= rank) {
            d2 = base + i;
            break;
        }
    }
    if (d2 == 0) return -1.0; /* unreachable */
    /* the larger offset of any pair lies in [sqrt(D2 / 2), sqrt(D2)] */
    for (k0 = conseco__isqrt32((uint32_t)(d2 / 2u)); k0 * k0 <= d2; k0++) {
        const uint64_t rest = d2 - k0 * k0;
        const uint64_t k1 = conseco__isqrt32((uint32_t)rest);
        if (k1 * k1 == rest) return conseco__mm_distance(&c->metric, (uint32_t)k0, (uint32_t)k1, 0);
    }
    return -1.0; /* unreachable: D2 is a sum of two squares */
}

/* The fine bins of level v from the kept D2 (instead of a second pass). */
static void fine_from_kept(const uint32_t *d2s, size_t n, uint32_t v, uint32_t *fine)
{
    const uint64_t lo = (uint64_t)(v - 1u) * (v - 1u), hi = (uint64_t)v * v;
    size_t i;
    CONSECO_memset(fine, 0, 2u * (size_t)v * sizeof(uint32_t));
    for (i = 0; i < n; i++)
        if (d2s[i] > lo && d2s[i] <= hi) fine[d2s[i] - lo - 1u]++;
}

int conseco__outer2d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, int band, double tau, double tau_outer,
                           void *scratch, size_t scratch_size, double *score)
{
    size_t sz[F2_AREAS];
    unsigned char *b;
    fast2d c;
    uint64_t m, budget;
    int need_out, need_in, rc;
    double s_in = 0.0, s_out = 0.0;
    if (!f2_areas(pred->width, pred->height, sz)) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < conseco__outer2d_scratch_size(pred->width, pred->height))
        return CONSECO_E_SCRATCH_TOO_SMALL;
    b = (unsigned char *)conseco__align16(scratch, &scratch_size);
    c.w = pred->width;
    c.h = pred->height;
    c.rbp = round8b((c.w + 7u) / 8u);
    c.bg = p->border == CONSECO_BORDER_BACKGROUND;
    c.linf = p->element == CONSECO_ELEMENT_SQUARE;
    c.mm = p->element == CONSECO_ELEMENT_BALL_MM;
    c.l2 = p->element == CONSECO_ELEMENT_DISK || c.mm;
    if (c.mm && !iso_spacing(pred, &c.metric)) return CONSECO_E_UNSUPPORTED; /* not taken */
    c.pass2 = c.store = 0;
    c.target_in = c.target_out = 0;
    c.din = c.dout = NULL;
    c.nin = c.nout = 0;
    c.g = (uint16_t *)(void *)b;
    c.ybm = b + sz[0];
    c.tbm = c.ybm + c.h * c.rbp;
    c.sbm = c.tbm + c.h * c.rbp;
    c.zero = c.sbm + c.h * c.rbp;
    c.flags = b + sz[0] + sz[1];
    c.lanes = b + sz[0] + sz[1] + sz[2];
    c.spare = (uint16_t *)(void *)(b + sz[0] + sz[1] + sz[2] + sz[3]);
    c.hin = (uint32_t *)(void *)(b + sz[0] + sz[1] + sz[2] + sz[3] + sz[4]);
    c.bins = c.w + c.h + 1u;
    c.hout = c.hin + c.bins;
    c.fin = c.hout + c.bins;
    c.fout = c.fin + 2u * c.bins;
    c.zn = (int64_t *)(void *)(b + sz[0] + sz[1] + sz[2] + sz[3] + sz[4] + sz[5]);
    c.zd = (int32_t *)(void *)(c.zn + (c.w + 2u));
    c.site = c.zd + (c.w + 2u);
    c.val = (uint32_t *)(void *)(c.site + (c.w + 2u));
    c.vr = (uint16_t *)(void *)(c.val + (c.w + 2u));
    CONSECO_memset(c.zero, 0, c.rbp);

    if ((rc = f2_scan(p, pred, truth, &c)) != CONSECO_OK) return rc;
    if (!band) tau_outer = tau;
    m = conseco__fp_budget(c.truth, tau_outer); /* missed pixels FNR <= tau_outer allows */
    budget = conseco__fp_budget(c.predicted, tau);
    need_out = c.missed0 > m;
    need_in = band && c.predicted > 0 && c.fp0 > budget;
    if (!need_out && !need_in) {
        *score = 0.0;
        return CONSECO_OK;
    }
    if (c.predicted == 0) { /* nothing to dilate: only the whole image is safe */
        *score = conseco__inf();
        return CONSECO_OK;
    }
    /* the box: Yhat U Y for the outer side, Yhat alone suffices for the inner */
    c.x0 = need_out ? c.ulo[0] : c.ylo[0];
    c.x1 = need_out ? c.uhi[0] : c.yhi[0];
    c.y0 = need_out ? c.ulo[1] : c.ylo[1];
    c.y1 = need_out ? c.uhi[1] : c.yhi[1];
    c.bw = c.x1 - c.x0 + 1u;
    c.bh = c.y1 - c.y0 + 1u;
    if (c.mm) {
        uint64_t r_in = 0, r_out = 0;
        size_t used = 0, k;
        const uint64_t kept = (need_in ? c.fp0 : 0u) + (need_out ? c.missed0 : 0u);
        for (k = 0; k < F2_AREAS; k++) used += sz[k];
        /* room after the areas (the caller's scratch may be larger than ours) */
        c.store = kept <= (uint64_t)((scratch_size - used) / sizeof(uint32_t));
        if (c.store) {
            c.din = (uint32_t *)(void *)(b + used);
            c.dout = c.din + (need_in ? (size_t)c.fp0 : 0u);
            c.nin = c.nout = 0;
        }
        disk_transform(&c, need_out, need_in);
        if (need_in) {
            c.target_in = coarse_bin(c.hin, c.bins, c.in_inf, budget + 1u, &r_in);
            if (c.target_in == 0) { /* more than the budget never removed */
                *score = conseco__inf();
                return CONSECO_OK;
            }
        }
        if (need_out) c.target_out = coarse_bin(c.hout, c.bins, c.out_inf, m + 1u, &r_out);
        if (c.store) { /* every D2 was kept: no second pass */
            if (c.target_in) fine_from_kept(c.din, c.nin, c.target_in, c.fin);
            if (c.target_out) fine_from_kept(c.dout, c.nout, c.target_out, c.fout);
        } else {
            c.pass2 = 1;
            disk_transform(&c, need_out, need_in);
        }
        if (need_in) s_in = fine_distance(&c, c.fin, c.target_in, r_in);
        if (need_out) s_out = c.target_out ? fine_distance(&c, c.fout, c.target_out, r_out) : -1.0;
        if (s_in < 0.0 || s_out < 0.0) return CONSECO_E_OVERFLOW; /* cannot happen */
        *score = s_out > s_in ? s_out : s_in;
        return CONSECO_OK;
    } else if (c.l2) {
        disk_transform(&c, need_out, need_in);
    } else {
        f2_seeds(&c);
        f2_transform(&c, need_out, need_in);
    }
    return conseco__outer_levels_score(c.hin, c.hout, c.bins, c.in_inf, c.out_inf, need_in,
                                       budget, need_out, m, score);
}
