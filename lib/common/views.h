/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ground floor: validation and addressing of the public image and mask views.
 * Internal to lib/.
 */
#ifndef CONSECO_VIEWS_H
#define CONSECO_VIEWS_H

#include "numbers.h"

/* --------------------------------------------------------------- views */
/* Element size of a dtype, 0 if unknown. */
size_t conseco__dtype_size(int dtype);

/* Validate a view and return its pixel count (width*height*depth). */
int conseco__image_check(const conseco_image *image, size_t *count);

/* The spacing of a checked view with "not given" (0) read as 1.0. */
void conseco__image_spacing(const conseco_image *image, double out[3]);
int conseco__mask_check(const conseco_mask *mask, size_t *count);
int conseco__mask_out_check(const conseco_mask_out *mask, size_t *count);

/* Shape equality of (w, h, d) triples; CONSECO_E_SIZE_MISMATCH otherwise. */
int conseco__same_shape(size_t w1, size_t h1, size_t d1, size_t w2, size_t h2, size_t d2);

/* Row y of slice z of a view, as bytes. Views must have been checked. */
static inline const unsigned char *conseco__image_row(const conseco_image *im, size_t y, size_t z)
{
    return (const unsigned char *)im->data + z * im->slice_stride + y * im->row_stride;
}
static inline const uint8_t *conseco__mask_row(const conseco_mask *m, size_t y, size_t z)
{
    return m->data + z * m->slice_stride + y * m->row_stride;
}
static inline uint8_t *conseco__mask_out_row(const conseco_mask_out *m, size_t y, size_t z)
{
    return m->data + z * m->slice_stride + y * m->row_stride;
}

/* Score of pixel x of a row, as the double the contract defines (value/255 ...). */
static inline double conseco__pixel(int dtype, const unsigned char *row, size_t x)
{
    switch (dtype) {
    case CONSECO_DTYPE_U8: return (double)row[x] / 255.0;
    case CONSECO_DTYPE_U16: return (double)((const uint16_t *)(const void *)row)[x] / 65535.0;
    case CONSECO_DTYPE_F32: return (double)((const float *)(const void *)row)[x];
    case CONSECO_DTYPE_F64: return ((const double *)(const void *)row)[x];
    default: return row[x] ? 1.0 : 0.0; /* CONSECO_DTYPE_MASK8 */
    }
}

/* CONSECO_E_NONFINITE if a float map holds NaN or +-inf; OK for integer maps. */
int conseco__image_check_finite(const conseco_image *image);

#endif /* CONSECO_VIEWS_H */
