/* int8 GEMM microkernels: the inner loops under int8 CONV2D and FULLY_CONNECTED (and the
 * hybrid, dynamic-range kernels), one layer below the ops; the int8 twin of ukernels/gemm.h.
 *
 * A microkernel computes one tile of int8 C from int8 A (activations, zero point zp_in) and
 * int8 W (weights, zero point 0): up to `mr` rows and any number of columns, walking packed
 * weights in panels of EMBER_GEMM_QS8_NR columns. Each output's int32 sum
 *     acc[i][j] = bias[j] + sum_k (A[i][k] - zp_in) * W[k][j]          (wrapping modulo 2^32)
 * is requantized exactly as LiteRT's reference kernels do it (ukernels/requant_qs8.h). The sums
 * wrap modulo 2^32 in the reference too, so the order of the additions is free: every variant
 * gives the same bytes.
 *
 * Weights are packed once, at prepare, by ember_pack_gemm_qs8 for one configuration (its kr
 * and a_offset). For each panel of NR columns (columns past N zero-filled):
 *   int32  bias'[NR]        bias[j] - (zp_in + a_offset) * sum_k W[k][j], modulo 2^32
 *   int8   w[K'/kr][NR][kr] K' = ks * round_up(kc, kr): tap by tap, each tap's kc rows padded
 *                           with zero weights to a multiple of kr; column j's kr consecutive
 *                           k values contiguous (the c4 layout of vpdpbusd / sdot, c8 of smmla)
 *   int32  mult[NR], lshift[NR], rshift[NR]   the per-column requantization (requant_qs8.h)
 * A kernel adds a_offset to every activation byte it reads (128 for kernels that multiply
 * unsigned activations by signed weights: a + 128 is a's byte with the top bit flipped, and the
 * bias' above removes (zp_in + 128) * sum W again), so acc comes out as defined above.
 *
 * A microkernel never reads an A row or tap beyond its kc bytes (tails are loaded by masked
 * or partial loads), so rows may end anywhere in memory.
 *
 * The indirect GEMM (IGEMM) runs a convolution without an im2col copy: row i of A is `ks` taps
 * of kc bytes, tap t of row i at a + ind[i * ks + t], or the `zero` vector (kc bytes equal to
 * zp_in, which contribute nothing) where that entry is EMBER_IND_ZERO (a padding tap). */
#ifndef EMBER_UKERNELS_GEMM_QS8_H
#define EMBER_UKERNELS_GEMM_QS8_H

#include "kernels/kernels.h"
#include "ukernels/gemm.h"
#include "ukernels/requant_qs8.h"

#define EMBER_GEMM_QS8_NR 16

/* C[i][j] = requantize(acc[i][j]) for i < mr, j < nc; rows of A at a + i * a_stride (bytes),
   rows of C at c + i * c_stride. `w` points at the panel of column 0 of the tile. */
typedef void (*ember_gemm_qs8_fn)(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                  size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                  const ember_qs8_params *params);
/* The indirect form: ks taps of kc bytes per row, found through `ind` (row stride ks). */
typedef void (*ember_igemm_qs8_fn)(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const size_t *ind, const int8_t *a, const int8_t *zero,
                                   const void *w, int8_t *c, size_t c_stride,
                                   const ember_qs8_params *params);
/* The sums themselves, not requantized: C32[i][j] = acc[i][j] as int32 (rows c_stride int32
   apart). The hybrid kernels scale them to float. */
typedef void (*ember_gemm_qs8_i32_fn)(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                      size_t a_stride, const void *w, int32_t *c,
                                      size_t c_stride);

typedef struct ember_gemm_qs8_config {
    const char *name;   /* e.g. "gemm_qs8_4x16c4_avx512vnni", shown by `ember inspect` */
    uint32_t isa;       /* EMBER_ISA_* bits it needs */
    size_t mr;          /* rows per call */
    size_t kr;          /* k values per column group in the packed weights */
    int32_t a_offset;   /* added to each activation byte by the kernel (0 or 128) */
    ember_gemm_qs8_fn gemm;
    ember_igemm_qs8_fn igemm;
    ember_gemm_qs8_i32_fn gemm_i32;
} ember_gemm_qs8_config;

/* Bytes of packed weights for n columns, ks taps of kc rows each, in cfg's layout. */
size_t ember_gemm_qs8_packed_size(const ember_gemm_qs8_config *cfg, size_t n, size_t ks,
                                  size_t kc);
/* Packs W given as [n][ks * kc] (output-major: FULLY_CONNECTED, OHWI filters) with the
   bias (NULL: 0) and per-column multipliers mult[j], shift[j] (ember_quantize_multiplier's
   form; NULL when only gemm_i32 will run). False, nothing written, when a shift is above 31
   (requant_qs8.h): the op then keeps its reference loop. */
bool ember_pack_gemm_qs8(const ember_gemm_qs8_config *cfg, size_t n, size_t ks, size_t kc,
                         const int8_t *w, const int32_t *bias, int32_t zp_in,
                         const int32_t *mult, const int32_t *shift, void *packed);

/* The fastest configuration this CPU and the options allow, the portable one at worst; NULL
   under isa_mask EMBER_ISA_NONE: the op then runs its reference loop, the oracle. */
const ember_gemm_qs8_config *ember_gemm_qs8_select(const ember_context *ctx);
/* Every configuration built into the library, best first (for the tests and the harness). */
const ember_gemm_qs8_config *ember_gemm_qs8_configs(size_t *count);

/* The portable microkernels (csrc/ukernels/gemm_qs8_4x16c4_scalar.c): the last resort of
   ember_gemm_qs8_select and the oracle of the microkernel tests. kr 4, a_offset 0. */
void ember_gemm_qs8_4x16c4_scalar(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                  size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                  const ember_qs8_params *params);
void ember_igemm_qs8_4x16c4_scalar(size_t mr, size_t nc, size_t kc, size_t ks,
                                   const size_t *ind, const int8_t *a, const int8_t *zero,
                                   const void *w, int8_t *c, size_t c_stride,
                                   const ember_qs8_params *params);
void ember_gemm_qs8_i32_4x16c4_scalar(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                      size_t a_stride, const void *w, int32_t *c,
                                      size_t c_stride);

#if EMBER_HAVE_AVX2
/* One configuration's three entry points (the x86 kernels below). */
#define EMBER_GEMM_QS8_DECLARE(tile)                                                         \
    void ember_gemm_qs8_##tile(size_t mr, size_t nc, size_t kc, const int8_t *a,             \
                               size_t a_stride, const void *w, int8_t *c, size_t c_stride,   \
                               const ember_qs8_params *params);                              \
    void ember_igemm_qs8_##tile(size_t mr, size_t nc, size_t kc, size_t ks,                  \
                                const size_t *ind, const int8_t *a, const int8_t *zero,      \
                                const void *w, int8_t *c, size_t c_stride,                   \
                                const ember_qs8_params *params);                             \
    void ember_gemm_qs8_i32_##tile(size_t mr, size_t nc, size_t kc, const int8_t *a,         \
                                   size_t a_stride, const void *w, int32_t *c,               \
                                   size_t c_stride);
#endif
#if EMBER_HAVE_AVX512VNNI
/* x86-64 AVX-512 VNNI (ukernels/avx512vnni): vpdpbusd on 4 k at a time, 12 rows x 16 columns,
   one zmm accumulator per row; a_offset 128 (unsigned activations). */
EMBER_GEMM_QS8_DECLARE(12x16c4_avx512vnni)
#endif
#if EMBER_HAVE_AVX2
/* x86-64 AVX2 (ukernels/avx2): vpmaddwd on sign-extended int16, exact for any weight (the
   vpmaddubsw sign trick is not for -128); 3 rows x 16 columns, kr 4, a_offset 0. */
EMBER_GEMM_QS8_DECLARE(3x16c4_avx2)
#endif
#if EMBER_HAVE_NEON
/* Arm (ukernels/neon, neondot, neoni8mm): plain NEON 2x16c8 (smull + sadalp; aarch64, armv7),
   dotprod 4x16c4 (sdot by lane), i8mm 4x16c8 (smmla); a_offset 0. */
void ember_gemm_qs8_2x16c8_neon(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                const ember_qs8_params *params);
void ember_igemm_qs8_2x16c8_neon(size_t mr, size_t nc, size_t kc, size_t ks, const size_t *ind,
                                 const int8_t *a, const int8_t *zero, const void *w, int8_t *c,
                                 size_t c_stride, const ember_qs8_params *params);
void ember_gemm_qs8_i32_2x16c8_neon(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                    size_t a_stride, const void *w, int32_t *c,
                                    size_t c_stride);
#endif
#if EMBER_HAVE_NEONDOT
void ember_gemm_qs8_4x16c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                   size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                   const ember_qs8_params *params);
void ember_igemm_qs8_4x16c4_neondot(size_t mr, size_t nc, size_t kc, size_t ks,
                                    const size_t *ind, const int8_t *a, const int8_t *zero,
                                    const void *w, int8_t *c, size_t c_stride,
                                    const ember_qs8_params *params);
void ember_gemm_qs8_i32_4x16c4_neondot(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                       size_t a_stride, const void *w, int32_t *c,
                                       size_t c_stride);
#endif
#if EMBER_HAVE_NEONI8MM
void ember_gemm_qs8_4x16c8_neoni8mm(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                    size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                    const ember_qs8_params *params);
void ember_igemm_qs8_4x16c8_neoni8mm(size_t mr, size_t nc, size_t kc, size_t ks,
                                     const size_t *ind, const int8_t *a, const int8_t *zero,
                                     const void *w, int8_t *c, size_t c_stride,
                                     const ember_qs8_params *params);
void ember_gemm_qs8_i32_4x16c8_neoni8mm(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                        size_t a_stride, const void *w, int32_t *c,
                                        size_t c_stride);
#endif

#endif /* EMBER_UKERNELS_GEMM_QS8_H */
