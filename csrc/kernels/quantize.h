/* QUANTIZE's float -> int arithmetic, shared with PAD (whose int8 pad value is a float
   quantized the same way). */
#ifndef EMBER_KERNELS_QUANTIZE_H
#define EMBER_KERNELS_QUANTIZE_H

#include <math.h>
#include <stdint.h>

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

#endif /* EMBER_KERNELS_QUANTIZE_H */
