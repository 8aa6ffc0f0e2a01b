/* "2048x2048-deep": large objects whose prediction overshoots the truth by a
 * wide margin (90 to 150 pixels normal to the boundary, so 100+ erosions by
 * the cross on average), the case where a loop of erosions is slowest. */
#ifndef CONSECO_BENCH_DEEP_SYNTH_H
#define CONSECO_BENCH_DEEP_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Image `index` of the set drawn from `seed`: float scores in [0, 1] whose
 * {s >= 0.5} is the overshooting prediction, and the truth (1/0). Dense. */
void deep_synth_image(uint64_t seed, size_t index, size_t width, size_t height, float *scores,
                      uint8_t *truth);

#endif
