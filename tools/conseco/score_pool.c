/* SPDX-License-Identifier: Apache-2.0 */
/* Calibration pairs decoded and scored on several threads (see score_pool.h). */
#define _POSIX_C_SOURCE 200809L
#include "score_pool.h"

#include "cli.h"
#include "pairs.h"
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifndef CONSECO_CLI_NO_THREADS
#include <pthread.h>
#endif

unsigned cli_default_threads(void)
{
#if defined(_SC_NPROCESSORS_ONLN) && !defined(CONSECO_CLI_NO_THREADS)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 2 ? 2u : 1u;
#else
    return 1u;
#endif
}

typedef struct pool {
    const cli_dataset *pred, *gt;
    const size_t *ix;
    cli_pair_fn fn;
    void *ctx;
    size_t next, done;
    size_t fail_index;      /* lowest failing pair, (size_t)-1: none */
    int fail_rc;
    char fail_msg[1024];
    int threaded;
    cli_progress pg;
#ifndef CONSECO_CLI_NO_THREADS
    pthread_mutex_t lock;
#endif
} pool;

static void lock(pool *p)
{
#ifndef CONSECO_CLI_NO_THREADS
    if (p->threaded) pthread_mutex_lock(&p->lock);
#else
    (void)p;
#endif
}

static void unlock(pool *p)
{
#ifndef CONSECO_CLI_NO_THREADS
    if (p->threaded) pthread_mutex_unlock(&p->lock);
#else
    (void)p;
#endif
}

/* One pair: decode, hand over. */
static int one_pair(pool *p, size_t i, cli_loader *l, void **scratch, size_t *cap)
{
    cli_map score, mask;
    int rc = cli_load_pair(l, &p->pred->items[i], &p->gt->items[p->ix[i]], &score, &mask);
    if (rc != CLI_EXIT_OK) return rc;
    return p->fn(p->ctx, i, &score, &mask, scratch, cap);
}

static void *worker(void *arg)
{
    pool *p = (pool *)arg;
    cli_loader l;
    void *scratch = NULL;
    size_t cap = 0;
    char msg[sizeof p->fail_msg];
    if (p->threaded) cli_fail_capture(msg, sizeof msg);
    cli_loader_init(&l);
    for (;;) {
        size_t i;
        int rc;
        lock(p);
        i = p->next;
        if (i >= p->pred->count || p->fail_index != (size_t)-1) {
            unlock(p);
            break;
        }
        p->next++;
        unlock(p);
        rc = one_pair(p, i, &l, &scratch, &cap);
        lock(p);
        if (rc != CLI_EXIT_OK) {
            if (i < p->fail_index) { /* keep the error the sequential run would stop at */
                p->fail_index = i;
                p->fail_rc = rc;
                if (p->threaded) memcpy(p->fail_msg, msg, sizeof msg);
            }
        } else {
            p->done++;
            cli_progress_step(&p->pg, p->done);
        }
        unlock(p);
    }
    cli_loader_free(&l);
    free(scratch);
    if (p->threaded) cli_fail_capture(NULL, 0);
    return NULL;
}

int cli_for_each_pair(const cli_dataset *pred, const cli_dataset *gt, const size_t *ix,
                      unsigned threads, const char *label, int quiet, cli_pair_fn fn, void *ctx)
{
    pool p;
    memset(&p, 0, sizeof p);
    p.pred = pred;
    p.gt = gt;
    p.ix = ix;
    p.fn = fn;
    p.ctx = ctx;
    p.fail_index = (size_t)-1;
    if (threads < 1) threads = 1;
    if (threads > pred->count) threads = pred->count > 0 ? (unsigned)pred->count : 1u;
    cli_progress_begin(&p.pg, label, pred->count, quiet);
#ifndef CONSECO_CLI_NO_THREADS
    if (threads > 1) {
        pthread_t tid[64];
        unsigned t, started = 0;
        if (threads > 64) threads = 64;
        p.threaded = 1;
        pthread_mutex_init(&p.lock, NULL);
        for (t = 1; t < threads; t++)
            if (pthread_create(&tid[started], NULL, worker, &p) == 0) started++;
        worker(&p); /* this thread works too */
        for (t = 0; t < started; t++) pthread_join(tid[t], NULL);
        pthread_mutex_destroy(&p.lock);
    } else
#endif
    {
        worker(&p);
    }
    cli_progress_end(&p.pg);
    if (p.fail_index != (size_t)-1) {
        if (p.threaded) return cli_fail(p.fail_rc, "%s", p.fail_msg);
        return p.fail_rc;
    }
    return CLI_EXIT_OK;
}

typedef struct score_ctx {
    const cli_dataset *pred;
    const conseco_shrinker *sh;
    const conseco_side_params *side;
    double tau;
    double *scores;
} score_ctx;

static int score_fn(void *ctx, size_t i, cli_map *score, cli_map *mask, void **scratch,
                    size_t *cap)
{
    score_ctx *c = (score_ctx *)ctx;
    conseco_image im = cli_map_image(score);
    conseco_mask m = cli_map_mask(mask);
    size_t need = conseco_side_scratch_size(c->sh, c->side, im.width, im.height, im.depth);
    int rc = CLI_EXIT_OK, st;
    if (need == 0) rc = cli_fail(CLI_EXIT_DATA, "%s: image too large", c->pred->items[i].path);
    else if (need > *cap) {
        void *ns = realloc(*scratch, need);
        if (ns == NULL) rc = cli_fail_nomem();
        else {
            *scratch = ns;
            *cap = need;
        }
    }
    if (rc == CLI_EXIT_OK) {
        st = conseco_side_score(c->sh, c->side, &im, &m, c->tau, *scratch, *cap, &c->scores[i]);
        if (st != CONSECO_OK) rc = cli_fail_status(st, c->pred->items[i].path);
    }
    cli_map_free(score);
    cli_map_free(mask);
    return rc;
}

int cli_score_pairs(const cli_dataset *pred, const cli_dataset *gt, const size_t *ix,
                    const conseco_shrinker *shrinker, const conseco_side_params *side,
                    double tau, unsigned threads, int quiet, double *scores)
{
    score_ctx c;
    c.pred = pred;
    c.sh = shrinker;
    c.side = side;
    c.tau = tau;
    c.scores = scores;
    return cli_for_each_pair(pred, gt, ix, threads, "calibrate: images", quiet, score_fn, &c);
}

typedef struct add_ctx {
    const cli_dataset *pred;
    conseco_calibrator *cal;
    double *losses;
    int threaded;
#ifndef CONSECO_CLI_NO_THREADS
    pthread_mutex_t lock;
#endif
} add_ctx;

static int add_fn(void *ctx, size_t i, cli_map *score, cli_map *mask, void **scratch,
                  size_t *cap)
{
    add_ctx *c = (add_ctx *)ctx;
    conseco_image im = cli_map_image(score);
    conseco_mask m = cli_map_mask(mask);
    int rc = CLI_EXIT_OK, st;
    (void)scratch; /* the calibrator owns its scratch */
    (void)cap;
#ifndef CONSECO_CLI_NO_THREADS
    if (c->threaded) pthread_mutex_lock(&c->lock);
#endif
    st = conseco_calibrator_add(c->cal, &im, &m, &c->losses[i]);
#ifndef CONSECO_CLI_NO_THREADS
    if (c->threaded) pthread_mutex_unlock(&c->lock);
#endif
    if (st != CONSECO_OK) rc = cli_fail_status(st, c->pred->items[i].path);
    cli_map_free(score);
    cli_map_free(mask);
    return rc;
}

int cli_add_pairs(const cli_dataset *pred, const cli_dataset *gt, const size_t *ix,
                  conseco_calibrator *cal, unsigned threads, int quiet, double *losses)
{
    add_ctx c;
    int rc;
    c.pred = pred;
    c.cal = cal;
    c.losses = losses;
    c.threaded = 0;
#ifndef CONSECO_CLI_NO_THREADS
    c.threaded = threads > 1 && pred->count > 1;
    if (c.threaded && pthread_mutex_init(&c.lock, NULL) != 0) c.threaded = 0;
#endif
    rc = cli_for_each_pair(pred, gt, ix, c.threaded ? threads : 1u, "calibrate: images", quiet,
                           add_fn, &c);
#ifndef CONSECO_CLI_NO_THREADS
    if (c.threaded) pthread_mutex_destroy(&c.lock);
#endif
    return rc;
}
