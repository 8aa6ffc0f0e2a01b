/* SPDX-License-Identifier: Apache-2.0 */
/* Literal order statistic of 64-bit keys: sort a copy, read position r, walk
 * up to the first larger key. */
#include "ref_select_keys.h"

#include <stdlib.h>
#include <string.h>

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t ref_select_key(const uint64_t *keys, size_t n, size_t r, uint64_t *above)
{
    uint64_t *c = malloc(n * sizeof *c), v;
    size_t i;
    if (c == NULL) abort();
    memcpy(c, keys, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_u64);
    v = c[r];
    *above = ~UINT64_C(0);
    for (i = r + 1; i < n; i++)
        if (c[i] > v) {
            *above = c[i];
            break;
        }
    free(c);
    return v;
}
