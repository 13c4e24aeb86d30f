/* The fast 16x8 paths of CONV2D, DEPTHWISE_CONV2D and FULLY_CONNECTED (kernels/conv16x8.c):
   int16 activations times constant int8 weights packed at prepare for the 16x8 microkernels
   (ukernels/gemm_qs16x8.h), whose exact int64 sums are requantized as each op's reference
   loop does it, so the output bytes are the reference's for any thread count.

   Each op's prepare calls its conv16x8_*_prepare once (it also derives the op's int16
   multipliers); the plan is left NULL, and eval runs the op's reference loop, under isa_mask
   EMBER_ISA_NONE and for the cases the microkernels do not cover (a grouped convolution, a
   depth multiplier above 1, weights or bias computed at run time, empty tensors). */
#ifndef EMBER_KERNELS_CONV16X8_H
#define EMBER_KERNELS_CONV16X8_H

#include "kernels/kernels.h"

struct conv2d_data;
struct depthwise_conv2d_data;
struct fully_connected_data;
struct conv16x8;

/* Derive the op's int16 multipliers and, when a microkernel applies, set *plan (else NULL). */
ember_status conv16x8_conv2d_prepare(ember_context *ctx, ember_node *node,
                                     struct conv2d_data *d, struct conv16x8 **plan);
ember_status conv16x8_depthwise_prepare(ember_context *ctx, ember_node *node,
                                        struct depthwise_conv2d_data *d,
                                        struct conv16x8 **plan);
ember_status conv16x8_fully_connected_prepare(ember_context *ctx, ember_node *node,
                                              struct fully_connected_data *d,
                                              struct conv16x8 **plan);
/* Computes the node's whole int16 output from its int16 input with the plan. */
void conv16x8_run(ember_context *ctx, const struct conv16x8 *plan, const int16_t *input,
                  int16_t *output);

#endif /* EMBER_KERNELS_CONV16X8_H */
