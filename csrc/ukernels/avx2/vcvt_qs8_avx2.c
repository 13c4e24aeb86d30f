/* AVX2 int8 <-> float32 conversions (ukernels/vcvt_qs8.h).
   quantize: r = x / scale (vdivps, the scalar's IEEE division); roundf as truncation plus
   sign(r) where |r - trunc(r)| >= 0.5 (that difference is exact; for |r| >= 2^23 it is 0, for
   infinities NaN, which the ordered compare rejects); the bound to [-512, 512] as
   max(min(512, r), -512): minps and maxps return their second operand when one is NaN, so NaN
   leaves min as NaN and max as -512, as the scalar's comparisons do. The integer conversion
   is then exact, and the saturating packs are the clamp to [-128, 127] (|v + zp| < 2^15).
   Tails below 8 go through masked loads (quantize) or a copy of the bytes (dequantize). */
#include <immintrin.h>
#include <string.h>

#include "ukernels/vcvt_qs8.h"

static inline __m256i quantize8(__m256 x, __m256 scale, __m256i zp) {
    const __m256 r = _mm256_div_ps(x, scale);
    const __m256 t = _mm256_round_ps(r, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 frac = _mm256_and_ps(_mm256_sub_ps(r, t), abs_mask);
    const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 one = _mm256_or_ps(_mm256_andnot_ps(abs_mask, r), _mm256_set1_ps(1.0f));
    const __m256 rounded = _mm256_add_ps(t, _mm256_and_ps(up, one));
    const __m256 v = _mm256_max_ps(_mm256_min_ps(_mm256_set1_ps(512.0f), rounded),
                                   _mm256_set1_ps(-512.0f));
    return _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
}

/* Eight int32 lanes saturated to the low 8 bytes. */
static inline __m128i pack8(__m256i v) {
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packs_epi16(w, w);
}

void ember_vcvt_f32_qs8_avx2(size_t n, const float *in, int8_t *out, float scale,
                             int32_t zero_point) {
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i zp = _mm256_set1_epi32(zero_point);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i a = quantize8(_mm256_loadu_ps(in + i), s, zp);
        const __m256i b = quantize8(_mm256_loadu_ps(in + i + 8), s, zp);
        const __m256i c = quantize8(_mm256_loadu_ps(in + i + 16), s, zp);
        const __m256i d = quantize8(_mm256_loadu_ps(in + i + 24), s, zp);
        /* The packs work within 128-bit lanes: dwords 0, 4, 1, 5, ... restore the order. */
        const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b),
                                                 _mm256_packs_epi32(c, d));
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        _mm256_storeu_si256((__m256i *)(out + i),
                            _mm256_permutevar8x32_epi32(bytes, order));
    }
    for (; i + 8 <= n; i += 8)
        _mm_storel_epi64((__m128i *)(out + i), pack8(quantize8(_mm256_loadu_ps(in + i), s, zp)));
    if (i < n) {
        const size_t rest = n - i;
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)rest), lane);
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, pack8(quantize8(_mm256_maskload_ps(in + i, mask), s,
                                                         zp)));
        memcpy(out + i, tmp, rest);
    }
}

static inline __m256 dequantize8(__m128i q, __m256 scale, __m256i zp) {
    const __m256i v = _mm256_sub_epi32(_mm256_cvtepi8_epi32(q), zp);
    return _mm256_mul_ps(scale, _mm256_cvtepi32_ps(v));
}

void ember_vcvt_qs8_f32_avx2(size_t n, const int8_t *in, float *out, float scale,
                             int32_t zero_point) {
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i zp = _mm256_set1_epi32(zero_point);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(in + i));
        const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
        _mm256_storeu_ps(out + i, dequantize8(lo, s, zp));
        _mm256_storeu_ps(out + i + 8, dequantize8(_mm_srli_si128(lo, 8), s, zp));
        _mm256_storeu_ps(out + i + 16, dequantize8(hi, s, zp));
        _mm256_storeu_ps(out + i + 24, dequantize8(_mm_srli_si128(hi, 8), s, zp));
    }
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i,
                         dequantize8(_mm_loadl_epi64((const __m128i *)(in + i)), s, zp));
    if (i < n) {
        const size_t rest = n - i;
        int8_t tmp[16] = {0};
        memcpy(tmp, in + i, rest);
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)rest), lane);
        _mm256_maskstore_ps(out + i, mask,
                            dequantize8(_mm_loadu_si128((const __m128i *)tmp), s, zp));
    }
}
