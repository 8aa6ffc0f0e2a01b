/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Overlay pictures of a volume: its mid-slices, axial (x right, y down), coronal (x right, z up)
 * and sagittal (y right, z up), with the slice direction stretched to the voxel size (nearest
 * neighbour) so that the picture has the body's proportions, drawn by cli_overlay_draw.
 */
#ifndef CONSECO_CLI_SLICES_H
#define CONSECO_CLI_SLICES_H

#include <conseco.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_PLANES 3
extern const char *const cli_plane_names[CLI_PLANES]; /* "axial", "coronal", "sagittal" */

/* An RGB8 picture (malloc'ed). */
typedef struct cli_picture {
    size_t width, height;
    unsigned char *rgb;
} cli_picture;

/* The overlay of the mid-slice of `plane` of the volume `score` (depth > 1, any dtype) with the
 * packed masks inner, uncertain and truth (truth may be NULL), zoomed by `zoom` (>= 1).
 * spacing: voxel size (0 = 1). @return a cli_exit code. */
int cli_slice_overlay(const conseco_image *score, const uint8_t *inner, const uint8_t *uncertain,
                      const uint8_t *truth, const double spacing[3], int plane, size_t zoom,
                      cli_picture *out);
void cli_picture_free(cli_picture *p);

#endif /* CONSECO_CLI_SLICES_H */
