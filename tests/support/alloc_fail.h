/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A conseco_allocator for tests: built on cmocka's test_malloc/test_free, so
 * a leak fails the test, with a countdown that fails exactly the Nth
 * allocation (and lets every other one through).
 */
#ifndef ALLOC_FAIL_H
#define ALLOC_FAIL_H
#include <stddef.h>

#include "conseco.h"

typedef struct af_state {
    size_t fail_at; /* 1-based index of the allocation to fail; 0 = never */
    size_t allocs;  /* allocation requests seen, the failed one included */
    size_t frees;   /* free calls with a non-NULL pointer */
    size_t failed;  /* allocations refused */
    size_t live;    /* blocks handed out and not yet freed */
} af_state;

/* Resets the counters; fail_at = 0 never fails. */
void af_init(af_state *s, size_t fail_at);

/* An allocator whose opaque pointer is `s`. */
conseco_allocator af_allocator(af_state *s);

#endif
