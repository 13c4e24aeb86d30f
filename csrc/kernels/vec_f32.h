/* Float32 row helpers for the reference conv and matmul kernels. The loops work in blocks of
   8 independent lanes: at the library's -O2 GCC and Clang turn such a fixed-size block into
   SIMD code (SLP), while a plain loop of unknown length stays scalar, and a single running
   sum would be one long dependency chain. Header-only (static inline). */
#ifndef EMBER_KERNELS_VEC_F32_H
#define EMBER_KERNELS_VEC_F32_H

#include <stddef.h>

#define VEC_F32_BLOCK 8

/* sum of a[i] * b[i] for i < n, accumulated in 8 lanes and then added up. */
static inline float vec_f32_dot(const float *restrict a, const float *restrict b, size_t n) {
    float lane[VEC_F32_BLOCK] = {0};
    size_t i = 0;
    for (; i + VEC_F32_BLOCK <= n; i += VEC_F32_BLOCK)
        for (size_t j = 0; j < VEC_F32_BLOCK; j++)
            lane[j] += a[i + j] * b[i + j];
    float sum = 0.0f;
    for (; i < n; i++)
        sum += a[i] * b[i];
    for (size_t j = 0; j < VEC_F32_BLOCK; j++)
        sum += lane[j];
    return sum;
}

/* out[i] += x[i] * w[i] for i < n. */
static inline void vec_f32_mul_add(float *restrict out, const float *restrict x,
                                   const float *restrict w, size_t n) {
    size_t i = 0;
    for (; i + VEC_F32_BLOCK <= n; i += VEC_F32_BLOCK)
        for (size_t j = 0; j < VEC_F32_BLOCK; j++)
            out[i + j] += x[i + j] * w[i + j];
    for (; i < n; i++)
        out[i] += x[i] * w[i];
}

/* out[i] += s * w[i] for i < n. */
static inline void vec_f32_scale_add(float *restrict out, float s, const float *restrict w,
                                     size_t n) {
    size_t i = 0;
    for (; i + VEC_F32_BLOCK <= n; i += VEC_F32_BLOCK)
        for (size_t j = 0; j < VEC_F32_BLOCK; j++)
            out[i + j] += s * w[i + j];
    for (; i < n; i++)
        out[i] += s * w[i];
}

/* Clamps to a fused activation range. A NaN passes through (fminf/fmaxf would replace it by
   a bound and hide the bad value). */
static inline float vec_f32_clamp(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Clamps out[i] for i < n. */
static inline void vec_f32_clamp_row(float *out, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++)
        out[i] = vec_f32_clamp(out[i], lo, hi);
}

#endif /* EMBER_KERNELS_VEC_F32_H */
