/* SPDX-License-Identifier: Apache-2.0 */
/* The C baselines: what a careful C programmer writes without libconseco.
 * They follow the definitions in docs/DESIGN.md literally; the bench checks that
 * they agree with the library on every input before timing anything. */
#include "baselines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t bench_fp_budget(uint64_t predicted, double tau)
{
    const double n = (double)predicted;
    uint64_t m;
    if (predicted == 0) return 0;
    m = tau * n >= n ? predicted : (uint64_t)(tau * n);
    while (m < predicted && (double)(m + 1) / n <= tau) m++;
    while (m > 0 && (double)m / n > tau) m--;
    return m;
}

static double inf(void) { return (double)INFINITY; }

/* The map's score as the library defines it, for the two dtypes we bench. */
static inline double score_at(const bench_pair *p, size_t i)
{
    if (p->pred.dtype == CONSECO_DTYPE_F32) return (double)((const float *)p->pred.data)[i];
    return (double)((const uint8_t *)p->pred.data)[i] / 255.0;
}

/* ------------------------------------------------------------------ erosion */
size_t literal_erosion_work_size(size_t pixels) { return 4 * pixels; }

/* Yhat = {s >= base} into yhat, FP = Yhat minus truth into fp. */
static void predicted_sets(const bench_pair *p, double base, uint8_t *yhat, uint8_t *fp,
                           uint64_t *n_yhat, uint64_t *n_fp)
{
    const size_t n = bench_pixels(p);
    const uint8_t *t = p->truth.data;
    uint64_t a = 0, b = 0;
    size_t i;
    if (p->pred.dtype == CONSECO_DTYPE_F32) {
        const float *s = p->pred.data;
        for (i = 0; i < n; i++) yhat[i] = (uint8_t)((double)s[i] >= base);
    } else {
        const uint8_t *s = p->pred.data;
        for (i = 0; i < n; i++) yhat[i] = (uint8_t)((double)s[i] / 255.0 >= base);
    }
    for (i = 0; i < n; i++) {
        fp[i] = (uint8_t)(yhat[i] & (t[i] == 0));
        a += yhat[i];
        b += fp[i];
    }
    *n_yhat = a;
    *n_fp = b;
}

/* One erosion by the 3x3 cross, outside the image counting as foreground;
 * counts the pixels left and the false positives among them. */
static void erode_once(const uint8_t *cur, uint8_t *nxt, const uint8_t *fp, const uint8_t *ones,
                       size_t w, size_t h, uint64_t *left, uint64_t *kept)
{
    uint64_t nl = 0, nk = 0;
    size_t x, y;
    for (y = 0; y < h; y++) {
        const uint8_t *c = cur + y * w;
        const uint8_t *up = y > 0 ? c - w : ones;
        const uint8_t *dn = y + 1 < h ? c + w : ones;
        const uint8_t *f = fp + y * w;
        uint8_t *o = nxt + y * w;
        if (w == 1) {
            o[0] = (uint8_t)(c[0] & up[0] & dn[0]);
        } else {
            o[0] = (uint8_t)(c[0] & c[1] & up[0] & dn[0]);
            for (x = 1; x + 1 < w; x++)
                o[x] = (uint8_t)(c[x] & c[x - 1] & c[x + 1] & up[x] & dn[x]);
            o[w - 1] = (uint8_t)(c[w - 1] & c[w - 2] & up[w - 1] & dn[w - 1]);
        }
        for (x = 0; x < w; x++) {
            nl += o[x];
            nk += (uint8_t)(o[x] & f[x]);
        }
    }
    *left = nl;
    *kept = nk;
}

double literal_erosion_score(const bench_pair *p, double base, double tau, uint8_t *work)
{
    const size_t w = p->pred.width, h = p->pred.height, n = w * h;
    uint8_t *cur = work, *nxt = work + n, *fp = work + 2 * n, *ones = work + 3 * n;
    uint64_t predicted, kept, left;
    unsigned lambda;
    predicted_sets(p, base, cur, fp, &predicted, &kept);
    if (predicted == 0) return 0.0;
    memset(ones, 1, w);
    left = predicted;
    for (lambda = 0;; lambda++) {
        uint64_t now_left;
        uint8_t *tmp;
        if ((double)kept / (double)predicted <= tau) return (double)lambda;
        erode_once(cur, nxt, fp, ones, w, h, &now_left, &kept);
        if (now_left == left) return inf(); /* a fixed point: it never empties */
        left = now_left;
        tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
}

void literal_erosion_apply(const bench_pair *p, double base, unsigned lambda, uint8_t *work,
                           uint8_t *out)
{
    const size_t w = p->pred.width, h = p->pred.height, n = w * h;
    uint8_t *cur = work, *nxt = work + n, *fp = work + 2 * n, *ones = work + 3 * n;
    uint64_t predicted, kept, left;
    unsigned step;
    predicted_sets(p, base, cur, fp, &predicted, &kept);
    memset(ones, 1, w);
    for (step = 0; step < lambda; step++) {
        uint8_t *tmp;
        erode_once(cur, nxt, fp, ones, w, h, &left, &kept);
        tmp = cur;
        cur = nxt;
        nxt = tmp;
        if (left == 0) break;
    }
    memcpy(out, cur, n);
}

/* ---------------------------------------------------------------- threshold */
static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* B = {base} + {s_p : p in Yhat, s_p <= top} + {top}, sorted, without repeats. */
static size_t breakpoints(const bench_pair *p, double base, double top, double *b)
{
    const size_t n = bench_pixels(p);
    size_t i, k = 0, u;
    b[k++] = base;
    for (i = 0; i < n; i++) {
        double s = score_at(p, i);
        if (s >= base && s <= top) b[k++] = s;
    }
    b[k++] = top;
    qsort(b, k, sizeof *b, cmp_double);
    for (u = 1, i = 1; i < k; i++)
        if (b[i] != b[u - 1]) b[u++] = b[i];
    return u;
}

double literal_threshold_score(const bench_pair *p, double base, double top, double tau,
                               double *work)
{
    const size_t n = bench_pixels(p);
    const uint8_t *t = p->truth.data;
    size_t nb, j, i;
    uint64_t predicted = 0;
    for (i = 0; i < n; i++) predicted += score_at(p, i) >= base;
    if (predicted == 0) return base;
    /* work holds at most n + 2 breakpoints; the caller gives n + 2 doubles */
    nb = breakpoints(p, base, top, work);
    for (j = 0; j < nb; j++) {
        const double lambda = work[j];
        uint64_t kept = 0;
        for (i = 0; i < n; i++) kept += (score_at(p, i) >= lambda) & (t[i] == 0);
        if ((double)kept / (double)predicted <= tau) return lambda;
    }
    return inf();
}

size_t literal_threshold_steps(const bench_pair *p, double base, double top, double score,
                               double *work)
{
    const size_t nb = breakpoints(p, base, top, work);
    size_t j = 0;
    while (j < nb && work[j] <= score) j++;
    return j;
}

size_t sortscan_collect(const bench_pair *p, double base, double *work, uint64_t *predicted)
{
    const size_t n = bench_pixels(p);
    const uint8_t *t = p->truth.data;
    size_t i, nfp = 0;
    uint64_t np = 0;
    if (p->pred.dtype == CONSECO_DTYPE_F32) {
        const float *s = p->pred.data;
        for (i = 0; i < n; i++) {
            const double v = (double)s[i];
            if (v >= base) {
                np++;
                if (t[i] == 0) work[nfp++] = v;
            }
        }
    } else {
        const uint8_t *s = p->pred.data;
        for (i = 0; i < n; i++) {
            const double v = (double)s[i] / 255.0;
            if (v >= base) {
                np++;
                if (t[i] == 0) work[nfp++] = v;
            }
        }
    }
    *predicted = np;
    return nfp;
}

double sortscan_finish(const bench_pair *p, double base, double top, double tau,
                       const double *sorted, size_t nfp, uint64_t predicted)
{
    const size_t n = bench_pixels(p);
    uint64_t m;
    double cut, next;
    size_t i;
    if (predicted == 0) return base;
    m = bench_fp_budget(predicted, tau);
    if (nfp <= m) return base;
    /* keeping m false positives at most: lambda must lie above this one */
    cut = sorted[nfp - m - 1];
    if (cut >= top) return inf();
    next = top; /* the smallest breakpoint above the cut */
    for (i = 0; i < n; i++) {
        const double s = score_at(p, i);
        if (s > cut && s < next) next = s; /* s > cut >= base: s is in Yhat */
    }
    return next;
}

double sortscan_threshold_score_qsort(const bench_pair *p, double base, double top, double tau,
                                      double *work)
{
    uint64_t predicted;
    const size_t nfp = sortscan_collect(p, base, work, &predicted);
    qsort(work, nfp, sizeof *work, cmp_double);
    return sortscan_finish(p, base, top, tau, work, nfp, predicted);
}

/* -------------------------------------------------------------------- floor */
/* Sums the bytes as 64-bit words: one add per 8 bytes, which the compiler
 * vectorises, so the time is the time to bring the bytes in. */
static uint64_t sum_words(const uint8_t *a, size_t bytes)
{
    uint64_t s = 0, word;
    size_t i, words = bytes / 8;
    for (i = 0; i < words; i++) {
        memcpy(&word, a + 8 * i, 8);
        s += word;
    }
    for (i = words * 8; i < bytes; i++) s += a[i];
    return s;
}

uint64_t read_floor(const bench_pair *p)
{
    const size_t n = bench_pixels(p);
    const size_t elem = p->pred.dtype == CONSECO_DTYPE_F32 ? 4 : 1;
    return sum_words(p->pred.data, n * elem) + sum_words(p->truth.data, n);
}
