/*
 * Threshold scores on the common model outputs: float32 and 8-bit maps.
 *
 * The score is the smallest breakpoint above l, the (m+1)-th largest
 * false-positive score (threshold.c explains why).
 *
 * Float32: a vectorised pass tests each row against base (as a float
 * threshold equivalent to the contract's double comparison), for NaN/inf and
 * against the truth; the false positives it flags (skipped four at a time
 * when none is) store their 32-bit key. Float bit patterns, sign handled,
 * sort like the floats, so l comes from a radix selection on those keys (11
 * bits of their spread per round, three rounds at most over a shrinking
 * set). A second vectorised pass over the rows and columns holding Yhat (in
 * cache for the usual sizes) finds the smallest score in (l, top]. No sort,
 * no doubles; at most 4 bytes of scratch per pixel.
 *
 * 8-bit: one histogram of 512 bins (value, plus 256 for false positives),
 * eight interleaved copies so that runs of equal values do not serialise on
 * one counter; pixels below base are skipped eight at a time.
 */
#include "threshold_fast.h"

/* SSE2 (every x86-64) for the one loop compilers do not vectorise by
 * themselves (a 32-bit min); plain C elsewhere, same results. */
#if defined(__SSE2__) && !defined(CONSECO_NO_SIMD) && \
    !(defined(CONSECO_FREESTANDING) && CONSECO_FREESTANDING)
#include <emmintrin.h>
#define TF_SIMD 1
#endif

#define DIGIT_BITS 11u
#define U8_COPIES 8u /* interleaved histograms: neighbours often share a value */
#define U8_HIST_BYTES (U8_COPIES * 512u * sizeof(uint32_t))
#define BUCKETS (1u << DIGIT_BITS)

int conseco__threshold_fast_applies(const conseco_threshold_params *p, const conseco_image *pred)
{
    if (pred->dtype == CONSECO_DTYPE_U8 || pred->dtype == CONSECO_DTYPE_MASK8) return 1;
    /* float thresholds must exist for base and top */
    return pred->dtype == CONSECO_DTYPE_F32 && p->base > -3.0e38 && p->base < 3.0e38 &&
           p->top > -3.0e38 && p->top < 3.0e38;
}

/* Scratch. Float32: a histogram, a row of flags, and one key per Yhat pixel
 * at most. 8-bit: the histograms. */
size_t conseco__threshold_fast_scratch_size(int dtype, size_t width, size_t pixels)
{
    size_t keys, flags, total;
    if (dtype != CONSECO_DTYPE_F32) return U8_HIST_BYTES + CONSECO__ALIGN_SLACK;
    if (!conseco__mul_size(pixels, sizeof(uint32_t), &keys) ||
        !conseco__mul_size(width, 2u * sizeof(uint32_t), &flags) ||
        !conseco__add_size(keys, flags, &total) ||
        !conseco__add_size(total, BUCKETS * sizeof(uint32_t), &total) ||
        !conseco__add_size(total, CONSECO__ALIGN_SLACK, &total))
        return 0;
    return total;
}

/* ------------------------------------------------------------- floats */
static uint32_t float_bits(float f)
{
    uint32_t u;
    CONSECO_memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_float(uint32_t u)
{
    float f;
    CONSECO_memcpy(&f, &u, sizeof f);
    return f;
}

/* Order-preserving key of a finite float; -0 and +0 (equal scores) share one. */
static uint32_t key_of(uint32_t u)
{
    u = u == 0x80000000u ? 0u : u;
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static float float_of_key(uint32_t k)
{
    return bits_float((k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k);
}

/* One float step up or down from a finite float. */
static float float_step(float f, int up)
{
    uint32_t u = float_bits(f);
    if (f == 0.0f) return bits_float(up ? 1u : 0x80000001u);
    if ((f > 0.0f) == (up != 0)) u++;
    else u--;
    return bits_float(u);
}

/* The smallest float f with (double)f >= v: s >= f <=> (double)s >= v. */
static float float_at_least(double v)
{
    float f = (float)v; /* |v| < 3e38: in range */
    return (double)f < v ? float_step(f, 1) : f;
}

/* The largest float f with (double)f <= v: s <= f <=> (double)s <= v. */
static float float_at_most(double v)
{
    float f = (float)v;
    return (double)f > v ? float_step(f, 0) : f;
}

/* -------------------------------------------------------------- selection */
static unsigned bit_length(uint32_t v)
{
    unsigned n = 0;
    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

/* The r-th smallest (0-based) of keys[0..n), all within [lo, hi], and in
 * *next the smallest key above it (0xFFFFFFFF, no float's key, if none).
 * Overwrites keys. */
static uint32_t radix_select(uint32_t *keys, size_t n, size_t r, uint32_t lo, uint32_t hi,
                             uint32_t *hist, uint32_t *next)
{
    uint32_t above = 0xFFFFFFFFu;
    for (;;) {
        const unsigned len = bit_length(hi - lo);
        const unsigned shift = len > DIGIT_BITS ? len - DIGIT_BITS : 0u;
        const uint32_t buckets = ((hi - lo) >> shift) + 1u;
        size_t i, j = 0, acc = 0;
        uint32_t b;
        if (lo == hi) break;
        CONSECO_memset(hist, 0, buckets * sizeof(uint32_t));
        for (i = 0; i < n; i++) hist[(keys[i] - lo) >> shift]++;
        if (r < n / 2) { /* scan from the nearer end */
            for (b = 0; acc + hist[b] <= r; b++) acc += hist[b];
        } else {
            size_t above_b = 0;
            for (b = buckets - 1u; above_b + hist[b] <= n - 1u - r; b--) above_b += hist[b];
            acc = n - above_b - hist[b];
        }
        r -= acc;
        /* keep bucket b in place; remember the smallest key of the ones above */
        for (i = 0; i < n; i++) {
            const uint32_t k = keys[i], kb = (k - lo) >> shift;
            above = kb > b && k < above ? k : above;
            keys[j] = k;
            j += kb == b;
        }
        n = j;
        lo += b << shift;
        if (shift == 0) break;
        if (hi - lo > (1u << shift) - 1u) hi = lo + ((1u << shift) - 1u);
    }
    *next = above;
    return lo;
}

/* ------------------------------------------------------------------ score */
/* Calls `body` for every x < w whose 32-bit flag is set, skipping four clear
 * flags at a time (Yhat comes in large regions). */
#define FOR_FLAGGED(flags, w, body)                                                         \
    do {                                                                                    \
        size_t x_, end_;                                                                    \
        for (x_ = 0; x_ < (w); x_ += 4) {                                                   \
            end_ = x_ + 4 < (w) ? x_ + 4 : (w);                                             \
            if (end_ == x_ + 4 &&                                                           \
                ((flags)[x_] | (flags)[x_ + 1] | (flags)[x_ + 2] | (flags)[x_ + 3]) == 0)   \
                continue;                                                                   \
            for (x = x_; x < end_; x++)                                                     \
                if ((flags)[x]) { body }                                                    \
        }                                                                                   \
    } while (0)

/* Signed-order key of float bits: sorts like the floats, -0 as +0. (The
 * unsigned keys of key_of() with the top bit flipped.) */
static int32_t signed_key(uint32_t u)
{
    u &= 0u - (uint32_t)(u != 0x80000000u);
    u ^= (0u - (u >> 31)) & 0x7FFFFFFFu;
    return (int32_t)u;
}

/* The smallest signed key in (lo, hi] among row[0..n), INT32_MAX if none. */
static int32_t min_key_between(const float *row, size_t n, int32_t lo, int32_t hi)
{
    int32_t best = INT32_MAX;
    size_t x = 0;
#ifdef TF_SIMD
    {
        const __m128i vlo = _mm_set1_epi32(lo), vhi = _mm_set1_epi32(hi);
        const __m128i m80 = _mm_set1_epi32(INT32_MIN), m7f = _mm_set1_epi32(INT32_MAX);
        __m128i vbest = _mm_set1_epi32(INT32_MAX);
        int32_t lane[4];
        size_t j;
        for (; x + 4 <= n; x += 4) {
            __m128i u = _mm_loadu_si128((const __m128i *)(const void *)(row + x));
            __m128i k, in, lt;
            u = _mm_andnot_si128(_mm_cmpeq_epi32(u, m80), u);     /* -0 -> +0 */
            k = _mm_xor_si128(u, _mm_and_si128(_mm_srai_epi32(u, 31), m7f));
            in = _mm_andnot_si128(_mm_cmpgt_epi32(k, vhi), _mm_cmpgt_epi32(k, vlo));
            lt = _mm_and_si128(in, _mm_cmplt_epi32(k, vbest));
            vbest = _mm_or_si128(_mm_and_si128(lt, k), _mm_andnot_si128(lt, vbest));
        }
        _mm_storeu_si128((__m128i *)(void *)lane, vbest);
        for (j = 0; j < 4; j++) best = lane[j] < best ? lane[j] : best;
    }
#endif
    for (; x < n; x++) {
        uint32_t u;
        int32_t k;
        CONSECO_memcpy(&u, row + x, sizeof u);
        k = signed_key(u);
        best = (k > lo && k <= hi && k < best) ? k : best;
    }
    return best;
}

static int score_f32(const conseco_threshold_params *p, const conseco_image *pred,
                     const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                     double *score)
{
    const size_t w = pred->width, h = pred->height, d = pred->depth;
    const float base = float_at_least(p->base), top = float_at_most(p->top);
    const uint32_t ktop = key_of(float_bits(top));
    size_t need, pixels, nrows = h * d, n, x, nfp = 0, r0 = (size_t)-1, r1 = 0, c0, c1;
    uint64_t m, predicted = 0;
    uint32_t *hist, *flags, *colany, *keys, kmin = 0xFFFFFFFFu, kmax = 0, kl, knext;
    int32_t above;
    unsigned char *area;
    int finite = 1;

    if (!conseco__mul_size(w, h, &pixels) || !conseco__mul_size(pixels, d, &pixels) ||
        (need = conseco__threshold_fast_scratch_size(CONSECO_DTYPE_F32, w, pixels)) == 0)
        return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    area = (unsigned char *)conseco__align16(scratch, &scratch_size);
    hist = (uint32_t *)(void *)area;
    flags = hist + BUCKETS;
    colany = flags + w;
    keys = colany + w;
    CONSECO_memset(colany, 0, w * sizeof(uint32_t));

    /* pass 1: |Yhat|, its rows and columns, the false positives' keys */
    for (n = 0; n < nrows; n++) {
        const float *s = (const float *)(const void *)conseco__image_row(pred, n % h, n / h);
        const uint8_t *t = conseco__mask_row(truth, n % h, n / h);
        uint32_t count = 0, any = 0; /* count <= w */
        unsigned ok = 1;
        for (x = 0; x < w; x++) { /* 32-bit lanes throughout: it vectorises */
            const float v = s[x];
            const uint32_t in = v >= base;
            ok &= (unsigned)(v - v == 0.0f); /* NaN and inf fail */
            flags[x] = in & (uint32_t)(t[x] == 0);
            colany[x] |= in;
            count += in;
            any |= flags[x];
        }
        if (!ok) finite = 0;
        if (count != 0) {
            if (r0 == (size_t)-1) r0 = n;
            r1 = n;
            predicted += count;
        }
        if (any)
            FOR_FLAGGED(flags, w, {
                const uint32_t k = key_of(float_bits(s[x]));
                keys[nfp++] = k;
                kmin = k < kmin ? k : kmin;
                kmax = k > kmax ? k : kmax;
            });
    }
    if (!finite) return CONSECO_E_NONFINITE;
    m = conseco__fp_budget(predicted, tau);
    if ((uint64_t)nfp <= m) {
        *score = p->base;
        return CONSECO_OK;
    }
    /* l = the (m+1)-th largest false positive = the (nfp - m)-th smallest */
    kl = radix_select(keys, nfp, nfp - (size_t)m - 1u, kmin, kmax, hist, &knext);
    (void)knext;
    /* pass 2, over the rows and columns holding Yhat: the smallest score in
     * (l, top]; l >= base, so every such pixel is in Yhat */
    for (c0 = 0; !colany[c0]; c0++) continue;
    for (c1 = w - 1; !colany[c1]; c1--) continue;
    above = INT32_MAX;
    for (n = r0; n <= r1; n++) {
        const float *s = (const float *)(const void *)conseco__image_row(pred, n % h, n / h);
        const int32_t b = min_key_between(s + c0, c1 - c0 + 1, (int32_t)(kl ^ 0x80000000u),
                                          (int32_t)(ktop ^ 0x80000000u));
        above = b < above ? b : above;
    }
    if (above != INT32_MAX) /* a pixel's score is the breakpoint */
        *score = (double)float_of_key((uint32_t)above ^ 0x80000000u);
    else
        *score = p->top > (double)float_of_key(kl) ? p->top : conseco__inf();
    return CONSECO_OK;
}

/* ------------------------------------------------------------- 8-bit maps */
/*
 * One histogram of 512 bins: the value, plus 256 for false positives (truth
 * 0). Only Yhat pixels are counted; groups of 8 pixels below base are skipped
 * after one test. From it: |Yhat|, the false positives per value, and which
 * values occur in Yhat (the breakpoints).
 */
static int score_u8(const conseco_threshold_params *p, const conseco_image *pred,
                    const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                    double *score)
{
    const int mask8 = pred->dtype == CONSECO_DTYPE_MASK8;
    const size_t w = pred->width;
    uint32_t *h = (uint32_t *)conseco__align16(scratch, &scratch_size);
    unsigned first_in = 256; /* the smallest value in Yhat */
    size_t b, k, y, z, x, x0;
    uint64_t predicted = 0, nfp = 0, acc = 0, m;
    double l;
    for (b = 0; b < 256; b++)
        if ((double)b / 255.0 >= p->base) {
            first_in = (unsigned)b;
            break;
        }
    CONSECO_memset(h, 0, U8_HIST_BYTES);
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const uint8_t *s = conseco__image_row(pred, y, z);
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x0 = 0; x0 < w; x0 += 8) {
                const size_t end = x0 + 8 < w ? x0 + 8 : w;
                unsigned any = 0;
                for (x = x0; x < end; x++) any |= (mask8 ? (s[x] ? 255u : 0u) : s[x]) >= first_in;
                if (!any) continue;
                /* all eight: bins below base are never read, and no branch */
                for (x = x0; x < end; x++) {
                    const unsigned v = mask8 ? (s[x] ? 255u : 0u) : s[x];
                    h[(x & (U8_COPIES - 1u)) * 512u + v + ((unsigned)(t[x] == 0) << 8)]++;
                }
            }
        }
    for (b = first_in; b < 256; b++) {
        for (k = 1; k < U8_COPIES; k++) {
            h[b] += h[k * 512u + b];
            h[256 + b] += h[k * 512u + 256 + b];
        }
        predicted += (uint64_t)h[b] + h[256 + b];
        nfp += h[256 + b];
    }
    m = conseco__fp_budget(predicted, tau);
    if (nfp <= m) {
        *score = p->base;
        return CONSECO_OK;
    }
    /* l = the (m+1)-th largest false positive; then the next value in Yhat */
    for (b = 256; b-- > first_in;) {
        acc += h[256 + b];
        if (acc > m) break;
    }
    l = (double)b / 255.0;
    for (b = b + 1; b < 256; b++)
        if (h[b] + h[256 + b] != 0) break;
    if (b < 256 && (double)b / 255.0 <= p->top) *score = (double)b / 255.0;
    else *score = p->top > l ? p->top : conseco__inf();
    return CONSECO_OK;
}

int conseco__threshold_fast_score(const conseco_threshold_params *p, const conseco_image *pred,
                                  const conseco_mask *truth, double tau, void *scratch,
                                  size_t scratch_size, double *score)
{
    if (pred->dtype == CONSECO_DTYPE_F32)
        return score_f32(p, pred, truth, tau, scratch, scratch_size, score);
    if (scratch == NULL || scratch_size < conseco__threshold_fast_scratch_size(pred->dtype, 0, 0))
        return CONSECO_E_SCRATCH_TOO_SMALL;
    return score_u8(p, pred, truth, tau, scratch, scratch_size, score);
}
