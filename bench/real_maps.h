/* SPDX-License-Identifier: Apache-2.0 */
/* The real maps of ../shared/data/infnet-ct (8-bit PNG score maps and masks),
 * read with libpng when the bench was built with it. */
#ifndef CONSECO_BENCH_REAL_MAPS_H
#define CONSECO_BENCH_REAL_MAPS_H

#include <stddef.h>

#include "baselines.h"

/* Loads every pred/<id>.png with its gt/<id>.png from `dir` into newly
 * allocated pairs (U8 maps, masks 1/0). Returns the number of pairs, 0 if the
 * folder is missing, unreadable or the bench has no PNG support. */
size_t real_maps_load(const char *dir, bench_pair **pairs);

/* 1 if the bench was built with libpng. */
int real_maps_supported(void);

#endif
