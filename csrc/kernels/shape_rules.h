/* Shape rules of the ops whose outputs follow their inputs in an op-specific way; each lives
   in its op's file beside check, prepare and eval. The table is csrc/kernels/shape_rules.c. */
#ifndef EMBER_SHAPE_RULES_H
#define EMBER_SHAPE_RULES_H

#include "ember_internal.h"

ember_status ember_shape_conv2d(ember_context *ctx, const ember_node *node);
ember_status ember_shape_depthwise_conv2d(ember_context *ctx, const ember_node *node);
ember_status ember_shape_transpose_conv2d(ember_context *ctx, const ember_node *node);
ember_status ember_shape_max_pool2d(ember_context *ctx, const ember_node *node);
ember_status ember_shape_average_pool2d(ember_context *ctx, const ember_node *node);
ember_status ember_shape_fully_connected(ember_context *ctx, const ember_node *node);
ember_status ember_shape_batch_matmul(ember_context *ctx, const ember_node *node);
ember_status ember_shape_reduce(ember_context *ctx, const ember_node *node);
ember_status ember_shape_reshape(ember_context *ctx, const ember_node *node);
ember_status ember_shape_transpose(ember_context *ctx, const ember_node *node);
ember_status ember_shape_concatenation(ember_context *ctx, const ember_node *node);
ember_status ember_shape_split(ember_context *ctx, const ember_node *node);
ember_status ember_shape_slice(ember_context *ctx, const ember_node *node);
ember_status ember_shape_pad(ember_context *ctx, const ember_node *node);
ember_status ember_shape_gather(ember_context *ctx, const ember_node *node);
ember_status ember_shape_gather_nd(ember_context *ctx, const ember_node *node);
ember_status ember_shape_resize(ember_context *ctx, const ember_node *node);
ember_status ember_shape_arg(ember_context *ctx, const ember_node *node);
ember_status ember_shape_top_k(ember_context *ctx, const ember_node *node);
ember_status ember_shape_one_hot(ember_context *ctx, const ember_node *node);
ember_status ember_shape_grid_sample(ember_context *ctx, const ember_node *node);

/* The output keeps input 0's shape (element-wise unary ops, softmax, casts, quantization). */
ember_status ember_shape_same(ember_context *ctx, const ember_node *node);
/* The output is numpy's broadcast of every input. */
ember_status ember_shape_broadcast(ember_context *ctx, const ember_node *node);

/* Input 0's shape without the `reduced` dims, or with them as 1 when the output keeps the
   input's rank (the reductions and ARG_MAX/ARG_MIN). */
ember_status ember_shape_reduced(ember_context *ctx, const ember_node *node,
                                 const bool *reduced);

/* The node's input i, or a failure naming the node when it is absent. */
ember_status ember_shape_input(ember_context *ctx, const ember_node *node, uint32_t i,
                               const ember_tensor **out);

#endif /* EMBER_SHAPE_RULES_H */
