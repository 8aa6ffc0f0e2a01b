/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conseco_bench_sides: the cost of an outer or band score against the inner
 * score of the same family on the same images, measured in the same run
 * (target: at most 1.5x). Rows: dilation vs erosion (cross, square, disk, ball-mm),
 * the erosion band vs erosion, ball-mm with two different x and y spacings on
 * the 2-D maps, threshold lowering vs the threshold, the
 * threshold band vs the threshold; on synthetic polyp-like maps (float32),
 * on synthetic anisotropic volumes (tools/synth conseco_synth_volume, 192x192x64,
 * vote fractions as float32) and, with --data DIR and libpng, on the real
 * infnet-ct maps (8-bit).
 * CPU time of the calling thread, median of the repetitions.
 * usage: conseco_bench_sides [--quick] [--data DIR]
 */
#define CONSECO_STATIC_LINKING_ONLY
#include <conseco.h>
#include <conseco_synth.h>
#include <conseco_synth_volume.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "bench_util.h"
#include "real_maps.h"

#define TAU 0.1
#define TAU_OUTER 0.05

typedef struct setup {
    conseco_shrinker sh;
    conseco_side_params sp;
} setup;

static conseco_threshold_params g_tp;
static conseco_erosion_params g_ep;

static double run_once(const setup *s, const bench_pair *pairs, size_t n, void *scratch,
                       size_t cap, double *sink)
{
    double t0 = bench_cpu_now(), acc = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double v = 0.0;
        int rc = conseco_side_score(&s->sh, &s->sp, &pairs[i].pred, &pairs[i].truth, TAU,
                                    scratch, cap, &v);
        if (rc != CONSECO_OK) {
            fprintf(stderr, "conseco_bench_sides: %s\n", conseco_strerror(rc));
            exit(2);
        }
        acc += v > 1e300 || v < -1e300 ? 0.0 : v;
    }
    *sink += acc;
    return bench_cpu_now() - t0;
}

static double time_setup(const setup *s, const bench_pair *pairs, size_t n, int reps,
                         void *scratch, size_t cap, double *sink)
{
    double t[64];
    int r;
    if (reps > 64) reps = 64;
    for (r = 0; r < reps; r++) t[r] = run_once(s, pairs, n, scratch, cap, sink);
    return bench_median(t, (size_t)reps);
}

static setup make(int threshold, uint32_t element, uint32_t side)
{
    setup s;
    s.sh = threshold ? conseco_shrinker_threshold(&g_tp) : conseco_shrinker_erosion(&g_ep);
    g_ep.element = element;
    conseco_side_params_default(&s.sp);
    s.sp.side = side;
    s.sp.tau_outer = side == CONSECO_SIDE_BAND ? TAU_OUTER : 0.0;
    return s;
}

static void rows(const char *name, const bench_pair *pairs, size_t n, int reps)
{
    static const char *const el[] = {"", "cross", "square", "disk", "ball-mm"};
    size_t cap = 0, i;
    void *scratch;
    double sink = 0.0;
    uint32_t e;
    for (i = 0; i < n; i++) {
        size_t c;
        const size_t w = pairs[i].pred.width, h = pairs[i].pred.height, d = pairs[i].pred.depth;
        setup s = make(0, CONSECO_ELEMENT_DISK, CONSECO_SIDE_BAND);
        c = conseco_side_scratch_size(&s.sh, &s.sp, w, h, d);
        if (c > cap) cap = c;
        s = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_BAND);
        c = conseco_side_scratch_size(&s.sh, &s.sp, w, h, d);
        if (c > cap) cap = c;
        s = make(1, 0, CONSECO_SIDE_BAND);
        c = conseco_side_scratch_size(&s.sh, &s.sp, w, h, d);
        if (c > cap) cap = c;
    }
    scratch = bench_alloc(cap);
    printf("%s: %lu images, %d repetitions, tau %g, tau_outer %g\n", name, (unsigned long)n, reps,
           TAU, TAU_OUTER);
    printf("  %-34s %12s %12s %8s\n", "row", "inner ms/img", "side ms/img", "ratio");
    for (e = CONSECO_ELEMENT_CROSS; e <= CONSECO_ELEMENT_BALL_MM; e++) {
        const setup in = make(0, e, CONSECO_SIDE_INNER);
        const double ti = time_setup(&in, pairs, n, reps, scratch, cap, &sink);
        const setup out = make(0, e, CONSECO_SIDE_OUTER);
        const double to = time_setup(&out, pairs, n, reps, scratch, cap, &sink);
        const setup band = make(0, e, CONSECO_SIDE_BAND);
        const double tb = time_setup(&band, pairs, n, reps, scratch, cap, &sink);
        char label[64];
        snprintf(label, sizeof label, "dilation %s vs erosion", el[e]);
        printf("  %-34s %12.3f %12.3f %7.2fx\n", label, 1e3 * ti / (double)n, 1e3 * to / (double)n,
               to / ti);
        snprintf(label, sizeof label, "erosion band %s vs erosion", el[e]);
        printf("  %-34s %12.3f %12.3f %7.2fx\n", label, 1e3 * ti / (double)n, 1e3 * tb / (double)n,
               tb / ti);
    }
    {
        const setup in = make(1, 0, CONSECO_SIDE_INNER);
        const double ti = time_setup(&in, pairs, n, reps, scratch, cap, &sink);
        const setup out = make(1, 0, CONSECO_SIDE_OUTER);
        const double to = time_setup(&out, pairs, n, reps, scratch, cap, &sink);
        const setup band = make(1, 0, CONSECO_SIDE_BAND);
        const double tb = time_setup(&band, pairs, n, reps, scratch, cap, &sink);
        printf("  %-34s %12.3f %12.3f %7.2fx\n", "lowering vs threshold", 1e3 * ti / (double)n,
               1e3 * to / (double)n, to / ti);
        printf("  %-34s %12.3f %12.3f %7.2fx\n", "threshold band vs threshold",
               1e3 * ti / (double)n, 1e3 * tb / (double)n, tb / ti);
    }
    printf("  (checksum %g)\n\n", sink);
    free(scratch);
}

/* Ball-mm rows only, on the pairs with the spacing sp (x, y, z) set; the
 * pairs' own spacings are restored afterwards. */
static void mm_rows(const char *name, bench_pair *pairs, size_t n, int reps, const double sp[3])
{
    size_t cap = 0, i, a;
    double *saved = bench_alloc(3 * n * sizeof *saved);
    void *scratch;
    double sink = 0.0, ti, to, tb;
    setup in, out, band;
    for (i = 0; i < n; i++) {
        setup s = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_BAND);
        const size_t c = conseco_side_scratch_size(&s.sh, &s.sp, pairs[i].pred.width,
                                                   pairs[i].pred.height, pairs[i].pred.depth);
        if (c > cap) cap = c;
        for (a = 0; a < 3; a++) {
            saved[3 * i + a] = pairs[i].pred.spacing[a];
            pairs[i].pred.spacing[a] = sp[a];
        }
    }
    scratch = bench_alloc(cap);
    printf("%s: %lu images, %d repetitions, tau %g, tau_outer %g\n", name, (unsigned long)n, reps,
           TAU, TAU_OUTER);
    printf("  %-34s %12s %12s %8s\n", "row", "inner ms/img", "side ms/img", "ratio");
    in = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_INNER);
    ti = time_setup(&in, pairs, n, reps, scratch, cap, &sink);
    out = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_OUTER);
    to = time_setup(&out, pairs, n, reps, scratch, cap, &sink);
    band = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_BAND);
    tb = time_setup(&band, pairs, n, reps, scratch, cap, &sink);
    printf("  %-34s %12.3f %12.3f %7.2fx\n", "dilation ball-mm vs erosion", 1e3 * ti / (double)n,
           1e3 * to / (double)n, to / ti);
    printf("  %-34s %12.3f %12.3f %7.2fx\n", "erosion band ball-mm vs erosion",
           1e3 * ti / (double)n, 1e3 * tb / (double)n, tb / ti);
    printf("  (checksum %g)\n\n", sink);
    for (i = 0; i < n; i++)
        for (a = 0; a < 3; a++) pairs[i].pred.spacing[a] = saved[3 * i + a];
    free(saved);
    free(scratch);
}

int main(int argc, char **argv)
{
    const char *data = NULL;
    int quick = 0, i;
    size_t n, side = 352, k;
    bench_pair *pairs;
    conseco_synth_config cfg;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else {
            fprintf(stderr, "usage: conseco_bench_sides [--quick] [--data DIR]\n");
            return 2;
        }
    }
    conseco_threshold_params_default(&g_tp);
    conseco_erosion_params_default(&g_ep);
    n = quick ? 10 : 40;
    conseco_synth_config_default(&cfg);
    cfg.count = n;
    cfg.width = cfg.height = side;
    pairs = bench_alloc(n * sizeof *pairs);
    for (k = 0; k < n; k++) {
        float *s = bench_alloc(side * side * sizeof *s);
        uint8_t *t = bench_alloc(side * side);
        if (conseco_synth_image(&cfg, k, s, NULL, t, NULL) != 0) return 2;
        pairs[k].pred = conseco_image_2d(s, side, side, side * sizeof *s, CONSECO_DTYPE_F32);
        pairs[k].truth = conseco_mask_2d(t, side, side, side);
    }
    rows("synthetic 352x352 float32", pairs, n, quick ? 3 : 9);
    /* ball-mm with two spacings: dyadic ones (integer squared distances) and
     * float32 ones with long mantissas (outer_euclid.c's wide form) */
    {
        const double dyadic[3] = {0.5, 0.75, 0.0}, f32[3] = {(double)0.7f, (double)0.9f, 0.0};
        mm_rows("synthetic 352x352 float32, ball-mm spacing 0.5 x 0.75 mm", pairs, n,
                quick ? 3 : 9, dyadic);
        mm_rows("synthetic 352x352 float32, ball-mm spacing 0.7 x 0.9 mm (float32)", pairs, n,
                quick ? 3 : 9, f32);
    }
    { /* volumes: the 3-D paths (6-neighbour cross, 26-neighbour square, ball, ball-mm) */
        conseco_synth_volume_config vc;
        conseco_synth_volume_info info;
        size_t nv, voxels, j;
        bench_pair *vols;
        conseco_synth_volume_config_default(&vc);
        vc.count = nv = quick ? 2 : 6;
        vc.width = vc.height = 192;
        vc.depth = 64;
        voxels = vc.width * vc.height * vc.depth;
        vols = bench_alloc(nv * sizeof *vols);
        for (k = 0; k < nv; k++) {
            uint8_t *votes = bench_alloc(voxels), *t = bench_alloc(voxels);
            float *s = bench_alloc(voxels * sizeof *s);
            if (conseco_synth_volume(&vc, k, votes, t, &info) != 0) return 2;
            for (j = 0; j < voxels; j++) s[j] = (float)votes[j] / (float)vc.raters;
            free(votes);
            vols[k].pred = conseco_image_3d(s, vc.width, vc.height, vc.depth,
                                            vc.width * sizeof *s, vc.width * vc.height * sizeof *s,
                                            CONSECO_DTYPE_F32);
            vols[k].pred.spacing[0] = info.spacing[0];
            vols[k].pred.spacing[1] = info.spacing[1];
            vols[k].pred.spacing[2] = info.spacing[2];
            vols[k].truth = conseco_mask_3d(t, vc.width, vc.height, vc.depth, vc.width,
                                            vc.width * vc.height);
        }
        rows("synthetic volumes 192x192x64 float32 (anisotropic)", vols, nv, quick ? 3 : 5);
        { /* float32 spacings with long mantissas: the wide form of outer_euclid.c */
            const double f32[3] = {(double)0.7f, (double)0.7f, (double)2.2f};
            mm_rows("synthetic volumes, ball-mm spacing 0.7 x 0.7 x 2.2 mm (float32)", vols, nv,
                    quick ? 3 : 5, f32);
        }
    }
    if (data != NULL) {
        bench_pair *real = NULL;
        size_t m = real_maps_load(data, &real);
        if (m == 0) fprintf(stderr, "conseco_bench_sides: no maps in %s (or no libpng)\n", data);
        else rows("infnet-ct 8-bit", real, m, quick ? 3 : 9);
    }
    return 0;
}
