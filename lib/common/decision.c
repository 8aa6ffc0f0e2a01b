/* SPDX-License-Identifier: Apache-2.0 */
/* The decision rule F <= tau (docs/DESIGN.md section 1): tau check, the
 * false-positive budget and the metrics from counts. Ground floor. */
#include "decision.h"

int conseco__check_tau(double tau)
{
    /* written so that NaN fails too */
    return (tau >= 0.0 && tau <= 1.0) ? CONSECO_OK : CONSECO_E_BAD_TAU;
}

uint64_t conseco__fp_budget(uint64_t predicted, double tau)
{
    const double n = (double)predicted;
    uint64_t m;
    double guess;
    if (predicted == 0) return 0;
    /* Start near tau * n, then walk to the exact edge of the predicate
     * (double)m / n <= tau, which is monotone in m. Only a step or two. */
    guess = tau * n;
    m = guess >= n ? predicted : (uint64_t)guess;
    while (m < predicted && (double)(m + 1) / n <= tau) m++;
    while (m > 0 && (double)m / n > tau) m--;
    return m;
}

void conseco__metrics_fill(uint64_t predicted, uint64_t inner, uint64_t inner_fp,
                           uint64_t inner_tp, double tau, conseco_image_metrics *out)
{
    out->predicted = predicted;
    out->inner = inner;
    out->inner_fp = inner_fp;
    out->inner_tp = inner_tp;
    if (predicted == 0) {
        /* Empty prediction: nothing accepted, nothing removed (paper: F = 0). */
        out->afp = 0.0;
        out->cr = 1.0;
        out->atp = 1.0;
    } else {
        const double n = (double)predicted;
        out->afp = (double)inner_fp / n;
        out->cr = (double)inner / n;
        out->atp = (double)inner_tp / n;
    }
    out->valid = out->afp <= tau;
    out->reserved = 0;
}

