/* int8 depthwise microkernels for NEON, aarch64 and armv7-a (csrc/ukernels/dwconv_qs8.h):
   tiles of 16 channels, the bytes of two taps interleaved (zip) so one smull multiplies four
   channels' pairs by the packed weight pairs and sadalp adds each pair into its channel's
   int32 sum (a product of two int8 fits int16). The row kernels compute several output pixels
   per step (4 on aarch64's 32 registers, 2 on armv7's 16) so each interleaved column feeds
   every pixel whose window covers it; the requantization is requant_qs8_neon.h's. */
#include <arm_neon.h>
#include <string.h>

#include "ukernels/dwconv_qs8.h"
#include "ukernels/neon/requant_qs8_neon.h"

#define CT 16
#define INLINE EMBER_NEON_INLINE

#if defined(__aarch64__)
#define PB 4
#else
#define PB 2
#endif

static size_t tile_bytes(size_t pairs) {
    return CT * (6 * sizeof(int32_t) + 2 * pairs);
}

/* The first n (< 16) bytes at p, the rest zero: a tail tile never reads past its channels. */
static int8x16_t load_part(const int8_t *p, size_t n) {
    int8_t b[16] = {0};
    memcpy(b, p, n);
    return vld1q_s8(b);
}

INLINE int8x16_t load16(const int8_t *p, bool full, size_t n) {
    return full ? vld1q_s8(p) : load_part(p, n);
}

/* acc (channels 0-3, 4-7, 8-11, 12-15) += the pairs (a[c], b[c]) times pair `pair`'s weights. */
INLINE void madd(int32x4_t acc[4], int8x16_t a, int8x16_t b, const int8_t *wp, int pair) {
    const int8x16x2_t z = vzipq_s8(a, b);
    const int8x16_t w0 = vld1q_s8(wp + 32 * pair), w1 = vld1q_s8(wp + 32 * pair + 16);
    acc[0] = vpadalq_s16(acc[0], vmull_s8(vget_low_s8(z.val[0]), vget_low_s8(w0)));
    acc[1] = vpadalq_s16(acc[1], vmull_s8(vget_high_s8(z.val[0]), vget_high_s8(w0)));
    acc[2] = vpadalq_s16(acc[2], vmull_s8(vget_low_s8(z.val[1]), vget_low_s8(w1)));
    acc[3] = vpadalq_s16(acc[3], vmull_s8(vget_high_s8(z.val[1]), vget_high_s8(w1)));
}

/* Requantizes one pixel's tile with the multipliers at q and stores 16 (or n) channels. */
INLINE void store_tile(int8_t *out, const int32x4_t acc[4], const int32_t *q,
                       const ember_qs8_params *p, bool full, size_t n) {
    int32x4_t v[4];
    for (int j = 0; j < 4; j++)
        v[j] = ember_qs8_mbqm_neon(acc[j], vld1q_s32(q + 4 * j), vld1q_s32(q + CT + 4 * j),
                                   vnegq_s32(vld1q_s32(q + 2 * CT + 4 * j)));
    ember_qs8_store_neon(out, full ? CT : n, ember_qs8_pack16_neon(v, p));
}

INLINE void start(int32x4_t acc[4], const int32_t *bias) {
    for (int j = 0; j < 4; j++)
        acc[j] = vld1q_s32(bias + 4 * j);
}

/* P pixels x one tile (channels c.., n of them) of a KxK stride-S window, kernel rows two by
   two (pair order), an odd last row's columns paired (kx, kx + 1). */
INLINE void row_tile(int K, int S, int P, size_t channels, size_t c, const int8_t *const *rows,
                     size_t x, const uint8_t *tile, int8_t *out, const ember_qs8_params *prm,
                     bool full, size_t n) {
    const int pairs = K / 2 * K + (K + 1) / 2, cols = (P - 1) * S + K;
    const int8_t *wp = (const int8_t *)(tile + CT * sizeof(int32_t));
    int32x4_t acc[PB][4];
#pragma GCC unroll 4
    for (int p = 0; p < P; p++)
        start(acc[p], (const int32_t *)(const void *)tile);
#pragma GCC unroll 2
    for (int ky = 0; ky + 1 < K; ky += 2) {
        const int8_t *ra = rows[ky] + x + c, *rb = rows[ky + 1] + x + c;
#pragma GCC unroll 16
        for (int col = 0; col < cols; col++) {
            const int8x16_t a = load16(ra + (size_t)col * channels, full, n);
            const int8x16_t b = load16(rb + (size_t)col * channels, full, n);
#pragma GCC unroll 4
            for (int p = 0; p < P; p++) {
                const int kx = col - p * S;
                if (kx >= 0 && kx < K)
                    madd(acc[p], a, b, wp, ky / 2 * K + kx);
            }
        }
    }
    const int8_t *r = rows[K - 1] + x + c;
    int8x16_t e = load16(r, full, n);
#pragma GCC unroll 16
    for (int col = 0; col < cols; col++) {
        const int8x16_t next =
            col + 1 < cols ? load16(r + (size_t)(col + 1) * channels, full, n) : e;
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
            const int kx = col - p * S;
            if (kx >= 0 && kx < K && kx % 2 == 0)
                madd(acc[p], e, next, wp, K / 2 * K + kx / 2);
        }
        e = next;
    }
    const int32_t *q = (const int32_t *)(const void *)(wp + 32 * pairs);
#pragma GCC unroll 4
    for (int p = 0; p < P; p++)
        store_tile(out + (size_t)p * channels + c, acc[p], q, prm, full, n);
}

INLINE void row_block(int K, int S, int P, size_t channels, const int8_t *const *rows, size_t x,
                      const uint8_t *w, int8_t *out, const ember_qs8_params *prm) {
    const size_t tb = tile_bytes((size_t)(K / 2 * K + (K + 1) / 2));
    size_t c = 0;
    for (; c + CT <= channels; c += CT, w += tb)
        row_tile(K, S, P, channels, c, rows, x, w, out, prm, true, CT);
    if (c < channels)
        row_tile(K, S, P, channels, c, rows, x, w, out, prm, false, channels - c);
}

INLINE void row_kernel(int K, int S, size_t pixels, size_t channels, const int8_t *const *rows,
                       const void *w, int8_t *out, const ember_qs8_params *prm) {
    size_t p = 0;
    for (; p + PB <= pixels; p += PB)
        row_block(K, S, PB, channels, rows, p * (size_t)S * channels, w, out + p * channels, prm);
    for (; p < pixels; p++)
        row_block(K, S, 1, channels, rows, p * (size_t)S * channels, w, out + p * channels, prm);
}

void ember_dwconv_qs8_3x3s1_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(3, 1, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_3x3s2_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(3, 2, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_5x5s1_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(5, 1, pixels, channels, rows, w, out, p);
}

void ember_dwconv_qs8_5x5s2_neon(size_t pixels, size_t channels, const int8_t *const *rows,
                                 const void *w, int8_t *out, const ember_qs8_params *p) {
    row_kernel(5, 2, pixels, channels, rows, w, out, p);
}

/* One pixel, one tile, any number of pairs. */
INLINE void up_tile(size_t pairs, const int8_t *const *ind, size_t c, const uint8_t *tile,
                    int8_t *out, const ember_qs8_params *prm, bool full, size_t n) {
    const int8_t *wp = (const int8_t *)(tile + CT * sizeof(int32_t));
    int32x4_t acc[4];
    start(acc, (const int32_t *)(const void *)tile);
    for (size_t j = 0; j < pairs; j++)
        madd(acc, load16(ind[2 * j] + c, full, n), load16(ind[2 * j + 1] + c, full, n), wp,
             (int)j);
    store_tile(out + c, acc, (const int32_t *)(const void *)(wp + 32 * pairs), prm, full, n);
}

void ember_dwconv_qs8_up_neon(size_t pixels, size_t channels, size_t pairs,
                              const int8_t *const *ind, const void *w, int8_t *out,
                              const ember_qs8_params *p) {
    const size_t tb = tile_bytes(pairs);
    for (size_t px = 0; px < pixels; px++, ind += 2 * pairs, out += channels) {
        const uint8_t *tile = w;
        size_t c = 0;
        for (; c + CT <= channels; c += CT, tile += tb)
            up_tile(pairs, ind, c, tile, out, p, true, CT);
        if (c < channels)
            up_tile(pairs, ind, c, tile, out, p, false, channels - c);
    }
}
