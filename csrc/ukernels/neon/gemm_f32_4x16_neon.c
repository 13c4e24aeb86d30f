/* armv7 NEON float32 GEMM microkernel, 4 rows x 16 columns per tile (gemm.h). aarch64 builds
   use gemm_f32_4x16_neonfma.c instead. */
#if defined(__ARM_NEON) && !defined(__aarch64__)
#include "ukernels/neon/gemm_f32_4x16_neon.h"

void ember_gemm_f32_4x16_neon(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride,
                              const float *w, float *c, size_t c_stride,
                              const ember_minmax_f32 *clamp) {
    /* Rows past mr alias the last real row: the loop stays branch-free, their sums unused. */
    const float *rows[MR];
    for (size_t i = 0; i < MR; i++)
        rows[i] = a + (i < mr ? i : mr - 1) * a_stride;
    const size_t panel = EMBER_GEMM_NR * (kc + 1);
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR, w += panel)
        for (size_t j = 0; j < EMBER_GEMM_NR; j += HALF) {
            const size_t cols = half_cols(nc - j0, j);
            if (cols == 0)
                break;
            float32x4_t acc[MR][2];
            start_half(acc, w + j);
            accumulate_half(acc, rows, kc, w + EMBER_GEMM_NR + j);
            store_half(acc, mr, cols, c + j0 + j, c_stride, clamp);
        }
}
#endif
