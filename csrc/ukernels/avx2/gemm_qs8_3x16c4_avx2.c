/* The AVX2 int8 GEMM, IGEMM and int32-sum microkernels: 3 rows x one 16-column panel at a
   time, vpmaddwd on sign-extended int16 (csrc/ukernels/avx2/gemm_qs8_avx2.h). 2, 3 and 4 rows
   ran within 2% of each other over MobileNetV2 (on Zen 4 with AVX2 only); 3 rows keep 12 ymm
   accumulators and 4 weight vectors in the 16 registers. */
#include "ukernels/avx2/gemm_qs8_avx2.h"

#define ROWS 3

void ember_gemm_qs8_3x16c4_avx2(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                const ember_qs8_params *params) {
    ember_qs8_avx2_tile(ROWS, mr, nc, kc, 1, NULL, a, a_stride, NULL, w, c, NULL, c_stride,
                        params);
}

void ember_igemm_qs8_3x16c4_avx2(size_t mr, size_t nc, size_t kc, size_t ks,
                                 const size_t *ind, const int8_t *a, const int8_t *zero,
                                 const void *w, int8_t *c, size_t c_stride,
                                 const ember_qs8_params *params) {
    ember_qs8_avx2_tile(ROWS, mr, nc, kc, ks, ind, a, 0, zero, w, c, NULL, c_stride, params);
}

void ember_gemm_qs8_i32_3x16c4_avx2(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                    size_t a_stride, const void *w, int32_t *c,
                                    size_t c_stride) {
    ember_qs8_avx2_tile(ROWS, mr, nc, kc, 1, NULL, a, a_stride, NULL, w, NULL, c, c_stride,
                        NULL);
}
