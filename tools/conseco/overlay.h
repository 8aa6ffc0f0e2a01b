/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Overlay pictures in the spirit of the paper's Figures 1-2: the input
 * picture (or the score map in gray) with the inner mask and the uncertain
 * region, and, when the truth is known, accepted/rejected true and false
 * positives and the outline of the truth. Colours: OVERLAY_LEGEND.md.
 */
#ifndef CONSECO_CLI_OVERLAY_H
#define CONSECO_CLI_OVERLAY_H

#include <conseco.h>
#include <stddef.h>
#include <stdint.h>

/* The colours, shared by the drawing code and the legend. */
#define CLI_RGB_INNER 0, 200, 0         /* inner mask (with truth: accepted true positives) */
#define CLI_RGB_UNCERTAIN 255, 200, 0   /* uncertain region (with truth: rejected true positives) */
#define CLI_RGB_ACCEPTED_FP 230, 0, 0   /* inner mask outside the truth: accepted false positives */
#define CLI_RGB_REJECTED_FP 0, 190, 255 /* uncertain region outside the truth: rejected false positives */
#define CLI_RGB_TRUTH_EDGE 255, 255, 255 /* outline of the ground truth */

/* The score at voxel (x, y, z) as a double: integer maps on 0..1 (8-bit / 255,
 * 16-bit / 65535, masks 0 or 1), float maps as they are. */
double cli_score_at(const conseco_image *im, size_t x, size_t y, size_t z);

/*
 * Writes width*height RGB8 pixels to `rgb`. Base: `picture` (RGB8, may be NULL)
 * or else the score map in gray (min-max scaled for float maps). `inner` and
 * `uncertain` are 0/nonzero masks; `truth` may be NULL.
 */
void cli_overlay_draw(const unsigned char *picture, const conseco_image *score,
                      const uint8_t *inner, const uint8_t *uncertain, const uint8_t *truth,
                      size_t truth_stride, unsigned char *rgb);

#endif /* CONSECO_CLI_OVERLAY_H */
