/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Level map of the smooth shrinker, row by row (docs/DESIGN.md, "Smooth
 * shrinker").
 *
 * GAUSS: L = x-pass(y-pass(z-pass(s))). A pass along an axis with kernel
 * radius R and weights w_0..w_R (w_k = g_k / (g_0 + 2 g_1 + ... + 2 g_R),
 * g_k = e^(-k^2 / (2 sigma^2)), R = floor(4 sigma)) computes, at every
 * position, with a_k the value k steps away (clamped to the image):
 *
 *     acc = w_0 * a_0;  for k = 1..R: acc = acc + w_k * (a_-k + a_k)
 *
 * in double, in exactly this order. Axes of length 1 and axes with R = 0
 * are skipped (the identity). The order is the same whether a loop runs over
 * a row (vectorised or not) or over one pixel, and nothing is contracted
 * into fused multiply-adds (C11 mode for gcc, the pragma below for clang),
 * so every build gives the same bits. Finally -0 becomes +0 and a sum that
 * overflowed is clamped to the largest finite double.
 *
 * MIN: L(p) = min of s over the element of radius r centred at p, positions
 * clamped to the image (the edge is replicated, which for a minimum is the
 * same as leaving outside pixels out). Exact, whatever the order.
 *
 * Only the rows that hold Yhat are computed, and in them only the span of
 * Yhat (plus the kernel radius for the first passes).
 */
#include "smooth_levels.h"
#include "common/yhat.h"
#include "common/simd.h"
#include "common/bits.h"

/* No fused multiply-adds, whatever the including build's flags (gcc in GNU
 * mode contracts by default, and aarch64 has FMA): the levels must not
 * depend on the platform or the build. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define DBL_MAX_ 1.7976931348623157e308

/* ------------------------------------------------------------------ exp */
double conseco__smooth_exp_neg(double t)
{
    /* e^-t = 2^-n * e^-r, n = round(t / ln 2), |r| <= ln2 / 2; ln 2 split in
     * a high part with trailing zero bits (n * LN2_HI is exact) and the rest */
    static const double LN2_HI = 6.93147180369123816490e-01;
    static const double LN2_LO = 1.90821492927058770002e-10;
    static const double INV_LN2 = 1.44269504088896338700e+00;
    double r, p;
    int n, k;
    n = (int)(t * INV_LN2 + 0.5);
    r = ((double)n * -LN2_HI + t) - (double)n * LN2_LO;
    /* e^-r by its Taylor series (Horner, 22 terms: the tail is below 1e-25) */
    p = 1.0;
    for (k = 22; k >= 1; k--) p = 1.0 - (r / (double)k) * p;
    for (k = 0; k < n; k++) p *= 0.5; /* exact: e^-64 is far from subnormal */
    return p;
}

/* ----------------------------------------------------------------- plan */
/* Kernel radius and weights of one axis; sigma in pixels, 0 < sigma <= SIGMA_MAX. */
static void axis_kernel(double sigma, size_t *r, double *w)
{
    const double four = 4.0 * sigma;
    size_t k, R = 0;
    double sum;
    while ((double)(R + 1u) <= four) R++; /* R = floor(4 sigma) <= 64 */
    w[0] = 1.0;
    sum = 1.0;
    for (k = 1; k <= R; k++) {
        const double q = (double)k / sigma;
        w[k] = conseco__smooth_exp_neg(0.5 * q * q);
        sum = sum + 2.0 * w[k];
    }
    for (k = 0; k <= R; k++) w[k] = w[k] / sum;
    *r = R;
}

int conseco__smooth_plan_make(const conseco_smooth_params *p, const conseco_image *pred,
                              conseco__smooth_plan *plan)
{
    const size_t len[3] = {pred->width, pred->height, pred->depth};
    double spacing[3];
    unsigned a;
    CONSECO_memset(plan, 0, sizeof *plan);
    plan->dtype = pred->dtype;
    plan->width = pred->width;
    plan->height = pred->height;
    plan->depth = pred->depth;
    plan->base = p->base;
    plan->filter = p->filter;
    plan->element = p->element;
    plan->radius = p->radius;
    if (p->filter != CONSECO_SMOOTH_GAUSS) return CONSECO_OK;
    conseco__image_spacing(pred, spacing);
    for (a = 0; a < 3u; a++) {
        double sigma = p->sigma;
        plan->w[a][0] = 1.0; /* R = 0: the identity */
        if (len[a] < 2u) continue; /* not blurred */
        if (p->units == CONSECO_UNITS_MM) {
            sigma = p->sigma / spacing[a];
            if (!(sigma <= CONSECO_SMOOTH_SIGMA_MAX)) return CONSECO_E_BAD_SHRINKER;
        }
        axis_kernel(sigma, &plan->r[a], plan->w[a]);
    }
    return CONSECO_OK;
}

/* ----------------------------------------------------------- row scans */
static inline size_t clamp_add(size_t i, size_t k, size_t n) { return i + k < n ? i + k : n - 1u; }
static inline size_t clamp_sub(size_t i, size_t k) { return i >= k ? i - k : 0u; }

static int is_float(int dtype) { return dtype == CONSECO_DTYPE_F32 || dtype == CONSECO_DTYPE_F64; }

int conseco__smooth_row_extent(const conseco__smooth_plan *plan, const unsigned char *row,
                               size_t *xa, size_t *xb, int *finite)
{
    const size_t w = plan->width;
    size_t x;
    if (plan->dtype == CONSECO_DTYPE_F32) {
        /* blocks of 16: a block that cannot hold Yhat, NaN or +inf is skipped
         * after one vector test (-inf shows in the running minimum); the
         * others are tested exactly. Same answer with or without SIMD. */
        const float *f = (const float *)(const void *)row;
        const float fb = conseco__f32_at_least(plan->base); /* f >= fb <=> (double)f >= base */
        size_t first = w, last = 0, x0 = 0;
        unsigned bad = 0;
#ifdef CONSECO__SIMD
        const conseco__m128 vb = conseco__mm_set1_ps(fb);
        conseco__m128 vmin = conseco__mm_set1_ps(0.0f), v[4];
        const conseco__m128i expo = conseco__mm_set1_epi32(0x7F800000);
        for (; x0 + 16u <= w; x0 += 16u) {
            unsigned in = 0, i;
            conseco__m128i nf = conseco__mm_setzero_si128();
            conseco__prefetch(f + x0, CONSECO__PREFETCH_AHEAD);
            if (!conseco__f32x16_maybe_in(f + x0, vb, v, &vmin)) continue;
            /* exact: lanes in Yhat (f >= fb; NaN is not) and lanes NaN/inf */
            for (i = 0; i < 4u; i++) {
                const conseco__m128i e = conseco__mm_and_si128(conseco__mm_castps_si128(v[i]), expo);
                nf = conseco__mm_or_si128(nf, conseco__mm_cmpeq_epi32(e, expo));
                in |= (unsigned)conseco__mm_movemask_ps(conseco__mm_cmpge_ps(v[i], vb)) << (4u * i);
            }
            if (conseco__mm_movemask_epi8(nf)) bad = 1;
            if (in) {
                unsigned lo = 0, hi = 15;
                while (!((in >> lo) & 1u)) lo++;
                while (!((in >> hi) & 1u)) hi--;
                if (first == w) first = x0 + lo;
                last = x0 + hi;
            }
        }
        if (conseco__f32_min_is_neg_inf(vmin)) bad = 1;
#endif
        for (x = x0; x < w; x++) {
            uint32_t u;
            CONSECO_memcpy(&u, &f[x], sizeof u);
            bad |= (unsigned)((u & 0x7F800000u) == 0x7F800000u);
            if (f[x] >= fb) {
                if (first == w) first = x;
                last = x;
            }
        }
        if (bad) *finite = 0;
        if (first == w) return 0;
        *xa = first;
        *xb = last;
        return 1;
    }
    {
        size_t first = w, last = 0;
        int ok = 1;
        for (x = 0; x < w; x++) {
            const double s = conseco__pixel(plan->dtype, row, x);
            if (is_float(plan->dtype)) ok &= s - s == 0.0;
            if (s >= plan->base) {
                if (first == w) first = x;
                last = x;
            }
        }
        if (!ok) *finite = 0;
        *xa = first;
        *xb = last;
        return first < w;
    }
}

#define RUN_GAP 16u

/* Bit q set if pixel x + q is in Yhat, q < len <= 16. */
static unsigned yhat_bits(const float *f, size_t x, size_t len, float fb)
{
    unsigned b = 0, q;
#ifdef CONSECO__SIMD
    if (len == 16u) {
        const conseco__m128 vb = conseco__mm_set1_ps(fb);
        for (q = 0; q < 16u; q += 4u)
            b |= (unsigned)conseco__mm_movemask_ps(
                     conseco__mm_cmpge_ps(conseco__mm_loadu_ps(f + x + q), vb))
                 << q;
        return b;
    }
#endif
    for (q = 0; q < len; q++) b |= (unsigned)(f[x + q] >= fb) << q;
    return b;
}

int conseco__smooth_next_run(const conseco__smooth_plan *plan, const unsigned char *row,
                             size_t from, size_t xb, size_t *x0, size_t *x1)
{
    size_t x, last;
    if (plan->dtype == CONSECO_DTYPE_F32) {
        /* 16 pixels per step; a run ends at its last Yhat pixel before a
         * block of 16 with none, or at the chunk size */
        const float *f = (const float *)(const void *)row;
        const float fb = conseco__f32_at_least(plan->base);
        size_t end;
        unsigned m = 0;
        for (x = from; x <= xb; x += 16u) {
            const size_t len = xb - x + 1u < 16u ? xb - x + 1u : 16u;
            if ((m = yhat_bits(f, x, len, fb)) != 0) break;
        }
        if (x > xb) return 0;
        *x0 = last = x + conseco__ctz32(m);
        end = xb - *x0 < CONSECO__SMOOTH_CHUNK ? xb : *x0 + CONSECO__SMOOTH_CHUNK - 1u;
        for (x = *x0 + 1u; x <= end; x += 16u) {
            const size_t len = end - x + 1u < 16u ? end - x + 1u : 16u;
            if ((m = yhat_bits(f, x, len, fb)) == 0) break;
            last = x + 31u - conseco__clz32(m);
        }
    } else {
        for (x = from; x <= xb && !(conseco__pixel(plan->dtype, row, x) >= plan->base); x++)
            continue;
        if (x > xb) return 0;
        *x0 = last = x;
        for (x++; x <= xb && x - *x0 < CONSECO__SMOOTH_CHUNK && x - last <= RUN_GAP; x++)
            if (conseco__pixel(plan->dtype, row, x) >= plan->base) last = x;
    }
    *x1 = last;
    return 1;
}

int conseco__smooth_next_run2(const conseco__smooth_plan *plan, const unsigned char *row0,
                              const unsigned char *row1, size_t from, size_t xb, size_t *x0,
                              size_t *x1)
{
    const float *f = (const float *)(const void *)row0, *g = (const float *)(const void *)row1;
    const float fb = conseco__f32_at_least(plan->base);
    size_t x, end, last;
    unsigned m = 0;
    for (x = from; x <= xb; x += 16u) {
        const size_t len = xb - x + 1u < 16u ? xb - x + 1u : 16u;
        if ((m = yhat_bits(f, x, len, fb) | yhat_bits(g, x, len, fb)) != 0) break;
    }
    if (x > xb) return 0;
    *x0 = last = x + conseco__ctz32(m);
    end = xb - *x0 < CONSECO__SMOOTH_CHUNK ? xb : *x0 + CONSECO__SMOOTH_CHUNK - 1u;
    for (x = *x0 + 1u; x <= end; x += 16u) {
        const size_t len = end - x + 1u < 16u ? end - x + 1u : 16u;
        if ((m = yhat_bits(f, x, len, fb) | yhat_bits(g, x, len, fb)) == 0) break;
        last = x + 31u - conseco__clz32(m);
    }
    *x1 = last;
    return 1;
}

/* ------------------------------------------------------------ the y pass */
/* v[i] = w_0 s(a+i, y) + sum_k w_k (s(a+i, y-k) + s(a+i, y+k)), i in [0, len),
 * rows given. Called with a constant dtype so that each case compiles to its
 * own (vectorised) loop. */
static inline void ypass_rows(int dtype, const unsigned char *const *rows, const double *w,
                              size_t R, size_t a, size_t len, double *v)
{
    size_t i, k;
    for (i = 0; i < len; i++) v[i] = w[0] * conseco__pixel(dtype, rows[0], a + i);
    for (k = 1; k <= R; k++) {
        const unsigned char *lo = rows[2u * k - 1u], *hi = rows[2u * k];
        const double wk = w[k];
        for (i = 0; i < len; i++)
            v[i] = v[i] + wk * (conseco__pixel(dtype, lo, a + i) + conseco__pixel(dtype, hi, a + i));
    }
}

/* The same for a constant R (1..4): one pass, the sum of one pixel kept in a
 * register; the same operations in the same order, so the same bits. */
static inline void ypass_rows_r(int dtype, const unsigned char *const *rows, const double *w,
                                const size_t R, size_t a, size_t len, double *v)
{
    size_t i, k;
    for (i = 0; i < len; i++) {
        double acc = w[0] * conseco__pixel(dtype, rows[0], a + i);
        for (k = 1; k <= R; k++)
            acc = acc + w[k] * (conseco__pixel(dtype, rows[2u * k - 1u], a + i) +
                                conseco__pixel(dtype, rows[2u * k], a + i));
        v[i] = acc;
    }
}

#ifdef CONSECO__SIMD
/* The same with vectors: four pixels per step, each lane doing exactly the
 * scalar operations in the scalar order (exact conversions, plain IEEE
 * multiplies and adds, nothing fused), so the same bits; the rest scalar. */
static inline size_t ypass_f32_simd_r(const unsigned char *const *rows, const double *w,
                                      const size_t R, size_t a, size_t len, double *v,
                                      size_t ahead)
{
    const float *r[2u * CONSECO__SMOOTH_RMAX + 1u];
    conseco__m128d wv[CONSECO__SMOOTH_RMAX + 1u];
    size_t i, k;
    for (k = 0; k <= 2u * R; k++) r[k] = (const float *)(const void *)rows[k] + a;
    for (k = 0; k <= R; k++) wv[k] = conseco__mm_set1_pd(w[k]);
    for (i = 0; i + 4u <= len; i += 4u) {
        const float *r0 = r[0] + i;
        /* the row below the lowest one read: the next output row's new
         * row, one cache line per 16 pixels, spread over the loop */
        if ((i & 15u) == 0) conseco__prefetch(r[2u * R] + i, ahead);
        conseco__m128d acc_lo = conseco__mm_mul_pd(wv[0], conseco__f32x2_to_pd(r0));
        conseco__m128d acc_hi = conseco__mm_mul_pd(wv[0], conseco__f32x2_to_pd(r0 + 2));
        for (k = 1; k <= R; k++) {
            const float *pa = r[2u * k - 1u] + i, *pb = r[2u * k] + i;
            const conseco__m128d lo =
                conseco__mm_add_pd(conseco__f32x2_to_pd(pa), conseco__f32x2_to_pd(pb));
            const conseco__m128d hi =
                conseco__mm_add_pd(conseco__f32x2_to_pd(pa + 2), conseco__f32x2_to_pd(pb + 2));
            acc_lo = conseco__mm_add_pd(acc_lo, conseco__mm_mul_pd(wv[k], lo));
            acc_hi = conseco__mm_add_pd(acc_hi, conseco__mm_mul_pd(wv[k], hi));
        }
        conseco__mm_storeu_pd(v + i, acc_lo);
        conseco__mm_storeu_pd(v + i + 2u, acc_hi);
    }
    return i;
}
#endif

static void ypass_f32(const unsigned char *const *rows, const double *w, size_t R, size_t a,
                      size_t len, double *v, size_t ahead)
{
#ifdef CONSECO__SIMD
    size_t done;
#else
    (void)ahead;
#endif
#ifdef CONSECO__SIMD
    switch (R) {
    case 1: done = ypass_f32_simd_r(rows, w, 1, a, len, v, ahead); break;
    case 2: done = ypass_f32_simd_r(rows, w, 2, a, len, v, ahead); break;
    case 3: done = ypass_f32_simd_r(rows, w, 3, a, len, v, ahead); break;
    case 4: done = ypass_f32_simd_r(rows, w, 4, a, len, v, ahead); break;
    default: done = ypass_f32_simd_r(rows, w, R, a, len, v, ahead); break;
    }
    if (done == len) return;
    a += done;
    len -= done;
    v += done;
#endif
    switch (R) {
    case 1: ypass_rows_r(CONSECO_DTYPE_F32, rows, w, 1, a, len, v); break;
    case 2: ypass_rows_r(CONSECO_DTYPE_F32, rows, w, 2, a, len, v); break;
    case 3: ypass_rows_r(CONSECO_DTYPE_F32, rows, w, 3, a, len, v); break;
    case 4: ypass_rows_r(CONSECO_DTYPE_F32, rows, w, 4, a, len, v); break;
    default: ypass_rows(CONSECO_DTYPE_F32, rows, w, R, a, len, v); break;
    }
}

/* Two output rows at once, y and y + 1, from the 2R + 2 rows y - R ..
 * y + R + 1 (clamped) in rows2[0 .. 2R + 1]: every converted input row is
 * loaded once for both outputs (for R = 4, 10 loads for 2 outputs instead of
 * 18). Per output lane the same operations in the same order as ypass_f32,
 * so the same bits. */
#ifdef CONSECO__SIMD
static inline size_t ypass2_f32_simd_r(const unsigned char *const *rows2, const double *w,
                                       const size_t R, size_t a, size_t len, double *v0,
                                       double *v1, size_t ahead)
{
    const float *r[2u * CONSECO__SMOOTH_RMAX + 2u];
    conseco__m128d c[2u * CONSECO__SMOOTH_RMAX + 2u];
    conseco__m128d wv[CONSECO__SMOOTH_RMAX + 1u];
    size_t i, k;
    for (k = 0; k <= 2u * R + 1u; k++) r[k] = (const float *)(const void *)rows2[k] + a;
    for (k = 0; k <= R; k++) wv[k] = conseco__mm_set1_pd(w[k]);
    for (i = 0; i + 2u <= len; i += 2u) {
        conseco__m128d acc0, acc1;
        /* the next pair's two new rows, one cache line per 16 pixels */
        if ((i & 15u) == 0) {
            conseco__prefetch(r[2u * R + 1u] + i, ahead);
            conseco__prefetch(r[2u * R + 1u] + i, 2u * ahead);
        }
        for (k = 0; k <= 2u * R + 1u; k++) c[k] = conseco__f32x2_to_pd(r[k] + i);
        acc0 = conseco__mm_mul_pd(wv[0], c[R]);
        acc1 = conseco__mm_mul_pd(wv[0], c[R + 1u]);
        for (k = 1; k <= R; k++) {
            acc0 = conseco__mm_add_pd(
                acc0, conseco__mm_mul_pd(wv[k], conseco__mm_add_pd(c[R - k], c[R + k])));
            acc1 = conseco__mm_add_pd(
                acc1, conseco__mm_mul_pd(wv[k], conseco__mm_add_pd(c[R + 1u - k], c[R + 1u + k])));
        }
        conseco__mm_storeu_pd(v0 + i, acc0);
        conseco__mm_storeu_pd(v1 + i, acc1);
    }
    return i;
}
#endif

static void ypass2_f32(const unsigned char *const *rows2, const double *w, size_t R, size_t a,
                       size_t len, double *v0, double *v1, size_t ahead)
{
    const unsigned char *rows[2u * CONSECO__SMOOTH_RMAX + 1u];
    size_t done = 0, k, o;
#ifdef CONSECO__SIMD
    switch (R) {
    case 1: done = ypass2_f32_simd_r(rows2, w, 1, a, len, v0, v1, ahead); break;
    case 2: done = ypass2_f32_simd_r(rows2, w, 2, a, len, v0, v1, ahead); break;
    case 3: done = ypass2_f32_simd_r(rows2, w, 3, a, len, v0, v1, ahead); break;
    case 4: done = ypass2_f32_simd_r(rows2, w, 4, a, len, v0, v1, ahead); break;
    default: done = ypass2_f32_simd_r(rows2, w, R, a, len, v0, v1, ahead); break;
    }
    if (done == len) return;
#endif
    /* the rest (all of it without SIMD): one row at a time */
    for (o = 0; o < 2u; o++) {
        rows[0] = rows2[R + o];
        for (k = 1; k <= R; k++) {
            rows[2u * k - 1u] = rows2[R + o - k];
            rows[2u * k] = rows2[R + o + k];
        }
        ypass_f32(rows, w, R, a + done, len - done, (o ? v1 : v0) + done, ahead);
    }
}

/* The x pass, dst[i] from v[i .. i + 2R] (v[R + i] is the pixel itself). */
static inline void xpass_r(const double *v, const double *w, const size_t R, size_t len,
                           double *dst)
{
    size_t i, k;
    for (i = 0; i < len; i++) {
        double acc = w[0] * v[R + i];
        for (k = 1; k <= R; k++) acc = acc + w[k] * (v[R + i - k] + v[R + i + k]);
        dst[i] = acc + 0.0; /* -0 -> +0 */
    }
}

static void xpass(const double *v, const double *w, size_t R, size_t len, double *dst)
{
    size_t i, k;
    switch (R) {
    case 1: xpass_r(v, w, 1, len, dst); return;
    case 2: xpass_r(v, w, 2, len, dst); return;
    case 3: xpass_r(v, w, 3, len, dst); return;
    case 4: xpass_r(v, w, 4, len, dst); return;
    default: break;
    }
    for (i = 0; i < len; i++) dst[i] = w[0] * v[R + i];
    for (k = 1; k <= R; k++) {
        const double wk = w[k];
        const double *lo = v + R - k, *hi = v + R + k;
        for (i = 0; i < len; i++) dst[i] = dst[i] + wk * (lo[i] + hi[i]);
    }
    for (i = 0; i < len; i++) dst[i] = dst[i] + 0.0; /* -0 -> +0 */
}

/* The x pass straight to keys: the same operations per lane, then the key. */
static inline size_t xpass_keys_r(const double *v, const double *w, const size_t R, size_t len,
                                  uint64_t *keys)
{
    size_t i = 0, k;
#ifdef CONSECO__SIMD
    conseco__m128d wv[CONSECO__SMOOTH_RMAX + 1u];
    const conseco__m128d zero = conseco__mm_set1_pd(0.0);
    for (k = 0; k <= R; k++) wv[k] = conseco__mm_set1_pd(w[k]);
    for (; i + 2u <= len; i += 2u) {
        const double *c = v + R + i;
        conseco__m128d acc = conseco__mm_mul_pd(wv[0], conseco__mm_loadu_pd(c));
        for (k = 1; k <= R; k++)
            acc = conseco__mm_add_pd(
                acc, conseco__mm_mul_pd(wv[k], conseco__mm_add_pd(conseco__mm_loadu_pd(c - k),
                                                                  conseco__mm_loadu_pd(c + k))));
        acc = conseco__mm_add_pd(acc, zero); /* -0 -> +0 */
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(keys + i), conseco__pd_keys(acc));
    }
#endif
    for (; i < len; i++) {
        double acc = w[0] * v[R + i];
        for (k = 1; k <= R; k++) acc = acc + w[k] * (v[R + i - k] + v[R + i + k]);
        keys[i] = conseco__smooth_key(acc + 0.0);
    }
    return len;
}

#ifdef CONSECO__SIMD
/* R = 4 (sigma 1 pixel): the pairs e_j = (v[i + j], v[i + j + 1]) the two
 * outputs i, i + 1 read slide along in registers, one load and one shuffle
 * per step; the same operations per lane as xpass_keys_r. Returns the
 * outputs done (an even count). */
static size_t xpass_keys_r4(const double *v, const double *w, size_t len, uint64_t *keys)
{
    const conseco__m128d w0 = conseco__mm_set1_pd(w[0]), w1 = conseco__mm_set1_pd(w[1]);
    const conseco__m128d w2 = conseco__mm_set1_pd(w[2]), w3 = conseco__mm_set1_pd(w[3]);
    const conseco__m128d w4 = conseco__mm_set1_pd(w[4]), zero = conseco__mm_set1_pd(0.0);
    conseco__m128d e0, e1, e2, e3, e4, e5, e6;
    size_t i;
    if (len < 2u) return 0;
    e0 = conseco__mm_loadu_pd(v);
    e2 = conseco__mm_loadu_pd(v + 2);
    e4 = conseco__mm_loadu_pd(v + 4);
    e6 = conseco__mm_loadu_pd(v + 6);
    e1 = conseco__mm_mid_pd(e0, e2);
    e3 = conseco__mm_mid_pd(e2, e4);
    e5 = conseco__mm_mid_pd(e4, e6);
    for (i = 0; i + 2u <= len; i += 2u) {
        const conseco__m128d e8 = conseco__mm_loadu_pd(v + i + 8u); /* v holds len + 8 */
        const conseco__m128d e7 = conseco__mm_mid_pd(e6, e8);
        conseco__m128d acc = conseco__mm_mul_pd(w0, e4);
        acc = conseco__mm_add_pd(acc, conseco__mm_mul_pd(w1, conseco__mm_add_pd(e3, e5)));
        acc = conseco__mm_add_pd(acc, conseco__mm_mul_pd(w2, conseco__mm_add_pd(e2, e6)));
        acc = conseco__mm_add_pd(acc, conseco__mm_mul_pd(w3, conseco__mm_add_pd(e1, e7)));
        acc = conseco__mm_add_pd(acc, conseco__mm_mul_pd(w4, conseco__mm_add_pd(e0, e8)));
        acc = conseco__mm_add_pd(acc, zero); /* -0 -> +0 */
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(keys + i), conseco__pd_keys(acc));
        e0 = e2;
        e1 = e3;
        e2 = e4;
        e3 = e5;
        e4 = e6;
        e5 = e7;
        e6 = e8;
    }
    return i;
}
#endif

static void xpass_keys(const double *v, const double *w, size_t R, size_t len, uint64_t *keys)
{
    size_t done = 0;
    switch (R) {
    case 1: xpass_keys_r(v, w, 1, len, keys); return;
    case 2: xpass_keys_r(v, w, 2, len, keys); return;
    case 3: xpass_keys_r(v, w, 3, len, keys); return;
    case 4:
#ifdef CONSECO__SIMD
        done = xpass_keys_r4(v, w, len, keys);
#endif
        xpass_keys_r(v + done, w, 4, len - done, keys + done);
        return;
    default: xpass_keys_r(v, w, R, len, keys); return;
    }
}

/* The z pass at pixel x of the row (y, z): s when z is not blurred. */
static double zpass_at(const conseco__smooth_plan *pl, const conseco_image *pred, size_t x,
                       size_t y, size_t z)
{
    const size_t R = pl->r[2];
    const double *w = pl->w[2];
    double acc;
    size_t k;
    if (R == 0) return conseco__pixel(pl->dtype, conseco__image_row(pred, y, z), x);
    acc = w[0] * conseco__pixel(pl->dtype, conseco__image_row(pred, y, z), x);
    for (k = 1; k <= R; k++) {
        const double lo = conseco__pixel(pl->dtype, conseco__image_row(pred, y, clamp_sub(z, k)), x);
        const double hi =
            conseco__pixel(pl->dtype, conseco__image_row(pred, y, clamp_add(z, k, pl->depth)), x);
        acc = acc + w[k] * (lo + hi);
    }
    return acc;
}

/* v[0 .. len) = y-pass(z-pass(s)) on row (y, z) at x = a .. a + len - 1. */
static void first_passes(const conseco__smooth_plan *pl, const conseco_image *pred, size_t y,
                         size_t z, size_t a, size_t len, double *v)
{
    const size_t R = pl->r[1];
    size_t i, k;
    if (pl->r[2] == 0) {
        /* 2-D (or z not blurred): row loops straight from the map */
        const unsigned char *rows[2u * CONSECO__SMOOTH_RMAX + 1u];
        rows[0] = conseco__image_row(pred, y, z);
        for (k = 1; k <= R; k++) {
            rows[2u * k - 1u] = conseco__image_row(pred, clamp_sub(y, k), z);
            rows[2u * k] = conseco__image_row(pred, clamp_add(y, k, pl->height), z);
        }
        switch (pl->dtype) {
        case CONSECO_DTYPE_F32: /* prefetch one row stride below the lowest row read */
            ypass_f32(rows, pl->w[1], R, a, len, v, pred->row_stride);
            break;
        case CONSECO_DTYPE_F64: ypass_rows(CONSECO_DTYPE_F64, rows, pl->w[1], R, a, len, v); break;
        case CONSECO_DTYPE_U8: ypass_rows(CONSECO_DTYPE_U8, rows, pl->w[1], R, a, len, v); break;
        case CONSECO_DTYPE_U16: ypass_rows(CONSECO_DTYPE_U16, rows, pl->w[1], R, a, len, v); break;
        default: ypass_rows(CONSECO_DTYPE_MASK8, rows, pl->w[1], R, a, len, v); break;
        }
        return; /* R = 0: w[0] = 1, so v = s exactly */
    }
    /* 3-D: one pixel at a time, same order of operations */
    for (i = 0; i < len; i++) {
        const size_t x = a + i;
        double acc;
        if (R == 0) {
            v[i] = zpass_at(pl, pred, x, y, z);
            continue;
        }
        acc = pl->w[1][0] * zpass_at(pl, pred, x, y, z);
        for (k = 1; k <= R; k++) {
            const double lo = zpass_at(pl, pred, x, clamp_sub(y, k), z);
            const double hi = zpass_at(pl, pred, x, clamp_add(y, k, pl->height), z);
            acc = acc + pl->w[1][k] * (lo + hi);
        }
        v[i] = acc;
    }
}

static inline double finish(double l)
{
    l = l + 0.0; /* -0 -> +0 */
    if (l > DBL_MAX_) return DBL_MAX_;
    if (l < -DBL_MAX_) return -DBL_MAX_;
    return l;
}

/* Levels of x = xa .. xb (at most one chunk) into dst[0 ..]. work[] holds the
 * first passes at x = xa - R .. xb + R, positions outside the image
 * replicating the edge pixel's value (the clamp of the definition). */
static void gauss_row(const conseco__smooth_plan *pl, const conseco_image *pred, size_t y,
                      size_t z, size_t xa, size_t xb, double *dst, double *work)
{
    const size_t R = pl->r[0], n = pl->width, len = xb - xa + 1u;
    const size_t a = clamp_sub(xa, R), b = clamp_add(xb, R, n);
    const size_t lead = R - (xa - a); /* positions left of the image */
    const double *w = pl->w[0];
    double *v = work;
    size_t i;
    first_passes(pl, pred, y, z, a, b - a + 1u, v + lead);
    for (i = 0; i < lead; i++) v[i] = v[lead];
    for (i = lead + (b - a + 1u); i < len + 2u * R; i++) v[i] = v[lead + (b - a)];
    /* v[R + i] is position xa + i */
    xpass(v, w, R, len, dst);
    if (pl->dtype == CONSECO_DTYPE_F64) /* other maps are far from overflowing */
        for (i = 0; i < len; i++) dst[i] = finish(dst[i]);
}

/* gauss_row to keys; the map is not float64 (no overflow to clamp). */
static void gauss_row_keys(const conseco__smooth_plan *pl, const conseco_image *pred, size_t y,
                           size_t z, size_t xa, size_t xb, uint64_t *keys, double *work)
{
    const size_t R = pl->r[0], n = pl->width, len = xb - xa + 1u;
    const size_t a = clamp_sub(xa, R), b = clamp_add(xb, R, n);
    const size_t lead = R - (xa - a);
    double *v = work;
    size_t i;
    first_passes(pl, pred, y, z, a, b - a + 1u, v + lead);
    for (i = 0; i < lead; i++) v[i] = v[lead];
    for (i = lead + (b - a + 1u); i < len + 2u * R; i++) v[i] = v[lead + (b - a)];
    xpass_keys(v, pl->w[0], R, len, keys);
}

/* gauss_row_keys for rows y and y + 1 (< height) at once; z not blurred,
 * float32 map; two workspaces like gauss_row_keys's. */
static void gauss_rows_keys2(const conseco__smooth_plan *pl, const conseco_image *pred, size_t y,
                             size_t z, size_t xa, size_t xb, uint64_t *keys0, uint64_t *keys1,
                             double *work0, double *work1)
{
    const size_t R = pl->r[0], Ry = pl->r[1], n = pl->width, len = xb - xa + 1u;
    const size_t a = clamp_sub(xa, R), b = clamp_add(xb, R, n);
    const size_t lead = R - (xa - a);
    double *v[2];
    const unsigned char *rows2[2u * CONSECO__SMOOTH_RMAX + 2u];
    size_t i, k, o;
    v[0] = work0;
    v[1] = work1;
    for (k = 0; k <= 2u * Ry + 1u; k++) {
        const size_t yy = k < Ry ? clamp_sub(y, Ry - k) : clamp_add(y, k - Ry, pl->height);
        rows2[k] = conseco__image_row(pred, yy, z);
    }
    ypass2_f32(rows2, pl->w[1], Ry, a, b - a + 1u, v[0] + lead, v[1] + lead, pred->row_stride);
    for (o = 0; o < 2u; o++) {
        double *vo = v[o];
        for (i = 0; i < lead; i++) vo[i] = vo[lead];
        for (i = lead + (b - a + 1u); i < len + 2u * R; i++) vo[i] = vo[lead + (b - a)];
        xpass_keys(vo, pl->w[0], R, len, o ? keys1 : keys0);
    }
}

/* --------------------------------------------------------------- the min */
/* Half-width of the element's horizontal run at offsets (dy, dz), -1 if none. */
static long run_half_width(uint32_t element, long r, long dy, long dz)
{
    const long ady = dy < 0 ? -dy : dy, adz = dz < 0 ? -dz : dz;
    long rem, h;
    switch (element) {
    case CONSECO_ELEMENT_SQUARE: return r;
    case CONSECO_ELEMENT_DISK:
        rem = r * r - dy * dy - dz * dz;
        if (rem < 0) return -1;
        h = 0;
        while ((h + 1) * (h + 1) <= rem) h++;
        return h;
    default: return r - ady - adz; /* cross */
    }
}

static void min_row(const conseco__smooth_plan *pl, const conseco_image *pred, size_t y,
                    size_t z, size_t xa, size_t xb, double *dst)
/* dst[x - xa] for x = xa .. xb */
{
    const long r = (long)pl->radius;
    const long rz = pl->depth > 1u ? r : 0;
    const size_t n = pl->width;
    long dy, dz;
    size_t x;
    for (x = xa; x <= xb; x++) dst[x - xa] = conseco__inf();
    for (dz = -rz; dz <= rz; dz++)
        for (dy = -r; dy <= r; dy++) {
            const long h = run_half_width(pl->element, r, dy, dz);
            const size_t yy = dy < 0 ? clamp_sub(y, (size_t)-dy) : clamp_add(y, (size_t)dy, pl->height);
            const size_t zz = dz < 0 ? clamp_sub(z, (size_t)-dz) : clamp_add(z, (size_t)dz, pl->depth);
            const unsigned char *row;
            if (h < 0) continue;
            row = conseco__image_row(pred, yy, zz);
            for (x = xa; x <= xb; x++) {
                const size_t lo = clamp_sub(x, (size_t)h), hi = clamp_add(x, (size_t)h, n);
                double m = dst[x - xa];
                size_t i;
                for (i = lo; i <= hi; i++) {
                    const double s = conseco__pixel(pl->dtype, row, i);
                    if (s < m) m = s;
                }
                dst[x - xa] = m;
            }
        }
    for (x = xa; x <= xb; x++) dst[x - xa] = finish(dst[x - xa]);
}

void conseco__smooth_row_keys(const conseco__smooth_plan *plan, const conseco_image *pred,
                              size_t y, size_t z, size_t xa, size_t xb, uint64_t *keys,
                              double *work)
{
    gauss_row_keys(plan, pred, y, z, xa, xb, keys, work);
}

void conseco__smooth_rows_keys2(const conseco__smooth_plan *plan, const conseco_image *pred,
                                size_t y, size_t z, size_t xa, size_t xb, uint64_t *keys0,
                                uint64_t *keys1, double *work0, double *work1)
{
    gauss_rows_keys2(plan, pred, y, z, xa, xb, keys0, keys1, work0, work1);
}

void conseco__smooth_row_levels(const conseco__smooth_plan *plan, const conseco_image *pred,
                                size_t y, size_t z, size_t xa, size_t xb, double *dst,
                                double *work)
{
    if (plan->filter == CONSECO_SMOOTH_MIN)
        min_row(plan, pred, y, z, xa, xb, dst);
    else
        gauss_row(plan, pred, y, z, xa, xb, dst, work);
}
