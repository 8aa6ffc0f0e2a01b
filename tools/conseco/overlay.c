/* SPDX-License-Identifier: Apache-2.0 */
/* Drawing the overlay: base picture, 55 % colour fills, a solid outline of the truth. */
#include "overlay.h"

#include <string.h>

double cli_score_at(const conseco_image *im, size_t x, size_t y, size_t z)
{
    const unsigned char *row =
        (const unsigned char *)im->data + z * im->slice_stride + y * im->row_stride;
    switch (im->dtype) {
    case CONSECO_DTYPE_U8: return (double)row[x] / 255.0;
    case CONSECO_DTYPE_U16: {
        uint16_t v;
        memcpy(&v, row + 2 * x, 2);
        return (double)v / 65535.0;
    }
    case CONSECO_DTYPE_F32: {
        float v;
        memcpy(&v, row + 4 * x, 4);
        return (double)v;
    }
    case CONSECO_DTYPE_F64: {
        double v;
        memcpy(&v, row + 8 * x, 8);
        return v;
    }
    default: return row[x] ? 1.0 : 0.0;
    }
}

/* The gray level of pixel (x, y): integer maps on 0..255, float maps as they
 * are (the same pictures as reading 8-bit maps as they are and 16-bit ones
 * divided by 257: the products differ from those by far less than the half
 * step where the rounding of gray_base could turn). */
static double sample(const conseco_image *im, size_t x, size_t y)
{
    const double v = cli_score_at(im, x, y, 0);
    return im->dtype == CONSECO_DTYPE_F32 || im->dtype == CONSECO_DTYPE_F64 ? v : 255.0 * v;
}

/* Gray base from the score map: integer maps as they are, float maps min-max scaled. */
static void gray_base(const conseco_image *im, unsigned char *rgb)
{
    size_t x, y, w = im->width, h = im->height;
    int is_float = im->dtype == CONSECO_DTYPE_F32 || im->dtype == CONSECO_DTYPE_F64;
    double lo = 0.0, hi = 255.0;
    if (is_float) {
        lo = hi = sample(im, 0, 0);
        for (y = 0; y < h; y++)
            for (x = 0; x < w; x++) {
                double v = sample(im, x, y);
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
    }
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            double v = sample(im, x, y);
            double g = hi > lo ? (v - lo) / (hi - lo) * 255.0 : 0.0;
            unsigned char c = (unsigned char)(g < 0.0 ? 0.0 : g > 255.0 ? 255.0 : g + 0.5);
            unsigned char *p = rgb + 3 * (y * w + x);
            p[0] = p[1] = p[2] = c;
        }
}

static void blend(unsigned char *p, unsigned r, unsigned g, unsigned b)
{
    p[0] = (unsigned char)((45u * p[0] + 55u * r) / 100u);
    p[1] = (unsigned char)((45u * p[1] + 55u * g) / 100u);
    p[2] = (unsigned char)((45u * p[2] + 55u * b) / 100u);
}

static void paint(unsigned char *p, unsigned r, unsigned g, unsigned b)
{
    p[0] = (unsigned char)r;
    p[1] = (unsigned char)g;
    p[2] = (unsigned char)b;
}

/* Helpers taking the colour macros (three comma-separated components). */
#define BLEND(p, rgb) blend(p, rgb)
#define PAINT(p, rgb) paint(p, rgb)

void cli_overlay_draw(const unsigned char *picture, const conseco_image *score,
                      const uint8_t *inner, const uint8_t *uncertain, const uint8_t *truth,
                      size_t truth_stride, unsigned char *rgb)
{
    size_t x, y, w = score->width, h = score->height;
    if (picture != NULL) memcpy(rgb, picture, 3 * w * h);
    else gray_base(score, rgb);
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++) {
            size_t i = y * w + x;
            unsigned char *p = rgb + 3 * i;
            int in_truth = truth != NULL && truth[y * truth_stride + x] != 0;
            if (inner[i]) {
                if (truth == NULL || in_truth) BLEND(p, CLI_RGB_INNER);
                else BLEND(p, CLI_RGB_ACCEPTED_FP);
            } else if (uncertain[i]) {
                if (truth == NULL || in_truth) BLEND(p, CLI_RGB_UNCERTAIN);
                else BLEND(p, CLI_RGB_REJECTED_FP);
            }
            if (in_truth) { /* outline: a truth pixel with a 4-neighbour outside the truth */
                int edge = (x > 0 && !truth[y * truth_stride + x - 1]) ||
                           (x + 1 < w && !truth[y * truth_stride + x + 1]) ||
                           (y > 0 && !truth[(y - 1) * truth_stride + x]) ||
                           (y + 1 < h && !truth[(y + 1) * truth_stride + x]);
                if (edge) PAINT(p, CLI_RGB_TRUTH_EDGE);
            }
        }
}
