/* SPDX-License-Identifier: Apache-2.0 */
/* Natural string order for file ids. */
#include "natural_sort.h"

#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int cli_natural_compare(const char *a, const char *b)
{
    const char *pa = a, *pb = b;
    while (*pa && *pb) {
        if (is_digit(*pa) && is_digit(*pb)) {
            const char *sa, *sb;
            size_t la, lb;
            int c;
            /* skip leading zeros, then longer number is larger, then digit by digit */
            while (*pa == '0' && is_digit(pa[1])) pa++;
            while (*pb == '0' && is_digit(pb[1])) pb++;
            sa = pa;
            sb = pb;
            while (is_digit(*pa)) pa++;
            while (is_digit(*pb)) pb++;
            la = (size_t)(pa - sa);
            lb = (size_t)(pb - sb);
            if (la != lb) return la < lb ? -1 : 1;
            c = memcmp(sa, sb, la);
            if (c != 0) return c;
        } else {
            if (*pa != *pb) return (unsigned char)*pa < (unsigned char)*pb ? -1 : 1;
            pa++;
            pb++;
        }
    }
    if (*pa || *pb) return *pa ? 1 : -1;
    /* numerically equal ("7" vs "07"): fall back to plain order so the sort is total */
    return strcmp(a, b);
}
