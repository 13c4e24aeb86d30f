/* int8 fixed-point arithmetic shared by the int8 kernels, with LiteRT's reference semantics
   (the default, double-rounding build): a real multiplier is stored as a Q0.31 mantissa and a
   power-of-two exponent, and applied with two roundings (see ember_srdhm and ember_rdbpot for
   how each treats ties). Also the quantization rules the int8 kernels check. See
   docs/int8-arithmetic.md, section 1. */
#ifndef EMBER_KERNELS_QUANT_H
#define EMBER_KERNELS_QUANT_H

#include <math.h>

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

/* out[i] = clamp(ember_multiply_by_quantized_multiplier(acc[i], mult[i], shift[i]) + out_zp,
   q_min, q_max) for i < n: the int8 convolutions' per-channel requantization of one output
   pixel, whose int32 sums wrapped as uint32. One call per pixel keeps the multiply inlined. */
void ember_requantize_row_i8(const uint32_t *acc, size_t n, const int32_t *mult,
                             const int32_t *shift, int32_t out_zp, int32_t q_min, int32_t q_max,
                             int8_t *out);

/* x * m * 2^(shift - 31) for an int64 x, as LiteRT's int64 MultiplyByQuantizedMultiplier
   (the 16x8 convolutions) computes it: m rounded to Q0.15 ((m + 2^15) >> 16, 32767 from
   0x7FFF0000 up), then one rounding shift right by 15 - shift, ties toward +infinity. shift
   must be <= 14 (ember_channel_multipliers_i16 checks it); x is saturated to LiteRT's
   assumed range [-2^47, 2^47) and the result to int32, so no input overflows. */
int32_t ember_multiply_by_quantized_multiplier_i64(int64_t x, int32_t m, int32_t shift);

/* The int8 clamp range [*qlo, *qhi] of real bounds [lo, hi] on tensor `out`: each finite
   bound is quantized as zero_point + round(f32(bound / scale)) and kept within [-128, 127];
   an infinite one leaves that end at -128 or 127. */
void ember_clamp_range_i8(const ember_tensor *out, float lo, float hi, int32_t *qlo,
                          int32_t *qhi);

/* gemmlowp-style fixed point, used by SOFTMAX. A value with m integer bits ("Qm.(31-m)") is
   an int32 raw r standing for r / 2^(31 - m); a product of two such values is ember_srdhm of the
   raws and has the sum of their integer bits. Sums wrap like int32 (no saturation). */

/* int32 a + b and a - b wrapping around like two's complement, free of signed overflow. */
static inline int32_t ember_wrap_add(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t ember_wrap_sub(int32_t a, int32_t b) {
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* Leading zero bits of x (32 for 0). */
int32_t ember_leading_zeros(uint32_t x);

/* Leading bits of x equal to its sign bit, not counting the sign bit (31 for 0 and -1). */
int32_t ember_leading_sign_bits(int32_t x);

/* (a + b) / 2 rounded half away from zero, computed without overflow. */
int32_t ember_rounding_half_sum(int32_t a, int32_t b);

/* x * 2^exponent, exponent in [0, 31], saturated to [INT32_MIN, INT32_MAX]. */
int32_t ember_saturating_shift_left(int32_t x, int32_t exponent);

/* exp(a) for a <= 0 given with `integer_bits` in [0, 29] integer bits; the result is Q0.31
   (a == 0 gives INT32_MAX). exp is evaluated on a's part in [-1/4, 0) by a 4th-order Taylor
   polynomial around -1/8, then multiplied by exp(-2^k) for each set bit of the rest. */
int32_t ember_exp_on_negative_values(int32_t a, int32_t integer_bits);

/* Integer bits of the scaled differences (Q5.26) and of the sum of their exps (Q12.19) in
   LiteRT's int8 SOFTMAX and LOG_SOFTMAX. */
#define EMBER_SOFTMAX_DIFF_BITS 5
#define EMBER_SOFTMAX_SUM_BITS 12

/* The int8 SOFTMAX / LOG_SOFTMAX input scaling (LiteRT's PreprocessSoftmaxScaling): a
   difference d <= 0 of stored values becomes the Q5.26 value
   ember_multiply_by_quantized_multiplier(d, mult, left_shift) of beta * s_in * d, where
   beta_scale = beta * s_in; real multipliers above 2^31 - 1 are capped. Differences below
   diff_min would overflow Q5.26 and count as exp 0. False (nothing set) unless
   beta_scale * 2^26 > 1, which LiteRT requires. */
bool ember_softmax_input_scaling(double beta_scale, int32_t *mult, int32_t *left_shift,
                                 int32_t *diff_min);

/* ln(x) for x >= 1 given with `input_bits` integer bits, returned with `output_bits` integer
   bits (gemmlowp's log_x_for_x_greater_than_or_equal_to_1 as LiteRT's int8 LOG_SOFTMAX uses
   it, output_bits in [1, 29]); x must be > 0. */
int32_t ember_log_x_ge_1(int32_t x, int32_t input_bits, int32_t output_bits);

/* 1 / (1 + x) for x in [0, 1), both Q0.31: three Newton-Raphson steps in Q2.29 from the
   initial guess 48/17 - 32/17 * (1 + x) / 2. */
int32_t ember_one_over_one_plus_x(int32_t x);

/* 1 / sqrt(input) as a multiplier and shift for ember_multiply_by_quantized_multiplier, as
   LiteRT's GetInvSqrtQuantizedMultiplierExp computes it: input normalised into [2^27, 2^29)
   by factors of 4, five Newton steps in Q3.28, times sqrt(2)/2, a negative shift folded into
   the multiplier; the shift is finally multiplied by `reverse_shift` (-1 for L2
   normalization). input <= 1 gives (INT32_MAX, 0). */
void ember_inv_sqrt_multiplier(int32_t input, int32_t reverse_shift, int32_t *m,
                               int32_t *shift);

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

/* QUANTIZE of one float: LiteRT's reference divides in float32 (not a multiply by 1/scale) and
   rounds ties away from zero, which is what roundf does. The rounded value is bounded before
   the int conversion so that huge inputs saturate instead of overflowing; NaN gives -128, as
   LiteRT does on x86. */
static inline int8_t ember_quantize_f32_i8(float x, float scale, int32_t zero_point) {
    const float r = roundf(x / scale);
    const int32_t v = r >= 512.0f ? 512 : (r >= -512.0f ? (int32_t)r : -512);
    const int32_t q = v + zero_point;
    return (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
}

/* QUANTIZE of one float to int16, as ember_quantize_f32_i8 on the int16 range. */
static inline int16_t ember_quantize_f32_i16(float x, float scale, int32_t zero_point) {
    const float r = roundf(x / scale);
    const int32_t v = r >= 65536.0f ? 65536 : (r >= -65536.0f ? (int32_t)r : -65536);
    const int32_t q = v + zero_point;
    return (int16_t)(q < INT16_MIN ? INT16_MIN : (q > INT16_MAX ? INT16_MAX : q));
}

/* int16 fixed point (gemmlowp's int16 forms, as LiteRT's int8 HARD_SWISH uses them). */

/* a * b / 2^15 rounded as ember_srdhm rounds (nudge 2^14, or 1 - 2^14 for a negative product,
   then truncation); INT16_MIN * INT16_MIN saturates to INT16_MAX. */
int16_t ember_srdhm16(int16_t a, int16_t b);

/* a * b / 2^15 truncated toward zero (no rounding nudge); INT16_MIN * INT16_MIN saturates. */
int16_t ember_doubling_high_mul16(int16_t a, int16_t b);

/* x * 2^exponent saturated to the int16 range, exponent >= 0. */
int16_t ember_shift_left_sat16(int16_t x, int32_t exponent);

/* A Q0.31 multiplier m >= 0 rounded to Q0.15: (m + 2^15) >> 16, or 32767 where that would
   overflow. */
int16_t ember_multiplier_to_int16(int32_t m);

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

/* QUANTIZE and DEQUANTIZE: one input, one output, no params, types `from` -> `to`, equal
   shapes, each int8 side a per-tensor int8 activation and each int16 side a per-tensor int16
   one (zero point 0), and input and output apart in the arena unless exactly aliased with
   equal types (for float <-> int8 the element sizes differ, so no alias is safe both
   ways). */
ember_status ember_check_int8_conversion(ember_context *ctx, const ember_node *node,
                                         uint8_t from, uint8_t to);

#endif /* EMBER_KERNELS_QUANT_H */
