/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact Euclidean distances in millimetres when two axes have integer
 * weights (ball-mm's score, distance_mm_pair.c): the squared spacings of
 * axes a and b are w_a * s_u^2 and w_b * s_u^2 with small integers w and a
 * double s_u (equal in-plane spacings of any value: w = 1, s_u = s), the
 * third axis c has any spacing. The first two passes run on the integers
 * G = w_a k_a^2 + w_b k_b^2 (distance_mm_int.c), the last one on
 * G + rho * k_c^2 with rho = s_c^2 / s_u^2 real, every decision exact. The
 * cells end as codes (G << bits) | k_c. Internal to lib/kinds (erosion_mm.c).
 */
#ifndef CONSECO_DISTANCE_MM_PAIR_H
#define CONSECO_DISTANCE_MM_PAIR_H

#include "distance_mm_int.h"

typedef struct conseco__mm_pair {
    int a, b, c;       /* passes: sweep along a, integer envelope along b, real along c */
    uint64_t wa, wb;   /* s^2 / s_u^2 of a and b (0 for an axis with no offsets) */
    double unit;       /* RN(s_u^2) */
    double rho;        /* RN(s_c^2) / RN(s_u^2): within a relative 3 * 2^-53 */
    double s2c;        /* RN(s_c^2) */
    conseco__mm m;     /* the exact weights: axis 0 s_u^2 (of G), axis 1 s_c^2 (of k_c^2) */
    int bits;          /* code = (G << bits) | k_c; 2^bits > the largest k_c */
    uint32_t mask;     /* 2^bits - 1 */
} conseco__mm_pair;

/* 1 (and fills out) when the pair form applies to this box with these
 * spacings (positive, within the ball-mm range), else 0: two axes with
 * integer weights whose G stays below 2^32 and whose codes stay below
 * CONSECO__MM_NONE. */
int conseco__mm_pair_init(conseco__mm_pair *out, const double spacing[3],
                          const conseco__box *box);

/* Bytes of work conseco__mm_pair_transform needs for any box inside a
 * w x h x d image (8-byte aligned); 0 on overflow. */
size_t conseco__mm_pair_work_bytes_image(size_t w, size_t h, size_t d);

/*
 * d: one cell per box cell, 0 = background, CONSECO__MM_NONE = Yhat. On
 * return every cell holds the code of its nearest background cell or open
 * margin (0 for background), CONSECO__MM_NONE when there is none.
 */
void conseco__mm_pair_transform(uint32_t *d, const conseco__box *box,
                                const conseco__mm_pair *p, void *work);

/* D2 of a finite code, within a relative 2^-50 (s_u^2, s_c^2, two
 * products and one sum of positive terms rounded). */
static inline double conseco__mm_pair_d2_approx(const conseco__mm_pair *p, uint32_t code)
{
    const double k = (double)(code & p->mask);
    return p->unit * (double)(code >> p->bits) + p->s2c * (k * k);
}

/* The correctly rounded distance of a code (0 for 0, +inf for NONE). */
double conseco__mm_pair_distance(const conseco__mm_pair *p, uint32_t code);

#endif /* CONSECO_DISTANCE_MM_PAIR_H */
