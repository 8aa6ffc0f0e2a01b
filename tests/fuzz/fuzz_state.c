/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the calibrator state loader (conseco_state_inspect and
 * conseco_calibrator_load) on arbitrary bytes.
 *
 * Input: one mode byte, then the state bytes. Mode bit 0 rewrites the last
 * four bytes with the correct CRC-32 first, so mutations get past the
 * checksum and reach the field checks; bit 1 loads into a calibrator whose
 * tau (risk states: guarantee) differs from the state's; bit 2 loads into a
 * static calibrator one score too small (quantile states).
 *
 * Every format version: 1 (inner, quantile), 2 (outer side or band, with
 * tau_outer and bottom), 3 (the risk guarantee: a summed loss curve); every
 * kind (threshold, erosion, smooth, custom with an outer family).
 *
 * Invariants:
 *  - load and inspect agree: same status on unreadable bytes, and inspect OK
 *    with matching settings means load OK;
 *  - a failed load leaves the calibrator exactly as it was (it saves the
 *    same bytes as before, and keeps its scores);
 *  - a loaded state saves back to the very same bytes (the format has one
 *    encoding), holds info.count scores (risk: images, no scores), none NaN
 *    (and no -inf, or no +inf for threshold lowering);
 *  - the state is exactly as long as it says: one byte less never loads.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CONSECO_STATIC_LINKING_ONLY
#include "conseco.h"
#include "fuzz_check.h"
#include "ref_crc32.h"

static int levels_zero(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t i;
    (void)user;
    (void)pred;
    for (i = 0; i < count; i++) levels[i] = 0.0;
    return CONSECO_OK;
}

/* Outer levels of a custom shrinker: every pixel in O from lambda_min on. */
static int outer_low(void *user, const conseco_image *pred, double *levels, size_t count)
{
    size_t i;
    (void)user;
    (void)pred;
    for (i = 0; i < count; i++) levels[i] = -INFINITY;
    return CONSECO_OK;
}

static const double seed_scores[3] = {0.5, 0.75, 0.625};

typedef struct params {
    conseco_threshold_params tp;
    conseco_erosion_params ep;
    conseco_smooth_params sp;
    conseco_shrinker_vtable vt;
} params;

/* The settings a calibrator needs to accept the described state. */
static void config_from_info(const conseco_state_info *info, conseco_calibrator_config *cfg,
                             params *p)
{
    conseco_threshold_params *tp = &p->tp;
    conseco_erosion_params *ep = &p->ep;
    conseco_shrinker_vtable *vt = &p->vt;
    conseco_calibrator_config_init(cfg);
    cfg->tau = info->tau;
    cfg->side = info->side;
    cfg->guarantee = info->guarantee;
    cfg->tau_outer = info->tau_outer;
    cfg->bottom = info->bottom;
    if (info->kind == CONSECO_KIND_THRESHOLD) {
        *tp = info->threshold;
        cfg->shrinker = conseco_shrinker_threshold(tp);
    } else if (info->kind == CONSECO_KIND_EROSION) {
        *ep = info->erosion;
        cfg->shrinker = conseco_shrinker_erosion(ep);
    } else if (info->kind == CONSECO_KIND_SMOOTH) {
        p->sp = info->smooth;
        cfg->shrinker = conseco_shrinker_smooth(&p->sp);
    } else {
        memset(vt, 0, sizeof *vt);
        vt->struct_size = (uint32_t)sizeof *vt;
        vt->version = CONSECO_SHRINKER_VERSION;
        vt->name = info->name;
        vt->domain = info->domain;
        vt->lambda_min = info->lambda_min;
        vt->lambda_max = info->lambda_max;
        vt->levels = levels_zero;
        vt->outer_levels = outer_low;
        cfg->shrinker.vtable = vt;
        cfg->shrinker.user = NULL;
    }
}

static int is_risk(const conseco_calibrator_config *cfg)
{
    return cfg->guarantee == CONSECO_GUARANTEE_RISK;
}

/* A calibrator holding something: 3 scores, or (risk) one 2 x 2 image's curve. */
static conseco_calibrator *seeded(const conseco_calibrator_config *cfg, void *workspace,
                                  size_t ws)
{
    static const uint8_t pix[4] = {255, 200, 90, 0}, truth[4] = {1, 0, 1, 0};
    conseco_calibrator *cal = NULL;
    size_t i;
    if (workspace) FUZZ_CHECK(conseco_calibrator_init_static(workspace, ws, cfg, &cal) == CONSECO_OK);
    else FUZZ_CHECK(conseco_calibrator_create(cfg, NULL, &cal) == CONSECO_OK);
    if (is_risk(cfg)) {
        const conseco_image im = conseco_image_2d(pix, 2, 2, 2, CONSECO_DTYPE_U8);
        const conseco_mask tm = conseco_mask_2d(truth, 2, 2, 2);
        /* a custom shrinker's image may not fit its range: then it stays empty */
        (void)conseco_calibrator_add(cal, &im, &tm, NULL);
    } else {
        for (i = 0; i < 3; i++)
            FUZZ_CHECK(conseco_calibrator_add_score(cal, seed_scores[i]) == CONSECO_OK);
    }
    return cal;
}

static uint8_t *saved_bytes(const conseco_calibrator *c, size_t *size)
{
    uint8_t *b;
    size_t written = 0;
    *size = conseco_calibrator_save_size(c);
    FUZZ_CHECK(*size > 0);
    b = (uint8_t *)malloc(*size);
    FUZZ_CHECK(b != NULL);
    FUZZ_CHECK(conseco_calibrator_save(c, b, *size, &written) == CONSECO_OK && written == *size);
    return b;
}

/* The calibrator still saves `before` (and keeps its 3 scores). */
static void check_unchanged(const conseco_calibrator *c, int risk, const uint8_t *before,
                            size_t before_size)
{
    double got[4];
    size_t n = 0, size;
    uint8_t *now = saved_bytes(c, &size);
    FUZZ_CHECK(size == before_size && memcmp(now, before, size) == 0);
    free(now);
    if (risk) return;
    FUZZ_CHECK(conseco_calibrator_count(c) == 3);
    FUZZ_CHECK(conseco_calibrator_scores(c, got, 4, &n) == CONSECO_OK && n == 3);
    FUZZ_CHECK(memcmp(got, seed_scores, sizeof seed_scores) == 0);
}

static void check_loaded(const conseco_calibrator *c, const uint8_t *state, size_t size,
                         const conseco_state_info *info)
{
    size_t n = conseco_calibrator_count(c), i, written = 0, save_size;
    const int risk = info->guarantee == CONSECO_GUARANTEE_RISK;
    const int lowering = info->side == CONSECO_SIDE_OUTER && info->kind == CONSECO_KIND_THRESHOLD;
    double *scores;
    uint8_t *saved;
    FUZZ_CHECK((uint64_t)n == info->count);
    FUZZ_CHECK(info->format_version == (risk ? 3u : info->side != CONSECO_SIDE_INNER ? 2u : 1u));
    /* a risk calibrator has no scores (its count of images may be huge) */
    scores = (double *)malloc((n && !risk ? n : 1) * sizeof *scores);
    FUZZ_CHECK(scores != NULL);
    FUZZ_CHECK(conseco_calibrator_scores(c, scores, risk ? 1 : n, &i) == CONSECO_OK &&
               i == (risk ? 0 : n));
    for (i = 0; i < n && !risk; i++) {
        FUZZ_CHECK(scores[i] == scores[i]);
        /* thresholds of lowering may be -inf (none passes), never +inf */
        FUZZ_CHECK(lowering ? scores[i] <= DBL_MAX : scores[i] >= -DBL_MAX);
    }
    free(scores);
    save_size = conseco_calibrator_save_size(c);
    FUZZ_CHECK(save_size == size);
    saved = (uint8_t *)malloc(save_size);
    FUZZ_CHECK(saved != NULL);
    FUZZ_CHECK(conseco_calibrator_save(c, saved, save_size, &written) == CONSECO_OK);
    FUZZ_CHECK(written == size && memcmp(saved, state, size) == 0);
    free(saved);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    conseco_state_info info;
    conseco_calibrator_config cfg;
    params prm;
    conseco_calibrator *cal = NULL;
    uint8_t *state, *before;
    size_t n, i, before_size;
    unsigned mode;
    int rc_inspect, rc_load, mismatch = 0;

    if (size == 0) return 0;
    mode = data[0];
    n = size - 1;
    state = (uint8_t *)malloc(n ? n : 1);
    FUZZ_CHECK(state != NULL);
    if (n) memcpy(state, data + 1, n);
    if ((mode & 1u) && n >= 4) {
        const uint32_t crc = ref_crc32(state, n - 4);
        for (i = 0; i < 4; i++) state[n - 4 + i] = (uint8_t)(crc >> (8 * i));
    }

    info.struct_size = sizeof info;
    rc_inspect = conseco_state_inspect(state, n, &info);
    FUZZ_CHECK(rc_inspect <= 0);
    /* every status has a name and a text */
    FUZZ_CHECK(conseco_strerror(rc_inspect) != NULL && conseco_status_name(rc_inspect) != NULL);
    FUZZ_CHECK(strcmp(conseco_status_name(rc_inspect), "CONSECO_E_UNKNOWN") != 0);
    if (rc_inspect == CONSECO_OK) {
        FUZZ_CHECK(info.tau >= 0.0 && info.tau <= 1.0);
        FUZZ_CHECK(memchr(info.name, 0, sizeof info.name) != NULL);
        /* scores are 8 bytes each; a risk state counts images, whatever its size */
        FUZZ_CHECK(info.guarantee == CONSECO_GUARANTEE_RISK || info.count <= n / 8);
        config_from_info(&info, &cfg, &prm);
        if (mode & 2u) {
            /* risk calibrators have no tau: another guarantee */
            if (is_risk(&cfg)) cfg.guarantee = CONSECO_GUARANTEE_QUANTILE;
            else cfg.tau = info.tau == 0.5 ? 0.25 : 0.5;
            mismatch = 1;
        }
        if (n > 0) {
            conseco_state_info other;
            other.struct_size = sizeof other;
            FUZZ_CHECK(conseco_state_inspect(state, n - 1, &other) != CONSECO_OK);
        }
    } else {
        conseco_threshold_params_default(&prm.tp);
        conseco_calibrator_config_init(&cfg);
        cfg.shrinker = conseco_shrinker_threshold(&prm.tp);
        cfg.tau = 0.1;
        /* unreadable bytes: into a risk calibrator too (mode bit 3) */
        if (mode & 8u) cfg.guarantee = CONSECO_GUARANTEE_RISK;
    }

    cal = seeded(&cfg, NULL, 0);
    before = saved_bytes(cal, &before_size);
    rc_load = conseco_calibrator_load(cal, state, n);
    if (rc_inspect != CONSECO_OK) {
        FUZZ_CHECK(rc_load == rc_inspect);
    } else if (mismatch) {
        FUZZ_CHECK(rc_load == CONSECO_E_INCOMPATIBLE);
    } else {
        FUZZ_CHECK(rc_load == CONSECO_OK);
    }
    if (rc_load == CONSECO_OK) {
        double lambda_hat;
        size_t k;
        check_loaded(cal, state, n, &info);
        FUZZ_CHECK(conseco_calibrator_lambda_hat(cal, 0.1, &lambda_hat, &k) == CONSECO_OK);
        FUZZ_CHECK(lambda_hat == lambda_hat);
        if (is_risk(&cfg)) {
            double risk = -1.0;
            FUZZ_CHECK(k == 0);
            FUZZ_CHECK(conseco_calibrator_risk(cal, lambda_hat, &risk) == CONSECO_OK);
            FUZZ_CHECK(risk >= 0.0 && risk <= 1.0);
        }
        /* merging it into a calibrator of the same settings works too */
        {
            conseco_calibrator *other = seeded(&cfg, NULL, 0);
            const int rc_merge = conseco_calibrator_merge(other, cal);
            FUZZ_CHECK(rc_merge == CONSECO_OK || rc_merge == CONSECO_E_OVERFLOW ||
                       rc_merge == CONSECO_E_NO_MEMORY);
            conseco_calibrator_free(other);
        }
    } else {
        check_unchanged(cal, is_risk(&cfg), before, before_size);
    }
    free(before);
    conseco_calibrator_free(cal);

    /* A static calibrator with room for one score fewer than the state holds. */
    if (rc_inspect == CONSECO_OK && !mismatch && !is_risk(&cfg) && (mode & 4u) &&
        info.count > 3 && info.count < 4096) {
        size_t ws;
        void *workspace;
        cfg.capacity = (size_t)info.count - 1;
        cfg.max_width = cfg.max_height = cfg.max_depth = 1;
        ws = conseco_calibrator_workspace_size(&cfg);
        FUZZ_CHECK(ws > 0);
        workspace = malloc(ws);
        FUZZ_CHECK(workspace != NULL);
        cal = seeded(&cfg, workspace, ws);
        before = saved_bytes(cal, &before_size);
        FUZZ_CHECK(conseco_calibrator_load(cal, state, n) == CONSECO_E_FULL);
        check_unchanged(cal, 0, before, before_size);
        free(before);
        conseco_calibrator_free(cal);
        free(workspace);
    }
    free(state);
    return 0;
}
