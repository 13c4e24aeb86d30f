/* int8 element-wise binary microkernels: the inner loops of int8 ADD and MUL (csrc/kernels/),
 * one layer below the ops, byte-identical to LiteRT's reference kernels
 * (docs/int8-arithmetic.md, section 4).
 *
 * A microkernel writes n outputs from a and b, where b runs along the row (vv) or repeats its
 * one value b[0] (vs); a repeated a is the vs form with the operands and their parameters
 * swapped (both ops are symmetric in their operands, int32 sums and products commute). out may
 * be the same array as a or b but never partly overlap; any alignment, any n (0 included).
 *
 * ADD: each input moves to the common scale, r = RDBPOT(SRDHM((q - zp) * 2^20, m), rshift)
 *   (its multiplier is at most 1/2, so it never shifts left), and
 *   out = clamp(MBQM(r_a + r_b, mult, -rshift) + out_zp). With |q - zp| <= 255 the high
 *   multiply SRDHM(d * 2^20, m) = floor((d * 2^20 * m + 2^30) / 2^31) (requant_qs8.h) equals
 *   floor((d * m + 2^10) / 2^11) = d * m_hi + ((d * m_lo + 2^10) >> 11) with
 *   m = m_hi * 2^11 + m_lo: two int32 products, no 64-bit arithmetic.
 * MUL: out = clamp(MBQM((q_a - zp_a) * (q_b - zp_b), mult, shift) + out_zp), the product
 *   within +-65025. */
#ifndef EMBER_UKERNELS_VBINARY_QS8_H
#define EMBER_UKERNELS_VBINARY_QS8_H

#include "kernels/kernels.h"
#include "ukernels/requant_qs8.h"
#include "ukernels/vbinary.h" /* ember_vbinary_op */

/* Both ops' parameters; the a_* and b_* fields of ADD's input rescales are unused by MUL. */
typedef struct ember_vbinary_qs8_params {
    int32_t a_zp, b_zp;
    int32_t a_mult, a_rshift, b_mult, b_rshift; /* ADD: each input's multiplier */
    int32_t a_mhi, a_mlo, b_mhi, b_mlo;         /* ADD: the same split at bit 11 */
    int32_t mult, lshift, rshift;               /* the output multiplier (requant_qs8.h) */
    ember_qs8_params out;
} ember_vbinary_qs8_params;

typedef void (*ember_vbinary_qs8_fn)(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                                     const ember_vbinary_qs8_params *p);

typedef struct ember_vbinary_qs8_ops {
    const char *name; /* e.g. "vbinary_qs8_add_avx2", shown by `ember inspect` */
    uint32_t isa;     /* EMBER_ISA_* bits it needs */
    ember_vbinary_qs8_fn vv, vs;
} ember_vbinary_qs8_ops;

/* ADD's parameters from LiteRT's (ember_add_i8_params' multipliers and shifts); false when
   a shift is outside what the microkernels take (an input shift > 0 or an output shift
   outside [-31, 0]): the op then keeps its reference loop. */
bool ember_vbinary_qs8_add_params(int32_t a_zp, int32_t a_mult, int32_t a_shift, int32_t b_zp,
                                  int32_t b_mult, int32_t b_shift, int32_t mult, int32_t shift,
                                  const ember_qs8_params *out, ember_vbinary_qs8_params *p);
/* MUL's; false when the shift is > 31 (see ember_qs8_split_shift). */
bool ember_vbinary_qs8_mul_params(int32_t a_zp, int32_t b_zp, int32_t mult, int32_t shift,
                                  const ember_qs8_params *out, ember_vbinary_qs8_params *p);
/* p with the operands swapped: a repeated a runs as the vs form of (b, a). */
void ember_vbinary_qs8_swap(const ember_vbinary_qs8_params *p, ember_vbinary_qs8_params *swapped);

/* The fastest usable kernels for `op` (EMBER_VBINARY_ADD or EMBER_VBINARY_MUL), the portable
   ones at worst; NULL under ember_reference_only (the op runs its reference loop), except for
   the Cortex-M kernels (armdsp, mve), which keep nothing in memory and ask for no scratch and
   so are picked on bare-metal builds too. */
const ember_vbinary_qs8_ops *ember_vbinary_qs8_select(const ember_context *ctx,
                                                      ember_vbinary_op op);
/* Every configuration of `op`, best first (for the tests); NULL with count 0 for other ops. */
const ember_vbinary_qs8_ops *ember_vbinary_qs8_configs(ember_vbinary_op op, size_t *count);

/* The input rescale of ADD in scalar form (the model of the vector forms). */
static inline int32_t ember_vbinary_qs8_rescale(int32_t d, int32_t mhi, int32_t mlo,
                                                int32_t rshift) {
    const int32_t high = d * mhi + ((d * mlo + (1 << 10)) >> 11);
    const int32_t mask = (int32_t)((UINT32_C(1) << rshift) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> rshift) + ((high & mask) > threshold ? 1 : 0);
}

void ember_vadd_qs8_vv_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p);
void ember_vadd_qs8_vs_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vv_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vs_scalar(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p);

#if EMBER_HAVE_AVX2
void ember_vadd_qs8_vv_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
void ember_vadd_qs8_vs_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vv_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vs_avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
#endif

#if EMBER_HAVE_AVX512F
void ember_vadd_qs8_vv_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p);
void ember_vadd_qs8_vs_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vv_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vs_avx512f(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                               const ember_vbinary_qs8_params *p);
#endif

#if EMBER_HAVE_NEON
void ember_vadd_qs8_vv_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
void ember_vadd_qs8_vs_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vv_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
void ember_vmul_qs8_vs_neon(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                            const ember_vbinary_qs8_params *p);
#endif

#if EMBER_HAVE_ARMDSP
/* Cortex-M DSP extension (csrc/ukernels/armdsp/vbinary_qs8_add_armdsp.c): ADD only. */
void ember_vadd_qs8_vv_armdsp(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p);
void ember_vadd_qs8_vs_armdsp(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                              const ember_vbinary_qs8_params *p);
#endif

#if EMBER_HAVE_MVE
/* Cortex-M55 Helium (csrc/ukernels/mve/vbinary_qs8_add_mve.c): ADD only. */
void ember_vadd_qs8_vv_mve(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                           const ember_vbinary_qs8_params *p);
void ember_vadd_qs8_vs_mve(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                           const ember_vbinary_qs8_params *p);
#endif

#endif /* EMBER_UKERNELS_VBINARY_QS8_H */
