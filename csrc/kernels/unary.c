/* Shared skeleton of the float element-wise unary ops (see unary.h). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/quant.h"
#include "kernels/broadcast.h" /* ember_elementwise_parallel, ember_elementwise_tile */
#include "kernels/unary.h"
#include "threadpool.h"

/* Input 0 and the output of type `type` and of equal shapes, apart or exactly aliased. */
static ember_status check_io(ember_context *ctx, const ember_node *node, const char *op,
                             uint8_t type) {
    ember_status st;
    const ember_tensor *in = ember_input(ctx, node, 0);
    const ember_tensor *out = ember_output(ctx, node, 0);
    if ((st = ember_check_type(ctx, node, in, type, "input 0")) != EMBER_STATUS_OK ||
        (st = ember_check_type(ctx, node, out, type, "output")) != EMBER_STATUS_OK)
        return st;
    if (type == EMBER_TYPE_INT8 &&
        ((st = ember_check_quant_i8(ctx, node, in, "input 0")) != EMBER_STATUS_OK ||
         (st = ember_check_quant_i8(ctx, node, out, "output")) != EMBER_STATUS_OK))
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

static ember_status check_unary(ember_context *ctx, const ember_node *node, const char *op,
                                uint8_t params_type, uint32_t inputs, uint8_t type) {
    ember_status st = ember_check_arity(ctx, node, inputs, inputs, 1);
    if (st != EMBER_STATUS_OK)
        return st;
    st = ember_check_params(ctx, node, params_type);
    return st != EMBER_STATUS_OK ? st : check_io(ctx, node, op, type);
}

ember_status ember_unary_check(ember_context *ctx, const ember_node *node, const char *op,
                               uint8_t params_type) {
    return check_unary(ctx, node, op, params_type, 1, EMBER_TYPE_FLOAT32);
}

ember_status ember_unary_check_type(ember_context *ctx, const ember_node *node, const char *op,
                                    uint8_t params_type, uint8_t type) {
    return check_unary(ctx, node, op, params_type, 1, type);
}

bool ember_unary_is_i8(ember_context *ctx, const ember_node *node) {
    const ember_tensor *in = ember_input(ctx, node, 0);
    return in != NULL && in->type == EMBER_TYPE_INT8;
}

ember_status ember_unary_check_i8(ember_context *ctx, const ember_node *node, const char *op,
                                  uint8_t params_type) {
    return check_unary(ctx, node, op, params_type, 1, EMBER_TYPE_INT8);
}

ember_status ember_unary_check_table_i8(ember_context *ctx, const ember_node *node,
                                        const char *op) {
    ember_status st = check_unary(ctx, node, op, 0, 2, EMBER_TYPE_INT8);
    if (st != EMBER_STATUS_OK)
        return st;
    const ember_tensor *table = ember_input(ctx, node, 1);
    if ((st = ember_check_type(ctx, node, table, EMBER_TYPE_INT8, "input 1 (table)")) !=
        EMBER_STATUS_OK)
        return st;
    if (!table->is_constant || table->count != EMBER_I8_TABLE_SIZE)
        return ember_fail(ctx, EMBER_STATUS_INVALID_MODEL,
                          "node %" PRIu32 " (%s): int8 input 1 '%s' must be a constant table of "
                          "%d entries, got a %s tensor of %zu",
                          node->index, op, table->name, EMBER_I8_TABLE_SIZE,
                          table->is_constant ? "constant" : "run-time", table->count);
    return EMBER_STATUS_OK;
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
    data->tiled = false;
    node->data = data;
    return EMBER_STATUS_OK;
}

ember_status ember_unary_prepare_fast(ember_context *ctx, ember_node *node, ember_unary_f32 ref,
                                      ember_unary_params p, ember_vunary_op op,
                                      ember_unary_params fast_p) {
    const ember_vunary_f32_config *c = ember_vunary_f32_select(ctx, op);
    if (c == NULL)
        return ember_unary_prepare(ctx, node, ref, p);
    const ember_status st = ember_unary_prepare(ctx, node, c->fn, fast_p);
    if (st != EMBER_STATUS_OK)
        return st;
    ((ember_unary_data *)node->data)->tiled = true;
    node->variant = c->name;
    return EMBER_STATUS_OK;
}

struct unary_task {
    const ember_unary_data *d;
    const float *in;
    float *out;
};

static void unary_tile(const void *arg, size_t thread, size_t begin, size_t end) {
    (void)thread;
    const struct unary_task *t = arg;
    t->d->fn(t->in + begin, t->out + begin, end - begin, &t->d->p);
}

ember_status ember_unary_eval(ember_context *ctx, const ember_node *node) {
    const ember_unary_data *data = node->data;
    const ember_tensor *in = ember_input(ctx, node, 0);
    if (data->tiled && ember_elementwise_parallel(ctx, in->count)) {
        const struct unary_task task = {data, in->data, ember_output(ctx, node, 0)->data};
        ember_parallel_1d(ctx, unary_tile, &task, in->count,
                          ember_elementwise_tile(ctx, in->count));
        return EMBER_STATUS_OK;
    }
    data->fn(in->data, ember_output(ctx, node, 0)->data, in->count, &data->p);
    return EMBER_STATUS_OK;
}
