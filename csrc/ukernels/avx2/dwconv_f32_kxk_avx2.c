/* float32 depthwise microkernels for AVX2 + FMA (csrc/ukernels/dwconv.h): channels in groups
   of 8 (one ymm; the last group masked), the row kernels 4 output pixels per step so each
   input column they share is loaded once and feeds every pixel whose window covers it. */
#include <immintrin.h>

#include "ukernels/dwconv.h"

#define CT EMBER_DWCONV_CT
#define INLINE static inline __attribute__((always_inline))

/* Pixels per step of each row kernel: stride 1 reuses each input column across up to K pixels,
   so 8 pixels (8 accumulators + K weights + 1 input of 16 ymm) halve the loads per FMA. */
#define PB_3x3S1 8
#define PB_3x3S2 4
#define PB_5x5S1 8
#define PB_5x5S2 4

/* The first n (< 8) lanes of a group. */
static __m256i lane_mask(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

INLINE __m256 load(const float *p, bool full, __m256i mask) {
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

/* max then min: a NaN sum passes through (MAXPS/MINPS return their second operand). */
INLINE void store(float *p, __m256 v, __m256 lo, __m256 hi, bool full, __m256i mask) {
    v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
    if (full)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, mask, v);
}

/* The packed weights of the 8-channel group starting at channel c: bias, then the taps, CT
   floats apart. */
INLINE const float *group_weights(const float *w, size_t c, size_t ks) {
    return w + c / CT * CT * (ks + 1) + c % CT;
}

/* P pixels x 8 channels (from c) of a KxK stride-S window: acc[p] gathers, kernel row by
   kernel row, each input column once against the K weights of that row. */
INLINE void row_group(int K, int S, int P, size_t channels, size_t c,
                      const float *const *rows, size_t x, const float *w, float *out,
                      __m256 lo, __m256 hi, bool full, __m256i mask) {
    const float *wg = group_weights(w, c, (size_t)(K * K));
    __m256 acc[8];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        acc[p] = _mm256_loadu_ps(wg);
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
        __m256 wk[5];
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
            wk[kx] = _mm256_loadu_ps(wg + CT * (1 + ky * K + kx));
        const float *r = rows[ky] + x + c;
#pragma GCC unroll 24
        for (int col = 0; col < (P - 1) * S + K; col++) {
            const __m256 v = load(r + (size_t)col * channels, full, mask);
#pragma GCC unroll 8
            for (int p = 0; p < P; p++) {
                const int kx = col - p * S;
                if (kx >= 0 && kx < K)
                    acc[p] = _mm256_fmadd_ps(v, wk[kx], acc[p]);
            }
        }
    }
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        store(out + (size_t)p * channels + c, acc[p], lo, hi, full, mask);
}

/* P pixels, every channel. */
INLINE void row_block(int K, int S, int P, size_t channels, const float *const *rows, size_t x,
                      const float *w, float *out, __m256 lo, __m256 hi) {
    size_t c = 0;
    for (; c + 8 <= channels; c += 8)
        row_group(K, S, P, channels, c, rows, x, w, out, lo, hi, true, _mm256_setzero_si256());
    if (c < channels)
        row_group(K, S, P, channels, c, rows, x, w, out, lo, hi, false,
                  lane_mask(channels - c));
}

/* PB (4 or 8) pixels per step, then 4, then one at a time. */
INLINE void row_kernel(int K, int S, int PB, size_t pixels, size_t channels,
                       const float *const *rows, const float *w, float *out,
                       const ember_minmax_f32 *clamp) {
    const __m256 lo = _mm256_set1_ps(clamp->min), hi = _mm256_set1_ps(clamp->max);
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

void ember_dwconv_f32_3x3s1_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(3, 1, PB_3x3S1, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_3x3s2_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(3, 2, PB_3x3S2, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_5x5s1_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(5, 1, PB_5x5S1, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_5x5s2_avx2(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(5, 2, PB_5x5S2, pixels, channels, rows, w, out, clamp);
}

/* One pixel, 8 channels from c, any number of taps. */
INLINE void up_group(size_t channels, size_t c, size_t ks, const float *const *ind,
                     const float *w, float *out, __m256 lo, __m256 hi, bool full,
                     __m256i mask) {
    (void)channels;
    const float *wg = group_weights(w, c, ks);
    __m256 acc = _mm256_loadu_ps(wg);
    for (size_t t = 0; t < ks; t++)
        acc = _mm256_fmadd_ps(load(ind[t] + c, full, mask), _mm256_loadu_ps(wg + CT * (t + 1)),
                              acc);
    store(out + c, acc, lo, hi, full, mask);
}

void ember_dwconv_f32_up_avx2(size_t pixels, size_t channels, size_t ks,
                              const float *const *ind, const float *w, float *out,
                              const ember_minmax_f32 *clamp) {
    const __m256 lo = _mm256_set1_ps(clamp->min), hi = _mm256_set1_ps(clamp->max);
    for (size_t p = 0; p < pixels; p++, ind += ks, out += channels) {
        size_t c = 0;
        for (; c + 8 <= channels; c += 8)
            up_group(channels, c, ks, ind, w, out, lo, hi, true, _mm256_setzero_si256());
        if (c < channels)
            up_group(channels, c, ks, ind, w, out, lo, hi, false, lane_mask(channels - c));
    }
}
