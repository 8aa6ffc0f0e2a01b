/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conseco_synth: a deterministic generator of a "polyp-like" synthetic
 * segmentation data set, for tests, benchmarks and `conseco demo`.
 *
 * Image i of a seeded set is a ground-truth blob (one or two ellipses of
 * random size, orientation and position, sometimes cut by the image border)
 * and a model's soft score map whose prediction {score >= 0.5} over-segments
 * the blob the way a real polyp segmenter tends to: dilated and shifted,
 * with a smooth falloff, low-frequency and pixel noise, occasional spurious
 * false-positive blobs, and occasionally an empty or an exactly correct
 * prediction. This is not a data set of real images; it exists so that the
 * conformal guarantee can be exercised end to end without any file.
 *
 * Determinism: image i depends only on (seed, i, width, height), not on
 * count or on the order of calls. Values are reproducible on one platform;
 * across platforms the last bits of exp/sin may differ.
 * Thread safety: no global state; calls may run concurrently.
 * No I/O, no allocation.
 */
#ifndef CONSECO_SYNTH_H
#define CONSECO_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the default image side (the Kvasir-SEG / PolypGen resolution used in the paper). */
#define CONSECO_SYNTH_DEFAULT_SIDE 352u

/** A data set: `count` images of width x height drawn from `seed`. */
typedef struct conseco_synth_config {
    uint64_t seed;  /**< any value; the same seed gives the same data set */
    size_t count;   /**< number of images (valid indices are 0 .. count-1) */
    size_t width;   /**< image width in pixels, >= 8 */
    size_t height;  /**< image height in pixels, >= 8 */
} conseco_synth_config;

/** What kind of prediction image i got (for reports and targeted tests). */
typedef enum conseco_synth_kind {
    CONSECO_SYNTH_OVERSEGMENTED = 0, /**< the usual case: dilated, shifted, noisy */
    CONSECO_SYNTH_EMPTY = 1,         /**< the model missed: every score below 0.5 */
    CONSECO_SYNTH_PERFECT = 2        /**< {score >= 0.5} equals the truth exactly */
} conseco_synth_kind;

/** Facts about one generated image. */
typedef struct conseco_synth_info {
    int kind;                /**< conseco_synth_kind */
    int spurious_blobs;      /**< number of false-positive blobs added (0..3) */
    int touches_border;      /**< 1 if the truth blob was placed across the image border */
    int normalised;          /**< 1 if the map was min-max normalised (max is exactly 1) */
    size_t truth_pixels;     /**< |Y| */
    size_t predicted_pixels; /**< |{f32 score >= 0.5}| */
} conseco_synth_info;

/** seed 1, count 100, 352 x 352. */
void conseco_synth_config_default(conseco_synth_config *config);

/**
 * Generates image `index` of the data set into caller buffers, each dense
 * (width * height elements, x fastest). Any output pointer may be NULL.
 * @param scores_f32 soft scores in [0, 1] (float32)
 * @param scores_u8  the same scores quantised to 8 bits: round(255 * s)
 * @param truth      ground truth, 1 inside the blob, 0 outside
 * @param info       optional facts about the image
 * @return 0 on success, -1 if config is NULL, a side is < 8, the pixel
 *         count overflows, or index >= count.
 */
int conseco_synth_image(const conseco_synth_config *config, size_t index, float *scores_f32,
                        uint8_t *scores_u8, uint8_t *truth, conseco_synth_info *info);

#ifdef __cplusplus
}
#endif
#endif /* CONSECO_SYNTH_H */
