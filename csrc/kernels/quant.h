/* Quantization rules the int8 and int16 kernels check (one scale and zero point per
   activation, weights and bias scales, same quantization where an op moves values without
   arithmetic) and what they derive from scales and zero points: activation clamp ranges,
   per-channel requantization multipliers, standalone RELU/RELU6/CLAMP's requantize-then-
   clamp. The integer arithmetic itself is in fixed_point.h. See docs/int8-arithmetic.md,
   section 1. */
#ifndef EMBER_KERNELS_QUANT_H
#define EMBER_KERNELS_QUANT_H

#include "ember_internal.h"
#include "kernels/fixed_point.h"

/* The int8 clamp range [*qlo, *qhi] of real bounds [lo, hi] on tensor `out`: each finite
   bound is quantized as zero_point + round(f32(bound / scale)) and kept within [-128, 127];
   an infinite one leaves that end at -128 or 127. */
void ember_clamp_range_i8(const ember_tensor *out, float lo, float hi, int32_t *qlo,
                          int32_t *qhi);

/* Clamp range [*lo, *hi] of an int8 output with fused activation `act`, as
   ember_clamp_range_i8 gives it for the activation's real bounds. */
ember_status ember_activation_range_i8(ember_context *ctx, const ember_node *n, uint8_t act,
                                       const ember_tensor *out, int32_t *lo, int32_t *hi);

/* The same on the int16 range [-32768, 32767], for an int16 output. */
ember_status ember_activation_range_i16(ember_context *ctx, const ember_node *n, uint8_t act,
                                        const ember_tensor *out, int32_t *lo, int32_t *hi);

/* Requantize-then-clamp, LiteRT's standalone int8 RELU/RELU6/RELU_N1_TO_1 (QuantizedReluX):
   out = clamp(MBQM(q - in_zp, mult, shift) + out_zp, lo, hi). */
typedef struct ember_requant_i8 {
    int32_t in_zp, out_zp, mult, shift, lo, hi;
} ember_requant_i8;

/* The multiplier is QuantizeMultiplier of the float32 ratio f32(s_in / s_out) (LiteRT divides
   in float); [lo, hi] is ember_clamp_range_i8 of the real bounds [real_lo, real_hi]. */
void ember_requant_i8_init(const ember_tensor *in, const ember_tensor *out, float real_lo,
                           float real_hi, ember_requant_i8 *p);

/* lo > hi gives hi, as the float clamp does. */
static inline int8_t ember_requant_i8_apply(int8_t q, const ember_requant_i8 *p) {
    int32_t v =
        ember_multiply_by_quantized_multiplier(q - p->in_zp, p->mult, p->shift) + p->out_zp;
    v = v < p->lo ? p->lo : v;
    return (int8_t)(v > p->hi ? p->hi : v);
}

/* Scale `channel` of a per-channel tensor, or the single scale of a per-tensor one. */
float ember_quant_scale(const ember_tensor *t, uint32_t channel);

/* An int8 activation: one scale and a zero point in [-128, 127]. */
ember_status ember_check_quant_i8(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                                  const char *what);

/* An int16 activation (16x8 quantization): one scale and zero point 0 (symmetric). */
ember_status ember_check_quant_i16(ember_context *ctx, const ember_node *n,
                                   const ember_tensor *t, const char *what);

/* int8 weights: one scale, or `channels` scales along dim `axis`; every zero point 0. */
ember_status ember_check_quant_weights(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *w, uint32_t axis, int32_t channels);

/* int32 bias of `channels` elements: quantization, when present, has zero points 0 and scales
   equal to input scale x weight scale of the channel (relative tolerance 1e-6, as LiteRT). */
ember_status ember_check_quant_bias(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *bias, const ember_tensor *in,
                                    const ember_tensor *w, int32_t channels);

/* int64 bias of a 16x8 op: quantization, when present, has zero points 0. LiteRT does not
   compare its scales with input x weight scales (TensorFlow's converter shares one zero
   bias between layers), and the kernels only add its integers. */
ember_status ember_check_quant_bias_i64(ember_context *ctx, const ember_node *n,
                                        const ember_tensor *bias);

/* Ops that move int8 values without arithmetic (reshape, transpose, concatenation, ...) need
   the output's quantization to equal the input's: same scales and zero points. The same
   holds for int16; tensors of other types pass. */
ember_status ember_check_same_quant(ember_context *ctx, const ember_node *n,
                                    const ember_tensor *in, const ember_tensor *out);

/* Requantization multipliers of `channels` output channels, (m[c], shift[c]) for
   double(s_in) * double(s_w[c]) / double(s_out) (the weights' single scale for every channel
   when per-tensor); both arrays come from ember_alloc. */
ember_status ember_channel_multipliers(ember_context *ctx, const ember_node *n,
                                       const ember_tensor *in, const ember_tensor *w,
                                       const ember_tensor *out, int32_t channels, int32_t **m,
                                       int32_t **shift);

/* The int16 twin of ember_channel_multipliers, for the int64 multiply: also checks that every
   real multiplier is below 2^14 (shift <= 14), beyond which LiteRT's shift is undefined. */
ember_status ember_channel_multipliers_i16(ember_context *ctx, const ember_node *n,
                                           const ember_tensor *in, const ember_tensor *w,
                                           const ember_tensor *out, int32_t channels,
                                           int32_t **m, int32_t **shift);

#endif /* EMBER_KERNELS_QUANT_H */
