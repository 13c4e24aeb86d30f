/* The fast 16x8 paths of CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED (kernels/conv16x8.c):
   int16 activations times constant int8 weights packed at prepare for the 16x8 microkernels
   (ukernels/gemm_qs16x8.h), whose exact int64 sums are requantized as each op's reference
   loop does it, so the output bytes are the reference's for any thread count.

   Each op's prepare derives its int16 multipliers, selects a microkernel configuration and
   hands both here; the plan stays NULL, and eval runs the op's reference loop, under isa_mask
   EMBER_ISA_NONE (a NULL configuration) and for the cases the microkernels do not cover
   (weights or bias computed at run time, empty tensors; the op files keep grouped
   convolutions and depth multipliers above 1 on the reference). */
#ifndef EMBER_KERNELS_CONV16X8_H
#define EMBER_KERNELS_CONV16X8_H

#include "kernels/kernels.h"
#include "ukernels/gemm_qs16x8.h"

struct conv_window;
struct conv16x8;

/* A convolution's geometry (one group; depthwise: in_c == out_c) and requantization: per
   output channel ember_requantize_i16 with mult[c], shift[c], clamped to [q_min, q_max]. */
struct conv16x8_conv {
    const struct conv_window *win;
    int32_t batch, in_h, in_w, in_c, filter_h, filter_w, out_h, out_w, out_c;
    const int32_t *mult, *shift;
    int32_t q_min, q_max;
};

/* FULLY_CONNECTED: rows x depth times depth x units, requantized per unit in double as
   LiteRT's reference does (scale[n] the real multiplier). */
struct conv16x8_fc {
    size_t rows, depth, units;
    const double *scale;
    int32_t q_min, q_max;
};

/* Each sets *plan when cfg is not NULL and the node's weights (input 1) and bias (input 2,
   optional) are constant, else leaves it NULL. */
ember_status conv16x8_conv2d_prepare(ember_context *ctx, ember_node *node,
                                     const ember_gemm_qs16x8_config *cfg,
                                     const struct conv16x8_conv *c, struct conv16x8 **plan);
ember_status conv16x8_depthwise_prepare(ember_context *ctx, ember_node *node,
                                        const ember_dwconv_qs16x8_config *cfg,
                                        const struct conv16x8_conv *c, struct conv16x8 **plan);
ember_status conv16x8_fully_connected_prepare(ember_context *ctx, ember_node *node,
                                              const ember_gemm_qs16x8_config *cfg,
                                              const struct conv16x8_fc *f,
                                              struct conv16x8 **plan);
/* Computes the node's whole int16 output from its int16 input with the plan. */
void conv16x8_run(ember_context *ctx, const struct conv16x8 *plan, const int16_t *input,
                  int16_t *output);

#endif /* EMBER_KERNELS_CONV16X8_H */
