/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scores of the threshold sides (docs/DESIGN.md section 5.2; outer.c has
 * the definitions, the sets, apply and evaluate).
 *
 * Lowering: with m the missed count FNR <= tau allows, the score is v, the
 * (m+1)-th smallest truth score below base (base if at most m truth pixels
 * are below it, -inf if v < bottom).
 *
 * Band (threshold offset): with f the (m_in+1)-th largest false-positive
 * score (-inf if none) and v as above (+inf if none), the joint condition at
 * a breakpoint l in B = {0} U {|s_p - base|} is P(l): base + l > f and
 * base - l <= v, additions in double as written. Both halves are monotone
 * in l, so P holds exactly on [A, +inf) for one double A (a binary search on
 * the doubles' bit patterns). The breakpoint of a pixel at or above base,
 * s - base, rises with s; below base, base - s falls with s. So the score
 * is the smaller of  (the smallest pixel s >= X_hi) - base  and
 * base - (the largest pixel s <= X_lo),  X_hi and X_lo the float (8-bit:
 * the value) thresholds of l >= A on each side, again binary searches.
 *
 * Float32 maps: one pass in groups of 16 pixels (SSE2/NEON, common/simd.h)
 * reads the map and the truth; groups with neither a Yhat nor a truth pixel
 * cost a few instructions. Truth pixels below base store their key (the
 * float's bits in the floats' order, threshold_fast.h); a band also stores
 * the keys of Yhat (false positives from the front, the others from the
 * back, as the inner score) and keeps per row its smallest score and its
 * largest score below base. f and v are radix selections on keys; the
 * smallest Yhat score >= X_hi is one scan of the Yhat keys; the largest score
 * <= X_lo comes from the segment summaries (4 lanes each, taken lane by lane
 * without a branch), reading again only segments that hold scores on both
 * sides of X_lo (four running maxima there).
 * 8-bit maps: the same in 256-bin histograms (4 interleaved copies), the
 * largest value <= X_lo from a second pass that stops at X_lo itself.
 * Other dtypes: a collection of doubles and one O(N) selection.
 */
#include "threshold_fast.h"

#define TH_BINS 256u
#define TH_COPIES 4u /* interleaved 8-bit histograms: neighbours often share a value */
#define SEG 128u     /* float32 band: pixels per summarised row segment */

static double th_base(const conseco__shrinker *s)
{
    return ((const conseco_threshold_params *)s->user)->base;
}

/* Bytes the 8-bit and float32 paths need beyond 8 per pixel: the radix
 * buckets or the 8-bit histograms, two floats per row; 0 (general path) when
 * that is more than 12 bytes per pixel, so that the scratch stays within
 * CONSECO_CALIBRATOR_WORKSPACE_BOUND (tiny or one-pixel-thin images). */
static size_t th_fast_extra(size_t pixels, size_t rows)
{
    const size_t hist = sizeof(uint32_t) * (CONSECO__KEY_BUCKETS > 3u * TH_COPIES * TH_BINS
                                                ? CONSECO__KEY_BUCKETS
                                                : 3u * TH_COPIES * TH_BINS);
    /* segments: at most rows * (1 + width / SEG) <= pixels / 16 + pixels / SEG,
     * 8 floats each */
    if (pixels >= (size_t)UINT32_MAX || rows > pixels / 16u || pixels < hist / 8u) return 0;
    return hist + (rows + pixels / SEG) * 8u * sizeof(float); /* <= pixels * (8 + 3) */
}

size_t conseco__threshold_side_scratch_size(const conseco__shrinker *s, uint32_t side,
                                            int score_only, size_t width, size_t height,
                                            size_t depth)
{
    size_t n, rows, bytes;
    (void)s;
    (void)side;
    (void)score_only; /* only scores use scratch */
    /* one double per pixel (general path) or two keys (float32), at least
     * the general path's two 8-bit histograms; then th_fast_extra() */
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n) ||
        !conseco__mul_size(n, sizeof(double), &bytes) || !conseco__mul_size(height, depth, &rows))
        return 0;
    if (bytes < sizeof(uint32_t) * 2u * TH_BINS) bytes = sizeof(uint32_t) * 2u * TH_BINS;
    if (!conseco__add_size(bytes, th_fast_extra(n, rows), &bytes) ||
        !conseco__add_size(bytes, CONSECO__ALIGN_SLACK + 8u, &bytes))
        return 0;
    return bytes;
}

/* The smallest double l >= 0 with base + l > f and base - l <= v, given that
 * 0 fails: bit patterns of nonnegative doubles sort like the doubles. */
static double th_first_l(double base, double f, double v)
{
    uint64_t lo = 0, hi = UINT64_C(0x7FF0000000000000); /* P(lo) false, P(hi) true */
    while (hi - lo > 1u) {
        const uint64_t mid = lo + (hi - lo) / 2u;
        double l;
        CONSECO_memcpy(&l, &mid, sizeof l);
        if (base + l > f && base - l <= v)
            hi = mid;
        else
            lo = mid;
    }
    {
        double l;
        CONSECO_memcpy(&l, &hi, sizeof l);
        return l;
    }
}

/* ------------------------------------------------------------ general */
/* One row of the collection pass: false-positive scores from the front of buf,
 * truth scores below base from its back; 0 if a float score is not finite.
 * Called with a constant dtype so that each type gets its own loop. */
static inline int th_collect_row(int dtype, const unsigned char *row, const uint8_t *t, size_t w,
                                 double base, double *buf, size_t total, size_t *nfp,
                                 size_t *nlow, uint64_t *predicted, uint64_t *ntruth)
{
    size_t x, a = *nfp, b = *nlow;
    uint64_t pr = 0, nt = 0;
    int finite = 1;
    for (x = 0; x < w; x++) {
        const double sv = conseco__pixel(dtype, row, x);
        const int tr = t[x] != 0;
        if (dtype == CONSECO_DTYPE_F32 || dtype == CONSECO_DTYPE_F64)
            finite &= conseco__is_finite(sv);
        nt += (uint64_t)tr;
        if (sv >= base) {
            pr++;
            if (!tr) buf[a++] = sv;
        } else if (tr) {
            buf[total - 1 - b++] = sv;
        }
    }
    *nfp = a;
    *nlow = b;
    *predicted += pr;
    *ntruth += nt;
    return finite;
}

/* Lowers *best to the smallest breakpoint |s - base| of the row meeting the joint condition. */
static inline void th_best_row(int dtype, const unsigned char *row, size_t w, double base,
                               double f, double v, double *best)
{
    double b = *best;
    size_t x;
    for (x = 0; x < w; x++) {
        const double sv = conseco__pixel(dtype, row, x);
        const double l = sv >= base ? sv - base : base - sv;
        if (l < b && base + l > f && base - l <= v) b = l;
    }
    *best = b;
}

static int th_score_general(double base, const conseco__side *side, const conseco_image *pred,
                            const conseco_mask *truth, double tau, double *buf, double *score)
{
    const int is_band = side->side == CONSECO_SIDE_BAND;
    const size_t total = pred->width * pred->height * pred->depth;
    double f = -conseco__inf(), v = conseco__inf(), best = conseco__inf();
    size_t y, z, nfp = 0, nlow = 0;
    uint64_t predicted = 0, ntruth = 0, m_in, m_out;
    int finite = 1;
    for (z = 0; z < pred->depth && finite; z++)
        for (y = 0; y < pred->height && finite; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            const uint8_t *t = conseco__mask_row(truth, y, z);
            switch (pred->dtype) {
            case CONSECO_DTYPE_F32:
                finite = th_collect_row(CONSECO_DTYPE_F32, row, t, pred->width, base, buf, total,
                                        &nfp, &nlow, &predicted, &ntruth);
                break;
            case CONSECO_DTYPE_F64:
                finite = th_collect_row(CONSECO_DTYPE_F64, row, t, pred->width, base, buf, total,
                                        &nfp, &nlow, &predicted, &ntruth);
                break;
            default:
                finite = th_collect_row(pred->dtype, row, t, pred->width, base, buf, total, &nfp,
                                        &nlow, &predicted, &ntruth);
                break;
            }
        }
    if (!finite) return CONSECO_E_NONFINITE;
    m_out = conseco__fp_budget(ntruth, is_band ? side->tau_outer : tau);
    if ((uint64_t)nlow > m_out)
        v = conseco__select(buf + (total - nlow), nlow, (size_t)m_out + 1u);
    if (!is_band) {
        if (v >= base) *score = base;
        else *score = v >= side->bottom ? v : -conseco__inf();
        return CONSECO_OK;
    }
    m_in = conseco__fp_budget(predicted, tau);
    if ((uint64_t)nfp > m_in) f = conseco__select(buf, nfp, nfp - (size_t)m_in);
    /* joint condition at l: base + l > f and base - l <= v; smallest breakpoint */
    if (base + 0.0 > f && base - 0.0 <= v) {
        *score = 0.0;
        return CONSECO_OK;
    }
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            switch (pred->dtype) {
            case CONSECO_DTYPE_F32:
                th_best_row(CONSECO_DTYPE_F32, row, pred->width, base, f, v, &best);
                break;
            case CONSECO_DTYPE_F64:
                th_best_row(CONSECO_DTYPE_F64, row, pred->width, base, f, v, &best);
                break;
            default: th_best_row(pred->dtype, row, pred->width, base, f, v, &best); break;
            }
        }
    *score = best;
    return CONSECO_OK;
}

/* ------------------------------------------------------------ 8-bit maps */
#ifdef CONSECO__SIMD
static unsigned popcount16(unsigned v)
{
    v = v - ((v >> 1) & 0x5555u);
    v = (v & 0x3333u) + ((v >> 2) & 0x3333u);
    v = (v + (v >> 4)) & 0x0F0Fu;
    return (v + (v >> 8)) & 0x1Fu;
}
#endif

/* Histogram classes: [copy][class][value], class 0 neither (a sink), 1 truth
 * below base, 2 false positive. */
#define U8_SLOT(copy, cls, val) (((size_t)(copy) * 3u + (size_t)(cls)) * TH_BINS + (size_t)(val))

/* One row (k0 <= 255): counts truth and Yhat pixels, histograms truth below
 * k0 and (band) the false positives. Returns 1 if the row holds Yhat. */
static inline int u8_side_row(const uint8_t *s, const uint8_t *t, size_t w, unsigned k0,
                              int band, uint32_t *h, uint64_t *ntruth, uint64_t *predicted)
{
    size_t x = 0;
    uint64_t nt = 0, np = 0;
#ifdef CONSECO__SIMD
    {
        /* v >= k0 <=> max(v, k0) == v */
        const conseco__m128i vk = conseco__mm_set1_epi8((char)k0), zero = conseco__mm_setzero_si128();
        for (; x + 16 <= w; x += 16) {
            const conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(s + x));
            const unsigned tm = 0xFFFFu & ~(unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(
                                    conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(t + x)), zero));
            const unsigned in = (unsigned)conseco__mm_movemask_epi8(
                conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, vk), v));
            unsigned keep, i;
            uint8_t val[16];
            if ((tm | in) == 0) continue;
            nt += popcount16(tm);
            np += popcount16(in);
            keep = band ? tm ^ in : tm & ~in; /* truth below base, false positives */
            if (keep == 0) continue;
            conseco__mm_storeu_si128((conseco__m128i *)(void *)val, v);
            for (i = 0; i < 16; i++) {
                /* 1: truth below base; 2: false positive; 0: neither (or not kept) */
                const unsigned cls = ((keep >> i) & 1u) << ((in >> i) & 1u);
                h[U8_SLOT(i & (TH_COPIES - 1u), cls, val[i])]++;
            }
        }
    }
#endif
    for (; x < w; x++) {
        const unsigned tr = t[x] != 0, yh = s[x] >= k0;
        nt += tr;
        np += yh;
        if (tr != yh && (band || tr)) h[U8_SLOT(x & (TH_COPIES - 1u), tr ? 1u : 2u, s[x])]++;
    }
    *ntruth += nt;
    *predicted += np;
    return np != 0;
}

/* The largest value <= lim (< k0) of the map, -1 if none (up = 0), or the
 * smallest value >= lim (>= k0) of rows r0..r1, 256 if none (up = 1). Stops
 * at lim itself. */
static int u8_nearest(const conseco_image *pred, unsigned lim, int up, size_t r0, size_t r1)
{
    const size_t w = pred->width, hgt = pred->height;
    const int none = up ? 256 : -1;
    int best = none;
    size_t n;
    for (n = r0; n <= r1; n++) {
        const uint8_t *s = conseco__image_row(pred, n % hgt, n / hgt);
        size_t x = 0;
#ifdef CONSECO__SIMD
        {
            /* up: v >= lim <=> max(v, lim) == v, others count as 255;
             * down: v <= lim <=> min(v, lim) == v, others count as 0 */
            const conseco__m128i vl = conseco__mm_set1_epi8((char)lim), zero = conseco__mm_setzero_si128();
            const conseco__m128i ones = conseco__mm_cmpeq_epi8(zero, zero);
            conseco__m128i acc = up ? ones : zero, any = zero;
            for (; x + 16 <= w; x += 16) {
                const conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(s + x));
                if (up) {
                    const conseco__m128i ge = conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, vl), v);
                    any = conseco__mm_or_si128(any, ge);
                    acc = conseco__mm_min_epu8(acc, conseco__mm_or_si128(v, conseco__mm_andnot_si128(ge, ones)));
                } else {
                    const conseco__m128i le = conseco__mm_cmpeq_epi8(conseco__mm_min_epu8(v, vl), v);
                    any = conseco__mm_or_si128(any, le);
                    acc = conseco__mm_max_epu8(acc, conseco__mm_and_si128(v, le));
                }
            }
            /* with `any`, the lanes holding a qualifying value decide: the
             * fillers (255 up, 0 down) never beat one */
            if (conseco__mm_movemask_epi8(any)) {
                uint8_t lane[16];
                unsigned i;
                conseco__mm_storeu_si128((conseco__m128i *)(void *)lane, acc);
                for (i = 0; i < 16; i++)
                    if (up ? (int)lane[i] < best : (int)lane[i] > best) best = (int)lane[i];
            }
        }
#endif
        for (; x < w; x++) {
            const int v = (int)s[x];
            if (up ? v >= (int)lim && v < best : v <= (int)lim && v > best) best = v;
        }
        if (best == (int)lim) return best;
    }
    return best;
}

static int th_score_u8(double base, const conseco__side *side, const conseco_image *pred,
                       const conseco_mask *truth, double tau, uint32_t *h, double *score)
{
    const uint32_t k0 = conseco__int_at_least(base, 255u); /* v >= k0 <=> v / 255 >= base */
    const int band = side->side == CONSECO_SIDE_BAND;
    const size_t nrows = pred->height * pred->depth, hgt = pred->height;
    size_t n, b, c, r0 = (size_t)-1, r1 = 0;
    uint64_t predicted = 0, ntruth = 0, nfp = 0, nlow = 0, acc, m_in, m_out;
    double f = -conseco__inf(), v = conseco__inf(), A, best = conseco__inf();
    CONSECO_memset(h, 0, sizeof *h * TH_COPIES * 3u * TH_BINS);
    if (k0 > 255u) { /* Yhat empty: every truth pixel is below base */
        for (n = 0; n < nrows; n++) {
            const uint8_t *s = conseco__image_row(pred, n % hgt, n / hgt);
            const uint8_t *t = conseco__mask_row(truth, n % hgt, n / hgt);
            size_t x;
            for (x = 0; x < pred->width; x++) {
                ntruth += t[x] != 0;
                h[U8_SLOT(x & (TH_COPIES - 1u), t[x] != 0, s[x])]++;
            }
        }
    } else if (band) {
        for (n = 0; n < nrows; n++)
            if (u8_side_row(conseco__image_row(pred, n % hgt, n / hgt),
                            conseco__mask_row(truth, n % hgt, n / hgt), pred->width, k0, 1, h,
                            &ntruth, &predicted)) {
                r0 = r0 == (size_t)-1 ? n : r0;
                r1 = n;
            }
    } else {
        for (n = 0; n < nrows; n++)
            u8_side_row(conseco__image_row(pred, n % hgt, n / hgt),
                        conseco__mask_row(truth, n % hgt, n / hgt), pred->width, k0, 0, h,
                        &ntruth, &predicted);
    }
    for (c = 1; c < TH_COPIES; c++)
        for (b = 0; b < (size_t)3u * TH_BINS; b++) h[b] += h[c * 3u * TH_BINS + b];
    for (b = 0; b < TH_BINS; b++) {
        nlow += h[U8_SLOT(0, 1, b)];
        nfp += h[U8_SLOT(0, 2, b)];
    }
    m_out = conseco__fp_budget(ntruth, band ? side->tau_outer : tau);
    if (nlow > m_out) /* the (m_out+1)-th smallest truth value below base */
        for (b = 0, acc = 0; b < TH_BINS; b++) {
            acc += h[U8_SLOT(0, 1, b)];
            if (acc > m_out) {
                v = (double)b / 255.0;
                break;
            }
        }
    if (!band) {
        if (v >= base) *score = base;
        else *score = v >= side->bottom ? v : -conseco__inf();
        return CONSECO_OK;
    }
    m_in = conseco__fp_budget(predicted, tau);
    if (nfp > m_in) /* the (m_in+1)-th largest false-positive value */
        for (b = TH_BINS, acc = 0; b-- > 0;) {
            acc += h[U8_SLOT(0, 2, b)];
            if (acc > m_in) {
                f = (double)b / 255.0;
                break;
            }
        }
    if (base + 0.0 > f && base - 0.0 <= v) {
        *score = 0.0;
        return CONSECO_OK;
    }
    A = th_first_l(base, f, v);
    /* above base: the smallest Yhat value with value/255 - base >= A; the
     * false positives are known, the other Yhat values need the map */
    for (b = k0; b < TH_BINS; b++)
        if ((double)b / 255.0 - base >= A) {
            size_t u;
            int got = 256;
            for (u = b; u < TH_BINS; u++)
                if (h[U8_SLOT(0, 2, u)] != 0) {
                    got = (int)u;
                    break;
                }
            if (got != (int)b && r0 != (size_t)-1) {
                const int more = u8_nearest(pred, (unsigned)b, 1, r0, r1);
                got = more < got ? more : got;
            }
            if (got < 256) best = (double)got / 255.0 - base;
            break;
        }
    /* below base: the largest value with base - value/255 >= A; the truth
     * below base is known, other values need the map */
    for (b = k0 < TH_BINS ? k0 : TH_BINS; b-- > 0;)
        if (base - (double)b / 255.0 >= A) {
            size_t u;
            int got = -1;
            for (u = b + 1u; u-- > 0;)
                if (h[U8_SLOT(0, 1, u)] != 0) {
                    got = (int)u;
                    break;
                }
            if (got != (int)b) {
                const int more = u8_nearest(pred, (unsigned)b, 0, 0, nrows - 1u);
                got = more > got ? more : got;
            }
            if (got >= 0 && base - (double)got / 255.0 < best) best = base - (double)got / 255.0;
            break;
        }
    *score = best;
    return CONSECO_OK;
}

/* -------------------------------------------------------- float32 maps */
/* Key stores of one pass. */
typedef struct f32_side {
    uint32_t *yk; /* band: false positives from the front, other Yhat from the back */
    size_t nf, nt;
    uint32_t *tb; /* truth below base */
    size_t ntb;
    uint64_t ntruth;
    float *sum; /* band: per segment, 4 lanes of smallest scores, 4 of largest below base */
} f32_side;

/* Band summaries: rows cut in segments of SEG pixels (the last one takes the rest). */
static size_t segs_of(size_t w) { return w / SEG > 0 ? w / SEG : 1u; }

#ifdef CONSECO__SIMD
/* Appends the keys kk[i] of the lanes i set in m to keys[*n...]. */
static void put_keys(uint32_t *keys, size_t *n, const uint32_t kk[16], unsigned m)
{
    size_t j = *n;
    unsigned i;
    for (i = 0; i < 16; i++) {
        keys[j] = kk[i];
        j += (m >> i) & 1u;
    }
    *n = j;
}

/* Truth keys of a group: all 16 lanes (m = 0xFFFF) or some. */
static void put_group(uint32_t *keys, size_t *n, const conseco__m128 v[4], unsigned m)
{
    int j;
    if (m == 0xFFFFu) {
        for (j = 0; j < 4; j++)
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(keys + *n + 4u * (size_t)j),
                                     conseco__keys4(v[j]));
        *n += 16;
    } else {
        uint32_t kk[16];
        for (j = 0; j < 4; j++)
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(kk + 4u * (size_t)j), conseco__keys4(v[j]));
        put_keys(keys, n, kk, m);
    }
}

/* 16-bit lane mask of the four lane masks in[0..3]. */
static unsigned mask16(const conseco__m128 in[4])
{
    return (unsigned)conseco__mm_movemask_epi8(conseco__mm_packs_epi16(
        conseco__mm_packs_epi32(conseco__mm_castps_si128(in[0]), conseco__mm_castps_si128(in[1])),
        conseco__mm_packs_epi32(conseco__mm_castps_si128(in[2]), conseco__mm_castps_si128(in[3]))));
}

/* Nonzero truth bytes of the 16 at t as a lane mask. */
static unsigned truth16(const uint8_t *t)
{
    return 0xFFFFu & ~(unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(
                         conseco__mm_loadu_si128((const conseco__m128i *)(const void *)t),
                         conseco__mm_setzero_si128()));
}
#endif

/* Lowering, one row: truth counted, keys of truth below base stored; 0 if the
 * row holds a NaN or an infinity. */
static int f32_outer_row(f32_side *a, const float *s, const uint8_t *t, size_t w, float base)
{
    size_t x = 0;
    uint64_t nt = 0;
    int ok = 1;
#ifdef CONSECO__SIMD
    {
        const conseco__m128 vb = conseco__mm_set1_ps(base);
        conseco__m128 v[4], vmin = conseco__mm_setzero_ps(), bad = conseco__mm_setzero_ps();
        for (; x + 16 <= w; x += 16) {
            unsigned yh, tm, in = 0;
            conseco__prefetch(s + x, CONSECO__PREFETCH_AHEAD);
            yh = (unsigned)conseco__f32x16_maybe_in(s + x, vb, v, &vmin);
            tm = truth16(t + x);
            if ((yh | tm) == 0) continue;
            nt += popcount16(tm);
            if (yh != 0) {
                conseco__m128 inv[4];
                int j;
                for (j = 0; j < 4; j++) {
                    inv[j] = conseco__mm_cmpge_ps(v[j], vb);
                    bad = conseco__mm_or_ps(bad, conseco__mm_sub_ps(v[j], v[j]));
                }
                in = mask16(inv);
            }
            if ((tm & ~in) != 0) put_group(a->tb, &a->ntb, v, tm & ~in);
        }
        ok &= !conseco__f32_min_is_neg_inf(vmin);
        ok &= conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi32(conseco__mm_castps_si128(bad),
                                                                 conseco__mm_setzero_si128())) == 0xFFFF;
    }
#endif
    for (; x < w; x++) {
        const float sv = s[x];
        const unsigned tr = t[x] != 0;
        ok &= sv - sv == 0.0f;
        nt += tr;
        if (tr && !(sv >= base)) a->tb[a->ntb++] = conseco__key_of(conseco__f32_bits(sv));
    }
    a->ntruth += nt;
    return ok;
}

/* Band, one segment [x, e) of a row: keys of Yhat and of truth below base, the
 * segment's summary in *mn, *mxb; 0 if it holds a NaN or an infinity. */
static int f32_band_seg(f32_side *a, const float *s, const uint8_t *t, size_t x, size_t e,
                        float base, float *sum)
{
    uint64_t nt = 0;
    float smin = (float)conseco__inf(), smaxb = -(float)conseco__inf();
    int ok = 1, i;
#ifndef CONSECO__SIMD
    for (i = 0; i < 4; i++) {
        sum[i] = smin;
        sum[4 + i] = smaxb;
    }
#else
    {
        const conseco__m128 vb = conseco__mm_set1_ps(base);
        conseco__m128 v[4], vmin = conseco__mm_set1_ps(smin), vmax = conseco__mm_set1_ps(smaxb);
        conseco__m128 bad = conseco__mm_setzero_ps();
        for (; x + 16 <= e; x += 16) {
            unsigned yh, tm, in = 0;
            conseco__prefetch(s + x, CONSECO__PREFETCH_AHEAD);
            yh = (unsigned)conseco__f32x16_maybe_in(s + x, vb, v, &vmin);
            tm = truth16(t + x);
            if (yh == 0) { /* all below base, no NaN */
                vmax = conseco__mm_max_ps(vmax, conseco__mm_max_ps(conseco__mm_max_ps(v[0], v[1]),
                                                                   conseco__mm_max_ps(v[2], v[3])));
                if (tm == 0) continue;
                nt += popcount16(tm);
                put_group(a->tb, &a->ntb, v, tm);
                continue;
            }
            nt += popcount16(tm);
            {
                conseco__m128 inv[4];
                int j;
                for (j = 0; j < 4; j++) {
                    inv[j] = conseco__mm_cmpge_ps(v[j], vb);
                    bad = conseco__mm_or_ps(bad, conseco__mm_sub_ps(v[j], v[j]));
                    /* Yhat lanes turn NaN: max() keeps its second operand */
                    vmax = conseco__mm_max_ps(conseco__mm_or_ps(v[j], inv[j]), vmax);
                }
                in = mask16(inv);
            }
            if (in == 0xFFFFu && (tm == 0 || tm == 0xFFFFu)) { /* all false positives, or all truth */
                int j;
                uint32_t *to;
                if (tm == 0) {
                    to = a->yk + a->nf;
                    a->nf += 16;
                } else {
                    a->nt -= 16;
                    to = a->yk + a->nt;
                }
                for (j = 0; j < 4; j++)
                    conseco__mm_storeu_si128((conseco__m128i *)(void *)(to + 4u * (size_t)j), conseco__keys4(v[j]));
            } else {
                const unsigned fp = in & ~tm, tp = in & tm, tb = tm & ~in;
                uint32_t kk[16];
                int j;
                for (j = 0; j < 4; j++)
                    conseco__mm_storeu_si128((conseco__m128i *)(void *)(kk + 4u * (size_t)j), conseco__keys4(v[j]));
                if (fp != 0) put_keys(a->yk, &a->nf, kk, fp);
                if (tb != 0) put_keys(a->tb, &a->ntb, kk, tb);
                if (tp != 0) { /* from the back: nf + (pixels - nt) never exceeds the pixels seen */
                    size_t nb = a->nt;
                    for (i = 0; i < 16; i++) {
                        a->yk[nb - 1u] = kk[i];
                        nb -= (tp >> i) & 1u;
                    }
                    a->nt = nb;
                }
            }
        }
        ok &= conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi32(conseco__mm_castps_si128(bad),
                                                                 conseco__mm_setzero_si128())) == 0xFFFF;
        ok &= !conseco__f32_min_is_neg_inf(vmin);
        conseco__mm_storeu_ps(sum, vmin);
        conseco__mm_storeu_ps(sum + 4, vmax);
    }
#endif
    for (; x < e; x++) {
        const float sv = s[x];
        const unsigned tr = t[x] != 0;
        ok &= sv - sv == 0.0f;
        nt += tr;
        if (sv >= base) {
            const uint32_t k = conseco__key_of(conseco__f32_bits(sv));
            if (tr) a->yk[--a->nt] = k;
            else a->yk[a->nf++] = k;
        } else {
            if (tr) a->tb[a->ntb++] = conseco__key_of(conseco__f32_bits(sv));
            smaxb = sv > smaxb ? sv : smaxb;
        }
        smin = sv < smin ? sv : smin;
    }
    ok &= smin != -(float)conseco__inf();
    sum[0] = smin < sum[0] ? smin : sum[0];
    sum[4] = smaxb > sum[4] ? smaxb : sum[4];
    a->ntruth += nt;
    return ok;
}

/* The smallest key k in [lo, hi] with pred(k), which holds at hi and rises with k. */
#define KEY_SEARCH(lo, hi, pred_of_k, out)                 \
    do {                                                   \
        uint32_t lo_ = (lo), hi_ = (hi);                   \
        while (lo_ < hi_) {                                \
            const uint32_t k = lo_ + (hi_ - lo_) / 2u;     \
            if (pred_of_k) hi_ = k;                        \
            else lo_ = k + 1u;                             \
        }                                                  \
        (out) = lo_;                                       \
    } while (0)

/* The largest score <= xlo of the map (-inf if none), from the segment
 * summaries and the segments holding scores on both sides of xlo. */
static float f32_max_at_most(const conseco_image *pred, const float *sum, float xlo)
{
    const size_t w = pred->width, hgt = pred->height, nrows = pred->height * pred->depth;
    const size_t ns = segs_of(w);
    float best = -(float)conseco__inf();
    size_t n, g, i = 0;
#ifdef CONSECO__SIMD
    /* Lane by lane, no branch but one per segment: a summary lane whose
     * largest score below base is <= xlo gives that score (a pixel's); a
     * segment is read again only if a lane holds a score in (xlo, base)
     * and a lane a score <= xlo. Scores above xlo (v >= up) turn NaN, which
     * max() drops (it keeps its second operand). */
    const conseco__m128 up = conseco__mm_set1_ps(conseco__f32_step(xlo, 1));
    conseco__m128 m[4];
    float lane[4];
    unsigned q;
    for (q = 0; q < 4; q++) m[q] = conseco__mm_set1_ps(best);
    for (n = 0; n < nrows; n++)
        for (g = 0; g < ns; g++, i += 8) {
            const conseco__m128 mx = conseco__mm_loadu_ps(sum + i + 4);
            const conseco__m128 over = conseco__mm_cmpge_ps(mx, up);
            const float *s;
            size_t x = g * SEG;
            const size_t e = g + 1u == ns ? w : x + SEG;
            m[0] = conseco__mm_max_ps(conseco__mm_or_ps(mx, over), m[0]);
            if (conseco__mm_movemask_ps(over) == 0 ||
                conseco__mm_movemask_ps(conseco__mm_cmpnlt_ps(conseco__mm_loadu_ps(sum + i), up)) ==
                    15)
                continue;
            s = (const float *)(const void *)conseco__image_row(pred, n % hgt, n / hgt);
            for (; x + 16 <= e; x += 16)
                for (q = 0; q < 4; q++) {
                    const conseco__m128 v = conseco__mm_loadu_ps(s + x + (size_t)4 * q);
                    m[q] = conseco__mm_max_ps(conseco__mm_or_ps(v, conseco__mm_cmpge_ps(v, up)), m[q]);
                }
            for (; x + 4 <= e; x += 4) {
                const conseco__m128 v = conseco__mm_loadu_ps(s + x);
                m[1] = conseco__mm_max_ps(conseco__mm_or_ps(v, conseco__mm_cmpge_ps(v, up)), m[1]);
            }
            for (; x < e; x++) best = s[x] <= xlo && s[x] > best ? s[x] : best;
        }
    m[0] = conseco__mm_max_ps(conseco__mm_max_ps(m[0], m[1]), conseco__mm_max_ps(m[2], m[3]));
    conseco__mm_storeu_ps(lane, m[0]);
    for (q = 0; q < 4; q++) best = lane[q] > best ? lane[q] : best;
#else
    for (n = 0; n < nrows; n++)
        for (g = 0; g < ns; g++, i += 8) {
            const float *s;
            size_t x = g * SEG;
            const size_t e = g + 1u == ns ? w : x + SEG;
            float mn = sum[i], mx = sum[i + 4];
            unsigned j;
            for (j = 1; j < 4; j++) {
                mn = sum[i + j] < mn ? sum[i + j] : mn;
                mx = sum[i + 4 + j] > mx ? sum[i + 4 + j] : mx;
            }
            if (mx <= xlo) { /* every score below base there is <= xlo */
                best = mx > best ? mx : best;
                continue;
            }
            if (mn > xlo) continue;
            s = (const float *)(const void *)conseco__image_row(pred, n % hgt, n / hgt);
            for (; x < e; x++) best = s[x] <= xlo && s[x] > best ? s[x] : best;
        }
#endif
    return best;
}

static int th_score_f32(double base, const conseco__side *side, const conseco_image *pred,
                        const conseco_mask *truth, double tau, void *scratch, size_t pixels,
                        double *score)
{
    const int band = side->side == CONSECO_SIDE_BAND;
    const size_t nrows = pred->height * pred->depth, hgt = pred->height;
    const float fb = conseco__f32_at_least(base);
    const uint32_t kb = conseco__key_of(conseco__f32_bits(fb));
    const uint32_t kmin_f = conseco__key_of(conseco__f32_bits(-3.40282347e38f)),
                   kmax_f = conseco__key_of(conseco__f32_bits(3.40282347e38f));
    uint32_t *hist = (uint32_t *)scratch, klo, khi, knext = 0, kf = 0xFFFFFFFFu;
    f32_side a;
    size_t n;
    uint64_t m_in, m_out, predicted;
    double f = -conseco__inf(), v = conseco__inf(), A, best = conseco__inf();
    int finite = 1;
    a.yk = hist + CONSECO__KEY_BUCKETS;
    a.tb = a.yk + pixels;
    a.sum = (float *)(void *)(a.tb + pixels);
    a.nf = a.ntb = 0;
    a.nt = pixels;
    a.ntruth = 0;
    for (n = 0; n < nrows; n++) {
        const float *row = (const float *)(const void *)conseco__image_row(pred, n % hgt, n / hgt);
        const uint8_t *t = conseco__mask_row(truth, n % hgt, n / hgt);
        if (band) {
            const size_t w = pred->width, ns = segs_of(w);
            size_t g;
            for (g = 0; g < ns; g++)
                finite &= f32_band_seg(&a, row, t, g * SEG, g + 1u == ns ? w : (g + 1u) * SEG, fb,
                                       a.sum + 8u * (n * ns + g));
        } else {
            finite &= f32_outer_row(&a, row, t, pred->width, fb);
        }
    }
    if (!finite) return CONSECO_E_NONFINITE;
    m_out = conseco__fp_budget(a.ntruth, band ? side->tau_outer : tau);
    if ((uint64_t)a.ntb > m_out) { /* the (m_out+1)-th smallest truth score below base */
        conseco__key_range(a.tb, a.ntb, &klo, &khi);
        v = (double)conseco__float_of_key(
            conseco__key_select(a.tb, a.ntb, (size_t)m_out, klo, khi, hist, &knext));
    }
    if (!band) {
        if (v >= base) *score = base;
        else *score = v >= side->bottom ? v : -conseco__inf();
        return CONSECO_OK;
    }
    predicted = (uint64_t)a.nf + (uint64_t)(pixels - a.nt);
    m_in = conseco__fp_budget(predicted, tau);
    if ((uint64_t)a.nf > m_in) { /* the (m_in+1)-th largest false positive, on a copy */
        conseco__key_copy_range(a.tb, a.yk, a.nf, &klo, &khi);
        kf = conseco__key_select(a.tb, a.nf, a.nf - (size_t)m_in - 1u, klo, khi, hist, &knext);
        f = (double)conseco__float_of_key(kf);
    }
    if (base + 0.0 > f && base - 0.0 <= v) {
        *score = 0.0;
        return CONSECO_OK;
    }
    A = th_first_l(base, f, v);
    /* above base: the smallest float >= fb with s - base >= A, then the smallest Yhat key there */
    if (kb <= kmax_f && (double)3.40282347e38f - base >= A) {
        uint32_t kh, k1, k2;
        KEY_SEARCH(kb, kmax_f, (double)conseco__float_of_key(k) - base >= A, kh);
        /* false positives: every key above kf is >= knext */
        if (kh > kf && knext >= kh) k1 = knext;
        else k1 = conseco__key_min_between(a.yk, a.nf, kh - 1u, kmax_f);
        k2 = conseco__key_min_between(a.yk + a.nt, pixels - a.nt, kh - 1u, kmax_f);
        k1 = k1 < k2 ? k1 : k2;
        if (k1 != 0xFFFFFFFFu) best = (double)conseco__float_of_key(k1) - base;
    }
    /* below base: the largest float < fb with base - s >= A, then the largest score there */
    if (kb > kmin_f && base - (double)-3.40282347e38f >= A) {
        uint32_t kl;
        float got;
        /* base - s >= A falls with s: the smallest key where it fails, minus one */
        KEY_SEARCH(kmin_f, kb, !(base - (double)conseco__float_of_key(k) >= A), kl);
        got = f32_max_at_most(pred, a.sum, conseco__float_of_key(kl - 1u));
        if (got > -(float)conseco__inf() && base - (double)got < best) best = base - (double)got;
    }
    *score = best;
    return CONSECO_OK;
}

int conseco__threshold_side_score(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, const conseco_mask *truth,
                                  double tau, void *scratch, size_t scratch_size,
                                  double *score)
{
    const double base = th_base(s);
    const size_t need = conseco__threshold_side_scratch_size(s, side->side, 1, pred->width,
                                                             pred->height, pred->depth);
    void *buf;
    size_t total;
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    buf = conseco__align16(scratch, &scratch_size);
    total = pred->width * pred->height * pred->depth;
    if (th_fast_extra(total, pred->height * pred->depth) != 0) {
        if (pred->dtype == CONSECO_DTYPE_U8)
            return th_score_u8(base, side, pred, truth, tau, (uint32_t *)buf, score);
        if (pred->dtype == CONSECO_DTYPE_F32 && base > -3.0e38 && base < 3.0e38)
            return th_score_f32(base, side, pred, truth, tau, buf, total, score);
    }
    return th_score_general(base, side, pred, truth, tau, (double *)buf, score);
}
