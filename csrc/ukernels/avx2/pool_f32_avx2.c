/* AVX2 pooling microkernels (csrc/ukernels/pool.h): 32 channels per step in four independent
   accumulators, then 8, then the last 1..7 through a lane mask. max_ps(tap, best) is
   `tap > best ? tap : best` and max_ps(lo, v) / min_ps(hi, v) the reference's clamp, NaNs
   included, so the outputs equal the reference loops bit for bit. */
#include <float.h>
#include <immintrin.h>

#include "ukernels/pool.h"

/* 8 - n leading entries of -1 select the first n lanes from &mask_table[8 - n]. */
static const int32_t mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __m256i tail_mask(size_t n) {
    return _mm256_loadu_si256((const __m256i *)(const void *)(mask_table + 8 - n));
}

static inline __m256 clamp8(__m256 v, __m256 lo, __m256 hi) {
    return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

void ember_maxpool_f32_avx2(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out) {
    (void)scale;
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256 init = _mm256_set1_ps(-FLT_MAX);
    size_t c = 0;
    for (; c + 32 <= channels; c += 32) {
        __m256 a0 = init, a1 = init, a2 = init, a3 = init;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float *s = first + r * row_step + k * col_step + c;
                a0 = _mm256_max_ps(_mm256_loadu_ps(s), a0);
                a1 = _mm256_max_ps(_mm256_loadu_ps(s + 8), a1);
                a2 = _mm256_max_ps(_mm256_loadu_ps(s + 16), a2);
                a3 = _mm256_max_ps(_mm256_loadu_ps(s + 24), a3);
            }
        _mm256_storeu_ps(out + c, clamp8(a0, vlo, vhi));
        _mm256_storeu_ps(out + c + 8, clamp8(a1, vlo, vhi));
        _mm256_storeu_ps(out + c + 16, clamp8(a2, vlo, vhi));
        _mm256_storeu_ps(out + c + 24, clamp8(a3, vlo, vhi));
    }
    for (; c + 8 <= channels; c += 8) {
        __m256 a = init;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                a = _mm256_max_ps(_mm256_loadu_ps(first + r * row_step + k * col_step + c), a);
        _mm256_storeu_ps(out + c, clamp8(a, vlo, vhi));
    }
    if (c < channels) {
        const __m256i m = tail_mask(channels - c);
        __m256 a = init;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                a = _mm256_max_ps(
                    _mm256_maskload_ps(first + r * row_step + k * col_step + c, m), a);
        _mm256_maskstore_ps(out + c, m, clamp8(a, vlo, vhi));
    }
}

void ember_avgpool_f32_avx2(const float *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, float scale, float lo, float hi,
                            float *out) {
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256 vs = _mm256_set1_ps(scale);
    size_t c = 0;
    for (; c + 32 <= channels; c += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++) {
                const float *s = first + r * row_step + k * col_step + c;
                a0 = _mm256_add_ps(a0, _mm256_loadu_ps(s));
                a1 = _mm256_add_ps(a1, _mm256_loadu_ps(s + 8));
                a2 = _mm256_add_ps(a2, _mm256_loadu_ps(s + 16));
                a3 = _mm256_add_ps(a3, _mm256_loadu_ps(s + 24));
            }
        _mm256_storeu_ps(out + c, clamp8(_mm256_mul_ps(a0, vs), vlo, vhi));
        _mm256_storeu_ps(out + c + 8, clamp8(_mm256_mul_ps(a1, vs), vlo, vhi));
        _mm256_storeu_ps(out + c + 16, clamp8(_mm256_mul_ps(a2, vs), vlo, vhi));
        _mm256_storeu_ps(out + c + 24, clamp8(_mm256_mul_ps(a3, vs), vlo, vhi));
    }
    for (; c + 8 <= channels; c += 8) {
        __m256 a = _mm256_setzero_ps();
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                a = _mm256_add_ps(a, _mm256_loadu_ps(first + r * row_step + k * col_step + c));
        _mm256_storeu_ps(out + c, clamp8(_mm256_mul_ps(a, vs), vlo, vhi));
    }
    if (c < channels) {
        const __m256i m = tail_mask(channels - c);
        __m256 a = _mm256_setzero_ps();
        for (size_t r = 0; r < rows; r++)
            for (size_t k = 0; k < cols; k++)
                a = _mm256_add_ps(
                    a, _mm256_maskload_ps(first + r * row_step + k * col_step + c, m));
        _mm256_maskstore_ps(out + c, m, clamp8(_mm256_mul_ps(a, vs), vlo, vhi));
    }
}

static inline __m256d widen(const float *s) {
    return _mm256_cvtps_pd(_mm_loadu_ps(s));
}

/* (float)(sum * scale) of 4 lanes, as the reference's cast rounds (to nearest). */
static inline __m128 narrow(__m256d sum, __m256d scale) {
    return _mm256_cvtpd_ps(_mm256_mul_pd(sum, scale));
}

/* 16 channels per step in four double accumulators (an add's latency hides behind the
   others), then 4, then the last 1..3 through a lane mask. */
void ember_chansum_f32_avx2(const float *in, size_t rows, size_t channels, size_t row_stride,
                            double scale, float *out) {
    const __m256d vs = _mm256_set1_pd(scale);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t r = 0; r < rows; r++) {
            const float *s = in + r * row_stride + c;
            a0 = _mm256_add_pd(a0, widen(s));
            a1 = _mm256_add_pd(a1, widen(s + 4));
            a2 = _mm256_add_pd(a2, widen(s + 8));
            a3 = _mm256_add_pd(a3, widen(s + 12));
        }
        _mm_storeu_ps(out + c, narrow(a0, vs));
        _mm_storeu_ps(out + c + 4, narrow(a1, vs));
        _mm_storeu_ps(out + c + 8, narrow(a2, vs));
        _mm_storeu_ps(out + c + 12, narrow(a3, vs));
    }
    for (; c + 4 <= channels; c += 4) {
        __m256d a = _mm256_setzero_pd();
        for (size_t r = 0; r < rows; r++)
            a = _mm256_add_pd(a, widen(in + r * row_stride + c));
        _mm_storeu_ps(out + c, narrow(a, vs));
    }
    if (c < channels) {
        const __m128i m = _mm_loadu_si128((const __m128i *)(const void *)(mask_table + 8 -
                                                                           (channels - c)));
        __m256d a = _mm256_setzero_pd();
        for (size_t r = 0; r < rows; r++)
            a = _mm256_add_pd(a, _mm256_cvtps_pd(_mm_maskload_ps(in + r * row_stride + c, m)));
        _mm_maskstore_ps(out + c, m, narrow(a, vs));
    }
}
