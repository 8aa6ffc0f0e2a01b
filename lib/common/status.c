/* SPDX-License-Identifier: Apache-2.0 */
/* Status codes, their text, and the version of the linked library. */
#include "views.h"

unsigned conseco_version_number(void) { return CONSECO_VERSION_NUMBER; }

const char *conseco_version_string(void) { return CONSECO_VERSION_STRING; }

typedef struct status_entry {
    int code;
    const char *name;
    const char *text;
} status_entry;

#if defined(CONSECO_STRIP_ERROR_STRINGS)
#define ENTRY(code, text) { code, #code, #code }
#else
#define ENTRY(code, text) { code, #code, text }
#endif

/* One row per code; the order does not matter, values are fixed in conseco.h. */
static const status_entry entries[] = {
    ENTRY(CONSECO_OK, "success"),
    ENTRY(CONSECO_E_NULL, "a required pointer argument is NULL"),
    ENTRY(CONSECO_E_INVALID_ARG, "an enumeration or flag argument is out of range"),
    ENTRY(CONSECO_E_BAD_SIZE, "width, height or depth is zero"),
    ENTRY(CONSECO_E_BAD_STRIDE, "a row or slice stride is smaller than the data it must hold"),
    ENTRY(CONSECO_E_MISALIGNED, "data pointer or stride is not a multiple of the element size"),
    ENTRY(CONSECO_E_OVERFLOW, "a size computation overflows size_t"),
    ENTRY(CONSECO_E_BAD_DTYPE, "unknown element type"),
    ENTRY(CONSECO_E_NONFINITE, "the score map contains NaN or infinite values"),
    ENTRY(CONSECO_E_BAD_ALPHA, "alpha must lie in the open interval (0, 1)"),
    ENTRY(CONSECO_E_BAD_TAU, "tau must lie in the closed interval [0, 1]"),
    ENTRY(CONSECO_E_BAD_LAMBDA, "lambda is NaN"),
    ENTRY(CONSECO_E_SIZE_MISMATCH, "prediction, truth and output shapes differ"),
    ENTRY(CONSECO_E_SCRATCH_TOO_SMALL, "scratch buffer smaller than conseco_scratch_size()"),
    ENTRY(CONSECO_E_BUFFER_TOO_SMALL, "output buffer too small"),
    ENTRY(CONSECO_E_NO_MEMORY, "out of memory: the allocator returned NULL"),
    ENTRY(CONSECO_E_CALLBACK, "a shrinker callback failed or returned invalid data"),
    ENTRY(CONSECO_E_BAD_SHRINKER, "invalid shrinker vtable or parameters"),
    ENTRY(CONSECO_E_NOT_NESTED, "the shrinker produced inner sets that are not nested"),
    ENTRY(CONSECO_E_INCOMPATIBLE, "calibrators or saved state use a different shrinker or tau"),
    ENTRY(CONSECO_E_FOREIGN, "the bytes are not a libconseco calibrator state"),
    ENTRY(CONSECO_E_VERSION, "the state was written by an unsupported format version"),
    ENTRY(CONSECO_E_TRUNCATED, "the state is truncated"),
    ENTRY(CONSECO_E_CORRUPT, "the state is corrupted (checksum or fields inconsistent)"),
    ENTRY(CONSECO_E_BAD_SCORE, "a calibration score is NaN, or an infinity no score can be "
                               "(-inf; +inf for outer threshold lowering, whose scores are thresholds)"),
    ENTRY(CONSECO_E_FULL, "the static calibrator is full"),
    ENTRY(CONSECO_E_UNSUPPORTED, "not supported in this build or for this input"),
    ENTRY(CONSECO_E_TOO_LARGE, "the image is larger than the calibrator's workspace allows"),
    ENTRY(CONSECO_E_BAD_SPACING, "an image spacing is NaN, infinite or negative"),
    ENTRY(CONSECO_E_BAD_BOTTOM, "the threshold lowering's bottom is not finite or above base"),
};

static const status_entry *find(int status)
{
    size_t i;
    for (i = 0; i < sizeof entries / sizeof entries[0]; i++)
        if (entries[i].code == status) return &entries[i];
    return NULL;
}

const char *conseco_strerror(int status)
{
    const status_entry *e = find(status);
    return e ? e->text : "unknown libconseco status code";
}

const char *conseco_status_name(int status)
{
    const status_entry *e = find(status);
    return e ? e->name : "CONSECO_E_UNKNOWN";
}
