/* SPDX-License-Identifier: Apache-2.0 */
/* Literal reference of the smooth shrinker; see ref_smooth.h. */
#include "ref_smooth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_threshold.h" /* ref_pixel */

/* R = floor(4 sigma) and w[k] = exp(-k^2 / (2 sigma^2)) / sum over -R..R. */
static size_t ref_kernel(double sigma, double *w)
{
    const size_t R = (size_t)floor(4.0 * sigma);
    double sum = 0.0;
    size_t k;
    for (k = 0; k <= R; k++) w[k] = exp(-(double)(k * k) / (2.0 * sigma * sigma));
    for (k = 0; k <= R; k++) sum += k == 0 ? w[k] : 2.0 * w[k];
    for (k = 0; k <= R; k++) w[k] /= sum;
    return R;
}

static size_t clampi(long v, size_t n)
{
    if (v < 0) return 0;
    if ((size_t)v >= n) return n - 1;
    return (size_t)v;
}

static int in_element(uint32_t element, long r, long dx, long dy, long dz)
{
    const long ax = labs(dx), ay = labs(dy), az = labs(dz);
    switch (element) {
    case CONSECO_ELEMENT_SQUARE: return ax <= r && ay <= r && az <= r;
    case CONSECO_ELEMENT_DISK: return dx * dx + dy * dy + dz * dz <= r * r;
    default: return ax + ay + az <= r;
    }
}

int ref_smooth_levels(const conseco_smooth_params *p, const conseco_image *pred, double *out)
{
    const size_t len[3] = {pred->width, pred->height, pred->depth};
    double w[3][80], sp[3];
    long R[3] = {0, 0, 0};
    size_t x, y, z, a, i = 0;
    for (a = 0; a < 3; a++) {
        double sigma = p->sigma;
        sp[a] = pred->spacing[a] == 0.0 ? 1.0 : pred->spacing[a];
        w[a][0] = 1.0;
        if (p->filter != CONSECO_SMOOTH_GAUSS || len[a] < 2) continue;
        if (p->units == CONSECO_UNITS_MM) sigma = p->sigma / sp[a];
        if (sigma > CONSECO_SMOOTH_SIGMA_MAX) return -1;
        R[a] = (long)ref_kernel(sigma, w[a]);
    }
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++)
            for (x = 0; x < pred->width; x++, i++) {
                const double s = ref_pixel(pred, x, y, z);
                long dx, dy, dz;
                double acc;
                if (!(s >= p->base)) {
                    out[i] = -INFINITY;
                    continue;
                }
                if (p->filter == CONSECO_SMOOTH_GAUSS) {
                    acc = 0.0;
                    for (dz = -R[2]; dz <= R[2]; dz++)
                        for (dy = -R[1]; dy <= R[1]; dy++)
                            for (dx = -R[0]; dx <= R[0]; dx++)
                                acc += w[0][labs(dx)] * w[1][labs(dy)] * w[2][labs(dz)] *
                                       ref_pixel(pred, clampi((long)x + dx, len[0]),
                                                 clampi((long)y + dy, len[1]),
                                                 clampi((long)z + dz, len[2]));
                } else {
                    const long r = (long)p->radius, rz = pred->depth > 1 ? r : 0;
                    acc = INFINITY;
                    for (dz = -rz; dz <= rz; dz++)
                        for (dy = -r; dy <= r; dy++)
                            for (dx = -r; dx <= r; dx++) {
                                double v;
                                if (!in_element(p->element, r, dx, dy, dz)) continue;
                                v = ref_pixel(pred, clampi((long)x + dx, len[0]),
                                              clampi((long)y + dy, len[1]),
                                              clampi((long)z + dz, len[2]));
                                if (v < acc) acc = v;
                            }
                }
                out[i] = acc;
            }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t truth_index_count(const conseco_mask *t) { return t->width * t->height * t->depth; }

static int truth_at(const conseco_mask *t, size_t i)
{
    const size_t x = i % t->width, y = (i / t->width) % t->height, z = i / (t->width * t->height);
    return t->data[z * t->slice_stride + y * t->row_stride + x] != 0;
}

double ref_smooth_score_walk(const double *levels, const conseco_mask *truth, double tau)
{
    const size_t n = truth_index_count(truth);
    double *b = malloc((n + 1) * sizeof *b);
    size_t nb = 0, i, j, predicted = 0;
    double result = INFINITY;
    if (b == NULL) abort();
    b[nb++] = REF_SMOOTH_LAMBDA_MIN;
    for (i = 0; i < n; i++)
        if (levels[i] != -INFINITY) {
            b[nb++] = levels[i];
            predicted++;
        }
    qsort(b, nb, sizeof *b, cmp_double);
    for (j = 0; j < nb; j++) {
        size_t kept_fp = 0;
        double f;
        if (j > 0 && b[j] == b[j - 1]) continue;
        for (i = 0; i < n; i++)
            if (levels[i] != -INFINITY && levels[i] >= b[j] && !truth_at(truth, i)) kept_fp++;
        f = predicted == 0 ? 0.0 : (double)kept_fp / (double)predicted;
        if (f <= tau) {
            result = b[j];
            break;
        }
    }
    free(b);
    return result;
}

double ref_smooth_score_sweep(const double *levels, const conseco_mask *truth, double tau)
{
    const size_t n = truth_index_count(truth);
    double *b = malloc((n + 1) * sizeof *b), *fp = malloc((n + 1) * sizeof *fp);
    size_t nb = 0, nf = 0, i, j, below = 0, predicted = 0;
    double result = INFINITY;
    if (b == NULL || fp == NULL) abort();
    b[nb++] = REF_SMOOTH_LAMBDA_MIN;
    for (i = 0; i < n; i++)
        if (levels[i] != -INFINITY) {
            b[nb++] = levels[i];
            predicted++;
            if (!truth_at(truth, i)) fp[nf++] = levels[i];
        }
    qsort(b, nb, sizeof *b, cmp_double);
    qsort(fp, nf, sizeof *fp, cmp_double);
    for (j = 0; j < nb; j++) {
        double f;
        if (j > 0 && b[j] == b[j - 1]) continue;
        while (below < nf && fp[below] < b[j]) below++; /* F = nf - below: levels >= b[j] */
        f = predicted == 0 ? 0.0 : (double)(nf - below) / (double)predicted;
        if (f <= tau) {
            result = b[j];
            break;
        }
    }
    free(b);
    free(fp);
    return result;
}
