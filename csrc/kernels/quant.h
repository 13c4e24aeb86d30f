/* int8 fixed-point arithmetic shared by the int8 kernels, with LiteRT's reference semantics
   (the default, double-rounding build): a real multiplier is stored as a Q0.31 mantissa and a
   power-of-two exponent, and applied with two roundings (see ember_srdhm and ember_rdbpot for
   how each treats ties). Also the quantization rules the int8 kernels check. See
   /work/shared/int8-arithmetic.md, section 1. */
#ifndef EMBER_KERNELS_QUANT_H
#define EMBER_KERNELS_QUANT_H

#include "ember_internal.h"

/* Splits `real` into m * 2^(shift - 31) with m in [2^30, 2^31); real <= 0, not finite, or
   below 2^-32 (shift < -31) gives m = 0, shift = 0. */
void ember_quantize_multiplier(double real, int32_t *m, int32_t *shift);

/* The high 32 bits of 2 * a * b, i.e. a * b / 2^31, rounded to nearest: positive ties go up,
   negative ties toward zero (the nudge for a negative product is one short of a half, as in
   gemmlowp). Saturates the one overflowing case a == b == INT32_MIN. */
int32_t ember_srdhm(int32_t a, int32_t b);

/* x / 2^exponent rounded half away from zero, exponent in [0, 31]. */
int32_t ember_rdbpot(int32_t x, int32_t exponent);

/* x * m * 2^(shift - 31): x is shifted left first (wrapping, as LiteRT's int32 multiply does),
   then SRDHM, then a rounding right shift. */
int32_t ember_multiply_by_quantized_multiplier(int32_t x, int32_t m, int32_t shift);

/* x * 2^exponent for exponent in [0, 31], saturated to the int32 range (gemmlowp's
   SaturatingRoundingMultiplyByPOT with a non-negative exponent). */
int32_t ember_saturating_shift_left(int32_t x, int32_t exponent);

/* 1 / sqrt(input) as a multiplier and shift for ember_multiply_by_quantized_multiplier, as
   LiteRT's GetInvSqrtQuantizedMultiplierExp computes it: input normalised into [2^27, 2^29)
   by factors of 4, five Newton steps in Q3.28, times sqrt(2)/2, a negative shift folded into
   the multiplier; the shift is finally multiplied by `reverse_shift` (-1 for L2
   normalization). input <= 1 gives (INT32_MAX, 0). */
void ember_inv_sqrt_multiplier(int32_t input, int32_t reverse_shift, int32_t *m,
                               int32_t *shift);

/* Clamp range [*lo, *hi] of an int8 output with fused activation `act`: each real bound is
   quantized as zero_point + round(f32(bound / scale)) and kept within [-128, 127]. */
ember_status ember_activation_range_i8(ember_context *ctx, const ember_node *n, uint8_t act,
                                       const ember_tensor *out, int32_t *lo, int32_t *hi);

/* Scale `channel` of a per-channel tensor, or the single scale of a per-tensor one. */
float ember_quant_scale(const ember_tensor *t, uint32_t channel);

/* An int8 activation: one scale and a zero point in [-128, 127]. */
ember_status ember_check_quant_i8(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                  const char *what);

/* int8 weights: one scale, or `channels` scales along dim `axis`; every zero point 0. */
ember_status ember_check_quant_weights(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *w, uint32_t axis, int32_t channels);

/* int32 bias of `channels` elements: quantization, when present, has zero points 0 and scales
   equal to input scale x weight scale of the channel (relative tolerance 1e-6, as LiteRT). */
ember_status ember_check_quant_bias(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *bias, const ember_tensor *in,
                                    const ember_tensor *w, int32_t channels);

/* Ops that move int8 values without arithmetic (reshape, transpose, concatenation, ...) need
   the output's quantization to equal the input's: same scales and zero points. Tensors of
   other types pass. */
ember_status ember_check_same_quant(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *in, const ember_tensor *out);

/* Requantization multipliers of `channels` output channels, (m[c], shift[c]) for
   double(s_in) * double(s_w[c]) / double(s_out) (the weights' single scale for every channel
   when per-tensor); both arrays come from ember_alloc. */
ember_status ember_channel_multipliers(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *in, const ember_tensor *w,
                                       const ember_tensor *out, int32_t channels, int32_t **m,
                                       int32_t **shift);

/* QUANTIZE and DEQUANTIZE: one input, one output, no params, types `from` -> `to`, equal
   shapes, the int8 side a per-tensor int8 activation, and input and output apart in the arena
   (their element sizes differ, so no alias is safe both ways). */
ember_status ember_check_int8_conversion(ember_context *ctx, const ember_node *node,
                                         uint8_t from, uint8_t to);

#endif /* EMBER_KERNELS_QUANT_H */
