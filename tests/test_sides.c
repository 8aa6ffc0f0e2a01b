/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sides through the calibrator (DESIGN.md 5.2): config defaults and old
 * configs, scores stored as conseco_side_score gives them (add, batch,
 * static), lambda_hat per side (threshold lowering: the k-th LARGEST, -inf
 * when k > n), saved state version 2 round trips and checks, and the joint
 * validity of the band over random calibration / test splits of synthetic
 * data: P(AFP(I) <= tau and FNR(O) <= tau_outer) >= 1 - alpha (- 0.01 noise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"
#include "conseco_synth.h"
#include "test_util.h"

#define N_IMAGES 300
#define N_CAL (N_IMAGES / 2)
#define SIDE 48
#define N_PIX (SIDE * SIDE)
#define ALPHA 0.1
#define N_SPLITS 2000

static float *maps;
static uint8_t *truths;

static conseco_image image_at(size_t i)
{
    return conseco_image_2d(maps + i * N_PIX, SIDE, SIDE, SIDE * sizeof(float), CONSECO_DTYPE_F32);
}

static conseco_mask truth_at(size_t i) { return conseco_mask_2d(truths + i * N_PIX, SIDE, SIDE, SIDE); }

static int setup(void **state)
{
    conseco_synth_config cfg;
    size_t i;
    (void)state;
    conseco_synth_config_default(&cfg);
    cfg.seed = 77;
    cfg.count = N_IMAGES;
    cfg.width = SIDE;
    cfg.height = SIDE;
    maps = malloc(sizeof(float) * N_PIX * N_IMAGES);
    truths = malloc((size_t)N_PIX * N_IMAGES);
    if (maps == NULL || truths == NULL) return -1;
    for (i = 0; i < N_IMAGES; i++)
        if (conseco_synth_image(&cfg, i, maps + i * N_PIX, NULL, truths + i * N_PIX, NULL) != 0)
            return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(maps);
    free(truths);
    return 0;
}

/* The four side configurations under test. */
typedef struct sidecase {
    const char *name;
    int threshold; /* else erosion (cross, foreground) */
    uint32_t side;
    double tau, tau_outer, bottom;
} sidecase;

static const sidecase cases[] = {
    {"outer dilation", 0, CONSECO_SIDE_OUTER, 0.1, 0.0, 0.0},
    {"outer lowering", 1, CONSECO_SIDE_OUTER, 0.05, 0.0, 0.25},
    {"erosion band", 0, CONSECO_SIDE_BAND, 0.1, 0.05, 0.0},
    {"threshold band", 1, CONSECO_SIDE_BAND, 0.01, 0.1, 0.0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static conseco_threshold_params tp;
static conseco_erosion_params ep;

static conseco_calibrator_config config_of(const sidecase *c)
{
    conseco_calibrator_config cfg;
    conseco_threshold_params_default(&tp);
    conseco_erosion_params_default(&ep);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = c->threshold ? conseco_shrinker_threshold(&tp) : conseco_shrinker_erosion(&ep);
    cfg.tau = c->tau;
    cfg.side = c->side;
    cfg.tau_outer = c->tau_outer;
    cfg.bottom = c->bottom;
    return cfg;
}

static conseco_side_params side_of(const sidecase *c)
{
    conseco_side_params sp;
    conseco_side_params_default(&sp);
    sp.side = c->side;
    sp.tau_outer = c->tau_outer;
    sp.bottom = c->bottom;
    return sp;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_config_defaults(void **state)
{
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    conseco_side_params sp;
    uint32_t g = 99;
    (void)state;
    conseco_calibrator_config_init(&cfg);
    assert_int_equal(cfg.side, CONSECO_SIDE_INNER);
    assert_int_equal(cfg.guarantee, CONSECO_GUARANTEE_QUANTILE);
    assert_true(cfg.tau_outer == 0.0 && cfg.bottom == 0.0);
    /* a 0.2 config (no side members) is inner / quantile, whatever follows it */
    conseco_threshold_params_default(&tp);
    cfg.shrinker = conseco_shrinker_threshold(&tp);
    cfg.tau = 0.1;
    cfg.side = 77;
    cfg.guarantee = 77;
    cfg.struct_size = (uint32_t)(offsetof(conseco_calibrator_config, max_depth) + sizeof(size_t));
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_side(c, &sp, &g), CONSECO_OK);
    assert_int_equal(sp.side, CONSECO_SIDE_INNER);
    assert_int_equal(g, CONSECO_GUARANTEE_QUANTILE);
    conseco_calibrator_free(c);
    /* the risk guarantee: inner and outer sets, no band (test_risk.c, test_outer_risk.c) */
    cfg.struct_size = sizeof cfg;
    cfg.side = CONSECO_SIDE_INNER;
    cfg.guarantee = CONSECO_GUARANTEE_RISK;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    conseco_calibrator_free(c);
    c = NULL;
    cfg.side = CONSECO_SIDE_OUTER;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    conseco_calibrator_free(c);
    c = NULL;
    cfg.side = CONSECO_SIDE_BAND;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_UNSUPPORTED);
    cfg.side = CONSECO_SIDE_INNER;
    cfg.guarantee = 2;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_INVALID_ARG);
    /* settings a side does not use are normalised away */
    cfg.guarantee = CONSECO_GUARANTEE_QUANTILE;
    cfg.side = CONSECO_SIDE_OUTER;
    cfg.tau_outer = 0.3;
    cfg.bottom = 0.125;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_side(c, &sp, NULL), CONSECO_OK);
    assert_true(sp.tau_outer == 0.0 && sp.bottom == 0.125);
    conseco_calibrator_free(c);
    cfg.shrinker = conseco_shrinker_erosion(&ep); /* dilation has no bottom */
    conseco_erosion_params_default(&ep);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_side(c, &sp, NULL), CONSECO_OK);
    assert_true(sp.tau_outer == 0.0 && sp.bottom == 0.0);
    conseco_calibrator_free(c);
}

/* add, batch and static calibrators store exactly conseco_side_score; lambda_hat per side. */
static void test_calibrator_sides(void **state)
{
    size_t ci;
    (void)state;
    for (ci = 0; ci < N_CASES; ci++) {
        const sidecase *sc = &cases[ci];
        conseco_calibrator_config cfg = config_of(sc);
        const conseco_side_params sp = side_of(sc);
        conseco_calibrator *c = NULL, *b = NULL, *st = NULL;
        conseco_image ims[40];
        conseco_mask tms[40];
        double want[40], got[40], sorted[40], lh, s;
        size_t i, n, k, ss = conseco_side_scratch_size(&cfg.shrinker, &sp, SIDE, SIDE, 1);
        void *scr = malloc(ss), *ws;
        assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
        assert_int_equal(conseco_calibrator_create(&cfg, NULL, &b), CONSECO_OK);
        cfg.capacity = 40;
        cfg.max_width = SIDE;
        cfg.max_height = SIDE;
        ws = malloc(conseco_calibrator_workspace_size(&cfg));
        assert_int_equal(conseco_calibrator_init_static(ws, conseco_calibrator_workspace_size(&cfg),
                                                        &cfg, &st),
                         CONSECO_OK);
        for (i = 0; i < 40; i++) {
            ims[i] = image_at(i);
            tms[i] = truth_at(i);
            assert_int_equal(conseco_side_score(&cfg.shrinker, &sp, &ims[i], &tms[i], sc->tau,
                                                scr, ss, &want[i]),
                             CONSECO_OK);
            assert_int_equal(conseco_calibrator_add(c, &ims[i], &tms[i], &s), CONSECO_OK);
            assert_true(s == want[i]);
            assert_int_equal(conseco_calibrator_add(st, &ims[i], &tms[i], NULL), CONSECO_OK);
        }
        assert_int_equal(conseco_calibrator_add_batch(b, ims, tms, 40, 2, got), CONSECO_OK);
        for (i = 0; i < 40; i++) assert_true(got[i] == want[i]);
        assert_int_equal(conseco_calibrator_scores(st, got, 40, &n), CONSECO_OK);
        for (i = 0; i < 40; i++) assert_true(got[i] == want[i]);
        /* lambda_hat */
        memcpy(sorted, want, sizeof sorted);
        qsort(sorted, 40, sizeof(double), cmp);
        assert_int_equal(conseco_calibrator_lambda_hat(c, ALPHA, &lh, &k), CONSECO_OK);
        assert_int_equal(k, 37); /* ceil(41 * 0.9) */
        if (sc->threshold && sc->side == CONSECO_SIDE_OUTER)
            assert_true(lh == sorted[40 - k]); /* k-th largest */
        else
            assert_true(lh == sorted[k - 1]);
        /* k > n: +inf, or -inf (the whole image) for lowering */
        assert_int_equal(conseco_calibrator_reset(b), CONSECO_OK);
        assert_int_equal(conseco_calibrator_add_score(b, want[0]), CONSECO_OK);
        assert_int_equal(conseco_calibrator_lambda_hat(b, ALPHA, &lh, &k), CONSECO_OK);
        assert_true(k > 1);
        assert_true(lh == (sc->threshold && sc->side == CONSECO_SIDE_OUTER ? -INFINITY : INFINITY));
        /* -inf is a score only for lowering, +inf never for it */
        assert_int_equal(conseco_calibrator_add_score(b, -INFINITY),
                         sc->threshold && sc->side == CONSECO_SIDE_OUTER ? CONSECO_OK
                                                                         : CONSECO_E_BAD_SCORE);
        assert_int_equal(conseco_calibrator_add_score(b, INFINITY),
                         sc->threshold && sc->side == CONSECO_SIDE_OUTER ? CONSECO_E_BAD_SCORE
                                                                         : CONSECO_OK);
        conseco_calibrator_free(c);
        conseco_calibrator_free(b);
        conseco_calibrator_free(st);
        free(ws);
        free(scr);
    }
}

static void test_state_round_trip(void **state)
{
    size_t ci;
    (void)state;
    for (ci = 0; ci < N_CASES; ci++) {
        const sidecase *sc = &cases[ci];
        conseco_calibrator_config cfg = config_of(sc), other;
        conseco_calibrator *c = NULL, *d = NULL, *e = NULL;
        conseco_state_info info;
        unsigned char buf[4096];
        double a[8], b[8];
        size_t written, n, i;
        assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
        for (i = 0; i < 6; i++) {
            const conseco_image im = image_at(i);
            const conseco_mask tm = truth_at(i);
            assert_int_equal(conseco_calibrator_add(c, &im, &tm, NULL), CONSECO_OK);
        }
        if (sc->threshold && sc->side == CONSECO_SIDE_OUTER)
            assert_int_equal(conseco_calibrator_add_score(c, -INFINITY), CONSECO_OK);
        else
            assert_int_equal(conseco_calibrator_add_score(c, INFINITY), CONSECO_OK);
        assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, &written), CONSECO_OK);
        assert_int_equal(written, conseco_calibrator_save_size(c));
        assert_int_equal(written, 136u + 7u * 8u + 4u);
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        assert_int_equal(conseco_state_inspect(buf, written, &info), CONSECO_OK);
        assert_int_equal(info.format_version, 2);
        assert_int_equal(info.side, sc->side);
        assert_int_equal(info.guarantee, CONSECO_GUARANTEE_QUANTILE);
        assert_true(info.tau_outer == (sc->side == CONSECO_SIDE_BAND ? sc->tau_outer : 0.0));
        assert_true(info.bottom ==
                    (sc->side == CONSECO_SIDE_OUTER && sc->threshold ? sc->bottom : 0.0));
        assert_int_equal(info.count, 7);
        /* a 0.2 caller's info struct gets the 0.2 part only */
        {
            conseco_state_info old;
            memset(&old, 0xAB, sizeof old);
            old.struct_size = (uint32_t)offsetof(conseco_state_info, side);
            assert_int_equal(conseco_state_inspect(buf, written, &old), CONSECO_OK);
            assert_int_equal(old.count, 7);
            assert_int_equal(old.side, 0xABABABABu);
        }
        /* load into a twin */
        cfg = config_of(sc);
        assert_int_equal(conseco_calibrator_create(&cfg, NULL, &d), CONSECO_OK);
        assert_int_equal(conseco_calibrator_load(d, buf, written), CONSECO_OK);
        assert_int_equal(conseco_calibrator_scores(c, a, 8, &n), CONSECO_OK);
        assert_int_equal(conseco_calibrator_scores(d, b, 8, &n), CONSECO_OK);
        assert_int_equal(n, 7);
        assert_memory_equal(a, b, 7 * sizeof(double));
        /* another side, tau_outer or bottom is another calibration */
        other = config_of(sc);
        other.side = CONSECO_SIDE_INNER;
        assert_int_equal(conseco_calibrator_create(&other, NULL, &e), CONSECO_OK);
        assert_int_equal(conseco_calibrator_load(e, buf, written), CONSECO_E_INCOMPATIBLE);
        assert_int_equal(conseco_calibrator_merge(e, c), CONSECO_E_INCOMPATIBLE);
        conseco_calibrator_free(e);
        other = config_of(sc);
        if (sc->side == CONSECO_SIDE_BAND) other.tau_outer = 0.5;
        else other.bottom = 0.0625;
        assert_int_equal(conseco_calibrator_create(&other, NULL, &e), CONSECO_OK);
        if (sc->threshold || sc->side == CONSECO_SIDE_BAND)
            assert_int_equal(conseco_calibrator_load(e, buf, written), CONSECO_E_INCOMPATIBLE);
        else /* bottom means nothing to dilation: the same calibration */
            assert_int_equal(conseco_calibrator_load(e, buf, written), CONSECO_OK);
        conseco_calibrator_free(e);
        assert_int_equal(conseco_calibrator_merge(d, c), CONSECO_OK);
        assert_int_equal(conseco_calibrator_count(d), 14);
        conseco_calibrator_free(c);
        conseco_calibrator_free(d);
    }
}

/* Forged version-2 fields, resealed: every inconsistency is CORRUPT. */
static uint32_t crc32_ref(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint32_t)-(int32_t)(c & 1u));
    }
    return ~c;
}

static void reseal(unsigned char *b, size_t n)
{
    const uint32_t c = crc32_ref(b, n - 4);
    b[n - 4] = (unsigned char)c;
    b[n - 3] = (unsigned char)(c >> 8);
    b[n - 2] = (unsigned char)(c >> 16);
    b[n - 1] = (unsigned char)(c >> 24);
}

static void put_double(unsigned char *p, double v)
{
    uint64_t u;
    int i;
    memcpy(&u, &v, 8);
    for (i = 0; i < 8; i++) p[i] = (unsigned char)(u >> (8 * i));
}

static void test_state_forged(void **state)
{
    conseco_calibrator_config cfg = config_of(&cases[1]); /* outer lowering, bottom 0.25 */
    conseco_calibrator *c = NULL;
    unsigned char buf[512], f[512];
    size_t written;
    conseco_state_info info;
    (void)state;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, 0.3), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, -INFINITY), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, &written), CONSECO_OK);
    info.struct_size = sizeof info;
#define FORGE(edit)                                                                     \
    do {                                                                                \
        memcpy(f, buf, written);                                                        \
        edit;                                                                           \
        reseal(f, written);                                                             \
        assert_int_equal(conseco_state_inspect(f, written, &info), CONSECO_E_CORRUPT);  \
        assert_int_equal(conseco_calibrator_load(c, f, written), CONSECO_E_CORRUPT);    \
    } while (0)
    FORGE(f[112] = 0);                       /* inner in a version 2 state */
    FORGE(f[112] = 3);                       /* unknown side */
    FORGE(f[116] = 2);                       /* unknown guarantee */
    FORGE(put_double(f + 120, 0.1));        /* tau_outer on an outer state */
    FORGE(put_double(f + 128, 0.75));        /* bottom above base */
    FORGE(put_double(f + 128, NAN));         /* bottom NaN */
    FORGE(put_double(f + 136, INFINITY));    /* +inf is no lowering score */
    FORGE(f[112] = 2);                       /* band: -inf is no band score */
    conseco_calibrator_free(c);
    /* an inner calibrator still writes version 1 */
    cfg = config_of(&cases[0]);
    cfg.side = CONSECO_SIDE_INNER;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, 2.0), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, &written), CONSECO_OK);
    assert_int_equal(written, 112u + 8u + 4u);
    assert_int_equal(conseco_state_inspect(buf, written, &info), CONSECO_OK);
    assert_int_equal(info.format_version, 1);
    assert_int_equal(info.side, CONSECO_SIDE_INNER);
    conseco_calibrator_free(c);
}

/* Static calibrators of every side fit the compile-time workspace bound (they need scratch
 * for scores only: the inner family's own). */
static void test_workspace_bound(void **state)
{
    static const size_t dims[] = {1, 2, 3, 7, 64, 257, 1000};
    static const size_t depths[] = {1, 2, 33};
    size_t ci, wi, hi, di;
    uint32_t el;
    (void)state;
    for (ci = 0; ci < N_CASES; ci++)
        for (el = CONSECO_ELEMENT_CROSS; el <= CONSECO_ELEMENT_DISK; el++)
            for (wi = 0; wi < sizeof dims / sizeof dims[0]; wi++)
                for (hi = 0; hi < sizeof dims / sizeof dims[0]; hi++)
                    for (di = 0; di < sizeof depths / sizeof depths[0]; di++) {
                        conseco_calibrator_config cfg = config_of(&cases[ci]);
                        size_t got;
                        ep.element = el;
                        cfg.capacity = 10;
                        cfg.max_width = dims[wi];
                        cfg.max_height = dims[hi];
                        cfg.max_depth = depths[di];
                        got = conseco_calibrator_workspace_size(&cfg);
                        assert_true(got > 0);
                        assert_true(got <= CONSECO_CALIBRATOR_WORKSPACE_BOUND(
                                               10, dims[wi] * dims[hi] * depths[di]));
                    }
}

/* ------------------------------------------------------------- validity */
static void shuffle(size_t *perm, size_t n, tu_rng *r)
{
    size_t i;
    for (i = 0; i < n; i++) perm[i] = i;
    for (i = n - 1; i > 0; i--) {
        const size_t j = tu_range(r, 0, i), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/*
 * For a band the joint score r_j is the smallest index at which both sides
 * hold, and both sides are monotone in the index: image j holds at
 * lambda >= r_j. So the coverage of a split is the fraction of test images
 * with r_j <= lambda_hat (a sufficient rule, checked against
 * conseco_side_evaluate on a few splits).
 */
static void check_validity(const sidecase *sc)
{
    conseco_calibrator_config cfg = config_of(sc);
    const conseco_side_params sp = side_of(sc);
    const size_t ss = conseco_side_scratch_size(&cfg.shrinker, &sp, SIDE, SIDE, 1);
    void *scr = malloc(ss);
    double scores[N_IMAGES], cal[N_CAL], mean = 0.0;
    size_t perm[N_IMAGES], split, j, k;
    tu_rng r = {4242};
    for (j = 0; j < N_IMAGES; j++) {
        const conseco_image im = image_at(j);
        const conseco_mask tm = truth_at(j);
        assert_int_equal(
            conseco_side_score(&cfg.shrinker, &sp, &im, &tm, sc->tau, scr, ss, &scores[j]),
            CONSECO_OK);
    }
    for (split = 0; split < N_SPLITS; split++) {
        double lambda_hat;
        size_t held = 0;
        shuffle(perm, N_IMAGES, &r);
        for (j = 0; j < N_CAL; j++) cal[j] = scores[perm[j]];
        assert_int_equal(conseco_quantile(cal, N_CAL, ALPHA, &lambda_hat, &k), CONSECO_OK);
        for (j = N_CAL; j < N_IMAGES; j++) {
            const int ok = scores[perm[j]] <= lambda_hat;
            held += (size_t)ok;
            if (split < 3 && isfinite(lambda_hat)) {
                conseco_side_metrics m;
                const conseco_image im = image_at(perm[j]);
                const conseco_mask tm = truth_at(perm[j]);
                assert_int_equal(conseco_side_evaluate(&cfg.shrinker, &sp, &im, &tm, lambda_hat,
                                                       sc->tau, scr, ss, &m),
                                 CONSECO_OK);
                if (ok) assert_true(m.band_holds);
            }
        }
        mean += (double)held / (double)(N_IMAGES - N_CAL);
    }
    mean /= N_SPLITS;
    print_message("%s (tau %g, tau_outer %g): mean joint coverage %.4f over %d splits\n",
                  sc->name, sc->tau, sc->tau_outer, mean, N_SPLITS);
    assert_true(mean >= 1.0 - ALPHA - 0.01);
    free(scr);
}

static void test_band_validity(void **state)
{
    (void)state;
    check_validity(&cases[2]);
    check_validity(&cases[3]);
    check_validity(&cases[0]); /* the outer side alone: same argument */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults), cmocka_unit_test(test_calibrator_sides),
        cmocka_unit_test(test_state_round_trip), cmocka_unit_test(test_state_forged),
        cmocka_unit_test(test_workspace_bound),
        cmocka_unit_test(test_band_validity),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
