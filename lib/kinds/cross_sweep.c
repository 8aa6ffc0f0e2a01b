/* SPDX-License-Identifier: Apache-2.0 */
/* The cross's transform of a box in 16-bit lanes (cross_sweep.h). */
#include "cross_sweep.h"

#ifdef CONSECO__SIMD
/* Eight rows q[0..7] of n cells into lanes[0..n) (one vector per column). */
static inline void rows_to_lanes(uint16_t *const q[8], size_t n, conseco__m128i *lanes)
{
    conseco__m128i v[8];
    uint16_t col[8];
    size_t x0, x, j;
    for (x0 = 0; x0 + 8 <= n; x0 += 8) {
        for (j = 0; j < 8; j++)
            v[j] = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(q[j] + x0));
        conseco__transpose8_u16(v);
        for (j = 0; j < 8; j++) lanes[x0 + j] = v[j];
    }
    for (x = x0; x < n; x++) {
        for (j = 0; j < 8; j++) col[j] = q[j][x];
        lanes[x] = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)col);
    }
}

/* conseco__sweep8 (inline: the sweep of a slice below keeps it in its loop). */
static inline void sweep8(uint16_t *const q[8], size_t n, int lo_none, int hi_none,
                          conseco__m128i *lanes)
{
    const conseco__m128i one = conseco__mm_set1_epi16(1);
    conseco__m128i f;
    size_t x;
    rows_to_lanes(q, n, lanes);
    f = conseco__mm_set1_epi16(lo_none ? -1 : 0);
    for (x = 0; x < n; x++) lanes[x] = f = conseco__min_u16(lanes[x], conseco__mm_adds_epu16(f, one));
    f = conseco__mm_set1_epi16(hi_none ? -1 : 0);
    for (x = n; x-- > 0;) lanes[x] = f = conseco__min_u16(lanes[x], conseco__mm_adds_epu16(f, one));
    conseco__lanes_to_rows(q, n, lanes);
}

void conseco__sweep8(uint16_t *const q[8], size_t n, int lo_none, int hi_none,
                     conseco__m128i *lanes)
{
    sweep8(q, n, lo_none, hi_none, lanes);
}

void conseco__sweep32(uint16_t *const q[32], size_t n, int lo_none, int hi_none,
                      conseco__m128i *lanes)
{
    const conseco__m128i one = conseco__mm_set1_epi16(1);
    const conseco__m128i lo = conseco__mm_set1_epi16(lo_none ? -1 : 0),
                         hi = conseco__mm_set1_epi16(hi_none ? -1 : 0);
    conseco__m128i *const a = lanes, *const b = lanes + n, *const c = lanes + 2u * n,
                          *const d = lanes + 3u * n;
    conseco__m128i fa, fb, fc, fd;
    size_t x, k;
    for (k = 0; k < 4; k++) rows_to_lanes(q + 8u * k, n, lanes + k * n);
    fa = fb = fc = fd = lo;
    for (x = 0; x < n; x++) {
        a[x] = fa = conseco__min_u16(a[x], conseco__mm_adds_epu16(fa, one));
        b[x] = fb = conseco__min_u16(b[x], conseco__mm_adds_epu16(fb, one));
        c[x] = fc = conseco__min_u16(c[x], conseco__mm_adds_epu16(fc, one));
        d[x] = fd = conseco__min_u16(d[x], conseco__mm_adds_epu16(fd, one));
    }
    fa = fb = fc = fd = hi;
    for (x = n; x-- > 0;) {
        a[x] = fa = conseco__min_u16(a[x], conseco__mm_adds_epu16(fa, one));
        b[x] = fb = conseco__min_u16(b[x], conseco__mm_adds_epu16(fb, one));
        c[x] = fc = conseco__min_u16(c[x], conseco__mm_adds_epu16(fc, one));
        d[x] = fd = conseco__min_u16(d[x], conseco__mm_adds_epu16(fd, one));
    }
    for (k = 0; k < 4; k++) conseco__lanes_to_rows(q + 8u * k, n, lanes + k * n);
}
#endif

/* Both sweeps along x of the n1 rows of slice s. */
static void sweep_slice_x(const conseco__cross_box *b, uint16_t *s)
{
    const size_t n0 = b->n0, n1 = b->n1;
    const uint32_t lo = b->x_lo_none ? CONSECO__SWEEP_NONE : 0u,
                   hi = b->x_hi_none ? CONSECO__SWEEP_NONE : 0u;
    size_t y = 0;
#ifdef CONSECO__SIMD
    if (n0 >= 8)
        for (; y + 8 <= n1; y += 8) {
            uint16_t *q[8];
            size_t k;
            for (k = 0; k < 8; k++) q[k] = s + (y + k) * n0;
            sweep8(q, n0, b->x_lo_none, b->x_hi_none, (conseco__m128i *)b->lanes);
        }
#endif
    for (; y < n1; y++) {
        conseco__sweep_right(s + y * n0, n0, lo);
        conseco__sweep_left(s + y * n0, n0, hi);
    }
}

void conseco__cross_slice_up(const conseco__cross_box *b, size_t z)
{
    const size_t n0 = b->n0, n1 = b->n1;
    uint16_t *s = b->g + z * b->slice;
    size_t y;
    sweep_slice_x(b, s);
    if (b->ylo != NULL) conseco__row_min1(s, b->ylo, n0);
    for (y = 1; y < n1; y++) conseco__row_min1(s + y * n0, s + (y - 1u) * n0, n0);
    for (y = n1; y-- > 0;) {
        uint16_t *row = s + y * n0;
        if (y + 1 < n1) conseco__row_min1(row, row + n0, n0);
        else if (b->yhi != NULL) conseco__row_min1(row, b->yhi, n0);
        if (z > 0) conseco__row_min1(row, row - b->slice, n0);
        else if (b->zlo != NULL) conseco__row_min1(row, b->zlo, n0);
    }
}
