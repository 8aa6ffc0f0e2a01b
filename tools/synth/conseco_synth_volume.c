/* SPDX-License-Identifier: Apache-2.0 */
/* Synthetic anisotropic vote-map volumes: see conseco_synth_volume.h for what and why. */
#include "conseco_synth_volume.h"

#define MAX_LOBES 2
#define MAX_RATERS 255u

/* splitmix64, as in conseco_synth.c: tiny, well mixed, identical everywhere. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

typedef struct rng { uint64_t state; } rng;

static uint64_t next_u64(rng *r) { return mix64(r->state += UINT64_C(0x9E3779B97F4A7C15)); }
static double uniform(rng *r, double lo, double hi)
{
    const double u = (double)(next_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
}

/* An axis-aligned ellipsoid in millimetres. Axis-aligned keeps the test to
 * +, -, *, / (no libm), each in its own statement so that no compiler fuses
 * them into an FMA: votes are then the same bits on every platform. */
typedef struct ellipsoid {
    double c[3]; /* centre, mm */
    double r[3]; /* semi-axes, mm */
} ellipsoid;

static int inside(const ellipsoid *e, const double p[3])
{
    double sum = 0.0;
    int a;
    for (a = 0; a < 3; a++) {
        const double u = (p[a] - e->c[a]) / e->r[a];
        const double u2 = u * u;
        sum = sum + u2;
    }
    return sum <= 1.0;
}

typedef struct region {
    ellipsoid lobe[MAX_LOBES];
    int lobes;
} region;

static int in_region(const region *g, const double p[3])
{
    int i;
    for (i = 0; i < g->lobes; i++)
        if (inside(&g->lobe[i], p)) return 1;
    return 0;
}

/* A rater's view of the organ: the ensemble's shared bias (every model was
 * trained on the same data, so they over-segment alike) plus its own jitter. */
static void draw_rater(rng *r, const region *organ, double bias_scale, const double bias[3],
                       region *out)
{
    const double scale = bias_scale * uniform(r, 0.95, 1.06);
    double shift[3];
    int i, a;
    for (a = 0; a < 3; a++) shift[a] = bias[a] + uniform(r, -0.05, 0.05) * organ->lobe[0].r[a];
    *out = *organ;
    for (i = 0; i < out->lobes; i++)
        for (a = 0; a < 3; a++) {
            out->lobe[i].c[a] += shift[a];
            out->lobe[i].r[a] *= scale;
        }
}

void conseco_synth_volume_config_default(conseco_synth_volume_config *config)
{
    if (config == NULL) return;
    config->seed = 1;
    config->count = 12;
    config->width = 96;
    config->height = 96;
    config->depth = 32;
    config->raters = 33;
}

int conseco_synth_volume(const conseco_synth_volume_config *cfg, size_t index, uint8_t *votes,
                         uint8_t *truth, conseco_synth_volume_info *info)
{
    region organ, raters[MAX_RATERS];
    ellipsoid confusion;
    unsigned char sees_confusion[MAX_RATERS];
    double spacing[3], extent[3];
    size_t x, y, z, i = 0, n_truth = 0, n_pred = 0;
    unsigned k, need;
    int spurious = 0, a;
    rng r;
    if (cfg == NULL || cfg->width < 8 || cfg->height < 8 || cfg->depth < 4 ||
        cfg->raters < 1 || cfg->raters > MAX_RATERS || index >= cfg->count)
        return -1;
    if (cfg->width > (size_t)-1 / cfg->height ||
        cfg->width * cfg->height > (size_t)-1 / cfg->depth)
        return -1;
    r.state = mix64(cfg->seed ^ UINT64_C(0x701C0DE5)) ^ mix64((uint64_t)index + 1u);
    /* spacing k/64 mm: exact in float32, so a NIfTI pixdim round-trips it */
    spacing[0] = (double)(39u + (unsigned)(next_u64(&r) % 26u)) / 64.0; /* 0.61 .. 1.0 */
    spacing[1] = spacing[0];
    spacing[2] = (double)(96u + (unsigned)(next_u64(&r) % 225u)) / 64.0; /* 1.5 .. 5.0 */
    extent[0] = (double)cfg->width * spacing[0];
    extent[1] = (double)cfg->height * spacing[1];
    extent[2] = (double)cfg->depth * spacing[2];
    {
        const double inplane = extent[0] < extent[1] ? extent[0] : extent[1];
        ellipsoid *e = &organ.lobe[0];
        e->r[0] = inplane * uniform(&r, 0.10, 0.22);
        e->r[1] = inplane * uniform(&r, 0.08, 0.18);
        e->r[2] = extent[2] * uniform(&r, 0.15, 0.3);
        for (a = 0; a < 3; a++)
            e->c[a] = extent[a] * uniform(&r, 0.35, 0.65);
        organ.lobes = 1;
        if (uniform(&r, 0.0, 1.0) < 0.35) {
            /* a tail, like a pancreas: smaller, off to one side */
            ellipsoid *t = &organ.lobe[1];
            for (a = 0; a < 3; a++) t->r[a] = e->r[a] * uniform(&r, 0.45, 0.7);
            t->c[0] = e->c[0] + e->r[0] * uniform(&r, 0.9, 1.3);
            t->c[1] = e->c[1] + e->r[1] * uniform(&r, -0.4, 0.4);
            t->c[2] = e->c[2] + e->r[2] * uniform(&r, -0.3, 0.3);
            organ.lobes = 2;
        }
    }
    /* a region that looks like the organ to some raters: whole false-positive
     * blobs at high agreement, which the plain threshold cannot split */
    for (a = 0; a < 3; a++) {
        confusion.r[a] = organ.lobe[0].r[a] * uniform(&r, 0.25, 0.5);
        confusion.c[a] = extent[a] * uniform(&r, 0.15, 0.85);
    }
    {
        const double u = uniform(&r, 0.0, 1.0);
        const double share = u < 0.3 ? 1.0 : u < 0.6 ? uniform(&r, 0.3, 1.0) : 0.0;
        const double bias_scale = uniform(&r, 1.0, 1.25);
        double bias[3];
        for (a = 0; a < 3; a++) bias[a] = uniform(&r, -0.1, 0.1) * organ.lobe[0].r[a];
        for (k = 0; k < cfg->raters; k++) {
            draw_rater(&r, &organ, bias_scale, bias, &raters[k]);
            sees_confusion[k] = (unsigned char)(uniform(&r, 0.0, 1.0) < share);
            spurious += sees_confusion[k];
        }
    }
    need = (cfg->raters + 1u) / 2u; /* votes / raters >= 0.5 */
    for (z = 0; z < cfg->depth; z++)
        for (y = 0; y < cfg->height; y++)
            for (x = 0; x < cfg->width; x++, i++) {
                const double p[3] = {(double)x * spacing[0], (double)y * spacing[1],
                                     (double)z * spacing[2]};
                const int in_conf = inside(&confusion, p);
                unsigned v = 0;
                const int t = in_region(&organ, p);
                for (k = 0; k < cfg->raters; k++)
                    v += (unsigned)(in_region(&raters[k], p) || (in_conf && sees_confusion[k]));
                if (votes != NULL) votes[i] = (uint8_t)v;
                if (truth != NULL) truth[i] = (uint8_t)t;
                n_truth += (size_t)t;
                n_pred += v >= need;
            }
    if (info != NULL) {
        for (a = 0; a < 3; a++) info->spacing[a] = spacing[a];
        info->truth_voxels = n_truth;
        info->predicted_voxels = n_pred;
        info->spurious_raters = spurious;
    }
    return 0;
}
