/* Fixed-point arithmetic of the quantized kernels, with LiteRT's reference semantics (the
   default, double-rounding build): a real multiplier is stored as a Q0.31 mantissa and a
   power-of-two exponent, and applied with two roundings (see ember_srdhm and ember_rdbpot for
   how each treats ties); gemmlowp's Q-format functions (exp, log, 1 / (1 + x), 1 / sqrt) for
   SOFTMAX, LOG_SOFTMAX, DIV and L2_NORMALIZATION; the int64 multiply of the 16x8 kernels and
   the int16 forms HARD_SWISH uses. Pure integer functions of their arguments: no tensor, no
   node. See docs/int8-arithmetic.md, section 1. */
#ifndef EMBER_KERNELS_FIXED_POINT_H
#define EMBER_KERNELS_FIXED_POINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* clamp(ember_multiply_by_quantized_multiplier(acc, m, shift) + out_zp, q_min, q_max): one
   int8 output of a kernel that requantizes an int32 sum or product once. */
int32_t ember_requantize_i8(int32_t acc, int32_t m, int32_t shift, int32_t out_zp, int32_t q_min,
                            int32_t q_max);

/* The 16x8 form: clamp(ember_multiply_by_quantized_multiplier_i64(acc, m, shift), q_min,
   q_max), zero point 0. */
int32_t ember_requantize_i16(int64_t acc, int32_t m, int32_t shift, int32_t q_min, int32_t q_max);

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

#endif /* EMBER_KERNELS_FIXED_POINT_H */
