/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ball-mm distances with one real axis (docs/DESIGN.md 5.1).
 *
 * A spacing s > 0 is exactly m * 2^e with m an odd integer. When the
 * squared spacings of two axes a and b are w_a * s_u^2 and w_b * s_u^2 with
 * small integers w (s_u = gcd(m_a, m_b) 2^min(e_a, e_b); equal spacings give
 * w = 1 whatever their value, so float32 pixdims such as 0.8632810115814209
 * in plane qualify), every squared distance is
 *   D2 = s_u^2 G + s_c^2 k_c^2,  G = w_a k_a^2 + w_b k_b^2,
 * with the third axis c of any spacing. The
 * first two passes of the separable transform (Meijster et al. 2000) run on
 * the integers G exactly (distance_mm_int.c); the last one builds the lower
 * envelope of rho (q - u)^2 + G_u along c (rho = s_c^2 / s_u^2) with every
 * decision exact: each is the sign of s_u^2 B + s_c^2 A with integers A, B,
 * first in double with an error band, and inside the band exactly
 * (conseco__mm_sign). A cell ends as the code (G << bits) | k_c of the site
 * that is lowest there; equal values may pick either site, which changes the
 * code but not D2, so not the distance.
 */
#include "distance_mm_pair.h"
#include "common/simd.h"

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

static int in_range(double s)
{
    return s >= CONSECO__MM_SPACING_MIN && s <= CONSECO__MM_SPACING_MAX;
}

static uint64_t gcd_u64(uint64_t x, uint64_t y)
{
    while (y != 0) {
        const uint64_t r = x % y;
        x = y;
        y = r;
    }
    return x;
}

/* The pair form with c the real axis; 0 when it does not apply. With
 * s_i = m_i 2^(e_i) (m_i odd) for the axes with offsets, g = gcd(m_a, m_b)
 * and E = min(e_a, e_b): s_u = g 2^E and w_i = (m_i / g)^2 2^(2 (e_i - E)). */
static int try_axis(conseco__mm_pair *out, const double spacing[3], const uint64_t kmax[3],
                    int c)
{
    /* c == 2: the sweep along y and the envelope along the rows (x) */
    const int ax[2] = {c == 0 ? 1 : c == 1 ? 0 : 1, c == 0 ? 2 : c == 1 ? 2 : 0};
    uint64_t m[2] = {0, 0}, w[2] = {0, 0}, total = 0, g = 0;
    int e[2] = {0, 0}, emin = 0, have = 0, i, bits = 0;
    double su = 1.0, sp3[3];
    for (i = 0; i < 2; i++) {
        if (kmax[ax[i]] == 0) continue; /* no offsets along this axis */
        if (!in_range(spacing[ax[i]]) || kmax[ax[i]] > 0xFFFFu) return 0;
        split_pow2(spacing[ax[i]], &m[i], &e[i]);
        if (!have || e[i] < emin) emin = e[i];
        g = gcd_u64(m[i], g);
        have = 1;
    }
    for (i = 0; i < 2; i++) {
        int shift;
        uint64_t r;
        if (kmax[ax[i]] == 0) continue;
        r = m[i] / g; /* odd */
        shift = 2 * (e[i] - emin);
        if (r > 0xFFFFu || shift > 32) return 0;
        w[i] = (r * r) << shift; /* < 2^64: r^2 < 2^32 */
        if (w[i] >= (UINT64_C(1) << 32)) return 0;
        total += w[i] * kmax[ax[i]] * kmax[ax[i]]; /* each < 2^64, checked below */
        if (total >= UINT64_C(0xFFFFFFFF)) return 0;
    }
    if (have) { /* s_u = g 2^emin, exact (g < 2^53), within the ball-mm range */
        if (emin < -1000 || emin > 1000) return 0;
        su = (double)g;
        while (emin > 0) {
            su *= 2.0;
            emin--;
        }
        while (emin < 0) {
            su *= 0.5;
            emin++;
        }
        if (!in_range(su)) return 0;
    }
    while (bits < 32 && (UINT64_C(1) << bits) <= kmax[c]) bits++;
    if ((total << bits) + kmax[c] >= UINT64_C(0xFFFFFFFF)) return 0;
    if (kmax[c] > 0 && !in_range(spacing[c])) return 0;
    CONSECO_memset(out, 0, sizeof *out);
    sp3[0] = su;
    sp3[1] = kmax[c] > 0 ? spacing[c] : 1.0;
    sp3[2] = 1.0;
    if (conseco__mm_init(&out->m, sp3) != CONSECO_OK) return 0;
    out->a = ax[0];
    out->b = ax[1];
    out->c = c;
    out->wa = w[0];
    out->wb = w[1];
    out->unit = out->m.s2[0];
    out->bits = bits;
    out->mask = (uint32_t)((UINT64_C(1) << bits) - 1u);
    out->can_mark = (total << bits) + kmax[c] < (uint64_t)CONSECO__MM_MARK - 1u;
    out->can_flag = (total << bits) + kmax[c] < (uint64_t)CONSECO__MM_FP - 1u;
    if (kmax[c] > 0) {
        out->s2c = out->m.s2[1];
        out->rho = out->s2c / out->unit;
        if (!(out->rho >= 0x1p-600 && out->rho <= 0x1p600)) return 0;
    }
    return 1;
}

int conseco__mm_pair_init(conseco__mm_pair *out, const double spacing[3],
                          const conseco__box *box)
{
    uint64_t kmax[3];
    int a, pref[6], np = 0, i;
    for (a = 0; a < 3; a++) {
        const int open = box->open_lo[a] || box->open_hi[a];
        if (box->n[a] == 0 || box->n[a] >= ((size_t)1 << 25)) return 0;
        kmax[a] = open ? (uint64_t)box->n[a] : (uint64_t)box->n[a] - 1u;
    }
    /* the axis whose spacing differs first, then any */
    if (spacing[0] == spacing[1]) pref[np++] = 2;
    if (spacing[0] == spacing[2]) pref[np++] = 1;
    if (spacing[1] == spacing[2]) pref[np++] = 0;
    pref[np++] = 2;
    pref[np++] = 1;
    pref[np++] = 0;
    for (i = 0; i < np; i++)
        if (try_axis(out, spacing, kmax, pref[i])) return 1;
    return 0;
}

size_t conseco__mm_pair_work_bytes(const conseco__box *box, const conseco__mm_pair *p)
{
    /* lines of up to max(n_b, n_c) cells (sides below 2^25: no overflow):
     * top and rinv (double), site, val, start, GROUP lines; as the integer
     * passes (conseco__mm_int_work_bytes_len) */
    const size_t len = (box->n[p->b] > box->n[p->c] ? box->n[p->b] : box->n[p->c]) + 2;
    return (conseco__mm_int_work_bytes_len(len) + 7) & ~(size_t)7u;
}

int conseco__mm_pair_fit(conseco__mm_pair *p, const conseco__box *box, size_t work_bytes)
{
    const int a = p->a;
    const uint64_t wa = p->wa;
    if (conseco__mm_pair_work_bytes(box, p) <= work_bytes) return 1;
    p->a = p->b; /* the longer line to the sweep, which needs no work */
    p->b = a;
    p->wa = p->wb;
    p->wb = wa;
    return conseco__mm_pair_work_bytes(box, p) <= work_bytes;
}

double conseco__mm_pair_distance(const conseco__mm_pair *p, uint32_t code)
{
    double n[3];
    if (code == 0) return 0.0;
    if (code == CONSECO__MM_NONE) return conseco__inf();
    n[0] = (double)(code >> p->bits);
    n[1] = (double)(code & p->mask);
    n[1] *= n[1]; /* exact: k_c < 2^25 */
    n[2] = 0.0;
    return conseco__mm_distance_n(&p->m, n);
}

/* ------------------------------------------------- the real-axis pass */
typedef struct real_work {
    uint32_t *site, *val, *start;
    double *top;        /* the piece's value at its start, rounded */
    const double *rinv; /* rinv[j] = RN(1 / RN(rho j)), j = 1 .. len - 1 */
} real_work;

/* Sign of f_u(q) - f_t(q) = rho ((q - u)^2 - (q - t)^2) + g_u - g_t, exactly. */
static int diff_sign(const conseco__mm_pair *p, int64_t q, int64_t u, int64_t t, uint32_t gu,
                     uint32_t gt)
{
    int64_t c[3];
    c[0] = (int64_t)gu - (int64_t)gt;
    c[1] = (q - u) * (q - u) - (q - t) * (q - t);
    c[2] = 0; /* s_u^2 c0 + s_c^2 c1 has the sign of the difference */
    return conseco__mm_sign(&p->m, c);
}

/*
 * Lower envelope of rho (q - u)^2 + g_u along one contiguous line of n
 * cells, positions shifted by one (cells 1..n, open margins are sites 0
 * and n + 1 with g = 0), then the codes. Values in double are within a
 * relative 3 * 2^-53 of the true ones (rho, one product, one sum of
 * positive terms), so a difference beyond 2^-48 (f_u + f_t) has its sign.
 */
static void real_envelope_core(uint32_t *d, size_t n, int lo, int hi, const conseco__mm_pair *p,
                          const real_work *e, int flagged)
{
    uint32_t *site = e->site, *val = e->val, *start = e->start;
    double *top = e->top;
    const double rho = p->rho;
    const int64_t last = (int64_t)n;
    const int bits = p->bits;
    const double lerr = (double)(n + 2) * 0x1p-44;
    size_t k = 0, u;
    for (u = lo ? 0 : 1; u <= n + 1; u++) {
        const int64_t uu = (int64_t)u;
        uint32_t gv;
        double gu;
        int64_t w;
        if (u == n + 1) {
            if (!hi) break;
            gv = 0;
        } else if (u == 0) {
            gv = 0;
        } else {
            gv = d[u - 1];
            if (gv == CONSECO__MM_NONE) continue; /* not a site */
            if (flagged) gv &= ~CONSECO__MM_FP;
        }
        gu = (double)gv;
        while (k > 0) {
            const int64_t st = (int64_t)start[k - 1], du = st - uu;
            const double fu = rho * (double)(du * du) + gu, ft = top[k - 1];
            const double df = fu - ft, band = (fu + ft) * 0x1p-48;
            if (df > band) break;
            if (df < -band ||
                (gv == val[k - 1] /* equal G: the nearer site is lower */
                     ? du * du < (st - (int64_t)site[k - 1]) * (st - (int64_t)site[k - 1])
                     : diff_sign(p, st, uu, (int64_t)site[k - 1], gv, val[k - 1]) < 0)) {
                k--; /* u is strictly lower from t's start on */
                continue;
            }
            break;
        }
        if (k == 0) {
            w = 1;
        } else {
            /* the first q > x_t, x_t the real crossing: f_u(q) < f_t(q) <=> q > x_t */
            const int64_t t = (int64_t)site[k - 1], lo_q = (int64_t)start[k - 1] + 1;
            const uint32_t gt = val[k - 1];
            const double y = (gu - (double)gt) * e->rinv[uu - t];
            const double x = 0.5 * ((double)(uu + t) + y);
            /* y within a relative 6 * 2^-53 of its true value (rho, rho j,
             * the reciprocal, the product), then one sum and an exact half:
             * err bounds the error of x whenever x lies in the line, where
             * |y| = |2x - u - t| <= 4 (n + 1) */
            const double err = lerr;
            if (gv == gt) { /* equal G: the crossing is (u + t) / 2 exactly */
                w = 1 + ((uu + t) >> 1);
            } else if (x - err >= (double)lo_q - 1.0 && x + err < (double)last + 1.0 &&
                       (int64_t)(x - err) == (int64_t)(x + err)) {
                w = (int64_t)(x - err) + 1; /* no integer within err: floor is known */
            } else {
                if (!(x < (double)last)) w = last + 1;
                else if (!(x >= (double)lo_q)) w = lo_q;
                else w = (int64_t)x + 1;
                if (w < lo_q) w = lo_q;
                while (w > lo_q && diff_sign(p, w - 1, uu, t, gv, gt) < 0) w--;
                while (w <= last && diff_sign(p, w, uu, t, gv, gt) >= 0) w++;
            }
            if (w < lo_q) w = lo_q;
            if (w > last) continue; /* u is never lowest on this line */
        }
        site[k] = (uint32_t)u;
        val[k] = gv;
        start[k] = (uint32_t)w;
        top[k] = rho * (double)((w - uu) * (w - uu)) + gu;
        k++;
    }
    if (k == 0) return; /* no site on this line: every cell stays NONE */
    for (u = n; u >= 1; u--) {
        const uint32_t s = site[k - 1];
        const uint32_t off = (uint32_t)(u > s ? u - s : s - u);
        const uint32_t code = (val[k - 1] << bits) | off;
        if (flagged) { /* keep the flag; MARK: a NONE cell, its truth unknown */
            const uint32_t old = d[u - 1];
            d[u - 1] = code | (old == CONSECO__MM_NONE ? CONSECO__MM_MARK : old & CONSECO__MM_FP);
        } else {
            d[u - 1] = code;
        }
        if ((uint32_t)u == start[k - 1]) k--;
    }
}

/* Background cells (0) at the ends of a line stay 0 (code 0: G = 0, k = 0),
 * and the innermost of each end run is the nearest background of everything
 * beyond it: the envelope runs between them, those two cells open margins. */
static void real_envelope_line(uint32_t *d, size_t n, int lo, int hi, const conseco__mm_pair *p,
                          const real_work *e, int flagged)
{
    size_t f = 0, l = n;
    while (f < n && d[f] == 0) f++;
    if (f == n) return; /* all background */
    while (d[l - 1] == 0) l--;
    real_envelope_core(d + f, l - f, lo || f > 0, hi || l < n, p, e, flagged);
}

static size_t mem_stride(const conseco__box *box, int axis)
{
    return axis == 0 ? 1 : axis == 1 ? box->n[0] : box->n[0] * box->n[1];
}

/* The i-th index of 0..n-1 from the middle outwards: m, m-1, m+1, m-2, ... */
static size_t middle_out(size_t j, size_t n)
{
    const size_t m = n / 2;
    return (j & 1u) ? m - (j + 1) / 2 : m + j / 2;
}

/* The state of the pruned last pass: T, a lower bound of the need-th
 * largest D2 / s_u^2 over the false positives of the lines done so far
 * (hence of the score's), from a histogram of their approximate values
 * (the exponent and 2 mantissa bits, bits >> 50, from that of the smallest
 * possible value min(1, rho) up; the last bucket takes everything above),
 * and the tests
 * it gives: a cell can reach T only if G >= tg and its offset to the ends
 * of its line's Yhat run exceeds dz0. */
typedef struct prune_state {
    uint32_t *hist;
    uint64_t counted, inf, need;
    unsigned maxb, base;
    uint32_t tg;
    size_t dz0;
    double t; /* T itself (+inf when the score is +inf) */
    uint32_t *list; /* or NULL: the codes of the false positives counted (flagged) */
    size_t list_n, list_cap;
} prune_state;

static double approx_g(const conseco__mm_pair *p, uint32_t code)
{
    const double k = (double)(code & p->mask);
    return (double)(code >> p->bits) + p->rho * (k * k);
}

/* The smallest flagged cell value that can reach T (G >= tg): NONE when
 * no finite G can (tg >= 2^30 > G; NONE cells always pass). */
static uint32_t flag_threshold(uint32_t tg)
{
    return tg >= CONSECO__MM_FP ? CONSECO__MM_NONE : tg | CONSECO__MM_FP;
}

/* Whether a line (gathered, n cells, truth of cell i at t[i * ts]) holds a
 * false positive whose D2 / s_u^2 may reach T: upper bounds are G (the
 * plane's distance) and rho dz^2 (dz the offset to the nearest end of the
 * line's run, an open margin, itself a site). A false positive with no
 * background in its plane (NONE) always counts. */
static int line_needed(const uint32_t *v, size_t n, int lo, int hi, const uint8_t *t,
                       size_t ts, const prune_state *ps, int flagged)
{
    size_t f = 0, l = n, i, s, e;
    while (f < n && v[f] == 0) f++;
    if (f == n) return 0;
    while (v[l - 1] == 0) l--;
    s = (lo || f > 0) ? f + ps->dz0 : f;
    e = (hi || l < n) ? (l > ps->dz0 ? l - ps->dz0 : 0) : l;
    if (flagged) { /* the truth of finite cells is in their flag */
        const uint32_t tf = flag_threshold(ps->tg);
        for (i = f; i < l; i++) {
            const uint32_t c = v[i];
            if (c == CONSECO__MM_NONE) {
                if (!t[i * ts]) return 1;
            } else if (c >= tf && i >= s && i < e) {
                return 1;
            }
        }
        return 0;
    }
    for (i = f; i < l; i++) {
        const uint32_t c = v[i];
        if (c == CONSECO__MM_NONE) {
            if (!t[i * ts]) return 1;
        } else if (c >= ps->tg && c != 0 && i >= s && i < e && !t[i * ts]) {
            return 1;
        }
    }
    return 0;
}

/* Whether any cell of g lines (g <= GROUP, neighbours in memory, n cells
 * along stride sa) is at least thr (unsigned; flagged cells): a necessary
 * condition for line_needed, checked without gathering the lines. */
static int group_may_need(const uint32_t *base, size_t sa, size_t n, size_t g, uint32_t thr)
{
    size_t i, l;
#ifdef CONSECO__SIMD
    if (g == CONSECO__MM_GROUP) {
        /* unsigned v >= thr <=> signed (v ^ 2^31) > (thr - 1) ^ 2^31 (thr >= 1) */
        const conseco__m128i sign = conseco__mm_set1_epi32((int)INT32_MIN),
                             th = conseco__mm_set1_epi32(
                                 (int)(int32_t)((thr - 1u) ^ UINT32_C(0x80000000)));
        for (i = 0; i < n; i++) {
            const conseco__m128i *r = (const conseco__m128i *)(const void *)(base + i * sa);
            const conseco__m128i a = conseco__mm_cmpgt_epi32(
                                     conseco__mm_xor_si128(conseco__mm_loadu_si128(r), sign), th),
                                 b = conseco__mm_cmpgt_epi32(
                                     conseco__mm_xor_si128(conseco__mm_loadu_si128(r + 1), sign), th),
                                 c = conseco__mm_cmpgt_epi32(
                                     conseco__mm_xor_si128(conseco__mm_loadu_si128(r + 2), sign), th),
                                 e = conseco__mm_cmpgt_epi32(
                                     conseco__mm_xor_si128(conseco__mm_loadu_si128(r + 3), sign), th);
            if (conseco__mm_movemask_epi8(conseco__mm_or_si128(conseco__mm_or_si128(a, b),
                                                               conseco__mm_or_si128(c, e))))
                return 1;
        }
        return 0;
    }
#endif
    for (i = 0; i < n; i++)
        for (l = 0; l < g; l++)
            if (base[i * sa + l] >= thr) return 1;
    return 0;
}


/* Counts one false positive with code `code` (histogram, list). */
static void count_fp(const conseco__mm_pair *p, prune_state *ps, uint32_t code)
{
    const unsigned e = (unsigned)(conseco__double_bits(approx_g(p, code)) >> 50);
    const unsigned b = e <= ps->base ? 0u
                       : e - ps->base >= CONSECO__MM_PRUNE_BUCKETS ? CONSECO__MM_PRUNE_BUCKETS - 1u
                                                                   : e - ps->base;
    ps->hist[b]++;
    ps->counted++;
    if (b > ps->maxb) ps->maxb = b;
    if (ps->list != NULL) {
        if (ps->list_n < ps->list_cap) ps->list[ps->list_n++] = code;
        else ps->list = NULL; /* full: the caller scans the marks */
    }
}

/* After the envelope of a needed line: marks its codes and counts its
 * false positives. */
static void line_done(uint32_t *v, size_t n, const uint8_t *t, size_t ts,
                      const conseco__mm_pair *p, prune_state *ps)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const uint32_t c = v[i];
        if (c == 0) continue;
        if (c != CONSECO__MM_NONE) v[i] = c | CONSECO__MM_MARK;
        if (t[i * ts]) continue;
        if (c == CONSECO__MM_NONE) ps->inf++;
        else count_fp(p, ps, c);
    }
}

/* line_done after a flagged envelope: a cell's flag tells whether it is a
 * false positive (MARK: it was NONE in its plane, the truth tells); the
 * flags go, the mark comes as in line_done. */
static void line_done_flagged(uint32_t *v, size_t n, const uint8_t *t, size_t ts,
                              const conseco__mm_pair *p, prune_state *ps)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const uint32_t c = v[i];
        uint32_t code;
        int fp;
        if (c == 0) continue;
        if (c == CONSECO__MM_NONE) { /* no site on the line */
            if (!t[i * ts]) ps->inf++;
            continue;
        }
        code = c & ~(CONSECO__MM_MARK | CONSECO__MM_FP);
        fp = (c & CONSECO__MM_MARK) ? !t[i * ts] : (c & CONSECO__MM_FP) != 0;
        v[i] = code | CONSECO__MM_MARK;
        if (fp) count_fp(p, ps, code);
    }
}

/*
 * The direct form of a needed line (flagged cells, the list holds every
 * false positive counted): instead of the line's envelope, each false
 * positive that can reach T (the test of line_needed) gets its nearest
 * site by a search outwards from itself, stopped once rho dz^2 exceeds the
 * best value (every site farther is higher); sites are the line's cells
 * that are not NONE (background ones G = 0) and the open margins. Every
 * comparison is exact as in the envelope: in double beyond an error band,
 * else by conseco__mm_sign. The other false positives are below T, as in a
 * line that is not needed. Returns 1 when it counted a false positive, 0
 * when none, -1 (nothing done) when the line holds a NONE cell or the
 * searches would cost more than the envelope (long searches: large G over
 * a small rho): then the envelope.
 */
static int line_direct(const uint32_t *v, size_t n, int lo, int hi, const conseco__mm_pair *p,
                       prune_state *ps)
{
    const uint32_t tf = flag_threshold(ps->tg);
    const int64_t first = lo ? -1 : 0, last = hi ? (int64_t)n : (int64_t)n - 1;
    const double rho = p->rho;
    size_t f = 0, l = n, i, s, e, m = 0;
    uint32_t gmax = 0;
    int any = 0;
    while (f < n && v[f] == 0) f++;
    if (f == n) return 0;
    while (v[l - 1] == 0) l--;
    for (i = f; i < l; i++)
        if (v[i] == CONSECO__MM_NONE) return -1;
    s = (lo || f > 0) ? f + ps->dz0 : f;
    e = (hi || l < n) ? (l > ps->dz0 ? l - ps->dz0 : 0) : l;
    for (i = s; i < e; i++)
        if (v[i] >= tf) {
            m++;
            if ((v[i] & ~CONSECO__MM_FP) > gmax) gmax = v[i] & ~CONSECO__MM_FP;
        }
    if (m == 0) return 0;
    {
        /* cost: m searches of at most 2 sqrt(gmax / rho) + 2 sites against
         * an envelope of l - f cells at about 12 sites' cost each */
        const double q = 12.0 * (double)(l - f) / (double)m - 2.0;
        if (!(q > 0.0 && 4.0 * (double)gmax <= rho * q * q)) return -1;
    }
    for (i = s; i < e; i++) {
        const int64_t ii = (int64_t)i;
        uint32_t bg;
        int64_t bt = ii, dd;
        double ba;
        if (v[i] < tf) continue; /* not a false positive, or G below T */
        bg = v[i] & ~CONSECO__MM_FP;
        ba = (double)bg;
        for (dd = 1;; dd++) {
            const double r2 = rho * (double)(dd * dd);
            int side;
            if (r2 > ba * (1.0 + 0x1p-40)) break; /* farther sites are higher */
            if (ii - dd < first && ii + dd > last) break; /* no site left */
            for (side = -1; side <= 1; side += 2) {
                const int64_t j = ii + side * dd;
                uint32_t gj = 0;
                double a, band;
                if (j < first || j > last) continue;
                if (j >= 0 && j < (int64_t)n) {
                    if (v[j] == CONSECO__MM_NONE) continue; /* not a site */
                    gj = v[j] & ~CONSECO__MM_FP;
                }
                a = (double)gj + r2;
                band = (a + ba) * 0x1p-48;
                if (a - ba > band) continue;
                if (a - ba < -band || diff_sign(p, ii, j, bt, gj, bg) < 0) {
                    bg = gj;
                    bt = j;
                    ba = a;
                }
            }
        }
        count_fp(p, ps, (bg << p->bits) | (uint32_t)(bt > ii ? bt - ii : ii - bt));
        any = 1;
    }
    return any;
}

/* T from the histogram: the lower edge of the bucket holding the need-th
 * largest approximation, less 2^-40 for its error (2^-50); then tg and dz0
 * (rho z^2 <= T (1 - 2^-40) for every z <= dz0 implies rho_true z^2 < T). */
static void update_threshold(const conseco__mm_pair *p, size_t n, prune_state *ps)
{
    uint64_t acc = ps->inf;
    unsigned b = ps->maxb;
    double t;
    if (acc >= ps->need) { /* the score is +inf: only NONE cells matter */
        ps->tg = CONSECO__MM_NONE;
        ps->t = conseco__inf();
        ps->dz0 = n + 1;
        return;
    }
    if (acc + ps->counted < ps->need) return;
    for (;; b--) {
        acc += ps->hist[b];
        if (acc >= ps->need || b == 0) break;
    }
    t = b == 0 ? 0.0 : conseco__bits_double((uint64_t)(b + ps->base) << 50) * (1.0 - 0x1p-40);
    ps->tg = t >= 4294967294.0 ? 4294967294u : (uint32_t)t;
    ps->t = t;
    while (ps->dz0 <= n &&
           p->rho * (double)((ps->dz0 + 1) * (ps->dz0 + 1)) <= t * (1.0 - 0x1p-40))
        ps->dz0++;
}

static size_t truth_stride(const conseco_mask *m, int axis)
{
    return axis == 0 ? 1 : axis == 1 ? m->row_stride : m->slice_stride;
}

/* The last pass for the score only (see the header). */
static void pruned_pass(uint32_t *d, const conseco__box *box, const conseco__mm_pair *p,
                        const real_work *e, uint32_t *buf, size_t len,
                        conseco__mm_prune *pr)
{
    const int a = p->c, pa = a == 0 ? 1 : 0, qa = a == 2 ? 1 : 2;
    const size_t n = box->n[a], sa = mem_stride(box, a), sp = mem_stride(box, pa),
                 sq = mem_stride(box, qa);
    const int lo = box->open_lo[a], hi = box->open_hi[a];
    const conseco_mask *tm = pr->truth;
    const size_t ts = truth_stride(tm, a), tsp = truth_stride(tm, pa), tsq = truth_stride(tm, qa);
    const uint8_t *t0 = tm->data + pr->lo[0] + pr->lo[1] * tm->row_stride +
                        pr->lo[2] * tm->slice_stride;
    const size_t nq = box->n[qa],
                 ng = a == 0 ? box->n[pa]
                             : (box->n[pa] + CONSECO__MM_GROUP - 1) / CONSECO__MM_GROUP;
    prune_state ps;
    size_t jq, jp;
    CONSECO_memset(pr->hist, 0, CONSECO__MM_PRUNE_BUCKETS * sizeof(uint32_t));
    ps.hist = pr->hist;
    ps.base = (unsigned)(conseco__double_bits(p->rho < 1.0 ? p->rho : 1.0) >> 50);
    ps.counted = ps.inf = 0;
    ps.need = pr->need;
    ps.maxb = 0;
    ps.tg = 0;
    ps.dz0 = 0;
    ps.t = 0.0;
    ps.list = pr->flagged ? pr->list : NULL;
    ps.list_n = 0;
    ps.list_cap = pr->list_cap;
    for (jq = 0; jq < nq; jq++) {
        const size_t iq = middle_out(jq, nq);
        for (jp = 0; jp < ng; jp++) {
            const size_t gi = middle_out(jp, ng);
            if (a == 0) { /* contiguous lines */
                uint32_t *line = d + gi * sp + iq * sq;
                const uint8_t *t = t0 + gi * tsp + iq * tsq;
                if (!line_needed(line, n, lo, hi, t, ts, &ps, 0)) continue;
                real_envelope_line(line, n, lo, hi, p, e, 0);
                line_done(line, n, t, ts, p, &ps);
                update_threshold(p, n, &ps);
            } else {
                const size_t ip = gi * CONSECO__MM_GROUP, left = box->n[pa] - ip,
                             g = left < CONSECO__MM_GROUP ? left : CONSECO__MM_GROUP;
                uint32_t *base = d + ip + iq * sq;
                const uint8_t *t = t0 + ip * tsp + iq * tsq;
                size_t l;
                int any = 0;
                uint32_t *sm = pr->summary != NULL ? pr->summary + iq * ng + gi : NULL;
                if (pr->flagged && (sm != NULL ? *sm < flag_threshold(ps.tg)
                                               : !group_may_need(base, sa, n, g,
                                                                 flag_threshold(ps.tg)))) {
                    if (sm != NULL) *sm = 0; /* no line of the group is needed */
                    continue;
                }
                conseco__mm_gather(buf, len, base, sa, n, g);
                /* cppcheck-suppress knownConditionTrueFalse */
                for (l = 0; l < g; l++) {
                    if (pr->direct) {
                        const int r = line_direct(buf + l * len, n, lo, hi, p, &ps);
                        if (r >= 0) {
                            any |= r;
                            continue;
                        }
                    }
                    if (!line_needed(buf + l * len, n, lo, hi, t + l * tsp, ts, &ps,
                                     pr->flagged))
                        continue;
                    real_envelope_line(buf + l * len, n, lo, hi, p, e, pr->flagged);
                    if (pr->flagged)
                        line_done_flagged(buf + l * len, n, t + l * tsp, ts, p, &ps);
                    else
                        line_done(buf + l * len, n, t + l * tsp, ts, p, &ps);
                    any = 1;
                }
                if (sm != NULL) *sm = (uint32_t)any; /* now: the group holds marks */
                if (!any) continue;
                if (!pr->direct) conseco__mm_scatter(buf, len, base, sa, n, g);
                update_threshold(p, n, &ps);
            }
        }
    }
    pr->t_out = ps.t;
    pr->list = ps.list;
    pr->list_n = ps.list_n;
    pr->fp_finite = ps.counted;
    pr->fp_inf = ps.inf;
}

/* Passes 1 and 2 on one z slice (c == 2): the sweep along y, vectorisable
 * over x (the offset to the nearest background in the column, NONE when
 * none, then w k^2 exactly in uint32), then the envelopes of the rows. */
static void plane(uint32_t *s, const conseco__box *box, const conseco__mm_pair *p, void *work,
                  int init, const uint8_t *truth, size_t t_stride, uint32_t *summary,
                  int swept)
{
    const size_t n0 = box->n[0], n1 = box->n[1];
    const uint32_t w = (uint32_t)p->wa; /* < 2^32 */
    size_t x, y, len = (n0 > box->n[2] ? n0 : box->n[2]) + 2;
    if (box->open_lo[1] && !swept)
        for (x = 0; x < n0; x++) s[x] = s[x] < 1u ? s[x] : 1u;
    for (y = swept ? n1 : 1; y < n1; y++) {
        uint32_t *cur = s + y * n0;
        const uint32_t *prev = cur - n0;
        for (x = 0; x < n0; x++) {
            const uint32_t t = prev[x] + (uint32_t)(prev[x] != CONSECO__MM_NONE);
            cur[x] = cur[x] < t ? cur[x] : t;
        }
    }
    if (box->open_hi[1]) {
        uint32_t *last = s + (n1 - 1) * n0;
        for (x = 0; x < n0; x++) last[x] = last[x] < 1u ? last[x] : 1u;
    }
    for (y = n1 - 1; y-- > 0;) {
        uint32_t *cur = s + y * n0, *next = cur + n0;
        for (x = 0; x < n0; x++) {
            const uint32_t t = next[x] + (uint32_t)(next[x] != CONSECO__MM_NONE);
            cur[x] = cur[x] < t ? cur[x] : t;
            /* row y + 1 is final: to w k^2 (below 2^32 - 1, see init) */
            next[x] = next[x] == CONSECO__MM_NONE ? next[x] : w * next[x] * next[x];
        }
    }
    for (x = 0; x < n0; x++) s[x] = s[x] == CONSECO__MM_NONE ? s[x] : w * s[x] * s[x];
    if (truth != NULL)
        conseco__mm_int_rows_flag(s, n0, n1, box->open_lo[0], box->open_hi[0], p->wb, work,
                                  len, init, truth, t_stride, summary);
    else
        conseco__mm_int_rows(s, n0, n1, box->open_lo[0], box->open_hi[0], p->wb, work, len,
                             init);
}

void conseco__mm_pair_plane(uint32_t *s, const conseco__box *box, const conseco__mm_pair *p,
                            void *work, int init)
{
    plane(s, box, p, work, init, NULL, 0, NULL, 0);
}

void conseco__mm_pair_plane_flag(uint32_t *s, const conseco__box *box,
                                 const conseco__mm_pair *p, void *work, int init,
                                 const uint8_t *t, size_t t_stride, uint32_t *summary,
                                 int swept)
{
    plane(s, box, p, work, init, t, t_stride, summary, swept);
}

void conseco__mm_pair_first(uint32_t *d, const conseco__box *box, const conseco__mm_pair *p,
                            void *work)
{
    const size_t n = box->n[p->c];
    const size_t len = (box->n[p->b] > n ? box->n[p->b] : n) + 2;
    conseco__mm_int_pass(d, box, p->a, p->wa, 1, work, len);
    conseco__mm_int_pass(d, box, p->b, p->wb, 0, work, len);
}

int conseco__mm_pair_last(uint32_t *d, const conseco__box *box, const conseco__mm_pair *p,
                          void *work, conseco__mm_prune *pr)
{
    const int a = p->c, pa = a == 0 ? 1 : 0, qa = a == 2 ? 1 : 2;
    const size_t n = box->n[a], sa = mem_stride(box, a), sp = mem_stride(box, pa),
                 sq = mem_stride(box, qa);
    const int lo = box->open_lo[a], hi = box->open_hi[a];
    size_t len = box->n[p->b] > n ? box->n[p->b] : n, ip, iq;
    real_work e;
    uint32_t *buf;
    len += 2;
    if (p->bits == 0) return 0; /* no offsets along c: the codes are G */
    e.top = (double *)work; /* the integer passes' layout: 92 bytes per len */
    {
        double *rinv = e.top + len;
        size_t r;
        rinv[0] = 0.0;
        for (r = 1; r < len; r++) rinv[r] = 1.0 / (p->rho * (double)r);
        e.rinv = rinv;
    }
    e.site = (uint32_t *)(void *)(e.top + 2 * len);
    e.val = e.site + len;
    e.start = e.val + len;
    buf = e.start + len;
    if (pr != NULL && p->can_mark) {
        pruned_pass(d, box, p, &e, buf, len, pr);
        return 1;
    }
    for (iq = 0; iq < box->n[qa]; iq++) {
        if (a == 0) { /* contiguous lines */
            for (ip = 0; ip < box->n[pa]; ip++)
                real_envelope_line(d + ip * sp + iq * sq, n, lo, hi, p, &e, 0);
            continue;
        }
        for (ip = 0; ip < box->n[pa]; ip += CONSECO__MM_GROUP) {
            const size_t left = box->n[pa] - ip,
                         g = left < CONSECO__MM_GROUP ? left : CONSECO__MM_GROUP;
            uint32_t *base = d + ip + iq * sq;
            size_t l;
            conseco__mm_gather(buf, len, base, sa, n, g);
            /* cppcheck-suppress knownConditionTrueFalse */
            for (l = 0; l < g; l++) real_envelope_line(buf + l * len, n, lo, hi, p, &e, 0);
            conseco__mm_scatter(buf, len, base, sa, n, g);
        }
    }
    return 0;
}

int conseco__mm_pair_transform(uint32_t *d, const conseco__box *box, const conseco__mm_pair *p,
                               void *work, conseco__mm_prune *pr)
{
    conseco__mm_pair_first(d, box, p, work);
    return conseco__mm_pair_last(d, box, p, work, pr);
}
