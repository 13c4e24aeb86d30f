/* int8 pooling microkernels under MAX_POOL2D and MEAN (csrc/kernels/), one layer below the
 * ops, vectorised over the channels of NHWC, byte-identical to LiteRT's reference kernels
 * (docs/int8-arithmetic.md, section 5).
 *
 * max: one output pixel, `channels` values each the largest stored value over a rows x cols
 * window (the first tap at `first`, the next row `row_step` bytes further, the next column
 * `col_step`; a window of padding only has rows or cols 0 and gives -128), then clamped to
 * [qmin, qmax]. Max is order-free, so any tap order gives the reference's bytes.
 *
 * avg (AVERAGE_POOL2D; the Cortex-M kernels only, NULL elsewhere): per channel the int32 sum of
 * the window's stored values divided by the window's taps (rows x cols) rounding half away from
 * zero, (sum +- taps / 2) / taps truncated, 0 for a window of padding only, then clamped. The
 * kernels divide by multiplying (ember_avgpool_qs8_recip).
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

/* AVERAGE_POOL2D's window kernel: the arguments of the max one. */
typedef ember_maxpool_qs8_fn ember_avgpool_qs8_fn;

typedef struct ember_pool_qs8_config {
    uint32_t isa; /* EMBER_ISA_* bits it needs */
    const char *max_name, *mean_name;
    ember_maxpool_qs8_fn max;
    ember_chansum_qs8_fn mean; /* NULL in the Cortex-M configurations */
    const char *avg_name;
    ember_avgpool_qs8_fn avg; /* NULL but in the Cortex-M configurations */
} ember_pool_qs8_config;

/* The largest window the kernels' average divides by multiplying: for 0 <= n < 2^32 / taps,
   floor(n / taps) = floor(n * r / 2^32) with r = ceil(2^32 / taps) (the error n (r - 2^32 /
   taps) / 2^32 stays below 1 / taps, less than the distance from n / taps to the next whole
   number), and |sum| + taps / 2 <= 128.5 taps is below 2^32 / taps for taps <= 4096. */
#define EMBER_AVGPOOL_QS8_RECIP_TAPS 4096u

/* ceil(2^32 / taps) for 2 <= taps <= EMBER_AVGPOOL_QS8_RECIP_TAPS. */
static inline uint32_t ember_avgpool_qs8_recip(uint32_t taps) {
    return UINT32_MAX / taps + 1u;
}

void ember_maxpool_qs8_scalar(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                              size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                              int8_t *out);
/* The reference's average in portable form (64-bit sums, a division per channel): what the
   Cortex-M average kernels run for windows past 256 taps (their int16 sums' limit). */
void ember_avgpool_qs8_scalar(const int8_t *first, size_t rows, size_t cols, size_t row_step,
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

#if EMBER_HAVE_ARMDSP
/* Cortex-M DSP extension (csrc/ukernels/armdsp/pool_qs8_armdsp.c): max and average. */
void ember_maxpool_qs8_armdsp(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                              size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                              int8_t *out);
void ember_avgpool_qs8_armdsp(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                              size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                              int8_t *out);
#endif
#if EMBER_HAVE_MVE
/* Cortex-M55 Helium (csrc/ukernels/mve/pool_qs8_mve.c): max and average. */
void ember_maxpool_qs8_mve(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                           size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                           int8_t *out);
void ember_avgpool_qs8_mve(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                           size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                           int8_t *out);
#endif

/* Every configuration, best first, the portable one last (for the tests). */
const ember_pool_qs8_config *ember_pool_qs8_configs(size_t *count);
/* The best usable configuration, or NULL under ember_reference_only (the reference). */
const ember_pool_qs8_config *ember_pool_qs8_select(const ember_context *ctx);
/* The best usable Cortex-M configuration (armdsp, mve; csrc/ukernels/pool_qs8_window_select.c),
   or NULL: MAX_POOL2D and AVERAGE_POOL2D try it first, and take it on bare-metal builds too
   (in place, no scratch). Its `max` and `avg` are set, its `mean` NULL: MEAN keeps
   ember_pool_qs8_select, whose fast path asks for no scratch where its reference asks for
   some, which would change the arena a bare-metal build needs. */
const ember_pool_qs8_config *ember_pool_qs8_window_select(const ember_context *ctx);

#endif /* EMBER_UKERNELS_POOL_QS8_H */
