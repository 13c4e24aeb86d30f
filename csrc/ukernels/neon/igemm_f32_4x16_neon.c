/* armv7 NEON float32 indirect GEMM microkernel, 4 rows x 16 columns (gemm.h). aarch64
   builds use igemm_f32_4x16_neonfma.c instead. */
#if defined(__ARM_NEON) && !defined(__aarch64__)
#include "ukernels/neon/gemm_f32_4x16_neon.h"

void ember_igemm_f32_4x16_neon(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                               const float *a, const float *zero, const float *w, float *c,
                               size_t c_stride, const ember_minmax_f32 *clamp) {
    const size_t panel = EMBER_GEMM_NR * (ks * kc + 1);
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR, w += panel)
        for (size_t j = 0; j < EMBER_GEMM_NR; j += HALF) {
            const size_t cols = half_cols(nc - j0, j);
            if (cols == 0)
                break;
            float32x4_t acc[MR][2];
            start_half(acc, w + j);
            const float *wk = w + EMBER_GEMM_NR + j;
            for (size_t t = 0; t < ks; t++) {
                const float *rows[MR];
                for (size_t i = 0; i < MR; i++) {
                    const size_t at = ind[(i < mr ? i : mr - 1) * ks + t];
                    rows[i] = at == EMBER_IND_ZERO ? zero : a + at;
                }
                wk = accumulate_half(acc, rows, kc, wk);
            }
            store_half(acc, mr, cols, c + j0 + j, c_stride, clamp);
        }
}
#endif
