/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Distance transforms (lib/distance.c, white box) against a brute-force
 * nearest-background search over the box and its open margins, for the
 * three metrics, 1-D to 3-D boxes and every combination of open sides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kinds/distance.h"
#include "test_util.h"

#define CANARY 0xA5A5A5A5u

/* Is extended cell q (coordinates in [-1, n]) background? Inside the box:
 * its value is 0. Outside: every coordinate that leaves the box must leave
 * through an open side (corners next to a closed side are outside the image
 * under the foreground policy, hence never background). */
static int is_background(const conseco__box *b, const uint32_t *cells, const long q[3])
{
    int a, inside = 1;
    for (a = 0; a < 3; a++) {
        if (q[a] == -1) {
            if (!b->open_lo[a]) return 0;
            inside = 0;
        } else if (q[a] == (long)b->n[a]) {
            if (!b->open_hi[a]) return 0;
            inside = 0;
        }
    }
    if (!inside) return 1;
    return cells[(size_t)q[0] + b->n[0] * ((size_t)q[1] + b->n[1] * (size_t)q[2])] == 0;
}

static uint64_t metric_dist(int metric, const long p[3], const long q[3])
{
    uint64_t sum = 0, mx = 0;
    int a;
    for (a = 0; a < 3; a++) {
        const uint64_t dd = (uint64_t)(p[a] > q[a] ? p[a] - q[a] : q[a] - p[a]);
        if (metric == CONSECO__METRIC_L2SQ) sum += dd * dd;
        else sum += dd;
        if (dd > mx) mx = dd;
    }
    return metric == CONSECO__METRIC_LINF ? mx : sum;
}

static uint32_t brute(const conseco__box *b, const uint32_t *cells, int metric, const long p[3])
{
    uint64_t best = UINT64_MAX;
    long q[3];
    for (q[2] = -1; q[2] <= (long)b->n[2]; q[2]++)
        for (q[1] = -1; q[1] <= (long)b->n[1]; q[1]++)
            for (q[0] = -1; q[0] <= (long)b->n[0]; q[0]++)
                if (is_background(b, cells, q)) {
                    const uint64_t dd = metric_dist(metric, p, q);
                    if (dd < best) best = dd;
                }
    return best == UINT64_MAX ? CONSECO__DIST_INF : (uint32_t)best;
}

static void test_random_boxes(void **state)
{
    tu_rng r = {4242};
    int iter;
    (void)state;
    for (iter = 0; iter < 6000; iter++) {
        conseco__box b;
        const int metric = (int)tu_range(&r, 1, 3);
        const double density = tu_uniform(&r);
        size_t cells, wl, i;
        uint32_t *d, *orig, *work;
        long p[3];
        int a;
        b.n[0] = tu_range(&r, 1, 9);
        b.n[1] = tu_range(&r, 1, 9);
        b.n[2] = tu_range(&r, 0, 2) == 0 ? tu_range(&r, 1, 6) : 1;
        if (tu_range(&r, 0, 5) == 0) { /* long thin boxes along any axis */
            for (a = 0; a < 3; a++) b.n[a] = tu_range(&r, 1, 3);
            b.n[tu_range(&r, 0, 2)] = tu_range(&r, 20, 40);
        }
        for (a = 0; a < 3; a++) {
            b.open_lo[a] = (unsigned char)tu_range(&r, 0, 1);
            b.open_hi[a] = (unsigned char)tu_range(&r, 0, 1);
        }
        cells = b.n[0] * b.n[1] * b.n[2];
        assert_int_equal(conseco__distance_fits(&b, metric), CONSECO_OK);
        wl = conseco__distance_work_len(&b);
        d = malloc(cells * sizeof *d);
        orig = malloc(cells * sizeof *orig);
        work = malloc((wl + 4) * sizeof *work);
        for (i = 0; i < wl + 4; i++) work[i] = CANARY;
        for (i = 0; i < cells; i++)
            orig[i] = d[i] = tu_uniform(&r) < density ? CONSECO__DIST_INF : 0u;
        conseco__distance_transform(d, &b, metric, work);
        for (i = wl; i < wl + 4; i++) assert_int_equal(work[i], CANARY); /* stays in bounds */
        i = 0;
        for (p[2] = 0; p[2] < (long)b.n[2]; p[2]++)
            for (p[1] = 0; p[1] < (long)b.n[1]; p[1]++)
                for (p[0] = 0; p[0] < (long)b.n[0]; p[0]++, i++) {
                    const uint32_t want = brute(&b, orig, metric, p);
                    if (d[i] != want) {
                        print_error("metric %d box %zux%zux%zu cell %ld,%ld,%ld: got %u want %u\n",
                                    metric, b.n[0], b.n[1], b.n[2], p[0], p[1], p[2],
                                    (unsigned)d[i], (unsigned)want);
                        fail();
                    }
                }
        free(d);
        free(orig);
        free(work);
    }
}

/* A fully closed box with no background stays at INF; one open side is
 * enough to make every distance finite. */
static void test_no_background(void **state)
{
    conseco__box b;
    uint32_t d[12], work[64];
    size_t i;
    (void)state;
    memset(&b, 0, sizeof b);
    b.n[0] = 4;
    b.n[1] = 3;
    b.n[2] = 1;
    for (i = 0; i < 12; i++) d[i] = CONSECO__DIST_INF;
    assert_true(conseco__distance_work_len(&b) <= 64);
    conseco__distance_transform(d, &b, CONSECO__METRIC_L2SQ, work);
    for (i = 0; i < 12; i++) assert_int_equal(d[i], CONSECO__DIST_INF);
    b.open_hi[1] = 1; /* background below the last row */
    conseco__distance_transform(d, &b, CONSECO__METRIC_L2SQ, work);
    for (i = 0; i < 12; i++) assert_int_equal(d[i], (3 - i / 4) * (3 - i / 4));
}

static void test_fits(void **state)
{
    conseco__box b;
    (void)state;
    memset(&b, 0, sizeof b);
    b.n[0] = 65535;
    b.n[1] = 1;
    b.n[2] = 1;
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_L2SQ), CONSECO_OK);
    b.n[0] = 65536;
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_L2SQ), CONSECO_E_OVERFLOW);
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_L1), CONSECO_OK);
    b.n[0] = 46341; /* 2 * 46341^2 > 2^32 - 3 */
    b.n[1] = 46341;
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_L2SQ), CONSECO_E_OVERFLOW);
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_LINF), CONSECO_OK);
    b.n[0] = 46340;
    b.n[1] = 46340;
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_L2SQ), CONSECO_OK);
#if SIZE_MAX > 0xFFFFFFFFu
    b.n[0] = (size_t)1 << 33;
    b.n[1] = 1;
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_L1), CONSECO_E_OVERFLOW);
    assert_int_equal(conseco__distance_fits(&b, CONSECO__METRIC_LINF), CONSECO_E_OVERFLOW);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_no_background),
        cmocka_unit_test(test_random_boxes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
