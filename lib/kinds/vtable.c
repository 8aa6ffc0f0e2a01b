/* SPDX-License-Identifier: Apache-2.0 */
/* The one validation of a shrinker vtable (conseco.h, docs/DESIGN.md):
 * shared by conseco_shrinker_validate(), the calibrator and saved state. */
#include "kinds.h"

/* End of the members that version v declares (index v - 1). */
static const size_t version_end[CONSECO_SHRINKER_VERSION] = {
    offsetof(conseco_shrinker_vtable, destroy) + sizeof(void (*)(void *)), /* version 1 */
    sizeof(conseco_shrinker_vtable), /* version 2: outer_levels (the last member) */
};

int conseco__name_ok(const char *name)
{
    size_t n = 0;
    if (name == NULL) return 0;
    while (n <= CONSECO__NAME_MAX && name[n] != '\0') {
        const unsigned char ch = (unsigned char)name[n];
        if (ch < 0x21u || ch > 0x7Eu) return 0; /* printable ASCII, no space */
        n++;
    }
    return n >= 1u && n <= CONSECO__NAME_MAX;
}

int conseco__vtable_load(const conseco_shrinker_vtable *vt, conseco_shrinker_vtable *out)
{
    size_t n;
    if (vt == NULL) return CONSECO_E_NULL;
    /* the first two fields are read before trusting struct_size */
    if (vt->version < 1u || vt->version > CONSECO_SHRINKER_VERSION) return CONSECO_E_BAD_SHRINKER;
    if (vt->struct_size < version_end[vt->version - 1u]) return CONSECO_E_BAD_SHRINKER;
    n = vt->struct_size < sizeof *out ? vt->struct_size : sizeof *out;
    CONSECO_memset(out, 0, sizeof *out);
    CONSECO_memcpy(out, vt, n);
    if (out->reserved != 0) return CONSECO_E_BAD_SHRINKER;
    if (!conseco__name_ok(out->name)) return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

int conseco__custom_range_check(uint32_t domain, double lambda_min, double lambda_max)
{
    if (domain != CONSECO_DOMAIN_REAL && domain != CONSECO_DOMAIN_INTEGER)
        return CONSECO_E_BAD_SHRINKER;
    if (!conseco__is_finite(lambda_min) || conseco__is_nan(lambda_max) || lambda_max < lambda_min)
        return CONSECO_E_BAD_SHRINKER;
    /* the integer domain is lambda_min, lambda_min + 1, ...: lambda_min must be an
     * integer, and within 2^53 so that these steps are exact doubles */
    if (domain == CONSECO_DOMAIN_INTEGER && !conseco__is_exact_integer(lambda_min))
        return CONSECO_E_BAD_SHRINKER;
    return CONSECO_OK;
}

int conseco__builtin_saved_match(const conseco_shrinker_vtable *vt, uint32_t domain,
                                 double lambda_min, double lambda_max, const char *name)
{
    size_t i;
    if (domain != vt->domain ||
        conseco__double_bits(lambda_min) != conseco__double_bits(vt->lambda_min) ||
        conseco__double_bits(lambda_max) != conseco__double_bits(vt->lambda_max))
        return CONSECO_E_CORRUPT;
    for (i = 0; i <= CONSECO__NAME_MAX; i++) {
        if (name[i] != vt->name[i]) return CONSECO_E_CORRUPT;
        if (name[i] == '\0') break;
    }
    return CONSECO_OK;
}
