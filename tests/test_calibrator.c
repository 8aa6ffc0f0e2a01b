/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The opaque calibrator: config validation, score storage, lambda_hat against
 * a sort-based reference, merge compatibility, ownership of the user pointer,
 * the static (no-malloc) life, and allocation failure at every point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"
#include "api/api.h"

#include "alloc_fail.h"
#include "test_util.h"

/* ------------------------------------------------------------- helpers */
static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static conseco_calibrator_config threshold_config(conseco_threshold_params *p, double tau)
{
    conseco_calibrator_config cfg;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_threshold(p);
    cfg.tau = tau;
    return cfg;
}

static conseco_calibrator_config erosion_config(conseco_erosion_params *p, double tau)
{
    conseco_calibrator_config cfg;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker = conseco_shrinker_erosion(p);
    cfg.tau = tau;
    return cfg;
}

/* A custom level-map shrinker: levels = the scores themselves inside
 * Yhat = {s >= 0.5}, like the threshold shrinker, but through the vtable. */
typedef struct custom_user {
    int destroyed;
} custom_user;

static int custom_levels(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t x, y, z, i = 0;
    (void)user;
    if (count != pred->width * pred->height * pred->depth) return 1;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++)
            for (x = 0; x < pred->width; x++) {
                double s = conseco__pixel(pred->dtype, conseco__image_row(pred, y, z), x);
                levels[i++] = s >= 0.5 ? s : -conseco__inf();
            }
    return 0;
}

static int custom_levels_other(void *user, const conseco_image *pred, double *levels,
                               size_t count)
{
    return custom_levels(user, pred, levels, count);
}

static void custom_destroy(void *user) { ((custom_user *)user)->destroyed++; }

static conseco_shrinker_vtable custom_vtable(const char *name)
{
    conseco_shrinker_vtable vt;
    memset(&vt, 0, sizeof vt);
    vt.struct_size = (uint32_t)sizeof vt;
    vt.version = CONSECO_SHRINKER_VERSION;
    vt.name = name;
    vt.domain = CONSECO_DOMAIN_REAL;
    vt.lambda_min = 0.0; /* an integer, so the domain alone can be flipped */
    vt.lambda_max = 1.0;
    vt.levels = custom_levels;
    vt.destroy = custom_destroy;
    return vt;
}

/* Independent rank: alpha = p / q exactly, k = ceil((n + 1)(q - p) / q). */
static size_t ref_rank(size_t n, uint64_t p, uint64_t q)
{
    return (size_t)(((uint64_t)(n + 1) * (q - p) + q - 1) / q);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The literal definition: sort, take the k-th smallest, +inf when k > n. */
static double ref_lambda_hat(const double *v, size_t n, size_t k)
{
    double *s, r;
    if (k > n) return INFINITY;
    s = malloc(n * sizeof *s);
    assert_non_null(s);
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    r = s[k - 1];
    free(s);
    return r;
}

/* A random score map (f64 or u8) with ties and a random truth mask. */
typedef struct pair {
    double f[64 * 64];
    uint8_t u[64 * 64];
    uint8_t truth[64 * 64];
    conseco_image pred;
    conseco_mask mask;
} pair;

static void make_pair(pair *p, tu_rng *r, size_t w, size_t h, int use_u8)
{
    size_t i, n = w * h;
    assert_true(n <= 64 * 64);
    for (i = 0; i < n; i++) {
        /* a coarse grid of values gives ties, including exactly 0.5 */
        p->f[i] = (double)tu_range(r, 0, 16) / 16.0;
        p->u[i] = (uint8_t)tu_range(r, 0, 255);
        p->truth[i] = (uint8_t)(tu_range(r, 0, 2) != 0);
    }
    if (use_u8)
        p->pred = conseco_image_2d(p->u, w, h, w, CONSECO_DTYPE_U8);
    else
        p->pred = conseco_image_2d(p->f, w, h, w * sizeof(double), CONSECO_DTYPE_F64);
    p->mask = conseco_mask_2d(p->truth, w, h, w);
}

/* conseco_score() with ample scratch: what add() must reproduce. */
static int reference_score(const conseco_shrinker *s, const pair *p, double tau, double *out)
{
    size_t need = conseco_scratch_size(s, p->pred.width, p->pred.height, p->pred.depth);
    void *scratch;
    int rc;
    assert_true(need > 0);
    scratch = malloc(need);
    assert_non_null(scratch);
    rc = conseco_score(s, &p->pred, &p->mask, tau, scratch, need, out);
    free(scratch);
    return rc;
}

/* An allocator that hands out odd addresses: memory that cannot hold
 * doubles must be refused (and given back), not used. */
typedef struct odd_alloc {
    size_t allocs, frees;
} odd_alloc;

static void *odd_alloc_fn(void *opaque, size_t size)
{
    unsigned char *b = test_malloc(size + 1);
    ((odd_alloc *)opaque)->allocs++;
    return b + 1;
}

static void odd_free_fn(void *opaque, void *ptr)
{
    ((odd_alloc *)opaque)->frees++;
    test_free((unsigned char *)ptr - 1);
}

/* ---------------------------------------------------------------- config */
static void test_config_init(void **state)
{
    conseco_calibrator_config cfg;
    (void)state;
    memset(&cfg, 0xA5, sizeof cfg);
    conseco_calibrator_config_init(&cfg);
    assert_int_equal(cfg.struct_size, sizeof cfg);
    assert_int_equal(cfg.flags, 0);
    assert_true(cfg.capacity > 0);
    assert_null(cfg.shrinker.vtable);
    assert_true(cfg.tau == 0.0);
    assert_int_equal(cfg.max_width, 0);
    conseco_calibrator_config_init(NULL); /* harmless */
}

static void test_create_rejects_bad_config(void **state)
{
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = (conseco_calibrator *)&cfg; /* must be reset to NULL */
    conseco_allocator half = {NULL, NULL, NULL};
    conseco_shrinker_vtable vt = custom_vtable("a-name-that-is-longer-than-31-bytes");
    custom_user user = {0};
    (void)state;
    conseco_threshold_params_default(&tp);
    conseco_erosion_params_default(&ep);

    assert_int_equal(conseco_calibrator_create(NULL, NULL, &c), CONSECO_E_NULL);
    assert_null(c);
    cfg = threshold_config(&tp, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, NULL), CONSECO_E_NULL);

    /* below the 0.2 layout (the members after max_depth are optional) */
    cfg.struct_size = (uint32_t)(offsetof(conseco_calibrator_config, max_depth) + sizeof(size_t) - 1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_INVALID_ARG);
    cfg.struct_size = 0;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_INVALID_ARG);
    cfg = threshold_config(&tp, 0.1);
    cfg.flags = 2;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_INVALID_ARG);

    cfg = threshold_config(&tp, NAN);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_BAD_TAU);
    cfg = threshold_config(&tp, -0.01);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_BAD_TAU);
    cfg = threshold_config(&tp, 1.01);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_BAD_TAU);
    assert_null(c);

    cfg = threshold_config(&tp, 0.1);
    cfg.shrinker.vtable = NULL;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_NULL);
    cfg = threshold_config(NULL, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_NULL);
    tp.base = 0.9;
    tp.top = 0.5;
    cfg = threshold_config(&tp, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_BAD_SHRINKER);
    ep.element = 99;
    cfg = erosion_config(&ep, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_BAD_SHRINKER);

    /* a custom name must fit the 31 bytes the saved state holds; on failure
     * the caller keeps ownership: destroy is not called */
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = &user;
    cfg.flags = CONSECO_CALIBRATOR_OWNS_USER;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_BAD_SHRINKER);
    assert_int_equal(user.destroyed, 0);
    assert_null(c);

    /* an initial reservation that cannot be a size in bytes */
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    cfg.capacity = (size_t)-1 / 4;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_OVERFLOW);
    assert_null(c);

    /* an allocator with one function set is a bug, not "use malloc" */
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    half.alloc = NULL;
    half.free = odd_free_fn;
    assert_int_equal(conseco_calibrator_create(&cfg, &half, &c), CONSECO_E_NULL);
    assert_null(c);
}

static void test_params_are_copied(void **state)
{
    conseco_threshold_params tp = {sizeof(conseco_threshold_params), 0, 0.25, 0.75};
    conseco_calibrator_config cfg = threshold_config(&tp, 0.2);
    conseco_calibrator *c = NULL;
    conseco_shrinker s;
    double tau = -1;
    const conseco_threshold_params *held;
    (void)state;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    tp.base = 0.9; /* the caller's params may change or die */
    tp.top = 0.95;
    assert_int_equal(conseco_calibrator_settings(c, &tau, &s), CONSECO_OK);
    assert_true(tau == 0.2);
    assert_ptr_equal(s.vtable, conseco_threshold_vtable());
    assert_ptr_not_equal(s.user, &tp);
    held = (const conseco_threshold_params *)s.user;
    assert_true(held->base == 0.25 && held->top == 0.75);
    assert_int_equal(conseco_shrinker_validate(&s), CONSECO_OK);
    assert_int_equal(conseco_calibrator_settings(c, NULL, NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_settings(NULL, &tau, &s), CONSECO_E_NULL);
    conseco_calibrator_free(c);
}

/* The vtable is copied too: the caller's may be a stack temporary. */
static conseco_calibrator *create_custom_from_temporary(custom_user *user, uint32_t flags)
{
    conseco_shrinker_vtable vt = custom_vtable("blob-levels");
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    char name[16] = "blob-levels";
    vt.name = name;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = user;
    cfg.flags = flags;
    cfg.tau = 0.1;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    memset(&vt, 0, sizeof vt);
    memset(name, 'X', sizeof name);
    return c;
}

static void test_custom_vtable_is_copied(void **state)
{
    custom_user user = {0};
    conseco_calibrator *c = create_custom_from_temporary(&user, 0);
    conseco_shrinker s;
    (void)state;
    assert_int_equal(conseco_calibrator_settings(c, NULL, &s), CONSECO_OK);
    assert_ptr_equal(s.user, &user);
    assert_string_equal(s.vtable->name, "blob-levels");
    assert_true(s.vtable->levels == custom_levels);
    assert_true(s.vtable->lambda_min == 0.0 && s.vtable->lambda_max == 1.0);
    assert_int_equal(conseco_shrinker_validate(&s), CONSECO_OK);
    conseco_calibrator_free(c);
    assert_int_equal(user.destroyed, 0); /* not owned */
}

/* --------------------------------------------------------------- ownership */
static void test_owned_user_destroyed_once(void **state)
{
    custom_user user = {0};
    conseco_calibrator *c = create_custom_from_temporary(&user, CONSECO_CALIBRATOR_OWNS_USER);
    (void)state;
    assert_int_equal(conseco_calibrator_add_score(c, 0.7), CONSECO_OK);
    assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
    assert_int_equal(user.destroyed, 0);
    conseco_calibrator_free(c);
    assert_int_equal(user.destroyed, 1);
    conseco_calibrator_free(NULL); /* no-op */
}

static void test_owned_user_static(void **state)
{
    custom_user user = {0};
    conseco_shrinker_vtable vt = custom_vtable("static-one");
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    static uint64_t ws[1024];
    (void)state;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = &user;
    cfg.flags = CONSECO_CALIBRATOR_OWNS_USER;
    cfg.capacity = 8;
    assert_true(conseco_calibrator_workspace_size(&cfg) <= sizeof ws);
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &c), CONSECO_OK);
    conseco_calibrator_free(c);
    assert_int_equal(user.destroyed, 1);
}

static void test_old_vtable_without_destroy(void **state)
{
    /* 0.2: version 1 declares destroy, so a struct_size that stops before it is
     * refused (CONSECO_E_BAD_SHRINKER) and nothing past it is read or called */
    custom_user user = {0};
    conseco_shrinker_vtable vt = custom_vtable("old");
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    (void)state;
    vt.struct_size = (uint32_t)offsetof(conseco_shrinker_vtable, destroy);
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = &user;
    cfg.flags = CONSECO_CALIBRATOR_OWNS_USER;
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_E_BAD_SHRINKER);
    assert_null(c);
    conseco_calibrator_free(c);
    assert_int_equal(user.destroyed, 0);
}

/* ------------------------------------------------------------------ scores */
static void test_add_score_and_copy_out(void **state)
{
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    double out[8], *all;
    size_t n = 99, i;
    const size_t many = 10000;
    (void)state;
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    cfg.capacity = 0; /* "small": must still grow */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(c), 0);
    assert_int_equal(conseco_calibrator_count(NULL), 0);
    assert_int_equal(conseco_calibrator_scores(c, NULL, 0, &n), CONSECO_OK);
    assert_int_equal(n, 0);

    assert_int_equal(conseco_calibrator_add_score(c, NAN), CONSECO_E_BAD_SCORE);
    assert_int_equal(conseco_calibrator_add_score(c, -INFINITY), CONSECO_E_BAD_SCORE);
    assert_int_equal(conseco_calibrator_add_score(NULL, 0.5), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_count(c), 0);
    assert_int_equal(conseco_calibrator_add_score(c, INFINITY), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, -0.0), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, -1e300), CONSECO_OK); /* any finite */
    assert_int_equal(conseco_calibrator_add_score(c, 0.625), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(c), 4);

    /* partial copy: up to capacity, count tells n */
    assert_int_equal(conseco_calibrator_scores(c, out, 2, &n), CONSECO_OK);
    assert_int_equal(n, 4);
    assert_true(out[0] == INFINITY && bits(out[1]) == bits(-0.0));
    assert_int_equal(conseco_calibrator_scores(c, out, 8, &n), CONSECO_OK);
    assert_true(out[2] == -1e300 && out[3] == 0.625);
    assert_int_equal(conseco_calibrator_scores(c, NULL, 3, &n), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_scores(NULL, out, 3, &n), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_scores(c, out, 8, NULL), CONSECO_OK);

    /* growth keeps every score in storage order */
    assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(c), 0);
    for (i = 0; i < many; i++)
        assert_int_equal(conseco_calibrator_add_score(c, (double)i * 0.5), CONSECO_OK);
    all = malloc(many * sizeof *all);
    assert_non_null(all);
    assert_int_equal(conseco_calibrator_scores(c, all, many, &n), CONSECO_OK);
    assert_int_equal(n, many);
    for (i = 0; i < many; i++) assert_true(all[i] == (double)i * 0.5);
    free(all);
    assert_int_equal(conseco_calibrator_reset(NULL), CONSECO_E_NULL);
    conseco_calibrator_free(c);
}

/* --------------------------------------------------------------- lambda_hat */
static const uint64_t alphas[][2] = {{1, 10}, {1, 20}, {18, 100}, {1, 2},  {7, 10},
                                     {9, 10}, {1, 100}, {1, 4},   {333, 1000}};

static void check_lambda_hat(conseco_calibrator *c, tu_rng *r)
{
    size_t n = conseco_calibrator_count(c), a, got_n, k;
    double *v = malloc((n + 1) * sizeof *v), lh;
    assert_non_null(v);
    assert_int_equal(conseco_calibrator_scores(c, v, n, &got_n), CONSECO_OK);
    for (a = 0; a < sizeof alphas / sizeof alphas[0]; a++) {
        const double alpha = (double)alphas[a][0] / (double)alphas[a][1];
        const size_t k_ref = ref_rank(n, alphas[a][0], alphas[a][1]);
        const double ref = ref_lambda_hat(v, n, k_ref);
        k = 0;
        assert_int_equal(conseco_calibrator_lambda_hat(c, alpha, &lh, &k), CONSECO_OK);
        assert_int_equal(k, k_ref);
        assert_true(bits(lh) == bits(ref));
        /* k_out is optional */
        assert_int_equal(conseco_calibrator_lambda_hat(c, alpha, &lh, NULL), CONSECO_OK);
        assert_true(bits(lh) == bits(ref));
    }
    (void)r;
    free(v);
}

static void test_lambda_hat_matches_sort(void **state)
{
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    tu_rng r = {42};
    size_t trial, i;
    (void)state;
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    for (trial = 0; trial < 300; trial++) {
        const size_t n = tu_range(&r, 0, 250);
        const int style = (int)tu_range(&r, 0, 2);
        assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
        for (i = 0; i < n; i++) {
            double s;
            if (style == 0) s = tu_uniform(&r);                     /* distinct */
            else if (style == 1) s = (double)tu_range(&r, 0, 4) / 4; /* many ties */
            else s = tu_range(&r, 0, 3) == 0 ? INFINITY : tu_uniform(&r);
            assert_int_equal(conseco_calibrator_add_score(c, s), CONSECO_OK);
        }
        check_lambda_hat(c, &r);
    }
    conseco_calibrator_free(c);
}

static void test_lambda_hat_edges(void **state)
{
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    double lh = 0, sorted[5];
    size_t k = 0, i, n;
    (void)state;
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);

    /* n = 0: k = 1 > 0, lambda_hat = +inf */
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.1, &lh, &k), CONSECO_OK);
    assert_true(lh == INFINITY);
    assert_int_equal(k, 1);

    /* n = 5, alpha = 0.1: k = ceil(6 * 0.9) = 6 > 5 */
    for (i = 0; i < 5; i++) assert_int_equal(conseco_calibrator_add_score(c, 0.6), CONSECO_OK);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.1, &lh, &k), CONSECO_OK);
    assert_true(lh == INFINITY);
    assert_int_equal(k, 6);
    /* n = 9, alpha = 0.1: k = 9, the largest; n = 9, alpha = 0.7: k = 3 */
    assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
    for (i = 9; i >= 1; i--)
        assert_int_equal(conseco_calibrator_add_score(c, (double)i / 10), CONSECO_OK);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.1, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 9);
    assert_true(lh == 0.9);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.7, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 3);
    assert_true(lh == 0.3);
    /* +inf is an ordinary, largest value */
    assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, INFINITY), CONSECO_OK);
    for (i = 0; i < 9; i++) assert_int_equal(conseco_calibrator_add_score(c, 0.5), CONSECO_OK);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.1, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 10);
    assert_true(lh == INFINITY);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.2, &lh, &k), CONSECO_OK);
    assert_int_equal(k, 9);
    assert_true(lh == 0.5);

    /* reordering keeps the multiset */
    assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
    for (i = 0; i < 5; i++)
        assert_int_equal(conseco_calibrator_add_score(c, (double)(5 - i)), CONSECO_OK);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.5, &lh, &k), CONSECO_OK);
    assert_int_equal(conseco_calibrator_scores(c, sorted, 5, &n), CONSECO_OK);
    qsort(sorted, 5, sizeof sorted[0], cmp_double);
    for (i = 0; i < 5; i++) assert_true(sorted[i] == (double)(i + 1));

    /* bad alpha and NULLs */
    lh = 7;
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.0, &lh, &k), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 1.0, &lh, &k), CONSECO_E_BAD_ALPHA);
    assert_int_equal(conseco_calibrator_lambda_hat(c, NAN, &lh, &k), CONSECO_E_BAD_ALPHA);
    assert_true(lh == 7);
    assert_int_equal(conseco_calibrator_lambda_hat(NULL, 0.1, &lh, &k), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.1, NULL, &k), CONSECO_E_NULL);
    conseco_calibrator_free(c);
}

/* ------------------------------------------------------------------- merge */
static conseco_calibrator *make_with(const conseco_calibrator_config *cfg, size_t n, double first)
{
    conseco_calibrator *c = NULL;
    size_t i;
    assert_int_equal(conseco_calibrator_create(cfg, NULL, &c), CONSECO_OK);
    for (i = 0; i < n; i++)
        assert_int_equal(conseco_calibrator_add_score(c, first + (double)i), CONSECO_OK);
    return c;
}

static void expect_incompatible(conseco_calibrator *dst, const conseco_calibrator_config *other)
{
    conseco_calibrator *src = make_with(other, 3, 100.0);
    double before[4];
    size_t n;
    assert_int_equal(conseco_calibrator_merge(dst, src), CONSECO_E_INCOMPATIBLE);
    assert_int_equal(conseco_calibrator_merge(src, dst), CONSECO_E_INCOMPATIBLE);
    assert_int_equal(conseco_calibrator_scores(dst, before, 4, &n), CONSECO_OK);
    assert_int_equal(n, 2);
    assert_true(before[0] == 1.0 && before[1] == 2.0);
    conseco_calibrator_free(src);
}

static void test_merge(void **state)
{
    conseco_threshold_params tp, tp2;
    conseco_erosion_params ep, ep2;
    conseco_calibrator_config cfg, other;
    conseco_calibrator *a, *b, *e;
    conseco_shrinker_vtable vt1 = custom_vtable("mine"), vt2;
    custom_user u1 = {0}, u2 = {0};
    double out[16];
    size_t n, i;
    (void)state;
    conseco_threshold_params_default(&tp);
    conseco_threshold_params_default(&tp2);
    cfg = threshold_config(&tp, 0.1);
    a = make_with(&cfg, 2, 1.0);
    b = make_with(&cfg, 3, 10.0);

    /* equal settings (different params objects, same values): append in order */
    other = threshold_config(&tp2, 0.1);
    e = make_with(&other, 1, 50.0);
    assert_int_equal(conseco_calibrator_merge(b, e), CONSECO_OK);
    conseco_calibrator_free(e);
    assert_int_equal(conseco_calibrator_scores(b, out, 16, &n), CONSECO_OK);
    assert_int_equal(n, 4);
    assert_true(out[3] == 50.0);
    /* self merge doubles */
    assert_int_equal(conseco_calibrator_merge(b, b), CONSECO_OK);
    assert_int_equal(conseco_calibrator_scores(b, out, 16, &n), CONSECO_OK);
    assert_int_equal(n, 8);
    for (i = 0; i < 4; i++) assert_true(out[i] == out[i + 4]);
    assert_int_equal(conseco_calibrator_merge(NULL, b), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_merge(b, NULL), CONSECO_E_NULL);

    /* different tau, even only in sign of zero */
    other = threshold_config(&tp2, 0.2);
    expect_incompatible(a, &other);
    {
        conseco_calibrator_config z0 = threshold_config(&tp, 0.0), z1 = threshold_config(&tp, -0.0);
        conseco_calibrator *p = make_with(&z0, 1, 0), *q = make_with(&z1, 1, 0);
        assert_int_equal(conseco_calibrator_merge(p, q), CONSECO_E_INCOMPATIBLE);
        conseco_calibrator_free(p);
        conseco_calibrator_free(q);
    }
    /* different threshold params */
    tp2.top = 0.99;
    other = threshold_config(&tp2, 0.1);
    expect_incompatible(a, &other);
    tp2.top = 1.0;
    tp2.base = 0.4;
    other = threshold_config(&tp2, 0.1);
    expect_incompatible(a, &other);
    /* different shrinker kind */
    conseco_erosion_params_default(&ep);
    other = erosion_config(&ep, 0.1);
    expect_incompatible(a, &other);
    /* different erosion element / border / base */
    {
        conseco_calibrator *ea;
        cfg = erosion_config(&ep, 0.1);
        ea = make_with(&cfg, 2, 1.0);
        ep2 = ep;
        other = erosion_config(&ep2, 0.1);
        e = make_with(&other, 1, 0);
        assert_int_equal(conseco_calibrator_merge(ea, e), CONSECO_OK);
        conseco_calibrator_free(e);
        assert_int_equal(conseco_calibrator_reset(ea), CONSECO_OK);
        assert_int_equal(conseco_calibrator_add_score(ea, 1.0), CONSECO_OK);
        assert_int_equal(conseco_calibrator_add_score(ea, 2.0), CONSECO_OK);
        ep2.element = CONSECO_ELEMENT_SQUARE;
        expect_incompatible(ea, &other);
        ep2 = ep;
        ep2.border = CONSECO_BORDER_BACKGROUND;
        expect_incompatible(ea, &other);
        ep2 = ep;
        ep2.base = 0.6;
        expect_incompatible(ea, &other);
        conseco_calibrator_free(ea);
    }
    /* custom: same callbacks, name, range and user merge; anything else does not */
    {
        conseco_calibrator *ca;
        conseco_calibrator_config_init(&cfg);
        cfg.shrinker.vtable = &vt1;
        cfg.shrinker.user = &u1;
        cfg.tau = 0.1;
        ca = make_with(&cfg, 2, 1.0);
        vt2 = custom_vtable("mine");
        other = cfg;
        other.shrinker.vtable = &vt2;
        e = make_with(&other, 1, 0);
        assert_int_equal(conseco_calibrator_merge(ca, e), CONSECO_OK);
        conseco_calibrator_free(e);
        assert_int_equal(conseco_calibrator_reset(ca), CONSECO_OK);
        assert_int_equal(conseco_calibrator_add_score(ca, 1.0), CONSECO_OK);
        assert_int_equal(conseco_calibrator_add_score(ca, 2.0), CONSECO_OK);
        other.shrinker.user = &u2;
        expect_incompatible(ca, &other);
        other.shrinker.user = &u1;
        vt2.name = "yours";
        expect_incompatible(ca, &other);
        vt2 = custom_vtable("mine");
        vt2.levels = custom_levels_other;
        expect_incompatible(ca, &other);
        vt2 = custom_vtable("mine");
        vt2.lambda_max = 2.0;
        expect_incompatible(ca, &other);
        vt2 = custom_vtable("mine");
        vt2.domain = CONSECO_DOMAIN_INTEGER;
        expect_incompatible(ca, &other);
        conseco_calibrator_free(ca);
    }
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);
}

/* ------------------------------------------------------------------ static */
static void test_static_workspace(void **state)
{
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    static uint64_t ws[4096];
    unsigned char *bytes = (unsigned char *)ws;
    size_t need, i, n;
    double out[4];
    (void)state;
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    cfg.capacity = 3;
    cfg.max_width = 8;
    cfg.max_height = 8;
    need = conseco_calibrator_workspace_size(&cfg);
    assert_true(need > 3 * sizeof(double));
    assert_true(need + 64 <= sizeof ws);

    /* too small, misaligned, NULL */
    c = (conseco_calibrator *)ws;
    assert_int_equal(conseco_calibrator_init_static(ws, need - 1, &cfg, &c),
                     CONSECO_E_BUFFER_TOO_SMALL);
    assert_null(c);
    assert_int_equal(conseco_calibrator_init_static(bytes + 4, need + 8, &cfg, &c),
                     CONSECO_E_MISALIGNED);
    assert_null(c);
    assert_int_equal(conseco_calibrator_init_static(bytes + 1, need + 8, &cfg, &c),
                     CONSECO_E_MISALIGNED);
    assert_int_equal(conseco_calibrator_init_static(NULL, need, &cfg, &c), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_init_static(ws, need, &cfg, NULL), CONSECO_E_NULL);
    cfg.tau = 2;
    assert_int_equal(conseco_calibrator_workspace_size(&cfg), 0);
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &c), CONSECO_E_BAD_TAU);
    cfg.tau = 0.1;
    assert_int_equal(conseco_calibrator_workspace_size(NULL), 0);
    /* a max shape with a zero side is a mistake */
    cfg.max_height = 0;
    assert_int_equal(conseco_calibrator_workspace_size(&cfg), 0);
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &c), CONSECO_E_BAD_SIZE);
    cfg.max_height = 8;
    /* overflowing capacity */
    cfg.capacity = (size_t)-1 / 4;
    assert_int_equal(conseco_calibrator_workspace_size(&cfg), 0);
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &c), CONSECO_E_OVERFLOW);
    cfg.capacity = 3;

    /* exactly sized, with a canary after it that must survive */
    memset(bytes, 0xCD, sizeof ws);
    assert_int_equal(conseco_calibrator_init_static(ws, need, &cfg, &c), CONSECO_OK);
    assert_non_null(c);
    assert_ptr_equal(c, ws);
    for (i = 0; i < 3; i++)
        assert_int_equal(conseco_calibrator_add_score(c, (double)i), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, 9.0), CONSECO_E_FULL);
    assert_int_equal(conseco_calibrator_count(c), 3);
    assert_int_equal(conseco_calibrator_scores(c, out, 4, &n), CONSECO_OK);
    assert_int_equal(n, 3);
    assert_true(out[0] == 0 && out[1] == 1 && out[2] == 2);
    {
        /* a full static calibrator refuses add() before computing anything */
        pair *p = malloc(sizeof *p);
        tu_rng r = {7};
        assert_non_null(p);
        make_pair(p, &r, 4, 4, 0);
        assert_int_equal(conseco_calibrator_add(c, &p->pred, &p->mask, NULL), CONSECO_E_FULL);
        assert_int_equal(conseco_calibrator_reset(c), CONSECO_OK);
        make_pair(p, &r, 9, 8, 0);
        assert_int_equal(conseco_calibrator_add(c, &p->pred, &p->mask, NULL),
                         CONSECO_E_TOO_LARGE);
        make_pair(p, &r, 8, 9, 0);
        assert_int_equal(conseco_calibrator_add(c, &p->pred, &p->mask, NULL),
                         CONSECO_E_TOO_LARGE);
        assert_int_equal(conseco_calibrator_count(c), 0);
        free(p);
    }
    /* merging into a static calibrator respects its capacity */
    {
        conseco_calibrator_config dyn = threshold_config(&tp, 0.1);
        conseco_calibrator *src = make_with(&dyn, 2, 5.0);
        assert_int_equal(conseco_calibrator_add_score(c, 1.0), CONSECO_OK);
        assert_int_equal(conseco_calibrator_merge(c, src), CONSECO_OK);
        assert_int_equal(conseco_calibrator_merge(c, src), CONSECO_E_FULL);
        assert_int_equal(conseco_calibrator_scores(c, out, 4, &n), CONSECO_OK);
        assert_int_equal(n, 3);
        assert_true(out[0] == 1.0 && out[1] == 5.0 && out[2] == 6.0);
        conseco_calibrator_free(src);
    }
    conseco_calibrator_free(c); /* nothing to release */
    for (i = need; i < sizeof ws; i++) assert_int_equal(bytes[i], 0xCD);
}

static void test_static_without_shape_takes_scores_only(void **state)
{
    conseco_erosion_params ep;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    static uint64_t ws[512];
    pair *p = malloc(sizeof *p);
    tu_rng r = {3};
    (void)state;
    assert_non_null(p);
    conseco_erosion_params_default(&ep);
    cfg = erosion_config(&ep, 0.05);
    cfg.capacity = 0;
    assert_true(conseco_calibrator_workspace_size(&cfg) <= sizeof ws);
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_score(c, 1.0), CONSECO_E_FULL);
    make_pair(p, &r, 1, 1, 1);
    assert_int_equal(conseco_calibrator_add(c, &p->pred, &p->mask, NULL), CONSECO_E_FULL);
    cfg.capacity = 4;
    assert_int_equal(conseco_calibrator_init_static(ws, sizeof ws, &cfg, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add(c, &p->pred, &p->mask, NULL), CONSECO_E_TOO_LARGE);
    free(p);
}

/* The compile-time bound must cover the run-time size for built-ins. */
static void test_workspace_bound_macro(void **state)
{
    static const size_t sides[] = {1, 2, 3, 7, 16, 64, 100, 257, 1000, 4096};
    static const size_t depths[] = {0, 1, 2, 5, 33, 1000};
    static const size_t caps[] = {0, 1, 100, 100000};
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    size_t wi, hi, di, ci;
    uint32_t el, bo;
    (void)state;
    conseco_threshold_params_default(&tp);
    conseco_erosion_params_default(&ep);
    for (wi = 0; wi < sizeof sides / sizeof sides[0]; wi++)
        for (hi = 0; hi < sizeof sides / sizeof sides[0]; hi++)
            for (di = 0; di < sizeof depths / sizeof depths[0]; di++)
                for (ci = 0; ci < sizeof caps / sizeof caps[0]; ci++) {
                    const size_t w = sides[wi], h = sides[hi];
                    const size_t d = depths[di] == 0 ? 1 : depths[di];
                    conseco_calibrator_config cfg = threshold_config(&tp, 0.1);
                    size_t got;
                    /* shapes whose bound cannot be a size_t (32-bit hosts) */
                    if ((uint64_t)w * h * d > (uint64_t)((size_t)-1 / 64)) continue;
                    cfg.capacity = caps[ci];
                    cfg.max_width = w;
                    cfg.max_height = h;
                    cfg.max_depth = depths[di];
                    got = conseco_calibrator_workspace_size(&cfg);
                    assert_true(got > 0);
                    assert_true(got <= CONSECO_CALIBRATOR_WORKSPACE_BOUND(caps[ci], w * h * d));
                    for (el = CONSECO_ELEMENT_CROSS; el <= CONSECO_ELEMENT_BALL_MM; el++)
                        for (bo = CONSECO_BORDER_FOREGROUND; bo <= CONSECO_BORDER_BACKGROUND;
                             bo++) {
                            ep.element = el;
                            ep.border = bo;
                            cfg = erosion_config(&ep, 0.1);
                            cfg.capacity = caps[ci];
                            cfg.max_width = w;
                            cfg.max_height = h;
                            cfg.max_depth = depths[di];
                            got = conseco_calibrator_workspace_size(&cfg);
                            assert_true(got > 0);
                            assert_true(got <=
                                        CONSECO_CALIBRATOR_WORKSPACE_BOUND(caps[ci], w * h * d));
                        }
                }
}

/* ------------------------------------------------- add() through shrinkers */
static void check_add_matches_score(const conseco_calibrator_config *cfg, uint64_t seed)
{
    conseco_calibrator *c = NULL;
    conseco_shrinker held;
    pair *p = malloc(sizeof *p);
    tu_rng r = {seed};
    size_t i, n;
    assert_non_null(p);
    assert_int_equal(conseco_calibrator_create(cfg, NULL, &c), CONSECO_OK);
    assert_int_equal(conseco_calibrator_settings(c, NULL, &held), CONSECO_OK);
    for (i = 0; i < 60; i++) {
        /* mostly growing shapes, so the scratch is regrown and reused */
        const size_t w = tu_range(&r, 1, 8 + i % 56), h = tu_range(&r, 1, 8 + i % 56);
        double ref = -1, got = -2, last = -3;
        int rc_ref, rc;
        make_pair(p, &r, w, h, (int)(i % 2));
        rc_ref = reference_score(&cfg->shrinker, p, cfg->tau, &ref);
        /* a valid pair always has a score (fails while a fast path is a stub) */
        assert_int_equal(rc_ref, CONSECO_OK);
        n = conseco_calibrator_count(c);
        rc = conseco_calibrator_add(c, &p->pred, &p->mask, &got);
        assert_int_equal(rc, rc_ref);
        assert_int_equal(conseco_calibrator_count(c), n + 1);
        assert_true(bits(got) == bits(ref));
        assert_int_equal(conseco_calibrator_scores(c, NULL, 0, &n), CONSECO_OK);
        {
            double *all = malloc(n * sizeof *all);
            assert_non_null(all);
            assert_int_equal(conseco_calibrator_scores(c, all, n, &n), CONSECO_OK);
            last = all[n - 1];
            free(all);
        }
        assert_true(bits(last) == bits(ref));
        /* the held shrinker (params inside the calibrator) scores the same */
        assert_int_equal(reference_score(&held, p, cfg->tau, &ref), CONSECO_OK);
        assert_true(bits(got) == bits(ref));
    }
    /* score_out is optional */
    make_pair(p, &r, 5, 5, 0);
    assert_int_equal(conseco_calibrator_add(c, &p->pred, &p->mask, NULL), CONSECO_OK);
    conseco_calibrator_free(c);
    free(p);
}

static void test_add_threshold(void **state)
{
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    (void)state;
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    check_add_matches_score(&cfg, 11);
    tp.base = 0.3;
    tp.top = 0.9;
    cfg = threshold_config(&tp, 0.25);
    check_add_matches_score(&cfg, 12);
    cfg.tau = 0.0;
    check_add_matches_score(&cfg, 13);
}

static void test_add_erosion(void **state)
{
    conseco_erosion_params ep;
    conseco_calibrator_config cfg;
    uint32_t el, bo;
    (void)state;
    conseco_erosion_params_default(&ep);
    for (el = CONSECO_ELEMENT_CROSS; el <= CONSECO_ELEMENT_BALL_MM; el++)
        for (bo = CONSECO_BORDER_FOREGROUND; bo <= CONSECO_BORDER_BACKGROUND; bo++) {
            ep.element = el;
            ep.border = bo;
            cfg = erosion_config(&ep, 0.1);
            check_add_matches_score(&cfg, 100 + el * 10 + bo);
        }
}

static void test_add_custom(void **state)
{
    custom_user user = {0};
    conseco_shrinker_vtable vt = custom_vtable("levels-as-scores");
    conseco_calibrator_config cfg;
    (void)state;
    conseco_calibrator_config_init(&cfg);
    cfg.shrinker.vtable = &vt;
    cfg.shrinker.user = &user;
    cfg.tau = 0.15;
    check_add_matches_score(&cfg, 21);
}

static void test_add_rejects_bad_views(void **state)
{
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    pair *p = malloc(sizeof *p);
    conseco_mask other;
    tu_rng r = {5};
    double s = 42;
    (void)state;
    assert_non_null(p);
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &c), CONSECO_OK);
    make_pair(p, &r, 6, 5, 0);
    assert_int_equal(conseco_calibrator_add(NULL, &p->pred, &p->mask, &s), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_add(c, NULL, &p->mask, &s), CONSECO_E_NULL);
    assert_int_equal(conseco_calibrator_add(c, &p->pred, NULL, &s), CONSECO_E_NULL);
    other = conseco_mask_2d(p->truth, 5, 6, 5);
    assert_int_equal(conseco_calibrator_add(c, &p->pred, &other, &s), CONSECO_E_SIZE_MISMATCH);
    p->pred.dtype = 77;
    assert_int_equal(conseco_calibrator_add(c, &p->pred, &p->mask, &s), CONSECO_E_BAD_DTYPE);
    assert_true(s == 42);
    assert_int_equal(conseco_calibrator_count(c), 0);
    conseco_calibrator_free(c);
    free(p);
}

/* ------------------------------------------------------- allocation failure */
/* Runs the whole life of two calibrators through a failing allocator. Every
 * NO_MEMORY must leave the object as it was and usable: the operation is
 * retried and must then behave as if nothing had happened. Returns how many
 * NO_MEMORY statuses surfaced. */
static size_t alloc_scenario(af_state *s)
{
    conseco_allocator a = af_allocator(s);
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = (conseco_calibrator *)s, *d = NULL;
    pair *p = malloc(sizeof *p);
    tu_rng r = {99};
    size_t nomem = 0, i, n, k;
    double lh, *all;
    int rc;
    assert_non_null(p);
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    cfg.capacity = 2;
    rc = conseco_calibrator_create(&cfg, &a, &c);
    if (rc == CONSECO_E_NO_MEMORY) {
        assert_null(c);
        nomem++;
        rc = conseco_calibrator_create(&cfg, &a, &c);
    }
    assert_int_equal(rc, CONSECO_OK);

    for (i = 0; i < 70; i++) {
        rc = conseco_calibrator_add_score(c, (double)(i % 13) / 13.0);
        if (rc == CONSECO_E_NO_MEMORY) {
            nomem++;
            assert_int_equal(conseco_calibrator_count(c), i);
            rc = conseco_calibrator_add_score(c, (double)(i % 13) / 13.0);
        }
        assert_int_equal(rc, CONSECO_OK);
    }
    for (i = 0; i < 6; i++) { /* growing images regrow the scratch */
        const size_t side = 4 + 10 * i;
        double ref = 0, got = 0;
        int rc_ref;
        make_pair(p, &r, side, side, 0);
        /* test_add_* require a score; here only the allocation story matters */
        rc_ref = reference_score(&cfg.shrinker, p, cfg.tau, &ref);
        n = conseco_calibrator_count(c);
        rc = conseco_calibrator_add(c, &p->pred, &p->mask, &got);
        if (rc == CONSECO_E_NO_MEMORY) {
            nomem++;
            assert_int_equal(conseco_calibrator_count(c), n);
            rc = conseco_calibrator_add(c, &p->pred, &p->mask, &got);
        }
        assert_int_equal(rc, rc_ref);
        if (rc == CONSECO_OK) {
            assert_true(bits(got) == bits(ref));
            assert_int_equal(conseco_calibrator_count(c), n + 1);
        }
    }
    n = conseco_calibrator_count(c);

    rc = conseco_calibrator_create(&cfg, &a, &d);
    if (rc == CONSECO_E_NO_MEMORY) {
        assert_null(d);
        nomem++;
        rc = conseco_calibrator_create(&cfg, &a, &d);
    }
    assert_int_equal(rc, CONSECO_OK);
    for (i = 0; i < 40; i++) {
        rc = conseco_calibrator_add_score(d, 2.0);
        if (rc == CONSECO_E_NO_MEMORY) {
            nomem++;
            rc = conseco_calibrator_add_score(d, 2.0);
        }
        assert_int_equal(rc, CONSECO_OK);
    }
    n = conseco_calibrator_count(c);
    rc = conseco_calibrator_merge(c, d);
    if (rc == CONSECO_E_NO_MEMORY) {
        nomem++;
        assert_int_equal(conseco_calibrator_count(c), n);
        rc = conseco_calibrator_merge(c, d);
    }
    assert_int_equal(rc, CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(c), n + 40);

    /* the data survived every failure: compare with the sort reference */
    n = conseco_calibrator_count(c);
    all = malloc(n * sizeof *all);
    assert_non_null(all);
    assert_int_equal(conseco_calibrator_scores(c, all, n, &n), CONSECO_OK);
    for (i = 0; i < 70; i++) assert_true(all[i] == (double)(i % 13) / 13.0);
    for (i = n - 40; i < n; i++) assert_true(all[i] == 2.0);
    assert_true(n >= 110);
    assert_int_equal(conseco_calibrator_lambda_hat(c, 0.1, &lh, &k), CONSECO_OK);
    assert_int_equal(k, ref_rank(n, 1, 10));
    assert_true(bits(lh) == bits(ref_lambda_hat(all, n, k)));
    free(all);

    conseco_calibrator_free(d);
    conseco_calibrator_free(c);
    free(p);
    return nomem;
}

static void test_allocation_failure_everywhere(void **state)
{
    af_state s;
    size_t fail_at;
    (void)state;
    for (fail_at = 1;; fail_at++) {
        size_t nomem;
        assert_true(fail_at < 1000);
        af_init(&s, fail_at);
        nomem = alloc_scenario(&s);
        assert_int_equal(s.live, 0);             /* no leak */
        assert_int_equal(nomem, s.failed);       /* every failure surfaced, none invented */
        if (s.failed == 0) break;                /* the whole scenario fit in fail_at - 1 */
    }
    /* the scenario really allocates many times (growth, scratch, two objects) */
    assert_true(fail_at > 8);
}

static void test_misaligned_allocator_memory_refused(void **state)
{
    odd_alloc o = {0, 0};
    conseco_allocator a = {odd_alloc_fn, odd_free_fn, &o};
    conseco_threshold_params tp;
    conseco_calibrator_config cfg;
    conseco_calibrator *c = NULL;
    (void)state;
    conseco_threshold_params_default(&tp);
    cfg = threshold_config(&tp, 0.1);
    assert_int_equal(conseco_calibrator_create(&cfg, &a, &c), CONSECO_E_MISALIGNED);
    assert_null(c);
    assert_int_equal(o.allocs, 1);
    assert_int_equal(o.frees, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_init),
        cmocka_unit_test(test_create_rejects_bad_config),
        cmocka_unit_test(test_params_are_copied),
        cmocka_unit_test(test_custom_vtable_is_copied),
        cmocka_unit_test(test_owned_user_destroyed_once),
        cmocka_unit_test(test_owned_user_static),
        cmocka_unit_test(test_old_vtable_without_destroy),
        cmocka_unit_test(test_add_score_and_copy_out),
        cmocka_unit_test(test_lambda_hat_matches_sort),
        cmocka_unit_test(test_lambda_hat_edges),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_static_workspace),
        cmocka_unit_test(test_static_without_shape_takes_scores_only),
        cmocka_unit_test(test_workspace_bound_macro),
        cmocka_unit_test(test_add_threshold),
        cmocka_unit_test(test_add_erosion),
        cmocka_unit_test(test_add_custom),
        cmocka_unit_test(test_add_rejects_bad_views),
        cmocka_unit_test(test_allocation_failure_everywhere),
        cmocka_unit_test(test_misaligned_allocator_memory_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
