/* The pieces the AVX2/FMA float32 GEMM and IGEMM microkernels share (csrc/ukernels/avx2/): the
   6x16 tile's k loop and its clamp-and-store epilogue. Included only by files built with
   -mavx2 -mfma; everything is inline, so each kernel keeps its 12 accumulators in registers. */
#ifndef EMBER_UKERNELS_GEMM_F32_AVX2_H
#define EMBER_UKERNELS_GEMM_F32_AVX2_H

#include <immintrin.h>

#include "ukernels/gemm.h"

#define EMBER_AVX2_INLINE static inline __attribute__((always_inline))

/* 6 rows x 16 columns: acc[2 * i] holds columns 0-7 of row i, acc[2 * i + 1] columns 8-15. */
typedef struct ember_acc_6x16 {
    __m256 v[12];
} ember_acc_6x16;

EMBER_AVX2_INLINE void ember_avx2_6x16_start(ember_acc_6x16 *acc, const float *bias) {
    const __m256 lo = _mm256_loadu_ps(bias), hi = _mm256_loadu_ps(bias + 8);
    for (int i = 0; i < 6; i++) {
        acc->v[2 * i] = lo;
        acc->v[2 * i + 1] = hi;
    }
}

/* Adds rows[i][0..kc) times the panel's kc x 16 weights at w; returns w past them. One
   broadcast per row and two 8-float weight loads per k, 12 FMAs; no branch on mr. */
EMBER_AVX2_INLINE const float *ember_avx2_6x16_accumulate(ember_acc_6x16 *acc,
                                                          const float *const rows[6], size_t kc,
                                                          const float *w) {
    const float *a0 = rows[0], *a1 = rows[1], *a2 = rows[2];
    const float *a3 = rows[3], *a4 = rows[4], *a5 = rows[5];
    __m256 c00 = acc->v[0], c01 = acc->v[1], c10 = acc->v[2], c11 = acc->v[3];
    __m256 c20 = acc->v[4], c21 = acc->v[5], c30 = acc->v[6], c31 = acc->v[7];
    __m256 c40 = acc->v[8], c41 = acc->v[9], c50 = acc->v[10], c51 = acc->v[11];
    for (size_t k = 0; k < kc; k++, w += 16) {
        const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
        __m256 x = _mm256_broadcast_ss(a0 + k);
        c00 = _mm256_fmadd_ps(x, b0, c00);
        c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a1 + k);
        c10 = _mm256_fmadd_ps(x, b0, c10);
        c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a2 + k);
        c20 = _mm256_fmadd_ps(x, b0, c20);
        c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a3 + k);
        c30 = _mm256_fmadd_ps(x, b0, c30);
        c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a4 + k);
        c40 = _mm256_fmadd_ps(x, b0, c40);
        c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a5 + k);
        c50 = _mm256_fmadd_ps(x, b0, c50);
        c51 = _mm256_fmadd_ps(x, b1, c51);
    }
    acc->v[0] = c00, acc->v[1] = c01, acc->v[2] = c10, acc->v[3] = c11;
    acc->v[4] = c20, acc->v[5] = c21, acc->v[6] = c30, acc->v[7] = c31;
    acc->v[8] = c40, acc->v[9] = c41, acc->v[10] = c50, acc->v[11] = c51;
    return w;
}

/* Stores the first `cols` (1..16) of lo:hi at c: whole 8s, then 4, 2, 1 from the low end. */
EMBER_AVX2_INLINE void ember_avx2_store_row(float *c, __m256 lo, __m256 hi, size_t cols) {
    if (cols >= 16) {
        _mm256_storeu_ps(c, lo);
        _mm256_storeu_ps(c + 8, hi);
        return;
    }
    if (cols & 8) {
        _mm256_storeu_ps(c, lo);
        lo = hi;
        c += 8;
    }
    __m128 x = _mm256_castps256_ps128(lo);
    if (cols & 4) {
        _mm_storeu_ps(c, x);
        x = _mm256_extractf128_ps(lo, 1);
        c += 4;
    }
    if (cols & 2) {
        _mm_storel_pi((__m64 *)c, x);
        x = _mm_movehl_ps(x, x);
        c += 2;
    }
    if (cols & 1)
        _mm_store_ss(c, x);
}

/* Clamps the tile and stores rows 0..5 at crows[i] (rows past mr alias the last real one, so
   they rewrite its values). The bound is max/min's first operand, so a NaN sum stays NaN, as
   in the portable kernel. */
EMBER_AVX2_INLINE void ember_avx2_6x16_store(const ember_acc_6x16 *acc, float *const crows[6],
                                             size_t cols, const ember_minmax_f32 *clamp) {
    const __m256 lo = _mm256_set1_ps(clamp->min), hi = _mm256_set1_ps(clamp->max);
    for (int i = 5; i >= 0; i--) {
        const __m256 v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, acc->v[2 * i]));
        const __m256 v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, acc->v[2 * i + 1]));
        ember_avx2_store_row(crows[i], v0, v1, cols);
    }
}

/* One row (mr == 1: a FULLY_CONNECTED on one vector, a last row tile) against four panels at
   a time: eight independent FMA chains, where the 6x16 tile would compute six aliased copies of
   one. Panels past the last alias it (read, never stored). Tap t of the row: `ind` NULL reads a
   itself (GEMM, ks = 1), else a + ind[t] or the zero vector. Each output's sum runs in the same
   order as in the tile. */
EMBER_AVX2_INLINE void ember_avx2_one_row(size_t nc, size_t kc, size_t ks, const size_t *ind,
                                          const float *a, const float *zero, const float *w,
                                          float *c, const ember_minmax_f32 *clamp) {
    const size_t ps = (ks * kc + 1) * EMBER_GEMM_NR;
    const __m256 lo = _mm256_set1_ps(clamp->min), hi = _mm256_set1_ps(clamp->max);
    for (size_t j0 = 0; j0 < nc; j0 += 4 * EMBER_GEMM_NR) {
        const size_t last = (nc - j0 - 1) / EMBER_GEMM_NR;
        const float *w0 = w, *w1 = w + (last < 1 ? last : 1) * ps;
        const float *w2 = w + (last < 2 ? last : 2) * ps, *w3 = w + (last < 3 ? last : 3) * ps;
        __m256 acc[8] = { _mm256_loadu_ps(w0), _mm256_loadu_ps(w0 + 8), _mm256_loadu_ps(w1),
                          _mm256_loadu_ps(w1 + 8), _mm256_loadu_ps(w2), _mm256_loadu_ps(w2 + 8),
                          _mm256_loadu_ps(w3), _mm256_loadu_ps(w3 + 8) };
        size_t off = EMBER_GEMM_NR;
        for (size_t t = 0; t < ks; t++) {
            const float *x = ind == NULL ? a : ind[t] == EMBER_IND_ZERO ? zero : a + ind[t];
            for (size_t k = 0; k < kc; k++, off += EMBER_GEMM_NR) {
                const __m256 v = _mm256_broadcast_ss(x + k);
                acc[0] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0 + off), acc[0]);
                acc[1] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w0 + off + 8), acc[1]);
                acc[2] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w1 + off), acc[2]);
                acc[3] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w1 + off + 8), acc[3]);
                acc[4] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w2 + off), acc[4]);
                acc[5] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w2 + off + 8), acc[5]);
                acc[6] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w3 + off), acc[6]);
                acc[7] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w3 + off + 8), acc[7]);
            }
        }
        for (size_t p = 0; p <= last && p < 4; p++) {
            const __m256 v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[2 * p]));
            const __m256 v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, acc[2 * p + 1]));
            ember_avx2_store_row(c + j0 + p * EMBER_GEMM_NR, v0, v1,
                                 nc - j0 - p * EMBER_GEMM_NR);
        }
        w += (last < 3 ? last + 1 : 4) * ps;
    }
}

#endif /* EMBER_UKERNELS_GEMM_F32_AVX2_H */
