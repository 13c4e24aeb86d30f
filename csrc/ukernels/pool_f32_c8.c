/* Portable pooling microkernels (csrc/ukernels/pool.h): the channels in blocks of 8
   independent lanes, which GCC and Clang turn into SIMD code at -O2 (as kernels/vec_f32.h),
   the remainder one channel at a time with the same expressions. */
#include <float.h>

#include "ukernels/pool.h"

#define BLOCK 8

static inline float clamp(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

void ember_maxpool_f32_c8(const float *first, size_t rows, size_t cols, size_t row_step,
                          size_t col_step, size_t channels, float scale, float lo, float hi,
                          float *out) {
    (void)scale;
    size_t c = 0;
    for (; c + BLOCK <= channels; c += BLOCK) {
        float acc[BLOCK];
        for (size_t j = 0; j < BLOCK; j++)
            acc[j] = -FLT_MAX;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float *src = first + r * row_step + k * col_step + c;
                for (size_t j = 0; j < BLOCK; j++)
                    acc[j] = src[j] > acc[j] ? src[j] : acc[j];
            }
        for (size_t j = 0; j < BLOCK; j++)
            out[c + j] = clamp(acc[j], lo, hi);
    }
    for (; c < channels; c++) {
        float acc = -FLT_MAX;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float v = first[r * row_step + k * col_step + c];
                acc = v > acc ? v : acc;
            }
        out[c] = clamp(acc, lo, hi);
    }
}

void ember_avgpool_f32_c8(const float *first, size_t rows, size_t cols, size_t row_step,
                          size_t col_step, size_t channels, float scale, float lo, float hi,
                          float *out) {
    size_t c = 0;
    for (; c + BLOCK <= channels; c += BLOCK) {
        float acc[BLOCK];
        for (size_t j = 0; j < BLOCK; j++)
            acc[j] = 0.0f;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float *src = first + r * row_step + k * col_step + c;
                for (size_t j = 0; j < BLOCK; j++)
                    acc[j] += src[j];
            }
        for (size_t j = 0; j < BLOCK; j++)
            out[c + j] = clamp(acc[j] * scale, lo, hi);
    }
    for (; c < channels; c++) {
        float acc = 0.0f;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                acc += first[r * row_step + k * col_step + c];
        out[c] = clamp(acc * scale, lo, hi);
    }
}

void ember_chansum_f32_c8(const float *in, size_t rows, size_t channels, size_t row_stride,
                          double scale, float *out) {
    size_t c = 0;
    for (; c + BLOCK <= channels; c += BLOCK) {
        double acc[BLOCK] = {0.0};
        for (size_t r = 0; r < rows; r++) {
            const float *src = in + r * row_stride + c;
            for (size_t j = 0; j < BLOCK; j++)
                acc[j] += src[j];
        }
        for (size_t j = 0; j < BLOCK; j++)
            out[c + j] = (float)(acc[j] * scale);
    }
    for (; c < channels; c++) {
        double acc = 0.0;
        for (size_t r = 0; r < rows; r++)
            acc += in[r * row_stride + c];
        out[c] = (float)(acc * scale);
    }
}
