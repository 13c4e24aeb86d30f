/* aarch64 NEON (FMA) float32 indirect GEMM microkernel, 4 rows x 16 columns (gemm.h). */
#if defined(__aarch64__)
#include "ukernels/neon/gemm_f32_4x16_neonfma.h"

void ember_igemm_f32_4x16_neonfma(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const size_t *ind, const float *a, const float *zero,
                                  const float *w, float *c, size_t c_stride,
                                  const ember_minmax_f32 *clamp) {
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR) {
        float32x4_t acc[MR][4];
        start(acc, w);
        w += EMBER_GEMM_NR;
        for (size_t t = 0; t < ks; t++) {
            const float *rows[MR];
            for (size_t i = 0; i < MR; i++) {
                const size_t at = ind[(i < mr ? i : mr - 1) * ks + t];
                rows[i] = at == EMBER_IND_ZERO ? zero : a + at;
            }
            w = accumulate(acc, rows, kc, w);
        }
        store(acc, mr, nc - j0 < EMBER_GEMM_NR ? nc - j0 : EMBER_GEMM_NR, c + j0, c_stride,
              clamp);
    }
}
#endif
