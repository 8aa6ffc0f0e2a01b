/* SPDX-License-Identifier: Apache-2.0 */
/* Literal outer sets and bands: see ref_outer.h. */
#include "ref_outer.h"
#include "ref_distance_mm.h"
#include "ref_erosion.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conseco.h"

int ref_fnr_ok(uint64_t missed, uint64_t truth, double tau)
{
    if (truth == 0) return 1;
    return (double)missed / (double)truth <= tau;
}

static uint64_t count_missed(const uint8_t *o, const uint8_t *truth, size_t n, uint64_t *ntruth)
{
    uint64_t m = 0, t = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (!truth[i]) continue;
        t++;
        if (!o[i]) m++;
    }
    *ntruth = t;
    return m;
}

/* One dilation step by the cross or the square (4/8, 6/26 neighbours). */
static void dilate_step(const uint8_t *in, size_t w, size_t h, size_t d, int element,
                        uint8_t *out)
{
    long x, y, z, dx, dy, dz;
    const long zr = d > 1 ? 1 : 0;
    for (z = 0; z < (long)d; z++)
        for (y = 0; y < (long)h; y++)
            for (x = 0; x < (long)w; x++) {
                int v = 0;
                for (dz = -zr; dz <= zr && !v; dz++)
                    for (dy = -1; dy <= 1 && !v; dy++)
                        for (dx = -1; dx <= 1 && !v; dx++) {
                            const long nx = x + dx, ny = y + dy, nz = z + dz;
                            const long steps = labs(dx) + labs(dy) + labs(dz);
                            if (element == CONSECO_ELEMENT_CROSS && steps > 1) continue;
                            if (nx < 0 || ny < 0 || nz < 0 || nx >= (long)w || ny >= (long)h ||
                                nz >= (long)d)
                                continue;
                            if (in[(size_t)nx + w * ((size_t)ny + h * (size_t)nz)]) v = 1;
                        }
                out[(size_t)x + w * ((size_t)y + h * (size_t)z)] = (uint8_t)v;
            }
}

/* One dilation by the disk / ball of radius r: brute force over Yhat. */
static void dilate_disk(const uint8_t *yhat, size_t w, size_t h, size_t d, unsigned long r,
                        uint8_t *out)
{
    const size_t n = w * h * d;
    const double r2 = (double)r * (double)r;
    size_t p, q;
    for (p = 0; p < n; p++) {
        const double px = (double)(p % w), py = (double)((p / w) % h), pz = (double)(p / (w * h));
        int v = 0;
        for (q = 0; q < n && !v; q++) {
            double dx, dy, dz;
            if (!yhat[q]) continue;
            dx = px - (double)(q % w);
            dy = py - (double)((q / w) % h);
            dz = pz - (double)(q / (w * h));
            if (dx * dx + dy * dy + dz * dz <= r2) v = 1;
        }
        out[p] = (uint8_t)v;
    }
}

void ref_dilation_outer(const uint8_t *yhat, size_t w, size_t h, size_t d, int element,
                        unsigned long mu, uint8_t *out)
{
    const size_t n = w * h * d;
    uint8_t *tmp;
    unsigned long k;
    if (element == CONSECO_ELEMENT_DISK) {
        dilate_disk(yhat, w, h, d, mu, out);
        return;
    }
    tmp = malloc(n);
    memcpy(out, yhat, n);
    for (k = 0; k < mu; k++) {
        dilate_step(out, w, h, d, element, tmp);
        if (memcmp(tmp, out, n) == 0) break;
        memcpy(out, tmp, n);
    }
    free(tmp);
}

double ref_dilation_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                          size_t d, int element, double tau)
{
    const size_t n = w * h * d;
    uint8_t *o = malloc(n), *prev = malloc(n);
    double result = INFINITY;
    unsigned long mu;
    for (mu = 0;; mu++) {
        uint64_t nt, missed;
        if (element == CONSECO_ELEMENT_DISK) {
            dilate_disk(yhat, w, h, d, mu, o);
        } else if (mu == 0) {
            memcpy(o, yhat, n);
        } else {
            dilate_step(prev, w, h, d, element, o);
        }
        missed = count_missed(o, truth, n, &nt);
        if (ref_fnr_ok(missed, nt, tau)) {
            result = (double)mu;
            break;
        }
        /* stopped growing: the cross / square reach a fixed point; the disk
         * has covered every distance in the image after w + h + d */
        if (element != CONSECO_ELEMENT_DISK && mu > 0 && memcmp(o, prev, n) == 0) break;
        if (element == CONSECO_ELEMENT_DISK && mu > w + h + d) break;
        memcpy(prev, o, n);
    }
    free(o);
    free(prev);
    return result;
}

static int cmp_desc(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

double ref_lowering_score(const double *s, const uint8_t *truth, size_t n, double base,
                          double bottom, double tau)
{
    double *cand = malloc((n + 2) * sizeof(double));
    double result = -INFINITY;
    size_t nc = 0, i, k;
    cand[nc++] = base;
    cand[nc++] = bottom;
    for (i = 0; i < n; i++)
        if (s[i] >= bottom && s[i] < base) cand[nc++] = s[i];
    qsort(cand, nc, sizeof(double), cmp_desc);
    for (k = 0; k < nc; k++) {
        uint64_t nt = 0, missed = 0;
        if (k > 0 && cand[k] == cand[k - 1]) continue; /* the same set again (keeps large images fast) */
        for (i = 0; i < n; i++) {
            if (!truth[i]) continue;
            nt++;
            if (!(s[i] >= cand[k])) missed++;
        }
        if (ref_fnr_ok(missed, nt, tau)) {
            result = cand[k];
            break;
        }
    }
    free(cand);
    return result;
}

static int cmp_asc(const void *a, const void *b) { return -cmp_desc(a, b); }

double ref_band_threshold_score(const double *s, const uint8_t *truth, size_t n, double base,
                                double tau, double tau_outer)
{
    double *cand = malloc((n + 1) * sizeof(double));
    double result = INFINITY;
    size_t nc = 0, i, k;
    cand[nc++] = 0.0;
    for (i = 0; i < n; i++) cand[nc++] = fabs(s[i] - base);
    qsort(cand, nc, sizeof(double), cmp_asc);
    for (k = 0; k < nc; k++) {
        const double lo = base - cand[k], hi = base + cand[k];
        uint64_t yhat = 0, fp = 0, nt = 0, missed = 0;
        int inner_ok;
        if (k > 0 && cand[k] == cand[k - 1]) continue; /* the same sets again */
        for (i = 0; i < n; i++) {
            if (s[i] >= base) yhat++;
            if (s[i] >= hi && !truth[i]) fp++;
            if (truth[i]) {
                nt++;
                if (!(s[i] >= lo)) missed++;
            }
        }
        inner_ok = yhat == 0 || (double)fp / (double)yhat <= tau;
        if (inner_ok && ref_fnr_ok(missed, nt, tau_outer)) {
            result = cand[k];
            break;
        }
    }
    free(cand);
    return result;
}

double ref_band_erosion_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                              size_t d, int element, int border, double tau, double tau_outer)
{
    const size_t n = w * h * d;
    uint8_t *in = malloc(n), *out = malloc(n);
    double result = INFINITY;
    unsigned long lambda;
    uint64_t npred = 0;
    size_t i;
    for (i = 0; i < n; i++) npred += yhat[i] != 0;
    for (lambda = 0; lambda <= w + h + d + 2; lambda++) {
        uint64_t fp = 0, nt, missed;
        int inner_ok;
        ref_erosion_inner(yhat, w, h, d, element, border, lambda, in);
        ref_dilation_outer(yhat, w, h, d, element, lambda, out);
        for (i = 0; i < n; i++)
            if (in[i] && !truth[i]) fp++;
        inner_ok = npred == 0 || (double)fp / (double)npred <= tau;
        missed = count_missed(out, truth, n, &nt);
        if (inner_ok && ref_fnr_ok(missed, nt, tau_outer)) {
            result = (double)lambda;
            break;
        }
    }
    free(in);
    free(out);
    return result;
}

void ref_mm_outer_distances(const uint8_t *yhat, size_t w, size_t h, size_t d,
                            const double spacing[3], double *dist)
{
    const size_t n = w * h * d;
    uint8_t *comp = calloc(n ? n : 1, 1); /* calloc: gcc -O3 cannot see the loop fills it */
    size_t i;
    for (i = 0; i < n; i++) comp[i] = (uint8_t)!yhat[i];
    /* foreground policy: outside the image is no source */
    ref_mm_distances(comp, w, h, d, spacing, CONSECO_BORDER_FOREGROUND, dist);
    free(comp);
}

double ref_mm_outer_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                          size_t d, const double spacing[3], double tau)
{
    const size_t n = w * h * d;
    double *dist = malloc(n * sizeof(double)), *cand = malloc((n + 1) * sizeof(double));
    double result = INFINITY;
    size_t nc = 0, i, k;
    ref_mm_outer_distances(yhat, w, h, d, spacing, dist);
    cand[nc++] = 0.0;
    for (i = 0; i < n; i++)
        if (truth[i] && dist[i] < INFINITY) cand[nc++] = dist[i];
    qsort(cand, nc, sizeof(double), cmp_asc);
    for (k = 0; k < nc; k++) {
        uint64_t nt = 0, missed = 0;
        for (i = 0; i < n; i++) {
            if (!truth[i]) continue;
            nt++;
            if (!(dist[i] <= cand[k])) missed++;
        }
        if (ref_fnr_ok(missed, nt, tau)) {
            result = cand[k];
            break;
        }
    }
    free(dist);
    free(cand);
    return result;
}
