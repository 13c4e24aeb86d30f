/* The skeleton shared by the element-wise unary ops (relu, relu6, clamp, leaky_relu, sigmoid,
   tanh, hard_sigmoid, hard_swish): same-shape float32 in and out, and an eval that calls the
   op's loop chosen in prepare; and the checks of their int8 forms. Each op file keeps its own
   params rules and loops. */
#ifndef EMBER_KERNELS_UNARY_H
#define EMBER_KERNELS_UNARY_H

#include "ember_internal.h"
#include "ukernels/vunary.h" /* ember_unary_params, ember_unary_f32 */

/* Entries of an int8 lookup table: one per input byte. */
#define EMBER_I8_TABLE_SIZE 256

typedef struct ember_unary_data {
    ember_unary_f32 fn;
    ember_unary_params p;
    bool tiled; /* fn is a microkernel: large tensors are split over the threads */
} ember_unary_data;

/* Arity 1 -> 1, params of union type `params_type` (0: none), float32 in and out of the same
   shape, and in-place only as an exact alias. */
ember_status ember_unary_check(ember_context *ctx, const ember_node *node, const char *op,
                               uint8_t params_type);
/* ember_unary_check with input 0 and the output of `type` (EMBER_TYPE_*), unquantized unless
   int8: for the plain INT32 and INT64 forms of ABS, NEG and SIGN. */
ember_status ember_unary_check_type(ember_context *ctx, const ember_node *node, const char *op,
                                    uint8_t params_type, uint8_t type);
/* Whether the node's input 0 is an int8 tensor (its int8 form applies). */
bool ember_unary_is_i8(ember_context *ctx, const ember_node *node);
/* The int8 form of ember_unary_check: int8 in and out, each with one scale and zero point. */
ember_status ember_unary_check_i8(ember_context *ctx, const ember_node *node, const char *op,
                                  uint8_t params_type);
/* An int8 op computed by a table lookup (sigmoid, tanh): no params, 2 inputs, input 1 a
   constant int8 table of 256 entries that the converter built (entry i is the output for the
   input byte i, i.e. the int8 value (int8_t)i), int8 in and out as ember_unary_check_i8. */
ember_status ember_unary_check_table_i8(ember_context *ctx, const ember_node *node,
                                        const char *op);
/* The int8 table lookup of LOOKUP_TABLE, SIGMOID and TANH (csrc/kernels/lookup_table.c):
   prepare picks the vectorised lookup (NULL under isa_mask EMBER_ISA_NONE: the reference
   loop), eval looks every input byte up in input 1. */
ember_status ember_table_i8_prepare(ember_context *ctx, ember_node *node);
ember_status ember_table_i8_eval(ember_context *ctx, const ember_node *node);
/* Fills node->data with an ember_unary_data holding `fn` and `p`. */
ember_status ember_unary_prepare(ember_context *ctx, ember_node *node, ember_unary_f32 fn,
                                 ember_unary_params p);
/* The same with a microkernel when the options allow one (csrc/ukernels/vunary.h, `op` run
   with `fast_p`, named in node->variant); under isa_mask EMBER_ISA_NONE the reference `ref`
   with `p`. */
ember_status ember_unary_prepare_fast(ember_context *ctx, ember_node *node, ember_unary_f32 ref,
                                      ember_unary_params p, ember_vunary_op op,
                                      ember_unary_params fast_p);
ember_status ember_unary_eval(ember_context *ctx, const ember_node *node);

/* Reads float field `slot` of the node's params (default `def`) and checks that it is finite
   (or, with allow_inf, not NaN); `field` names it in the message. */
ember_status ember_unary_param_f32(ember_context *ctx, const ember_node *node, const char *op,
                                   uint32_t slot, float def, const char *field, bool allow_inf,
                                   float *out);

#endif /* EMBER_KERNELS_UNARY_H */
