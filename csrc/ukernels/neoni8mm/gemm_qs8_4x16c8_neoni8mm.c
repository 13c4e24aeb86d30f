/* aarch64 NEON i8mm int8 GEMM/IGEMM microkernels (ukernels/gemm_qs8.h): 4 rows x 16 columns,
 * K in groups of 8 (c8), a_offset 0; the tile of XNNPACK's smmla kernels. smmla multiplies a
 * 2x8 block of A (two rows' 8 k) by an 8x2 block of W (two columns' 8 k, which the c8 layout
 * keeps in one q register) into a 2x2 int32 block, so 16 q accumulators hold the 4x16 tile as
 * 2 row pairs x 8 column pairs, each [r0 c0, r0 c1, r1 c0, r1 c1]; the store takes them apart. */
#if defined(__aarch64__) && defined(__ARM_FEATURE_MATMUL_INT8)
#include "ukernels/neon/requant_qs8_neon.h"

#define MR 4
#define NR EMBER_GEMM_QS8_NR

/* Fully unrolled by GCC (the pragma), so every index is a constant and acc lives in registers. */
#define PAIRS(stmt)                                         \
    _Pragma("GCC unroll 2") for (int p = 0; p < MR / 2; p++) \
        _Pragma("GCC unroll 8") for (int q = 0; q < NR / 2; q++) stmt

/* One group of 8 k (a[p] = rows 2p and 2p+1, 8 bytes each) times its 128 weight bytes. */
#define MMLA(acc, a, w)                                                       \
    do {                                                                     \
        _Pragma("GCC unroll 8") for (int q = 0; q < NR / 2; q++) {           \
            const int8x16_t b = vld1q_s8(w + 16 * q);                        \
            acc[0][q] = vmmlaq_s32(acc[0][q], a[0], b);                      \
            acc[1][q] = vmmlaq_s32(acc[1][q], a[1], b);                      \
        }                                                                    \
        w += 8 * NR;                                                         \
    } while (0)

static inline const int8_t *start(int32x4_t acc[MR / 2][NR / 2], const int8_t *w) {
    const int32_t *bias = (const int32_t *)(const void *)w;
    PAIRS({
        const int32x2_t b = vld1_s32(bias + 2 * q);
        acc[p][q] = vcombine_s32(b, b);
    });
    return w + NR * sizeof(int32_t);
}

static inline int8x16_t pair(int8x8_t lo, int8x8_t hi) {
    return vcombine_s8(lo, hi);
}

/* acc += rows' kc bytes times the tap's packed weights; returns w past them. */
EMBER_NEON_INLINE const int8_t *accumulate(int32x4_t acc[MR / 2][NR / 2],
                                           const int8_t *const rows[MR], size_t kc,
                                           const int8_t *w) {
    const int8_t *r[MR];
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) r[i] = rows[i];
    size_t k = kc;
    for (; k >= 16; k -= 16) {
        int64x2_t x[MR];
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            x[i] = vreinterpretq_s64_s8(vld1q_s8(r[i]));
            r[i] += 16;
        }
        const int8x16_t a0[2] = {vreinterpretq_s8_s64(vzip1q_s64(x[0], x[1])),
                                 vreinterpretq_s8_s64(vzip1q_s64(x[2], x[3]))};
        MMLA(acc, a0, w);
        const int8x16_t a1[2] = {vreinterpretq_s8_s64(vzip2q_s64(x[0], x[1])),
                                 vreinterpretq_s8_s64(vzip2q_s64(x[2], x[3]))};
        MMLA(acc, a1, w);
    }
    if (k >= 8) {
        const int8x16_t a[2] = {pair(vld1_s8(r[0]), vld1_s8(r[1])),
                                pair(vld1_s8(r[2]), vld1_s8(r[3]))};
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) r[i] += 8;
        MMLA(acc, a, w);
        k -= 8;
    }
    if (k > 0) {
        /* 1..7 bytes, zero-filled: the packed weights past kc are zero too. */
        const int8x16_t a[2] = {
            pair(ember_qs8_load_tail_neon(r[0], k), ember_qs8_load_tail_neon(r[1], k)),
            pair(ember_qs8_load_tail_neon(r[2], k), ember_qs8_load_tail_neon(r[3], k))};
        MMLA(acc, a, w);
    }
    return w;
}

/* The 2x2 blocks rearranged into rows: out[i][g] = row i, columns 4g..4g+3. */
static inline void to_rows(const int32x4_t acc[MR / 2][NR / 2], int32x4_t out[MR][4]) {
    _Pragma("GCC unroll 2") for (int p = 0; p < MR / 2; p++) {
        _Pragma("GCC unroll 4") for (int g = 0; g < 4; g++) {
            const int64x2_t lo = vreinterpretq_s64_s32(acc[p][2 * g]);
            const int64x2_t hi = vreinterpretq_s64_s32(acc[p][2 * g + 1]);
            out[2 * p][g] = vreinterpretq_s32_s64(vzip1q_s64(lo, hi));
            out[2 * p + 1][g] = vreinterpretq_s32_s64(vzip2q_s64(lo, hi));
        }
    }
}

/* Requantizes rows < mr, columns < cols of the tile; q8 points at the panel's multipliers. */
EMBER_NEON_INLINE void store(const int32x4_t acc[MR / 2][NR / 2], size_t mr, size_t cols,
                             const int8_t *q8, int8_t *c, size_t c_stride,
                             const ember_qs8_params *p) {
    int32x4_t v[MR][4];
    to_rows(acc, v);
    ember_qs8_neon_q q;
    ember_qs8_load_q_neon(q8, &q);
    _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
        if ((size_t)i >= mr)
            break;
        ember_qs8_store_neon(c + (size_t)i * c_stride, cols,
                             ember_qs8_requant16_neon(v[i], &q, p));
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

void ember_gemm_qs8_4x16c8_neoni8mm(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                    size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                    const ember_qs8_params *params) {
    const int8_t *rows[MR];
    gemm_rows(mr, a_stride, a, rows);
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int32x4_t acc[MR / 2][NR / 2];
        const int8_t *q = accumulate(acc, rows, kc, start(acc, panel));
        store(acc, mr, panel_cols(nc, j0), q, c + j0, c_stride, params);
        panel = q + 3 * NR * sizeof(int32_t);
    }
}

void ember_igemm_qs8_4x16c8_neoni8mm(size_t mr, size_t nc, size_t kc, size_t ks,
                                     const size_t *ind, const int8_t *a, const int8_t *zero,
                                     const void *w, int8_t *c, size_t c_stride,
                                     const ember_qs8_params *params) {
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int32x4_t acc[MR / 2][NR / 2];
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

void ember_gemm_qs8_i32_4x16c8_neoni8mm(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                        size_t a_stride, const void *w, int32_t *c,
                                        size_t c_stride) {
    const int8_t *rows[MR];
    gemm_rows(mr, a_stride, a, rows);
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int32x4_t acc[MR / 2][NR / 2], v[MR][4];
        const int8_t *q = accumulate(acc, rows, kc, start(acc, panel));
        to_rows(acc, v);
        _Pragma("GCC unroll 4") for (int i = 0; i < MR; i++) {
            if ((size_t)i >= mr)
                break;
            ember_qs8_store_i32_neon(c + (size_t)i * c_stride + j0, panel_cols(nc, j0), v[i]);
        }
        panel = q + 3 * NR * sizeof(int32_t);
    }
}
#endif
