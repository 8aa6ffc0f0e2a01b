/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Erosion by the cross on 2-D images, with 16-bit distances.
 *
 * lambda erosions by the cross remove exactly the pixels within city-block
 * distance lambda of the background (docs/DESIGN.md section 2), so the level of a Yhat
 * pixel is d - 1. The general path (erosion.c, distance.c) handles every
 * metric and dimension with 32-bit distances on the bounding box; this one
 * does the paper's case in fewer, cheaper passes:
 *
 *   1a (every row, read only, vectorised): threshold, finiteness, the box
 *      of Yhat, and Yhat kept as a bitmap (1/8 byte a pixel);
 *   1b (box rows, top-down, vectorised): g = distance to the nearest
 *      background at or above, in the column (from the bitmap, not the map);
 *   2  (box): g from below too (vectorised), then the two sweeps along each
 *      row, 32 rows at a time in SSE2 lanes or four scalar rows at a time;
 *      each finished row goes to the score, apply or evaluate consumer.
 *
 * Outside the box every pixel is background; the box's margins are
 * background unless they are the image border under the foreground policy.
 * Every function gives the same result as the general path (tests compare
 * both with the literal one-erosion-at-a-time reference).
 */
#include "erosion_cross2d.h"

/* SSE2 or NEON (common/simd.h) sweeps 4 x 8 rows at once in 16-bit lanes; elsewhere
 * four rows in scalar code. Same results either way. */
#include "common/bits.h"
#include "common/simd.h"
#include "common/yhat.h"
#include "cross_sweep.h"
#include "simd_u16.h"

/* Distance "no background at all" (the whole image is Yhat, border foreground). */
#define C2_INF 0xFFFFu

typedef struct cross2d {
    size_t w, h;
    int border_bg;         /* CONSECO_BORDER_BACKGROUND */
    uint16_t *g;           /* box rows, bw wide: column distances, then final distances */
    uint16_t *rows[2];     /* margin rows and a spare */
    unsigned char *colany; /* w: some Yhat pixel in column x; then w + 16 spare bytes */
    uint32_t *hist;        /* HISTS interleaved histograms of w + h + 1 bins (score) */
    uint64_t predicted;    /* |Yhat| */
    size_t x0, x1, y0, y1; /* bounding box of Yhat (when predicted > 0) */
    size_t bw;             /* x1 - x0 + 1 */
    void *lanes;           /* w x 64 bytes, 16-aligned: four groups of eight rows, transposed */
} cross2d;

/* Receives each box row's final distances: d[k] for pixel (x0 + k, y), k < bw
 * (0 = background, C2_INF = no background anywhere); rows in no set order. */
typedef void (*row_fn)(void *ctx, size_t y, const uint16_t *d);

#define HISTS 4u /* interleaved histograms: neighbours rarely hit the same counter */

static size_t round16(size_t v) { return (v + 15u) & ~(size_t)15u; }

int conseco__cross2d_applies(const conseco_erosion_params *p, const conseco_image *pred)
{
    return pred->depth == 1 && p->element == CONSECO_ELEMENT_CROSS &&
           pred->width < 65535u && pred->height < 65535u - pred->width &&
           p->base > -3.0e38 && p->base < 3.0e38; /* a float threshold exists */
}

/* Areas: g (up to w*h u16), two rows (w u16 each), colany and a flag row (w
 * and w + 16 bytes), hist (HISTS*(w+h+1) u32), the Yhat bitmap (h rows of
 * ceil(w/8) bytes), the SIMD lanes (64 bytes per column: four groups of eight rows). About 2.2 bytes
 * per pixel in all. */
static int areas(size_t w, size_t h, size_t sz[6])
{
    size_t n, bins;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, 2u, &sz[0])) return 0;
    sz[1] = 4u * w;
    sz[2] = 2u * w + 16u;
    bins = w + h + 1u; /* w + h < 65535: no overflow */
    sz[3] = HISTS * bins * sizeof(uint32_t);
    sz[4] = h * ((w + 7u) / 8u); /* < n */
    sz[5] = 64u * w;
    if (sz[0] > (size_t)-1 - 64u) return 0;
    sz[0] = round16(sz[0]);
    sz[1] = round16(sz[1]);
    sz[2] = round16(sz[2]);
    sz[3] = round16(sz[3]);
    sz[4] = round16(sz[4]);
    return 1;
}

size_t conseco__cross2d_scratch_size(size_t w, size_t h)
{
    size_t sz[6], total;
    if (!areas(w, h, sz)) return 0;
    if (!conseco__add_size(sz[0], sz[1], &total) || !conseco__add_size(total, sz[2], &total) ||
        !conseco__add_size(total, sz[3], &total) || !conseco__add_size(total, sz[4], &total) ||
        !conseco__add_size(total, sz[5], &total) ||
        !conseco__add_size(total, CONSECO__ALIGN_SLACK, &total))
        return 0;
    return total;
}

/* 8 flags (bytes 0/1) to 8 bits and back, a multiply each way. Both go
 * through memcpy, so the round trip is exact whatever the byte order. */
static uint8_t pack8(const unsigned char *flags, size_t n)
{
    uint64_t word = 0;
    CONSECO_memcpy(&word, flags, n);
    return (uint8_t)((word * UINT64_C(0x0102040810204080)) >> 56);
}

static void unpack8(uint8_t bits, unsigned char *flags)
{
    const uint64_t spread = ((uint64_t)bits * UINT64_C(0x0101010101010101)) &
                            UINT64_C(0x8040201008040201);
    const uint64_t word =
        ((spread + UINT64_C(0x7F7F7F7F7F7F7F7F)) >> 7) & UINT64_C(0x0101010101010101);
    CONSECO_memcpy(flags, &word, 8);
}

/* ---------------------------------------------------------------- pass 1 */
/* The Yhat test of every dtype, compiled once per element type. */
typedef struct thresholds {
    double base; /* F64 */
    float f32;   /* F32: the smallest float >= base */
    uint32_t i;  /* U8, U16, MASK8 (as 0/1): the smallest value >= base */
} thresholds;

/* out[k] = 1 if pixel x0 + k of the row is in Yhat, for k < n; clears
 * *finite on a NaN or infinite float. Plain byte loops: they vectorise. */
static void yhat_row(int dtype, const unsigned char *row, size_t x0, size_t n,
                     const thresholds *t, unsigned char *out, int *finite)
{
    size_t k;
    unsigned ok = 1;
    switch (dtype) {
    case CONSECO_DTYPE_F32: {
        const float *s = (const float *)(const void *)row + x0;
        const float thr = t->f32;
        for (k = 0; k < n; k++) {
            ok &= (unsigned)(s[k] - s[k] == 0.0f); /* NaN and inf fail */
            out[k] = (unsigned char)(s[k] >= thr);
        }
        break;
    }
    case CONSECO_DTYPE_F64: {
        const double *s = (const double *)(const void *)row + x0;
        for (k = 0; k < n; k++) {
            ok &= (unsigned)(s[k] - s[k] == 0.0);
            out[k] = (unsigned char)(s[k] >= t->base);
        }
        break;
    }
    case CONSECO_DTYPE_U16: {
        const uint16_t *s = (const uint16_t *)(const void *)row + x0;
        for (k = 0; k < n; k++) out[k] = (unsigned char)((uint32_t)s[k] >= t->i);
        break;
    }
    case CONSECO_DTYPE_MASK8: {
        const uint8_t *s = row + x0;
        for (k = 0; k < n; k++) out[k] = (unsigned char)((uint32_t)(s[k] != 0) >= t->i);
        break;
    }
    default: {
        const uint8_t *s = row + x0;
        for (k = 0; k < n; k++) out[k] = (unsigned char)((uint32_t)s[k] >= t->i);
        break;
    }
    }
    if (!ok) *finite = 0;
}

#ifdef CONSECO__SIMD
/* Pass 1a with SSE2, one row's groups of 16 pixels: the row's Yhat bitmap
 * bytes (bit k: pixel 8i + k, as pack8()) and its first and last Yhat
 * column. Returns where the groups end (a multiple of 16); clears *finite
 * on a NaN or an infinity. */
typedef size_t (*groups_fn)(const unsigned char *row, size_t w, const thresholds *t,
                            uint8_t *bm, size_t *first, size_t *last, int *finite);

static void note_bits(unsigned m, size_t x, size_t w, size_t *first, size_t *last)
{
    if (m) {
        if (*first == w) *first = x + (size_t)conseco__ctz32(m);
        *last = x + 31u - (size_t)conseco__clz32(m);
    }
}

/* Float32. Groups with no pixel in Yhat (most of an image) cost a few
 * instructions; the others are tested exactly, NaN and infinities included. */
static size_t f32_groups(const unsigned char *row, size_t w, const thresholds *t, uint8_t *bm,
                         size_t *first, size_t *last, int *finite)
{
    const float *s = (const float *)(const void *)row;
    const conseco__m128 vb = conseco__mm_set1_ps(t->f32);
    conseco__m128 v[4], vmin = conseco__mm_setzero_ps(), bad = conseco__mm_setzero_ps();
    size_t x;
    for (x = 0; x + 16 <= w; x += 16) {
        unsigned m;
        conseco__prefetch(s + x, CONSECO__PREFETCH_AHEAD);
        if (!conseco__f32x16_maybe_in(s + x, vb, v, &vmin)) {
            bm[x / 8u] = 0;
            bm[x / 8u + 1u] = 0;
            continue;
        }
        bad = conseco__mm_or_ps(bad, conseco__mm_or_ps(conseco__mm_or_ps(conseco__mm_sub_ps(v[0], v[0]), conseco__mm_sub_ps(v[1], v[1])),
                                       conseco__mm_or_ps(conseco__mm_sub_ps(v[2], v[2]), conseco__mm_sub_ps(v[3], v[3]))));
        m = (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[0], vb)) |
            (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[1], vb)) << 4 |
            (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[2], vb)) << 8 |
            (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[3], vb)) << 12;
        bm[x / 8u] = (uint8_t)m;
        bm[x / 8u + 1u] = (uint8_t)(m >> 8);
        note_bits(m, x, w, first, last);
    }
    *finite &= conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi32(conseco__mm_castps_si128(bad), conseco__mm_setzero_si128())) ==
               0xFFFF;
    *finite &= !conseco__f32_min_is_neg_inf(vmin);
    return x;
}

/* 8-bit maps whose Yhat test is "byte >= t->i" with 1 <= t->i <= 255: U8,
 * and MASK8 with t->i = 1 (nonzero). Unsigned bytes compare as max(v, thr)
 * == v. */
static size_t u8_groups(const unsigned char *row, size_t w, const thresholds *t, uint8_t *bm,
                        size_t *first, size_t *last, int *finite)
{
    const conseco__m128i vt = conseco__mm_set1_epi8((char)(unsigned char)t->i);
    size_t x;
    (void)finite;
    for (x = 0; x + 16 <= w; x += 16) {
        const conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(row + x));
        const unsigned m = (unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, vt), v));
        bm[x / 8u] = (uint8_t)m;
        bm[x / 8u + 1u] = (uint8_t)(m >> 8);
        note_bits(m, x, w, first, last);
    }
    return x;
}

/* The groups function for this map, NULL where pass1a() serves. */
static groups_fn groups_for(int dtype, const thresholds *t)
{
    if (dtype == CONSECO_DTYPE_F32) return f32_groups;
    if ((dtype == CONSECO_DTYPE_U8 && t->i >= 1u && t->i <= 255u) ||
        (dtype == CONSECO_DTYPE_MASK8 && t->i == 1u))
        return u8_groups;
    return NULL; /* every pixel or none in Yhat, 16-bit and double maps */
}

/* Pass 1a with SSE2: each row's groups, then its last w % 16 pixels from
 * the exact test; the box of Yhat. When scoring, the truth under each row's
 * Yhat is prefetched for pass 2. Returns 0 on a NaN or infinity. */
static int simd_pass1a(const conseco_image *pred, const conseco_mask *truth, const thresholds *t,
                       groups_fn groups, uint8_t *bitmap, unsigned char *yrow, cross2d *c,
                       size_t *xlo, size_t *xhi)
{
    const size_t w = pred->width, h = pred->height, rb = (w + 7u) / 8u;
    size_t y, x, k, lo = w, hi = 0;
    int finite = 1;
    for (y = 0; y < h; y++) {
        const unsigned char *row = conseco__image_row(pred, y, 0);
        uint8_t *bm = bitmap + y * rb;
        size_t first = w, last = 0;
        x = groups(row, w, t, bm, &first, &last, &finite);
        if (x < w) { /* the last w % 16 pixels: x is a multiple of 8 */
            yhat_row(pred->dtype, row, x, w - x, t, yrow, &finite);
            for (k = 0; k < w - x; k += 8)
                bm[(x + k) / 8u] = pack8(yrow + k, w - x - k < 8u ? w - x - k : 8u);
            for (k = 0; k < w - x; k++)
                if (yrow[k]) {
                    if (first == w) first = x + k;
                    last = x + k;
                }
        }
        if (!finite) return 0;
        if (first == w) continue;
        if (truth != NULL) {
            const uint8_t *tr = conseco__mask_row(truth, y, 0);
            for (k = first; k <= last; k += 64) conseco__prefetch(tr + k, 0);
            conseco__prefetch(tr + last, 0);
        }
        lo = first < lo ? first : lo;
        hi = last > hi ? last : hi;
        if (c->y0 == h) c->y0 = y;
        c->y1 = y;
    }
    *xlo = lo;
    *xhi = hi;
    return 1;
}
#endif

#ifdef CONSECO__SIMD
/* Pass 1b on the first n8 (a multiple of 8) pixels of a box row starting at
 * column x0, eight at a time: g[k] = Yhat ? above[k] + 1 (saturating at
 * C2_INF) : 0, from the row's bitmap bm. Returns the Yhat pixels counted. */
static uint32_t column_row8(const uint8_t *bm, size_t x0, size_t n8, const uint16_t *above,
                            uint16_t *g)
{
    const conseco__m128i bit = conseco__mm_set_epi16(128, 64, 32, 16, 8, 4, 2, 1), one = conseco__mm_set1_epi16(1);
    conseco__m128i cnt = conseco__mm_setzero_si128();
    uint16_t lane[8];
    uint32_t count = 0;
    size_t k;
    for (k = 0; k < n8; k += 8) {
        /* pixels x .. x + 7 lie in the row: bytes x / 8 and (x + 7) / 8 */
        const size_t x = x0 + k;
        const unsigned bits = ((unsigned)bm[x / 8u] | (unsigned)bm[(x + 7u) / 8u] << 8) >> (x & 7u);
        const conseco__m128i m =
            conseco__mm_cmpeq_epi16(conseco__mm_and_si128(conseco__mm_set1_epi16((short)(bits & 0xFFu)), bit), bit);
        const conseco__m128i up = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(above + k));
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(g + k), conseco__mm_and_si128(m, conseco__mm_adds_epu16(up, one)));
        cnt = conseco__mm_sub_epi16(cnt, m); /* each lane <= n8 / 8 < 8192 */
    }
    conseco__mm_storeu_si128((conseco__m128i *)(void *)lane, cnt);
    for (k = 0; k < 8; k++) count += lane[k];
    return count;
}
#endif

/* Pass 1a on any map: for each row, the Yhat bitmap; the columns holding
 * Yhat give the box. Returns 0 on a NaN or infinity. */
static int pass1a(const conseco_image *pred, const thresholds *t, uint8_t *bitmap,
                  unsigned char *colany, unsigned char *yrow, cross2d *c)
{
    const size_t w = pred->width, h = pred->height, rb = (w + 7u) / 8u;
    size_t x, y, i;
    int finite = 1;
    CONSECO_memset(colany, 0, w);
    for (y = 0; y < h; y++) {
        unsigned any = 0;
        yhat_row(pred->dtype, conseco__image_row(pred, y, 0), 0, w, t, yrow, &finite);
        if (!finite) return 0;
        for (x = 0; x < w; x++) {
            colany[x] |= yrow[x];
            any |= yrow[x];
        }
        if (!any) {
            CONSECO_memset(bitmap + y * rb, 0, rb);
            continue;
        }
        /* keep the row's Yhat as bits: pass 1b need not read the map again */
        for (i = 0; i < rb; i++)
            bitmap[y * rb + i] = pack8(yrow + 8u * i, w - 8u * i < 8u ? w - 8u * i : 8u);
        if (c->y0 == h) c->y0 = y;
        c->y1 = y;
    }
    if (c->y0 == h) return 1;
    for (c->x0 = 0; !colany[c->x0]; c->x0++) continue;
    for (c->x1 = w - 1; !colany[c->x1]; c->x1--) continue;
    return 1;
}

/* Pass 1: Yhat, |Yhat|, its box and the column distances from above.
 * truth: the score's, to prefetch; NULL for apply and evaluate. */
static int build(const conseco_erosion_params *p, const conseco_image *pred,
                 const conseco_mask *truth, void *scratch, size_t scratch_size, cross2d *c)
{
    const size_t w = pred->width, h = pred->height;
    const size_t need = conseco__cross2d_scratch_size(w, h);
    unsigned char *base, *colany, *yrow;
    const uint16_t *above;
    thresholds t;
    size_t sz[6], x, y, bw, i, rb = (w + 7u) / 8u;
    uint8_t *bitmap;
#ifdef CONSECO__SIMD
    groups_fn groups;
#endif

    if (need == 0 || !areas(w, h, sz)) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    base = (unsigned char *)conseco__align16(scratch, &scratch_size);
    c->w = w;
    c->h = h;
    c->border_bg = p->border == CONSECO_BORDER_BACKGROUND;
    c->g = (uint16_t *)(void *)base;
    c->rows[0] = (uint16_t *)(void *)(base + sz[0]);
    c->rows[1] = c->rows[0] + w;
    c->colany = colany = base + sz[0] + sz[1];
    yrow = colany + w;
    c->hist = (uint32_t *)(void *)(base + sz[0] + sz[1] + sz[2]);
    bitmap = base + sz[0] + sz[1] + sz[2] + sz[3];
    c->lanes = bitmap + sz[4];
    c->predicted = 0;
    c->y0 = h;
    c->y1 = 0;
    c->x0 = c->x1 = c->bw = 0;

    t.base = p->base;
    t.f32 = pred->dtype == CONSECO_DTYPE_F32 ? conseco__f32_at_least(p->base) : 0.0f;
    switch (pred->dtype) {
    case CONSECO_DTYPE_U8: t.i = conseco__int_at_least(p->base, 255u); break;
    case CONSECO_DTYPE_U16: t.i = conseco__int_at_least(p->base, 65535u); break;
    case CONSECO_DTYPE_MASK8: t.i = conseco__int_at_least(p->base, 1u); /* 0/1 */ break;
    default: t.i = 0; break;
    }

    /* 1a: every row once, read only: the box of Yhat and finiteness */
#ifdef CONSECO__SIMD
    groups = groups_for(pred->dtype, &t);
    if (groups != NULL) {
        if (!simd_pass1a(pred, truth, &t, groups, bitmap, yrow, c, &c->x0, &c->x1))
            return CONSECO_E_NONFINITE;
    } else
#endif
    {
        (void)truth;
        if (!pass1a(pred, &t, bitmap, colany, yrow, c)) return CONSECO_E_NONFINITE;
    }
    if (c->y0 == h) return CONSECO_OK; /* empty prediction */

    /* 1b: the box rows again, into g (box-wide rows): the distance to the
     * nearest background at or above, in the column; and |Yhat| */
    bw = c->bw = c->x1 - c->x0 + 1;
    for (x = 0; x < bw; x++) /* the row above the box: image border, or no Yhat */
        c->rows[0][x] = (c->y0 == 0 && !c->border_bg) ? C2_INF : 0u;
    above = c->rows[0];
    for (y = c->y0; y <= c->y1; y++) {
        uint16_t *g = c->g + (y - c->y0) * bw;
        uint32_t count = 0; /* <= bw < 65535 */
        size_t k0 = 0;
#ifdef CONSECO__SIMD
        k0 = bw & ~(size_t)7u;
        count = column_row8(bitmap + y * rb, c->x0, k0, above, g);
#endif
        /* without SIMD k0 is 0, so the test always holds there */
        /* cppcheck-suppress knownConditionTrueFalse */
        if (k0 < bw) { /* the rest of the row, from flags */
            const size_t xs = c->x0 + k0;
            const unsigned char *in = yrow + (xs & 7u); /* in[0]: pixel k0 */
            for (i = xs / 8u; i <= c->x1 / 8u; i++)
                unpack8(bitmap[y * rb + i], yrow + 8u * (i - xs / 8u));
            for (x = k0; x < bw; x++) {
                const unsigned up = above[x];
                g[x] = (uint16_t)(in[x - k0] ? up + (up != C2_INF) : 0u);
                count += in[x - k0];
            }
        }
        c->predicted += count;
        above = g;
    }
    return CONSECO_OK;
}

/* ---------------------------------------------------------------- pass 2 */
#ifdef CONSECO__SIMD
/* Eight consecutive rows q[0] (top) .. q[7] of n cells, whose column
 * distances from above are in place, into `lanes` (one vector per column,
 * transposed): first the column distances from below (below: the row under
 * q[7], column-final; on return, q[0]'s column-final distances). */
static void load8(uint16_t *const q[8], size_t n, conseco__m128i *lanes, uint16_t *below)
{
    const conseco__m128i one = conseco__mm_set1_epi16(1);
    conseco__m128i v[8], f;
    uint16_t col[8];
    size_t x0, x, j;
    for (x0 = 0; x0 + 8 <= n; x0 += 8) {
        for (j = 0; j < 8; j++) v[j] = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(q[j] + x0));
        f = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(below + x0));
        for (j = 8; j-- > 0;) v[j] = f = conseco__min_u16(v[j], conseco__mm_adds_epu16(f, one));
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(below + x0), f);
        conseco__transpose8_u16(v);
        for (j = 0; j < 8; j++) lanes[x0 + j] = v[j];
    }
    for (x = x0; x < n; x++) {
        uint32_t b = below[x];
        for (j = 8; j-- > 0;) {
            const uint32_t a = q[j][x], up = b + (b != C2_INF);
            col[j] = (uint16_t)(b = a < up ? a : up);
        }
        below[x] = col[0];
        lanes[x] = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)col);
    }
}

/* Both sweeps along the rows of four groups of lanes (l, l + n, l + 2n,
 * l + 3n: 32 rows) at once, with one saturating add and one min per column
 * and direction: four independent dependency chains overlap in the
 * pipeline. 0xFFFF plays C2_INF and saturates. */
static void sweep32(conseco__m128i *l, size_t n, int left_inf, int right_inf)
{
    const conseco__m128i one = conseco__mm_set1_epi16(1);
    conseco__m128i *const a = l, *const b = l + n, *const c = l + 2u * n, *const d = l + 3u * n;
    conseco__m128i fa, fb, fc, fd;
    size_t x;
    fa = fb = fc = fd = conseco__mm_set1_epi16(left_inf ? -1 : 0);
    for (x = 0; x < n; x++) {
        a[x] = fa = conseco__min_u16(a[x], conseco__mm_adds_epu16(fa, one));
        b[x] = fb = conseco__min_u16(b[x], conseco__mm_adds_epu16(fb, one));
        c[x] = fc = conseco__min_u16(c[x], conseco__mm_adds_epu16(fc, one));
        d[x] = fd = conseco__min_u16(d[x], conseco__mm_adds_epu16(fd, one));
    }
    fa = fb = fc = fd = conseco__mm_set1_epi16(right_inf ? -1 : 0);
    for (x = n; x-- > 0;) {
        a[x] = fa = conseco__min_u16(a[x], conseco__mm_adds_epu16(fa, one));
        b[x] = fb = conseco__min_u16(b[x], conseco__mm_adds_epu16(fb, one));
        c[x] = fc = conseco__min_u16(c[x], conseco__mm_adds_epu16(fc, one));
        d[x] = fd = conseco__min_u16(d[x], conseco__mm_adds_epu16(fd, one));
    }
}
#else
/* One sweep direction over 4 rows at once: four independent dependency
 * chains, so the adds and mins of different rows overlap in the pipeline
 * (one row alone is bound by the latency of its chain). Values > 0xFFFF
 * only ever come from `edge` and lose every min. */
static void sweep4(uint16_t *r0, uint16_t *r1, uint16_t *r2, uint16_t *r3, size_t n,
                   uint32_t edge, int forward)
{
    uint32_t f0 = edge, f1 = edge, f2 = edge, f3 = edge;
    size_t k;
    for (k = 0; k < n; k++) {
        const size_t x = forward ? k : n - 1 - k;
        uint32_t a;
        a = r0[x]; f0 = a < f0 + 1u ? a : f0 + 1u; r0[x] = (uint16_t)f0;
        a = r1[x]; f1 = a < f1 + 1u ? a : f1 + 1u; r1[x] = (uint16_t)f1;
        a = r2[x]; f2 = a < f2 + 1u ? a : f2 + 1u; r2[x] = (uint16_t)f2;
        a = r3[x]; f3 = a < f3 + 1u ? a : f3 + 1u; r3[x] = (uint16_t)f3;
    }
}

/* The backward sweep of sweep4 for the score: as each distance becomes
 * final, a false positive (Yhat, truth 0) adds to the histogram of its
 * row's copy. Four rows, four copies: no two chains share a counter. */
static void sweep4_count(uint16_t *const r[4], const uint8_t *const t[4], size_t n,
                         uint32_t edge, uint32_t *hist, size_t bins, uint64_t *inf_count)
{
    uint32_t f[4] = {edge, edge, edge, edge};
    size_t k, j;
    for (k = n; k-- > 0;) {
        for (j = 0; j < 4; j++) {
            const uint32_t a = r[j][k];
            f[j] = a < f[j] + 1u ? a : f[j] + 1u;
            r[j][k] = (uint16_t)f[j];
            if (t[j][k] == 0 && f[j] != 0) {
                if (f[j] == C2_INF) (*inf_count)++;
                else hist[j * bins + f[j]]++;
            }
        }
    }
}

#endif /* CONSECO__SIMD */

/* What the score counts: false positives per distance. */
typedef struct score_ctx {
    const conseco_mask *truth;
    size_t x0, bw, bins;
    uint32_t *hist;
    uint64_t fp_inf;
} score_ctx;

#ifdef CONSECO__SIMD
/* Adds a row's false positives (Yhat, truth 0) to the histograms. */
static void count_one(score_ctx *sc, const uint8_t *t, const uint16_t *d, size_t k)
{
    if (t[k] != 0 || d[k] == 0) return;
    if (d[k] == C2_INF) sc->fp_inf++;
    else sc->hist[(k & (HISTS - 1u)) * sc->bins + d[k]]++;
}

/* Groups of 8 pixels that are all true or all background are skipped after
 * one test each: false positives come in regions. */
static void count_row(score_ctx *sc, size_t y, const uint16_t *d)
{
    const uint8_t *t = conseco__mask_row(sc->truth, y, 0) + sc->x0;
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    size_t k, j;
    for (k = 0; k + 8 <= sc->bw; k += 8) {
        uint64_t tw, d0, d1;
        CONSECO_memcpy(&tw, t + k, 8);
        CONSECO_memcpy(&d0, d + k, 8);
        CONSECO_memcpy(&d1, d + k + 4, 8);
        if (((tw - ones) & ~tw & highs) == 0 || (d0 | d1) == 0) continue; /* no 0 byte */
        for (j = k; j < k + 8; j++) count_one(sc, t, d, j);
    }
    for (; k < sc->bw; k++) count_one(sc, t, d, k);
}
#endif

/* Pass 2: final distances of the box rows, handed to fn; or, with sc, the
 * false positives counted as the distances become final. */
static void rows_pass(const cross2d *c, row_fn fn, void *ctx, score_ctx *sc)
{
    const size_t bw = c->bw, rows = c->y1 - c->y0 + 1;
    /* outside the image: background only under that policy; inside, the
     * column just outside the box has no Yhat at all */
    const uint32_t left = (c->x0 > 0 || c->border_bg) ? 0u : 0x10000u;
    const uint32_t right = (c->x1 + 1 < c->w || c->border_bg) ? 0u : 0x10000u;
#ifndef CONSECO__SIMD
    const uint16_t *below = c->rows[0];
#endif
    size_t x, r, k;
    if (c->predicted == 0) return;
    /* the spare row stands in for missing rows of the last group: defined
     * values, so that memory checkers see no use of uninitialised data */
    CONSECO_memset(c->rows[1], 0, bw * sizeof(uint16_t));
#ifndef CONSECO__SIMD
    if (sc != NULL) CONSECO_memset(c->colany + c->w, 1, bw);
#endif
    /* the row under the box: the image border, or no Yhat */
    for (x = 0; x < bw; x++)
        c->rows[0][x] = (c->y1 + 1 == c->h && !c->border_bg) ? C2_INF : 0u;
#ifdef CONSECO__SIMD
    /* 32 rows at a time, bottom-up, in four groups of eight: the column
     * distances from below, then the rows; rows above the box are the spare
     * row (a short top group, or missing groups) */
    for (r = rows; r > 0; r = r > 32 ? r - 32 : 0) {
        conseco__m128i *lanes = (conseco__m128i *)c->lanes;
        uint16_t *q[32]; /* q[8i + j]: row r - 8(i + 1) + j */
        for (k = 0; k < 32; k++) {
            const size_t back = 8u * (k / 8u + 1u) - k % 8u; /* row r - back */
            q[k] = r >= back ? c->g + (r - back) * bw : c->rows[1];
        }
        for (k = 0; k < 4; k++) load8(q + 8u * k, bw, lanes + k * bw, c->rows[0]);
        sweep32(lanes, bw, left != 0, right != 0);
        for (k = 0; k < 4; k++) conseco__lanes_to_rows(q + 8u * k, bw, lanes + k * bw);
        for (k = 0; k < 32; k++) {
            const size_t back = 8u * (k / 8u + 1u) - k % 8u;
            if (r < back) continue;
            if (sc != NULL) count_row(sc, c->y0 + r - back, q[k]);
            else fn(ctx, c->y0 + r - back, q[k]);
        }
    }
#else
    /* columns: g becomes the distance to the nearest background in the column */
    for (r = rows; r-- > 0;) {
        uint16_t *g = c->g + r * bw;
        for (x = 0; x < bw; x++) {
            const uint32_t a = g[x], b = (uint32_t)below[x] + 1u;
            g[x] = (uint16_t)(a < b ? a : b);
        }
        below = g;
    }
    /* rows, four at a time; a short last group writes into a spare row */
    for (r = 0; r < rows; r += 4) {
        uint16_t *q[4];
        for (k = 0; k < 4; k++) q[k] = r + k < rows ? c->g + (r + k) * bw : c->rows[1];
        sweep4(q[0], q[1], q[2], q[3], bw, left, 1);
        if (sc != NULL) {
            const uint8_t *t[4];
            for (k = 0; k < 4; k++)
                t[k] = r + k < rows ? conseco__mask_row(sc->truth, c->y0 + r + k, 0) + c->x0
                                    : c->colany + c->w; /* a row of ones: no false positive */
            sweep4_count(q, t, bw, right, sc->hist, sc->bins, &sc->fp_inf);
            continue;
        }
        sweep4(q[0], q[1], q[2], q[3], bw, right, 0);
        for (k = 0; k < 4 && r + k < rows; k++) fn(ctx, c->y0 + r + k, q[k]);
    }
#endif
}

/* ------------------------------------------------------------------ score */

int conseco__cross2d_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau, void *scratch,
                           size_t scratch_size, double *score)
{
    cross2d c;
    score_ctx s;
    uint64_t fp, budget, acc;
    size_t b, k;
    int rc = build(p, pred, truth, scratch, scratch_size, &c);
    if (rc != CONSECO_OK) return rc;
    if (c.predicted == 0) {
        *score = 0.0; /* empty prediction: lambda_min */
        return CONSECO_OK;
    }
    s.truth = truth;
    s.x0 = c.x0;
    s.bw = c.bw;
    s.bins = c.w + c.h + 1u; /* finite distances are < w + h */
    s.hist = c.hist;
    s.fp_inf = 0;
    CONSECO_memset(c.hist, 0, HISTS * s.bins * sizeof(uint32_t));
    rows_pass(&c, NULL, NULL, &s);
    fp = s.fp_inf;
    for (b = 1; b < s.bins; b++) {
        for (k = 1; k < HISTS; k++) c.hist[b] += c.hist[k * s.bins + b];
        fp += c.hist[b];
    }
    budget = conseco__fp_budget(c.predicted, tau);
    if (fp <= budget) {
        *score = 0.0;
        return CONSECO_OK;
    }
    /* one above the (budget + 1)-th largest level; level = d - 1 */
    if (s.fp_inf > budget) {
        *score = conseco__inf();
        return CONSECO_OK;
    }
    acc = s.fp_inf;
    for (b = s.bins; b-- > 1;) {
        acc += c.hist[b];
        if (acc > budget) break;
    }
    *score = (double)b;
    return CONSECO_OK;
}

/* --------------------------------------------------------- apply, metrics */
/* p in I_lambda <=> level = d - 1 >= lambda <=> d >= dmin; +inf keeps nothing
 * and C2_INF ("never removed") is kept by every finite lambda. */
static uint32_t min_kept_distance(double lambda)
{
    uint32_t c;
    if (lambda == conseco__inf()) return 0x10000u;
    if (lambda <= 0.0) return 1u;
    if (lambda >= 65534.0) return C2_INF;
    c = (uint32_t)lambda;
    if ((double)c < lambda) c++; /* ceil */
    return c + 1u;
}

typedef struct apply_ctx {
    const conseco_mask_out *inner, *uncertain;
    size_t x0, bw;
    uint32_t dmin;
} apply_ctx;

static void apply_row(void *ctx, size_t y, const uint16_t *d)
{
    const apply_ctx *a = (const apply_ctx *)ctx;
    size_t k;
    if (a->inner != NULL) {
        uint8_t *in = conseco__mask_out_row(a->inner, y, 0) + a->x0;
        for (k = 0; k < a->bw; k++) in[k] = (uint8_t)(d[k] >= a->dmin);
    }
    if (a->uncertain != NULL) {
        uint8_t *un = conseco__mask_out_row(a->uncertain, y, 0) + a->x0;
        for (k = 0; k < a->bw; k++) un[k] = (uint8_t)((d[k] != 0) & (d[k] < a->dmin));
    }
}

static void zero_rows(const conseco_mask_out *m, size_t y_from, size_t y_to, size_t x_from,
                      size_t x_to)
{
    size_t y;
    if (m == NULL || x_from >= x_to) return;
    for (y = y_from; y < y_to; y++)
        CONSECO_memset(conseco__mask_out_row(m, y, 0) + x_from, 0, x_to - x_from);
}

int conseco__cross2d_apply(const conseco_erosion_params *p, const conseco_image *pred,
                           double lambda, void *scratch, size_t scratch_size,
                           const conseco_mask_out *inner, const conseco_mask_out *uncertain)
{
    const size_t w = pred->width, h = pred->height;
    cross2d c;
    apply_ctx a;
    int rc = build(p, pred, NULL, scratch, scratch_size, &c);
    if (rc != CONSECO_OK) return rc;
    if (c.predicted == 0) {
        zero_rows(inner, 0, h, 0, w);
        zero_rows(uncertain, 0, h, 0, w);
        return CONSECO_OK;
    }
    /* outside the box: background */
    zero_rows(inner, 0, c.y0, 0, w);
    zero_rows(inner, c.y1 + 1, h, 0, w);
    zero_rows(inner, c.y0, c.y1 + 1, 0, c.x0);
    zero_rows(inner, c.y0, c.y1 + 1, c.x1 + 1, w);
    zero_rows(uncertain, 0, c.y0, 0, w);
    zero_rows(uncertain, c.y1 + 1, h, 0, w);
    zero_rows(uncertain, c.y0, c.y1 + 1, 0, c.x0);
    zero_rows(uncertain, c.y0, c.y1 + 1, c.x1 + 1, w);
    a.inner = inner;
    a.uncertain = uncertain;
    a.x0 = c.x0;
    a.bw = c.bw;
    a.dmin = min_kept_distance(lambda);
    rows_pass(&c, apply_row, &a, NULL);
    return CONSECO_OK;
}

typedef struct eval_ctx {
    const conseco_mask *truth;
    size_t x0, bw;
    uint32_t dmin;
    uint64_t in, fp;
} eval_ctx;

static void eval_row(void *ctx, size_t y, const uint16_t *d)
{
    eval_ctx *e = (eval_ctx *)ctx;
    const uint8_t *t = conseco__mask_row(e->truth, y, 0) + e->x0;
    uint32_t in = 0, fp = 0; /* <= bw < 65535 */
    size_t k;
    for (k = 0; k < e->bw; k++) {
        const uint32_t kept = d[k] >= e->dmin;
        in += kept;
        fp += kept & (uint32_t)(t[k] == 0);
    }
    e->in += in;
    e->fp += fp;
}

int conseco__cross2d_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double lambda, double tau,
                              void *scratch, size_t scratch_size, conseco_image_metrics *out)
{
    cross2d c;
    eval_ctx e;
    int rc = build(p, pred, truth, scratch, scratch_size, &c);
    if (rc != CONSECO_OK) return rc;
    e.truth = truth;
    e.x0 = c.x0;
    e.bw = c.bw;
    e.dmin = min_kept_distance(lambda);
    e.in = e.fp = 0;
    rows_pass(&c, eval_row, &e, NULL);
    conseco__metrics_fill(c.predicted, e.in, e.fp, e.in - e.fp, tau, out);
    return CONSECO_OK;
}
