/* SPDX-License-Identifier: Apache-2.0 */
/* Image and mask views: every layout error gets its own status; the exact
 * F <= tau budget matches the literal double-division rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conseco.h"
#include "api/api.h"
#include "test_util.h"

static void test_valid_2d_and_3d(void **state)
{
    static float buf[64];
    conseco_image im = conseco_image_2d(buf, 4, 4, 4 * sizeof(float), CONSECO_DTYPE_F32);
    (void)state;
    assert_int_equal(conseco_image_validate(&im), CONSECO_OK);
    im = conseco_image_3d(buf, 2, 3, 4, 2 * sizeof(float), 24, CONSECO_DTYPE_F32);
    assert_int_equal(conseco_image_validate(&im), CONSECO_OK);
    /* depth 1 ignores the slice stride, whatever it is */
    im = conseco_image_3d(buf, 4, 4, 1, 16, 0, CONSECO_DTYPE_F32);
    assert_int_equal(conseco_image_validate(&im), CONSECO_OK);
}

static void test_layout_errors(void **state)
{
    static double buf[64];
    conseco_image im;
    (void)state;
    assert_int_equal(conseco_image_validate(NULL), CONSECO_E_NULL);
    im = conseco_image_2d(NULL, 4, 4, 32, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_NULL);
    im = conseco_image_2d(buf, 0, 4, 32, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_BAD_SIZE);
    im = conseco_image_2d(buf, 4, 0, 32, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_BAD_SIZE);
    im = conseco_image_3d(buf, 4, 4, 0, 32, 128, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_BAD_SIZE);
    /* stride smaller than the row (width * element size) */
    im = conseco_image_2d(buf, 4, 4, 31, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_BAD_STRIDE);
    /* slice stride smaller than a slice */
    im = conseco_image_3d(buf, 2, 2, 2, 16, 24, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_BAD_STRIDE);
    im = conseco_image_2d(buf, 4, 4, 32, 99);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_BAD_DTYPE);
    im = conseco_image_2d(buf, 4, 4, 32, CONSECO_DTYPE_F64);
    im.reserved = 1;
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_INVALID_ARG);
    /* misaligned data pointer and stride */
    im = conseco_image_2d((const char *)buf + 4, 2, 2, 16, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_MISALIGNED);
    im = conseco_image_2d(buf, 2, 2, 20, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_MISALIGNED);
}

static void test_overflow(void **state)
{
    static uint8_t buf[16];
    conseco_image im;
    conseco_mask m;
    const size_t big = (size_t)-1 / 2 + 2;
    (void)state;
    /* width * element size overflows */
    im = conseco_image_2d(buf, big, 1, (size_t)-1, CONSECO_DTYPE_F64);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_OVERFLOW);
    /* the bytes spanned by the rows overflow */
    im = conseco_image_2d(buf, 1, big, big, CONSECO_DTYPE_U8);
    assert_int_equal(conseco_image_validate(&im), CONSECO_E_OVERFLOW);
    /* width * height overflows although each row is fine: a "negative" int cast to size_t */
    m = conseco_mask_2d(buf, (size_t)-5, 2, (size_t)-5);
    assert_int_equal(conseco_mask_validate(&m), CONSECO_E_OVERFLOW);
    m = conseco_mask_3d(buf, 1, 1, big, 1, big);
    assert_int_equal(conseco_mask_validate(&m), CONSECO_E_OVERFLOW);
}

static void test_mask_errors(void **state)
{
    static uint8_t buf[16];
    conseco_mask m = conseco_mask_2d(buf, 4, 4, 3);
    (void)state;
    assert_int_equal(conseco_mask_validate(&m), CONSECO_E_BAD_STRIDE);
    m = conseco_mask_2d(NULL, 4, 4, 4);
    assert_int_equal(conseco_mask_validate(&m), CONSECO_E_NULL);
    m = conseco_mask_2d(buf, 4, 4, 4);
    assert_int_equal(conseco_mask_validate(&m), CONSECO_OK);
}

static void test_pixel_values(void **state)
{
    const uint8_t u8[2] = {255, 128};
    const uint16_t u16[2] = {65535, 1};
    (void)state;
    assert_true(conseco__pixel(CONSECO_DTYPE_U8, u8, 0) == 1.0);
    assert_true(conseco__pixel(CONSECO_DTYPE_U8, u8, 1) == 128.0 / 255.0);
    assert_true(conseco__pixel(CONSECO_DTYPE_U16, (const unsigned char *)u16, 1) == 1.0 / 65535.0);
    assert_true(conseco__pixel(CONSECO_DTYPE_MASK8, u8, 1) == 1.0);
}

/* The literal rule: the largest m with (double)m / (double)n <= tau. */
static uint64_t budget_literal(uint64_t n, double tau)
{
    uint64_t m, best = 0;
    if (n == 0) return 0;
    for (m = 0; m <= n; m++)
        if ((double)m / (double)n <= tau) best = m;
    return best;
}

static void test_fp_budget_matches_literal(void **state)
{
    static const double taus[] = {0.0, 0.001, 0.01, 0.1, 0.5, 1.0, 0.3, 0.7, 1.0 / 3.0, 0.29};
    tu_rng r = {42};
    size_t i, t;
    uint64_t n;
    (void)state;
    for (n = 0; n <= 2000; n++)
        for (t = 0; t < sizeof taus / sizeof taus[0]; t++)
            assert_int_equal(conseco__fp_budget(n, taus[t]), budget_literal(n, taus[t]));
    for (i = 0; i < 3000; i++) {
        double tau = tu_uniform(&r);
        n = (uint64_t)tu_range(&r, 1, 5000);
        assert_int_equal(conseco__fp_budget(n, tau), budget_literal(n, tau));
    }
    /* the rounding ties the contract warns about: 0.29 * 100 = 28.999999999999996 in double */
    assert_int_equal(conseco__fp_budget(100, 0.29), 29);
    assert_int_equal(conseco__check_tau(-0.0), CONSECO_OK);
    assert_int_equal(conseco__check_tau(1.0000000000000002), CONSECO_E_BAD_TAU);
    assert_int_equal(conseco__check_tau(conseco__inf() - conseco__inf()), CONSECO_E_BAD_TAU);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_2d_and_3d),
        cmocka_unit_test(test_layout_errors),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_mask_errors),
        cmocka_unit_test(test_pixel_values),
        cmocka_unit_test(test_fp_budget_matches_literal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
