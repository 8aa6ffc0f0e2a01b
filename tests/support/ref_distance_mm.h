/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Literal ball-mm (docs/DESIGN.md 5.1), slow on purpose: for every voxel of
 * Yhat the minimum over every voxel outside Yhat (and, under the background
 * policy, every voxel of the one-voxel padding; a 2-D image, depth 1, has no
 * padding above or below) of the exact squared distance, in exact integer
 * arithmetic (spacing s = M 2^E with integer M, 256-bit sums; a first pass in
 * double only narrows the candidates to those within 2^-40 of the minimum); the distance
 * is the correctly rounded (ties to even) square root, found by comparing
 * the exact midpoints between neighbouring doubles. Exact while the squared
 * sums stay below 2^250: spacings within a factor 2^40 of each other and
 * offsets below 2^25. Masks are dense uint8 (x fastest), nonzero = inside.
 */
#ifndef REF_DISTANCE_MM_H
#define REF_DISTANCE_MM_H
#include <stddef.h>
#include <stdint.h>

/* RN(sqrt(s0^2 k0^2 + s1^2 k1^2 + s2^2 k2^2)). */
double ref_mm_distance(const double spacing[3], uint64_t k0, uint64_t k1, uint64_t k2);

/* out[i] = d_mm of voxel i for Yhat voxels (+INFINITY when nothing is
 * outside Yhat), 0 for the others. */
void ref_mm_distances(const uint8_t *yhat, size_t w, size_t h, size_t d,
                      const double spacing[3], int border, double *out);

/* I_lambda = {p in Yhat : d_mm(p) > lambda} (lambda = +inf keeps nothing). */
void ref_mm_inner(const uint8_t *yhat, size_t w, size_t h, size_t d, const double spacing[3],
                  int border, double lambda, uint8_t *out);

/* Every breakpoint lambda of {0} u {d_mm(p)} in increasing order, I_lambda
 * rebuilt and its false positives counted: the first with
 * (double)kept / (double)|Yhat| <= tau, +INFINITY if none; 0 for empty Yhat. */
double ref_mm_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h, size_t d,
                    const double spacing[3], int border, double tau);
/* The same walk from distances computed by ref_mm_distances (n voxels). */
double ref_mm_score_of(const uint8_t *yhat, const uint8_t *truth, size_t n, const double *dist,
                       double tau);
#endif
