/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The random cases of the outer/band path suites (test_outer_fast2d.c,
 * test_outer_fast3d.c, test_outer_euclid.c): a score map of any dtype whose
 * Yhat at the case's base is a drawn mask (ties at the threshold), a truth
 * mask (equal to Yhat, Yhat with flips, or drawn on its own), the views of
 * both, and a score through the public API. CMocka asserts.
 */
#ifndef OUTER_CASES_H
#define OUTER_CASES_H
#include <stddef.h>
#include <stdint.h>

#ifndef CONSECO_STATIC_LINKING_ONLY
#define CONSECO_STATIC_LINKING_ONLY
#endif
#include "conseco.h"
#include "test_util.h"

typedef struct oc_case {
    size_t w, h, d, n;
    int dtype;
    void *map;             /* owned: n elements of dtype, room for 8 bytes each */
    uint8_t *yhat, *truth; /* owned: n bytes each, 0 or 1 */
    double base;
    double sp[3]; /* the view's spacings (oc_alloc: 1, as conseco_image_3d) */
} oc_case;

/* How oc_draw draws the masks (bits): */
enum {
    OC_ELLIPSES = 1, /* blobs are ellipses of half-axes up to 0.4 of a side, the same
                      * in every slice (the 2-D suite); otherwise ellipsoids up to 0.45 */
    OC_FACES = 2     /* a mask may also be one corner voxel or the first slice */
};

/* Allocates the zeroed map, Yhat and truth of c->w x c->h x c->d (sets c->n)
 * and sets the spacings to 1. */
void oc_alloc(oc_case *c);
/* Draws the rest of a case whose w, h and d are set: dtype, base, Yhat,
 * truth and the map. */
void oc_draw(tu_rng *r, oc_case *c, unsigned style);
void oc_release(oc_case *c);

/* Bytes of one map element. */
size_t oc_esize(int dtype);
/* A tau: 0, 1, a few round values or uniform in [0, 1). */
double oc_pick_tau(tu_rng *r);

/* Dense views of the map (spacings c->sp; along z 0, "not given", when
 * c->d = 1) and of the truth. */
conseco_image oc_view(const oc_case *c);
conseco_mask oc_truth(const oc_case *c);

/* The side's score of the erosion shrinker ep through conseco_side_score
 * with conseco_side_scratch_size bytes of scratch (returned in *scratch):
 * tau for the inner side, tau2 for the outer side of a band. */
int oc_side_score(conseco_erosion_params *ep, uint32_t side, double tau, double tau2,
                  const conseco_image *im, const conseco_mask *tm, size_t *scratch, double *out);

/* NaN and infinities anywhere in a float map: for k < count, a case of
 * gen(r, c, k) (drawn again until its map is float) with NaN, +inf or -inf
 * (by k % 3) at a random element, and the erosion shrinker of element
 * elements[k % n_elements]: both sides' scores return CONSECO_E_NONFINITE. */
typedef void (*oc_gen)(tu_rng *r, oc_case *c, size_t k);
void oc_check_nonfinite(tu_rng *r, size_t count, oc_gen gen, const uint32_t *elements,
                        size_t n_elements);

/* conseco_side_apply of a side at lambda (scratch scr of ss bytes) against
 * the literal inner and outer sets ri and ro of a dense view im (the band:
 * ro and not ri), then conseco_side_evaluate with the dense truth tm against
 * the counts of those sets (predicted: |Yhat|); the metrics in *met. */
void oc_check_side_sets(const conseco_shrinker *sh, const conseco_side_params *sp,
                        const conseco_image *im, const conseco_mask *tm, const uint8_t *ri,
                        const uint8_t *ro, uint64_t predicted, double lambda, double tau,
                        void *scr, size_t ss, conseco_side_metrics *met);

/* Fails the test (printing what and the case) unless got == want; counts
 * +inf and finite nonzero scores in oc_n_inf and oc_n_pos. */
extern unsigned oc_n_inf, oc_n_pos;
void oc_expect(double got, double want, const oc_case *c, const char *what);
#endif
