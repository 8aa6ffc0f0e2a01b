/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PNG through libpng: decoding from memory (so the fuzz target exercises the
 * exact code path the tool uses) and encoding 8-bit gray or RGB to a FILE.
 */
#ifndef CONSECO_CLI_PNG_IO_H
#define CONSECO_CLI_PNG_IO_H

#include <stddef.h>
#include <stdio.h>

enum cli_png_result {
    CLI_PNG_OK = 0,
    CLI_PNG_MALFORMED = -1, /* not a PNG, truncated, bad CRC ... */
    CLI_PNG_COLOUR = -2,    /* colour, palette or alpha where gray was required */
    CLI_PNG_TOO_LARGE = -3, /* more pixels than the caller allows */
    CLI_PNG_NO_MEMORY = -4
};

/* Decoded pixels, rows packed. bits = 8 (uint8) or 16 (host-order uint16); channels 1 or 3. */
typedef struct cli_png_image {
    size_t width;
    size_t height;
    int bits;
    int channels;
    unsigned char *pixels; /* malloc'ed; cli_png_image_free() */
} cli_png_image;

/*
 * Decodes a single-channel PNG (gray of 1, 2, 4, 8 or 16 bits; low bit depths are
 * scaled to 0..255). Colour types are refused with CLI_PNG_COLOUR.
 * `why` receives a static or libpng reason for failures (never NULL after return).
 */
int cli_png_decode_gray(const void *buf, size_t size, size_t max_pixels, cli_png_image *out,
                        char *why, size_t why_size);

/* Decodes any PNG to 8-bit RGB (alpha dropped, gray replicated, 16 bits reduced). */
int cli_png_decode_rgb(const void *buf, size_t size, size_t max_pixels, cli_png_image *out,
                       char *why, size_t why_size);

void cli_png_image_free(cli_png_image *image);

/* Encodes 8-bit pixels (channels 1 = gray, 3 = RGB) to an open file; 0 on success. */
int cli_png_write(FILE *f, const unsigned char *pixels, size_t width, size_t height,
                  int channels, char *why, size_t why_size);

#endif /* CONSECO_CLI_PNG_IO_H */
