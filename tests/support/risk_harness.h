/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The harness shared by the risk-guarantee suites (test_risk.c: inner sets,
 * test_outer_risk.c: outer sets): a calibration set of images the suite
 * generates, the alpha table, and the check that every way of building a
 * risk calibrator (one by one, add_batch, merged in a random split,
 * save/load, a static workspace) gives the reference's lambda_hat and the
 * very same state bytes. CMocka asserts.
 */
#ifndef RISK_HARNESS_H
#define RISK_HARNESS_H
#include <stddef.h>
#include <stdint.h>

#ifndef CONSECO_STATIC_LINKING_ONLY
#define CONSECO_STATIC_LINKING_ONLY
#endif
#include "conseco.h"
#include "test_util.h"

/* Room for the images of one calibration set (each suite draws at most its own number). */
#define RH_MAXN 12

typedef struct rh_set {
    size_t n;
    conseco_image preds[RH_MAXN];
    conseco_mask truths[RH_MAXN];
    void *pbuf[RH_MAXN];     /* owned: freed by rh_set_free */
    uint8_t *tbuf[RH_MAXN];  /* owned */
    size_t maxw, maxh, maxd, pixels;
} rh_set;

/* Frees the buffers of the n images. */
void rh_set_free(rh_set *s);

/* alpha = num / den exactly (the references decide in integers). */
typedef struct rh_alpha {
    uint64_t num, den;
} rh_alpha;

#define RH_NALPHAS 10
extern const rh_alpha rh_alphas[RH_NALPHAS];

/* Bitwise equality (so -0.0 differs from 0.0). */
int rh_same(double a, double b);

/* lambda_hat of a risk calibrator (asserts OK and k = 0). */
double rh_lambda_of(conseco_calibrator *c, double alpha);

/* How often each kind of answer came up: +-inf, at_min, inside (the suites
 * print them and require enough of each). rh_seen_reset() zeroes them. */
extern size_t rh_seen_inf, rh_seen_min, rh_seen_inside;
void rh_seen_reset(void);

/* Every way of building the calibrator of `cfg` (a risk config) over the set
 * gives `expect` at alpha, and the same state bytes (inspect: format of the
 * risk guarantee, cfg's side and bottom). Draws the split point and then the
 * thread count (1..max_threads) from r. `at_min` is the family's lowest
 * answer (counted as rh_seen_min). */
void rh_check_all_paths(tu_rng *r, conseco_calibrator_config cfg, const rh_set *s,
                        double expect, double alpha, double at_min, unsigned max_threads);

/* State forging: little-endian stores and the CRC-32 rewritten. */
void rh_put64(unsigned char *p, uint64_t v);
void rh_reseal(unsigned char *b, size_t size);
#endif
