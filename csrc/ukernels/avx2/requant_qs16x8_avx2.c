/* The AVX2 16x8 requantization (ukernels/gemm_qs16x8.h), 4 int64 sums per vector. AVX2 has
   neither a 64 x 64-bit multiply nor an arithmetic 64-bit shift: |v| < 2^48 and reduced < 2^15
   make v * reduced the sum of its high half's product (vpmuldq) shifted up by 32 and its low
   half's (vpmuludq); the arithmetic shift is a logical one of v + 2^63, less 2^63's. */
#include <immintrin.h>

#include "ukernels/gemm_qs16x8.h"

static __m256i clamp64(__m256i v, __m256i lo, __m256i hi) {
    v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
    return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

/* clamp((v * reduced + 2^(total - 1)) >> total, lo, hi) with v already in [-2^47, 2^47). */
static __m256i requant4(__m256i v, __m256i reduced, __m256i total, __m256i lo, __m256i hi) {
    const __m256i high = _mm256_mul_epi32(_mm256_srli_epi64(v, 32), reduced);
    const __m256i low = _mm256_mul_epu32(v, reduced);
    const __m256i one = _mm256_set1_epi64x(1);
    const __m256i half = _mm256_sllv_epi64(one, _mm256_sub_epi64(total, one));
    const __m256i p = _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(high, 32), low), half);
    const __m256i flip = _mm256_set1_epi64x(INT64_MIN);
    const __m256i r = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(p, flip), total),
                                       _mm256_srlv_epi64(flip, total));
    return clamp64(r, lo, hi);
}

void ember_requant_qs16x8_avx2(size_t n, const int64_t *acc, const int64_t *reduced,
                               const int64_t *total, int32_t q_min, int32_t q_max,
                               int16_t *out) {
    const __m256i vlo = _mm256_set1_epi64x(-(INT64_C(1) << 47));
    const __m256i vhi = _mm256_set1_epi64x((INT64_C(1) << 47) - 1);
    const __m256i lo = _mm256_set1_epi64x(q_min), hi = _mm256_set1_epi64x(q_max);
    /* The low 32 bits of each int64 lane, gathered into the low 128 bits. */
    const __m256i low_dwords = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    size_t c = 0;
    for (; c + 8 <= n; c += 8) {
        __m256i r[2];
        for (size_t h = 0; h < 2; h++) {
            const size_t at = c + 4 * h;
            const __m256i v = clamp64(_mm256_loadu_si256((const __m256i *)(const void *)(acc + at)),
                                      vlo, vhi);
            r[h] = requant4(v, _mm256_loadu_si256((const __m256i *)(const void *)(reduced + at)),
                            _mm256_loadu_si256((const __m256i *)(const void *)(total + at)), lo,
                            hi);
            r[h] = _mm256_permutevar8x32_epi32(r[h], low_dwords);
        }
        /* Lanes 0-3 of each hold the int32 results, already within the int16 range. */
        const __m256i both = _mm256_permute2x128_si256(r[0], r[1], 0x20);
        const __m128i packed = _mm_packs_epi32(_mm256_castsi256_si128(both),
                                               _mm256_extracti128_si256(both, 1));
        _mm_storeu_si128((__m128i *)(void *)(out + c), packed);
    }
    ember_requant_qs16x8_scalar(n - c, acc + c, reduced + c, total + c, q_min, q_max, out + c);
}
