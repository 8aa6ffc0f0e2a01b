/* SPDX-License-Identifier: Apache-2.0 */
/* Timing and small helpers shared by the benchmark files. */
#ifndef CONSECO_BENCH_UTIL_H
#define CONSECO_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic wall clock in seconds. */
double bench_now(void);

/* CPU time of the calling thread in seconds: single-thread rows use it, so
 * that other work on the machine does not leak into the ratios. */
double bench_cpu_now(void);

/* Median of n values (reorders them); 0 for n = 0. */
double bench_median(double *values, size_t n);

/* Online processors, at least 1. */
unsigned bench_cores(void);

/* malloc that exits with a message on failure (the bench has no recovery path). */
void *bench_alloc(size_t size);

/* splitmix64 */
typedef struct bench_rng { uint64_t state; } bench_rng;
uint64_t bench_next(bench_rng *r);
double bench_uniform(bench_rng *r, double lo, double hi);

#endif
