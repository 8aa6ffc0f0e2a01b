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
 * <= X_lo comes from the row summaries, reading again only rows that hold
 * scores on both sides of X_lo.
 * 8-bit maps: the same in 256-bin histograms (4 interleaved copies), the
 * largest value <= X_lo from a second pass that stops at X_lo itself.
 * Other dtypes: a collection of doubles and one O(N) selection.
 */
#include "threshold_fast.h"

#define TH_BINS 256u
#define TH_COPIES 4u /* interleaved 8-bit histograms: neighbours often share a value */

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
    const size_t hist = sizeof(uint32_t) * (CONSECO__KEY_BUCKETS > 4u * TH_COPIES * TH_BINS
                                                ? CONSECO__KEY_BUCKETS
                                                : 4u * TH_COPIES * TH_BINS);
    if (pixels >= (size_t)UINT32_MAX || rows > pixels / 4u || pixels < hist / 8u) return 0;
    return hist + rows * 2u * sizeof(float); /* <= pixels * (8 + 4) */
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
 * below base, 2 false positive, 3 Yhat and truth. */
#define U8_SLOT(copy, cls, val) (((size_t)(copy) * 4u + (size_t)(cls)) * TH_BINS + (size_t)(val))

/* One row: counts truth pixels, histograms (outer) truth below k0, (band)
 * every class. */
static inline void u8_side_row(const uint8_t *s, const uint8_t *t, size_t w, unsigned k0,
                               int band, uint32_t *h, uint64_t *ntruth)
{
    size_t x = 0;
    uint64_t nt = 0;
#ifdef CONSECO__SIMD
    {
        /* k0 <= 255 here: v >= k0 <=> max(v, k0) == v */
        const conseco__m128i vk = conseco__mm_set1_epi8((char)k0), zero = conseco__mm_setzero_si128();
        for (; x + 16 <= w; x += 16) {
            const conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(s + x));
            const unsigned tm = 0xFFFFu & ~(unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(
                                    conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(t + x)), zero));
            unsigned in = 0, i;
            uint8_t val[16];
            if (band) in = (unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, vk), v));
            if ((tm | in) == 0) continue;
            nt += popcount16(tm);
            if (!band) {
                in = (unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, vk), v));
                if ((tm & ~in) == 0) continue;
            }
            conseco__mm_storeu_si128((conseco__m128i *)(void *)val, v);
            for (i = 0; i < 16; i++) {
                const unsigned tr = (tm >> i) & 1u, yh = (in >> i) & 1u;
                /* outer: class 1 or the sink; band: 1, 2, 3 or the sink */
                const unsigned cls = band ? (yh ? 2u + tr : tr) : tr & (yh ^ 1u);
                h[U8_SLOT(i & (TH_COPIES - 1u), cls, val[i])]++;
            }
        }
    }
#endif
    for (; x < w; x++) {
        const unsigned tr = t[x] != 0, yh = s[x] >= k0;
        const unsigned cls = band ? (yh ? 2u + tr : tr) : tr & (yh ^ 1u);
        nt += tr;
        h[U8_SLOT(x & (TH_COPIES - 1u), cls, s[x])]++;
    }
    *ntruth += nt;
}

/* The largest value <= lim (< k0) of the map, -1 if none. Stops at lim. */
static int u8_max_at_most(const conseco_image *pred, unsigned lim)
{
    const size_t w = pred->width;
    size_t y, z;
    int best = -1;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint8_t *s = conseco__image_row(pred, y, z);
            size_t x = 0;
#ifdef CONSECO__SIMD
            {
                /* v <= lim <=> min(v, lim) == v; others count as 0 with a flag */
                const conseco__m128i vl = conseco__mm_set1_epi8((char)lim);
                conseco__m128i vmax = conseco__mm_setzero_si128(), any = vmax;
                for (; x + 16 <= w; x += 16) {
                    const conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(s + x));
                    const conseco__m128i le = conseco__mm_cmpeq_epi8(conseco__mm_min_epu8(v, vl), v);
                    any = conseco__mm_or_si128(any, le);
                    vmax = conseco__mm_max_epu8(vmax, conseco__mm_and_si128(v, le));
                }
                if (conseco__mm_movemask_epi8(any)) {
                    uint8_t lane[16];
                    unsigned i;
                    conseco__mm_storeu_si128((conseco__m128i *)(void *)lane, vmax);
                    for (i = 0; i < 16; i++) best = (int)lane[i] > best ? (int)lane[i] : best;
                    /* a lane with no value <= lim holds 0 but `any` says a value exists;
                     * the maximum of the lanes that have one is at least 0 */
                }
            }
#endif
            for (; x < w; x++)
                if (s[x] <= lim && (int)s[x] > best) best = (int)s[x];
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
    size_t n, b, c;
    uint64_t predicted = 0, ntruth = 0, nfp = 0, nlow = 0, acc, m_in, m_out;
    double f = -conseco__inf(), v = conseco__inf(), A, best = conseco__inf();
    CONSECO_memset(h, 0, sizeof *h * TH_COPIES * 4u * TH_BINS);
    /* Yhat empty (k0 = 256): classified against 255, then 255 moved below base */
    if (band || k0 > 255u)
        for (n = 0; n < nrows; n++)
            u8_side_row(conseco__image_row(pred, n % hgt, n / hgt),
                        conseco__mask_row(truth, n % hgt, n / hgt), pred->width,
                        k0 > 255u ? 255u : k0, 1, h, &ntruth);
    else
        for (n = 0; n < nrows; n++)
            u8_side_row(conseco__image_row(pred, n % hgt, n / hgt),
                        conseco__mask_row(truth, n % hgt, n / hgt), pred->width, k0, 0, h, &ntruth);
    for (c = 1; c < TH_COPIES; c++)
        for (b = 0; b < 4u * TH_BINS; b++) h[b] += h[c * 4u * TH_BINS + b];
    if (k0 > 255u) {
        h[U8_SLOT(0, 1, 255)] += h[U8_SLOT(0, 3, 255)];
        h[U8_SLOT(0, 2, 255)] = h[U8_SLOT(0, 3, 255)] = 0;
    }
    for (b = 0; b < TH_BINS; b++) {
        nlow += h[U8_SLOT(0, 1, b)];
        nfp += h[U8_SLOT(0, 2, b)];
        predicted += h[U8_SLOT(0, 2, b)] + h[U8_SLOT(0, 3, b)];
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
    /* above base: the smallest Yhat value with value/255 - base >= A */
    for (b = k0; b < TH_BINS; b++) {
        const double sv = (double)b / 255.0;
        if (sv - base >= A) {
            for (; b < TH_BINS; b++)
                if (h[U8_SLOT(0, 2, b)] + h[U8_SLOT(0, 3, b)] != 0) {
                    best = (double)b / 255.0 - base;
                    break;
                }
            break;
        }
    }
    /* below base: the largest value with base - value/255 >= A */
    for (b = k0 < TH_BINS ? k0 : TH_BINS; b-- > 0;) {
        const double sv = (double)b / 255.0;
        if (base - sv >= A) {
            /* the truth below base is known; other values need the map */
            size_t t;
            int got = -1;
            for (t = b + 1u; t-- > 0;)
                if (h[U8_SLOT(0, 1, t)] != 0) {
                    got = (int)t;
                    break;
                }
            if (got != (int)b) got = u8_max_at_most(pred, (unsigned)b);
            if (got >= 0 && base - (double)got / 255.0 < best) best = base - (double)got / 255.0;
            break;
        }
    }
    *score = best;
    return CONSECO_OK;
}

/* -------------------------------------------------------- float32 maps */
/* Key stores of one pass. */
typedef struct f32_side {
    uint32_t *yk;       /* band: false positives from the front, other Yhat from the back */
    size_t nf, nt;
    uint32_t *tb;       /* truth below base */
    size_t ntb;
    uint64_t ntruth;
    float *rmin, *rmaxb; /* band: per row, the smallest score and the largest below base */
} f32_side;

/* One row; 0 if it holds a NaN or an infinity. */
static inline int f32_side_row(f32_side *a, const float *s, const uint8_t *t, size_t w,
                               float base, int band, size_t row)
{
    size_t x = 0;
    uint64_t nt = 0;
    float rmin = (float)conseco__inf(), rmaxb = -(float)conseco__inf();
    int ok = 1;
#ifdef CONSECO__SIMD
    {
        const conseco__m128 vb = conseco__mm_set1_ps(base);
        const conseco__m128i zero = conseco__mm_setzero_si128();
        conseco__m128 v[4], vmin = conseco__mm_set1_ps(rmin), vmax = conseco__mm_set1_ps(rmaxb);
        conseco__m128 bad = conseco__mm_setzero_ps();
        float lane[4];
        unsigned i;
        for (; x + 16 <= w; x += 16) {
            unsigned yh, tm, in = 0, want;
            conseco__prefetch(s + x, CONSECO__PREFETCH_AHEAD);
            yh = (unsigned)conseco__f32x16_maybe_in(s + x, vb, v, &vmin);
            tm = 0xFFFFu & ~(unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(
                                 conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(t + x)), zero));
            if (band && yh == 0) /* all below base, no NaN */
                vmax = conseco__mm_max_ps(vmax, conseco__mm_max_ps(conseco__mm_max_ps(v[0], v[1]),
                                                                   conseco__mm_max_ps(v[2], v[3])));
            if ((yh | tm) == 0) continue;
            nt += popcount16(tm);
            if (yh != 0) {
                conseco__m128 inv[4];
                int j;
                for (j = 0; j < 4; j++) {
                    inv[j] = conseco__mm_cmpge_ps(v[j], vb);
                    bad = conseco__mm_or_ps(bad, conseco__mm_sub_ps(v[j], v[j]));
                    /* Yhat lanes turn NaN: max() keeps its second operand */
                    if (band) vmax = conseco__mm_max_ps(conseco__mm_or_ps(v[j], inv[j]), vmax);
                }
                in = (unsigned)conseco__mm_movemask_epi8(conseco__mm_packs_epi16(
                    conseco__mm_packs_epi32(conseco__mm_castps_si128(inv[0]), conseco__mm_castps_si128(inv[1])),
                    conseco__mm_packs_epi32(conseco__mm_castps_si128(inv[2]), conseco__mm_castps_si128(inv[3]))));
            }
            want = band ? (in | tm) : (tm & ~in);
            if (want == 0) continue;
            if (!band && want == 0xFFFFu) { /* all truth below base */
                int j;
                for (j = 0; j < 4; j++)
                    conseco__mm_storeu_si128((conseco__m128i *)(void *)(a->tb + a->ntb + 4u * (size_t)j),
                                             conseco__keys4(v[j]));
                a->ntb += 16;
            } else {
                uint32_t kk[16];
                int j;
                for (j = 0; j < 4; j++)
                    conseco__mm_storeu_si128((conseco__m128i *)(void *)(kk + 4 * j), conseco__keys4(v[j]));
                if (!band) {
                    size_t n = a->ntb;
                    for (i = 0; i < 16; i++) {
                        a->tb[n] = kk[i];
                        n += (want >> i) & 1u;
                    }
                    a->ntb = n;
                } else {
                    const unsigned fp = in & ~tm, tp = in & tm, tb = tm & ~in;
                    size_t nf = a->nf, ntp = a->nt, ntb = a->ntb;
                    for (i = 0; i < 16; i++) {
                        const uint32_t k = kk[i];
                        a->yk[nf] = k;
                        a->yk[ntp - 1u] = k;
                        a->tb[ntb] = k;
                        nf += (fp >> i) & 1u;
                        ntp -= (tp >> i) & 1u;
                        ntb += (tb >> i) & 1u;
                    }
                    a->nf = nf;
                    a->nt = ntp;
                    a->ntb = ntb;
                }
            }
        }
        ok &= !conseco__f32_min_is_neg_inf(vmin);
        ok &= conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi32(conseco__mm_castps_si128(bad),
                                                                 conseco__mm_setzero_si128())) == 0xFFFF;
        if (band) {
            conseco__mm_storeu_ps(lane, vmin);
            for (i = 0; i < 4; i++) rmin = lane[i] < rmin ? lane[i] : rmin;
            conseco__mm_storeu_ps(lane, vmax);
            for (i = 0; i < 4; i++) rmaxb = lane[i] > rmaxb ? lane[i] : rmaxb;
        }
    }
#endif
    for (; x < w; x++) {
        const float sv = s[x];
        const unsigned tr = t[x] != 0;
        ok &= sv - sv == 0.0f;
        nt += tr;
        if (sv >= base) {
            if (band) {
                const uint32_t k = conseco__key_of(conseco__f32_bits(sv));
                if (tr) a->yk[--a->nt] = k;
                else a->yk[a->nf++] = k;
            }
        } else {
            if (tr) a->tb[a->ntb++] = conseco__key_of(conseco__f32_bits(sv));
            rmaxb = sv > rmaxb ? sv : rmaxb;
        }
        rmin = sv < rmin ? sv : rmin;
    }
    if (band) {
        a->rmin[row] = rmin;
        a->rmaxb[row] = rmaxb;
    }
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

/* The largest score <= xlo of the map (-inf if none), from the row summaries
 * and the rows holding scores on both sides of xlo. */
static float f32_max_at_most(const conseco_image *pred, const float *rmin, const float *rmaxb,
                             float xlo)
{
    const size_t w = pred->width, hgt = pred->height, nrows = pred->height * pred->depth;
    float best = -(float)conseco__inf();
    size_t n;
    for (n = 0; n < nrows; n++) {
        const float *s;
        size_t x = 0;
        if (rmaxb[n] <= xlo) { /* every score below base in the row is <= xlo */
            best = rmaxb[n] > best ? rmaxb[n] : best;
            continue;
        }
        if (rmin[n] > xlo) continue;
        s = (const float *)(const void *)conseco__image_row(pred, n % hgt, n / hgt);
#ifdef CONSECO__SIMD
        {
            /* lanes above xlo turn NaN: max() keeps its second operand */
            const conseco__m128 up = conseco__mm_set1_ps(conseco__f32_step(xlo, 1));
            conseco__m128 m = conseco__mm_set1_ps(best);
            float lane[4];
            unsigned i;
            for (; x + 4 <= w; x += 4) {
                const conseco__m128 v = conseco__mm_loadu_ps(s + x);
                m = conseco__mm_max_ps(conseco__mm_or_ps(v, conseco__mm_cmpge_ps(v, up)), m);
            }
            conseco__mm_storeu_ps(lane, m);
            for (i = 0; i < 4; i++) best = lane[i] > best ? lane[i] : best;
        }
#endif
        for (; x < w; x++) best = s[x] <= xlo && s[x] > best ? s[x] : best;
    }
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
    uint32_t *hist = (uint32_t *)scratch, klo, khi, knext;
    f32_side a;
    size_t n;
    uint64_t m_in, m_out, predicted;
    double f = -conseco__inf(), v = conseco__inf(), A, best = conseco__inf();
    int finite = 1;
    a.yk = hist + CONSECO__KEY_BUCKETS;
    a.tb = a.yk + pixels;
    a.rmin = (float *)(void *)(a.tb + pixels);
    a.rmaxb = a.rmin + nrows;
    a.nf = a.ntb = 0;
    a.nt = pixels;
    a.ntruth = 0;
    if (band)
        for (n = 0; n < nrows; n++)
            finite &= f32_side_row(&a, (const float *)(const void *)conseco__image_row(pred, n % hgt, n / hgt),
                                   conseco__mask_row(truth, n % hgt, n / hgt), pred->width, fb, 1, n);
    else
        for (n = 0; n < nrows; n++)
            finite &= f32_side_row(&a, (const float *)(const void *)conseco__image_row(pred, n % hgt, n / hgt),
                                   conseco__mask_row(truth, n % hgt, n / hgt), pred->width, fb, 0, n);
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
        CONSECO_memcpy(a.tb, a.yk, a.nf * sizeof *a.tb);
        conseco__key_range(a.tb, a.nf, &klo, &khi);
        f = (double)conseco__float_of_key(
            conseco__key_select(a.tb, a.nf, a.nf - (size_t)m_in - 1u, klo, khi, hist, &knext));
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
        k1 = conseco__key_min_between(a.yk, a.nf, kh - 1u, kmax_f);
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
        got = f32_max_at_most(pred, a.rmin, a.rmaxb, conseco__float_of_key(kl - 1u));
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
