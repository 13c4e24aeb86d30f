/* float32 pooling microkernels under MAX_POOL2D, AVERAGE_POOL2D and MEAN (csrc/kernels/), one
 * layer below the ops, vectorised over the channels of NHWC.
 *
 * A pooling microkernel writes one output pixel: `channels` values, each reduced over the same
 * rows x cols window of input pixels, the first at `first`, the next row `row_step` floats
 * further and the next column `col_step` (a window of padding only has rows or cols 0). Every
 * channel visits its taps in the same order as the reference loops (row by row), so the outputs
 * are bit-identical to them: max keeps `tap > best ? tap : best` (a NaN tap never wins), the
 * average adds from +0.0f and multiplies the sum by `scale` once; both clamp with
 * `v < lo ? lo : (v > hi ? hi : v)` (a NaN passes).
 *
 * The channel-sum microkernel (MEAN over the axes between a batch and the channels) sums
 * `rows` rows of `channels` floats, `row_stride` apart, in double, row 0 first, and writes
 * (float)(sum * scale): the reference's order and arithmetic, so again bit-identical. */
#ifndef EMBER_UKERNELS_POOL_H
#define EMBER_UKERNELS_POOL_H

#include "kernels/kernels.h"

typedef void (*ember_pool_f32_fn)(const float *first, size_t rows, size_t cols,
                                  size_t row_step, size_t col_step, size_t channels,
                                  float scale, float lo, float hi, float *out);
typedef void (*ember_chansum_f32_fn)(const float *in, size_t rows, size_t channels,
                                     size_t row_stride, double scale, float *out);

/* One ISA's set; the names are what node->variant shows. */
typedef struct ember_pool_f32_config {
    uint32_t isa; /* EMBER_ISA_* bits it needs */
    const char *max_name, *avg_name, *mean_name;
    ember_pool_f32_fn max, avg;
    ember_chansum_f32_fn mean;
} ember_pool_f32_config;

void ember_maxpool_f32_c8(const float *first, size_t rows, size_t cols, size_t row_step,
                          size_t col_step, size_t channels, float scale, float lo, float hi,
                          float *out);
void ember_avgpool_f32_c8(const float *first, size_t rows, size_t cols, size_t row_step,
                          size_t col_step, size_t channels, float scale, float lo, float hi,
                          float *out);
void ember_chansum_f32_c8(const float *in, size_t rows, size_t channels, size_t row_stride,
                          double scale, float *out);
#if EMBER_HAVE_AVX2
void ember_maxpool_f32_avx2(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out);
void ember_avgpool_f32_avx2(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out);
void ember_chansum_f32_avx2(const float *in, size_t rows, size_t channels, size_t row_stride,
                            double scale, float *out);
#endif
#if EMBER_HAVE_NEON
void ember_maxpool_f32_neon(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out);
void ember_avgpool_f32_neon(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out);
#endif

/* Every configuration, best first, the portable one last (for the tests). */
const ember_pool_f32_config *ember_pool_f32_configs(size_t *count);
/* The best usable configuration, or NULL under ember_reference_only: then the ops run
   their reference loops (the oracles). */
const ember_pool_f32_config *ember_pool_f32_select(const ember_context *ctx);

#endif /* EMBER_UKERNELS_POOL_H */
