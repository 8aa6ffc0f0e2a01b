/* Shrinker plumbing: built-in vtables and params, vtable versioning, validation. */
#include "internal.h"

/* +inf as a constant expression for static initialisers (C11 has none without math.h). */
#if defined(__GNUC__) || defined(__clang__)
#define CONSECO__INF_CONSTANT __builtin_inf()
#else
#include <math.h> /* only for the HUGE_VAL constant; no libm function is called */
#define CONSECO__INF_CONSTANT HUGE_VAL
#endif

static const conseco_shrinker_vtable threshold_vt = {
    sizeof(conseco_shrinker_vtable),
    CONSECO_SHRINKER_VERSION,
    "threshold",
    CONSECO_DOMAIN_REAL,
    0,
    0.5, /* real range comes from the params; these are the defaults */
    1.0,
    conseco__threshold_levels_cb,
    conseco__threshold_apply_cb,
    conseco__threshold_breakpoints_cb,
    NULL,
};

static const conseco_shrinker_vtable erosion_vt = {
    sizeof(conseco_shrinker_vtable),
    CONSECO_SHRINKER_VERSION,
    "erosion",
    CONSECO_DOMAIN_INTEGER,
    0,
    0.0,
    CONSECO__INF_CONSTANT, /* so that a copied vtable still describes the erosion domain */
    conseco__erosion_levels_cb,
    conseco__erosion_apply_cb,
    NULL,
    NULL,
};

const conseco_shrinker_vtable *conseco_threshold_vtable(void) { return &threshold_vt; }
const conseco_shrinker_vtable *conseco_erosion_vtable(void) { return &erosion_vt; }

void conseco_threshold_params_default(conseco_threshold_params *p)
{
    if (p == NULL) return;
    p->base = 0.5;
    p->top = 1.0;
}

void conseco_erosion_params_default(conseco_erosion_params *p)
{
    if (p == NULL) return;
    p->element = CONSECO_ELEMENT_CROSS;
    p->border = CONSECO_BORDER_FOREGROUND;
    p->base = 0.5;
}

conseco_shrinker conseco_shrinker_threshold(conseco_threshold_params *params)
{
    conseco_shrinker s;
    s.vtable = &threshold_vt;
    s.user = params;
    return s;
}

conseco_shrinker conseco_shrinker_erosion(conseco_erosion_params *params)
{
    conseco_shrinker s;
    s.vtable = &erosion_vt;
    s.user = params;
    return s;
}

int conseco__threshold_params_check(const conseco_threshold_params *p)
{
    if (p == NULL) return CONSECO_E_NULL;
    if (!conseco__is_finite(p->base) || !conseco__is_finite(p->top) || p->base > p->top)
        return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

int conseco__erosion_params_check(const conseco_erosion_params *p)
{
    if (p == NULL) return CONSECO_E_NULL;
    if (p->element < CONSECO_ELEMENT_CROSS || p->element > CONSECO_ELEMENT_DISK)
        return CONSECO_E_BAD_SHRINKER;
    if (p->border != CONSECO_BORDER_FOREGROUND && p->border != CONSECO_BORDER_BACKGROUND)
        return CONSECO_E_BAD_SHRINKER;
    if (!conseco__is_finite(p->base)) return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

/* x is an integer with |x| <= 2^53 (no libm: the cast is exact in that range). */
static int is_exact_integer(double x)
{
    const double limit = 9007199254740992.0;
    return x >= -limit && x <= limit && (double)(int64_t)x == x;
}

int conseco__custom_range_check(uint32_t domain, double lambda_min, double lambda_max)
{
    if (domain != CONSECO_DOMAIN_REAL && domain != CONSECO_DOMAIN_INTEGER)
        return CONSECO_E_BAD_SHRINKER;
    if (!conseco__is_finite(lambda_min) || conseco__is_nan(lambda_max) || lambda_max < lambda_min)
        return CONSECO_E_BAD_SHRINKER;
    /* the integer domain is lambda_min, lambda_min + 1, ...: lambda_min must be an
     * integer, and within 2^53 so that these steps are exact doubles */
    if (domain == CONSECO_DOMAIN_INTEGER && !is_exact_integer(lambda_min))
        return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

int conseco__shrinker_load(const conseco_shrinker *in, conseco__shrinker *out)
{
    const conseco_shrinker_vtable *vt;
    size_t n;
    if (in == NULL || out == NULL || in->vtable == NULL) return CONSECO_E_NULL;
    vt = in->vtable;
    out->user = in->user;
    if (vt == &threshold_vt) {
        const conseco_threshold_params *p = (const conseco_threshold_params *)in->user;
        int rc = conseco__threshold_params_check(p);
        if (rc != CONSECO_OK) return rc;
        out->vt = threshold_vt;
        out->vt.lambda_min = p->base;
        out->vt.lambda_max = p->top;
        out->kind = CONSECO_KIND_THRESHOLD;
        return CONSECO_OK;
    }
    if (vt == &erosion_vt) {
        int rc = conseco__erosion_params_check((const conseco_erosion_params *)in->user);
        if (rc != CONSECO_OK) return rc;
        out->vt = erosion_vt;
        out->kind = CONSECO_KIND_EROSION;
        return CONSECO_OK;
    }
    /* Custom: copy what the caller's struct holds, zero the newer tail.
     * The first two fields are read before trusting struct_size. */
    if (vt->version == 0 || vt->struct_size < offsetof(conseco_shrinker_vtable, levels))
        return CONSECO_E_BAD_SHRINKER;
    n = vt->struct_size < sizeof(conseco_shrinker_vtable) ? vt->struct_size
                                                         : sizeof(conseco_shrinker_vtable);
    CONSECO_memset(&out->vt, 0, sizeof out->vt);
    CONSECO_memcpy(&out->vt, vt, n);
    out->kind = CONSECO_KIND_CUSTOM;
    if (conseco__custom_range_check(out->vt.domain, out->vt.lambda_min, out->vt.lambda_max) !=
        CONSECO_OK)
        return CONSECO_E_BAD_SHRINKER;
    if (out->vt.levels == NULL && out->vt.apply == NULL) return CONSECO_E_BAD_SHRINKER;
    /* the black-box search on a real domain needs the candidate lambdas */
    if (out->vt.levels == NULL && out->vt.domain == CONSECO_DOMAIN_REAL &&
        out->vt.breakpoints == NULL)
        return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

int conseco_shrinker_validate(const conseco_shrinker *shrinker)
{
    conseco__shrinker s;
    return conseco__shrinker_load(shrinker, &s);
}
