/* SPDX-License-Identifier: Apache-2.0 */
/* Random score-map elements on a chosen side of the base threshold. */
#include "score_pixel.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "conseco.h"

void sp_write_score(tu_rng *r, int dtype, unsigned char *px, int in, int tie, double b, size_t k)
{
    switch (dtype) {
    case CONSECO_DTYPE_U8:
        *px = (uint8_t)(in ? (tie ? k : tu_range(r, k, 255)) : tu_range(r, 0, k - 1));
        break;
    case CONSECO_DTYPE_U16: {
        const uint16_t u = (uint16_t)(in ? (tie ? k : tu_range(r, k, 65535)) : tu_range(r, 0, k - 1));
        memcpy(px, &u, 2);
        break;
    }
    case CONSECO_DTYPE_MASK8: *px = (uint8_t)(in ? tu_range(r, 1, 255) : 0); break;
    case CONSECO_DTYPE_F32: {
        float f = in ? (tie ? (float)b : (float)(b + (1.0 - b) * tu_uniform(r)))
                     : (float)(b * tu_uniform(r));
        if (in && (double)f < b) f = nextafterf(f, 2.0f);
        if (!in && (double)f >= b) f = nextafterf((float)b, -1.0f);
        memcpy(px, &f, 4);
        break;
    }
    default: {
        double f = in ? (tie ? b : b + (1.0 - b) * tu_uniform(r)) : b * tu_uniform(r) - 1e-9;
        if (in && f < b) f = b;
        memcpy(px, &f, 8);
        break;
    }
    }
}
