/* The portable float32 GEMM and IGEMM microkernels: 4 rows x one 16-column panel at a time.
   Fixed-size inner loops, which GCC and Clang turn into whatever SIMD the target has. */
#include "ukernels/gemm.h"

#define MR 4
#define NR EMBER_GEMM_NR

/* Adds row i's kc values times the panel's kc x NR weights to acc[i], for every row. */
static const float *accumulate(float acc[MR][NR], const float *const rows[MR], size_t kc,
                               const float *w) {
    for (size_t k = 0; k < kc; k++, w += NR)
        for (size_t i = 0; i < MR; i++)
            for (size_t j = 0; j < NR; j++)
                acc[i][j] += rows[i][k] * w[j];
    return w;
}

static void start(float acc[MR][NR], const float *bias) {
    for (size_t i = 0; i < MR; i++)
        for (size_t j = 0; j < NR; j++)
            acc[i][j] = bias[j];
}

static void store(float acc[MR][NR], size_t mr, size_t cols, float *c, size_t c_stride,
                  const ember_minmax_f32 *clamp) {
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < cols; j++) {
            const float v = acc[i][j] < clamp->min ? clamp->min : acc[i][j];
            c[i * c_stride + j] = v > clamp->max ? clamp->max : v;
        }
}

void ember_gemm_f32_4x16_scalar(size_t mr, size_t nc, size_t kc, const float *a,
                                size_t a_stride, const float *w, float *c, size_t c_stride,
                                const ember_minmax_f32 *clamp) {
    /* Rows past mr alias the last real row: the loop stays branch-free, their sums unused. */
    const float *rows[MR];
    for (size_t i = 0; i < MR; i++)
        rows[i] = a + (i < mr ? i : mr - 1) * a_stride;
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        float acc[MR][NR];
        start(acc, w);
        w = accumulate(acc, rows, kc, w + NR);
        store(acc, mr, nc - j0 < NR ? nc - j0 : NR, c + j0, c_stride, clamp);
    }
}

void ember_igemm_f32_4x16_scalar(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                                 const float *a, const float *zero, const float *w, float *c,
                                 size_t c_stride, const ember_minmax_f32 *clamp) {
    for (size_t j0 = 0; j0 < nc; j0 += NR) {
        float acc[MR][NR];
        start(acc, w);
        w += NR;
        for (size_t t = 0; t < ks; t++) {
            const float *rows[MR];
            for (size_t i = 0; i < MR; i++) {
                const size_t at = ind[(i < mr ? i : mr - 1) * ks + t];
                rows[i] = at == EMBER_IND_ZERO ? zero : a + at;
            }
            w = accumulate(acc, rows, kc, w);
        }
        store(acc, mr, nc - j0 < NR ? nc - j0 : NR, c + j0, c_stride, clamp);
    }
}
