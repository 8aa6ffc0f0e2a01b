/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libconseco: conformal false-positive control for binary segmentation.
 *
 * Given a model's output for an image, libconseco returns a confidence mask:
 * the part of the prediction that, with probability at least 1 - alpha over
 * exchangeable calibration/test draws, keeps at most a fraction tau of
 * false-positive pixels (Mossina & Friedrich, arXiv 2511.15406).
 *
 * This is the only public header. The stable API comes first; the block
 * guarded by CONSECO_STATIC_LINKING_ONLY at the end is experimental and only
 * available to static users.
 *
 * Conventions used throughout:
 *  - Every function that can fail returns an int status: CONSECO_OK (0) or a
 *    negative conseco_status. Outputs are written only on success unless a
 *    function says otherwise.
 *  - No function allocates memory except the calibrator created through
 *    conseco_calibrator_create(), and then only through its allocator.
 *  - Pure functions take caller-owned scratch sized by conseco_scratch_size().
 *  - Pixels are addressed x fastest, then y, then z (slice).
 *  - Thread safety: distinct objects may be used from distinct threads; one
 *    calibrator must not be used from two threads at once.
 *  - Callbacks and threads: conseco_calibrator_add_batch() may call a custom
 *    shrinker's callbacks (levels, apply, breakpoints) from several threads
 *    at once, all with the same `user` pointer. Callbacks must therefore be
 *    reentrant: read `user` only, or guard what they write (atomics, a lock).
 *    Every other function calls them from the calling thread only.
 *  - Structs that may grow start with `uint32_t struct_size` (set it to
 *    sizeof as you compiled it, or use the _default()/_init() functions);
 *    members are only appended, and a zero member means "the old behaviour".
 *  - The contract (definitions, the F <= tau rule, the exact algorithms) is
 *    docs/DESIGN.md in the source tree.
 *
 * Build macros (define when compiling the library; CMake options of the same
 * names, ON/OFF, set them):
 *  - CONSECO_FREESTANDING=1: no libc but mem* (conseco_deps.h); no malloc, so
 *    only conseco_calibrator_init_static() creates calibrators; no SIMD.
 *  - CONSECO_NO_THREADS: conseco_calibrator_add_batch() scores in the calling
 *    thread only (no pthreads).
 *  - CONSECO_NO_SIMD: plain C instead of SSE2 (x86-64) or NEON (aarch64);
 *    same results.
 *  - CONSECO_STRIP_ERROR_STRINGS: conseco_strerror() returns the code name
 *    instead of a sentence (smaller firmware images).
 *  - CONSECO_DEBUG: reserved for internal consistency checks during development;
 *    accepted by the build, changes nothing in 0.2.
 */
#ifndef CONSECO_H
#define CONSECO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- export */
#if defined(CONSECO_BUILDING_SHARED) && defined(CONSECO_USING_SHARED)
#error "Define at most one of CONSECO_BUILDING_SHARED and CONSECO_USING_SHARED"
#endif

#ifndef CONSECO_API
#if defined(_WIN32)
#if defined(CONSECO_BUILDING_SHARED)
#define CONSECO_API __declspec(dllexport)
#elif defined(CONSECO_USING_SHARED)
#define CONSECO_API __declspec(dllimport)
#else
#define CONSECO_API
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define CONSECO_API __attribute__((visibility("default")))
#else
#define CONSECO_API
#endif
#endif

#ifndef CONSECO_DEPRECATED
#if defined(__GNUC__)
#define CONSECO_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#define CONSECO_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#define CONSECO_DEPRECATED(msg)
#endif
#endif

/* --------------------------------------------------------------- version */
/* The header is the only source of the version; CMake reads these lines. */
#define CONSECO_VERSION_MAJOR 0
#define CONSECO_VERSION_MINOR 2
#define CONSECO_VERSION_PATCH 0
#define CONSECO_VERSION_NUMBER \
    (CONSECO_VERSION_MAJOR * 10000 + CONSECO_VERSION_MINOR * 100 + CONSECO_VERSION_PATCH)
#define CONSECO_STRINGIFY_(x) #x
#define CONSECO_STRINGIFY(x) CONSECO_STRINGIFY_(x)
#define CONSECO_VERSION_STRING                                                    \
    CONSECO_STRINGIFY(CONSECO_VERSION_MAJOR)                                      \
    "." CONSECO_STRINGIFY(CONSECO_VERSION_MINOR) "." CONSECO_STRINGIFY(CONSECO_VERSION_PATCH)

/** @return CONSECO_VERSION_NUMBER of the linked library (may differ from the header's). */
CONSECO_API unsigned conseco_version_number(void);
/** @return "MAJOR.MINOR.PATCH" of the linked library; static storage, never NULL. */
CONSECO_API const char *conseco_version_string(void);

/* ---------------------------------------------------------------- status */
/**
 * Status codes. Values are fixed forever; new codes are only appended.
 * Do not rely on a "last code": there is deliberately none.
 */
typedef enum conseco_status {
    CONSECO_OK = 0,
    CONSECO_E_NULL = -1,              /**< a required pointer is NULL */
    CONSECO_E_INVALID_ARG = -2,       /**< an enum or flag value is out of range */
    CONSECO_E_BAD_SIZE = -3,          /**< width, height or depth is zero */
    CONSECO_E_BAD_STRIDE = -4,        /**< a row or slice stride is smaller than its content */
    CONSECO_E_MISALIGNED = -5,        /**< data or stride not a multiple of the element size */
    CONSECO_E_OVERFLOW = -6,          /**< a size computation would overflow size_t */
    CONSECO_E_BAD_DTYPE = -7,         /**< unknown element type */
    CONSECO_E_NONFINITE = -8,         /**< NaN or infinite value in a score map */
    CONSECO_E_BAD_ALPHA = -9,         /**< alpha not in the open interval (0, 1) */
    CONSECO_E_BAD_TAU = -10,          /**< tau not in the closed interval [0, 1] */
    CONSECO_E_BAD_LAMBDA = -11,       /**< lambda is NaN */
    CONSECO_E_SIZE_MISMATCH = -12,    /**< prediction, truth and output shapes differ */
    CONSECO_E_SCRATCH_TOO_SMALL = -13,/**< scratch smaller than conseco_scratch_size() */
    CONSECO_E_BUFFER_TOO_SMALL = -14, /**< an output buffer is too small */
    CONSECO_E_NO_MEMORY = -15,        /**< the allocator returned NULL */
    CONSECO_E_CALLBACK = -16,         /**< a shrinker callback failed or returned bad data */
    CONSECO_E_BAD_SHRINKER = -17,     /**< invalid vtable or shrinker parameters */
    CONSECO_E_NOT_NESTED = -18,       /**< a custom shrinker produced sets that are not nested */
    CONSECO_E_INCOMPATIBLE = -19,     /**< calibrators/state with different shrinker or tau */
    CONSECO_E_FOREIGN = -20,          /**< bytes are not a libconseco state (bad magic) */
    CONSECO_E_VERSION = -21,          /**< state written by an unsupported format version */
    CONSECO_E_TRUNCATED = -22,        /**< state shorter than its header says */
    CONSECO_E_CORRUPT = -23,          /**< state checksum or fields inconsistent */
    CONSECO_E_BAD_SCORE = -24,        /**< a calibration score is NaN, or -inf (+inf for outer threshold lowering) */
    CONSECO_E_FULL = -25,             /**< a static calibrator reached its capacity */
    CONSECO_E_UNSUPPORTED = -26,      /**< feature compiled out or not available for this input */
    CONSECO_E_TOO_LARGE = -27,        /**< input larger than the static workspace allows */
    CONSECO_E_BAD_SPACING = -28,      /**< an image spacing is NaN, infinite or negative */
    CONSECO_E_BAD_BOTTOM = -29        /**< threshold lowering's bottom is not finite or above base */
} conseco_status;

/**
 * @return a static, human-readable description of a status; never NULL, also
 *         for unknown values. With CONSECO_STRIP_ERROR_STRINGS the text is
 *         reduced to a short code name.
 */
CONSECO_API const char *conseco_strerror(int status);
/** @return the enumerator's name ("CONSECO_E_NULL"), or "CONSECO_E_UNKNOWN"; never NULL. */
CONSECO_API const char *conseco_status_name(int status);

/* ----------------------------------------------------------------- views */
/** Element type of a score map. */
typedef enum conseco_dtype {
    CONSECO_DTYPE_U8 = 1,   /**< uint8_t, score = value / 255 */
    CONSECO_DTYPE_U16 = 2,  /**< uint16_t, score = value / 65535 */
    CONSECO_DTYPE_F32 = 3,  /**< float, used as is (must be finite) */
    CONSECO_DTYPE_F64 = 4,  /**< double, used as is (must be finite) */
    CONSECO_DTYPE_MASK8 = 5 /**< uint8_t binary mask: nonzero = score 1, zero = score 0 */
} conseco_dtype;

/**
 * A read-only view of a score map (or volume) in caller-owned memory; nothing
 * is copied. Strides are in bytes. For 2-D images set depth = 1 (the slice
 * stride is then ignored). Data and strides must be multiples of the element
 * size. Pixel (x, y, z) is at data + z*slice_stride + y*row_stride + x*elem.
 * spacing: voxel size in mm along x, y, z; an entry of 0 means "not given"
 * and reads as 1.0 (zero-initialised views keep working); otherwise finite
 * and > 0, else CONSECO_E_BAD_SPACING. Masks carry no spacing.
 */
typedef struct conseco_image {
    const void *data;
    size_t width;
    size_t height;
    size_t depth;
    size_t row_stride;
    size_t slice_stride;
    int dtype; /**< conseco_dtype */
    int reserved; /**< must be 0 */
    double spacing[3]; /**< voxel size along x, y, z (mm); 0 = 1.0 */
} conseco_image;

/** A read-only uint8 mask view: nonzero = inside. Same layout rules as conseco_image. */
typedef struct conseco_mask {
    const uint8_t *data;
    size_t width;
    size_t height;
    size_t depth;
    size_t row_stride;
    size_t slice_stride;
} conseco_mask;

/** A writable uint8 mask view: the library writes 1 inside and 0 outside. */
typedef struct conseco_mask_out {
    uint8_t *data;
    size_t width;
    size_t height;
    size_t depth;
    size_t row_stride;
    size_t slice_stride;
} conseco_mask_out;

/** 2-D view helper: depth 1, slice stride height * row_stride, spacing {1, 1, 1}. No validation here. */
CONSECO_API conseco_image conseco_image_2d(const void *data, size_t width, size_t height,
                                           size_t row_stride, int dtype);
/** 3-D view helper; spacing {1, 1, 1}. No validation here. */
CONSECO_API conseco_image conseco_image_3d(const void *data, size_t width, size_t height,
                                           size_t depth, size_t row_stride,
                                           size_t slice_stride, int dtype);
CONSECO_API conseco_mask conseco_mask_2d(const uint8_t *data, size_t width, size_t height,
                                         size_t row_stride);
CONSECO_API conseco_mask conseco_mask_3d(const uint8_t *data, size_t width, size_t height,
                                         size_t depth, size_t row_stride, size_t slice_stride);
CONSECO_API conseco_mask_out conseco_mask_out_2d(uint8_t *data, size_t width, size_t height,
                                                 size_t row_stride);
CONSECO_API conseco_mask_out conseco_mask_out_3d(uint8_t *data, size_t width, size_t height,
                                                 size_t depth, size_t row_stride,
                                                 size_t slice_stride);

/** Checks a view (pointers, sizes, strides, alignment, overflow, spacing); does not read pixels. */
CONSECO_API int conseco_image_validate(const conseco_image *image);
CONSECO_API int conseco_mask_validate(const conseco_mask *mask);

/* ------------------------------------------------------------- shrinkers */
/** How lambda ranges over Lambda = [lambda_min, lambda_max]. */
typedef enum conseco_domain {
    CONSECO_DOMAIN_REAL = 1,    /**< any real in the range; breakpoints decide (threshold) */
    CONSECO_DOMAIN_INTEGER = 2  /**< lambda_min, lambda_min + 1, ... (erosion) */
} conseco_domain;

/** Version of conseco_shrinker_vtable this header describes. */
#define CONSECO_SHRINKER_VERSION 2u

/**
 * A nested shrinker: for a prediction X it defines inner sets I_lambda(X),
 * non-increasing in lambda, with I_lambda_min(X) = Yhat (the predicted mask).
 *
 * Versioning: set struct_size = sizeof(conseco_shrinker_vtable) and
 * version = CONSECO_SHRINKER_VERSION. Version N declares which members exist
 * (version 1: levels, apply, breakpoints, destroy; version 2: outer_levels);
 * members are only ever
 * appended, under a new version. Accepted: 1 <= version <=
 * CONSECO_SHRINKER_VERSION and struct_size at least the end of the members
 * of that version. The library copies min(struct_size, its own sizeof) bytes
 * and treats the rest as zero, so a vtable compiled against an older header
 * keeps working. `reserved` must be 0; `name` must be non-NULL, 1 to 31
 * bytes of printable ASCII without spaces (0x21..0x7e). One validation
 * (conseco_shrinker_validate) gives the same answer everywhere a shrinker
 * is taken: CONSECO_E_BAD_SHRINKER otherwise.
 *
 * A shrinker provides at least one of:
 *  - levels (fast path): for every pixel p, the level L(p) such that
 *    p in I_lambda  <=>  L(p) >= lambda. Pixels outside Yhat get any level
 *    below lambda_min (-INFINITY is fine); +INFINITY means "never removed".
 *  - apply (black-box path): writes I_lambda for a given lambda. The library
 *    then searches lambda itself: doubling then bisection on the integer
 *    domain; on the real domain over the breakpoints returned by
 *    `breakpoints` (required with apply on the real domain).
 * Optionally (version 2) an outer family for the OUTER and BAND sides
 * (experimental conseco_side_* functions, docs/DESIGN.md 5.2):
 *  - outer_levels: for every pixel p, the level M(p) such that
 *    p in O_mu  <=>  M(p) <= mu, non-decreasing sets with O_lambda_min = Yhat:
 *    pixels of Yhat get lambda_min or less (-INFINITY is fine), the others
 *    more; +INFINITY means "never added". Same domain and range as the inner
 *    family (a band uses one lambda for both). A band also needs `levels`.
 * Callbacks return CONSECO_OK or any nonzero value; nonzero surfaces to the
 * caller as CONSECO_E_CALLBACK. Dense outputs hold width*height*depth
 * elements, x fastest. Callbacks must be reentrant: conseco_calibrator_add_batch()
 * calls them from several threads at once with the same `user`.
 */
typedef struct conseco_shrinker_vtable {
    uint32_t struct_size; /**< sizeof(conseco_shrinker_vtable) as the caller compiled it */
    uint32_t version;     /**< CONSECO_SHRINKER_VERSION */
    const char *name;     /**< 1..31 printable ASCII bytes, no space (stored in saved state) */
    uint32_t domain;      /**< conseco_domain */
    uint32_t reserved;    /**< must be 0 */
    double lambda_min;    /**< lambda_0: I_lambda_min = Yhat */
    double lambda_max;    /**< largest lambda (may be +INFINITY) */
    /* version 1 */
    int (*levels)(void *user, const conseco_image *pred, double *levels, size_t count);
    int (*apply)(void *user, const conseco_image *pred, double lambda, uint8_t *inner,
                 size_t count);
    /** Candidate lambdas of the real domain; capacity is width*height*depth + 2. */
    int (*breakpoints)(void *user, const conseco_image *pred, double *out, size_t capacity,
                       size_t *count);
    /** Called by conseco_calibrator_free() on `user` when the calibrator owns it; may be NULL. */
    void (*destroy)(void *user);
    /* version 2 */
    /** Outer levels (see above); NULL: no outer family (CONSECO_E_UNSUPPORTED for OUTER/BAND). */
    int (*outer_levels)(void *user, const conseco_image *pred, double *levels, size_t count);
} conseco_shrinker_vtable;

/** A shrinker instance: a vtable and the user pointer passed to its callbacks. */
typedef struct conseco_shrinker {
    const conseco_shrinker_vtable *vtable;
    void *user;
} conseco_shrinker;

/** Structuring elements of the erosion shrinker (2-D names; 3-D uses 6-, 26-neighbours, ball). */
typedef enum conseco_element {
    CONSECO_ELEMENT_CROSS = 1,  /**< 4-connectivity; lambda erosions = L1 distance */
    CONSECO_ELEMENT_SQUARE = 2, /**< 8-connectivity; lambda erosions = L-infinity distance */
    CONSECO_ELEMENT_DISK = 3,   /**< one erosion by the Euclidean disk of radius lambda */
    /** Ball in millimetres ("ball-mm"): I_lambda = {p in Yhat : d_mm(p) > lambda}, lambda
     * real >= 0, d_mm(p) the double nearest to the exact Euclidean distance (using the
     * image spacing) from p's centre to the nearest voxel centre outside Yhat; the
     * shrinker's domain is then real. Spacings in [2^-256, 2^256] mm, else
     * CONSECO_E_BAD_SPACING; box sides below 2^25 (docs/DESIGN.md 5.1). Use the
     * vtable of conseco_erosion_vtable() itself: a copy of it is a custom shrinker on the
     * integer domain. */
    CONSECO_ELEMENT_BALL_MM = 4
} conseco_element;

/** What the erosion sees outside the image. */
typedef enum conseco_border {
    CONSECO_BORDER_FOREGROUND = 1, /**< outside counts as inside the mask: the border does not erode (default) */
    CONSECO_BORDER_BACKGROUND = 2  /**< outside counts as background (scipy.ndimage's default) */
} conseco_border;

/**
 * Threshold shrinker (paper Eq. 1): Yhat = {s >= base}, I_lambda = {s >= lambda}, lambda in [base, top].
 * Params structs start with struct_size (set by the _default() function): the
 * library reads min(struct_size, its sizeof) bytes and zero-fills the rest;
 * struct_size below the 0.2 layout, or reserved != 0, is CONSECO_E_BAD_SHRINKER.
 */
typedef struct conseco_threshold_params {
    uint32_t struct_size; /**< sizeof(conseco_threshold_params) */
    uint32_t reserved;    /**< must be 0 */
    double base; /**< default 0.5 */
    double top;  /**< default 1.0; must satisfy base <= top, both finite */
} conseco_threshold_params;

/** Erosion shrinker (paper Eq. 2): Yhat = {s >= base} eroded lambda = 0, 1, 2, ... times. */
typedef struct conseco_erosion_params {
    uint32_t struct_size; /**< sizeof(conseco_erosion_params) */
    uint32_t element; /**< conseco_element, default CROSS */
    uint32_t border;  /**< conseco_border, default FOREGROUND */
    uint32_t reserved; /**< must be 0 */
    double base;      /**< default 0.5; threshold that makes Yhat from the score map */
} conseco_erosion_params;

/** What the smooth shrinker does to the score map before thresholding it. */
typedef enum conseco_smooth_filter {
    CONSECO_SMOOTH_GAUSS = 1, /**< separable Gaussian blur of width sigma (the default) */
    CONSECO_SMOOTH_MIN = 2    /**< grey erosion (min filter) by element of radius `radius` */
} conseco_smooth_filter;

/** Units of the smooth shrinker's sigma. */
typedef enum conseco_units {
    CONSECO_UNITS_PIXELS = 1, /**< pixels (voxels) along every axis (the default) */
    CONSECO_UNITS_MM = 2      /**< millimetres: sigma / spacing[axis] pixels along each axis */
} conseco_units;

/** Largest sigma of the smooth shrinker along any axis, in pixels (the kernel is 4 sigma wide). */
#define CONSECO_SMOOTH_SIGMA_MAX 16.0
/** Largest radius of the smooth shrinker's min filter, in pixels. */
#define CONSECO_SMOOTH_RADIUS_MAX 32u

/**
 * Smooth shrinker (docs/DESIGN.md "Smooth shrinker"): Yhat = {s >= base} from
 * the raw scores; levels L = G_sigma * s (separable Gaussian over the whole
 * map, truncated at 4 sigma, edge pixels replicated; axes of length 1 are not
 * blurred) or L = the minimum of s over the element of radius `radius`
 * (filter MIN); I_lambda = Yhat and {L >= lambda}, lambda real. Every member
 * is checked whatever the filter: sigma finite in (0, CONSECO_SMOOTH_SIGMA_MAX]
 * (in mm: sigma / spacing must not exceed it on an axis that is blurred, else
 * CONSECO_E_BAD_SHRINKER when the image is seen), units PIXELS or MM, element
 * CROSS, SQUARE or DISK, 1 <= radius <= CONSECO_SMOOTH_RADIUS_MAX.
 */
typedef struct conseco_smooth_params {
    uint32_t struct_size; /**< sizeof(conseco_smooth_params) */
    uint32_t reserved;    /**< must be 0 */
    double base;          /**< default 0.5; Yhat = {s >= base}, finite */
    double sigma;         /**< default 1.0 (GAUSS) */
    uint32_t filter;      /**< conseco_smooth_filter, default GAUSS */
    uint32_t element;     /**< conseco_element (MIN), default CROSS */
    uint32_t radius;      /**< MIN: radius in pixels, default 1 */
    uint32_t units;       /**< conseco_units of sigma, default PIXELS */
} conseco_smooth_params;

/** Sets struct_size and the defaults; call before setting fields. */
CONSECO_API void conseco_threshold_params_default(conseco_threshold_params *params);
CONSECO_API void conseco_erosion_params_default(conseco_erosion_params *params);
CONSECO_API void conseco_smooth_params_default(conseco_smooth_params *params);

/** The built-in vtables; `user` must point to the matching params struct. */
CONSECO_API const conseco_shrinker_vtable *conseco_threshold_vtable(void);
CONSECO_API const conseco_shrinker_vtable *conseco_erosion_vtable(void);
CONSECO_API const conseco_shrinker_vtable *conseco_smooth_vtable(void);

/** Convenience: {conseco_threshold_vtable(), params}. params must outlive the use. */
CONSECO_API conseco_shrinker conseco_shrinker_threshold(conseco_threshold_params *params);
CONSECO_API conseco_shrinker conseco_shrinker_erosion(conseco_erosion_params *params);
CONSECO_API conseco_shrinker conseco_shrinker_smooth(conseco_smooth_params *params);

/** Checks a shrinker: vtable size/version/reserved/name/domain/range, callbacks, built-in params. */
CONSECO_API int conseco_shrinker_validate(const conseco_shrinker *shrinker);

/* -------------------------------------------------------- pure functions */
/**
 * Bytes of scratch that conseco_score(), conseco_apply() and
 * conseco_evaluate_image() need for this shrinker and any image of at most
 * these dimensions and any element type. Scratch needs no particular
 * alignment. @return 0 if the arguments are invalid or the size overflows.
 */
CONSECO_API size_t conseco_scratch_size(const conseco_shrinker *shrinker, size_t width,
                                        size_t height, size_t depth);

/**
 * Nonconformity score of one calibration pair (paper Eq. 4, docs/DESIGN.md section 1):
 * r = inf { lambda in Lambda : F_lambda <= tau }, +INFINITY if none.
 * F <= tau is decided as (double)kept / (double)|Yhat| <= tau. An empty
 * prediction scores lambda_min.
 * @param truth ground-truth mask, same shape as pred.
 * @param tau   tolerance in [0, 1].
 * @param score out: the score (may be +INFINITY).
 */
CONSECO_API int conseco_score(const conseco_shrinker *shrinker, const conseco_image *pred,
                              const conseco_mask *truth, double tau, void *scratch,
                              size_t scratch_size, double *score);

/**
 * Applies lambda: writes the inner mask I_lambda and, if `uncertain` is not
 * NULL, the uncertain region U = Yhat \ I_lambda (1 inside, 0 outside, every
 * pixel written). lambda = +INFINITY gives the empty inner mask. `inner`
 * may be NULL when only the uncertain region is wanted (not both NULL).
 */
CONSECO_API int conseco_apply(const conseco_shrinker *shrinker, const conseco_image *pred,
                              double lambda, void *scratch, size_t scratch_size,
                              const conseco_mask_out *inner,
                              const conseco_mask_out *uncertain);

/* ---------------------------------------------------------------- ranks */
/**
 * The conformal rank k = ceil((n + 1)(1 - alpha)), computed exactly for alpha
 * read as the shortest decimal that rounds to it (0.1, 0.18, 0.05, ...), in
 * integer arithmetic. k may be n + 1 or more: then lambda_hat = +INFINITY.
 */
CONSECO_API int conseco_rank(size_t n, double alpha, size_t *k);

/** Same as conseco_rank() with alpha = numerator / denominator exactly (0 < num < den). */
CONSECO_API int conseco_rank_rational(size_t n, uint64_t alpha_numerator,
                                      uint64_t alpha_denominator, size_t *k);

/** Smallest n with conseco_rank(n, alpha) <= n, i.e. a finite lambda_hat is possible. */
CONSECO_API int conseco_min_calibration_size(double alpha, size_t *n_min);

/**
 * The k-th smallest (1-based) of n values, in expected and worst-case O(n).
 * Reorders `values` in place. NaN values are rejected (CONSECO_E_BAD_SCORE);
 * +INFINITY is an ordinary value. Requires 1 <= k <= n.
 */
CONSECO_API int conseco_kth_smallest(double *values, size_t n, size_t k, double *out);

/**
 * lambda_hat = the k-th smallest score with k = conseco_rank(n, alpha), or
 * +INFINITY when k > n (valid: the empty mask). Reorders `scores` in place.
 * @param k_out optional; receives k so callers can tell k > n happened.
 */
CONSECO_API int conseco_quantile(double *scores, size_t n, double alpha, double *lambda_hat,
                                 size_t *k_out);

/* --------------------------------------------------------------- metrics */
/** Per-image quantities at one lambda (paper Eqs. 3, 7-9). */
typedef struct conseco_image_metrics {
    uint64_t predicted; /**< |Yhat| */
    uint64_t inner;     /**< |I| */
    uint64_t inner_fp;  /**< |I minus Y| (accepted false positives) */
    uint64_t inner_tp;  /**< |I intersect Y| */
    double afp;         /**< inner_fp / predicted; 0 if predicted = 0 */
    double cr;          /**< inner / predicted; 1 if predicted = 0 */
    double atp;         /**< inner_tp / predicted; 1 if predicted = 0 */
    int valid;          /**< afp <= tau */
    int reserved;
} conseco_image_metrics;

/** Means over a set of images: EV (fraction valid), CR, ATP. */
typedef struct conseco_set_metrics {
    uint64_t n;
    double ev;
    double cr;
    double atp;
} conseco_set_metrics;

/** Metrics from explicit masks: Yhat, the inner mask I (must lie inside Yhat) and the truth Y. */
CONSECO_API int conseco_metrics_from_masks(const conseco_mask *yhat, const conseco_mask *inner,
                                           const conseco_mask *truth, double tau,
                                           conseco_image_metrics *out);

/** Metrics of a shrinker at lambda on one image, without writing any mask. */
CONSECO_API int conseco_evaluate_image(const conseco_shrinker *shrinker,
                                       const conseco_image *pred, const conseco_mask *truth,
                                       double lambda, double tau, void *scratch,
                                       size_t scratch_size, conseco_image_metrics *out);

/** EV, CR and ATP over n per-image metrics (n >= 1). */
CONSECO_API int conseco_set_metrics_compute(const conseco_image_metrics *items, size_t n,
                                            conseco_set_metrics *out);

/* ------------------------------------------------------------ calibrator */
/** Opaque calibrator: a shrinker, a tau and the scores of the calibration set. */
typedef struct conseco_calibrator conseco_calibrator;

/** Custom allocator; all-NULL (or a NULL pointer to it) means malloc/free. */
typedef struct conseco_allocator {
    void *(*alloc)(void *opaque, size_t size);
    void (*free)(void *opaque, void *ptr);
    void *opaque;
} conseco_allocator;

/** Calibrator settings. Zero-initialise, then set the fields you need. */
typedef struct conseco_calibrator_config {
    uint32_t struct_size;      /**< sizeof(conseco_calibrator_config) */
    uint32_t flags;            /**< CONSECO_CALIBRATOR_OWNS_USER or 0 */
    conseco_shrinker shrinker; /**< copied; built-in params are copied too */
    double tau;                /**< tolerance in [0, 1] */
    size_t capacity;           /**< static: max scores; create: initial reservation (0 = small) */
    size_t max_width;          /**< static: largest image conseco_calibrator_add() accepts */
    size_t max_height;
    size_t max_depth;          /**< 0 is read as 1 */
    /* appended after 0.2 (a smaller struct_size reads as inner / quantile) */
    uint32_t side;             /**< conseco_side; default CONSECO_SIDE_INNER */
    uint32_t guarantee;        /**< conseco_guarantee; default CONSECO_GUARANTEE_QUANTILE */
    double tau_outer;          /**< band only: the outer set's FNR tolerance in [0, 1] */
    double bottom;             /**< outer threshold lowering: lowest threshold (default 0) */
} conseco_calibrator_config;

/**
 * Which set a calibration controls (docs/DESIGN.md section 5.2).
 *  - INNER: I_lambda inside Yhat, false positives (AFP <= tau); the paper.
 *  - OUTER: O_mu containing Yhat, missed truth (FNR = |Y \ O| / |Y| <= tau).
 *    Erosion params give dilation by the same element (mu = 0, 1, ...,
 *    the set never leaves the image); threshold params give threshold
 *    lowering O_t = {s >= t}, t from base down to `bottom`, whose scores are
 *    the thresholds t themselves (-INFINITY: none) and lambda_hat the k-th
 *    LARGEST score (-INFINITY when k > n: the whole image).
 *  - BAND: one width lambda for both: erosion / dilation by the same element,
 *    or the threshold offset I = {s >= base + lambda}, O = {s >= base - lambda};
 *    the joint score is max(inner score at tau, outer score at tau_outer).
 */
typedef enum conseco_side {
    CONSECO_SIDE_INNER = 0,
    CONSECO_SIDE_OUTER = 1,
    CONSECO_SIDE_BAND = 2
} conseco_side;

/** What the calibration guarantees. */
typedef enum conseco_guarantee {
    /** P(loss <= tau) >= 1 - alpha: the k-th smallest score (the paper; default) */
    CONSECO_GUARANTEE_QUANTILE = 0,
    /** E[loss] <= alpha (conformal risk control, docs/DESIGN.md 5.3): the
     * calibrator keeps the summed loss curve instead of scores; tau is
     * unused. Inner side (loss AFP) or outer side (loss FNR); band:
     * CONSECO_E_UNSUPPORTED. */
    CONSECO_GUARANTEE_RISK = 1
} conseco_guarantee;

/** The calibrator calls the vtable's destroy(user) when freed. */
#define CONSECO_CALIBRATOR_OWNS_USER 1u

/** Zeroes a config, sets struct_size and default capacity. */
CONSECO_API void conseco_calibrator_config_init(conseco_calibrator_config *config);

/**
 * Creates a calibrator that allocates through `allocator` (NULL = malloc).
 * @param out receives the new calibrator; NULL on failure.
 */
CONSECO_API int conseco_calibrator_create(const conseco_calibrator_config *config,
                                          const conseco_allocator *allocator,
                                          conseco_calibrator **out);

/**
 * Bytes of workspace for conseco_calibrator_init_static(): the object,
 * config->capacity scores and scratch for images up to max_width x
 * max_height x max_depth. @return 0 if the config is invalid or overflows.
 * A risk calibrator's capacity counts curve keys (distinct lambdas of the
 * calibration set: at most 256 + 2 for 8-bit maps with the threshold, the
 * largest distance + 2 for erosion), 64 bytes each (the curve and the one
 * it is rebuilt into), and its scratch is 8 bytes per pixel plus a table of
 * 24 bytes per slot (min(4096, a power of two >= 2 pixels) slots: <= 96 KiB).
 */
CONSECO_API size_t conseco_calibrator_workspace_size(const conseco_calibrator_config *config);

/**
 * Builds a calibrator inside a caller buffer; never allocates. The buffer
 * must stay valid and untouched while the calibrator is in use; no free is
 * needed (conseco_calibrator_free() on it only calls destroy if owned).
 * Alignment: 8 bytes or better.
 */
CONSECO_API int conseco_calibrator_init_static(void *workspace, size_t workspace_size,
                                               const conseco_calibrator_config *config,
                                               conseco_calibrator **out);

/** Frees a calibrator; NULL is a harmless no-op. */
CONSECO_API void conseco_calibrator_free(conseco_calibrator *calibrator);

/**
 * Computes the score of one calibration pair and stores it. @param score_out optional.
 * A risk calibrator adds the pair's loss curve to its summed curve instead
 * (score_out, if given, receives the pair's loss at lambda_min, i.e. of Yhat).
 */
CONSECO_API int conseco_calibrator_add(conseco_calibrator *calibrator, const conseco_image *pred,
                                       const conseco_mask *truth, double *score_out);

/**
 * Scores `count` calibration pairs (preds[i], truths[i]) and stores their
 * scores in input order, exactly as `count` calls of conseco_calibrator_add()
 * would, using up to `threads` threads (0 or 1: the calling thread only;
 * at most 64; fewer if a thread cannot be started or memory is short).
 * The stored order and values never depend on the thread count.
 * All or nothing: on error no score is stored and scores_out is untouched;
 * the status is the one of the lowest-index pair that failed (room for the
 * scores is checked first: CONSECO_E_FULL on a full static calibrator).
 * Allocates per-thread scratch through the calibrator's allocator and frees it
 * before returning. A custom shrinker's callbacks may run on several threads
 * at once with the same `user` pointer: they must be reentrant. Static calibrators, and builds with CONSECO_NO_THREADS
 * (firmware, freestanding), score in the calling thread only. The views and
 * the calibrator must not be modified by other threads during the call.
 * @param scores_out optional: receives the `count` scores in input order.
 * Risk calibrators add the pairs' curves, all or nothing as well (dynamic
 * ones build the curves on the threads and merge them one at a time, so the
 * allocator is never called concurrently; static ones in the calling thread);
 * scores_out, if given, receives each pair's loss at lambda_min.
 */
CONSECO_API int conseco_calibrator_add_batch(conseco_calibrator *calibrator,
                                             const conseco_image *preds,
                                             const conseco_mask *truths, size_t count,
                                             unsigned threads, double *scores_out);

/** Stores a precomputed score (+INFINITY allowed, NaN rejected). A risk
 * calibrator keeps curves, not scores: CONSECO_E_UNSUPPORTED. */
CONSECO_API int conseco_calibrator_add_score(conseco_calibrator *calibrator, double score);

/** Number of stored scores (risk: of calibration images). 0 for NULL. */
CONSECO_API size_t conseco_calibrator_count(const conseco_calibrator *calibrator);

/** Copies up to `capacity` stored scores (in storage order) to `out`; count receives n.
 * A risk calibrator has no scores: nothing is copied and count receives 0. */
CONSECO_API int conseco_calibrator_scores(const conseco_calibrator *calibrator, double *out,
                                          size_t capacity, size_t *count);

/** tau and the shrinker of a calibrator (built-in params point into the calibrator). */
CONSECO_API int conseco_calibrator_settings(const conseco_calibrator *calibrator, double *tau,
                                            conseco_shrinker *shrinker);

/**
 * lambda_hat for this alpha: the k-th smallest stored score, k exact; or
 * +INFINITY when k > n. May reorder the stored scores (O(n) selection).
 * Outer side with threshold lowering: the scores are thresholds, lambda_hat
 * is the k-th LARGEST score and -INFINITY when k > n (the whole image).
 * @param k_out optional: receives k (k > n tells that lambda_hat is +INFINITY).
 * Risk calibrators: the smallest candidate lambda of the summed curve with
 * n/(n+1) R(lambda) + 1/(n+1) <= alpha, decided exactly (docs/DESIGN.md 5.3),
 * +INFINITY if none; k_out receives 0. Outer side (R the mean FNR): dilation
 * likewise; threshold lowering the LARGEST threshold in [bottom, base] that
 * passes, -INFINITY if none (also for n = 0).
 */
CONSECO_API int conseco_calibrator_lambda_hat(conseco_calibrator *calibrator, double alpha,
                                              double *lambda_hat, size_t *k_out);

/**
 * Calibration risk of a risk calibrator at lambda: R(lambda) = the mean loss
 * of its n images (docs/DESIGN.md 5.3), rounded to a double for reporting
 * (the decision in conseco_calibrator_lambda_hat() is exact). lambda below
 * lambda_min reads as lambda_min; +INFINITY (the empty mask) and n = 0 give 0.
 * Outer side: the mean FNR of O_lambda (threshold lowering: lambda is the
 * threshold t, t >= base reads as base, -INFINITY gives 0; dilation: +INFINITY
 * gives 0, a non-integer mu reads as floor(mu)).
 * CONSECO_E_UNSUPPORTED for a quantile calibrator; NaN is CONSECO_E_BAD_LAMBDA.
 */
CONSECO_API int conseco_calibrator_risk(const conseco_calibrator *calibrator, double lambda,
                                        double *risk);

/** Appends src's scores to dst. Both must have the same shrinker (and params) and tau.
 * Risk calibrators add src's summed loss curve to dst's (exact, order-free). */
CONSECO_API int conseco_calibrator_merge(conseco_calibrator *dst, const conseco_calibrator *src);

/** Removes all scores (keeps settings and memory). */
CONSECO_API int conseco_calibrator_reset(conseco_calibrator *calibrator);

/* ----------------------------------------------------------------- state */
/**
 * Saved state: a versioned, little-endian, CRC-32 checksummed byte string
 * holding the shrinker identity (built-in kind and params, or a custom
 * vtable's name, domain and range), tau and every score.
 */
CONSECO_API size_t conseco_calibrator_save_size(const conseco_calibrator *calibrator);
CONSECO_API int conseco_calibrator_save(const conseco_calibrator *calibrator, void *buffer,
                                        size_t capacity, size_t *written);

/**
 * Replaces the calibrator's scores with those in `buffer`, after checking
 * the format, checksum and that the saved shrinker and tau match this
 * calibrator's (CONSECO_E_INCOMPATIBLE otherwise). On error the calibrator
 * is unchanged.
 */
CONSECO_API int conseco_calibrator_load(conseco_calibrator *calibrator, const void *buffer,
                                        size_t size);

/** Built-in shrinker kinds as stored in state. */
typedef enum conseco_shrinker_kind {
    CONSECO_KIND_CUSTOM = 0,
    CONSECO_KIND_THRESHOLD = 1,
    CONSECO_KIND_EROSION = 2,
    CONSECO_KIND_SMOOTH = 3
} conseco_shrinker_kind;

/**
 * What a saved state holds, readable without a calibrator (to build a matching one).
 * Set struct_size = sizeof(conseco_state_info) before the call; the library
 * writes min(struct_size, its sizeof) bytes (below the 0.2 layout:
 * CONSECO_E_INVALID_ARG).
 */
typedef struct conseco_state_info {
    uint32_t struct_size;    /**< set by the caller: sizeof(conseco_state_info) */
    uint32_t format_version;
    uint32_t kind;      /**< conseco_shrinker_kind */
    conseco_threshold_params threshold; /**< valid when kind = THRESHOLD */
    conseco_erosion_params erosion;     /**< valid when kind = EROSION */
    uint32_t domain;    /**< custom: conseco_domain */
    uint32_t reserved;
    double lambda_min;  /**< custom */
    double lambda_max;  /**< custom */
    char name[32];      /**< shrinker name, NUL-terminated */
    double tau;
    uint64_t count;     /**< number of scores (risk: number of calibration images) */
    /* appended after 0.2 */
    conseco_smooth_params smooth;       /**< valid when kind = SMOOTH */
    /* format version 2; version 1 states read as inner / quantile */
    uint32_t side;      /**< conseco_side */
    uint32_t guarantee; /**< conseco_guarantee */
    double tau_outer;   /**< band: the outer tolerance; 0 otherwise */
    double bottom;      /**< outer threshold lowering: its bottom; 0 otherwise */
} conseco_state_info;

/** Validates a saved state fully (magic, version, length, checksum) and describes it. */
CONSECO_API int conseco_state_inspect(const void *buffer, size_t size, conseco_state_info *info);

#ifdef __cplusplus
}
#endif
#endif /* CONSECO_H */

/* ====================================================================== */
/* Experimental API: may change between minor versions. Static linking only. */
#if defined(CONSECO_STATIC_LINKING_ONLY) && !defined(CONSECO_H_STATIC)
#define CONSECO_H_STATIC
#ifdef __cplusplus
extern "C" {
#endif

/* Experimental functions are not exported from the shared library (hidden
 * visibility there): link the static library to use them. */
#ifndef CONSECO_STATIC_API
#define CONSECO_STATIC_API
#endif

/**
 * Bytes of scratch conseco_evaluate_lambdas() needs for this shrinker and any
 * image of at most these dimensions. @return 0 if invalid or on overflow.
 */
CONSECO_STATIC_API size_t conseco_evaluate_lambdas_scratch_size(const conseco_shrinker *shrinker,
                                                                size_t width, size_t height,
                                                                size_t depth);

/**
 * Metrics of the inner set at each of count lambdas (any order) on one image,
 * from one level map: out[i] is what conseco_evaluate_image(shrinker, pred,
 * truth, lambdas[i], tau, ...) would give. A custom shrinker without `levels`
 * (black box) is applied once per lambda. count = 0 is allowed (nothing is
 * written). O(N log N + count log N) with a level map. On error `out` may be
 * partly written (the black-box path fills it lambda by lambda).
 */
CONSECO_STATIC_API int conseco_evaluate_lambdas(const conseco_shrinker *shrinker,
                                                const conseco_image *pred,
                                                const conseco_mask *truth,
                                                const double *lambdas, size_t count, double tau,
                                                void *scratch, size_t scratch_size,
                                                conseco_image_metrics *out);

/* ------------------------------------------------------------ sides */
/**
 * Side settings of the pure side functions (the calibrator takes the same
 * values from its config). Set struct_size (conseco_side_params_default()).
 */
typedef struct conseco_side_params {
    uint32_t struct_size; /**< sizeof(conseco_side_params) */
    uint32_t side;        /**< conseco_side */
    double tau_outer;     /**< BAND: the outer FNR tolerance in [0, 1] (tau is the inner AFP's) */
    double bottom;        /**< OUTER with threshold params: lowest threshold, finite, <= base (0) */
} conseco_side_params;

/** Sets struct_size and the defaults (inner side, tau_outer 0, bottom 0). */
CONSECO_STATIC_API void conseco_side_params_default(conseco_side_params *params);

/**
 * Bytes of scratch conseco_side_score(), conseco_side_apply() and
 * conseco_side_evaluate() need for this shrinker and side.
 * @return 0 if the arguments are invalid or the size overflows.
 */
CONSECO_STATIC_API size_t conseco_side_scratch_size(const conseco_shrinker *shrinker,
                                                    const conseco_side_params *side,
                                                    size_t width, size_t height, size_t depth);

/**
 * Score of one calibration pair for a side. INNER: conseco_score(). OUTER:
 * tau bounds FNR; dilation: the smallest mu = 0, 1, ... with FNR <= tau
 * (+INFINITY when Yhat is empty and Y is not); threshold lowering: the
 * LARGEST t of {base} U {s_p : bottom <= s_p < base} U {bottom} with
 * FNR <= tau (-INFINITY if none). BAND: the smallest lambda with AFP(I) <= tau
 * and FNR(O) <= tau_outer (+INFINITY if none). Custom shrinkers need the
 * vtable's outer_levels (version 2), the smooth kind has no outer family:
 * CONSECO_E_UNSUPPORTED for OUTER and BAND otherwise.
 */
CONSECO_STATIC_API int conseco_side_score(const conseco_shrinker *shrinker,
                                          const conseco_side_params *side,
                                          const conseco_image *pred, const conseco_mask *truth,
                                          double tau, void *scratch, size_t scratch_size,
                                          double *score);

/**
 * Writes the sets at lambda in one pass; any of the three outputs may be
 * NULL (not all). OUTER: inner = Yhat, outer = O_lambda (+INFINITY for
 * dilation or -INFINITY for lowering: the whole image), band = O \ Yhat.
 * BAND: inner = I_lambda, outer = O_lambda, band = O \ I (+INFINITY: empty
 * inner, whole-image outer). INNER: inner = I_lambda, band = Yhat \ I; outer
 * must be NULL (CONSECO_E_INVALID_ARG). lambda below lambda_min reads as lambda_min.
 */
CONSECO_STATIC_API int conseco_side_apply(const conseco_shrinker *shrinker,
                                          const conseco_side_params *side,
                                          const conseco_image *pred, double lambda,
                                          void *scratch, size_t scratch_size,
                                          const conseco_mask_out *inner,
                                          const conseco_mask_out *outer,
                                          const conseco_mask_out *band);

/** Per-image metrics of both sides at one lambda. */
typedef struct conseco_side_metrics {
    conseco_image_metrics inner; /**< the inner set at tau (OUTER side: Yhat itself, valid = 1: tau bounds the FNR there) */
    uint64_t truth;        /**< |Y| */
    uint64_t outer;        /**< |O| (INNER side: 0, not computed) */
    uint64_t outer_missed; /**< |Y \ O| */
    double fnr;            /**< outer_missed / |Y|; 0 when Y is empty */
    double outer_ratio;    /**< |O| / |Yhat|: 1 when both are empty, +INFINITY when only Yhat is */
    int outer_valid;       /**< fnr <= the outer tolerance (OUTER: tau; BAND: tau_outer); INNER: 1 */
    int band_holds;        /**< inner.valid && outer_valid (OUTER: outer_valid) */
} conseco_side_metrics;

/** Metrics of a side at lambda (tau: AFP for INNER/BAND, FNR for OUTER). */
CONSECO_STATIC_API int conseco_side_evaluate(const conseco_shrinker *shrinker,
                                             const conseco_side_params *side,
                                             const conseco_image *pred,
                                             const conseco_mask *truth, double lambda,
                                             double tau, void *scratch, size_t scratch_size,
                                             conseco_side_metrics *out);

/**
 * conseco_side_evaluate() at each of count lambdas (any order) on one image:
 * out[i] is what it gives at lambdas[i]. Dilation and erosion bands build
 * their level maps once (then O(N + count)); other families evaluate each
 * lambda in one pass. count = 0 is allowed. On error `out` may be partly written.
 */
CONSECO_STATIC_API int conseco_side_evaluate_lambdas(const conseco_shrinker *shrinker,
                                                     const conseco_side_params *side,
                                                     const conseco_image *pred,
                                                     const conseco_mask *truth,
                                                     const double *lambdas, size_t count,
                                                     double tau, void *scratch,
                                                     size_t scratch_size,
                                                     conseco_side_metrics *out);

/**
 * The side settings of a calibrator (as normalised from its config: tau_outer
 * is 0 unless BAND, bottom 0 unless OUTER) and its guarantee; either output may be NULL.
 */
CONSECO_STATIC_API int conseco_calibrator_side(const conseco_calibrator *calibrator,
                                               conseco_side_params *side, uint32_t *guarantee);

/**
 * Bytes of scratch conseco_loss_curve() needs for images of at most these
 * dimensions (8 per pixel plus a table of at most 96 KiB). @return 0 if
 * invalid or on overflow.
 */
CONSECO_STATIC_API size_t conseco_loss_curve_scratch_size(const conseco_shrinker *shrinker,
                                                          size_t width, size_t height,
                                                          size_t depth);

/**
 * One calibration pair's loss curve for the risk guarantee (docs/DESIGN.md
 * 5.3): its keys, ascending (lambda_min, every distinct key of a Yhat pixel:
 * floored on the integer domain, clamped to lambda_max; lambda_max if
 * finite), and its loss (AFP, the double kept_fp / |Yhat|) at each. The loss
 * at any lambda of the family is the loss at the smallest key >= lambda (0
 * above the largest key). A key +INFINITY (levels never removed, e.g. a
 * full mask under the foreground border) holds the loss of every finite
 * lambda above the previous key; lambda = +INFINITY itself keeps nothing
 * (loss 0). A risk calibrator sums exactly
 * these curves. At most width*height*depth + 2 keys; with less `capacity`
 * CONSECO_E_BUFFER_TOO_SMALL and *count says how many. Black-box custom
 * shrinkers (no levels): CONSECO_E_UNSUPPORTED. Inner sets only (an outer
 * risk calibrator's FNR curves are not exposed here).
 */
CONSECO_STATIC_API int conseco_loss_curve(const conseco_shrinker *shrinker,
                                          const conseco_image *pred, const conseco_mask *truth,
                                          void *scratch, size_t scratch_size, double *lambdas,
                                          double *losses, size_t capacity, size_t *count);

/**
 * Compile-time upper bound of conseco_calibrator_workspace_size() for
 * built-in shrinkers, to size static arrays on firmware.
 * (capacity scores of 8 bytes; scratch of at most 24 bytes per pixel: the
 * erosion's distance map, per-line buffers and histogram on a one-pixel-thin
 * image; 4 KiB fixed for the object and the threshold's 8-bit histogram.)
 * `pixels` is max_width * max_height * max_depth.
 */
#define CONSECO_CALIBRATOR_WORKSPACE_BOUND(capacity, pixels) \
    (4096u + 8u * (size_t)(capacity) + 24u * (size_t)(pixels) + 64u)

/**
 * The same bound for a risk calibrator (guarantee CONSECO_GUARANTEE_RISK):
 * `keys` curve keys of 64 bytes (the curve and its rebuild), 8 bytes per
 * pixel for the level map and at most 96 KiB for the key table. Inner side;
 * an outer risk calibrator needs in addition the outer side's scratch,
 * conseco_side_scratch_size() of its shrinker and side at the largest shape.
 */
#define CONSECO_CALIBRATOR_RISK_WORKSPACE_BOUND(keys, pixels) \
    (4096u + 64u * (size_t)(keys) + 8u * (size_t)(pixels) + 98304u + 64u)

#ifdef __cplusplus
}
#endif
#endif /* CONSECO_STATIC_LINKING_ONLY */
