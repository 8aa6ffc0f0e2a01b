/* SPDX-License-Identifier: Apache-2.0 */
/* Expected-risk control (docs/DESIGN.md 5.3): exact loss sums, the exact
 * risk condition, and one image's loss curve from its level map.
 *
 * The per-image loss is the double AFP = kept_fp / |Yhat| (the same double
 * division as the F <= tau rule). Sums of these doubles are kept exactly in
 * 192-bit fixed point, so the summed curve of a calibration set does not
 * depend on the order in which images were added or calibrators merged, and
 * the condition S + 1 <= alpha (n + 1) is decided without rounding. */
#define CONSECO_STATIC_LINKING_ONLY
#include "risk.h"

/* ------------------------------------------------------------ fixed point */
void conseco__fix_from_double(double d, conseco__fix *out)
{
    const uint64_t bits = conseco__double_bits(d);
    const unsigned exp = (unsigned)((bits >> 52) & 0x7FFu);
    uint64_t m = bits & ((UINT64_C(1) << 52) - 1u);
    int pos; /* d = m * 2^(pos - 128) */
    out->w[0] = out->w[1] = out->w[2] = 0;
    if (!(d > 0.0)) return; /* 0, -0 (callers pass [0, 1]) */
    if (exp == 0) {
        pos = 1 - 1075 + 128;
    } else {
        m |= UINT64_C(1) << 52;
        pos = (int)exp - 1075 + 128;
    }
    if (pos < 0) {
        /* bits below 2^-128: round up (a loss only grows, the mask only shrinks) */
        const unsigned s = (unsigned)-pos;
        const uint64_t q = s >= 64u ? 0u : m >> s;
        const int lost = s >= 64u ? 1 : (q << s) != m;
        out->w[0] = q + (lost ? 1u : 0u);
        return;
    }
    /* pos <= 76 + 52 for d <= 1: at most bit 129 is set */
    {
        const unsigned p = (unsigned)pos, word = p / 64u, sh = p % 64u;
        out->w[word] = m << sh;
        if (sh != 0 && word + 1u < 3u) out->w[word + 1u] = m >> (64u - sh);
    }
}

void conseco__fix_add(conseco__fix *a, const conseco__fix *b)
{
    uint64_t carry = 0;
    unsigned i;
    for (i = 0; i < 3u; i++) {
        const uint64_t s = a->w[i] + b->w[i];
        const uint64_t c1 = s < a->w[i];
        const uint64_t t = s + carry;
        const uint64_t c2 = t < s;
        a->w[i] = t;
        carry = c1 | c2;
    }
}

void conseco__fix_sub(conseco__fix *a, const conseco__fix *b)
{
    uint64_t borrow = 0;
    unsigned i;
    for (i = 0; i < 3u; i++) {
        const uint64_t x = a->w[i], y = b->w[i];
        const uint64_t d = x - y;
        const uint64_t b1 = x < y;
        const uint64_t r = d - borrow;
        const uint64_t b2 = d < borrow;
        a->w[i] = r;
        borrow = b1 | b2;
    }
}

int conseco__fix_cmp(const conseco__fix *a, const conseco__fix *b)
{
    int i;
    for (i = 2; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

double conseco__fix_to_double(const conseco__fix *a)
{
    /* 2^-64 and 2^-128 are exact; each step rounds, which is fine for a report */
    const double two64 = 18446744073709551616.0;
    return (double)a->w[2] + ((double)a->w[1] + (double)a->w[0] / two64) / two64;
}

/* ------------------------------------------------------ 288-bit integers */
#define LIMBS 9u

static void big_zero(uint32_t *x)
{
    unsigned i;
    for (i = 0; i < LIMBS; i++) x[i] = 0;
}

static void big_from_fix(uint32_t *x, const conseco__fix *f)
{
    size_t i;
    big_zero(x);
    for (i = 0; i < 3u; i++) {
        x[2u * i] = (uint32_t)(f->w[i] & 0xFFFFFFFFu);
        x[2u * i + 1u] = (uint32_t)(f->w[i] >> 32);
    }
}

/* x += v << (32 * limb) */
static void big_add_u64_at(uint32_t *x, uint64_t v, unsigned limb)
{
    uint64_t carry = 0;
    unsigned i;
    for (i = limb; i < LIMBS; i++) {
        const uint64_t add = i == limb ? (v & 0xFFFFFFFFu) : i == limb + 1u ? (v >> 32) : 0u;
        const uint64_t s = (uint64_t)x[i] + add + carry;
        x[i] = (uint32_t)(s & 0xFFFFFFFFu);
        carry = s >> 32;
        if (carry == 0 && i > limb + 1u) break;
    }
}

/* out = x * m (the product fits: callers stay below 2^288) */
static void big_mul_u64(const uint32_t *x, uint64_t m, uint32_t *out)
{
    const uint64_t m0 = m & 0xFFFFFFFFu, m1 = m >> 32;
    unsigned i;
    big_zero(out);
    for (i = 0; i < LIMBS; i++) {
        if (x[i] == 0) continue;
        big_add_u64_at(out, (uint64_t)x[i] * m0, i);
        if (m1 != 0 && i + 1u < LIMBS) big_add_u64_at(out, (uint64_t)x[i] * m1, i + 1u);
    }
}

/* x <<= s (s < 288; bits shifted out are lost: callers stay below 2^288) */
static void big_shl(uint32_t *x, unsigned s)
{
    const unsigned limbs = s / 32u, bits = s % 32u;
    int i;
    for (i = (int)LIMBS - 1; i >= 0; i--) {
        const int src = i - (int)limbs;
        uint32_t v = 0;
        if (src >= 0) {
            v = x[src] << bits;
            if (bits != 0 && src >= 1) v |= x[src - 1] >> (32u - bits);
        }
        x[i] = v;
    }
}

static int big_le(const uint32_t *a, const uint32_t *b)
{
    int i;
    for (i = (int)LIMBS - 1; i >= 0; i--)
        if (a[i] != b[i]) return a[i] < b[i];
    return 1;
}

int conseco__risk_bound_init(double alpha, uint64_t n, conseco__risk_bound *out)
{
    uint64_t num, den;
    unsigned shift;
    uint32_t t[LIMBS];
    int rc;
    if ((rc = conseco__alpha_exact(alpha, &num, &den, &shift)) != CONSECO_OK) return rc;
    CONSECO_memset(out, 0, sizeof *out);
    /* alpha (n + 1) = num (n + 1) / den, or num (n + 1) / 2^shift */
    big_zero(t);
    big_add_u64_at(t, num, 0);
    big_mul_u64(t, n, out->rhs);
    big_add_u64_at(out->rhs, num, 0); /* num * n + num: n + 1 may not fit 64 bits */
    if (den != 0) {
        out->den = den;
        big_shl(out->rhs, 128u); /* < 2^(50 + 64 + 128) */
    } else {
        out->den = 1;
        /* (S + 1) 2^shift <= num (n + 1) < 2^117 needs shift < 117 */
        if (shift > 128u) out->never = 1;
        else big_shl(out->rhs, 128u - shift);
    }
    return CONSECO_OK;
}

int conseco__risk_pass(const conseco__risk_bound *b, const conseco__fix *sum)
{
    uint32_t s[LIMBS], lhs[LIMBS];
    if (b->never) return 0;
    big_from_fix(s, sum);
    big_add_u64_at(s, 1u, 4u); /* + 1 = 2^128 */
    big_mul_u64(s, b->den, lhs);
    return big_le(lhs, b->rhs);
}

/* ------------------------------------------------------ one image's curve */
#define TABLE_MAX_SLOTS 4096u
#define EMPTY_BITS UINT64_C(0x7FF8000000000001) /* a NaN: never a key */

/* Hash table slots for n pixels: a power of two >= 2n, at most 4096. */
static size_t table_slots(size_t n)
{
    size_t s = 16u;
    while (s < TABLE_MAX_SLOTS && s / 2u < n) s *= 2u;
    return s;
}

/* The table: slot keys (as bits), slot false-positive counts, then room for
 * the sorted distinct keys and their counts (half the slots each). */
static size_t table_bytes(size_t slots)
{
    return slots * (sizeof(uint64_t) + sizeof(uint64_t)) +
           (slots / 2u) * (sizeof(double) + sizeof(uint64_t));
}

size_t conseco__image_curve_scratch(size_t n)
{
    size_t bytes;
    if (!conseco__mul_size(n, sizeof(double), &bytes) ||
        !conseco__add_size(bytes, CONSECO__ALIGN_SLACK, &bytes) ||
        !conseco__add_size(bytes, table_bytes(table_slots(n)), &bytes))
        return 0;
    return bytes;
}

/* floor() for the integer domain, without libm; +-inf and |x| >= 2^52 are integral. */
static double floor_level(double x)
{
    double t;
    if (!(x < 4503599627370496.0 && x > -4503599627370496.0)) return x;
    t = (double)(int64_t)x;
    return t > x ? t - 1.0 : t;
}

/* The key of a Yhat level. */
static double key_of(double v, int integer, double lmax)
{
    double k = integer ? floor_level(v) : v;
    if (k > lmax) k = lmax;
    return k + 0.0; /* one key for -0 and +0: -0 + 0 is +0 */
}

/* Form A: every Yhat key, false positives first, each part sorted. */
static void build_sorted(double *lv, const conseco_mask *truth, double lmin, int integer,
                         double lmax, int fp_truth, conseco__image_curve *out)
{
    size_t i = 0, x, y, z, nfp = 0, ntp = 0;
    for (z = 0; z < truth->depth; z++)
        for (y = 0; y < truth->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < truth->width; x++, i++) {
                double v = lv[i];
                if (!(v >= lmin)) continue;
                v = key_of(v, integer, lmax);
                /* false positives to the front, true positives packed after
                 * them (as in evaluate_lambdas.c): writes never pass reads */
                if ((t[x] == 0) != (fp_truth != 0)) { /* outer: the counted pixels are truth */
                    if (ntp != 0) lv[nfp + ntp] = lv[nfp];
                    lv[nfp++] = v;
                } else {
                    lv[nfp + ntp++] = v;
                }
            }
        }
    conseco__sort_doubles(lv, nfp);
    conseco__sort_doubles(lv + nfp, ntp);
    out->fp = lv;
    out->nfp = nfp;
    out->tp = lv + nfp;
    out->ntp = ntp;
    out->yhat = (uint64_t)(nfp + ntp);
    out->total_fp = (uint64_t)nfp;
}

/* Form B: distinct keys in a hash table; 0 if there are more than it holds. */
static int build_table(const double *lv, const conseco_mask *truth, double lmin, int integer,
                       double lmax, int fp_truth, unsigned char *mem, size_t slots,
                       conseco__image_curve *out)
{
    uint64_t *tkey = (uint64_t *)(void *)mem;
    uint64_t *tfp = tkey + slots;
    double *keys = (double *)(void *)(tfp + slots);
    uint64_t *fpc = (uint64_t *)(void *)(keys + slots / 2u);
    const size_t cap = slots / 2u;
    unsigned shift = 64u;
    size_t i = 0, x, y, z, used = 0, j, last_slot = 0;
    uint64_t yhat = 0, fp = 0, last_bits = EMPTY_BITS;
    for (j = slots; j > 1u; j /= 2u) shift--;
    for (j = 0; j < slots; j++) {
        tkey[j] = EMPTY_BITS;
        tfp[j] = 0;
    }
    for (z = 0; z < truth->depth; z++)
        for (y = 0; y < truth->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < truth->width; x++, i++) {
                const double v = lv[i];
                uint64_t bits;
                size_t h;
                if (!(v >= lmin)) continue;
                bits = conseco__double_bits(key_of(v, integer, lmax));
                if (bits == last_bits) {
                    h = last_slot; /* neighbours often share a level */
                } else {
                    h = (size_t)((bits * UINT64_C(0x9E3779B97F4A7C15)) >> shift);
                    while (tkey[h] != bits && tkey[h] != EMPTY_BITS) h = (h + 1u) & (slots - 1u);
                    if (tkey[h] == EMPTY_BITS) {
                        if (used == cap) return 0;
                        tkey[h] = bits;
                        used++;
                    }
                    last_bits = bits;
                    last_slot = h;
                }
                yhat++;
                if ((t[x] == 0) != (fp_truth != 0)) { /* outer: the counted pixels are truth */
                    tfp[h]++;
                    fp++;
                }
            }
        }
    /* the distinct keys, sorted, then their counts looked up */
    for (j = 0, i = 0; j < slots; j++)
        if (tkey[j] != EMPTY_BITS) keys[i++] = conseco__bits_double(tkey[j]);
    conseco__sort_doubles(keys, used);
    for (i = 0; i < used; i++) {
        const uint64_t bits = conseco__double_bits(keys[i]);
        size_t h = (size_t)((bits * UINT64_C(0x9E3779B97F4A7C15)) >> shift);
        while (tkey[h] != bits) h = (h + 1u) & (slots - 1u);
        fpc[i] = tfp[h];
    }
    out->keys = keys;
    out->fpc = fpc;
    out->nkeys = used;
    out->yhat = yhat;
    out->total_fp = fp;
    return 1;
}

int conseco__image_curve_build(const conseco__shrinker *s, const conseco_image *pred,
                               const conseco_mask *truth, void *scratch, size_t scratch_size,
                               conseco__image_curve *out)
{
    double *lv;
    size_t n, work = scratch_size, slots;
    const int integer = s->vt.domain == CONSECO_DOMAIN_INTEGER;
    int rc;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    if (conseco__image_curve_scratch(n) == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < conseco__image_curve_scratch(n))
        return CONSECO_E_SCRATCH_TOO_SMALL;
    lv = (double *)conseco__align16(scratch, &work);
    if ((rc = s->ops->levels(s, pred, lv, n)) != CONSECO_OK) return rc;
    CONSECO_memset(out, 0, sizeof *out);
    out->lambda_min = s->vt.lambda_min;
    out->lambda_max = s->vt.lambda_max;
    slots = table_slots(n);
    if (!build_table(lv, truth, s->vt.lambda_min, integer, s->vt.lambda_max, 0,
                     (unsigned char *)(lv + n), slots, out))
        build_sorted(lv, truth, s->vt.lambda_min, integer, s->vt.lambda_max, 0, out);
    return CONSECO_OK;
}

/* ------------------------------------------------ outer families (FNR) */
double conseco__next_up(double x)
{
    uint64_t b = conseco__double_bits(x);
    if (x == 0.0) return conseco__bits_double(1u); /* smallest subnormal */
    b = x > 0.0 ? b + 1u : b - 1u;
    return conseco__bits_double(b) + 0.0; /* above -2^-1074: +0, not -0 */
}

double conseco__next_down(double x) { return 0.0 - conseco__next_up(0.0 - x); }

void conseco__outer_range_for(const conseco__ops *ops, uint32_t element, double base,
                              double bottom, uint32_t domain, double lambda_min,
                              double lambda_max, conseco__outer_range *out)
{
    CONSECO_memset(out, 0, sizeof *out);
    if (ops->outer_descending) { /* threshold lowering: mu = -t */
        out->negated = 1;
        out->lo = 0.0 - base; /* base 0 gives +0 */
        out->hi = 0.0 - bottom;
    } else if (ops->vtable == NULL) { /* custom: the vtable's domain */
        out->integer = domain == CONSECO_DOMAIN_INTEGER;
        out->lo = lambda_min;
        out->hi = lambda_max;
    } else { /* dilation: steps 0, 1, ... (ball-mm: millimetres) */
        out->integer = element != CONSECO_ELEMENT_BALL_MM;
        out->lo = 0.0;
        out->hi = conseco__inf();
    }
}

void conseco__outer_range_of(const conseco__shrinker *s, const conseco_side_params *side,
                             conseco__outer_range *out)
{
    uint32_t element = 0;
    double base = 0.0;
    if (s->ops->outer_descending)
        base = ((const conseco_threshold_params *)s->user)->base;
    else if (s->ops->vtable != NULL)
        element = ((const conseco_erosion_params *)s->user)->element;
    conseco__outer_range_for(s->ops, element, base, side->bottom, s->vt.domain,
                             s->vt.lambda_min, s->vt.lambda_max, out);
}

size_t conseco__risk_scratch(const conseco__shrinker *s, const conseco_side_params *side,
                             size_t width, size_t height, size_t depth)
{
    size_t n, a, b;
    conseco__side sd;
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n)) return 0;
    a = conseco__image_curve_scratch(n);
    if (side->side == CONSECO_SIDE_INNER || a == 0) return a;
    if (conseco__side_from_params(side, &sd) != CONSECO_OK) return 0;
    b = s->ops->side_scratch_size(s, CONSECO_SIDE_OUTER, 0, width, height, depth);
    if (b == 0 || !conseco__add_size(a, b, &a)) return 0;
    return a;
}

/* ceil() for finite x of any size and +-inf, without libm. */
static double ceil_level(double x) { return 0.0 - floor_level(0.0 - x); }

int conseco__risk_curve_build(const conseco__shrinker *s, const conseco_side_params *side,
                              const conseco_image *pred, const conseco_mask *truth,
                              void *scratch, size_t scratch_size, conseco__image_curve *out)
{
    conseco__outer_range r;
    conseco__side sd;
    double *lv;
    size_t n, work = scratch_size, slots, head, i = 0, x, y, z;
    uint64_t ntruth = 0;
    int rc;
    if (side->side == CONSECO_SIDE_INNER)
        return conseco__image_curve_build(s, pred, truth, scratch, scratch_size, out);
    if (s->ops->outer_levels == NULL) return CONSECO_E_UNSUPPORTED;
    if ((rc = conseco__side_from_params(side, &sd)) != CONSECO_OK) return rc;
    if ((rc = conseco__image_check(pred, &n)) != CONSECO_OK) return rc;
    head = conseco__image_curve_scratch(n);
    if (head == 0) return CONSECO_E_OVERFLOW;
    if (scratch == NULL || scratch_size < head) return CONSECO_E_SCRATCH_TOO_SMALL;
    lv = (double *)conseco__align16(scratch, &work);
    rc = s->ops->outer_levels(s, &sd, pred, (unsigned char *)scratch + head, scratch_size - head,
                              lv, n);
    if (rc != CONSECO_OK) return rc;
    conseco__outer_range_of(s, side, &r);
    /* each truth pixel missed somewhere on the domain gets its key, the
     * largest mu that misses it; every other pixel drops below lo */
    for (z = 0; z < truth->depth; z++)
        for (y = 0; y < truth->height; y++) {
            const uint8_t *t = conseco__mask_row(truth, y, z);
            for (x = 0; x < truth->width; x++, i++) {
                const double m = lv[i];
                if (t[x] == 0 || !(m > r.lo)) {
                    lv[i] = -conseco__inf();
                    if (t[x] != 0) ntruth++;
                    continue;
                }
                ntruth++;
                lv[i] = r.integer ? ceil_level(m) - 1.0 : conseco__next_down(m);
            }
        }
    CONSECO_memset(out, 0, sizeof *out);
    out->lambda_min = r.lo + 0.0;
    out->lambda_max = r.hi;
    slots = table_slots(n);
    if (!build_table(lv, truth, out->lambda_min, r.integer, r.hi, 1, (unsigned char *)(lv + n),
                     slots, out))
        build_sorted(lv, truth, out->lambda_min, r.integer, r.hi, 1, out);
    out->yhat = ntruth; /* the FNR's denominator |Y| */
    return CONSECO_OK;
}

void conseco__curve_walk_start(const conseco__image_curve *c, conseco__curve_walk *w)
{
    CONSECO_memset(w, 0, sizeof *w);
    w->c = c;
    w->fp_left = c->nfp;
    w->tp_left = c->ntp;
    w->keys_left = c->nkeys;
    w->stage = conseco__is_finite(c->lambda_max) ? 0 : 1;
}

/* The largest key not yet walked; 0 if none. */
static int top_key(const conseco__curve_walk *w, double *k)
{
    const conseco__image_curve *c = w->c;
    if (c->keys != NULL) {
        if (w->keys_left == 0) return 0;
        *k = c->keys[w->keys_left - 1];
        return 1;
    }
    if (w->fp_left == 0 && w->tp_left == 0) return 0;
    if (w->tp_left == 0 || (w->fp_left != 0 && c->fp[w->fp_left - 1] >= c->tp[w->tp_left - 1]))
        *k = c->fp[w->fp_left - 1];
    else
        *k = c->tp[w->tp_left - 1];
    return 1;
}

/* Every level at key k leaves together. */
static void consume(conseco__curve_walk *w, double k)
{
    const conseco__image_curve *c = w->c;
    if (c->keys != NULL) {
        while (w->keys_left != 0 && c->keys[w->keys_left - 1] == k) {
            w->fp_ge += c->fpc[w->keys_left - 1];
            w->keys_left--;
        }
        return;
    }
    while (w->fp_left != 0 && c->fp[w->fp_left - 1] == k) {
        w->fp_left--;
        w->fp_ge++;
    }
    while (w->tp_left != 0 && c->tp[w->tp_left - 1] == k) w->tp_left--;
}

int conseco__curve_walk_next(conseco__curve_walk *w, double *key, conseco__fix *drop)
{
    const conseco__image_curve *c = w->c;
    conseco__fix loss;
    double k = 0.0;
    for (;;) {
        if (w->stage == 3) return 0;
        if (w->stage == 0) {
            k = c->lambda_max;
            w->stage = 1;
        } else if (w->stage == 1) {
            if (!top_key(w, &k)) {
                w->stage = 2;
                continue;
            }
        } else {
            k = c->lambda_min;
            w->stage = 3;
        }
        k += 0.0; /* one key for -0 and +0: -0 + 0 is +0 */
        consume(w, k);
        if (w->have_last && w->last == k) continue; /* lambda_min or lambda_max again */
        break;
    }
    /* loss(k) = #{fp >= k} / |Yhat| as the double division; 0 for an empty Yhat */
    w->loss = c->yhat == 0 ? 0.0 : (double)w->fp_ge / (double)c->yhat;
    conseco__fix_from_double(w->loss, &loss);
    *drop = loss;
    conseco__fix_sub(drop, &w->prev);
    w->prev = loss;
    w->have_last = 1;
    w->last = k;
    *key = k;
    return 1;
}

double conseco__integer_after(double key, double lambda_max)
{
    double c;
    if (!(key < CONSECO__INT_LIMIT)) return conseco__inf();
    c = key + 1.0;
    if (c > lambda_max) return conseco__inf();
    return c;
}

/* ------------------------------------------------- experimental, public */
size_t conseco_loss_curve_scratch_size(const conseco_shrinker *shrinker, size_t width,
                                       size_t height, size_t depth)
{
    conseco__shrinker s;
    size_t n;
    if (width == 0 || height == 0 || depth == 0) return 0;
    if (!conseco__mul_size(width, height, &n) || !conseco__mul_size(n, depth, &n)) return 0;
    if (conseco__shrinker_load(shrinker, &s) != CONSECO_OK) return 0;
    return conseco__image_curve_scratch(n);
}

int conseco_loss_curve(const conseco_shrinker *shrinker, const conseco_image *pred,
                       const conseco_mask *truth, void *scratch, size_t scratch_size,
                       double *lambdas, double *losses, size_t capacity, size_t *count)
{
    conseco__shrinker s;
    conseco__image_curve curve;
    conseco__curve_walk w;
    conseco__fix drop;
    size_t m = 0;
    double k;
    int rc;
    if (count == NULL) return CONSECO_E_NULL;
    if ((lambdas == NULL || losses == NULL) && capacity != 0) return CONSECO_E_NULL;
    if ((rc = conseco__check_pair(shrinker, pred, truth, &s)) != CONSECO_OK) return rc;
    if (s.ops->vtable == NULL && s.vt.levels == NULL) return CONSECO_E_UNSUPPORTED;
    rc = conseco__image_curve_build(&s, pred, truth, scratch, scratch_size, &curve);
    if (rc != CONSECO_OK) return rc;
    conseco__curve_walk_start(&curve, &w);
    while (conseco__curve_walk_next(&w, &k, &drop)) m++;
    *count = m;
    if (m > capacity) return CONSECO_E_BUFFER_TOO_SMALL;
    if (lambdas == NULL || losses == NULL) return CONSECO_E_NULL; /* m >= 1 always */
    /* the walk runs from the largest key down: fill from the end */
    conseco__curve_walk_start(&curve, &w);
    while (m != 0 && conseco__curve_walk_next(&w, &k, &drop)) {
        m--;
        lambdas[m] = k;
        losses[m] = w.loss;
    }
    return CONSECO_OK;
}
