/* SPDX-License-Identifier: Apache-2.0 */
/* PNG rows of the format table: 8/16-bit gray score maps and masks, RGB pictures, 0/255 masks. */
#include "formats.h"

#include "cli.h"
#include "png_io.h"

#include <conseco.h>
#include <stdlib.h>
#include <string.h>

static const char *const png_extensions[] = {".png", NULL};

static int png_sniff(const unsigned char *head, size_t n)
{
    static const unsigned char magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    return n >= sizeof magic && memcmp(head, magic, sizeof magic) == 0;
}

static int png_error_code(int r, const char *path, const char *why)
{
    switch (r) {
    case CLI_PNG_NO_MEMORY: return cli_fail_nomem();
    case CLI_PNG_COLOUR: return cli_fail(CLI_EXIT_DATA, "%s: %s", path, why);
    case CLI_PNG_TOO_LARGE: return cli_fail(CLI_EXIT_DATA, "%s: image too large", path);
    default: return cli_fail(CLI_EXIT_DATA, "%s: malformed PNG: %s", path, why);
    }
}

static int png_read(const cli_file_bytes *file, long slice, int role, cli_map *out)
{
    cli_png_image im;
    char why[160];
    size_t i, n;
    int r;
    memset(out, 0, sizeof *out);
    if (slice > 0) return cli_fail(CLI_EXIT_DATA, "%s: a PNG holds one image", file->path);
    if (role == CLI_READ_RGB)
        r = cli_png_decode_rgb(file->data, file->size, CLI_MAX_PIXELS, &im, why, sizeof why);
    else
        r = cli_png_decode_gray(file->data, file->size, CLI_MAX_PIXELS, &im, why, sizeof why);
    if (r != CLI_PNG_OK) return png_error_code(r, file->path, why);
    out->width = im.width;
    out->height = im.height;
    out->depth = 1;
    out->format = &cli_format_png;
    cli_map_pack_strides(out);
    if (role == CLI_READ_RGB) {
        out->dtype = 0;
        out->elem = 3;
    } else if (role == CLI_READ_SCORE) {
        out->dtype = im.bits == 16 ? CONSECO_DTYPE_U16 : CONSECO_DTYPE_U8;
        out->elem = im.bits == 16 ? 2 : 1;
    } else {
        out->dtype = CONSECO_DTYPE_MASK8;
        out->elem = 1;
        if (im.bits == 16) { /* nonzero = inside, into one byte per pixel */
            n = im.width * im.height;
            out->data = (unsigned char *)malloc(n ? n : 1);
            if (out->data == NULL) {
                cli_png_image_free(&im);
                return cli_fail_nomem();
            }
            for (i = 0; i < n; i++)
                out->data[i] = (unsigned char)((im.pixels[2 * i] | im.pixels[2 * i + 1]) != 0);
            cli_png_image_free(&im);
            return CLI_EXIT_OK;
        }
    }
    out->data = im.pixels;
    return CLI_EXIT_OK;
}

/* A 0/255 8-bit gray PNG of the same size. */
static int png_write_mask_like(const cli_map *like, const uint8_t *mask, const cli_out_file *out)
{
    size_t i, n = like->width * like->height;
    unsigned char *px;
    char why[160];
    int r;
    if (like->depth != 1)
        return cli_fail(CLI_EXIT_DATA, "%s: a PNG holds one 2-D image, not %lu slices",
                        out->final_path, (unsigned long)like->depth);
    px = (unsigned char *)malloc(n ? n : 1);
    if (px == NULL) return cli_fail_nomem();
    for (i = 0; i < n; i++) px[i] = mask[i] ? 255 : 0;
    r = cli_png_write(out->f, px, like->width, like->height, 1, why, sizeof why);
    free(px);
    if (r != 0) return cli_fail(CLI_EXIT_IO, "%s: cannot write PNG: %s", out->final_path, why);
    return CLI_EXIT_OK;
}

const cli_format cli_format_png = {
    "png", 0, png_extensions, png_sniff, NULL, png_read, png_write_mask_like,
};
