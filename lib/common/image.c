/* SPDX-License-Identifier: Apache-2.0 */
/* Image and mask views: validation of caller-owned memory layouts. */
#include "views.h"

size_t conseco__dtype_size(int dtype)
{
    switch (dtype) {
    case CONSECO_DTYPE_U8:
    case CONSECO_DTYPE_MASK8: return 1;
    case CONSECO_DTYPE_U16: return 2;
    case CONSECO_DTYPE_F32: return 4;
    case CONSECO_DTYPE_F64: return 8;
    default: return 0;
    }
}

/* The common layout check: sizes, strides large enough, no overflow of the
 * addressed span, element alignment. */
static int check_layout(const void *data, size_t w, size_t h, size_t d, size_t row_stride,
                        size_t slice_stride, size_t elem, size_t *count)
{
    size_t row_bytes, plane, span, n;
    if (data == NULL) return CONSECO_E_NULL;
    if (w == 0 || h == 0 || d == 0) return CONSECO_E_BAD_SIZE;
    if (!conseco__mul_size(w, elem, &row_bytes)) return CONSECO_E_OVERFLOW;
    if (row_stride < row_bytes) return CONSECO_E_BAD_STRIDE;
    /* bytes spanned by one slice: (h-1) strides plus one row */
    if (!conseco__mul_size(h - 1, row_stride, &plane) ||
        !conseco__add_size(plane, row_bytes, &plane))
        return CONSECO_E_OVERFLOW;
    if (d > 1) {
        if (slice_stride < plane) return CONSECO_E_BAD_STRIDE;
        if (!conseco__mul_size(d - 1, slice_stride, &span) ||
            !conseco__add_size(span, plane, &span))
            return CONSECO_E_OVERFLOW;
    }
    if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n)) return CONSECO_E_OVERFLOW;
    if (elem > 1) {
        if ((uintptr_t)data % elem != 0 || row_stride % elem != 0 ||
            (d > 1 && slice_stride % elem != 0))
            return CONSECO_E_MISALIGNED;
    }
    *count = n;
    return CONSECO_OK;
}

int conseco__image_check(const conseco_image *im, size_t *count)
{
    size_t elem, i;
    int rc;
    if (im == NULL || count == NULL) return CONSECO_E_NULL;
    elem = conseco__dtype_size(im->dtype);
    if (elem == 0) return CONSECO_E_BAD_DTYPE;
    if (im->reserved != 0) return CONSECO_E_INVALID_ARG;
    rc = check_layout(im->data, im->width, im->height, im->depth, im->row_stride,
                      im->slice_stride, elem, count);
    if (rc != CONSECO_OK) return rc;
    /* 0 = "not given" (reads as 1.0); otherwise finite and > 0 (NaN fails too) */
    for (i = 0; i < 3u; i++)
        if (im->spacing[i] != 0.0 && !(im->spacing[i] > 0.0 && conseco__is_finite(im->spacing[i])))
            return CONSECO_E_BAD_SPACING;
    return CONSECO_OK;
}

void conseco__image_spacing(const conseco_image *im, double out[3])
{
    size_t i;
    for (i = 0; i < 3u; i++) out[i] = im->spacing[i] == 0.0 ? 1.0 : im->spacing[i];
}

int conseco__mask_check(const conseco_mask *m, size_t *count)
{
    if (m == NULL || count == NULL) return CONSECO_E_NULL;
    return check_layout(m->data, m->width, m->height, m->depth, m->row_stride,
                        m->slice_stride, 1, count);
}

int conseco__mask_out_check(const conseco_mask_out *m, size_t *count)
{
    if (m == NULL || count == NULL) return CONSECO_E_NULL;
    return check_layout(m->data, m->width, m->height, m->depth, m->row_stride,
                        m->slice_stride, 1, count);
}

int conseco__same_shape(size_t w1, size_t h1, size_t d1, size_t w2, size_t h2, size_t d2)
{
    return (w1 == w2 && h1 == h2 && d1 == d2) ? CONSECO_OK : CONSECO_E_SIZE_MISMATCH;
}

int conseco__image_check_finite(const conseco_image *im)
{
    size_t x, y, z;
    if (im->dtype != CONSECO_DTYPE_F32 && im->dtype != CONSECO_DTYPE_F64) return CONSECO_OK;
    for (z = 0; z < im->depth; z++)
        for (y = 0; y < im->height; y++) {
            const unsigned char *row = conseco__image_row(im, y, z);
            if (im->dtype == CONSECO_DTYPE_F32) {
                const float *f = (const float *)(const void *)row;
                for (x = 0; x < im->width; x++)
                    if (!conseco__is_finite((double)f[x])) return CONSECO_E_NONFINITE;
            } else {
                const double *f = (const double *)(const void *)row;
                for (x = 0; x < im->width; x++)
                    if (!conseco__is_finite(f[x])) return CONSECO_E_NONFINITE;
            }
        }
    return CONSECO_OK;
}

int conseco_image_validate(const conseco_image *image)
{
    size_t n;
    return conseco__image_check(image, &n);
}

int conseco_mask_validate(const conseco_mask *mask)
{
    size_t n;
    return conseco__mask_check(mask, &n);
}

conseco_image conseco_image_2d(const void *data, size_t width, size_t height, size_t row_stride,
                               int dtype)
{
    return conseco_image_3d(data, width, height, 1, row_stride, height * row_stride, dtype);
}

conseco_image conseco_image_3d(const void *data, size_t width, size_t height, size_t depth,
                               size_t row_stride, size_t slice_stride, int dtype)
{
    conseco_image im;
    im.data = data;
    im.width = width;
    im.height = height;
    im.depth = depth;
    im.row_stride = row_stride;
    im.slice_stride = slice_stride;
    im.dtype = dtype;
    im.reserved = 0;
    im.spacing[0] = 1.0;
    im.spacing[1] = 1.0;
    im.spacing[2] = 1.0;
    return im;
}

conseco_mask conseco_mask_2d(const uint8_t *data, size_t width, size_t height, size_t row_stride)
{
    return conseco_mask_3d(data, width, height, 1, row_stride, height * row_stride);
}

conseco_mask conseco_mask_3d(const uint8_t *data, size_t width, size_t height, size_t depth,
                             size_t row_stride, size_t slice_stride)
{
    conseco_mask m;
    m.data = data;
    m.width = width;
    m.height = height;
    m.depth = depth;
    m.row_stride = row_stride;
    m.slice_stride = slice_stride;
    return m;
}

conseco_mask_out conseco_mask_out_2d(uint8_t *data, size_t width, size_t height,
                                     size_t row_stride)
{
    return conseco_mask_out_3d(data, width, height, 1, row_stride, height * row_stride);
}

conseco_mask_out conseco_mask_out_3d(uint8_t *data, size_t width, size_t height, size_t depth,
                                     size_t row_stride, size_t slice_stride)
{
    conseco_mask_out m;
    m.data = data;
    m.width = width;
    m.height = height;
    m.depth = depth;
    m.row_stride = row_stride;
    m.slice_stride = slice_stride;
    return m;
}
