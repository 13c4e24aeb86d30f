/* float32 depthwise microkernels for AVX-512F (csrc/ukernels/dwconv.h): one packed 16-channel
   tile per zmm (the last one masked), the row kernels 8 output pixels per step, with the 32
   registers holding the accumulators, a kernel row's weights and the input column; half the
   instructions of the AVX2 kernels for the same work. */
#include <immintrin.h>

#include "ukernels/dwconv.h"

#define CT EMBER_DWCONV_CT
#define INLINE static inline __attribute__((always_inline))

/* Pixels per step: 8 accumulators + a kernel row's weights + the input column fit the 32 zmm
   at both strides (stride 2 reuses fewer columns, but 8 still beat 4 by ~5%). */
#define PB_3x3S1 8
#define PB_3x3S2 8
#define PB_5x5S1 8
#define PB_5x5S2 8

_Static_assert(CT == 16, "one packed tile per zmm");

/* max then min: a NaN sum passes through (MAXPS/MINPS return their second operand). */
INLINE void store(float *p, __m512 v, __m512 lo, __m512 hi, __mmask16 mask) {
    _mm512_mask_storeu_ps(p, mask, _mm512_min_ps(hi, _mm512_max_ps(lo, v)));
}

/* P pixels x the 16 channels (masked) from c of a KxK stride-S window. */
INLINE void row_group(int K, int S, int P, size_t channels, size_t c,
                      const float *const *rows, size_t x, const float *w, float *out,
                      __m512 lo, __m512 hi, __mmask16 mask) {
    const float *wg = w + c * (size_t)(K * K + 1);
    __m512 acc[8];
    const __m512 bias = _mm512_loadu_ps(wg);
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        acc[p] = bias;
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
        __m512 wk[5];
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
            wk[kx] = _mm512_loadu_ps(wg + CT * (1 + ky * K + kx));
        const float *r = rows[ky] + x + c;
#pragma GCC unroll 24
        for (int col = 0; col < (P - 1) * S + K; col++) {
            const __m512 v = _mm512_maskz_loadu_ps(mask, r + (size_t)col * channels);
#pragma GCC unroll 8
            for (int p = 0; p < P; p++) {
                const int kx = col - p * S;
                if (kx >= 0 && kx < K)
                    acc[p] = _mm512_fmadd_ps(v, wk[kx], acc[p]);
            }
        }
    }
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        store(out + (size_t)p * channels + c, acc[p], lo, hi, mask);
}

INLINE __mmask16 tile_mask(size_t channels, size_t c) {
    return channels - c >= CT ? (__mmask16)0xffff
                              : (__mmask16)((1u << (channels - c)) - 1u);
}

INLINE void row_block(int K, int S, int P, size_t channels, const float *const *rows, size_t x,
                      const float *w, float *out, __m512 lo, __m512 hi) {
    for (size_t c = 0; c < channels; c += CT)
        row_group(K, S, P, channels, c, rows, x, w, out, lo, hi, tile_mask(channels, c));
}

/* PB pixels per step, then 4, then one at a time. */
INLINE void row_kernel(int K, int S, int PB, size_t pixels, size_t channels,
                       const float *const *rows, const float *w, float *out,
                       const ember_minmax_f32 *clamp) {
    const __m512 lo = _mm512_set1_ps(clamp->min), hi = _mm512_set1_ps(clamp->max);
    size_t p = 0;
    for (; p + (size_t)PB <= pixels; p += (size_t)PB)
        row_block(K, S, PB, channels, rows, p * (size_t)S * channels, w, out + p * channels, lo,
                  hi);
    for (; p + 4 <= pixels; p += 4)
        row_block(K, S, 4, channels, rows, p * (size_t)S * channels, w, out + p * channels, lo,
                  hi);
    for (; p < pixels; p++)
        row_block(K, S, 1, channels, rows, p * (size_t)S * channels, w, out + p * channels, lo,
                  hi);
}

void ember_dwconv_f32_3x3s1_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(3, 1, PB_3x3S1, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_3x3s2_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(3, 2, PB_3x3S2, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_5x5s1_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(5, 1, PB_5x5S1, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_5x5s2_avx512f(size_t pixels, size_t channels, const float *const *rows,
                                    const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(5, 2, PB_5x5S2, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_up_avx512f(size_t pixels, size_t channels, size_t ks,
                                 const float *const *ind, const float *w, float *out,
                                 const ember_minmax_f32 *clamp) {
    const __m512 lo = _mm512_set1_ps(clamp->min), hi = _mm512_set1_ps(clamp->max);
    for (size_t p = 0; p < pixels; p++, ind += ks, out += channels)
        for (size_t c = 0; c < channels; c += CT) {
            const __mmask16 mask = tile_mask(channels, c);
            const float *wg = w + c * (ks + 1);
            __m512 acc = _mm512_loadu_ps(wg);
            for (size_t t = 0; t < ks; t++)
                acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, ind[t] + c),
                                      _mm512_loadu_ps(wg + CT * (t + 1)), acc);
            store(out + c, acc, lo, hi, mask);
        }
}
