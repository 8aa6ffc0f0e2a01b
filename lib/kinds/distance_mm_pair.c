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
    const int ax[2] = {c == 0 ? 1 : 0, c == 2 ? 1 : 2};
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

size_t conseco__mm_pair_work_bytes_image(size_t w, size_t h, size_t d)
{
    size_t len = w > h ? w : h, bytes;
    if (d > len) len = d;
    if (!conseco__add_size(len, 2, &len)) return 0;
    if (!conseco__mul_size(len, (7u + CONSECO__MM_GROUP) * sizeof(uint32_t), &bytes) ||
        !conseco__add_size(bytes, 7, &bytes))
        return 0;
    return bytes & ~(size_t)7u;
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
    double *top; /* the piece's value at its start, rounded */
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
static void envelope_core(uint32_t *d, size_t n, int lo, int hi, const conseco__mm_pair *p,
                          const real_work *e)
{
    uint32_t *site = e->site, *val = e->val, *start = e->start;
    double *top = e->top;
    const double rho = p->rho;
    const int64_t last = (int64_t)n;
    const int bits = p->bits;
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
        }
        gu = (double)gv;
        while (k > 0) {
            const int64_t st = (int64_t)start[k - 1], du = st - uu;
            const double fu = rho * (double)(du * du) + gu, ft = top[k - 1];
            const double df = fu - ft, band = (fu + ft) * 0x1p-48;
            if (df > band) break;
            if (df < -band ||
                diff_sign(p, st, uu, (int64_t)site[k - 1], gv, val[k - 1]) < 0) {
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
            const double y = (gu - (double)gt) / (rho * (double)(uu - t));
            const double x = 0.5 * ((double)(uu + t) + y);
            const double err = ((y < 0.0 ? -y : y) + (x < 0.0 ? -x : x)) * 0x1p-46 + 0x1p-40;
            if (x - err >= (double)lo_q - 1.0 && x + err < (double)last + 1.0 &&
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
        d[u - 1] = (val[k - 1] << bits) | off;
        if ((uint32_t)u == start[k - 1]) k--;
    }
}

/* Background cells (0) at the ends of a line stay 0 (code 0: G = 0, k = 0),
 * and the innermost of each end run is the nearest background of everything
 * beyond it: the envelope runs between them, those two cells open margins. */
static void envelope_line(uint32_t *d, size_t n, int lo, int hi, const conseco__mm_pair *p,
                          const real_work *e)
{
    size_t f = 0, l = n;
    while (f < n && d[f] == 0) f++;
    if (f == n) return; /* all background */
    while (d[l - 1] == 0) l--;
    envelope_core(d + f, l - f, lo || f > 0, hi || l < n, p, e);
}

static size_t mem_stride(const conseco__box *box, int axis)
{
    return axis == 0 ? 1 : axis == 1 ? box->n[0] : box->n[0] * box->n[1];
}

void conseco__mm_pair_transform(uint32_t *d, const conseco__box *box,
                                const conseco__mm_pair *p, void *work)
{
    const int a = p->c, pa = a == 0 ? 1 : 0, qa = a == 2 ? 1 : 2;
    const size_t n = box->n[a], sa = mem_stride(box, a), sp = mem_stride(box, pa),
                 sq = mem_stride(box, qa);
    const int lo = box->open_lo[a], hi = box->open_hi[a];
    size_t len = box->n[p->b] > n ? box->n[p->b] : n, ip, iq;
    real_work e;
    uint32_t *buf;
    len += 2;
    conseco__mm_int_pass(d, box, p->a, p->wa, 1, work, len);
    conseco__mm_int_pass(d, box, p->b, p->wb, 0, work, len);
    if (p->bits == 0) return; /* no offsets along c: the codes are G */
    e.top = (double *)work;
    e.site = (uint32_t *)(void *)(e.top + len);
    e.val = e.site + len;
    e.start = e.val + len;
    buf = e.start + len;
    for (iq = 0; iq < box->n[qa]; iq++) {
        if (a == 0) { /* contiguous lines */
            for (ip = 0; ip < box->n[pa]; ip++)
                envelope_line(d + ip * sp + iq * sq, n, lo, hi, p, &e);
            continue;
        }
        for (ip = 0; ip < box->n[pa]; ip += CONSECO__MM_GROUP) {
            const size_t left = box->n[pa] - ip,
                         g = left < CONSECO__MM_GROUP ? left : CONSECO__MM_GROUP;
            uint32_t *base = d + ip + iq * sq;
            size_t l;
            conseco__mm_gather(buf, len, base, sa, n, g);
            /* cppcheck-suppress knownConditionTrueFalse */
            for (l = 0; l < g; l++) envelope_line(buf + l * len, n, lo, hi, p, &e);
            conseco__mm_scatter(buf, len, base, sa, n, g);
        }
    }
}
