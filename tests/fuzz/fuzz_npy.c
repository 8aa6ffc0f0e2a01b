/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the tool's .npy reader (tools/conseco/npy.c) on arbitrary bytes,
 * and the .npy row of the format table (format_npy.c) on what it accepts.
 * Invariants: never reads outside the input; on success the shape is 2-D or
 * 3-D, non-empty, and its data exactly fills the rest of the file; the table
 * row sniffs it, counts its images, reads it whole and by slice with the
 * parsed shape, and a mask it writes like the input parses back to that shape.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "fuzz_check.h"
#include "npy.h"

static void table_row(const uint8_t *data, size_t size, const cli_npy *a)
{
    cli_file_bytes file;
    cli_map m;
    size_t count = 99;
    long slice;
    file.path = "fuzz.npy";
    file.data = data;
    file.size = size;
    FUZZ_CHECK(cli_format_sniff(data, size, "fuzz.npy") == &cli_format_npy);
    FUZZ_CHECK(cli_format_npy.count_images(&file, &count) == 0 ||
               a->count > 0x7fffffffu);
    FUZZ_CHECK(count == (a->ndim == 2 ? 0 : a->count) || a->count > 0x7fffffffu);
    if (a->height * a->width * a->count > ((size_t)1 << 22)) return; /* keep runs cheap */
    for (slice = -1; slice <= (a->ndim == 3 ? 0 : -1); slice++) {
        const int role = a->kind == CLI_NPY_U8 || a->kind == CLI_NPY_BOOL ? CLI_READ_MASK
                                                                           : CLI_READ_SCORE;
        char *mem = NULL;
        size_t mem_size = 0;
        cli_npy back;
        const char *why;
        FILE *f;
        cli_out_file out;
        uint8_t *mask;
        size_t i, n;
        FUZZ_CHECK(cli_format_npy.read(&file, slice, role, &m) == 0);
        FUZZ_CHECK(m.width == a->width && m.height == a->height && m.format == &cli_format_npy);
        FUZZ_CHECK(m.depth == (slice < 0 ? a->count : 1) && m.elem == a->item_size);
        n = m.width * m.height * m.depth;
        mask = (uint8_t *)malloc(n);
        FUZZ_CHECK(mask != NULL);
        for (i = 0; i < n; i++) mask[i] = m.data[i * m.elem] != 0;
        f = open_memstream(&mem, &mem_size);
        FUZZ_CHECK(f != NULL);
        out.f = f;
        out.tmp_path = NULL;
        out.final_path = "fuzz-mask.npy";
        FUZZ_CHECK(cli_format_npy.write_mask_like(&m, mask, &out) == 0);
        fclose(f);
        FUZZ_CHECK(cli_npy_parse(mem, mem_size, &back, &why) == 0);
        FUZZ_CHECK(back.kind == CLI_NPY_BOOL && back.width == m.width && back.height == m.height);
        FUZZ_CHECK(back.count == m.depth && (back.ndim == 3) == (m.depth > 1));
        FUZZ_CHECK(memcmp(back.data, mask, n) == 0);
        free(mem);
        free(mask);
        free(m.data);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_npy a;
    const char *why = NULL;
    size_t i, sum = 0;
    if (cli_npy_parse(data, size, &a, &why) != 0) {
        FUZZ_CHECK(why != NULL && why[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(a.ndim == 2 || a.ndim == 3);
    FUZZ_CHECK(a.count >= 1 && a.height >= 1 && a.width >= 1);
    FUZZ_CHECK(a.ndim == 3 || a.count == 1);
    FUZZ_CHECK(a.item_size == 1 || a.item_size == 2 || a.item_size == 4 || a.item_size == 8);
    FUZZ_CHECK(a.slice_bytes == a.height * a.width * a.item_size);
    FUZZ_CHECK(a.data >= data && a.data <= data + size);
    FUZZ_CHECK((size_t)(data + size - a.data) == a.slice_bytes * a.count);
    /* touch every byte of the last slice: ASan would see an overrun */
    for (i = 0; i < a.slice_bytes; i++) sum += cli_npy_slice(&a, a.count - 1)[i];
    (void)sum;
    table_row(data, size, &a);
    return 0;
}
