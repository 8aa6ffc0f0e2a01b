/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Second floor: the shrinker kinds. Each kind (threshold*, erosion*,
 * distance*, custom) exports its public vtable getter and an operations table
 * `conseco__ops`, chosen once when a shrinker is loaded (api/shrinker.c keeps
 * the registry); the API files make one call through it. A new kind is a new
 * file and a registry row. Internal to lib/: never installed.
 */
#ifndef CONSECO_KINDS_H
#define CONSECO_KINDS_H

#include "common/numbers.h"
#include "common/views.h"
#include "common/decision.h"
#include "common/select.h"

/* Longest shrinker name (saved state holds it), without its NUL. */
#define CONSECO__NAME_MAX 31u

struct conseco__ops;

/* A loaded shrinker: its vtable copied to the current layout (missing tail
 * zeroed), the caller's user pointer (built-ins: their params struct) and
 * the operations of its kind. */
typedef struct conseco__shrinker {
    conseco_shrinker_vtable vt;
    void *user;
    const struct conseco__ops *ops;
} conseco__shrinker;

/* Room for the params of any built-in kind (the calibrator keeps a copy). */
typedef union conseco__params {
    conseco_threshold_params threshold;
    conseco_erosion_params erosion;
    conseco_smooth_params smooth;
    double align_;
} conseco__params;

/* The kind-specific fields of a saved state, as bit patterns (zero when unused). */
typedef struct conseco__saved_params {
    uint32_t element;
    uint32_t border;
    uint64_t base;
    uint64_t top;
} conseco__saved_params;

/* Side settings as the kinds see them (docs/DESIGN.md section 5.2), checked
 * by the API: side is OUTER or BAND, tau_outer in [0, 1], bottom finite. */
typedef struct conseco__side {
    uint32_t side;    /* conseco_side */
    double tau_outer; /* BAND */
    double bottom;    /* OUTER threshold lowering */
} conseco__side;

/* What each kind provides. Every member up to `params_info` is set (custom
 * included); the side members after it may be NULL: no outer family. */
typedef struct conseco__ops {
    uint32_t kind;                          /* conseco_shrinker_kind, stored in state */
    const conseco_shrinker_vtable *vtable;  /* the public built-in vtable; NULL: custom */
    size_t params_size;                     /* bytes of params the calibrator copies; 0: custom */
    /* Validates `in` (whose vtable selected this kind) and fills `out`. */
    int (*load)(const conseco_shrinker *in, conseco__shrinker *out);
    size_t (*scratch_size)(const conseco__shrinker *s, size_t width, size_t height,
                           size_t depth);
    int (*score)(const conseco__shrinker *s, const conseco_image *pred,
                 const conseco_mask *truth, double tau, void *scratch, size_t scratch_size,
                 double *score);
    int (*apply)(const conseco__shrinker *s, const conseco_image *pred, double lambda,
                 void *scratch, size_t scratch_size, const conseco_mask_out *inner,
                 const conseco_mask_out *uncertain);
    int (*evaluate)(const conseco__shrinker *s, const conseco_image *pred,
                    const conseco_mask *truth, double lambda, double tau, void *scratch,
                    size_t scratch_size, conseco_image_metrics *out);
    /* The level map of every pixel (n = pixel count, checked view), NaN-free;
     * CONSECO_E_UNSUPPORTED when this shrinker has none (black box). */
    int (*levels)(const conseco__shrinker *s, const conseco_image *pred, double *levels,
                  size_t n);
    /* State: the params as saved fields, and the check of saved fields (with
     * the saved domain, range and NUL-padded name) against what this kind
     * would write; CONSECO_OK or CONSECO_E_CORRUPT. */
    void (*params_save)(const conseco__shrinker *s, conseco__saved_params *out);
    int (*saved_check)(const conseco__saved_params *p, uint32_t domain, double lambda_min,
                       double lambda_max, const char *name);
    /* Fills the params members of a state info from saved fields. */
    void (*params_info)(const conseco__saved_params *p, conseco_state_info *info);
    /* ---- sides (outer.c for the built-ins); NULL: CONSECO_E_UNSUPPORTED */
    /* 1 if this kind's OUTER scores are thresholds (lambda_hat = k-th largest). */
    int outer_descending;
    /* score_only: what side_score needs (the calibrator's scratch); else what
     * score, apply and evaluate (at one or many lambdas) need. 0 on overflow. */
    size_t (*side_scratch_size)(const conseco__shrinker *s, uint32_t side, int score_only,
                                size_t width, size_t height, size_t depth);
    /* Checks the side against the params (bottom <= base...): CONSECO_OK or a status. */
    int (*side_check)(const conseco__shrinker *s, const conseco__side *side);
    int (*side_score)(const conseco__shrinker *s, const conseco__side *side,
                      const conseco_image *pred, const conseco_mask *truth, double tau,
                      void *scratch, size_t scratch_size, double *score);
    int (*side_apply)(const conseco__shrinker *s, const conseco__side *side,
                      const conseco_image *pred, double lambda, void *scratch,
                      size_t scratch_size, const conseco_mask_out *inner,
                      const conseco_mask_out *outer, const conseco_mask_out *band);
    int (*side_evaluate)(const conseco__shrinker *s, const conseco__side *side,
                         const conseco_image *pred, const conseco_mask *truth, double lambda,
                         double tau, void *scratch, size_t scratch_size,
                         conseco_side_metrics *out);
    /* Metrics at count lambdas from one level map; NULL: side_evaluate per lambda. */
    int (*side_evaluate_many)(const conseco__shrinker *s, const conseco__side *side,
                              const conseco_image *pred, const conseco_mask *truth,
                              const double *lambdas, size_t count, double tau, void *scratch,
                              size_t scratch_size, conseco_side_metrics *out);
    /* Expected risk of the outer side (docs/DESIGN.md 5.3): every pixel's
     * outer level M with p in O_mu <=> M <= mu (threshold lowering: M = -s,
     * mu = -t), n doubles at levels; scratch of side_scratch_size(OUTER, 0).
     * NULL: CONSECO_E_UNSUPPORTED. */
    int (*outer_levels)(const conseco__shrinker *s, const conseco__side *side,
                        const conseco_image *pred, void *scratch, size_t scratch_size,
                        double *levels, size_t n);
} conseco__ops;

extern const conseco__ops conseco__threshold_ops;
extern const conseco__ops conseco__erosion_ops;
extern const conseco__ops conseco__smooth_ops;
extern const conseco__ops conseco__custom_ops;

/* The one vtable validation (docs/DESIGN.md, conseco.h): version, struct_size
 * for that version, reserved, name; copies the vtable into *out with the
 * newer tail zeroed. CONSECO_E_NULL or CONSECO_E_BAD_SHRINKER. */
int conseco__vtable_load(const conseco_shrinker_vtable *vt, conseco_shrinker_vtable *out);

/* 1 if name is 1..31 bytes of 0x21..0x7e followed by a NUL (read at most 32 bytes). */
int conseco__name_ok(const char *name);

/* Range rules of a custom shrinker (shared by the vtable check and saved state):
 * known domain, finite lambda_min, lambda_max not NaN and >= lambda_min, and on
 * the integer domain an integral lambda_min with |lambda_min| <= 2^53.
 * CONSECO_OK or CONSECO_E_BAD_SHRINKER. */
int conseco__custom_range_check(uint32_t domain, double lambda_min, double lambda_max);

/* Saved domain, range (bitwise) and name equal to a built-in's loaded vtable:
 * CONSECO_OK, else CONSECO_E_CORRUPT. */
int conseco__builtin_saved_match(const conseco_shrinker_vtable *vt, uint32_t domain,
                                 double lambda_min, double lambda_max, const char *name);

/* Built-in params checks: struct_size, reserved, then the ranges. */
int conseco__threshold_params_check(const conseco_threshold_params *p);
int conseco__erosion_params_check(const conseco_erosion_params *p);
int conseco__smooth_params_check(const conseco_smooth_params *p);

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

/* The ball-mm element (erosion_mm.c; the erosion functions above dispatch to it). */
size_t conseco__erosion_mm_scratch_size(size_t width, size_t height, size_t depth);
int conseco__erosion_mm_score(const conseco_erosion_params *p, const conseco_image *pred,
                              const conseco_mask *truth, double tau, void *scratch,
                              size_t scratch_size, double *score);
int conseco__erosion_mm_apply(const conseco_erosion_params *p, const conseco_image *pred,
                              double lambda, void *scratch, size_t scratch_size,
                              const conseco_mask_out *inner, const conseco_mask_out *uncertain);
int conseco__erosion_mm_evaluate(const conseco_erosion_params *p, const conseco_image *pred,
                                 const conseco_mask *truth, double lambda, double tau,
                                 void *scratch, size_t scratch_size,
                                 conseco_image_metrics *out);
/* Level map of a checked call (n pixels, n doubles at levels). */
int conseco__erosion_mm_levels(const conseco_erosion_params *p, const conseco_image *pred,
                               double *levels, size_t n);

/* Sides of the built-ins (outer.c): dilation for erosion params, threshold
 * lowering and the threshold offset band for threshold params. */
size_t conseco__erosion_side_scratch_size(const conseco__shrinker *s, uint32_t side, int score_only,
                                          size_t width, size_t height, size_t depth);
int conseco__erosion_side_check(const conseco__shrinker *s, const conseco__side *side);
int conseco__erosion_side_score(const conseco__shrinker *s, const conseco__side *side,
                                const conseco_image *pred, const conseco_mask *truth,
                                double tau, void *scratch, size_t scratch_size, double *score);
int conseco__erosion_side_apply(const conseco__shrinker *s, const conseco__side *side,
                                const conseco_image *pred, double lambda, void *scratch,
                                size_t scratch_size, const conseco_mask_out *inner,
                                const conseco_mask_out *outer, const conseco_mask_out *band);
int conseco__erosion_side_evaluate(const conseco__shrinker *s, const conseco__side *side,
                                   const conseco_image *pred, const conseco_mask *truth,
                                   double lambda, double tau, void *scratch,
                                   size_t scratch_size, conseco_side_metrics *out);
int conseco__erosion_side_evaluate_many(const conseco__shrinker *s, const conseco__side *side,
                                        const conseco_image *pred, const conseco_mask *truth,
                                        const double *lambdas, size_t count, double tau,
                                        void *scratch, size_t scratch_size,
                                        conseco_side_metrics *out);
size_t conseco__threshold_side_scratch_size(const conseco__shrinker *s, uint32_t side, int score_only,
                                            size_t width, size_t height, size_t depth);
int conseco__threshold_side_check(const conseco__shrinker *s, const conseco__side *side);
int conseco__threshold_side_score(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, const conseco_mask *truth,
                                  double tau, void *scratch, size_t scratch_size,
                                  double *score);
int conseco__threshold_side_apply(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, double lambda, void *scratch,
                                  size_t scratch_size, const conseco_mask_out *inner,
                                  const conseco_mask_out *outer, const conseco_mask_out *band);
int conseco__threshold_side_evaluate(const conseco__shrinker *s, const conseco__side *side,
                                     const conseco_image *pred, const conseco_mask *truth,
                                     double lambda, double tau, void *scratch,
                                     size_t scratch_size, conseco_side_metrics *out);

int conseco__erosion_outer_levels(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, void *scratch, size_t scratch_size,
                                  double *levels, size_t n);
int conseco__threshold_outer_levels(const conseco__shrinker *s, const conseco__side *side,
                                    const conseco_image *pred, void *scratch,
                                    size_t scratch_size, double *levels, size_t n);
int conseco__custom_outer_levels(const conseco__shrinker *s, const conseco__side *side,
                                 const conseco_image *pred, void *scratch, size_t scratch_size,
                                 double *levels, size_t n);

/* Outer sets and bands of custom shrinkers (custom_outer.c, vt.outer_levels). */
size_t conseco__custom_side_scratch_size(const conseco__shrinker *s, uint32_t side,
                                         int score_only, size_t width, size_t height,
                                         size_t depth);
int conseco__custom_side_check(const conseco__shrinker *s, const conseco__side *side);
int conseco__custom_side_score(const conseco__shrinker *s, const conseco__side *side,
                               const conseco_image *pred, const conseco_mask *truth, double tau,
                               void *scratch, size_t scratch_size, double *score);
int conseco__custom_side_apply(const conseco__shrinker *s, const conseco__side *side,
                               const conseco_image *pred, double lambda, void *scratch,
                               size_t scratch_size, const conseco_mask_out *inner,
                               const conseco_mask_out *outer, const conseco_mask_out *band);
int conseco__custom_side_evaluate(const conseco__shrinker *s, const conseco__side *side,
                                  const conseco_image *pred, const conseco_mask *truth,
                                  double lambda, double tau, void *scratch, size_t scratch_size,
                                  conseco_side_metrics *out);

/* Generic paths for custom shrinkers (custom.c). */
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

#endif /* CONSECO_KINDS_H */
