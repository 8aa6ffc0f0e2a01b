/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ground floor: the decision rule of docs/DESIGN.md section 1. F <= tau is
 * decided as (double)kept / (double)predicted <= tau; the false-positive
 * budget, the tau check and the metrics from counts all follow that one rule.
 */
#ifndef CONSECO_DECISION_H
#define CONSECO_DECISION_H

#include "numbers.h"

/* CONSECO_OK if tau in [0, 1], else CONSECO_E_BAD_TAU. */
int conseco__check_tau(double tau);

/* Largest m <= predicted with (double)m / (double)predicted <= tau.
 * predicted = 0 gives 0. This is the exact F <= tau rule. */
uint64_t conseco__fp_budget(uint64_t predicted, double tau);

/* Fill per-image metrics from counts (shared by every evaluate path). */
void conseco__metrics_fill(uint64_t predicted, uint64_t inner, uint64_t inner_fp,
                           uint64_t inner_tp, double tau, conseco_image_metrics *out);

#endif /* CONSECO_DECISION_H */
