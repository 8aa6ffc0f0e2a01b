/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: PNG decoding through the tool's libpng wrapper (png_io.c).
 * The first byte picks gray or RGB decoding (bit 0) and whether the harness
 * repairs chunk CRCs first (bit 1); the rest is the file.
 * Invariants: failures come back as a status with a reason (no longjmp
 * escapes, no leaks under ASan); a decoded image has the promised layout;
 * an 8-bit gray image written by cli_png_write decodes to the same pixels.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "png_io.h"
#include "ref_crc32.h"

#define FUZZ_MAX_PIXELS ((size_t)1 << 22) /* keeps decompression bombs cheap */

/* libpng drops a file at the first chunk whose CRC does not match, so almost
 * every mutation dies there. Rewriting each chunk's CRC lets mutations of
 * lengths, headers and pixel data reach libpng's checks and our wrapper. */
static void repair_crcs(uint8_t *png, size_t size)
{
    size_t at = 8; /* after the signature */
    while (at + 12 <= size) {
        const size_t len = (size_t)png[at] << 24 | (size_t)png[at + 1] << 16 |
                           (size_t)png[at + 2] << 8 | (size_t)png[at + 3];
        uint32_t crc;
        if (len > size - at - 12) break;
        crc = ref_crc32(png + at + 4, len + 4); /* type and data */
        png[at + 8 + len] = (uint8_t)(crc >> 24);
        png[at + 9 + len] = (uint8_t)(crc >> 16);
        png[at + 10 + len] = (uint8_t)(crc >> 8);
        png[at + 11 + len] = (uint8_t)crc;
        at += 12 + len;
    }
}

static void round_trip(const cli_png_image *im)
{
    char *mem = NULL, why[160];
    size_t mem_size = 0;
    cli_png_image again;
    FILE *f = open_memstream(&mem, &mem_size);
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(cli_png_write(f, im->pixels, im->width, im->height, im->channels, why,
                             sizeof why) == 0);
    fclose(f);
    FUZZ_CHECK(cli_png_decode_gray(mem, mem_size, FUZZ_MAX_PIXELS, &again, why, sizeof why) ==
               CLI_PNG_OK);
    FUZZ_CHECK(again.width == im->width && again.height == im->height && again.bits == 8);
    FUZZ_CHECK(memcmp(again.pixels, im->pixels, im->width * im->height) == 0);
    cli_png_image_free(&again);
    free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_png_image im;
    char why[160];
    int rgb, r;
    size_t i, n, sum = 0;
    uint8_t *file;
    if (size < 1) return 0;
    rgb = data[0] & 1;
    why[0] = '\0';
    file = (uint8_t *)malloc(size);
    FUZZ_CHECK(file != NULL);
    memcpy(file, data + 1, size - 1);
    if (data[0] & 2) repair_crcs(file, size - 1);
    r = rgb ? cli_png_decode_rgb(file, size - 1, FUZZ_MAX_PIXELS, &im, why, sizeof why)
            : cli_png_decode_gray(file, size - 1, FUZZ_MAX_PIXELS, &im, why, sizeof why);
    free(file);
    if (r != CLI_PNG_OK) {
        FUZZ_CHECK(r == CLI_PNG_MALFORMED || r == CLI_PNG_COLOUR || r == CLI_PNG_TOO_LARGE ||
                   r == CLI_PNG_NO_MEMORY);
        FUZZ_CHECK(why[0] != '\0');
        FUZZ_CHECK(im.pixels == NULL);
        return 0;
    }
    FUZZ_CHECK(im.width >= 1 && im.height >= 1 && im.pixels != NULL);
    FUZZ_CHECK(im.width * im.height <= FUZZ_MAX_PIXELS);
    FUZZ_CHECK(rgb ? (im.channels == 3 && im.bits == 8)
                   : (im.channels == 1 && (im.bits == 8 || im.bits == 16)));
    n = im.width * im.height * (size_t)im.channels * (size_t)(im.bits / 8);
    for (i = 0; i < n; i++) sum += im.pixels[i];
    (void)sum;
    if (!rgb && im.bits == 8 && im.width * im.height <= 65536) round_trip(&im);
    cli_png_image_free(&im);
    return 0;
}
