/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact Euclidean distances with voxel spacing (ball-mm, docs/DESIGN.md 5.1).
 *
 * Arithmetic. A squared distance is D2 = sum_a s_a^2 k_a^2 with integer
 * offsets k_a. Every decision is a sign of sum_a s_a^2 c_a with integer c_a
 * (|c_a| < 2^52, exact as doubles): first in double with an error bound
 * (16 units in the last place of the sum of magnitudes, where the true
 * error is below 5), and when that cannot decide, exactly: s_a^2 = h_a + l_a
 * (Dekker's product), each c_a h_a and c_a l_a is again an exact sum of two
 * doubles, and the sign of the sum of these 12 doubles is the sign of its
 * nonoverlapping expansion (Shewchuk's grow-expansion with the 6-flop
 * two-sum). This needs IEEE double with round-to-nearest, no excess
 * precision and no contraction into fused multiply-adds (C11 mode of gcc;
 * clang gets the pragma below), and no underflow or overflow: spacings are
 * limited to [2^-256, 2^256] mm.
 *
 * The distance of a voxel is RN(sqrt(D2)), the double nearest to the true
 * real distance (ties to even). D2 is formed as a double-double (relative
 * error below 2^-98); its square root r is accepted when D2 - r^2 is, with
 * that error, strictly inside the rounding interval of r; otherwise r is
 * checked against the midpoints (r +- ulp/2)^2 exactly and moved one ulp
 * at a time. No libm: the square root is SSE2's on x86-64, else Newton's.
 *
 * Transform. Separable (Meijster et al. 2000, with spacing): along the
 * first axis (the longest of the box) each cell gets its 1-D offset to the
 * nearest background cell of its line; along each later axis the lower
 * envelope of the parabolas s_a^2 (q - u)^2 + g_u is built at integer
 * positions, every comparison being an exact sign as above. Cells keep
 * offsets, not values: code = sum k_a * stride_a with radix n_a + 1, so the
 * value of every site is recomputed exactly when needed.
 */
#include "distance_mm.h"
#include "common/simd.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* --------------------------------------------------- exact primitives */
static void two_sum(double a, double b, double *s, double *e)
{
    const double x = a + b, bv = x - a, av = x - bv;
    *s = x;
    *e = (a - av) + (b - bv);
}

static void split(double a, double *hi, double *lo)
{
    const double c = 134217729.0 * a; /* 2^27 + 1 */
    const double big = c - a;
    *hi = c - big;
    *lo = a - *hi;
}

static void two_prod(double a, double b, double *p, double *e)
{
    double ah, al, bh, bl;
    const double x = a * b;
    split(a, &ah, &al);
    split(b, &bh, &bl);
    *p = x;
    *e = ((ah * bh - x) + ah * bl + al * bh) + al * bl;
}

/* Sign of the exact sum of x[0..n), n <= 20. */
static int expansion_sign(const double *x, int n)
{
    double h[20];
    int len = 0, i, j;
    for (i = 0; i < n; i++) {
        double q = x[i];
        int out = 0;
        if (q == 0.0) continue;
        for (j = 0; j < len; j++) {
            double s, e;
            two_sum(q, h[j], &s, &e);
            q = s;
            if (e != 0.0) h[out++] = e;
        }
        if (q != 0.0) h[out++] = q;
        len = out;
    }
    if (len == 0) return 0;
    return h[len - 1] > 0.0 ? 1 : -1;
}

static double next_up(double r) /* r > 0 finite */
{
    return conseco__bits_double(conseco__double_bits(r) + 1u);
}
static double next_down(double r) /* r > 0 */
{
    return conseco__bits_double(conseco__double_bits(r) - 1u);
}

/* An approximation of sqrt(x), x > 0 normal, within a few ulps. */
static double approx_sqrt(double x)
{
#ifdef CONSECO__SSE2
    return _mm_cvtsd_f64(_mm_sqrt_sd(_mm_setzero_pd(), _mm_set_sd(x)));
#else
    const uint64_t bits = conseco__double_bits(x);
    const int e = (int)((bits >> 52) & 0x7FFu) - 1023;
    const int k = e >= 0 ? e / 2 : -((1 - e) / 2); /* floor(e / 2) */
    const double m = conseco__bits_double((bits & UINT64_C(0x000FFFFFFFFFFFFF)) |
                                          ((uint64_t)(1023 + e - 2 * k) << 52)); /* [1, 4) */
    double y = 0.5 * (m + 1.0);
    int i;
    for (i = 0; i < 6; i++) y = 0.5 * (y + m / y);
    return y * conseco__bits_double((uint64_t)(1023 + k) << 52);
#endif
}

/* ---------------------------------------------------------- the metric */
int conseco__mm_init(conseco__mm *m, const double spacing[3])
{
    int a;
    for (a = 0; a < 3; a++) {
        const double s = spacing[a];
        if (!(s >= CONSECO__MM_SPACING_MIN && s <= CONSECO__MM_SPACING_MAX))
            return CONSECO_E_BAD_SPACING;
        m->s2[a] = s * s;
        two_prod(s, s, &m->h[a], &m->l[a]);
    }
    return CONSECO_OK;
}

int conseco__mm_sign(const conseco__mm *m, const int64_t c[3])
{
    double v = 0.0, mag = 0.0, x[12];
    int a, n = 0;
    for (a = 0; a < 3; a++) {
        const double ca = (double)c[a];
        v += ca * m->s2[a];
        mag += (ca < 0.0 ? -ca : ca) * m->s2[a];
    }
    if (v > mag * 0x1p-49) return 1;
    if (v < -mag * 0x1p-49) return -1;
    if (mag == 0.0) return 0;
    for (a = 0; a < 3; a++) {
        const double ca = (double)c[a];
        if (c[a] == 0) continue;
        two_prod(ca, m->h[a], &x[n], &x[n + 1]);
        two_prod(ca, m->l[a], &x[n + 2], &x[n + 3]);
        n += 4;
    }
    return expansion_sign(x, n);
}

/* Sign of D2 - (r + sign * half)^2 with D2 the 12-term expansion e. */
static int side_sign(const double e[12], double r, double gap, int up)
{
    double x[16], half = 0.5 * gap;
    int i;
    for (i = 0; i < 12; i++) x[i] = e[i];
    two_prod(r, r, &x[12], &x[13]);
    x[12] = -x[12];
    x[13] = -x[13];
    /* (r +- gap/2)^2 = r^2 +- r gap + gap^2 / 4: r * gap and half^2 are exact */
    x[14] = up ? -(r * gap) : r * gap;
    x[15] = -(half * half);
    return expansion_sign(x, 16);
}

static double even_of(double a, double b)
{
    return (conseco__double_bits(a) & 1u) == 0 ? a : b;
}

/* Exact rounding of sqrt(D2) starting from a candidate r > 0. */
static double round_sqrt_exact(const conseco__mm *m, const double n[3], double r)
{
    double e[12];
    size_t a;
    for (a = 0; a < 3; a++) {
        two_prod(n[a], m->h[a], &e[4 * a], &e[4 * a + 1]);
        two_prod(n[a], m->l[a], &e[4 * a + 2], &e[4 * a + 3]);
    }
    for (;;) {
        const double up = next_up(r), down = next_down(r);
        int s = side_sign(e, r, up - r, 1);
        if (s > 0) {
            r = up;
            continue;
        }
        if (s == 0) return even_of(r, up);
        s = side_sign(e, r, r - down, 0);
        if (s < 0) {
            r = down;
            continue;
        }
        if (s == 0) return even_of(r, down);
        return r;
    }
}

double conseco__mm_sqrt_exact(double v)
{
    conseco__mm m;
    const double n[3] = {1.0, 0.0, 0.0};
    if (!(v > 0.0)) return 0.0;
    CONSECO_memset(&m, 0, sizeof m);
    m.h[0] = v; /* the expansion of D2 is v itself */
    return round_sqrt_exact(&m, n, approx_sqrt(v));
}

double conseco__mm_distance(const conseco__mm *m, uint32_t k0, uint32_t k1, uint32_t k2)
{
    const double n[3] = {(double)((uint64_t)k0 * k0), (double)((uint64_t)k1 * k1),
                         (double)((uint64_t)k2 * k2)};
    return conseco__mm_distance_n(m, n);
}

double conseco__mm_distance_n(const conseco__mm *m, const double n[3])
{
    double p[3], e[3], lo = 0.0, s, e1, e2, dh, dl, r, pp, pe, rr, err, up, down;
    int a;
    for (a = 0; a < 3; a++) {
        two_prod(n[a], m->h[a], &p[a], &e[a]);
        lo += e[a] + n[a] * m->l[a];
    }
    two_sum(p[0], p[1], &s, &e1);
    two_sum(s, p[2], &s, &e2);
    lo += e1 + e2;
    dh = s + lo;
    dl = lo - (dh - s);
    if (dh == 0.0) return 0.0;
    r = approx_sqrt(dh);
    two_prod(r, r, &pp, &pe);
    rr = (dh - pp) + (dl - pe);
    err = dh * 0x1p-95 + (rr < 0.0 ? -rr : rr) * 0x1p-50;
    up = next_up(r) - r;
    down = r - next_down(r);
    if (rr + err < r * up * (1.0 - 0x1p-40) && rr - err > -(r * down) * (1.0 - 0x1p-40))
        return r;
    return round_sqrt_exact(m, n, r);
}

/* ----------------------------------------------------------- the box */
int conseco__mm_box_init(conseco__mm_box *b, const conseco__box *box)
{
    uint64_t total = 1;
    int a, j = 1;
    b->box = *box;
    b->order[0] = 0;
    if (box->n[1] > box->n[b->order[0]]) b->order[0] = 1;
    if (box->n[2] > box->n[b->order[0]]) b->order[0] = 2;
    for (a = 0; a < 3; a++)
        if (a != b->order[0]) b->order[j++] = a;
    for (a = 0; a < 3; a++) {
        if (box->n[a] >= ((size_t)1 << 25)) return CONSECO_E_OVERFLOW;
        b->radix[a] = (uint32_t)box->n[a] + 1u;
    }
    for (j = 0; j < 3; j++) {
        const int ax = b->order[j];
        b->stride[ax] = (uint32_t)total;
        b->inv[ax] = 1.0 / (double)total;
        total *= b->radix[ax];
        if (total >= (uint64_t)UINT32_MAX) return CONSECO_E_OVERFLOW;
    }
    return CONSECO_OK;
}

/* floor(v / stride[a]) and the remainder: the double quotient is within one
 * of the true one (v < 2^32 exact, 1/stride within half an ulp). */
static uint32_t quotient(const conseco__mm_box *b, int a, uint32_t v, uint32_t *rem)
{
    const int64_t st = (int64_t)b->stride[a];
    int64_t q = (int64_t)((double)v * b->inv[a]), r = (int64_t)v - q * st;
    if (r < 0) {
        q--;
        r += st;
    } else if (r >= st) {
        q++;
        r -= st;
    }
    *rem = (uint32_t)r;
    return (uint32_t)q;
}

static void decode(const conseco__mm_box *b, uint32_t code, uint32_t k[3])
{
    const int a2 = b->order[2], a1 = b->order[1], a0 = b->order[0];
    uint32_t rem;
    k[a2] = quotient(b, a2, code, &rem);
    k[a1] = quotient(b, a1, rem, &k[a0]);
}

double conseco__mm_code_d2_approx(const conseco__mm_box *b, const conseco__mm *m,
                                  uint32_t code)
{
    uint32_t k[3];
    decode(b, code, k);
    return m->s2[0] * ((double)k[0] * (double)k[0]) + m->s2[1] * ((double)k[1] * (double)k[1]) +
           m->s2[2] * ((double)k[2] * (double)k[2]);
}

double conseco__mm_code_distance(const conseco__mm_box *b, const conseco__mm *m,
                                 uint32_t code)
{
    uint32_t k[3];
    if (code == 0) return 0.0;
    if (code == CONSECO__MM_NONE) return conseco__inf();
    decode(b, code, k);
    return conseco__mm_distance(m, k[0], k[1], k[2]);
}

static size_t round8(size_t v) { return (v + 7u) & ~(size_t)7u; }

/* Per envelope entry: g (double), then site, code, start, k of the two
 * earlier axes (uint32). */
#define ENTRY_BYTES 28u

size_t conseco__mm_work_bytes(const conseco__mm_box *b)
{
    size_t longest = 1;
    int j;
    for (j = 1; j < 3; j++)
        if (b->box.n[b->order[j]] > longest) longest = b->box.n[b->order[j]];
    return round8(ENTRY_BYTES * (longest + 2));
}

size_t conseco__mm_work_bytes_image(size_t w, size_t h, size_t d)
{
    const size_t big = w > h ? w : h, small = w > h ? h : w;
    const size_t second = d >= big ? big : d > small ? d : small;
    size_t len;
    if (!conseco__add_size(second, 2, &len) || !conseco__mul_size(len, ENTRY_BYTES, &len) ||
        !conseco__add_size(len, 7, &len))
        return 0;
    return round8(len);
}

/* ------------------------------------------------------ the transform */
static size_t mem_stride(const conseco__box *box, int axis)
{
    return axis == 0 ? 1 : axis == 1 ? box->n[0] : box->n[0] * box->n[1];
}

/* First axis: offset to the nearest background of the line (stride 1). */
static void sweep_line(uint32_t *c, size_t n, size_t st, int lo, int hi)
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
    }
}

typedef struct envelope {
    double *g;
    uint32_t *site, *code, *start, *ka, *kb;
} envelope;

typedef struct line_ctx {
    const conseco__mm_box *b;
    const conseco__mm *m;
    int axis, pa, pb; /* this axis and the two earlier ones (pb < 0: none) */
} line_ctx;

/* Sign of f_u(q) - f_t(q), f_j(q) = s^2 (q - j)^2 + g_j, for stack entries
 * t and the candidate u (its fields passed in). */
static int diff_sign(const line_ctx *cx, const envelope *e, size_t t, int64_t q, int64_t u,
                     uint32_t ka, uint32_t kb)
{
    int64_t c[3] = {0, 0, 0};
    const int64_t st = (int64_t)e->site[t];
    const int64_t kat = (int64_t)e->ka[t], kbt = (int64_t)e->kb[t];
    c[cx->axis] = (q - u) * (q - u) - (q - st) * (q - st);
    c[cx->pa] += (int64_t)ka * (int64_t)ka - kat * kat;
    if (cx->pb >= 0) c[cx->pb] += (int64_t)kb * (int64_t)kb - kbt * kbt;
    return conseco__mm_sign(cx->m, c);
}

static void envelope_core(const line_ctx *cx, uint32_t *c, size_t n, size_t st, int lo,
                          int hi, const envelope *e)
{
    const conseco__mm *m = cx->m;
    const conseco__mm_box *b = cx->b;
    const int64_t last = (int64_t)n;
    const uint32_t astride = b->stride[cx->axis];
    size_t k = 0, u;
    for (u = lo ? 0 : 1; u <= n + 1; u++) {
        uint32_t code = 0, kk[3] = {0, 0, 0};
        double g = 0.0;
        const int64_t uu = (int64_t)u;
        if (u == n + 1) {
            if (!hi) break;
        } else if (u != 0) {
            code = c[(u - 1) * st];
            if (code == CONSECO__MM_NONE) continue; /* not a site */
            if (code != 0) {
                decode(b, code, kk);
                g = m->s2[cx->pa] * (double)kk[cx->pa] * (double)kk[cx->pa];
                if (cx->pb >= 0) g += m->s2[cx->pb] * (double)kk[cx->pb] * (double)kk[cx->pb];
            }
        }
        {
            const uint32_t ka = kk[cx->pa], kb = cx->pb >= 0 ? kk[cx->pb] : 0u;
            /* Pop t while f_u(start_t) < f_t(start_t): both values in double
             * (each within a relative 6 * 2^-53 of the true one: s^2, the
             * products and sums of positive terms), so their difference is
             * within 2^-48 (f_u + f_t) of the true one; the exact sign decides
             * only inside that band. */
            const double s2a = m->s2[cx->axis];
            double x = 0.0, err = -1.0;
            while (k > 0) {
                const size_t t = k - 1;
                const int64_t ts = (int64_t)e->site[t], st0 = (int64_t)e->start[t];
                const double dq = (double)(st0 - uu), dt = (double)(st0 - ts);
                const double fu = s2a * (dq * dq) + g, ft = s2a * (dt * dt) + e->g[t];
                const double df = fu - ft, band = (fu + ft) * 0x1p-48;
                if (df < -band) { /* u beats t from t's start on */
                    k--;
                    continue;
                }
                if (df > band) break;
                if (diff_sign(cx, e, t, st0, uu, ka, kb) < 0) {
                    k--;
                    continue;
                }
                break;
            }
            if (k > 0) {
                /* f_u(q) < f_t(q) <=> q > x_t, the real crossing of the two
                 * parabolas. x is x_t from the rounded g (relative error < 5
                 * ulps each), within err of it. */
                const size_t t = k - 1;
                const int64_t ts = (int64_t)e->site[t];
                const double inv = 1.0 / (s2a * (double)(uu - ts));
                x = 0.5 * ((double)(ts + uu) + (g - e->g[t]) * inv);
                err = ((g + e->g[t]) * inv + (x < 0.0 ? -x : x)) * 0x1p-46 + 0x1p-30;
            }
            if (k == 0) {
                e->start[0] = 1;
            } else {
                /* first q > start with f_u(q) < f_t(q), i.e. floor(x_t) + 1 */
                const size_t t = k - 1;
                const int64_t ts = (int64_t)e->site[t], lo_q = (int64_t)e->start[t] + 1;
                int64_t w;
                if (err >= 0.0 && x - err >= (double)lo_q - 1.0 && x + err < (double)last + 1.0 &&
                    (int64_t)(x - err) == (int64_t)(x + err)) {
                    w = (int64_t)(x - err) + 1; /* no integer within err: floor is known */
                } else {
                    x = 0.5 * ((double)(ts + uu) +
                               (g - e->g[t]) / (m->s2[cx->axis] * (double)(uu - ts)));
                    if (!(x < (double)last)) w = last + 1;
                    else if (!(x >= (double)lo_q)) w = lo_q;
                    else w = (int64_t)x + 1;
                    if (w < lo_q) w = lo_q;
                    while (w > lo_q && diff_sign(cx, e, t, w - 1, uu, ka, kb) < 0) w--;
                    while (w <= last && diff_sign(cx, e, t, w, uu, ka, kb) >= 0) w++;
                }
                if (w < lo_q) w = lo_q;
                if (w > last) continue;
                e->start[k] = (uint32_t)w;
            }
            e->site[k] = (uint32_t)u;
            e->code[k] = code;
            e->g[k] = g;
            e->ka[k] = ka;
            e->kb[k] = kb;
            k++;
        }
    }
    if (k == 0) return; /* no site: every cell stays NONE */
    for (u = n; u >= 1; u--) {
        const uint32_t s = e->site[k - 1];
        const uint32_t off = (uint32_t)(u > s ? u - s : s - u);
        c[(u - 1) * st] = e->code[k - 1] + off * astride;
        if ((uint32_t)u == e->start[k - 1]) k--;
    }
}

/* Background cells (code 0) at the ends of a line stay 0, and the
 * innermost of each end run is the nearest background along the line of
 * everything beyond it (offsets are relative, so a shifted line gives the
 * same codes): the envelope runs only between them, with those two cells as
 * open margins. */
static void envelope_line(const line_ctx *cx, uint32_t *c, size_t n, size_t st, int lo,
                          int hi, const envelope *e)
{
    size_t f = 0, l = n;
    while (f < n && c[f * st] == 0) f++;
    if (f == n) return; /* all background */
    while (c[(l - 1) * st] == 0) l--;
    envelope_core(cx, c + f * st, l - f, st, lo || f > 0, hi || l < n, e);
}

void conseco__mm_transform(uint32_t *code, const conseco__mm_box *b, const conseco__mm *m,
                           void *work)
{
    const conseco__box *box = &b->box;
    envelope e;
    size_t len = 1;
    int j;
    for (j = 1; j < 3; j++)
        if (box->n[b->order[j]] > len) len = box->n[b->order[j]];
    len += 2;
    e.g = (double *)work;
    e.site = (uint32_t *)(void *)(e.g + len);
    e.code = e.site + len;
    e.start = e.code + len;
    e.ka = e.start + len;
    e.kb = e.ka + len;
    for (j = 0; j < 3; j++) {
        const int a = b->order[j], p = a == 0 ? 1 : 0, q = a == 2 ? 1 : 2;
        const size_t sa = mem_stride(box, a), sp = mem_stride(box, p), sq = mem_stride(box, q);
        line_ctx cx;
        size_t ip, iq;
        if (j > 0 && box->n[a] == 1 && !box->open_lo[a] && !box->open_hi[a]) continue;
        cx.b = b;
        cx.m = m;
        cx.axis = a;
        cx.pa = b->order[0];
        cx.pb = j == 2 ? b->order[1] : -1;
        for (iq = 0; iq < box->n[q]; iq++)
            for (ip = 0; ip < box->n[p]; ip++) {
                uint32_t *line = code + ip * sp + iq * sq;
                if (j == 0)
                    sweep_line(line, box->n[a], sa, box->open_lo[a], box->open_hi[a]);
                else
                    envelope_line(&cx, line, box->n[a], sa, box->open_lo[a], box->open_hi[a],
                                  &e);
            }
    }
}
