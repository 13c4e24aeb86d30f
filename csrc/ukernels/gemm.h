/* float32 GEMM microkernels: the inner loops under CONV2D, FULLY_CONNECTED, BATCH_MATMUL and
 * TRANSPOSE_CONV2D (csrc/kernels/), one layer below the ops.
 *
 * A microkernel computes one tile of C = clamp(A x W + bias): up to `mr` rows (its MR) and any
 * number of columns, walking the packed weights in panels of EMBER_GEMM_NR columns. Weights
 * are packed once, at prepare, by ember_pack_gemm_f32_*: for each panel of NR output columns,
 * NR bias values (the accumulators' starting values) and then K rows of NR weights, columns
 * past N zero-filled. Every variant (portable, AVX2, AVX-512, NEON) reads this one layout.
 *
 * The indirect GEMM (IGEMM) runs a convolution without an im2col copy: row i of A is the
 * concatenation of `ks` input vectors of kc floats, tap t of row i found at
 * a + ind[i * ks + t], or the `zero` vector (kc zeros) where that entry is EMBER_IND_ZERO
 * (a padding tap). Its packed weights hold ks * kc rows per panel, tap by tap.
 *
 * Each output's sum runs over K in the same order in every variant's loop (k = 0, 1, ...);
 * variants may still differ in the last bits (FMA vs separate multiply and add). */
#ifndef EMBER_UKERNELS_GEMM_H
#define EMBER_UKERNELS_GEMM_H

#include "kernels/kernels.h"

#define EMBER_GEMM_NR 16
#define EMBER_IND_ZERO SIZE_MAX

typedef struct ember_minmax_f32 {
    float min, max;
} ember_minmax_f32;

/* Floats of packed weights for n output columns and k rows (panels rounded up to NR). */
size_t ember_gemm_f32_packed_count(size_t n, size_t k);
/* Packs W given as [n][k] (output-major: FULLY_CONNECTED, OHWI filters); bias may be NULL. */
void ember_pack_gemm_f32_nk(size_t n, size_t k, const float *w, const float *bias,
                            float *packed);
/* Packs W given as [k][n] (BATCH_MATMUL's right operand); bias may be NULL. */
void ember_pack_gemm_f32_kn(size_t n, size_t k, const float *w, size_t w_row_stride,
                            const float *bias, float *packed);

/* C[i][j] = clamp(bias[j] + sum_k a[i * a_stride + k] * W[k][j]) for i < mr, j < nc; rows
   of C at c + i * c_stride. `w` points at the panel of column 0 of the tile. */
typedef void (*ember_gemm_f32_fn)(size_t mr, size_t nc, size_t kc, const float *a,
                                  size_t a_stride, const float *w, float *c, size_t c_stride,
                                  const ember_minmax_f32 *clamp);
/* The indirect form: ks taps of kc floats per row, found through `ind` (row stride ks). */
typedef void (*ember_igemm_f32_fn)(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const size_t *ind, const float *a, const float *zero,
                                   const float *w, float *c, size_t c_stride,
                                   const ember_minmax_f32 *clamp);

typedef struct ember_gemm_f32_config {
    const char *name;  /* e.g. "gemm_f32_6x16_avx2", shown by `ember inspect` */
    uint32_t isa;      /* EMBER_ISA_* bits it needs */
    size_t mr;         /* rows per call */
    ember_gemm_f32_fn gemm;
    ember_igemm_f32_fn igemm;
} ember_gemm_f32_config;

/* The fastest configuration this CPU and the options allow, the portable one at worst; NULL
   when the options allow no optimised kernel (isa_mask EMBER_ISA_NONE): the op then runs its
   reference loop, the oracle, on its unpacked weights. */
const ember_gemm_f32_config *ember_gemm_f32_select(const ember_context *ctx);
/* Every configuration built into the library, best first (the microkernel tests and the
   kernel harness run each one this CPU has); *count receives their number. */
const ember_gemm_f32_config *ember_gemm_f32_configs(size_t *count);

/* The portable microkernels (csrc/ukernels/gemm_f32_4x16_scalar.c): the last resort of
   ember_gemm_f32_select and the oracle of the microkernel tests. */
void ember_gemm_f32_4x16_scalar(size_t mr, size_t nc, size_t kc, const float *a,
                                size_t a_stride, const float *w, float *c, size_t c_stride,
                                const ember_minmax_f32 *clamp);
void ember_igemm_f32_4x16_scalar(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                                 const float *a, const float *zero, const float *w, float *c,
                                 size_t c_stride, const ember_minmax_f32 *clamp);

#if EMBER_HAVE_AVX2
/* x86-64 AVX2 + FMA (csrc/ukernels/avx2/): 6 rows x 16, 12 ymm accumulators. */
void ember_gemm_f32_6x16_avx2(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride,
                              const float *w, float *c, size_t c_stride,
                              const ember_minmax_f32 *clamp);
void ember_igemm_f32_6x16_avx2(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                               const float *a, const float *zero, const float *w, float *c,
                               size_t c_stride, const ember_minmax_f32 *clamp);
#endif

#if EMBER_HAVE_AVX512F
/* x86-64 AVX-512F (csrc/ukernels/avx512f/): 7 rows x 16, one zmm accumulator per row. */
void ember_gemm_f32_7x16_avx512f(size_t mr, size_t nc, size_t kc, const float *a,
                                 size_t a_stride, const float *w, float *c, size_t c_stride,
                                 const ember_minmax_f32 *clamp);
void ember_igemm_f32_7x16_avx512f(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const size_t *ind, const float *a, const float *zero,
                                  const float *w, float *c, size_t c_stride,
                                  const ember_minmax_f32 *clamp);
#endif

#if EMBER_HAVE_NEON && defined(__aarch64__)
/* aarch64 NEON with FMA (csrc/ukernels/neon/): 4 rows x 16, 16 q accumulators, by lane. */
void ember_gemm_f32_4x16_neonfma(size_t mr, size_t nc, size_t kc, const float *a,
                                 size_t a_stride, const float *w, float *c, size_t c_stride,
                                 const ember_minmax_f32 *clamp);
void ember_igemm_f32_4x16_neonfma(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const size_t *ind, const float *a, const float *zero,
                                  const float *w, float *c, size_t c_stride,
                                  const ember_minmax_f32 *clamp);
#elif EMBER_HAVE_NEON
/* armv7 NEON (csrc/ukernels/neon/): 4 rows x 16 as two 8-column halves, multiply-accumulate. */
void ember_gemm_f32_4x16_neon(size_t mr, size_t nc, size_t kc, const float *a, size_t a_stride,
                              const float *w, float *c, size_t c_stride,
                              const ember_minmax_f32 *clamp);
void ember_igemm_f32_4x16_neon(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                               const float *a, const float *zero, const float *w, float *c,
                               size_t c_stride, const ember_minmax_f32 *clamp);
#endif

#endif /* EMBER_UKERNELS_GEMM_H */
