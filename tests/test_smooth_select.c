/* SPDX-License-Identifier: Apache-2.0 */
/* The key selection of the smooth score (conseco__select_key,
 * conseco__min_key_above in lib/common/select.c) against a literal sort, on
 * thousands of random arrays: below and above the size where the sample
 * bracket starts, ties, all equal, sorted either way, keys 0 and all ones,
 * and arrays whose sampled positions mislead the bracket (the fallback to
 * the radix selection of all keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/select.h"
#include "ref_select_keys.h"
#include "test_util.h"

static uint64_t key_for(tu_rng *r, unsigned pattern, size_t i, size_t n)
{
    const size_t stride = n / 512u > 0 ? n / 512u : 1u;
    switch (pattern) {
    case 0: return tu_next(r);
    case 1: return (uint64_t)tu_range(r, 0, 6) << 40; /* heavy ties */
    case 2: return (uint64_t)i * 3u;                    /* ascending */
    case 3: return (uint64_t)(n - i) << 20;             /* descending */
    case 4: /* the sampled positions hold the largest keys: the bracket misleads */
        return i % stride == 0 ? (UINT64_C(1) << 63) + i : tu_next(r) >> 2;
    case 5: /* the sampled positions hold the smallest keys */
        return i % stride == 0 ? (uint64_t)i : (UINT64_C(1) << 62) + (tu_next(r) >> 2);
    case 6: return UINT64_C(0x8000000000000000) ^ (tu_next(r) & 0xFFFFF); /* narrow spread */
    case 7: return 42u;                                                    /* all equal */
    default: { /* the extremes */
        const size_t c = tu_range(r, 0, 2);
        return c == 0 ? 0u : c == 1 ? ~UINT64_C(0) : tu_next(r);
    }
    }
}

static void test_select_key(void **state)
{
    tu_rng r = {0x5E1EC7u};
    uint32_t hist[CONSECO__SELECT_KEY_BUCKETS];
    size_t it;
    (void)state;
    for (it = 0; it < tu_cases(1500); it++) {
        const size_t n = tu_range(&r, 0, 1) ? tu_range(&r, 1, 9000) : tu_range(&r, 8000, 40000);
        const unsigned pattern = (unsigned)tu_range(&r, 0, 8);
        uint64_t *keys = malloc(n * sizeof *keys), *orig = malloc(n * sizeof *orig);
        uint64_t want, want_above, got, got_above, l, above_ref, min_above;
        size_t i, rank;
        assert_non_null(keys);
        assert_non_null(orig);
        for (i = 0; i < n; i++) orig[i] = key_for(&r, pattern, i, n);
        switch (tu_range(&r, 0, 3)) { /* the smooth score asks for ranks near the top */
        case 0: rank = tu_range(&r, 0, n - 1); break;
        case 1: rank = n - 1 - tu_range(&r, 0, (n - 1) / 20); break;
        case 2: rank = tu_range(&r, 0, 1) ? 0 : n - 1; break;
        default: rank = tu_range(&r, 0, (n - 1) / 20); break;
        }
        memcpy(keys, orig, n * sizeof *keys);
        want = ref_select_key(orig, n, rank, &want_above);
        got = conseco__select_key(keys, n, rank, hist, &got_above);
        if (got != want || got_above != want_above)
            fail_msg("n %zu pattern %u rank %zu: %llx/%llx vs literal %llx/%llx", n, pattern, rank,
                     (unsigned long long)got, (unsigned long long)got_above,
                     (unsigned long long)want, (unsigned long long)want_above);
        /* the smallest key above a key, and above one that is not a key */
        l = tu_range(&r, 0, 1) ? orig[tu_range(&r, 0, n - 1)] : tu_next(&r);
        min_above = ~UINT64_C(0);
        for (i = 0; i < n; i++)
            if (orig[i] > l && orig[i] < min_above) min_above = orig[i];
        above_ref = conseco__min_key_above(orig, n, l);
        assert_true(above_ref == min_above);
        free(keys);
        free(orig);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_select_key)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
