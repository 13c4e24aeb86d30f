/* Hybrid CONV2D and FULLY_CONNECTED (dynamic-range models converted with compute="int8"):
   float32 input and output, int8 weights quantized per output channel (zero points 0), a
   float32 bias; LiteRT's hybrid kernels with asymmetric_quantize_inputs.

   Per invoke, each image of a convolution's input (each row of a fully connected input) is
   quantized to int8 with its own scale and zero point (ukernels/hybrid_qs8.h) into scratch;
   the int32 sums sum_k q[k] * w[k][c] come from the int8 GEMM (ukernels/gemm_qs8.h, weights
   packed at prepare); then
       out = clamp(float(sum - zp * sum_k w[k][c]) * (in_scale * w_scale[c]) + bias[c])
   and the fused epilogue (a residual, SILU, HARD_SWISH) as the float32 ops run it.

   The reference (isa_mask EMBER_ISA_NONE) runs the same arithmetic in plain loops; the int32
   sums are exact and the float steps the same, so the fast path gives the same bits (with
   SILU or HARD_SWISH, its epilogue is the float32 ops' fast one: within their bound). */
#ifndef EMBER_KERNELS_HYBRID_GEMM_H
#define EMBER_KERNELS_HYBRID_GEMM_H

#include "kernels/conv_window.h"
#include "kernels/epilogue.h"
#include "kernels/kernels.h"

struct ember_hybrid;

/* The longest sum: |q - zp| <= 255 and |w| <= 127, so 255 x 127 x K must fit in int32 for
   the int32 sums to be the exact ones (the converter keeps longer sums dequantized at load). */
#define EMBER_HYBRID_MAX_K 66311u

/* What the op's prepare knows about the node. A convolution gives its window (groups 1); a
   fully connected node gives window NULL and rows. */
struct ember_hybrid_shape {
    const struct conv_window *win; /* NULL: FULLY_CONNECTED */
    int32_t batch, in_h, in_w, in_c, filter_h, filter_w, out_h, out_w;
    size_t rows, n, k;             /* FULLY_CONNECTED: rows of the input, units, depth */
    uint8_t act_fn;                /* EMBER_FUSED_ACTIVATION_SILU, _HARD_SWISH or _NONE */
    float act_lo, act_hi;
    bool has_residual;
    int32_t groups;                /* 1 (fully connected: 1) */
};

/* Whether a node with this input and weights runs hybrid: float32 input, int8 weights. */
static inline bool ember_hybrid_is(const ember_tensor *in, const ember_tensor *weights) {
    return in->type == EMBER_TYPE_FLOAT32 && weights->type == EMBER_TYPE_INT8;
}

/* conv_tensors_read, which also accepts the hybrid form: float32 input and output (and bias),
   a constant int8 filter with one scale or one per output channel and zero points 0. */
ember_status ember_hybrid_conv_tensors_read(ember_context *ctx, const ember_node *node,
                                            const char *op, struct conv_tensors *t);
/* The weights of a hybrid node: constant, int8, per-tensor or per output channel (`axis`,
   `channels`), zero points 0. */
ember_status ember_hybrid_check_weights(ember_context *ctx, const ember_node *node,
                                        const char *op, const ember_tensor *w, uint32_t axis,
                                        int32_t channels);
/* Packs the weights, sums their columns, picks the microkernels (or the reference under
   ISA_NONE), builds a convolution's gather plan and asks for scratch. *out lives as long as
   the node. `w` is [n][k] (OHWI filters, FC weights), `bias` float32 or NULL. */
ember_status ember_hybrid_prepare(ember_context *ctx, ember_node *node, const char *op,
                                  const struct ember_hybrid_shape *s, const ember_tensor *w,
                                  const ember_tensor *bias, struct ember_hybrid **out);
/* Runs the node: `residual` (the output's shape) may be NULL. Allocates nothing. */
void ember_hybrid_run(ember_context *ctx, const struct ember_hybrid *h, const float *in,
                      const float *residual, float *out);

#endif /* EMBER_KERNELS_HYBRID_GEMM_H */
