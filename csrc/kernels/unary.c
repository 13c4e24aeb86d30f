/* Shared skeleton of the float element-wise unary ops (see unary.h). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/unary.h"

ember_status ember_unary_check(ember_context *ctx, const ember_node *node, const char *op,
                               uint8_t params_type) {
    return ember_unary_check_type(ctx, node, op, params_type, EMBER_TYPE_FLOAT32);
}

ember_status ember_unary_check_type(ember_context *ctx, const ember_node *node, const char *op,
                                    uint8_t params_type, uint8_t type) {
    ember_status st = ember_check_arity(ctx, node, 1, 1, 1);
    if (st != EMBER_STATUS_OK)
        return st;
    st = ember_check_params(ctx, node, params_type);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, in, type, "input 0")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, type, "output")) != EMBER_STATUS_OK)
        return st;
    if (out->rank != in->rank)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): output rank must equal the input rank %u, got %u",
                          node->index, op, (unsigned)in->rank, (unsigned)out->rank);
    for (uint32_t d = 0; d < in->rank; d++) {
        if (out->dims[d] != in->dims[d])
            return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                              "node %" PRIu32 " (%s): output dim %" PRIu32 " must equal the "
                              "input's %" PRId32 ", got %" PRId32,
                              node->index, op, d, in->dims[d], out->dims[d]);
    }
    return ember_check_inplace(ctx, node, op, in, 0, out);
}

ember_status ember_unary_param_f32(ember_context *ctx, const ember_node *node, const char *op,
                                   uint32_t slot, float def, const char *field, bool allow_inf,
                                   float *out) {
    if (!ember_fb_f32(&node->params, slot, def, out))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s field is out of bounds", node->index, op,
                          field);
    if (isnan(*out) || (!allow_inf && isinf(*out)))
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): %s must be %s, got %g", node->index, op, field,
                          allow_inf ? "a number" : "finite", (double)*out);
    return EMBER_STATUS_OK;
}

ember_status ember_unary_prepare(ember_context *ctx, ember_node *node, ember_unary_f32 fn,
                                 ember_unary_params p) {
    ember_unary_data *data = ember_alloc(ctx, sizeof(*data));
    if (data == NULL)
        return EMBER_STATUS_NO_MEMORY; /* ember_alloc set the message */
    data->fn = fn;
    data->p = p;
    node->data = data;
    return EMBER_STATUS_OK;
}

ember_status ember_unary_eval(ember_context *ctx, const ember_node *node) {
    const ember_unary_data *data = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    data->fn(in->data, ember_output(ctx, node, 0)->data, in->count, &data->p);
    return EMBER_STATUS_OK;
}
