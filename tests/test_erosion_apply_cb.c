/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The erosion vtable's apply callback (no scratch: only the output buffer),
 * above all for the disk/ball, against the literal reference
 * (tests/support/ref_erosion.c) and the level-map fast path (conseco_apply):
 * random 2-D and 3-D masks, every dtype, strided views, both border
 * policies, lambdas from -inf through every level and far beyond to +inf,
 * radii of 255 and more on 600-pixel lines, the black-box search through an
 * apply-only copy of the vtable, and the 128-bit helpers it relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conseco.h"
#include "ref_erosion.h"
#include "score_pixel.h"
#include "test_util.h"
#include "common/wide128.h"

#define CANARY 0xEEu

static const int dtypes[] = {CONSECO_DTYPE_U8, CONSECO_DTYPE_U16, CONSECO_DTYPE_F32,
                             CONSECO_DTYPE_F64, CONSECO_DTYPE_MASK8};

/* ------------------------------------------------------------ generators */
typedef struct shape {
    size_t w, h, d, n;
} shape;

static shape make_shape(size_t w, size_t h, size_t d)
{
    shape s;
    s.w = w;
    s.h = h;
    s.d = d;
    s.n = w * h * d;
    return s;
}

static size_t at(const shape *s, size_t x, size_t y, size_t z) { return x + s->w * (y + s->h * z); }

/* Sets (value) every pixel within an axis-aligned ellipse/ellipsoid whose
 * centre may lie outside the image. */
static void paint_blob(tu_rng *r, const shape *s, uint8_t *m, uint8_t value, double rmax)
{
    const double cx = -0.25 * (double)s->w + 1.5 * (double)s->w * tu_uniform(r);
    const double cy = -0.25 * (double)s->h + 1.5 * (double)s->h * tu_uniform(r);
    const double cz = -0.25 * (double)s->d + 1.5 * (double)s->d * tu_uniform(r);
    const double rx = 0.5 + rmax * tu_uniform(r), ry = 0.5 + rmax * tu_uniform(r),
                 rz = 0.5 + rmax * tu_uniform(r);
    size_t x, y, z;
    for (z = 0; z < s->d; z++)
        for (y = 0; y < s->h; y++)
            for (x = 0; x < s->w; x++) {
                const double u = ((double)x - cx) / rx, v = ((double)y - cy) / ry,
                             t = s->d > 1 ? ((double)z - cz) / rz : 0.0;
                if (u * u + v * v + t * t <= 1.0) m[at(s, x, y, z)] = value;
            }
}

static void gen_yhat(tu_rng *r, const shape *s, uint8_t *m)
{
    const double rmax = 0.7 * (double)(s->w > s->h ? s->w : s->h);
    size_t i, k;
    memset(m, 0, s->n);
    switch (tu_range(r, 0, 7)) {
    case 0: break; /* empty */
    case 1: memset(m, 1, s->n); break;
    case 2: /* nearly full: a few background pixels */
        memset(m, 1, s->n);
        for (k = tu_range(r, 1, 3); k > 0; k--) m[tu_range(r, 0, s->n - 1)] = 0;
        break;
    case 3:
        for (i = 0; i < s->n; i++) m[i] = tu_uniform(r) < 0.85;
        break;
    case 4: {
        const double density = tu_uniform(r);
        for (i = 0; i < s->n; i++) m[i] = tu_uniform(r) < density;
        break;
    }
    case 5: /* blob with holes */
        paint_blob(r, s, m, 1, rmax);
        for (k = tu_range(r, 0, 2); k > 0; k--) paint_blob(r, s, m, 0, rmax / 3);
        break;
    default:
        for (k = tu_range(r, 1, 4); k > 0; k--) paint_blob(r, s, m, 1, rmax);
        break;
    }
}

/* ---------------------------------------------------------------- views */
typedef struct view {
    unsigned char *buf;
    conseco_image pred;
    conseco_erosion_params params;
} view;

/* A score map of `dtype` whose {s >= base} is exactly yhat, with padded row
 * and slice strides full of garbage (NaN for float maps: never read). */
static void make_view(tu_rng *r, const shape *s, const uint8_t *yhat, int dtype, int element,
                      int border, view *v)
{
    const size_t elem = dtype == CONSECO_DTYPE_U16   ? 2
                        : dtype == CONSECO_DTYPE_F32 ? 4
                        : dtype == CONSECO_DTYPE_F64 ? 8
                                                     : 1;
    const size_t rs = (s->w + tu_range(r, 0, 3)) * elem;
    const size_t ss = s->h * rs + tu_range(r, 0, 2) * elem;
    const size_t size = s->d * ss + 8;
    uint32_t k = 1;
    size_t x, y, z, i;
    v->buf = malloc(size);
    for (i = 0; i < size; i++) v->buf[i] = (unsigned char)tu_next(r);
    if (elem >= 4)
        for (i = 0; i + elem <= size; i += elem) {
            if (elem == 4) { const float f = NAN; memcpy(v->buf + i, &f, 4); }
            else { const double f = NAN; memcpy(v->buf + i, &f, 8); }
        }
    conseco_erosion_params_default(&v->params);
    v->params.element = (uint32_t)element;
    v->params.border = (uint32_t)border;
    switch (dtype) {
    case CONSECO_DTYPE_U8: k = (uint32_t)tu_range(r, 1, 255); v->params.base = k / 255.0; break;
    case CONSECO_DTYPE_U16: k = (uint32_t)tu_range(r, 1, 65535); v->params.base = k / 65535.0; break;
    case CONSECO_DTYPE_MASK8: v->params.base = tu_range(r, 0, 1) ? 1.0 : 0.5; break;
    default: v->params.base = (double)(float)(0.05 + 0.9 * tu_uniform(r)); break;
    }
    for (z = 0; z < s->d; z++)
        for (y = 0; y < s->h; y++)
            for (x = 0; x < s->w; x++) {
                const int in = yhat[at(s, x, y, z)] != 0, tie = tu_range(r, 0, 3) == 0;
                const double b = v->params.base;
                unsigned char *px = v->buf + z * ss + y * rs + x * elem;
                sp_write_score(r, dtype, px, in, tie, b, k);
            }
    v->pred = conseco_image_3d(v->buf, s->w, s->h, s->d, rs, ss, dtype);
}

/* ------------------------------------------------------------ expectations */
/* Past this lambda the element covers the whole image from any pixel, and
 * reaches the outside next to it: larger lambdas change nothing. For the
 * disk (ball) the Euclidean diameter or the longest side; for lambda
 * erosions by the cross or square, w + h + d steps. */
static unsigned long saturating_radius(const shape *s, int element)
{
    const unsigned long diag2 = (unsigned long)((s->w - 1) * (s->w - 1) + (s->h - 1) * (s->h - 1) +
                                                (s->d - 1) * (s->d - 1));
    unsigned long r = (unsigned long)(s->w > s->h ? s->w : s->h);
    if (element != CONSECO_ELEMENT_DISK) return (unsigned long)(s->w + s->h + s->d);
    if ((unsigned long)s->d > r) r = (unsigned long)s->d;
    while (r * r < diag2) r++;
    return r;
}

/* The literal I_lambda: Yhat for lambda <= 0, nothing for +inf, otherwise
 * the reference at ceil(lambda) (levels are integers). */
static void expected_inner(const shape *s, const uint8_t *yhat, int element, int border,
                           double lambda, uint8_t *out)
{
    unsigned long steps;
    if (lambda == INFINITY) {
        memset(out, 0, s->n);
        return;
    }
    if (lambda <= 0.0) {
        size_t i;
        for (i = 0; i < s->n; i++) out[i] = yhat[i] != 0;
        return;
    }
    if (lambda >= (double)saturating_radius(s, element)) steps = saturating_radius(s, element);
    else steps = (unsigned long)ceil(lambda);
    ref_erosion_inner(yhat, s->w, s->h, s->d, element, border, steps, out);
}

/* The callback into a dense buffer with a guard zone past `count`. */
static void run_callback(const view *v, const shape *s, double lambda, uint8_t *out)
{
    const size_t extra = 8;
    uint8_t *buf = malloc(s->n + 2 * extra);
    size_t i;
    memset(buf, CANARY, s->n + 2 * extra);
    assert_int_equal(conseco_erosion_vtable()->apply((void *)&v->params, &v->pred, lambda, buf,
                                                      s->n + extra),
                     CONSECO_OK);
    for (i = 0; i < s->n; i++) assert_true(buf[i] == 0 || buf[i] == 1);
    for (i = s->n; i < s->n + 2 * extra; i++) assert_int_equal(buf[i], CANARY);
    memcpy(out, buf, s->n);
    free(buf);
}

/* conseco_apply (level map, with scratch) into a strided mask. */
static void run_fast_path(tu_rng *r, view *v, const shape *s, double lambda, uint8_t *out)
{
    const conseco_shrinker sh = conseco_shrinker_erosion(&v->params);
    const size_t size = conseco_scratch_size(&sh, s->w, s->h, s->d);
    const size_t rs = s->w + tu_range(r, 0, 3), ss = s->h * rs + tu_range(r, 0, 2);
    uint8_t *buf = malloc(s->d * ss), *scratch = malloc(size);
    const conseco_mask_out inner = conseco_mask_out_3d(buf, s->w, s->h, s->d, rs, ss);
    size_t x, y, z;
    assert_true(size > 0);
    assert_int_equal(conseco_apply(&sh, &v->pred, lambda, scratch, size, &inner, NULL),
                     CONSECO_OK);
    for (z = 0; z < s->d; z++)
        for (y = 0; y < s->h; y++)
            for (x = 0; x < s->w; x++) out[at(s, x, y, z)] = buf[z * ss + y * rs + x];
    free(buf);
    free(scratch);
}

/* One lambda: callback == literal reference == fast path. */
static void check_lambda(tu_rng *r, view *v, const shape *s, const uint8_t *yhat, double lambda)
{
    uint8_t *want = malloc(s->n), *got = malloc(s->n), *fast = malloc(s->n);
    expected_inner(s, yhat, (int)v->params.element, (int)v->params.border, lambda, want);
    run_callback(v, s, lambda, got);
    assert_memory_equal(got, want, s->n);
    run_fast_path(r, v, s, lambda, fast);
    assert_memory_equal(fast, want, s->n);
    free(want);
    free(got);
    free(fast);
}

/* -1, -inf, 0, every integer and half-integer up to one past the largest
 * possible level, a few beyond, +inf. */
static void check_all_lambdas(tu_rng *r, view *v, const shape *s, const uint8_t *yhat)
{
    const size_t top = (s->w > s->h ? s->w : s->h) / 2 + 2;
    const unsigned long sat = saturating_radius(s, (int)v->params.element);
    const double beyond[] = {-1.0, -INFINITY, 0.0, 1e-300, 1.0 + 1e-12, (double)sat,
                             (double)sat + 7.5, 1e9, 1e30, INFINITY};
    size_t k;
    for (k = 0; k < sizeof beyond / sizeof beyond[0]; k++) check_lambda(r, v, s, yhat, beyond[k]);
    for (k = 1; k <= top + (s->d > 1 ? s->d / 2 : 0); k++) {
        check_lambda(r, v, s, yhat, (double)k);
        if (tu_range(r, 0, 1)) check_lambda(r, v, s, yhat, (double)k - 0.5);
    }
    /* larger levels exist under the foreground policy (background in a corner) */
    for (k = 0; k < 3 && top < sat; k++) check_lambda(r, v, s, yhat, (double)tu_range(r, top, sat));
}

/* ---------------------------------------------------------- random cases */
static void random_cases(unsigned seed, int three_d, int count)
{
    tu_rng r;
    int i;
    r.state = seed;
    for (i = 0; i < count; i++) {
        /* mostly the disk (the new code); cross and square keep their check */
        const int element = tu_range(&r, 0, 5) == 0 ? (int)tu_range(&r, 1, 2) : CONSECO_ELEMENT_DISK;
        const int border = (int)tu_range(&r, 1, 2);
        const shape s = three_d ? make_shape(tu_range(&r, 1, 7), tu_range(&r, 1, 7), tu_range(&r, 2, 6))
                                : make_shape(tu_range(&r, 1, 17), tu_range(&r, 1, 17), 1);
        uint8_t *yhat = malloc(s.n);
        view v;
        gen_yhat(&r, &s, yhat);
        make_view(&r, &s, yhat, dtypes[tu_range(&r, 0, 4)], element, border, &v);
        check_all_lambdas(&r, &v, &s, yhat);
        free(v.buf);
        free(yhat);
    }
}

static void test_random_2d(void **state)
{
    (void)state;
    random_cases(1234, 0, (int)tu_cases(2500));
}

static void test_random_3d(void **state)
{
    (void)state;
    random_cases(5678, 1, (int)tu_cases(1000));
}

/* ------------------------------------------------------------ long lines */
/* callback == fast path (exact, and itself checked against the reference
 * in test_erosion) where the literal loop would be too slow. */
static void check_lambda_fast(tu_rng *r, view *v, const shape *s, double lambda)
{
    uint8_t *got = malloc(s->n), *fast = malloc(s->n);
    run_callback(v, s, lambda, got);
    run_fast_path(r, v, s, lambda, fast);
    assert_memory_equal(got, fast, s->n);
    free(got);
    free(fast);
}

/* 1-pixel-high lines of 600 (the literal loop is affordable in 1-D; it
 * costs ~r^2 per pixel, so only some radii go through it): radii of 255 and
 * more, across the 253-step chunks of the cross and square as well. */
static void test_long_lines(void **state)
{
    const double lambdas[] = {1, 200, 254, 255, 256, 257, 299.5, 300, 301, 310, 311, 312,
                              508, 597, 598, 599, 600, 601, 5000};
    tu_rng r = {42};
    int border, kind, element;
    size_t k;
    (void)state;
    for (element = CONSECO_ELEMENT_CROSS; element <= CONSECO_ELEMENT_DISK; element++)
        for (kind = 0; kind < 3; kind++)
            for (border = CONSECO_BORDER_FOREGROUND; border <= CONSECO_BORDER_BACKGROUND; border++) {
                const shape s = make_shape(600, 1, 1);
                uint8_t yhat[600];
                view v;
                memset(yhat, 1, sizeof yhat);
                if (kind == 0) yhat[0] = 0;   /* levels 0 .. 598 */
                if (kind == 1) yhat[311] = 0; /* two runs, levels up to 310 */
                /* kind 2: full, never eroded under the foreground policy */
                make_view(&r, &s, yhat, dtypes[kind + 1], element, border, &v);
                for (k = 0; k < sizeof lambdas / sizeof lambdas[0]; k++) {
                    const double l = lambdas[k];
                    /* scaled runs (valgrind, emulators): each combination takes a
                     * rotating quarter of the radii, so every radius is still met */
                    if (tu_cases(4) < 4 &&
                        k % 4 != (size_t)(element + kind + border) % 4)
                        continue;
                    /* the literal loop: always cheap with the background border
                     * (everything goes at radius 1) and the unit elements */
                    int literal = border == CONSECO_BORDER_BACKGROUND ||
                                  element != CONSECO_ELEMENT_DISK;
                    if (kind == 0) literal |= l == 255 || l == 256 || l == 599;
                    if (kind == 1) literal |= l == 254 || l == 255 || l == 310 || l == 311 || l == 312;
                    if (literal) check_lambda(&r, &v, &s, yhat, l);
                    else check_lambda_fast(&r, &v, &s, l);
                }
                free(v.buf);
            }
}

/* Literal definition at one pixel: every offset of the disk (ball) of
 * radius rad lands inside Yhat, or outside the image under the foreground
 * policy. With the background policy the offsets (+-rad, 0, 0), (0, +-rad,
 * 0) and, in a volume, (0, 0, +-rad) must stay inside the image; the loops
 * then only visit offsets that land inside it. */
static int direct_keep(const shape *s, const uint8_t *yhat, int border, long rad, long x,
                       long y, long z)
{
    const long w = (long)s->w, h = (long)s->h, d = (long)s->d, zr = d > 1 ? rad : 0;
    long qx, qy, qz;
    if (!yhat[at(s, (size_t)x, (size_t)y, (size_t)z)]) return 0;
    if (border == CONSECO_BORDER_BACKGROUND &&
        (x < rad || w - 1 - x < rad || y < rad || h - 1 - y < rad ||
         (d > 1 && (z < zr || d - 1 - z < zr))))
        return 0;
    for (qz = z - zr < 0 ? 0 : z - zr; qz <= z + zr && qz < d; qz++)
        for (qy = y - rad < 0 ? 0 : y - rad; qy <= y + rad && qy < h; qy++)
            for (qx = x - rad < 0 ? 0 : x - rad; qx <= x + rad && qx < w; qx++) {
                const long dx = qx - x, dy = qy - y, dz = qz - z;
                if (dx * dx + dy * dy + dz * dz > rad * rad) continue;
                if (!yhat[at(s, (size_t)qx, (size_t)qy, (size_t)qz)]) return 0;
            }
    return 1;
}

/* 600 x 40 images with sparse background: radii of 255 and more against
 * the fast path everywhere and the literal definition on sampled pixels
 * (the stepwise reference would take minutes here). */
static void test_long_images(void **state)
{
    const double lambdas[] = {3, 19.5, 20, 21, 40, 254, 255, 256, 300, 450, 598, 599,
                              600, 601, 638, 639, 640, 5000};
    tu_rng r = {4242};
    int i;
    (void)state;
    /* all six natively; under valgrind and qemu (CONSECO_TEST_SCALE) fewer: each costs seconds */
    for (i = 0; i < (int)tu_cases(6); i++) {
        const shape s = make_shape(600, 40, 1);
        const int border = i % 2 ? CONSECO_BORDER_BACKGROUND : CONSECO_BORDER_FOREGROUND;
        uint8_t *yhat = malloc(s.n), *got = malloc(s.n), *fast = malloc(s.n);
        view v;
        size_t k, j;
        memset(yhat, 1, s.n);
        for (j = (size_t)i / 2 + 1; j > 0; j--) yhat[tu_range(&r, 0, s.n - 1)] = 0;
        if (i >= 4) paint_blob(&r, &s, yhat, 0, 30.0);
        make_view(&r, &s, yhat, dtypes[tu_range(&r, 0, 4)], CONSECO_ELEMENT_DISK, border, &v);
        for (k = 0; k < sizeof lambdas / sizeof lambdas[0]; k++) {
            const long rad = (long)ceil(lambdas[k]);
            size_t kept = 0;
            run_callback(&v, &s, lambdas[k], got);
            run_fast_path(&r, &v, &s, lambdas[k], fast);
            assert_memory_equal(got, fast, s.n);
            for (j = 0; j < s.n; j++) kept += got[j];
            for (j = 0; j < 60; j++) {
                /* half the samples among the kept pixels, if any */
                size_t p = tu_range(&r, 0, s.n - 1), tries;
                for (tries = 0; kept > 0 && (j & 1) && !got[p] && tries < 10000; tries++)
                    p = tu_range(&r, 0, s.n - 1);
                assert_int_equal(got[p], direct_keep(&s, yhat, border, rad, (long)(p % s.w),
                                                     (long)(p / s.w), 0));
            }
        }
        /* the background border empties 40 rows from radius 20 on: cheap literally */
        if (border == CONSECO_BORDER_BACKGROUND)
            for (k = 0; k < sizeof lambdas / sizeof lambdas[0]; k++)
                check_lambda(&r, &v, &s, yhat, lambdas[k]);
        free(v.buf);
        free(yhat);
        free(got);
        free(fast);
    }
}

/* Volumes a little larger than the random ones, against the fast path. */
static void test_larger_volumes(void **state)
{
    tu_rng r = {777};
    int i;
    (void)state;
    for (i = 0; i < (int)tu_cases(8); i++) {
        const shape s = make_shape(tu_range(&r, 20, 40), tu_range(&r, 10, 30), tu_range(&r, 5, 16));
        const int border = (int)tu_range(&r, 1, 2);
        uint8_t *yhat = malloc(s.n), *got = malloc(s.n), *fast = malloc(s.n);
        view v;
        double lambda;
        gen_yhat(&r, &s, yhat);
        make_view(&r, &s, yhat, dtypes[tu_range(&r, 0, 4)], CONSECO_ELEMENT_DISK, border, &v);
        for (lambda = 0.5; lambda < 50.0; lambda += (double)tu_range(&r, 1, 6)) {
            run_callback(&v, &s, lambda, got);
            run_fast_path(&r, &v, &s, lambda, fast);
            assert_memory_equal(got, fast, s.n);
        }
        free(v.buf);
        free(yhat);
        free(got);
        free(fast);
    }
}

/* ---------------------------------------------------- black-box search */
/* An apply-only copy of the erosion vtable is a black-box custom shrinker:
 * its score (integer doubling then bisection) must be the literal one. */
static void test_apply_only_score(void **state)
{
    static const double taus[] = {0.0, 0.01, 0.1, 0.3, 1.0};
    conseco_shrinker_vtable apply_only = *conseco_erosion_vtable();
    tu_rng r = {31337};
    int i;
    (void)state;
    apply_only.name = "erosion-apply";
    apply_only.lambda_max = INFINITY;
    apply_only.levels = NULL;
    apply_only.breakpoints = NULL;
    for (i = 0; i < (int)tu_cases(500); i++) {
        const int border = (int)tu_range(&r, 1, 2), three_d = tu_range(&r, 0, 3) == 0;
        const double tau = taus[tu_range(&r, 0, 4)];
        const shape s = three_d ? make_shape(tu_range(&r, 1, 6), tu_range(&r, 1, 6), tu_range(&r, 2, 5))
                                : make_shape(tu_range(&r, 1, 16), tu_range(&r, 1, 16), 1);
        uint8_t *yhat = malloc(s.n), *truth = malloc(s.n);
        conseco_mask t = conseco_mask_3d(truth, s.w, s.h, s.d, s.w, s.w * s.h);
        conseco_shrinker sh;
        view v;
        size_t size, k;
        void *scratch;
        double score = -1.0;
        gen_yhat(&r, &s, yhat);
        for (k = 0; k < s.n; k++) truth[k] = yhat[k] && tu_range(&r, 0, 2) == 0;
        make_view(&r, &s, yhat, dtypes[tu_range(&r, 0, 4)], CONSECO_ELEMENT_DISK, border, &v);
        sh.vtable = &apply_only;
        sh.user = &v.params;
        size = conseco_scratch_size(&sh, s.w, s.h, s.d);
        assert_true(size > 0);
        scratch = malloc(size);
        assert_int_equal(conseco_score(&sh, &v.pred, &t, tau, scratch, size, &score), CONSECO_OK);
        assert_true(score == ref_erosion_score(yhat, truth, s.w, s.h, s.d, CONSECO_ELEMENT_DISK,
                                               border, tau));
        free(scratch);
        free(v.buf);
        free(yhat);
        free(truth);
    }
}

/* ------------------------------------------------------------ edge cases */
static void test_special_lambdas(void **state)
{
    const conseco_shrinker_vtable *vt = conseco_erosion_vtable();
    static const double huge[] = {1e18, 18446744073709549568.0 /* 2^64 - 2048 */,
                                  18446744073709551616.0 /* 2^64 */, 1e300, 1.7976931348623157e308};
    uint8_t full[20], out[20], one = 1;
    conseco_erosion_params p;
    conseco_image im = conseco_image_2d(full, 5, 4, 5, CONSECO_DTYPE_MASK8);
    conseco_image px = conseco_image_2d(&one, 1, 1, 1, CONSECO_DTYPE_MASK8);
    size_t k, j;
    (void)state;
    memset(full, 1, sizeof full);
    conseco_erosion_params_default(&p);
    p.element = CONSECO_ELEMENT_DISK;
    /* full image, foreground border: nothing ever erodes, at any finite lambda */
    for (k = 0; k < sizeof huge / sizeof huge[0]; k++) {
        assert_int_equal(vt->apply(&p, &im, huge[k], out, 20), CONSECO_OK);
        for (j = 0; j < 20; j++) assert_int_equal(out[j], 1);
    }
    assert_int_equal(vt->apply(&p, &im, INFINITY, out, 20), CONSECO_OK);
    for (j = 0; j < 20; j++) assert_int_equal(out[j], 0);
    /* background border: radius 1 keeps the 3 x 2 interior, radius 2 nothing */
    p.border = CONSECO_BORDER_BACKGROUND;
    assert_int_equal(vt->apply(&p, &im, 0.25, out, 20), CONSECO_OK);
    for (j = 0; j < 20; j++)
        assert_int_equal(out[j], j % 5 >= 1 && j % 5 <= 3 && j / 5 >= 1 && j / 5 <= 2);
    assert_int_equal(vt->apply(&p, &im, 1.0 + 1e-15, out, 20), CONSECO_OK);
    for (j = 0; j < 20; j++) assert_int_equal(out[j], 0);
    for (k = 0; k < sizeof huge / sizeof huge[0]; k++) {
        memset(out, 7, sizeof out);
        assert_int_equal(vt->apply(&p, &im, huge[k], out, 20), CONSECO_OK);
        for (j = 0; j < 20; j++) assert_int_equal(out[j], 0);
    }
    /* one pixel: only the background border removes it */
    assert_int_equal(vt->apply(&p, &px, 1.0, out, 1), CONSECO_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(vt->apply(&p, &px, -INFINITY, out, 1), CONSECO_OK);
    assert_int_equal(out[0], 1);
    p.border = CONSECO_BORDER_FOREGROUND;
    assert_int_equal(vt->apply(&p, &px, 1e300, out, 1), CONSECO_OK);
    assert_int_equal(out[0], 1);
    /* a 5 x 4 image with one background pixel in a corner: radius 4 keeps
     * the pixels at squared distance > 16, (4,1) (4,2) (3,3) (4,3); radius 5
     * reaches (4,3) (5^2 = 4^2 + 3^2) */
    full[0] = 0;
    assert_int_equal(vt->apply(&p, &im, 4.0, out, 20), CONSECO_OK);
    for (j = 0; j < 20; j++) assert_int_equal(out[j], j == 9 || j == 14 || j == 18 || j == 19);
    assert_int_equal(vt->apply(&p, &im, 4.5, out, 20), CONSECO_OK);
    for (j = 0; j < 20; j++) assert_int_equal(out[j], 0);
    assert_int_equal(vt->apply(&p, &im, 1e300, out, 20), CONSECO_OK);
    for (j = 0; j < 20; j++) assert_int_equal(out[j], 0);
}

static void test_bad_inputs(void **state)
{
    const conseco_shrinker_vtable *vt = conseco_erosion_vtable();
    float map[6] = {0.9f, 0.9f, 0.1f, 0.9f, 0.2f, 0.7f};
    uint8_t out[6];
    conseco_erosion_params p;
    conseco_image im = conseco_image_2d(map, 3, 2, 3 * sizeof(float), CONSECO_DTYPE_F32);
    conseco_image bad = im;
    (void)state;
    conseco_erosion_params_default(&p);
    p.element = CONSECO_ELEMENT_DISK;
    assert_int_equal(vt->apply(&p, &im, 1.0, out, 6), CONSECO_OK);
    assert_int_equal(vt->apply(&p, &im, 1.0, NULL, 6), CONSECO_E_NULL);
    assert_int_equal(vt->apply(NULL, &im, 1.0, out, 6), CONSECO_E_NULL);
    assert_int_equal(vt->apply(&p, NULL, 1.0, out, 6), CONSECO_E_NULL);
    assert_int_equal(vt->apply(&p, &im, 1.0, out, 5), CONSECO_E_BUFFER_TOO_SMALL);
    assert_int_equal(vt->apply(&p, &im, NAN, out, 6), CONSECO_E_BAD_LAMBDA);
    bad.width = 0;
    assert_true(vt->apply(&p, &bad, 1.0, out, 6) < 0);
    map[4] = NAN;
    assert_int_equal(vt->apply(&p, &im, 1.0, out, 6), CONSECO_E_NONFINITE);
    map[4] = INFINITY;
    assert_int_equal(vt->apply(&p, &im, 2.0, out, 6), CONSECO_E_NONFINITE);
    map[4] = 0.2f;
    p.element = 5; /* 4 is ball-mm */
    assert_int_equal(vt->apply(&p, &im, 1.0, out, 6), CONSECO_E_BAD_SHRINKER);
    p.element = CONSECO_ELEMENT_DISK;
    p.border = 3;
    assert_int_equal(vt->apply(&p, &im, 1.0, out, 6), CONSECO_E_BAD_SHRINKER);
    p.border = CONSECO_BORDER_BACKGROUND;
    p.base = INFINITY;
    assert_int_equal(vt->apply(&p, &im, 1.0, out, 6), CONSECO_E_BAD_SHRINKER);
}

/* ------------------------------------------------------ 128-bit helpers */
static void test_wide128(void **state)
{
    tu_rng r = {2718};
    conseco__wide w;
    int i;
    (void)state;
    w = conseco__wide_sq(UINT64_MAX); /* 2^128 - 2^65 + 1 */
    assert_true(w.hi == UINT64_MAX - 1 && w.lo == 1);
    w = conseco__wide_sq(UINT64_C(1) << 32);
    assert_true(w.hi == 1 && w.lo == 0);
    w = conseco__wide_add(conseco__wide_sq(UINT64_C(0xFFFFFFFF)), conseco__wide_sq(3));
    assert_true(w.hi == 0 && w.lo == UINT64_C(0xFFFFFFFE00000001) + 9);
    /* 3-4-5 at every scale: the half width is exact at the boundary */
    for (i = 0; i < 62; i++) {
        const uint64_t k = UINT64_C(1) << i, three = 3 * k, four = 4 * k, five = 5 * k;
        if (five / 5 != k) break;
        assert_true(conseco__half_width(conseco__wide_sq(five), conseco__wide_sq(four), UINT64_MAX) == three);
        assert_true(conseco__half_width(conseco__wide_sq(five - 1), conseco__wide_sq(four), UINT64_MAX) < three);
        assert_true(conseco__half_width(conseco__wide_sq(five), conseco__wide_sq(four), three - 1) == three - 1);
    }
#ifdef __SIZEOF_INT128__
    {
        __extension__ typedef unsigned __int128 u128;
        for (i = 0; i < (int)tu_cases(20000); i++) {
            const int bits = (int)tu_range(&r, 1, 64);
            const uint64_t mask = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
            const uint64_t a = tu_next(&r) & mask, b = (tu_next(&r) & mask) >> 1,
                           c = (tu_next(&r) & mask) >> 1;
            const u128 wa = (u128)a * a, wb = (u128)b * b;
            conseco__wide sa = conseco__wide_sq(a), sb = conseco__wide_sq(b), sum;
            assert_true(sa.hi == (uint64_t)(wa >> 64) && sa.lo == (uint64_t)wa);
            sum = conseco__wide_add(sb, conseco__wide_sq(c));
            assert_true(sum.hi == (uint64_t)((wb + (u128)c * c) >> 64) &&
                        sum.lo == (uint64_t)(wb + (u128)c * c));
            assert_int_equal(conseco__wide_le(sa, sum), wa <= wb + (u128)c * c);
            /* largest x <= a with x^2 + b^2 <= a^2 (sums below 2^128) */
            if (b <= a && wa <= (u128)0 - 1 - wb) {
                const uint64_t x = conseco__half_width(sa, sb, a);
                const u128 lim = wa - wb;
                assert_true((u128)x * x <= lim);
                assert_true(x == a || (u128)(x + 1) * (x + 1) > lim);
            }
        }
    }
#endif
    (void)r;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wide128),
        cmocka_unit_test(test_special_lambdas),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_long_images),
        cmocka_unit_test(test_larger_volumes),
        cmocka_unit_test(test_apply_only_score),
        cmocka_unit_test(test_random_2d),
        cmocka_unit_test(test_random_3d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
