/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit checks of the tool's own pieces that the end-to-end test only sees
 * indirectly: natural id order, the shortest round-trip number format, the
 * .npy reader on hand-made headers, the split permutations, the format
 * table (sniffing, names, a 3-D mask written and read back), and mask
 * membership at several lambdas on volumes (depth > 1).
 */
#include "evaluate_core.h"
#include "formats.h"
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

static void format_table(void)
{
    static const unsigned char png_head[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    static const unsigned char npy_head[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    char buf[64];
    size_t i, len = 0;
    for (i = 0; i < cli_format_count; i++) {
        const cli_format *f = cli_formats[i];
        CHECK(f->name != NULL && f->extensions != NULL && f->extensions[0] != NULL);
        CHECK(f->sniff != NULL && f->read != NULL && f->write_mask_like != NULL);
        CHECK(f->extensions[0][0] == '.');
    }
    CHECK(cli_format_sniff(png_head, 8, "x.npy") == &cli_format_png); /* magic wins */
    CHECK(cli_format_sniff(npy_head, 8, NULL) == &cli_format_npy);
    CHECK(cli_format_sniff(png_head, 7, NULL) == NULL); /* too short to tell */
    CHECK(cli_format_sniff((const unsigned char *)"hello, world", 12, "a.png") == NULL);
    CHECK(cli_format_by_extension("scan.NPY", &len) == &cli_format_npy && len == 4);
    CHECK(cli_format_by_extension(".png", &len) == NULL && len == 0); /* no id left */
    CHECK(cli_format_by_extension("README", &len) == NULL);
    CHECK(cli_format_output_name(&cli_format_npy, "case7", buf, sizeof buf) == 0 &&
          strcmp(buf, "case7.npy") == 0);
    CHECK(cli_format_output_name(&cli_format_png, "case7", buf, 8) == -1);
    cli_format_list_extensions(buf, sizeof buf);
    CHECK(strcmp(buf, ".png, .npy, .nii.gz or .nii") == 0);
    CHECK(cli_format_by_extension("ct.NII.gz", &len) == &cli_format_nifti && len == 7);
    CHECK(cli_format_by_extension("ct.nii", &len) == &cli_format_nifti && len == 4);
    CHECK(cli_format_output_name(&cli_format_nifti, "ct", buf, sizeof buf) == 0 &&
          strcmp(buf, "ct.nii.gz") == 0);
    {
        unsigned char n1[348], n2[12] = {0x1c, 0x02, 0, 0, 'n', '+', '2', 0, '\r', '\n', 0x1a,
                                         '\n'};
        memset(n1, 0, sizeof n1);
        n1[0] = 0x5c; /* 348, little-endian */
        n1[1] = 0x01;
        CHECK(cli_format_sniff(n1, 4, NULL) == &cli_format_nifti);    /* too short for magic */
        CHECK(cli_format_sniff(n1, 348, NULL) == NULL);               /* no "n+1": ANALYZE */
        memcpy(n1 + 344, "n+1", 4);
        CHECK(cli_format_sniff(n1, 348, NULL) == &cli_format_nifti);
        n1[0] = 0;
        n1[1] = 0;
        n1[2] = 0x01; /* 348, big-endian */
        n1[3] = 0x5c;
        CHECK(cli_format_sniff(n1, 348, NULL) == &cli_format_nifti);
        CHECK(cli_format_sniff(n2, 12, NULL) == &cli_format_nifti);
        n2[11] = 0;
        CHECK(cli_format_sniff(n2, 12, NULL) == NULL);
    }
}

/* A 3-D mask written like a (d, h, w) .npy and read back whole, as a stack and by slice. */
static void npy_volume(void)
{
    const size_t w = 5, h = 4, d = 3, n = w * h * d;
    uint8_t mask[60];
    cli_map like, back;
    cli_out_file out;
    cli_file_bytes file;
    unsigned char *bytes;
    size_t i, count = 0;
    long size;
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f == NULL) return;
    for (i = 0; i < n; i++) mask[i] = (uint8_t)((i * 7) % 3 == 0);
    memset(&like, 0, sizeof like);
    like.width = w;
    like.height = h;
    like.depth = d;
    like.format = &cli_format_npy;
    out.f = f;
    out.tmp_path = NULL;
    out.final_path = "volume.npy";
    CHECK(cli_format_npy.write_mask_like(&like, mask, &out) == 0);
    size = ftell(f);
    CHECK(size == 128 + (long)n); /* header padded to 64 bytes */
    rewind(f);
    bytes = (unsigned char *)malloc((size_t)size);
    CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    file.path = "volume.npy";
    file.data = bytes;
    file.size = (size_t)size;
    CHECK(cli_format_npy.count_images(&file, &count) == 0 && count == d);
    CHECK(cli_format_npy.read(&file, -1, CLI_READ_MASK, &back) == 0);
    CHECK(back.width == w && back.height == h && back.depth == d && back.format == &cli_format_npy);
    CHECK(back.stride[0] == 1 && back.stride[1] == w && back.stride[2] == w * h);
    CHECK(back.data != NULL && memcmp(back.data, mask, n) == 0);
    free(back.data);
    CHECK(cli_format_npy.read(&file, 2, CLI_READ_MASK, &back) == 0);
    CHECK(back.depth == 1 && memcmp(back.data, mask + 2 * w * h, w * h) == 0);
    free(back.data);
    CHECK(cli_format_npy.read(&file, 3, CLI_READ_MASK, &back) != 0);
    free(bytes);
}

/* conseco_evaluate_lambdas on volumes equals conseco_evaluate_image at every lambda. */
static void lambdas_on_volumes(void)
{
    enum { W = 9, H = 7, D = 5, N = W * H * D };
    static float score[N];
    static uint8_t truth[N];
    const double lambdas[] = {3, 0.5, 0.75, 1, 0.5, 0, 0.6, 2, 0.9999, 1e300};
    const size_t count = sizeof lambdas / sizeof lambdas[0];
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_image_metrics got[10], want;
    unsigned seed = 12345;
    size_t i, k, e;
    for (i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        score[i] = (float)((seed >> 8) % 1000) / 999.0f;
        truth[i] = (uint8_t)(score[i] > 0.55f || (seed >> 20) % 7 == 0);
    }
    conseco_threshold_params_default(&tp);
    conseco_erosion_params_default(&ep);
    for (k = 0; k < 4; k++) {
        conseco_shrinker sh;
        conseco_image im = conseco_image_3d(score, W, H, D, W * sizeof(float),
                                            W * H * sizeof(float), CONSECO_DTYPE_F32);
        conseco_mask m = conseco_mask_3d(truth, W, H, D, W, W * H);
        size_t need, need1;
        void *scratch, *scratch1;
        if (k == 0) sh = conseco_shrinker_threshold(&tp);
        else {
            ep.element = (uint32_t)k; /* cross, square, disk (ball in 3-D) */
            sh = conseco_shrinker_erosion(&ep);
        }
        need = conseco_evaluate_lambdas_scratch_size(&sh, W, H, D);
        need1 = conseco_scratch_size(&sh, W, H, D);
        CHECK(need > 0 && need1 > 0);
        scratch = malloc(need);
        scratch1 = malloc(need1);
        CHECK(conseco_evaluate_lambdas(&sh, &im, &m, lambdas + (k == 0 ? 1 : 0),
                                       count - (k == 0 ? 1 : 0), 0.1, scratch, need,
                                       got) == CONSECO_OK);
        for (e = 0; e + (k == 0 ? 1 : 0) < count; e++) {
            const double lam = lambdas[e + (k == 0 ? 1 : 0)];
            if (k == 0 && lam < tp.base) continue; /* below lambda_min: not asked by the tool */
            CHECK(conseco_evaluate_image(&sh, &im, &m, lam, 0.1, scratch1, need1, &want) ==
                  CONSECO_OK);
            CHECK(got[e].predicted == want.predicted && got[e].inner == want.inner &&
                  got[e].inner_fp == want.inner_fp && got[e].inner_tp == want.inner_tp &&
                  got[e].afp == want.afp && got[e].cr == want.cr && got[e].atp == want.atp &&
                  got[e].valid == want.valid);
        }
        free(scratch);
        free(scratch1);
    }
}

int main(void)
{
    natural_order();
    number_format();
    npy_reader();
    splits();
    format_table();
    npy_volume();
    lambdas_on_volumes();
    if (failures) fprintf(stderr, "%d checks failed\n", failures);
    else printf("cli_units: all checks passed\n");
    return failures != 0;
}
