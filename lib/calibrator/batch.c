/* SPDX-License-Identifier: Apache-2.0 */
/* Batch calibration: scores many calibration pairs on several threads and
 * stores them all, in input order, or none of them.
 *
 * Each worker takes the next unclaimed index, scores it with its own scratch
 * and writes the score straight into the calibrator's reserved slot for that
 * index, so the stored order never depends on thread timing. The count is
 * only raised once every pair has scored: that is the all-or-nothing commit.
 *
 * This is the only file of lib/ that uses threads. CONSECO_NO_THREADS (implied
 * by CONSECO_FREESTANDING and by MSVC, which has no pthreads) keeps the same
 * function but scores in the calling thread. */
#include "calibrator_impl.h"

#if !defined(CONSECO_NO_THREADS) &&                                                     \
    ((defined(CONSECO_FREESTANDING) && CONSECO_FREESTANDING) || defined(_MSC_VER))
#define CONSECO_NO_THREADS 1
#endif

#ifndef CONSECO_NO_THREADS
#include <pthread.h>
#endif

/* Hard cap on worker threads: far above any useful count, small enough that
 * the thread handles fit on the stack. */
#define CONSECO__BATCH_MAX_THREADS 64u

typedef struct batch_job {
    const conseco_calibrator *c;
    const conseco_image *preds;
    const conseco_mask *truths;
    size_t count;
    double *slots; /* c->scores + c->count: one reserved slot per pair */
#ifndef CONSECO_NO_THREADS
    pthread_mutex_t lock;
    int locked; /* 0 when the job runs in one thread and needs no lock */
#endif
    size_t next;      /* first index no worker has claimed */
    size_t err_index; /* lowest failing index so far; count if none */
    int err_rc;
    /* risk calibrators: curves are built in parallel and merged into the
     * calibrator's spare curve under the lock; slots (if any) get the losses */
    int risk;
    size_t nspare;
} batch_job;

typedef struct batch_worker {
    batch_job *job;
    unsigned char *scratch;
    size_t scratch_size;
} batch_worker;

static void job_lock(batch_job *job)
{
#ifndef CONSECO_NO_THREADS
    if (job->locked) (void)pthread_mutex_lock(&job->lock);
#else
    (void)job;
#endif
}

static void job_unlock(batch_job *job)
{
#ifndef CONSECO_NO_THREADS
    if (job->locked) (void)pthread_mutex_unlock(&job->lock);
#else
    (void)job;
#endif
}

/* A static calibrator's workspace only holds scratch for its maximum shape:
 * the limit conseco_calibrator_add() enforces, checked at the same point
 * (after the views and their shapes, so the same pair gets the same status). */
static int too_large_for_static(const conseco_calibrator *c, const conseco_image *pred,
                                const conseco_mask *truth)
{
    if (!c->is_static) return 0;
    if (conseco_image_validate(pred) != CONSECO_OK || conseco_mask_validate(truth) != CONSECO_OK)
        return 0;
    if (pred->width != truth->width || pred->height != truth->height ||
        pred->depth != truth->depth)
        return 0;
    return pred->width > c->max_width || pred->height > c->max_height ||
           pred->depth > c->max_depth;
}

/* Risk: the pair's curve in this worker's scratch, then merged under the lock. */
static int curve_one(const batch_worker *w, size_t i)
{
    batch_job *job = w->job;
    conseco_calibrator *c = (conseco_calibrator *)job->c; /* only its spare changes, locked */
    conseco__image_curve curve;
    int rc = conseco__risk_curve_build(&c->sh, &c->side, &job->preds[i], &job->truths[i],
                                       w->scratch, w->scratch_size, &curve);
    if (rc != CONSECO_OK) return rc;
    job_lock(job);
    rc = conseco__risk_spare_merge(c, &curve, &job->nspare);
    job_unlock(job);
    if (rc == CONSECO_OK && job->slots != NULL)
        job->slots[i] = curve.yhat == 0 ? 0.0 : (double)curve.total_fp / (double)curve.yhat;
    return rc;
}

static int score_one(const batch_worker *w, size_t i)
{
    const batch_job *job = w->job;
    const conseco_calibrator *c = job->c;
    double score = 0.0;
    int rc;
    if (job->risk) return curve_one(w, i);
    if (too_large_for_static(c, &job->preds[i], &job->truths[i])) return CONSECO_E_TOO_LARGE;
    rc = conseco__calibrator_score(c, &job->preds[i], &job->truths[i], w->scratch,
                                   w->scratch_size, &score);
    if (rc != CONSECO_OK) return rc;
    /* what conseco_calibrator_add() says of a custom shrinker's NaN or -inf */
    if (!conseco__calibrator_score_ok(c, score)) return CONSECO_E_CALLBACK;
    job->slots[i] = score;
    return CONSECO_OK;
}

/* Claims indices until none is left. Once a pair has failed, indices above
 * it are no longer claimed, but every index below it already was (claims are
 * in increasing order), so the reported failure is always the lowest one. */
static void worker_run(batch_worker *w)
{
    batch_job *job = w->job;
    for (;;) {
        size_t i;
        int rc;
        job_lock(job);
        i = job->next;
        if (i >= job->err_index) {
            job_unlock(job);
            return;
        }
        job->next = i + 1;
        job_unlock(job);

        rc = score_one(w, i);
        if (rc != CONSECO_OK) {
            job_lock(job);
            if (i < job->err_index) {
                job->err_index = i;
                job->err_rc = rc;
            }
            job_unlock(job);
        }
    }
}

#ifndef CONSECO_NO_THREADS
static void *worker_main(void *arg)
{
    worker_run((batch_worker *)arg);
    return NULL;
}
#endif

/* Scratch that covers every pair: the largest width, height and depth over
 * the batch (scratch sizes only grow with each dimension). Views that do not
 * validate are skipped here; conseco_score() reports them in order later. */
static int batch_scratch_size(const conseco_calibrator *c, const conseco_image *preds,
                              size_t count, size_t *out)
{
    size_t w = 0, h = 0, d = 0, i, size;
    for (i = 0; i < count; i++) {
        const conseco_image *p = &preds[i];
        if (conseco_image_validate(p) != CONSECO_OK) continue;
        if (p->width > w) w = p->width;
        if (p->height > h) h = p->height;
        if (p->depth > d) d = p->depth;
    }
    if (w == 0) {
        *out = 0; /* no valid view: every pair fails before touching scratch */
        return CONSECO_OK;
    }
    size = conseco__calibrator_scratch_size(c, w, h, d);
    if (size == 0) return CONSECO_E_OVERFLOW;
    *out = size;
    return CONSECO_OK;
}

/* Runs the job on `nthreads` workers (the calling thread is worker 0). If a
 * thread cannot be started, the ones that did (and the caller) do its share. */
static void run_workers(batch_job *job, batch_worker *workers, unsigned nthreads)
{
#ifndef CONSECO_NO_THREADS
    pthread_t tids[CONSECO__BATCH_MAX_THREADS];
    int started[CONSECO__BATCH_MAX_THREADS] = {0};
    unsigned t;
    job->locked = 0;
    if (nthreads > 1 && pthread_mutex_init(&job->lock, NULL) == 0) job->locked = 1;
    if (!job->locked) nthreads = 1;
    for (t = 1; t < nthreads; t++)
        started[t] = pthread_create(&tids[t], NULL, worker_main, &workers[t]) == 0;
    worker_run(&workers[0]);
    for (t = 1; t < nthreads; t++)
        if (started[t]) (void)pthread_join(tids[t], NULL);
    if (job->locked) (void)pthread_mutex_destroy(&job->lock);
#else
    (void)job;
    (void)nthreads;
    worker_run(&workers[0]);
#endif
}

#ifndef CONSECO_NO_THREADS
/* Risk calibrators on several threads (dynamic calibrators only; the
 * calling thread alone goes through conseco__risk_add_batch). Every pair is
 * checked first; the curves are built in parallel, each in its worker's
 * scratch, and merged one at a time (under the lock, so the allocator is
 * never called concurrently) into the spare curve, which is swapped in only
 * when every pair succeeded. The sums are exact, so the result does not
 * depend on the merge order. */
static int risk_batch_threaded(conseco_calibrator *c, const conseco_image *preds,
                               const conseco_mask *truths, size_t count, unsigned nthreads,
                               double *losses_out)
{
    batch_job job;
    batch_worker workers[CONSECO__BATCH_MAX_THREADS];
    unsigned char *owned = NULL;
    double *losses = NULL;
    size_t i, n, maxn = 0, need, total, bytes = 0;
    unsigned t;
    int rc;
    if (!conseco__add_size(c->count, count, &total)) return CONSECO_E_OVERFLOW;
    if ((size_t)nthreads > count) nthreads = (unsigned)count; /* no idle scratch */
    for (i = 0; i < count; i++) {
        if ((rc = conseco__risk_check_pair(c, &preds[i], &truths[i], &n)) != CONSECO_OK) return rc;
        n = conseco__risk_scratch(&c->sh, &c->side, preds[i].width, preds[i].height,
                                  preds[i].depth);
        if (n == 0) return CONSECO_E_OVERFLOW;
        if (n > maxn) maxn = n;
    }
    need = maxn;
    for (; nthreads >= 1; nthreads = nthreads / 2u) {
        if (!conseco__mul_size(need, nthreads, &bytes)) continue;
        owned = (unsigned char *)c->alloc.alloc(c->alloc.opaque, bytes);
        if (owned != NULL) break;
    }
    if (owned == NULL) return CONSECO_E_NO_MEMORY;
    if (losses_out != NULL) {
        losses = (double *)c->alloc.alloc(c->alloc.opaque, count * sizeof *losses);
        if (losses == NULL) {
            c->alloc.free(c->alloc.opaque, owned);
            return CONSECO_E_NO_MEMORY;
        }
    }
    if ((rc = conseco__risk_spare_begin(c)) != CONSECO_OK) {
        if (losses != NULL) c->alloc.free(c->alloc.opaque, losses);
        c->alloc.free(c->alloc.opaque, owned);
        return rc;
    }
    job.c = c;
    job.preds = preds;
    job.truths = truths;
    job.count = count;
    job.slots = losses;
    job.next = 0;
    job.err_index = count;
    job.err_rc = CONSECO_OK;
    job.risk = 1;
    job.nspare = c->nkeys;
    for (t = 0; t < nthreads; t++) {
        workers[t].job = &job;
        workers[t].scratch = owned + (size_t)t * need;
        workers[t].scratch_size = need;
    }
    run_workers(&job, workers, nthreads);
    c->alloc.free(c->alloc.opaque, owned);
    if (job.err_index < count) {
        if (losses != NULL) c->alloc.free(c->alloc.opaque, losses);
        return job.err_rc; /* the committed curve is untouched */
    }
    if (losses != NULL) {
        CONSECO_memcpy(losses_out, losses, count * sizeof *losses);
        c->alloc.free(c->alloc.opaque, losses);
    }
    conseco__risk_commit(c, job.nspare, count);
    return CONSECO_OK;
}
#endif

int conseco_calibrator_add_batch(conseco_calibrator *c, const conseco_image *preds,
                                 const conseco_mask *truths, size_t count, unsigned threads,
                                 double *scores_out)
{
    batch_job job;
    batch_worker workers[CONSECO__BATCH_MAX_THREADS];
    unsigned char *owned = NULL; /* scratch we allocated, freed before returning */
    size_t need, total, i;
    unsigned nthreads, t;
    int rc;

    if (c == NULL) return CONSECO_E_NULL;
    if (count == 0) return CONSECO_OK;
    if (preds == NULL || truths == NULL) return CONSECO_E_NULL;
    if (c->guarantee == CONSECO_GUARANTEE_RISK) {
#ifndef CONSECO_NO_THREADS
        if (!c->is_static && threads > 1 && count > 1) {
            nthreads = threads > CONSECO__BATCH_MAX_THREADS ? CONSECO__BATCH_MAX_THREADS : threads;
            return risk_batch_threaded(c, preds, truths, count, nthreads, scores_out);
        }
#endif
        /* static, one thread, or no threads: the calling thread (risk_curve.c) */
        return conseco__risk_add_batch(c, preds, truths, count, scores_out);
    }
    if (!conseco__add_size(c->count, count, &total)) return CONSECO_E_OVERFLOW;
    if ((rc = batch_scratch_size(c, preds, count, &need)) != CONSECO_OK) return rc;
    /* Room first: a full static calibrator fails before any work is done. */
    if ((rc = conseco__calibrator_reserve(c, total)) != CONSECO_OK) return rc;

#ifdef CONSECO_NO_THREADS
    (void)threads;
    nthreads = 1;
#else
    nthreads = threads == 0 ? 1u : threads;
    if (nthreads > CONSECO__BATCH_MAX_THREADS) nthreads = CONSECO__BATCH_MAX_THREADS;
    if ((size_t)nthreads > count) nthreads = (unsigned)count;
    /* A static calibrator never allocates: one worker on its own scratch. */
    if (c->is_static) nthreads = 1;
#endif

    /* cppcheck-suppress knownConditionTrueFalse ; always true only with CONSECO_NO_THREADS */
    if (c->is_static || (nthreads == 1 && c->scratch_size >= need)) {
        /* A static workspace fits every shape it accepts; larger pairs fail
         * in order with CONSECO_E_TOO_LARGE before touching the scratch. */
        workers[0].scratch = c->scratch;
        workers[0].scratch_size = c->scratch_size;
    } else {
        /* One block, cut in per-thread pieces. With too little memory for
         * all the threads we try fewer before giving up. */
        size_t bytes = 0;
        for (; nthreads >= 1; nthreads = nthreads / 2u) {
            if (!conseco__mul_size(need, nthreads, &bytes)) continue;
            owned = bytes ? (unsigned char *)c->alloc.alloc(c->alloc.opaque, bytes) : NULL;
            if (owned != NULL || bytes == 0) break;
        }
        if (nthreads == 0) return CONSECO_E_NO_MEMORY;
        for (t = 0; t < nthreads; t++) {
            workers[t].scratch = owned == NULL ? NULL : owned + (size_t)t * need;
            workers[t].scratch_size = need;
        }
    }

    job.c = c;
    job.preds = preds;
    job.truths = truths;
    job.count = count;
    job.slots = c->scores + c->count;
    job.next = 0;
    job.err_index = count;
    job.err_rc = CONSECO_OK;
    job.risk = 0;
    job.nspare = 0;
    for (t = 0; t < nthreads; t++) workers[t].job = &job;

    run_workers(&job, workers, nthreads);

    if (owned != NULL) c->alloc.free(c->alloc.opaque, owned);
    if (job.err_index < count) return job.err_rc;
    if (scores_out != NULL)
        for (i = 0; i < count; i++) scores_out[i] = job.slots[i];
    c->count = total; /* the commit */
    return CONSECO_OK;
}
