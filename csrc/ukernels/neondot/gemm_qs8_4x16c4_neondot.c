/* aarch64 NEON dotprod int8 GEMM/IGEMM microkernels (ukernels/gemm_qs8.h): 4 rows x 16 columns,
 * K in groups of 4 (c4), a_offset 0 (sdot multiplies signed by signed). The tile of XNNPACK's
 * dotprod kernels: 16 q accumulators, one per 4 columns of a row; each step loads 16 k of
 * every row into one q register and multiplies each group of 4 by its 64 packed weight bytes
 * through sdot's lane index, so A costs one load per row per 16 k. */
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include "ukernels/neon/requant_qs8_neon.h"

#define MR 4
#define NR EMBER_GEMM_QS8_NR

/* Fully unrolled by GCC (the pragma), so every index is a constant and acc lives in registers. */
#define ROWS_COLS(stmt)                                      \
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) \
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) stmt

/* One group of 4 k (lane `lane` of each row's a[i]) times its 16 columns' weights, one weight
   vector at a time: loading all four first made GCC spill accumulators in the K loop. */
#define DOT_LANE(acc, a, w, lane, dot)                                               \
    do {                                                                           \
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {                      \
            const int8x16_t b = vld1q_s8(w + 16 * j);                              \
            _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) acc[i][j] =       \
                dot(acc[i][j], b, a[i], lane);                                     \
        }                                                                          \
        w += 4 * NR;                                                               \
    } while (0)

static inline const int8_t *start(int32x4_t acc[MR][4], const int8_t *w) {
    const int32_t *bias = (const int32_t *)(const void *)w;
    ROWS_COLS(acc[i][j] = vld1q_s32(bias + 4 * j));
    return w + NR * sizeof(int32_t);
}

/* acc[i] += row i's kc bytes times the tap's packed weights; returns w past them. */
EMBER_NEON_INLINE const int8_t *accumulate(int32x4_t acc[MR][4], const int8_t *const rows[MR],
                                           size_t kc, const int8_t *w) {
    const int8_t *r[MR];
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) r[i] = rows[i];
    size_t k = kc;
    for (; k >= 16; k -= 16) {
        int8x16_t a[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            a[i] = vld1q_s8(r[i]);
            r[i] += 16;
        }
        DOT_LANE(acc, a, w, 0, vdotq_laneq_s32);
        DOT_LANE(acc, a, w, 1, vdotq_laneq_s32);
        DOT_LANE(acc, a, w, 2, vdotq_laneq_s32);
        DOT_LANE(acc, a, w, 3, vdotq_laneq_s32);
    }
    if (k >= 8) {
        int8x8_t a[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            a[i] = vld1_s8(r[i]);
            r[i] += 8;
        }
        DOT_LANE(acc, a, w, 0, vdotq_lane_s32);
        DOT_LANE(acc, a, w, 1, vdotq_lane_s32);
        k -= 8;
    }
    if (k > 0) {
        /* 1..7 bytes, zero-filled: the packed weights past kc are zero too. */
        int8x8_t a[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            a[i] = ember_qs8_load_tail_neon(r[i], k);
        }
        DOT_LANE(acc, a, w, 0, vdotq_lane_s32);
        if (k > 4)
            DOT_LANE(acc, a, w, 1, vdotq_lane_s32);
    }
    return w;
}

/* Requantizes rows < mr, columns < cols of the tile; q points at the panel's multipliers. */
EMBER_NEON_INLINE void store(const int32x4_t acc[MR][4], size_t mr, size_t cols, const int8_t *q8,
                             int8_t *c, size_t c_stride, const ember_qs8_params *p) {
    ember_qs8_neon_q q;
    ember_qs8_load_q_neon(q8, &q);
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
        if ((size_t)i >= mr)
            break;
        ember_qs8_store_neon(c + (size_t)i * c_stride, cols,
                             ember_qs8_requant16_neon(acc[i], &q, p));
    }
}

static size_t panel_cols(size_t nc, size_t j0) {
    return nc - j0 < NR ? nc - j0 : NR;
}

static void gemm_rows(size_t mr, size_t a_stride, const int8_t *a, const int8_t *rows[MR]) {
    /* Rows past mr alias the last real row: the loop stays branch-free, their sums unused. */
    for (size_t i = 0; i < MR; i++)
        rows[i] = a + (i < mr ? i : mr - 1) * a_stride;
}

void ember_gemm_qs8_4x16c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                   size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                   const ember_qs8_params *params) {
    const int8_t *rows[MR];
    gemm_rows(mr, a_stride, a, rows);
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int32x4_t acc[MR][4];
        const int8_t *q = accumulate(acc, rows, kc, start(acc, panel));
        store(acc, mr, panel_cols(nc, j0), q, c + j0, c_stride, params);
        panel = q + 3 * NR * sizeof(int32_t);
    }
}

void ember_igemm_qs8_4x16c4_neondot(size_t mr, size_t nc, size_t kc, size_t ks,
                                    const size_t *ind, const int8_t *a, const int8_t *zero,
                                    const void *w, int8_t *c, size_t c_stride,
                                    const ember_qs8_params *params) {
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int32x4_t acc[MR][4];
        const int8_t *q = start(acc, panel);
        for (size_t t = 0; t < ks; t++) {
            const int8_t *rows[MR];
            ember_qs8_tap_rows(mr, MR, ind + t, ks, a, zero, rows);
            q = accumulate(acc, rows, kc, q);
        }
        store(acc, mr, panel_cols(nc, j0), q, c + j0, c_stride, params);
        panel = q + 3 * NR * sizeof(int32_t);
    }
}

void ember_gemm_qs8_i32_4x16c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                       size_t a_stride, const void *w, int32_t *c,
                                       size_t c_stride) {
    const int8_t *rows[MR];
    gemm_rows(mr, a_stride, a, rows);
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int32x4_t acc[MR][4];
        const int8_t *q = accumulate(acc, rows, kc, start(acc, panel));
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            if ((size_t)i >= mr)
                break;
            ember_qs8_store_i32_neon(c + (size_t)i * c_stride + j0, panel_cols(nc, j0), acc[i]);
        }
        panel = q + 3 * NR * sizeof(int32_t);
    }
}
#endif
