/* What CONV2D's prepare derives (kernels/conv2d.c) for its eval: the window, the
   quantization, and the plan of each fast path (the float32 and int8 GEMMs, 16x8, hybrid). */
#ifndef EMBER_KERNELS_CONV2D_H
#define EMBER_KERNELS_CONV2D_H

#include "kernels/conv_gemm.h"
#include "kernels/conv_gemm_qs8.h"
#include "kernels/conv_window.h"
#include "kernels/kernels.h"
#include "ukernels/conv_qs8_inplace.h"

struct conv2d_data {
    struct conv_window win;
    int32_t groups;
    float act_lo, act_hi;
    uint8_t act_fn;    /* EMBER_FUSED_ACTIVATION_SILU or _HARD_SWISH after the clamp, else NONE */
    bool has_residual; /* float32: input 3, added before the activation */
    /* float32 input with an int8 filter (dynamic range computing in int8): the plan of
       kernels/hybrid_gemm.c, else NULL */
    struct ember_hybrid *hybrid;
    /* float32 GEMM path with a residual or act_fn: the epilogue each tile runs (gemm.epilogue
       points here; the microkernels then clamp to +-inf only) */
    struct ember_epilogue_f32 epilogue;
    int32_t batch, in_h, in_w, in_c;
    int32_t filter_h, filter_w;
    int32_t out_h, out_w, out_c;
    /* float32 with a constant filter: the packed GEMM plan (gemm.cfg NULL: the reference) */
    struct conv_gemm gemm;
    /* int8 and int16 (16x8) only: zero points, clamp range, per-output-channel multipliers */
    bool is_i8, is_i16;
    int32_t in_zp, out_zp, q_min, q_max;
    int32_t *mult, *shift;
    struct conv16x8 *fast16; /* int16: kernels/conv16x8.c's plan (NULL: the reference) */
    /* int8 with a constant filter and bias, one group: the packed int8 GEMM plan
       (qgemm.cfg NULL: the reference loop) */
    struct conv_gemm_qs8 qgemm;
    /* int8 on Cortex-M: the in-place microkernel (ukernels/conv_qs8_inplace.h), else NULL */
    ember_conv_qs8_fn mcu;
};

#endif /* EMBER_KERNELS_CONV2D_H */
