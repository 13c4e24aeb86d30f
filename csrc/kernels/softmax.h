/* What SOFTMAX and LOG_SOFTMAX share, defined in softmax.c: the reading and rules of their
   SoftmaxParams and the int8 input scaling (beta * s_in into Q5.26). Each op file keeps its
   own output rules and loops. */
#ifndef EMBER_KERNELS_SOFTMAX_H
#define EMBER_KERNELS_SOFTMAX_H

#include "ember_internal.h"
#include "ukernels/softmax.h"

/* Reads the axis and beta (finite) of the node's SoftmaxParams; `op` names the op. */
ember_status ember_softmax_read_params(ember_context *ctx, const ember_node *node,
                                       const char *op, int32_t *axis, float *beta);
/* The unary rules for the input's type (float32, or int8 with per-tensor quantization),
   SoftmaxParams and an axis within the input's rank; gives beta for the op's int8 rules. */
ember_status ember_softmax_check_params(ember_context *ctx, const ember_node *node,
                                        const char *op, float *beta);
/* beta * s_in * 2^26 as (mult, left_shift, diff_min); fails unless it is > 1, so that the
   left shift is non-negative as LiteRT needs. */
ember_status ember_softmax_input_scaling_read(ember_context *ctx, const ember_node *node,
                                              const char *op, float beta, int32_t *mult,
                                              int32_t *left_shift, int32_t *diff_min);

/* float32 rows of n contiguous values (the axis last), each by `fn` (a SOFTMAX or LOG_SOFTMAX
   row microkernel), split over the threads by rows. */
void ember_softmax_f32_fast(ember_context *ctx, ember_softmax_row_fn fn, const float *in,
                            float *out, size_t rows, size_t n, float beta);

#endif /* EMBER_KERNELS_SOFTMAX_H */
