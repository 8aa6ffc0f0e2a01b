/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Literal references of the outer sets and bands (DESIGN.md 5.2): dilate one
 * step at a time (the disk: one dilation by the disk of radius r, by brute
 * force), walk every breakpoint of threshold lowering and of the threshold
 * offset band. Slow on purpose. Dense uint8 masks (x fastest, then y, then
 * z), nonzero = inside; depth 1 is a 2-D image (4/8 neighbours, disk), depth
 * > 1 a volume (6/26 neighbours, ball). Scores are doubles as the contract
 * defines them (value / 255, ...).
 */
#ifndef REF_OUTER_H
#define REF_OUTER_H
#include <stddef.h>
#include <stdint.h>

/* (double)missed / |Y| <= tau, true when Y is empty. */
int ref_fnr_ok(uint64_t missed, uint64_t truth, double tau);

/* O_mu: Yhat dilated mu times by the cross / square, or once by the disk
 * (ball) of radius mu; never leaves the image. */
void ref_dilation_outer(const uint8_t *yhat, size_t w, size_t h, size_t d, int element,
                        unsigned long mu, uint8_t *out);

/* Smallest mu = 0, 1, ... with FNR <= tau; +INFINITY when the set stops
 * growing first (empty Yhat, or the whole image still misses too much). */
double ref_dilation_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                          size_t d, int element, double tau);

/* Walks t over {base} U {s_p : bottom <= s_p < base} U {bottom} from the
 * largest down, counting the missed truth of {s >= t}; the first t with
 * FNR <= tau, -INFINITY if none. */
double ref_lowering_score(const double *s, const uint8_t *truth, size_t n, double base,
                          double bottom, double tau);

/* Walks l over {0} U {|s_p - base|} upwards; I = {s >= base + l},
 * O = {s >= base - l}; the first l with AFP(I) <= tau (|Yhat| = |{s >= base}|)
 * and FNR(O) <= tau_outer; +INFINITY if none. */
double ref_band_threshold_score(const double *s, const uint8_t *truth, size_t n, double base,
                                double tau, double tau_outer);

/* Walks lambda = 0, 1, ... up to w + h + d + 2: I = erosion (ref_erosion.c),
 * O = dilation, the first lambda with both; +INFINITY if none. */
double ref_band_erosion_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                              size_t d, int element, int border, double tau, double tau_outer);
/* Ball in millimetres: dist[i] = d_mm(voxel i, Yhat) for voxels outside Yhat
 * (0 on Yhat, +INFINITY when Yhat is empty), by ref_mm_distances of the
 * complement (ref_distance_mm.c: exact, correctly rounded). */
void ref_mm_outer_distances(const uint8_t *yhat, size_t w, size_t h, size_t d,
                            const double spacing[3], double *dist);

/* Walks mu over {0} U {dist(p) : p in Y} upwards: the first with
 * #{p in Y : dist(p) > mu} / |Y| <= tau; +INFINITY if none. */
double ref_mm_outer_score(const uint8_t *yhat, const uint8_t *truth, size_t w, size_t h,
                          size_t d, const double spacing[3], double tau);
#endif
