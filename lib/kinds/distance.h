/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact distance transforms on a box of cells (the bounding box of a mask),
 * separable per axis so that 2-D images and 3-D volumes share one code path.
 * Internal to lib/ (distance.c, erosion.c).
 */
#ifndef CONSECO_DISTANCE_H
#define CONSECO_DISTANCE_H

#include "kinds.h"

/* "No background reachable": larger than every finite distance. */
#define CONSECO__DIST_INF UINT32_MAX

typedef enum conseco__metric {
    CONSECO__METRIC_L1 = 1,   /* city block: cross / 6-neighbour erosions */
    CONSECO__METRIC_LINF = 2, /* chessboard: square / 26-neighbour erosions */
    CONSECO__METRIC_L2SQ = 3  /* squared Euclidean: disk / ball erosion */
} conseco__metric;

/*
 * A box of n[0] x n[1] x n[2] cells stored x fastest. open_lo[a] / open_hi[a]
 * say whether a background cell lies just before index 0 / just after index
 * n[a]-1 along axis a (the one-pixel margin around the bounding box, with the
 * border policy folded in). Nothing else outside the box is ever nearer.
 */
typedef struct conseco__box {
    size_t n[3];
    unsigned char open_lo[3];
    unsigned char open_hi[3];
} conseco__box;

/* Number of uint32 work cells conseco__distance_transform needs (lines of the
 * axes processed with the lower envelope). */
size_t conseco__distance_work_len(const conseco__box *box);

/* CONSECO_OK if every finite distance of `metric` in this box fits below
 * CONSECO__DIST_INF, else CONSECO_E_OVERFLOW. */
int conseco__distance_fits(const conseco__box *box, int metric);

/*
 * d: one cell per box cell, 0 = background, CONSECO__DIST_INF = foreground.
 * On return d holds the distance (L1, L-inf) or the squared Euclidean
 * distance to the nearest background cell or open margin, CONSECO__DIST_INF
 * when there is none. `work` holds conseco__distance_work_len(box) cells.
 * The caller has checked conseco__distance_fits().
 */
void conseco__distance_transform(uint32_t *d, const conseco__box *box, int metric,
                                 uint32_t *work);

/* |Yhat| = {s >= base}, its inclusive lower corner and its box (margins with
 * the border policy); box and lo are unset when predicted = 0. Checks the
 * pixels are finite (erosion.c). */
typedef struct conseco__yhat_box {
    uint64_t predicted;
    size_t lo[3];
    conseco__box box;
    int bits; /* conseco__erosion_yhat_box_bits wrote the bits */
} conseco__yhat_box;
int conseco__erosion_yhat_box(const conseco_erosion_params *p, const conseco_image *pred,
                              conseco__yhat_box *out);
/* The same; with bits != NULL, when the scores are float32 (and base
 * finite) and ceil(width / 16) <= CONSECO__YHAT_BITS_WORDS, it also writes
 * Yhat as bits (out->bits = 1): marks[z * height + y] = whether row (y, z)
 * holds Yhat, and only then its bits: ceil(width / 16) words from
 * bits + (z * height + y) * ceil(width / 16), bit x % 16 of word x / 16 for
 * pixel x. Else nothing is written (out->bits = 0). */
#define CONSECO__YHAT_BITS_WORDS 512u
int conseco__erosion_yhat_box_bits(const conseco_erosion_params *p, const conseco_image *pred,
                                   conseco__yhat_box *out, uint16_t *bits, uint8_t *marks);

#endif /* CONSECO_DISTANCE_H */
