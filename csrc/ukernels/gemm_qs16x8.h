/* 16x8 microkernels: int16 activations (zero point 0) times int8 weights, the inner loops of
 * the int16 CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED (csrc/kernels/conv16x8.c).
 *
 * The kernels return exact int64 sums; the ops requantize them (the 16x8 requantizations of
 * CONV2D and FULLY_CONNECTED differ). LiteRT's reference sums products in int64. A product
 * x * w lies in [-2^22, 2^22] (|x| <= 2^15, |w| <= 2^7), so an int32 holds the sum of any
 * EMBER_QS16X8_BLOCK products without overflow; the vector kernels sum blocks of at most that
 * many products in int32 and add each block into int64. Integer sums are exact, so every
 * order and blocking gives the reference's int64 sum: every variant gives the same bytes.
 *
 * GEMM: acc[i][j] = bias[j] + sum_k A[i][k] * W[k][j] for up to `mr` rows and nc columns,
 * written as int64 to c + i * c_stride + j. Weights are packed once, at prepare, by
 * ember_pack_gemm_qs16x8 for one configuration's kr. For each panel of EMBER_GEMM_QS16X8_NR
 * columns (columns past N zero-filled):
 *   int64  bias[NR]
 *   int16  w[K'/kr][NR][kr]   K' = ks * round_up(kc, kr): tap by tap, each tap's kc rows
 *                             padded with zero weights to a multiple of kr; column j's kr
 *                             consecutive k values contiguous (kr 2: the pairs of vpmaddwd)
 * The weights are the int8 values sign-extended to int16. A kernel never reads an A row or
 * tap past its kc elements. The indirect form (IGEMM) reads tap t of row i at
 * a + ind[i * ks + t] (element offsets), or `zero` (kc zeros) for EMBER_IND_ZERO.
 *
 * Depthwise (channel multiplier 1): acc[c] = bias[c] + sum_t in[t][c] * w[t][c] for one output
 * pixel, every channel; in[t] is tap t's input vector (`channels` int16), the zero vector for a
 * padding tap. Packed by ember_pack_dwconv_qs16x8: for each group of EMBER_DWCONV_QS16X8_CT
 * channels, int64 bias[CT] then int16 w[ks][CT] (channels past the last zero-filled). */
#ifndef EMBER_UKERNELS_GEMM_QS16X8_H
#define EMBER_UKERNELS_GEMM_QS16X8_H

#include "kernels/kernels.h"
#include "ukernels/gemm.h"

#define EMBER_GEMM_QS16X8_NR 16
#define EMBER_DWCONV_QS16X8_CT 16
/* Products an int32 may sum: 511 * 2^22 < 2^31; even, so pairs never straddle a block. */
#define EMBER_QS16X8_BLOCK 510

typedef void (*ember_gemm_qs16x8_fn)(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                     size_t a_stride, const void *w, int64_t *c,
                                     size_t c_stride);
typedef void (*ember_igemm_qs16x8_fn)(size_t mr, size_t nc, size_t kc, size_t ks,
                                      const size_t *ind, const int16_t *a, const int16_t *zero,
                                      const void *w, int64_t *c, size_t c_stride);

/* CONV2D's and DEPTHWISE_CONV2D's requantization of n int64 sums, one per channel:
   out[c] = clamp(ember_multiply_by_quantized_multiplier_i64(acc[c], mult[c], shift[c]),
   q_min, q_max), with the multipliers given as ember_requant_qs16x8_params makes them:
   reduced[c] the Q0.15 multiplier, total[c] the right shift in [1, 46]. */
typedef void (*ember_requant_qs16x8_fn)(size_t n, const int64_t *acc, const int64_t *reduced,
                                        const int64_t *total, int32_t q_min, int32_t q_max,
                                        int16_t *out);

typedef struct ember_gemm_qs16x8_config {
    const char *name; /* e.g. "gemm_qs16x8_4x16c2_avx2", shown by `ember inspect` */
    uint32_t isa;     /* EMBER_ISA_* bits it needs */
    size_t mr;        /* rows per call */
    size_t kr;        /* k values per column group in the packed weights (1 or 2) */
    ember_gemm_qs16x8_fn gemm;
    ember_igemm_qs16x8_fn igemm;
    ember_requant_qs16x8_fn requant;
} ember_gemm_qs16x8_config;

/* acc[c] for c < channels of one output pixel, ks taps. */
typedef void (*ember_dwconv_qs16x8_fn)(size_t channels, size_t ks, const int16_t *const *in,
                                       const void *w, int64_t *acc);

typedef struct ember_dwconv_qs16x8_config {
    const char *name; /* e.g. "dwconv_qs16x8_c16_avx2" */
    uint32_t isa;
    ember_dwconv_qs16x8_fn run;
    ember_requant_qs16x8_fn requant;
} ember_dwconv_qs16x8_config;

/* reduced[c], total[c] of ember_requant_qs16x8_fn from ember_quantize_multiplier's
   mult[c], shift[c] (shift <= 14). */
void ember_requant_qs16x8_params(size_t n, const int32_t *mult, const int32_t *shift,
                                 int64_t *reduced, int64_t *total);

/* Bytes of packed GEMM weights for n columns, ks taps of kc rows, in cfg's layout. */
size_t ember_gemm_qs16x8_packed_size(const ember_gemm_qs16x8_config *cfg, size_t n, size_t ks,
                                     size_t kc);
/* Packs W given as [n][ks * kc] (FULLY_CONNECTED's weights, OHWI filters) and the bias
   (NULL: 0). */
void ember_pack_gemm_qs16x8(const ember_gemm_qs16x8_config *cfg, size_t n, size_t ks, size_t kc,
                            const int8_t *w, const int64_t *bias, void *packed);
/* Bytes of packed depthwise weights for `channels` channels and ks taps. */
size_t ember_dwconv_qs16x8_packed_size(size_t channels, size_t ks);
/* Packs filter [ks][channels] (TFLite's [1,KH,KW,C]) and bias (NULL: 0). */
void ember_pack_dwconv_qs16x8(size_t channels, size_t ks, const int8_t *filter,
                              const int64_t *bias, void *packed);

/* The fastest configuration this CPU and the options allow, the portable one at worst; NULL
   under isa_mask EMBER_ISA_NONE (the op then runs its reference loop). */
const ember_gemm_qs16x8_config *ember_gemm_qs16x8_select(const ember_context *ctx);
const ember_dwconv_qs16x8_config *ember_dwconv_qs16x8_select(const ember_context *ctx);
/* Every configuration built into the library, best first (tests and harness). */
const ember_gemm_qs16x8_config *ember_gemm_qs16x8_configs(size_t *count);
const ember_dwconv_qs16x8_config *ember_dwconv_qs16x8_configs(size_t *count);

/* Portable kernels (plain int64 sums): the last resort and the oracle of the tests. */
void ember_gemm_qs16x8_4x16c2_scalar(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                     size_t a_stride, const void *w, int64_t *c,
                                     size_t c_stride);
void ember_igemm_qs16x8_4x16c2_scalar(size_t mr, size_t nc, size_t kc, size_t ks,
                                      const size_t *ind, const int16_t *a, const int16_t *zero,
                                      const void *w, int64_t *c, size_t c_stride);
void ember_dwconv_qs16x8_c16_scalar(size_t channels, size_t ks, const int16_t *const *in,
                                    const void *w, int64_t *acc);
void ember_requant_qs16x8_scalar(size_t n, const int64_t *acc, const int64_t *reduced,
                                 const int64_t *total, int32_t q_min, int32_t q_max,
                                 int16_t *out);

#if EMBER_HAVE_AVX2
/* x86-64 AVX2 (csrc/ukernels/avx2/): vpmaddwd on k pairs, 4 rows x 16 columns. */
void ember_gemm_qs16x8_4x16c2_avx2(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                   size_t a_stride, const void *w, int64_t *c, size_t c_stride);
void ember_igemm_qs16x8_4x16c2_avx2(size_t mr, size_t nc, size_t kc, size_t ks,
                                    const size_t *ind, const int16_t *a, const int16_t *zero,
                                    const void *w, int64_t *c, size_t c_stride);
void ember_dwconv_qs16x8_c16_avx2(size_t channels, size_t ks, const int16_t *const *in,
                                  const void *w, int64_t *acc);
void ember_requant_qs16x8_avx2(size_t n, const int64_t *acc, const int64_t *reduced,
                               const int64_t *total, int32_t q_min, int32_t q_max,
                               int16_t *out);
#endif

#if EMBER_HAVE_AVX512VNNI
/* x86-64 AVX-512 VNNI (csrc/ukernels/avx512vnni/): vpdpwssd on k pairs, 8 rows x 16 columns. */
void ember_gemm_qs16x8_8x16c2_avx512vnni(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                         size_t a_stride, const void *w, int64_t *c,
                                         size_t c_stride);
void ember_igemm_qs16x8_8x16c2_avx512vnni(size_t mr, size_t nc, size_t kc, size_t ks,
                                          const size_t *ind, const int16_t *a,
                                          const int16_t *zero, const void *w, int64_t *c,
                                          size_t c_stride);
#endif

#if EMBER_HAVE_NEON
/* aarch64 and armv7 NEON (csrc/ukernels/neon/): vmlal_s16 by lane, 4 rows x 16 columns. */
void ember_gemm_qs16x8_4x16_neon(size_t mr, size_t nc, size_t kc, const int16_t *a,
                                 size_t a_stride, const void *w, int64_t *c, size_t c_stride);
void ember_igemm_qs16x8_4x16_neon(size_t mr, size_t nc, size_t kc, size_t ks,
                                  const size_t *ind, const int16_t *a, const int16_t *zero,
                                  const void *w, int64_t *c, size_t c_stride);
void ember_dwconv_qs16x8_c16_neon(size_t channels, size_t ks, const int16_t *const *in,
                                  const void *w, int64_t *acc);
#endif

#endif /* EMBER_UKERNELS_GEMM_QS16X8_H */
