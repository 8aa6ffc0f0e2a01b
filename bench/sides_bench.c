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
 * CPU time of the calling thread. The inner score and its outer and band
 * scores run in interleaved rounds (the three back to back, in an order that
 * rotates), as many rounds as fit in about 1 s of CPU time per group (at
 * least 9); times are medians over the rounds, and a ratio is the median over
 * the rounds of side time / inner time in the same round.
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

/* Repetitions per row group (the inner score and its outer and band scores):
 * as many rounds as fit in a CPU-time budget, within [MIN, MAX]. */
#define REPS_MAX 401
static double g_budget = 1.0; /* seconds of CPU time per row group; --quick: 0.1 */
static int g_min_reps = 9;     /* --quick: 3 */

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

/* One row group's times: the inner score (s[0]) and two sides (s[1], s[2]). */
typedef struct group_times {
    int reps;
    double ms[3];    /* median time per image, ms */
    double ratio[2]; /* median over the rounds of side time / inner time in that round */
} group_times;

/* Times s[0..2] in interleaved rounds: each round runs the three back to back,
 * in an order that rotates from round to round, so that all three see the
 * same state of the machine (other processes, clock, caches); one untimed
 * warm-up round first, whose cost also sets the number of rounds. */
static group_times time_group(const setup s[3], const bench_pair *pairs, size_t n, void *scratch,
                              size_t cap, double *sink)
{
    static double t[3][REPS_MAX], q[2][REPS_MAX];
    group_times g;
    double warm = 0.0;
    int r, j;
    for (j = 0; j < 3; j++) warm += run_once(&s[j], pairs, n, scratch, cap, sink);
    g.reps = warm > 0.0 && g_budget / warm < (double)REPS_MAX ? (int)(g_budget / warm) : REPS_MAX;
    if (g.reps < g_min_reps) g.reps = g_min_reps;
    for (r = 0; r < g.reps; r++) {
        for (j = 0; j < 3; j++) {
            const int k = (j + r) % 3;
            t[k][r] = run_once(&s[k], pairs, n, scratch, cap, sink);
        }
        for (j = 0; j < 2; j++) q[j][r] = t[0][r] > 0.0 ? t[j + 1][r] / t[0][r] : 0.0;
    }
    for (j = 0; j < 3; j++) g.ms[j] = 1e3 * bench_median(t[j], (size_t)g.reps) / (double)n;
    for (j = 0; j < 2; j++) g.ratio[j] = bench_median(q[j], (size_t)g.reps);
    return g;
}

static void print_header(void)
{
    printf("  %-34s %12s %12s %8s %6s\n", "row", "inner ms/img", "side ms/img", "ratio", "rounds");
}

static void print_row(const char *label, const group_times *g, int side)
{
    printf("  %-34s %12.3f %12.3f %7.2fx %6d\n", label, g->ms[0], g->ms[side + 1], g->ratio[side],
           g->reps);
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

static void rows(const char *name, const bench_pair *pairs, size_t n)
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
    printf("%s: %lu images, tau %g, tau_outer %g\n", name, (unsigned long)n, TAU, TAU_OUTER);
    print_header();
    for (e = CONSECO_ELEMENT_CROSS; e <= CONSECO_ELEMENT_BALL_MM; e++) {
        setup s[3];
        group_times g;
        char label[64];
        s[0] = make(0, e, CONSECO_SIDE_INNER);
        s[1] = make(0, e, CONSECO_SIDE_OUTER);
        s[2] = make(0, e, CONSECO_SIDE_BAND);
        g = time_group(s, pairs, n, scratch, cap, &sink);
        snprintf(label, sizeof label, "dilation %s vs erosion", el[e]);
        print_row(label, &g, 0);
        snprintf(label, sizeof label, "erosion band %s vs erosion", el[e]);
        print_row(label, &g, 1);
    }
    {
        setup s[3];
        group_times g;
        s[0] = make(1, 0, CONSECO_SIDE_INNER);
        s[1] = make(1, 0, CONSECO_SIDE_OUTER);
        s[2] = make(1, 0, CONSECO_SIDE_BAND);
        g = time_group(s, pairs, n, scratch, cap, &sink);
        print_row("lowering vs threshold", &g, 0);
        print_row("threshold band vs threshold", &g, 1);
    }
    printf("  (checksum %g)\n\n", sink);
    free(scratch);
}

/* Ball-mm rows only, on the pairs with the spacing sp (x, y, z) set; the
 * pairs' own spacings are restored afterwards. */
static void mm_rows(const char *name, bench_pair *pairs, size_t n, const double sp[3])
{
    size_t cap = 0, i, a;
    double *saved = bench_alloc(3 * n * sizeof *saved);
    void *scratch;
    double sink = 0.0;
    setup s3[3];
    group_times g;
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
    printf("%s: %lu images, tau %g, tau_outer %g\n", name, (unsigned long)n, TAU, TAU_OUTER);
    print_header();
    s3[0] = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_INNER);
    s3[1] = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_OUTER);
    s3[2] = make(0, CONSECO_ELEMENT_BALL_MM, CONSECO_SIDE_BAND);
    g = time_group(s3, pairs, n, scratch, cap, &sink);
    print_row("dilation ball-mm vs erosion", &g, 0);
    print_row("erosion band ball-mm vs erosion", &g, 1);
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
    if (quick) {
        g_budget = 0.1;
        g_min_reps = 3;
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
    rows("synthetic 352x352 float32", pairs, n);
    /* ball-mm with two spacings: dyadic ones (integer squared distances) and
     * float32 ones with long mantissas (outer_euclid.c's wide form) */
    {
        const double dyadic[3] = {0.5, 0.75, 0.0}, f32[3] = {(double)0.7f, (double)0.9f, 0.0};
        mm_rows("synthetic 352x352 float32, ball-mm spacing 0.5 x 0.75 mm", pairs, n, dyadic);
        mm_rows("synthetic 352x352 float32, ball-mm spacing 0.7 x 0.9 mm (float32)", pairs, n,
                f32);
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
        rows("synthetic volumes 192x192x64 float32 (anisotropic)", vols, nv);
        { /* float32 spacings with long mantissas: the wide form of outer_euclid.c */
            const double f32[3] = {(double)0.7f, (double)0.7f, (double)2.2f};
            mm_rows("synthetic volumes, ball-mm spacing 0.7 x 0.7 x 2.2 mm (float32)", vols, nv,
                    f32);
        }
    }
    if (data != NULL) {
        bench_pair *real = NULL;
        size_t m = real_maps_load(data, &real);
        if (m == 0) fprintf(stderr, "conseco_bench_sides: no maps in %s (or no libpng)\n", data);
        else rows("infnet-ct 8-bit", real, m);
    }
    return 0;
}
