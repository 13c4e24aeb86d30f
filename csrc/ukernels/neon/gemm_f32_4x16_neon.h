/* The shared body of the armv7 NEON 4x16 GEMM and IGEMM microkernels (gemm_f32_4x16_neon.c,
   igemm_f32_4x16_neon.c). ARMv7 NEON has 16 q registers and no fused multiply-add (VMLA
   multiplies, rounds, then adds), so a 16-column panel is computed as two halves of 8
   columns: 8 accumulators, 2 weight and 2 A registers (4 rows x 2 k values as d registers)
   fit with room to spare, where 16 accumulators for the whole panel would take all 16. The
   rows of A are read once per half; they stay in L1, the weights stream once. */
#ifndef EMBER_UKERNELS_NEON_GEMM_F32_4X16_NEON_H
#define EMBER_UKERNELS_NEON_GEMM_F32_4X16_NEON_H

#include <arm_neon.h>

#include "ukernels/gemm.h"

#define MR 4
#define HALF 8

#define ROWS_HALF(stmt)                                      \
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) \
        _Pragma("GCC unroll 2") for (int j = 0; j < 2; j++) stmt

/* One k of the 2 held in a[]: lane `lane` of each row times 8 of that k's weights. */
#define MLA_LANE(acc, a, w, lane)                                                  \
    do {                                                                         \
        const float32x4_t b[2] = {vld1q_f32(w), vld1q_f32(w + 4)};               \
        w += EMBER_GEMM_NR;                                                      \
        ROWS_HALF(acc[i][j] = vmlaq_lane_f32(acc[i][j], b[j], a[i], lane));      \
    } while (0)

static inline void start_half(float32x4_t acc[MR][2], const float *bias) {
    ROWS_HALF(acc[i][j] = vld1q_f32(bias + 4 * j));
}

/* acc[i] += row i's kc values times 8 columns of kc packed weight rows (`w` points at the
   half's first column, rows NR apart); returns w past them. Sums run over k in order. */
static inline const float *accumulate_half(float32x4_t acc[MR][2],
                                           const float *const rows[MR], size_t kc,
                                           const float *w) {
    const float *r[MR];
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) r[i] = rows[i];
    size_t k = kc;
    for (; k >= 2; k -= 2) {
        float32x2_t a[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            a[i] = vld1_f32(r[i]);
            r[i] += 2;
        }
        MLA_LANE(acc, a, w, 0);
        MLA_LANE(acc, a, w, 1);
    }
    if (k > 0) {
        float32x2_t a[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) a[i] = vld1_dup_f32(r[i]);
        MLA_LANE(acc, a, w, 0);
    }
    return w;
}

/* Stores one row's 1..7 leading columns of the half (cols < 8), held in v0, v1. */
static inline void store_part(float *c, size_t cols, float32x4_t v0, float32x4_t v1) {
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

/* Clamps and stores rows < mr, columns < cols (1..8) of the half. Row indices stay
   constants (the loop is unrolled), which keeps acc in registers. */
static inline void store_half(float32x4_t acc[MR][2], size_t mr, size_t cols, float *c,
                              size_t c_stride, const ember_minmax_f32 *clamp) {
    const float32x4_t lo = vdupq_n_f32(clamp->min), hi = vdupq_n_f32(clamp->max);
    ROWS_HALF(acc[i][j] = vminq_f32(vmaxq_f32(acc[i][j], lo), hi));
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
        if ((size_t)i >= mr)
            break;
        float *row = c + (size_t)i * c_stride;
        if (cols == HALF) {
            vst1q_f32(row, acc[i][0]);
            vst1q_f32(row + 4, acc[i][1]);
        } else {
            store_part(row, cols, acc[i][0], acc[i][1]);
        }
    }
}

/* Columns of the half starting at j (0 or 8) that are real, of the nc - j0 left in the tile. */
static inline size_t half_cols(size_t left, size_t j) {
    return left <= j ? 0 : left - j < HALF ? left - j : HALF;
}

#endif /* EMBER_UKERNELS_NEON_GEMM_F32_4X16_NEON_H */
