/* SPDX-License-Identifier: Apache-2.0 */
/* Shrinker loading: the registry of kinds. A built-in is recognised by the
 * identity of its public vtable; anything else is a custom shrinker. */
#include "api.h"

/* One row per built-in kind; a new kind is a new file and a row here. */
static const conseco__ops *const registry[] = {
    &conseco__threshold_ops,
    &conseco__erosion_ops,
    &conseco__smooth_ops,
};

#define REGISTRY_ROWS (sizeof registry / sizeof registry[0])

int conseco__shrinker_load(const conseco_shrinker *in, conseco__shrinker *out)
{
    size_t i;
    if (in == NULL || out == NULL || in->vtable == NULL) return CONSECO_E_NULL;
    for (i = 0; i < REGISTRY_ROWS; i++)
        if (in->vtable == registry[i]->vtable) return registry[i]->load(in, out);
    return conseco__custom_ops.load(in, out);
}

const conseco__ops *conseco__ops_for_kind(uint32_t kind)
{
    size_t i;
    if (kind == conseco__custom_ops.kind) return &conseco__custom_ops;
    for (i = 0; i < REGISTRY_ROWS; i++)
        if (registry[i]->kind == kind) return registry[i];
    return NULL;
}

int conseco_shrinker_validate(const conseco_shrinker *shrinker)
{
    conseco__shrinker s;
    return conseco__shrinker_load(shrinker, &s);
}
