/* SPDX-License-Identifier: Apache-2.0 */
/* Exact rank checks on 16-bit limbs; see ref_rank.h. */
#include "ref_rank.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMBS 10 /* 160 bits: room for a 65-bit times 64-bit product */

typedef struct big {
    uint32_t l[LIMBS]; /* 16 bits used per limb, least significant first */
} big;

static big big_from(uint64_t v)
{
    big b;
    int i;
    memset(&b, 0, sizeof b);
    for (i = 0; i < 4; i++) b.l[i] = (uint32_t)((v >> (16 * i)) & 0xFFFFu);
    return b;
}

static big big_add1(big a)
{
    int i;
    for (i = 0; i < LIMBS; i++) {
        a.l[i]++;
        if (a.l[i] <= 0xFFFFu) break;
        a.l[i] = 0;
    }
    return a;
}

static big big_mul(big a, big b)
{
    big r;
    int i, j;
    memset(&r, 0, sizeof r);
    for (i = 0; i < LIMBS; i++) {
        uint32_t carry = 0;
        for (j = 0; i + j < LIMBS; j++) {
            const uint32_t t = r.l[i + j] + a.l[i] * b.l[j] + carry;
            r.l[i + j] = t & 0xFFFFu;
            carry = t >> 16;
        }
    }
    return r;
}

static int big_cmp(big a, big b)
{
    int i;
    for (i = LIMBS - 1; i >= 0; i--)
        if (a.l[i] != b.l[i]) return a.l[i] < b.l[i] ? -1 : 1;
    return 0;
}

int ref_rank_check(uint64_t n, uint64_t num, uint64_t den, uint64_t k_minus_1)
{
    const big rhs = big_mul(big_add1(big_from(n)), big_from(den - num)); /* (n+1)(den-num) */
    const big lo = big_mul(big_from(k_minus_1), big_from(den)); /* (k-1) den */
    const big hi = big_mul(big_add1(big_from(k_minus_1)), big_from(den)); /* k den */
    return big_cmp(lo, rhs) < 0 && big_cmp(rhs, hi) <= 0;
}

int ref_alpha_rational(double alpha, uint64_t *num, uint64_t *den)
{
    char buf[64];
    int d, e;
    double f;
    uint64_t m;
    int q;
    for (d = 1; d <= 15; d++) {
        snprintf(buf, sizeof buf, "%.*f", d, alpha);
        if (strtod(buf, NULL) == alpha) {
            uint64_t a = 0, p = 1;
            const char *c = strchr(buf, '.');
            int i;
            for (i = 1; i <= d; i++) {
                a = a * 10u + (uint64_t)(c[i] - '0');
                p *= 10u;
            }
            *num = a;
            *den = p;
            return 1;
        }
    }
    /* binary: alpha = f * 2^e with f in [0.5, 1): M = f * 2^53, q = 53 - e */
    f = frexp(alpha, &e);
    m = (uint64_t)ldexp(f, 53);
    q = 53 - e;
    while ((m & 1u) == 0 && q > 0) {
        m >>= 1;
        q--;
    }
    if (q >= 64) return 0;
    *num = m;
    *den = (uint64_t)1 << q;
    return 1;
}
