/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The erosion element ball-mm (docs/DESIGN.md section 5.1):
 * I_lambda = {p in Yhat : d_mm(p) > lambda}, lambda real >= 0, d_mm the
 * correctly rounded Euclidean distance with the image spacing from p's
 * centre to the nearest voxel centre outside Yhat (distance_mm.c).
 *
 * Level map: p in I_lambda <=> d > lambda <=> L >= lambda with L the double
 * just below d (no double lies between them), +inf when no background is
 * reachable. Score: with m the largest false-positive count F <= tau allows,
 * the (m+1)-th largest d over false positives (0 when there are at most m,
 * +inf when more than m are never removed): at lambda = that d at most m
 * false positives have d > lambda, below it m + 1 do.
 *
 * Scratch (16-byte aligned): N uint32 codes (4 bytes per voxel; only the
 * bounding box plus its margin is used), the line work of distance_mm.c or
 * distance_mm_int.c (the larger), 256 uint32 counters (k < 2^32: codes need
 * it); plus CONSECO__ALIGN_SLACK. The score compacts the codes of false
 * positives in place and selects the order statistic on an approximate D2,
 * then exactly by radix on the bits of d within a proven window
 * (select_largest_approx; no array of doubles). When the spacings allow
 * (distance_mm_int.h) the score's cells hold the integers D2 / unit instead
 * of codes, selected by radix on their own bits. The score of a volume on
 * the pair path also uses the codes' cells beyond the box, when they fit:
 * Yhat as bits from the box scan (at the end), then the pruned pass's
 * summary of groups of lines and its list of false positives (right after
 * the box; docs/DESIGN.md 5.1).
 */
#include "distance_mm_int.h"
#include "distance_mm_pair.h"
#include "common/simd.h"
#include "common/yhat.h"

typedef struct mm_map {
    conseco__yhat_box yb;
    conseco__mm_box b;
    conseco__mm m;
    double sp[3];
    uint32_t *code;
    const conseco__mm_pair *pair; /* the score's pair form, else NULL: codes of mm_box */
    int marked;                   /* the pair form's pruned pass ran (CONSECO__MM_MARK) */
    double keep;                  /* then: codes whose approximate D2 is below are not needed */
    const uint32_t *groups;       /* or NULL: the groups of 16 lines along z (ceil(n[0] / 16)
                                   * per row y) that hold marks (the pruned pass's summary) */
    uint32_t *list;               /* or NULL: the pruned pass's list of false positives */
    size_t list_n;
    uint64_t fp_finite, fp_inf;   /* with list: its counts (conseco__mm_prune) */
} mm_map;

typedef struct mm_layout {
    uint32_t *code;
    size_t code_cells; /* of the image: those beyond the box are free */
    void *work;
    size_t work_bytes;
    uint32_t *counts;
} mm_layout;

static size_t round8(size_t v) { return (v + 7u) & ~(size_t)7u; }

static int sizes(size_t w, size_t h, size_t d, size_t *codes, size_t *work)
{
    size_t n;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n) ||
        !conseco__mul_size(n, sizeof(uint32_t), codes) || !conseco__add_size(*codes, 7, codes))
        return 0;
    *codes = round8(*codes);
    *work = conseco__mm_work_bytes_image(w, h, d);
    n = conseco__mm_int_work_bytes_image(w, h, d); /* the score's integer path */
    if (n == 0) return 0;
    if (n > *work) *work = n;
    return *work != 0;
}

size_t conseco__erosion_mm_scratch_size(size_t width, size_t height, size_t depth)
{
    size_t codes, work, total;
    if (width == 0 || height == 0 || depth == 0) return 0;
    if (!sizes(width, height, depth, &codes, &work)) return 0;
    if (!conseco__add_size(codes, work, &total) ||
        !conseco__add_size(total, 256 * sizeof(uint32_t), &total) ||
        !conseco__add_size(total, CONSECO__ALIGN_SLACK, &total))
        return 0;
    return total;
}

static int carve(const conseco_image *pred, void *scratch, size_t scratch_size, mm_layout *lay)
{
    size_t codes, work, need;
    unsigned char *base;
    need = conseco__erosion_mm_scratch_size(pred->width, pred->height, pred->depth);
    if (need == 0 || !sizes(pred->width, pred->height, pred->depth, &codes, &work))
        return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    base = (unsigned char *)conseco__align16(scratch, &scratch_size);
    lay->code = (uint32_t *)(void *)base;
    lay->code_cells = pred->width * pred->height * pred->depth; /* no overflow: sizes() */
    lay->work = base + codes;
    lay->work_bytes = work;
    lay->counts = (uint32_t *)(void *)(base + codes + work);
    return CONSECO_OK;
}

/* Yhat, its box, the metric; no transform yet. */
static int find_box(const conseco_erosion_params *p, const conseco_image *pred, mm_map *mp,
                    uint16_t *bits, uint8_t *marks)
{
    double *sp = mp->sp;
    int rc;
    mp->pair = NULL;
    mp->marked = 0;
    mp->groups = NULL;
    mp->list = NULL;
    rc = conseco__erosion_yhat_box_bits(p, pred, &mp->yb, bits, marks);
    if (rc != CONSECO_OK) return rc;
    conseco__image_spacing(pred, sp);
    if (pred->depth == 1) sp[2] = 1.0; /* a 2-D image has no z offsets */
    if ((rc = conseco__mm_init(&mp->m, sp)) != CONSECO_OK) return rc;
    if (mp->yb.predicted == 0) return CONSECO_OK;
    return conseco__mm_box_init(&mp->b, &mp->yb.box);
}

/* Fills the box codes (0 background, NONE Yhat) of box slices z0 .. z1 - 1
 * from code (the cell of slice z0) on. */
static void fill_slices(const conseco_erosion_params *p, const conseco_image *pred,
                        const mm_map *mp, uint32_t *code, size_t z0, size_t z1)
{
    const conseco__box *box = &mp->yb.box;
    size_t x, y, z, i = 0;
    const int f32 = pred->dtype == CONSECO_DTYPE_F32 && p->base > -3.0e38 && p->base < 3.0e38;
    const float fb = f32 ? conseco__f32_at_least(p->base) : 0.0f;
    for (z = z0; z < z1; z++)
        for (y = 0; y < box->n[1]; y++) {
            const unsigned char *row =
                conseco__image_row(pred, mp->yb.lo[1] + y, mp->yb.lo[2] + z);
            if (f32) { /* the same test, branch-free */
                const float *fr = (const float *)(const void *)row + mp->yb.lo[0];
                for (x = 0; x < box->n[0]; x++)
                    code[i++] = fr[x] >= fb ? CONSECO__MM_NONE : 0u;
                continue;
            }
            for (x = 0; x < box->n[0]; x++)
                code[i++] = conseco__in_yhat(pred->dtype, row, mp->yb.lo[0] + x, p->base)
                                ? CONSECO__MM_NONE
                                : 0u;
        }
}

/* fill_slices for slice z of the box from Yhat's bits
 * (conseco__erosion_yhat_box_bits), with the first sweep of
 * conseco__mm_pair_plane done: a Yhat cell gets the offset to the nearest
 * background above it (row 0: 1 when the box is open there, else NONE),
 * NONE when there is none. */
static void fill_slice_bits(const conseco_image *pred, const mm_map *mp, const uint16_t *bits,
                            const uint8_t *marks, uint32_t *code, size_t z)
{
    const uint32_t top = mp->yb.box.open_lo[1] ? 1u : CONSECO__MM_NONE;
    const conseco__box *box = &mp->yb.box;
    const size_t wpr = (pred->width + 15) / 16, n0 = box->n[0], x0 = mp->yb.lo[0];
    size_t y;
    for (y = 0; y < box->n[1]; y++) {
        const size_t row = (mp->yb.lo[2] + z) * pred->height + mp->yb.lo[1] + y;
        const uint16_t *wb = bits + row * wpr;
        uint32_t *c = code + y * n0;
        const uint32_t *prev = y > 0 ? c - n0 : c; /* read for y > 0 only */
        size_t x = 0;
        if (!marks[row]) { /* no Yhat in the row */
            CONSECO_memset(c, 0, n0 * sizeof(uint32_t));
            continue;
        }
#ifdef CONSECO__SIMD
        static const uint32_t lane[16] = {1u,     2u,     4u,     8u,     16u,    32u,
                                          64u,    128u,   256u,   512u,   1024u,  2048u,
                                          4096u,  8192u,  16384u, 32768u};
        for (; x + 16 <= n0; x += 16) {
            const size_t xx = x0 + x, k = xx >> 4, sh = xx & 15u;
            /* the 16 bits from xx on (the next word only when needed: it
             * may lie past the row) */
            const uint32_t word =
                sh == 0 ? wb[k] : ((uint32_t)wb[k] | (uint32_t)wb[k + 1] << 16) >> sh;
            const conseco__m128i vw = conseco__mm_set1_epi32((int)word),
                                 none = conseco__mm_set1_epi32(-1),
                                 one = conseco__mm_set1_epi32(1),
                                 vtop = conseco__mm_set1_epi32((int)(int32_t)top);
            int q;
            for (q = 0; q < 4; q++) {
                const conseco__m128i m = conseco__mm_loadu_si128(
                    (const conseco__m128i *)(const void *)(lane + 4 * (size_t)q));
                conseco__m128i t = vtop;
                if (y > 0) { /* prev + 1, NONE stays */
                    const conseco__m128i pv = conseco__mm_loadu_si128(
                        (const conseco__m128i *)(const void *)(prev + x + 4 * (size_t)q));
                    t = conseco__mm_add_epi32(conseco__mm_add_epi32(pv, one),
                                              conseco__mm_cmpeq_epi32(pv, none));
                }
                conseco__mm_storeu_si128(
                    (conseco__m128i *)(void *)(c + x + 4 * (size_t)q),
                    conseco__mm_and_si128(
                        conseco__mm_cmpeq_epi32(conseco__mm_and_si128(vw, m), m), t));
            }
        }
#endif
        for (; x < n0; x++) {
            const size_t xx = x0 + x;
            const uint32_t t = y == 0 ? top : prev[x] + (uint32_t)(prev[x] != CONSECO__MM_NONE);
            c[x] = (0u - (uint32_t)((wb[xx >> 4] >> (xx & 15u)) & 1u)) & t;
        }
    }
}

/* Fills the box codes (0 background, NONE Yhat). */
static void fill(const conseco_erosion_params *p, const conseco_image *pred, mm_map *mp,
                 uint32_t *code)
{
    fill_slices(p, pred, mp, code, 0, mp->yb.box.n[2]);
    mp->code = code;
}

/* Fills the box codes and runs the transform. */
static void transform(const conseco_erosion_params *p, const conseco_image *pred, mm_map *mp,
                      uint32_t *code, void *work)
{
    fill(p, pred, mp, code);
    conseco__mm_transform(code, &mp->b, &mp->m, work);
}

/* Carves the scratch and finds the box; with mi != NULL, the integer path
 * when it applies (*integer = 1: the cells hold D2 / unit), else with
 * pr != NULL the pair path when it applies (mp->pair = pr: the cells hold
 * pair codes), else the codes of mp->b. */
static int build_any(const conseco_erosion_params *p, const conseco_image *pred,
                     void *scratch, size_t scratch_size, mm_map *mp, mm_layout *lay,
                     conseco__mm_int *mi, int *integer, conseco__mm_pair *pr,
                     const conseco_mask *truth, double tau)
{
    int rc = carve(pred, scratch, scratch_size, lay), have_pair;
    uint16_t *bits = NULL;
    uint8_t *marks = NULL;
    size_t bits_bytes = 0;
    if (integer != NULL) *integer = 0;
    if (rc != CONSECO_OK) return rc;
    /* the score of a volume: Yhat's bits at the end of the code area, so
     * that the fill reads them instead of the scores (when they do not
     * overlap what is written before the fill is done) */
    if (pr != NULL && pred->depth > 1) {
        const size_t wpr = (pred->width + 15) / 16, rows = pred->height * pred->depth;
        /* words then marks, even (the words' alignment); at most the area's 4 bytes a voxel */
        bits_bytes = (rows * (wpr * sizeof(uint16_t) + 1u) + 1u) & ~(size_t)1u;
        bits = (uint16_t *)(void *)((unsigned char *)lay->code +
                                    lay->code_cells * sizeof(uint32_t) - bits_bytes);
        marks = (uint8_t *)(bits + rows * wpr);
    }
    if ((rc = find_box(p, pred, mp, bits, marks)) != CONSECO_OK) return rc;
    if (mp->yb.predicted == 0) return CONSECO_OK;
    if (!mp->yb.bits) bits = NULL;
    /* cannot fail (box sides never exceed the image's); a miss would corrupt memory */
    if (conseco__mm_work_bytes(&mp->b) >
        conseco__mm_work_bytes_image(pred->width, pred->height, pred->depth))
        return CONSECO_E_SCRATCH_TOO_SMALL;
    /* the pair form when its pruned pass applies (the fastest), else the
     * integer form, else the pair form unpruned, else the general codes */
    have_pair = pr != NULL && conseco__mm_pair_init(pr, mp->sp, &mp->yb.box) &&
                conseco__mm_pair_fit(pr, &mp->yb.box, lay->work_bytes);
    /* (with bits == 0, e.g. 2-D images, the last pass has no lines to prune) */
    if (mi != NULL && !(have_pair && pr->can_mark && pr->bits > 0) &&
        conseco__mm_int_init(mi, mp->sp, &mp->b)) {
        *integer = 1;
        fill(p, pred, mp, lay->code);
        conseco__mm_int_transform(lay->code, &mp->b, mi, lay->work);
        return CONSECO_OK;
    }
    if (have_pair) {
        conseco__mm_prune pn;
        mp->pair = pr;
        pn.truth = truth;
        pn.lo[0] = mp->yb.lo[0];
        pn.lo[1] = mp->yb.lo[1];
        pn.lo[2] = mp->yb.lo[2];
        pn.need = conseco__fp_budget(mp->yb.predicted, tau) + 1u;
        pn.hist = lay->counts; /* free until the selection */
        pn.t_out = 0.0;        /* set only when the last pass prunes */
        pn.flagged = 0;
        pn.summary = NULL;
        pn.list = NULL;
        pn.list_cap = 0;
        pn.direct = 0;
        if (pr->c == 2 && pr->a == 1) { /* slice by slice: fill, the first two passes in cache */
            const conseco__box *bx = &mp->yb.box;
            const size_t plane = bx->n[0] * bx->n[1];
            uint32_t *sm = NULL;
            size_t z;
            /* the pruned pass will run: flag the false positives while the
             * slice is in cache (no truth reads for most of its lines) */
            pn.flagged = pr->can_mark && pr->can_flag && pr->bits > 0;
            if (pn.flagged) { /* the groups' summary after the box cells, when it fits */
                const size_t ng = (bx->n[0] + CONSECO__MM_GROUP - 1) / CONSECO__MM_GROUP,
                             cells = plane * bx->n[2];
                if (ng * bx->n[1] <= lay->code_cells - cells) {
                    sm = lay->code + cells;
                    CONSECO_memset(sm, 0, ng * bx->n[1] * sizeof(uint32_t));
                    pn.summary = sm;
                    pn.list = sm + ng * bx->n[1]; /* and the false positives' list */
                    pn.list_cap = lay->code_cells - cells - ng * bx->n[1];
                    pn.direct = pn.list_cap >= cells; /* the list cannot fill */
                }
            }
            if (bits != NULL) { /* the codes and summary written meanwhile stay below */
                const size_t ng = (bx->n[0] + CONSECO__MM_GROUP - 1) / CONSECO__MM_GROUP;
                if ((plane * bx->n[2] + ng * bx->n[1]) * sizeof(uint32_t) >
                    lay->code_cells * sizeof(uint32_t) - bits_bytes)
                    bits = NULL;
            }
            mp->code = lay->code;
            for (z = 0; z < bx->n[2]; z++) {
                if (bits != NULL) /* with the plane's first sweep */
                    fill_slice_bits(pred, mp, bits, marks, lay->code + z * plane, z);
                else
                    fill_slices(p, pred, mp, lay->code + z * plane, z, z + 1);
                if (pn.flagged || bits != NULL)
                    conseco__mm_pair_plane_flag(
                        lay->code + z * plane, bx, pr, lay->work, z == 0,
                        pn.flagged ? conseco__mask_row(truth, mp->yb.lo[1], mp->yb.lo[2] + z) +
                                         mp->yb.lo[0]
                                   : NULL,
                        truth->row_stride, sm, bits != NULL);
                else
                    conseco__mm_pair_plane(lay->code + z * plane, bx, pr, lay->work, z == 0);
            }
        } else {
            fill(p, pred, mp, lay->code);
            conseco__mm_pair_first(lay->code, &mp->yb.box, pr, lay->work);
        }
        mp->marked = conseco__mm_pair_last(lay->code, &mp->yb.box, pr, lay->work, &pn);
        if (mp->marked) {
            mp->groups = pn.summary;
            mp->list = pn.summary != NULL ? pn.list : NULL;
            mp->list_n = pn.list_n;
            mp->fp_finite = pn.fp_finite;
            mp->fp_inf = pn.fp_inf;
        }
        /* D2 >= s_u^2 T for every false positive at or above the answer; their
         * approximate D2 (relative error below 2^-50) is above this */
        mp->keep = pn.t_out * pr->unit * (1.0 - 0x1p-44);
        return CONSECO_OK;
    }
    transform(p, pred, mp, lay->code, lay->work);
    return CONSECO_OK;
}

static int build(const conseco_erosion_params *p, const conseco_image *pred, void *scratch,
                 size_t scratch_size, mm_map *mp, mm_layout *lay)
{
    return build_any(p, pred, scratch, scratch_size, mp, lay, NULL, NULL, NULL, NULL, 0.0);
}

static uint64_t key_of(const mm_map *mp, uint32_t code)
{
    if (mp->pair != NULL) return conseco__double_bits(conseco__mm_pair_distance(mp->pair, code));
    return conseco__double_bits(conseco__mm_code_distance(&mp->b, &mp->m, code));
}

/* D2 within a relative 2^-50 (both forms). */
static double approx_of(const mm_map *mp, uint32_t code)
{
    if (mp->pair != NULL) return conseco__mm_pair_d2_approx(mp->pair, code);
    return conseco__mm_code_d2_approx(&mp->b, &mp->m, code);
}

/* The need-th largest distance of codes[0..k) (1 <= need <= k), by radix
 * on the bits of the (non-negative) doubles, 8 bits a pass from the
 * highest bit where two keys differ; codes are reordered. */
static double select_largest(const mm_map *mp, uint32_t *codes, size_t k, uint64_t need,
                             uint32_t *counts)
{
    const uint64_t first = key_of(mp, codes[0]);
    uint64_t diff = 0;
    size_t i;
    int shift = 56;
    for (i = 1; i < k; i++) diff |= key_of(mp, codes[i]) ^ first;
    if (diff == 0) return conseco__bits_double(first);
    while (shift > 0 && (diff >> shift) == 0) shift -= 8;
    for (;;) {
        size_t j = 0, acc = 0;
        unsigned digit = 255;
        CONSECO_memset(counts, 0, 256 * sizeof(uint32_t));
        for (i = 0; i < k; i++) counts[(key_of(mp, codes[i]) >> shift) & 255u]++;
        for (;; digit--) {
            if ((uint64_t)(acc + counts[digit]) >= need) break;
            acc += counts[digit];
        }
        need -= acc;
        if (counts[digit] != k) {
            for (i = 0; i < k; i++)
                if (((key_of(mp, codes[i]) >> shift) & 255u) == digit) codes[j++] = codes[i];
            k = j;
        }
        if (shift == 0 || k == 1) break;
        shift -= 8;
    }
    return conseco__bits_double(key_of(mp, codes[0]));
}

/*
 * The need-th largest distance of codes[0..k) (1 <= need <= k) with few
 * exact distances: the bucket of the need-th largest approximate D2 (the
 * double of conseco__mm_code_d2_approx, within a relative e = 2^-50 of the
 * true D2) is narrowed by 8-bit digits of its bits, without moving codes,
 * until it holds at most 4096 codes (or 20 mantissa bits are fixed). With
 * T the true need-th largest D2, the need-th largest approximation F lies
 * within T (1 +- e) and in the bucket [B0, B1]; so every code whose
 * approximation is above U = B1 (1 + 2^-46) has D2 > T, every one below
 * L = B0 (1 - 2^-46) has D2 < T, and the answer is the (need - above)-th
 * largest exact distance of the codes within [L, U], which are compacted
 * and go to select_largest (d is monotone in D2). If the counts ever
 * disagree with that, the exact selection takes all codes.
 */
static double select_largest_approx(const mm_map *mp, uint32_t *codes, size_t k, uint64_t need,
                                    uint32_t *counts)
{
    const uint64_t first = conseco__double_bits(approx_of(mp, codes[0]));
    uint64_t diff = 0, prefix, rem = need, above = 0, inside = 0;
    double lo, hi;
    size_t i, j = 0;
    int shift = 56;
    for (i = 1; i < k; i++)
        diff |= conseco__double_bits(approx_of(mp, codes[i])) ^ first;
    if (diff == 0 || k <= 4096) return select_largest(mp, codes, k, need, counts);
    while (shift > 0 && (diff >> shift) == 0) shift -= 8;
    /* the bucket: keys whose bits above `shift + 8` equal `prefix` */
    prefix = shift + 8 >= 64 ? 0 : first >> (shift + 8);
    for (;;) {
        uint64_t acc = 0;
        unsigned digit = 255;
        CONSECO_memset(counts, 0, 256 * sizeof(uint32_t));
        for (i = 0; i < k; i++) {
            const uint64_t key =
                conseco__double_bits(approx_of(mp, codes[i]));
            if (shift + 8 < 64 && (key >> (shift + 8)) != prefix) continue;
            counts[(key >> shift) & 255u]++;
        }
        for (;; digit--) {
            if (acc + counts[digit] >= rem) break;
            acc += counts[digit];
        }
        rem -= acc;
        prefix = (prefix << 8) | digit;
        if (counts[digit] <= 4096 || shift <= 32) break;
        shift -= 8;
    }
    lo = conseco__bits_double(prefix << shift) * (1.0 - 0x1p-46);
    hi = conseco__bits_double(((prefix + 1) << shift) - 1u) * (1.0 + 0x1p-46);
    for (i = 0; i < k; i++) {
        const double a = approx_of(mp, codes[i]);
        if (a > hi) above++;
        else if (a >= lo) inside++;
    }
    if (above >= need || need - above > inside) /* not expected: exact on all */
        return select_largest(mp, codes, k, need, counts);
    for (i = 0; i < k; i++) {
        const double a = approx_of(mp, codes[i]);
        if (a <= hi && a >= lo) codes[j++] = codes[i];
    }
    return select_largest(mp, codes, j, need - above, counts);
}

/* The need-th largest of vals[0..k) (1 <= need <= k), by radix on 8 bits
 * a pass from the highest byte where two values differ; vals are
 * reordered. */
static uint32_t select_largest_u32(uint32_t *vals, size_t k, uint64_t need, uint32_t *counts)
{
    uint32_t diff = 0;
    size_t i;
    int shift = 24;
    for (i = 1; i < k; i++) diff |= vals[i] ^ vals[0];
    if (diff == 0) return vals[0];
    while (shift > 0 && (diff >> shift) == 0) shift -= 8;
    for (;;) {
        size_t j = 0, acc = 0;
        unsigned digit = 255;
        CONSECO_memset(counts, 0, 256 * sizeof(uint32_t));
        for (i = 0; i < k; i++) counts[(vals[i] >> shift) & 255u]++;
        for (;; digit--) {
            if ((uint64_t)(acc + counts[digit]) >= need) break;
            acc += counts[digit];
        }
        need -= acc;
        if (counts[digit] != k) {
            for (i = 0; i < k; i++)
                if (((vals[i] >> shift) & 255u) == digit) vals[j++] = vals[i];
            k = j;
        }
        if (shift == 0 || k == 1) break;
        shift -= 8;
    }
    return vals[0];
}

int conseco__erosion_mm_score(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double tau, void *scratch,
                              size_t scratch_size, double *score)
{
    mm_map mp;
    mm_layout lay;
    conseco__mm_int mi;
    conseco__mm_pair pr;
    uint64_t fp = 0, fp_inf = 0, budget, need;
    size_t x, y, z, i = 0, k = 0;
    int integer;
    int rc = build_any(p, pred, scratch, scratch_size, &mp, &lay, &mi, &integer, &pr, truth, tau);
    if (rc != CONSECO_OK) return rc;
    if (mp.yb.predicted == 0) {
        *score = 0.0; /* empty prediction: lambda_min */
        return CONSECO_OK;
    }
    if (mp.list != NULL) {
        /* the pruned pass listed the false positives the scan below would
         * find (those of its lines: marked, or NONE) */
        fp = mp.fp_finite + mp.fp_inf;
        fp_inf = mp.fp_inf;
        for (i = 0; i < mp.list_n; i++)
            if (conseco__mm_pair_d2_approx(mp.pair, mp.list[i]) >= mp.keep)
                mp.list[k++] = mp.list[i];
        mp.code = mp.list; /* the selection below works on the list */
    } else if (mp.groups != NULL) { /* only the groups that hold marks; as below */
        const size_t n0 = mp.yb.box.n[0], ng = (n0 + CONSECO__MM_GROUP - 1) / CONSECO__MM_GROUP;
        for (z = 0; z < mp.yb.box.n[2]; z++)
            for (y = 0; y < mp.yb.box.n[1]; y++) {
                const uint8_t *t =
                    conseco__mask_row(truth, mp.yb.lo[1] + y, mp.yb.lo[2] + z) + mp.yb.lo[0];
                const uint32_t *gr = mp.groups + y * ng;
                size_t gx;
                i = (z * mp.yb.box.n[1] + y) * n0; /* visited in order: k <= i */
                for (gx = 0; gx < ng; gx++) {
                    const size_t x1 = gx * CONSECO__MM_GROUP + CONSECO__MM_GROUP < n0
                                          ? gx * CONSECO__MM_GROUP + CONSECO__MM_GROUP
                                          : n0;
                    if (!gr[gx]) continue;
                    for (x = gx * CONSECO__MM_GROUP; x < x1; x++) {
                        const uint32_t c = mp.code[i + x];
                        if (!(c & CONSECO__MM_MARK) || t[x]) continue;
                        fp++;
                        if (c == CONSECO__MM_NONE) fp_inf++;
                        else if (conseco__mm_pair_d2_approx(mp.pair, c & ~CONSECO__MM_MARK) >=
                                 mp.keep)
                            mp.code[k++] = c & ~CONSECO__MM_MARK;
                    }
                }
            }
    } else {
        for (z = 0; z < mp.yb.box.n[2]; z++)
            for (y = 0; y < mp.yb.box.n[1]; y++) {
                const uint8_t *t =
                    conseco__mask_row(truth, mp.yb.lo[1] + y, mp.yb.lo[2] + z) + mp.yb.lo[0];
                if (mp.marked) {
                    /* only the marked cells (and NONE) of the lines the pruned pass
                     * did: the others are below the answer, and when there are at
                     * most `budget` false positives every one is marked (its T
                     * stays 0), so the count decides the score 0 all the same */
                    for (x = 0; x < mp.yb.box.n[0]; x++, i++) {
                        const uint32_t c = mp.code[i];
                        if (!(c & CONSECO__MM_MARK) || t[x]) continue;
                        fp++;
                        if (c == CONSECO__MM_NONE) fp_inf++;
                        else if (conseco__mm_pair_d2_approx(mp.pair, c & ~CONSECO__MM_MARK) >=
                                 mp.keep)
                            mp.code[k++] = c & ~CONSECO__MM_MARK; /* k <= i: in place */
                    }
                    continue;
                }
                for (x = 0; x < mp.yb.box.n[0]; x++, i++) {
                    const uint32_t c = mp.code[i];
                    if (c == 0 || t[x]) continue; /* not a false positive */
                    fp++;
                    if (c == CONSECO__MM_NONE) fp_inf++;
                    else mp.code[k++] = c; /* k <= i: compaction in place */
                }
            }
    }
    budget = conseco__fp_budget(mp.yb.predicted, tau);
    if (fp <= budget) {
        *score = 0.0;
        return CONSECO_OK;
    }
    need = budget + 1;
    if (fp_inf >= need) {
        *score = conseco__inf();
        return CONSECO_OK;
    }
    if (need - fp_inf > k) return CONSECO_E_UNSUPPORTED; /* not reachable (pruned pass) */
    if (integer) /* d is monotone in D2: the need-th largest D2 gives it */
        *score = conseco__mm_int_distance(
            &mi, select_largest_u32(mp.code, k, need - fp_inf, lay.counts));
    else
        *score = select_largest_approx(&mp, mp.code, k, need - fp_inf, lay.counts);
    return CONSECO_OK;
}

/* p in I_lambda: d > lambda; +inf keeps nothing. */
static int kept(const mm_map *mp, uint32_t code, double lambda)
{
    if (lambda == conseco__inf()) return 0;
    if (code == CONSECO__MM_NONE || !(lambda > 0.0)) return 1;
    return conseco__mm_code_distance(&mp->b, &mp->m, code) > lambda;
}

int conseco__erosion_mm_apply(const conseco_erosion_params *p, const conseco_image *pred,
                              double lambda, void *scratch, size_t scratch_size,
                              const conseco_mask_out *inner, const conseco_mask_out *uncertain)
{
    mm_map mp;
    mm_layout lay;
    size_t x, y, z, i = 0;
    int rc = build(p, pred, scratch, scratch_size, &mp, &lay);
    if (rc != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *in = inner ? conseco__mask_out_row(inner, y, z) : NULL;
            uint8_t *un = uncertain ? conseco__mask_out_row(uncertain, y, z) : NULL;
            const int row_in_box = mp.yb.predicted != 0 && z >= mp.yb.lo[2] &&
                                   z - mp.yb.lo[2] < mp.yb.box.n[2] && y >= mp.yb.lo[1] &&
                                   y - mp.yb.lo[1] < mp.yb.box.n[1];
            for (x = 0; x < pred->width; x++) {
                int yhat = 0, keep = 0;
                if (row_in_box && x >= mp.yb.lo[0] && x - mp.yb.lo[0] < mp.yb.box.n[0]) {
                    const uint32_t c = mp.code[i++];
                    yhat = c != 0;
                    keep = yhat && kept(&mp, c, lambda);
                }
                if (in) in[x] = (uint8_t)keep;
                if (un) un[x] = (uint8_t)(yhat && !keep);
            }
        }
    return CONSECO_OK;
}

int conseco__erosion_mm_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                                 const conseco_mask *truth, double lambda, double tau,
                                 void *scratch, size_t scratch_size,
                                 conseco_image_metrics *out)
{
    mm_map mp;
    mm_layout lay;
    uint64_t n_in = 0, n_fp = 0, n_tp = 0;
    size_t x, y, z, i = 0;
    int rc = build(p, pred, scratch, scratch_size, &mp, &lay);
    if (rc != CONSECO_OK) return rc;
    if (mp.yb.predicted != 0)
        for (z = 0; z < mp.yb.box.n[2]; z++)
            for (y = 0; y < mp.yb.box.n[1]; y++) {
                const uint8_t *t =
                    conseco__mask_row(truth, mp.yb.lo[1] + y, mp.yb.lo[2] + z) + mp.yb.lo[0];
                for (x = 0; x < mp.yb.box.n[0]; x++, i++) {
                    const uint32_t c = mp.code[i];
                    if (c == 0 || !kept(&mp, c, lambda)) continue;
                    n_in++;
                    if (t[x]) n_tp++;
                    else n_fp++;
                }
            }
    conseco__metrics_fill(mp.yb.predicted, n_in, n_fp, n_tp, tau, out);
    return CONSECO_OK;
}

/*
 * Dense levels, validated by the caller (erosion.c). The codes live as
 * uint32 at the END of the levels buffer (4 bytes per box cell, at most half
 * of its 8 bytes per pixel), the envelope work at its start (or on the stack
 * for boxes whose later axes are at most 8 long). Writing double p after
 * reading code b of the same or an earlier pixel never overwrites an unread
 * code (see erosion.c). Reads go through memcpy: the same bytes change type.
 */
int conseco__erosion_mm_levels(const conseco_erosion_params *p, const conseco_image *pred,
                               double *levels, size_t n)
{
    unsigned char *bytes = (unsigned char *)levels;
    uint64_t local_work[40]; /* 28 * (8 + 2) bytes */
    void *work;
    mm_map mp;
    size_t total, cells, c_off, wb, x, y, z, i = 0, b = 0;
    int rc = find_box(p, pred, &mp, NULL, NULL);
    if (rc != CONSECO_OK) return rc;
    if (mp.yb.predicted == 0) {
        for (i = 0; i < n; i++) levels[i] = -conseco__inf();
        return CONSECO_OK;
    }
    cells = mp.yb.box.n[0] * mp.yb.box.n[1] * mp.yb.box.n[2];
    wb = conseco__mm_work_bytes(&mp.b);
    total = n * sizeof(double); /* the caller holds n doubles: no overflow */
    c_off = total - cells * sizeof(uint32_t);
    if (wb <= c_off) work = levels;
    else if (wb <= sizeof local_work) work = local_work;
    else return CONSECO_E_UNSUPPORTED; /* not reachable: the longest axis goes first */
    transform(p, pred, &mp, (uint32_t *)(void *)(bytes + c_off), work);
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const int row_in_box = z >= mp.yb.lo[2] && z - mp.yb.lo[2] < mp.yb.box.n[2] &&
                                   y >= mp.yb.lo[1] && y - mp.yb.lo[1] < mp.yb.box.n[1];
            for (x = 0; x < pred->width; x++, i++) {
                double v = -conseco__inf();
                if (row_in_box && x >= mp.yb.lo[0] && x - mp.yb.lo[0] < mp.yb.box.n[0]) {
                    uint32_t c;
                    CONSECO_memcpy(&c, bytes + c_off + b * sizeof(uint32_t), sizeof c);
                    b++;
                    if (c == CONSECO__MM_NONE) {
                        v = conseco__inf();
                    } else if (c != 0) {
                        const double d = conseco__mm_code_distance(&mp.b, &mp.m, c);
                        /* the double just below d: L >= lambda <=> d > lambda */
                        v = conseco__bits_double(conseco__double_bits(d) - 1u);
                    }
                }
                levels[i] = v;
            }
        }
    return CONSECO_OK;
}
