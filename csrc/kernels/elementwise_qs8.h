/* Running the int8 element-wise microkernels (ukernels/vbinary_qs8.h, vunary_qs8.h) over a
   node's tensors: the broadcast's rows for ADD and MUL, one flat run for a table lookup, split
   into tiles over the threads when the output is large. Each output byte is computed alone, so
   the tiling never changes a result. */
#ifndef EMBER_KERNELS_ELEMENTWISE_QS8_H
#define EMBER_KERNELS_ELEMENTWISE_QS8_H

#include "kernels/broadcast.h"
#include "ukernels/vbinary_qs8.h"
#include "ukernels/vunary_qs8.h"

/* An int8 binary node's microkernels and parameters, with the parameters of the operands
   swapped for rows whose first operand repeats. */
typedef struct ember_binary_qs8 {
    const ember_vbinary_qs8_ops *ops; /* NULL: the op's reference loop */
    ember_vbinary_qs8_params p, swapped;
    /* Rows where one operand repeats a single value depend on the other's byte alone: long
       ones run as this lookup in a table the vs kernel fills for the 256 bytes. */
    const ember_vlut_qs8_config *lut;
} ember_binary_qs8;

/* Picks `op`'s microkernels for a node whose parameters were set up (ok: the params helper
   accepted them) and names them in node->variant; leaves k->ops NULL (the reference) under
   isa_mask EMBER_ISA_NONE or when !ok. */
void ember_binary_qs8_select(ember_context *ctx, ember_node *node, ember_vbinary_op op, bool ok,
                             ember_binary_qs8 *k);
void ember_binary_qs8_run(ember_context *ctx, const ember_broadcast *bc,
                          const ember_binary_qs8 *k, const int8_t *a, const int8_t *b,
                          int8_t *out);

/* out[i] = table[(uint8_t)in[i]] for i < n through `fn`, tiled over the threads. */
void ember_vlut_qs8_run(ember_context *ctx, ember_vlut_qs8_fn fn, size_t n, const int8_t *in,
                        int8_t *out, const int8_t *table);

#endif /* EMBER_KERNELS_ELEMENTWISE_QS8_H */
