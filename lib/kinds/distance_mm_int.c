/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ball-mm distances with integer weights (docs/DESIGN.md 5.1).
 *
 * A spacing s > 0 is exactly m * 2^e with m an odd integer. When the
 * squared spacings of the axes that have offsets are w_a * 2^(2E) with
 * integers w_a (E the smallest e_a; m_a < 2^16), every squared distance is
 * D2 = 2^(2E) * sum_a w_a k_a^2 exactly, and the separable transform of
 * distance.c (Meijster, Roerdink & Hesselink 2000) runs on the integers
 * D2 / 2^(2E) with per-axis weights: no rounding anywhere. It applies when
 * sum_a w_a kmax_a^2 < 2^32 - 1 (kmax_a the largest offset along axis a in
 * the box), so that every value and every intermediate fits: this is the
 * usual case of CT spacings such as 0.78125 x 0.78125 x 2.5 mm; float32
 * spacings with long mantissas (0.8632810115814209) take the general exact
 * path of distance_mm.c.
 *
 * The first axis (the box's longest) gets 1-D offsets by two sweeps, then
 * w k^2; the lines of the later axes are copied sixteen at a time into a
 * contiguous work area (one cache line of each row), get their lower
 * envelope there and are copied back.
 */
#include "distance_mm_int.h"
#include "common/simd.h"

#define GROUP CONSECO__MM_GROUP

/* Splits s > 0 (normal) into an odd m and e with s = m * 2^e. */
static void split_pow2(double s, uint64_t *m, int *e)
{
    const uint64_t bits = conseco__double_bits(s);
    uint64_t mant = (bits & UINT64_C(0x000FFFFFFFFFFFFF)) | UINT64_C(0x0010000000000000);
    int ex = (int)((bits >> 52) & 0x7FFu) - 1075;
    while ((mant & 1u) == 0) {
        mant >>= 1;
        ex++;
    }
    *m = mant;
    *e = ex;
}

int conseco__mm_int_init(conseco__mm_int *out, const double spacing[3],
                         const conseco__mm_box *b)
{
    uint64_t m[3], kmax[3], total = 0;
    int e[3], emin = 0, have = 0, a;
    for (a = 0; a < 3; a++) {
        const size_t n = b->box.n[a];
        const int open = b->box.open_lo[a] || b->box.open_hi[a];
        kmax[a] = open ? (uint64_t)n : (uint64_t)n - 1u;
        out->w[a] = 0;
        if (kmax[a] == 0) continue; /* no offsets along this axis */
        if (!(spacing[a] >= CONSECO__MM_SPACING_MIN && spacing[a] <= CONSECO__MM_SPACING_MAX))
            return 0;
        split_pow2(spacing[a], &m[a], &e[a]);
        if (m[a] > 0xFFFFu || kmax[a] > 0xFFFFu) return 0;
        if (!have || e[a] < emin) emin = e[a];
        have = 1;
    }
    for (a = 0; a < 3; a++) {
        uint64_t term;
        int shift;
        if (kmax[a] == 0) continue;
        shift = 2 * (e[a] - emin);
        if (shift > 32) return 0;
        out->w[a] = (m[a] * m[a]) << shift; /* < 2^64: m^2 < 2^32 */
        if (out->w[a] >= (UINT64_C(1) << 32)) return 0;
        term = out->w[a] * kmax[a] * kmax[a]; /* < 2^64: w < 2^32, kmax^2 < 2^32 */
        if (term >= UINT64_C(0xFFFFFFFF) - total) return 0;
        total += term;
    }
    /* 2^(2E): |2E| <= 2 (256 + 52), a normal double */
    out->unit = conseco__bits_double((uint64_t)(1023 + 2 * (have ? emin : 0)) << 52);
    return 1;
}

size_t conseco__mm_int_work_bytes_image(size_t w, size_t h, size_t d)
{
    const size_t big = w > h ? w : h, small = w > h ? h : w;
    const size_t second = d >= big ? big : d > small ? d : small;
    size_t len, bytes;
    if (!conseco__add_size(second, 2, &len) ||
        !conseco__mul_size(len, (7u + GROUP) * sizeof(uint32_t), &bytes) ||
        !conseco__add_size(bytes, 7, &bytes))
        return 0;
    return bytes & ~(size_t)7u;
}

double conseco__mm_int_distance(const conseco__mm_int *mi, uint32_t v)
{
    if (v == 0) return 0.0;
    if (v == CONSECO__MM_NONE) return conseco__inf();
    return conseco__mm_sqrt_exact((double)v * mi->unit); /* exact: v < 2^32 */
}

/* ------------------------------------------------------ the transform */
static size_t mem_stride(const conseco__box *box, int axis)
{
    return axis == 0 ? 1 : axis == 1 ? box->n[0] : box->n[0] * box->n[1];
}

/* First axis: offset to the nearest background of the line, then w k^2. */
static void sweep_line(uint32_t *c, size_t n, size_t st, int lo, int hi, uint64_t w)
{
    uint32_t prev = lo ? 0u : CONSECO__MM_NONE;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t *v = c + i * st;
        if (prev != CONSECO__MM_NONE && prev + 1u < *v) *v = prev + 1u;
        prev = *v;
    }
    prev = hi ? 0u : CONSECO__MM_NONE;
    for (i = n; i-- > 0;) {
        uint32_t *v = c + i * st;
        if (prev != CONSECO__MM_NONE && prev + 1u < *v) *v = prev + 1u;
        prev = *v;
        /* final from here on: to w k^2 (below 2^32 - 1, see init) */
        if (*v != CONSECO__MM_NONE) *v = (uint32_t)(w * *v * *v);
    }
}

typedef struct env_work {
    uint32_t *site, *val, *start;
    int64_t *top;      /* the piece's value at its start */
    const double *rinv; /* rinv[j] = 1 / (2 w j), j = 1 .. len - 1 */
} env_work;

/* Carves the envelope arrays from `work` (len entries each) and, with init,
 * fills rinv for the weight w; returns the first byte after them. */
static uint32_t *env_carve(env_work *e, void *work, size_t len, int init, uint64_t w)
{
    double *rinv;
    size_t r;
    e->top = (int64_t *)work;
    rinv = (double *)(void *)(e->top + len);
    e->rinv = rinv;
    e->site = (uint32_t *)(void *)(rinv + len);
    e->val = e->site + len;
    e->start = e->val + len;
    if (init)
        for (r = 1; r < len; r++) rinv[r] = 1.0 / (2.0 * (double)w * (double)r);
    return e->start + len;
}

/* floor(a / b) for b = 2 w j > 0 with r = RN(1 / b), |a|, b < 2^40: a * r is
 * within a relative 2^-52 of a / b, i.e. within 2^-12, so its truncation is
 * off by at most one, which the integer checks correct. */
static int64_t floor_div(int64_t a, int64_t b, double r)
{
    int64_t q = (int64_t)((double)a * r);
    if (q * b > a) q--;
    else if ((q + 1) * b <= a) q++;
    return q;
}

/*
 * Lower envelope of w (q - u)^2 + g_u along one contiguous line of n cells.
 * Positions are shifted by one: cells 1..n, open margins are sites 0 and
 * n + 1 with value 0. Every quantity is below 2^36 (see init): int64.
 */
#if defined(__GNUC__)
#define CONSECO__INLINE __attribute__((always_inline)) inline
#else
#define CONSECO__INLINE inline
#endif

static CONSECO__INLINE void envelope_core(uint32_t *d, size_t n, int lo, int hi, int64_t w,
                                          const env_work *e, const uint8_t *tr)
{
    uint32_t *site = e->site, *val = e->val, *start = e->start;
    int64_t *top = e->top;
    const int64_t last = (int64_t)n;
    size_t k = 0, u;
    for (u = lo ? 0 : 1; u <= n + 1; u++) {
        const int64_t uu = (int64_t)u;
        int64_t gu;
        if (u == n + 1) {
            if (!hi) break;
            gu = 0;
        } else if (u == 0) {
            gu = 0;
        } else {
            const uint32_t v = d[u - 1];
            if (v == CONSECO__MM_NONE) continue; /* not a site */
            gu = v;
        }
        while (k > 0) {
            const int64_t du = (int64_t)start[k - 1] - uu;
            if (top[k - 1] <= w * du * du + gu) break;
            k--; /* u is strictly lower from t's start on */
        }
        if (k == 0) {
            site[0] = (uint32_t)u;
            val[0] = (uint32_t)gu;
            start[0] = 1;
            top[0] = w * (1 - uu) * (1 - uu) + gu;
            k = 1;
        } else {
            /* first position where u is strictly lower than the top t: one
             * past floor of the crossing, (u + t) / 2 for equal values */
            const int64_t t = site[k - 1];
            const int64_t gt = (int64_t)val[k - 1];
            const int64_t ws =
                gu == gt ? 1 + ((uu + t) >> 1)
                         : 1 + floor_div(w * (uu - t) * (uu + t) + gu - gt, 2 * w * (uu - t),
                                         e->rinv[uu - t]);
            if (ws <= last) {
                site[k] = (uint32_t)u;
                val[k] = (uint32_t)gu;
                start[k] = (uint32_t)ws;
                top[k] = w * (ws - uu) * (ws - uu) + gu;
                k++;
            }
        }
    }
    if (k == 0) return; /* no site on this line: every cell stays NONE */
    {
        /* piece j covers start[j] .. start[j + 1] - 1 (the last up to n);
         * values below 2^32 - 1 (init), so uint32 arithmetic is exact */
        const uint32_t w32 = (uint32_t)w;
        size_t j, end = n + 1;
        for (j = k; j-- > 0;) {
            const uint32_t s = site[j], v = val[j];
            size_t q;
            if (tr != NULL) /* and the flags (conseco__mm_int_rows_flag) */
                for (q = start[j]; q < end; q++) {
                    const uint32_t dx = (uint32_t)q > s ? (uint32_t)q - s : s - (uint32_t)q;
                    const uint32_t g = w32 * dx * dx + v;
                    d[q - 1] = g | ((uint32_t)((g != 0) & (tr[q - 1] == 0)) << 30);
                }
            else
                for (q = start[j]; q < end; q++) {
                    const uint32_t dx = (uint32_t)q > s ? (uint32_t)q - s : s - (uint32_t)q;
                    d[q - 1] = w32 * dx * dx + v;
                }
            end = start[j];
        }
    }
}

/* Background cells (0) at the ends of a line stay 0, and the innermost of
 * each end run is the nearest background of everything beyond it: the
 * envelope runs only between them, with those two cells as open margins. */
static CONSECO__INLINE void envelope_line(uint32_t *d, size_t n, int lo, int hi, int64_t w,
                                          const env_work *e, const uint8_t *tr)
{
    size_t f = 0, l = n;
    while (f < n && d[f] == 0) f++;
    if (f == n) return; /* all background */
    while (d[l - 1] == 0) l--;
    envelope_core(d + f, l - f, lo || f > 0, hi || l < n, w, e, tr != NULL ? tr + f : NULL);
}

/* GROUP lines of n cells along a stride-sa axis, neighbours in memory, to
 * and from the work area (line l at buf + l * len): 4 x 4 blocks transposed
 * in SSE2/NEON registers, the rest one by one. */
void conseco__mm_gather(uint32_t *buf, size_t len, const uint32_t *base, size_t sa, size_t n,
                        size_t g)
{
    size_t i = 0, l;
#ifdef CONSECO__SIMD
    if (g == GROUP)
        for (; i + 4 <= n; i += 4)
            for (l = 0; l < GROUP; l += 4) {
                const conseco__m128i r0 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(base + i * sa + l));
                const conseco__m128i r1 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(base + (i + 1) * sa + l));
                const conseco__m128i r2 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(base + (i + 2) * sa + l));
                const conseco__m128i r3 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(base + (i + 3) * sa + l));
                const conseco__m128i a0 = conseco__mm_unpacklo_epi32(r0, r1), a1 = conseco__mm_unpackhi_epi32(r0, r1);
                const conseco__m128i a2 = conseco__mm_unpacklo_epi32(r2, r3), a3 = conseco__mm_unpackhi_epi32(r2, r3);
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(buf + l * len + i), conseco__mm_unpacklo_epi64(a0, a2));
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(buf + (l + 1) * len + i), conseco__mm_unpackhi_epi64(a0, a2));
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(buf + (l + 2) * len + i), conseco__mm_unpacklo_epi64(a1, a3));
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(buf + (l + 3) * len + i), conseco__mm_unpackhi_epi64(a1, a3));
            }
#endif
    for (; i < n; i++)
        for (l = 0; l < g; l++) buf[l * len + i] = base[i * sa + l];
}

void conseco__mm_scatter(const uint32_t *buf, size_t len, uint32_t *base, size_t sa, size_t n,
                         size_t g)
{
    size_t i = 0, l;
#ifdef CONSECO__SIMD
    if (g == GROUP)
        for (; i + 4 <= n; i += 4)
            for (l = 0; l < GROUP; l += 4) {
                const conseco__m128i r0 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(buf + l * len + i));
                const conseco__m128i r1 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(buf + (l + 1) * len + i));
                const conseco__m128i r2 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(buf + (l + 2) * len + i));
                const conseco__m128i r3 = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(buf + (l + 3) * len + i));
                const conseco__m128i a0 = conseco__mm_unpacklo_epi32(r0, r1), a1 = conseco__mm_unpackhi_epi32(r0, r1);
                const conseco__m128i a2 = conseco__mm_unpacklo_epi32(r2, r3), a3 = conseco__mm_unpackhi_epi32(r2, r3);
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(base + i * sa + l), conseco__mm_unpacklo_epi64(a0, a2));
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(base + (i + 1) * sa + l), conseco__mm_unpackhi_epi64(a0, a2));
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(base + (i + 2) * sa + l), conseco__mm_unpacklo_epi64(a1, a3));
                conseco__mm_storeu_si128((conseco__m128i *)(void *)(base + (i + 3) * sa + l), conseco__mm_unpackhi_epi64(a1, a3));
            }
#endif
    for (; i < n; i++)
        for (l = 0; l < g; l++) base[i * sa + l] = buf[l * len + i];
}

size_t conseco__mm_int_work_bytes_len(size_t len)
{
    return len * (7u + GROUP) * sizeof(uint32_t);
}

void conseco__mm_int_pass(uint32_t *d, const conseco__box *box, int a, uint64_t w, int first,
                          void *work, size_t len)
{
    const int p = a == 0 ? 1 : 0, q = a == 2 ? 1 : 2;
    const size_t n = box->n[a], sa = mem_stride(box, a), sp = mem_stride(box, p),
                 sq = mem_stride(box, q);
    const int lo = box->open_lo[a], hi = box->open_hi[a];
    env_work e;
    uint32_t *buf;
    size_t ip, iq;
    if (!first && n == 1 && !lo && !hi) return; /* nothing changes */
    buf = env_carve(&e, work, len, !first, w);
    for (iq = 0; iq < box->n[q]; iq++) {
        if (first) {
            for (ip = 0; ip < box->n[p]; ip++)
                sweep_line(d + ip * sp + iq * sq, n, sa, lo, hi, w);
            continue;
        }
        if (a == 0) { /* contiguous lines */
            for (ip = 0; ip < box->n[p]; ip++)
                envelope_line(d + ip * sp + iq * sq, n, lo, hi, (int64_t)w, &e, NULL);
            continue;
        }
        /* p is axis 0 (stride 1): GROUP neighbouring lines at once */
        for (ip = 0; ip < box->n[p]; ip += GROUP) {
            const size_t left = box->n[p] - ip, g = left < GROUP ? left : GROUP;
            uint32_t *base = d + ip + iq * sq;
            size_t l;
            conseco__mm_gather(buf, len, base, sa, n, g);
            /* 1 <= g since ip < n[p]; cppcheck 2.10 thinks l < g always false */
            /* cppcheck-suppress knownConditionTrueFalse */
            for (l = 0; l < g; l++)
                envelope_line(buf + l * len, n, lo, hi, (int64_t)w, &e, NULL);
            conseco__mm_scatter(buf, len, base, sa, n, g);
        }
    }
}

/* The flags of one row whose envelope changed nothing (see
 * conseco__mm_int_rows_flag). */
static void flag_row(uint32_t *r, const uint8_t *t, size_t n)
{
    size_t x;
    for (x = 0; x < n; x++) {
        const uint32_t c = r[x];
        const uint32_t fp =
            (uint32_t)(t[x] == 0) & (uint32_t)(c != 0) & (uint32_t)(c != CONSECO__MM_NONE);
        r[x] = c | (fp << 30);
    }
}

/* summary[gx] = max(summary[gx], the largest value of cells GROUP gx ..). */
#ifdef CONSECO__SIMD
/* Lane-wise max of values held as v ^ 2^31 (signed order = unsigned). */
static conseco__m128i max_biased(conseco__m128i a, conseco__m128i b)
{
    const conseco__m128i gt = conseco__mm_cmpgt_epi32(a, b);
    return conseco__mm_or_si128(conseco__mm_and_si128(gt, a), conseco__mm_andnot_si128(gt, b));
}
#endif

static void summarise_row(const uint32_t *r, size_t n, uint32_t *summary)
{
    size_t x0 = 0, x, gx = 0;
#ifdef CONSECO__SIMD
    const conseco__m128i sign = conseco__mm_set1_epi32((int)INT32_MIN);
    for (; x0 + GROUP <= n; x0 += GROUP, gx++) {
        const conseco__m128i *v = (const conseco__m128i *)(const void *)(r + x0);
        uint32_t lanes[4], m = summary[gx];
        int q;
        conseco__mm_storeu_si128(
            (conseco__m128i *)(void *)lanes,
            max_biased(
                max_biased(conseco__mm_xor_si128(conseco__mm_loadu_si128(v), sign),
                           conseco__mm_xor_si128(conseco__mm_loadu_si128(v + 1), sign)),
                max_biased(conseco__mm_xor_si128(conseco__mm_loadu_si128(v + 2), sign),
                           conseco__mm_xor_si128(conseco__mm_loadu_si128(v + 3), sign))));
        for (q = 0; q < 4; q++) {
            const uint32_t l = lanes[q] ^ UINT32_C(0x80000000);
            m = l > m ? l : m;
        }
        summary[gx] = m;
    }
#endif
    for (; x0 < n; x0 += GROUP, gx++) {
        const size_t x1 = x0 + GROUP < n ? x0 + GROUP : n;
        uint32_t m = summary[gx];
        for (x = x0; x < x1; x++) m = r[x] > m ? r[x] : m;
        summary[gx] = m;
    }
}

void conseco__mm_int_rows_flag(uint32_t *d, size_t n, size_t rows, int lo, int hi, uint64_t w,
                               void *work, size_t len, int init, const uint8_t *t,
                               size_t t_stride, uint32_t *summary)
{
    const size_t ng = (n + GROUP - 1) / GROUP;
    env_work e;
    size_t r;
    (void)env_carve(&e, work, len, init, w);
    for (r = 0; r < rows; r++) {
        uint32_t *row = d + r * n;
        const uint8_t *tr = t + r * t_stride;
#ifdef CONSECO__SIMD
        size_t x;
        for (x = 0; x < n; x += 64) /* the truth rows stream from memory */
            conseco__prefetch(tr + x, 4 * t_stride);
#endif
        if (n == 1 && !lo && !hi) flag_row(row, tr, n); /* the envelope changes nothing */
        else if (w == 1) envelope_line(row, n, lo, hi, 1, &e, tr);
        else envelope_line(row, n, lo, hi, (int64_t)w, &e, tr);
        if (summary != NULL) summarise_row(row, n, summary + r * ng);
    }
}

void conseco__mm_int_rows(uint32_t *d, size_t n, size_t rows, int lo, int hi, uint64_t w,
                          void *work, size_t len, int init)
{
    env_work e;
    size_t r;
    if (n == 1 && !lo && !hi) return; /* nothing changes */
    (void)env_carve(&e, work, len, init, w);
    if (w == 1) /* equal in-plane spacings: a copy with the weight folded in */
        for (r = 0; r < rows; r++) envelope_line(d + r * n, n, lo, hi, 1, &e, NULL);
    else
        for (r = 0; r < rows; r++) envelope_line(d + r * n, n, lo, hi, (int64_t)w, &e, NULL);
}

void conseco__mm_int_transform(uint32_t *d, const conseco__mm_box *b,
                               const conseco__mm_int *mi, void *work)
{
    const conseco__box *box = &b->box;
    size_t len = 1;
    int j;
    for (j = 1; j < 3; j++)
        if (box->n[b->order[j]] > len) len = box->n[b->order[j]];
    len += 2;
    for (j = 0; j < 3; j++)
        conseco__mm_int_pass(d, box, b->order[j], mi->w[b->order[j]], j == 0, work, len);
}
