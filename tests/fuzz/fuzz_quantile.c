/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the conformal rank, the quantile and the selection
 * (conseco_rank, conseco_rank_rational, conseco_min_calibration_size,
 * conseco_quantile, conseco_kth_smallest).
 *
 * Input: n (2 bytes), a decimal alpha = A / 10^m (1 byte for m, 8 for A), a
 * raw double alpha (8 bytes), then scores (2 bytes each: NaN, +inf, -0.0 or
 * a value on a grid with many ties) and a selection index.
 *
 * Invariants:
 *  - k = ceil((n + 1)(1 - alpha)) exactly, from integer arithmetic,
 *    for alpha written as a decimal, through both conseco_rank (double) and
 *    conseco_rank_rational (exact in 64 bits: n + 1 <= 5000 < 2^13 and
 *    den <= 10^15 < 2^50);
 *  - for any double alpha in (0, 1): 1 <= k <= n + 1, k never grows with
 *    alpha and grows by at most one from n to n + 1;
 *  - min_calibration_size is the smallest n with k <= n;
 *  - the quantile is the k-th smallest score (sorted literally), +inf when
 *    k > n; NaN scores are refused; selection returns the k-th smallest and
 *    only permutes its input.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conseco.h"
#include "fuzz_check.h"

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned next_byte(reader *r)
{
    if (r->n == 0) return 0;
    r->n--;
    return *r->p++;
}

static uint64_t next_u64(reader *r)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++) v = (v << 8) | next_byte(r);
    return v;
}

/* ceil((n + 1) * (den - num) / den) in exact integers (the product < 2^63). */
static uint64_t rank_reference(uint64_t n, uint64_t num, uint64_t den)
{
    const uint64_t prod = (n + 1) * (den - num);
    return (prod + den - 1) / den;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_bits(const void *a, const void *b)
{
    uint64_t x, y;
    memcpy(&x, a, 8);
    memcpy(&y, b, 8);
    return (x > y) - (x < y);
}

static void check_double_alpha(size_t n, double alpha)
{
    size_t k, k_next_alpha, k_next_n, n_min, k_min;
    double up;
    if (!(alpha > 0.0 && alpha < 1.0)) {
        FUZZ_CHECK(conseco_rank(n, alpha, &k) == CONSECO_E_BAD_ALPHA);
        return;
    }
    FUZZ_CHECK(conseco_rank(n, alpha, &k) == CONSECO_OK);
    FUZZ_CHECK(k >= 1 && k <= n + 1);
    up = nextafter(alpha, 1.0);
    if (up < 1.0) {
        FUZZ_CHECK(conseco_rank(n, up, &k_next_alpha) == CONSECO_OK);
        FUZZ_CHECK(k_next_alpha <= k);
    }
    FUZZ_CHECK(conseco_rank(n + 1, alpha, &k_next_n) == CONSECO_OK);
    FUZZ_CHECK(k_next_n == k || k_next_n == k + 1);
    /* n_min + 1 must be a valid n: skip the (tiny alpha) case n_min = SIZE_MAX */
    if (conseco_min_calibration_size(alpha, &n_min) == CONSECO_OK && n_min < SIZE_MAX - 1) {
        FUZZ_CHECK(conseco_rank(n_min, alpha, &k_min) == CONSECO_OK && k_min <= n_min);
        if (n_min > 0) FUZZ_CHECK(conseco_rank(n_min - 1, alpha, &k_min) == CONSECO_OK && k_min > n_min - 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    const size_t n = ((size_t)next_byte(&r) << 8 | next_byte(&r)) % 5000u;
    const unsigned m = 1 + next_byte(&r) % 15u;
    uint64_t p = 1, a;
    unsigned i;
    double alpha, raw_alpha, lambda_hat;
    size_t k, k2, count, j;
    double *v, *sorted, *work;
    int has_nan = 0, rc;

    for (i = 0; i < m; i++) p *= 10u;
    a = next_u64(&r) % p;
    if (a == 0) a = 1;
    alpha = (double)a / (double)p;

    /* the decimal the user wrote gives the exact rank */
    FUZZ_CHECK(conseco_rank(n, alpha, &k) == CONSECO_OK);
    FUZZ_CHECK((uint64_t)k == rank_reference(n, a, p));
    FUZZ_CHECK(conseco_rank_rational(n, a, p, &k2) == CONSECO_OK && k2 == k);
    check_double_alpha(n, alpha);
    {
        uint64_t bits = next_u64(&r);
        memcpy(&raw_alpha, &bits, sizeof raw_alpha);
        check_double_alpha(n, raw_alpha);
    }

    /* scores */
    count = r.n / 2;
    if (count > 400) count = 400;
    v = (double *)malloc((count ? count : 1) * sizeof *v);
    sorted = (double *)malloc((count ? count : 1) * sizeof *sorted);
    work = (double *)malloc((count ? count : 1) * sizeof *work);
    FUZZ_CHECK(v && sorted && work);
    for (j = 0; j < count; j++) {
        const unsigned hi = next_byte(&r), lo = next_byte(&r);
        if (hi == 255) {
            v[j] = (double)NAN;
            has_nan = 1;
        } else if (hi == 254) {
            v[j] = (double)INFINITY;
        } else if (hi == 253) {
            v[j] = -0.0;
        } else {
            v[j] = ((double)hi - 128.0) / 16.0 + (double)(lo & 0x0Fu) / 4096.0;
        }
    }
    memcpy(sorted, v, count * sizeof *v);
    qsort(sorted, count, sizeof *sorted, cmp_double);

    memcpy(work, v, count * sizeof *v);
    rc = conseco_quantile(count ? work : NULL, count, alpha, &lambda_hat, &k2);
    if (has_nan) {
        FUZZ_CHECK(rc == CONSECO_E_BAD_SCORE);
    } else {
        FUZZ_CHECK(rc == CONSECO_OK);
        FUZZ_CHECK(conseco_rank(count, alpha, &k) == CONSECO_OK && k2 == k);
        if (k > count)
            FUZZ_CHECK(lambda_hat > DBL_MAX);
        else
            FUZZ_CHECK(lambda_hat == sorted[k - 1]);
        if (count > 0) {
            /* the selection only permutes: same multiset of bit patterns */
            double *a1 = (double *)malloc(count * sizeof *a1), *a2 = (double *)malloc(count * sizeof *a2);
            FUZZ_CHECK(a1 && a2);
            memcpy(a1, work, count * sizeof *a1);
            memcpy(a2, v, count * sizeof *a2);
            qsort(a1, count, sizeof *a1, cmp_bits);
            qsort(a2, count, sizeof *a2, cmp_bits);
            FUZZ_CHECK(memcmp(a1, a2, count * sizeof *a1) == 0);
            free(a1);
            free(a2);
        }
    }
    if (count > 0) {
        const size_t kk = 1 + (size_t)next_byte(&r) * 7919u % count;
        double out;
        memcpy(work, v, count * sizeof *v);
        rc = conseco_kth_smallest(work, count, kk, &out);
        if (has_nan) {
            FUZZ_CHECK(rc == CONSECO_E_BAD_SCORE);
        } else {
            FUZZ_CHECK(rc == CONSECO_OK && out == sorted[kk - 1]);
        }
        FUZZ_CHECK(conseco_kth_smallest(work, count, count + 1, &out) == CONSECO_E_INVALID_ARG);
    }
    free(v);
    free(sorted);
    free(work);
    return 0;
}
