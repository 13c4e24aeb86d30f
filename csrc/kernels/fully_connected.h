/* What FULLY_CONNECTED's prepare derives (kernels/fully_connected.c) and its int8
   requantization, shared by the reference loop and the int8 GEMM path. */
#ifndef EMBER_KERNELS_FULLY_CONNECTED_H
#define EMBER_KERNELS_FULLY_CONNECTED_H

#include <math.h>

#include "kernels/conv_gemm.h"
#include "kernels/conv_gemm_qs8.h"
#include "kernels/kernels.h"
#include "ukernels/conv_qs8_inplace.h"

struct fully_connected_data {
    size_t rows;   /* M: product of the input's leading dims */
    size_t depth;  /* K */
    size_t units;  /* N */
    float act_lo, act_hi;
    /* float32: the activation (SILU, HARD_SWISH or a clamp) and, on the GEMM path with SILU or
       HARD_SWISH, the microkernels gemm.epilogue runs */
    struct ember_epilogue_f32 epilogue;
    /* float32 with constant weights: the packed GEMM plan (gemm.cfg NULL: the reference) */
    struct conv_gemm gemm;
    /* float32 input with int8 weights (dynamic range computing in int8): the plan of
       kernels/hybrid_gemm.c, else NULL */
    struct ember_hybrid *hybrid;
    /* int8 and int16 (16x8) only: zero points, clamp range, per-unit real multipliers */
    bool is_i8, is_i16;
    int32_t in_zp, out_zp, q_min, q_max;
    double *scale;
    struct conv16x8 *fast16; /* int16: kernels/conv16x8.c's plan (NULL: the reference) */
    /* int8 with constant weights and bias: the int8 GEMM plan, whose int32 sums
       fully_connected_requantize_i8 finishes (qgemm.cfg NULL: the reference loop) */
    struct conv_gemm_qs8 qgemm;
    /* int8 on Cortex-M: the in-place microkernel (ukernels/conv_qs8_inplace.h), else NULL */
    ember_fc_qs8_fn mcu;
};

/* Unit n's int8 output from its wrapped int32 sum `acc` (bias included): LiteRT's double
   requantization, acc x real multiplier rounded half away from zero. */
static inline int8_t fully_connected_requantize_i8(const struct fully_connected_data *d,
                                                   uint32_t acc, size_t n) {
    /* Saturated before the conversion so huge multipliers stay defined. */
    double v = round((double)(int32_t)acc * d->scale[n]);
    v = v < -65536.0 ? -65536.0 : v > 65536.0 ? 65536.0 : v;
    int32_t q = (int32_t)v + d->out_zp;
    q = ember_clamp_i32(q, d->q_min, d->q_max);
    return (int8_t)q;
}

#endif /* EMBER_KERNELS_FULLY_CONNECTED_H */
