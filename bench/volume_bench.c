/* SPDX-License-Identifier: Apache-2.0 */
/* conseco_bench_volume: the score of one large anisotropic float32 volume
 * (ball-mm and the 6-neighbour cross, foreground border, tau 0.01) against
 * the vectorised read floor of its inputs (a sum of the score volume and the
 * truth mask as 64-bit words), all measured in the same run; CPU time of the
 * thread, median over repetitions. Two masks: "organ" (a pancreas-sized
 * blob, about 0.2 % of the voxels, like tools' CT data) and "large" (an
 * ellipsoid over about a third of the volume: the transform's worst case).
 *
 *   conseco_bench_volume [--size WxHxD] [--reps N] [--spacing X,Y,Z]
 *                        (default 512x512x120, 7 reps, 0.78125,0.78125,2.5 mm)
 *
 * Both the default dyadic spacing and a float32 pixdim with equal in-plane
 * spacings (--spacing 0.8632810115814209,0.8632810115814209,2.5) take
 * ball-mm's pair path (distance_mm_pair.c: integers in plane, the z pass
 * exact in double and pruned to the lines that can hold the selected rank);
 * three unrelated spacings take the general exact path (distance_mm.c).
 *
 * The size is 512x512x300 (--size 512x512x300, about 300 MB of input). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "conseco.h"

typedef struct vol {
    size_t w, h, d;
    double sp[3];
    float *pred;
    uint8_t *truth;
} vol;

/* Ellipsoid scores: 1 - r^2 (so Yhat = r <= sqrt(0.5)) with a little noise;
 * the truth is the same ellipsoid shifted and shrunk. */
static void make_volume(vol *v, double frac, uint64_t seed)
{
    const double cx = 0.5 * (double)v->w, cy = 0.45 * (double)v->h, cz = 0.5 * (double)v->d;
    const double rx = frac * (double)v->w, ry = 0.8 * frac * (double)v->h,
                 rz = 0.9 * frac * (double)v->d;
    bench_rng r = {seed};
    size_t x, y, z, i = 0;
    for (z = 0; z < v->d; z++)
        for (y = 0; y < v->h; y++)
            for (x = 0; x < v->w; x++, i++) {
                const double u = ((double)x - cx) / rx, t = ((double)y - cy) / ry,
                             s = ((double)z - cz) / rz, q = u * u + t * t + s * s;
                const double u2 = ((double)x - cx - 0.1 * rx) / (0.85 * rx);
                v->pred[i] = q < 2.0 ? (float)(1.0 - q + bench_uniform(&r, -0.05, 0.05)) : 0.0f;
                if (v->pred[i] < 0.0f) v->pred[i] = 0.0f;
                v->truth[i] = (uint8_t)(u2 * u2 + t * t + s * s < 0.45);
            }
}

static uint64_t sum_words(const void *p, size_t bytes)
{
    const uint64_t *w = (const uint64_t *)p;
    uint64_t a = 0, b = 0, c = 0, e = 0;
    size_t i, n = bytes / 8;
    for (i = 0; i + 4 <= n; i += 4) {
        a += w[i];
        b += w[i + 1];
        c += w[i + 2];
        e += w[i + 3];
    }
    for (; i < n; i++) a += w[i];
    return a + b + c + e;
}

static int cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp);
    return t[n / 2];
}

typedef struct timing {
    double floor_s, ball_s, cross_s, ball_score, cross_score;
} timing;

static timing measure(const vol *v, int reps)
{
    conseco_erosion_params pb, pc;
    conseco_shrinker sb, sc;
    conseco_image im = conseco_image_3d(v->pred, v->w, v->h, v->d, v->w * sizeof(float),
                                        v->w * v->h * sizeof(float), CONSECO_DTYPE_F32);
    const conseco_mask m = conseco_mask_3d(v->truth, v->w, v->h, v->d, v->w, v->w * v->h);
    const size_t n = v->w * v->h * v->d;
    double *tf = bench_alloc((size_t)reps * sizeof(double)),
           *tb = bench_alloc((size_t)reps * sizeof(double)),
           *tc = bench_alloc((size_t)reps * sizeof(double));
    volatile uint64_t sink = 0;
    size_t ss;
    void *scratch;
    timing out;
    int r;
    im.spacing[0] = v->sp[0];
    im.spacing[1] = v->sp[1];
    im.spacing[2] = v->sp[2];
    conseco_erosion_params_default(&pb);
    pb.element = CONSECO_ELEMENT_BALL_MM;
    conseco_erosion_params_default(&pc);
    sb = conseco_shrinker_erosion(&pb);
    sc = conseco_shrinker_erosion(&pc);
    ss = conseco_scratch_size(&sb, v->w, v->h, v->d);
    if (conseco_scratch_size(&sc, v->w, v->h, v->d) > ss)
        ss = conseco_scratch_size(&sc, v->w, v->h, v->d);
    scratch = bench_alloc(ss);
    memset(scratch, 0, ss);
    for (r = -1; r < reps; r++) { /* r = -1: warm-up */
        double t0 = bench_cpu_now();
        int rc;
        sink += sum_words(v->pred, n * sizeof(float)) + sum_words(v->truth, n);
        if (r >= 0) tf[r] = bench_cpu_now() - t0;
        t0 = bench_cpu_now();
        rc = conseco_score(&sb, &im, &m, 0.01, scratch, ss, &out.ball_score);
        if (r >= 0) tb[r] = bench_cpu_now() - t0;
        t0 = bench_cpu_now();
        rc |= conseco_score(&sc, &im, &m, 0.01, scratch, ss, &out.cross_score);
        if (r >= 0) tc[r] = bench_cpu_now() - t0;
        if (rc != CONSECO_OK) {
            fprintf(stderr, "conseco_bench_volume: conseco_score failed\n");
            exit(2);
        }
    }
    (void)sink;
    out.floor_s = median(tf, reps);
    out.ball_s = median(tb, reps);
    out.cross_s = median(tc, reps);
    free(tf);
    free(tb);
    free(tc);
    free(scratch);
    return out;
}

int main(int argc, char **argv)
{
    vol v;
    int reps = 7, i, k;
    static const char *names[2] = {"organ", "large"};
    static const double fracs[2] = {0.09, 0.35};
    v.w = 512;
    v.h = 512;
    v.d = 120;
    v.sp[0] = 0.78125;
    v.sp[1] = 0.78125;
    v.sp[2] = 2.5;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            unsigned long a, b, c;
            if (sscanf(argv[++i], "%lux%lux%lu", &a, &b, &c) != 3 || !a || !b || !c) return 2;
            v.w = a;
            v.h = b;
            v.d = c;
        } else if (!strcmp(argv[i], "--spacing") && i + 1 < argc) {
            if (sscanf(argv[++i], "%lf,%lf,%lf", &v.sp[0], &v.sp[1], &v.sp[2]) != 3 ||
                !(v.sp[0] > 0.0 && v.sp[1] > 0.0 && v.sp[2] > 0.0))
                return 2;
        } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1) return 2;
        } else {
            fprintf(stderr,
                    "usage: conseco_bench_volume [--size WxHxD] [--reps N] [--spacing X,Y,Z]\n");
            return 2;
        }
    }
    v.pred = bench_alloc(v.w * v.h * v.d * sizeof(float));
    v.truth = bench_alloc(v.w * v.h * v.d);
    printf("conseco_bench_volume %s: %zux%zux%zu float32 + uint8 truth (%.0f MB), spacing "
           "%.17g x %.17g x %.17g mm, tau 0.01, foreground border, %d reps (median CPU time)\n\n",
           conseco_version_string(), v.w, v.h, v.d, (double)(v.w * v.h * v.d) * 5.0 / 1e6,
           v.sp[0], v.sp[1], v.sp[2], reps);
    {
        conseco_erosion_params pe;
        conseco_shrinker se = conseco_shrinker_erosion(&pe);
        const double voxels = (double)(v.w * v.h * v.d);
        double ball, cross;
        conseco_erosion_params_default(&pe);
        pe.element = CONSECO_ELEMENT_BALL_MM;
        ball = (double)conseco_scratch_size(&se, v.w, v.h, v.d) / voxels;
        pe.element = CONSECO_ELEMENT_CROSS;
        cross = (double)conseco_scratch_size(&se, v.w, v.h, v.d) / voxels;
        printf("scratch (conseco_scratch_size): ball-mm %.3f, cross %.3f bytes per voxel of the "
               "image (the score uses 4 and 2 per voxel of Yhat's bounding box)\n\n",
               ball, cross);
    }
    printf("%-6s %-10s %10s %10s %8s  %s\n", "mask", "task", "ours_ms", "floor_ms", "x_floor",
           "target");
    for (k = 0; k < 2; k++) {
        timing t;
        make_volume(&v, fracs[k], 7u + (uint64_t)k);
        t = measure(&v, reps);
        printf("%-6s %-10s %10.2f %10.2f %8.2f  <= 4x: %s (score %.17g)\n", names[k], "ball-mm",
               t.ball_s * 1e3, t.floor_s * 1e3, t.ball_s / t.floor_s,
               t.ball_s <= 4.0 * t.floor_s ? "MET" : "NOT MET", t.ball_score);
        printf("%-6s %-10s %10.2f %10.2f %8.2f  <= 3x: %s (score %g)\n", names[k], "cross-3d",
               t.cross_s * 1e3, t.floor_s * 1e3, t.cross_s / t.floor_s,
               t.cross_s <= 3.0 * t.floor_s ? "MET" : "NOT MET", t.cross_score);
    }
    free(v.pred);
    free(v.truth);
    return 0;
}
