/* SPDX-License-Identifier: Apache-2.0 */
/* Literal ball-mm: see ref_distance_mm.h. */
#include "ref_distance_mm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conseco.h"

/* ------------------------------------------------ 256-bit unsigned ints */
#define LIMBS 8
typedef struct big {
    uint32_t v[LIMBS]; /* little-endian limbs */
} big;

static big big_from(uint64_t x)
{
    big b;
    memset(&b, 0, sizeof b);
    b.v[0] = (uint32_t)x;
    b.v[1] = (uint32_t)(x >> 32);
    return b;
}

static big big_add(big a, big b)
{
    uint64_t carry = 0;
    int i;
    for (i = 0; i < LIMBS; i++) {
        const uint64_t s = (uint64_t)a.v[i] + b.v[i] + carry;
        a.v[i] = (uint32_t)s;
        carry = s >> 32;
    }
    return a;
}

static big big_mul(big a, big b)
{
    uint64_t acc[2 * LIMBS];
    big r;
    int i, j;
    memset(acc, 0, sizeof acc);
    for (i = 0; i < LIMBS; i++)
        for (j = 0; j < LIMBS; j++) {
            const uint64_t p = (uint64_t)a.v[i] * b.v[j];
            int k = i + j;
            uint64_t add = p;
            while (add != 0 && k < 2 * LIMBS) { /* add to 32-bit digits with carries */
                const uint64_t s = acc[k] + (add & 0xFFFFFFFFu);
                acc[k] = s & 0xFFFFFFFFu;
                add = (add >> 32) + (s >> 32);
                k++;
            }
        }
    for (i = 0; i < LIMBS; i++) r.v[i] = (uint32_t)acc[i];
    return r;
}

static big big_shl(big a, unsigned bits) /* a * 2^bits */
{
    while (bits > 0) {
        const unsigned step = bits > 16 ? 16 : bits;
        uint64_t carry = 0;
        int i;
        for (i = 0; i < LIMBS; i++) {
            const uint64_t s = ((uint64_t)a.v[i] << step) | carry;
            a.v[i] = (uint32_t)s;
            carry = s >> 32;
        }
        bits -= step;
    }
    return a;
}

static int big_cmp(big a, big b)
{
    int i;
    for (i = LIMBS - 1; i >= 0; i--)
        if (a.v[i] != b.v[i]) return a.v[i] < b.v[i] ? -1 : 1;
    return 0;
}

static double big_to_double(big a) /* approximate */
{
    double r = 0.0;
    int i;
    for (i = LIMBS - 1; i >= 0; i--) r = r * 4294967296.0 + a.v[i];
    return r;
}

/* -------------------------------------------------------- the metric */
/* s = M * 2^E with integer M. */
static void decompose(double s, uint64_t *m, int *e)
{
    int ex;
    const double f = frexp(s, &ex); /* s = f * 2^ex, f in [0.5, 1) */
    *m = (uint64_t)ldexp(f, 53);
    *e = ex - 53;
}

typedef struct metric {
    big w[3]; /* M_a^2 * 4^(E_a - emin) */
    int emin;
} metric;

static metric metric_of(const double spacing[3])
{
    metric mt;
    uint64_t m[3];
    int e[3], a;
    for (a = 0; a < 3; a++) decompose(spacing[a], &m[a], &e[a]);
    mt.emin = e[0];
    for (a = 1; a < 3; a++)
        if (e[a] < mt.emin) mt.emin = e[a];
    for (a = 0; a < 3; a++)
        mt.w[a] = big_shl(big_mul(big_from(m[a]), big_from(m[a])),
                          (unsigned)(2 * (e[a] - mt.emin)));
    return mt;
}

/* N with D2 = N * 4^emin. */
static big squared(const metric *mt, uint64_t k0, uint64_t k1, uint64_t k2)
{
    const uint64_t k[3] = {k0, k1, k2};
    big n = big_from(0);
    int a;
    for (a = 0; a < 3; a++)
        n = big_add(n, big_mul(mt->w[a], big_mul(big_from(k[a]), big_from(k[a]))));
    return n;
}

/* Sign of N - ((a + b) / 2)^2 for doubles 0 <= a < b. */
static int cmp_mid(big n, double a, double b)
{
    int ea, eb, g;
    uint64_t ma, mb;
    big ia, ib, s, s2;
    decompose(b, &mb, &eb);
    if (a == 0.0) {
        ma = 0;
        ea = eb;
    } else {
        decompose(a, &ma, &ea);
    }
    g = ea < eb ? ea : eb;
    ia = big_shl(big_from(ma), (unsigned)(ea - g));
    ib = big_shl(big_from(mb), (unsigned)(eb - g));
    s = big_add(ia, ib);  /* a + b = s * 2^g, mid = s * 2^(g-1) */
    s2 = big_mul(s, s);   /* mid^2 = s2 * 4^(g-1) */
    if (g - 1 >= 0) return big_cmp(n, big_shl(s2, (unsigned)(2 * (g - 1))));
    return big_cmp(big_shl(n, (unsigned)(2 * (1 - g))), s2);
}

static double even_of(double a, double b)
{
    int e;
    uint64_t m;
    decompose(a, &m, &e);
    return (m & 1u) == 0 ? a : b;
}

/* RN(sqrt(N)) * 2^emin: scaling by a power of two is exact. */
static double rounded_root(big n, int emin)
{
    double r = sqrt(big_to_double(n));
    int c;
    if (big_cmp(n, big_from(0)) == 0) return 0.0;
    for (;;) {
        const double up = nextafter(r, INFINITY);
        c = cmp_mid(n, r, up);
        if (c > 0) {
            r = up;
            continue;
        }
        if (c == 0) {
            r = even_of(r, up);
            break;
        }
        if (r > 0.0) {
            const double down = nextafter(r, 0.0);
            c = cmp_mid(n, down, r);
            if (c < 0) {
                r = down;
                continue;
            }
            if (c == 0) r = even_of(r, down);
        }
        break;
    }
    return ldexp(r, emin);
}

double ref_mm_distance(const double spacing[3], uint64_t k0, uint64_t k1, uint64_t k2)
{
    const metric mt = metric_of(spacing);
    return rounded_root(squared(&mt, k0, k1, k2), mt.emin);
}

static uint64_t absdiff(long a, long b) { return (uint64_t)(a > b ? a - b : b - a); }

void ref_mm_distances(const uint8_t *yhat, size_t w, size_t h, size_t d,
                      const double spacing[3], int border, double *out)
{
    const int bg = border == CONSECO_BORDER_BACKGROUND;
    const long pad = bg ? 1 : 0, padz = bg && d > 1 ? 1 : 0;
    double sp[3];
    metric mt;
    size_t i;
    int a;
    for (a = 0; a < 3; a++) sp[a] = spacing[a] == 0.0 ? 1.0 : spacing[a];
    if (d == 1) sp[2] = 1.0;
    mt = metric_of(sp);
    for (i = 0; i < w * h * d; i++) {
        const long px = (long)(i % w), py = (long)(i / w % h), pz = (long)(i / (w * h));
        big best;
        double approx = INFINITY;
        int found = 0, pass;
        long qx, qy, qz;
        out[i] = 0.0;
        if (!yhat[i]) continue;
        memset(&best, 0, sizeof best);
        /* pass 0: the minimum in double (relative error below 2^-50); pass 1:
         * the exact minimum over every voxel whose double is within 2^-40 of
         * it (a superset of the exact minimisers) */
        for (pass = 0; pass < 2; pass++)
            for (qz = -padz; qz < (long)d + padz; qz++)
                for (qy = -pad; qy < (long)h + pad; qy++)
                    for (qx = -pad; qx < (long)w + pad; qx++) {
                        const int inside = qx >= 0 && qy >= 0 && qz >= 0 && qx < (long)w &&
                                           qy < (long)h && qz < (long)d;
                        const double ex = sp[0] * (double)(px - qx), ey = sp[1] * (double)(py - qy),
                                     ez = sp[2] * (double)(pz - qz);
                        const double dd = ex * ex + ey * ey + ez * ez;
                        big n;
                        if (inside && yhat[(size_t)qx + w * ((size_t)qy + h * (size_t)qz)])
                            continue; /* in Yhat: not outside */
                        if (pass == 0) {
                            if (dd < approx) approx = dd;
                            continue;
                        }
                        if (dd > approx * (1.0 + 0x1p-40)) continue;
                        n = squared(&mt, absdiff(px, qx), absdiff(py, qy), absdiff(pz, qz));
                        if (!found || big_cmp(n, best) < 0) best = n;
                        found = 1;
                    }
        out[i] = found ? rounded_root(best, mt.emin) : INFINITY;
    }
}

void ref_mm_inner(const uint8_t *yhat, size_t w, size_t h, size_t d, const double spacing[3],
                  int border, double lambda, uint8_t *out)
{
    const size_t n = w * h * d;
    double *dist = malloc(n * sizeof *dist);
    size_t i;
    ref_mm_distances(yhat, w, h, d, spacing, border, dist);
    for (i = 0; i < n; i++)
        out[i] = (uint8_t)(yhat[i] && lambda != INFINITY && dist[i] > lambda);
    free(dist);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double ref_mm_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h, size_t d,
                    const double spacing[3], int border, double tau)
{
    double *dist = malloc(w * h * d * sizeof *dist), score;
    ref_mm_distances(yhat, w, h, d, spacing, border, dist);
    score = ref_mm_score_of(yhat, truth, w * h * d, dist, tau);
    free(dist);
    return score;
}

double ref_mm_score_of(const uint8_t *yhat, const uint8_t *truth, size_t n, const double *dist,
                       double tau)
{
    double *bp = malloc((n + 1) * sizeof *bp);
    uint8_t *inner = malloc(n);
    size_t i, nb = 0, predicted = 0, b;
    double score = INFINITY;
    bp[nb++] = 0.0;
    for (i = 0; i < n; i++)
        if (yhat[i]) {
            predicted++;
            bp[nb++] = dist[i];
        }
    if (predicted == 0) score = 0.0;
    qsort(bp, nb, sizeof *bp, cmp_double);
    for (b = 0; b < nb && predicted > 0; b++) {
        size_t kept = 0;
        /* erode: I_lambda by its definition, then count its false positives */
        for (i = 0; i < n; i++)
            inner[i] = (uint8_t)(yhat[i] && bp[b] != INFINITY && dist[i] > bp[b]);
        for (i = 0; i < n; i++)
            if (inner[i] && !truth[i]) kept++;
        if ((double)kept / (double)predicted <= tau) {
            score = bp[b];
            break;
        }
    }
    free(bp);
    free(inner);
    return score;
}
