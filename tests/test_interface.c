/* SPDX-License-Identifier: Apache-2.0 */
/* The 0.2 interface rules: one vtable validation with the same answer in
 * conseco_shrinker_validate(), conseco_score() and conseco_calibrator_create();
 * params struct_size/reserved; image spacing; state_info struct_size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "conseco.h"

static float g_map[16] = {0.9f, 0.8f, 0.2f, 0.7f, 0.6f, 0.1f, 0.9f, 0.9f,
                          0.3f, 0.95f, 0.55f, 0.4f, 0.8f, 0.2f, 0.6f, 0.7f};
static uint8_t g_truth[16] = {1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1};

static int levels_cb(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t i;
    (void)user;
    (void)pred;
    for (i = 0; i < count && i < 16; i++) levels[i] = (double)g_map[i] * 10.0;
    return 0;
}

static conseco_shrinker_vtable good_vt(void)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = "good";
    vt.domain = CONSECO_DOMAIN_INTEGER;
    vt.lambda_min = 5.0;
    vt.lambda_max = 10.0;
    vt.levels = levels_cb;
    return vt;
}

/* The status of each entry point that takes a shrinker; all must agree. */
static int status_everywhere(const conseco_shrinker *sh)
{
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    conseco_image im = conseco_image_2d(g_map, 4, 4, 4 * sizeof(float), CONSECO_DTYPE_F32);
    conseco_mask t = conseco_mask_2d(g_truth, 4, 4, 4);
    static unsigned char scratch[8192];
    double score = -7.0;
    const int v = conseco_shrinker_validate(sh);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = *sh;
    cfg.tau = 0.1;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), v);
    if (v == CONSECO_OK) {
        assert_non_null(c);
        conseco_calibrator_free(c);
    } else {
        assert_null(c);
        assert_int_equal(conseco_calibrator_workspace_size(&cfg), 0);
    }
    assert_int_equal(conseco_score(sh, &im, &t, 0.1, scratch, sizeof scratch, &score), v);
    if (v != CONSECO_OK) assert_true(score == -7.0);
    return v;
}

static int vt_status(const conseco_shrinker_vtable *vt)
{
    conseco_shrinker sh;
    sh.vtable = vt;
    sh.user = NULL;
    return status_everywhere(&sh);
}

static void test_vtable_names(void **state)
{
    conseco_shrinker_vtable vt = good_vt();
    static const char n31[] = "abcdefghijklmnopqrstuvwxyz01234";
    static const char n32[] = "abcdefghijklmnopqrstuvwxyz012345";
    static const char n35[] = "abcdefghijklmnopqrstuvwxyz012345678";
    (void)state;
    assert_int_equal(vt_status(&vt), CONSECO_OK);
    vt.name = n31;
    assert_int_equal(vt_status(&vt), CONSECO_OK);
    vt.name = "x";
    assert_int_equal(vt_status(&vt), CONSECO_OK);
    vt.name = "~!#";
    assert_int_equal(vt_status(&vt), CONSECO_OK);
    vt.name = n32;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.name = n35; /* accepted by validate and refused by create in 0.1 */
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.name = NULL;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.name = "";
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.name = "two words";
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.name = "tab\there";
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.name = "del\x7f";
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.name = "high\xc3\xa9";
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
}

static void test_vtable_version_size_reserved(void **state)
{
    conseco_shrinker_vtable vt = good_vt();
    (void)state;
    vt.reserved = 1;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.reserved = 0x80000000u;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt = good_vt();
    vt.version = 0;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.version = CONSECO_SHRINKER_VERSION + 1u;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.version = 0xFFFFFFFFu;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt = good_vt();
    /* version 1 ends after destroy: anything shorter is refused */
    vt.struct_size = (uint32_t)offsetof(conseco_shrinker_vtable, destroy);
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.struct_size = (uint32_t)sizeof vt - 1u;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.struct_size = 8;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.struct_size = 0;
    assert_int_equal(vt_status(&vt), CONSECO_E_BAD_SHRINKER);
    vt.struct_size = (uint32_t)sizeof vt;
    assert_int_equal(vt_status(&vt), CONSECO_OK);
    /* the built-in vtables follow the same rules */
    assert_int_equal(conseco_threshold_vtable()->version, CONSECO_SHRINKER_VERSION);
    assert_int_equal(conseco_threshold_vtable()->reserved, 0);
    assert_int_equal(conseco_erosion_vtable()->struct_size, sizeof vt);
}

static void test_params_size_and_reserved(void **state)
{
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_shrinker sh;
    (void)state;
    conseco_threshold_params_default(&tp);
    assert_int_equal(tp.struct_size, sizeof tp);
    assert_int_equal(tp.reserved, 0);
    sh = conseco_shrinker_threshold(&tp);
    assert_int_equal(status_everywhere(&sh), CONSECO_OK);
    tp.struct_size = 0;
    assert_int_equal(status_everywhere(&sh), CONSECO_E_BAD_SHRINKER);
    tp.struct_size = (uint32_t)sizeof tp - 1u;
    assert_int_equal(status_everywhere(&sh), CONSECO_E_BAD_SHRINKER);
    tp.struct_size = (uint32_t)sizeof tp + 64u; /* a newer caller: we read our part */
    assert_int_equal(status_everywhere(&sh), CONSECO_OK);
    tp.struct_size = (uint32_t)sizeof tp;
    tp.reserved = 1;
    assert_int_equal(status_everywhere(&sh), CONSECO_E_BAD_SHRINKER);

    conseco_erosion_params_default(&ep);
    assert_int_equal(ep.struct_size, sizeof ep);
    assert_int_equal(ep.reserved, 0);
    sh = conseco_shrinker_erosion(&ep);
    assert_int_equal(status_everywhere(&sh), CONSECO_OK);
    ep.struct_size = 4;
    assert_int_equal(status_everywhere(&sh), CONSECO_E_BAD_SHRINKER);
    ep.struct_size = (uint32_t)sizeof ep;
    ep.reserved = 2;
    assert_int_equal(status_everywhere(&sh), CONSECO_E_BAD_SHRINKER);
}

static void test_spacing(void **state)
{
    static float map[8];
    conseco_image im = conseco_image_2d(map, 2, 2, 2 * sizeof(float), CONSECO_DTYPE_F32);
    const double bad[] = {NAN, -1.0, INFINITY, -INFINITY, -1e-300};
    size_t axis, i;
    (void)state;
    assert_true(im.spacing[0] == 1.0 && im.spacing[1] == 1.0 && im.spacing[2] == 1.0);
    im = conseco_image_3d(map, 2, 2, 2, 8, 16, CONSECO_DTYPE_F32);
    assert_true(im.spacing[0] == 1.0 && im.spacing[1] == 1.0 && im.spacing[2] == 1.0);
    assert_int_equal(conseco_image_validate(&im), CONSECO_OK);
    for (axis = 0; axis < 3; axis++) {
        im.spacing[axis] = 0.0; /* not given: reads as 1.0 */
        assert_int_equal(conseco_image_validate(&im), CONSECO_OK);
        im.spacing[axis] = 0.35;
        assert_int_equal(conseco_image_validate(&im), CONSECO_OK);
        im.spacing[axis] = 1e-300;
        assert_int_equal(conseco_image_validate(&im), CONSECO_OK);
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            im.spacing[axis] = bad[i];
            assert_int_equal(conseco_image_validate(&im), CONSECO_E_BAD_SPACING);
        }
        im.spacing[axis] = 1.0;
    }
    /* a zero-initialised view keeps working */
    {
        conseco_image z;
        memset(&z, 0, sizeof z);
        z.data = map;
        z.width = z.height = z.depth = 2;
        z.row_stride = 8;
        z.slice_stride = 16;
        z.dtype = CONSECO_DTYPE_F32;
        assert_int_equal(conseco_image_validate(&z), CONSECO_OK);
    }
    assert_int_equal(CONSECO_E_BAD_SPACING, -28);
    assert_string_equal(conseco_status_name(CONSECO_E_BAD_SPACING), "CONSECO_E_BAD_SPACING");
    assert_string_not_equal(conseco_strerror(CONSECO_E_BAD_SPACING),
                            "unknown libconseco status code");
}

static void test_state_info_size(void **state)
{
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    unsigned char buf[512];
    size_t written;
    struct {
        conseco_state_info info;
        unsigned char canary[32];
    } big;
    conseco_state_info info;
    (void)state;
    conseco_threshold_params_default(&tp);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_threshold(&tp);
    cfg.tau = 0.1;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, 0.75), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, &written), CONSECO_OK);
    memset(&info, 0xAB, sizeof info);
    info.struct_size = 0;
    assert_int_equal(conseco_state_inspect(buf, written, &info), CONSECO_E_INVALID_ARG);
    info.struct_size = (uint32_t)offsetof(conseco_state_info, smooth) - 1u; /* below the 0.2 layout */
    assert_int_equal(conseco_state_inspect(buf, written, &info), CONSECO_E_INVALID_ARG);
    assert_int_equal(info.format_version, 0xABABABABu); /* untouched on error */
    info.struct_size = (uint32_t)sizeof info;
    assert_int_equal(conseco_state_inspect(buf, written, &info), CONSECO_OK);
    assert_int_equal(info.struct_size, sizeof info);
    assert_int_equal(info.kind, CONSECO_KIND_THRESHOLD);
    assert_int_equal(info.threshold.struct_size, sizeof info.threshold);
    assert_true(info.threshold.base == 0.5 && info.count == 1);
    /* a larger struct (a newer caller): the library writes its own part only */
    memset(&big, 0xCD, sizeof big);
    big.info.struct_size = (uint32_t)sizeof big;
    assert_int_equal(conseco_state_inspect(buf, written, &big.info), CONSECO_OK);
    assert_true(big.info.count == 1);
    {
        size_t i;
        for (i = 0; i < sizeof big.canary; i++) assert_int_equal(big.canary[i], 0xCD);
    }
    conseco_calibrator_free(c);
}

static void test_version(void **state)
{
    (void)state;
    assert_int_equal(CONSECO_VERSION_MAJOR, 0);
    assert_int_equal(CONSECO_VERSION_MINOR, 2);
    assert_int_equal(conseco_version_number(), CONSECO_VERSION_NUMBER);
    assert_string_equal(conseco_version_string(), "0.2.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vtable_names),
        cmocka_unit_test(test_vtable_version_size_reserved),
        cmocka_unit_test(test_params_size_and_reserved),
        cmocka_unit_test(test_spacing),
        cmocka_unit_test(test_state_info_size),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
