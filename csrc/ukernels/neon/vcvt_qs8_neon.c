/* NEON int8 <-> float32 conversions (ukernels/vcvt_qs8.h), aarch64 only: armv7 has neither a
   float division nor a ties-away conversion, and its NEON multiply flushes subnormals.
   quantize: r = x / scale (fdiv, the scalar's IEEE division); the bound to [-512, 512] in
   float with NaN -> -512 through the ordered compare r >= -512 (false for NaN); then fcvtas
   (round to nearest, ties away: roundf on values this small, exactly), + zero point and the
   saturating narrows as the clamp. dequantize: widen, subtract, convert (exact), one fmul.
   Tails below 4 go through a copy, so nothing past the last element is read. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/vcvt_qs8.h"

#if defined(__aarch64__)
static inline int32x4_t quantize4(float32x4_t x, float32x4_t scale, int32x4_t zp) {
    const float32x4_t r = vdivq_f32(x, scale);
    const uint32x4_t valid = vcgeq_f32(r, vdupq_n_f32(-512.0f));
    const float32x4_t v = vbslq_f32(valid, vminq_f32(r, vdupq_n_f32(512.0f)),
                                    vdupq_n_f32(-512.0f));
    return vaddq_s32(vcvtaq_s32_f32(v), zp);
}

static inline int8x8_t narrow8(int32x4_t a, int32x4_t b) {
    return vqmovn_s16(vcombine_s16(vqmovn_s32(a), vqmovn_s32(b)));
}

void ember_vcvt_f32_qs8_neon(size_t n, const float *in, int8_t *out, float scale,
                             int32_t zero_point) {
    const float32x4_t s = vdupq_n_f32(scale);
    const int32x4_t zp = vdupq_n_s32(zero_point);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        vst1_s8(out + i, narrow8(quantize4(vld1q_f32(in + i), s, zp),
                                 quantize4(vld1q_f32(in + i + 4), s, zp)));
    if (i < n) {
        float tmp[8] = {0};
        int8_t bytes[8];
        memcpy(tmp, in + i, (n - i) * sizeof(float));
        vst1_s8(bytes, narrow8(quantize4(vld1q_f32(tmp), s, zp),
                               quantize4(vld1q_f32(tmp + 4), s, zp)));
        memcpy(out + i, bytes, n - i);
    }
}

static inline float32x4_t dequantize4(int16x4_t q, float32x4_t scale, int32x4_t zp) {
    return vmulq_f32(scale, vcvtq_f32_s32(vsubq_s32(vmovl_s16(q), zp)));
}

void ember_vcvt_qs8_f32_neon(size_t n, const int8_t *in, float *out, float scale,
                             int32_t zero_point) {
    const float32x4_t s = vdupq_n_f32(scale);
    const int32x4_t zp = vdupq_n_s32(zero_point);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const int16x8_t q = vmovl_s8(vld1_s8(in + i));
        vst1q_f32(out + i, dequantize4(vget_low_s16(q), s, zp));
        vst1q_f32(out + i + 4, dequantize4(vget_high_s16(q), s, zp));
    }
    if (i < n) {
        int8_t bytes[8] = {0};
        float tmp[8];
        memcpy(bytes, in + i, n - i);
        const int16x8_t q = vmovl_s8(vld1_s8(bytes));
        vst1q_f32(tmp, dequantize4(vget_low_s16(q), s, zp));
        vst1q_f32(tmp + 4, dequantize4(vget_high_s16(q), s, zp));
        memcpy(out + i, tmp, (n - i) * sizeof(float));
    }
}
#endif
