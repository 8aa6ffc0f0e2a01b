/*
 * Declarations shared between the files of lib/. Never installed.
 * Internal names start with conseco__ so they cannot clash with the API.
 */
#ifndef CONSECO_INTERNAL_H
#define CONSECO_INTERNAL_H

#include "conseco.h"
#include "conseco_deps.h"

/* ------------------------------------------------------------- numbers */
/* IEEE-754 special values and tests without libm (x != x is the NaN test). */
static inline double conseco__inf(void)
{
    const uint64_t bits = UINT64_C(0x7FF0000000000000);
    double d;
    CONSECO_memcpy(&d, &bits, sizeof d);
    return d;
}
static inline int conseco__is_nan(double x) { return x != x; }
static inline int conseco__is_finite(double x) { return x == x && x - x == 0.0; }

/* a * b into *out; 0 and no write on size_t overflow. */
static inline int conseco__mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > (size_t)-1 / a) return 0;
    *out = a * b;
    return 1;
}
static inline int conseco__add_size(size_t a, size_t b, size_t *out)
{
    if (b > (size_t)-1 - a) return 0;
    *out = a + b;
    return 1;
}

/* Rounds a scratch pointer up to 16 bytes; callers reserve CONSECO__ALIGN_SLACK extra. */
#define CONSECO__ALIGN_SLACK 16u
static inline void *conseco__align16(void *p, size_t *size)
{
    uintptr_t a = (uintptr_t)p;
    size_t pad = (size_t)((16u - (a & 15u)) & 15u);
    if (*size < pad) { *size = 0; return p; }
    *size -= pad;
    return (unsigned char *)p + pad;
}

/* --------------------------------------------------------------- views */
/* Element size of a dtype, 0 if unknown. */
size_t conseco__dtype_size(int dtype);

/* Validate a view and return its pixel count (width*height*depth). */
int conseco__image_check(const conseco_image *image, size_t *count);
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

/* ------------------------------------------------------------ decision */
/* CONSECO_OK if tau in [0, 1], else CONSECO_E_BAD_TAU. */
int conseco__check_tau(double tau);

/* Largest m <= predicted with (double)m / (double)predicted <= tau.
 * predicted = 0 gives 0. This is the exact F <= tau rule of DESIGN.md. */
uint64_t conseco__fp_budget(uint64_t predicted, double tau);

/* --------------------------------------------------------------- shrinkers */
/* A shrinker with its vtable copied to the current layout (missing tail zeroed). */
typedef struct conseco__shrinker {
    conseco_shrinker_vtable vt;
    void *user;
    int kind; /* conseco_shrinker_kind, recognised by vtable identity */
} conseco__shrinker;

/* The checks shared by score and evaluate: shrinker, prediction view, truth
 * view and equal shapes, in that order (so errors are reported consistently). */
int conseco__check_pair(const conseco_shrinker *shrinker, const conseco_image *pred,
                        const conseco_mask *truth, struct conseco__shrinker *s);

/* Validate and normalise a public shrinker (vtable copy, params check). */
int conseco__shrinker_load(const conseco_shrinker *in, conseco__shrinker *out);

/* Range rules of a custom shrinker (shared by the vtable check and saved state):
 * known domain, finite lambda_min, lambda_max not NaN and >= lambda_min, and on
 * the integer domain an integral lambda_min with |lambda_min| <= 2^53.
 * CONSECO_OK or CONSECO_E_BAD_SHRINKER. */
int conseco__custom_range_check(uint32_t domain, double lambda_min, double lambda_max);

/* Built-in params checks. */
int conseco__threshold_params_check(const conseco_threshold_params *p);
int conseco__erosion_params_check(const conseco_erosion_params *p);

/* Threshold fast paths (threshold.c). */
size_t conseco__threshold_scratch_size(size_t width, size_t height, size_t depth);
int conseco__threshold_score(const conseco_threshold_params *p, const conseco_image *pred,
                             const conseco_mask *truth, double tau, void *scratch,
                             size_t scratch_size, double *score);
int conseco__threshold_apply(const conseco_threshold_params *p, const conseco_image *pred,
                             double lambda, const conseco_mask_out *inner,
                             const conseco_mask_out *uncertain);
int conseco__threshold_evaluate(const conseco_threshold_params *p, const conseco_image *pred,
                                const conseco_mask *truth, double lambda, double tau,
                                conseco_image_metrics *out);
/* vtable callbacks of the built-in threshold shrinker */
int conseco__threshold_levels_cb(void *user, const conseco_image *pred, double *levels,
                                 size_t count);
int conseco__threshold_apply_cb(void *user, const conseco_image *pred, double lambda,
                                uint8_t *inner, size_t count);
int conseco__threshold_breakpoints_cb(void *user, const conseco_image *pred, double *out,
                                      size_t capacity, size_t *count);

/* Erosion fast paths (distance.c, erosion.c). */
size_t conseco__erosion_scratch_size(const conseco_erosion_params *p, size_t width,
                                     size_t height, size_t depth);
int conseco__erosion_score(const conseco_erosion_params *p, const conseco_image *pred,
                           const conseco_mask *truth, double tau, void *scratch,
                           size_t scratch_size, double *score);
int conseco__erosion_apply(const conseco_erosion_params *p, const conseco_image *pred,
                           double lambda, void *scratch, size_t scratch_size,
                           const conseco_mask_out *inner, const conseco_mask_out *uncertain);
int conseco__erosion_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double lambda, double tau,
                              void *scratch, size_t scratch_size, conseco_image_metrics *out);
int conseco__erosion_levels_cb(void *user, const conseco_image *pred, double *levels,
                               size_t count);
int conseco__erosion_apply_cb(void *user, const conseco_image *pred, double lambda,
                              uint8_t *inner, size_t count);

/* Generic paths for custom shrinkers (shrinker.c). */
size_t conseco__custom_scratch_size(const conseco__shrinker *s, size_t width, size_t height,
                                    size_t depth);
int conseco__custom_score(const conseco__shrinker *s, const conseco_image *pred,
                          const conseco_mask *truth, double tau, void *scratch,
                          size_t scratch_size, double *score);
int conseco__custom_apply(const conseco__shrinker *s, const conseco_image *pred,
                          double lambda, void *scratch, size_t scratch_size,
                          const conseco_mask_out *inner, const conseco_mask_out *uncertain);
int conseco__custom_evaluate(const conseco__shrinker *s, const conseco_image *pred,
                             const conseco_mask *truth, double lambda, double tau,
                             void *scratch, size_t scratch_size, conseco_image_metrics *out);

/* ------------------------------------------------------------- quantile */
/* k-th smallest (1-based) in place; values must be NaN-free; 1 <= k <= n. */
double conseco__select(double *values, size_t n, size_t k);

/* Fill per-image metrics from counts (shared by every evaluate path). */
void conseco__metrics_fill(uint64_t predicted, uint64_t inner, uint64_t inner_fp,
                           uint64_t inner_tp, double tau, conseco_image_metrics *out);

#endif /* CONSECO_INTERNAL_H */
