/* The AVX2/FMA float32 GEMM microkernel: 6 rows x one 16-column panel at a time, 12 ymm
   accumulators started from the packed bias (csrc/ukernels/gemm.h). */
#include "ukernels/gemm_f32_avx2.h"

void ember_gemm_f32_6x16_avx2(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride,
                              const float *w, float *c, size_t c_stride,
                              const ember_minmax_f32 *clamp) {
    if (mr == 1) {
        ember_avx2_one_row(nc, kc, 1, NULL, a, NULL, w, c, clamp);
        return;
    }
    /* Rows past mr alias the last real row: the k loop stays branch-free. */
    const float *rows[6];
    float *crows[6];
    for (size_t i = 0; i < 6; i++) {
        const size_t r = i < mr ? i : mr - 1;
        rows[i] = a + r * a_stride;
        crows[i] = c + r * c_stride;
    }
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR) {
        ember_acc_6x16 acc;
        ember_avx2_6x16_start(&acc, w);
        w = ember_avx2_6x16_accumulate(&acc, rows, kc, w + EMBER_GEMM_NR);
        ember_avx2_6x16_store(&acc, crows, nc - j0, clamp);
        for (size_t i = 0; i < 6; i++)
            crows[i] += EMBER_GEMM_NR;
    }
}
