/* SPDX-License-Identifier: Apache-2.0 */
/* Synthetic polyp-like data: see conseco_synth.h for what is generated and why. */
#include "conseco_synth.h"

#include <math.h>

#define PI 3.14159265358979323846
#define MAX_LOBES 2
#define MAX_SPURIOUS 3
#define WAVES 3

/* ------------------------------------------------------------ randomness */
/* splitmix64: tiny, well mixed, identical everywhere. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

typedef struct rng { uint64_t state; } rng;

static uint64_t next_u64(rng *r) { return mix64(r->state += UINT64_C(0x9E3779B97F4A7C15)); }
static double unit(uint64_t bits) { return (double)(bits >> 11) * (1.0 / 9007199254740992.0); }
static double uniform(rng *r, double lo, double hi) { return lo + (hi - lo) * unit(next_u64(r)); }

/* ---------------------------------------------------------------- shapes */
typedef struct ellipse {
    double cx, cy; /* centre */
    double a, b;   /* semi-axes */
    double c, s;   /* cos and sin of the orientation */
} ellipse;

/* Ellipse "radius": < 1 inside, 1 on the boundary, grows linearly outside. */
static double ellipse_r(const ellipse *e, double x, double y)
{
    const double dx = x - e->cx, dy = y - e->cy;
    const double u = (dx * e->c + dy * e->s) / e->a;
    const double v = (-dx * e->s + dy * e->c) / e->b;
    return sqrt(u * u + v * v);
}

typedef struct blob {
    double cx, cy, sigma, peak;
} blob;

/* Everything that defines one image: drawn once, then every pixel is a pure function. */
typedef struct scene {
    ellipse truth[MAX_LOBES];
    ellipse pred[MAX_LOBES];
    int lobes;
    blob spurious[MAX_SPURIOUS];
    int n_spurious;
    double sharpness;                /* logit slope of the falloff across the predicted boundary */
    double wave_amp[WAVES], wave_fx[WAVES], wave_fy[WAVES], wave_phase[WAVES];
    double pixel_noise;              /* half-width of the per-pixel noise, in logit units */
    double empty_scale;              /* EMPTY: every score is scaled below 0.5 */
    double divisor;                  /* 1, or the maximum for a min-max normalised map */
    uint64_t pixel_seed;
    int kind;
    int touches_border;
    int normalised;
} scene;

static void draw_ellipse(rng *r, ellipse *e, double cx, double cy, double a, double b)
{
    const double theta = uniform(r, 0.0, PI);
    e->cx = cx;
    e->cy = cy;
    e->a = a;
    e->b = b;
    e->c = cos(theta);
    e->s = sin(theta);
}

/* The truth: a main ellipse, sometimes across the border, sometimes with a second lobe. */
static void draw_truth(rng *r, scene *sc, double w, double h)
{
    const double side = w < h ? w : h;
    const double a = side * uniform(r, 0.08, 0.28);
    const double b = a * uniform(r, 0.6, 1.0);
    double cx, cy;
    sc->touches_border = uniform(r, 0.0, 1.0) < 0.15;
    if (sc->touches_border) {
        /* centre within half a semi-axis of one edge: the blob is cut by it */
        const int edge = (int)(next_u64(r) % 4u);
        const double off = uniform(r, -0.5, 0.5) * b;
        cx = uniform(r, 0.0, w);
        cy = uniform(r, 0.0, h);
        if (edge == 0) cx = off;
        else if (edge == 1) cx = w - 1.0 + off;
        else if (edge == 2) cy = off;
        else cy = h - 1.0 + off;
    } else {
        const double mx = a < w / 2.0 ? a : w / 2.0, my = a < h / 2.0 ? a : h / 2.0;
        cx = uniform(r, mx, w - mx);
        cy = uniform(r, my, h - my);
    }
    draw_ellipse(r, &sc->truth[0], cx, cy, a, b);
    sc->lobes = 1;
    if (uniform(r, 0.0, 1.0) < 0.25) {
        const double dir = uniform(r, 0.0, 2.0 * PI), dist = a * uniform(r, 0.6, 0.9);
        draw_ellipse(r, &sc->truth[1], cx + dist * cos(dir), cy + dist * sin(dir),
                     a * uniform(r, 0.4, 0.7), b * uniform(r, 0.4, 0.7));
        sc->lobes = 2;
    }
}

/* The model: each lobe dilated and shifted, a smooth falloff, noise, spurious blobs. */
static void draw_model(rng *r, scene *sc, double w, double h)
{
    const double side = w < h ? w : h;
    const double dilate = uniform(r, 1.05, 1.5);
    const double sx = uniform(r, -0.2, 0.2) * sc->truth[0].a;
    const double sy = uniform(r, -0.2, 0.2) * sc->truth[0].a;
    double total = 0.0;
    int i;
    for (i = 0; i < sc->lobes; i++) {
        sc->pred[i] = sc->truth[i];
        sc->pred[i].cx += sx;
        sc->pred[i].cy += sy;
        sc->pred[i].a *= dilate;
        sc->pred[i].b *= dilate;
    }
    sc->sharpness = uniform(r, 3.0, 10.0);
    for (i = 0; i < WAVES; i++) {
        const double period = side * uniform(r, 0.3, 1.0), dir = uniform(r, 0.0, 2.0 * PI);
        sc->wave_amp[i] = uniform(r, 0.0, 1.0);
        total += sc->wave_amp[i];
        sc->wave_fx[i] = 2.0 * PI / period * cos(dir);
        sc->wave_fy[i] = 2.0 * PI / period * sin(dir);
        sc->wave_phase[i] = uniform(r, 0.0, 2.0 * PI);
    }
    /* low-frequency noise of total amplitude 0.3 .. 1.2 logit units */
    {
        const double amp = uniform(r, 0.3, 1.2);
        for (i = 0; i < WAVES; i++) sc->wave_amp[i] *= amp / (total > 0.0 ? total : 1.0);
    }
    sc->pixel_noise = uniform(r, 0.0, 0.6);
    sc->n_spurious = 0;
    if (uniform(r, 0.0, 1.0) < 0.3) {
        sc->n_spurious = 1 + (int)(next_u64(r) % (uint64_t)MAX_SPURIOUS);
        for (i = 0; i < sc->n_spurious; i++) {
            sc->spurious[i].cx = uniform(r, 0.0, w);
            sc->spurious[i].cy = uniform(r, 0.0, h);
            sc->spurious[i].sigma = side * uniform(r, 0.02, 0.08);
            sc->spurious[i].peak = uniform(r, 0.55, 0.95);
        }
    }
    sc->empty_scale = uniform(r, 0.2, 0.45);
}

static int in_truth(const scene *sc, double x, double y)
{
    int i;
    for (i = 0; i < sc->lobes; i++)
        if (ellipse_r(&sc->truth[i], x, y) <= 1.0) return 1;
    return 0;
}

/* The model's score at a pixel before normalisation: a logistic of a logit
 * made of the falloff, the noise and the spurious blobs. Working in logits
 * keeps every score strictly inside (0, 1), so scores do not pile up at an
 * exact 1.0 (which would tie many images' nonconformity scores). */
static double raw_score(const scene *sc, size_t px, size_t py)
{
    const double x = (double)px, y = (double)py;
    const uint64_t h = mix64(sc->pixel_seed ^ mix64(((uint64_t)py << 32) ^ (uint64_t)px));
    double r = 1e300, z, s;
    int i;
    for (i = 0; i < sc->lobes; i++) {
        const double ri = ellipse_r(&sc->pred[i], x, y);
        if (ri < r) r = ri;
    }
    z = sc->sharpness * (1.0 - r);
    for (i = 0; i < WAVES; i++)
        z += sc->wave_amp[i] * sin(sc->wave_fx[i] * x + sc->wave_fy[i] * y + sc->wave_phase[i]);
    z += sc->pixel_noise * (2.0 * unit(h) - 1.0);
    for (i = 0; i < sc->n_spurious; i++) {
        /* a bump from the background logit -4 up to logit(peak) at the centre */
        const blob *b = &sc->spurious[i];
        const double d2 = (x - b->cx) * (x - b->cx) + (y - b->cy) * (y - b->cy);
        const double top = log(b->peak / (1.0 - b->peak));
        const double zb = (top + 4.0) * exp(-d2 / (2.0 * b->sigma * b->sigma)) - 4.0;
        if (zb > z) z = zb;
    }
    s = 1.0 / (1.0 + exp(-z));
    if (sc->kind == CONSECO_SYNTH_EMPTY) s *= sc->empty_scale;
    if (sc->kind == CONSECO_SYNTH_PERFECT) {
        /* keep the texture, but on the right side of 0.5 everywhere */
        s = in_truth(sc, x, y) ? 0.5 + 0.5 * s : 0.49 * s;
    }
    return s;
}

/* --------------------------------------------------------------- the API */
void conseco_synth_config_default(conseco_synth_config *config)
{
    if (config == NULL) return;
    config->seed = 1;
    config->count = 100;
    config->width = CONSECO_SYNTH_DEFAULT_SIDE;
    config->height = CONSECO_SYNTH_DEFAULT_SIDE;
}

static void draw_scene(const conseco_synth_config *cfg, size_t index, scene *sc)
{
    const double w = (double)cfg->width, h = (double)cfg->height;
    rng r;
    double u;
    r.state = mix64(cfg->seed ^ UINT64_C(0x5EC0C0DE)) ^ mix64((uint64_t)index + 1u);
    draw_truth(&r, sc, w, h);
    draw_model(&r, sc, w, h);
    u = uniform(&r, 0.0, 1.0);
    sc->kind = u < 0.05 ? CONSECO_SYNTH_EMPTY
             : u < 0.10 ? CONSECO_SYNTH_PERFECT
                        : CONSECO_SYNTH_OVERSEGMENTED;
    /* some pipelines min-max normalise each map: its maximum is then exactly 1 */
    sc->normalised = sc->kind == CONSECO_SYNTH_OVERSEGMENTED && uniform(&r, 0.0, 1.0) < 0.1;
    sc->pixel_seed = next_u64(&r);
    sc->divisor = 1.0;
}

int conseco_synth_image(const conseco_synth_config *config, size_t index, float *scores_f32,
                        uint8_t *scores_u8, uint8_t *truth, conseco_synth_info *info)
{
    scene sc;
    size_t x, y, i;
    size_t n_truth = 0, n_pred = 0;
    if (config == NULL || config->width < 8 || config->height < 8 || index >= config->count)
        return -1;
    if (config->width > (size_t)-1 / config->height) return -1;
    draw_scene(config, index, &sc);
    if (sc.normalised) {
        double max = 0.0;
        for (y = 0; y < config->height; y++)
            for (x = 0; x < config->width; x++) {
                const double s = raw_score(&sc, x, y);
                if (s > max) max = s;
            }
        if (max > 0.0) sc.divisor = max; /* max / max is exactly 1 */
    }
    for (y = 0, i = 0; y < config->height; y++)
        for (x = 0; x < config->width; x++, i++) {
            const double s = raw_score(&sc, x, y) / sc.divisor;
            const int t = in_truth(&sc, (double)x, (double)y);
            const float f = (float)s;
            if (scores_f32 != NULL) scores_f32[i] = f;
            if (scores_u8 != NULL) scores_u8[i] = (uint8_t)(s * 255.0 + 0.5);
            if (truth != NULL) truth[i] = (uint8_t)t;
            n_truth += (size_t)t;
            n_pred += (double)f >= 0.5;
        }
    if (info != NULL) {
        info->kind = sc.kind;
        info->spurious_blobs = sc.n_spurious;
        info->touches_border = sc.touches_border;
        info->normalised = sc.normalised;
        info->truth_pixels = n_truth;
        info->predicted_pixels = n_pred;
    }
    return 0;
}
