/* The portable int8 GEMM microkernels (ukernels/gemm_qs8.h): kr 4, a_offset 0, up to 4 rows
   per call. Plain C, the oracle of the optimised variants. */
#include "ukernels/gemm_qs8.h"

#define NR EMBER_GEMM_QS8_NR
#define KR 4
#define MR 4

static const int8_t *start_sums(size_t mr, const int8_t *w, uint32_t acc[MR][NR]) {
    const int32_t *bias = (const int32_t *)(const void *)w;
    for (size_t i = 0; i < mr; i++) {
        for (size_t j = 0; j < NR; j++)
            acc[i][j] = (uint32_t)bias[j];
    }
    return w + NR * sizeof(int32_t);
}

/* Adds one tap (kc bytes of each of mr rows) times its packed weights; returns the weights
   of the next tap. */
static const int8_t *add_tap(size_t mr, size_t kc, const int8_t *const rows[MR],
                             const int8_t *w, uint32_t acc[MR][NR]) {
    for (size_t g = 0; g < kc; g += KR, w += NR * KR) {
        for (size_t i = 0; i < mr; i++) {
            for (size_t j = 0; j < NR; j++) {
                for (size_t r = 0; r < KR && g + r < kc; r++)
                    acc[i][j] += (uint32_t)(rows[i][g + r] * w[j * KR + r]);
            }
        }
    }
    return w;
}

/* Requantizes the tile with the multipliers after the panel's weights (at `q`). */
static void store(size_t mr, size_t nc, const uint32_t acc[MR][NR], const int8_t *q8,
                  int8_t *c, size_t c_stride, const ember_qs8_params *p) {
    const int32_t *q = (const int32_t *)(const void *)q8;
    for (size_t i = 0; i < mr; i++) {
        for (size_t j = 0; j < nc; j++) {
            c[i * c_stride + j] =
                ember_qs8_requantize((int32_t)acc[i][j], q[j], q[NR + j], q[2 * NR + j], p);
        }
    }
}

static size_t min_size(size_t a, size_t b) {
    return a < b ? a : b;
}

void ember_gemm_qs8_4x16c4_scalar(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                  size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                  const ember_qs8_params *params) {
    const int8_t *rows[MR];
    for (size_t i = 0; i < mr; i++)
        rows[i] = a + i * a_stride;
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        uint32_t acc[MR][NR];
        const int8_t *q = add_tap(mr, kc, rows, start_sums(mr, panel, acc), acc);
        store(mr, min_size(nc - j0, NR), acc, q, c + j0, c_stride, params);
        panel = q + 3 * NR * sizeof(int32_t);
    }
}

void ember_igemm_qs8_4x16c4_scalar(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const size_t *ind, const int8_t *a, const int8_t *zero,
                                   const void *w, int8_t *c, size_t c_stride,
                                   const ember_qs8_params *params) {
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        uint32_t acc[MR][NR];
        const int8_t *q = start_sums(mr, panel, acc);
        for (size_t t = 0; t < ks; t++) {
            const int8_t *rows[MR];
            for (size_t i = 0; i < mr; i++) {
                const size_t off = ind[i * ks + t];
                rows[i] = off == EMBER_IND_ZERO ? zero : a + off;
            }
            q = add_tap(mr, kc, rows, q, acc);
        }
        store(mr, min_size(nc - j0, NR), acc, q, c + j0, c_stride, params);
        panel = q + 3 * NR * sizeof(int32_t);
    }
}

void ember_gemm_qs8_i32_4x16c4_scalar(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                      size_t a_stride, const void *w, int32_t *c,
                                      size_t c_stride) {
    const int8_t *rows[MR];
    for (size_t i = 0; i < mr; i++)
        rows[i] = a + i * a_stride;
    const int8_t *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        uint32_t acc[MR][NR];
        const int8_t *q = add_tap(mr, kc, rows, start_sums(mr, panel, acc), acc);
        for (size_t i = 0; i < mr; i++) {
            for (size_t j = 0; j < min_size(nc - j0, NR); j++)
                c[i * c_stride + j0 + j] = (int32_t)acc[i][j];
        }
        panel = q + 3 * NR * sizeof(int32_t);
    }
}
