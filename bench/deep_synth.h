/* SPDX-License-Identifier: Apache-2.0 */
/* Two elliptic objects whose prediction overshoots the truth by a margin
 * drawn in [margin_lo, margin_hi] pixels normal to the boundary.
 * "2048x2048-deep" uses 90 to 150 (100+ erosions by the cross on average,
 * where a loop of erosions is slowest); "352x352-shallow" uses a few pixels
 * (about 8 erosions, where a loop of erosions is fastest). */
#ifndef CONSECO_BENCH_DEEP_SYNTH_H
#define CONSECO_BENCH_DEEP_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Image `index` of the set drawn from `seed`: float scores in [0, 1] whose
 * {s >= 0.5} is the overshooting prediction, and the truth (1/0). Dense. */
void deep_synth_image(uint64_t seed, size_t index, size_t width, size_t height,
                      double margin_lo, double margin_hi, float *scores, uint8_t *truth);

#endif
