/* The shared body of the aarch64 4x16 GEMM and IGEMM microkernels (gemm_f32_4x16_neonfma.c,
   igemm_f32_4x16_neonfma.c): 4 rows x 16 columns = 16 q-register accumulators, fused
   multiply-adds by lane. Each step loads 4 consecutive k values of every row at once (one
   q register per row) and multiplies each by its k's 16 packed weights through a lane index,
   so A costs one load per row per 4 k instead of one broadcast per k. 16 accumulators + 4 A
   + 4 weight registers leave room in the 32: a 6x16 tile (24 accumulators) made GCC spill
   accumulators to the stack inside the k loop. */
#ifndef EMBER_UKERNELS_NEON_GEMM_F32_4X16_NEONFMA_H
#define EMBER_UKERNELS_NEON_GEMM_F32_4X16_NEONFMA_H

#include <arm_neon.h>

#include "ukernels/gemm.h"

#define MR 4

/* Fully unrolled by GCC (the pragma), so every index is a constant and the arrays live in
   registers. */
#define ROWS_COLS(stmt)                                      \
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) \
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) stmt

/* One k of the 4 held in a[]: lane `lane` of each row times that k's 16 weights. */
#define FMA_LANE(acc, a, w, lane)                                                    \
    do {                                                                           \
        const float32x4_t b[4] = {vld1q_f32(w), vld1q_f32(w + 4), vld1q_f32(w + 8), \
                                  vld1q_f32(w + 12)};                              \
        w += 16;                                                                   \
        ROWS_COLS(acc[i][j] = vfmaq_laneq_f32(acc[i][j], b[j], a[i], lane));       \
    } while (0)

static inline void start(float32x4_t acc[MR][4], const float *bias) {
    ROWS_COLS(acc[i][j] = vld1q_f32(bias + 4 * j));
}

/* acc[i] += row i's kc values times kc packed weight rows; returns w past them. Sums run
   over k in order, like every other variant's. */
static inline const float *accumulate(float32x4_t acc[MR][4], const float *const rows[MR],
                                       size_t kc, const float *w) {
    const float *r[MR];
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) r[i] = rows[i];
    size_t k = kc;
    for (; k >= 4; k -= 4) {
        float32x4_t a[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            a[i] = vld1q_f32(r[i]);
            r[i] += 4;
        }
        FMA_LANE(acc, a, w, 0);
        FMA_LANE(acc, a, w, 1);
        FMA_LANE(acc, a, w, 2);
        FMA_LANE(acc, a, w, 3);
    }
    for (; k > 0; k--) {
        float32x4_t a[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) a[i] = vld1q_dup_f32(r[i]++);
        const float32x4_t b[4] = {vld1q_f32(w), vld1q_f32(w + 4), vld1q_f32(w + 8),
                                  vld1q_f32(w + 12)};
        w += 16;
        ROWS_COLS(acc[i][j] = vfmaq_f32(acc[i][j], b[j], a[i]));
    }
    return w;
}

/* Stores one row's 1..15 leading columns (cols < 16), held in v[0..3]. */
static inline void store_part(float *c, size_t cols, float32x4_t v0, float32x4_t v1,
                              float32x4_t v2, float32x4_t v3) {
    if (cols & 8) {
        vst1q_f32(c, v0);
        vst1q_f32(c + 4, v1);
        v0 = v2;
        v1 = v3;
        c += 8;
    }
    if (cols & 4) {
        vst1q_f32(c, v0);
        v0 = v1;
        c += 4;
    }
    if (cols & 2) {
        vst1_f32(c, vget_low_f32(v0));
        v0 = vextq_f32(v0, v0, 2);
        c += 2;
    }
    if (cols & 1)
        vst1q_lane_f32(c, v0, 0);
}

/* Clamps and stores rows < mr, columns < cols (1..16) of the tile. Row indices stay
   constants (the loop is unrolled), which keeps acc in registers. */
static inline void store(float32x4_t acc[MR][4], size_t mr, size_t cols, float *c,
                          size_t c_stride, const ember_minmax_f32 *clamp) {
    const float32x4_t lo = vdupq_n_f32(clamp->min), hi = vdupq_n_f32(clamp->max);
    ROWS_COLS(acc[i][j] = vminq_f32(vmaxq_f32(acc[i][j], lo), hi));
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
        if ((size_t)i >= mr)
            break;
        float *row = c + (size_t)i * c_stride;
        if (cols == 16) {
            _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)
                vst1q_f32(row + 4 * j, acc[i][j]);
        } else {
            store_part(row, cols, acc[i][0], acc[i][1], acc[i][2], acc[i][3]);
        }
    }
}

#endif /* EMBER_UKERNELS_NEON_GEMM_F32_4X16_NEONFMA_H */
