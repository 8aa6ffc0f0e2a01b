/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact separable distance transforms (city block, chessboard, squared
 * Euclidean) on the bounding box of a mask.
 *
 * Every metric here is a min over axes that can be taken one axis at a time:
 *   pass 1 (longest axis): 1-D distance to the nearest background along the
 *     line, two sweeps (squared afterwards for the Euclidean metric);
 *   later axes: L1 adds |i - j| (two sweeps again); L-inf and squared L2 need
 *     the lower envelope of max(|x - i|, g_i) or (x - i)^2 + g_i, built in one
 *     left-to-right scan (Meijster, Roerdink & Hesselink 2000).
 * The open margins of the box are extra background sites just outside each
 * line, so the border policy needs no padded copy of the image.
 */
#include "distance.h"

static size_t axis_stride(const conseco__box *box, int axis)
{
    return axis == 0 ? 1 : axis == 1 ? box->n[0] : box->n[0] * box->n[1];
}

/* The longest axis goes first: the envelope then only ever scans the shorter
 * lines, which keeps the work area small (see erosion.c, levels callback). */
static int first_axis(const conseco__box *box)
{
    int a = 0;
    if (box->n[1] > box->n[a]) a = 1;
    if (box->n[2] > box->n[a]) a = 2;
    return a;
}

size_t conseco__distance_work_len(const conseco__box *box)
{
    const int first = first_axis(box);
    size_t longest = 1;
    int a;
    for (a = 0; a < 3; a++)
        if (a != first && box->n[a] > longest) longest = box->n[a];
    return 3 * (longest + 2); /* site, value and start of each envelope piece */
}

int conseco__distance_fits(const conseco__box *box, int metric)
{
    const uint64_t limit = (uint64_t)CONSECO__DIST_INF - 2;
    uint64_t total = 0;
    int a;
    for (a = 0; a < 3; a++) {
        /* n[a] is also the largest distance to an open margin along axis a */
        const uint64_t n = (uint64_t)box->n[a];
        uint64_t term;
        if (n > 0xFFFFu * (uint64_t)0x10001u) return CONSECO_E_OVERFLOW; /* > 2^32 - 1 */
        if (metric == CONSECO__METRIC_L2SQ) {
            if (n > 0xFFFFu) return CONSECO_E_OVERFLOW;
            term = n * n;
        } else {
            term = n;
        }
        if (metric == CONSECO__METRIC_LINF) total = term > total ? term : total;
        else total += term;
        if (total > limit) return CONSECO_E_OVERFLOW;
    }
    return CONSECO_OK;
}

/* Min-plus with |i - j| along one line: two sweeps, saturating at INF. */
static void sweep_line(uint32_t *d, size_t n, size_t stride, int lo, int hi)
{
    uint32_t prev = lo ? 0 : CONSECO__DIST_INF;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t *c = d + i * stride;
        if (prev != CONSECO__DIST_INF && prev + 1 < *c) *c = prev + 1;
        prev = *c;
    }
    prev = hi ? 0 : CONSECO__DIST_INF;
    for (i = n; i-- > 0;) {
        uint32_t *c = d + i * stride;
        if (prev != CONSECO__DIST_INF && prev + 1 < *c) *c = prev + 1;
        prev = *c;
    }
}

/* Value at query x of the piece rooted at site i with value g. */
static int64_t piece(int metric, int64_t x, int64_t i, int64_t g)
{
    const int64_t dx = x > i ? x - i : i - x;
    if (metric == CONSECO__METRIC_L2SQ) return dx * dx + g;
    return dx > g ? dx : g;
}

static int64_t floor_div(int64_t a, int64_t b) /* b > 0 */
{
    int64_t q = a / b;
    if (a % b != 0 && a < 0) q--;
    return q;
}

/* Largest x where site i (value gi) is <= site u (value gu), for i < u. */
static int64_t separation(int metric, int64_t i, int64_t gi, int64_t u, int64_t gu)
{
    if (metric == CONSECO__METRIC_L2SQ)
        return floor_div(u * u - i * i + gu - gi, 2 * (u - i));
    if (gi <= gu) {
        const int64_t a = i + gu, b = (i + u) / 2;
        return a > b ? a : b;
    } else {
        const int64_t a = u - gi, b = (i + u) / 2;
        return a < b ? a : b;
    }
}

/*
 * Lower envelope along one line. Positions are shifted by one: cells are
 * 1..n, the open margins are sites 0 and n+1 with value 0. Each stack entry
 * holds a site, its value and the first query where it is the minimum.
 */
static void envelope_line(uint32_t *d, size_t n, size_t stride, int lo, int hi, int metric,
                          uint32_t *work)
{
    uint32_t *site = work, *val = work + (n + 2), *start = work + 2 * (n + 2);
    const int64_t last = (int64_t)n;
    size_t k = 0, u;
    for (u = lo ? 0 : 1; u <= n + 1; u++) {
        int64_t gu;
        if (u == n + 1) {
            if (!hi) break;
            gu = 0;
        } else if (u == 0) {
            gu = 0;
        } else {
            const uint32_t v = d[(u - 1) * stride];
            if (v == CONSECO__DIST_INF) continue; /* not a site */
            gu = v;
        }
        while (k > 0 && piece(metric, start[k - 1], site[k - 1], val[k - 1]) >
                            piece(metric, start[k - 1], (int64_t)u, gu))
            k--;
        if (k == 0) {
            site[0] = (uint32_t)u;
            val[0] = (uint32_t)gu;
            start[0] = 1;
            k = 1;
        } else {
            const int64_t w =
                1 + separation(metric, site[k - 1], val[k - 1], (int64_t)u, gu);
            if (w <= last) {
                site[k] = (uint32_t)u;
                val[k] = (uint32_t)gu;
                start[k] = (uint32_t)w;
                k++;
            }
        }
    }
    if (k == 0) return; /* no site on this line: every cell stays INF */
    for (u = n; u >= 1; u--) {
        d[(u - 1) * stride] =
            (uint32_t)piece(metric, (int64_t)u, site[k - 1], val[k - 1]);
        if ((uint32_t)u == start[k - 1]) k--;
    }
}

/* Calls fn on every line along `axis`. */
static void for_each_line(uint32_t *d, const conseco__box *box, int axis, int metric,
                          uint32_t *work, int envelope)
{
    const int b = axis == 0 ? 1 : 0, c = axis == 2 ? 1 : 2;
    const size_t sa = axis_stride(box, axis), sb = axis_stride(box, b),
                 sc = axis_stride(box, c);
    size_t ib, ic;
    for (ic = 0; ic < box->n[c]; ic++)
        for (ib = 0; ib < box->n[b]; ib++) {
            uint32_t *line = d + ib * sb + ic * sc;
            if (envelope)
                envelope_line(line, box->n[axis], sa, box->open_lo[axis],
                              box->open_hi[axis], metric, work);
            else
                sweep_line(line, box->n[axis], sa, box->open_lo[axis], box->open_hi[axis]);
        }
}

void conseco__distance_transform(uint32_t *d, const conseco__box *box, int metric,
                                 uint32_t *work)
{
    const int first = first_axis(box);
    int a;
    for_each_line(d, box, first, metric, work, 0);
    if (metric == CONSECO__METRIC_L2SQ) {
        const size_t total = box->n[0] * box->n[1] * box->n[2];
        size_t i;
        for (i = 0; i < total; i++)
            if (d[i] != CONSECO__DIST_INF) d[i] *= d[i];
    }
    for (a = 0; a < 3; a++) {
        if (a == first) continue;
        /* a line of length 1 with closed ends changes nothing */
        if (box->n[a] == 1 && !box->open_lo[a] && !box->open_hi[a]) continue;
        for_each_line(d, box, a, metric, work, metric != CONSECO__METRIC_L1);
    }
}
