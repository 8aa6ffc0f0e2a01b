/*
 * Unit checks of the tool's own pieces that the end-to-end test only sees
 * indirectly: natural id order, the shortest round-trip number format, the
 * .npy reader on hand-made headers, and the split permutations.
 */
#include "json_out.h"
#include "natural_sort.h"
#include "npy.h"
#include "split_rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static void natural_order(void)
{
    CHECK(cli_natural_compare("2", "10") < 0);
    CHECK(cli_natural_compare("10", "2") > 0);
    CHECK(cli_natural_compare("img2", "img10") < 0);
    CHECK(cli_natural_compare("a", "b") < 0);
    CHECK(cli_natural_compare("case9_slice12", "case10_slice1") < 0);
    CHECK(cli_natural_compare("7", "07") != 0); /* distinct ids stay distinct */
    CHECK(cli_natural_compare("07", "7") == -cli_natural_compare("7", "07"));
    CHECK(cli_natural_compare("x", "x") == 0);
    CHECK(cli_natural_compare("x", "x1") < 0);
    CHECK(cli_natural_compare("99999999999999999999999", "100000000000000000000000") < 0);
}

static void number_format(void)
{
    static const double values[] = {0.1, 0.5, 1.0, 0.0, 1.0 / 3.0, 0.8941176470588236,
                                    2.0 / 255.0, 1e-300, 5e-324, 1.7976931348623157e308,
                                    123456789012345678.0, -0.25};
    char buf[40];
    size_t i;
    for (i = 0; i < sizeof values / sizeof values[0]; i++) {
        cli_format_double(values[i], buf, sizeof buf);
        CHECK(strtod(buf, NULL) == values[i]);
    }
    cli_format_double(0.1, buf, sizeof buf);
    CHECK(strcmp(buf, "0.1") == 0);
    cli_format_double(1.0, buf, sizeof buf);
    CHECK(strcmp(buf, "1") == 0);
    cli_format_double(0.8941176470588236, buf, sizeof buf);
    CHECK(strcmp(buf, "0.8941176470588236") == 0);
    cli_format_double(1.0 / 0.0 > 0 ? 1e308 * 10.0 : 0.0, buf, sizeof buf);
    CHECK(strcmp(buf, "inf") == 0);
}

/* A v1 .npy image in buf; returns its size. */
static size_t make_npy(unsigned char *buf, const char *dict, size_t payload)
{
    size_t len = strlen(dict), total = 10 + len + 1, i;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    while (total % 16) total++;
    buf[8] = (unsigned char)((total - 10) & 0xff);
    buf[9] = (unsigned char)((total - 10) >> 8);
    memcpy(buf + 10, dict, len);
    for (i = 10 + len; i < total - 1; i++) buf[i] = ' ';
    buf[total - 1] = '\n';
    memset(buf + total, 0, payload);
    return total + payload;
}

static void npy_reader(void)
{
    unsigned char buf[4096];
    cli_npy a;
    const char *why;
    size_t n;
    n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }", 60);
    CHECK(cli_npy_parse(buf, n, &a, &why) == 0);
    CHECK(a.kind == CLI_NPY_F32 && a.ndim == 2 && a.count == 1 && a.height == 3 && a.width == 5);
    CHECK(cli_npy_parse(buf, n - 1, &a, &why) != 0);
    n = make_npy(buf, "{\"shape\": (2, 3, 4,), \"descr\": \"|b1\", \"fortran_order\": False}", 24);
    CHECK(cli_npy_parse(buf, n, &a, &why) == 0);
    CHECK(a.kind == CLI_NPY_BOOL && a.count == 2 && a.height == 3 && a.width == 4);
    CHECK(cli_npy_slice(&a, 1) == a.data + 12);
    n = make_npy(buf, "{'descr': '<u2', 'fortran_order': False, 'shape': (2, 2), }", 8);
    CHECK(cli_npy_parse(buf, n, &a, &why) == 0 && a.kind == CLI_NPY_U16);
    n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }", 0);
    CHECK(cli_npy_parse(buf, n, &a, &why) != 0);
    n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 32);
    CHECK(cli_npy_parse(buf, n, &a, &why) != 0);
    n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, "
                      "'shape': (4294967296, 4294967296, 4294967296), }", 0);
    CHECK(cli_npy_parse(buf, n, &a, &why) != 0); /* overflow, not a crash */
    n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", 32);
    CHECK(cli_npy_parse(buf, n, &a, &why) != 0);
    n = make_npy(buf, "{'descr': '=u1', 'fortran_order': False, 'shape': (2, 2), }", 4);
    CHECK(cli_npy_parse(buf, n, &a, &why) == 0 && a.kind == CLI_NPY_U8);
}

static void splits(void)
{
    size_t perm[50], again[50], seen[50], i, s, same = 0;
    for (s = 0; s < 20; s++) {
        cli_split_permutation(7, s, perm, 50);
        cli_split_permutation(7, s, again, 50);
        CHECK(memcmp(perm, again, sizeof perm) == 0); /* deterministic */
        memset(seen, 0, sizeof seen);
        for (i = 0; i < 50; i++) {
            CHECK(perm[i] < 50);
            if (perm[i] < 50) seen[perm[i]]++;
        }
        for (i = 0; i < 50; i++) CHECK(seen[i] == 1); /* a permutation */
        cli_split_permutation(7, s + 1, again, 50);
        same += memcmp(perm, again, sizeof perm) == 0;
    }
    CHECK(same == 0); /* splits differ */
    {
        /* first position uniform-ish over 20000 draws of n = 4 */
        size_t counts[4] = {0, 0, 0, 0};
        for (s = 0; s < 20000; s++) {
            cli_split_permutation(1, s, perm, 4);
            counts[perm[0]]++;
        }
        for (i = 0; i < 4; i++) CHECK(counts[i] > 4600 && counts[i] < 5400);
    }
}

int main(void)
{
    natural_order();
    number_format();
    npy_reader();
    splits();
    if (failures) fprintf(stderr, "%d checks failed\n", failures);
    else printf("cli_units: all checks passed\n");
    return failures != 0;
}
