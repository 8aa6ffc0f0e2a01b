/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The body of the opaque calibrator, shared by calibrator.c (the object) and
 * state.c (its saved form). Nothing outside lib/ sees this.
 */
#ifndef CONSECO_CALIBRATOR_IMPL_H
#define CONSECO_CALIBRATOR_IMPL_H

#include "api/api.h"
#include "api/risk.h"
#include "common/crc32.h"

struct conseco_calibrator {
    /* Normalised shrinker. Built-ins: user points at `params` below, so the
     * caller's params need not outlive us. Custom: vt.name points at `name`. */
    conseco__shrinker sh;
    conseco_shrinker pub; /* what conseco_score() is handed */
    conseco__params params; /* built-ins: a copy of the caller's params */
    char name[CONSECO__NAME_MAX + 1];
    uint32_t flags;  /* CONSECO_CALIBRATOR_OWNS_USER */
    int is_static;   /* carved from a caller workspace: never allocates */
    double tau;
    /* the side (docs/DESIGN.md section 5.2): side INNER for 0.2 configs;
     * tau_outer only for BAND, bottom only for OUTER (else 0) */
    conseco_side_params side;
    uint32_t guarantee; /* conseco_guarantee: RISK keeps a loss curve (below), not scores */
    int descending;     /* scores are thresholds: lambda_hat = k-th largest, -inf allowed */

    double *scores;  /* 8 bytes per calibration image, nothing else per image */
    size_t count;
    size_t capacity;

    /* scratch for conseco_calibrator_add(); static: sized for the max shape */
    unsigned char *scratch;
    size_t scratch_size;
    size_t max_width, max_height, max_depth; /* static only */

    conseco_allocator alloc; /* defaults already filled in; unused when static */

    /* Risk calibrators: the summed loss curve, keys ascending (`scores` is
     * unused and `count` is the number of images). `spare` has the same
     * capacity: a new curve is built there and the two swap on success, so
     * every change is all or nothing. */
    struct conseco__curve_key *keys;
    struct conseco__curve_key *spare;
    size_t nkeys;
    size_t key_capacity;
};

/* One key of a summed loss curve: the summed drop D at lambda (docs/DESIGN.md
 * 5.3); the summed loss at lambda is the sum of D over the keys >= lambda. */
typedef struct conseco__curve_key {
    double lambda;
    conseco__fix drop;
} conseco__curve_key;

/* risk_curve.c: the risk guarantee's side of the calibrator. */
int conseco__risk_reserve(conseco_calibrator *c, size_t total, size_t keep_spare);
int conseco__risk_add(conseco_calibrator *c, const conseco_image *pred,
                      const conseco_mask *truth, double *loss_out);
int conseco__risk_add_batch(conseco_calibrator *c, const conseco_image *preds,
                            const conseco_mask *truths, size_t count, double *loss_out);
int conseco__risk_merge(conseco_calibrator *dst, const conseco_calibrator *src);
/* The checks conseco_calibrator_add() makes of a pair (n: its pixel count). */
int conseco__risk_check_pair(const conseco_calibrator *c, const conseco_image *pred,
                             const conseco_mask *truth, size_t *n);
/* Threaded batches (batch.c): copy the curve into the spare; merge one
 * image's curve into the spare (*nspare keys, updated); swap it in and count
 * the images. Not thread-safe: the caller serialises them. */
int conseco__risk_spare_begin(conseco_calibrator *c);
int conseco__risk_spare_merge(conseco_calibrator *c, const conseco__image_curve *curve,
                              size_t *nspare);
void conseco__risk_commit(conseco_calibrator *c, size_t nspare, size_t images);
int conseco__risk_lambda_hat(const conseco_calibrator *c, double alpha, double *lambda_hat);
/* Checks a saved curve (keys strictly ascending within the range, integral on
 * the integer domain, summed loss at most n): CONSECO_OK or CONSECO_E_CORRUPT. */
int conseco__risk_curve_check(void (*get)(const void *ctx, size_t j, conseco__curve_key *out),
                              const void *ctx, size_t m, uint64_t n, uint32_t domain,
                              double lambda_min, double lambda_max);

/* Everything that makes two calibrators' scores comparable, in the form the
 * saved state stores: doubles as bit patterns so equality is bitwise. */
typedef struct conseco__identity {
    uint32_t kind;    /* conseco_shrinker_kind */
    uint32_t domain;
    conseco__saved_params params; /* through the kind's ops; zero for custom */
    uint64_t lambda_min;
    uint64_t lambda_max;
    uint64_t tau;
    char name[CONSECO__NAME_MAX + 1]; /* NUL padded */
    uint32_t side;      /* conseco_side */
    uint32_t guarantee; /* conseco_guarantee */
    uint64_t tau_outer; /* BAND, else 0 */
    uint64_t bottom;    /* OUTER, else 0 */
} conseco__identity;

/* The identity of a calibrator (calibrator.c). */
void conseco__calibrator_identity(const conseco_calibrator *c, conseco__identity *out);

/* 1 if the two identities are equal field by field (bitwise for doubles). */
int conseco__identity_equal(const conseco__identity *a, const conseco__identity *b);

/* The calibrator's score of one pair through its side (conseco_score or
 * conseco_side_score), the scratch that needs, and whether a score is
 * storable: never NaN; -inf only for descending (threshold) outer scores,
 * +inf for all others. */
int conseco__calibrator_score(const conseco_calibrator *c, const conseco_image *pred,
                              const conseco_mask *truth, void *scratch, size_t scratch_size,
                              double *score);
size_t conseco__calibrator_scratch_size(const conseco_calibrator *c, size_t width,
                                        size_t height, size_t depth);
int conseco__calibrator_score_ok(const conseco_calibrator *c, double s);

/* Whether saved side fields are what a calibrator of this kind would write. */
int conseco__side_identity_ok(const conseco__identity *id);

/* Makes room for `total` scores in all (grows geometrically when dynamic,
 * keeping the stored ones). CONSECO_E_FULL (static), CONSECO_E_OVERFLOW or
 * CONSECO_E_NO_MEMORY; on error nothing changed. */
int conseco__calibrator_reserve(conseco_calibrator *c, size_t total);

#endif /* CONSECO_CALIBRATOR_IMPL_H */
