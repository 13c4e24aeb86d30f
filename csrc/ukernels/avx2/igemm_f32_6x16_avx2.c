/* The AVX2/FMA float32 indirect GEMM microkernel: 6 rows x one 16-column panel at a time, each
   row ks taps of kc floats found through the indirection offsets (csrc/ukernels/gemm.h). */
#include "ukernels/gemm_f32_avx2.h"

void ember_igemm_f32_6x16_avx2(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                               const float *a, const float *zero, const float *w, float *c,
                               size_t c_stride, const ember_minmax_f32 *clamp) {
    if (mr == 1) {
        ember_avx2_one_row(nc, kc, ks, ind, a, zero, w, c, clamp);
        return;
    }
    /* Rows past mr alias the last real row (its taps and its output row). */
    const size_t *taps[6];
    float *crows[6];
    for (size_t i = 0; i < 6; i++) {
        const size_t r = i < mr ? i : mr - 1;
        taps[i] = ind + r * ks;
        crows[i] = c + r * c_stride;
    }
    for (size_t j0 = 0; j0 < nc; j0 += EMBER_GEMM_NR) {
        ember_acc_6x16 acc;
        ember_avx2_6x16_start(&acc, w);
        w += EMBER_GEMM_NR;
        for (size_t t = 0; t < ks; t++) {
            const float *rows[6];
            for (size_t i = 0; i < 6; i++)
                rows[i] = taps[i][t] == EMBER_IND_ZERO ? zero : a + taps[i][t];
            w = ember_avx2_6x16_accumulate(&acc, rows, kc, w);
        }
        ember_avx2_6x16_store(&acc, crows, nc - j0, clamp);
        for (size_t i = 0; i < 6; i++)
            crows[i] += EMBER_GEMM_NR;
    }
}
