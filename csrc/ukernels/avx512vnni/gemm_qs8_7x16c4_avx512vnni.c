/* The AVX-512 VNNI int8 GEMM, IGEMM and int32-sum microkernels: 7 rows x one 16-column panel
   at a time (csrc/ukernels/avx512vnni/gemm_qs8_avx512vnni.h). Seven rows: the output sizes of
   224x224 networks (112, 56, 28, 14, 7 squared) are multiples of 7, so no row tile runs
   partly empty. */
#include "ukernels/avx512vnni/gemm_qs8_avx512vnni.h"

#define ROWS 7

void ember_gemm_qs8_7x16c4_avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                      size_t a_stride, const void *w, int8_t *c,
                                      size_t c_stride, const ember_qs8_params *params) {
    ember_vnni_tile(ROWS, mr, nc, kc, 1, NULL, a, a_stride, NULL, w, c, NULL, c_stride, params);
}

void ember_igemm_qs8_7x16c4_avx512vnni(size_t mr, size_t nc, size_t kc, size_t ks,
                                       const size_t *ind, const int8_t *a, const int8_t *zero,
                                       const void *w, int8_t *c, size_t c_stride,
                                       const ember_qs8_params *params) {
    ember_vnni_tile(ROWS, mr, nc, kc, ks, ind, a, 0, zero, w, c, NULL, c_stride, params);
}

void ember_gemm_qs8_i32_7x16c4_avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                          size_t a_stride, const void *w, int32_t *c,
                                          size_t c_stride) {
    ember_vnni_tile(ROWS, mr, nc, kc, 1, NULL, a, a_stride, NULL, w, NULL, c, c_stride, NULL);
}
