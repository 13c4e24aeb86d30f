/* AVX2 hybrid microkernels (ukernels/hybrid_qs8.h): 8 floats a step, the scalar forms on the
   tails; the same bits as the scalar forms (max_ps/min_ps keep the second operand for a NaN,
   as the scalar comparisons do; cvtps2dq rounds to nearest even; no FMA). */
#include <immintrin.h>

#include "ukernels/hybrid_qs8.h"

void ember_hybrid_minmax_avx2(size_t n, const float *x, float *lo, float *hi) {
    __m256 l0 = _mm256_set1_ps(*lo), h0 = _mm256_set1_ps(*hi);
    __m256 l1 = l0, h1 = h0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        l0 = _mm256_min_ps(a, l0);
        h0 = _mm256_max_ps(a, h0);
        l1 = _mm256_min_ps(b, l1);
        h1 = _mm256_max_ps(b, h1);
    }
    float ls[8], hs[8];
    _mm256_storeu_ps(ls, _mm256_min_ps(l0, l1));
    _mm256_storeu_ps(hs, _mm256_max_ps(h0, h1));
    float l = *lo, h = *hi;
    for (size_t k = 0; k < 8; k++) {
        l = ls[k] < l ? ls[k] : l;
        h = hs[k] > h ? hs[k] : h;
    }
    ember_hybrid_minmax_scalar(n - i, x + i, &l, &h);
    *lo = l;
    *hi = h;
}

/* 8 floats to 8 int32: round(clamp(x * inv)) + zp. */
static inline __m256i quantize8(__m256 x, __m256 inv, __m256 bound, __m256i zp) {
    __m256 v = _mm256_mul_ps(x, inv);
    v = _mm256_max_ps(v, _mm256_sub_ps(_mm256_setzero_ps(), bound));
    v = _mm256_min_ps(v, bound);
    return _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
}

void ember_hybrid_quantize_avx2(size_t n, const float *x, float inv_scale, int32_t zp,
                                int8_t *q) {
    const __m256 inv = _mm256_set1_ps(inv_scale), bound = _mm256_set1_ps(EMBER_HYBRID_QS8_BOUND);
    const __m256i z = _mm256_set1_epi32(zp);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i a = quantize8(_mm256_loadu_ps(x + i), inv, bound, z);
        const __m256i b = quantize8(_mm256_loadu_ps(x + i + 8), inv, bound, z);
        const __m256i c = quantize8(_mm256_loadu_ps(x + i + 16), inv, bound, z);
        const __m256i d = quantize8(_mm256_loadu_ps(x + i + 24), inv, bound, z);
        /* packs works within 128-bit lanes: the permute puts the 32 bytes back in order */
        const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
        const __m256i bytes = _mm256_packs_epi16(ab, cd);
        _mm256_storeu_si256((__m256i *)(void *)(q + i),
                            _mm256_permutevar8x32_epi32(bytes, order));
    }
    ember_hybrid_quantize_scalar(n - i, x + i, inv_scale, zp, q + i);
}

void ember_hybrid_out_avx2(size_t rows, size_t n, const int32_t *acc, size_t acc_stride,
                           const int32_t *zc, const float *m, const float *bias, float lo,
                           float hi, float *y, size_t y_stride) {
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    for (size_t i = 0; i < rows; i++, acc += acc_stride, y += y_stride) {
        size_t j = 0;
        for (; j + 8 <= n; j += 8) {
            const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(acc + j));
            const __m256i z = _mm256_loadu_si256((const __m256i *)(const void *)(zc + j));
            const __m256 f = _mm256_cvtepi32_ps(_mm256_sub_epi32(a, z));
            __m256 v = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(m + j)),
                                     _mm256_loadu_ps(bias + j));
            v = _mm256_min_ps(_mm256_max_ps(v, vlo), vhi);
            _mm256_storeu_ps(y + j, v);
        }
        for (; j < n; j++)
            y[j] = ember_hybrid_qs8_out1(acc[j], zc[j], m[j], bias[j], lo, hi);
    }
}
