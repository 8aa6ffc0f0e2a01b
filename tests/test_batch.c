/* SPDX-License-Identifier: Apache-2.0 */
/* conseco_calibrator_add_batch(): the same scores in the same order as one
 * conseco_calibrator_add() per pair, whatever the thread count; all or
 * nothing on error, with the lowest failing pair's status; scratch freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <cmocka.h>

#include "conseco.h"
#include "test_util.h"

#define MAX_PAIRS 96
#define MAX_SIDE 48

/* A batch of random calibration pairs: blob-shaped score maps (u8 or f32)
 * and truths that overlap them partly, in varying shapes. */
typedef struct pairs {
    size_t n;
    conseco_image preds[MAX_PAIRS];
    conseco_mask truths[MAX_PAIRS];
    float fmaps[MAX_PAIRS][MAX_SIDE * MAX_SIDE];
    uint8_t umaps[MAX_PAIRS][MAX_SIDE * MAX_SIDE];
    uint8_t masks[MAX_PAIRS][MAX_SIDE * MAX_SIDE];
} pairs;

static pairs *make_pairs(uint64_t seed, size_t n)
{
    pairs *p = calloc(1, sizeof *p);
    tu_rng rng;
    size_t i, x, y;
    assert_non_null(p);
    rng.state = seed;
    p->n = n;
    for (i = 0; i < n; i++) {
        size_t w = tu_range(&rng, 1, MAX_SIDE), h = tu_range(&rng, 1, MAX_SIDE);
        double cx = tu_uniform(&rng) * (double)w, cy = tu_uniform(&rng) * (double)h;
        double r = 1.0 + tu_uniform(&rng) * (double)(w < h ? w : h);
        double tx = cx + (tu_uniform(&rng) - 0.5) * r, ty = cy + (tu_uniform(&rng) - 0.5) * r;
        double tr = r * (0.3 + tu_uniform(&rng));
        int as_u8 = (int)(tu_next(&rng) & 1u);
        for (y = 0; y < h; y++) {
            for (x = 0; x < w; x++) {
                double dx = (double)x - cx, dy = (double)y - cy;
                double ex = (double)x - tx, ey = (double)y - ty;
                double s = 1.0 - (dx * dx + dy * dy) / (2.0 * r * r) +
                           0.2 * (tu_uniform(&rng) - 0.5);
                if (s < 0.0) s = 0.0;
                if (s > 1.0) s = 1.0;
                p->fmaps[i][y * w + x] = (float)s;
                p->umaps[i][y * w + x] = (uint8_t)(s * 255.0);
                p->masks[i][y * w + x] = (uint8_t)(ex * ex + ey * ey <= tr * tr);
            }
        }
        p->preds[i] = as_u8 ? conseco_image_2d(p->umaps[i], w, h, w, CONSECO_DTYPE_U8)
                            : conseco_image_2d(p->fmaps[i], w, h, w * sizeof(float),
                                               CONSECO_DTYPE_F32);
        p->truths[i] = conseco_mask_2d(p->masks[i], w, h, w);
    }
    return p;
}

/* ------------------------------------------------------------ allocator */
typedef struct counting_alloc {
    size_t live;   /* blocks not yet freed */
    size_t calls;  /* allocations attempted */
    int fail_from; /* allocation number (1-based) from which every call fails; 0 = never */
} counting_alloc;

static void *ca_alloc(void *opaque, size_t size)
{
    counting_alloc *a = opaque;
    a->calls++;
    if (a->fail_from != 0 && a->calls >= (size_t)a->fail_from) return NULL;
    a->live++;
    return test_malloc(size);
}

static void ca_free(void *opaque, void *ptr)
{
    counting_alloc *a = opaque;
    if (ptr == NULL) return;
    a->live--;
    test_free(ptr);
}

static conseco_calibrator *make_cal(const conseco_shrinker *sh, double tau, counting_alloc *ca)
{
    conseco_calibrator_config cfg;
    conseco_allocator al;
    conseco_calibrator *c = NULL;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = *sh;
    cfg.tau = tau;
    al.alloc = ca_alloc;
    al.free = ca_free;
    al.opaque = ca;
    assert_int_equal(conseco_calibrator_create(&cfg, &al, &c), CONSECO_OK);
    assert_non_null(c);
    return c;
}

static void stored(const conseco_calibrator *c, double *out, size_t cap, size_t *n)
{
    assert_int_equal(conseco_calibrator_scores(c, out, cap, n), CONSECO_OK);
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* --------------------------------------------------------------- shrinkers */
static conseco_threshold_params g_thr;
static conseco_erosion_params g_ero[3];

/* A custom shrinker on the apply path: I_l = {s >= 0.5 + 0.1 l}, l = 0..5.
 * It fails for the one prediction its user pointer names. */
static const void *g_poison;

static int ramp_apply(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                      size_t count)
{
    size_t x, y;
    (void)user;
    if (pred->data == g_poison) return 7;
    if (count != pred->width * pred->height) return 1;
    for (y = 0; y < pred->height; y++) {
        const float *row =
            (const float *)(const void *)((const unsigned char *)pred->data + y * pred->row_stride);
        for (x = 0; x < pred->width; x++)
            inner[y * pred->width + x] = (uint8_t)((double)row[x] >= 0.5 + 0.1 * lambda);
    }
    return CONSECO_OK;
}

static const conseco_shrinker_vtable ramp_vt = {
    sizeof(conseco_shrinker_vtable), CONSECO_SHRINKER_VERSION, "ramp", CONSECO_DOMAIN_INTEGER,
    0, 0.0, 5.0, NULL, ramp_apply, NULL, NULL, NULL};

static conseco_shrinker shrinker_at(int which)
{
    conseco_threshold_params_default(&g_thr);
    if (which == 0) return conseco_shrinker_threshold(&g_thr);
    conseco_erosion_params_default(&g_ero[which - 1]);
    g_ero[which - 1].element = (uint32_t)which; /* cross, square, disk */
    g_ero[which - 1].border =
        which == 2 ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND;
    return conseco_shrinker_erosion(&g_ero[which - 1]);
}

/* ------------------------------------------------------------------ tests */
static void test_same_scores_as_one_by_one(void **state)
{
    static const unsigned thread_counts[] = {0, 1, 2, 3, 4, 7, 200};
    static const double taus[] = {0.0, 0.01, 0.1, 0.5};
    pairs *p = make_pairs(11, MAX_PAIRS);
    int which;
    size_t ti, ki, i;
    (void)state;
    for (which = 0; which < 4; which++) {
        for (ki = 0; ki < sizeof taus / sizeof taus[0]; ki++) {
            counting_alloc ca = {0, 0, 0};
            conseco_shrinker sh = shrinker_at(which);
            conseco_calibrator *one = make_cal(&sh, taus[ki], &ca);
            double ref[MAX_PAIRS], got[MAX_PAIRS], out[MAX_PAIRS];
            size_t n_ref, n_got;
            for (i = 0; i < p->n; i++)
                assert_int_equal(conseco_calibrator_add(one, &p->preds[i], &p->truths[i], NULL),
                                 CONSECO_OK);
            stored(one, ref, MAX_PAIRS, &n_ref);
            assert_int_equal(n_ref, p->n);
            for (ti = 0; ti < sizeof thread_counts / sizeof thread_counts[0]; ti++) {
                conseco_calibrator *c = make_cal(&sh, taus[ki], &ca);
                memset(out, 0, sizeof out);
                assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, p->n,
                                                              thread_counts[ti], out),
                                 CONSECO_OK);
                stored(c, got, MAX_PAIRS, &n_got);
                assert_int_equal(n_got, p->n);
                for (i = 0; i < p->n; i++) {
                    assert_true(same_bits(got[i], ref[i]));
                    assert_true(same_bits(out[i], ref[i]));
                }
                conseco_calibrator_free(c);
            }
            conseco_calibrator_free(one);
            assert_int_equal(ca.live, 0);
        }
    }
    free(p);
}

static void test_appends_after_existing_scores(void **state)
{
    pairs *p = make_pairs(12, 40);
    counting_alloc ca = {0, 0, 0};
    conseco_shrinker sh = shrinker_at(1);
    conseco_calibrator *c = make_cal(&sh, 0.05, &ca);
    double got[64], solo;
    size_t n, i;
    (void)state;
    assert_int_equal(conseco_calibrator_add_score(c, 3.0), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 20, 2, NULL),
                     CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds + 20, p->truths + 20, 20, 3, NULL),
                     CONSECO_OK);
    stored(c, got, 64, &n);
    assert_int_equal(n, 41);
    assert_true(got[0] == 3.0);
    for (i = 0; i < 40; i++) {
        size_t need = conseco_scratch_size(&sh, p->preds[i].width, p->preds[i].height, 1);
        void *scratch = malloc(need);
        assert_non_null(scratch);
        assert_int_equal(conseco_score(&sh, &p->preds[i], &p->truths[i], 0.05, scratch, need,
                                       &solo),
                         CONSECO_OK);
        assert_true(same_bits(got[i + 1], solo));
        free(scratch);
    }
    conseco_calibrator_free(c);
    assert_int_equal(ca.live, 0);
    free(p);
}

static void test_deterministic_across_runs(void **state)
{
    pairs *p = make_pairs(13, MAX_PAIRS);
    counting_alloc ca = {0, 0, 0};
    conseco_shrinker sh = shrinker_at(3);
    double first[MAX_PAIRS], again[MAX_PAIRS];
    int run;
    size_t i;
    (void)state;
    for (run = 0; run < 20; run++) {
        conseco_calibrator *c = make_cal(&sh, 0.02, &ca);
        assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, p->n, 2,
                                                      run == 0 ? first : again),
                         CONSECO_OK);
        if (run > 0)
            for (i = 0; i < p->n; i++) assert_true(same_bits(first[i], again[i]));
        conseco_calibrator_free(c);
    }
    free(p);
}

static void test_trivial_arguments(void **state)
{
    pairs *p = make_pairs(14, 4);
    counting_alloc ca = {0, 0, 0};
    conseco_shrinker sh = shrinker_at(0);
    conseco_calibrator *c = make_cal(&sh, 0.1, &ca);
    (void)state;
    assert_int_equal(conseco_calibrator_add_batch(NULL, p->preds, p->truths, 4, 2, NULL),
                     CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_add_batch(c, NULL, NULL, 0, 2, NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_batch(c, NULL, p->truths, 4, 2, NULL),
                     CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, NULL, 4, 2, NULL),
                     CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_count(c), 0);
    conseco_calibrator_free(c);
    assert_int_equal(ca.live, 0);
    free(p);
}

static float make_nan(void)
{
    volatile float zero = 0.0f;
    return zero / zero;
}

/* Breaks pair i in one of several ways; returns the status conseco_score() gives. */
static int break_pair(pairs *p, size_t i, int how, conseco_image *saved_pred,
                      conseco_mask *saved_truth)
{
    *saved_pred = p->preds[i];
    *saved_truth = p->truths[i];
    switch (how) {
    case 0: p->preds[i].data = NULL; return CONSECO_E_NULL;
    case 1: p->truths[i].width = p->preds[i].width + 1;
        p->truths[i].row_stride = p->truths[i].width;
        return CONSECO_E_SIZE_MISMATCH;
    case 2: p->preds[i].dtype = 99; return CONSECO_E_BAD_DTYPE;
    case 3:
        /* a NaN in a float map (make the pair a float one first) */
        p->preds[i] = conseco_image_2d(p->fmaps[i], p->preds[i].width, p->preds[i].height,
                                       p->preds[i].width * sizeof(float), CONSECO_DTYPE_F32);
        p->fmaps[i][0] = make_nan();
        return CONSECO_E_NONFINITE;
    default: p->preds[i].width = 0; return CONSECO_E_BAD_SIZE;
    }
}

static void test_all_or_nothing_lowest_error(void **state)
{
    counting_alloc ca = {0, 0, 0};
    conseco_shrinker sh = shrinker_at(1);
    tu_rng rng;
    int round;
    (void)state;
    rng.state = 15;
    for (round = 0; round < 200; round++) {
        pairs *p = make_pairs(1000 + (uint64_t)round, 30);
        conseco_calibrator *c = make_cal(&sh, 0.05, &ca);
        conseco_image sp[2];
        conseco_mask st[2];
        double out[30], got[8];
        size_t lo = tu_range(&rng, 0, 29), hi = tu_range(&rng, lo, 29), n, i;
        int how_lo = (int)tu_range(&rng, 0, 4), how_hi = (int)tu_range(&rng, 0, 4);
        unsigned threads = (unsigned)tu_range(&rng, 1, 5);
        int expect_lo, rc;
        float keep_lo = p->fmaps[lo][0], keep_hi = p->fmaps[hi][0];
        assert_int_equal(conseco_calibrator_add_score(c, 1.0), CONSECO_OK);
        expect_lo = break_pair(p, lo, how_lo, &sp[0], &st[0]);
        if (hi != lo) (void)break_pair(p, hi, how_hi, &sp[1], &st[1]);
        {
            /* the batch reports what conseco_score() says of the lowest broken pair */
            static unsigned char scratch[1 << 16];
            double s1;
            assert_int_equal(conseco_score(&sh, &p->preds[lo], &p->truths[lo], 0.05, scratch,
                                           sizeof scratch, &s1),
                             expect_lo);
        }
        for (i = 0; i < 30; i++) out[i] = -7.0;
        rc = conseco_calibrator_add_batch(c, p->preds, p->truths, 30, threads, out);
        assert_int_equal(rc, expect_lo);
        stored(c, got, 8, &n);
        assert_int_equal(n, 1); /* nothing of the batch was kept */
        assert_true(got[0] == 1.0);
        for (i = 0; i < 30; i++) assert_true(out[i] == -7.0);
        /* repaired, the same batch goes through */
        p->preds[lo] = sp[0];
        p->truths[lo] = st[0];
        p->fmaps[lo][0] = keep_lo;
        if (hi != lo) {
            p->preds[hi] = sp[1];
            p->truths[hi] = st[1];
            p->fmaps[hi][0] = keep_hi;
        }
        assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 30, threads, out),
                         CONSECO_OK);
        assert_int_equal(conseco_calibrator_count(c), 31);
        conseco_calibrator_free(c);
        free(p);
    }
    assert_int_equal(ca.live, 0);
}

static void test_callback_failure(void **state)
{
    pairs *p = make_pairs(16, 24);
    counting_alloc ca = {0, 0, 0};
    conseco_shrinker sh;
    conseco_calibrator *c;
    double out[24];
    size_t i;
    unsigned threads;
    (void)state;
    sh.vtable = &ramp_vt;
    sh.user = NULL;
    for (i = 0; i < 24; i++) /* the ramp shrinker reads float maps */
        p->preds[i] = conseco_image_2d(p->fmaps[i], p->preds[i].width, p->preds[i].height,
                                       p->preds[i].width * sizeof(float), CONSECO_DTYPE_F32);
    c = make_cal(&sh, 0.1, &ca);
    for (threads = 1; threads <= 4; threads++) {
        g_poison = p->fmaps[17];
        assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 24, threads, out),
                         CONSECO_E_CALLBACK);
        assert_int_equal(conseco_calibrator_count(c), 0);
    }
    g_poison = NULL;
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 24, 3, out),
                     CONSECO_OK);
    for (i = 0; i < 24; i++) assert_true(out[i] >= 0.0);
    conseco_calibrator_free(c);
    assert_int_equal(ca.live, 0);
    free(p);
}

/* The callback thread contract (conseco.h): add_batch may call a custom
 * shrinker's callbacks from several threads at once with the same `user`.
 * This callback is reentrant as the header asks: it reads only its arguments
 * and the read-only user struct, and counts its calls in an atomic. Run under
 * ThreadSanitizer by CI: any race inside the library shows there. */
typedef struct reentrant_user {
    double scale;           /* read only */
    atomic_ulong calls;     /* the only shared write */
} reentrant_user;

static int reentrant_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    reentrant_user *u = (reentrant_user *)user;
    size_t x, y, i = 0;
    atomic_fetch_add_explicit(&u->calls, 1ul, memory_order_relaxed);
    if (count < pred->width * pred->height) return 1;
    for (y = 0; y < pred->height; y++) {
        const float *row =
            (const float *)(const void *)((const unsigned char *)pred->data + y * pred->row_stride);
        for (x = 0; x < pred->width; x++, i++)
            levels[i] = (double)row[x] >= 0.5 ? (double)row[x] * u->scale : -1.0;
    }
    return CONSECO_OK;
}

static void test_callbacks_from_threads(void **state)
{
    static const conseco_shrinker_vtable vt = {
        sizeof(conseco_shrinker_vtable), CONSECO_SHRINKER_VERSION, "reentrant",
        CONSECO_DOMAIN_REAL, 0, 0.0, 10.0, reentrant_levels, NULL, NULL, NULL, NULL};
    pairs *p = make_pairs(29, 64);
    counting_alloc ca = {0, 0, 0};
    reentrant_user u;
    conseco_shrinker sh;
    conseco_calibrator *one, *many;
    double a[64], b[64];
    size_t i;
    (void)state;
    u.scale = 10.0;
    atomic_init(&u.calls, 0ul);
    sh.vtable = &vt;
    sh.user = &u;
    for (i = 0; i < 64; i++) /* the callback reads float maps */
        p->preds[i] = conseco_image_2d(p->fmaps[i], p->preds[i].width, p->preds[i].height,
                                       p->preds[i].width * sizeof(float), CONSECO_DTYPE_F32);
    one = make_cal(&sh, 0.1, &ca);
    many = make_cal(&sh, 0.1, &ca);
    assert_int_equal(conseco_calibrator_add_batch(one, p->preds, p->truths, 64, 1, a), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_batch(many, p->preds, p->truths, 64, 4, b),
                     CONSECO_OK);
    for (i = 0; i < 64; i++) assert_true(same_bits(a[i], b[i]));
    /* one level map per pair and run */
    assert_int_equal(atomic_load(&u.calls), 128ul);
    conseco_calibrator_free(one);
    conseco_calibrator_free(many);
    assert_int_equal(ca.live, 0);
    free(p);
}

static void test_out_of_memory(void **state)
{
    pairs *p = make_pairs(17, 32);
    conseco_shrinker sh = shrinker_at(1);
    int fail_at;
    (void)state;
    /* Fail the k-th allocation made by the batch: either an error with nothing
     * stored, or (a later failure) success; never a leak. */
    for (fail_at = 1; fail_at <= 6; fail_at++) {
        counting_alloc ca = {0, 0, 0};
        conseco_calibrator *c = make_cal(&sh, 0.05, &ca);
        size_t before = ca.calls;
        int rc;
        ca.fail_from = (int)before + fail_at;
        rc = conseco_calibrator_add_batch(c, p->preds, p->truths, 32, 4, NULL);
        if (rc == CONSECO_OK)
            assert_int_equal(conseco_calibrator_count(c), 32);
        else {
            assert_int_equal(rc, CONSECO_E_NO_MEMORY);
            assert_int_equal(conseco_calibrator_count(c), 0);
        }
        conseco_calibrator_free(c);
        assert_int_equal(ca.live, 0);
    }
    free(p);
}

/* Reshapes pair i in place (its buffers hold MAX_SIDE x MAX_SIDE pixels). */
static void resize_pair(pairs *p, size_t i, size_t w, size_t h)
{
    size_t elem = p->preds[i].dtype == CONSECO_DTYPE_F32 ? sizeof(float) : 1;
    p->preds[i].width = p->truths[i].width = w;
    p->preds[i].height = p->truths[i].height = h;
    p->preds[i].row_stride = w * elem;
    p->truths[i].row_stride = w;
    p->preds[i].slice_stride = h * w * elem;
    p->truths[i].slice_stride = h * w;
}

static void test_static_calibrator(void **state)
{
    pairs *p = make_pairs(18, 20);
    conseco_shrinker sh = shrinker_at(1);
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    counting_alloc ca = {0, 0, 0};
    conseco_calibrator *ref = make_cal(&sh, 0.05, &ca);
    double want[20], got[20];
    size_t size, n, i;
    void *ws;
    (void)state;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = sh;
    cfg.tau = 0.05;
    cfg.capacity = 30;
    cfg.max_width = MAX_SIDE;
    cfg.max_height = MAX_SIDE;
    cfg.max_depth = 1;
    size = conseco_calibrator_workspace_size(&cfg);
    assert_true(size > 0);
    ws = malloc(size);
    assert_non_null(ws);
    assert_int_equal(conseco_calibrator_init_static(ws, size, &cfg, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_batch(ref, p->preds, p->truths, 20, 1, want),
                     CONSECO_OK);
    /* several threads asked: runs on the workspace's own scratch */
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 20, 4, got),
                     CONSECO_OK);
    for (i = 0; i < 20; i++) assert_true(same_bits(got[i], want[i]));
    /* 20 + 20 > capacity 30: refused up front, nothing stored */
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 20, 2, NULL),
                     CONSECO_E_FULL);
    assert_int_equal(conseco_calibrator_count(c), 20);
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 10, 2, NULL),
                     CONSECO_OK);
    stored(c, got, 20, &n);
    assert_int_equal(n, 30);
    conseco_calibrator_free(c);
    free(ws);

    /* a pair larger than the workspace's shape: CONSECO_E_TOO_LARGE, nothing stored */
    cfg.capacity = 50;
    cfg.max_width = 10;
    cfg.max_height = 10;
    size = conseco_calibrator_workspace_size(&cfg);
    ws = malloc(size);
    assert_non_null(ws);
    assert_int_equal(conseco_calibrator_init_static(ws, size, &cfg, &c), CONSECO_OK);
    for (i = 0; i < 20; i++) resize_pair(p, i, 1 + i % 10, 1 + i % 7);
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 20, 2, NULL),
                     CONSECO_OK);
    resize_pair(p, 13, 11, 5);
    assert_int_equal(conseco_calibrator_add_batch(c, p->preds, p->truths, 20, 2, NULL),
                     CONSECO_E_TOO_LARGE);
    assert_int_equal(conseco_calibrator_count(c), 0 + 20);
    conseco_calibrator_free(c);
    free(ws);
    conseco_calibrator_free(ref);
    assert_int_equal(ca.live, 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_scores_as_one_by_one),
        cmocka_unit_test(test_appends_after_existing_scores),
        cmocka_unit_test(test_deterministic_across_runs),
        cmocka_unit_test(test_trivial_arguments),
        cmocka_unit_test(test_all_or_nothing_lowest_error),
        cmocka_unit_test(test_callback_failure),
        cmocka_unit_test(test_callbacks_from_threads),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_static_calibrator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
