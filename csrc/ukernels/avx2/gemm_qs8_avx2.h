/* The pieces the AVX2 int8 GEMM/IGEMM microkernels share (csrc/ukernels/avx2/), for x86 CPUs
 * without AVX-512 VNNI. The packed layout is the c4 one of the VNNI kernels with a_offset 0:
 * each step takes 4 k of a row, sign-extended to int16 and broadcast as one 64-bit pair of
 * pairs, and the panel's 16 x 4 weights sign-extended to int16 in four ymm (4 columns each);
 * vpmaddwd gives each column two int32 partial sums (k 0-1 and k 2-3), which stay apart until
 * the tile's end (vphaddd). Every product and pair sum is exact (|a w| <= 2^14), so weights of
 * -128 are as exact as any other: the sign trick of vpmaddubsw would saturate on them
 * (vpsignb cannot negate -128), and packing cannot know a model's weights avoid it.
 * Included only by files built with the avx2 flags. */
#ifndef EMBER_UKERNELS_GEMM_QS8_AVX2_H
#define EMBER_UKERNELS_GEMM_QS8_AVX2_H

#include <immintrin.h>
#include <string.h>

#include "ukernels/avx2/requant_qs8_avx2.h"
#include "ukernels/gemm_qs8.h"

#define EMBER_QS8_AVX2_INLINE static inline __attribute__((always_inline))
#define EMBER_QS8_AVX2_MAX_MR 4
#define EMBER_QS8_AVX2_NR EMBER_GEMM_QS8_NR

/* n (1..4) bytes of a row as four int16, broadcast to every 64-bit lane; missing bytes 0. */
EMBER_QS8_AVX2_INLINE __m256i ember_qs8_avx2_a4(const int8_t *p, size_t n) {
    int32_t v = 0;
    memcpy(&v, p, n);
    return _mm256_broadcastq_epi64(_mm_cvtepi8_epi16(_mm_cvtsi32_si128(v)));
}

/* One step: n (1..4) k of each row times the panel's 16 x 4 weights at w; acc[4 i + q]
   holds columns 4q..4q+3 as pairs of partial sums. */
EMBER_QS8_AVX2_INLINE void ember_qs8_avx2_step(__m256i *acc, size_t rows,
                                              const int8_t *const *a, size_t k, size_t n,
                                              const int8_t *w) {
    __m256i b[4];
#pragma GCC unroll 4
    for (size_t q = 0; q < 4; q++)
        b[q] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 16 * q)));
#pragma GCC unroll 4
    for (size_t i = 0; i < rows; i++) {
        const __m256i v = ember_qs8_avx2_a4(a[i] + k, n);
#pragma GCC unroll 4
        for (size_t q = 0; q < 4; q++)
            acc[4 * i + q] = _mm256_add_epi32(acc[4 * i + q], _mm256_madd_epi16(v, b[q]));
    }
}

/* Adds rows[i][0..kc) times the panel's weights at w; returns w past them. */
EMBER_QS8_AVX2_INLINE const int8_t *ember_qs8_avx2_accumulate(__m256i *acc, size_t rows,
                                                             const int8_t *const *a,
                                                             size_t kc, const int8_t *w) {
    size_t k = 0;
    for (; k + 4 <= kc; k += 4, w += 64)
        ember_qs8_avx2_step(acc, rows, a, k, 4, w);
    if (k < kc) {
        ember_qs8_avx2_step(acc, rows, a, k, kc - k, w);
        w += 64;
    }
    return w;
}

/* Row i's 16 sums: partial pairs added, in column order, plus the panel's bias. */
EMBER_QS8_AVX2_INLINE void ember_qs8_avx2_sums(const __m256i *acc, const int32_t *bias,
                                              __m256i *lo, __m256i *hi) {
    const __m256i s01 = _mm256_hadd_epi32(acc[0], acc[1]); /* columns 0 1 4 5 | 2 3 6 7 */
    const __m256i s23 = _mm256_hadd_epi32(acc[2], acc[3]);
    *lo = _mm256_add_epi32(_mm256_permute4x64_epi64(s01, 0xD8),
                           _mm256_loadu_si256((const __m256i *)bias));
    *hi = _mm256_add_epi32(_mm256_permute4x64_epi64(s23, 0xD8),
                           _mm256_loadu_si256((const __m256i *)(bias + 8)));
}

/* Requantizes and stores the first `cols` columns of each row (or the int32 sums when c32 is
   non-NULL); q: the panel's bias, then (at q + 16 + weights) its multipliers. */
EMBER_QS8_AVX2_INLINE void ember_qs8_avx2_store(const __m256i *acc, size_t rows,
                                               int8_t *const *crows, int32_t *const *crows32,
                                               size_t cols, const int32_t *bias,
                                               const int32_t *q, const ember_qs8_params *p) {
    cols = cols < 16 ? cols : 16;
    for (size_t i = rows; i-- > 0;) {
        __m256i lo, hi;
        ember_qs8_avx2_sums(acc + 4 * i, bias, &lo, &hi);
        if (crows32 != NULL) {
            int32_t out[16];
            _mm256_storeu_si256((__m256i *)out, lo);
            _mm256_storeu_si256((__m256i *)(out + 8), hi);
            memcpy(crows32[i], out, cols * sizeof(int32_t));
            continue;
        }
        const __m256i m0 = _mm256_loadu_si256((const __m256i *)q);
        const __m256i m1 = _mm256_loadu_si256((const __m256i *)(q + 8));
        const __m256i l0 = _mm256_loadu_si256((const __m256i *)(q + 16));
        const __m256i l1 = _mm256_loadu_si256((const __m256i *)(q + 24));
        const __m256i r0 = _mm256_loadu_si256((const __m256i *)(q + 32));
        const __m256i r1 = _mm256_loadu_si256((const __m256i *)(q + 40));
        const __m128i b = ember_qs8_pack16_avx2(ember_qs8_mbqm_avx2(lo, m0, l0, r0),
                                                ember_qs8_mbqm_avx2(hi, m1, l1, r1), p);
        if (cols == 16) {
            _mm_storeu_si128((__m128i *)crows[i], b);
        } else {
            int8_t out[16];
            _mm_storeu_si128((__m128i *)out, b);
            memcpy(crows[i], out, cols);
        }
    }
}

/* The tile body for MR = `rows` (a constant at each use): GEMM when ind is NULL, IGEMM
   otherwise; int32 sums into c32 when non-NULL. Rows past mr alias the last real one. */
EMBER_QS8_AVX2_INLINE void ember_qs8_avx2_tile(size_t rows, size_t mr, size_t nc, size_t kc,
                                              size_t ks, const size_t *ind, const int8_t *a,
                                              size_t a_stride, const int8_t *zero,
                                              const void *w_, int8_t *c, int32_t *c32,
                                              size_t c_stride, const ember_qs8_params *p) {
    const int8_t *w = w_;
    const int8_t *arows[EMBER_QS8_AVX2_MAX_MR];
    int8_t *crows[EMBER_QS8_AVX2_MAX_MR];
    int32_t *crows32[EMBER_QS8_AVX2_MAX_MR];
#pragma GCC unroll 4
    for (size_t i = 0; i < rows; i++) {
        const size_t r = i < mr ? i : mr - 1;
        arows[i] = a + r * a_stride;
        crows[i] = c != NULL ? c + r * c_stride : NULL;
        crows32[i] = c32 != NULL ? c32 + r * c_stride : NULL;
    }
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_QS8_AVX2_NR) {
        __m256i acc[4 * EMBER_QS8_AVX2_MAX_MR];
#pragma GCC unroll 16
        for (size_t i = 0; i < 4 * rows; i++)
            acc[i] = _mm256_setzero_si256();
        const int32_t *bias = (const int32_t *)(const void *)w;
        w += EMBER_QS8_AVX2_NR * sizeof(int32_t);
        for (size_t t = 0; t < ks; t++) {
#pragma GCC unroll 4
            for (size_t i = 0; ind != NULL && i < rows; i++) {
                const size_t off = ind[(i < mr ? i : mr - 1) * ks + t];
                arows[i] = off == EMBER_IND_ZERO ? zero : a + off;
            }
            w = ember_qs8_avx2_accumulate(acc, rows, arows, kc, w);
        }
        ember_qs8_avx2_store(acc, rows, crows, c32 != NULL ? crows32 : NULL, nc - j0, bias,
                             (const int32_t *)(const void *)w, p);
        w += 3 * EMBER_QS8_AVX2_NR * sizeof(int32_t);
#pragma GCC unroll 4
        for (size_t i = 0; i < rows; i++) {
            crows[i] = c != NULL ? crows[i] + EMBER_QS8_AVX2_NR : NULL;
            crows32[i] = c32 != NULL ? crows32[i] + EMBER_QS8_AVX2_NR : NULL;
        }
    }
}

#endif /* EMBER_UKERNELS_GEMM_QS8_AVX2_H */
