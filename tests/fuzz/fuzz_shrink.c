/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: conseco_score, conseco_apply, conseco_evaluate_image and
 * conseco_metrics_from_masks on arbitrary shapes, strides, element types,
 * values (NaN, inf, denormals, ties) and shrinker settings.
 *
 * Input layout (missing bytes read as 0):
 *   0 shrinker (% 7): threshold, or erosion with one of 3 elements x 2
 *     borders; path (/ 7 % 3): built-in, custom vtable with levels, custom
 *     black box (apply only)
 *   1 dtype (low 7 bits >= 122: an invalid dtype), bit 7: floats from raw bytes
 *   2-4 width, height, depth (2-D up to 12 x 12, 3-D up to 6 x 6 x 3);
 *     byte 4 bit 7 selects a large 2-D image (below)
 *   5-6 row/slice padding (byte 5 bits 0-4); 7 tau; 8-9 base, top
 *   byte 5 bits 5-7, when not 0: a mode for the 0.2 additions (smooth
 *     kind, ball-mm, outer sets, bands, custom outer vtables, the risk
 *     guarantee; fuzz_shrink_02.c says which), whose 4 parameter bytes
 *     follow byte 9; byte 0 then selects the variant within the mode
 *   10.. (or 14..) pixel bytes, then truth bits, then extra lambdas.
 *
 * Large images: the fast paths (threshold_fast.c, erosion_cross2d.c) only
 * take images whose pixel count pays for their fixed-size tables, a few
 * thousand pixels, more than an input can spell out. So for the threshold,
 * the cross and the square (not the disk, whose literal reference is too
 * slow there) the pixel and truth bytes describe a block of at most 12 x 12
 * cells, scaled up 3 to 10 times (nearest neighbour, plus up to 9 extra
 * columns and rows) into an image of up to 129 x 129; byte 10 seeds a
 * per-pixel hash that, when its bits say so, moves values by one step
 * (near-ties next to exact ties) and flips 1 truth pixel in 16. Few distinct
 * values keep the literal references fast.
 *
 * Invariants checked on every input:
 *  - status: invalid dtype -> CONSECO_E_BAD_DTYPE, a NaN/inf in a float map
 *    -> CONSECO_E_NONFINITE (CONSECO_E_CALLBACK through a custom vtable),
 *    otherwise OK;
 *  - the score equals the literal reference (tests/support/ref_*.c) exactly;
 *  - for every lambda: the inner mask lies inside the prediction, inner and
 *    uncertain partition it, padding bytes are never written, masks shrink
 *    as lambda grows and AFP is non-increasing in lambda;
 *  - evaluate_image and metrics_from_masks agree with the written masks;
 *  - AFP <= tau at lambda = score, and > tau at every breakpoint below it.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conseco.h"
#include "fuzz_check.h"
#include "fuzz_shrink_02.h"
#include "ref_erosion.h"
#include "ref_threshold.h"

#define CANARY 0x5Au
#define MAX_LAMBDAS 14

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static unsigned next_byte(reader *r)
{
    if (r->n == 0) return 0;
    r->n--;
    return *r->p++;
}

typedef struct layout {
    size_t w, h, d, row, slice, bytes;
} layout;

static layout make_layout(size_t w, size_t h, size_t d, size_t elem, size_t row_pad,
                          size_t slice_pad_rows)
{
    layout l;
    l.w = w;
    l.h = h;
    l.d = d;
    l.row = (w + row_pad) * elem;
    l.slice = (h + slice_pad_rows) * l.row;
    l.bytes = d * l.slice;
    return l;
}

static size_t elem_size(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_U16: return 2;
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_F64: return 8;
    default: return 1;
    }
}

/* Dense index of (x, y, z) and byte offset in a strided layout. */
static size_t off(const layout *l, size_t x, size_t y, size_t z, size_t elem)
{
    return z * l->slice + y * l->row + x * elem;
}

static int is_pixel_byte(const layout *l, size_t byte, size_t elem)
{
    const size_t z = byte / l->slice, in_slice = byte % l->slice;
    const size_t y = in_slice / l->row, x_bytes = in_slice % l->row;
    (void)z;
    return y < l->h && x_bytes < l->w * elem;
}

static void check_padding(const uint8_t *buf, const layout *l)
{
    size_t b;
    for (b = 0; b < l->bytes; b++)
        if (!is_pixel_byte(l, b, 1)) FUZZ_CHECK(buf[b] == CANARY);
}

typedef struct ctx {
    conseco_shrinker sh;
    int is_threshold;
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_image img;
    conseco_mask truth;
    layout ml;        /* layout of truth and output masks */
    size_t n;         /* pixels */
    uint8_t *yhat;    /* dense prediction, from the literal pixel values */
    uint8_t *gt;      /* dense truth */
    double tau;
    void *scratch;
    size_t scratch_size;
} ctx;

static void dense_from_strided(const ctx *c, const uint8_t *buf, uint8_t *dense)
{
    size_t x, y, z, i = 0;
    for (z = 0; z < c->ml.d; z++)
        for (y = 0; y < c->ml.h; y++)
            for (x = 0; x < c->ml.w; x++) dense[i++] = buf[off(&c->ml, x, y, z, 1)];
}

/* Applies lambda, checks the masks; returns the dense inner mask in `inner`. */
static void check_apply(const ctx *c, double lambda, uint8_t *inner, const uint8_t *prev,
                        double *prev_afp)
{
    uint8_t *in_buf = (uint8_t *)malloc(c->ml.bytes), *unc_buf = (uint8_t *)malloc(c->ml.bytes);
    uint8_t *unc = (uint8_t *)malloc(c->n), *alone = (uint8_t *)malloc(c->ml.bytes);
    conseco_mask_out in_view, unc_view, alone_view;
    conseco_mask yhat_view, inner_view;
    conseco_image_metrics m, mm;
    size_t i, kept = 0, kept_fp = 0, predicted = 0;
    FUZZ_CHECK(in_buf && unc_buf && unc && alone);
    memset(in_buf, CANARY, c->ml.bytes);
    memset(unc_buf, CANARY, c->ml.bytes);
    memset(alone, CANARY, c->ml.bytes);
    in_view = conseco_mask_out_3d(in_buf, c->ml.w, c->ml.h, c->ml.d, c->ml.row, c->ml.slice);
    unc_view = conseco_mask_out_3d(unc_buf, c->ml.w, c->ml.h, c->ml.d, c->ml.row, c->ml.slice);
    alone_view = conseco_mask_out_3d(alone, c->ml.w, c->ml.h, c->ml.d, c->ml.row, c->ml.slice);
    FUZZ_CHECK(conseco_apply(&c->sh, &c->img, lambda, c->scratch, c->scratch_size, &in_view,
                             &unc_view) == CONSECO_OK);
    check_padding(in_buf, &c->ml);
    check_padding(unc_buf, &c->ml);
    dense_from_strided(c, in_buf, inner);
    dense_from_strided(c, unc_buf, unc);
    /* the uncertain region alone is the same region */
    FUZZ_CHECK(conseco_apply(&c->sh, &c->img, lambda, c->scratch, c->scratch_size, NULL,
                             &alone_view) == CONSECO_OK);
    check_padding(alone, &c->ml);
    FUZZ_CHECK(memcmp(alone, unc_buf, c->ml.bytes) == 0);

    for (i = 0; i < c->n; i++) {
        FUZZ_CHECK(inner[i] <= 1 && unc[i] <= 1);
        FUZZ_CHECK(!(inner[i] && !c->yhat[i]));          /* inner inside the prediction */
        FUZZ_CHECK(inner[i] + unc[i] == c->yhat[i]);     /* a partition of it */
        if (prev) FUZZ_CHECK(!(inner[i] && !prev[i]));   /* nested in lambda */
        predicted += c->yhat[i];
        kept += inner[i];
        kept_fp += inner[i] && !c->gt[i];
    }
    if (lambda > DBL_MAX) FUZZ_CHECK(kept == 0); /* +inf: the empty mask */
    if (c->is_threshold) {
        uint8_t *ri = (uint8_t *)malloc(c->n), *ru = (uint8_t *)malloc(c->n);
        FUZZ_CHECK(ri && ru);
        ref_threshold_apply(&c->tp, &c->img, lambda, ri, ru);
        FUZZ_CHECK(memcmp(ri, inner, c->n) == 0 && memcmp(ru, unc, c->n) == 0);
        free(ri);
        free(ru);
    } else if (lambda <= DBL_MAX) {
        /* I_lambda = I_ceil(lambda); below 0 it is the prediction itself */
        uint8_t *ri = (uint8_t *)malloc(c->n);
        const double steps = lambda <= 0.0 ? 0.0 : ceil(lambda);
        FUZZ_CHECK(ri != NULL);
        ref_erosion_inner(c->yhat, c->ml.w, c->ml.h, c->ml.d, (int)c->ep.element,
                          (int)c->ep.border, (unsigned long)steps, ri);
        for (i = 0; i < c->n; i++) FUZZ_CHECK((ri[i] != 0) == (inner[i] != 0));
        free(ri);
    }

    FUZZ_CHECK(conseco_evaluate_image(&c->sh, &c->img, &c->truth, lambda, c->tau, c->scratch,
                                      c->scratch_size, &m) == CONSECO_OK);
    FUZZ_CHECK(m.predicted == predicted && m.inner == kept && m.inner_fp == kept_fp);
    FUZZ_CHECK(m.inner_tp == kept - kept_fp);
    FUZZ_CHECK(m.afp == (predicted ? (double)kept_fp / (double)predicted : 0.0));
    FUZZ_CHECK(m.valid == (m.afp <= c->tau));
    FUZZ_CHECK(m.afp <= *prev_afp); /* AFP non-increasing in lambda */
    *prev_afp = m.afp;

    /* metrics from the explicit masks agree (in_buf has the mask layout) */
    yhat_view = conseco_mask_3d(c->yhat, c->ml.w, c->ml.h, c->ml.d, c->ml.w, c->ml.w * c->ml.h);
    inner_view = conseco_mask_3d(inner, c->ml.w, c->ml.h, c->ml.d, c->ml.w, c->ml.w * c->ml.h);
    {
        uint8_t *gt_dense_owner = c->gt;
        conseco_mask gt_view = conseco_mask_3d(gt_dense_owner, c->ml.w, c->ml.h, c->ml.d, c->ml.w,
                                               c->ml.w * c->ml.h);
        FUZZ_CHECK(conseco_metrics_from_masks(&yhat_view, &inner_view, &gt_view, c->tau, &mm) ==
                   CONSECO_OK);
    }
    FUZZ_CHECK(mm.predicted == m.predicted && mm.inner == m.inner && mm.inner_fp == m.inner_fp &&
               mm.afp == m.afp && mm.valid == m.valid);
    free(in_buf);
    free(unc_buf);
    free(unc);
    free(alone);
}

/* The byte source of pixels and truth: the input itself, or an upscaled block. */
typedef struct source {
    reader *r;
    int large;
    size_t bw, bh, scale, elem;
    unsigned seed;
    uint8_t pix[12 * 12 * 8], gt[12 * 12];
} source;

static uint32_t mix(size_t x, size_t y, unsigned seed)
{
    uint32_t v = (uint32_t)x * 0x9E3779B1u ^ (uint32_t)y * 0x85EBCA77u ^ seed * 0xC2B2AE3Du;
    v ^= v >> 15;
    v *= 0x2C1B3C6Du;
    v ^= v >> 12;
    return v;
}

static size_t cell_of(const source *s, size_t x, size_t y)
{
    size_t cx = x / s->scale, cy = y / s->scale;
    if (cx >= s->bw) cx = s->bw - 1;
    if (cy >= s->bh) cy = s->bh - 1;
    return cy * s->bw + cx;
}

/* Byte k of pixel (x, y): the low byte may move by one step (clamped). */
static unsigned pixel_byte(source *s, size_t x, size_t y, size_t k)
{
    int v;
    if (!s->large) return next_byte(s->r);
    v = s->pix[cell_of(s, x, y) * s->elem + k];
    if (k == 0 && (s->seed & 1u)) v += (int)(mix(x, y, s->seed) % 3u) - 1;
    return (unsigned)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static unsigned truth_byte(source *s, size_t x, size_t y)
{
    unsigned b;
    if (!s->large) return next_byte(s->r);
    b = s->gt[cell_of(s, x, y)];
    if ((s->seed & 2u) && mix(x, y, s->seed ^ 0x5A5Au) % 16u == 0) b ^= 1u;
    return b;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size};
    ctx c;
    unsigned b0 = next_byte(&r), b1 = next_byte(&r);
    /* 2-D up to 12 x 12, volumes up to 6 x 6 x 3: small shapes find the edge
     * cases, and the literal references stay fast enough for many runs/s */
    const unsigned wb = next_byte(&r), hb = next_byte(&r), db = next_byte(&r);
    const unsigned pads = next_byte(&r), slice_pad = next_byte(&r) % 3, tau_b = next_byte(&r);
    const unsigned base_b = next_byte(&r), top_b = next_byte(&r);
    /* byte 5 bits 5-7: a 0.2 mode (fuzz_shrink_02.c) with 4 parameter bytes */
    const unsigned ext = pads >> 5;
    unsigned prm[4] = {0, 0, 0, 0};
    /* not with the disk: its literal reference costs O(N r^2) per radius, and
     * no disk fast path needs large images */
    const int disk = b0 % 7u == 3u || b0 % 7u == 6u;
    int large;
    size_t d, w, h, side, scale;
    const int raw = (b1 & 0x80u) != 0;
    static const int bad_dtypes[6] = {0, 6, 7, -1, 100, 0x7fffffff};
    int dtype, nonfinite = 0, rc;
    unsigned path;
    conseco_shrinker_vtable wrap;
    size_t elem, x, y, z, i, nl = 0;
    source src;
    layout il;
    uint8_t *pix, *gt_buf;
    double score, lambdas[MAX_LAMBDAS + 2], prev_afp = DBL_MAX;
    uint8_t *inner, *prev = NULL;

    const unsigned sel = b0;
    if (ext != 0)
        for (i = 0; i < 4; i++) prm[i] = next_byte(&r);
    large = (db & 0x80u) != 0 && (ext == 0 ? !disk : fz02_large_ok(ext, b0, prm));
    d = large ? 1 : 1 + db % 3;
    side = d > 1 ? 6 : 12;
    scale = 3 + (db >> 2) % 8;
    w = large ? (1 + wb % 12) * scale + (wb >> 4) % 10 : 1 + wb % side;
    h = large ? (1 + hb % 12) * scale + (hb >> 4) % 10 : 1 + hb % side;
    memset(&c, 0, sizeof c);
    dtype = (b1 & 0x7Fu) >= 122 ? bad_dtypes[(b1 & 0x7Fu) % 6] : (int)(1 + (b1 & 0x7Fu) % 5);
    elem = elem_size(dtype);
    il = make_layout(w, h, d, elem, pads & 3u, slice_pad);
    c.ml = make_layout(w, h, d, 1, (pads >> 2) & 3u, (pads >> 4) & 1u);
    c.n = w * h * d;
    c.tau = tau_b == 255 ? 1.0 : tau_b == 254 ? 0.0 : (double)tau_b / 253.0;

    path = (b0 / 7u) % 3u;
    b0 %= 7;
    c.is_threshold = b0 == 0;
    if (c.is_threshold) {
        conseco_threshold_params_default(&c.tp);
        c.tp.base = ((double)base_b - 32.0) / 191.0;
        c.tp.top = c.tp.base + (top_b == 255 ? 0.0 : (double)top_b / 128.0); /* 255: [b, b] */
        c.sh = conseco_shrinker_threshold(&c.tp);
    } else {
        conseco_erosion_params_default(&c.ep);
        c.ep.element = 1 + (b0 - 1) % 3;
        c.ep.border = 1 + (b0 - 1) / 3;
        c.ep.base = ((double)base_b - 32.0) / 191.0;
        c.sh = conseco_shrinker_erosion(&c.ep);
    }
    FUZZ_CHECK(conseco_shrinker_validate(&c.sh) == CONSECO_OK);

    /* pixels: padding bytes are all-ones (a NaN for floats) and must never be read */
    pix = (uint8_t *)malloc(il.bytes);
    gt_buf = (uint8_t *)malloc(c.ml.bytes);
    c.yhat = (uint8_t *)malloc(c.n);
    c.gt = (uint8_t *)malloc(c.n);
    inner = (uint8_t *)malloc(c.n);
    prev = (uint8_t *)malloc(c.n);
    FUZZ_CHECK(pix && gt_buf && c.yhat && c.gt && inner && prev);
    memset(pix, 0xFF, il.bytes);
    memset(gt_buf, 0xFF, c.ml.bytes);
    memset(&src, 0, sizeof src);
    src.r = &r;
    src.large = large;
    src.elem = elem;
    if (large) {
        src.bw = 1 + wb % 12;
        src.bh = 1 + hb % 12;
        src.scale = scale;
        src.seed = next_byte(&r);
        for (i = 0; i < src.bw * src.bh * elem; i++) src.pix[i] = (uint8_t)next_byte(&r);
        for (i = 0; i < src.bw * src.bh; i++) src.gt[i] = (uint8_t)next_byte(&r);
    }
    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++) {
                uint8_t *p = pix + off(&il, x, y, z, elem);
                if (dtype == CONSECO_DTYPE_F32 && !raw) {
                    float f = (float)(((double)pixel_byte(&src, x, y, 0) - 16.0) / 223.0);
                    memcpy(p, &f, 4);
                } else if (dtype == CONSECO_DTYPE_F64 && !raw) {
                    double f = ((double)pixel_byte(&src, x, y, 0) - 16.0) / 223.0;
                    memcpy(p, &f, 8);
                } else {
                    for (i = 0; i < elem; i++) p[i] = (uint8_t)pixel_byte(&src, x, y, i);
                }
                if (dtype == CONSECO_DTYPE_F32) {
                    float f;
                    memcpy(&f, p, 4);
                    nonfinite |= !(f == f && f - f == 0.0f);
                } else if (dtype == CONSECO_DTYPE_F64) {
                    double f;
                    memcpy(&f, p, 8);
                    nonfinite |= !(f == f && f - f == 0.0);
                }
            }
    i = 0;
    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++, i++) {
                const unsigned bits = truth_byte(&src, x, y);
                c.gt[i] = (uint8_t)(bits & 1u);
                /* any nonzero byte is "inside": use 1 and other values */
                gt_buf[off(&c.ml, x, y, z, 1)] = (uint8_t)((bits & 1u) ? (bits | 1u) : 0u);
            }
    c.img = conseco_image_3d(pix, w, h, d, il.row, il.slice, dtype);
    c.truth = conseco_mask_3d(gt_buf, w, h, d, c.ml.row, c.ml.slice);

    if (ext != 0) {
        fz_case fc;
        fz_bytes more;
        more.p = r.p;
        more.n = r.n;
        memset(&fc, 0, sizeof fc);
        fc.ext = ext;
        fc.sel = sel;
        for (i = 0; i < 4; i++) fc.prm[i] = prm[i];
        fc.base_b = base_b;
        fc.top_b = top_b;
        fc.img = c.img;
        fc.truth = c.truth;
        fc.gt = c.gt;
        fc.w = w;
        fc.h = h;
        fc.d = d;
        fc.n = c.n;
        fc.tau = c.tau;
        fc.bad_dtype = dtype < CONSECO_DTYPE_U8 || dtype > CONSECO_DTYPE_MASK8;
        fc.nonfinite = nonfinite;
        fc.large = large;
        fc.more = &more;
        fz02_run(&fc);
        goto done;
    }

    /* The same shrinker through the custom-shrinker paths: its own vtable
     * callbacks behind a vtable the library does not recognise, either with
     * levels (fast path) or as a black box (apply only, the library searches
     * lambda). Every invariant below, the reference included, must still hold. */
    if (path != 0) {
        wrap = *c.sh.vtable;
        wrap.name = "wrapped";
        if (c.is_threshold) {
            wrap.lambda_min = c.tp.base;
            wrap.lambda_max = c.tp.top;
        } else {
            wrap.lambda_min = 0.0;
            wrap.lambda_max = (double)INFINITY;
        }
        if (path == 2) wrap.levels = NULL;
        c.sh.vtable = &wrap;
        FUZZ_CHECK(conseco_shrinker_validate(&c.sh) == CONSECO_OK);
    }

    c.scratch_size = conseco_scratch_size(&c.sh, w, h, d);
    FUZZ_CHECK(c.scratch_size > 0);
    c.scratch = malloc(c.scratch_size);
    FUZZ_CHECK(c.scratch != NULL);

    rc = conseco_score(&c.sh, &c.img, &c.truth, c.tau, c.scratch, c.scratch_size, &score);
    if (dtype < CONSECO_DTYPE_U8 || dtype > CONSECO_DTYPE_MASK8) {
        FUZZ_CHECK(rc == CONSECO_E_BAD_DTYPE);
        goto done;
    }
    if (nonfinite) {
        /* custom paths: the wrapped callback refuses the map, which the
         * library reports as a callback failure (the vtable contract) */
        FUZZ_CHECK(rc == (path == 0 ? CONSECO_E_NONFINITE : CONSECO_E_CALLBACK));
        goto done;
    }
    FUZZ_CHECK(rc == CONSECO_OK);
    /* too little scratch is refused, never overrun */
    {
        double s2 = -1.0;
        const int rc2 = conseco_score(&c.sh, &c.img, &c.truth, c.tau, c.scratch,
                                      c.scratch_size - 1, &s2);
        FUZZ_CHECK(rc2 == CONSECO_OK || rc2 == CONSECO_E_SCRATCH_TOO_SMALL);
        if (rc2 == CONSECO_OK) FUZZ_CHECK(s2 == score);
    }

    for (i = 0, z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++, i++) {
                const double s = ref_pixel(&c.img, x, y, z);
                c.yhat[i] = (uint8_t)(s >= (c.is_threshold ? c.tp.base : c.ep.base));
            }

    if (c.is_threshold) {
        const double ref = ref_threshold_score(&c.tp, &c.img, &c.truth, c.tau);
        FUZZ_CHECK(score == ref);
        FUZZ_CHECK(score > DBL_MAX || (score >= c.tp.base && score <= c.tp.top));
        lambdas[nl++] = c.tp.base;
        lambdas[nl++] = c.tp.top;
        lambdas[nl++] = c.tp.base - 0.25; /* below lambda_min: the prediction itself */
        /* pixel values (breakpoints when in Yhat and <= top) and a few between */
        while (nl < MAX_LAMBDAS && r.n > 0) {
            const unsigned k = next_byte(&r);
            const size_t p = (k * 7919u) % c.n;
            const double s = ref_pixel(&c.img, p % w, (p / w) % h, p / (w * h));
            lambdas[nl++] = (k & 1u) ? s : c.tp.base + (c.tp.top - c.tp.base) * (double)k / 255.0;
        }
    } else {
        const double ref = ref_erosion_score(c.yhat, c.gt, w, h, d, (int)c.ep.element,
                                             (int)c.ep.border, c.tau);
        FUZZ_CHECK(score == ref);
        FUZZ_CHECK(score >= 0.0 && (score > DBL_MAX || score == floor(score)));
        lambdas[nl++] = -1.0; /* below lambda_min: the prediction itself */
        for (i = 0; i < 7; i++) lambdas[nl++] = (double)i;
        lambdas[nl++] = 2.5; /* between integers: I_ceil(lambda) */
        lambdas[nl++] = (double)(w > h ? w : h) + 1.0;
    }
    if (score <= DBL_MAX) lambdas[nl++] = score;
    lambdas[nl++] = (double)INFINITY; /* the empty mask */
    qsort(lambdas, nl, sizeof lambdas[0], cmp_double);

    for (i = 0; i < nl; i++) {
        conseco_image_metrics m;
        check_apply(&c, lambdas[i], inner, i ? prev : NULL, &prev_afp);
        memcpy(prev, inner, c.n);
        FUZZ_CHECK(conseco_evaluate_image(&c.sh, &c.img, &c.truth, lambdas[i], c.tau, c.scratch,
                                          c.scratch_size, &m) == CONSECO_OK);
        if (lambdas[i] == score) FUZZ_CHECK(m.valid);
        if (lambdas[i] < score) {
            /* below the score only non-breakpoints may be valid */
            /* (erosion: the integers; threshold: base and Yhat values, within [base, top]) */
            int breakpoint = c.is_threshold ? lambdas[i] == c.tp.base
                                            : lambdas[i] == floor(lambdas[i]);
            size_t p;
            for (p = 0; c.is_threshold && !breakpoint && p < c.n; p++)
                breakpoint = c.yhat[p] &&
                             ref_pixel(&c.img, p % w, (p / w) % h, p / (w * h)) == lambdas[i];
            if (breakpoint && lambdas[i] >= (c.is_threshold ? c.tp.base : 0.0) &&
                (!c.is_threshold || lambdas[i] <= c.tp.top))
                FUZZ_CHECK(!m.valid);
        }
    }

    /* a truth of another shape is refused */
    {
        conseco_mask other = c.truth;
        other.width = w + 1;
        other.row_stride = c.ml.row + 1;
        other.slice_stride = (h + 1) * other.row_stride;
        rc = conseco_score(&c.sh, &c.img, &other, c.tau, c.scratch, c.scratch_size, &score);
        FUZZ_CHECK(rc == CONSECO_E_SIZE_MISMATCH || rc == CONSECO_E_BAD_STRIDE);
    }

done:
    free(c.scratch);
    free(pix);
    free(gt_buf);
    free(c.yhat);
    free(c.gt);
    free(inner);
    free(prev);
    return 0;
}
