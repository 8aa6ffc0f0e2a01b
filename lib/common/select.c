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

