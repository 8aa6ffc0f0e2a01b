/* SPDX-License-Identifier: Apache-2.0 */
/* Status codes: fixed values, strerror never NULL, names unique; version agrees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conseco.h"

static void test_strerror_never_null(void **state)
{
    int code;
    (void)state;
    for (code = -200; code <= 200; code++) {
        assert_non_null(conseco_strerror(code));
        assert_non_null(conseco_status_name(code));
    }
    assert_string_equal(conseco_status_name(12345), "CONSECO_E_UNKNOWN");
}

static void test_codes_fixed_forever(void **state)
{
    (void)state;
    /* These values are ABI: a change here is a break, never a fix. */
    assert_int_equal(CONSECO_OK, 0);
    assert_int_equal(CONSECO_E_NULL, -1);
    assert_int_equal(CONSECO_E_NONFINITE, -8);
    assert_int_equal(CONSECO_E_CALLBACK, -16);
    assert_int_equal(CONSECO_E_CORRUPT, -23);
    assert_int_equal(CONSECO_E_TOO_LARGE, -27);
}

static void test_every_code_has_its_own_text(void **state)
{
    int a, b;
    (void)state;
    for (a = CONSECO_E_TOO_LARGE; a <= 0; a++) {
        assert_string_not_equal(conseco_status_name(a), "CONSECO_E_UNKNOWN");
        for (b = a + 1; b <= 0; b++) {
            assert_string_not_equal(conseco_strerror(a), conseco_strerror(b));
            assert_string_not_equal(conseco_status_name(a), conseco_status_name(b));
        }
    }
}

/* CONSECO_E_BAD_SCORE also stands for an impossible infinity (-inf, or +inf
 * added to an outer threshold-lowering calibrator): its text says so. */
static void test_bad_score_text(void **state)
{
    const char *text = conseco_strerror(CONSECO_E_BAD_SCORE);
    (void)state;
    if (strcmp(text, conseco_status_name(CONSECO_E_BAD_SCORE)) == 0) return; /* stripped build */
    assert_non_null(strstr(text, "NaN"));
    assert_non_null(strstr(text, "-inf"));
    assert_non_null(strstr(text, "+inf for outer threshold lowering"));
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(conseco_version_number(), CONSECO_VERSION_NUMBER);
    assert_string_equal(conseco_version_string(), CONSECO_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_never_null),
        cmocka_unit_test(test_codes_fixed_forever),
        cmocka_unit_test(test_every_code_has_its_own_text),
        cmocka_unit_test(test_bad_score_text),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
