/* SPDX-License-Identifier: Apache-2.0 */
/* Mid-slice overlays of volumes (see slices.h). */
#include "slices.h"

#include "cli.h"
#include "overlay.h"

#include <stdlib.h>
#include <string.h>

const char *const cli_plane_names[CLI_PLANES] = {"axial", "coronal", "sagittal"};

void cli_picture_free(cli_picture *p)
{
    free(p->rgb);
    memset(p, 0, sizeof *p);
}

int cli_slice_overlay(const conseco_image *score, const uint8_t *inner, const uint8_t *uncertain,
                      const uint8_t *truth, const double spacing[3], int plane, size_t zoom,
                      cli_picture *out)
{
    const size_t W = score->width, H = score->height, Z = score->depth;
    double sp[3];
    size_t cols, rows, r, c, n;
    double *s2 = NULL;
    uint8_t *i2 = NULL, *u2 = NULL, *t2 = NULL;
    int d, rc = CLI_EXIT_OK;
    memset(out, 0, sizeof *out);
    if (zoom < 1) zoom = 1;
    for (d = 0; d < 3; d++) sp[d] = spacing != NULL && spacing[d] > 0.0 ? spacing[d] : 1.0;
    cols = plane == 2 ? H : W;
    if (plane == 0) rows = H;
    else {
        double stretched = (double)Z * sp[2] / (plane == 2 ? sp[1] : sp[0]);
        rows = stretched > 65535.0 ? 65535 : (size_t)(stretched + 0.5);
        if (rows < Z) rows = Z;
    }
    if (cols > 65535 / zoom || rows > 65535 / zoom)
        return cli_fail(CLI_EXIT_DATA, "volume too large for an overlay picture");
    cols *= zoom;
    rows *= zoom;
    n = cols * rows;
    s2 = (double *)malloc(n * sizeof *s2);
    i2 = (uint8_t *)malloc(n);
    u2 = (uint8_t *)malloc(n);
    t2 = truth != NULL ? (uint8_t *)malloc(n) : NULL;
    out->rgb = (unsigned char *)malloc(3 * n);
    if (!s2 || !i2 || !u2 || (truth != NULL && !t2) || !out->rgb) rc = cli_fail_nomem();
    for (r = 0; rc == CLI_EXIT_OK && r < rows; r++)
        for (c = 0; c < cols; c++) {
            size_t x, y, z, idx;
            if (plane == 0) {
                x = c / zoom;
                y = r / zoom;
                z = Z / 2;
            } else {
                z = Z - 1 - (r * Z) / rows; /* top row = highest slice */
                x = plane == 1 ? c / zoom : W / 2;
                y = plane == 1 ? H / 2 : c / zoom;
            }
            idx = x + W * (y + H * z);
            s2[r * cols + c] = cli_score_at(score, x, y, z);
            i2[r * cols + c] = inner[idx];
            u2[r * cols + c] = uncertain[idx];
            if (t2 != NULL) t2[r * cols + c] = truth[idx];
        }
    if (rc == CLI_EXIT_OK) {
        conseco_image im = conseco_image_2d(s2, cols, rows, cols * sizeof(double),
                                            CONSECO_DTYPE_F64);
        cli_overlay_draw(NULL, &im, i2, u2, t2, cols, out->rgb);
        out->width = cols;
        out->height = rows;
    } else {
        cli_picture_free(out);
    }
    free(s2);
    free(i2);
    free(u2);
    free(t2);
    return rc;
}
