/* SPDX-License-Identifier: Apache-2.0 */
/* Literal expected-risk control: every candidate, every image, exact sum. */
#include "ref_risk.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref_erosion.h"
#include "ref_outer.h"
#include "ref_threshold.h"

#define NLIMB 48
#define UNIT_EXP 1120 /* the sum counts units of 2^-1120 */

void ref_bigsum_zero(ref_bigsum *s) { memset(s, 0, sizeof *s); }

/* s += v * 2^(bit) for v < 2^64 */
static void add_shifted(uint32_t *limb, uint64_t v, int bit)
{
    int i = bit / 32, sh = bit % 32;
    uint64_t carry = 0;
    /* v << sh spans up to 96 bits: three limbs */
    uint32_t parts[3];
    parts[0] = (uint32_t)((v << sh) & 0xFFFFFFFFu);
    parts[1] = (uint32_t)(((v >> (32 - sh)) >> 0) & 0xFFFFFFFFu);
    if (sh == 0) parts[1] = (uint32_t)(v >> 32);
    parts[2] = sh == 0 ? 0u : (uint32_t)(v >> (64 - sh));
    for (; i < NLIMB; i++) {
        const int k = i - bit / 32;
        const uint64_t add = k < 3 ? parts[k] : 0u;
        const uint64_t t = (uint64_t)limb[i] + add + carry;
        limb[i] = (uint32_t)t;
        carry = t >> 32;
        if (k >= 3 && carry == 0) break;
    }
}

void ref_bigsum_add(ref_bigsum *s, double d)
{
    int e;
    double f;
    uint64_t m;
    if (d == 0.0) return;
    f = frexp(d, &e);                /* d = f 2^e, f in [0.5, 1) */
    m = (uint64_t)ldexp(f, 53);      /* exact: 53-bit mantissa */
    /* d = m 2^(e - 53); every loss here is >= 2^-1074 */
    add_shifted(s->limb, m, e - 53 + UNIT_EXP);
}

/* a *= v (v < 2^32) */
static void mul_small(uint32_t *a, uint32_t v)
{
    uint64_t carry = 0;
    int i;
    for (i = 0; i < NLIMB; i++) {
        const uint64_t t = (uint64_t)a[i] * v + carry;
        a[i] = (uint32_t)t;
        carry = t >> 32;
    }
}

/* a *= v for any 64-bit v: as (a * hi) << 32 + a * lo */
static void mul_u64(uint32_t *a, uint64_t v)
{
    uint32_t hi[NLIMB + 1];
    int i;
    uint64_t carry = 0;
    memcpy(hi, a, sizeof(uint32_t) * NLIMB);
    mul_small(hi, (uint32_t)(v >> 32));
    mul_small(a, (uint32_t)v);
    for (i = 1; i < NLIMB; i++) {
        const uint64_t t = (uint64_t)a[i] + hi[i - 1] + carry;
        a[i] = (uint32_t)t;
        carry = t >> 32;
    }
}

int ref_risk_condition(const ref_bigsum *s, size_t n, uint64_t num, uint64_t den)
{
    uint32_t lhs[NLIMB], rhs[NLIMB];
    int i;
    memcpy(lhs, s->limb, sizeof lhs);
    add_shifted(lhs, 1u, UNIT_EXP); /* S + 1 */
    mul_u64(lhs, den);
    memset(rhs, 0, sizeof rhs);
    add_shifted(rhs, 1u, UNIT_EXP);
    mul_u64(rhs, num);
    mul_u64(rhs, (uint64_t)n + 1u); /* tests keep n + 1 far below 2^64 */
    for (i = NLIMB - 1; i >= 0; i--)
        if (lhs[i] != rhs[i]) return lhs[i] < rhs[i];
    return 1;
}

double ref_bigsum_value(const ref_bigsum *s)
{
    double v = 0.0;
    int i;
    for (i = NLIMB - 1; i >= 0; i--) v += ldexp((double)s->limb[i], 32 * i - UNIT_EXP);
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int truth_at(const conseco_mask *t, size_t x, size_t y, size_t z)
{
    return t->data[z * t->slice_stride + y * t->row_stride + x] != 0;
}

/* Threshold AFP at lambda, literally. */
static double threshold_afp(const conseco_threshold_params *p, const conseco_image *im,
                            const conseco_mask *t, double lambda)
{
    size_t x, y, z, yhat = 0, kept_fp = 0;
    for (z = 0; z < im->depth; z++)
        for (y = 0; y < im->height; y++)
            for (x = 0; x < im->width; x++) {
                const double s = ref_pixel(im, x, y, z);
                if (!(s >= p->base)) continue;
                yhat++;
                if (s >= lambda && !truth_at(t, x, y, z)) kept_fp++;
            }
    return yhat == 0 ? 0.0 : (double)kept_fp / (double)yhat;
}

double ref_risk_lambda_threshold(const conseco_threshold_params *p, const conseco_image *preds,
                                 const conseco_mask *truths, size_t n, uint64_t num,
                                 uint64_t den)
{
    size_t i, total = 0, m = 0, j;
    double *cand, result = INFINITY;
    for (i = 0; i < n; i++) total += preds[i].width * preds[i].height * preds[i].depth + 2u;
    cand = malloc(sizeof(double) * (total + 2u));
    for (i = 0; i < n; i++) m += ref_threshold_breakpoints(p, &preds[i], cand + m);
    qsort(cand, m, sizeof(double), cmp_double);
    for (j = 0; j < m; j++) {
        ref_bigsum s;
        if (j != 0 && cand[j] == cand[j - 1]) continue;
        ref_bigsum_zero(&s);
        for (i = 0; i < n; i++) ref_bigsum_add(&s, threshold_afp(p, &preds[i], &truths[i], cand[j]));
        if (ref_risk_condition(&s, n, num, den)) {
            result = cand[j];
            break;
        }
    }
    free(cand);
    return result;
}

double ref_risk_mean_threshold(const conseco_threshold_params *p, const conseco_image *preds,
                               const conseco_mask *truths, size_t n, double lambda)
{
    ref_bigsum s;
    size_t i;
    if (lambda == INFINITY) return 0.0;
    if (lambda < p->base) lambda = p->base;
    ref_bigsum_zero(&s);
    for (i = 0; i < n; i++) ref_bigsum_add(&s, threshold_afp(p, &preds[i], &truths[i], lambda));
    return ref_bigsum_value(&s) / (double)n;
}

/* The AFP of every erosion step 0..steps of one image (constant after). */
typedef struct erosion_seq {
    double *afp;
    size_t steps; /* afp[steps] holds for every lambda >= steps */
} erosion_seq;

static void erosion_sequence(const conseco_erosion_params *p, const conseco_image *im,
                             const conseco_mask *t, erosion_seq *out)
{
    const size_t w = im->width, h = im->height, d = im->depth, np = w * h * d;
    const size_t bound = w + h + d + 2u; /* no distance in the image is larger */
    uint8_t *yhat = calloc(np, 1), *cur = calloc(np, 1), *next = calloc(np, 1);
    size_t x, y, z, k, nyhat = 0;
    out->afp = calloc(bound + 1u, sizeof(double));
    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++) {
                const size_t i = x + w * (y + h * z);
                yhat[i] = ref_pixel(im, x, y, z) >= p->base;
                nyhat += yhat[i];
            }
    memcpy(cur, yhat, np);
    for (k = 0; k <= bound; k++) {
        size_t fp = 0;
        if (k > 0) {
            if (p->element == CONSECO_ELEMENT_DISK)
                ref_erosion_inner(yhat, w, h, d, (int)p->element, (int)p->border, k, next);
            else /* lambda erosions: one more erosion of the previous set */
                ref_erosion_inner(cur, w, h, d, (int)p->element, (int)p->border, 1, next);
            memcpy(cur, next, np);
        }
        for (z = 0; z < d; z++)
            for (y = 0; y < h; y++)
                for (x = 0; x < w; x++) {
                    const size_t i = x + w * (y + h * z);
                    if (cur[i] && !truth_at(t, x, y, z)) fp++;
                }
        out->afp[k] = nyhat == 0 ? 0.0 : (double)fp / (double)nyhat;
    }
    out->steps = bound;
    free(yhat);
    free(cur);
    free(next);
}

double ref_risk_lambda_erosion(const conseco_erosion_params *p, const conseco_image *preds,
                               const conseco_mask *truths, size_t n, uint64_t num,
                               uint64_t den)
{
    erosion_seq *seq = calloc(n + 1u, sizeof *seq);
    size_t i, k, kmax = 0;
    double result = INFINITY;
    for (i = 0; i < n; i++) {
        erosion_sequence(p, &preds[i], &truths[i], &seq[i]);
        if (seq[i].steps > kmax) kmax = seq[i].steps;
    }
    for (k = 0; k <= kmax; k++) {
        ref_bigsum s;
        ref_bigsum_zero(&s);
        for (i = 0; i < n; i++) ref_bigsum_add(&s, seq[i].afp[k < seq[i].steps ? k : seq[i].steps]);
        if (ref_risk_condition(&s, n, num, den)) {
            result = (double)k;
            break;
        }
    }
    for (i = 0; i < n; i++) free(seq[i].afp);
    free(seq);
    return result;
}

/* ------------------------------------------- outer sets: FNR (DESIGN 5.3) */
static double fnr_of(const uint8_t *o, const conseco_mask *t, size_t w, size_t h, size_t d)
{
    size_t x, y, z, nt = 0, missed = 0;
    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++) {
                if (!truth_at(t, x, y, z)) continue;
                nt++;
                if (!o[x + w * (y + h * z)]) missed++;
            }
    return nt == 0 ? 0.0 : (double)missed / (double)nt;
}

static uint8_t *yhat_of(const conseco_image *im, double base)
{
    const size_t w = im->width, h = im->height, d = im->depth;
    uint8_t *y = calloc(w * h * d, 1);
    size_t a, b, c;
    for (c = 0; c < d; c++)
        for (b = 0; b < h; b++)
            for (a = 0; a < w; a++) y[a + w * (b + h * c)] = ref_pixel(im, a, b, c) >= base;
    return y;
}

double ref_risk_lambda_dilation(const conseco_erosion_params *p, const conseco_image *preds,
                                const conseco_mask *truths, size_t n, uint64_t num,
                                uint64_t den)
{
    double **seq = calloc(n + 1u, sizeof *seq);
    size_t *steps = calloc(n + 1u, sizeof *steps);
    size_t i, k, kmax = 0;
    double result = INFINITY;
    for (i = 0; i < n; i++) {
        const conseco_image *im = &preds[i];
        const size_t w = im->width, h = im->height, d = im->depth, np = w * h * d;
        const size_t bound = w + h + d + 2u; /* every set has stopped growing */
        uint8_t *yhat = yhat_of(im, p->base), *cur = malloc(np), *next = malloc(np);
        seq[i] = calloc(bound + 1u, sizeof(double));
        steps[i] = bound;
        memcpy(cur, yhat, np);
        for (k = 0; k <= bound; k++) {
            if (k > 0) {
                if (p->element == CONSECO_ELEMENT_DISK) /* one dilation by the disk of radius k */
                    ref_dilation_outer(yhat, w, h, d, (int)p->element, (unsigned long)k, next);
                else /* one more step of the previous set */
                    ref_dilation_outer(cur, w, h, d, (int)p->element, 1ul, next);
                memcpy(cur, next, np);
            }
            seq[i][k] = fnr_of(cur, &truths[i], w, h, d);
        }
        if (steps[i] > kmax) kmax = steps[i];
        free(yhat);
        free(cur);
        free(next);
    }
    for (k = 0; k <= kmax; k++) {
        ref_bigsum s;
        ref_bigsum_zero(&s);
        for (i = 0; i < n; i++) ref_bigsum_add(&s, seq[i][k < steps[i] ? k : steps[i]]);
        if (ref_risk_condition(&s, n, num, den)) {
            result = (double)k;
            break;
        }
    }
    for (i = 0; i < n; i++) free(seq[i]);
    free(seq);
    free(steps);
    return result;
}

/* d_mm of every voxel to Yhat (ref_outer.c), spacing 0 read as 1. */
static double *mm_dist_of(const conseco_image *im, double base)
{
    const size_t w = im->width, h = im->height, d = im->depth, np = w * h * d;
    uint8_t *yhat = yhat_of(im, base);
    double *dist = malloc(np * sizeof(double)), sp[3];
    int a;
    for (a = 0; a < 3; a++) sp[a] = im->spacing[a] == 0.0 ? 1.0 : im->spacing[a];
    ref_mm_outer_distances(yhat, w, h, d, sp, dist);
    free(yhat);
    return dist;
}

double ref_risk_lambda_ball_mm(const conseco_erosion_params *p, const conseco_image *preds,
                               const conseco_mask *truths, size_t n, uint64_t num,
                               uint64_t den)
{
    double **dist = calloc(n + 1u, sizeof *dist), *cand, result = INFINITY;
    size_t i, j, m = 0, total = 1;
    for (i = 0; i < n; i++) {
        dist[i] = mm_dist_of(&preds[i], p->base);
        total += preds[i].width * preds[i].height * preds[i].depth;
    }
    cand = malloc(total * sizeof(double));
    cand[m++] = 0.0;
    for (i = 0; i < n; i++) {
        const size_t np = preds[i].width * preds[i].height * preds[i].depth;
        for (j = 0; j < np; j++)
            if (dist[i][j] < INFINITY) cand[m++] = dist[i][j];
    }
    qsort(cand, m, sizeof(double), cmp_double);
    for (j = 0; j < m && result == INFINITY; j++) {
        ref_bigsum s;
        if (j != 0 && cand[j] == cand[j - 1]) continue;
        ref_bigsum_zero(&s);
        for (i = 0; i < n; i++) {
            /* O_mu = {p : d_mm(p, Yhat) <= mu}, built literally */
            const conseco_image *im = &preds[i];
            const size_t np = im->width * im->height * im->depth;
            uint8_t *o = malloc(np);
            size_t q;
            for (q = 0; q < np; q++) o[q] = dist[i][q] <= cand[j];
            ref_bigsum_add(&s, fnr_of(o, &truths[i], im->width, im->height, im->depth));
            free(o);
        }
        if (ref_risk_condition(&s, n, num, den)) result = cand[j];
    }
    for (i = 0; i < n; i++) free(dist[i]);
    free(dist);
    free(cand);
    return result;
}

static double lowering_fnr(const conseco_image *im, const conseco_mask *t, double th)
{
    const size_t w = im->width, h = im->height, d = im->depth;
    uint8_t *o = malloc(w * h * d);
    size_t a, b, c;
    double f;
    for (c = 0; c < d; c++)
        for (b = 0; b < h; b++)
            for (a = 0; a < w; a++) o[a + w * (b + h * c)] = ref_pixel(im, a, b, c) >= th;
    f = fnr_of(o, t, w, h, d);
    free(o);
    return f;
}

double ref_risk_mean_lowering(const conseco_image *preds, const conseco_mask *truths, size_t n,
                              double t)
{
    ref_bigsum s;
    size_t i;
    ref_bigsum_zero(&s);
    for (i = 0; i < n; i++) ref_bigsum_add(&s, lowering_fnr(&preds[i], &truths[i], t));
    return ref_bigsum_value(&s) / (double)n;
}

double ref_risk_lambda_lowering(const conseco_threshold_params *p, double bottom,
                                const conseco_image *preds, const conseco_mask *truths,
                                size_t n, uint64_t num, uint64_t den)
{
    size_t i, j, m = 0, total = 2;
    double *cand, result = -INFINITY;
    for (i = 0; i < n; i++) total += preds[i].width * preds[i].height * preds[i].depth;
    cand = malloc(total * sizeof(double));
    cand[m++] = p->base;
    cand[m++] = bottom;
    for (i = 0; i < n; i++) {
        const conseco_image *im = &preds[i];
        size_t a, b, c;
        for (c = 0; c < im->depth; c++)
            for (b = 0; b < im->height; b++)
                for (a = 0; a < im->width; a++) {
                    const double s = ref_pixel(im, a, b, c);
                    if (s >= bottom && s < p->base) cand[m++] = s;
                }
    }
    qsort(cand, m, sizeof(double), cmp_double);
    /* the largest threshold first: the set only grows as t goes down */
    for (j = m; j-- > 0;) {
        ref_bigsum s;
        if (j + 1 < m && cand[j] == cand[j + 1]) continue;
        ref_bigsum_zero(&s);
        for (i = 0; i < n; i++) ref_bigsum_add(&s, lowering_fnr(&preds[i], &truths[i], cand[j]));
        if (ref_risk_condition(&s, n, num, den)) {
            result = cand[j];
            break;
        }
    }
    free(cand);
    return result;
}
