/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dilation and erosion-band scores by the Euclidean elements: the ball in
 * voxels (element disk: weights 1) on volumes, and ball-mm on volumes and on
 * 2-D images with different x and y spacings (outer_fast2d.c takes the 2-D
 * disk and ball-mm with one spacing).
 *
 * Integer squared distances. With spacing s_a = m_a 2^e_a (m_a odd) and E
 * the least e_a of the axes with extent, s_a^2 = w_a 2^(2E) with integers
 * w_a = m_a^2 4^(e_a - E): every squared distance is D2 = 2^(2E) sum_a w_a
 * k_a^2 exactly, and d_mm = RN(sqrt(D2)) is monotone in D2, so the order
 * statistics are those of the integers sum_a w_a k_a^2. Two forms:
 *   narrow: sum_a w_a n_a^2 < 2^31 - 1 (n_a the image sides; dyadic
 *     spacings such as k/64 mm, and the disk with w_a = 1): cells hold the
 *     integer squared distance itself, every intermediate fits int64, and
 *     the selected one becomes d_mm by conseco__mm_sqrt_exact (the
 *     correctly rounded root of the same real as conseco__mm_distance's, so
 *     the same double), the disk's level ceil(sqrt(D2)) (dilation and erosion
 *     scores alike);
 *   wide (ball-mm, compilers with unsigned __int128): w_a < 2^63 (float32
 *     spacings: m_a < 2^24) and the bits of the offsets 0 .. n_a of all axes
 *     within 30: cells hold the offsets k_a packed in bit fields, a site's
 *     value is recomputed exactly in 128 bits, the crossing of two parabolas
 *     is guessed in double and settled by exact comparisons, and the
 *     selection runs on the bits of D2 above `lowbits` (< 2^64), then on
 *     those below among the ties; the selected offsets give d_mm by
 *     conseco__mm_distance, as the general path.
 *
 * Two classes, one transform. A false positive (Yhat, truth 0) needs its
 * distance to the nearest voxel outside Yhat (or the open margin: outside
 * the image under the background policy), a missed truth voxel its distance
 * to the nearest Yhat voxel. Call a voxel's "other class" the voxels of the
 * class it is not in (with the margin counting as outside Yhat). The
 * separable transform (Meijster et al.) runs once for both: after the axes A
 * are processed, every cell holds the least sum_{a in A} w_a (p_a - q_a)^2
 * over the cells q of the other class that differ from p only along A. A new
 * axis b takes, along each line, the least w_b (p_b - t)^2 + V(t) with V(t)
 * the held value when cell t is of p's class and 0 when it is not; the
 * nearest cell of the other class on each side of p's run along the line
 * (its run's end neighbour, value 0) beats every cell beyond it, so each
 * line splits into runs of one class, each with its own lower envelope
 * whose sites are its cells and its two end neighbours (a margin counts for
 * Yhat runs only). Runs of a class no query needs are skipped after the
 * first axis, and the last axis (x, contiguous) evaluates only at the
 * queries, whose squared distances are packed in place (never beyond the
 * cells already read) with a class bit; radix selection picks the order
 * statistics. Every path leaves nothing outside the bounding box of Yhat U
 * Y that matters (outside it there is no Yhat, so its one-cell margin is
 * outside Yhat), so the transform runs on that box, or on the box of Yhat
 * alone when only the erosion side is needed.
 *
 * Cells: uint32, bit 31 = in Yhat, bits 0..30 the value or the packed
 * offsets (0x7FFFFFFF: none). Scratch (16-byte aligned): the box cells (at
 * most N), (wide) one 16-byte value and (both) four uint32 line arrays of
 * max(w, h, d) + 2 entries, plus CONSECO__ALIGN_SLACK.
 */
#include "outer_euclid.h"

#include "distance_mm.h"
#include "outer_scan.h"

#include "common/bits.h"
#include "common/simd.h"
#include "common/yhat.h"

#define EU_FLAG 0x80000000u
#define EU_INF 0x7FFFFFFFu
/* "no cell of the other class yet" in the first axis's sweeps: stays at or
 * above EU_KINF after up to 65535 increments, below bit 31 */
#define EU_KINF 0x20000000u

#if defined(__SIZEOF_INT128__)
/* The wide form (float32 spacings): exact squared distances below 2^97. */
#define EU_WIDE 1
__extension__ typedef unsigned __int128 eu_u128;
#endif

typedef struct euclid {
    int dims;                /* 2 (depth 1) or 3 */
    int mm;                  /* ball-mm (else the disk) */
    int wide;                /* cells hold packed offsets (else squared distances) */
    uint64_t w[3];           /* weights along x, y, z */
    double unit;             /* ball-mm, narrow: D2 = unit * value */
    unsigned sh[3];          /* wide: offset k_a in bits sh[a] .. sh[a] + bits[a] - 1 */
#ifdef EU_WIDE
    unsigned bits[3];
    unsigned lowbits;        /* the selection's first key is D2 >> lowbits */
#endif
    conseco__mm metric;      /* ball-mm: the spacing */
    size_t lo[3], n[3];      /* the box */
    int open_lo[3], open_hi[3];
    uint32_t *cell;
    uint32_t *site, *val, *start, *line; /* maxlen + 2 each; wide: val holds site codes */
#ifdef EU_WIDE
    eu_u128 *g;              /* wide: the sites' values, maxlen + 2 */
#endif
    int need_in, need_out;
    uint64_t predicted, truth, missed0, fp0, in_inf;
    size_t ylo[3], yhi[3], ulo[3], uhi[3];
} euclid;

static size_t round8(size_t v) { return (v + 7u) & ~(size_t)7u; }
static size_t round16(size_t v) { return (v + 15u) & ~(size_t)15u; }

/* Splits s > 0 (normal) into an odd m and e with s = m 2^e. */
static void split_pow2(double s, uint64_t *m, int *e)
{
    const uint64_t bits = conseco__double_bits(s);
    uint64_t mant = (bits & UINT64_C(0x000FFFFFFFFFFFFF)) | UINT64_C(0x0010000000000000);
    int ex = (int)((bits >> 52) & 0x7FFu) - 1075;
    while ((mant & 1u) == 0) {
        mant >>= 1;
        ex++;
    }
    *m = mant;
    *e = ex;
}

static unsigned bitlen64(uint64_t v)
{
    unsigned b = 0;
    while (v != 0) {
        b++;
        v >>= 1;
    }
    return b;
}

/* The weights of the image: the narrow form when sum_a w_a n_a^2 < 2^31 - 1,
 * else the wide form (ball-mm, w_a < 2^63, the offsets' bits of the image
 * sides within 30); 0 when neither fits. */
static int eu_weights(const conseco_erosion_params *p, const conseco_image *pred, euclid *c)
{
    const size_t side[3] = {pred->width, pred->height, pred->depth};
    uint64_t mant[3] = {1, 1, 1};
    int e[3] = {0, 0, 0}, emin = 0, a;
    uint64_t total = 0;
    int narrow = 1;
    c->dims = pred->depth > 1 ? 3 : 2;
    c->mm = p->element == CONSECO_ELEMENT_BALL_MM;
    c->wide = 0;
    c->w[0] = c->w[1] = c->w[2] = 0;
    c->unit = 1.0;
    for (a = 0; a < c->dims; a++)
        if (side[a] > 0xFFFFu) return 0;
    if (c->mm) {
        double sp[3];
        conseco__image_spacing(pred, sp);
        if (c->dims == 2) sp[2] = 1.0; /* a 2-D image has no z offsets */
        if (conseco__mm_init(&c->metric, sp) != CONSECO_OK) return 0; /* the general path says why */
        for (a = 0; a < c->dims; a++) {
            split_pow2(sp[a], &mant[a], &e[a]);
            if (mant[a] >= (UINT64_C(1) << 31)) return 0;
            if (a == 0 || e[a] < emin) emin = e[a];
        }
        /* 2^(2E): |2E| <= 2 (256 + 52), a normal double */
        c->unit = conseco__bits_double((uint64_t)(1023 + 2 * emin) << 52);
    }
    for (a = 0; a < c->dims; a++) {
        const int shift = 2 * (e[a] - emin);
        const uint64_t m2 = mant[a] * mant[a]; /* < 2^62 */
        if (shift > 62 || (unsigned)shift + bitlen64(m2) > 63u) return 0;
        c->w[a] = m2 << shift;
        if (c->w[a] >= (UINT64_C(1) << 31)) narrow = 0;
        if (narrow) {
            total += c->w[a] * (uint64_t)side[a] * (uint64_t)side[a]; /* < 2^63 */
            if (total >= (uint64_t)EU_INF) narrow = 0;
        }
    }
    if (narrow) return 1;
#ifdef EU_WIDE
    if (c->mm) {
        eu_u128 sum = 0;
        unsigned used = 0;
        for (a = 0; a < 3; a++) {
            c->bits[a] = a < c->dims ? bitlen64(side[a]) : 0u; /* offsets 0 .. side */
            c->sh[a] = used;
            used += c->bits[a];
            if (a < c->dims) sum += (eu_u128)c->w[a] * (eu_u128)((uint64_t)side[a] * (uint64_t)side[a]);
        }
        if (used > 30u) return 0; /* bit 30 clear: no code is EU_INF */
        c->lowbits = 0;
        while ((sum >> c->lowbits) >> 63 >> 1 != 0) c->lowbits++;
        c->wide = 1;
        return 1;
    }
#endif
    return 0;
}

/* Scratch of the form: the cells, then (wide) 16-byte values and four line
 * arrays of max(w, h, d) + 2 entries. */
static size_t eu_scratch(const euclid *c, size_t w, size_t h, size_t d)
{
    size_t n, cells, len, lines, total;
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n) ||
        !conseco__mul_size(n, sizeof(uint32_t), &cells))
        return 0;
    len = w > h ? w : h;
    if (d > len) len = d;
    if (!conseco__add_size(len, 2u, &len) ||
        !conseco__mul_size(len, c->wide ? 16u + 4u * sizeof(uint32_t) : 4u * sizeof(uint32_t), &lines))
        return 0;
    if (cells > (size_t)-1 - 64u) return 0;
    total = c->wide ? round16(cells) : round8(cells);
    if (!conseco__add_size(total, lines, &total) ||
        !conseco__add_size(total, CONSECO__ALIGN_SLACK, &total))
        return 0;
    return total;
}

static int eu_setup(const conseco_erosion_params *p, const conseco_image *pred, euclid *c)
{
    return (p->element == CONSECO_ELEMENT_DISK || p->element == CONSECO_ELEMENT_BALL_MM) &&
           p->base > -3.0e38 && p->base < 3.0e38 && eu_weights(p, pred, c);
}

size_t conseco__outer_euclid_scratch_size(const conseco_erosion_params *p,
                                          const conseco_image *pred)
{
    euclid c;
    if (!eu_setup(p, pred, &c)) return 0;
    return eu_scratch(&c, pred->width, pred->height, pred->depth);
}

int conseco__outer_euclid_wide(const conseco_erosion_params *p, const conseco_image *pred)
{
    euclid c;
    return eu_setup(p, pred, &c) && c.wide;
}

int conseco__outer_euclid_takes(const conseco_erosion_params *p, const conseco_image *pred,
                                size_t available)
{
    const size_t need = conseco__outer_euclid_scratch_size(p, pred);
    return need != 0 && need <= available;
}

/* ------------------------------------------------------------------ scan */
/* Running bounds and counts of one row. */
typedef struct eu_row {
    size_t fy, ly, fu, lu; /* first and last x of Yhat, of Yhat U Y (w: none) */
    uint64_t pr, tn, miss;
} eu_row;

#ifdef CONSECO__SIMD
static inline unsigned pop16(uint32_t v)
{
    v = v - ((v >> 1) & 0x5555u);
    v = (v & 0x3333u) + ((v >> 2) & 0x3333u);
    v = (v + (v >> 4)) & 0x0F0Fu;
    return (v + (v >> 8)) & 0x1Fu;
}

/* Sixteen pixels from x on: ym their Yhat bits, tm their truth bits. */
static inline void eu_bits16(eu_row *r, size_t w, size_t x, uint32_t ym, uint32_t tm)
{
    const uint32_t um = ym | tm;
    if (um == 0) return;
    r->pr += pop16(ym);
    r->tn += pop16(tm);
    r->miss += pop16(tm & ~ym);
    if (r->fu == w) r->fu = x + conseco__ctz32(um);
    r->lu = x + 31u - conseco__clz32(um);
    if (ym) {
        if (r->fy == w) r->fy = x + conseco__ctz32(ym);
        r->ly = x + 31u - conseco__clz32(ym);
    }
}
#endif

/* One row: counts, and the first and last x of Yhat and of Yhat U Y;
 * 0 when a float is not finite. Float32 and 8-bit rows go sixteen pixels a
 * step (groups with no Yhat and no truth cost a few vector instructions). */
static inline unsigned eu_scan_row(int dtype, const unsigned char *row, const uint8_t *tr,
                                   size_t w, const conseco__outer_thr *t, euclid *c, size_t y,
                                   size_t z)
{
    size_t x = 0;
    eu_row r;
    unsigned ok = 1;
    r.fy = r.fu = w;
    r.ly = r.lu = 0;
    r.pr = r.tn = r.miss = 0;
#ifdef CONSECO__SIMD
    if (dtype == CONSECO_DTYPE_F32) {
        const float *s = (const float *)(const void *)row;
        const conseco__m128 vb = conseco__mm_set1_ps(t->f32);
        conseco__m128 v[4], vmin = conseco__mm_setzero_ps(), bad = conseco__mm_setzero_ps();
        for (; x + 16 <= w; x += 16) {
            const uint32_t tm = conseco__nonzero16_bits(tr + x);
            uint32_t ym = 0;
            if (conseco__f32x16_maybe_in(s + x, vb, v, &vmin))
                ym = conseco__f32x16_bits(v, vb, &bad);
            eu_bits16(&r, w, x, ym, tm);
        }
        if (conseco__f32_bad(bad) || conseco__f32_min_is_neg_inf(vmin)) ok = 0;
    } else if ((dtype == CONSECO_DTYPE_U8 && t->i >= 1u && t->i <= 255u) ||
               (dtype == CONSECO_DTYPE_MASK8 && t->i == 1u)) {
        /* unsigned bytes; a mask's nonzero is >= 1 */
        const conseco__m128i vt = conseco__mm_set1_epi8((char)(unsigned char)t->i);
        for (; x + 16 <= w; x += 16)
            eu_bits16(&r, w, x, conseco__u8x16_bits(row + x, vt), conseco__nonzero16_bits(tr + x));
    }
#endif
    if (dtype == CONSECO_DTYPE_F64) {
        /* groups of sixteen with no truth, nothing at or above base, no NaN:
         * branch-free tests (the compiler may vectorise them); -inf shows in
         * the running minimum */
        const double *s = (const double *)(const void *)row;
        double mn = 0.0;
        for (; x + 16 <= w; x += 16) {
            uint64_t t0, t1;
            unsigned any = 0, l;
            CONSECO_memcpy(&t0, tr + x, 8);
            CONSECO_memcpy(&t1, tr + x + 8, 8);
            for (l = 0; l < 16; l++) {
                const double v = s[x + l];
                any |= (unsigned)!(v < t->base);
                mn = v < mn ? v : mn;
            }
            if ((any | t0 | t1) == 0) continue;
            for (l = 0; l < 16; l++) {
                const unsigned yh = (unsigned)conseco__outer_in(dtype, row, x + l, t, &ok),
                               tv = tr[x + l] != 0;
                r.pr += yh;
                r.tn += tv;
                r.miss += tv & (yh ^ 1u);
                if (yh | tv) {
                    if (r.fu == w) r.fu = x + l;
                    r.lu = x + l;
                    if (yh) {
                        if (r.fy == w) r.fy = x + l;
                        r.ly = x + l;
                    }
                }
            }
        }
        if (mn - mn != 0.0) ok = 0; /* -inf */
    }
    for (; x < w; x++) {
        const unsigned yh = (unsigned)conseco__outer_in(dtype, row, x, t, &ok), tv = tr[x] != 0;
        r.pr += yh;
        r.tn += tv;
        r.miss += tv & (yh ^ 1u);
        if (yh | tv) {
            if (r.fu == w) r.fu = x;
            r.lu = x;
            if (yh) {
                if (r.fy == w) r.fy = x;
                r.ly = x;
            }
        }
    }
    c->predicted += r.pr;
    c->truth += r.tn;
    c->missed0 += r.miss;
    if (r.fy < w) conseco__outer_grow(c->ylo, c->yhi, r.fy, r.ly, y, z);
    if (r.fu < w) conseco__outer_grow(c->ulo, c->uhi, r.fu, r.lu, y, z);
    return ok;
}

static int eu_scan(const conseco_image *pred, const conseco_mask *truth,
                   const conseco__outer_thr *t, euclid *c)
{
    size_t y, z, a;
    unsigned ok = 1;
    c->predicted = c->truth = c->missed0 = 0;
    c->ylo[0] = c->ulo[0] = pred->width;
    c->ylo[1] = c->ulo[1] = pred->height;
    c->ylo[2] = c->ulo[2] = pred->depth;
    for (a = 0; a < 3; a++) c->yhi[a] = c->uhi[a] = 0;
    for (z = 0; z < pred->depth; z++)
        for (y = 0; y < pred->height; y++) {
            const unsigned char *row = conseco__image_row(pred, y, z);
            const uint8_t *tr = conseco__mask_row(truth, y, z);
            switch (pred->dtype) {
            case CONSECO_DTYPE_F32:
                ok &= eu_scan_row(CONSECO_DTYPE_F32, row, tr, pred->width, t, c, y, z);
                break;
            case CONSECO_DTYPE_U8:
                ok &= eu_scan_row(CONSECO_DTYPE_U8, row, tr, pred->width, t, c, y, z);
                break;
            case CONSECO_DTYPE_F64:
                ok &= eu_scan_row(CONSECO_DTYPE_F64, row, tr, pred->width, t, c, y, z);
                break;
            default: ok &= eu_scan_row(pred->dtype, row, tr, pred->width, t, c, y, z); break;
            }
        }
    c->fp0 = c->predicted - (c->truth - c->missed0); /* |Yhat \ Y| */
    return ok ? CONSECO_OK : CONSECO_E_NONFINITE;
}

/* The box cells: EU_FLAG on Yhat, 0 elsewhere. */
static inline void eu_fill_row(int dtype, const unsigned char *row, size_t x0, size_t n,
                               const conseco__outer_thr *t, uint32_t *cell)
{
    size_t x;
    unsigned ok = 1;
    if (dtype == CONSECO_DTYPE_F32) {
        const float *s = (const float *)(const void *)row + x0, fb = t->f32;
        for (x = 0; x < n; x++) cell[x] = s[x] >= fb ? EU_FLAG : 0u;
        return;
    }
    if (dtype == CONSECO_DTYPE_F64) {
        const double *s = (const double *)(const void *)row + x0, base = t->base;
        for (x = 0; x < n; x++) cell[x] = s[x] >= base ? EU_FLAG : 0u;
        return;
    }
    for (x = 0; x < n; x++) cell[x] = conseco__outer_in(dtype, row, x0 + x, t, &ok) ? EU_FLAG : 0u;
}

/* The forward sweep of the first axis P on one filled row: the offset to
 * the nearest cell of the other class before each cell along P (a class
 * change is one step away; before index 0 only the margin, of the other
 * class for Yhat cells when open: `first`), EU_KINF when none. prev: the
 * row before along P (NULL at index 0). */
static void eu_forward_row(uint32_t *cell, size_t n, const uint32_t *prev, uint32_t first)
{
    size_t x;
    if (prev == NULL) {
        for (x = 0; x < n; x++) cell[x] |= cell[x] ? first : EU_KINF;
        return;
    }
    for (x = 0; x < n; x++) {
        const uint32_t cl = cell[x], p = prev[x];
        cell[x] = cl | ((cl ^ (p & EU_FLAG)) ? 1u : (p & ~EU_FLAG) + 1u);
    }
}

/* The box cells (EU_FLAG on Yhat) with the first axis's forward sweep. */
static void eu_fill(const conseco_image *pred, const conseco__outer_thr *t, euclid *c)
{
    const int P = c->dims == 3 ? 2 : 1;
    const size_t sP = P == 2 ? c->n[0] * c->n[1] : c->n[0];
    const uint32_t first = c->open_lo[P] ? 1u : EU_KINF;
    size_t y, z;
    uint32_t *cell = c->cell;
    for (z = 0; z < c->n[2]; z++)
        for (y = 0; y < c->n[1]; y++, cell += c->n[0]) {
            const unsigned char *row = conseco__image_row(pred, c->lo[1] + y, c->lo[2] + z);
            switch (pred->dtype) {
            case CONSECO_DTYPE_F32: eu_fill_row(CONSECO_DTYPE_F32, row, c->lo[0], c->n[0], t, cell); break;
            case CONSECO_DTYPE_U8: eu_fill_row(CONSECO_DTYPE_U8, row, c->lo[0], c->n[0], t, cell); break;
            case CONSECO_DTYPE_F64: eu_fill_row(CONSECO_DTYPE_F64, row, c->lo[0], c->n[0], t, cell); break;
            default: eu_fill_row(pred->dtype, row, c->lo[0], c->n[0], t, cell); break;
            }
            eu_forward_row(cell, c->n[0], (P == 2 ? z : y) > 0 ? cell - sP : NULL, first);
        }
}

/* ------------------------------------------------------ the first axis */
/* The cell of offset k along the first axis: w k^2 (narrow, mul = w) or k
 * in its field (wide, mul = 0, sh its shift). */
static inline uint32_t eu_sq(uint32_t k, uint32_t mul, unsigned sh)
{
    /* finite k: mul k^2 < 2^31 (narrow); the other lanes' wrapped values are dropped */
    const uint32_t v = mul ? mul * k * k : k << sh;
    return k >= EU_KINF ? EU_INF : v;
}

/*
 * Along the first axis P (z on volumes, y on 2-D images), sixteen
 * neighbouring lines at once: the offset to the nearest cell of the other
 * class after each cell (backwards; the forward offsets are eu_fill's), a
 * class change being one step away; the margin after n - 1 is of the other
 * class for Yhat cells when open. Then w_P k^2 (narrow) or k in its field
 * (wide) of the nearer.
 */
static void eu_first_axis(euclid *c)
{
    const int P = c->dims == 3 ? 2 : 1;
    const size_t n0 = c->n[0], nP = c->n[P], sP = P == 2 ? c->n[0] * c->n[1] : c->n[0];
    const size_t rows = P == 2 ? c->n[1] : 1;
    const uint32_t w = c->wide ? 0u : (uint32_t)c->w[P]; /* narrow: w < 2^31 */
    const unsigned sh = c->wide ? c->sh[P] : 0u;
    const uint32_t open_hi = c->open_hi[P] ? 1u : 0u;
    size_t r, x0, i, l;
    /* the forward sweep ran in eu_fill: backwards now */
    for (r = 0; r < rows; r++)
        for (x0 = 0; x0 < n0; x0 += 16) {
            const size_t g = n0 - x0 < 16 ? n0 - x0 : 16;
            uint32_t *b = c->cell + r * n0 + x0;
            uint32_t f[16], prev[16];
            {
                uint32_t *row = b + (nP - 1) * sP;
                /* cppcheck-suppress knownConditionTrueFalse ; g >= 1 (cppcheck 2.10 misreads the min) */
                for (l = 0; l < g; l++) {
                    const uint32_t cl = row[l] & EU_FLAG, fk = row[l] & ~EU_FLAG;
                    const uint32_t bk = cl && open_hi ? 1u : EU_KINF;
                    f[l] = bk;
                    prev[l] = cl;
                    row[l] = cl | eu_sq(fk < bk ? fk : bk, w, sh);
                }
            }
            for (i = nP - 1; i-- > 0;) {
                uint32_t *row = b + i * sP;
                /* cppcheck-suppress knownConditionTrueFalse ; g >= 1 (cppcheck 2.10 misreads the min) */
                for (l = 0; l < g; l++) {
                    const uint32_t cl = row[l] & EU_FLAG, fk = row[l] & ~EU_FLAG;
                    f[l] = cl != prev[l] ? 1u : f[l] + 1u;
                    prev[l] = cl;
                    row[l] = cl | eu_sq(fk < f[l] ? fk : f[l], w, sh);
                }
            }
        }
}

/* -------------------------------------------------------- the envelopes */
/* floor(a / b), b > 0. */
static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (q * b > a) q--;
    return q;
}

/*
 * Lower envelope of the parabolas w (q - u)^2 + g_u over the run a..b of one
 * class of a line (cells v[a..b], the values of their class), positions
 * shifted by one (cell q at q + 1): sites are the run's end neighbours at a
 * and b + 2 with value 0 (when `left` / `right`) and its cells with a value.
 * Returns the number of pieces; piece j covers the positions from start[j].
 */
static size_t eu_envelope(euclid *c, const uint32_t *v, size_t a, size_t b, int left, int right,
                          int64_t w)
{
    uint32_t *site = c->site, *val = c->val, *start = c->start;
    const int64_t first = (int64_t)a + 1, last = (int64_t)b + 1;
    size_t k = 0, q;
    int64_t u;
    for (q = left ? a : a + 1; q <= b + 2; q++) {
        int64_t g;
        if (q == a) {
            g = 0; /* the left neighbour */
        } else if (q == b + 2) {
            if (!right) break;
            g = 0;
        } else {
            const uint32_t x = v[q - 1] & ~EU_FLAG;
            if (x == EU_INF) continue; /* not a site */
            g = (int64_t)x;
        }
        u = (int64_t)q;
        while (k > 0) { /* t goes when u is as low at t's start (then from there on) */
            const int64_t s = (int64_t)start[k - 1], dt = s - (int64_t)site[k - 1], du = s - u;
            if (w * dt * dt + (int64_t)val[k - 1] < w * du * du + g) break;
            k--;
        }
        if (k == 0) {
            start[0] = (uint32_t)first;
        } else {
            const int64_t t = (int64_t)site[k - 1], gt = (int64_t)val[k - 1];
            /* first position where u is strictly lower than t */
            const int64_t ws = floor_div(w * (u - t) * (u + t) + g - gt, 2 * w * (u - t)) + 1;
            if (ws > last) continue;
            start[k] = (uint32_t)ws;
        }
        site[k] = (uint32_t)u;
        val[k] = (uint32_t)g;
        k++;
    }
    return k;
}

#ifdef EU_WIDE
/* u128 to double (approximate: two roundings; only a first guess uses it). */
static inline double u128_approx(eu_u128 v)
{
    return (double)(uint64_t)(v >> 64) * 18446744073709551616.0 + (double)(uint64_t)v;
}

/* The value sum_a w_a k_a^2 of a packed code (exact). */
static inline eu_u128 eu_code_d2(const euclid *c, uint32_t code)
{
    eu_u128 v = 0;
    int a;
    for (a = 0; a < c->dims; a++) {
        const uint64_t k = (code >> c->sh[a]) & ((UINT32_C(1) << c->bits[a]) - 1u);
        v += (eu_u128)c->w[a] * (eu_u128)(k * k);
    }
    return v;
}

/* w (q - s)^2 + g, exact. */
static inline eu_u128 eu_para(uint64_t w, int64_t q, int64_t s, eu_u128 g)
{
    const int64_t d = q - s;
    return (eu_u128)w * (uint64_t)(d * d) + g;
}

/* The wide form of eu_envelope: sites carry their codes (val) and exact
 * values (g); the crossing is guessed in double and settled by exact
 * comparisons. */
static size_t euw_envelope(euclid *c, const uint32_t *v, size_t a, size_t b, int left, int right,
                           int axis)
{
    uint32_t *site = c->site, *code = c->val, *start = c->start;
    eu_u128 *gv = c->g;
    const uint64_t w = c->w[axis];
    const int64_t first = (int64_t)a + 1, last = (int64_t)b + 1;
    size_t k = 0, q;
    for (q = left ? a : a + 1; q <= b + 2; q++) {
        eu_u128 g = 0;
        uint32_t cd = 0;
        int64_t u;
        if (q == b + 2) {
            if (!right) break;
        } else if (q != a) {
            cd = v[q - 1] & ~EU_FLAG;
            if (cd == EU_INF) continue; /* not a site */
            g = eu_code_d2(c, cd);
        }
        u = (int64_t)q;
        while (k > 0) { /* t goes when u is as low at t's start (then from there on) */
            const int64_t st = (int64_t)start[k - 1];
            if (eu_para(w, st, (int64_t)site[k - 1], gv[k - 1]) < eu_para(w, st, u, g)) break;
            k--;
        }
        if (k == 0) {
            start[0] = (uint32_t)first;
        } else {
            /* first position where u is strictly lower than t, after t's start */
            const int64_t t = (int64_t)site[k - 1], lo_q = (int64_t)start[k - 1] + 1;
            const eu_u128 gt = gv[k - 1];
            const double x = 0.5 * ((double)(t + u) + (u128_approx(g) - u128_approx(gt)) /
                                                          ((double)w * (double)(u - t)));
            int64_t ws;
            if (!(x < (double)last)) ws = last + 1;
            else if (!(x >= (double)lo_q)) ws = lo_q;
            else ws = (int64_t)x + 1;
            while (ws > lo_q && eu_para(w, ws - 1, u, g) < eu_para(w, ws - 1, t, gt)) ws--;
            while (ws <= last && !(eu_para(w, ws, u, g) < eu_para(w, ws, t, gt))) ws++;
            if (ws > last) continue;
            start[k] = (uint32_t)ws;
        }
        site[k] = (uint32_t)u;
        code[k] = cd;
        gv[k] = g;
        k++;
    }
    return k;
}
#endif

/* The cell value at position pos (shifted) from piece j: the squared
 * distance (narrow), or the site's code with the new offset (wide). */
static inline uint32_t eu_eval(const euclid *c, size_t j, int64_t pos, int axis, int64_t w)
{
    const int64_t dx = pos - (int64_t)c->site[j];
    if (c->wide) return c->val[j] | (uint32_t)(dx < 0 ? -dx : dx) << c->sh[axis];
    return (uint32_t)(w * dx * dx + (int64_t)c->val[j]);
}

static inline size_t eu_env(euclid *c, const uint32_t *v, size_t a, size_t b, int left,
                            int right, int axis, int64_t w)
{
#ifdef EU_WIDE
    if (c->wide) return euw_envelope(c, v, a, b, left, right, axis);
#else
    (void)axis;
#endif
    return eu_envelope(c, v, a, b, left, right, w);
}

/* Full evaluation of the runs of the needed classes of one line (n cells at
 * v, one after the other): every cell of such a run gets its value. */
static void eu_line(euclid *c, uint32_t *v, size_t n, int axis)
{
    const int64_t w = (int64_t)c->w[axis];
    size_t a = 0;
    while (a < n) {
        const uint32_t cl = v[a] & EU_FLAG;
        size_t b = a, k, q, j = 0;
        while (b + 1 < n && (v[b + 1] & EU_FLAG) == cl) b++;
        if (cl ? c->need_in : c->need_out) {
            k = eu_env(c, v, a, b, a > 0 || (cl && c->open_lo[axis]),
                       b + 1 < n || (cl && c->open_hi[axis]), axis, w);
            if (k > 0)
                for (q = a; q <= b; q++) {
                    const int64_t pos = (int64_t)q + 1;
                    while (j + 1 < k && (int64_t)c->start[j + 1] <= pos) j++;
                    v[q] = cl | eu_eval(c, j, pos, axis, w);
                }
        }
        a = b + 1;
    }
}

/* The middle axis (y) of a volume: lines of stride n0 through a line buffer. */
static void eu_middle_axis(euclid *c)
{
    const size_t n0 = c->n[0], n1 = c->n[1], plane = n0 * n1;
    size_t z, x, y;
    for (z = 0; z < c->n[2]; z++)
        for (x = 0; x < n0; x++) {
            uint32_t *base = c->cell + z * plane + x;
            for (y = 0; y < n1; y++) c->line[y] = base[y * n0];
            eu_line(c, c->line, n1, 1);
            for (y = 0; y < n1; y++) base[y * n0] = c->line[y];
        }
}

/* The last axis (x): runs holding a query only, their squared distances
 * packed at out (class bit kept); returns their number. A packed entry is
 * written only after its run's cells were read, at or before them. */
static size_t eu_last_axis(euclid *c, const conseco_mask *truth, int *bad)
{
    const size_t n0 = c->n[0];
    const int64_t w = (int64_t)c->w[0];
    uint32_t *out = c->cell;
    size_t y, z, kout = 0;
    for (z = 0; z < c->n[2]; z++)
        for (y = 0; y < c->n[1]; y++) {
            uint32_t *v = c->cell + (z * c->n[1] + y) * n0;
            const uint8_t *tr = conseco__mask_row(truth, c->lo[1] + y, c->lo[2] + z) + c->lo[0];
            size_t a = 0;
            while (a < n0) {
                const uint32_t cl = v[a] & EU_FLAG;
                size_t b = a, k, q, j = 0;
                int any = 0;
                if (cl) {
                    while (b + 1 < n0 && (v[b + 1] & EU_FLAG)) b++;
                    if (c->need_in)
                        for (q = a; q <= b && !any; q++) any = tr[q] == 0;
                } else {
                    while (b + 1 < n0 && !(v[b + 1] & EU_FLAG)) b++;
                    if (c->need_out)
                        for (q = a; q <= b && !any; q++) any = tr[q] != 0;
                }
                if (!any) {
                    a = b + 1;
                    continue;
                }
                k = eu_env(c, v, a, b, a > 0 || (cl && c->open_lo[0]),
                           b + 1 < n0 || (cl && c->open_hi[0]), 0, w);
                for (q = a; q <= b; q++) {
                    const int64_t pos = (int64_t)q + 1;
                    if ((tr[q] != 0) == (cl != 0)) continue; /* not a query */
                    if (k == 0) {
                        if (cl) c->in_inf++;
                        else *bad = 1; /* cannot happen: Yhat is in the box */
                        continue;
                    }
                    while (j + 1 < k && (int64_t)c->start[j + 1] <= pos) j++;
                    out[kout++] = cl | eu_eval(c, j, pos, 0, w);
                }
                a = b + 1;
            }
        }
    return kout;
}

/* ------------------------------------------------------------ selection */
/* The need-th largest of vals[0..k) (1 <= need <= k), radix on 8 bits a pass
 * from the highest byte where two values differ; vals are reordered. */
static uint32_t select_largest(uint32_t *vals, size_t k, uint64_t need)
{
    uint32_t counts[256], diff = 0;
    size_t i;
    int shift = 24;
    for (i = 1; i < k; i++) diff |= vals[i] ^ vals[0];
    if (diff == 0) return vals[0];
    while (shift > 0 && (diff >> shift) == 0) shift -= 8;
    for (;;) {
        size_t j = 0;
        uint64_t acc = 0;
        unsigned digit = 255;
        CONSECO_memset(counts, 0, 256 * sizeof(uint32_t));
        for (i = 0; i < k; i++) counts[(vals[i] >> shift) & 255u]++;
        for (;; digit--) {
            if (acc + counts[digit] >= need) break;
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

#ifdef EU_WIDE
/* The selection key of a code: the bits of D2 above lowbits (stage 0) or
 * those below (stage 1). */
static inline uint64_t eu_key(const euclid *c, uint32_t code, int stage)
{
    const eu_u128 d2 = eu_code_d2(c, code);
    if (stage == 0) return (uint64_t)(d2 >> c->lowbits);
    return c->lowbits == 0 ? 0u : (uint64_t)d2 & (~UINT64_C(0) >> (64u - c->lowbits));
}

/* Narrows codes[0..*k) to those whose key is the *need-th largest key, *need
 * becoming the rank among them (radix, 8 bits a pass from the highest byte
 * where two keys differ). */
static void narrow_codes(const euclid *c, uint32_t *codes, size_t *kk, uint64_t *need, int stage)
{
    uint32_t counts[256];
    uint64_t diff = 0, first;
    size_t i, k = *kk;
    int shift = 56;
    first = eu_key(c, codes[0], stage);
    for (i = 1; i < k; i++) diff |= eu_key(c, codes[i], stage) ^ first;
    if (diff == 0) return;
    while (shift > 0 && (diff >> shift) == 0) shift -= 8;
    for (;;) {
        size_t j = 0;
        uint64_t acc = 0;
        unsigned digit = 255;
        CONSECO_memset(counts, 0, sizeof counts);
        for (i = 0; i < k; i++) counts[(eu_key(c, codes[i], stage) >> shift) & 255u]++;
        for (;; digit--) {
            if (acc + counts[digit] >= *need) break;
            acc += counts[digit];
        }
        *need -= acc;
        if (counts[digit] != k) {
            for (i = 0; i < k; i++)
                if (((eu_key(c, codes[i], stage) >> shift) & 255u) == digit) codes[j++] = codes[i];
            k = j;
        }
        if (shift == 0 || k == 1) break;
        shift -= 8;
    }
    *kk = k;
}
#endif

/* The need-th largest squared distance of entries[0..k) (reordered) as the
 * score: the disk's ceil(sqrt(D2)), ball-mm's d_mm. */
static double eu_select(const euclid *c, uint32_t *e, size_t k, uint64_t need)
{
#ifdef EU_WIDE
    if (c->wide) {
        uint32_t k3[3] = {0, 0, 0};
        int a;
        narrow_codes(c, e, &k, &need, 0);
        if (k > 1) narrow_codes(c, e, &k, &need, 1); /* every code left has one D2 */
        for (a = 0; a < c->dims; a++) k3[a] = (e[0] >> c->sh[a]) & ((UINT32_C(1) << c->bits[a]) - 1u);
        return conseco__mm_distance(&c->metric, k3[0], k3[1], k3[2]);
    }
#endif
    {
        const uint32_t d2 = select_largest(e, k, need);
        if (c->mm) return conseco__mm_sqrt_exact((double)d2 * c->unit); /* exact product */
        return (double)(conseco__isqrt32(d2 - 1u) + 1u);
    }
}

/* ---------------------------------------------------------------- score */
int conseco__outer_euclid_score(const conseco_erosion_params *p, const conseco_image *pred,
                                const conseco_mask *truth, int band, double tau,
                                double tau_outer, void *scratch, size_t scratch_size,
                                double *score)
{
    euclid c;
    conseco__outer_thr t;
    size_t cells, len, kout, i, j, n_in;
    uint64_t m, budget;
    unsigned char *b;
    double s_in = 0.0, s_out = 0.0;
    int a, bad = 0, rc;
    size_t need;
    if (!eu_setup(p, pred, &c)) return CONSECO_E_UNSUPPORTED; /* not taken */
    need = eu_scratch(&c, pred->width, pred->height, pred->depth);
    if (need == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    b = (unsigned char *)conseco__align16(scratch, &scratch_size);
    cells = pred->width * pred->height * pred->depth * sizeof(uint32_t);
    cells = c.wide ? round16(cells) : round8(cells);
    len = pred->width > pred->height ? pred->width : pred->height;
    if (pred->depth > len) len = pred->depth;
    len += 2u;
    c.cell = (uint32_t *)(void *)b;
#ifdef EU_WIDE
    c.g = (eu_u128 *)(void *)(b + cells);
    if (c.wide) b += 16u * len; /* the values first: 16-byte aligned */
#endif
    c.site = (uint32_t *)(void *)(b + cells);
    c.val = c.site + len;
    c.start = c.val + len;
    c.line = c.start + len;

    conseco__outer_thr_init(&t, pred->dtype, p->base);
    if ((rc = eu_scan(pred, truth, &t, &c)) != CONSECO_OK) return rc;
    if (!band) tau_outer = tau;
    m = conseco__fp_budget(c.truth, tau_outer); /* missed voxels FNR <= tau_outer allows */
    budget = conseco__fp_budget(c.predicted, tau);
    c.need_out = c.missed0 > m;
    c.need_in = band && c.predicted > 0 && c.fp0 > budget;
    if (!c.need_out && !c.need_in) {
        *score = 0.0;
        return CONSECO_OK;
    }
    if (c.predicted == 0) { /* nothing to dilate: only the whole image is safe */
        *score = conseco__inf();
        return CONSECO_OK;
    }
    /* the box: Yhat U Y for the outer side, Yhat alone suffices for the inner */
    {
        const size_t side[3] = {pred->width, pred->height, pred->depth};
        const int bg = p->border == CONSECO_BORDER_BACKGROUND;
        for (a = 0; a < 3; a++) {
            const size_t lo = c.need_out ? c.ulo[a] : c.ylo[a];
            const size_t hi = c.need_out ? c.uhi[a] : c.yhi[a];
            c.lo[a] = lo;
            c.n[a] = hi - lo + 1u;
            /* outside the box nothing is Yhat; outside the image only under the
             * background policy, and a 2-D image has nothing above or below */
            c.open_lo[a] = a < c.dims && (lo > 0 || bg);
            c.open_hi[a] = a < c.dims && (hi + 1u < side[a] || bg);
        }
    }
    c.in_inf = 0;
    eu_fill(pred, &t, &c);
    eu_first_axis(&c);
    if (c.dims == 3) eu_middle_axis(&c);
    kout = eu_last_axis(&c, truth, &bad);
    if (bad) return CONSECO_E_OVERFLOW; /* cannot happen */
    /* Yhat entries (false positives) first */
    for (i = 0, j = kout; i < j;) {
        if (c.cell[i] & EU_FLAG) {
            c.cell[i] &= ~EU_FLAG;
            i++;
        } else {
            const uint32_t tmp = c.cell[--j];
            c.cell[j] = c.cell[i];
            c.cell[i] = tmp;
        }
    }
    n_in = i;
    if (c.need_in) {
        const uint64_t want = budget + 1u;
        if (c.in_inf >= want) { /* more than the budget never removed */
            *score = conseco__inf();
            return CONSECO_OK;
        }
        if (c.in_inf + n_in != c.fp0) return CONSECO_E_OVERFLOW; /* cannot happen */
        s_in = eu_select(&c, c.cell, n_in, want - c.in_inf);
    }
    if (c.need_out) {
        if (kout - n_in != c.missed0) return CONSECO_E_OVERFLOW; /* cannot happen */
        s_out = eu_select(&c, c.cell + n_in, kout - n_in, m + 1u);
    }
    *score = s_out > s_in ? s_out : s_in;
    return CONSECO_OK;
}
