/* SPDX-License-Identifier: Apache-2.0 */
/* NumPy .npy rows of the format table: 2-D arrays and 3-D stacks in, bool masks out. */
#include "formats.h"

#include "cli.h"
#include "npy.h"

#include <conseco.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const npy_extensions[] = {".npy", NULL};

static int npy_sniff(const unsigned char *head, size_t n)
{
    static const unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    return n >= sizeof magic && memcmp(head, magic, sizeof magic) == 0;
}

static int parse(const cli_file_bytes *file, cli_npy *a)
{
    const char *why;
    if (cli_npy_parse(file->data, file->size, a, &why) != 0)
        return cli_fail(CLI_EXIT_DATA, "%s: malformed .npy: %s", file->path, why);
    return CLI_EXIT_OK;
}

/* A 2-D array is one image; a 3-D (n, h, w) array is a stack of n images (for now: volumes
 * read as a whole come with the volumes work). */
static int npy_count_images(const cli_file_bytes *file, size_t *count)
{
    cli_npy a;
    int rc = parse(file, &a);
    if (rc != CLI_EXIT_OK) return rc;
    if (a.ndim == 3 && a.count > 0x7fffffffu)
        return cli_fail(CLI_EXIT_DATA, "%s: too many slices", file->path);
    *count = a.ndim == 2 ? 0 : a.count;
    return CLI_EXIT_OK;
}

/* slice -1: the whole array (depth = n for a 3-D one); otherwise slice `slice` of a stack. */
static int npy_read(const cli_file_bytes *file, long slice, int role, cli_map *out)
{
    cli_npy a;
    size_t depth, n;
    const unsigned char *px;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = parse(file, &a)) != CLI_EXIT_OK) return rc;
    if (slice >= 0 && (a.ndim != 3 || (size_t)slice >= a.count))
        return cli_fail(CLI_EXIT_DATA, "%s: file changed while reading", file->path);
    depth = slice >= 0 ? 1 : a.count;
    if (a.width > CLI_MAX_PIXELS / a.height || a.width * a.height > CLI_MAX_PIXELS / depth)
        return cli_fail(CLI_EXIT_DATA, "%s: image too large", file->path);
    if (role == CLI_READ_RGB)
        return cli_fail(CLI_EXIT_DATA, "%s: overlay pictures must be PNG", file->path);
    if (role == CLI_READ_MASK && a.kind != CLI_NPY_U8 && a.kind != CLI_NPY_BOOL)
        return cli_fail(CLI_EXIT_DATA, "%s: a mask must be a bool or uint8 array", file->path);
    if (role == CLI_READ_MASK) out->dtype = CONSECO_DTYPE_MASK8;
    else
        switch (a.kind) {
        case CLI_NPY_F32: out->dtype = CONSECO_DTYPE_F32; break;
        case CLI_NPY_F64: out->dtype = CONSECO_DTYPE_F64; break;
        case CLI_NPY_U8: out->dtype = CONSECO_DTYPE_U8; break;
        case CLI_NPY_U16: out->dtype = CONSECO_DTYPE_U16; break;
        default: out->dtype = CONSECO_DTYPE_MASK8; break; /* bool: a binary prediction */
        }
    px = cli_npy_slice(&a, slice >= 0 ? (size_t)slice : 0);
    out->width = a.width;
    out->height = a.height;
    out->depth = depth;
    out->elem = a.item_size;
    out->format = &cli_format_npy;
    cli_map_pack_strides(out);
    n = a.slice_bytes * depth;
    out->data = (unsigned char *)malloc(n ? n : 1);
    if (out->data == NULL) return cli_fail_nomem();
    memcpy(out->data, px, n);
    return CLI_EXIT_OK;
}

/* A bool array of the input's shape: (h, w), or (d, h, w) for depth > 1. Version 1.0 header,
 * padded with spaces and a newline so the data starts at a multiple of 64 bytes. */
static int npy_write_mask_like(const cli_map *like, const uint8_t *mask, const cli_out_file *out)
{
    char header[256];
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    size_t len, n = like->width * like->height * like->depth, i;
    int k;
    if (like->depth > 1)
        k = snprintf(header, sizeof header,
                     "{'descr': '|b1', 'fortran_order': False, 'shape': (%lu, %lu, %lu), }",
                     (unsigned long)like->depth, (unsigned long)like->height,
                     (unsigned long)like->width);
    else
        k = snprintf(header, sizeof header,
                     "{'descr': '|b1', 'fortran_order': False, 'shape': (%lu, %lu), }",
                     (unsigned long)like->height, (unsigned long)like->width);
    if (k < 0 || (size_t)k + 64 >= sizeof header) return cli_fail_nomem();
    len = (size_t)k;
    while ((sizeof pre + len + 1) % 64 != 0) header[len++] = ' ';
    header[len++] = '\n';
    pre[8] = (unsigned char)(len & 0xff);
    pre[9] = (unsigned char)(len >> 8);
    if (fwrite(pre, 1, sizeof pre, out->f) != sizeof pre ||
        fwrite(header, 1, len, out->f) != len)
        return cli_fail(CLI_EXIT_IO, "%s: write error", out->final_path);
    for (i = 0; i < n; i++)
        if (putc(mask[i] ? 1 : 0, out->f) == EOF)
            return cli_fail(CLI_EXIT_IO, "%s: write error", out->final_path);
    return CLI_EXIT_OK;
}

const cli_format cli_format_npy = {
    "npy", 0, npy_extensions, npy_sniff, npy_count_images, npy_read, npy_write_mask_like,
};
