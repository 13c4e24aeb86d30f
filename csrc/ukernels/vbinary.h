/* float32 element-wise binary microkernels: the inner loops of ADD, SUB, MUL, DIV, MAXIMUM,
 * MINIMUM and PRELU (csrc/kernels/), one layer below the ops.
 *
 * A microkernel computes n outputs out[i] = clamp(a[i] OP b[i], min, max) where, by its form,
 * both operands run along the row (vv), b repeats its one value b[0] (vs), or a repeats a[0]
 * (sv). The broadcast walker (kernels/broadcast.h) hands it the contiguous inner rows of any
 * numpy broadcast. out may be the same array as a or b (in place) but never partly overlap;
 * no alignment is assumed and any n, 0 included, is allowed.
 *
 * Every variant computes each output with the reference's one IEEE operation (+, -, *, / are
 * correctly rounded; no FMA) and the reference's comparisons, so results are bit-identical to
 * the ops' reference loops, NaN and -0 included; only the bits of a NaN's payload may differ
 * when both operands are NaN. MAXIMUM and MINIMUM ignore the clamp (callers pass -inf, +inf),
 * PRELU is out = a < 0 ? b * a : a and has no sv form (its input never broadcasts). */
#ifndef EMBER_UKERNELS_VBINARY_H
#define EMBER_UKERNELS_VBINARY_H

#include "ukernels/gemm.h" /* ember_minmax_f32 */

typedef void (*ember_vbinary_f32_fn)(size_t n, const float *a, const float *b, float *out,
                                     const ember_minmax_f32 *clamp);

/* One op's three forms on one ISA; sv may be NULL (the walker then uses the reference). */
typedef struct ember_vbinary_f32_ops {
    const char *name; /* e.g. "vbinary_f32_add_avx2", shown by `ember inspect` */
    uint32_t isa;     /* EMBER_ISA_* bits it needs */
    ember_vbinary_f32_fn vv, vs, sv;
} ember_vbinary_f32_ops;

typedef enum ember_vbinary_op {
    EMBER_VBINARY_ADD,
    EMBER_VBINARY_SUB,
    EMBER_VBINARY_MUL,
    EMBER_VBINARY_DIV,
    EMBER_VBINARY_MAXIMUM,
    EMBER_VBINARY_MINIMUM,
    EMBER_VBINARY_PRELU,
    EMBER_VBINARY_COUNT
} ember_vbinary_op;

/* The fastest usable kernels for `op`, the portable ones at worst; NULL under isa_mask
   EMBER_ISA_NONE (the op then runs its reference loop, the oracle). */
const ember_vbinary_f32_ops *ember_vbinary_f32_select(const ember_context *ctx,
                                                      ember_vbinary_op op);
/* Every configuration of `op`, best first (for the tests). */
const ember_vbinary_f32_ops *ember_vbinary_f32_configs(ember_vbinary_op op, size_t *count);

/* Portable C (any target). */
void ember_vadd_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vadd_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vadd_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vsub_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vsub_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vsub_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmul_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmul_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmul_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vdiv_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vdiv_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vdiv_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmax_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmax_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmax_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmin_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmin_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vmin_f32_sv_scalar(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vprelu_f32_vv_scalar(size_t n, const float *a, const float *b, float *out,
                                const ember_minmax_f32 *clamp);
void ember_vprelu_f32_vs_scalar(size_t n, const float *a, const float *b, float *out,
                                const ember_minmax_f32 *clamp);

#if EMBER_HAVE_AVX2
void ember_vadd_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vadd_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vadd_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vsub_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vsub_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vsub_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmul_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmul_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmul_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vdiv_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vdiv_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vdiv_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmax_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmax_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmax_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmin_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmin_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmin_f32_sv_avx2(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vprelu_f32_vv_avx2(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vprelu_f32_vs_avx2(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
#endif

#if EMBER_HAVE_NEON
void ember_vadd_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vadd_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vadd_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vsub_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vsub_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vsub_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmul_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmul_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmul_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmax_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmax_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmax_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmin_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmin_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vmin_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vprelu_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
void ember_vprelu_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                              const ember_minmax_f32 *clamp);
#if defined(__aarch64__) /* armv7 NEON has no vector divide */
void ember_vdiv_f32_vv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vdiv_f32_vs_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
void ember_vdiv_f32_sv_neon(size_t n, const float *a, const float *b, float *out,
                            const ember_minmax_f32 *clamp);
#endif
#endif

#endif /* EMBER_UKERNELS_VBINARY_H */
