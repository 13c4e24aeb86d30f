/* int8 pooling microkernels under MAX_POOL2D and MEAN (csrc/kernels/), one layer below the
 * ops, vectorised over the channels of NHWC, byte-identical to LiteRT's reference kernels
 * (docs/int8-arithmetic.md, section 5).
 *
 * max: one output pixel, `channels` values each the largest stored value over a rows x cols
 * window (the first tap at `first`, the next row `row_step` bytes further, the next column
 * `col_step`; a window of padding only has rows or cols 0 and gives -128), then clamped to
 * [qmin, qmax]. Max is order-free, so any tap order gives the reference's bytes.
 *
 * chansum (MEAN over the axes between a batch and the channels): per channel the int32 sum of
 * `rows` rows of `channels` stored values, `row_stride` apart, minus `offset` (in_zp * n,
 * wrapping as the reference's uint32 arithmetic), requantized once: clamp(MBQM(.) + out_zp).
 * Integer sums are exact (the op bounds rows so they never wrap), so any order is the
 * reference's. */
#ifndef EMBER_UKERNELS_POOL_QS8_H
#define EMBER_UKERNELS_POOL_QS8_H

#include "kernels/kernels.h"
#include "ukernels/requant_qs8.h"

typedef void (*ember_maxpool_qs8_fn)(const int8_t *first, size_t rows, size_t cols,
                                     size_t row_step, size_t col_step, size_t channels,
                                     int32_t qmin, int32_t qmax, int8_t *out);

/* MEAN's requantization: the sum's offset and the multiplier split as requant_qs8.h. */
typedef struct ember_chansum_qs8_params {
    int32_t offset, mult, lshift, rshift;
    ember_qs8_params out;
} ember_chansum_qs8_params;

typedef void (*ember_chansum_qs8_fn)(const int8_t *in, size_t rows, size_t channels,
                                     size_t row_stride, const ember_chansum_qs8_params *p,
                                     int8_t *out);

typedef struct ember_pool_qs8_config {
    uint32_t isa; /* EMBER_ISA_* bits it needs */
    const char *max_name, *mean_name;
    ember_maxpool_qs8_fn max;
    ember_chansum_qs8_fn mean;
} ember_pool_qs8_config;

void ember_maxpool_qs8_scalar(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                              size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                              int8_t *out);
void ember_chansum_qs8_scalar(const int8_t *in, size_t rows, size_t channels, size_t row_stride,
                              const ember_chansum_qs8_params *p, int8_t *out);
#if EMBER_HAVE_AVX2
void ember_maxpool_qs8_avx2(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                            int8_t *out);
void ember_chansum_qs8_avx2(const int8_t *in, size_t rows, size_t channels, size_t row_stride,
                            const ember_chansum_qs8_params *p, int8_t *out);
#endif
#if EMBER_HAVE_NEON
void ember_maxpool_qs8_neon(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                            int8_t *out);
void ember_chansum_qs8_neon(const int8_t *in, size_t rows, size_t channels, size_t row_stride,
                            const ember_chansum_qs8_params *p, int8_t *out);
#endif

/* Every configuration, best first, the portable one last (for the tests). */
const ember_pool_qs8_config *ember_pool_qs8_configs(size_t *count);
/* The best usable configuration, or NULL under ember_reference_only (the reference). */
const ember_pool_qs8_config *ember_pool_qs8_select(const ember_context *ctx);

#endif /* EMBER_UKERNELS_POOL_QS8_H */
