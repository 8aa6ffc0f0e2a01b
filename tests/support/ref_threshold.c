/* SPDX-License-Identifier: Apache-2.0 */
/* Literal reference of the threshold shrinker; see ref_threshold.h. */
#include "ref_threshold.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double ref_pixel(const conseco_image *im, size_t x, size_t y, size_t z)
{
    const unsigned char *row =
        (const unsigned char *)im->data + z * im->slice_stride + y * im->row_stride;
    switch (im->dtype) {
    case CONSECO_DTYPE_U8: return (double)row[x] / 255.0;
    case CONSECO_DTYPE_U16: {
        uint16_t v;
        memcpy(&v, row + 2 * x, sizeof v);
        return (double)v / 65535.0;
    }
    case CONSECO_DTYPE_F32: {
        float v;
        memcpy(&v, row + 4 * x, sizeof v);
        return (double)v;
    }
    case CONSECO_DTYPE_F64: {
        double v;
        memcpy(&v, row + 8 * x, sizeof v);
        return v;
    }
    default: return row[x] != 0 ? 1.0 : 0.0;
    }
}

static int truth_at(const conseco_mask *t, size_t x, size_t y, size_t z)
{
    return t->data[z * t->slice_stride + y * t->row_stride + x] != 0;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t ref_threshold_breakpoints(const conseco_threshold_params *p, const conseco_image *pred,
                                 double *out)
{
    size_t n = 0, x, y, z, i, u;
    out[n++] = p->base;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++)
            for (x = 0; x < pred->width; x++) {
                const double s = ref_pixel(pred, x, y, z);
                if (s >= p->base && s <= p->top) out[n++] = s;
            }
    out[n++] = p->top;
    qsort(out, n, sizeof *out, cmp_double);
    for (u = 1, i = 1; i < n; i++)
        if (out[i] != out[u - 1]) out[u++] = out[i];
    return u;
}

double ref_threshold_score(const conseco_threshold_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau)
{
    const size_t n = pred->width * pred->height * pred->depth;
    double *b = malloc((n + 2) * sizeof *b);
    double *s = malloc(n * sizeof *s);
    uint8_t *t = malloc(n);
    size_t nb, i, j, x, y, z, predicted = 0;
    double result = INFINITY;
    for (i = 0, z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++)
            for (x = 0; x < pred->width; x++, i++) {
                s[i] = ref_pixel(pred, x, y, z);
                t[i] = (uint8_t)truth_at(truth, x, y, z);
                predicted += s[i] >= p->base;
            }
    nb = ref_threshold_breakpoints(p, pred, b);
    for (j = 0; j < nb; j++) {
        const double lambda = b[j];
        size_t kept_fp = 0;
        double f;
        for (i = 0; i < n; i++)
            if (s[i] >= p->base && s[i] >= lambda && !t[i]) kept_fp++;
        f = predicted == 0 ? 0.0 : (double)kept_fp / (double)predicted;
        if (f <= tau) {
            result = lambda;
            break;
        }
    }
    free(b);
    free(s);
    free(t);
    return result;
}

void ref_threshold_apply(const conseco_threshold_params *p, const conseco_image *pred,
                         double lambda, uint8_t *inner, uint8_t *uncertain)
{
    size_t i = 0, x, y, z;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++)
            for (x = 0; x < pred->width; x++, i++) {
                const double s = ref_pixel(pred, x, y, z);
                const int yhat = s >= p->base;
                const int in = yhat && s >= lambda;
                inner[i] = (uint8_t)in;
                uncertain[i] = (uint8_t)(yhat && !in);
            }
}

void ref_threshold_metrics(const conseco_threshold_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double lambda, double tau,
                           conseco_image_metrics *out)
{
    uint64_t predicted = 0, kept = 0, fp = 0, tp = 0;
    size_t x, y, z;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++)
            for (x = 0; x < pred->width; x++) {
                const double s = ref_pixel(pred, x, y, z);
                if (s >= p->base) {
                    predicted++;
                    if (s >= lambda) {
                        kept++;
                        if (truth_at(truth, x, y, z))
                            tp++;
                        else
                            fp++;
                    }
                }
            }
    memset(out, 0, sizeof *out);
    out->predicted = predicted;
    out->inner = kept;
    out->inner_fp = fp;
    out->inner_tp = tp;
    out->afp = predicted ? (double)fp / (double)predicted : 0.0;
    out->cr = predicted ? (double)kept / (double)predicted : 1.0;
    out->atp = predicted ? (double)tp / (double)predicted : 1.0;
    out->valid = out->afp <= tau;
}
