/* The AVX-512F float32 indirect GEMM microkernel: 7 rows x one 16-column panel at a time
   (csrc/ukernels/gemm.h). */
#include "ukernels/gemm_f32_avx512.h"

void ember_igemm_f32_7x16_avx512f(size_t mr, size_t nc, size_t kc, size_t ks,
                                    const size_t *ind, const float *a, const float *zero,
                                    const float *w, float *c, size_t c_stride,
                                    const ember_minmax_f32 *clamp) {
    ember_avx512_igemm(7, mr, nc, kc, ks, ind, a, zero, w, c, c_stride, clamp);
}
