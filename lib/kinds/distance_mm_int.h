/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact Euclidean distances in millimetres with integer weights (ball-mm's
 * score, distance_mm_int.c): when every squared spacing is an integer
 * multiple w_a of one power of two `unit`, D2 = unit * sum_a w_a k_a^2 and
 * the transform runs on the integers D2 / unit, exactly, when they fit
 * below 2^32 - 1. Internal to lib/kinds (erosion_mm.c).
 */
#ifndef CONSECO_DISTANCE_MM_INT_H
#define CONSECO_DISTANCE_MM_INT_H

#include "distance_mm.h"

typedef struct conseco__mm_int {
    uint64_t w[3]; /* s_a^2 / unit: integers (0 for an axis with no offsets) */
    double unit;   /* a power of two */
} conseco__mm_int;

/* 1 (and fills out) when the integer form applies to this box with these
 * spacings (positive, within the ball-mm range): every s_a^2 of an axis
 * with offsets is w_a * unit, and sum_a w_a kmax_a^2 < 2^32 - 1 with kmax_a
 * the largest offset along axis a. 0 otherwise. */
int conseco__mm_int_init(conseco__mm_int *out, const double spacing[3],
                         const conseco__mm_box *b);

/* Bytes of work conseco__mm_int_transform needs for any box inside a
 * w x h x d image (8-byte aligned); 0 on overflow. */
size_t conseco__mm_int_work_bytes_image(size_t w, size_t h, size_t d);

/*
 * d: one cell per box cell, 0 = background, CONSECO__MM_NONE = Yhat. On
 * return every cell holds D2 / unit to its nearest background cell or open
 * margin (0 for background), CONSECO__MM_NONE when there is none.
 */
void conseco__mm_int_transform(uint32_t *d, const conseco__mm_box *b,
                               const conseco__mm_int *mi, void *work);

/* Lines gathered at once by the later passes: 64 bytes of uint32 per row. */
#define CONSECO__MM_GROUP 16u

/* Bytes of work one pass needs for lines of up to len - 2 cells. */
size_t conseco__mm_int_work_bytes_len(size_t len);

/* One pass of the transform along axis a with weight w (s_a^2 / unit):
 * first != 0, the first pass (cells 0 or CONSECO__MM_NONE in, w k^2 out);
 * else the lower envelope over the values of the earlier passes. The
 * values must stay below 2^32 - 1 (conseco__mm_int_init's bound); work:
 * conseco__mm_int_work_bytes_len(len) bytes, len >= n[a] + 2, 8-aligned. */
void conseco__mm_int_pass(uint32_t *d, const conseco__box *box, int a, uint64_t w, int first,
                          void *work, size_t len);

/* The envelope pass of conseco__mm_int_pass on `rows` contiguous lines of
 * n cells (d, d + n, ...) whose ends are open as lo, hi; init: fill the
 * work's table for weight w first (once per weight and len). */
void conseco__mm_int_rows(uint32_t *d, size_t n, size_t rows, int lo, int hi, uint64_t w,
                          void *work, size_t len, int init);

/* The same with the score's flags (distance_mm_pair.h, CONSECO__MM_FP =
 * 2^30; the values must stay below it): a cell whose value is neither 0
 * nor NONE and whose truth is 0 (row r's at t + r * t_stride) gets bit 30;
 * with summary != NULL (ceil(n / GROUP) values per row, summary + r *
 * ceil(n / GROUP) for row r), each entry becomes the largest of itself and
 * the values of its GROUP cells. */
void conseco__mm_int_rows_flag(uint32_t *d, size_t n, size_t rows, int lo, int hi, uint64_t w,
                               void *work, size_t len, int init, const uint8_t *t,
                               size_t t_stride, uint32_t *summary);

/* g (<= GROUP) lines of n cells at base, base + 1, ... along a stride-sa
 * axis to and from buf (line l at buf + l * len). */
void conseco__mm_gather(uint32_t *buf, size_t len, const uint32_t *base, size_t sa, size_t n,
                        size_t g);
void conseco__mm_scatter(const uint32_t *buf, size_t len, uint32_t *base, size_t sa, size_t n,
                         size_t g);

/* The correctly rounded distance RN(sqrt(v * unit)) of a cell value v
 * (0 for 0, +inf for CONSECO__MM_NONE). */
double conseco__mm_int_distance(const conseco__mm_int *mi, uint32_t v);

#endif /* CONSECO_DISTANCE_MM_INT_H */
