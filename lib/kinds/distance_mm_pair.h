/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact Euclidean distances in millimetres when two axes have integer
 * weights (ball-mm's score, distance_mm_pair.c): the squared spacings of
 * axes a and b are w_a * s_u^2 and w_b * s_u^2 with small integers w and a
 * double s_u (equal in-plane spacings of any value: w = 1, s_u = s), the
 * third axis c has any spacing. The first two passes run on the integers
 * G = w_a k_a^2 + w_b k_b^2 (distance_mm_int.c), the last one on
 * G + rho * k_c^2 with rho = s_c^2 / s_u^2 real, every decision exact. The
 * cells end as codes (G << bits) | k_c. Internal to lib/kinds (erosion_mm.c).
 */
#ifndef CONSECO_DISTANCE_MM_PAIR_H
#define CONSECO_DISTANCE_MM_PAIR_H

#include "distance_mm_int.h"

typedef struct conseco__mm_pair {
    int a, b, c;       /* passes: sweep along a, integer envelope along b, real along c */
    uint64_t wa, wb;   /* s^2 / s_u^2 of a and b (0 for an axis with no offsets) */
    double unit;       /* RN(s_u^2) */
    double rho;        /* RN(s_c^2) / RN(s_u^2): within a relative 3 * 2^-53 */
    double s2c;        /* RN(s_c^2) */
    conseco__mm m;     /* the exact weights: axis 0 s_u^2 (of G), axis 1 s_c^2 (of k_c^2) */
    int bits;          /* code = (G << bits) | k_c; 2^bits > the largest k_c */
    uint32_t mask;     /* 2^bits - 1 */
    int can_mark;      /* codes stay below CONSECO__MM_MARK - 1: the pruned pass applies */
    int can_flag;      /* codes stay below CONSECO__MM_FP - 1: cells can carry the FP flag */
} conseco__mm_pair;

/* The score's pruned last pass: the truth mask (the box starts at voxel lo
 * of the image), the rank the score selects among false positives, and
 * CONSECO__MM_PRUNE_BUCKETS counters of work. */
typedef struct conseco__mm_prune {
    const conseco_mask *truth;
    size_t lo[3];
    uint64_t need;
    uint32_t *hist;
    double t_out; /* set: T, at most the need-th largest D2 / s_u^2 of the false positives */
    int flagged;  /* the cells' G carry CONSECO__MM_FP (conseco__mm_pair_plane_flag) */
    uint32_t *summary; /* with flagged, or NULL: conseco__mm_pair_plane_flag's summary, on
                        * return 1 for the groups whose lines hold marks, else 0 */
    /* With flagged: list_cap cells at list (list NULL: none). On return
     * (pruned): list_n of them hold the codes of the false positives of the
     * lines done, list NULL when they did not fit; fp_finite and fp_inf
     * count those false positives with finite codes and NONE. */
    uint32_t *list;
    size_t list_cap, list_n;
    /* With a list that holds every cell of the box: needed lines are done by
     * a direct search per false positive and not written back (the codes
     * are left as they are; only the list and its counts hold results). */
    int direct;
    uint64_t fp_finite, fp_inf;
} conseco__mm_prune;

#define CONSECO__MM_MARK 0x80000000u
/* A false positive's G before the last pass (flagged cells, can_flag):
 * lets the pruned pass skip groups of lines without reading the truth. */
#define CONSECO__MM_FP 0x40000000u
#define CONSECO__MM_PRUNE_BUCKETS 256u

/* 1 (and fills out) when the pair form applies to this box with these
 * spacings (positive, within the ball-mm range), else 0: two axes with
 * integer weights whose G stays below 2^32 and whose codes stay below
 * CONSECO__MM_NONE. */
int conseco__mm_pair_init(conseco__mm_pair *out, const double spacing[3],
                          const conseco__box *box);

/* Bytes of work the pair form needs for this box (8-byte aligned): lines
 * of its axes b and c. The score takes the pair path only when this fits
 * in the work it reserves for the other paths (see erosion_mm.c). */
size_t conseco__mm_pair_work_bytes(const conseco__box *box, const conseco__mm_pair *p);

/* 1 when the pair form's work fits in work_bytes, swapping a and b first
 * when that makes it fit (then c == 2 no longer runs slice by slice);
 * else 0. */
int conseco__mm_pair_fit(conseco__mm_pair *p, const conseco__box *box, size_t work_bytes);

/*
 * d: one cell per box cell, 0 = background, CONSECO__MM_NONE = Yhat. With
 * pr == NULL (or codes too large to mark), returns 0 and every cell holds
 * the code of its nearest background cell or open margin (0 for
 * background), CONSECO__MM_NONE when there is none.
 *
 * With pr, when the codes leave the top bit free, returns 1 and only what
 * the score needs is exact: the last pass runs on the lines that hold a
 * false positive which can still be among the pr->need largest D2 (lines
 * from the middle of the box outwards; see distance_mm_pair.c). Their cells
 * hold code | CONSECO__MM_MARK (0 and NONE as above); the false positives
 * of the lines skipped hold their G and have a D2 strictly below the
 * pr->need-th largest D2 of all false positives, so the marked codes and
 * the NONE cells contain every false positive at or above it.
 */
int conseco__mm_pair_transform(uint32_t *d, const conseco__box *box, const conseco__mm_pair *p,
                               void *work, conseco__mm_prune *pr);

/* The same in steps: the first two passes, then the last one (the
 * return value as above). When c == 2 the first two passes may instead run
 * slice by slice, each z slice of the box (n[0] * n[1] cells, filled)
 * through conseco__mm_pair_plane (init != 0 on the first). */
void conseco__mm_pair_first(uint32_t *d, const conseco__box *box, const conseco__mm_pair *p,
                            void *work);
void conseco__mm_pair_plane(uint32_t *slice, const conseco__box *box,
                            const conseco__mm_pair *p, void *work, int init);
/* conseco__mm_pair_plane with options. swept: the slice holds the result
 * of the first sweep along y already (each Yhat cell the offset to the
 * nearest background above it, 1 in row 0 when open_lo[1], else NONE).
 * t != NULL, for the pruned pass with pr->flagged (needs p->can_flag,
 * c == 2): also sets CONSECO__MM_FP in the cells neither 0
 * nor NONE whose truth is 0 (row y of the slice's truth at
 * t + y * t_stride). With summary != NULL (n1 * ceil(n0 / GROUP) values,
 * zero before the first slice), summary[y * ceil(n0 / GROUP) + gx] becomes
 * the largest cell value so far of the lines of group gx (x from GROUP gx)
 * in row y: the pruned pass skips the group when it is below what a
 * needed line holds. */
void conseco__mm_pair_plane_flag(uint32_t *slice, const conseco__box *box,
                                 const conseco__mm_pair *p, void *work, int init,
                                 const uint8_t *t, size_t t_stride, uint32_t *summary,
                                 int swept);
int conseco__mm_pair_last(uint32_t *d, const conseco__box *box, const conseco__mm_pair *p,
                          void *work, conseco__mm_prune *pr);

/* D2 of a finite code, within a relative 2^-50 (s_u^2, s_c^2, two
 * products and one sum of positive terms rounded). */
static inline double conseco__mm_pair_d2_approx(const conseco__mm_pair *p, uint32_t code)
{
    const double k = (double)(code & p->mask);
    return p->unit * (double)(code >> p->bits) + p->s2c * (k * k);
}

/* The correctly rounded distance of a code (0 for 0, +inf for NONE). */
double conseco__mm_pair_distance(const conseco__mm_pair *p, uint32_t code);

#endif /* CONSECO_DISTANCE_MM_PAIR_H */
