/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The city-block (cross) distance transform of a box in 16-bit lanes, shared
 * by the cross erosion of volumes (erosion_cross3d.c) and the fused outer
 * paths (outer_fast3d.c, outer_fast2d.c): rows of distances min a
 * neighbouring row plus one, the sweeps along a row (8 or 32 rows at a time,
 * transposed into SSE2 lanes), and the two halves of the transform of a
 * box filled with 0 (a seed or background voxel) and 0xFFFF (none yet):
 * per slice upwards both sweeps along x, both along y and the step from
 * the slice below; then, row by row of the slices downwards, the step from
 * the slice above.
 *
 * The city-block distance is separable (a min over offsets of the sum of
 * per-axis terms), so the 1-D sweeps along x, then y, then z give it
 * exactly; doing some of them interleaved only adds more mins with upper
 * bounds. 0xFFFF is "nothing reachable" and saturating adds keep it so; the
 * callers keep finite distances below it (w + h + d <= 0xFFFD). Beyond each
 * face of the box lies either background (a row of zeros: distance 1 to the
 * voxels of the face) or nothing. Internal to lib/kinds.
 */
#ifndef CONSECO_CROSS_SWEEP_H
#define CONSECO_CROSS_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "common/simd.h"
#include "simd_u16.h"

/* d[k] = min(d[k], src[k] + 1), 0xFFFF + 1 staying 0xFFFF. */
static inline void conseco__row_min1(uint16_t *d, const uint16_t *src, size_t n)
{
    size_t k = 0;
#ifdef CONSECO__SIMD
    const conseco__m128i one = conseco__mm_set1_epi16(1);
    for (; k + 8 <= n; k += 8) {
        const conseco__m128i a = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(d + k));
        const conseco__m128i b = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(src + k));
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(d + k),
                                 conseco__min_u16(a, conseco__mm_adds_epu16(b, one)));
    }
#endif
    for (; k < n; k++) { /* 0xFFFF + 1 = 0x10000 loses to every value */
        const uint32_t a = d[k], b = (uint32_t)src[k] + 1u;
        d[k] = (uint16_t)(a < b ? a : b);
    }
}

/* Edges of the sweeps along a row: 0 (background just outside) or
 * CONSECO__SWEEP_NONE (nothing: loses every min). */
#define CONSECO__SWEEP_NONE 0x10000u

/* r[k] = min(r[k], r[k - 1] + 1) rightwards, r[-1] = edge. */
static inline void conseco__sweep_right(uint16_t *r, size_t n, uint32_t edge)
{
    uint32_t f = edge;
    size_t k;
    for (k = 0; k < n; k++) {
        const uint32_t a = r[k];
        f = a < f + 1u ? a : f + 1u;
        r[k] = (uint16_t)f;
    }
}

/* r[k] = min(r[k], r[k + 1] + 1) leftwards, r[n] = edge. */
static inline void conseco__sweep_left(uint16_t *r, size_t n, uint32_t edge)
{
    uint32_t f = edge;
    size_t k;
    for (k = n; k-- > 0;) {
        const uint32_t a = r[k];
        f = a < f + 1u ? a : f + 1u;
        r[k] = (uint16_t)f;
    }
}

#ifdef CONSECO__SIMD
/* Lanes (one vector per column, rows in its eight 16-bit parts) back into
 * the eight rows q[0..7] of n cells. */
static inline void conseco__lanes_to_rows(uint16_t *const q[8], size_t n,
                                          const conseco__m128i *lanes)
{
    conseco__m128i v[8];
    uint16_t col[8];
    size_t x0, x, j;
    for (x0 = 0; x0 + 8 <= n; x0 += 8) {
        for (j = 0; j < 8; j++) v[j] = lanes[x0 + j];
        conseco__transpose8_u16(v);
        for (j = 0; j < 8; j++)
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(q[j] + x0), v[j]);
    }
    for (x = x0; x < n; x++) {
        conseco__mm_storeu_si128((conseco__m128i *)(void *)col, lanes[x]);
        for (j = 0; j < 8; j++) q[j][x] = col[j];
    }
}

/* Both sweeps along eight rows q[0..7] of n cells: transposed into `lanes`
 * (16 n bytes, 16-aligned: one vector per column), swept with one saturating
 * add and one min per column and direction, transposed back. lo_none /
 * hi_none: nothing beyond x = -1 / x = n (else background). */
void conseco__sweep8(uint16_t *const q[8], size_t n, int lo_none, int hi_none,
                     conseco__m128i *lanes);

/* The same along 32 rows q[0..31] at once: four groups of eight rows in
 * `lanes` (64 n bytes, 16-aligned), swept together as four independent
 * dependency chains, which overlap in the pipeline (one group alone waits
 * on its chain's latency). */
void conseco__sweep32(uint16_t *const q[32], size_t n, int lo_none, int hi_none,
                      conseco__m128i *lanes);
#endif

/* A box of n0 x n1 x n2 distances, x fastest, and what lies beyond its
 * faces. */
typedef struct conseco__cross_box {
    uint16_t *g;
    size_t n0, n1, n2, slice;  /* slice = n0 n1 */
    int x_lo_none, x_hi_none;  /* nothing beyond x = -1 / x = n0 (else background) */
    const uint16_t *ylo, *yhi; /* the row of n0 beyond y = -1 / y = n1 (zeros: background,
                                * 0xFFFF: nothing), or NULL: nothing */
    const uint16_t *zlo, *zhi; /* a row of n0 zeros (background beyond the face z = -1 /
                                * z = n2), or NULL: nothing */
    void *lanes;               /* 16 bytes a column, 16-aligned (with SIMD) */
} conseco__cross_box;

/* The upward half on slice z, its rows filled: both sweeps along x and along
 * y, then min the slice below (or the background beyond the face) plus one. */
void conseco__cross_slice_up(const conseco__cross_box *b, size_t z);

/* The downward half on row y of slice z (after slice z + 1's rows): min the
 * slice above (or the background beyond the face) plus one. Returns the
 * finished row. */
static inline const uint16_t *conseco__cross_row_down(const conseco__cross_box *b, size_t z,
                                                      size_t y)
{
    uint16_t *row = b->g + z * b->slice + y * b->n0;
    if (z + 1 < b->n2) conseco__row_min1(row, row + b->slice, b->n0);
    else if (b->zhi != NULL) conseco__row_min1(row, b->zhi, b->n0);
    return row;
}

#endif /* CONSECO_CROSS_SWEEP_H */
