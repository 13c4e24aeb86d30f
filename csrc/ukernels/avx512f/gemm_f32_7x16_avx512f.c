/* The AVX-512F float32 GEMM microkernel: 7 rows x one 16-column panel at a time, one zmm
   accumulator per row started from the packed bias (csrc/ukernels/gemm.h). Seven rows: the
   output sizes of 224x224 networks (112, 56, 28, 14, 7 squared) are multiples of 7, so no row
   tile runs partly empty. */
#include "ukernels/gemm_f32_avx512.h"

void ember_gemm_f32_7x16_avx512f(size_t mr, size_t nc, size_t kc, const float *a,
                                   size_t a_stride, const float *w, float *c, size_t c_stride,
                                   const ember_minmax_f32 *clamp) {
    ember_avx512_gemm(7, mr, nc, kc, a, a_stride, w, c, c_stride, clamp);
}
