/* SPDX-License-Identifier: Apache-2.0 */
/* The synthetic volume generator: deterministic, in range, consistent with its info. */
#include "conseco_synth_volume.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_deterministic_and_consistent(void **state)
{
    conseco_synth_volume_config c;
    size_t n, i, v;
    uint8_t *a, *b, *t;
    (void)state;
    conseco_synth_volume_config_default(&c);
    c.width = 40;
    c.height = 36;
    c.depth = 12;
    n = c.width * c.height * c.depth;
    a = malloc(n);
    b = malloc(n);
    t = malloc(n);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(t);
    for (i = 0; i < c.count; i++) {
        conseco_synth_volume_info info;
        size_t truth = 0, pred = 0;
        float f;
        assert_int_equal(conseco_synth_volume(&c, i, a, t, &info), 0);
        assert_int_equal(conseco_synth_volume(&c, i, b, NULL, NULL), 0);
        assert_memory_equal(a, b, n);
        for (v = 0; v < n; v++) {
            assert_true(a[v] <= c.raters);
            assert_true(t[v] <= 1);
            truth += t[v];
            pred += a[v] >= 17;
        }
        assert_int_equal(truth, info.truth_voxels);
        assert_int_equal(pred, info.predicted_voxels);
        /* spacing round-trips through float32 (NIfTI pixdim) and is anisotropic */
        f = (float)info.spacing[2];
        assert_true((double)f == info.spacing[2]);
        assert_true(info.spacing[0] == info.spacing[1]);
        assert_true(info.spacing[2] > info.spacing[0]);
    }
    /* volume i does not depend on count */
    c.count = 40;
    assert_int_equal(conseco_synth_volume(&c, 3, b, NULL, NULL), 0);
    c.count = 4;
    assert_int_equal(conseco_synth_volume(&c, 3, a, NULL, NULL), 0);
    assert_memory_equal(a, b, n);
    free(a);
    free(b);
    free(t);
}

static void test_rejects_bad_configs(void **state)
{
    conseco_synth_volume_config c;
    uint8_t buf[8 * 8 * 4];
    (void)state;
    assert_int_equal(conseco_synth_volume(NULL, 0, buf, NULL, NULL), -1);
    conseco_synth_volume_config_default(&c);
    c.width = 8;
    c.height = 8;
    c.depth = 4;
    assert_int_equal(conseco_synth_volume(&c, 0, buf, NULL, NULL), 0);
    assert_int_equal(conseco_synth_volume(&c, c.count, buf, NULL, NULL), -1);
    c.depth = 3;
    assert_int_equal(conseco_synth_volume(&c, 0, buf, NULL, NULL), -1);
    c.depth = 4;
    c.raters = 0;
    assert_int_equal(conseco_synth_volume(&c, 0, buf, NULL, NULL), -1);
    c.raters = 256;
    assert_int_equal(conseco_synth_volume(&c, 0, buf, NULL, NULL), -1);
    c.raters = 33;
    c.width = (size_t)-1 / 2;
    c.height = 16;
    assert_int_equal(conseco_synth_volume(&c, 0, buf, NULL, NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_and_consistent),
        cmocka_unit_test(test_rejects_bad_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
