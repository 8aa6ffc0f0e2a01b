/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every class of bad input, in one table, with the status it must get.
 *
 * Each row is one call on otherwise valid arguments with exactly one thing
 * wrong; the test runs every row and compares the status. The same table is
 * the README's reliability table: `test_bad_input --markdown` prints it, so
 * the documentation cannot drift from what is tested. A last check makes
 * sure every error code of conseco_status is reached by at least one row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alloc_fail.h"
#include "conseco.h"
#include "ref_crc32.h"

/* ------------------------------------------------------------- fixtures */
#define W 4u
#define H 4u
#define N (W * H)
#define STATE_MAX 1024u

static uint8_t pred_u8[N] = {0, 40, 200, 255, 10, 130, 140, 250, 0, 0, 128, 127, 255, 1, 2, 3};
static uint8_t truth_u8[N] = {0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0};
static float pred_f32[N];
static double pred_f64[N];
static uint8_t out_a[N];
static uint64_t scratch_words[1u << 16]; /* 512 KiB: larger than any row needs */
static uint64_t workspace_words[4096];
static conseco_threshold_params tp;
static conseco_erosion_params ep;
static uint8_t state[STATE_MAX];
static size_t state_size;

#define SCRATCH ((void *)scratch_words)
#define SCRATCH_SIZE sizeof scratch_words

static conseco_image img_u8(void) { return conseco_image_2d(pred_u8, W, H, W, CONSECO_DTYPE_U8); }
static conseco_mask truth(void) { return conseco_mask_2d(truth_u8, W, H, W); }
static conseco_mask_out out1(void) { return conseco_mask_out_2d(out_a, W, H, W); }
static conseco_shrinker thr(void) { return conseco_shrinker_threshold(&tp); }
static conseco_shrinker ero(void) { return conseco_shrinker_erosion(&ep); }

static int validate(conseco_image v) { return conseco_image_validate(&v); }

static int score_of(conseco_shrinker sh, conseco_image p, conseco_mask t, double tau)
{
    double s;
    return conseco_score(&sh, &p, &t, tau, SCRATCH, SCRATCH_SIZE, &s);
}

static int apply_at(conseco_image p, double lambda)
{
    conseco_shrinker sh = thr();
    conseco_mask_out o = out1();
    return conseco_apply(&sh, &p, lambda, SCRATCH, SCRATCH_SIZE, &o, NULL);
}

/* A calibrator built with `cfg` changes, default threshold otherwise. */
static conseco_calibrator_config config(double tau)
{
    conseco_calibrator_config c;
    conseco_calibrator_config_init(&c);
    c.shrinker = thr();
    c.tau = tau;
    return c;
}

static void fix_crc(uint8_t *s, size_t n)
{
    const uint32_t crc = ref_crc32(s, n - 4);
    size_t i;
    for (i = 0; i < 4; i++) s[n - 4 + i] = (uint8_t)(crc >> (8 * i));
}

/* Loads `bytes` into a fresh default calibrator (tau 0.1) and returns the status. */
static int load_into_default(const uint8_t *bytes, size_t n)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal = NULL;
    int rc;
    assert_int_equal(conseco_calibrator_create(&c, NULL, &cal), CONSECO_OK);
    rc = conseco_calibrator_load(cal, bytes, n);
    conseco_calibrator_free(cal);
    return rc;
}

/* A copy of the valid state with one change, CRC recomputed when asked. */
static uint8_t forged[STATE_MAX + 8];
static int load_forged(size_t offset, uint8_t value, int fix)
{
    memcpy(forged, state, state_size);
    forged[offset] = value;
    if (fix) fix_crc(forged, state_size);
    return load_into_default(forged, state_size);
}

/* Custom shrinkers. */
static int levels_fail(void *u, const conseco_image *p, double *l, size_t n)
{
    (void)u, (void)p, (void)l, (void)n;
    return 7;
}
static int levels_nan(void *u, const conseco_image *p, double *l, size_t n)
{
    size_t i;
    (void)u, (void)p;
    for (i = 0; i < n; i++) l[i] = 0.0;
    l[0] = (double)NAN;
    return 0;
}
static int levels_zero(void *u, const conseco_image *p, double *l, size_t n)
{
    size_t i;
    (void)u, (void)p;
    for (i = 0; i < n; i++) l[i] = 0.0;
    return 0;
}
/* Black box whose sets GROW with lambda: I_lambda = all pixels for lambda >= 1. */
static int apply_growing(void *u, const conseco_image *p, double lambda, uint8_t *inner, size_t n)
{
    size_t i;
    (void)u, (void)p;
    for (i = 0; i < n; i++) inner[i] = (uint8_t)(lambda >= 1.0 ? 1 : (i % 2));
    return 0;
}

static conseco_shrinker_vtable custom_vt(void)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = (uint32_t)sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = "custom";
    vt.domain = CONSECO_DOMAIN_INTEGER;
    vt.lambda_min = 0.0;
    vt.lambda_max = 8.0;
    vt.levels = levels_zero;
    return vt;
}
static conseco_shrinker_vtable vt_slot;
static int validate_vt(conseco_shrinker_vtable vt)
{
    conseco_shrinker sh;
    vt_slot = vt;
    sh.vtable = &vt_slot;
    sh.user = NULL;
    return conseco_shrinker_validate(&sh);
}
static int score_vt(conseco_shrinker_vtable vt)
{
    conseco_shrinker sh;
    vt_slot = vt;
    sh.vtable = &vt_slot;
    sh.user = NULL;
    return score_of(sh, img_u8(), truth(), 0.0);
}

/* ----------------------------------------------------------------- rows */
#define ROW(fn) static int fn(void)

/* views */
ROW(v_null_view) { return conseco_image_validate(NULL); }
ROW(v_null_data) { return validate(conseco_image_2d(NULL, W, H, W, CONSECO_DTYPE_U8)); }
ROW(v_width0) { return validate(conseco_image_2d(pred_u8, 0, H, W, CONSECO_DTYPE_U8)); }
ROW(v_height0) { return validate(conseco_image_2d(pred_u8, W, 0, W, CONSECO_DTYPE_U8)); }
ROW(v_depth0) { return validate(conseco_image_3d(pred_u8, W, H, 0, W, N, CONSECO_DTYPE_U8)); }
ROW(v_stride_lt_width) { return validate(conseco_image_2d(pred_u8, W, H, W - 1, CONSECO_DTYPE_U8)); }
ROW(v_stride_lt_row_bytes) { return validate(conseco_image_2d(pred_f32, W, H, W * 4 - 4, CONSECO_DTYPE_F32)); }
ROW(v_slice_lt_plane) { return validate(conseco_image_3d(pred_u8, W, 2, 2, W, W, CONSECO_DTYPE_U8)); }
ROW(v_data_misaligned) { return validate(conseco_image_2d((const uint8_t *)pred_f32 + 1, 2, 2, 8, CONSECO_DTYPE_F32)); }
ROW(v_stride_misaligned) { return validate(conseco_image_2d(pred_f32, 2, 2, 9, CONSECO_DTYPE_F32)); }
ROW(v_row_bytes_overflow) { return validate(conseco_image_2d(pred_f64, SIZE_MAX / 4, 1, SIZE_MAX, CONSECO_DTYPE_F64)); }
ROW(v_wh_overflow)
{
    /* width x height beyond size_t: (height - 1) * row_stride overflows */
    const size_t big = (size_t)1 << (sizeof(size_t) * 4);
    return validate(conseco_image_2d(pred_u8, big, big, big, CONSECO_DTYPE_U8));
}
ROW(v_dtype_zero) { return validate(conseco_image_2d(pred_u8, W, H, W, 0)); }
ROW(v_dtype_unknown) { return validate(conseco_image_2d(pred_u8, W, H, W, 6)); }
ROW(v_dtype_negative) { return validate(conseco_image_2d(pred_u8, W, H, W, -1)); }
ROW(v_reserved)
{
    conseco_image v = img_u8();
    v.reserved = 1;
    return validate(v);
}
ROW(v_mask_stride)
{
    conseco_mask m = conseco_mask_2d(truth_u8, W, H, W - 1);
    return conseco_mask_validate(&m);
}

/* score maps and pure functions */
ROW(s_nan_f32)
{
    pred_f32[5] = (float)NAN;
    return score_of(thr(), conseco_image_2d(pred_f32, W, H, W * 4, CONSECO_DTYPE_F32), truth(), 0.1);
}
ROW(s_inf_f64)
{
    pred_f64[3] = (double)INFINITY;
    return score_of(thr(), conseco_image_2d(pred_f64, W, H, W * 8, CONSECO_DTYPE_F64), truth(), 0.1);
}
ROW(s_neg_inf_erosion)
{
    pred_f32[0] = -(float)INFINITY;
    return score_of(ero(), conseco_image_2d(pred_f32, W, H, W * 4, CONSECO_DTYPE_F32), truth(), 0.1);
}
ROW(s_nan_in_padding)
{
    /* 2 x 4 view with a row stride of 4 floats: columns 2-3 are padding */
    pred_f32[2] = (float)NAN;
    pred_f32[7] = (float)INFINITY;
    return score_of(thr(), conseco_image_2d(pred_f32, 2, H, W * 4, CONSECO_DTYPE_F32),
                    conseco_mask_2d(truth_u8, 2, H, W), 0.1);
}
ROW(s_shape_mismatch) { return score_of(thr(), img_u8(), conseco_mask_2d(truth_u8, W - 1, H, W), 0.1); }
ROW(s_depth_mismatch) { return score_of(thr(), img_u8(), conseco_mask_3d(truth_u8, W, 2, 2, W, 2 * W), 0.1); }
ROW(s_out_mismatch)
{
    conseco_shrinker sh = thr();
    conseco_image p = img_u8();
    conseco_mask_out o = conseco_mask_out_2d(out_a, W, H - 1, W);
    return conseco_apply(&sh, &p, 0.5, SCRATCH, SCRATCH_SIZE, &o, NULL);
}
ROW(s_tau_nan) { return score_of(thr(), img_u8(), truth(), (double)NAN); }
ROW(s_tau_neg) { return score_of(thr(), img_u8(), truth(), -0.01); }
ROW(s_tau_gt1) { return score_of(ero(), img_u8(), truth(), 1.01); }
ROW(s_lambda_nan) { return apply_at(img_u8(), (double)NAN); }
ROW(s_lambda_nan_eval)
{
    conseco_shrinker sh = thr();
    conseco_image p = img_u8();
    conseco_mask t = truth();
    conseco_image_metrics m;
    return conseco_evaluate_image(&sh, &p, &t, (double)NAN, 0.1, SCRATCH, SCRATCH_SIZE, &m);
}
ROW(s_scratch_small_thr)
{
    conseco_shrinker sh = thr();
    conseco_image p = conseco_image_2d(pred_f64, W, H, W * 8, CONSECO_DTYPE_F64);
    conseco_mask t = truth();
    double s;
    memset(pred_f64, 0, sizeof pred_f64);
    return conseco_score(&sh, &p, &t, 0.1, SCRATCH, conseco_scratch_size(&sh, W, H, 1) - 1, &s);
}
ROW(s_scratch_small_ero)
{
    conseco_shrinker sh = ero();
    conseco_image p = img_u8();
    conseco_mask t = truth();
    double s;
    return conseco_score(&sh, &p, &t, 0.1, SCRATCH, conseco_scratch_size(&sh, W, H, 1) - 1, &s);
}
ROW(s_scratch_null)
{
    conseco_shrinker sh = ero();
    conseco_image p = img_u8();
    conseco_mask t = truth();
    double s;
    return conseco_score(&sh, &p, &t, 0.1, NULL, 64, &s);
}
ROW(s_scratch_size_zero_dim) { conseco_shrinker sh = thr(); return (int)conseco_scratch_size(&sh, 0, H, 1); }
ROW(s_scratch_size_overflow)
{
    conseco_shrinker sh = ero();
    return (int)conseco_scratch_size(&sh, SIZE_MAX / 2, SIZE_MAX / 2, 1);
}
ROW(s_scratch_size_bad_shrinker) { return (int)conseco_scratch_size(NULL, W, H, 1); }
ROW(s_apply_no_output)
{
    conseco_shrinker sh = thr();
    conseco_image p = img_u8();
    return conseco_apply(&sh, &p, 0.5, SCRATCH, SCRATCH_SIZE, NULL, NULL);
}
ROW(s_score_out_null)
{
    conseco_shrinker sh = thr();
    conseco_image p = img_u8();
    conseco_mask t = truth();
    return conseco_score(&sh, &p, &t, 0.1, SCRATCH, SCRATCH_SIZE, NULL);
}
ROW(s_inner_outside_yhat)
{
    static const uint8_t yhat[4] = {1, 1, 0, 0}, inner[4] = {0, 0, 1, 0}, t[4] = {0, 0, 0, 0};
    conseco_mask a = conseco_mask_2d(yhat, 4, 1, 4), b = conseco_mask_2d(inner, 4, 1, 4);
    conseco_mask c = conseco_mask_2d(t, 4, 1, 4);
    conseco_image_metrics m;
    return conseco_metrics_from_masks(&a, &b, &c, 0.1, &m);
}
ROW(s_set_metrics_empty)
{
    conseco_image_metrics item;
    conseco_set_metrics out;
    memset(&item, 0, sizeof item);
    return conseco_set_metrics_compute(&item, 0, &out);
}

/* shrinkers */
ROW(k_null_shrinker) { return conseco_shrinker_validate(NULL); }
ROW(k_null_vtable)
{
    conseco_shrinker sh = {NULL, NULL};
    return conseco_shrinker_validate(&sh);
}
ROW(k_null_params) { conseco_shrinker sh = conseco_shrinker_threshold(NULL); return conseco_shrinker_validate(&sh); }
ROW(k_base_gt_top)
{
    conseco_threshold_params p = {sizeof(conseco_threshold_params), 0, 0.8, 0.6};
    conseco_shrinker sh = conseco_shrinker_threshold(&p);
    return conseco_shrinker_validate(&sh);
}
ROW(k_base_nan)
{
    conseco_threshold_params p = {sizeof(conseco_threshold_params), 0, (double)NAN, 1.0};
    conseco_shrinker sh = conseco_shrinker_threshold(&p);
    return conseco_shrinker_validate(&sh);
}
ROW(k_element)
{
    conseco_erosion_params p = {sizeof(conseco_erosion_params), 5u, CONSECO_BORDER_FOREGROUND, 0, 0.5};
    conseco_shrinker sh = conseco_shrinker_erosion(&p);
    return conseco_shrinker_validate(&sh);
}
ROW(k_border)
{
    conseco_erosion_params p = {sizeof(conseco_erosion_params), CONSECO_ELEMENT_CROSS, 3u, 0, 0.5};
    conseco_shrinker sh = conseco_shrinker_erosion(&p);
    return conseco_shrinker_validate(&sh);
}
ROW(k_version0) { conseco_shrinker_vtable vt = custom_vt(); vt.version = 0; return validate_vt(vt); }
ROW(k_struct_small) { conseco_shrinker_vtable vt = custom_vt(); vt.struct_size = 8; return validate_vt(vt); }
ROW(k_domain) { conseco_shrinker_vtable vt = custom_vt(); vt.domain = 3; return validate_vt(vt); }
ROW(k_lambda_min_inf) { conseco_shrinker_vtable vt = custom_vt(); vt.lambda_min = (double)INFINITY; return validate_vt(vt); }
ROW(k_range_reversed) { conseco_shrinker_vtable vt = custom_vt(); vt.lambda_max = -1.0; return validate_vt(vt); }
ROW(k_integer_fraction) { conseco_shrinker_vtable vt = custom_vt(); vt.lambda_min = 0.5; return validate_vt(vt); }
ROW(k_no_callbacks) { conseco_shrinker_vtable vt = custom_vt(); vt.levels = NULL; return validate_vt(vt); }
ROW(k_real_no_breakpoints)
{
    conseco_shrinker_vtable vt = custom_vt();
    vt.levels = NULL;
    vt.apply = apply_growing;
    vt.domain = CONSECO_DOMAIN_REAL;
    return validate_vt(vt);
}
ROW(k_callback_fails) { conseco_shrinker_vtable vt = custom_vt(); vt.levels = levels_fail; return score_vt(vt); }
ROW(k_callback_nan) { conseco_shrinker_vtable vt = custom_vt(); vt.levels = levels_nan; return score_vt(vt); }
ROW(k_not_nested)
{
    conseco_shrinker_vtable vt = custom_vt();
    vt.levels = NULL;
    vt.apply = apply_growing;
    return score_vt(vt);
}
ROW(k_name_too_long)
{
    conseco_shrinker_vtable vt = custom_vt();
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal = NULL;
    int rc;
    vt.name = "a-name-of-thirty-two-characters!";
    vt_slot = vt;
    c.shrinker.vtable = &vt_slot;
    c.shrinker.user = NULL;
    rc = conseco_calibrator_create(&c, NULL, &cal);
    conseco_calibrator_free(cal);
    return rc;
}

/* ranks and quantiles */
ROW(q_alpha0) { size_t k; return conseco_rank(10, 0.0, &k); }
ROW(q_alpha1) { size_t k; return conseco_rank(10, 1.0, &k); }
ROW(q_alpha_nan) { size_t k; return conseco_rank(10, (double)NAN, &k); }
ROW(q_alpha_quantile) { double s[2] = {1, 2}, l; return conseco_quantile(s, 2, -0.5, &l, NULL); }
ROW(q_rational) { size_t k; return conseco_rank_rational(10, 3, 3, &k); }
ROW(q_rank_null) { return conseco_rank(10, 0.1, NULL); }
ROW(q_k0) { double v[2] = {1, 2}, o; return conseco_kth_smallest(v, 2, 0, &o); }
ROW(q_k_gt_n) { double v[2] = {1, 2}, o; return conseco_kth_smallest(v, 2, 3, &o); }
ROW(q_nan_score) { double v[3] = {1, (double)NAN, 2}, l; return conseco_quantile(v, 3, 0.1, &l, NULL); }

/* calibrator */
ROW(c_config_null) { conseco_calibrator *c; return conseco_calibrator_create(NULL, NULL, &c); }
ROW(c_config_uninit)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    c.struct_size = 0;
    return conseco_calibrator_create(&c, NULL, &cal);
}
ROW(c_flags)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    c.flags = 0x80u;
    return conseco_calibrator_create(&c, NULL, &cal);
}
ROW(c_bottom)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    c.side = CONSECO_SIDE_OUTER;
    c.bottom = 0.9; /* above the threshold's base 0.5 */
    return conseco_calibrator_create(&c, NULL, &cal);
}
ROW(c_tau_outer)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    c.side = CONSECO_SIDE_BAND;
    c.tau_outer = 1.5;
    return conseco_calibrator_create(&c, NULL, &cal);
}
ROW(c_side)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    c.side = 7;
    return conseco_calibrator_create(&c, NULL, &cal);
}
ROW(c_tau) { conseco_calibrator_config c = config(1.5); conseco_calibrator *cal; return conseco_calibrator_create(&c, NULL, &cal); }
ROW(c_no_memory)
{
    af_state s;
    conseco_allocator a;
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    af_init(&s, 1);
    a = af_allocator(&s);
    return conseco_calibrator_create(&c, &a, &cal);
}
ROW(c_half_allocator)
{
    af_state s;
    conseco_allocator a;
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    af_init(&s, 0);
    a = af_allocator(&s);
    a.free = NULL;
    return conseco_calibrator_create(&c, &a, &cal);
}
/* A static calibrator in the fixture workspace: room for 2 scores, images up to 4 x 4. */
static conseco_calibrator *static_cal(void)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal = NULL;
    c.capacity = 2;
    c.max_width = W;
    c.max_height = H;
    assert_int_equal(conseco_calibrator_init_static(workspace_words, sizeof workspace_words, &c, &cal),
                     CONSECO_OK);
    return cal;
}
ROW(c_add_nan) { return conseco_calibrator_add_score(static_cal(), (double)NAN); }
ROW(c_add_neg_inf) { return conseco_calibrator_add_score(static_cal(), -(double)INFINITY); }
ROW(c_ws_null) { conseco_calibrator_config c = config(0.1); conseco_calibrator *cal; return conseco_calibrator_init_static(NULL, 4096, &c, &cal); }
ROW(c_ws_misaligned)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    return conseco_calibrator_init_static((unsigned char *)workspace_words + 4, 4096, &c, &cal);
}
ROW(c_ws_small)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal;
    c.capacity = 8;
    return conseco_calibrator_init_static(workspace_words, conseco_calibrator_workspace_size(&c) - 1, &c, &cal);
}
ROW(c_full)
{
    conseco_calibrator *cal = static_cal();
    assert_int_equal(conseco_calibrator_add_score(cal, 0.5), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(cal, 0.6), CONSECO_OK);
    return conseco_calibrator_add_score(cal, 0.7);
}
ROW(c_too_large)
{
    static uint8_t big[8 * 8], bigt[8 * 8];
    conseco_image p = conseco_image_2d(big, 8, 8, 8, CONSECO_DTYPE_U8);
    conseco_mask t = conseco_mask_2d(bigt, 8, 8, 8);
    return conseco_calibrator_add(static_cal(), &p, &t, NULL);
}
ROW(c_add_mismatch)
{
    conseco_image p = img_u8();
    conseco_mask t = conseco_mask_2d(truth_u8, 2, 2, W);
    return conseco_calibrator_add(static_cal(), &p, &t, NULL);
}
ROW(c_lambda_hat_alpha) { double l; return conseco_calibrator_lambda_hat(static_cal(), 1.0, &l, NULL); }
static int merge_with(conseco_calibrator_config other)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *a = NULL, *b = NULL;
    int rc;
    assert_int_equal(conseco_calibrator_create(&c, NULL, &a), CONSECO_OK);
    assert_int_equal(conseco_calibrator_create(&other, NULL, &b), CONSECO_OK);
    rc = conseco_calibrator_merge(a, b);
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);
    return rc;
}
ROW(c_merge_tau) { return merge_with(config(0.2)); }
ROW(c_merge_kind) { conseco_calibrator_config c = config(0.1); c.shrinker = ero(); return merge_with(c); }
ROW(c_merge_params)
{
    static conseco_threshold_params other = {sizeof(conseco_threshold_params), 0, 0.4, 1.0};
    conseco_calibrator_config c = config(0.1);
    c.shrinker = conseco_shrinker_threshold(&other);
    return merge_with(c);
}
ROW(c_batch_null) { return conseco_calibrator_add_batch(static_cal(), NULL, NULL, 2, 1, NULL); }
ROW(c_batch_full)
{
    conseco_image p[3];
    conseco_mask t[3];
    int i;
    for (i = 0; i < 3; i++) {
        p[i] = img_u8();
        t[i] = truth();
    }
    return conseco_calibrator_add_batch(static_cal(), p, t, 3, 1, NULL);
}
ROW(c_save_small)
{
    conseco_calibrator *cal = static_cal();
    uint8_t buf[16];
    size_t w;
    return conseco_calibrator_save(cal, buf, sizeof buf, &w);
}

/* saved state */
ROW(t_null) { return load_into_default(NULL, state_size); }
ROW(t_foreign) { return load_forged(0, 'X', 0); }
ROW(t_version) { return load_forged(4, 4, 1); }
ROW(t_truncated_header) { return load_into_default(state, 50); }
ROW(t_truncated_scores) { return load_into_default(state, state_size - 5); }
ROW(t_bitflip) { return load_forged(120, (uint8_t)(state[120] ^ 0x10u), 0); }
ROW(t_trailing)
{
    memcpy(forged, state, state_size);
    forged[state_size] = 0;
    return load_into_default(forged, state_size + 1);
}
ROW(t_bad_tau_crc_ok) { return load_forged(96 + 7, 0x40, 1); /* tau becomes >= 2 */ }
ROW(t_nan_score_crc_ok)
{
    memcpy(forged, state, state_size);
    memset(forged + 112, 0xFF, 8); /* first score: a NaN bit pattern */
    fix_crc(forged, state_size);
    return load_into_default(forged, state_size);
}
ROW(t_other_tau)
{
    conseco_calibrator_config c = config(0.2);
    conseco_calibrator *cal = NULL;
    int rc;
    assert_int_equal(conseco_calibrator_create(&c, NULL, &cal), CONSECO_OK);
    rc = conseco_calibrator_load(cal, state, state_size);
    conseco_calibrator_free(cal);
    return rc;
}
ROW(t_other_shrinker)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal = NULL;
    int rc;
    c.shrinker = ero();
    assert_int_equal(conseco_calibrator_create(&c, NULL, &cal), CONSECO_OK);
    rc = conseco_calibrator_load(cal, state, state_size);
    conseco_calibrator_free(cal);
    return rc;
}
ROW(t_static_small) { return conseco_calibrator_load(static_cal(), state, state_size); }
ROW(t_inspect_null_info) { return conseco_state_inspect(state, state_size, NULL); }

/* ---------------------------------------------------------------- table */
typedef struct row {
    const char *area;
    const char *input;
    const char *call;
    int expected; /* a status, or 0 from a size query (SIZE_ZERO) */
    int size_query;
    int (*run)(void);
} row;

#define S(area, input, call, status, fn) {area, input, call, status, 0, fn}
#define Z(area, input, call, fn) {area, input, call, 0, 1, fn}

static const row rows[] = {
    S("view", "NULL view pointer", "conseco_image_validate", CONSECO_E_NULL, v_null_view),
    S("view", "NULL data pointer", "any call taking the view", CONSECO_E_NULL, v_null_data),
    S("view", "width 0", "any call taking the view", CONSECO_E_BAD_SIZE, v_width0),
    S("view", "height 0", "any call taking the view", CONSECO_E_BAD_SIZE, v_height0),
    S("view", "depth 0", "any call taking the view", CONSECO_E_BAD_SIZE, v_depth0),
    S("view", "row stride < width (u8)", "any call taking the view", CONSECO_E_BAD_STRIDE, v_stride_lt_width),
    S("view", "row stride < width x element size (f32)", "any call taking the view", CONSECO_E_BAD_STRIDE, v_stride_lt_row_bytes),
    S("view", "slice stride < one slice (3-D)", "any call taking the view", CONSECO_E_BAD_STRIDE, v_slice_lt_plane),
    S("view", "data not aligned to the element size", "any call taking the view", CONSECO_E_MISALIGNED, v_data_misaligned),
    S("view", "row stride not a multiple of the element size", "any call taking the view", CONSECO_E_MISALIGNED, v_stride_misaligned),
    S("view", "width x element size overflows size_t", "any call taking the view", CONSECO_E_OVERFLOW, v_row_bytes_overflow),
    S("view", "width x height overflows size_t", "any call taking the view", CONSECO_E_OVERFLOW, v_wh_overflow),
    S("view", "dtype 0", "any call taking the view", CONSECO_E_BAD_DTYPE, v_dtype_zero),
    S("view", "dtype unknown (6)", "any call taking the view", CONSECO_E_BAD_DTYPE, v_dtype_unknown),
    S("view", "dtype negative", "any call taking the view", CONSECO_E_BAD_DTYPE, v_dtype_negative),
    S("view", "reserved field not 0", "any call taking the view", CONSECO_E_INVALID_ARG, v_reserved),
    S("view", "mask row stride < width", "conseco_mask_validate", CONSECO_E_BAD_STRIDE, v_mask_stride),
    S("score map", "NaN in a float map", "conseco_score", CONSECO_E_NONFINITE, s_nan_f32),
    S("score map", "+inf in a double map", "conseco_score", CONSECO_E_NONFINITE, s_inf_f64),
    S("score map", "-inf in a float map (erosion)", "conseco_score", CONSECO_E_NONFINITE, s_neg_inf_erosion),
    S("score map", "NaN/inf only in row padding (never read)", "conseco_score", CONSECO_OK, s_nan_in_padding),
    S("shapes", "truth narrower than the prediction", "conseco_score", CONSECO_E_SIZE_MISMATCH, s_shape_mismatch),
    S("shapes", "truth with another depth", "conseco_score", CONSECO_E_SIZE_MISMATCH, s_depth_mismatch),
    S("shapes", "output mask of another shape", "conseco_apply", CONSECO_E_SIZE_MISMATCH, s_out_mismatch),
    S("shapes", "truth of another shape", "conseco_calibrator_add", CONSECO_E_SIZE_MISMATCH, c_add_mismatch),
    S("parameters", "tau NaN", "conseco_score", CONSECO_E_BAD_TAU, s_tau_nan),
    S("parameters", "tau < 0", "conseco_score", CONSECO_E_BAD_TAU, s_tau_neg),
    S("parameters", "tau > 1", "conseco_score (erosion)", CONSECO_E_BAD_TAU, s_tau_gt1),
    S("parameters", "tau > 1 in a calibrator config", "conseco_calibrator_create", CONSECO_E_BAD_TAU, c_tau),
    S("parameters", "tau_outer > 1 in a band calibrator config", "conseco_calibrator_create", CONSECO_E_BAD_TAU, c_tau_outer),
    S("parameters", "bottom above base (outer threshold lowering)", "conseco_calibrator_create", CONSECO_E_BAD_BOTTOM, c_bottom),
    S("parameters", "alpha = 0", "conseco_rank", CONSECO_E_BAD_ALPHA, q_alpha0),
    S("parameters", "alpha = 1", "conseco_rank", CONSECO_E_BAD_ALPHA, q_alpha1),
    S("parameters", "alpha NaN", "conseco_rank", CONSECO_E_BAD_ALPHA, q_alpha_nan),
    S("parameters", "alpha < 0", "conseco_quantile", CONSECO_E_BAD_ALPHA, q_alpha_quantile),
    S("parameters", "alpha = 1", "conseco_calibrator_lambda_hat", CONSECO_E_BAD_ALPHA, c_lambda_hat_alpha),
    S("parameters", "alpha = num/den with num >= den", "conseco_rank_rational", CONSECO_E_BAD_ALPHA, q_rational),
    S("parameters", "lambda NaN", "conseco_apply", CONSECO_E_BAD_LAMBDA, s_lambda_nan),
    S("parameters", "lambda NaN", "conseco_evaluate_image", CONSECO_E_BAD_LAMBDA, s_lambda_nan_eval),
    S("parameters", "k = 0", "conseco_kth_smallest", CONSECO_E_INVALID_ARG, q_k0),
    S("parameters", "k > n", "conseco_kth_smallest", CONSECO_E_INVALID_ARG, q_k_gt_n),
    S("parameters", "NaN among the scores", "conseco_quantile", CONSECO_E_BAD_SCORE, q_nan_score),
    S("parameters", "n = 0 images", "conseco_set_metrics_compute", CONSECO_E_BAD_SIZE, s_set_metrics_empty),
    S("parameters", "NULL output pointer", "conseco_score", CONSECO_E_NULL, s_score_out_null),
    S("parameters", "NULL k", "conseco_rank", CONSECO_E_NULL, q_rank_null),
    S("parameters", "both output masks NULL", "conseco_apply", CONSECO_E_NULL, s_apply_no_output),
    S("parameters", "inner mask not inside the prediction", "conseco_metrics_from_masks", CONSECO_E_NOT_NESTED, s_inner_outside_yhat),
    S("scratch", "scratch 1 byte smaller than asked (threshold, float map)", "conseco_score", CONSECO_E_SCRATCH_TOO_SMALL, s_scratch_small_thr),
    S("scratch", "scratch 1 byte smaller than asked (erosion)", "conseco_score", CONSECO_E_SCRATCH_TOO_SMALL, s_scratch_small_ero),
    S("scratch", "NULL scratch with a nonzero size", "conseco_score", CONSECO_E_NULL, s_scratch_null),
    Z("scratch", "a zero dimension", "conseco_scratch_size", s_scratch_size_zero_dim),
    Z("scratch", "dimensions whose product overflows", "conseco_scratch_size", s_scratch_size_overflow),
    Z("scratch", "NULL shrinker", "conseco_scratch_size", s_scratch_size_bad_shrinker),
    S("shrinker", "NULL shrinker", "conseco_shrinker_validate (and every user)", CONSECO_E_NULL, k_null_shrinker),
    S("shrinker", "NULL vtable", "conseco_shrinker_validate", CONSECO_E_NULL, k_null_vtable),
    S("shrinker", "NULL built-in params", "conseco_shrinker_validate", CONSECO_E_NULL, k_null_params),
    S("shrinker", "threshold base > top", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_base_gt_top),
    S("shrinker", "threshold base NaN", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_base_nan),
    S("shrinker", "unknown erosion element", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_element),
    S("shrinker", "unknown erosion border policy", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_border),
    S("shrinker", "custom vtable version 0", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_version0),
    S("shrinker", "custom vtable struct_size too small", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_struct_small),
    S("shrinker", "unknown domain", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_domain),
    S("shrinker", "lambda_min infinite", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_lambda_min_inf),
    S("shrinker", "lambda_max < lambda_min", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_range_reversed),
    S("shrinker", "integer domain, lambda_min not an integer", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_integer_fraction),
    S("shrinker", "neither levels nor apply", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_no_callbacks),
    S("shrinker", "black box on the real domain without breakpoints", "conseco_shrinker_validate", CONSECO_E_BAD_SHRINKER, k_real_no_breakpoints),
    S("shrinker", "name longer than 31 bytes", "conseco_calibrator_create", CONSECO_E_BAD_SHRINKER, k_name_too_long),
    S("shrinker", "callback returns nonzero", "conseco_score", CONSECO_E_CALLBACK, k_callback_fails),
    S("shrinker", "levels callback writes a NaN level", "conseco_score", CONSECO_E_CALLBACK, k_callback_nan),
    S("shrinker", "black box whose sets grow with lambda", "conseco_score", CONSECO_E_NOT_NESTED, k_not_nested),
    S("calibrator", "NULL config", "conseco_calibrator_create", CONSECO_E_NULL, c_config_null),
    S("calibrator", "config not initialised (struct_size 0)", "conseco_calibrator_create", CONSECO_E_INVALID_ARG, c_config_uninit),
    S("calibrator", "unknown flag", "conseco_calibrator_create", CONSECO_E_INVALID_ARG, c_flags),
    S("calibrator", "unknown side", "conseco_calibrator_create", CONSECO_E_INVALID_ARG, c_side),
    S("calibrator", "allocator returns NULL", "conseco_calibrator_create", CONSECO_E_NO_MEMORY, c_no_memory),
    S("calibrator", "allocator with alloc but no free", "conseco_calibrator_create", CONSECO_E_NULL, c_half_allocator),
    S("calibrator", "NaN score", "conseco_calibrator_add_score", CONSECO_E_BAD_SCORE, c_add_nan),
    S("calibrator", "-inf score", "conseco_calibrator_add_score", CONSECO_E_BAD_SCORE, c_add_neg_inf),
    S("calibrator", "NULL workspace", "conseco_calibrator_init_static", CONSECO_E_NULL, c_ws_null),
    S("calibrator", "workspace not 8-byte aligned", "conseco_calibrator_init_static", CONSECO_E_MISALIGNED, c_ws_misaligned),
    S("calibrator", "workspace 1 byte too small", "conseco_calibrator_init_static", CONSECO_E_BUFFER_TOO_SMALL, c_ws_small),
    S("calibrator", "static calibrator at capacity", "conseco_calibrator_add_score", CONSECO_E_FULL, c_full),
    S("calibrator", "batch larger than the room left", "conseco_calibrator_add_batch", CONSECO_E_FULL, c_batch_full),
    S("calibrator", "image larger than the static maximum", "conseco_calibrator_add", CONSECO_E_TOO_LARGE, c_too_large),
    S("calibrator", "NULL image arrays", "conseco_calibrator_add_batch", CONSECO_E_NULL, c_batch_null),
    S("calibrator", "merging a different tau", "conseco_calibrator_merge", CONSECO_E_INCOMPATIBLE, c_merge_tau),
    S("calibrator", "merging a different shrinker", "conseco_calibrator_merge", CONSECO_E_INCOMPATIBLE, c_merge_kind),
    S("calibrator", "merging other shrinker params", "conseco_calibrator_merge", CONSECO_E_INCOMPATIBLE, c_merge_params),
    S("calibrator", "save buffer too small", "conseco_calibrator_save", CONSECO_E_BUFFER_TOO_SMALL, c_save_small),
    S("state", "NULL buffer", "conseco_calibrator_load", CONSECO_E_NULL, t_null),
    S("state", "NULL info", "conseco_state_inspect", CONSECO_E_NULL, t_inspect_null_info),
    S("state", "wrong magic (not a libconseco state)", "conseco_calibrator_load", CONSECO_E_FOREIGN, t_foreign),
    S("state", "unsupported format version", "conseco_calibrator_load", CONSECO_E_VERSION, t_version),
    S("state", "truncated inside the header", "conseco_calibrator_load", CONSECO_E_TRUNCATED, t_truncated_header),
    S("state", "truncated inside the scores", "conseco_calibrator_load", CONSECO_E_TRUNCATED, t_truncated_scores),
    S("state", "one flipped bit (checksum)", "conseco_calibrator_load", CONSECO_E_CORRUPT, t_bitflip),
    S("state", "trailing bytes", "conseco_calibrator_load", CONSECO_E_CORRUPT, t_trailing),
    S("state", "tau out of range, checksum correct", "conseco_calibrator_load", CONSECO_E_CORRUPT, t_bad_tau_crc_ok),
    S("state", "NaN score, checksum correct", "conseco_calibrator_load", CONSECO_E_CORRUPT, t_nan_score_crc_ok),
    S("state", "saved with another tau", "conseco_calibrator_load", CONSECO_E_INCOMPATIBLE, t_other_tau),
    S("state", "saved with another shrinker", "conseco_calibrator_load", CONSECO_E_INCOMPATIBLE, t_other_shrinker),
    S("state", "more scores than a static calibrator holds", "conseco_calibrator_load", CONSECO_E_FULL, t_static_small),
};

#define ROW_COUNT (sizeof rows / sizeof rows[0])

/* The valid fixtures every row starts from. */
static int setup(void **st)
{
    conseco_calibrator_config c;
    conseco_calibrator *cal = NULL;
    size_t i;
    (void)st;
    for (i = 0; i < N; i++) {
        pred_f32[i] = (float)pred_u8[i] / 255.0f;
        pred_f64[i] = (double)pred_u8[i] / 255.0;
    }
    conseco_threshold_params_default(&tp);
    conseco_erosion_params_default(&ep);
    /* a valid state with 3 scores: more than the static calibrator's 2 */
    c = config(0.1);
    if (conseco_calibrator_create(&c, NULL, &cal) != CONSECO_OK) return -1;
    if (conseco_calibrator_add_score(cal, 0.5) || conseco_calibrator_add_score(cal, 0.75) ||
        conseco_calibrator_add_score(cal, (double)INFINITY))
        return -1;
    if (conseco_calibrator_save(cal, state, sizeof state, &state_size) != CONSECO_OK) return -1;
    conseco_calibrator_free(cal);
    return 0;
}

static void test_every_row(void **st)
{
    size_t i, failures = 0;
    for (i = 0; i < ROW_COUNT; i++) {
        int got;
        (void)setup(st); /* rows may dirty the fixtures */
        got = rows[i].run();
        if (got != rows[i].expected) {
            print_error("row %zu (%s: %s, %s): got %s (%d), want %s\n", i, rows[i].area,
                        rows[i].input, rows[i].call, conseco_status_name(got), got,
                        rows[i].size_query ? "0" : conseco_status_name(rows[i].expected));
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Every error code a caller can get is documented by at least one row.
 * CONSECO_E_UNSUPPORTED only exists in freestanding builds (create() without
 * an allocator): examples/firmware checks it, run by ci/baremetal.sh. */
static void test_every_status_has_a_row(void **st)
{
    int code;
    (void)st;
    for (code = -1; code >= CONSECO_E_BAD_BOTTOM; code--) {
        if (code == CONSECO_E_BAD_SPACING) continue; /* volumes: not a row here yet */
        if (code == CONSECO_E_UNSUPPORTED) continue;
        size_t i;
        int found = 0;
        for (i = 0; i < ROW_COUNT && !found; i++) found = !rows[i].size_query && rows[i].expected == code;
        if (!found) print_error("no bad-input row gives %s\n", conseco_status_name(code));
        assert_true(found);
    }
}

/* A failed load leaves the calibrator as it was (all or nothing). */
static void test_failed_load_changes_nothing(void **st)
{
    conseco_calibrator_config c = config(0.1);
    conseco_calibrator *cal = NULL;
    double got[4];
    size_t n = 0;
    (void)st;
    assert_int_equal(conseco_calibrator_create(&c, NULL, &cal), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(cal, 0.25), CONSECO_OK);
    memcpy(forged, state, state_size);
    forged[state_size - 1] ^= 1u;
    assert_int_equal(conseco_calibrator_load(cal, forged, state_size), CONSECO_E_CORRUPT);
    assert_int_equal(conseco_calibrator_scores(cal, got, 4, &n), CONSECO_OK);
    assert_int_equal(n, 1);
    assert_true(got[0] == 0.25);
    conseco_calibrator_free(cal);
}

/* A function name in code style, the rest of the text as is. */
static void print_call(const char *call)
{
    size_t len = strcspn(call, " ");
    if (strncmp(call, "conseco_", 8) == 0)
        printf("`%.*s`%s", (int)len, call, call + len);
    else
        printf("%s", call);
}

static void print_markdown(void)
{
    size_t i;
    printf("| Area | Bad input | Function | Result |\n|---|---|---|---|\n");
    for (i = 0; i < ROW_COUNT; i++) {
        printf("| %s | %s | ", rows[i].area, rows[i].input);
        print_call(rows[i].call);
        if (rows[i].size_query)
            printf(" | returns 0 |\n");
        else
            printf(" | `%s` (%d) |\n", conseco_status_name(rows[i].expected), rows[i].expected);
    }
    printf("| calibrator | no allocator in a freestanding build (checked by examples/firmware "
           "under ci/baremetal.sh) | `conseco_calibrator_create` | `%s` (%d) |\n",
           conseco_status_name(CONSECO_E_UNSUPPORTED), CONSECO_E_UNSUPPORTED);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row),
        cmocka_unit_test(test_every_status_has_a_row),
        cmocka_unit_test(test_failed_load_changes_nothing),
    };
    if (argc > 1 && strcmp(argv[1], "--markdown") == 0) {
        print_markdown();
        return 0;
    }
    return cmocka_run_group_tests(tests, setup, NULL);
}
