/* The pieces the AVX-512F float32 GEMM and IGEMM microkernels share (csrc/ukernels/avx512f/):
   one zmm accumulator per row of 16 columns, the A value broadcast straight from memory into
   the FMA, masked stores for partial panels. Included only by files built with -mavx512f; the
   row count is a constant in each kernel, so the inlined loops unroll fully and the accumulators
   stay in registers. */
#ifndef EMBER_UKERNELS_GEMM_F32_AVX512_H
#define EMBER_UKERNELS_GEMM_F32_AVX512_H

#include <immintrin.h>

#include "ukernels/gemm.h"

#define EMBER_AVX512_INLINE static inline __attribute__((always_inline))
#define EMBER_AVX512_MAX_MR 16

EMBER_AVX512_INLINE void ember_avx512_start(__m512 *acc, size_t rows, const float *bias) {
    const __m512 b = _mm512_loadu_ps(bias);
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++)
        acc[i] = b;
}

/* Adds rows[i][0..kc) times the panel's kc x 16 weights at w; returns w past them. */
EMBER_AVX512_INLINE const float *ember_avx512_accumulate(__m512 *acc, size_t rows,
                                                         const float *const *a, size_t kc,
                                                         const float *w) {
    for (size_t k = 0; k < kc; k++, w += EMBER_GEMM_NR) {
        const __m512 b = _mm512_loadu_ps(w);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i][k]), b, acc[i]);
    }
    return w;
}

/* Clamps and stores the first `cols` columns (all 16 when cols >= 16) of each row at crows[i]
   (rows past mr alias the last real one). The bound is max/min's first operand, so a NaN sum
   stays NaN, as in the portable kernel. */
EMBER_AVX512_INLINE void ember_avx512_store(const __m512 *acc, size_t rows, float *const *crows,
                                            size_t cols, const ember_minmax_f32 *clamp) {
    const __m512 lo = _mm512_set1_ps(clamp->min), hi = _mm512_set1_ps(clamp->max);
    if (cols >= 16) {
#pragma GCC unroll 16
        for (size_t i = rows; i-- > 0;)
            _mm512_storeu_ps(crows[i], _mm512_min_ps(hi, _mm512_max_ps(lo, acc[i])));
        return;
    }
    const __mmask16 mask = (__mmask16)((1u << cols) - 1);
#pragma GCC unroll 16
    for (size_t i = rows; i-- > 0;)
        _mm512_mask_storeu_ps(crows[i], mask, _mm512_min_ps(hi, _mm512_max_ps(lo, acc[i])));
}

/* The last panel when it has at most 8 columns: 256-bit FMAs over its low half, which cost half
   a 512-bit one on cores that run those as two halves (Zen 4) and no more elsewhere. */
EMBER_AVX512_INLINE void ember_avx512_start8(__m256 *acc, size_t rows, const float *bias) {
    const __m256 b = _mm256_loadu_ps(bias);
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++)
        acc[i] = b;
}

EMBER_AVX512_INLINE const float *ember_avx512_accumulate8(__m256 *acc, size_t rows,
                                                          const float *const *a, size_t kc,
                                                          const float *w) {
    for (size_t k = 0; k < kc; k++, w += EMBER_GEMM_NR) {
        const __m256 b = _mm256_loadu_ps(w);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            acc[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(a[i] + k), b, acc[i]);
    }
    return w;
}

EMBER_AVX512_INLINE void ember_avx512_store8(const __m256 *acc, size_t rows, float *const *crows,
                                             size_t cols, const ember_minmax_f32 *clamp) {
    const __m256 lo = _mm256_set1_ps(clamp->min), hi = _mm256_set1_ps(clamp->max);
    const __mmask16 mask = (__mmask16)((1u << cols) - 1);
#pragma GCC unroll 16
    for (size_t i = rows; i-- > 0;) {
        const __m256 v = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[i]));
        _mm512_mask_storeu_ps(crows[i], mask, _mm512_castps256_ps512(v));
    }
}

/* One row (mr == 1: a FULLY_CONNECTED on one vector, a last row tile) against four panels at
   a time: four independent FMA chains, where the tile would compute `rows` aliased copies of
   one. Panels past the last alias it (read, never stored). Row t of the taps: `ind` NULL reads
   a itself (GEMM, ks = 1), else a + ind[t] or the zero vector. Each output's sum runs in the
   same order as in the tile. */
EMBER_AVX512_INLINE void ember_avx512_one_row(size_t nc, size_t kc, size_t ks, const size_t *ind,
                                              const float *a, const float *zero, const float *w,
                                              float *c, const ember_minmax_f32 *clamp) {
    const size_t ps = (ks * kc + 1) * EMBER_GEMM_NR;
    const __m512 lo = _mm512_set1_ps(clamp->min), hi = _mm512_set1_ps(clamp->max);
    for (size_t j0 = 0; j0 < nc; j0 += 4 * EMBER_GEMM_NR) {
        const size_t last = (nc - j0 - 1) / EMBER_GEMM_NR;
        const float *w0 = w, *w1 = w + (last < 1 ? last : 1) * ps;
        const float *w2 = w + (last < 2 ? last : 2) * ps, *w3 = w + (last < 3 ? last : 3) * ps;
        __m512 c0 = _mm512_loadu_ps(w0), c1 = _mm512_loadu_ps(w1);
        __m512 c2 = _mm512_loadu_ps(w2), c3 = _mm512_loadu_ps(w3);
        size_t off = EMBER_GEMM_NR;
        for (size_t t = 0; t < ks; t++) {
            const float *x = ind == NULL ? a : ind[t] == EMBER_IND_ZERO ? zero : a + ind[t];
            for (size_t k = 0; k < kc; k++, off += EMBER_GEMM_NR) {
                const __m512 v = _mm512_set1_ps(x[k]);
                c0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(w0 + off), c0);
                c1 = _mm512_fmadd_ps(v, _mm512_loadu_ps(w1 + off), c1);
                c2 = _mm512_fmadd_ps(v, _mm512_loadu_ps(w2 + off), c2);
                c3 = _mm512_fmadd_ps(v, _mm512_loadu_ps(w3 + off), c3);
            }
        }
        const __m512 out[4] = { c0, c1, c2, c3 };
        for (size_t p = 0; p <= last && p < 4; p++) {
            const size_t cols = nc - j0 - p * EMBER_GEMM_NR;
            const __mmask16 mask = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
            const __m512 v = _mm512_min_ps(hi, _mm512_max_ps(lo, out[p]));
            _mm512_mask_storeu_ps(c + j0 + p * EMBER_GEMM_NR, mask, v);
        }
        w += (last < 3 ? last + 1 : 4) * ps;
    }
}

/* The GEMM microkernel body for MR = `rows` (a constant at each use). */
EMBER_AVX512_INLINE void ember_avx512_gemm(size_t rows, size_t mr, size_t nc, size_t kc,
                                           const float *a, size_t a_stride, const float *w,
                                           float *c, size_t c_stride,
                                           const ember_minmax_f32 *clamp) {
    if (mr == 1) {
        ember_avx512_one_row(nc, kc, 1, NULL, a, NULL, w, c, clamp);
        return;
    }
    const float *arows[EMBER_AVX512_MAX_MR];
    float *crows[EMBER_AVX512_MAX_MR];
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++) {
        const size_t r = i < mr ? i : mr - 1;
        arows[i] = a + r * a_stride;
        crows[i] = c + r * c_stride;
    }
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR) {
        if (nc - j0 <= 8) {
            __m256 acc8[EMBER_AVX512_MAX_MR];
            ember_avx512_start8(acc8, rows, w);
            ember_avx512_accumulate8(acc8, rows, arows, kc, w + EMBER_GEMM_NR);
            ember_avx512_store8(acc8, rows, crows, nc - j0, clamp);
            return;
        }
        __m512 acc[EMBER_AVX512_MAX_MR];
        ember_avx512_start(acc, rows, w);
        w = ember_avx512_accumulate(acc, rows, arows, kc, w + EMBER_GEMM_NR);
        ember_avx512_store(acc, rows, crows, nc - j0, clamp);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            crows[i] += EMBER_GEMM_NR;
    }
}

/* Where tap t of each row starts: its offset in a, or the zero vector. */
EMBER_AVX512_INLINE void ember_avx512_tap_rows(const float **arows, size_t rows,
                                               const size_t *const *taps, size_t t,
                                               const float *a, const float *zero) {
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++)
        arows[i] = taps[i][t] == EMBER_IND_ZERO ? zero : a + taps[i][t];
}

/* The IGEMM microkernel body for MR = `rows`. */
EMBER_AVX512_INLINE void ember_avx512_igemm(size_t rows, size_t mr, size_t nc, size_t kc,
                                            size_t ks, const size_t *ind, const float *a,
                                            const float *zero, const float *w, float *c,
                                            size_t c_stride, const ember_minmax_f32 *clamp) {
    if (mr == 1) {
        ember_avx512_one_row(nc, kc, ks, ind, a, zero, w, c, clamp);
        return;
    }
    const size_t *taps[EMBER_AVX512_MAX_MR];
    float *crows[EMBER_AVX512_MAX_MR];
#pragma GCC unroll 16
    for (size_t i = 0; i < rows; i++) {
        const size_t r = i < mr ? i : mr - 1;
        taps[i] = ind + r * ks;
        crows[i] = c + r * c_stride;
    }
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR) {
        const float *arows[EMBER_AVX512_MAX_MR];
        if (nc - j0 <= 8) {
            __m256 acc8[EMBER_AVX512_MAX_MR];
            ember_avx512_start8(acc8, rows, w);
            w += EMBER_GEMM_NR;
            for (size_t t = 0; t < ks; t++) {
                ember_avx512_tap_rows(arows, rows, taps, t, a, zero);
                w = ember_avx512_accumulate8(acc8, rows, arows, kc, w);
            }
            ember_avx512_store8(acc8, rows, crows, nc - j0, clamp);
            return;
        }
        __m512 acc[EMBER_AVX512_MAX_MR];
        ember_avx512_start(acc, rows, w);
        w += EMBER_GEMM_NR;
        for (size_t t = 0; t < ks; t++) {
            ember_avx512_tap_rows(arows, rows, taps, t, a, zero);
            w = ember_avx512_accumulate(acc, rows, arows, kc, w);
        }
        ember_avx512_store(acc, rows, crows, nc - j0, clamp);
#pragma GCC unroll 16
        for (size_t i = 0; i < rows; i++)
            crows[i] += EMBER_GEMM_NR;
    }
}

#endif /* EMBER_UKERNELS_GEMM_F32_AVX512_H */
