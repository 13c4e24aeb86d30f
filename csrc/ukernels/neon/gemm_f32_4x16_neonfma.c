/* aarch64 NEON (FMA) float32 GEMM microkernel, 4 rows x 16 columns per tile (gemm.h). */
#if defined(__aarch64__)
#include "ukernels/neon/gemm_f32_4x16_neonfma.h"

void ember_gemm_f32_4x16_neonfma(size_t mr, size_t nc, size_t kc, const float *a,
                                 size_t a_stride, const float *w, float *c, size_t c_stride,
                                 const ember_minmax_f32 *clamp) {
    /* Rows past mr alias the last real row: the loop stays branch-free, their sums unused. */
    const float *rows[MR];
    for (size_t i = 0; i < MR; i++)
        rows[i] = a + (i < mr ? i : mr - 1) * a_stride;
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR) {
        float32x4_t acc[MR][4];
        start(acc, w);
        w = accumulate(acc, rows, kc, w + EMBER_GEMM_NR);
        store(acc, mr, nc - j0 < EMBER_GEMM_NR ? nc - j0 : EMBER_GEMM_NR, c + j0, c_stride,
              clamp);
    }
}
#endif
