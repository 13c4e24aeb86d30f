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

/* An int8 unary op whose output depends on the input byte alone: the vectorised lookup
   (NULL: the op's reference loop) in the table of the reference's result for every byte,
   built at prepare, so exact by construction. */
typedef struct ember_lut_qs8 {
    const ember_vlut_qs8_config *lut;
    int8_t table[256];
} ember_lut_qs8;

/* Picks the lookup (none under isa_mask EMBER_ISA_NONE) and names it in node->variant; when
   there is one, sets bytes[v] = (int8_t)v, the inputs in table order, for the op to run its
   reference loop on into l->table, and returns true. */
bool ember_lut_qs8_begin(ember_context *ctx, ember_node *node, ember_lut_qs8 *l,
                         int8_t bytes[256]);
/* Runs the lookup from the node's input 0 to its output 0; false when there is none. */
bool ember_lut_qs8_eval(ember_context *ctx, const ember_node *node, const ember_lut_qs8 *l);

#endif /* EMBER_KERNELS_ELEMENTWISE_QS8_H */
