/* SPDX-License-Identifier: Apache-2.0 */
/* The conformal quantile: the exact rank k = ceil((n + 1)(1 - alpha)), an
 * O(n) k-th smallest selection, and the +inf rule when k > n. */
#include "api.h"

/* The integer arithmetic below holds a size_t in a uint64_t. */
_Static_assert(SIZE_MAX <= UINT64_MAX, "size_t wider than 64 bits");

/* ------------------------------------------------- 128-bit without __int128 */
/* Portable unsigned 128-bit helpers on 32-bit halves: 32-bit ARM and RISC-V
 * compilers have no __int128. Speed is irrelevant here; clarity is not. */
typedef struct u128 {
    uint64_t hi, lo;
} u128;

static u128 mul_64x64(uint64_t a, uint64_t b)
{
    const uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32;
    const uint64_t b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
    const uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    /* middle column: at most 3 * (2^32 - 1), fits */
    const uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
    u128 r;
    r.lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
    r.hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return r;
}

static u128 add_128_64(u128 a, uint64_t b)
{
    a.lo += b;
    if (a.lo < b) a.hi++;
    return a;
}

/* floor(x / d) for d > 0, by binary long division: 128 steps, no tables. */
static u128 div_128_64(u128 x, uint64_t d)
{
    u128 q = {0, 0};
    uint64_t r = 0;
    int i;
    for (i = 127; i >= 0; i--) {
        const uint64_t bit = i >= 64 ? (x.hi >> (i - 64)) & 1u : (x.lo >> i) & 1u;
        const uint64_t carry = r >> 63; /* r << 1 may pass 2^64 */
        r = (r << 1) | bit;
        if (carry || r >= d) {
            r -= d; /* wraps to the right value when carry is set */
            if (i >= 64)
                q.hi |= (uint64_t)1 << (i - 64);
            else
                q.lo |= (uint64_t)1 << i;
        }
    }
    return q;
}

/* x >> s for s < 128. */
static u128 shr_128(u128 x, unsigned s)
{
    u128 r;
    if (s == 0) return x;
    if (s >= 64) {
        r.hi = 0;
        r.lo = x.hi >> (s - 64);
    } else {
        r.hi = x.hi >> s;
        r.lo = (x.lo >> s) | (x.hi << (64 - s));
    }
    return r;
}

/* ------------------------------------------------------------ exact alpha */
/* alpha as an exact rational: num / den, or num / 2^shift when den == 0
 * (a binary fraction whose denominator may not fit 64 bits). */
typedef struct exact_alpha {
    uint64_t num;
    uint64_t den;
    unsigned shift;
} exact_alpha;

/* The shortest decimal A / 10^d (d <= 15) whose correctly rounded quotient
 * is alpha: the value the user most likely wrote. 10^15 and A < 10^15 are
 * exact doubles, so one IEEE division decides. */
static int alpha_as_decimal(double alpha, exact_alpha *out)
{
    uint64_t p = 1;
    unsigned d;
    for (d = 1; d <= 15; d++) {
        uint64_t guess, a;
        p *= 10u;
        /* alpha * p < 10^15 < 2^53: the product is within one unit of A */
        guess = (uint64_t)(alpha * (double)p + 0.5);
        for (a = guess == 0 ? 0 : guess - 1; a <= guess + 1; a++) {
            double q;
            if (a == 0 || a >= p) continue;
            q = (double)a / (double)p;
            if (q == alpha) {
                out->num = a;
                out->den = p;
                out->shift = 0;
                return 1;
            }
        }
    }
    return 0;
}

/* The exact binary value of a double in (0, 1): M / 2^q, M odd. */
static void alpha_as_binary(double alpha, exact_alpha *out)
{
    uint64_t bits, m;
    unsigned exp, q;
    CONSECO_memcpy(&bits, &alpha, sizeof bits);
    exp = (unsigned)((bits >> 52) & 0x7FFu);
    m = bits & ((UINT64_C(1) << 52) - 1u);
    if (exp == 0) {
        q = 1074u; /* subnormal: m * 2^-1074 */
    } else {
        m |= UINT64_C(1) << 52;
        q = 1075u - exp; /* alpha < 1 gives exp <= 1022, so q >= 53 */
    }
    while ((m & 1u) == 0 && q > 0) {
        m >>= 1;
        q--;
    }
    out->num = m;
    out->den = 0;
    out->shift = q;
}

static int alpha_exact(double alpha, exact_alpha *out)
{
    /* written so that NaN fails too */
    if (!(alpha > 0.0 && alpha < 1.0)) return CONSECO_E_BAD_ALPHA;
    if (!alpha_as_decimal(alpha, out)) alpha_as_binary(alpha, out);
    return CONSECO_OK;
}

int conseco__alpha_exact(double alpha, uint64_t *num, uint64_t *den, unsigned *shift)
{
    exact_alpha a;
    int rc;
    if ((rc = alpha_exact(alpha, &a)) != CONSECO_OK) return rc;
    *num = a.num;
    *den = a.den;
    *shift = a.shift;
    return CONSECO_OK;
}

/* k = (n + 1) - floor((n + 1) * alpha), i.e. ceil((n + 1)(1 - alpha)). */
static int rank_exact(size_t n, const exact_alpha *a, size_t *k)
{
    /* (n + 1) * num = n * num + num: n + 1 itself may not fit 64 bits */
    const u128 prod = add_128_64(mul_64x64((uint64_t)n, a->num), a->num);
    uint64_t f, rest;
    /* alpha < 1, so f <= n fits the low word */
    if (a->den != 0)
        f = div_128_64(prod, a->den).lo;
    else if (a->shift >= 128)
        f = 0;
    else
        f = shr_128(prod, a->shift).lo;
    rest = (uint64_t)n - f;
    if (rest >= (uint64_t)SIZE_MAX) return CONSECO_E_OVERFLOW; /* k = n + 1 > SIZE_MAX */
    *k = (size_t)(rest + 1u);
    return CONSECO_OK;
}

int conseco_rank(size_t n, double alpha, size_t *k)
{
    exact_alpha a;
    int rc;
    if (k == NULL) return CONSECO_E_NULL;
    if ((rc = alpha_exact(alpha, &a)) != CONSECO_OK) return rc;
    return rank_exact(n, &a, k);
}

int conseco_rank_rational(size_t n, uint64_t alpha_numerator, uint64_t alpha_denominator, size_t *k)
{
    exact_alpha a;
    if (k == NULL) return CONSECO_E_NULL;
    if (alpha_numerator == 0 || alpha_numerator >= alpha_denominator) return CONSECO_E_BAD_ALPHA;
    a.num = alpha_numerator;
    a.den = alpha_denominator;
    a.shift = 0;
    return rank_exact(n, &a, k);
}

int conseco_min_calibration_size(double alpha, size_t *n_min)
{
    /* rank(n) <= n  <=>  floor((n + 1) alpha) >= 1  <=>  n >= floor((den - 1) / num) */
    exact_alpha a;
    u128 q;
    int rc;
    if (n_min == NULL) return CONSECO_E_NULL;
    if ((rc = alpha_exact(alpha, &a)) != CONSECO_OK) return rc;
    if (a.den != 0) {
        q.hi = 0;
        q.lo = (a.den - 1u) / a.num;
    } else {
        u128 den_minus_1;
        /* num < 2^53, so 2^shift / num >= 2^75 when shift >= 128: too large */
        if (a.shift >= 128) return CONSECO_E_OVERFLOW;
        if (a.shift >= 64) {
            den_minus_1.hi = (UINT64_C(1) << (a.shift - 64u)) - 1u;
            den_minus_1.lo = UINT64_MAX;
        } else {
            den_minus_1.hi = 0;
            den_minus_1.lo = (UINT64_C(1) << a.shift) - 1u;
        }
        q = div_128_64(den_minus_1, a.num);
    }
    if (q.hi != 0 || q.lo > (uint64_t)SIZE_MAX) return CONSECO_E_OVERFLOW;
    *n_min = (size_t)q.lo;
    return CONSECO_OK;
}

static int has_nan(const double *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (conseco__is_nan(v[i])) return 1;
    return 0;
}

int conseco_kth_smallest(double *values, size_t n, size_t k, double *out)
{
    if (values == NULL || out == NULL) return CONSECO_E_NULL;
    if (k == 0 || k > n) return CONSECO_E_INVALID_ARG;
    if (has_nan(values, n)) return CONSECO_E_BAD_SCORE;
    *out = conseco__select(values, n, k);
    return CONSECO_OK;
}

/* ---------------------------------------------------------------- quantile */
int conseco_quantile(double *scores, size_t n, double alpha, double *lambda_hat, size_t *k_out)
{
    size_t k;
    int rc;
    if (lambda_hat == NULL || (scores == NULL && n != 0)) return CONSECO_E_NULL;
    if ((rc = conseco_rank(n, alpha, &k)) != CONSECO_OK) return rc;
    if (n != 0 && has_nan(scores, n)) return CONSECO_E_BAD_SCORE;
    /* k > n: no calibration score is large enough; the empty mask is the answer */
    *lambda_hat = k > n ? conseco__inf() : conseco__select(scores, n, k);
    if (k_out != NULL) *k_out = k;
    return CONSECO_OK;
}
