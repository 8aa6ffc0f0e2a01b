/* SPDX-License-Identifier: Apache-2.0 */
#include "risk_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ref_crc32.h"

const rh_alpha rh_alphas[RH_NALPHAS] = {{1, 10}, {1, 20},    {1, 5},   {1, 4}, {1, 2},
                                        {3, 10}, {15, 100}, {1, 100}, {3, 4}, {7, 10}};

size_t rh_seen_inf, rh_seen_min, rh_seen_inside;

void rh_seen_reset(void) { rh_seen_inf = rh_seen_min = rh_seen_inside = 0; }

void rh_set_free(rh_set *s)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        free(s->pbuf[i]);
        free(s->tbuf[i]);
    }
}

int rh_same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

double rh_lambda_of(conseco_calibrator *c, double alpha)
{
    double l = NAN;
    size_t k = 99;
    assert_int_equal(conseco_calibrator_lambda_hat(c, alpha, &l, &k), CONSECO_OK);
    assert_int_equal(k, 0);
    return l;
}

void rh_check_all_paths(tu_rng *r, conseco_calibrator_config cfg, const rh_set *s,
                        double expect, double alpha, double at_min, unsigned max_threads)
{
    conseco_calibrator *a = NULL, *b = NULL, *m1 = NULL, *m2 = NULL, *l = NULL, *st = NULL;
    size_t i, cut = tu_range(r, 0, s->n), size, written;
    unsigned char *buf, *ws;
    double losses[RH_MAXN];
    conseco_state_info info;
    assert_true(s->n <= RH_MAXN);
    if (expect == INFINITY || expect == -INFINITY) rh_seen_inf++;
    else if (expect == at_min) rh_seen_min++;
    else rh_seen_inside++;
    /* one by one */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &a), CONSECO_OK);
    for (i = 0; i < s->n; i++)
        assert_int_equal(conseco_calibrator_add(a, &s->preds[i], &s->truths[i], NULL), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(a), s->n);
    if (!rh_same(rh_lambda_of(a, alpha), expect)) {
        fprintf(stderr, "n=%zu alpha=%g lib=%.17g ref=%.17g\n", s->n, alpha,
                rh_lambda_of(a, alpha), expect);
        fail();
    }
    /* batch, and each image's loss at the start (of Yhat: AFP inner, FNR outer) as add() reports it */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &b), CONSECO_OK);
    assert_int_equal(conseco_calibrator_add_batch(b, s->preds, s->truths, s->n,
                                                  (unsigned)tu_range(r, 1, max_threads), losses),
                     CONSECO_OK);
    for (i = 0; i < s->n; i++) {
        double one = -1.0;
        conseco_calibrator *t = NULL;
        assert_int_equal(conseco_calibrator_create(&cfg, NULL, &t), CONSECO_OK);
        assert_int_equal(conseco_calibrator_add(t, &s->preds[i], &s->truths[i], &one), CONSECO_OK);
        assert_true(rh_same(one, losses[i]));
        assert_true(one >= 0.0 && one <= 1.0);
        conseco_calibrator_free(t);
    }
    assert_true(rh_same(rh_lambda_of(b, alpha), expect));
    /* split and merged (the second part first) */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &m1), CONSECO_OK);
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &m2), CONSECO_OK);
    for (i = 0; i < s->n; i++)
        assert_int_equal(
            conseco_calibrator_add(i < cut ? m1 : m2, &s->preds[i], &s->truths[i], NULL),
            CONSECO_OK);
    assert_int_equal(conseco_calibrator_merge(m2, m1), CONSECO_OK);
    assert_true(rh_same(rh_lambda_of(m2, alpha), expect));
    /* the curve is exact: the same bytes whatever the order */
    size = conseco_calibrator_save_size(a);
    assert_int_equal(conseco_calibrator_save_size(m2), size);
    assert_int_equal(conseco_calibrator_save_size(b), size);
    buf = malloc(3 * size);
    assert_non_null(buf);
    assert_int_equal(conseco_calibrator_save(a, buf, size, &written), CONSECO_OK);
    assert_int_equal(written, size);
    assert_int_equal(conseco_calibrator_save(m2, buf + size, size, &written), CONSECO_OK);
    assert_int_equal(conseco_calibrator_save(b, buf + 2 * size, size, &written), CONSECO_OK);
    assert_memory_equal(buf, buf + size, size);
    assert_memory_equal(buf, buf + 2 * size, size);
    memset(&info, 0, sizeof info);
    info.struct_size = (uint32_t)sizeof info;
    assert_int_equal(conseco_state_inspect(buf, size, &info), CONSECO_OK);
    assert_int_equal(info.side, cfg.side);
    assert_int_equal(info.guarantee, CONSECO_GUARANTEE_RISK);
    assert_true(rh_same(info.bottom, cfg.bottom));
    /* save / load */
    assert_int_equal(conseco_calibrator_create(&cfg, NULL, &l), CONSECO_OK);
    assert_int_equal(conseco_calibrator_load(l, buf, size), CONSECO_OK);
    assert_int_equal(conseco_calibrator_count(l), s->n);
    assert_true(rh_same(rh_lambda_of(l, alpha), expect));
    /* static: capacity = an upper bound on the keys */
    cfg.capacity = s->pixels + 2 * s->n;
    cfg.max_width = s->maxw;
    cfg.max_height = s->maxh;
    cfg.max_depth = s->maxd;
    size = conseco_calibrator_workspace_size(&cfg);
    assert_true(size > 0);
    ws = malloc(size);
    assert_non_null(ws);
    assert_int_equal(conseco_calibrator_init_static(ws, size, &cfg, &st), CONSECO_OK);
    for (i = 0; i < s->n; i++)
        assert_int_equal(conseco_calibrator_add(st, &s->preds[i], &s->truths[i], NULL), CONSECO_OK);
    assert_true(rh_same(rh_lambda_of(st, alpha), expect));
    conseco_calibrator_free(st);
    free(ws);
    free(buf);
    conseco_calibrator_free(a);
    conseco_calibrator_free(b);
    conseco_calibrator_free(m1);
    conseco_calibrator_free(m2);
    conseco_calibrator_free(l);
}

void rh_put64(unsigned char *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void rh_reseal(unsigned char *b, size_t size)
{
    const uint32_t crc = ref_crc32(b, size - 4);
    int i;
    for (i = 0; i < 4; i++) b[size - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
}
