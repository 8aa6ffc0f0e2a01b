/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Third floor: expected-risk control (docs/DESIGN.md 5.3). The exact sum of
 * per-image losses, the exact risk condition and one image's loss curve,
 * shared by the calibrator (summed curves) and the tests. Internal to lib/.
 */
#ifndef CONSECO_RISK_H
#define CONSECO_RISK_H

#include "api.h"

/* An exact non-negative sum of losses: 192-bit fixed point, w[0] the lowest
 * word, least significant bit 2^-128, integer part in w[2]. Every loss the
 * library computes (a double k / m with m <= 2^53) is a multiple of 2^-105,
 * so sums and differences of them are exact and independent of order. */
typedef struct conseco__fix {
    uint64_t w[3];
} conseco__fix;

/* d in [0, 1] as fixed point; a value below 2^-128's resolution (only a
 * double under 2^-76 can have such bits) is rounded up. */
void conseco__fix_from_double(double d, conseco__fix *out);
void conseco__fix_add(conseco__fix *a, const conseco__fix *b);
/* a -= b; the caller guarantees a >= b. */
void conseco__fix_sub(conseco__fix *a, const conseco__fix *b);
/* -1, 0 or 1. */
int conseco__fix_cmp(const conseco__fix *a, const conseco__fix *b);
/* The nearest double below or at a (truncated to 53 bits): reporting only. */
double conseco__fix_to_double(const conseco__fix *a);

/* The risk condition n/(n+1) R + 1/(n+1) <= alpha, i.e. S + 1 <= alpha (n + 1)
 * with S the summed loss, decided exactly for alpha read as conseco_rank()
 * reads it (the shortest decimal, else the exact binary value). */
typedef struct conseco__risk_bound {
    uint32_t rhs[9]; /* alpha (n + 1) in units of 2^-128 times den (little-endian limbs) */
    uint64_t den;    /* decimal alpha: its denominator; binary: 1 */
    int never;       /* alpha too small for any sum to pass */
} conseco__risk_bound;

int conseco__risk_bound_init(double alpha, uint64_t n, conseco__risk_bound *out);
/* 1 if the summed loss `sum` passes the condition. */
int conseco__risk_pass(const conseco__risk_bound *b, const conseco__fix *sum);

/* One image's loss curve, read off the level map. Every Yhat level is mapped
 * to its key (integer domain: floor; both: clamped to lambda_max; -0 to +0)
 * and the image's loss at lambda is #{false positives with key >= lambda} /
 * yhat. Two forms of the same thing:
 *  - distinct keys (keys != NULL): keys[0..nkeys) ascending, fpc[i] the
 *    false positives at keys[i] (a hash table of at most 2048 keys: 8- and
 *    16-bit maps with few levels, erosion distances; O(N));
 *  - sorted multisets otherwise: the keys of the false positives fp[0..nfp)
 *    and of the true positives tp[0..ntp), each ascending (O(N log N)). */
typedef struct conseco__image_curve {
    const double *keys;
    const uint64_t *fpc;
    size_t nkeys;
    const double *fp;
    size_t nfp;
    const double *tp;
    size_t ntp;
    uint64_t yhat;     /* |Yhat| */
    uint64_t total_fp; /* |Yhat minus Y| */
    double lambda_min, lambda_max;
} conseco__image_curve;

/* Bytes of scratch conseco__image_curve_build() needs for n pixels: 8 per
 * pixel plus a table of 24 bytes per slot, min(4096, pow2 >= 2n) slots; 0 on
 * overflow. */
size_t conseco__image_curve_scratch(size_t n);

/* Checks the prediction view and builds the curve in scratch (views and
 * shapes already checked by the caller). CONSECO_E_UNSUPPORTED for a
 * shrinker without a level map (black box). */
int conseco__image_curve_build(const conseco__shrinker *s, const conseco_image *pred,
                               const conseco_mask *truth, void *scratch, size_t scratch_size,
                               conseco__image_curve *out);

/* Walks an image's keys from the largest down. Keys: lambda_max (if finite),
 * every distinct key of a Yhat pixel, lambda_min. For each key k the drop
 * D(k) = loss(k) - loss(next larger key) (0 above the largest), so the loss
 * at lambda is the sum of D over the keys >= lambda. */
typedef struct conseco__curve_walk {
    const conseco__image_curve *c;
    size_t fp_left, tp_left, keys_left;
    uint64_t fp_ge; /* false positives at keys >= the current one */
    int stage; /* 0: lambda_max pending, 1: levels, 2: lambda_min pending, 3: done */
    int have_last;
    double last;
    double loss; /* the loss double at the key just returned */
    conseco__fix prev;
} conseco__curve_walk;

void conseco__curve_walk_start(const conseco__image_curve *c, conseco__curve_walk *w);
/* 1 and the next key and its drop, or 0 at the end. */
int conseco__curve_walk_next(conseco__curve_walk *w, double *key, conseco__fix *drop);

/* The smallest candidate strictly above key on the shrinker's domain (real:
 * none, the caller takes the next key; integer: key + 1 if within the range
 * and below 2^53), or +inf. */
double conseco__integer_after(double key, double lambda_max);

/* ------------------------------------------------ outer families (FNR) */
/* An outer family seen as ascending: p in O_mu <=> M(p) <= mu on the domain
 * [lo, hi] (integer or real). Threshold lowering (O_t = {s >= t}, t running
 * down from base to bottom) is read with M = -s and mu = -t (negated = 1):
 * lo = -base, hi = -bottom. The FNR at mu is #{truth p : M(p) > mu} / |Y|,
 * non-increasing in mu. */
typedef struct conseco__outer_range {
    int integer;
    int negated;
    double lo, hi;
} conseco__outer_range;

/* The range of a kind's outer family (ops, erosion element, threshold base,
 * side bottom; custom: the vtable's domain and range). */
void conseco__outer_range_for(const conseco__ops *ops, uint32_t element, double base,
                              double bottom, uint32_t domain, double lambda_min,
                              double lambda_max, conseco__outer_range *out);
void conseco__outer_range_of(const conseco__shrinker *s, const conseco_side_params *side,
                             conseco__outer_range *out);

/* Scratch of conseco__risk_curve_build for one image of this shape. 0 on overflow. */
size_t conseco__risk_scratch(const conseco__shrinker *s, const conseco_side_params *side,
                             size_t width, size_t height, size_t depth);
/* One image's loss curve for the side (INNER: AFP, OUTER: FNR). For OUTER the
 * curve's "false positives" are the truth pixels with M > lo, each keyed by
 * the largest mu that still misses it (integer: ceil(M) - 1; real: the
 * double below M), so the loss at mu is again #{keys >= mu} / yhat with
 * yhat = |Y|; lambda_min/max = lo/hi of the range. */
int conseco__risk_curve_build(const conseco__shrinker *s, const conseco_side_params *side,
                              const conseco_image *pred, const conseco_mask *truth,
                              void *scratch, size_t scratch_size, conseco__image_curve *out);
/* The next double above x (x not NaN, x < +inf), the next below (x > -inf). */
double conseco__next_up(double x);
double conseco__next_down(double x);

#endif /* CONSECO_RISK_H */
