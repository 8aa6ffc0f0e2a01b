/* SPDX-License-Identifier: Apache-2.0 */
/* Fault-injecting allocator on top of cmocka's leak-checking test_malloc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc_fail.h"

void af_init(af_state *s, size_t fail_at)
{
    s->fail_at = fail_at;
    s->allocs = 0;
    s->frees = 0;
    s->failed = 0;
    s->live = 0;
}

static void *af_alloc(void *opaque, size_t size)
{
    af_state *s = (af_state *)opaque;
    void *p;
    s->allocs++;
    if (s->fail_at != 0 && s->allocs == s->fail_at) {
        s->failed++;
        return NULL;
    }
    p = test_malloc(size);
    if (p != NULL) s->live++;
    return p;
}

static void af_free(void *opaque, void *ptr)
{
    af_state *s = (af_state *)opaque;
    if (ptr == NULL) return;
    s->frees++;
    s->live--;
    test_free(ptr);
}

conseco_allocator af_allocator(af_state *s)
{
    conseco_allocator a;
    a.alloc = af_alloc;
    a.free = af_free;
    a.opaque = s;
    return a;
}
