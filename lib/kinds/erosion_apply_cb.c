/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The erosion vtable's `apply` callback: the dense inner mask I_lambda for one
 * lambda, with no memory but the 1-byte-per-pixel output buffer (no scratch).
 * Same definitions as the level map in erosion.c (docs/DESIGN.md section 2):
 * Yhat = {s >= base}; lambda <= 0 keeps Yhat, +inf keeps nothing, and a
 * non-integer lambda acts as ceil(lambda) since levels are integers.
 *
 * Cross and square: lambda unit erosions, in chunks of up to 253 steps of
 * saturating byte distances, stopping early once the mask is empty or stable.
 *
 * Disk (ball in 3-D) of radius r: one erosion by {o : |o|^2 <= r^2}. The
 * squared distances do not fit in a byte, so each output row is computed on
 * its own: it starts as its Yhat row, and every source row at offset (dy, dz)
 * inside the ball kills the pixels within a = isqrt(r^2 - dy^2 - dz^2)
 * columns of one of its background pixels. The output buffer is never read
 * as input: source rows are re-read from the score map. O(W) per pair of
 * rows, O(N * min(2r+1, H) * min(2r+1, D)) in all; a row stops early once
 * it is empty.
 */
#include "distance_mm.h"
#include "common/wide128.h"
#include "common/yhat.h"

/* ------------------------------------------------------------ validation */
static int apply_start(const conseco_erosion_params *p, const conseco_image *pred,
                       double lambda, const uint8_t *inner, size_t count, size_t *n)
{
    int rc;
    if (inner == NULL) return CONSECO_E_NULL;
    if ((rc = conseco__erosion_params_check(p)) != CONSECO_OK) return rc;
    if ((rc = conseco__image_check(pred, n)) != CONSECO_OK) return rc;
    if (count < *n) return CONSECO_E_BUFFER_TOO_SMALL;
    if (conseco__is_nan(lambda)) return CONSECO_E_BAD_LAMBDA;
    return conseco__image_check_finite(pred);
}

static int in_yhat(const conseco_image *pred, double base, const unsigned char *row, size_t x)
{
    return conseco__in_yhat(pred->dtype, row, x, base);
}

/* ------------------------------------------------------ cross and square */
/* 1-D distance along a dense line of saturating bytes (255 = "255 or more"). */
static void byte_sweep(uint8_t *v, size_t n, size_t stride, int lo, int hi)
{
    unsigned prev = lo ? 0u : 255u;
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t *c = v + i * stride;
        if (prev < 255u && prev + 1u < *c) *c = (uint8_t)(prev + 1u);
        prev = *c;
    }
    prev = hi ? 0u : 255u;
    for (i = n; i-- > 0;) {
        uint8_t *c = v + i * stride;
        if (prev < 255u && prev + 1u < *c) *c = (uint8_t)(prev + 1u);
        prev = *c;
    }
}

/* Up to 253 erosions at once by the cross or square, in place on a dense 0/1
 * mask: saturating byte distances are exact below 255. Returns |result|. */
static size_t erode_chunk(const conseco_erosion_params *p, const size_t dims[3], uint8_t *v,
                          size_t n, unsigned steps)
{
    const size_t stride[3] = {1, dims[0], dims[0] * dims[1]};
    const int square = p->element == CONSECO_ELEMENT_SQUARE;
    size_t i, kept_count = 0;
    int a;
    for (i = 0; i < n; i++) v[i] = v[i] ? 255u : 0u;
    for (a = 0; a < 3; a++) {
        const int b = a == 0 ? 1 : 0, c = a == 2 ? 1 : 2;
        const int open = p->border == CONSECO_BORDER_BACKGROUND && (a < 2 || dims[2] > 1);
        size_t ib, ic;
        if (dims[a] == 1 && !open) continue;
        for (ic = 0; ic < dims[c]; ic++)
            for (ib = 0; ib < dims[b]; ib++)
                byte_sweep(v + ib * stride[b] + ic * stride[c], dims[a], stride[a], open,
                           open);
        /* the square is separable: erode by a segment along each axis in turn */
        if (square)
            for (i = 0; i < n; i++) v[i] = v[i] > steps ? 255u : 0u;
    }
    for (i = 0; i < n; i++) {
        v[i] = v[i] > steps ? 1u : 0u;
        kept_count += v[i];
    }
    return kept_count;
}

/* lambda erosions = a chunk of a then a chunk of b, a + b = lambda. */
static void erode_steps(const conseco_erosion_params *p, const conseco_image *pred,
                        uint8_t *inner, size_t n, size_t before, uint64_t steps)
{
    const size_t dims[3] = {pred->width, pred->height, pred->depth};
    while (steps > 0 && before > 0) {
        const unsigned chunk = steps > 253u ? 253u : (unsigned)steps;
        const size_t after = erode_chunk(p, dims, inner, n, chunk);
        if (after == before) break; /* one erosion changes nothing: none ever will */
        before = after;
        steps -= chunk;
    }
}

/* ------------------------------------------------------------------ disk */
/* Clears out[from, to), counting the pixels that were still alive. */
static void clear_span(uint8_t *out, size_t from, size_t to, size_t *alive)
{
    for (; from < to; from++)
        if (out[from]) {
            out[from] = 0;
            (*alive)--;
        }
}

/* One source row: clears every output pixel within `a` columns of one of its
 * background pixels, or of the outside columns -1 and w when they are
 * background. `next` (first column not yet cleared by this row) keeps it O(w). */
static void kill_near_background(const conseco_image *pred, double base,
                                 const unsigned char *src, uint64_t a, int outside_bg,
                                 uint8_t *out, size_t *alive)
{
    const size_t w = pred->width;
    const size_t reach = a < (uint64_t)w ? (size_t)a : w; /* a, capped at w */
    size_t next = 0, b;
    if (outside_bg) { /* column -1 */
        clear_span(out, 0, reach, alive);
        next = reach;
    }
    for (b = 0; b < w && next < w && *alive > 0; b++) {
        size_t from, to;
        if (in_yhat(pred, base, src, b)) continue;
        from = b > reach ? b - reach : 0;
        if (from < next) from = next;
        to = reach >= w - b ? w : b + reach + 1;
        clear_span(out, from, to, alive);
        if (to > next) next = to;
    }
    if (outside_bg) /* column w */
        clear_span(out, w - reach > next ? w - reach : next, w, alive);
}

/* Row (y + sy * ky, z + sz * kz) if inside the image. */
static const unsigned char *source_row(const conseco_image *pred, size_t y, size_t z,
                                       uint64_t ky, int sy, uint64_t kz, int sz)
{
    size_t yy, zz;
    if (sy < 0) {
        if (ky > y) return NULL;
        yy = y - (size_t)ky;
    } else {
        if (ky >= (uint64_t)(pred->height - y)) return NULL;
        yy = y + (size_t)ky;
    }
    if (sz < 0) {
        if (kz > z) return NULL;
        zz = z - (size_t)kz;
    } else {
        if (kz >= (uint64_t)(pred->depth - z)) return NULL;
        zz = z + (size_t)kz;
    }
    return conseco__image_row(pred, yy, zz);
}

/* The ball reaches outside the image from row (y, z): with background
 * outside, the whole row is gone. A 2-D image has no outside above or below. */
static int ball_leaves_image(const conseco_image *pred, size_t y, size_t z, uint64_t r)
{
    if ((uint64_t)y < r || (uint64_t)(pred->height - 1 - y) < r) return 1;
    return pred->depth > 1 && ((uint64_t)z < r || (uint64_t)(pred->depth - 1 - z) < r);
}

/* Output row (y, z), holding its Yhat row with `alive` pixels on entry. */
static void erode_disk_row(const conseco_erosion_params *p, const conseco_image *pred,
                           size_t y, size_t z, uint64_t r, uint8_t *out, size_t alive)
{
    const int outside_bg = p->border == CONSECO_BORDER_BACKGROUND;
    const uint64_t ky_max = r < (uint64_t)pred->height ? r : (uint64_t)pred->height - 1;
    const uint64_t kz_max = pred->depth == 1 ? 0
                            : r < (uint64_t)pred->depth ? r
                                                        : (uint64_t)pred->depth - 1;
    const uint64_t cap = r < (uint64_t)pred->width ? r : (uint64_t)pred->width;
    const conseco__wide r2 = conseco__wide_sq(r);
    uint64_t ky, kz;
    if (outside_bg && ball_leaves_image(pred, y, z, r)) {
        clear_span(out, 0, pred->width, &alive);
        return;
    }
    /* nearest rows first: they are the likeliest to empty the row */
    for (kz = 0; kz <= kz_max && alive > 0; kz++) {
        const conseco__wide sz = conseco__wide_sq(kz);
        if (!conseco__wide_le(sz, r2)) break;
        for (ky = 0; ky <= ky_max && alive > 0; ky++) {
            const conseco__wide s = conseco__wide_add(sz, conseco__wide_sq(ky));
            uint64_t a;
            int signs;
            if (!conseco__wide_le(s, r2)) break;
            /* a <= width and ky, kz below height and depth, whose product
             * with width fits a size_t: the sums stay below 2^128 */
            a = conseco__half_width(r2, s, cap);
            /* the (up to) four rows (y +- ky, z +- kz); with the foreground
             * policy a row outside the image is all inside the mask */
            for (signs = 0; signs < 4 && alive > 0; signs++) {
                const int sy = signs & 1 ? -1 : 1, sz_sign = signs & 2 ? -1 : 1;
                const unsigned char *src;
                if ((ky == 0 && sy < 0) || (kz == 0 && sz_sign < 0)) continue; /* same row */
                src = source_row(pred, y, z, ky, sy, kz, sz_sign);
                if (src != NULL)
                    kill_near_background(pred, p->base, src, a, outside_bg, out, &alive);
            }
        }
    }
}

/* Inner already holds Yhat (`background` pixels outside it); lambda > 0 finite. */
static void erode_disk(const conseco_erosion_params *p, const conseco_image *pred,
                       double lambda, uint8_t *inner, size_t n, size_t background)
{
    /* any two points of the image (or a point and the outside next to it)
     * are closer than (w-1) + (h-1) + (d-1) + 1: a radius that large leaves
     * everything or nothing */
    const uint64_t w = pred->width, h = pred->height, d = pred->depth;
    uint64_t limit = w, r;
    size_t y, z;
    limit = limit > UINT64_MAX - (h - 1) ? UINT64_MAX : limit + (h - 1);
    limit = limit > UINT64_MAX - (d - 1) ? UINT64_MAX : limit + (d - 1);
    if (background == 0 && p->border == CONSECO_BORDER_FOREGROUND) return; /* never eroded */
    if (lambda >= 18446744073709551616.0) { /* 2^64 */
        CONSECO_memset(inner, 0, n);
        return;
    }
    r = (uint64_t)lambda; /* exact: lambda < 2^64 */
    if ((double)r < lambda) r++;
    if (r >= limit) {
        CONSECO_memset(inner, 0, n);
        return;
    }
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *out = inner + (z * pred->height + y) * pred->width;
            size_t x, alive = 0;
            for (x = 0; x < pred->width; x++) alive += out[x];
            if (alive > 0) erode_disk_row(p, pred, y, z, r, out, alive);
        }
}

/* --------------------------------------------------------------- ball-mm */
/* Largest a in [0, cap] with d_mm(a, ky, kz) <= lambda (d_mm(0, ky, kz) <= lambda). */
static uint32_t mm_half_width(const conseco__mm *m, uint32_t ky, uint32_t kz, uint32_t cap,
                              double lambda)
{
    uint32_t lo = 0, hi = cap;
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2 + ((hi - lo) & 1u);
        if (conseco__mm_distance(m, mid, ky, kz) <= lambda) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* Output row (y, z): every source row (y +- ky, z +- kz) with a voxel within
 * lambda clears the pixels within the half-width of its background pixels;
 * with background outside, a row whose outside neighbour is within lambda
 * is cleared entirely. */
static void erode_mm_row(const conseco_erosion_params *p, const conseco_image *pred,
                         const conseco__mm *m, double lambda, size_t y, size_t z, uint8_t *out,
                         size_t alive)
{
    const int outside_bg = p->border == CONSECO_BORDER_BACKGROUND;
    const uint32_t w = (uint32_t)pred->width, h = (uint32_t)pred->height,
                   d = (uint32_t)pred->depth;
    uint32_t ky, kz;
    if (outside_bg &&
        (conseco__mm_distance(m, 0, (uint32_t)y + 1u, 0) <= lambda ||
         conseco__mm_distance(m, 0, h - (uint32_t)y, 0) <= lambda ||
         (d > 1 && (conseco__mm_distance(m, 0, 0, (uint32_t)z + 1u) <= lambda ||
                    conseco__mm_distance(m, 0, 0, d - (uint32_t)z) <= lambda)))) {
        clear_span(out, 0, pred->width, &alive);
        return;
    }
    for (kz = 0; kz < d && alive > 0; kz++) {
        if (conseco__mm_distance(m, 0, 0, kz) > lambda) break;
        for (ky = 0; ky < h && alive > 0; ky++) {
            uint32_t a;
            int signs;
            if (conseco__mm_distance(m, 0, ky, kz) > lambda) break;
            a = mm_half_width(m, ky, kz, w, lambda);
            for (signs = 0; signs < 4 && alive > 0; signs++) {
                const int sy = signs & 1 ? -1 : 1, sz_sign = signs & 2 ? -1 : 1;
                const unsigned char *src;
                if ((ky == 0 && sy < 0) || (kz == 0 && sz_sign < 0)) continue; /* same row */
                src = source_row(pred, y, z, ky, sy, kz, sz_sign);
                if (src != NULL)
                    kill_near_background(pred, p->base, src, a, outside_bg, out, &alive);
            }
        }
    }
}

/* Inner holds Yhat; lambda > 0 finite. */
static int erode_mm(const conseco_erosion_params *p, const conseco_image *pred, double lambda,
                    uint8_t *inner, size_t background)
{
    conseco__mm m;
    double sp[3];
    size_t y, z;
    int rc;
    conseco__image_spacing(pred, sp);
    if (pred->depth == 1) sp[2] = 1.0;
    if ((rc = conseco__mm_init(&m, sp)) != CONSECO_OK) return rc;
    if (pred->width >= ((size_t)1 << 25) - 1 || pred->height >= ((size_t)1 << 25) - 1 ||
        pred->depth >= ((size_t)1 << 25) - 1)
        return CONSECO_E_OVERFLOW;
    if (background == 0 && p->border == CONSECO_BORDER_FOREGROUND) return CONSECO_OK;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            uint8_t *out = inner + (z * pred->height + y) * pred->width;
            size_t x, alive = 0;
            for (x = 0; x < pred->width; x++) alive += out[x];
            if (alive > 0) erode_mm_row(p, pred, &m, lambda, y, z, out, alive);
        }
    return CONSECO_OK;
}

/* ------------------------------------------------------------- callback */
int conseco__erosion_apply_cb(void *user, const conseco_image *pred, double lambda,
                              uint8_t *inner, size_t count)
{
    const conseco_erosion_params *p = (const conseco_erosion_params *)user;
    size_t n, x, y, z, i = 0, before = 0;
    uint64_t steps;
    int rc = apply_start(p, pred, lambda, inner, count, &n);
    if (rc != CONSECO_OK) return rc;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            for (x = 0; x < pred->width; x++, i++) {
                inner[i] = (uint8_t)in_yhat(pred, p->base, row, x);
                before += inner[i];
            }
        }
    if (p->element == CONSECO_ELEMENT_BALL_MM) { /* the spacing check, whatever lambda */
        conseco__mm m;
        double sp[3];
        conseco__image_spacing(pred, sp);
        if (pred->depth == 1) sp[2] = 1.0;
        if ((rc = conseco__mm_init(&m, sp)) != CONSECO_OK) return rc;
    }
    if (lambda <= 0.0 || before == 0) return CONSECO_OK;
    if (lambda == conseco__inf()) {
        CONSECO_memset(inner, 0, n);
        return CONSECO_OK;
    }
    if (p->element == CONSECO_ELEMENT_BALL_MM) return erode_mm(p, pred, lambda, inner, n - before);
    if (p->element == CONSECO_ELEMENT_DISK) {
        erode_disk(p, pred, lambda, inner, n, n - before);
        return CONSECO_OK;
    }
    /* I_lambda = I_ceil(lambda); huge lambdas end early (empty or stable) */
    if (lambda >= 1e18) {
        steps = UINT64_MAX;
    } else {
        steps = (uint64_t)lambda;
        if ((double)steps < lambda) steps++;
    }
    erode_steps(p, pred, inner, n, before, steps);
    return CONSECO_OK;
}
