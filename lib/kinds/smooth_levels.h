/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The level map of the smooth shrinker (smooth_levels.c): a Gaussian blur or
 * a min filter of the score map, one row at a time, in double precision in a
 * fixed order of operations (docs/DESIGN.md, "Smooth shrinker"), so that
 * every build (SIMD or not, x86-64 or aarch64) computes the same bits.
 * Internal to lib/.
 */
#ifndef CONSECO_SMOOTH_LEVELS_H
#define CONSECO_SMOOTH_LEVELS_H

#include "kinds.h"

/* Largest kernel radius along an axis: floor(4 * CONSECO_SMOOTH_SIGMA_MAX). */
#define CONSECO__SMOOTH_RMAX 64u

/* Pixels per chunk of a row: the row loops work on at most this many levels
 * at a time, so their buffers have a fixed size. */
#define CONSECO__SMOOTH_CHUNK 256u

/* Doubles of workspace conseco__smooth_row_levels needs. */
#define CONSECO__SMOOTH_WORK (CONSECO__SMOOTH_CHUNK + 2u * CONSECO__SMOOTH_RMAX)

/* The lowest finite double: lambda_min of the smooth shrinker. */
#define CONSECO__SMOOTH_LAMBDA_MIN (-1.7976931348623157e308)

/* Everything the row loops need, derived from the params and the image. */
typedef struct conseco__smooth_plan {
    int dtype;
    size_t width, height, depth;
    double base;
    uint32_t filter;  /* conseco_smooth_filter */
    uint32_t element; /* MIN */
    uint32_t radius;  /* MIN */
    size_t r[3];      /* GAUSS: kernel radius along x, y, z; 0 = that axis is not blurred */
    double w[3][CONSECO__SMOOTH_RMAX + 1u]; /* GAUSS: w[axis][k] = weight of offsets +-k */
} conseco__smooth_plan;

/* Builds the plan; params already checked, image view checked.
 * CONSECO_E_BAD_SHRINKER when sigma in mm exceeds CONSECO_SMOOTH_SIGMA_MAX
 * pixels on an axis that is blurred. */
int conseco__smooth_plan_make(const conseco_smooth_params *p, const conseco_image *pred,
                              conseco__smooth_plan *plan);

/* Scans one row: 1 if it holds a Yhat pixel, with the first and last in
 * *xa, *xb; *finite is cleared if a float score is NaN or +-inf (then the
 * extent may be incomplete). */
int conseco__smooth_row_extent(const conseco__smooth_plan *plan, const unsigned char *row,
                               size_t *xa, size_t *xb, int *finite);

/* The next stretch of a row to compute, from x = `from` on (at most xb, the
 * row's last Yhat pixel): [*x0, *x1] starts and ends on Yhat pixels, holds at
 * most CONSECO__SMOOTH_CHUNK pixels and stops before a run of more than 16
 * pixels outside Yhat. 0 if no Yhat pixel is left. */
int conseco__smooth_next_run(const conseco__smooth_plan *plan, const unsigned char *row,
                             size_t from, size_t xb, size_t *x0, size_t *x1);

/* conseco__smooth_next_run for two float32 rows at once: the stretch
 * starts and ends on a pixel in Yhat in either row (xb: the last such). */
int conseco__smooth_next_run2(const conseco__smooth_plan *plan, const unsigned char *row0,
                              const unsigned char *row1, size_t from, size_t xb, size_t *x0,
                              size_t *x1);

/* Levels of pixels xa..xb of row (y, z), xb - xa < CONSECO__SMOOTH_CHUNK,
 * into dst[0 .. xb - xa]; `work` holds CONSECO__SMOOTH_WORK doubles. Whole
 * map finite. Every value is the same whatever the chunking. */
void conseco__smooth_row_levels(const conseco__smooth_plan *plan, const conseco_image *pred,
                                size_t y, size_t z, size_t xa, size_t xb, double *dst,
                                double *work);

/* The same as order-preserving keys (conseco__smooth_key) of the levels,
 * into keys[0 .. xb - xa]; Gaussian filter, map not float64 only. */
void conseco__smooth_row_keys(const conseco__smooth_plan *plan, const conseco_image *pred,
                              size_t y, size_t z, size_t xa, size_t xb, uint64_t *keys,
                              double *work);

/* conseco__smooth_row_keys for rows y and y + 1 (< height) at once, into
 * keys0 and keys1: the same keys. Float32 map, z not blurred (plan->r[2] ==
 * 0); work0 and work1 each like conseco__smooth_row_keys's `work`. */
void conseco__smooth_rows_keys2(const conseco__smooth_plan *plan, const conseco_image *pred,
                                size_t y, size_t z, size_t xa, size_t xb, uint64_t *keys0,
                                uint64_t *keys1, double *work0, double *work1);

/* Order-preserving 64-bit key of a level (finite, never -0): unsigned order
 * of keys = order of levels. */
static inline uint64_t conseco__smooth_key(double d)
{
    const uint64_t u = conseco__double_bits(d);
    return (u >> 63) ? ~u : (u | UINT64_C(0x8000000000000000));
}

/* e^-t for 0 <= t <= 64, in plain double arithmetic (no libm): within a few
 * ulps, and the same bits on every platform. Exposed for the tests. */
double conseco__smooth_exp_neg(double t);

#endif /* CONSECO_SMOOTH_LEVELS_H */
