/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact Euclidean distances in millimetres (the ball-mm element,
 * docs/DESIGN.md section 5.1): exact comparisons of sums s_a^2 * c_a with
 * integer c_a, the correctly rounded distance RN(sqrt(sum s_a^2 * k_a^2)),
 * and a separable nearest-background transform on the bounding box of Yhat
 * that stores, per cell, the offsets to its nearest background cell packed
 * in one uint32 (4 bytes per box cell). Internal to lib/ (erosion_mm.c).
 */
#ifndef CONSECO_DISTANCE_MM_H
#define CONSECO_DISTANCE_MM_H

#include "distance.h"

/* "No background reachable" code (foreground policy, Yhat fills the image). */
#define CONSECO__MM_NONE UINT32_MAX

/* Accepted spacings for ball-mm: [2^-256, 2^256] mm, so that no step of the
 * exact arithmetic underflows or overflows. */
#define CONSECO__MM_SPACING_MIN 8.636168555094445e-78  /* 2^-256 */
#define CONSECO__MM_SPACING_MAX 1.157920892373162e+77  /* 2^256 */

/* The metric: s_a^2 rounded (s2), and exactly as h + l. */
typedef struct conseco__mm {
    double s2[3];
    double h[3];
    double l[3];
} conseco__mm;

/* The box of conseco__box and how the offsets are packed: code = sum over
 * axes of offset_a * stride[a]; radix[a] = n[a] + 1 (offsets reach n[a]);
 * order[] is the processing order (order[0] the longest axis, stride 1). */
typedef struct conseco__mm_box {
    conseco__box box;
    int order[3];
    uint32_t stride[3];
    uint32_t radix[3];
    double inv[3]; /* 1 / stride: quotients by multiplication, then corrected */
} conseco__mm_box;

/* CONSECO_OK, or CONSECO_E_BAD_SPACING for a spacing outside the range above. */
int conseco__mm_init(conseco__mm *m, const double spacing[3]);

/* Sign (-1, 0, 1) of c0 s0^2 + c1 s1^2 + c2 s2^2, exactly; |c_a| < 2^52. */
int conseco__mm_sign(const conseco__mm *m, const int64_t c[3]);

/* RN(sqrt(s0^2 k0^2 + s1^2 k1^2 + s2^2 k2^2)), the correctly rounded
 * distance (round half to even); k_a < 2^25. */
double conseco__mm_distance(const conseco__mm *m, uint32_t k0, uint32_t k1, uint32_t k2);

/* The same for sum_a s_a^2 n_a with integers 0 <= n_a < 2^53 given as
 * doubles (n_a = k_a^2 above); the terms may also come from a metric whose
 * h, l describe other exact weights (distance_mm_pair.c). */
double conseco__mm_distance_n(const conseco__mm *m, const double n[3]);

/* RN(sqrt(v)) for a finite double v >= 0 (0 for 0), correctly rounded. */
double conseco__mm_sqrt_exact(double v);

/* Fills the packing of a box; CONSECO_E_OVERFLOW when a side reaches 2^25 or
 * the product of the radices reaches 2^32 - 1. */
int conseco__mm_box_init(conseco__mm_box *b, const conseco__box *box);

/* Bytes of work conseco__mm_transform needs (8-byte aligned). */
size_t conseco__mm_work_bytes(const conseco__mm_box *b);
/* The same bound for any box inside a w x h x d image (second-largest side). */
size_t conseco__mm_work_bytes_image(size_t w, size_t h, size_t d);

/*
 * code: one cell per box cell, 0 = background, CONSECO__MM_NONE = Yhat. On
 * return every cell holds the packed offsets to its nearest background cell
 * or open margin (0 for background), CONSECO__MM_NONE when there is none.
 * work: conseco__mm_work_bytes(b) bytes, 8-byte aligned.
 */
void conseco__mm_transform(uint32_t *code, const conseco__mm_box *b, const conseco__mm *m,
                           void *work);

/* D2 of a finite code in double, within a relative 2^-50 of the exact one
 * (k_a^2 exact, s_a^2 and three roundings of positive terms). */
double conseco__mm_code_d2_approx(const conseco__mm_box *b, const conseco__mm *m,
                                  uint32_t code);

/* The distance of a code (0 for 0, +inf for CONSECO__MM_NONE). */
double conseco__mm_code_distance(const conseco__mm_box *b, const conseco__mm *m,
                                 uint32_t code);

#endif /* CONSECO_DISTANCE_MM_H */
