/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The level histograms of the fused outer paths with 16-bit distances to
 * the nearest seed (outer_fast2d.c, outer_fast3d.c): a finished row's
 * missed pixels and false positives counted by level (read from the Yhat
 * and truth bitmaps, 64 pixels a test), and the score read back as an
 * order statistic of each side. Internal to lib/kinds.
 */
#ifndef CONSECO_OUTER_LEVELS_H
#define CONSECO_OUTER_LEVELS_H

#include <stddef.h>
#include <stdint.h>

#include "bit_words.h"
#include "common/numbers.h" /* conseco.h */

/* Distance "no seed at all" (only when every pixel of the box is Yhat and
 * the border does not count as background). Saturates. */
#define CONSECO__OUTER_NO_SEED 0xFFFFu

static inline void conseco__outer_add_level(uint32_t *hist, uint64_t *inf, uint16_t d)
{
    if (d == CONSECO__OUTER_NO_SEED) (*inf)++;
    else hist[(size_t)d + 1u]++; /* d_other = 1 + distance to the nearest seed */
}

/* A finished row of pixels x0 .. x1 (d[x - x0]: their distances; yr, tr:
 * the row's Yhat and truth bits): its missed pixels (outer) to hout and
 * its false positives (inner) to hin. */
static inline void conseco__outer_count_row(const uint8_t *yr, const uint8_t *tr, size_t x0,
                                            size_t x1, const uint16_t *d, int outer, int inner,
                                            uint32_t *hout, uint64_t *out_inf, uint32_t *hin,
                                            uint64_t *in_inf)
{
    size_t i;
    for (i = x0 / 64u; i <= x1 / 64u; i++) {
        const uint64_t Y = wload(yr + 8u * i), T = wload(tr + 8u * i);
        uint64_t m = outer ? T & ~Y : 0u, f = inner ? Y & ~T : 0u;
        while (m) {
            conseco__outer_add_level(hout, out_inf, d[64u * i + conseco__low64(m) - x0]);
            m &= m - 1u;
        }
        while (f) {
            conseco__outer_add_level(hin, in_inf, d[64u * i + conseco__low64(f) - x0]);
            f &= f - 1u;
        }
    }
}

/* The `need`-th largest level of a histogram with `inf` levels above all
 * (+inf when those reach need). */
static inline double conseco__outer_nth_largest(const uint32_t *hist, size_t bins, uint64_t inf,
                                                uint64_t need)
{
    uint64_t acc = inf;
    size_t b;
    if (acc >= need) return conseco__inf();
    for (b = bins; b-- > 0;) {
        acc += hist[b];
        if (acc >= need) return (double)b;
    }
    return -1.0; /* unreachable: the counts reach need */
}

/* The score from the two histograms: the larger of the (budget + 1)-th
 * largest level of the false positives (need_in) and the (m + 1)-th
 * largest of the missed pixels (need_out); 0 for a side not needed. */
static inline int conseco__outer_levels_score(const uint32_t *hin, const uint32_t *hout,
                                              size_t bins, uint64_t in_inf, uint64_t out_inf,
                                              int need_in, uint64_t budget, int need_out,
                                              uint64_t m, double *score)
{
    double s_in = 0.0, s_out = 0.0;
    if (need_in) {
        s_in = conseco__outer_nth_largest(hin, bins, in_inf, budget + 1u);
        if (s_in == conseco__inf()) {
            *score = s_in;
            return CONSECO_OK;
        }
    }
    if (need_out) s_out = conseco__outer_nth_largest(hout, bins, out_inf, m + 1u);
    if (s_in < 0.0 || s_out < 0.0) return CONSECO_E_OVERFLOW; /* cannot happen */
    *score = s_out > s_in ? s_out : s_in;
    return CONSECO_OK;
}

#endif /* CONSECO_OUTER_LEVELS_H */
