/* LOOKUP_TABLE (format 6): y = table[x's byte], int8 in and out, the table a constant int8
   input of 256 entries. The converter makes it of a chain of int8 element-wise ops whose
   result depends on one input byte (SIGMOID then MUL by the sigmoid's own input: x *
   sigmoid(x)), computing the table with those ops' own kernels, so the lookup gives their
   bytes. SIGMOID and TANH share the int8 prepare and eval below: theirs is the same lookup
   in a table the converter built. Node data: the vectorised lookup (ukernels/vunary_qs8.h),
   or NULL for the reference loop. */
#include "ember_internal.h"
#include "kernels/elementwise_qs8.h"
#include "kernels/unary.h"

static ember_status lookup_table_check(ember_context *ctx, const ember_node *node) {
    return ember_unary_check_table_i8(ctx, node, "lookup_table");
}

static void lookup_i8_ref(const int8_t *in, int8_t *out, size_t n, const int8_t *table) {
    for (size_t i = 0; i < n; i++)
        out[i] = table[(uint8_t)in[i]];
}

ember_status ember_table_i8_prepare(ember_context *ctx, ember_node *node) {
    const ember_vlut_qs8_config *lut = ember_vlut_qs8_select(ctx);
    node->data = (void *)lut;
    node->variant = lut != NULL ? lut->name : NULL;
    return EMBER_STATUS_OK;
}

ember_status ember_table_i8_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    const int8_t *table = ember_input(ctx, node, 1)->data;
    int8_t *out = ember_output(ctx, node, 0)->data;
    const ember_vlut_qs8_config *lut = node->data;
    if (lut != NULL)
        ember_vlut_qs8_run(ctx, lut->fn, in->count, in->data, out, table);
    else
        lookup_i8_ref(in->data, out, in->count, table);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_lookup_table = {
    EMBER_OP_LOOKUP_TABLE, "lookup_table", lookup_table_check, ember_table_i8_prepare,
    ember_table_i8_eval,
};
