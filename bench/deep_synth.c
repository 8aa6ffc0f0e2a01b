/* SPDX-License-Identifier: Apache-2.0 */
/* Deep-overshoot synthetic pairs: see deep_synth.h. */
#include "deep_synth.h"

#include <math.h>

#include "bench_util.h"

#define OBJECTS 2

typedef struct object {
    double cx, cy, c, s; /* centre, orientation */
    double a, b;         /* truth semi-axes */
    double m;            /* overshoot of the prediction, in pixels */
    double dx, dy;       /* the truth sits a little off the prediction's centre */
} object;

/* Ellipse radius: < 1 inside, 1 on the boundary. */
static double radius(const object *o, double a, double b, double x, double y)
{
    const double u = ((x - o->cx) * o->c + (y - o->cy) * o->s) / a;
    const double v = (-(x - o->cx) * o->s + (y - o->cy) * o->c) / b;
    return sqrt(u * u + v * v);
}

void deep_synth_image(uint64_t seed, size_t index, size_t width, size_t height,
                      double margin_lo, double margin_hi, float *scores, uint8_t *truth)
{
    const double side = (double)(width < height ? width : height);
    bench_rng r;
    object obj[OBJECTS];
    size_t x, y;
    int k;
    r.state = seed * 1000003u + index;
    for (k = 0; k < OBJECTS; k++) {
        const double theta = bench_uniform(&r, 0.0, 3.14159265358979);
        object *o = &obj[k];
        o->a = side * bench_uniform(&r, 0.09, 0.2);
        o->b = o->a * bench_uniform(&r, 0.6, 1.0);
        o->m = bench_uniform(&r, margin_lo, margin_hi);
        o->cx = bench_uniform(&r, 0.25, 0.75) * (double)width;
        o->cy = (k == 0 ? bench_uniform(&r, 0.2, 0.45) : bench_uniform(&r, 0.55, 0.8)) *
                (double)height;
        o->c = cos(theta);
        o->s = sin(theta);
        o->dx = bench_uniform(&r, -10.0, 10.0);
        o->dy = bench_uniform(&r, -10.0, 10.0);
    }
    for (y = 0; y < height; y++) {
        for (x = 0; x < width; x++) {
            double best = 0.0;
            int inside = 0;
            for (k = 0; k < OBJECTS; k++) {
                const object *o = &obj[k];
                const double rp = radius(o, o->a + o->m, o->b + o->m, (double)x, (double)y);
                const double rt = radius(o, o->a, o->b, (double)x - o->dx, (double)y - o->dy);
                const double s = 1.0 - 0.5 * rp * rp;
                if (s > best) best = s;
                if (rt <= 1.0) inside = 1;
            }
            /* a little pixel noise, deterministic per pixel */
            best += 0.004 * (bench_uniform(&r, -1.0, 1.0));
            if (best < 0.0) best = 0.0;
            if (best > 1.0) best = 1.0;
            scores[y * width + x] = (float)best;
            truth[y * width + x] = (uint8_t)inside;
        }
    }
}
