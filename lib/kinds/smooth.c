/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Smooth shrinker (docs/DESIGN.md, "Smooth shrinker"): Yhat = {s >= base}
 * from the raw scores, levels L = G_sigma * s (or the min filter of s),
 * I_lambda = Yhat and {L >= lambda} for real lambda.
 *
 * Score: with m the largest false-positive count F <= tau allows and l the
 * (m+1)-th largest false-positive level, F_lambda <= tau exactly when
 * lambda > l; the score is the smallest breakpoint above l. Breakpoints:
 * lambda_min (the lowest finite double, which keeps all of Yhat) and the
 * levels of the Yhat pixels; +inf when no Yhat level lies above l. One pass
 * computes the levels of the rows holding Yhat and stores each Yhat level
 * (false positives at the front of the buffer, the others at its back), one
 * O(n) selection finds l, one scan the smallest level above it.
 */
#include "smooth_levels.h"
#include "common/yhat.h"
#include "common/simd.h"

/* +inf as a constant expression for the static vtable (as in erosion.c). */
#if defined(__GNUC__) || defined(__clang__)
#define SMOOTH_INF_CONSTANT __builtin_inf()
#else
#include <math.h> /* only for the HUGE_VAL constant; no libm function is called */
#define SMOOTH_INF_CONSTANT HUGE_VAL
#endif

/* ------------------------------------------------------------- scratch */
/* A chunk never holds more pixels than a row. */
static size_t chunk_len(size_t w) { return w < CONSECO__SMOOTH_CHUNK ? w : CONSECO__SMOOTH_CHUNK; }

/* The row loops' buffers: one chunk of levels and its workspace (at most
 * 5 KiB; 1 KiB plus 16 bytes per pixel of a narrower row). */
static size_t chunk_doubles(size_t w)
{
    return (size_t)2 * chunk_len(w) + (size_t)2 * CONSECO__SMOOTH_RMAX;
}

/* The score's second chunk of keys and workspace for two rows at once
 * (maps of two rows or more): the x radius is known here for sigma in
 * pixels (the same loop as the plan's), at most CONSECO__SMOOTH_RMAX. */
static size_t pair_doubles(const conseco_smooth_params *p, size_t w, size_t h)
{
    size_t rx = 0;
    if (h < 2u) return 0;
    if (p->units == CONSECO_UNITS_PIXELS)
        while (rx < CONSECO__SMOOTH_RMAX && (double)(rx + 1u) <= 4.0 * p->sigma) rx++;
    else
        rx = CONSECO__SMOOTH_RMAX;
    return (size_t)2 * chunk_len(w) + (size_t)2 * rx;
}

/* One level per pixel (the Yhat levels), the chunk buffers and the pair's. */
static size_t smooth_scratch_size(const conseco_smooth_params *p, size_t w, size_t h, size_t d)
{
    size_t n, bytes;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n) ||
        !conseco__add_size(n, chunk_doubles(w) + pair_doubles(p, w, h), &n) ||
        !conseco__mul_size(n, sizeof(double), &bytes) ||
        !conseco__add_size(bytes, CONSECO__ALIGN_SLACK, &bytes))
        return 0;
    return bytes;
}

/* The chunk buffers only (apply, evaluate). */
static size_t row_scratch_size(size_t w)
{
    return chunk_doubles(w) * sizeof(double) + CONSECO__ALIGN_SLACK;
}



/* --------------------------------------------------------------- score */
/* Levels are kept as order-preserving 64-bit keys (finite doubles; -0 never
 * occurs), so the selection is a radix selection on integers. */
static inline uint64_t key_of(double d) { return conseco__smooth_key(d); }

static inline double double_of(uint64_t k)
{
    return conseco__bits_double((k >> 63) ? (k & UINT64_C(0x7FFFFFFFFFFFFFFF)) : ~k);
}

/* The 8 truth bytes at t: 0 all zero, 1 none zero, 2 mixed (a zero byte
 * is found exactly by the borrow test: no false positives when none is). */
static unsigned truth8(const uint8_t *t)
{
    uint64_t u;
    CONSECO_memcpy(&u, t, sizeof u);
    if (u == 0) return 0u;
    return ((u - UINT64_C(0x0101010101010101)) & ~u & UINT64_C(0x8080808080808080)) ? 2u : 1u;
}

/* 8 bits: bit q set if f[q] >= fb (the Yhat test; NaN is not). */
static unsigned yhat8(const float *f, float fb)
{
#ifdef CONSECO__SIMD
    const conseco__m128 vb = conseco__mm_set1_ps(fb);
    return (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(conseco__mm_loadu_ps(f), vb)) |
           (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(conseco__mm_loadu_ps(f + 4), vb))
               << 4;
#else
    unsigned b = 0, q;
    for (q = 0; q < 8u; q++) b |= (unsigned)(f[q] >= fb) << q;
    return b;
#endif
}

/* Stores the keys of the Yhat pixels among f[0..len) (keys kv, truth t):
 * false positives at keys[*k ..] upwards, the others at keys[.. *j) downwards.
 * Blocks of 8 pixels that are all false positives or all true positives
 * (the inside of objects) are stored as a block; the others one by one, a
 * true positive's key to the back and any other to slot k (kept only for a
 * false positive). Stored so far <= pixels seen < n, so the slots are free. */
static void store_keys_f32(const uint64_t *kv, const float *f, const uint8_t *t, size_t len,
                           float fb, uint64_t *keys, size_t *kp, size_t *jp)
{
    size_t k = *kp, j = *jp, i = 0, q;
    for (; i + 8u <= len; i += 8u) {
        if (yhat8(f + i, fb) == 0xFFu) {
            const unsigned tb = truth8(t + i);
            if (tb == 0u) {
                CONSECO_memcpy(keys + k, kv + i, 8u * sizeof *keys);
                k += 8u;
                continue;
            }
            if (tb == 1u) {
                j -= 8u;
                CONSECO_memcpy(keys + j, kv + i, 8u * sizeof *keys);
                continue;
            }
        }
        for (q = i; q < i + 8u; q++) {
            const size_t in = (size_t)(f[q] >= fb);
            const size_t tp = in & (size_t)(t[q] != 0);
            keys[tp ? j - 1u : k] = kv[q];
            k += in ^ tp;
            j -= tp;
        }
    }
    for (; i < len; i++) {
        const size_t in = (size_t)(f[i] >= fb);
        const size_t tp = in & (size_t)(t[i] != 0);
        keys[tp ? j - 1u : k] = kv[i];
        k += in ^ tp;
        j -= tp;
    }
    *kp = k;
    *jp = j;
}

/* The truth is read only where Yhat is: too sparse a read for the hardware
 * prefetcher, so rows ahead over the span [xa, xb] are prefetched. */
static void prefetch_truth(const conseco_mask *truth, size_t y, size_t z, size_t xa, size_t xb)
{
#ifdef CONSECO__SIMD
    const uint8_t *tb = conseco__mask_row(truth, y, z);
    size_t x;
    for (x = xa; x <= xb; x += 64u) conseco__prefetch_at(tb + x);
#else
    (void)truth;
    (void)y;
    (void)z;
    (void)xa;
    (void)xb;
#endif
}

/* The keys of the Yhat pixels of a float32 map, Gaussian filter with z not
 * blurred: rows in pairs (y, y + 1) where both hold Yhat, the blur of both
 * over the stretches of either (conseco__smooth_rows_keys2), each row's keys
 * then stored as store_keys_f32 does (pixels outside its Yhat dropped); a
 * row whose partner holds no Yhat alone. buf: kv0 | kv1 | work0 | work1 (the
 * score's chunk buffers; work1 for the x radius, pair_doubles). Same keys as
 * row by row, in another order. */
static int keys_f32_pairs(const conseco__smooth_plan *plan, const conseco_image *pred,
                          const conseco_mask *truth, uint64_t *keys, size_t *kp, size_t *jp,
                          double *buf)
{
    const size_t cl = chunk_len(pred->width), h = pred->height;
    const float fb = conseco__f32_at_least(plan->base);
    uint64_t *kv0 = (uint64_t *)(void *)buf, *kv1 = (uint64_t *)(void *)(buf + cl);
    double *work0 = buf + 2u * cl, *work1 = work0 + cl + 2u * (size_t)CONSECO__SMOOTH_RMAX;
    size_t y, z, o;
    int finite = 1;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < h; y += 2u) {
            const unsigned char *src[2];
            const uint8_t *t[2];
            size_t xa[2] = {1, 1}, xb[2] = {0, 0}, x0, x1, from;
            int in[2] = {0, 0};
            for (o = 0; o < 2u && y + o < h; o++) {
                src[o] = conseco__image_row(pred, y + o, z);
                t[o] = conseco__mask_row(truth, y + o, z);
                in[o] = conseco__smooth_row_extent(plan, src[o], &xa[o], &xb[o], &finite);
                if (!finite) return CONSECO_E_NONFINITE;
            }
            if (in[0] && in[1]) {
                const size_t a = xa[0] < xa[1] ? xa[0] : xa[1];
                const size_t b = xb[0] > xb[1] ? xb[0] : xb[1];
                for (o = 2; o < 4u && y + o < h; o++) prefetch_truth(truth, y + o, z, a, b);
                for (from = a; conseco__smooth_next_run2(plan, src[0], src[1], from, b, &x0, &x1);
                     from = x1 + 1u) {
                    conseco__smooth_rows_keys2(plan, pred, y, z, x0, x1, kv0, kv1, work0, work1);
                    for (o = 0; o < 2u; o++)
                        store_keys_f32(o ? kv1 : kv0, (const float *)(const void *)src[o] + x0,
                                       t[o] + x0, x1 - x0 + 1u, fb, keys, kp, jp);
                }
                continue;
            }
            for (o = 0; o < 2u; o++) {
                if (!in[o]) continue;
                if (y + o + 2u < h) prefetch_truth(truth, y + o + 2u, z, xa[o], xb[o]);
                for (from = xa[o];
                     conseco__smooth_next_run(plan, src[o], from, xb[o], &x0, &x1);
                     from = x1 + 1u) {
                    conseco__smooth_row_keys(plan, pred, y + o, z, x0, x1, kv0, work0);
                    store_keys_f32(kv0, (const float *)(const void *)src[o] + x0, t[o] + x0,
                                   x1 - x0 + 1u, fb, keys, kp, jp);
                }
            }
        }
    return CONSECO_OK;
}

/* ------------------------------------------- the banded float32 score */
/*
 * Float32 map, Gaussian filter, z not blurred, at least BAND_MIN_PIXELS
 * pixels (on smaller maps the objects are usually too small against the
 * blocks and the kernel for the bounds to pay: measured on the bench's
 * 352x352 maps, 10-15 % slower than the full path): the exact levels are
 * computed only where they can matter.
 *
 * Blocks of 16 columns by 8 rows. Pass A reads the map once: per block its
 * Yhat and false-positive counts, which of its row pairs hold Yhat, and the
 * minimum mn and maximum mx of s over the block's kernel window (the rows
 * and columns within the kernel radius, clamped to the image). Every level
 * of the block lies in [mn - e, mx + e], e the rounding error of the blur:
 * the weights are positive and sum to 1 within a few ulps, and a level takes
 * at most (3 Rx + 1) + (3 Ry + 1) rounded operations on values of magnitude
 * at most 2M (the paired taps s[-k] + s[k]; M the largest |s| over all such
 * windows), R <= 64, so e <= 2^-42 M; E = 2^-36 M bounds it with room to
 * spare. Histograms of the false-positive counts by
 * mn and by mx (the hbits leading bits of the order-preserving key of the
 * float) give two doubles T <= l < U, l the (m+1)-th largest false-positive
 * level:
 *   T = t - E, t the low end of the highest mn bucket b with at least m + 1
 *       false positives in blocks with mn in buckets >= b (each of their
 *       levels is >= t - e);
 *   U = u + E, u the low end of the bucket above the lowest mx bucket b
 *       with at most m false positives in blocks with mx above b (every
 *       other false positive is < u + e).
 * Pass B computes the levels of the "band" blocks only (two rows at a time,
 * as keys_f32_pairs): a block whose mx + E < T holds levels below l
 * (irrelevant: not above l, and counted in the false-positive total); one
 * whose mn - E >= U holds levels above l ("high": its false positives are
 * counted, c_hi). l is then the (m + 1 - c_hi)-th largest false-positive
 * level of the band, and the score the smallest Yhat level above l of the
 * band, unless a high block could hold a smaller one (mn - E below it):
 * pass C computes those (rare). The keys are the same as the full path's.
 *
 * Scratch (the key buffer of n slots): pass A uses its front for the two
 * histograms and the per-block-row buffers, its back for the block grid (a
 * slot per block: the bits of mn and mx; then 16 bits per block: the
 * false-positive count, and bit 8 + p if row pair p holds Yhat). Pass B
 * stores the band's false-positive keys from the front up, its other Yhat
 * keys from the grid down. BAND_FALLBACK: the map does not suit (too small,
 * too big, or Yhat nearly everywhere): the caller runs the full path.
 */
#define BAND_W 16u /* block width: one 16-bit Yhat mask per block row */
#define BAND_H 8u  /* block height: four row pairs */
#define BAND_MIN_PIXELS ((size_t)1 << 18)
#define BAND_HBITS_MAX 16u
#define BAND_HBITS_MIN 6u
#define BAND_FALLBACK 1

static inline uint32_t f32_bits(float f)
{
    uint32_t u;
    CONSECO_memcpy(&u, &f, sizeof u);
    return u;
}

static inline float f32_of_bits(uint32_t u)
{
    float f;
    CONSECO_memcpy(&f, &u, sizeof f);
    return f;
}

/* Order-preserving key of a float (-0 just below +0). */
static inline uint32_t f32_key(float f)
{
    const uint32_t u = f32_bits(f);
    return (u >> 31) ? ~u : (u | 0x80000000u);
}

/* A lower bound of the floats in bucket b of a histogram by the hbits
 * leading key bits (the lowest, or -inf where that key is a NaN: bucket 0),
 * or +inf for b == 2^hbits. */
static double bucket_low(size_t b, unsigned hbits)
{
    uint32_t k;
    double v;
    if (b >= ((size_t)1 << hbits)) return conseco__inf();
    k = (uint32_t)b << (32u - hbits);
    v = (double)f32_of_bits((k >> 31) ? (k & 0x7FFFFFFFu) : ~k);
    return v == v ? v : -conseco__inf();
}

static inline unsigned popcount32(uint32_t v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    return (unsigned)((((v + (v >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24);
}

/* Bit q set if t[q] != 0, q < len <= 16. */
static unsigned truth16(const uint8_t *t, size_t len)
{
    unsigned b = 0;
    size_t q;
#ifdef CONSECO__SIMD
    if (len == 16u) {
        const conseco__m128i z = conseco__mm_cmpeq_epi8(
            conseco__mm_loadu_si128((const conseco__m128i *)(const void *)t),
            conseco__mm_setzero_si128());
        return ~(unsigned)conseco__mm_movemask_epi8(z) & 0xFFFFu;
    }
#endif
    for (q = 0; q < len; q++) b |= (unsigned)(t[q] != 0) << q;
    return b;
}

/* The Yhat masks of a row of w pixels: mask[c] bit q set if pixel 16c + q is
 * in Yhat (f >= fb); nfp[c] += the false positives among them (truth row t).
 * 1 if any, with the first and last block holding Yhat in *c0, *c1.
 * *finite cleared on a NaN or +-inf (as conseco__smooth_row_extent: blocks
 * that cannot hold Yhat, NaN or +inf are passed after one vector test, -inf
 * shows in the running minimum). */
static int band_row_scan(const float *f, const uint8_t *t, size_t w, float fb, uint16_t *mask,
                         uint16_t *nfp, size_t *c0, size_t *c1, int *finite)
{
    size_t x = 0, c = 0, first = (size_t)-1, last = 0, q;
    unsigned bad = 0;
#ifdef CONSECO__SIMD
    const conseco__m128 vb = conseco__mm_set1_ps(fb);
    const conseco__m128i expo = conseco__mm_set1_epi32(0x7F800000);
    conseco__m128 vmin = conseco__mm_set1_ps(0.0f), v[4];
    for (; x + 16u <= w; x += 16u, c++) {
        unsigned in = 0, i;
        conseco__m128i nf = conseco__mm_setzero_si128();
        conseco__prefetch(f + x, CONSECO__PREFETCH_AHEAD);
        /* the truth too: read only in Yhat, too sparse for the hardware prefetcher */
        if ((x & 63u) == 0) conseco__prefetch(t + x, CONSECO__PREFETCH_AHEAD / 4u);
        mask[c] = 0;
        if (!conseco__f32x16_maybe_in(f + x, vb, v, &vmin)) continue;
        for (i = 0; i < 4u; i++) {
            const conseco__m128i e = conseco__mm_and_si128(conseco__mm_castps_si128(v[i]), expo);
            nf = conseco__mm_or_si128(nf, conseco__mm_cmpeq_epi32(e, expo));
            in |= (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[i], vb)) << (4u * i);
        }
        if (conseco__mm_movemask_epi8(nf)) bad = 1;
        mask[c] = (uint16_t)in;
        if (in) {
            nfp[c] = (uint16_t)(nfp[c] + popcount32(in & ~truth16(t + x, 16u)));
            if (first == (size_t)-1) first = c;
            last = c;
        }
    }
    if (conseco__f32_min_is_neg_inf(vmin)) bad = 1;
#endif
    for (; x < w; x += 16u, c++) {
        const size_t len = w - x < 16u ? w - x : 16u;
        unsigned in = 0;
        /* cppcheck-suppress knownConditionTrueFalse ; len >= 1 (cppcheck 2.10 misreads the min) */
        for (q = 0; q < len; q++) {
            uint32_t u;
            CONSECO_memcpy(&u, &f[x + q], sizeof u);
            bad |= (unsigned)((u & 0x7F800000u) == 0x7F800000u);
            in |= (unsigned)(f[x + q] >= fb) << q;
        }
        mask[c] = (uint16_t)in;
        if (in) {
            nfp[c] = (uint16_t)(nfp[c] + popcount32(in & ~truth16(t + x, len)));
            if (first == (size_t)-1) first = c;
            last = c;
        }
    }
    if (bad) *finite = 0;
    if (first == (size_t)-1) return 0;
    *c0 = first;
    *c1 = last;
    return 1;
}

/* Minimum of p[0..len), len >= 1. */
static float min_f32(const float *p, size_t len)
{
    float a = p[0];
    size_t i = 1;
#ifdef CONSECO__SIMD
    if (len >= 8u) {
        conseco__m128 v = conseco__mm_loadu_ps(p);
        float t[4];
        for (i = 4; i + 4u <= len; i += 4u) v = conseco__mm_min_ps(v, conseco__mm_loadu_ps(p + i));
        conseco__mm_storeu_ps(t, v);
        a = t[0] < t[1] ? t[0] : t[1];
        a = t[2] < a ? t[2] : a;
        a = t[3] < a ? t[3] : a;
    }
#endif
    for (; i < len; i++) a = p[i] < a ? p[i] : a;
    return a;
}

/* Maximum of p[0..len), len >= 1. */
static float max_f32(const float *p, size_t len)
{
    float a = p[0];
    size_t i = 1;
#ifdef CONSECO__SIMD
    if (len >= 8u) {
        conseco__m128 v = conseco__mm_loadu_ps(p);
        float t[4];
        for (i = 4; i + 4u <= len; i += 4u) v = conseco__mm_max_ps(v, conseco__mm_loadu_ps(p + i));
        conseco__mm_storeu_ps(t, v);
        a = t[0] > t[1] ? t[0] : t[1];
        a = t[2] > a ? t[2] : a;
        a = t[3] > a ? t[3] : a;
    }
#endif
    for (; i < len; i++) a = p[i] > a ? p[i] : a;
    return a;
}

/* cmn[i], cmx[i]: minimum and maximum of column xl + i over rows yl..yr. */
static void column_bounds(const conseco_image *pred, size_t z, size_t yl, size_t yr, size_t xl,
                          size_t len, float *cmn, float *cmx)
{
    const size_t stride = pred->row_stride;
    const unsigned char *base = conseco__image_row(pred, yl, z) + xl * sizeof(float);
    const size_t nr = yr - yl + 1u;
    size_t i = 0, r;
#ifdef CONSECO__SIMD
    /* 16 columns at a time: four independent min and max chains */
    for (; i + 16u <= len; i += 16u) {
        const unsigned char *p = base + i * sizeof(float);
        conseco__m128 lo[4], hi[4];
        size_t q;
        for (q = 0; q < 4u; q++)
            lo[q] = hi[q] = conseco__mm_loadu_ps((const float *)(const void *)p + 4u * q);
        for (r = 1; r < nr; r++) {
            const float *row = (const float *)(const void *)(p + r * stride);
            for (q = 0; q < 4u; q++) {
                const conseco__m128 v = conseco__mm_loadu_ps(row + 4u * q);
                lo[q] = conseco__mm_min_ps(lo[q], v);
                hi[q] = conseco__mm_max_ps(hi[q], v);
            }
        }
        for (q = 0; q < 4u; q++) {
            conseco__mm_storeu_ps(cmn + i + 4u * q, lo[q]);
            conseco__mm_storeu_ps(cmx + i + 4u * q, hi[q]);
        }
    }
    for (; i + 4u <= len; i += 4u) {
        const unsigned char *p = base + i * sizeof(float);
        conseco__m128 lo = conseco__mm_loadu_ps((const float *)(const void *)p), hi = lo;
        for (r = 1; r < nr; r++) {
            const conseco__m128 v = conseco__mm_loadu_ps((const float *)(const void *)(p + r * stride));
            lo = conseco__mm_min_ps(lo, v);
            hi = conseco__mm_max_ps(hi, v);
        }
        conseco__mm_storeu_ps(cmn + i, lo);
        conseco__mm_storeu_ps(cmx + i, hi);
    }
#endif
    for (; i < len; i++) {
        const unsigned char *p = base + i * sizeof(float);
        float lo = *(const float *)(const void *)p, hi = lo;
        for (r = 1; r < nr; r++) {
            const float v = *(const float *)(const void *)(p + r * stride);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        cmn[i] = lo;
        cmx[i] = hi;
    }
}

typedef struct band {
    const conseco__smooth_plan *plan;
    const conseco_image *pred;
    const conseco_mask *truth;
    size_t w, h, R, Ry, nbx, nby; /* blocks per block row, block rows per slice */
    float fb;
    uint64_t *grid;   /* a slot per block: bits of mn << 32 | bits of mx */
    uint16_t *count;  /* per block: false positives | (row pairs with Yhat) << 8 */
    size_t grid_base; /* first slot of the grid */
    unsigned hbits;   /* histogram buckets: 2^hbits */
    uint64_t yhat, fp;
    float gmn, gmx; /* over the blocks holding Yhat */
} band;

/* Pass A, first half, on block row (by, z): the Yhat masks of its rows
 * (masks[r * nbx + c]) and the false positives per block (masks[BAND_H *
 * nbx + c]). 1 if it holds Yhat, with the first and last block holding Yhat
 * in *ca, *cb; *finite cleared on a NaN or +-inf. */
static int band_scan(const band *b, size_t by, size_t z, uint16_t *masks, size_t *ca,
                     size_t *cb, int *finite)
{
    const size_t nbx = b->nbx, y0 = by * BAND_H;
    const size_t nrows = b->h - y0 < BAND_H ? b->h - y0 : BAND_H;
    uint16_t *nfpc = masks + BAND_H * nbx;
    size_t r, c0, c1, cA = nbx, cB = 0;
    CONSECO_memset(nfpc, 0, nbx * sizeof *nfpc);
    /* cppcheck-suppress knownConditionTrueFalse ; nrows >= 1 (cppcheck 2.10 misreads the min) */
    for (r = 0; r < nrows; r++) {
        const float *f = (const float *)(const void *)conseco__image_row(b->pred, y0 + r, z);
        if (band_row_scan(f, conseco__mask_row(b->truth, y0 + r, z), b->w, b->fb,
                          masks + r * nbx, nfpc, &c0, &c1, finite)) {
            cA = c0 < cA ? c0 : cA;
            cB = c1 > cB ? c1 : cB;
        }
        if (!*finite) return 0;
    }
    *ca = cA;
    *cb = cB;
    return cA < nbx;
}

/* Pass A, second half, on block row (by, z) holding Yhat in blocks cA..cB
 * (masks from band_scan): per block the bounds, counts, histograms. Runs
 * one block row behind the scan, so that the rows below are in the cache.
 * With Ry > 8 its window reaches rows the scan has not checked for NaN or
 * infinities yet: their bounds may be NaN, which only lands in some bucket
 * (the index stays in range), and the scan of those rows returns
 * CONSECO_E_NONFINITE before any bound is used.
 * cm: 2 (w + 2R) floats. */
static void band_bounds(band *b, size_t by, size_t z, uint32_t *hlo, uint32_t *hhi,
                        const uint16_t *masks, size_t cA, size_t cB, float *cm)
{
    const size_t w = b->w, nbx = b->nbx, y0 = by * BAND_H, R = b->R, Ry = b->Ry;
    const size_t nrows = b->h - y0 < BAND_H ? b->h - y0 : BAND_H;
    const uint16_t *nfpc = masks + BAND_H * nbx; /* false positives per block */
    size_t r, c, c0, c1, yl, yr;
    yl = y0 >= Ry ? y0 - Ry : 0u;
    yr = y0 + nrows - 1u + Ry;
    if (yr > b->h - 1u) yr = b->h - 1u;
    /* runs of blocks holding Yhat: column bounds over the run, then per block */
    for (c0 = cA; c0 <= cB; c0 = c1 + 1u) {
        size_t xl, xr;
        unsigned any = 0;
        c1 = c0;
        /* cppcheck-suppress knownConditionTrueFalse ; nrows >= 1 (cppcheck 2.10 misreads the min) */
        for (r = 0; r < nrows; r++) any |= masks[r * nbx + c0];
        if (!any) continue;
        for (; c1 < cB; c1++) {
            /* cppcheck-suppress knownConditionTrueFalse ; nrows >= 1 (cppcheck 2.10 misreads the min) */
            for (any = 0, r = 0; r < nrows; r++) any |= masks[r * nbx + c1 + 1u];
            if (!any) break;
        }
        xl = c0 * BAND_W >= R ? c0 * BAND_W - R : 0u;
        xr = c1 * BAND_W + BAND_W - 1u + R;
        if (xr > w - 1u) xr = w - 1u;
        column_bounds(b->pred, z, yl, yr, xl, xr - xl + 1u, cm, cm + (xr - xl + 1u));
        for (c = c0; c <= c1; c++) {
            const size_t x0 = c * BAND_W, len = w - x0 < BAND_W ? w - x0 : BAND_W;
            const size_t wl = x0 >= R ? x0 - R : 0u;
            const size_t wr = x0 + len - 1u + R > w - 1u ? w - 1u : x0 + len - 1u + R;
            const size_t idx = (z * b->nby + by) * nbx + c;
            const unsigned nfp = nfpc[c];
            unsigned ny = 0, pairs = 0;
            float mn, mx;
            for (r = 0; r < nrows; r++) {
                const unsigned yb = masks[r * nbx + c];
                if (!yb) continue;
                ny += popcount32(yb);
                pairs |= 1u << (r / 2u);
            }
            mn = min_f32(cm + (wl - xl), wr - wl + 1u);
            mx = max_f32(cm + (xr - xl + 1u) + (wl - xl), wr - wl + 1u);
            b->grid[idx] = ((uint64_t)f32_bits(mn) << 32) | f32_bits(mx);
            b->count[idx] = (uint16_t)(nfp | (pairs << 8));
            b->yhat += ny;
            b->fp += nfp;
            b->gmn = mn < b->gmn ? mn : b->gmn;
            b->gmx = mx > b->gmx ? mx : b->gmx;
            if (nfp) {
                hlo[f32_key(mn) >> (32u - b->hbits)] += nfp;
                hhi[f32_key(mx) >> (32u - b->hbits)] += nfp;
            }
        }
    }
}

/* The keys of pixels x0..x1 of rows y (into buf) and y + 1 if it exists
 * (into buf + chunk); buf as keys_f32_pairs's. */
static void band_keys(const band *b, size_t y, size_t z, size_t x0, size_t x1, double *buf)
{
    const size_t cl = chunk_len(b->w);
    uint64_t *kv0 = (uint64_t *)(void *)buf, *kv1 = (uint64_t *)(void *)(buf + cl);
    double *work0 = buf + 2u * cl, *work1 = work0 + cl + 2u * (size_t)CONSECO__SMOOTH_RMAX;
    if (y + 1u < b->h)
        conseco__smooth_rows_keys2(b->plan, b->pred, y, z, x0, x1, kv0, kv1, work0, work1);
    else
        conseco__smooth_row_keys(b->plan, b->pred, y, z, x0, x1, kv0, work0);
}

#define BAND_LOW 0
#define BAND_MID 1
#define BAND_HIGH 2

static inline double grid_mn(uint64_t g) { return (double)f32_of_bits((uint32_t)(g >> 32)); }
static inline double grid_mx(uint64_t g) { return (double)f32_of_bits((uint32_t)g); }

static int band_class(uint64_t g, double E, double T, double U)
{
    if (grid_mx(g) + E < T) return BAND_LOW;
    if (grid_mn(g) - E >= U) return BAND_HIGH;
    return BAND_MID;
}

/* Pass B reads the band blocks from memory (pass A streamed the whole map
 * since): before each block row, the map rows that the next block row's band
 * blocks read and their truth are prefetched. */
static void band_prefetch(const band *b, size_t by, size_t z, double E, double T, double U)
{
#ifdef CONSECO__SIMD
    const size_t row0 = (z * b->nby + by) * b->nbx, y0 = by * BAND_H;
    const size_t yl = y0 >= b->Ry ? y0 - b->Ry : 0u;
    size_t yr = y0 + BAND_H - 1u + b->Ry, c, y;
    if (yr > b->h - 1u) yr = b->h - 1u;
    for (c = 0; c < b->nbx; c++) {
        if (!b->count[row0 + c] || band_class(b->grid[row0 + c], E, T, U) != BAND_MID) continue;
        for (y = yl; y <= yr; y++) {
            const float *f = (const float *)(const void *)conseco__image_row(b->pred, y, z);
            conseco__prefetch_at(f + c * BAND_W);
            if (c * BAND_W + BAND_W < b->w) conseco__prefetch_at(f + c * BAND_W + BAND_W - 1u);
            if (y >= y0 && y < y0 + BAND_H)
                conseco__prefetch_at(conseco__mask_row(b->truth, y, z) + c * BAND_W);
        }
    }
#else
    (void)b;
    (void)by;
    (void)z;
    (void)E;
    (void)T;
    (void)U;
#endif
}

static int band_score(const conseco__smooth_plan *plan, const conseco_image *pred,
                      const conseco_mask *truth, double tau, uint64_t *keys, size_t n,
                      double *buf, double *score)
{
    const size_t w = pred->width, h = pred->height, d = pred->depth;
    const size_t cl = chunk_len(w);
    band b;
    size_t nb, grid_slots, front, buckets, mset, by, z, bt, bu, c, k = 0, j, c_hi = 0, o, p;
    uint32_t *hlo, *hhi;
    uint16_t *masks;
    float *cm;
    uint64_t m, acc, l, a1, a2, best;
    double E, T, U;
    int finite = 1;
    if (n < BAND_MIN_PIXELS || n > (size_t)UINT32_MAX) return BAND_FALLBACK;
    CONSECO_memset(&b, 0, sizeof b);
    /* 2^hbits <= n / 4 buckets, between 2^6 and 2^16 */
    for (b.hbits = BAND_HBITS_MIN; b.hbits < BAND_HBITS_MAX && ((size_t)2 << b.hbits) <= n / 4u;
         b.hbits++)
        continue;
    buckets = (size_t)1 << b.hbits;
    b.plan = plan;
    b.pred = pred;
    b.truth = truth;
    b.w = w;
    b.h = h;
    b.R = plan->r[0];
    b.Ry = plan->r[1];
    b.nbx = (w + BAND_W - 1u) / BAND_W;
    b.nby = (h + BAND_H - 1u) / BAND_H;
    b.fb = conseco__f32_at_least(plan->base);
    b.gmn = (float)conseco__inf();
    b.gmx = -(float)conseco__inf();
    nb = b.nbx * b.nby * d;
    mset = (BAND_H + 1u) * b.nbx; /* uint16 per block row: masks, false positives */
    grid_slots = nb + (nb + 3u) / 4u;
    /* front: two histograms, the masks of a block row, the column bounds */
    front = buckets + mset / 2u + (w + 2u * b.R) + 2u;
    if (front + grid_slots > n) return BAND_FALLBACK;
    b.grid_base = n - grid_slots;
    b.grid = keys + b.grid_base;
    b.count = (uint16_t *)(void *)(b.grid + nb);
    hlo = (uint32_t *)(void *)keys;
    hhi = hlo + buckets;
    masks = (uint16_t *)(void *)(keys + buckets);
    cm = (float *)(void *)(keys + buckets + mset / 2u + 1u);
    CONSECO_memset(hlo, 0, 2u * buckets * sizeof *hlo);
    CONSECO_memset(b.count, 0, nb * sizeof *b.count);
    /* pass A: the scan of block row by, then the bounds of block row by - 1 */
    for (z = 0; z < d; z++) {
        size_t ca[2] = {0, 0}, cb[2] = {0, 0};
        int any[2] = {0, 0};
        for (by = 0; by <= b.nby; by++) {
            if (by < b.nby) {
                any[by & 1u] = band_scan(&b, by, z, masks + (by & 1u) * mset, &ca[by & 1u],
                                         &cb[by & 1u], &finite);
                if (!finite) return CONSECO_E_NONFINITE;
            }
            if (by >= 1u && any[(by - 1u) & 1u])
                band_bounds(&b, by - 1u, z, hlo, hhi, masks + ((by - 1u) & 1u) * mset,
                            ca[(by - 1u) & 1u], cb[(by - 1u) & 1u], cm);
        }
    }
    m = conseco__fp_budget(b.yhat, tau);
    if (b.fp <= m) {
        *score = CONSECO__SMOOTH_LAMBDA_MIN;
        return CONSECO_OK;
    }
    if (b.yhat >= (uint64_t)b.grid_base) return BAND_FALLBACK; /* room for the keys */
    /* T and U from the histograms (both loops stop: the counts add up to fp > m) */
    for (acc = 0, bt = buckets; bt-- > 0;)
        if ((acc += hlo[bt]) >= m + 1u) break;
    for (acc = 0, bu = buckets; bu-- > 0;)
        if ((acc += hhi[bu]) > m) break;
    {
        const double gm = (double)b.gmn < 0.0 ? -(double)b.gmn : (double)b.gmn;
        const double gx = (double)b.gmx < 0.0 ? -(double)b.gmx : (double)b.gmx;
        E = (gm > gx ? gm : gx) * (1.0 / 68719476736.0); /* 2^-36 */
    }
    T = bucket_low(bt, b.hbits) - E;
    U = bucket_low(bu + 1u, b.hbits) + E;
    /* pass B: the band's keys, row pair by row pair */
    j = b.grid_base;
    for (z = 0; z < d; z++)
        for (by = 0; by < b.nby; by++) {
            const size_t row0 = (z * b.nby + by) * b.nbx;
            if (by + 1u < b.nby) band_prefetch(&b, by + 1u, z, E, T, U);
            for (c = 0; c < b.nbx; c++)
                if (b.count[row0 + c] && band_class(b.grid[row0 + c], E, T, U) == BAND_HIGH)
                    c_hi += b.count[row0 + c] & 0xFFu;
            for (p = 0; p < BAND_H / 2u; p++) {
                const size_t y = by * BAND_H + 2u * p;
                const unsigned bit = 1u << (8u + p);
                if (y >= h) break;
                for (c = 0; c < b.nbx; c++) {
                    size_t c1, x0, x1;
                    if (!(b.count[row0 + c] & bit) ||
                        band_class(b.grid[row0 + c], E, T, U) != BAND_MID)
                        continue;
                    /* a run of band blocks, at most one chunk */
                    for (c1 = c; c1 + 1u < b.nbx && (c1 + 2u - c) * BAND_W <= cl &&
                                 (b.count[row0 + c1 + 1u] & bit) &&
                                 band_class(b.grid[row0 + c1 + 1u], E, T, U) == BAND_MID;
                         c1++)
                        continue;
                    x0 = c * BAND_W;
                    x1 = c1 * BAND_W + BAND_W - 1u;
                    if (x1 > w - 1u) x1 = w - 1u;
                    band_keys(&b, y, z, x0, x1, buf);
                    for (o = 0; o < 2u && y + o < h; o++)
                        store_keys_f32(
                            (const uint64_t *)(const void *)(buf + o * cl),
                            (const float *)(const void *)conseco__image_row(pred, y + o, z) + x0,
                            conseco__mask_row(truth, y + o, z) + x0, x1 - x0 + 1u, b.fb, keys,
                            &k, &j);
                    c = c1;
                }
            }
        }
    /* l: the (m + 1 - c_hi)-th largest band false positive (T <= l < U: the
     * fallback never runs) */
    if ((uint64_t)c_hi > m || (uint64_t)k < m + 1u - (uint64_t)c_hi) return BAND_FALLBACK;
    l = conseco__select_key(keys, k, k - (size_t)(m + 1u - (uint64_t)c_hi),
                            (uint32_t *)(void *)buf, &a1);
    a2 = conseco__min_key_above(keys + j, b.grid_base - j, l);
    best = a2 < a1 ? a2 : a1;
    /* pass C: high blocks that could hold a level below best */
    if (best == ~UINT64_C(0) || double_of(best) > U)
        for (z = 0; z < d; z++)
            for (by = 0; by < b.nby; by++)
                for (c = 0; c < b.nbx; c++) {
                    const size_t idx = (z * b.nby + by) * b.nbx + c;
                    const size_t x0 = c * BAND_W;
                    const size_t x1 = x0 + BAND_W - 1u > w - 1u ? w - 1u : x0 + BAND_W - 1u;
                    size_t i;
                    if (!b.count[idx] || band_class(b.grid[idx], E, T, U) != BAND_HIGH ||
                        !(best == ~UINT64_C(0) || grid_mn(b.grid[idx]) - E < double_of(best)))
                        continue;
                    for (p = 0; p < BAND_H / 2u; p++) {
                        const size_t y = by * BAND_H + 2u * p;
                        if (!(b.count[idx] & (1u << (8u + p)))) continue;
                        band_keys(&b, y, z, x0, x1, buf);
                        for (o = 0; o < 2u && y + o < h; o++) {
                            const float *f =
                                (const float *)(const void *)conseco__image_row(pred, y + o, z);
                            const uint64_t *kv = (const uint64_t *)(const void *)(buf + o * cl);
                            for (i = 0; i <= x1 - x0; i++)
                                if (f[x0 + i] >= b.fb && kv[i] > l && kv[i] < best) best = kv[i];
                        }
                    }
                }
    *score = best == ~UINT64_C(0) ? conseco__inf() : double_of(best);
    return CONSECO_OK;
}

static int smooth_score(const conseco_smooth_params *p, const conseco_image *pred,
                        const conseco_mask *truth, double tau, void *scratch,
                        size_t scratch_size, double *score)
{
    const size_t need = smooth_scratch_size(p, pred->width, pred->height, pred->depth);
    conseco__smooth_plan plan;
    uint64_t *keys, l, a1, a2;
    double *out, *work;
    size_t n, k = 0, j, y, z;
    uint64_t m;
    int rc, finite = 1, f32_gauss;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    if ((rc = conseco__smooth_plan_make(p, pred, &plan)) != CONSECO_OK) return rc;
    f32_gauss = plan.dtype == CONSECO_DTYPE_F32 && plan.filter == CONSECO_SMOOTH_GAUSS;
    n = pred->width * pred->height * pred->depth;
    keys = (uint64_t *)conseco__align16(scratch, &scratch_size);
    out = (double *)(void *)(keys + n);
    work = out + chunk_len(pred->width);
    j = n;
    if (f32_gauss && plan.r[2] == 0 && pred->height >= 2u) {
        rc = band_score(&plan, pred, truth, tau, keys, n, out, score);
        if (rc != BAND_FALLBACK) return rc;
        if ((rc = keys_f32_pairs(&plan, pred, truth, keys, &k, &j, out)) != CONSECO_OK) return rc;
    } else {
        for (z = 0; z < pred->depth; z++)
            for (y = 0; y < pred->height; y++) {
                const unsigned char *src = conseco__image_row(pred, y, z);
                const uint8_t *t = conseco__mask_row(truth, y, z);
                size_t xa = 1, xb = 0, x0, x1, from, x;
                if (!conseco__smooth_row_extent(&plan, src, &xa, &xb, &finite)) continue;
                if (!finite) return CONSECO_E_NONFINITE;
#ifdef CONSECO__SIMD
                /* the truth is read only where Yhat is: too sparse a read for the
                 * hardware prefetcher, so two rows ahead over this row's span */
                if (y + 2u < pred->height) {
                    const uint8_t *tb = conseco__mask_row(truth, y + 2u, z);
                    for (x = xa; x <= xb; x += 64u) conseco__prefetch_at(tb + x);
                }
#endif
                for (from = xa; conseco__smooth_next_run(&plan, src, from, xb, &x0, &x1);
                     from = x1 + 1u) {
                    if (f32_gauss) { /* the keys straight from the blur */
                        uint64_t *kv = (uint64_t *)(void *)out;
                        conseco__smooth_row_keys(&plan, pred, y, z, x0, x1, kv, work);
                        store_keys_f32(kv, (const float *)(const void *)src + x0, t + x0,
                                       x1 - x0 + 1u, conseco__f32_at_least(plan.base), keys, &k,
                                       &j);
                        continue;
                    }
                    conseco__smooth_row_levels(&plan, pred, y, z, x0, x1, out, work);
                    /* stored so far <= pixels seen < n, so k <= j - 1: both slots are free */
                    for (x = x0; x <= x1; x++) {
                        const size_t in = (size_t)conseco__in_yhat(plan.dtype, src, x, plan.base);
                        const size_t fp = in & (size_t)(t[x] == 0);
                        const uint64_t key = key_of(out[x - x0]);
                        keys[k] = key;
                        keys[j - 1u] = key;
                        k += fp;
                        j -= in & (fp ^ 1u);
                    }
                }
            }
    }
    if (!finite) return CONSECO_E_NONFINITE;
    m = conseco__fp_budget((uint64_t)(k + (n - j)), tau);
    if ((uint64_t)k <= m) {
        *score = CONSECO__SMOOTH_LAMBDA_MIN;
        return CONSECO_OK;
    }
    /* l = the (m+1)-th largest false-positive level = the (k-m)-th smallest;
     * the chunk buffers (at least 1 KiB) are free now and hold the histogram
     * (CONSECO__SELECT_KEY_BUCKETS counters) */
    l = conseco__select_key(keys, k, k - (size_t)m - 1u, (uint32_t *)(void *)out, &a1);
    a2 = conseco__min_key_above(keys + j, n - j, l);
    a1 = a2 < a1 ? a2 : a1;
    /* no Yhat level above l: only the empty mask is safe (a key of all ones
     * would be NaN; levels are finite, so it never is a level) */
    *score = a1 == ~UINT64_C(0) ? conseco__inf() : double_of(a1);
    return CONSECO_OK;
}

/* ------------------------------------------------------- apply, evaluate */
/* Calls visit(ctx, x, y, z, in_yhat, level) for every pixel, rows in order;
 * the whole map is checked finite first. */
typedef void (*visit_fn)(void *ctx, size_t x, size_t y, size_t z, int in, double level);

static int walk(const conseco_smooth_params *p, const conseco_image *pred, double *out,
                visit_fn visit, void *ctx)
{
    conseco__smooth_plan plan;
    size_t y, z, x;
    int rc, finite = 1;
    if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
    if ((rc = conseco__smooth_plan_make(p, pred, &plan)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *src = conseco__image_row(pred, y, z);
            size_t xa = 1, xb = 0, x0, x1, next = 0;
            if (!conseco__smooth_row_extent(&plan, src, &xa, &xb, &finite)) xb = 0;
            else
                for (x = xa; conseco__smooth_next_run(&plan, src, x, xb, &x0, &x1); x = x1 + 1u) {
                    for (; next < x0; next++) visit(ctx, next, y, z, 0, 0.0);
                    conseco__smooth_row_levels(&plan, pred, y, z, x0, x1, out,
                                               out + chunk_len(pred->width));
                    for (; next <= x1; next++) {
                        const int in = conseco__in_yhat(plan.dtype, src, next, plan.base);
                        visit(ctx, next, y, z, in, in ? out[next - x0] : 0.0);
                    }
                }
            for (; next < pred->width; next++) visit(ctx, next, y, z, 0, 0.0);
        }
    return CONSECO_OK;
}

typedef struct apply_ctx {
    double lambda;
    const conseco_mask_out *inner, *uncertain;
} apply_ctx;

static void apply_visit(void *vctx, size_t x, size_t y, size_t z, int in, double level)
{
    const apply_ctx *c = (const apply_ctx *)vctx;
    const int kept = in && level >= c->lambda;
    if (c->inner) conseco__mask_out_row(c->inner, y, z)[x] = (uint8_t)kept;
    if (c->uncertain) conseco__mask_out_row(c->uncertain, y, z)[x] = (uint8_t)(in && !kept);
}

static int row_scratch(const conseco_image *pred, void *scratch, size_t scratch_size,
                       double **row)
{
    const size_t need = row_scratch_size(pred->width); /* conseco_scratch_size() gives more */
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    *row = (double *)conseco__align16(scratch, &scratch_size);
    return CONSECO_OK;
}

static int smooth_apply(const conseco_smooth_params *p, const conseco_image *pred, double lambda,
                        void *scratch, size_t scratch_size, const conseco_mask_out *inner,
                        const conseco_mask_out *uncertain)
{
    apply_ctx c;
    double *row;
    int rc;
    if ((rc = row_scratch(pred, scratch, scratch_size, &row)) != CONSECO_OK) return rc;
    c.lambda = lambda;
    c.inner = inner;
    c.uncertain = uncertain;
    return walk(p, pred, row, apply_visit, &c);
}

typedef struct eval_ctx {
    double lambda;
    const conseco_mask *truth;
    uint64_t predicted, kept, kept_fp;
} eval_ctx;

static void eval_visit(void *vctx, size_t x, size_t y, size_t z, int in, double level)
{
    eval_ctx *c = (eval_ctx *)vctx;
    const int kept = in && level >= c->lambda;
    c->predicted += (uint64_t)in;
    c->kept += (uint64_t)kept;
    c->kept_fp += (uint64_t)(kept && conseco__mask_row(c->truth, y, z)[x] == 0);
}

static int smooth_evaluate(const conseco_smooth_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double lambda, double tau, void *scratch,
                           size_t scratch_size, conseco_image_metrics *out)
{
    eval_ctx c;
    double *row;
    int rc;
    if ((rc = row_scratch(pred, scratch, scratch_size, &row)) != CONSECO_OK) return rc;
    CONSECO_memset(&c, 0, sizeof c);
    c.lambda = lambda;
    c.truth = truth;
    if ((rc = walk(p, pred, row, eval_visit, &c)) != CONSECO_OK) return rc;
    conseco__metrics_fill(c.predicted, c.kept, c.kept_fp, c.kept - c.kept_fp, tau, out);
    return CONSECO_OK;
}

/* --------------------------------------------------- the dense level map */
/* Levels of every pixel into levels[0..n), -inf outside Yhat; the chunk
 * workspace is on the stack (3 KiB): this path has no scratch. */
static int smooth_levels(const conseco_smooth_params *p, const conseco_image *pred,
                         double *levels)
{
    conseco__smooth_plan plan;
    double work[CONSECO__SMOOTH_WORK];
    size_t y, z, x, i = 0;
    int rc, finite = 1;
    if ((rc = conseco__image_check_finite(pred)) != CONSECO_OK) return rc;
    if ((rc = conseco__smooth_plan_make(p, pred, &plan)) != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++, i += pred->width) {
            const unsigned char *src = conseco__image_row(pred, y, z);
            double *dst = levels + i;
            size_t xa = 1, xb = 0, x0, x1;
            if (conseco__smooth_row_extent(&plan, src, &xa, &xb, &finite))
                for (x = xa; conseco__smooth_next_run(&plan, src, x, xb, &x0, &x1); x = x1 + 1u)
                    conseco__smooth_row_levels(&plan, pred, y, z, x0, x1, dst + x0, work);
            for (x = 0; x < pred->width; x++)
                if (!(x >= xa && x <= xb && conseco__in_yhat(plan.dtype, src, x, plan.base)))
                    dst[x] = -conseco__inf();
        }
    return CONSECO_OK;
}

/* ------------------------------------------------------ vtable callbacks */
static int cb_check(void *user, const conseco_image *pred, const void *buf, size_t count,
                    size_t *n)
{
    int rc;
    if (buf == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__smooth_params_check((const conseco_smooth_params *)user)) != CONSECO_OK)
        return rc;
    if ((rc = conseco__image_check(pred, n)) != CONSECO_OK) return rc;
    if (count < *n) return CONSECO_E_BUFFER_TOO_SMALL;
    return CONSECO_OK;
}

static int levels_cb(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t n;
    int rc;
    if ((rc = cb_check(user, pred, levels, count, &n)) != CONSECO_OK) return rc;
    return smooth_levels((const conseco_smooth_params *)user, pred, levels);
}

/* The breakpoints: lambda_min and every Yhat level, sorted, without duplicates. */
static int breakpoints_cb(void *user, const conseco_image *pred, double *out, size_t capacity,
                          size_t *count)
{
    size_t n, i, k = 0, u;
    int rc;
    if (count == NULL) return CONSECO_E_NULL;
    if ((rc = cb_check(user, pred, out, capacity, &n)) != CONSECO_OK) return rc;
    if (capacity < n + 1u) return CONSECO_E_BUFFER_TOO_SMALL;
    if ((rc = smooth_levels((const conseco_smooth_params *)user, pred, out)) != CONSECO_OK)
        return rc;
    for (i = 0; i < n; i++)
        if (out[i] != -conseco__inf()) out[k++] = out[i];
    out[k++] = CONSECO__SMOOTH_LAMBDA_MIN;
    conseco__sort_doubles(out, k);
    for (u = 1, i = 1; i < k; i++)
        if (out[i] != out[u - 1u]) out[u++] = out[i];
    *count = u;
    return CONSECO_OK;
}

/* ------------------------------------------------- vtable, params, ops */
static const conseco_shrinker_vtable smooth_vt = {
    sizeof(conseco_shrinker_vtable),
    CONSECO_SHRINKER_VERSION,
    "smooth",
    CONSECO_DOMAIN_REAL,
    0,
    CONSECO__SMOOTH_LAMBDA_MIN, /* below every level: keeps all of Yhat */
    SMOOTH_INF_CONSTANT,
    levels_cb,
    NULL, /* no black-box apply: the level map is the way in */
    breakpoints_cb,
    NULL,
    NULL, /* no outer family */
};

const conseco_shrinker_vtable *conseco_smooth_vtable(void) { return &smooth_vt; }

void conseco_smooth_params_default(conseco_smooth_params *p)
{
    if (p == NULL) return;
    CONSECO_memset(p, 0, sizeof *p);
    p->struct_size = (uint32_t)sizeof *p;
    p->base = 0.5;
    p->sigma = 1.0;
    p->filter = CONSECO_SMOOTH_GAUSS;
    p->element = CONSECO_ELEMENT_CROSS;
    p->radius = 1;
    p->units = CONSECO_UNITS_PIXELS;
}

conseco_shrinker conseco_shrinker_smooth(conseco_smooth_params *params)
{
    conseco_shrinker s;
    s.vtable = &smooth_vt;
    s.user = params;
    return s;
}

int conseco__smooth_params_check(const conseco_smooth_params *p)
{
    if (p == NULL) return CONSECO_E_NULL;
    if (p->struct_size < sizeof *p || p->reserved != 0) return CONSECO_E_BAD_SHRINKER;
    if (!conseco__is_finite(p->base)) return CONSECO_E_BAD_SHRINKER;
    /* every member, whatever the filter: one params struct has one meaning */
    /* sigma in pixels at most SIGMA_MAX; in mm, sigma / spacing is checked per image */
    if (!(p->sigma > 0.0) || !conseco__is_finite(p->sigma)) return CONSECO_E_BAD_SHRINKER;
    if (p->units == CONSECO_UNITS_PIXELS && p->sigma > CONSECO_SMOOTH_SIGMA_MAX)
        return CONSECO_E_BAD_SHRINKER;
    if (p->filter != CONSECO_SMOOTH_GAUSS && p->filter != CONSECO_SMOOTH_MIN)
        return CONSECO_E_BAD_SHRINKER;
    if (p->units != CONSECO_UNITS_PIXELS && p->units != CONSECO_UNITS_MM)
        return CONSECO_E_BAD_SHRINKER;
    if (p->element != CONSECO_ELEMENT_CROSS && p->element != CONSECO_ELEMENT_SQUARE &&
        p->element != CONSECO_ELEMENT_DISK)
        return CONSECO_E_BAD_SHRINKER;
    if (p->radius < 1u || p->radius > CONSECO_SMOOTH_RADIUS_MAX) return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

static const conseco_smooth_params *params_of(const conseco__shrinker *s)
{
    return (const conseco_smooth_params *)s->user;
}

static int op_load(const conseco_shrinker *in, conseco__shrinker *out)
{
    int rc = conseco__smooth_params_check((const conseco_smooth_params *)in->user);
    if (rc != CONSECO_OK) return rc;
    out->vt = smooth_vt;
    out->user = in->user;
    out->ops = &conseco__smooth_ops;
    return CONSECO_OK;
}

static size_t op_scratch_size(const conseco__shrinker *s, size_t width, size_t height,
                              size_t depth)
{
    (void)s;
    return smooth_scratch_size(params_of(s), width, height, depth);
}

static int op_score(const conseco__shrinker *s, const conseco_image *pred,
                    const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                    double *score)
{
    return smooth_score(params_of(s), pred, truth, tau, scratch, scratch_size, score);
}

static int op_apply(const conseco__shrinker *s, const conseco_image *pred, double lambda,
                    void *scratch, size_t scratch_size, const conseco_mask_out *inner,
                    const conseco_mask_out *uncertain)
{
    return smooth_apply(params_of(s), pred, lambda, scratch, scratch_size, inner, uncertain);
}

static int op_evaluate(const conseco__shrinker *s, const conseco_image *pred,
                       const conseco_mask *truth, double lambda, double tau, void *scratch,
                       size_t scratch_size, conseco_image_metrics *out)
{
    return smooth_evaluate(params_of(s), pred, truth, lambda, tau, scratch, scratch_size, out);
}

static int op_levels(const conseco__shrinker *s, const conseco_image *pred, double *levels,
                     size_t n)
{
    return levels_cb(s->user, pred, levels, n);
}

/* Saved state (format 1, no new fields): the element field packs filter,
 * element and units a byte each; the border field holds the radius; base is
 * base and top is sigma. */
static void op_params_save(const conseco__shrinker *s, conseco__saved_params *out)
{
    const conseco_smooth_params *p = params_of(s);
    CONSECO_memset(out, 0, sizeof *out);
    out->element = p->filter | (p->element << 8) | (p->units << 16);
    out->border = p->radius;
    out->base = conseco__double_bits(p->base);
    out->top = conseco__double_bits(p->sigma);
}

static void params_from_saved(const conseco__saved_params *p, conseco_smooth_params *sp)
{
    conseco_smooth_params_default(sp);
    sp->filter = p->element & 0xFFu;
    sp->element = (p->element >> 8) & 0xFFu;
    sp->units = (p->element >> 16) & 0xFFu;
    sp->radius = p->border;
    sp->base = conseco__bits_double(p->base);
    sp->sigma = conseco__bits_double(p->top);
}

static int op_saved_check(const conseco__saved_params *p, uint32_t domain, double lambda_min,
                          double lambda_max, const char *name)
{
    conseco_smooth_params sp;
    conseco_shrinker pub;
    conseco__shrinker sh;
    if ((p->element >> 24) != 0) return CONSECO_E_CORRUPT;
    params_from_saved(p, &sp);
    pub = conseco_shrinker_smooth(&sp);
    if (op_load(&pub, &sh) != CONSECO_OK) return CONSECO_E_CORRUPT;
    return conseco__builtin_saved_match(&sh.vt, domain, lambda_min, lambda_max, name);
}

static void op_params_info(const conseco__saved_params *p, conseco_state_info *info)
{
    params_from_saved(p, &info->smooth);
}

const conseco__ops conseco__smooth_ops = {
    CONSECO_KIND_SMOOTH,
    &smooth_vt,
    sizeof(conseco_smooth_params),
    op_load,
    op_scratch_size,
    op_score,
    op_apply,
    op_evaluate,
    op_levels,
    op_params_save,
    op_saved_check,
    op_params_info,
    0, /* no outer family: the sides return CONSECO_E_UNSUPPORTED */
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL, /* no outer family */
};
