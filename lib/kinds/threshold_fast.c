/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threshold scores on the common model outputs: float32 and 8-bit maps.
 *
 * The score is the smallest breakpoint above l, the (m+1)-th largest
 * false-positive score (threshold.c explains why).
 *
 * Float32: one pass over the map. Groups of 16 pixels are tested against
 * base (as a float threshold equivalent to the contract's double comparison)
 * and for NaN/inf with SSE2; groups with no pixel in Yhat (most of an image)
 * cost a few instructions and never read the truth. Every Yhat pixel stores
 * its 32-bit key: false positives at the front of the key area, the others
 * at its back. Float bit patterns, sign handled, sort like the floats, so l
 * comes from a radix selection on the false positives' keys (11 bits of
 * their spread per round, three rounds at most over a shrinking set), which
 * also yields the smallest false positive above l; the smallest other Yhat
 * score above l comes from one scan of the back keys. The map is read once;
 * no sort, no doubles; at most 4 bytes of scratch per pixel.
 *
 * 8-bit: one pass counts Yhat and histograms the false positives by value
 * (four interleaved copies, so that runs of equal values do not serialise
 * on one counter); groups of 16 pixels below base are skipped after one
 * SSE2 test. The next Yhat value above l comes from a second pass over the
 * rows holding Yhat (16 bytes per step, in cache for the usual sizes).
 */
#include "threshold_fast.h"

/* SSE2 or NEON (common/simd.h) for the loops compilers do not vectorise by themselves. */
#include "common/simd.h"
#include "common/yhat.h"

#define DIGIT_BITS CONSECO__KEY_DIGIT_BITS
#define U8_COPIES 4u /* interleaved histograms: neighbours often share a value */
#define U8_HIST_BYTES ((size_t)U8_COPIES * 256u * sizeof(uint32_t))
#define BUCKETS (1u << DIGIT_BITS)
#define SPLIT_MIN 8192u /* keys from which a round counts in four interleaved histograms */

int conseco__threshold_fast_applies(const conseco_threshold_params *p, const conseco_image *pred)
{
    if (pred->dtype == CONSECO_DTYPE_U8 || pred->dtype == CONSECO_DTYPE_MASK8) return 1;
    /* float thresholds must exist for base and top */
    return pred->dtype == CONSECO_DTYPE_F32 && p->base > -3.0e38 && p->base < 3.0e38 &&
           p->top > -3.0e38 && p->top < 3.0e38;
}

/* Scratch. Float32: a histogram and one key per Yhat pixel at most, plus
 * two rows no longer used, kept so that which tiny images take this path
 * does not change. 8-bit: the histograms. */
size_t conseco__threshold_fast_scratch_size(int dtype, size_t width, size_t pixels)
{
    size_t keys, flags, total;
    if (dtype != CONSECO_DTYPE_F32) return U8_HIST_BYTES + CONSECO__ALIGN_SLACK;
    if (!conseco__mul_size(pixels, sizeof(uint32_t), &keys) ||
        !conseco__mul_size(width, 2u * sizeof(uint32_t), &flags) ||
        !conseco__add_size(keys, flags, &total) ||
        !conseco__add_size(total, (size_t)BUCKETS * sizeof(uint32_t), &total) ||
        !conseco__add_size(total, CONSECO__ALIGN_SLACK, &total))
        return 0;
    return total;
}

/* ------------------------------------------------------------- floats */

/* -------------------------------------------------------------- selection */
static unsigned bit_length(uint32_t v)
{
    unsigned n = 0;
    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

uint32_t conseco__key_select(uint32_t *keys, size_t n, size_t r, uint32_t lo, uint32_t hi,
                            uint32_t *hist, uint32_t *next)
{
    uint32_t above = 0xFFFFFFFFu;
    for (;;) {
        /* many keys: four interleaved histograms of 2 bits fewer in the same space (keys
         * of neighbouring pixels often share a bucket: one counter would serialise) */
        const int split = n >= SPLIT_MIN;
        const unsigned bits = split ? DIGIT_BITS - 2u : DIGIT_BITS;
        const unsigned len = bit_length(hi - lo);
        const unsigned shift = len > bits ? len - bits : 0u;
        const uint32_t buckets = ((hi - lo) >> shift) + 1u;
        size_t i, j = 0, acc = 0;
        uint32_t b, above1 = 0xFFFFFFFFu;
        if (lo == hi) break;
        if (n <= 32) { /* a few keys left: sort them rather than clear buckets */
            size_t a, c;
            for (a = 1; a < n; a++) {
                const uint32_t k = keys[a];
                for (c = a; c > 0 && keys[c - 1u] > k; c--) keys[c] = keys[c - 1u];
                keys[c] = k;
            }
            for (a = r + 1u; a < n && keys[a] == keys[r]; a++) continue;
            if (a < n && keys[a] < above) above = keys[a];
            *next = above;
            return keys[r];
        }
        if (split) {
            uint32_t *h1 = hist + buckets, *h2 = h1 + buckets, *h3 = h2 + buckets;
            CONSECO_memset(hist, 0, 4u * (size_t)buckets * sizeof(uint32_t));
            for (i = 0; i + 4 <= n; i += 4) {
                hist[(keys[i] - lo) >> shift]++;
                h1[(keys[i + 1u] - lo) >> shift]++;
                h2[(keys[i + 2u] - lo) >> shift]++;
                h3[(keys[i + 3u] - lo) >> shift]++;
            }
            for (; i < n; i++) hist[(keys[i] - lo) >> shift]++;
            for (b = 0; b < buckets; b++) hist[b] += h1[b] + h2[b] + h3[b];
        } else {
            CONSECO_memset(hist, 0, buckets * sizeof(uint32_t));
            for (i = 0; i < n; i++) hist[(keys[i] - lo) >> shift]++;
        }
        if (r < n / 2) { /* scan from the nearer end */
            for (b = 0; acc + hist[b] <= r; b++) acc += hist[b];
        } else {
            size_t above_b = 0;
            for (b = buckets - 1u; above_b + hist[b] <= n - 1u - r; b--) above_b += hist[b];
            acc = n - above_b - hist[b];
        }
        r -= acc;
        /* keep bucket b in place; remember the smallest key of the ones above
         * (two running minima: shorter dependency chains) */
        for (i = 0; i + 2 <= n; i += 2) {
            const uint32_t k0 = keys[i], k1 = keys[i + 1u];
            const uint32_t b0 = (k0 - lo) >> shift, b1 = (k1 - lo) >> shift;
            above = b0 > b && k0 < above ? k0 : above;
            above1 = b1 > b && k1 < above1 ? k1 : above1;
            keys[j] = k0;
            j += b0 == b;
            keys[j] = k1;
            j += b1 == b;
        }
        for (; i < n; i++) {
            const uint32_t k = keys[i], kb = (k - lo) >> shift;
            above = kb > b && k < above ? k : above;
            keys[j] = k;
            j += kb == b;
        }
        above = above1 < above ? above1 : above;
        n = j;
        lo += b << shift;
        if (shift == 0) break;
        if (n > 32u) /* the kept keys' own range: one round less when they are few distinct
                      * values (quantised maps), a narrower one otherwise */
            conseco__key_range(keys, n, &lo, &hi);
        else if (hi - lo > (1u << shift) - 1u)
            hi = lo + ((1u << shift) - 1u);
    }
    *next = above;
    return lo;
}

/* ------------------------------------------------------------ key scans */
/* The range of keys[0..n); copies them to dst unless dst is NULL. */
static inline void key_range_copy(uint32_t *dst, const uint32_t *keys, size_t n, uint32_t *lo,
                                  uint32_t *hi)
{
    uint32_t mn = 0xFFFFFFFFu, mx = 0;
    size_t i = 0;
#ifdef CONSECO__SIMD
    if (n >= 8) { /* unsigned order as signed order with the top bit flipped */
        const conseco__m128i flip = conseco__mm_set1_epi32(INT32_MIN);
        conseco__m128i vmn = conseco__mm_set1_epi32(INT32_MAX), vmx = conseco__mm_set1_epi32(INT32_MIN), gt;
        uint32_t a[4], b[4];
        size_t j;
        for (; i + 4 <= n; i += 4) {
            const conseco__m128i raw = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(keys + i));
            const conseco__m128i k = conseco__mm_xor_si128(raw, flip);
            if (dst != NULL) conseco__mm_storeu_si128((conseco__m128i *)(void *)(dst + i), raw);
            gt = conseco__mm_cmpgt_epi32(vmn, k);
            vmn = conseco__mm_or_si128(conseco__mm_and_si128(gt, k), conseco__mm_andnot_si128(gt, vmn));
            gt = conseco__mm_cmpgt_epi32(k, vmx);
            vmx = conseco__mm_or_si128(conseco__mm_and_si128(gt, k), conseco__mm_andnot_si128(gt, vmx));
        }
        conseco__mm_storeu_si128((conseco__m128i *)(void *)a, conseco__mm_xor_si128(vmn, flip));
        conseco__mm_storeu_si128((conseco__m128i *)(void *)b, conseco__mm_xor_si128(vmx, flip));
        for (j = 0; j < 4; j++) {
            mn = a[j] < mn ? a[j] : mn;
            mx = b[j] > mx ? b[j] : mx;
        }
    }
#endif
    for (; i < n; i++) {
        if (dst != NULL) dst[i] = keys[i];
        mn = keys[i] < mn ? keys[i] : mn;
        mx = keys[i] > mx ? keys[i] : mx;
    }
    *lo = mn;
    *hi = mx;
}

void conseco__key_range(const uint32_t *keys, size_t n, uint32_t *lo, uint32_t *hi)
{
    key_range_copy(NULL, keys, n, lo, hi);
}

void conseco__key_copy_range(uint32_t *dst, const uint32_t *keys, size_t n, uint32_t *lo,
                             uint32_t *hi)
{
    key_range_copy(dst, keys, n, lo, hi);
}

/* k - (lo + 1), modulo 2^32, is below hi - lo exactly for k in (lo, hi] and
 * keeps their order: one unsigned minimum answers. */
uint32_t conseco__key_min_between(const uint32_t *keys, size_t n, uint32_t lo, uint32_t hi)
{
    const uint32_t off = lo + 1u, span = hi - lo;
    uint32_t best = 0xFFFFFFFFu;
    size_t i = 0;
    if (hi <= lo) return 0xFFFFFFFFu;
#ifdef CONSECO__SIMD
    {
        /* unsigned order as signed order with the top bit flipped: the
         * flip and the offset are one addition */
        const conseco__m128i add = conseco__mm_set1_epi32((int32_t)(0x80000000u - off));
        conseco__m128i vbest = conseco__mm_set1_epi32(INT32_MAX), vbest1 = vbest, lt;
        uint32_t lane[4];
        size_t j;
        /* two running minima: shorter dependency chains */
        for (; i + 8 <= n; i += 8) {
            const conseco__m128i k0 = conseco__mm_add_epi32(
                conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(keys + i)), add);
            const conseco__m128i k1 = conseco__mm_add_epi32(
                conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(keys + i + 4)), add);
            const conseco__m128i lt0 = conseco__mm_cmplt_epi32(k0, vbest);
            const conseco__m128i lt1 = conseco__mm_cmplt_epi32(k1, vbest1);
            vbest = conseco__mm_or_si128(conseco__mm_and_si128(lt0, k0), conseco__mm_andnot_si128(lt0, vbest));
            vbest1 = conseco__mm_or_si128(conseco__mm_and_si128(lt1, k1), conseco__mm_andnot_si128(lt1, vbest1));
        }
        lt = conseco__mm_cmplt_epi32(vbest1, vbest);
        vbest = conseco__mm_or_si128(conseco__mm_and_si128(lt, vbest1), conseco__mm_andnot_si128(lt, vbest));
        conseco__mm_storeu_si128((conseco__m128i *)(void *)lane, vbest);
        for (j = 0; j < 4; j++) {
            const uint32_t u = lane[j] ^ 0x80000000u;
            best = u < best ? u : best;
        }
    }
#endif
    for (; i < n; i++) {
        const uint32_t u = keys[i] - off;
        best = u < best ? u : best;
    }
    return best < span ? best + off : 0xFFFFFFFFu;
}

/* ------------------------------------------------------------ float rows */
/* Where the keys of Yhat pixels go: false positives to keys[0..nf), the
 * others to keys[nt..capacity). nf + (capacity - nt) never exceeds the
 * pixels seen, so before each pixel nf < nt. */
typedef struct key_store {
    uint32_t *keys;
    size_t nf, nt;
    float ymax; /* at least every Yhat score (the selection's upper bound) */
} key_store;

#ifdef CONSECO__SIMD
/* Four pixels' keys k, their false positives f and other Yhat pixels g
 * (4-bit lane masks). */
static void store4(key_store *ks, conseco__m128i k, unsigned f, unsigned g)
{
    uint32_t *keys = ks->keys;
    if (g == 15u) {
        ks->nt -= 4;
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(keys + ks->nt), k);
    } else if (f == 15u) {
        conseco__mm_storeu_si128((conseco__m128i *)(void *)(keys + ks->nf), k);
        ks->nf += 4;
    } else if ((f | g) != 0) {
        /* mixed: write each key to both free slots, then advance the end it
         * belongs to; no branch per pixel */
        uint32_t kk[4];
        size_t nf = ks->nf, nt = ks->nt;
        unsigned i;
        conseco__mm_storeu_si128((conseco__m128i *)(void *)kk, k);
        for (i = 0; i < 4; i++) {
            keys[nf] = kk[i];
            keys[nt - 1u] = kk[i];
            nf += (f >> i) & 1u;
            nt -= (g >> i) & 1u;
        }
        ks->nf = nf;
        ks->nt = nt;
    }
}

/* A group of 16 pixels v[0..3] that may hold Yhat (or a NaN), truth t:
 * store their keys; 0 if one is NaN or infinite. */
static int store_group(key_store *ks, const conseco__m128 v[4], const uint8_t *t, conseco__m128 vb)
{
    const conseco__m128i tz = conseco__mm_cmpeq_epi8(conseco__mm_loadu_si128((const conseco__m128i *)(const void *)t),
                                      conseco__mm_setzero_si128());
    conseco__m128 in[4], bad = conseco__mm_setzero_ps(); /* v - v: +0 if finite, NaN if not */
    conseco__m128i inb;
    unsigned all, fp, tp;
    int j;
    for (j = 0; j < 4; j++) {
        in[j] = conseco__mm_cmpge_ps(v[j], vb);
        bad = conseco__mm_or_ps(bad, conseco__mm_sub_ps(v[j], v[j]));
    }
    inb = conseco__mm_packs_epi16(conseco__mm_packs_epi32(conseco__mm_castps_si128(in[0]), conseco__mm_castps_si128(in[1])),
                          conseco__mm_packs_epi32(conseco__mm_castps_si128(in[2]), conseco__mm_castps_si128(in[3])));
    all = (unsigned)conseco__mm_movemask_epi8(inb);
    fp = (unsigned)conseco__mm_movemask_epi8(conseco__mm_and_si128(inb, tz));
    tp = all & ~fp;
    if (fp == 0xFFFFu) {
        for (j = 0; j < 4; j++)
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(ks->keys + ks->nf + 4 * (size_t)j), conseco__keys4(v[j]));
        ks->nf += 16;
    } else if (tp == 0xFFFFu) {
        ks->nt -= 16;
        for (j = 0; j < 4; j++)
            conseco__mm_storeu_si128((conseco__m128i *)(void *)(ks->keys + ks->nt + 4 * (size_t)j), conseco__keys4(v[j]));
    } else {
        for (j = 0; j < 4; j++)
            store4(ks, conseco__keys4(v[j]), (fp >> (4 * j)) & 15u, (tp >> (4 * j)) & 15u);
    }
    return conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi32(conseco__mm_castps_si128(bad), conseco__mm_setzero_si128())) ==
           0xFFFF;
}
#endif

/* One row of the map: stores the keys of its Yhat pixels; 0 if it holds a
 * NaN or an infinity.
 * t_below: the truth two rows below (or this row's). */
static int f32_row(key_store *ks, const float *s, const uint8_t *t, const uint8_t *t_below,
                   size_t w, float base)
{
    size_t x = 0;
    int ok = 1;
#ifdef CONSECO__SIMD
    {
        /* Groups with no pixel in Yhat are skipped; the truth two rows
         * below is prefetched where Yhat is (too sparse a read for the
         * hardware prefetcher). */
        const conseco__m128 vb = conseco__mm_set1_ps(base);
        conseco__m128 v[4], vmin = conseco__mm_setzero_ps(), vmax = vb;
        float lane[4];
        unsigned i;
        for (; x + 16 <= w; x += 16) {
            conseco__prefetch(s + x, CONSECO__PREFETCH_AHEAD);
            if (conseco__f32x16_maybe_in(s + x, vb, v, &vmin)) {
                /* every lane of a group holding Yhat: its maximum is a Yhat score's */
                vmax = conseco__mm_max_ps(vmax, conseco__mm_max_ps(conseco__mm_max_ps(v[0], v[1]),
                                                                   conseco__mm_max_ps(v[2], v[3])));
                ok &= store_group(ks, v, t + x, vb);
                conseco__prefetch(t_below + x, 0);
            }
        }
        ok &= !conseco__f32_min_is_neg_inf(vmin);
        conseco__mm_storeu_ps(lane, vmax);
        for (i = 0; i < 4; i++) ks->ymax = lane[i] > ks->ymax ? lane[i] : ks->ymax;
    }
#endif
    for (; x < w; x++) {
        const float v = s[x];
        ok &= v - v == 0.0f;
        if (v >= base) {
            const uint32_t k = conseco__key_of(conseco__f32_bits(v));
            if (t[x] == 0) ks->keys[ks->nf++] = k;
            else ks->keys[--ks->nt] = k;
            ks->ymax = v > ks->ymax ? v : ks->ymax;
        }
    }
    (void)t_below;
    return ok;
}

static int score_f32(const conseco_threshold_params *p, const conseco_image *pred,
                     const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                     double *score)
{
    const size_t w = pred->width, h = pred->height, d = pred->depth;
    const float base = conseco__f32_at_least(p->base), top = conseco__f32_at_most(p->top);
    const uint32_t ktop = conseco__key_of(conseco__f32_bits(top));
    size_t need, pixels, y, z, nfp;
    uint64_t m;
    uint32_t *hist, kmin, kmax, kl, knext, ktp;
    key_store ks;
    int finite = 1;

    if (!conseco__mul_size(w, h, &pixels) || !conseco__mul_size(pixels, d, &pixels) ||
        (need = conseco__threshold_fast_scratch_size(CONSECO_DTYPE_F32, w, pixels)) == 0)
        return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < need) return CONSECO_E_SCRATCH_TOO_SMALL;
    hist = (uint32_t *)conseco__align16(scratch, &scratch_size);
    ks.keys = hist + BUCKETS;
    ks.nf = 0;
    ks.nt = pixels;
    ks.ymax = base;

    for (z = 0; z < d; z++)
        for (y = 0; y < h; y++)
            finite &= f32_row(&ks, (const float *)(const void *)conseco__image_row(pred, y, z),
                              conseco__mask_row(truth, y, z),
                              conseco__mask_row(truth, y + 2 < h ? y + 2 : y, z), w, base);
    if (!finite) return CONSECO_E_NONFINITE;
    nfp = ks.nf;
    m = conseco__fp_budget((uint64_t)nfp + (pixels - ks.nt), tau);
    if ((uint64_t)nfp <= m) {
        *score = p->base;
        return CONSECO_OK;
    }
    /* l = the (m+1)-th largest false positive = the (nfp - m)-th smallest;
     * knext = the smallest false positive above it */
    /* bounds of the false positives' keys without a pass over them: base and
     * the largest Yhat score (both finite here) */
    kmin = conseco__key_of(conseco__f32_bits(base));
    kmax = conseco__key_of(conseco__f32_bits(ks.ymax));
    kl = conseco__key_select(ks.keys, nfp, nfp - (size_t)m - 1u, kmin, kmax, hist, &knext);
    /* the smallest score in (l, top] among the other Yhat pixels; l >= base,
     * so every pixel above l is in Yhat */
    ktp = conseco__key_min_between(ks.keys + ks.nt, pixels - ks.nt, kl, ktop);
    knext = knext <= ktop && knext < ktp ? knext : ktp;
    if (knext != 0xFFFFFFFFu) /* a pixel's score is the breakpoint */
        *score = (double)conseco__float_of_key(knext);
    else
        *score = p->top > (double)conseco__float_of_key(kl) ? p->top : conseco__inf();
    return CONSECO_OK;
}

/* ------------------------------------------------------------- 8-bit maps */
#ifdef CONSECO__SIMD
static unsigned popcount16(unsigned v)
{
    v = v - ((v >> 1) & 0x5555u);
    v = (v & 0x3333u) + ((v >> 2) & 0x3333u);
    v = (v + (v >> 4)) & 0x0F0Fu;
    return (v + (v >> 8)) & 0x1Fu;
}
#endif

/* The pixel's histogram bin: MASK8 maps nonzero to 255 (1.0). */
static unsigned u8_value(int mask8, uint8_t v) { return mask8 ? (v ? 255u : 0u) : v; }

/* One row: counts its Yhat pixels (values >= first) into *predicted and its
 * false positives by value into h (U8_COPIES interleaved copies). Returns 1
 * if the row holds Yhat. */
static int u8_row(const uint8_t *s, const uint8_t *t, size_t w, int mask8, unsigned first,
                  uint32_t *h, uint64_t *predicted)
{
    size_t x = 0;
    uint64_t count = 0;
#ifdef CONSECO__SIMD
    {
        const conseco__m128i vfirst = conseco__mm_set1_epi8((char)first), zero = conseco__mm_setzero_si128();
        for (; x + 16 <= w; x += 16) {
            conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(s + x)), in;
            unsigned all, fp;
            if (mask8) v = conseco__mm_andnot_si128(conseco__mm_cmpeq_epi8(v, zero), conseco__mm_cmpeq_epi8(v, v));
            in = conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, vfirst), v); /* v >= first, unsigned */
            all = (unsigned)conseco__mm_movemask_epi8(in);
            if (all == 0) continue;
            count += popcount16(all);
            fp = all & (unsigned)conseco__mm_movemask_epi8(conseco__mm_cmpeq_epi8(
                            conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(t + x)), zero));
            if (fp) {
                uint8_t val[16];
                unsigned i;
                conseco__mm_storeu_si128((conseco__m128i *)(void *)val, v);
                for (i = 0; i < 16; i++) /* a false positive adds 1, others 0 */
                    h[(i & (U8_COPIES - 1u)) * 256u + val[i]] += (fp >> i) & 1u;
            }
        }
    }
#endif
    for (; x < w; x++) {
        const unsigned v = u8_value(mask8, s[x]);
        if (v >= first) {
            count++;
            h[(x & (U8_COPIES - 1u)) * 256u + v] += t[x] == 0;
        }
    }
    *predicted += count;
    return count != 0;
}

/* The smallest value above `above` (< 255) in rows r0..r1, 256 if none. */
static unsigned u8_next_value(const conseco_image *pred, int mask8, size_t r0, size_t r1,
                              unsigned above)
{
    const size_t w = pred->width, h = pred->height;
    unsigned best = 256;
    size_t n;
    for (n = r0; n <= r1; n++) {
        const uint8_t *s = conseco__image_row(pred, n % h, n / h);
        size_t x = 0;
#ifdef CONSECO__SIMD
        {
            const conseco__m128i lim = conseco__mm_set1_epi8((char)(above + 1u)), zero = conseco__mm_setzero_si128();
            const conseco__m128i ones = conseco__mm_cmpeq_epi8(zero, zero);
            conseco__m128i vmin = ones, any = zero;
            for (; x + 16 <= w; x += 16) {
                conseco__m128i v = conseco__mm_loadu_si128((const conseco__m128i *)(const void *)(s + x)), ge;
                if (mask8) v = conseco__mm_andnot_si128(conseco__mm_cmpeq_epi8(v, zero), ones);
                ge = conseco__mm_cmpeq_epi8(conseco__mm_max_epu8(v, lim), v); /* v > above */
                any = conseco__mm_or_si128(any, ge);
                vmin = conseco__mm_min_epu8(vmin, conseco__mm_or_si128(v, conseco__mm_andnot_si128(ge, ones)));
            }
            if (conseco__mm_movemask_epi8(any)) {
                uint8_t lane[16];
                unsigned i;
                conseco__mm_storeu_si128((conseco__m128i *)(void *)lane, vmin);
                for (i = 0; i < 16; i++) best = lane[i] < best ? lane[i] : best;
            }
        }
#endif
        for (; x < w; x++) {
            const unsigned v = u8_value(mask8, s[x]);
            best = v > above && v < best ? v : best;
        }
    }
    return best;
}

static int score_u8(const conseco_threshold_params *p, const conseco_image *pred,
                    const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                    double *score)
{
    const int mask8 = pred->dtype == CONSECO_DTYPE_MASK8;
    const size_t nrows = pred->height * pred->depth, hgt = pred->height;
    uint32_t *h = (uint32_t *)conseco__align16(scratch, &scratch_size);
    unsigned first_in = 256, b; /* the smallest value in Yhat */
    size_t n, k, r0 = (size_t)-1, r1 = 0;
    uint64_t predicted = 0, nfp = 0, acc = 0, m;
    double l;
    first_in = (unsigned)conseco__int_at_least(p->base, 255u);
    if (first_in == 256) { /* Yhat is empty */
        *score = p->base;
        return CONSECO_OK;
    }
    CONSECO_memset(h, 0, U8_HIST_BYTES);
    for (n = 0; n < nrows; n++)
        if (u8_row(conseco__image_row(pred, n % hgt, n / hgt), conseco__mask_row(truth, n % hgt, n / hgt),
                   pred->width, mask8, first_in, h, &predicted)) {
            r0 = r0 == (size_t)-1 ? n : r0;
            r1 = n;
        }
    for (b = first_in; b < 256; b++) {
        for (k = 1; k < U8_COPIES; k++) h[b] += h[k * 256u + b];
        nfp += h[b];
    }
    m = conseco__fp_budget(predicted, tau);
    if (nfp <= m) {
        *score = p->base;
        return CONSECO_OK;
    }
    /* l = the (m+1)-th largest false positive; then the next value in Yhat */
    for (b = 256; b-- > first_in;) {
        acc += h[b];
        if (acc > m) break;
    }
    l = (double)b / 255.0;
    b = b < 255 ? u8_next_value(pred, mask8, r0, r1, b) : 256u;
    if (b < 256 && (double)b / 255.0 <= p->top) *score = (double)b / 255.0;
    else *score = p->top > l ? p->top : conseco__inf();
    return CONSECO_OK;
}

int conseco__threshold_fast_score(const conseco_threshold_params *p, const conseco_image *pred,
                                  const conseco_mask *truth, double tau, void *scratch,
                                  size_t scratch_size, double *score)
{
    if (pred->dtype == CONSECO_DTYPE_F32)
        return score_f32(p, pred, truth, tau, scratch, scratch_size, score);
    if (scratch == NULL || scratch_size < conseco__threshold_fast_scratch_size(pred->dtype, 0, 0))
        return CONSECO_E_SCRATCH_TOO_SMALL;
    return score_u8(p, pred, truth, tau, scratch, scratch_size, score);
}
