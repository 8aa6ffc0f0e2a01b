/* SPDX-License-Identifier: Apache-2.0 */
/* Order statistics and sorting of doubles (ground floor). */
#include "select.h"

/* -------------------------------------------------------------- selection */
/* Introselect: quickselect with a median-of-3 pivot and a three-way
 * partition (ties go in one pass), switching to median-of-medians pivots
 * once the partitioning work passes a linear budget. Worst case O(n); the
 * only recursion is median-of-medians on n/5 values: depth O(log n). */

#define SELECT_SMALL 16u

static void swap_d(double *a, size_t i, size_t j)
{
    const double t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void insertion_sort(double *a, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; i++) {
        const double v = a[i];
        for (j = i; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
        a[j] = v;
    }
}

static double median_of_3(double a, double b, double c)
{
    if (a < b) {
        if (b < c) return b;
        return a < c ? c : a;
    }
    if (a < c) return a;
    return b < c ? c : b;
}

static double select_range(double *a, size_t n, size_t k0);

/* Median of the medians of groups of five: at least 3/10 of the values lie
 * on each side of it. Gathers the group medians at the front of `a`. */
static double median_of_medians(double *a, size_t n)
{
    const size_t groups = n / 5u;
    size_t g;
    for (g = 0; g < groups; g++) {
        insertion_sort(a + 5u * g, 5u);
        swap_d(a, g, 5u * g + 2u);
    }
    return select_range(a, groups, groups / 2u);
}

/* k0-th smallest, 0-based, of a[0..n), n > k0. */
static double select_range(double *a, size_t n, size_t k0)
{
    size_t lo = 0, hi = n;
    /* linear work budget for the fast pivots; the factor is generous */
    size_t budget = n <= (size_t)-1 / 8u ? 8u * n : (size_t)-1;
    while (hi - lo > SELECT_SMALL) {
        const size_t len = hi - lo;
        size_t lt = lo, i = lo, gt = hi;
        double pivot;
        if (budget >= len) {
            budget -= len;
            pivot = median_of_3(a[lo], a[lo + len / 2u], a[hi - 1u]);
        } else {
            budget = 0;
            pivot = median_of_medians(a + lo, len);
        }
        /* [lo, lt) < pivot, [lt, gt) == pivot, [gt, hi) > pivot */
        while (i < gt) {
            if (a[i] < pivot)
                swap_d(a, lt++, i++);
            else if (a[i] > pivot)
                swap_d(a, i, --gt);
            else
                i++;
        }
        if (k0 < lt)
            hi = lt;
        else if (k0 >= gt)
            lo = gt;
        else
            return pivot;
    }
    insertion_sort(a + lo, hi - lo);
    return a[k0];
}

double conseco__select(double *values, size_t n, size_t k)
{
    return select_range(values, n, k - 1u);
}

/* In-place ascending heapsort: no qsort in lib/, no recursion. */
static void sift_down(double *a, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2u * root + 1u;
        double tmp;
        if (child >= n) return;
        if (child + 1u < n && a[child + 1u] > a[child]) child++;
        if (!(a[child] > a[root])) return;
        tmp = a[root];
        a[root] = a[child];
        a[child] = tmp;
        root = child;
    }
}

void conseco__sort_doubles(double *a, size_t n)
{
    size_t i, end;
    if (n < 2u) return;
    for (i = n / 2u; i-- > 0;) sift_down(a, i, n);
    for (end = n - 1u; end > 0; end--) {
        const double tmp = a[0];
        a[0] = a[end];
        a[end] = tmp;
        sift_down(a, 0, end);
    }
}

/* ------------------------------------------------------ keys (64-bit) */
#define DIGIT_BITS 8u
#define BUCKETS CONSECO__SELECT_KEY_BUCKETS

static unsigned bit_length64(uint64_t v)
{
    unsigned n = 0;
    while (v != 0) {
        n++;
        v >>= 1;
    }
    return n;
}

/* The r-th smallest (0-based) of keys[0..n), n >= 1, and in *above the
 * smallest key larger than it (all ones if none); overwrites keys. Each round
 * histograms DIGIT_BITS bits of the spread of the remaining keys and keeps
 * only the bucket holding rank r; keys of higher buckets are candidates for
 * *above. `hist` has BUCKETS counters. */
static uint64_t radix_select(uint64_t *keys, size_t n, size_t r, uint32_t *hist, uint64_t *above)
{
    uint64_t best = ~UINT64_C(0);
    uint64_t lo = keys[0], hi = keys[0];
    size_t i;
    for (i = 1; i < n; i++) {
        lo = keys[i] < lo ? keys[i] : lo;
        hi = keys[i] > hi ? keys[i] : hi;
    }
    while (lo != hi) {
        const unsigned len = bit_length64(lo ^ hi);
        const unsigned shift = len > DIGIT_BITS ? len - DIGIT_BITS : 0u;
        const uint64_t first = lo >> shift;
        size_t below = 0, b, m = 0;
        uint64_t nlo = ~UINT64_C(0), nhi = 0;
        CONSECO_memset(hist, 0, BUCKETS * sizeof *hist);
        for (i = 0; i < n; i++) hist[(size_t)((keys[i] >> shift) - first)]++;
        for (b = 0; below + hist[b] <= r; b++) below += hist[b];
        r -= below;
        for (i = 0; i < n; i++) {
            const uint64_t k = keys[i];
            const size_t kb = (size_t)((k >> shift) - first);
            if (kb == b) {
                keys[m++] = k;
                nlo = k < nlo ? k : nlo;
                nhi = k > nhi ? k : nhi;
            } else if (kb > b && k < best) {
                best = k;
            }
        }
        n = m;
        lo = nlo;
        hi = nhi;
    }
    *above = best;
    return lo;
}

/* Smallest key above l in keys[0..n), or all-ones if none (four running
 * minima, so that the compare-and-select chains overlap). */
uint64_t conseco__min_key_above(const uint64_t *keys, size_t n, uint64_t l)
{
    uint64_t b0 = ~UINT64_C(0), b1 = b0, b2 = b0, b3 = b0;
    size_t i = 0;
    for (; i + 4u <= n; i += 4u) {
        const uint64_t k0 = keys[i], k1 = keys[i + 1u], k2 = keys[i + 2u], k3 = keys[i + 3u];
        b0 = k0 > l && k0 < b0 ? k0 : b0;
        b1 = k1 > l && k1 < b1 ? k1 : b1;
        b2 = k2 > l && k2 < b2 ? k2 : b2;
        b3 = k3 > l && k3 < b3 ? k3 : b3;
    }
    for (; i < n; i++) b0 = keys[i] > l && keys[i] < b0 ? keys[i] : b0;
    b0 = b1 < b0 ? b1 : b0;
    b2 = b3 < b2 ? b3 : b2;
    return b2 < b0 ? b2 : b0;
}

#define SAMPLE 512u /* keys sampled to bracket the rank */
#define SAMPLE_MIN_N 8192u /* fewer keys: the radix selection straight away */

/* select.h. A sample of SAMPLE keys (every (n / SAMPLE)-th, moved to the front
 * and sorted) gives keys lo <= hi that very likely bracket rank r; one pass
 * counts the keys below lo, moves those in [lo, hi] to the front and keeps
 * the smallest key above hi. If rank r lies in the bracket, the radix
 * selection runs on the bracket only; otherwise (a sample that misled: only
 * slower) on all keys, still a permutation of the input. */
uint64_t conseco__select_key(uint64_t *keys, size_t n, size_t r, uint32_t *hist, uint64_t *above)
{
    const size_t stride = n / SAMPLE;
    size_t i, below = 0, m = 0, g;
    long ilo, ihi, d, c;
    uint64_t lo, hi, over = ~UINT64_C(0), res, a;
    if (n < SAMPLE_MIN_N) return radix_select(keys, n, r, hist, above);
    for (i = 1; i < SAMPLE; i++) { /* keys[i * stride] to slot i (slot 0 is key 0) */
        const uint64_t t = keys[i];
        keys[i] = keys[i * stride];
        keys[i * stride] = t;
    }
    /* Shell sort of the sample (gaps 1, 4, 13, 40, 121, 364) */
    for (g = 364; g >= 1; g = (g - 1u) / 3u) {
        for (i = g; i < SAMPLE; i++) {
            const uint64_t t = keys[i];
            size_t q = i;
            while (q >= g && keys[q - g] > t) {
                keys[q] = keys[q - g];
                q -= g;
            }
            keys[q] = t;
        }
        if (g == 1) break;
    }
    /* sample ranks around r's: r / n of the sample, +- 4 standard deviations
     * of the sampled rank (rounded up) plus 4 */
    c = (long)(((double)r / (double)n) * (double)SAMPLE);
    {
        const double q = (double)r / (double)n;
        double v = (double)SAMPLE * q * (1.0 - q), sd = 1.0;
        while (sd * sd < v) sd += 1.0; /* ceil(sqrt(v)), no libm */
        d = 4 + 4L * (long)sd;
    }
    ilo = c - d;
    ihi = c + d;
    lo = ilo < 0 ? 0u : keys[ilo];
    hi = ihi >= (long)SAMPLE ? ~UINT64_C(0) : keys[ihi];
    for (i = 0; i < n; i++) {
        const uint64_t k = keys[i];
        below += (size_t)(k < lo);
        over = k > hi && k < over ? k : over;
        if (k >= lo && k <= hi) {
            keys[i] = keys[m];
            keys[m++] = k;
        }
    }
    if (r < below || r - below >= m) return radix_select(keys, n, r, hist, above);
    res = radix_select(keys, m, r - below, hist, &a);
    *above = a < over ? a : over;
    return res;
}
