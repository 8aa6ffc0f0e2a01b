/* SPDX-License-Identifier: Apache-2.0 */
/* What a user would write instead of libconseco: the literal loops, sort-and-
 * scan, OpenCV, and the read floor. Every function here gives the same answer
 * as the library (the bench checks it) on dense 2-D U8 or F32 maps, with the
 * erosion shrinker's defaults (3x3 cross, foreground border). */
#ifndef CONSECO_BENCH_BASELINES_H
#define CONSECO_BENCH_BASELINES_H

#include <stddef.h>
#include <stdint.h>

#include "conseco.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A calibration pair in dense memory (row_stride = width * element size). */
typedef struct bench_pair {
    conseco_image pred; /* CONSECO_DTYPE_U8 or CONSECO_DTYPE_F32 */
    conseco_mask truth;
} bench_pair;

static inline size_t bench_pixels(const bench_pair *p) { return p->pred.width * p->pred.height; }

/* Largest m <= predicted with (double)m / (double)predicted <= tau. */
uint64_t bench_fp_budget(uint64_t predicted, double tau);

/* ---- erosion, literal: erode one step at a time, count after each step */
/* Bytes of work buffer for a pair of `pixels` pixels. */
size_t literal_erosion_work_size(size_t pixels);
double literal_erosion_score(const bench_pair *p, double base, double tau, uint8_t *work);
/* Writes I_lambda (1/0) to out (dense). */
void literal_erosion_apply(const bench_pair *p, double base, unsigned lambda, uint8_t *work,
                           uint8_t *out);

/* ---- threshold, literal: walk the breakpoints upwards, one full pass each */
/* doubles of work buffer: one per pixel */
double literal_threshold_score(const bench_pair *p, double base, double top, double tau,
                               double *work);
/* Breakpoints the walk visits before it stops at `score` (to skip hopeless runs). */
size_t literal_threshold_steps(const bench_pair *p, double base, double top, double score,
                               double *work);

/* ---- threshold, sort and scan: collect FP scores, sort, read the cut */
/* Collects the scores of false positives into work; returns their count and sets *predicted. */
size_t sortscan_collect(const bench_pair *p, double base, double *work, uint64_t *predicted);
/* The score from the sorted FP scores (one more pass for the next breakpoint). */
double sortscan_finish(const bench_pair *p, double base, double top, double tau,
                       const double *sorted, size_t nfp, uint64_t predicted);
double sortscan_threshold_score_qsort(const bench_pair *p, double base, double top, double tau,
                                      double *work);

/* ---- the floor: read the score map and the mask once (vectorised sum) */
uint64_t read_floor(const bench_pair *p);

/* ---- C++ (baselines_cxx.cpp); *_available() say whether it was compiled */
int cxx_available(void);
double sortscan_threshold_score_stdsort(const bench_pair *p, double base, double top, double tau,
                                        double *work);
int opencv_available(void);
/* OpenCV: cv::erode with the 3x3 cross, cv::countNonZero after each step. */
double opencv_erosion_score(const bench_pair *p, double base, double tau);
/* OpenCV: threshold, then cv::erode `lambda` iterations; writes 1/0 to out. */
void opencv_erosion_apply(const bench_pair *p, double base, unsigned lambda, uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif
