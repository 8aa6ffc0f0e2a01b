/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The opaque calibrator: a shrinker, a tau and the scores of the calibration
 * set. Two lives: created (grows through its allocator) or static (carved
 * from a caller workspace, never allocates). This is the only file of lib/
 * that may reach malloc, and only as the default allocator.
 */
#define CONSECO_DEPS_NEED_MALLOC 1
#include "calibrator_impl.h"

/* Every field of the first published config; struct_size must cover them. */
#define CONFIG_V1_SIZE (offsetof(conseco_calibrator_config, max_depth) + sizeof(size_t))

/* Scores reserved by create() when the config asks for 0. */
#define SMALL_CAPACITY 16u

/* conseco_calibrator_config_init()'s capacity: a typical calibration set. */
#define DEFAULT_CAPACITY 1024u

/* Offset of the scores in a static workspace: the object rounded up to 8. */
#define OBJECT_BYTES ((sizeof(struct conseco_calibrator) + 7u) & ~(size_t)7u)

/* A static workspace is 8-byte aligned; the object must not need more. */
typedef char conseco__object_alignment_fits[_Alignof(struct conseco_calibrator) <= 8 ? 1 : -1];

/* ------------------------------------------------------------ allocation */
#ifdef CONSECO_HAVE_MALLOC
static void *default_alloc(void *opaque, size_t size)
{
    (void)opaque;
    return malloc(size);
}
static void default_free(void *opaque, void *ptr)
{
    (void)opaque;
    free(ptr);
}
#endif

/* Fills in the default allocator; a half-set allocator is a caller bug. */
static int allocator_resolve(const conseco_allocator *in, conseco_allocator *out)
{
    if (in == NULL || (in->alloc == NULL && in->free == NULL)) {
#ifdef CONSECO_HAVE_MALLOC
        out->alloc = default_alloc;
        out->free = default_free;
        out->opaque = NULL;
        return CONSECO_OK;
#else
        return CONSECO_E_UNSUPPORTED; /* freestanding: no malloc to fall back on */
#endif
    }
    if (in->alloc == NULL || in->free == NULL) return CONSECO_E_NULL;
    *out = *in;
    return CONSECO_OK;
}

/* size > 0. Memory that cannot hold doubles is refused, not used. */
static int allocate(const conseco_allocator *a, size_t size, void **out)
{
    void *p = a->alloc(a->opaque, size);
    if (p == NULL) return CONSECO_E_NO_MEMORY;
    if ((uintptr_t)p % 8u != 0) {
        a->free(a->opaque, p);
        return CONSECO_E_MISALIGNED;
    }
    *out = p;
    return CONSECO_OK;
}

int conseco__calibrator_reserve(conseco_calibrator *c, size_t total)
{
    size_t cap, bytes;
    void *p;
    int rc;
    if (total <= c->capacity) return CONSECO_OK;
    if (c->is_static) return CONSECO_E_FULL;
    /* geometric growth keeps add_score amortised O(1); fall back to the
     * exact need when doubling would overflow */
    cap = c->capacity < SMALL_CAPACITY ? SMALL_CAPACITY : c->capacity;
    while (cap < total && cap <= (size_t)-1 / 2u) cap *= 2u;
    if (cap < total || !conseco__mul_size(cap, sizeof(double), &bytes)) {
        cap = total;
        if (!conseco__mul_size(cap, sizeof(double), &bytes)) return CONSECO_E_OVERFLOW;
    }
    if ((rc = allocate(&c->alloc, bytes, &p)) != CONSECO_OK) return rc;
    if (c->count != 0) CONSECO_memcpy(p, c->scores, c->count * sizeof(double));
    if (c->scores != NULL) c->alloc.free(c->alloc.opaque, c->scores);
    c->scores = (double *)p;
    c->capacity = cap;
    return CONSECO_OK;
}

/* Scratch for add(): exactly what the image needs, kept for the next one. */
static int scratch_reserve(conseco_calibrator *c, size_t need)
{
    void *p;
    int rc;
    if (need <= c->scratch_size) return CONSECO_OK;
    if (c->is_static) return CONSECO_E_TOO_LARGE;
    /* allocate before freeing so a failure leaves the old scratch usable */
    if ((rc = allocate(&c->alloc, need, &p)) != CONSECO_OK) return rc;
    if (c->scratch != NULL) c->alloc.free(c->alloc.opaque, c->scratch);
    c->scratch = (unsigned char *)p;
    c->scratch_size = need;
    return CONSECO_OK;
}

/* ---------------------------------------------------------------- config */
void conseco_calibrator_config_init(conseco_calibrator_config *config)
{
    if (config == NULL) return;
    CONSECO_memset(config, 0, sizeof *config);
    config->struct_size = (uint32_t)sizeof *config;
    config->capacity = DEFAULT_CAPACITY;
    config->side = CONSECO_SIDE_INNER;
    config->guarantee = CONSECO_GUARANTEE_QUANTILE;
    config->tau_outer = 0.0;
    config->bottom = 0.0;
}

/* The caller's config widened to ours: a 0.2 config (smaller struct_size)
 * reads as inner / quantile. */
static void config_read(const conseco_calibrator_config *in, conseco_calibrator_config *out)
{
    size_t n = in->struct_size < sizeof *out ? in->struct_size : sizeof *out;
    CONSECO_memset(out, 0, sizeof *out);
    CONSECO_memcpy(out, in, n);
}

/* Everything both create() and init_static() reject, with the specific status. */
static int config_check(const conseco_calibrator_config *in, conseco__shrinker *sh,
                        conseco_side_params *side, uint32_t *guarantee)
{
    conseco_calibrator_config c;
    const conseco_calibrator_config *cfg = &c;
    conseco__side sd;
    int rc;
    if (in == NULL) return CONSECO_E_NULL;
    if (in->struct_size < CONFIG_V1_SIZE) return CONSECO_E_INVALID_ARG;
    config_read(in, &c);
    if ((cfg->flags & ~CONSECO_CALIBRATOR_OWNS_USER) != 0) return CONSECO_E_INVALID_ARG;
    if (cfg->guarantee > CONSECO_GUARANTEE_RISK) return CONSECO_E_INVALID_ARG;
    *guarantee = cfg->guarantee;
    /* the risk guarantee has no tau */
    if (cfg->guarantee == CONSECO_GUARANTEE_QUANTILE &&
        (rc = conseco__check_tau(cfg->tau)) != CONSECO_OK)
        return rc;
    /* the one shrinker validation: the name then fits a saved state */
    if ((rc = conseco__shrinker_load(&cfg->shrinker, sh)) != CONSECO_OK) return rc;
    if (cfg->guarantee == CONSECO_GUARANTEE_RISK) {
        /* inner (AFP) or outer (FNR) sets; a band has two losses: not supported */
        if (cfg->side > CONSECO_SIDE_BAND) return CONSECO_E_INVALID_ARG;
        if (cfg->side == CONSECO_SIDE_BAND) return CONSECO_E_UNSUPPORTED;
        if (cfg->side == CONSECO_SIDE_INNER) {
            /* the curve is read off a level map: a black box has none */
            if (sh->ops->vtable == NULL && sh->vt.levels == NULL) return CONSECO_E_UNSUPPORTED;
            conseco_side_params_default(side);
            return CONSECO_OK;
        }
    }
    conseco_side_params_default(side);
    side->side = cfg->side;
    side->tau_outer = cfg->tau_outer;
    side->bottom = cfg->bottom;
    if ((rc = conseco__side_from_params(side, &sd)) != CONSECO_OK) return rc;
    if ((rc = conseco__side_supported(sh, &sd)) != CONSECO_OK) return rc;
    /* normalised: settings a side does not use are 0, so identities compare */
    side->tau_outer = sd.tau_outer;
    side->bottom = sh->ops->outer_descending ? sd.bottom : 0.0; /* only lowering has one */
    if (cfg->guarantee == CONSECO_GUARANTEE_RISK) {
        /* the outer curve is read off the outer level map */
        if (sh->ops->outer_levels == NULL) return CONSECO_E_UNSUPPORTED;
        if (sh->ops->vtable == NULL && sh->vt.outer_levels == NULL) return CONSECO_E_UNSUPPORTED;
        side->tau_outer = 0.0;
    }
    return CONSECO_OK;
}

static int is_risk(const conseco_calibrator *c) { return c->guarantee == CONSECO_GUARANTEE_RISK; }

/* Builds the object in place from a checked config. */
static void setup(conseco_calibrator *c, const conseco_calibrator_config *cfg,
                  const conseco__shrinker *sh, const conseco_side_params *side,
                  uint32_t guarantee)
{
    const char *name = sh->vt.name;
    size_t len = 0;
    while (len < CONSECO__NAME_MAX && name[len] != '\0') len++; /* validated: 1..31 bytes */
    CONSECO_memset(c, 0, sizeof *c);
    c->sh = *sh;
    CONSECO_memcpy(c->name, name, len);
    c->sh.vt.name = c->name;
    if (sh->ops->vtable != NULL) {
        /* built-in: keep a copy of the params; identity selects the fast path */
        CONSECO_memcpy(&c->params, sh->user, sh->ops->params_size);
        c->sh.user = &c->params;
        c->pub.vtable = sh->ops->vtable;
    } else {
        /* our copy is complete for this header, so say so */
        c->sh.vt.struct_size = (uint32_t)sizeof c->sh.vt;
        c->pub.vtable = &c->sh.vt;
    }
    c->pub.user = c->sh.user;
    c->flags = cfg->flags;
    c->side = *side;
    c->guarantee = guarantee;
    c->tau = guarantee == CONSECO_GUARANTEE_RISK ? 0.0 : cfg->tau; /* unused by risk */
    c->descending = side->side == CONSECO_SIDE_OUTER && sh->ops->outer_descending;
}

/* ---------------------------------------------------------------- create */
int conseco_calibrator_create(const conseco_calibrator_config *config,
                              const conseco_allocator *allocator, conseco_calibrator **out)
{
    conseco__shrinker sh;
    conseco_side_params side;
    conseco_allocator a;
    conseco_calibrator *c;
    void *p;
    size_t cap;
    uint32_t guarantee = 0;
    int rc;
    if (out == NULL) return CONSECO_E_NULL;
    *out = NULL;
    if ((rc = config_check(config, &sh, &side, &guarantee)) != CONSECO_OK) return rc;
    if ((rc = allocator_resolve(allocator, &a)) != CONSECO_OK) return rc;
    if ((rc = allocate(&a, sizeof *c, &p)) != CONSECO_OK) return rc;
    c = (conseco_calibrator *)p;
    setup(c, config, &sh, &side, guarantee);
    c->alloc = a;
    cap = config->capacity == 0 ? SMALL_CAPACITY : config->capacity;
    rc = is_risk(c) ? conseco__risk_reserve(c, cap, 0) : conseco__calibrator_reserve(c, cap);
    if (rc != CONSECO_OK) {
        a.free(a.opaque, c);
        return rc;
    }
    *out = c;
    return CONSECO_OK;
}

/* ------------------------------------------------------------ static life */
/* Bytes of scratch a static calibrator reserves; 0 when no max shape is
 * given (add() is then not wanted, only add_score()). */
static int static_scratch(const conseco_calibrator_config *cfg, const conseco__shrinker *sh,
                          const conseco_side_params *side, uint32_t guarantee, size_t *bytes)
{
    size_t w = cfg->max_width, h = cfg->max_height;
    size_t d = cfg->max_depth == 0 ? 1u : cfg->max_depth;
    size_t n;
    conseco__side sd;
    *bytes = 0;
    if (w == 0 && h == 0) return CONSECO_OK;
    if (w == 0 || h == 0) return CONSECO_E_BAD_SIZE;
    if (guarantee == CONSECO_GUARANTEE_RISK) {
        /* one level map and the key table (api/risk.c); outer: its maps too */
        if (!conseco__mul_size(w, h, &n) || !conseco__mul_size(n, d, &n))
            return CONSECO_E_OVERFLOW;
        *bytes = conseco__risk_scratch(sh, side, w, h, d);
        return *bytes == 0 ? CONSECO_E_OVERFLOW : CONSECO_OK;
    }
    if (conseco__side_from_params(side, &sd) != CONSECO_OK) return CONSECO_E_INVALID_ARG;
    *bytes = conseco__side_scratch(sh, &sd, 1, w, h, d); /* add() only scores */
    return *bytes == 0 ? CONSECO_E_OVERFLOW : CONSECO_OK;
}

/* Total workspace bytes: object, scores, scratch. */
static int static_layout(const conseco_calibrator_config *cfg, conseco__shrinker *sh,
                         conseco_side_params *side, uint32_t *guarantee, size_t *scratch,
                         size_t *total)
{
    size_t scores;
    int rc;
    if ((rc = config_check(cfg, sh, side, guarantee)) != CONSECO_OK) return rc;
    if ((rc = static_scratch(cfg, sh, side, *guarantee, scratch)) != CONSECO_OK) return rc;
    /* risk: the curve and its spare (curve keys) instead of scores */
    if (!conseco__mul_size(cfg->capacity,
                           *guarantee == CONSECO_GUARANTEE_RISK ? 2u * sizeof(conseco__curve_key)
                                                                : sizeof(double),
                           &scores) ||
        !conseco__add_size(OBJECT_BYTES, scores, total) ||
        !conseco__add_size(*total, *scratch, total))
        return CONSECO_E_OVERFLOW;
    return CONSECO_OK;
}

size_t conseco_calibrator_workspace_size(const conseco_calibrator_config *config)
{
    conseco__shrinker sh;
    conseco_side_params side;
    uint32_t guarantee = 0;
    size_t scratch, total;
    if (static_layout(config, &sh, &side, &guarantee, &scratch, &total) != CONSECO_OK) return 0;
    return total;
}

int conseco_calibrator_init_static(void *workspace, size_t workspace_size,
                                   const conseco_calibrator_config *config,
                                   conseco_calibrator **out)
{
    conseco__shrinker sh;
    conseco_side_params side;
    conseco_calibrator *c;
    unsigned char *base = (unsigned char *)workspace;
    size_t scratch, total;
    uint32_t guarantee = 0;
    int rc;
    if (out == NULL) return CONSECO_E_NULL;
    *out = NULL;
    if (workspace == NULL) return CONSECO_E_NULL;
    if ((rc = static_layout(config, &sh, &side, &guarantee, &scratch, &total)) != CONSECO_OK)
        return rc;
    if ((uintptr_t)workspace % 8u != 0) return CONSECO_E_MISALIGNED;
    if (workspace_size < total) return CONSECO_E_BUFFER_TOO_SMALL;
    c = (conseco_calibrator *)workspace;
    setup(c, config, &sh, &side, guarantee);
    c->is_static = 1;
    if (is_risk(c)) {
        c->keys = (conseco__curve_key *)(void *)(base + OBJECT_BYTES);
        c->spare = c->keys + config->capacity;
        c->key_capacity = config->capacity;
        c->scratch = scratch != 0 ? base + OBJECT_BYTES +
                                        config->capacity * 2u * sizeof(conseco__curve_key)
                                  : NULL;
    } else {
        c->scores = (double *)(void *)(base + OBJECT_BYTES);
        c->capacity = config->capacity;
        c->scratch =
            scratch != 0 ? base + OBJECT_BYTES + config->capacity * sizeof(double) : NULL;
    }
    c->scratch_size = scratch;
    c->max_width = config->max_width;
    c->max_height = config->max_height;
    c->max_depth = config->max_depth == 0 ? 1u : config->max_depth;
    *out = c;
    return CONSECO_OK;
}

void conseco_calibrator_free(conseco_calibrator *c)
{
    conseco_allocator a;
    if (c == NULL) return;
    if ((c->flags & CONSECO_CALIBRATOR_OWNS_USER) != 0 && c->sh.vt.destroy != NULL)
        c->sh.vt.destroy(c->sh.user);
    if (c->is_static) return;
    a = c->alloc;
    if (c->scores != NULL) a.free(a.opaque, c->scores);
    if (c->scratch != NULL) a.free(a.opaque, c->scratch);
    if (c->keys != NULL) a.free(a.opaque, c->keys);
    if (c->spare != NULL) a.free(a.opaque, c->spare);
    a.free(a.opaque, c);
}

/* ---------------------------------------------------------------- scores */
/* A score is a lambda or +inf: NaN and -inf cannot come out of Eq. 4; a
 * threshold-lowering score is a threshold or -inf (never +inf). */
int conseco__calibrator_score_ok(const conseco_calibrator *c, double s)
{
    if (s != s) return 0;
    return c->descending ? s != conseco__inf() : s != -conseco__inf();
}

static int score_ok(const conseco_calibrator *c, double s)
{
    return conseco__calibrator_score_ok(c, s);
}

int conseco__calibrator_score(const conseco_calibrator *c, const conseco_image *pred,
                              const conseco_mask *truth, void *scratch, size_t scratch_size,
                              double *score)
{
    if (c->side.side == CONSECO_SIDE_INNER)
        return conseco_score(&c->pub, pred, truth, c->tau, scratch, scratch_size, score);
    return conseco_side_score(&c->pub, &c->side, pred, truth, c->tau, scratch, scratch_size,
                              score);
}

size_t conseco__calibrator_scratch_size(const conseco_calibrator *c, size_t width,
                                        size_t height, size_t depth)
{
    conseco__side sd;
    if (conseco__side_from_params(&c->side, &sd) != CONSECO_OK) return 0;
    return conseco__side_scratch(&c->sh, &sd, 1, width, height, depth); /* scores only */
}

static int push(conseco_calibrator *c, double s)
{
    size_t total;
    int rc;
    if (!conseco__add_size(c->count, 1u, &total)) return CONSECO_E_OVERFLOW;
    if ((rc = conseco__calibrator_reserve(c, total)) != CONSECO_OK) return rc;
    c->scores[c->count++] = s;
    return CONSECO_OK;
}

int conseco_calibrator_add_score(conseco_calibrator *c, double score)
{
    if (c == NULL) return CONSECO_E_NULL;
    if (is_risk(c)) return CONSECO_E_UNSUPPORTED; /* a score carries no loss curve */
    if (!score_ok(c, score)) return CONSECO_E_BAD_SCORE;
    return push(c, score);
}

int conseco_calibrator_add(conseco_calibrator *c, const conseco_image *pred,
                           const conseco_mask *truth, double *score_out)
{
    size_t n_pred, n_truth, total, need;
    double s;
    int rc;
    if (c == NULL) return CONSECO_E_NULL;
    if (is_risk(c)) return conseco__risk_add(c, pred, truth, score_out);
    if ((rc = conseco__image_check(pred, &n_pred)) != CONSECO_OK) return rc;
    if ((rc = conseco__mask_check(truth, &n_truth)) != CONSECO_OK) return rc;
    if ((rc = conseco__same_shape(pred->width, pred->height, pred->depth, truth->width,
                                  truth->height, truth->depth)) != CONSECO_OK)
        return rc;
    /* room first: a score computed but not storable would be wasted work */
    if (!conseco__add_size(c->count, 1u, &total)) return CONSECO_E_OVERFLOW;
    if ((rc = conseco__calibrator_reserve(c, total)) != CONSECO_OK) return rc;
    if (c->is_static && (pred->width > c->max_width || pred->height > c->max_height ||
                         pred->depth > c->max_depth))
        return CONSECO_E_TOO_LARGE;
    need = conseco__calibrator_scratch_size(c, pred->width, pred->height, pred->depth);
    if (need == 0) return CONSECO_E_OVERFLOW; /* the view was valid, so only size is left */
    if ((rc = scratch_reserve(c, need)) != CONSECO_OK) return rc;
    rc = conseco__calibrator_score(c, pred, truth, c->scratch, c->scratch_size, &s);
    if (rc != CONSECO_OK) return rc;
    if (!score_ok(c, s)) return CONSECO_E_BAD_SCORE; /* unreachable unless a path is buggy */
    c->scores[c->count++] = s;
    if (score_out != NULL) *score_out = s;
    return CONSECO_OK;
}

size_t conseco_calibrator_count(const conseco_calibrator *c)
{
    return c == NULL ? 0 : c->count;
}

int conseco_calibrator_scores(const conseco_calibrator *c, double *out, size_t capacity,
                              size_t *count)
{
    size_t n;
    if (c == NULL) return CONSECO_E_NULL;
    if (out == NULL && capacity != 0) return CONSECO_E_NULL;
    if (is_risk(c)) {
        if (count != NULL) *count = 0; /* curves, no scores */
        return CONSECO_OK;
    }
    n = capacity < c->count ? capacity : c->count;
    if (n != 0) CONSECO_memcpy(out, c->scores, n * sizeof(double));
    if (count != NULL) *count = c->count;
    return CONSECO_OK;
}

int conseco_calibrator_settings(const conseco_calibrator *c, double *tau,
                                conseco_shrinker *shrinker)
{
    if (c == NULL) return CONSECO_E_NULL;
    if (tau != NULL) *tau = c->tau;
    if (shrinker != NULL) *shrinker = c->pub;
    return CONSECO_OK;
}

int conseco_calibrator_side(const conseco_calibrator *c, conseco_side_params *side,
                            uint32_t *guarantee)
{
    if (c == NULL) return CONSECO_E_NULL;
    if (side != NULL) *side = c->side;
    if (guarantee != NULL) *guarantee = c->guarantee;
    return CONSECO_OK;
}

int conseco_calibrator_lambda_hat(conseco_calibrator *c, double alpha, double *lambda_hat,
                                  size_t *k_out)
{
    size_t k;
    int rc;
    if (c == NULL || lambda_hat == NULL) return CONSECO_E_NULL;
    if (is_risk(c)) {
        if ((rc = conseco__risk_lambda_hat(c, alpha, lambda_hat)) != CONSECO_OK) return rc;
        if (k_out != NULL) *k_out = 0;
        return CONSECO_OK;
    }
    if ((rc = conseco_rank(c->count, alpha, &k)) != CONSECO_OK) return rc;
    if (k == 0) return CONSECO_E_BAD_ALPHA; /* cannot happen for alpha < 1 */
    /* k > n: only the empty mask is guaranteed; valid, and k_out tells.
     * Threshold lowering: the k-th LARGEST threshold, -inf (the whole image)
     * when k > n. */
    if (c->descending)
        *lambda_hat = k > c->count ? -conseco__inf()
                                   : conseco__select(c->scores, c->count, c->count - k + 1);
    else
        *lambda_hat = k > c->count ? conseco__inf() : conseco__select(c->scores, c->count, k);
    if (k_out != NULL) *k_out = k;
    return CONSECO_OK;
}

int conseco_calibrator_reset(conseco_calibrator *c)
{
    if (c == NULL) return CONSECO_E_NULL;
    c->count = 0;
    c->nkeys = 0;
    return CONSECO_OK;
}

/* ------------------------------------------------------------ identity */
void conseco__calibrator_identity(const conseco_calibrator *c, conseco__identity *out)
{
    CONSECO_memset(out, 0, sizeof *out);
    out->kind = c->sh.ops->kind;
    out->domain = c->sh.vt.domain;
    out->lambda_min = conseco__double_bits(c->sh.vt.lambda_min);
    out->lambda_max = conseco__double_bits(c->sh.vt.lambda_max);
    out->tau = conseco__double_bits(c->tau);
    CONSECO_memcpy(out->name, c->name, sizeof out->name);
    c->sh.ops->params_save(&c->sh, &out->params);
    out->side = c->side.side;
    out->guarantee = c->guarantee;
    out->tau_outer = conseco__double_bits(c->side.tau_outer);
    out->bottom = conseco__double_bits(c->side.bottom);
}

int conseco__identity_equal(const conseco__identity *a, const conseco__identity *b)
{
    size_t i;
    if (a->kind != b->kind || a->params.element != b->params.element ||
        a->params.border != b->params.border || a->domain != b->domain ||
        a->params.base != b->params.base || a->params.top != b->params.top ||
        a->lambda_min != b->lambda_min || a->lambda_max != b->lambda_max || a->tau != b->tau ||
        a->side != b->side || a->guarantee != b->guarantee || a->tau_outer != b->tau_outer ||
        a->bottom != b->bottom)
        return 0;
    for (i = 0; i < sizeof a->name; i++)
        if (a->name[i] != b->name[i]) return 0;
    return 1;
}

/* Same identity and, for custom shrinkers, the very same callbacks and user. */
static int compatible(const conseco_calibrator *a, const conseco_calibrator *b)
{
    conseco__identity ia, ib;
    conseco__calibrator_identity(a, &ia);
    conseco__calibrator_identity(b, &ib);
    if (!conseco__identity_equal(&ia, &ib)) return 0;
    if (a->sh.ops->vtable != NULL) return 1; /* built-in: the identity says it all */
    return a->sh.user == b->sh.user && a->sh.vt.levels == b->sh.vt.levels &&
           a->sh.vt.apply == b->sh.vt.apply && a->sh.vt.breakpoints == b->sh.vt.breakpoints &&
           a->sh.vt.destroy == b->sh.vt.destroy;
}

int conseco_calibrator_merge(conseco_calibrator *dst, const conseco_calibrator *src)
{
    size_t n, total;
    int rc;
    if (dst == NULL || src == NULL) return CONSECO_E_NULL;
    if (!compatible(dst, src)) return CONSECO_E_INCOMPATIBLE;
    if (is_risk(dst)) return conseco__risk_merge(dst, src);
    n = src->count;
    if (!conseco__add_size(dst->count, n, &total)) return CONSECO_E_OVERFLOW;
    if ((rc = conseco__calibrator_reserve(dst, total)) != CONSECO_OK) return rc;
    /* read src->scores only now: when src == dst it may just have moved */
    if (n != 0) CONSECO_memcpy(dst->scores + dst->count, src->scores, n * sizeof(double));
    dst->count = total;
    return CONSECO_OK;
}
