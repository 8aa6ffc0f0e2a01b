/* SPDX-License-Identifier: Apache-2.0 */
/* Exact conformal rank, O(n) selection and the +inf quantile rule. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "conseco.h"
#include "ref_rank.h"
#include "test_util.h"

static size_t rank_of(size_t n, double alpha)
{
    size_t k = 0;
    assert_int_equal(conseco_rank(n, alpha, &k), CONSECO_OK);
    return k;
}

/* ---------------------------------------------------------------- the rank */
static void test_rank_table(void **state)
{
    volatile double a07 = 0.7, a018 = 0.18; /* keep the naive products at run time */
    (void)state;
    assert_int_equal(rank_of(9, 0.1), 9);
    assert_int_equal(rank_of(9, 0.7), 3);
    assert_int_equal(rank_of(149, 0.18), 123);
    assert_int_equal(rank_of(24, 0.1), 23);
    assert_int_equal(rank_of(99, 0.05), 95);
    assert_int_equal(rank_of(999, 0.1), 900);
    assert_int_equal(rank_of(19, 0.05), 19);
    assert_int_equal(rank_of(1, 0.5), 1);
    /* k > n: lambda_hat will be +inf */
    assert_int_equal(rank_of(0, 0.1), 1);
    assert_int_equal(rank_of(5, 0.1), 6);
    assert_int_equal(rank_of(8, 0.1), 9);
    assert_int_equal(rank_of(18, 0.05), 19);
    assert_int_equal(rank_of(3, 0.01), 4);
    /* what naive floating point does with the two tricky rows */
    assert_true(ceil(10.0 * (1.0 - a07)) == 4.0);
    assert_true(ceil(150.0 * (1.0 - a018)) == 124.0);
}

static void test_rank_rational(void **state)
{
    size_t k = 0;
    (void)state;
    assert_int_equal(conseco_rank_rational(9, 1, 10, &k), CONSECO_OK);
    assert_int_equal(k, 9);
    assert_int_equal(conseco_rank_rational(9, 7, 10, &k), CONSECO_OK);
    assert_int_equal(k, 3);
    assert_int_equal(conseco_rank_rational(149, 9, 50, &k), CONSECO_OK);
    assert_int_equal(k, 123);
    assert_int_equal(conseco_rank_rational(2, 1, 3, &k), CONSECO_OK); /* ceil(3 * 2/3) = 2 */
    assert_int_equal(k, 2);
    assert_int_equal(conseco_rank_rational(9, 0, 10, &k), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_rank_rational(9, 10, 10, &k), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_rank_rational(9, 11, 10, &k), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_rank_rational(9, 1, 10, NULL), CONSECO_E_NULL);
    {
        /* random 64-bit rationals against the exact predicate */
        tu_rng r = {0xA1FAu};
        size_t i;
        for (i = 0; i < 20000; i++) {
            const uint64_t den = i % 2 ? tu_next(&r) | 2u : (uint64_t)tu_range(&r, 2, 1000);
            const uint64_t num = 1u + tu_next(&r) % (den - 1u);
            const size_t n = i % 3 == 0 ? (size_t)tu_next(&r) : tu_range(&r, 0, 5000);
            const int rc = conseco_rank_rational(n, num, den, &k);
            if (rc == CONSECO_E_OVERFLOW) {
                /* only when k would be n + 1 > SIZE_MAX */
                assert_true(n == SIZE_MAX && ref_rank_check(n, num, den, n));
                continue;
            }
            assert_int_equal(rc, CONSECO_OK);
            assert_true(k >= 1);
            assert_true(ref_rank_check(n, num, den, (uint64_t)k - 1u));
        }
    }
}

static void test_rank_bad_alpha(void **state)
{
    const double bad[] = {0.0, -0.0, 1.0, -0.1, 1.5, NAN, INFINITY, -INFINITY};
    size_t i, k = 77;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(conseco_rank(10, bad[i], &k), CONSECO_E_BAD_ALPHA);
        assert_int_equal(conseco_min_calibration_size(bad[i], &k), CONSECO_E_BAD_ALPHA);
    }
    assert_int_equal(k, 77); /* untouched on failure */
    assert_int_equal(conseco_rank(10, 0.1, NULL), CONSECO_E_NULL);
}

/* Thousands of decimal alphas A / 10^d and n of every size, against exact integers. */
static void test_rank_decimal_bruteforce(void **state)
{
    tu_rng r = {0xDEC1u};
    size_t i;
    (void)state;
    for (i = 0; i < 60000; i++) {
        const unsigned d = (unsigned)tu_range(&r, 1, 15);
        uint64_t p = 1, a;
        size_t n, k;
        double alpha;
        unsigned j;
        int rc;
        for (j = 0; j < d; j++) p *= 10u;
        a = 1u + tu_next(&r) % (p - 1u);
        alpha = (double)a / (double)p; /* what strtod gives for the written decimal */
        switch (i % 4) {
        case 0: n = tu_range(&r, 0, 200); break;
        case 1: n = tu_range(&r, 0, 1000000); break;
        case 2: n = (size_t)tu_next(&r); break;
        default: n = SIZE_MAX - tu_range(&r, 0, 50); break;
        }
        rc = conseco_rank(n, alpha, &k);
        if (rc == CONSECO_E_OVERFLOW) {
            assert_true(n == SIZE_MAX && ref_rank_check(n, a, p, n));
            continue;
        }
        assert_int_equal(rc, CONSECO_OK);
        assert_true(ref_rank_check(n, a, p, (uint64_t)k - 1u));
    }
}

/* Any double: the decimal the user wrote if it has <= 15 digits, else its binary value. */
static void test_rank_any_double(void **state)
{
    tu_rng r = {0xB1Au};
    size_t i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        double alpha;
        uint64_t num, den;
        size_t n = i % 2 ? tu_range(&r, 0, 100000) : (size_t)tu_next(&r), k;
        switch (i % 3) {
        case 0: alpha = tu_uniform(&r); break;
        case 1: alpha = 1.0 / (double)tu_range(&r, 2, 1000); break; /* 1/3, 1/7: binary */
        default: alpha = (double)tu_range(&r, 1, 99) / 100.0; break;
        }
        if (alpha <= 0.0) continue;
        assert_true(ref_alpha_rational(alpha, &num, &den));
        if (conseco_rank(n, alpha, &k) == CONSECO_E_OVERFLOW) {
            assert_true(n == SIZE_MAX);
            continue;
        }
        assert_true(ref_rank_check(n, num, den, (uint64_t)k - 1u));
    }
    /* 1/3 is binary: 6004799503160661 / 2^54 exactly, a hair below 1/3 */
    assert_int_equal(rank_of(2, 1.0 / 3.0), 3); /* ceil(3 * (1 - 0.333..331)) = ceil(2.000..) */
    assert_int_equal(rank_of(5, 1.0 / 3.0), 5); /* ceil(6 * 0.666..) = ceil(4.000..01) */
}

static void test_rank_huge_n(void **state)
{
    size_t k = 0;
    (void)state;
    /* n + 1 = SIZE_MAX + 1 */
    assert_int_equal(rank_of(SIZE_MAX, 0.5), SIZE_MAX / 2u + 1u);
    /* N - floor(N / 10) with N = SIZE_MAX + 1, and floor(N / 10) = floor(SIZE_MAX / 10) */
    assert_int_equal(rank_of(SIZE_MAX, 0.1), SIZE_MAX - SIZE_MAX / 10u + 1u);
    assert_true(ref_rank_check(SIZE_MAX, 1, 10, SIZE_MAX - SIZE_MAX / 10u));
    assert_int_equal(rank_of(SIZE_MAX - 1u, 0.25), (SIZE_MAX - 1u) - (SIZE_MAX / 4u) + 1u);
    /* k = n + 1 does not fit size_t */
    assert_int_equal(conseco_rank(SIZE_MAX, 1e-300, &k), CONSECO_E_OVERFLOW);
    assert_int_equal(rank_of(SIZE_MAX - 1u, 1e-300), SIZE_MAX);
    /* subnormal alpha still exact */
    assert_int_equal(rank_of(1000, 4.9e-324), 1001);
    assert_int_equal(rank_of(1000, 1.0 - 1e-16), 1);
}

static void test_min_calibration_size(void **state)
{
    static const struct {
        double alpha;
        size_t n;
    } table[] = {{0.1, 9},  {0.05, 19}, {0.5, 1}, {0.9, 1}, {0.2, 4},
                 {0.18, 5}, {0.01, 99}, {0.3, 3}, {0.7, 1}, {0.001, 999}};
    tu_rng r = {0x313u};
    size_t i, n = 0;
    (void)state;
    for (i = 0; i < sizeof table / sizeof table[0]; i++) {
        assert_int_equal(conseco_min_calibration_size(table[i].alpha, &n), CONSECO_OK);
        assert_int_equal(n, table[i].n);
    }
    /* the defining property on random alphas */
    for (i = 0; i < 5000; i++) {
        const double alpha =
            i % 2 ? (double)tu_range(&r, 1, 9999) / 10000.0 : 1e-6 + tu_uniform(&r) * (1.0 - 2e-6);
        assert_int_equal(conseco_min_calibration_size(alpha, &n), CONSECO_OK);
        assert_true(rank_of(n, alpha) <= n);
        if (n > 0) assert_true(rank_of(n - 1u, alpha) > n - 1u);
    }
    assert_int_equal(conseco_min_calibration_size(1e-300, &n), CONSECO_E_OVERFLOW);
    assert_int_equal(conseco_min_calibration_size(0.1, NULL), CONSECO_E_NULL);
    if (SIZE_MAX >= UINT64_C(1000000000000000)) {
        assert_int_equal(conseco_min_calibration_size(1e-15, &n), CONSECO_OK);
        assert_true(n == (size_t)UINT64_C(999999999999999));
    } else {
        assert_int_equal(conseco_min_calibration_size(1e-15, &n), CONSECO_E_OVERFLOW);
    }
}

/* --------------------------------------------------------------- selection */
static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill_random(double *v, size_t n, tu_rng *r)
{
    const unsigned style = (unsigned)tu_range(r, 0, 3);
    const size_t distinct = tu_range(r, 1, 8);
    size_t i;
    for (i = 0; i < n; i++) {
        switch (style) {
        case 0: v[i] = tu_uniform(r); break;
        case 1: v[i] = (double)tu_range(r, 0, distinct); break; /* heavy ties */
        case 2: v[i] = tu_range(r, 0, 4) == 0 ? INFINITY : (double)tu_range(r, 0, distinct); break;
        default: v[i] = tu_range(r, 0, 9) == 0 ? -INFINITY : tu_uniform(r) - 0.5; break;
        }
    }
}

static void test_select_random(void **state)
{
    tu_rng r = {0x5E1u};
    size_t i;
    (void)state;
    for (i = 0; i < 6000; i++) {
        const size_t n = i % 10 == 0 ? tu_range(&r, 1, 3000) : tu_range(&r, 1, 120);
        double *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *v);
        double *work = malloc(n * sizeof *v), out;
        size_t k, j;
        fill_random(v, n, &r);
        memcpy(sorted, v, n * sizeof *v);
        qsort(sorted, n, sizeof *v, cmp_double);
        for (j = 0; j < (n <= 20 ? n : 5u); j++) {
            k = n <= 20 ? j + 1 : tu_range(&r, 1, n);
            if (j == 1) k = 1;
            if (j == 2) k = n;
            memcpy(work, v, n * sizeof *v);
            assert_int_equal(conseco_kth_smallest(work, n, k, &out), CONSECO_OK);
            assert_true(out == sorted[k - 1]);
            /* still a permutation of the input */
            qsort(work, n, sizeof *v, cmp_double);
            assert_memory_equal(work, sorted, n * sizeof *v);
        }
        free(v);
        free(sorted);
        free(work);
    }
}

/* Inputs that make naive quickselect quadratic: must stay fast and exact. */
static void test_select_adversarial(void **state)
{
    const size_t n = 400000;
    double *v = malloc(n * sizeof *v), *work = malloc(n * sizeof *v),
           *sorted = malloc(n * sizeof *v);
    const clock_t start = clock();
    unsigned pattern;
    tu_rng r = {0xADu};
    (void)state;
    for (pattern = 0; pattern < 8; pattern++) {
        size_t i, t;
        for (i = 0; i < n; i++) {
            switch (pattern) {
            case 0: v[i] = (double)i; break; /* sorted */
            case 1: v[i] = (double)(n - i); break; /* reversed */
            case 2: v[i] = 42.0; break; /* all equal */
            case 3: v[i] = (double)(i < n / 2 ? i : n - i); break; /* organ pipe */
            case 4: v[i] = (double)(i % 1000); break; /* sawtooth */
            case 5: v[i] = i % 2 ? INFINITY : 1.0; break; /* two values */
            case 6: v[i] = (double)(i % 2 ? i : n + i); break; /* interleaved */
            default: v[i] = (double)((i * 7919u) % n) + 0.5 * (double)tu_range(&r, 0, 1); break;
            }
        }
        memcpy(sorted, v, n * sizeof *v);
        qsort(sorted, n, sizeof *v, cmp_double);
        for (t = 0; t < 4; t++) {
            const size_t k = t == 0 ? 1 : t == 1 ? n : t == 2 ? n / 2 : n / 3 + 1;
            double out;
            memcpy(work, v, n * sizeof *v);
            assert_int_equal(conseco_kth_smallest(work, n, k, &out), CONSECO_OK);
            assert_true(out == sorted[k - 1]);
        }
    }
    /* 32 selections of 400k values; a quadratic case alone would take hours */
    assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 20.0);
    free(v);
    free(work);
    free(sorted);
}

static void test_select_bad_input(void **state)
{
    double v[4] = {3.0, 1.0, NAN, 2.0}, out = 5.0;
    (void)state;
    assert_int_equal(conseco_kth_smallest(v, 4, 1, &out), CONSECO_E_BAD_SCORE);
    assert_true(out == 5.0);
    v[2] = 0.0;
    assert_int_equal(conseco_kth_smallest(v, 4, 0, &out), CONSECO_E_INVALID_ARG);
    assert_int_equal(conseco_kth_smallest(v, 4, 5, &out), CONSECO_E_INVALID_ARG);
    assert_int_equal(conseco_kth_smallest(v, 0, 1, &out), CONSECO_E_INVALID_ARG);
    assert_int_equal(conseco_kth_smallest(NULL, 4, 1, &out), CONSECO_E_NULL);
    assert_int_equal(conseco_kth_smallest(v, 4, 1, NULL), CONSECO_E_NULL);
    assert_int_equal(conseco_kth_smallest(v, 4, 4, &out), CONSECO_OK);
    assert_true(out == 3.0);
}

/* ---------------------------------------------------------------- quantile */
static void test_quantile(void **state)
{
    double s[10] = {0.9, 0.5, INFINITY, 0.7, 0.6, 0.55, 0.8, 0.65, 0.75, 0.95};
    double lh = 0.0;
    size_t k = 0;
    (void)state;
    /* n = 9, alpha = 0.1: k = 9, the largest of nine */
    assert_int_equal(conseco_quantile(s, 9, 0.1, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 9);
    assert_true(lh == INFINITY);
    /* n = 9, alpha = 0.7: k = 3 (naive floating point says 4) */
    assert_int_equal(conseco_quantile(s, 9, 0.7, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 3);
    assert_true(lh == 0.6);
    /* k > n: +inf, not an error, and k says so */
    assert_int_equal(conseco_quantile(s, 5, 0.1, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 6);
    assert_true(isinf(lh) && lh > 0);
    /* n = 0: +inf with k = 1; scores may be NULL */
    assert_int_equal(conseco_quantile(NULL, 0, 0.1, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 1);
    assert_true(isinf(lh));
    lh = 0.0;
    assert_int_equal(conseco_quantile(s, 10, 0.5, &lh, NULL), CONSECO_OK); /* k = 6 */
    assert_true(lh == 0.75);
    /* errors */
    assert_int_equal(conseco_quantile(s, 10, 0.0, &lh, &k), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_quantile(s, 10, NAN, &lh, &k), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_quantile(s, 10, 0.1, NULL, &k), CONSECO_E_NULL);
    assert_int_equal(conseco_quantile(NULL, 3, 0.1, &lh, &k), CONSECO_E_NULL);
    s[0] = NAN;
    s[4] = NAN;
    assert_int_equal(conseco_quantile(s, 10, 0.5, &lh, &k), CONSECO_E_BAD_SCORE);
    assert_int_equal(conseco_quantile(s, 3, 0.1, &lh, &k), CONSECO_E_BAD_SCORE); /* even if k > n */
}

static void test_quantile_random(void **state)
{
    tu_rng r = {0x9A7u};
    size_t i;
    (void)state;
    for (i = 0; i < 3000; i++) {
        const size_t n = tu_range(&r, 0, 300);
        const double alpha = (double)tu_range(&r, 1, 99) / 100.0;
        double *v = malloc((n + 1) * sizeof *v), *sorted = malloc((n + 1) * sizeof *v), lh;
        size_t k, kr;
        fill_random(v, n, &r);
        memcpy(sorted, v, n * sizeof *v);
        qsort(sorted, n, sizeof *v, cmp_double);
        assert_int_equal(conseco_quantile(v, n, alpha, &lh, &k), CONSECO_OK);
        kr = rank_of(n, alpha);
        assert_int_equal(k, kr);
        if (k > n)
            assert_true(lh == INFINITY);
        else
            assert_true(lh == sorted[k - 1]);
        free(v);
        free(sorted);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_table),
        cmocka_unit_test(test_rank_rational),
        cmocka_unit_test(test_rank_bad_alpha),
        cmocka_unit_test(test_rank_decimal_bruteforce),
        cmocka_unit_test(test_rank_any_double),
        cmocka_unit_test(test_rank_huge_n),
        cmocka_unit_test(test_min_calibration_size),
        cmocka_unit_test(test_select_random),
        cmocka_unit_test(test_select_adversarial),
        cmocka_unit_test(test_select_bad_input),
        cmocka_unit_test(test_quantile),
        cmocka_unit_test(test_quantile_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
