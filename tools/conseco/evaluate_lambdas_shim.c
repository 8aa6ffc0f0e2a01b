/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEMPORARY FALLBACK — delete this file once branch house-lib (which adds
 * conseco_evaluate_lambdas to the experimental block of conseco.h, spec 0.2
 * item 5) is merged into main. CMake builds it only when include/conseco.h
 * does not declare conseco_evaluate_lambdas (CONSECO_HAVE_EVALUATE_LAMBDAS
 * undefined).
 *
 * It reproduces the tool's former computation exactly: the shrinker's level
 * map (vtable->levels; p in I_lambda <=> L(p) >= lambda), counted against the
 * sorted lambdas with suffix sums; |Yhat| from conseco_evaluate_image. Only
 * shrinkers with a levels callback (the built-in ones) and lambdas >= the
 * family's lambda_min are supported, which is all the tool asks for.
 */
#include "evaluate_core.h"

#ifndef CONSECO_HAVE_EVALUATE_LAMBDAS

#include <stdlib.h>
#include <string.h>

static size_t shim_count(size_t w, size_t h, size_t d)
{
    if (w == 0 || h == 0 || d == 0) return 0;
    if (w > (size_t)-1 / h || w * h > (size_t)-1 / d) return 0;
    return w * h * d;
}

size_t conseco_evaluate_lambdas_scratch_size(const conseco_shrinker *shrinker, size_t width,
                                             size_t height, size_t depth)
{
    size_t n = shim_count(width, height, depth), lib;
    if (n == 0 || n > (size_t)-1 / sizeof(double) / 2) return 0;
    lib = conseco_scratch_size(shrinker, width, height, depth);
    if (lib == 0 || lib > (size_t)-1 - n * sizeof(double)) return 0;
    return n * sizeof(double) + lib;
}

static int by_value(const void *a, const void *b)
{
    double x = **(const double *const *)a, y = **(const double *const *)b;
    return x < y ? -1 : x > y;
}

int conseco_evaluate_lambdas(const conseco_shrinker *shrinker, const conseco_image *pred,
                             const conseco_mask *truth, const double *lambdas, size_t count,
                             double tau, void *scratch, size_t scratch_size,
                             conseco_image_metrics *out)
{
    const size_t w = pred->width, h = pred->height, d = pred->depth;
    const size_t n = shim_count(w, h, d);
    size_t need = conseco_evaluate_lambdas_scratch_size(shrinker, w, h, d), i, j, x, y, z;
    double *levels = (double *)scratch, *sorted = NULL, last = 0.0;
    const double **order = NULL;
    uint64_t *tp = NULL, *fp = NULL;
    size_t last_c = (size_t)-1;
    conseco_image_metrics yhat;
    int st;
    if (shrinker == NULL || shrinker->vtable == NULL || shrinker->vtable->levels == NULL ||
        lambdas == NULL || out == NULL || scratch == NULL)
        return CONSECO_E_INVALID_ARG;
    if (need == 0 || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    if (count == 0) return CONSECO_OK;
    /* |Yhat| (and the argument checks) from the library */
    st = conseco_evaluate_image(shrinker, pred, truth, lambdas[0], tau,
                                (unsigned char *)scratch + n * sizeof(double),
                                scratch_size - n * sizeof(double), &yhat);
    if (st != CONSECO_OK) return st;
    st = shrinker->vtable->levels(shrinker->user, pred, levels, n);
    if (st != CONSECO_OK) return CONSECO_E_CALLBACK;
    order = (const double **)malloc((count ? count : 1) * sizeof *order);
    sorted = (double *)malloc((count ? count : 1) * sizeof *sorted);
    tp = (uint64_t *)calloc(count + 1, sizeof *tp);
    fp = (uint64_t *)calloc(count + 1, sizeof *fp);
    if (order == NULL || sorted == NULL || tp == NULL || fp == NULL) {
        free(order);
        free(sorted);
        free(tp);
        free(fp);
        return CONSECO_E_NO_MEMORY;
    }
    for (i = 0; i < count; i++) order[i] = &lambdas[i];
    qsort(order, count, sizeof *order, by_value);
    for (i = 0; i < count; i++) sorted[i] = *order[i];
    /* histogram: c = number of lambdas <= L; neighbours often share a level */
    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++) {
            const uint8_t *row = truth->data + z * truth->slice_stride + y * truth->row_stride;
            const double *lv = levels + (z * h + y) * w;
            for (x = 0; x < w; x++) {
                const double L = lv[x];
                size_t c;
                if (last_c != (size_t)-1 && L == last) c = last_c;
                else {
                    size_t lo = 0, hi = count;
                    while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (sorted[mid] <= L) lo = mid + 1;
                        else hi = mid;
                    }
                    c = last_c = lo;
                }
                last = L;
                if (row[x] != 0) tp[c]++;
                else fp[c]++;
            }
        }
    /* kept at sorted lambda j <=> c >= j + 1: suffix sums */
    for (j = count; j-- > 0;) {
        tp[j] += tp[j + 1];
        fp[j] += fp[j + 1];
    }
    for (i = 0; i < count; i++) {
        conseco_image_metrics *m = &out[order[i] - lambdas];
        const uint64_t t = tp[i + 1], f = fp[i + 1], p = yhat.predicted;
        m->predicted = p;
        m->inner = t + f;
        m->inner_fp = f;
        m->inner_tp = t;
        if (p == 0) {
            m->afp = 0.0;
            m->cr = 1.0;
            m->atp = 1.0;
        } else {
            m->afp = (double)f / (double)p;
            m->cr = (double)(t + f) / (double)p;
            m->atp = (double)t / (double)p;
        }
        m->valid = m->afp <= tau;
        m->reserved = 0;
    }
    free(order);
    free(sorted);
    free(tp);
    free(fp);
    return CONSECO_OK;
}

#endif /* CONSECO_HAVE_EVALUATE_LAMBDAS */
