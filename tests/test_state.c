/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Saved calibrator state: the byte layout (golden vectors written out by
 * hand), bit-exact round trips, and rejection of every truncation, every
 * single-bit flip, foreign bytes, other versions, other settings, with the
 * calibrator left untouched on every error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "conseco.h"
#include "calibrator/calibrator_impl.h"

#include "alloc_fail.h"
#include "test_util.h"

/* ------------------------------------------------------------- helpers */
static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static conseco_calibrator *threshold_cal(double base, double top, double tau)
{
    conseco_threshold_params tp = {sizeof(conseco_threshold_params), 0, base, top};
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_threshold(&tp);
    cfg.tau = tau;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    return c;
}

static conseco_calibrator *erosion_cal(uint32_t element, uint32_t border, double base,
                                       double tau)
{
    conseco_erosion_params ep;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    conseco_erosion_params_default(&ep);
    ep.element = element;
    ep.border = border;
    ep.base = base;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_erosion(&ep);
    cfg.tau = tau;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    return c;
}

static int dummy_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    (void)user;
    (void)pred;
    (void)levels;
    (void)count;
    return 0;
}

static conseco_shrinker_vtable custom_vt(const char *name, uint32_t domain, double lmin,
                                         double lmax)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = (uint32_t)sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = name;
    vt.domain = domain;
    vt.lambda_min = lmin;
    vt.lambda_max = lmax;
    vt.levels = dummy_levels;
    return vt;
}

static conseco_calibrator *custom_cal(const conseco_shrinker_vtable *vt, double tau)
{
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker.vtable = vt;
    cfg.tau = tau;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    return c;
}

/* Saves into a fresh heap buffer of exactly save_size bytes. */
static unsigned char *save_all(const conseco_calibrator *c, size_t *size)
{
    size_t need = conseco_calibrator_save_size(c), written = 0;
    unsigned char *b;
    assert_true(need >= 116);
    b = malloc(need);
    assert_non_null(b);
    assert_int_equal(conseco_calibrator_save(c, b, need, &written), CONSECO_OK);
    assert_int_equal(written, need);
    *size = need;
    return b;
}

/* Snapshot of a calibrator's scores, to prove an error changed nothing. */
typedef struct snapshot {
    size_t n;
    uint64_t v[64];
} snapshot;

static void take(const conseco_calibrator *c, snapshot *s)
{
    double tmp[64];
    size_t i;
    assert_int_equal(conseco_calibrator_scores(c, tmp, 64, &s->n), CONSECO_OK);
    assert_true(s->n <= 64);
    for (i = 0; i < s->n; i++) s->v[i] = bits(tmp[i]);
}

static void assert_unchanged(const conseco_calibrator *c, const snapshot *before)
{
    snapshot now;
    size_t i;
    take(c, &now);
    assert_int_equal(now.n, before->n);
    for (i = 0; i < now.n; i++) assert_true(now.v[i] == before->v[i]);
}

/* Rewrites the trailing CRC so that a deliberately edited field is what fails. */
static void reseal(unsigned char *b, size_t size)
{
    uint32_t crc = conseco__crc32(0, b, size - 4);
    b[size - 4] = (unsigned char)(crc & 0xFF);
    b[size - 3] = (unsigned char)((crc >> 8) & 0xFF);
    b[size - 2] = (unsigned char)((crc >> 16) & 0xFF);
    b[size - 1] = (unsigned char)((crc >> 24) & 0xFF);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* ------------------------------------------------------------------ crc32 */
static void test_crc32_reference_values(void **state)
{
    const unsigned char check[] = "123456789";
    const unsigned char fox[] = "The quick brown fox jumps over the lazy dog";
    (void)state;
    /* the published check value of CRC-32/IEEE, and zlib's value for the fox */
    assert_int_equal(conseco__crc32(0, check, 9), 0xCBF43926u);
    assert_int_equal(conseco__crc32(0, fox, sizeof fox - 1), 0x414FA339u);
    assert_int_equal(conseco__crc32(0, check, 0), 0u);
    /* continuation: crc(a ++ b) = crc(crc(a), b) */
    assert_int_equal(conseco__crc32(conseco__crc32(0, check, 4), check + 4, 5), 0xCBF43926u);
}

/* ----------------------------------------------------------------- golden */
/* Threshold (0.5, 1.0), tau 0.1, scores {0.75, +inf}: every byte by hand. */
static const unsigned char golden_threshold[132] = {
    'C', 'N', 'S', 'C',                     /* magic */
    0x01, 0x00,                             /* format version 1 */
    0x70, 0x00,                             /* header length 112 */
    0x01, 0x00, 0x00, 0x00,                 /* kind THRESHOLD */
    0x00, 0x00, 0x00, 0x00,                 /* element (unused) */
    0x00, 0x00, 0x00, 0x00,                 /* border (unused) */
    0x00, 0x00, 0x00, 0x00,                 /* reserved */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, /* base 0.5 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, /* top 1.0 */
    't', 'h', 'r', 'e', 's', 'h', 'o', 'l', 'd', 0, 0, 0, 0, 0, 0, 0, /* name */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x01, 0x00, 0x00, 0x00,                 /* domain REAL */
    0x00, 0x00, 0x00, 0x00,                 /* reserved */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE0, 0x3F, /* lambda_min 0.5 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, /* lambda_max 1.0 */
    0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0x3F, /* tau 0.1 */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* count 2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE8, 0x3F, /* 0.75 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x7F, /* +inf */
    0x83, 0xD6, 0x83, 0x88,                 /* CRC-32 0x8883D683 */
};

/* Erosion (SQUARE, BACKGROUND, base 0.25), tau 0, scores {3, -0.0}. */
static const unsigned char golden_erosion[132] = {
    'C', 'N', 'S', 'C', 0x01, 0x00, 0x70, 0x00,
    0x02, 0x00, 0x00, 0x00,                 /* kind EROSION */
    0x02, 0x00, 0x00, 0x00,                 /* element SQUARE */
    0x02, 0x00, 0x00, 0x00,                 /* border BACKGROUND */
    0x00, 0x00, 0x00, 0x00,                 /* reserved */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xD0, 0x3F, /* base 0.25 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* top (unused) */
    'e', 'r', 'o', 's', 'i', 'o', 'n', 0, 0, 0, 0, 0, 0, 0, 0, 0, /* name */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x02, 0x00, 0x00, 0x00,                 /* domain INTEGER */
    0x00, 0x00, 0x00, 0x00,                 /* reserved */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* lambda_min 0 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x7F, /* lambda_max +inf */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* tau 0 */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* count 2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x40, /* 3.0 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, /* -0.0 */
    0x9D, 0xDD, 0x6B, 0xBC,                 /* CRC-32 0xBC6BDD9D */
};

static void check_golden(conseco_calibrator *c, const unsigned char *golden, size_t size,
                         double s0, double s1)
{
    unsigned char buf[132];
    size_t written = 0, n;
    double out[2];
    assert_int_equal(size, sizeof buf);
    assert_int_equal(conseco_calibrator_add_score(c, s0), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, s1), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save_size(c), sizeof buf);
    assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, &written), CONSECO_OK);
    assert_int_equal(written, sizeof buf);
    assert_memory_equal(buf, golden, sizeof buf);
    /* and the golden bytes load back bit for bit */
    assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(c, golden, size), CONSECO_OK);
    assert_int_equal(conseco_calibrator_scores(c, out, 2, &n), CONSECO_OK);
    assert_int_equal(n, 2);
    assert_true(bits(out[0]) == bits(s0) && bits(out[1]) == bits(s1));
}

static void test_golden_threshold(void **state)
{
    conseco_calibrator *c = threshold_cal(0.5, 1.0, 0.1);
    conseco_state_info info;
    (void)state;
    check_golden(c, golden_threshold, sizeof golden_threshold, 0.75, INFINITY);
    memset(&info, 0xEE, sizeof info);
    info.struct_size = sizeof info;
    assert_int_equal(conseco_state_inspect(golden_threshold, sizeof golden_threshold, &info),
                     CONSECO_OK);
    assert_int_equal(info.format_version, 1);
    assert_int_equal(info.kind, CONSECO_KIND_THRESHOLD);
    assert_true(info.threshold.base == 0.5 && info.threshold.top == 1.0);
    assert_int_equal(info.erosion.element, 0);
    assert_int_equal(info.domain, CONSECO_DOMAIN_REAL);
    assert_true(info.lambda_min == 0.5 && info.lambda_max == 1.0);
    assert_string_equal(info.name, "threshold");
    assert_true(info.tau == 0.1);
    assert_true(info.count == 2);
    conseco_calibrator_free(c);
}

static void test_golden_erosion(void **state)
{
    conseco_calibrator *c =
        erosion_cal(CONSECO_ELEMENT_SQUARE, CONSECO_BORDER_BACKGROUND, 0.25, 0.0);
    conseco_state_info info;
    (void)state;
    check_golden(c, golden_erosion, sizeof golden_erosion, 3.0, -0.0);
    info.struct_size = sizeof info;
    assert_int_equal(conseco_state_inspect(golden_erosion, sizeof golden_erosion, &info),
                     CONSECO_OK);
    assert_int_equal(info.kind, CONSECO_KIND_EROSION);
    assert_int_equal(info.erosion.element, CONSECO_ELEMENT_SQUARE);
    assert_int_equal(info.erosion.border, CONSECO_BORDER_BACKGROUND);
    assert_true(info.erosion.base == 0.25);
    assert_true(info.threshold.base == 0.0 && info.threshold.top == 0.0);
    assert_int_equal(info.domain, CONSECO_DOMAIN_INTEGER);
    assert_true(info.lambda_min == 0.0 && info.lambda_max == INFINITY);
    assert_string_equal(info.name, "erosion");
    assert_true(bits(info.tau) == bits(0.0));
    assert_true(info.count == 2);
    conseco_calibrator_free(c);
}

/* -------------------------------------------------------------- round trip */
static void fill_awkward(conseco_calibrator *c, tu_rng *r, size_t n)
{
    static const double special[] = {0.0, -0.0, INFINITY, 5e-324, 1.7976931348623157e308,
                                     -2.5, 0.1, 1.0};
    size_t i;
    for (i = 0; i < n; i++) {
        double s = i < sizeof special / sizeof special[0] ? special[i] : tu_uniform(r);
        assert_int_equal(conseco_calibrator_add_score(c, s), CONSECO_OK);
    }
}

static void round_trip(conseco_calibrator *a, conseco_calibrator *b)
{
    unsigned char *buf;
    size_t size;
    snapshot sa;
    buf = save_all(a, &size);
    assert_int_equal(conseco_calibrator_add_score(b, 0.123), CONSECO_OK); /* replaced */
    assert_int_equal(conseco_calibrator_load(b, buf, size), CONSECO_OK);
    take(a, &sa);
    assert_unchanged(b, &sa);
    free(buf);
}

static void test_round_trip_every_kind(void **state)
{
    tu_rng r = {1};
    conseco_shrinker_vtable vt = custom_vt("my-shrinker", CONSECO_DOMAIN_INTEGER, -3.0, 40.0);
    conseco_calibrator *a, *b;
    conseco_state_info info;
    unsigned char *buf;
    size_t size, n;
    (void)state;

    a = threshold_cal(0.3, 0.9, 0.05);
    b = threshold_cal(0.3, 0.9, 0.05);
    fill_awkward(a, &r, 40);
    round_trip(a, b);
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);

    a = erosion_cal(CONSECO_ELEMENT_DISK, CONSECO_BORDER_FOREGROUND, 0.5, 1.0);
    b = erosion_cal(CONSECO_ELEMENT_DISK, CONSECO_BORDER_FOREGROUND, 0.5, 1.0);
    fill_awkward(a, &r, 3);
    round_trip(a, b);
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);

    /* custom: identified by name, domain and range */
    a = custom_cal(&vt, 0.2);
    b = custom_cal(&vt, 0.2);
    fill_awkward(a, &r, 17);
    round_trip(a, b);
    buf = save_all(a, &size);
    info.struct_size = sizeof info;
    assert_int_equal(conseco_state_inspect(buf, size, &info), CONSECO_OK);
    assert_int_equal(info.kind, CONSECO_KIND_CUSTOM);
    assert_string_equal(info.name, "my-shrinker");
    assert_int_equal(info.domain, CONSECO_DOMAIN_INTEGER);
    assert_true(info.lambda_min == -3.0 && info.lambda_max == 40.0);
    assert_true(info.tau == 0.2);
    assert_true(info.count == 17);
    free(buf);
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);

    /* an empty calibrator round-trips to an empty one */
    a = threshold_cal(0.5, 1.0, 0.1);
    b = threshold_cal(0.5, 1.0, 0.1);
    round_trip(a, b);
    assert_int_equal(conseco_calibrator_count(b), 0);
    assert_int_equal(conseco_calibrator_scores(b, NULL, 0, &n), CONSECO_OK);
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);
}

static void test_load_into_static(void **state)
{
    static uint64_t ws[256];
    conseco_threshold_params tp = {sizeof(conseco_threshold_params), 0, 0.5, 1.0};
    conseco_calibrator_config cfg;
    conseco_calibrator *s = NULL, *a = threshold_cal(0.5, 1.0, 0.1);
    tu_rng r = {2};
    unsigned char *buf;
    size_t size;
    snapshot before;
    (void)state;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_threshold(&tp);
    cfg.tau = 0.1;
    cfg.capacity = 4;
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &s), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(s, 0.9), CONSECO_OK);
    take(s, &before);
    fill_awkward(a, &r, 5);
    buf = save_all(a, &size);
    assert_int_equal(conseco_calibrator_load(s, buf, size), CONSECO_E_FULL);
    assert_unchanged(s, &before);
    free(buf);
    assert_int_equal(conseco_calibrator_reset(a), CONSECO_OK);
    fill_awkward(a, &r, 4);
    round_trip(a, s);
    conseco_calibrator_free(a);
}

/* ------------------------------------------------------------- save errors */
static void test_save_errors(void **state)
{
    conseco_calibrator *c = threshold_cal(0.5, 1.0, 0.1);
    unsigned char buf[256];
    size_t need, written = 777, i;
    tu_rng r = {3};
    (void)state;
    fill_awkward(c, &r, 10);
    need = conseco_calibrator_save_size(c);
    assert_int_equal(need, 112 + 10 * 8 + 4);
    assert_int_equal(conseco_calibrator_save_size(NULL), 0);
    memset(buf, 0xEE, sizeof buf);
    assert_int_equal(conseco_calibrator_save(c, buf, need - 1, &written),
                     CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(written, 777);
    for (i = need - 1; i < sizeof buf; i++) assert_int_equal(buf[i], 0xEE);
    assert_int_equal(conseco_calibrator_save(c, buf, 0, &written), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(conseco_calibrator_save(NULL, buf, need, &written), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_save(c, NULL, need, &written), CONSECO_E_NULL);
    /* a larger buffer is fine; nothing is written past the state; written is optional */
    assert_int_equal(conseco_calibrator_save(c, buf, sizeof buf, NULL), CONSECO_OK);
    for (i = need; i < sizeof buf; i++) assert_int_equal(buf[i], 0xEE);
    assert_int_equal(conseco_state_inspect(buf, need, &(conseco_state_info){.struct_size = sizeof(conseco_state_info)}), CONSECO_OK);
    conseco_calibrator_free(c);
}

/* ------------------------------------------------------------- rejection */
/* A state of a few scores and a calibrator of the same settings holding
 * something else, so that "unchanged" is visible. */
typedef struct fixture {
    conseco_calibrator *c;
    unsigned char *buf;
    size_t size;
    snapshot before;
} fixture;

static void fixture_open(fixture *f)
{
    conseco_calibrator *src = threshold_cal(0.5, 1.0, 0.1);
    tu_rng r = {4};
    fill_awkward(src, &r, 6);
    f->buf = save_all(src, &f->size);
    conseco_calibrator_free(src);
    f->c = threshold_cal(0.5, 1.0, 0.1);
    assert_int_equal(conseco_calibrator_add_score(f->c, 0.625), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(f->c, INFINITY), CONSECO_OK);
    take(f->c, &f->before);
}

static void fixture_close(fixture *f)
{
    assert_unchanged(f->c, &f->before);
    conseco_calibrator_free(f->c);
    free(f->buf);
}

static int expect_load(fixture *f, const unsigned char *b, size_t size)
{
    conseco_state_info info;
    int rc = conseco_calibrator_load(f->c, b, size);
    /* inspect runs the same checks (settings aside) */
    info.struct_size = sizeof info;
    if (rc != CONSECO_E_INCOMPATIBLE) assert_int_equal(conseco_state_inspect(b, size, &info), rc);
    assert_unchanged(f->c, &f->before);
    return rc;
}

static void test_every_truncation_rejected(void **state)
{
    fixture f;
    size_t len;
    (void)state;
    fixture_open(&f);
    for (len = 0; len < f.size; len++) {
        unsigned char *copy = malloc(len + 1); /* exact length, so ASan sees overreads */
        assert_non_null(copy);
        memcpy(copy, f.buf, len);
        assert_int_equal(expect_load(&f, copy, len), CONSECO_E_TRUNCATED);
        free(copy);
    }
    fixture_close(&f);
}

static void test_every_bit_flip_rejected(void **state)
{
    fixture f;
    size_t byte;
    int bit;
    (void)state;
    fixture_open(&f);
    for (byte = 0; byte < f.size; byte++)
        for (bit = 0; bit < 8; bit++) {
            int rc;
            f.buf[byte] ^= (unsigned char)(1u << bit);
            rc = expect_load(&f, f.buf, f.size);
            f.buf[byte] ^= (unsigned char)(1u << bit);
            if (byte < 4) assert_int_equal(rc, CONSECO_E_FOREIGN);
            else if (byte < 6) /* another known version (3: risk) has another header length */
                assert_true(rc == CONSECO_E_VERSION || rc == CONSECO_E_CORRUPT);
            else if (byte >= 104 && byte < 112) /* count: the length no longer fits */
                assert_true(rc == CONSECO_E_TRUNCATED || rc == CONSECO_E_CORRUPT);
            else assert_int_equal(rc, CONSECO_E_CORRUPT);
        }
    /* and the unflipped state still loads */
    assert_int_equal(conseco_calibrator_load(f.c, f.buf, f.size), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(f.c), 6);
    assert_int_equal(conseco_calibrator_reset(f.c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(f.c, 0.625), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(f.c, INFINITY), CONSECO_OK);
    fixture_close(&f);
}

static void test_foreign_version_trailing(void **state)
{
    fixture f;
    unsigned char png[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    unsigned char *longer;
    (void)state;
    fixture_open(&f);
    assert_int_equal(expect_load(&f, png, sizeof png), CONSECO_E_FOREIGN);
    assert_int_equal(expect_load(&f, (const unsigned char *)"CN", 2), CONSECO_E_TRUNCATED);
    assert_int_equal(expect_load(&f, (const unsigned char *)"CX", 2), CONSECO_E_FOREIGN);
    assert_int_equal(conseco_calibrator_load(f.c, NULL, 10), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_load(NULL, f.buf, f.size), CONSECO_E_NULL);
    assert_int_equal(conseco_state_inspect(f.buf, f.size, NULL), CONSECO_E_NULL);
    assert_int_equal(conseco_state_inspect(NULL, f.size, &(conseco_state_info){.struct_size = sizeof(conseco_state_info)}),
                     CONSECO_E_NULL);

    /* a future version, even with a valid checksum */
    f.buf[4] = 4;
    reseal(f.buf, f.size);
    assert_int_equal(expect_load(&f, f.buf, f.size), CONSECO_E_VERSION);
    f.buf[4] = 0;
    f.buf[5] = 1; /* 256 */
    reseal(f.buf, f.size);
    assert_int_equal(expect_load(&f, f.buf, f.size), CONSECO_E_VERSION);
    f.buf[4] = 1;
    f.buf[5] = 0;
    reseal(f.buf, f.size);

    /* trailing bytes after the CRC */
    longer = malloc(f.size + 1);
    assert_non_null(longer);
    memcpy(longer, f.buf, f.size);
    longer[f.size] = 0;
    assert_int_equal(expect_load(&f, longer, f.size + 1), CONSECO_E_CORRUPT);
    free(longer);
    fixture_close(&f);
}

/* Fields that are wrong although the checksum matches. */
static void test_bad_fields_with_valid_crc(void **state)
{
    fixture f;
    unsigned char *b;
    (void)state;
    fixture_open(&f);
    b = malloc(f.size);
    assert_non_null(b);
#define EDIT_AND_EXPECT(edit, status)                                                      \
    do {                                                                                   \
        memcpy(b, f.buf, f.size);                                                          \
        edit;                                                                              \
        reseal(b, f.size);                                                                 \
        assert_int_equal(expect_load(&f, b, f.size), status);                              \
    } while (0)
    /* resealing an unedited state changes nothing: only the edit is judged */
    memcpy(b, f.buf, f.size);
    reseal(b, f.size);
    assert_memory_equal(b, f.buf, f.size);

    /* scores: NaN (any payload) and -inf are not scores */
    EDIT_AND_EXPECT(put_le64(b + 112, UINT64_C(0x7FF8000000000000)), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(put_le64(b + 120, UINT64_C(0xFFF0000000000001)), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(put_le64(b + 112 + 5 * 8, bits(-INFINITY)), CONSECO_E_CORRUPT);
    /* header fields */
    EDIT_AND_EXPECT(b[6] = 113, CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(b[8] = 7, CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(b[8] = 2, CONSECO_E_CORRUPT);  /* erosion with threshold fields */
    EDIT_AND_EXPECT(b[12] = 1, CONSECO_E_CORRUPT); /* element on a threshold */
    EDIT_AND_EXPECT(b[20] = 1, CONSECO_E_CORRUPT); /* reserved */
    EDIT_AND_EXPECT(b[76] = 1, CONSECO_E_CORRUPT); /* reserved */
    EDIT_AND_EXPECT(put_le64(b + 24, bits(2.0)), CONSECO_E_CORRUPT);      /* base > top */
    EDIT_AND_EXPECT(put_le64(b + 24, bits(NAN)), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(put_le64(b + 80, bits(0.4)), CONSECO_E_CORRUPT);      /* lambda_min != base */
    EDIT_AND_EXPECT(put_le64(b + 88, bits(INFINITY)), CONSECO_E_CORRUPT); /* lambda_max != top */
    EDIT_AND_EXPECT(b[72] = 2, CONSECO_E_CORRUPT);                        /* domain */
    EDIT_AND_EXPECT(put_le64(b + 96, bits(1.5)), CONSECO_E_CORRUPT);      /* tau */
    EDIT_AND_EXPECT(put_le64(b + 96, bits(NAN)), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(put_le64(b + 96, bits(-0.25)), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(memset(b + 40, 'x', 32), CONSECO_E_CORRUPT);          /* no NUL */
    EDIT_AND_EXPECT(b[40 + 20] = 'x', CONSECO_E_CORRUPT);                 /* junk after NUL */
    EDIT_AND_EXPECT(b[40 + 8] = 'D', CONSECO_E_CORRUPT);                  /* not the name */
    /* count disagreeing with the length */
    EDIT_AND_EXPECT(put_le64(b + 104, UINT64_MAX), CONSECO_E_TRUNCATED);
    EDIT_AND_EXPECT(put_le64(b + 104, UINT64_MAX / 8), CONSECO_E_TRUNCATED);
    EDIT_AND_EXPECT(b[104] = 7, CONSECO_E_TRUNCATED);
    EDIT_AND_EXPECT(b[104] = 5, CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT(b[104] = 0, CONSECO_E_CORRUPT);

    /* a custom shrinker that happens to be called "threshold" is well formed,
     * but it is not the built-in one */
#define AS_CUSTOM (b[8] = 0, put_le64(b + 24, 0), put_le64(b + 32, 0))
    EDIT_AND_EXPECT(AS_CUSTOM, CONSECO_E_INCOMPATIBLE);
    EDIT_AND_EXPECT((AS_CUSTOM, b[72] = 3), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT((AS_CUSTOM, b[72] = 0), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT((AS_CUSTOM, put_le64(b + 88, bits(NAN))), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT((AS_CUSTOM, put_le64(b + 80, bits(INFINITY))), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT((AS_CUSTOM, put_le64(b + 80, bits(3.0))), CONSECO_E_CORRUPT); /* max < min */
    EDIT_AND_EXPECT((AS_CUSTOM, b[16] = 1), CONSECO_E_CORRUPT);
    EDIT_AND_EXPECT((AS_CUSTOM, put_le64(b + 88, bits(INFINITY))), CONSECO_E_INCOMPATIBLE);
#undef AS_CUSTOM
#undef EDIT_AND_EXPECT
    free(b);
    fixture_close(&f);
}

/* Settings that differ from the calibrator's: nothing loads. */
static void test_other_settings_incompatible(void **state)
{
    conseco_shrinker_vtable vt = custom_vt("alpha", CONSECO_DOMAIN_REAL, 0.0, 1.0);
    conseco_shrinker_vtable vt_name = custom_vt("beta", CONSECO_DOMAIN_REAL, 0.0, 1.0);
    conseco_shrinker_vtable vt_dom = custom_vt("alpha", CONSECO_DOMAIN_INTEGER, 0.0, 1.0);
    conseco_shrinker_vtable vt_max = custom_vt("alpha", CONSECO_DOMAIN_REAL, 0.0, 2.0);
    conseco_calibrator *targets[9];
    conseco_calibrator *src = threshold_cal(0.5, 1.0, 0.1);
    conseco_calibrator *csrc = custom_cal(&vt, 0.1);
    unsigned char *buf, *cbuf;
    size_t size, csize, i;
    (void)state;
    assert_int_equal(conseco_calibrator_add_score(src, 0.7), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(csrc, 0.7), CONSECO_OK);
    buf = save_all(src, &size);
    cbuf = save_all(csrc, &csize);
    targets[0] = threshold_cal(0.5, 1.0, 0.2);  /* tau */
    targets[1] = threshold_cal(0.5, 1.0, 0.1000000000000001);
    targets[2] = threshold_cal(0.4, 1.0, 0.1);  /* base */
    targets[3] = threshold_cal(0.5, 0.99, 0.1); /* top */
    targets[4] = erosion_cal(CONSECO_ELEMENT_CROSS, CONSECO_BORDER_FOREGROUND, 0.5, 0.1);
    targets[5] = custom_cal(&vt_name, 0.1);
    targets[6] = custom_cal(&vt_dom, 0.1);
    targets[7] = custom_cal(&vt_max, 0.1);
    targets[8] = custom_cal(&vt, 0.3);
    for (i = 0; i < 9; i++) {
        snapshot before;
        assert_int_equal(conseco_calibrator_add_score(targets[i], 0.5), CONSECO_OK);
        take(targets[i], &before);
        assert_int_equal(conseco_calibrator_load(targets[i], buf, size), CONSECO_E_INCOMPATIBLE);
        assert_unchanged(targets[i], &before);
        assert_int_equal(conseco_calibrator_load(targets[i], cbuf, csize),
                         CONSECO_E_INCOMPATIBLE);
        assert_unchanged(targets[i], &before);
        conseco_calibrator_free(targets[i]);
    }
    /* the matching ones do load */
    targets[0] = custom_cal(&vt, 0.1);
    assert_int_equal(conseco_calibrator_load(targets[0], cbuf, csize), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(targets[0], buf, size), CONSECO_E_INCOMPATIBLE);
    conseco_calibrator_free(targets[0]);
    free(buf);
    free(cbuf);
    conseco_calibrator_free(src);
    conseco_calibrator_free(csrc);
}

/* Loading more scores than fit allocates; when that fails nothing changes. */
static void test_load_allocation_failure(void **state)
{
    conseco_threshold_params tp = {sizeof(conseco_threshold_params), 0, 0.5, 1.0};
    conseco_calibrator_config cfg;
    conseco_calibrator *src = threshold_cal(0.5, 1.0, 0.1), *c = NULL;
    conseco_allocator a;
    af_state s;
    unsigned char *buf;
    size_t size, i;
    snapshot before;
    tu_rng r = {5};
    (void)state;
    for (i = 0; i < 60; i++) assert_int_equal(conseco_calibrator_add_score(src, tu_uniform(&r)), 0);
    buf = save_all(src, &size);
    af_init(&s, 3); /* object, initial scores, then the load's growth */
    a = af_allocator(&s);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_threshold(&tp);
    cfg.tau = 0.1;
    cfg.capacity = 4;
    assert_int_equal(conseco_calibrator_create(&cfg, &a, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, 0.9), CONSECO_OK);
    take(c, &before);
    assert_int_equal(conseco_calibrator_load(c, buf, size), CONSECO_E_NO_MEMORY);
    assert_int_equal(s.failed, 1);
    assert_unchanged(c, &before);
    assert_int_equal(conseco_calibrator_load(c, buf, size), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(c), 60);
    conseco_calibrator_free(c);
    assert_int_equal(s.live, 0);
    conseco_calibrator_free(src);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_reference_values),
        cmocka_unit_test(test_golden_threshold),
        cmocka_unit_test(test_golden_erosion),
        cmocka_unit_test(test_round_trip_every_kind),
        cmocka_unit_test(test_load_into_static),
        cmocka_unit_test(test_save_errors),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_every_bit_flip_rejected),
        cmocka_unit_test(test_foreign_version_trailing),
        cmocka_unit_test(test_bad_fields_with_valid_crc),
        cmocka_unit_test(test_other_settings_incompatible),
        cmocka_unit_test(test_load_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
