/* float32 depthwise microkernels for NEON (csrc/ukernels/dwconv.h): channels in groups of 4
   (one q register; the last group staged through a small buffer), the row kernels 8 output
   pixels per step on aarch64 and 4 on armv7, so each input column they share is loaded once.
   aarch64 fuses the multiply and add (FMLA); armv7-a NEON has no FMA and multiplies then adds
   (VMLA). */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/dwconv.h"

#define CT EMBER_DWCONV_CT
#define INLINE static inline __attribute__((always_inline))

/* Pixels per row-kernel step: aarch64's 32 q registers hold 8 accumulators, a kernel row's
   weights and the input column (as AVX-512 does); armv7's 16 hold 4. */
#if defined(__aarch64__)
#define PB 8
#else
#define PB 4
#endif

INLINE float32x4_t mac(float32x4_t acc, float32x4_t a, float32x4_t b) {
#if defined(__aarch64__)
    return vfmaq_f32(acc, a, b);
#else
    return vmlaq_f32(acc, a, b);
#endif
}

/* n == 4: a plain load; fewer: the n floats there, the rest zero (never read past them). */
INLINE float32x4_t load(const float *p, size_t n) {
    if (n == 4)
        return vld1q_f32(p);
    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(part, p, n * sizeof(float));
    return vld1q_f32(part);
}

/* max then min; a NaN sum stays NaN (vmaxq/vminq propagate it). */
INLINE void store(float *p, float32x4_t v, float32x4_t lo, float32x4_t hi, size_t n) {
    v = vminq_f32(vmaxq_f32(v, lo), hi);
    if (n == 4) {
        vst1q_f32(p, v);
        return;
    }
    float part[4];
    vst1q_f32(part, v);
    memcpy(p, part, n * sizeof(float));
}

INLINE const float *group_weights(const float *w, size_t c, size_t ks) {
    return w + c / CT * CT * (ks + 1) + c % CT;
}

/* P pixels x n (<= 4) channels from c of a KxK stride-S window. */
INLINE void row_group(int K, int S, int P, size_t channels, size_t c,
                      const float *const *rows, size_t x, const float *w, float *out,
                      float32x4_t lo, float32x4_t hi, size_t n) {
    const float *wg = group_weights(w, c, (size_t)(K * K));
    float32x4_t acc[8];
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        acc[p] = vld1q_f32(wg);
#pragma GCC unroll 5
    for (int ky = 0; ky < K; ky++) {
        float32x4_t wk[5];
#pragma GCC unroll 5
        for (int kx = 0; kx < K; kx++)
            wk[kx] = vld1q_f32(wg + CT * (1 + ky * K + kx));
        const float *r = rows[ky] + x + c;
#pragma GCC unroll 24
        for (int col = 0; col < (P - 1) * S + K; col++) {
            const float32x4_t v = load(r + (size_t)col * channels, n);
#pragma GCC unroll 8
            for (int p = 0; p < P; p++) {
                const int kx = col - p * S;
                if (kx >= 0 && kx < K)
                    acc[p] = mac(acc[p], v, wk[kx]);
            }
        }
    }
#pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        store(out + (size_t)p * channels + c, acc[p], lo, hi, n);
}

INLINE void row_block(int K, int S, int P, size_t channels, const float *const *rows, size_t x,
                      const float *w, float *out, float32x4_t lo, float32x4_t hi) {
    size_t c = 0;
    for (; c + 4 <= channels; c += 4)
        row_group(K, S, P, channels, c, rows, x, w, out, lo, hi, 4);
    if (c < channels)
        row_group(K, S, P, channels, c, rows, x, w, out, lo, hi, channels - c);
}

/* PB pixels per step, then 4, then one at a time. */
INLINE void row_kernel(int K, int S, size_t pixels, size_t channels, const float *const *rows,
                       const float *w, float *out, const ember_minmax_f32 *clamp) {
    const float32x4_t lo = vdupq_n_f32(clamp->min), hi = vdupq_n_f32(clamp->max);
    size_t p = 0;
    for (; p + PB <= pixels; p += PB)
        row_block(K, S, PB, channels, rows, p * (size_t)S * channels, w, out + p * channels, lo,
                  hi);
    for (; p + 4 <= pixels; p += 4)
        row_block(K, S, 4, channels, rows, p * (size_t)S * channels, w, out + p * channels, lo,
                  hi);
    for (; p < pixels; p++)
        row_block(K, S, 1, channels, rows, p * (size_t)S * channels, w, out + p * channels, lo,
                  hi);
}

void ember_dwconv_f32_3x3s1_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(3, 1, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_3x3s2_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(3, 2, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_5x5s1_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(5, 1, pixels, channels, rows, w, out, clamp);
}

void ember_dwconv_f32_5x5s2_neon(size_t pixels, size_t channels, const float *const *rows,
                                 const float *w, float *out, const ember_minmax_f32 *clamp) {
    row_kernel(5, 2, pixels, channels, rows, w, out, clamp);
}

INLINE void up_group(size_t c, size_t ks, const float *const *ind, const float *w, float *out,
                     float32x4_t lo, float32x4_t hi, size_t n) {
    const float *wg = group_weights(w, c, ks);
    float32x4_t acc = vld1q_f32(wg);
    for (size_t t = 0; t < ks; t++)
        acc = mac(acc, load(ind[t] + c, n), vld1q_f32(wg + CT * (t + 1)));
    store(out + c, acc, lo, hi, n);
}

void ember_dwconv_f32_up_neon(size_t pixels, size_t channels, size_t ks,
                              const float *const *ind, const float *w, float *out,
                              const ember_minmax_f32 *clamp) {
    const float32x4_t lo = vdupq_n_f32(clamp->min), hi = vdupq_n_f32(clamp->max);
    for (size_t p = 0; p < pixels; p++, ind += ks, out += channels) {
        size_t c = 0;
        for (; c + 4 <= channels; c += 4)
            up_group(c, ks, ind, w, out, lo, hi, 4);
        if (c < channels)
            up_group(c, ks, ind, w, out, lo, hi, channels - c);
    }
}
