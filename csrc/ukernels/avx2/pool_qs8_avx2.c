/* AVX2 int8 pooling microkernels (ukernels/pool_qs8.h): max over 32 channels per step
   (vpmaxsb), MEAN's channel sums over 16 channels per step in int32 lanes, requantized with
   requant_qs8_avx2.h; the last channels go through the portable kernels. */
#include <immintrin.h>

#include "ukernels/avx2/requant_qs8_avx2.h"
#include "ukernels/pool_qs8.h"

void ember_maxpool_qs8_avx2(const int8_t *first, size_t rows, size_t cols, size_t row_step,
                            size_t col_step, size_t channels, int32_t qmin, int32_t qmax,
                            int8_t *out) {
    const __m256i lo = _mm256_set1_epi8((char)qmin), hi = _mm256_set1_epi8((char)qmax);
    size_t c = 0;
    for (; c + 32 <= channels; c += 32) {
        __m256i best = _mm256_set1_epi8(-128);
        for (size_t ky = 0; ky < rows; ky++) {
            const int8_t *tap = first + ky * row_step + c;
            for (size_t kx = 0; kx < cols; kx++, tap += col_step)
                best = _mm256_max_epi8(best, _mm256_loadu_si256((const __m256i *)tap));
        }
        best = _mm256_min_epi8(_mm256_max_epi8(best, lo), hi);
        _mm256_storeu_si256((__m256i *)(out + c), best);
    }
    for (; c + 16 <= channels; c += 16) {
        __m128i best = _mm_set1_epi8(-128);
        for (size_t ky = 0; ky < rows; ky++) {
            const int8_t *tap = first + ky * row_step + c;
            for (size_t kx = 0; kx < cols; kx++, tap += col_step)
                best = _mm_max_epi8(best, _mm_loadu_si128((const __m128i *)tap));
        }
        best = _mm_min_epi8(_mm_max_epi8(best, _mm256_castsi256_si128(lo)),
                            _mm256_castsi256_si128(hi));
        _mm_storeu_si128((__m128i *)(out + c), best);
    }
    if (c < channels)
        ember_maxpool_qs8_scalar(first + c, rows, cols, row_step, col_step, channels - c, qmin,
                                 qmax, out + c);
}

void ember_chansum_qs8_avx2(const int8_t *in, size_t rows, size_t channels, size_t row_stride,
                            const ember_chansum_qs8_params *p, int8_t *out) {
    const __m256i offset = _mm256_set1_epi32(p->offset), mult = _mm256_set1_epi32(p->mult);
    const __m256i lshift = _mm256_set1_epi32(p->lshift), rshift = _mm256_set1_epi32(p->rshift);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
        const int8_t *row = in + c;
        for (size_t r = 0; r < rows; r++, row += row_stride) {
            const __m128i x = _mm_loadu_si128((const __m128i *)row);
            s0 = _mm256_add_epi32(s0, _mm256_cvtepi8_epi32(x));
            s1 = _mm256_add_epi32(s1, _mm256_cvtepi8_epi32(_mm_srli_si128(x, 8)));
        }
        s0 = ember_qs8_mbqm_avx2(_mm256_sub_epi32(s0, offset), mult, lshift, rshift);
        s1 = ember_qs8_mbqm_avx2(_mm256_sub_epi32(s1, offset), mult, lshift, rshift);
        _mm_storeu_si128((__m128i *)(out + c), ember_qs8_pack16_avx2(s0, s1, &p->out));
    }
    if (c < channels)
        ember_chansum_qs8_scalar(in + c, rows, channels - c, row_stride, p, out + c);
}
