/* RESHAPE: the same elements under the output's shape. When the memory planner places the
   output on the input's bytes there is nothing to do. */
#include <string.h>

#include "ember_internal.h"
#include "kernels/quant.h"

/* A TFLite-style second input (the target shape, INT32 or INT64) is accepted and ignored:
   the output tensor's static shape is authoritative. */
static ember_status reshape_check(ember_context *ctx, const ember_node *node) {
    ember_status st = ember_check_arity(ctx, node, 1, 2, 1);
    if (st == EMBER_STATUS_OK)
        st = ember_check_params(ctx, node, EMBER_OP_PARAMS_RESHAPE_PARAMS);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *shape = ember_input(ctx, node, 1);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if (shape != NULL && shape->type != EMBER_TYPE_INT32 && shape->type != EMBER_TYPE_INT64)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): shape input must be INT32 or INT64, got "
                          "type %u",
                          node->index, shape->type);
    if ((st = ember_check_type(ctx, node, out, in->type, "output")) ||
        (st = ember_check_same_quant(ctx, node, in, out)))
        return st;
    if (out->count != in->count)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (reshape): output has %zu elements, input has %zu",
                          node->index, out->count, in->count);
    return EMBER_STATUS_OK;
}

static void ember_reshape_ref(const void *in, void *out, size_t bytes) {
    if (out != in)
        memmove(out, in, bytes);
}

static ember_status reshape_prepare(ember_context *ctx, ember_node *node) {
    (void)ctx;
    (void)node;
    return EMBER_STATUS_OK;
}

static ember_status reshape_eval(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    ember_reshape_ref(in->data, ember_output(ctx, node, 0)->data, in->bytes);
    return EMBER_STATUS_OK;
}

const ember_kernel ember_kernel_reshape = {
    EMBER_OP_RESHAPE, "reshape", reshape_check, reshape_prepare, reshape_eval,
};
