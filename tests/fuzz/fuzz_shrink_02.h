/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_shrink's modes for the 0.2 additions (fuzz_shrink_02.c): the smooth
 * kind, the ball-mm element, outer sets, bands, custom outer vtables and the
 * risk guarantee, each checked against the literal references of
 * tests/support. fuzz_shrink.c decodes the image and the truth as for the
 * older kinds and hands them over here.
 */
#ifndef FUZZ_SHRINK_02_H
#define FUZZ_SHRINK_02_H
#include <stddef.h>
#include <stdint.h>

#include "conseco.h"

/* The byte source of the lambdas (the input after pixels and truth). */
typedef struct fz_bytes {
    const uint8_t *p;
    size_t n;
} fz_bytes;

typedef struct fz_case {
    unsigned ext;       /* 1..7: which 0.2 mode */
    unsigned sel;       /* byte 0: variant within the mode */
    unsigned prm[4];    /* the mode's parameter bytes */
    unsigned base_b, top_b;
    conseco_image img;  /* strided, valid dtype or not, spacing 0 */
    conseco_mask truth; /* strided; any nonzero byte is inside */
    const uint8_t *gt;  /* dense truth, 0/1 */
    size_t w, h, d, n;
    double tau;
    int bad_dtype, nonfinite, large;
    fz_bytes *more;
} fz_case;

/* Whether the mode may use the large-image layout (its references stay fast there). */
int fz02_large_ok(unsigned ext, unsigned sel, const unsigned prm[4]);

/* Runs the mode; aborts (FUZZ_CHECK) on a broken invariant. */
void fz02_run(const fz_case *c);
#endif
