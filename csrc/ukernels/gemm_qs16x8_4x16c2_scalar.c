/* The portable 16x8 GEMM microkernels (ukernels/gemm_qs16x8.h): kr 2, up to 4 rows per call,
   plain int64 sums. The oracle of the vector variants. */
#include "ukernels/gemm_qs16x8.h"

#include <string.h>

#define NR EMBER_GEMM_QS16X8_NR
#define KR 2
#define MR 4

static const int16_t *start_sums(size_t mr, const void *w, int64_t acc[MR][NR]) {
    int64_t bias[NR];
    memcpy(bias, w, sizeof bias);
    for (size_t i = 0; i < mr && i < MR; i++) /* (mr <= MR: the bound tells the compiler) */
        memcpy(acc[i], bias, sizeof bias);
    return (const int16_t *)(const void *)((const char *)w + sizeof bias);
}

/* Adds one tap (kc elements of each of mr rows); returns the weights of the next tap. */
static const int16_t *add_tap(size_t mr, size_t kc, const int16_t *const rows[MR],
                              const int16_t *w, int64_t acc[MR][NR]) {
    for (size_t g = 0; g < kc; g += KR, w += NR * KR) {
        for (size_t i = 0; i < mr; i++) {
            for (size_t j = 0; j < NR; j++) {
                for (size_t r = 0; r < KR && g + r < kc; r++)
                    acc[i][j] += (int64_t)rows[i][g + r] * w[j * KR + r];
            }
        }
    }
    return w;
}

static void store(size_t mr, size_t nc, const int64_t acc[MR][NR], int64_t *c, size_t c_stride) {
    for (size_t i = 0; i < mr; i++)
        memcpy(c + i * c_stride, acc[i], nc * sizeof(int64_t));
}

static size_t min_size(size_t a, size_t b) {
    return a < b ? a : b;
}

void ember_gemm_qs16x8_4x16c2_scalar(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                     size_t a_stride, const void *w, int64_t *c,
                                     size_t c_stride) {
    const int16_t *rows[MR];
    for (size_t i = 0; i < mr; i++)
        rows[i] = a + i * a_stride;
    const void *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int64_t acc[MR][NR];
        const int16_t *next = add_tap(mr, kc, rows, start_sums(mr, panel, acc), acc);
        store(mr, min_size(nc - j0, NR), acc, c + j0, c_stride);
        panel = next;
    }
}

void ember_igemm_qs16x8_4x16c2_scalar(size_t mr, size_t nc, size_t kc, size_t ks,
                                      const size_t *ind, const int16_t *a, const int16_t *zero,
                                      const void *w, int64_t *c, size_t c_stride) {
    const void *panel = w;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        int64_t acc[MR][NR];
        const int16_t *q = start_sums(mr, panel, acc);
        for (size_t t = 0; t < ks; t++) {
            const int16_t *rows[MR];
            for (size_t i = 0; i < mr; i++) {
                const size_t off = ind[i * ks + t];
                rows[i] = off == EMBER_IND_ZERO ? zero : a + off;
            }
            q = add_tap(mr, kc, rows, q, acc);
        }
        store(mr, min_size(nc - j0, NR), acc, c + j0, c_stride);
        panel = q;
    }
}
