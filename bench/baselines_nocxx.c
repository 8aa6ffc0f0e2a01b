/* SPDX-License-Identifier: Apache-2.0 */
/* Stand-ins for the C++ baselines when no C++ compiler is available. */
#include "baselines.h"

int cxx_available(void) { return 0; }
double sortscan_threshold_score_stdsort(const bench_pair *p, double base, double top, double tau,
                                        double *work)
{
    return sortscan_threshold_score_qsort(p, base, top, tau, work);
}
int opencv_available(void) { return 0; }
double opencv_erosion_score(const bench_pair *p, double base, double tau)
{
    (void)p;
    (void)base;
    (void)tau;
    return 0.0;
}
void opencv_erosion_apply(const bench_pair *p, double base, unsigned lambda, uint8_t *out)
{
    (void)p;
    (void)base;
    (void)lambda;
    (void)out;
}
