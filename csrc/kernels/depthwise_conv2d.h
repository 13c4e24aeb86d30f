/* What DEPTHWISE_CONV2D's prepare derives (kernels/depthwise_conv2d.c) for its eval: the
   window, the quantization, and the plan of each fast path (float32, int8 and 16x8
   microkernels). */
#ifndef EMBER_KERNELS_DEPTHWISE_CONV2D_H
#define EMBER_KERNELS_DEPTHWISE_CONV2D_H

#include "kernels/conv_window.h"
#include "kernels/kernels.h"
#include "ukernels/dwconv.h"
#include "ukernels/dwconv_qs8.h"
#include "ukernels/dwconv_qs8_inplace.h"

struct depthwise_conv2d_data {
    struct conv_window win;
    int32_t multiplier;
    float act_lo, act_hi;
    uint8_t act_fn; /* EMBER_FUSED_ACTIVATION_SILU or _HARD_SWISH after the clamp, else NONE */
    /* float32 fast path with act_fn: the epilogue each row of output runs */
    struct ember_epilogue_f32 epilogue;
    int32_t batch, in_h, in_w, in_c;
    int32_t filter_h, filter_w;
    int32_t out_h, out_w, out_c;
    /* int8 and int16 (16x8) only: zero points, clamp range, per-output-channel multipliers */
    bool is_i8, is_i16;
    int32_t in_zp, out_zp, q_min, q_max;
    int32_t *mult, *shift;
    struct conv16x8 *fast16; /* int16: kernels/conv16x8.c's plan (NULL: the reference) */
    /* int8 on Cortex-M (armdsp, mve), bare metal included: the in-place kernel, which reads
       the filter and bias of the model and mult/shift above (NULL: see q8_cfg) */
    const ember_dwconv_qs8_inplace_config *inplace;
    /* int8 with multiplier 1 and constant weights, unless isa_mask is EMBER_ISA_NONE (else
       q8_cfg is NULL and the reference loop runs): the microkernel configuration,
       its geometry, the packed weights, the row of input zero points the padding reads (from
       prepare), and the tap pointers each thread's slice of scratch holds. */
    const ember_dwconv_qs8_config *q8_cfg;
    ember_dwconv_shape q8_shape;
    void *q8_packed;
    int8_t *q8_zp_row;
    size_t q8_ind_count;
    /* float32 with multiplier 1 and constant weights, unless isa_mask is EMBER_ISA_NONE (else
       f32_cfg is NULL and the reference loop runs): the microkernel configuration, its
       geometry, the packed weights and the zero buffer (from prepare), and the tap pointers
       each thread's slice of scratch holds. */
    const ember_dwconv_f32_config *f32_cfg;
    ember_dwconv_shape f32_shape;
    float *f32_packed, *f32_zero;
    size_t f32_ind_count;
};

#endif /* EMBER_KERNELS_DEPTHWISE_CONV2D_H */
