/* The skeleton shared by the float element-wise unary ops (relu, relu6, clamp, leaky_relu,
   sigmoid, tanh, hard_sigmoid, hard_swish): same-shape float32 in and out, and an eval that
   calls the op's loop chosen in prepare. Each op file keeps its own params rules and loop. */
#ifndef EMBER_KERNELS_UNARY_H
#define EMBER_KERNELS_UNARY_H

#include "ember_internal.h"
#include "kernels/broadcast.h" /* ember_clamp_f32, ember_check_inplace */

/* Up to two constants an op reads from its params (clamp's bounds, leaky_relu's alpha...). */
typedef struct ember_unary_params {
    float a, b;
} ember_unary_params;

/* out[i] = f(in[i]) for i < n; out may be the same array as in. */
typedef void (*ember_unary_f32)(const float *in, float *out, size_t n,
                                const ember_unary_params *p);

typedef struct ember_unary_data {
    ember_unary_f32 fn;
    ember_unary_params p;
} ember_unary_data;

/* Arity 1 -> 1, params of union type `params_type` (0: none), float32 in and out of the same
   shape, and in-place only as an exact alias. */
ember_status ember_unary_check(ember_context *ctx, const ember_node *node, const char *op,
                               uint8_t params_type);
/* The same with element type `type` (EMBER_TYPE_INT8 for an op's int8 path) in and out. */
ember_status ember_unary_check_type(ember_context *ctx, const ember_node *node, const char *op,
                                    uint8_t params_type, uint8_t type);
/* Fills node->data with an ember_unary_data holding `fn` and `p`. */
ember_status ember_unary_prepare(ember_context *ctx, ember_node *node, ember_unary_f32 fn,
                                 ember_unary_params p);
ember_status ember_unary_eval(ember_context *ctx, const ember_node *node);

/* Reads float field `slot` of the node's params (default `def`) and checks that it is finite
   (or, with allow_inf, not NaN); `field` names it in the message. */
ember_status ember_unary_param_f32(ember_context *ctx, const ember_node *node, const char *op,
                                   uint32_t slot, float def, const char *field, bool allow_inf,
                                   float *out);

#endif /* EMBER_KERNELS_UNARY_H */
