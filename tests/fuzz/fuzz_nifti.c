/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the tool's NIfTI row of the format table (tools/conseco/format_nifti.c) on
 * arbitrary bytes, plain or gzip (header fields, truncated or corrupt gzip, sizes that overflow,
 * a slope of 0, NaN or inf). The reader opens files by name, so the input is written to a
 * temporary file first. Invariants: the reader either fails with a data, I/O or memory exit
 * code or returns a map whose shape, element size and spacing are sane and whose every byte
 * can be read; a mask it writes like the input reads back with the same shape, spacing and
 * 0/1 voxels.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <conseco.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "formats.h"
#include "fuzz_check.h"
#include "loader.h"

static char in_path[64], out_path[64];

static void cleanup(void);

static void make_paths(void)
{
    int fd;
    if (in_path[0] != '\0') return;
    atexit(cleanup);
    cli_nifti_init();
    strcpy(in_path, "/tmp/fuzz-nifti-in-XXXXXX");
    strcpy(out_path, "/tmp/fuzz-nifti-out-XXXXXX");
    fd = mkstemp(in_path);
    FUZZ_CHECK(fd >= 0);
    close(fd);
    fd = mkstemp(out_path);
    FUZZ_CHECK(fd >= 0);
    close(fd);
}

static void cleanup(void)
{
    if (in_path[0] != '\0') unlink(in_path);
    if (out_path[0] != '\0') unlink(out_path);
}

static size_t elem_of(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_F64: return 8;
    default: return 1;
    }
}

static void check_map(const cli_map *m)
{
    size_t n, i, sum = 0;
    int d;
    FUZZ_CHECK(m->width >= 1 && m->height >= 1 && m->depth >= 1);
    FUZZ_CHECK(m->width <= CLI_MAX_PIXELS / m->height);
    FUZZ_CHECK(m->width * m->height <= CLI_MAX_PIXELS / m->depth);
    FUZZ_CHECK(m->format == &cli_format_nifti && m->data != NULL && m->geometry != NULL);
    FUZZ_CHECK(m->elem == elem_of(m->dtype));
    FUZZ_CHECK(m->stride[0] == 1 && m->stride[1] == m->width &&
               m->stride[2] == m->width * m->height);
    for (d = 0; d < 3; d++) FUZZ_CHECK(m->spacing[d] >= 0.0 && m->spacing[d] <= 1.7976931348623157e308);
    n = m->width * m->height * m->depth * m->elem;
    for (i = 0; i < n; i++) sum += m->data[i]; /* ASan sees an overrun */
    (void)sum;
}

static int ok_failure(int rc)
{
    return rc == CLI_EXIT_DATA || rc == CLI_EXIT_IO || rc == CLI_EXIT_INTERNAL;
}

static void round_trip(const cli_map *m)
{
    size_t n = m->width * m->height * m->depth, i;
    uint8_t *mask;
    FILE *f;
    cli_out_file out;
    cli_file_bytes file;
    cli_map back;
    int d;
    if (n > ((size_t)1 << 20)) return; /* keep runs cheap */
    mask = (uint8_t *)malloc(n);
    FUZZ_CHECK(mask != NULL);
    for (i = 0; i < n; i++) mask[i] = (uint8_t)(m->data[i * m->elem] & 3); /* any nonzero */
    f = fopen(out_path, "wb");
    FUZZ_CHECK(f != NULL);
    out.f = f;
    out.tmp_path = out_path;
    out.final_path = "fuzz-mask.nii.gz";
    FUZZ_CHECK(cli_format_nifti.write_mask_like(m, mask, &out) == CLI_EXIT_OK);
    FUZZ_CHECK(fclose(f) == 0);
    file.path = out_path;
    file.data = NULL;
    file.size = 0;
    FUZZ_CHECK(cli_format_nifti.read(&file, -1, CLI_READ_MASK, &back) == CLI_EXIT_OK);
    FUZZ_CHECK(back.width == m->width && back.height == m->height && back.depth == m->depth);
    for (d = 0; d < 3; d++) FUZZ_CHECK(back.spacing[d] == m->spacing[d]);
    for (i = 0; i < n; i++) FUZZ_CHECK(back.data[i] == (mask[i] != 0));
    cli_map_free(&back);
    free(mask);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f;
    cli_file_bytes file;
    cli_map m;
    int role, rc;
    make_paths();
    (void)cli_format_sniff(data, size, "fuzz.nii");
    f = fopen(in_path, "wb");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(fwrite(data, 1, size, f) == size);
    FUZZ_CHECK(fclose(f) == 0);
    file.path = in_path;
    file.data = NULL;
    file.size = 0;
    for (role = CLI_READ_SCORE; role <= CLI_READ_RGB; role++) {
        rc = cli_format_nifti.read(&file, -1, role, &m);
        if (rc != CLI_EXIT_OK) {
            FUZZ_CHECK(ok_failure(rc));
            FUZZ_CHECK(m.data == NULL && m.geometry == NULL);
            continue;
        }
        FUZZ_CHECK(role != CLI_READ_RGB);
        check_map(&m);
        if (role == CLI_READ_MASK) FUZZ_CHECK(m.dtype == CONSECO_DTYPE_MASK8);
        else {
            FUZZ_CHECK(m.dtype == CONSECO_DTYPE_F32 || m.dtype == CONSECO_DTYPE_F64);
            round_trip(&m);
        }
        cli_map_free(&m);
    }
    FUZZ_CHECK(cli_format_nifti.read(&file, 0, CLI_READ_SCORE, &m) == CLI_EXIT_DATA);
    return 0;
}
