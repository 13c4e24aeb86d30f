/* NEON pooling microkernels (aarch64 and armv7; csrc/ukernels/pool.h): 8 channels per step in
   two accumulators, then 4, then the last 1..3 one at a time. Comparisons and selects spell
   the reference's expressions (vmaxq would let a NaN win), so outputs equal it bit for bit. */
#include <arm_neon.h>
#include <float.h>

#include "ukernels/pool.h"

static inline float32x4_t max4(float32x4_t tap, float32x4_t best) {
    return vbslq_f32(vcgtq_f32(tap, best), tap, best);
}

static inline float32x4_t clamp4(float32x4_t v, float32x4_t lo, float32x4_t hi) {
    v = vbslq_f32(vcltq_f32(v, lo), lo, v);
    return vbslq_f32(vcgtq_f32(v, hi), hi, v);
}

static inline float clamp1(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

void ember_maxpool_f32_neon(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out) {
    (void)scale;
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    const float32x4_t init = vdupq_n_f32(-FLT_MAX);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        float32x4_t a0 = init, a1 = init;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float *s = first + r * row_step + k * col_step + c;
                a0 = max4(vld1q_f32(s), a0);
                a1 = max4(vld1q_f32(s + 4), a1);
            }
        vst1q_f32(out + c, clamp4(a0, vlo, vhi));
        vst1q_f32(out + c + 4, clamp4(a1, vlo, vhi));
    }
    for (; c + 4 <= channels; c += 4) {
        float32x4_t a = init;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                a = max4(vld1q_f32(first + r * row_step + k * col_step + c), a);
        vst1q_f32(out + c, clamp4(a, vlo, vhi));
    }
    for (; c < channels; c++) {
        float a = -FLT_MAX;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float v = first[r * row_step + k * col_step + c];
                a = v > a ? v : a;
            }
        out[c] = clamp1(a, lo, hi);
    }
}

void ember_avgpool_f32_neon(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out) {
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float *s = first + r * row_step + k * col_step + c;
                a0 = vaddq_f32(a0, vld1q_f32(s));
                a1 = vaddq_f32(a1, vld1q_f32(s + 4));
            }
        vst1q_f32(out + c, clamp4(vmulq_n_f32(a0, scale), vlo, vhi));
        vst1q_f32(out + c + 4, clamp4(vmulq_n_f32(a1, scale), vlo, vhi));
    }
    for (; c + 4 <= channels; c += 4) {
        float32x4_t a = vdupq_n_f32(0.0f);
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                a = vaddq_f32(a, vld1q_f32(first + r * row_step + k * col_step + c));
        vst1q_f32(out + c, clamp4(vmulq_n_f32(a, scale), vlo, vhi));
    }
    for (; c < channels; c++) {
        float a = 0.0f;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                a += first[r * row_step + k * col_step + c];
        out[c] = clamp1(a * scale, lo, hi);
    }
}
