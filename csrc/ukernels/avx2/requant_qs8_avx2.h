/* AVX2 form of the int8 requantization (ukernels/requant_qs8.h), for the files of the x86
 * ISA directories (avx2, avx512f, avx512vnni: all are built with -mavx2). Header-only. */
#ifndef EMBER_UKERNELS_AVX2_REQUANT_QS8_AVX2_H
#define EMBER_UKERNELS_AVX2_REQUANT_QS8_AVX2_H

#include <immintrin.h>

#include "ukernels/requant_qs8.h"

/* Eight int32 sums times their multipliers, before the zero point: per lane
   RDBPOT(SRDHM(acc << lshift, m), rshift). The 32 x 32 -> 64-bit products of the even and the
   odd lanes are taken apart (vpmuldq); bits 31..62 of product + 2^30 are the high half. */
static inline __m256i ember_qs8_mbqm_avx2(__m256i acc, __m256i m, __m256i lshift,
                                          __m256i rshift) {
    const __m256i x = _mm256_sllv_epi32(acc, lshift);
    const __m256i half = _mm256_set1_epi64x(INT64_C(1) << 30);
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, m), half);
    const __m256i odd = _mm256_add_epi64(
        _mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32)), half);
    const __m256i high = _mm256_blend_epi32(_mm256_srli_epi64(even, 31),
                                            _mm256_slli_epi64(_mm256_srli_epi64(odd, 31), 32),
                                            0xAA);
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, rshift), one);
    const __m256i negative = _mm256_cmpgt_epi32(_mm256_setzero_si256(), high);
    const __m256i threshold = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), negative);
    const __m256i round_up = _mm256_cmpgt_epi32(_mm256_and_si256(high, mask), threshold);
    return _mm256_sub_epi32(_mm256_srav_epi32(high, rshift), round_up);
}

/* Sixteen requantized lanes (lo = outputs 0-7, hi = 8-15) plus the zero point, clamped and
   packed into 16 int8 in order. */
static inline __m128i ember_qs8_pack16_avx2(__m256i lo, __m256i hi, const ember_qs8_params *p) {
    const __m256i zp = _mm256_set1_epi32(p->out_zp);
    const __m256i w16 = _mm256_packs_epi32(_mm256_add_epi32(lo, zp), _mm256_add_epi32(hi, zp));
    /* packs works per 128-bit lane: words are 0-3 8-11 | 4-7 12-15; put them in order. */
    const __m256i ordered = _mm256_permute4x64_epi64(w16, 0xD8);
    __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(ordered),
                                _mm256_extracti128_si256(ordered, 1));
    b = _mm_max_epi8(b, _mm_set1_epi8((char)p->qmin));
    return _mm_min_epi8(b, _mm_set1_epi8((char)p->qmax));
}

#endif /* EMBER_UKERNELS_AVX2_REQUANT_QS8_AVX2_H */
