/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conseco_synth_volume: a deterministic generator of synthetic anisotropic
 * CT-like volumes, for tests, benchmarks and `conseco demo --3d`.
 *
 * Volume i of a seeded set is an organ (an ellipsoid, sometimes with a second
 * lobe, measured in millimetres) and, as the score of each voxel, the fraction
 * of `raters` simulated networks that labelled it: each network sees the
 * organ dilated or shrunk, shifted, and sometimes adds a false-positive blob.
 * This mirrors ensemble vote maps (a few dozen score levels, many ties, whole
 * false-positive regions at full agreement). Voxels are not cubes: spacing is
 * drawn per volume (0.6..1.0 mm in-plane, 1.5..5 mm between slices), so an
 * element in voxel steps and one in millimetres differ.
 *
 * Determinism: volume i depends only on (seed, i, the config), not on count or
 * call order; integer arithmetic decides every vote, so values are identical
 * on every platform. No I/O, no allocation, no global state.
 */
#ifndef CONSECO_SYNTH_VOLUME_H
#define CONSECO_SYNTH_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A volume set: `count` volumes of width x height x depth voxels drawn from `seed`. */
typedef struct conseco_synth_volume_config {
    uint64_t seed;  /**< any value; the same seed gives the same set */
    size_t count;   /**< number of volumes */
    size_t width;   /**< voxels along x, >= 8 */
    size_t height;  /**< voxels along y, >= 8 */
    size_t depth;   /**< slices, >= 4 */
    unsigned raters; /**< simulated networks, 1..255 (default 33): scores are votes / raters */
} conseco_synth_volume_config;

/** Facts about one generated volume. */
typedef struct conseco_synth_volume_info {
    double spacing[3];      /**< voxel size in mm along x, y, z (float32-representable) */
    size_t truth_voxels;    /**< |Y| */
    size_t predicted_voxels;/**< |{votes >= raters / 2 rounded up}| (base 0.5) */
    int spurious_raters;    /**< how many raters added a false-positive blob */
} conseco_synth_volume_info;

/** seed 1, count 12, 96 x 96 x 32 voxels, 33 raters. */
void conseco_synth_volume_config_default(conseco_synth_volume_config *config);

/**
 * Generates volume `index` into caller buffers, each dense (width * height *
 * depth elements, x fastest, then y, then z). Any output pointer may be NULL.
 * @param votes  number of raters that labelled the voxel, 0..raters
 *               (score = votes / raters)
 * @param truth  ground truth, 1 inside the organ, 0 outside
 * @param info   optional facts, including the voxel spacing
 * @return 0 on success, -1 on a NULL config, a side below its minimum,
 *         raters outside 1..255, an overflowing size or index >= count.
 */
int conseco_synth_volume(const conseco_synth_volume_config *config, size_t index,
                         uint8_t *votes, uint8_t *truth, conseco_synth_volume_info *info);

#ifdef __cplusplus
}
#endif
#endif /* CONSECO_SYNTH_VOLUME_H */
