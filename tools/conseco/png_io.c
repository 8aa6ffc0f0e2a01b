/* SPDX-License-Identifier: Apache-2.0 */
/* libpng wrapper: errors come back as values (setjmp inside), never as exits or prints. */
#include "png_io.h"

#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const unsigned char *data;
    size_t size;
    size_t pos;
    char *why;
    size_t why_size;
} reader;

static void set_why(char *why, size_t why_size, const char *text)
{
    if (why != NULL && why_size > 0) {
        strncpy(why, text, why_size - 1);
        why[why_size - 1] = '\0';
    }
}

static void on_error(png_structp png, png_const_charp msg)
{
    reader *r = (reader *)png_get_error_ptr(png);
    if (r != NULL) set_why(r->why, r->why_size, msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* warnings (e.g. unknown chunks) are not worth a line on stderr */
}

static void read_from_memory(png_structp png, png_bytep dst, size_t n)
{
    reader *r = (reader *)png_get_io_ptr(png);
    if (n > r->size - r->pos) png_error(png, "file is truncated");
    memcpy(dst, r->data + r->pos, n);
    r->pos += n;
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* want_rgb = 0: gray only, native depth; 1: any type to RGB8. */
static int decode(const void *buf, size_t size, size_t max_pixels, int want_rgb,
                  cli_png_image *out, char *why, size_t why_size)
{
    png_structp png;
    png_infop info;
    reader r;
    png_uint_32 w, h;
    int depth, colour;
    volatile int rc = CLI_PNG_MALFORMED; /* read after longjmp */
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    size_t row_bytes, y;
    int channels, bits;

    memset(out, 0, sizeof *out);
    set_why(why, why_size, "not a PNG file");
    if (size < 8 || png_sig_cmp((png_const_bytep)buf, 0, 8) != 0) return CLI_PNG_MALFORMED;
    r.data = (const unsigned char *)buf;
    r.size = size;
    r.pos = 0;
    r.why = why;
    r.why_size = why_size;
    set_why(why, why_size, "malformed PNG");
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    if (png == NULL) return CLI_PNG_NO_MEMORY;
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return CLI_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        return rc;
    }
    png_set_read_fn(png, &r, read_from_memory);
    /* libpng's own cap on dimensions; ours on the pixel count comes below */
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_read_info(png, info);
    w = png_get_image_width(png, info);
    h = png_get_image_height(png, info);
    depth = png_get_bit_depth(png, info);
    colour = png_get_color_type(png, info);
    if (w == 0 || h == 0) png_error(png, "empty image");
    if ((size_t)w > max_pixels / (size_t)h) {
        set_why(why, why_size, "image has more pixels than allowed");
        rc = CLI_PNG_TOO_LARGE;
        png_longjmp(png, 1);
    }
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) (void)png_set_interlace_handling(png);
    if (!want_rgb) {
        if (colour != PNG_COLOR_TYPE_GRAY) {
            set_why(why, why_size,
                    colour == PNG_COLOR_TYPE_GRAY_ALPHA
                        ? "gray+alpha image (need a single-channel gray PNG)"
                        : "colour image (need a single-channel gray PNG)");
            rc = CLI_PNG_COLOUR;
            png_longjmp(png, 1);
        }
        if (depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        if (depth == 16 && host_is_little_endian()) png_set_swap(png);
        channels = 1;
        bits = depth == 16 ? 16 : 8;
    } else {
        png_set_expand(png); /* palette, low-bit gray and tRNS to full channels */
        if (depth == 16) png_set_strip_16(png);
        png_set_strip_alpha(png);
        if (colour == PNG_COLOR_TYPE_GRAY || colour == PNG_COLOR_TYPE_GRAY_ALPHA)
            png_set_gray_to_rgb(png);
        channels = 3;
        bits = 8;
    }
    png_read_update_info(png, info);
    row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)w * (size_t)channels * (size_t)(bits / 8))
        png_error(png, "unexpected row layout");
    rc = CLI_PNG_NO_MEMORY;
    pixels = (unsigned char *)malloc(row_bytes * (size_t)h);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)h);
    if (pixels == NULL || rows == NULL) {
        set_why(why, why_size, "out of memory");
        png_longjmp(png, 1);
    }
    rc = CLI_PNG_MALFORMED;
    for (y = 0; y < (size_t)h; y++) rows[y] = pixels + y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    out->width = (size_t)w;
    out->height = (size_t)h;
    out->bits = bits;
    out->channels = channels;
    out->pixels = pixels;
    set_why(why, why_size, "");
    return CLI_PNG_OK;
}

int cli_png_decode_gray(const void *buf, size_t size, size_t max_pixels, cli_png_image *out,
                        char *why, size_t why_size)
{
    return decode(buf, size, max_pixels, 0, out, why, why_size);
}

int cli_png_decode_rgb(const void *buf, size_t size, size_t max_pixels, cli_png_image *out,
                       char *why, size_t why_size)
{
    return decode(buf, size, max_pixels, 1, out, why, why_size);
}

void cli_png_image_free(cli_png_image *image)
{
    if (image == NULL) return;
    free(image->pixels);
    image->pixels = NULL;
}

int cli_png_write(FILE *f, const unsigned char *pixels, size_t width, size_t height,
                  int channels, char *why, size_t why_size)
{
    png_structp png;
    png_infop info;
    reader r; /* only its why fields are used, by on_error */
    size_t y;

    memset(&r, 0, sizeof r);
    r.why = why;
    r.why_size = why_size;
    if (width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) {
        set_why(why, why_size, "bad image size");
        return -1;
    }
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
    if (png == NULL) return -1;
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (y = 0; y < height; y++)
        png_write_row(png, pixels + y * width * (size_t)channels);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}
